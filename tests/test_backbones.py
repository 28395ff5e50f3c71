"""Backbone shapes and parameter counts against models Keras actually builds.

Every keras.applications model is built (weights=None) at its minimum size with one
input channel, at an odd, non-square size with three channels and global pooling,
and with unknown height and width; the static numbers from the generated table must
match Keras exactly, and the sizes Keras refuses must be refused.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import warnings

import numpy as np
import pytest
from pydantic import ValidationError

from graphspec.ops.backbone import Backbone, BackboneArgs, eval_chain
from graphspec.ops.backbone_table import BACKBONES
from graphspec.ops.base import ShapeError

from graphspec.emit import import_keras

keras = import_keras()

MODELS = sorted(BACKBONES)

# Models whose three builds take more than a few seconds on a 2-core machine.
HEAVY = {
    "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtXLarge",
    "DenseNet169", "DenseNet201",
    "EfficientNetB3", "EfficientNetB4", "EfficientNetB5", "EfficientNetB6",
    "EfficientNetB7", "EfficientNetV2B3", "EfficientNetV2L", "EfficientNetV2M",
    "EfficientNetV2S", "InceptionResNetV2", "NASNetLarge", "NASNetMobile",
    "ResNet101", "ResNet101V2", "ResNet152", "ResNet152V2",
}


def models_param():
    return [
        pytest.param(m, marks=pytest.mark.slow) if m in HEAVY else m for m in MODELS
    ]


def test_table_covers_keras_applications():
    names = sorted(n for n in dir(keras.applications) if n[:1].isupper())
    assert names == MODELS
    assert len(MODELS) == 40


def op(model, **kw):
    kw.setdefault("weights", None)
    return Backbone("bb", BackboneArgs(model=model, **kw))


def counts(model):
    total = int(model.count_params())
    trainable = int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
    return total, trainable


def keras_build(name, shape, pooling=None, weights=None):
    """(output shape without batch, total, trainable) or the exception Keras raised."""
    keras.backend.clear_session()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            m = getattr(keras.applications, name)(
                include_top=False, weights=weights, input_shape=shape, pooling=pooling
            )
        except (ValueError, TypeError) as e:
            return e
    return m


def static(name, shape, pooling=None, trainable=True):
    o = op(name, pooling=pooling, trainable=trainable)
    return o.infer([shape]), o.params([shape])


def odd_nonsquare(name):
    m = BACKBONES[name]["min_size"]
    return (m - m % 2 + 37, m + 50)  # odd height, a different (odd or even) width


# ----------------------------------------------------------------- every model
@pytest.mark.parametrize("name", models_param())
def test_min_size_one_channel_via_to_keras(name):
    """At min_size with 1 channel, built through Backbone.to_keras, frozen."""
    m = BACKBONES[name]["min_size"]
    shape = (m, m, 1)
    o = op(name, trainable=False)
    keras.backend.clear_session()
    inp = keras.Input(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = o.to_keras(keras, [inp])
    outer = keras.Model(inp, out)
    inner = outer.layers[-1]
    assert inner.name == "bb"
    assert tuple(out.shape[1:]) == o.infer([shape])
    assert counts(outer) == o.params([shape])
    assert o.params([shape])[1] == 0
    # trainable counts as Keras sees them when the backbone is trainable
    inner.trainable = True
    assert counts(outer) == op(name).params([shape])


@pytest.mark.parametrize("name", models_param())
def test_odd_nonsquare_three_channels_pooled(name):
    shape = odd_nonsquare(name) + (3,)
    pooling = "avg" if MODELS.index(name) % 2 else "max"
    m = keras_build(name, shape, pooling=pooling)
    assert not isinstance(m, Exception), m
    assert tuple(m.outputs[0].shape[1:]) == static(name, shape, pooling)[0]
    assert counts(m) == static(name, shape, pooling)[1]
    # the unpooled map: the layer feeding the global pooling (ConvNeXt puts a
    # LayerNormalization after it)
    gp = (keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D)
    pool_in = [layer for layer in m.layers if isinstance(layer, gp)][-1].input
    assert tuple(pool_in.shape[1:]) == static(name, shape)[0]


@pytest.mark.parametrize("name", models_param())
def test_unknown_size_and_symbolic_sizes(name):
    shape = (None, None, 3)
    m = keras_build(name, shape)
    assert not isinstance(m, Exception), m
    assert tuple(m.outputs[0].shape[1:]) == static(name, shape)[0]
    assert counts(m) == static(name, shape)[1]
    if BACKBONES[name]["cpad"]:
        # correct_pad pads by the static size: a (None, None) build is not truthful
        # for other sizes, so those models are checked with real builds only
        return
    mn = BACKBONES[name]["min_size"]
    for hw in [(mn, mn), (mn + 1, mn + 3), (mn + 12, 2 * mn + 5), (299, 224), (513, 97)]:
        got = m.compute_output_shape((1,) + hw + (3,))
        assert tuple(got[1:]) == static(name, hw + (3,))[0], hw


# ----------------------------------------------------------------- refusals
def test_resnet50_16x16_refused_like_keras():
    with pytest.raises(ShapeError) as err:
        op("ResNet50").infer([(16, 16, 3)])
    assert err.value.message == "ResNet50 needs inputs of at least 32x32; received 16x16"
    assert err.value.hint
    assert isinstance(keras_build("ResNet50", (16, 16, 3)), ValueError)


@pytest.mark.parametrize(
    "name,shape",
    [("ResNet50", (31, 64, 3)), ("ResNet50", (None, 31, 3)), ("Xception", (70, 70, 3)),
     ("InceptionV3", (74, 200, 3)), ("InceptionResNetV2", (100, 74, 1)),
     ("MobileNetV3Small", (31, 31, 3)), ("DenseNet121", (8, None, 3))],
)
def test_below_min_size_refused_like_keras(name, shape):
    with pytest.raises(ShapeError, match="at least"):
        op(name).infer([shape])
    assert isinstance(keras_build(name, shape), ValueError)


@pytest.mark.parametrize("name", ["ResNet50", "MobileNetV3Small", "EfficientNetB0"])
def test_imagenet_needs_three_channels(name):
    with pytest.raises(ShapeError, match="3 input channels") as err:
        op(name, weights="imagenet").infer([(64, 64, 1)])
    assert err.value.field == "weights"
    op(name, weights="imagenet").infer([(64, 64, 3)])
    if name != "MobileNetV3Small":  # V3 only fails later, when loading the weights
        assert isinstance(keras_build(name, (64, 64, 1), weights="imagenet"), ValueError)


def test_nasnet_imagenet_needs_static_size():
    with pytest.raises(ShapeError, match="static input size"):
        op("NASNetMobile", weights="imagenet").infer([(None, None, 3)])
    op("NASNetMobile", weights="imagenet").infer([(224, 224, 3)])
    assert isinstance(keras_build("NASNetMobile", (None, 224, 3), weights="imagenet"),
                      ValueError)


@pytest.mark.parametrize(
    "name,hw",
    [("MobileNetV3Small", (None, 16)), ("MobileNetV3Small", (None, 40)),
     ("MobileNetV3Small", (40, None)), ("MobileNetV3Large", (8, None)),
     ("EfficientNetB0", (None, 33)), ("EfficientNetB0", (33, None)),
     ("MobileNetV2", (None, 35)), ("ResNet50", (None, 45)), ("ResNet50V2", (45, None)),
     ("VGG16", (None, 37)), ("ConvNeXtTiny", (33, None)),
     pytest.param("NASNetMobile", (None, 37), marks=pytest.mark.slow),
     pytest.param("NASNetMobile", (None, 64), marks=pytest.mark.slow),
     pytest.param("NASNetMobile", (64, None), marks=pytest.mark.slow)],
)
def test_partly_unknown_sizes_like_keras(name, hw):
    shape = hw + (3,)
    m = keras_build(name, shape)
    if isinstance(m, Exception):
        with pytest.raises(ShapeError):
            op(name).infer([shape])
    else:
        assert tuple(m.outputs[0].shape[1:]) == static(name, shape)[0]
        assert counts(m) == static(name, shape)[1]


# ----------------------------------------------------------------- static only
def test_unknown_model_hint():
    with pytest.raises(ValidationError, match="did you mean 'ResNet50'"):
        BackboneArgs(model="ResNet5")
    with pytest.raises(ValidationError, match="expected one of keras.applications"):
        BackboneArgs(model="Nonsense")
    with pytest.raises(ValidationError, match="did you mean 'MobileNetV2'"):
        BackboneArgs(model="mobilenetv2")


def test_args_defaults_and_strictness():
    a = BackboneArgs(model="VGG16")
    assert a.weights == "imagenet" and a.pooling is None and a.trainable
    with pytest.raises(ValidationError):
        BackboneArgs(model="VGG16", pooling="mean")
    with pytest.raises(ValidationError):
        BackboneArgs(model="VGG16", include_top=True)
    assert BackboneArgs(model="VGG16", weights="w/vgg.h5").weights == "w/vgg.h5"


def test_rank_and_channels_checked():
    with pytest.raises(ShapeError, match="rank-2"):
        op("VGG16").infer([(32, 32)])
    with pytest.raises(ShapeError, match="channels"):
        op("VGG16").infer([(32, 32, None)])


def test_frozen_and_pooled_static():
    o = op("ResNet50", pooling="avg", trainable=False)
    assert o.infer([(224, 224, 3)]) == (2048,)
    total, trainable = o.params([(224, 224, 3)])
    assert total == 23587712 and trainable == 0  # the well-known ResNet50 notop count
    assert op("ResNet50").infer([(224, 224, 3)]) == (7, 7, 2048)
    assert op("ResNet50").infer([(None, 224, 3)]) == (None, 7, 2048)


def test_keras_weights_choice():
    o = Backbone("b", BackboneArgs(model="VGG16", weights="weights/vgg.h5"))
    assert o.keras_weights() == "weights/vgg.h5"
    o.weights_path = "/abs/weights/vgg.h5"
    assert o.keras_weights() == "/abs/weights/vgg.h5"
    o.load_weights = False
    assert o.keras_weights() is None
    assert Backbone("b", BackboneArgs(model="VGG16")).keras_weights() == "imagenet"
    assert Backbone("b", BackboneArgs(model="VGG16", weights=None)).keras_weights() is None


def test_chain_eval_rules():
    same = ("win", 3, 3, 2, 2, 1, 1, "same")
    valid = ("win", 3, 3, 2, 2, 1, 1, "valid")
    assert eval_chain((same,), 7, None) == (4, None)
    assert eval_chain((valid,), 7, 8) == (3, 3)
    assert eval_chain((("pad", 1, 2, 0, 1), ("crop", 1, 0, 0, 0)), 5, 5) == (7, 6)
    assert eval_chain((("cpad", 3, 3),), 7, 8) == (9, 9)
    assert eval_chain((("cpad", 3, 3),), None, 7) == (None, 8)
