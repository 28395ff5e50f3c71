"""Benchmark `graphspec plot` as users run it: whole processes, wall time, medians.

    /work/venv/bin/python bench/plot.py [--runs N] [--nodes N]

On a generated spec of 1,000 nodes (bench/gen_spec.py), times `graphspec plot SPEC -o
x.dot` (no Graphviz) and `-o x.svg` (Graphviz' dot lays it out), with `graphspec check
SPEC` on the same spec as the baseline: what drawing costs on top of checking. Timing
is bench/run.py's: each round runs the three once, the order alternating from round to
round, so load from other processes falls on all alike. Prints Markdown: the machine,
Graphviz' version and a table (median, min, max), and each plot's ratio over check.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_spec import make_spec  # noqa: E402
from bench.run import GRAPHSPEC, Command, Runner, machine, ratio_cell, time_rows  # noqa: E402


def graphviz_version() -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise SystemExit("Graphviz' dot is not installed: the .svg row needs it")
    return subprocess.run([dot, "-V"], capture_output=True, text=True).stderr.strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--nodes", type=int, default=1_000)
    args = parser.parse_args(argv)
    name = f"spec{args.nodes}.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / name
        spec.write_text(make_spec(args.nodes))
        check = Command("check", [GRAPHSPEC, "check", str(spec)],
                        shown_as=f"graphspec check {name}")
        plots = [Command(f"plot to .{fmt}",
                         [GRAPHSPEC, "plot", str(spec), "-o", str(Path(tmp) / f"x.{fmt}")],
                         shown_as=f"graphspec plot {name} -o x.{fmt}") for fmt in ("dot", "svg")]
        Runner(dict(os.environ), Path(tmp)).rounds([[check, *plots]], args.runs)
        svg_size = (Path(tmp) / "x.svg").stat().st_size
    print(machine())
    print(f"- {graphviz_version()}\n")
    print(time_rows([check, *plots]) + "\n")
    for plot in plots:
        print(f"- {plot.label} / check: {ratio_cell(plot, check)}")
    print(f"\nThe SVG of {args.nodes:,} nodes is {svg_size / 1e6:.1f} MB.")


if __name__ == "__main__":
    main()
