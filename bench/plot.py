"""Benchmark `graphspec plot` as users run it: whole processes, wall time, medians.

    /work/venv/bin/python bench/plot.py [--runs N] [--nodes N]

On a generated spec of 1,000 nodes (bench/gen_spec.py), times `graphspec plot SPEC -o
x.dot` (no Graphviz) and `-o x.svg` (Graphviz' dot lays it out), with `graphspec check
SPEC` on the same spec as the baseline: what drawing costs on top of checking. Each
round runs the three once, in an order that rotates from round to round, so load from
other processes falls on all alike. Prints Markdown: the machine and a table (median,
min, max, and the median over check's).
"""
from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_spec import make_spec  # noqa: E402

GRAPHSPEC = shutil.which("graphspec", path=str(Path(sys.executable).parent)) or "graphspec"


def wall_time(argv: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr}")
    return elapsed


def graphviz_version() -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise SystemExit("Graphviz' dot is not installed: the .svg row needs it")
    return subprocess.run([dot, "-V"], capture_output=True, text=True).stderr.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--nodes", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / f"spec{args.nodes}.yaml"
        spec.write_text(make_spec(args.nodes))
        commands = {
            f"graphspec check spec{args.nodes}.yaml": [GRAPHSPEC, "check", str(spec)],
            f"graphspec plot spec{args.nodes}.yaml -o x.dot":
                [GRAPHSPEC, "plot", str(spec), "-o", str(Path(tmp) / "x.dot")],
            f"graphspec plot spec{args.nodes}.yaml -o x.svg":
                [GRAPHSPEC, "plot", str(spec), "-o", str(Path(tmp) / "x.svg")],
        }
        times: dict[str, list[float]] = {label: [] for label in commands}
        labels = list(commands)
        for round_ in range(args.runs):
            shift = round_ % len(labels)
            for label in labels[shift:] + labels[:shift]:
                times[label].append(wall_time(commands[label]))
        svg_size = (Path(tmp) / "x.svg").stat().st_size
    baseline = statistics.median(times[labels[0]])
    print(f"Machine: {platform.machine()}, {platform.processor() or 'unknown CPU'}, "
          f"Python {platform.python_version()}, {graphviz_version()}; "
          f"{args.runs} runs each.\n")
    print("| command | median | min | max | median / check |")
    print("|---|---:|---:|---:|---:|")
    for label in labels:
        values = times[label]
        median = statistics.median(values)
        print(f"| `{label}` | {median:.3f} s | {min(values):.3f} s | {max(values):.3f} s | "
              f"{median / baseline:.2f}x |")
    print(f"\nThe SVG of {args.nodes:,} nodes is {svg_size / 1e6:.1f} MB.")


if __name__ == "__main__":
    main()
