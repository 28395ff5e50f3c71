"""Property-based fuzzing of the whole pipeline: any input ends in a model (or a checked
spec) or in SpecError with located diagnostics; never another exception, never a
traceback from the CLI.

Bounded in CI; a longer run: GRAPHSPEC_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py
(docs/security.md records what the long run tried).
"""
from __future__ import annotations

import os
import string

import networkx as nx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SPECS, keras_counts
from graphspec import CheckedSpec, SpecError, check_spec, compile_spec
from graphspec.cli import main
from graphspec.source import parse_text

EXAMPLES = int(os.environ.get("GRAPHSPEC_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
SHIPPED = {p.name: p.read_text() for p in sorted(SPECS.glob("*.yaml"))}

names = st.sampled_from(["x", "y", "h1", "h2", "h3", "out", "merge", "bad-name", "",
                         "flat", "img"])
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30),
                    st.floats(allow_nan=True), st.text(max_size=8),
                    st.sampled_from(["relu", "mse", "adam", "Dense", "os.system",
                                     "!!python/object", "imagenet"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8)


@st.composite
def node_dicts(draw):
    node = {"type": draw(st.sampled_from(["Dense", "Dropout", "Activation", "Flatten",
                                          "Concatenate", "Add", "Backbone", "Lambda",
                                          "Conv2D"]))}
    node["from"] = draw(st.one_of(names, st.lists(names, max_size=3)))
    for key in draw(st.lists(st.sampled_from(["units", "activation", "rate", "axis",
                                              "use_bias", "model", "weights", "pooling",
                                              "trainable", "seed", "unit", "extra"]),
                             max_size=4)):
        node[key] = draw(st.one_of(values, st.integers(-3, 600),
                                   st.sampled_from(["relu", "ResNet50", "avg", None])))
    return node


@st.composite
def spec_dicts(draw):
    spec = {"graphspec": draw(st.sampled_from([1, 1, 1, 2, "1", None])),
            "name": draw(st.sampled_from(["m", "model_1", "bad name", 3]))}
    spec["inputs"] = draw(st.dictionaries(
        names, st.fixed_dictionaries({"shape": st.lists(
            st.one_of(st.integers(-1, 40), st.none()), max_size=4)}), max_size=3))
    spec["nodes"] = draw(st.dictionaries(names, node_dicts(), max_size=6))
    spec["outputs"] = draw(st.one_of(
        st.lists(names, max_size=3),
        st.dictionaries(names, st.fixed_dictionaries({}, optional={
            "loss": st.sampled_from(["mse", "mae", "msee", None]),
            "metrics": st.one_of(st.just("mae"), st.lists(st.sampled_from(["mae", "acc", "x"]))),
            "weight": st.one_of(st.floats(), st.integers(-2, 100))}), max_size=2)))
    if draw(st.booleans()):
        spec[draw(st.sampled_from(["compile", "nodez", "extra"]))] = draw(values)
    return spec


def assert_located(exc: SpecError) -> None:
    assert exc.errors, "a SpecError carries at least one error"
    for d in exc.diagnostics:
        assert d.line >= 1 and d.col >= 1 and d.code and d.message
        assert "Traceback" not in d.message


def check_any(source) -> CheckedSpec | None:
    try:
        return check_spec(source)
    except SpecError as exc:
        assert_located(exc)
        return None


@FUZZ
@given(spec=spec_dicts())
def test_generated_specs_check_or_fail_cleanly(spec):
    check_any(spec)


@FUZZ
@given(spec=spec_dicts())
def test_generated_specs_as_yaml_files(spec, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "spec.yaml"
    try:
        text = yaml.safe_dump(spec, sort_keys=False)
    except yaml.YAMLError:
        return
    path.write_text(text)
    code = main(["check", str(path)])
    assert code in (0, 1)


@st.composite
def mutated_texts(draw):
    text = SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))]
    lines = text.splitlines(keepends=True)
    how = draw(st.sampled_from(["delete_line", "truncate", "insert", "replace_value",
                                "deep", "duplicate_line"]))
    if how == "delete_line":
        del lines[draw(st.integers(0, len(lines) - 1))]
        return "".join(lines)
    if how == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if how == "insert":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.text(alphabet=string.printable, max_size=12)) + text[at:]
    if how == "duplicate_line":
        i = draw(st.integers(0, len(lines) - 1))
        return "".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])
    if how == "deep":
        depth = draw(st.integers(1, 200))
        return text.replace("weight: 1}", "weight: " + "[" * depth + "1" + "]" * depth + "}")
    value = draw(st.sampled_from(["10000000000000000000000000000000", "-1", "0", "''",
                                  "[]", "{}", "null", "1.5", ".nan", ".inf", "!!binary AA==",
                                  "&a [*a]", "relu", "[1, [2, [3]]]"]))
    tokens = [t for t in ("512", "relu", "mae", "200", "3]", "99", "dense1", "adam",
                          "ResNet50", "128", "64", "true")
              if t in text]
    token = draw(st.sampled_from(tokens))
    return text.replace(token, value, 1)


