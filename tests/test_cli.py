"""The command line, through its entry point: exit codes, stdout/stderr, no tracebacks."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, SPECS, cli_in_fresh_process
from graphspec.cli import main

BROKEN = ROOT / "tests" / "cases"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_check_ok(capsys):
    code, out, err = run(capsys, "check", *sorted(SPECS.glob("*.yaml")))
    assert code == 0
    assert "age_gender.yaml: ok: 8 nodes, 126,875,522 parameters (103,287,810 trainable)" in out
    assert err == ""


def test_check_reports_every_file_and_exits_1(capsys):
    code, out, err = run(capsys, "check", BROKEN / "unknown-name.yaml", SPECS / "multi_input.yaml",
                         BROKEN / "cycle.yaml")
    assert code == 1
    assert "unknown-name.yaml:10:42:" in err and "[unknown-name]" in err
    assert "  hint: did you mean 'hidden1'?" in err
    assert "cycle: a -> b -> c -> a  [cycle]" in err
    assert "multi_input.yaml: ok" in out


def test_check_json(capsys):
    code, out, _ = run(capsys, "check", "--format", "json", BROKEN / "unknown-type.yaml")
    assert code == 1
    report = json.loads(out)
    assert report[0]["valid"] is False
    assert {d["code"] for d in report[0]["diagnostics"]} == {"unknown-type"}


def test_missing_file_is_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, "check", tmp_path / "nope.yaml")
    assert code == 2
    assert "cannot read" in err and "nope.yaml" in err


def test_bad_flag_is_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["summary", "--format", "xml", "x.yaml"])
    assert info.value.code == 2


def test_summary_text(capsys):
    code, out, _ = run(capsys, "summary", SPECS / "multi_input.yaml")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "model: multi_input"
    combined = next(l for l in lines if l.startswith("combined"))
    assert combined.split() == ["combined", "Concatenate", "x1,", "y2", "(None,", "8)", "0", "0"]
    assert "total params: 10,789" in out


def test_summary_json_shape(capsys):
    code, out, _ = run(capsys, "summary", "--format", "json", SPECS / "age_gender.yaml")
    assert code == 0
    summary = json.loads(out)
    assert set(summary) == {"name", "nodes", "total_params", "trainable_params"}
    resnet = next(n for n in summary["nodes"] if n["name"] == "resnet")
    assert resnet == {"name": "resnet", "type": "Backbone", "from": ["image"],
                      "shape": [7, 7, 2048], "params": 23_587_712, "trainable_params": 0}
    assert summary["total_params"] == 126_875_522


def test_summary_unknown_dims_are_null(capsys, tmp_path):
    spec = tmp_path / "seq.yaml"
    spec.write_text("graphspec: 1\nname: seq\ninputs: {x: {shape: [null, 8]}}\n"
                    "nodes: {h: {type: Dense, units: 2, from: x}}\noutputs: [h]\n")
    code, out, _ = run(capsys, "summary", "--format", "json", spec)
    assert code == 0
    assert json.loads(out)["nodes"][1]["shape"] == [None, 2]


def test_summary_set_override(capsys):
    code, out, _ = run(capsys, "summary", "--format", "json", "--set", "nodes.x.units=16",
                       SPECS / "multi_input.yaml")
    assert code == 0
    rows = {n["name"]: n for n in json.loads(out)["nodes"]}
    assert rows["x"]["shape"] == [16] and rows["x"]["params"] == 32 * 16 + 16
    assert rows["x1"]["params"] == 16 * 4 + 4  # the consequence downstream


def test_bad_override_is_exit_2(capsys):
    code, _, err = run(capsys, "summary", "--set", "nodes.x.units", SPECS / "multi_input.yaml")
    assert code == 2
    assert "expected PATH=VALUE" in err


def test_invalid_override_value_is_located(capsys):
    code, _, err = run(capsys, "summary", "--set", "nodes.x.units=-1", SPECS / "multi_input.yaml")
    assert code == 1
    assert "multi_input.yaml:" in err and "units=-1" in err


def test_schema(capsys):
    code, out, _ = run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"].startswith("graphspec")
    assert "nodes" in schema["properties"]


def test_committed_schema_is_current(capsys):
    _, out, _ = run(capsys, "schema")
    assert (ROOT / "docs" / "graphspec.schema.json").read_text() == out


@pytest.mark.slow
def test_build_writes_keras_file(capsys, tmp_path, keras):
    target = tmp_path / "m.keras"
    code, out, err = run(capsys, "build", SPECS / "multi_input.yaml", "-o", target)
    assert code == 0, err
    assert "multi_input" in out and f"wrote {target}" in out
    model = keras.models.load_model(target)
    assert model.count_params() == 10_789
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


@pytest.mark.slow
def test_build_invalid_spec_writes_nothing(capsys, tmp_path):
    target = tmp_path / "m.keras"
    code, _, err = run(capsys, "build", BROKEN / "cycle.yaml", "-o", target)
    assert code == 1
    assert "[cycle]" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_build_offline_imagenet_names_no_weights(capsys, tmp_path, monkeypatch):
    """Without network (or weights cache) ImageNet weights give a clear error, exit 2."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty-keras-home"))
    target = tmp_path / "m.keras"
    code, _, err = run(capsys, "build", SPECS / "age_gender.yaml", "-o", target)
    if code == 0:
        pytest.fail("ImageNet weights downloaded: this test needs a machine without network")
    assert code == 2
    assert "--no-weights" in err
    assert not target.exists()


