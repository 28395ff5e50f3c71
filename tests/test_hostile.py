"""Untrusted specs: hostile YAML, impossible models, interrupted writes, and proof that
no spec text ever resolves to Python code."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
import tracemalloc
import typing

import pytest
from pydantic import BaseModel

from conftest import SPECS, cli_in_fresh_process
from graphspec import SpecError, check_spec, compile_spec
from graphspec.cli import main
from graphspec.ops import REGISTRY
from graphspec.schema import NODE_MODELS
from graphspec.source import MAX_BYTES, parse_text


def errors_of(text: str, file="hostile.yaml"):
    with pytest.raises(SpecError) as info:
        check_spec(parse_text(text, file) if isinstance(text, str) else text)
    return info.value.errors


def code_and_place(text):
    (error,) = errors_of(text)
    return error.code, error.line, error.col


VALID = (SPECS / "multi_output.yaml").read_text()


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.system ['echo pwned']",
    "!!python/name:os.system",
    "!!python/object/new:subprocess.Popen [['id']]",
    "!!python/module:os",
    "!custom thing",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
])
def test_tags_refused_and_located(tag):
    text = VALID.replace("description: One input", f"description: {tag}\nnotes: One input")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if tag.split()[0] in l)
    code, at_line, col = code_and_place(text)
    assert (code, at_line) == ("unsupported-tag", line)
    assert col == text.splitlines()[line - 1].index(tag.split()[0]) + 1


def test_billion_laughs_refused_quickly_with_bounded_memory():
    laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        laughs.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    tracemalloc.start()
    (error,) = errors_of("\n".join(laughs) + "\n")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert error.code == "too-large"
    # Each list is itself plus 9 copies of the one before: 10, 91, 820, ... values; the
    # document adds its mapping and 9 keys.
    sizes = [10]
    for _ in range(8):
        sizes.append(1 + 9 * sizes[-1])
    assert f"expands to {1 + 9 + sum(sizes):,} values" in error.message
    assert peak < 20 * 1024 * 1024  # nothing was expanded


def test_recursive_alias_refused():
    (error,) = errors_of("graphspec: 1\nname: r\nloop: &x [*x]\n")
    assert error.code == "too-large" and "recursive" in error.message


def test_nesting_limit():
    text = VALID.replace("graphspec: 1", "graphspec: 1\ndescription: " + "[" * 100 + "]" * 100)
    code, line, _ = code_and_place(text)
    assert code == "too-large" and line == 4


def test_size_limit(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text(VALID + "#" * (MAX_BYTES + 1))
    assert main(["check", str(big)]) == 1


def test_non_utf8_located(tmp_path, capsys):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(VALID.encode().replace(b"One input", b"One \xe9input"))
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:5:18: error: the spec is not UTF-8 text (byte 0xe9" in err


def test_binary_file(tmp_path, capsys):
    path = tmp_path / "model.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert main(["check", str(path)]) == 1
    assert "[not-utf8]" in capsys.readouterr().err


@pytest.mark.parametrize("text,kind", [("- a\n- b\n", "list"), ("42\n", "int"),
                                        ("just text\n", "str"), ("", "empty"),
                                        ("~\n", "empty")])
def test_spec_must_be_a_mapping(text, kind):
    (error,) = errors_of(text)
    article = "an" if kind in ("int", "empty") else "a"
    assert error.code == "not-a-spec"
    assert f"received {article} {kind} document" in error.message


def test_several_documents_refused():
    (error,) = errors_of(VALID + "---\n" + VALID)
    assert error.code == "not-a-spec"


def test_duplicate_keys_everywhere():
    text = VALID.replace("name: multi_output", "name: multi_output\nname: other")
    code, line, col = code_and_place(text)
    assert (code, line, col) == ("duplicate-key", 5, 1)


# --- impossible models ---------------------------------------------------------------------

HUGE = """\
graphspec: 1
name: huge
inputs: {x: {shape: [1000000]}}
nodes:
  wide: {type: Dense, units: 1000000, from: x}
  head: {type: Dense, units: 1, from: wide}
