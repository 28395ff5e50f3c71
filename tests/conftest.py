from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Graphviz is a system package: tests that render through it skip on a machine without it,
# but not in CI (CI=true), where .ci/run installs it and a missing `dot` must fail.
needs_graphviz = pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"),
    reason="Graphviz' dot is not installed (.ci/run installs it)")


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


def cli_in_fresh_process(*commands: list[str]) -> tuple[list[int], list[str], str]:
    """Run CLI commands in one new Python process: their exit codes, which of tensorflow
    and keras that process imported, and its stderr."""
    script = ("import json, sys; from graphspec.cli import main; "
              f"codes = [main(argv) for argv in {[list(map(str, c)) for c in commands]!r}]; "
              "loaded = [m for m in ('tensorflow', 'keras') if m in sys.modules]; "
              "print(json.dumps({'codes': codes, 'loaded': loaded}))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["codes"], report["loaded"], result.stderr


def spec_with(nodes: dict, inputs: dict, outputs: list) -> dict:
    """A spec as a mapping, for tests that make many small ones."""
    return {"graphspec": 1, "name": "t", "inputs": {k: {"shape": list(v)}
                                                     for k, v in inputs.items()},
            "nodes": nodes, "outputs": outputs}


SVG = "{http://www.w3.org/2000/svg}"


def svg_boxes(svg: str | bytes) -> dict[str, dict]:
    """The boxes of an SVG that Graphviz drew: title -> texts, fill and stroke of the
    outline (the first filled shape), in drawing order."""
    import xml.etree.ElementTree as ET

    boxes = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        outline = next(e for e in group if e.tag != f"{SVG}title"
                       and e.get("fill") not in (None, "none"))
        boxes[group.find(f"{SVG}title").text] = {
            "texts": [t.text for t in group.iter(f"{SVG}text")],
            "fill": outline.get("fill"), "stroke": outline.get("stroke"),
            "shape": outline.tag.removeprefix(SVG)}
    return boxes


def svg_edges(svg: str | bytes) -> dict[str, dict]:
    """The edges of an SVG that Graphviz drew: `a->b` -> stroke colour and dash."""
    import xml.etree.ElementTree as ET

    edges = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if group.get("class") == "edge":
            path = group.find(f"{SVG}path")
            edges[group.find(f"{SVG}title").text] = {
                "stroke": path.get("stroke"), "dashed": path.get("stroke-dasharray") is not None}
    return edges
