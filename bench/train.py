"""Benchmark `train_spec` against the same training written by hand: whole processes.

    /work/venv/bin/python bench/train.py [--runs N] [--images N] [--epochs N]

Generated UTKFace-style JPEGs (200x200, `AGE_GENDER_RACE_DATETIME.jpg.chip.jpg`, 96 by
default) in a temporary folder; one epoch by default. Side by side in every round, the
order alternating:

  handwritten  bench/handwritten/train_age_gender.py: the tutorial's training ported to
               Keras 3 by hand (tf.data, the same augmentation layers);
  graphspec    train_spec('specs/age_gender.yaml', ..., load_weights=False), nothing
               saved (the file would be 1.3 GB; saving is the same Keras call either way).

Both sides build ResNet50 with random weights, frozen, and train the heads. Target:
graphspec at most 1.10x the handwritten time. Exit status 0 when it is met.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import PYTHON, Command, Runner, machine, median, ratio_cell, time_rows  # noqa: E402

TARGET = 1.10


def write_faces(folder: Path, count: int) -> None:
    """UTKFace-style JPEGs of random pixels, made in a child process (TensorFlow)."""
    import subprocess

    script = (
        "import sys, numpy as np, tensorflow as tf\n"
        "rng = np.random.default_rng(0)\n"
        "for i in range(int(sys.argv[2])):\n"
        "    image = rng.integers(0, 256, size=(200, 200, 3), dtype=np.uint8)\n"
        "    name = f'{sys.argv[1]}/{1 + i % 90}_{i % 2}_{i % 5}_2017{i:08d}.jpg.chip.jpg'\n"
        "    tf.io.write_file(name, tf.io.encode_jpeg(image))\n")
    subprocess.run([PYTHON, "-c", script, str(folder), str(count)], check=True,
                   capture_output=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--images", type=int, default=96)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="graphspec-train-") as tmp:
        data = Path(tmp) / "faces"
        data.mkdir()
        write_faces(data, args.images)
        keras_home = Path(tmp) / "keras"
        keras_home.mkdir()
        env = dict(os.environ, KERAS_BACKEND="tensorflow", KERAS_HOME=str(keras_home))
        hand = Command("handwritten Keras 3 training",
                       [PYTHON, "bench/handwritten/train_age_gender.py", str(data),
                        str(args.epochs)],
                       shown_as="python bench/handwritten/train_age_gender.py $DATA "
                                f"{args.epochs}")
        code = ("from graphspec import train_spec; "
                f"train_spec('specs/age_gender.yaml', {str(data)!r}, ['age=0', 'gender=1'], "
                f"load_weights=False, epochs={args.epochs}, verbose=2)")
        ours = Command("graphspec train_spec", [PYTHON, "-c", code],
                       shown_as='python -c "' + code.replace(repr(str(data)), "$DATA") + '"')
        Runner(env, keras_home).rounds([[hand, ours]], args.runs)
    ratio = median(ours) / median(hand) if median(ours) and median(hand) else None
    print("## Training age_gender: graphspec vs handwritten Keras 3\n")
    print(machine() + "\n")
    print(f"{args.images} generated 200x200 images, {args.epochs} epoch(s), "
          f"{args.runs} runs; whole processes.\n")
    print(time_rows([hand, ours]) + "\n")
    verdict = "met" if ratio is not None and ratio <= TARGET else "MISSED"
    print(f"graphspec / handwritten: {ratio_cell(ours, hand)} (target: at most "
          f"{TARGET:.2f}): {verdict}")
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
