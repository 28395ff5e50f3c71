"""What Python's garbage collector costs while Keras is imported, and what graphspec saves.

    /work/venv/bin/python bench/gc_import.py [--runs N]

Each run is a fresh process that imports Keras (TensorFlow backend) and then makes a few
objects, so that a collection deferred by a paused collector happens inside the timing
too. gc.callbacks add up the time spent in collections. Two ways, side by side in every
round, the order alternating:

  plain     `import keras` as a script does it, the collector on;
  graphspec the import inside graphspec.source.no_gc(), as graphspec.emit.import_keras()
            does it: the collector paused, then the new objects moved to the oldest
            generation without a pass over them.

Prints Markdown: medians (and min, max) of the wall time of the import and of the time
spent in collections, and how many collections ran.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import machine, table  # noqa: E402

PROBE = """
import gc, json, sys, time
spent, count, began = [0.0], [0], [0.0]
def timed(phase, info):
    if phase == "start":
        began[0] = time.perf_counter()
    else:
        spent[0] += time.perf_counter() - began[0]
        count[0] += 1
gc.callbacks.append(timed)
start = time.perf_counter()
if sys.argv[1] == "graphspec":
    from graphspec.source import no_gc
    with no_gc():
        import keras
else:
    import keras
made = [[object()] for _ in range(10_000)]  # a deferred collection would run here
wall = time.perf_counter() - start
print(json.dumps({"wall": wall, "gc": spent[0], "collections": count[0]}))
"""
WAYS = ("plain", "graphspec")


def run_once(way: str, env: dict[str, str]) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, way], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per way (7)")
    args = parser.parse_args(argv)
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    results: dict[str, list[dict]] = {way: [] for way in WAYS}
    for r in range(args.runs):
        print(f"round {r + 1}/{args.runs}", file=sys.stderr, flush=True)
        for way in (WAYS if r % 2 == 0 else tuple(reversed(WAYS))):
            results[way].append(run_once(way, env))

    def cell(way: str, key: str) -> str:
        values = [r[key] for r in results[way]]
        if key == "collections":
            return f"{statistics.median(values):.0f}"
        return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"

    rows = [[way, cell(way, "wall"), cell(way, "gc"), cell(way, "collections")]
            for way in WAYS]
    print("\n".join([
        "# Garbage collection while Keras is imported", "",
        f"Command: `python bench/gc_import.py --runs {args.runs}`; fresh processes, the two "
        "ways side by side in each round.", "", "## Machine", "", machine(), "",
        table(rows, ["way", "import s, median (min-max)", "in collections s, median (min-max)",
                     "collections"]),
        ""]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
