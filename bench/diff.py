"""Benchmark `graphspec diff` on large specs: whole processes, wall time, medians.

    /work/venv/bin/python bench/diff.py [--runs N] [--nodes N]

Two generated specs of 10,000 nodes (bench/gen_spec.py) that differ in one node (one
Dense is widened, so the diff also reports its downstream consequences). Times
`graphspec diff OLD NEW` against `graphspec check OLD` side by side in every round.
Targets: the diff under 2 s, and within 3x of one check (it checks both sides, then
compares). Exit status 0 when both are met.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_spec import make_spec  # noqa: E402
from bench.run import (GRAPHSPEC, Command, Runner, machine, median,  # noqa: E402
                       ratio_cell, time_rows)

DIFF_TARGET_S = 2.0
RATIO_TARGET = 3.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--nodes", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        old, new = Path(tmp) / "old.yaml", Path(tmp) / "new.yaml"
        text = make_spec(args.nodes, name="big")
        old.write_text(text)
        widened = "  b10_a1: {type: Dense, units: 32,"
        assert widened in text
        new.write_text(text.replace(widened, "  b10_a1: {type: Dense, units: 48,", 1))
        check = Command(f"check, {args.nodes:,} nodes", [GRAPHSPEC, "check", str(old)],
                        shown_as="graphspec check old.yaml")
        # diff exits 1 when the specs differ, as diff(1): that is success here.
        diff = Command(f"diff, {args.nodes:,} nodes, one node changed",
                       [GRAPHSPEC, "diff", str(old), str(new)],
                       shown_as="graphspec diff old.yaml new.yaml", success=1)
        runner = Runner(dict(os.environ), Path(tmp))
        runner.rounds([[check, diff]], args.runs)
    ratio = median(diff) / median(check)
    met = median(diff) < DIFF_TARGET_S and ratio <= RATIO_TARGET
    print("## Diff of two large specs\n")
    print(machine() + "\n")
    print(time_rows([check, diff]) + "\n")
    print(f"diff / check: {ratio_cell(diff, check)} (target: at most {RATIO_TARGET:.0f}x); "
          f"diff median {median(diff):.3f} s (target: under {DIFF_TARGET_S:.0f} s): "
          f"{'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