outputs: [head]
"""


def test_impossible_model_refused_before_tensorflow(tmp_path):
    spec = tmp_path / "huge.yaml"
    spec.write_text(HUGE)
    codes, loaded, err = cli_in_fresh_process(["build", spec, "-o", tmp_path / "m.keras"])
    assert codes == [1]
    assert loaded == []
    assert "huge.yaml:5:3: error: the model has 1,000,002,000,001 parameters (3.6 TiB of " \
           "float32 weights), more than the" in err
    assert "[too-large-model]" in err
    assert not (tmp_path / "m.keras").exists()


def test_max_params(capsys, tmp_path):
    assert main(["build", str(SPECS / "multi_input.yaml"), "--max-params", "10000",
                 "-o", str(tmp_path / "m.keras")]) == 1
    err = capsys.readouterr().err
    assert "10,789 parameters" in err and "over the limit of 10,000 (--max-params)" in err
    assert "the largest node is 'y' with 8,256" in err
    with pytest.raises(SpecError):
        compile_spec(SPECS / "multi_input.yaml", max_params=10_000)


# --- nothing lost --------------------------------------------------------------------------

@pytest.mark.slow
def test_interrupted_save_keeps_the_previous_file(tmp_path, keras, monkeypatch, capsys):
    target = tmp_path / "model.keras"
    assert main(["build", str(SPECS / "multi_output.yaml"), "-o", str(target)]) == 0
    good = target.read_bytes()

    def interrupted_save(self, path, *args, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "save", interrupted_save)
    assert main(["build", str(SPECS / "multi_input.yaml"), "-o", str(target)]) == 130
    assert target.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]


@pytest.mark.slow
def test_ctrl_c_during_build_never_leaves_a_broken_file(tmp_path, keras):
    target = tmp_path / "model.keras"
    command = [sys.executable, "-m", "graphspec", "build",
               str(SPECS / "multi_output.yaml"), "-o", str(target)]
    subprocess.run(command, check=True, capture_output=True)
    good = target.read_bytes()
    outcomes = set()
    # From 0.5 s on, graphspec code runs (before that, Python itself is starting up).
    for delay in (0.5, 1.0, 2.0, 3.0, 3.5, 4.0, 5.0):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
        assert b"Traceback" not in err
        outcomes.add(process.returncode)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]
        if target.read_bytes() != good:  # the build finished: a whole, loadable model
            assert keras.models.load_model(target).count_params() == 8_898
            good = target.read_bytes()
    assert 130 in outcomes or outcomes == {0}


# --- no code from a spec, ever -------------------------------------------------------------

PLAIN = (str, int, float, bool, type(None))


def _plain_annotation(annotation) -> bool:
    origin = typing.get_origin(annotation)
    if origin is None:
        return annotation in PLAIN
    if origin is typing.Literal:
        return all(isinstance(a, PLAIN) for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _plain_annotation(typing.get_args(annotation)[0])
    return all(_plain_annotation(a) for a in typing.get_args(annotation))


@pytest.mark.parametrize("type_name", sorted(NODE_MODELS))
def test_node_arguments_are_plain_data(type_name):
    model: type[BaseModel] = NODE_MODELS[type_name]
    for name, field in model.model_fields.items():
        assert _plain_annotation(field.annotation), (type_name, name, field.annotation)


HOSTILE = ["os.system", "builtins.eval", "subprocess.Popen", "keras.layers.Lambda",
           "__import__('os').system('id')", "lambda x: x", "graphspec.cli.main",
           "tensorflow.raw_ops.WriteFile"]


@pytest.mark.parametrize("type_name", sorted(REGISTRY))
def test_no_string_argument_resolves_code(type_name):
    """Every string argument of every node type either refuses Python-looking text or
    keeps it as inert data (descriptions)."""
    model = NODE_MODELS[type_name]
    inert = {"description"}
    for name, field in model.model_fields.items():
        if name in ("type", "from_") or str not in _leaf_types(field.annotation):
            continue
        for text in HOSTILE:
            spec = {"graphspec": 1, "name": "h", "inputs": {"x": {"shape": [8, 8, 3]}},
                    "nodes": {"n": {"type": type_name, "from": ["x", "x"], name: text}},
                    "outputs": ["n"]}
            try:
                check_spec(spec)
            except SpecError as exc:
                if name in inert:
                    assert all(e.path[-1] != name for e in exc.errors)
                else:
                    assert any(e.path[-1] == name for e in exc.errors), (type_name, name)
            else:
                assert name in inert, (type_name, name, text)


def _leaf_types(annotation) -> set:
    args = typing.get_args(annotation)
    if not args:
        return {annotation}
    leaves = set()
    for arg in args:
        leaves |= _leaf_types(arg) if not isinstance(arg, PLAIN) else {type(arg)}
    return leaves


def test_types_and_optimizers_only_from_fixed_tables():
    for text in HOSTILE + ["Lambda", "TFSMLayer", "Layer"]:
        spec = {"graphspec": 1, "name": "h", "inputs": {"x": {"shape": [3]}},
                "nodes": {"n": {"type": text, "from": "x"}}, "outputs": ["n"]}
        assert {e.code for e in errors_of(spec)} == {"unknown-type"}
        spec = {"graphspec": 1, "name": "h", "inputs": {"x": {"shape": [3]}},
                "nodes": {"n": {"type": "Dense", "units": 1, "from": "x"}},
                "outputs": {"n": {"loss": "mse"}}, "compile": {"optimizer": {"type": text}}}
        assert {e.code for e in errors_of(spec)} == {"unknown-optimizer"}


@pytest.mark.parametrize("path", ["weights.keras", "evil.py", "model.pkl", "w.npz"])
def test_weights_files_are_only_h5_data(path):
    spec = {"graphspec": 1, "name": "h", "inputs": {"x": {"shape": [32, 32, 3]}},
            "nodes": {"n": {"type": "Backbone", "model": "MobileNetV3Small", "weights": path,
                            "from": "x"}}, "outputs": ["n"]}
    (error,) = errors_of(spec)
    assert error.code == "invalid-value" and error.path[-1] == "weights"