@pytest.mark.slow
def test_build_no_weights_and_set(capsys, tmp_path, keras):
    target = tmp_path / "ag.keras"
    code, out, err = run(capsys, "build", SPECS / "age_gender.yaml", "-o", target,
                         "--set", "nodes.resnet.weights=null", "--set", "outputs.gender.weight=50")
    assert code == 0, err
    model = keras.models.load_model(target)
    assert model.get_compile_config()["loss_weights"] == {"age": 1, "gender": 50}


def test_check_imports_no_tensorflow():
    codes, loaded, err = cli_in_fresh_process(["check", "specs/age_gender.yaml"],
                                              ["summary", "specs/age_gender.yaml"])
    assert codes == [0, 0], err
    assert loaded == []


def test_build_prints_no_tensorflow_noise(tmp_path):
    result = subprocess.run([sys.executable, "-m", "graphspec.cli", "build",
                             str(SPECS / "multi_output.yaml"), "-o", str(tmp_path / "m.keras")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for noise in ("oneDNN", "absl::InitializeLog", "cuda", "TF_ENABLE_ONEDNN_OPTS"):
        assert noise not in result.stderr + result.stdout


def test_schema_accepts_shipped_specs_and_refuses_broken_ones(capsys):
    import jsonschema
    import yaml

    _, out, _ = run(capsys, "schema")
    validator = jsonschema.Draft202012Validator(json.loads(out))
    for path in SPECS.glob("*.yaml"):
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == [], path
    for case in ("unknown-field", "unknown-argument", "invalid-name", "unknown-type",
                 "invalid-value", "unsupported-version"):
        data = yaml.safe_load((BROKEN / f"{case}.yaml").read_text())
        assert list(validator.iter_errors(data)), case


def test_check_only_specs_skips_other_yaml(capsys, tmp_path):
    other = tmp_path / "ci.yaml"
    other.write_text("jobs: {test: {run: pytest}}\n")
    code, out, _ = run(capsys, "check", "--only-specs", other, SPECS / "multi_input.yaml")
    assert code == 0 and "ci.yaml" not in out and "multi_input.yaml: ok" in out
    code, _, err = run(capsys, "check", other)
    assert code == 1 and "[missing-field]" in err


def test_pre_commit_hook_definition():
    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "graphspec-check"
    assert hook["entry"] == "graphspec check --only-specs"
    assert hook["language"] == "python"


def test_an_invalid_node_reports_no_consequences(capsys):
    code, _, err = run(capsys, "summary", "--set", "nodes.x=5", SPECS / "multi_input.yaml")
    assert code == 1
    assert err.strip().splitlines() == [
        f"{SPECS / 'multi_input.yaml'}:12:7: error: node 'x' must be a mapping with a `type`; "
        "received an integer  [invalid-value]"]


def test_build_into_a_missing_folder_fails_before_building(capsys, tmp_path):
    code, _, err = run(capsys, "build", SPECS / "multi_input.yaml", "-o",
                       tmp_path / "missing" / "m.keras")
    assert code == 2 and "its folder does not exist" in err
