"""How `check` grows with the size of a spec, without process start-up in the way.

    /work/venv/bin/python bench/scaling.py [--runs N]

Whole-process timings (bench/run.py) are dominated by start-up (about 0.3 s) until specs
get large, so their growth ratios are noisy. This times reading and checking generated
specs (bench/gen_spec.py) of 1,000 to 40,000 nodes inside one process, garbage
collection off as in the `graphspec` command, and prints the median time per size and
per node: linear growth shows as a flat time per node.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_spec import make_spec  # noqa: E402
from graphspec import check_spec, load_spec  # noqa: E402

SIZES = (1_000, 2_000, 5_000, 10_000, 20_000, 40_000)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    gc.disable()
    print("| nodes | median s (read + check) | µs per node |")
    print("|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            path = Path(tmp) / f"spec{size}.yaml"
            path.write_text(make_spec(size))
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                check_spec(load_spec(path))
                times.append(time.perf_counter() - start)
                gc.collect()  # between runs, not inside them
            median = statistics.median(times)
            print(f"| {size:,} | {median:.3f} | {median / size * 1e6:.1f} |")


if __name__ == "__main__":
    main()
