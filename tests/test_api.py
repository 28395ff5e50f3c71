"""The Python API: sources of every kind, overrides, errors as data."""
from __future__ import annotations

import gc

import pytest

from conftest import SPECS, spec_with
from graphspec import BuildError, CheckedSpec, SpecError, check_spec, compile_spec, load_spec
from graphspec.source import no_gc


def test_sources_path_str_mapping_and_loaded():
    path = SPECS / "multi_input.yaml"
    by_path = check_spec(path)
    by_str = check_spec(str(path))
    by_source = check_spec(load_spec(path))
    by_mapping = check_spec(load_spec(path).data)
    assert by_path.total_params == by_str.total_params == by_source.total_params \
        == by_mapping.total_params == 10_789
    assert check_spec(by_path) is by_path


def test_mapping_errors_carry_key_paths():
    with pytest.raises(SpecError) as info:
        check_spec(spec_with({"h": {"type": "Dense", "units": 0, "from": "x"}}, {"x": [3]}, ["h"]))
    (error,) = info.value.errors
    assert error.file == "<mapping>"
    assert error.path == ("nodes", "h", "units")
    assert error.code == "invalid-value"
    assert "Received: units=0" in error.message


def test_overrides_do_not_touch_the_loaded_source():
    source = load_spec(SPECS / "multi_output.yaml")
    wider = check_spec(source, overrides={"nodes.hidden2.units": 65})
    assert wider.params["hidden2"] == (128 * 65 + 65,) * 2
    assert source.data["nodes"]["hidden2"]["units"] == 64


def test_overrides_create_missing_mappings():
    checked = check_spec(SPECS / "multi_output.yaml",
                         overrides=["compile.optimizer=sgd", "nodes.hidden1.activation=gelu"])
    assert checked.spec.compile.optimizer == "sgd"
    assert checked.spec.nodes["hidden1"].activation == "gelu"


def test_override_errors_are_located_at_the_field():
    with pytest.raises(SpecError) as info:
        check_spec(SPECS / "age_gender.yaml", overrides={"nodes.resnet.pooling": "mean"})
    (error,) = info.value.errors
    lines = (SPECS / "age_gender.yaml").read_text().splitlines()
    body = lines.index("  resnet:") + 2  # the first line of the node that gets `pooling`
    assert (error.line, error.col) == (body, 5)
    assert error.path == ("nodes", "resnet", "pooling")


def test_all_errors_in_one_run():
    nodes = {"a": {"type": "Dense", "units": -1, "from": "x"},
             "b": {"type": "Dense", "units": 2, "activation": "rleu", "from": "x"},
             "c": {"type": "Concatenate", "from": ["a", "nope"]},
             "d": {"type": "Dense", "units": 2, "from": "img"}}
    with pytest.raises(SpecError) as info:
        check_spec(spec_with(nodes, {"x": [3], "img": [4, 4, 3]}, ["b", "c", "d"]))
    codes = sorted(d.code for d in info.value.errors)
    assert codes == ["invalid-value", "shape-mismatch", "unknown-activation", "unknown-name"]


def test_checked_spec_summary_rows():
    checked = check_spec(SPECS / "multi_output.yaml")
    assert isinstance(checked, CheckedSpec)
    rows = checked.summary()["nodes"]
    assert [r["name"] for r in rows][:2] == ["x", "hidden1"]
    assert rows[1] == {"name": "hidden1", "type": "Dense", "from": ["x"], "shape": [128],
                       "params": 512, "trainable_params": 512}


def test_yaml_anchors_and_merge_keys(tmp_path):
    spec = tmp_path / "anchors.yaml"
    spec.write_text(
        "graphspec: 1\nname: anchors\n"
        "inputs: {x: {shape: [4]}}\n"
        "nodes:\n"
        "  a: &relu8 {type: Dense, units: 8, activation: relu, from: x}\n"
        "  b: {<<: *relu8, from: a}\n"
        "  c: {<<: *relu8, units: 2, from: b}\n"
        "outputs: [c]\n")
    checked = check_spec(spec)
    assert checked.shapes["c"] == (2,)
    assert checked.params["b"] == (72, 72)


def test_compiled_model_carries_the_spec_names(keras):
    model = compile_spec(SPECS / "multi_input.yaml")
    assert model.name == "multi_input"
    assert [t.name for t in model.inputs] == ["inputA", "inputB"]
    assert model.output_names == ["z1"]
    assert {l.name for l in model.layers} == {"inputA", "inputB", "x", "x1", "y", "y1", "y2",
                                              "combined", "z", "z1"}


@pytest.mark.parametrize("enabled", [True, False])
def test_compile_spec_leaves_the_garbage_collector_as_it_found_it(keras, tmp_path, enabled):
    # compile_spec pauses the collector while it imports Keras and builds the layers
    # (graphspec/emit.py); the caller's setting must come back, after a failure too.
    missing = tmp_path / "missing.yaml"
    missing.write_text("graphspec: 1\nname: m\ninputs: {image: {shape: [32, 32, 3]}}\n"
                       "nodes:\n  f: {type: Backbone, model: MobileNetV3Small, "
                       "weights: nowhere.weights.h5, pooling: avg, from: image}\n"
                       "outputs: [f]\n")
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        compile_spec(SPECS / "multi_input.yaml")
        assert gc.isenabled() is enabled
        with pytest.raises(BuildError):
            compile_spec(missing)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_paused_collector_leaves_garbage_collectable_and_frozen_objects_frozen():
    class Cycle:
        pass

    def cycles(n):
        for _ in range(n):
            a, b = Cycle(), Cycle()
            a.other, b.other = b, a

    was = gc.isenabled()
    gc.enable()
    try:
        gc.collect()
        with no_gc():
            assert not gc.isenabled()
            cycles(1000)
        assert gc.isenabled() and gc.get_freeze_count() == 0
        assert gc.collect() >= 2000  # what was made during the pause is still collected
        gc.freeze()  # a caller's frozen objects stay frozen
        frozen = gc.get_freeze_count()
        with no_gc():
            cycles(10)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
        (gc.enable if was else gc.disable)()


def test_optimizer_mapping_is_built(keras):
    spec = spec_with({"h": {"type": "Dense", "units": 1, "from": "x"}}, {"x": [3]},
                     ["h"])
    spec["outputs"] = {"h": {"loss": "mse"}}
    spec["compile"] = {"optimizer": {"type": "SGD", "learning_rate": 0.05, "momentum": 0.9}}
    model = compile_spec(spec)
    optimizer = model.optimizer
    assert type(optimizer).__name__ == "SGD"
    assert float(optimizer.learning_rate) == pytest.approx(0.05)
    assert optimizer.momentum == 0.9


def test_optimizer_argument_typo():
    spec = spec_with({"h": {"type": "Dense", "units": 1, "from": "x"}}, {"x": [3]}, ["h"])
    spec["compile"] = {"optimizer": {"type": "Adam", "learning_rat": 0.1}}
    with pytest.raises(SpecError) as info:
        check_spec(spec)
    (error,) = info.value.errors
    assert error.code == "unknown-field"
    assert error.hint == "did you mean 'learning_rate'?"