@FUZZ
@given(text=mutated_texts())
def test_mutated_shipped_specs(text):
    try:
        source = parse_text(text, "mutant.yaml")
    except SpecError as exc:
        assert_located(exc)
        return
    check_any(source)


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes_through_the_cli(data, tmp_path_factory, capsys):
    path = tmp_path_factory.mktemp("bytes") / "spec.yaml"
    path.write_bytes(data)
    assert main(["check", str(path)]) in (0, 1)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err


# --- valid generated specs: static inference equals what Keras builds -----------------------

@st.composite
def valid_specs(draw):
    width = draw(st.integers(1, 12))
    spec = {"graphspec": 1, "name": "fuzzed",
            "inputs": {"x": {"shape": [width]},
                       "img": {"shape": [draw(st.integers(1, 5)), draw(st.integers(1, 5)),
                                         draw(st.integers(1, 3))]}},
            "nodes": {"flat": {"type": "Flatten", "from": "img"}}}
    available = ["x", "flat"]
    for i in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["Dense", "Dropout", "Activation", "Concatenate", "Add"]))
        name = f"n{i}"
        if kind == "Dense":
            node = {"type": "Dense", "units": draw(st.integers(1, 9)),
                    "use_bias": draw(st.booleans()), "trainable": draw(st.booleans()),
                    "activation": draw(st.sampled_from(["relu", "tanh", "linear", None]))}
            node["from"] = draw(st.sampled_from(available))
        elif kind in ("Dropout", "Activation"):
            node = {"type": kind, "from": draw(st.sampled_from(available))}
            node.update({"rate": 0.3} if kind == "Dropout" else {"activation": "softmax"})
        else:
            pair = draw(st.lists(st.sampled_from(available), min_size=2, max_size=3))
            node = {"type": kind, "from": pair}
        spec["nodes"][name] = node
        available.append(name)
    spec["outputs"] = [available[-1]] if available[-1] != "flat" else ["flat"]
    return spec


@settings(max_examples=max(10, EXAMPLES // 10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(spec=valid_specs())
def test_valid_generated_specs_match_keras(keras, spec):
    checked = check_any(spec)
    if checked is None:  # e.g. Add of unequal widths: Keras must refuse it too
        with pytest.raises(Exception):
            _keras_direct(keras, spec)
        return
    model = compile_spec(checked)
    # Keras keeps only what the outputs depend on; the rest was a warning (`unused`).
    used = set(checked.spec.outputs)
    for output in checked.spec.outputs:
        used |= nx.ancestors(checked.graph, output)
    assert {layer.name for layer in model.layers} == used | set(checked.spec.inputs)
    for name in checked.order:
        if name not in used:
            continue
        layer = model.get_layer(name)
        assert tuple(layer.output.shape[1:]) == checked.shapes[name], name
        assert keras_counts(layer) == checked.params.get(name, (0, 0)), name


def _keras_direct(keras, spec):
    """The spec written by hand with the Keras functional API (no graphspec involved)."""
    tensors = {n: keras.Input(shape=tuple(i["shape"])) for n, i in spec["inputs"].items()}
    for name, node in spec["nodes"].items():
        args = {k: v for k, v in node.items() if k not in ("type", "from", "trainable")}
        sources = node["from"] if isinstance(node["from"], list) else [node["from"]]
        inputs = [tensors[s] for s in sources]
        tensors[name] = getattr(keras.layers, node["type"])(**args)(
            inputs if len(inputs) > 1 else inputs[0])
    return tensors
