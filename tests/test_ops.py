"""Every core op: static shape and parameters against the Keras layer, across shapes;
refusals where Keras refuses too."""
from __future__ import annotations

import pytest

from conftest import keras_counts, spec_with
from graphspec import SpecError, check_spec
from graphspec.ops import REGISTRY

# (type, arguments, input shapes without batch axis)
CASES = [
    ("Dense", {"units": 5}, [(3,)]),
    ("Dense", {"units": 7, "activation": "relu"}, [(128,)]),
    ("Dense", {"units": 4, "use_bias": False}, [(9,)]),
    ("Dense", {"units": 3, "trainable": False}, [(6,)]),
    ("Dense", {"units": 6, "activation": "gelu"}, [(None, 10)]),
    ("Dense", {"units": 2}, [(5, 10)]),
    ("Dropout", {"rate": 0.5}, [(8,)]),
    ("Dropout", {"rate": 0.0, "seed": 3}, [(4, 4, 2)]),
    ("Activation", {"activation": "softmax"}, [(10,)]),
    ("Activation", {"activation": "tanh"}, [(2, 3)]),
    ("Flatten", {}, [(7, 7, 2048)]),
    ("Flatten", {}, [(5,)]),
    ("Flatten", {}, [(None, 4)]),
    ("Flatten", {}, [(3, 1, 2, 2)]),
    ("Concatenate", {}, [(4,), (4,)]),
    ("Concatenate", {}, [(4,), (6,), (1,)]),
    ("Concatenate", {"axis": 1}, [(2, 5), (3, 5)]),
    ("Concatenate", {"axis": -2}, [(2, 5), (3, 5)]),
    ("Concatenate", {"axis": 3}, [(4, 4, 2), (4, 4, 8)]),
    ("Concatenate", {}, [(None, 3), (None, 5)]),
    ("Concatenate", {"axis": 1}, [(None, 3), (4, 3)]),
    ("Add", {}, [(4,), (4,)]),
    ("Add", {}, [(4, 3), (1, 3)]),
    ("Add", {}, [(4, 3), (3,)]),
    ("Add", {}, [(None, 3), (5, 3), (5, 1)]),
    ("Add", {}, [(2, 1), (1, 3)]),
    ("Add", {}, [(None,), (1,)]),
    ("Add", {}, [(3, 3), (3,)]),
]

# Specs Keras refuses too.
REFUSED = [
    ("Concatenate", {}, [(8, 8, 3), (4,)]),
    ("Concatenate", {}, [(2, 5), (3, 5)]),
    ("Concatenate", {"axis": 1}, [(2, 5), (3, 4)]),
    ("Concatenate", {"axis": 0}, [(2,), (3,)]),
    ("Add", {}, [(4,), (5,)]),
    ("Add", {}, [(4, 3), (2, 3)]),
    ("Add", {}, [(4, 3), (3, 1)]),
]


def make_spec(type_name, args, shapes):
    inputs = {f"in{i}": s for i, s in enumerate(shapes)}
    sources = list(inputs) if REGISTRY[type_name].max_inputs != 1 else "in0"
    return spec_with({"op": {"type": type_name, "from": sources, **args}}, inputs, ["op"])


def keras_layer(keras, type_name, args, shapes):
    tensors = [keras.Input(shape=s) for s in shapes]
    kwargs = {k: v for k, v in args.items() if k != "trainable"}
    layer = getattr(keras.layers, type_name)(**kwargs)
    layer.trainable = args.get("trainable", True)
    output = layer(tensors if len(tensors) > 1 else tensors[0])
    return layer, tuple(output.shape[1:])


@pytest.mark.parametrize("type_name,args,shapes", CASES, ids=str)
def test_shape_and_params_equal_keras(keras, type_name, args, shapes):
    checked = check_spec(make_spec(type_name, args, shapes))
    layer, shape = keras_layer(keras, type_name, args, shapes)
    assert checked.shapes["op"] == shape
    assert checked.params["op"] == keras_counts(layer)


@pytest.mark.parametrize("type_name,args,shapes", REFUSED, ids=str)
def test_refused_like_keras(keras, type_name, args, shapes):
    with pytest.raises(SpecError) as info:
        check_spec(make_spec(type_name, args, shapes))
    assert {d.code for d in info.value.errors} <= {"shape-mismatch", "invalid-value"}
    with pytest.raises(ValueError):
        keras_layer(keras, type_name, args, shapes)


def test_dense_on_an_image_is_refused_on_purpose():
    # Keras would apply Dense to the last axis; the spec format calls this a mismatch.
    with pytest.raises(SpecError) as info:
        check_spec(make_spec("Dense", {"units": 4}, [(8, 8, 3)]))
    assert info.value.errors[0].code == "shape-mismatch"
    assert "Flatten" in info.value.errors[0].hint


def test_every_registered_type_is_tested():
    tested = {c[0] for c in CASES} | {"Backbone"}
    assert set(REGISTRY) <= tested
