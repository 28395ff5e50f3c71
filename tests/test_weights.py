"""Backbone weights from a file beside the spec, and the errors when they cannot load."""
from __future__ import annotations

import numpy as np
import pytest

from graphspec import BuildError, compile_spec
from graphspec.cli import main

SPEC = """\
graphspec: 1
name: small
inputs: {image: {shape: [32, 32, 3]}}
nodes:
  features: {type: Backbone, model: MobileNetV3Small, weights: %s, pooling: avg, from: image}
  head: {type: Dense, units: 2, activation: softmax, from: features}
outputs: [head]
"""


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory, keras):
    folder = tmp_path_factory.mktemp("spec")
    backbone = keras.applications.MobileNetV3Small(include_top=False, weights=None,
                                                   input_shape=(32, 32, 3), pooling="avg")
    (folder / "weights").mkdir()
    backbone.save_weights(folder / "weights" / "mnv3.weights.h5")
    return folder, backbone


def test_weights_path_is_relative_to_the_spec(weights_file, tmp_path, monkeypatch):
    folder, backbone = weights_file
    spec = folder / "small.yaml"
    spec.write_text(SPEC % "weights/mnv3.weights.h5")
    monkeypatch.chdir(tmp_path)  # elsewhere: the path must still resolve from the spec
    model = compile_spec(spec)
    loaded = model.get_layer("features").get_weights()
    for ours, theirs in zip(loaded, backbone.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_missing_weights_file_is_a_clear_error(tmp_path, capsys):
    spec = tmp_path / "small.yaml"
    spec.write_text(SPEC % "nowhere.weights.h5")
    with pytest.raises(BuildError, match="weights file 'nowhere.weights.h5' not found"):
        compile_spec(spec)
    assert main(["build", str(spec), "-o", str(tmp_path / "m.keras")]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "--no-weights" in err and "Traceback" not in err
    assert not (tmp_path / "m.keras").exists()
    assert main(["build", str(spec), "--no-weights", "-o", str(tmp_path / "m.keras")]) == 0
