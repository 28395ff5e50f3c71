from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session")
def keras():
    from graphspec.emit import import_keras

    return import_keras()


def keras_counts(layer) -> tuple[int, int]:
    """(total, trainable) parameters of a built Keras layer, as Keras counts them."""
    total = sum(int(_size(w)) for w in layer.weights)
    trainable = sum(int(_size(w)) for w in layer.trainable_weights)
    return total, trainable


def _size(weight) -> int:
    size = 1
    for d in weight.shape:
        size *= int(d)
    return size


def spec_with(nodes: dict, inputs: dict, outputs: list) -> dict:
    """A spec as a mapping, for tests that make many small ones."""
    return {"graphspec": 1, "name": "t", "inputs": {k: {"shape": list(v)}
                                                     for k, v in inputs.items()},
            "nodes": nodes, "outputs": outputs}
