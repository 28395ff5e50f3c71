"""`Backbone`: a keras.applications model (include_top=False) as one node.

Shapes and parameter counts come from the generated table in backbone_table.py
(tools/gen_backbone_table.py), so nothing here imports TensorFlow or Keras until
`to_keras` runs.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Literal, Optional

from pydantic import field_validator
from pydantic_core import PydanticCustomError

from graphspec.errors import BuildError

from graphspec.ops.backbone_table import BACKBONES
from graphspec.ops.base import Args, Op, Shape, ShapeError, register

MODEL_NAMES = tuple(sorted(BACKBONES))


class ChainError(ValueError):
    """A spatial op of the chain cannot take the size it is given."""


def _window(n, k, s, d, pad):
    if n is None:
        return None
    if pad == "same":
        return (n - 1) // s + 1
    out = (n - ((k - 1) * d + 1)) // s + 1
    if out <= 0:
        raise ChainError(f"a {k}x{k} window (stride {s}, 'valid') would leave a size of {out}")
    return out


def eval_chain(chain, h, w):
    """Height and width after the spatial ops of `chain`, as Keras computes them.

    Ops (plain tuples):
      ("win", kh, kw, sh, sw, dh, dw, "same"|"valid")  conv or pooling window;
      ("pad", top, bottom, left, right)                 ZeroPadding2D;
      ("crop", top, bottom, left, right)                Cropping2D;
      ("cpad", kh, kw)  ZeroPadding2D(imagenet_utils.correct_pad(x, (kh, kw))):
          pads (k//2 - adjust, k//2) where adjust is 1 when the height is unknown,
          else 1 - size % 2 per axis; Keras fails when only the width is unknown.
    None (unknown) sizes stay None. Raises ChainError where Keras refuses.
    """
    for op in chain:
        kind = op[0]
        if kind == "win":
            _, kh, kw, sh, sw, dh, dw, pad = op
            h, w = _window(h, kh, sh, dh, pad), _window(w, kw, sw, dw, pad)
        elif kind == "pad":
            _, t, b, l, r = op
            h = None if h is None else h + t + b
            w = None if w is None else w + l + r
        elif kind == "crop":
            _, t, b, l, r = op
            if h is not None:
                if t + b >= h:
                    raise ChainError(f"cropping {t + b} rows from {h}")
                h -= t + b
            if w is not None:
                if l + r >= w:
                    raise ChainError(f"cropping {l + r} columns from {w}")
                w -= l + r
        elif kind == "cpad":
            _, kh, kw = op
            if h is None:
                adjust = (1, 1)
            elif w is None:
                raise ChainError("correct_pad needs the width known when the height is")
            else:
                adjust = (1 - h % 2, 1 - w % 2)
            h = None if h is None else h + 2 * (kh // 2) - adjust[0]
            w = None if w is None else w + 2 * (kw // 2) - adjust[1]
        else:  # pragma: no cover - table and code out of step
            raise AssertionError(f"unknown chain op {op!r}")
    return h, w


def _fmt(n):
    return "?" if n is None else str(n)


class BackboneArgs(Args):
    model: str
    weights: Optional[str] = "imagenet"
    pooling: Optional[Literal["avg", "max"]] = None

    @field_validator("model")
    @classmethod
    def _known_model(cls, v: str) -> str:
        if v not in BACKBONES:
            lower = {m.lower(): m for m in MODEL_NAMES}
            close = [lower[c] for c in difflib.get_close_matches(
                v.lower(), list(lower), n=1, cutoff=0.6)]
            raise PydanticCustomError(
                "unknown-backbone",
                "unknown backbone model '{value}'; expected one of keras.applications' "
                "models{hint}",
                {"value": v, "hint": f"; did you mean '{close[0]}'?" if close else ""})
        return v

    @field_validator("weights")
    @classmethod
    def _weights(cls, v):
        # A weights file is read as arrays only: HDF5 (`.weights.h5`, `.h5`). A `.keras`
        # archive or a pickle could carry a model's code, so they are refused.
        if v is None or v == "imagenet" or (v.strip() and v.endswith(".h5")):
            return v
        raise PydanticCustomError(
            "invalid-value", "Received an invalid value for `weights`, expected imagenet, "
            "null or the path of an HDF5 weights file (.weights.h5 or .h5). Received: "
            "weights='{value}'", {"value": v})


@register("Backbone")
class Backbone(Op):
    Args = BackboneArgs

    def __init__(self, name: str, args: BackboneArgs):
        super().__init__(name, args)
        self.weights_path: str | None = None  # resolved by the loader (relative to the spec)
        self.load_weights: bool = True

    # ------------------------------------------------------------ static rules
    @property
    def entry(self) -> dict:
        return BACKBONES[self.args.model]

    def _check(self, in_shapes: list[Shape]) -> tuple:
        model = self.args.model
        (shape,) = in_shapes
        if len(shape) != 3:
            raise ShapeError(
                f"{model} takes images of shape (height, width, channels); "
                f"received rank-{len(shape)} shape {tuple(shape)}",
                hint="add a Reshape to (height, width, channels) before the backbone",
            )
        h, w, c = shape
        if c is None:
            raise ShapeError(
                f"{model} needs a known number of input channels; received {tuple(shape)}",
                hint="give the input a fixed channel count",
            )
        for n in (h, w, c):
            if n is not None and n < 1:
                raise ShapeError(f"{model} cannot take an input of shape {tuple(shape)}")
        e = self.entry
        imagenet = self.args.weights == "imagenet"
        if imagenet and c != 3:
            raise ShapeError(
                f"{model} with imagenet weights needs 3 input channels; received {c}",
                hint="use 3-channel (RGB) inputs, or set weights: null to train from scratch",
                field="weights",
            )
        if imagenet and model.startswith("NASNet") and (h is None or w is None):
            raise ShapeError(
                f"{model} with imagenet weights needs a static input size; "
                f"received {_fmt(h)}x{_fmt(w)}",
                hint="give the input a fixed height and width, or set weights: null",
                field="weights",
            )
        m = e["min_size"]
        if e["min_rule"] == "each":
            small = (h is not None and h < m) or (w is not None and w < m)
        else:  # checked only when both sides are known (MobileNetV3)
            small = bool(h and w) and (h < m or w < m)
        if small:
            raise ShapeError(
                f"{model} needs inputs of at least {m}x{m}; received {_fmt(h)}x{_fmt(w)}",
                hint=f"resize the images to at least {m}x{m} "
                f"(the model was trained on {e['default_size']}x{e['default_size']})",
            )
        try:
            out_h, out_w = eval_chain(e["chain"], h, w)
            for a, b in e["constraints"]:
                if eval_chain(a, h, w) != eval_chain(b, h, w):
                    raise ChainError("its branches would have different sizes")
        except ChainError as err:
            raise ShapeError(
                f"{model} cannot take inputs of {_fmt(h)}x{_fmt(w)}: {err}",
                hint="use a larger input size, with both height and width known",
            ) from None
        return h, w, c, out_h, out_w

    def infer(self, in_shapes: list[Shape]) -> Shape:
        _, _, _, out_h, out_w = self._check(in_shapes)
        channels = self.entry["channels"]
        if self.args.pooling is not None:
            return (channels,)
        return (out_h, out_w, channels)

    def params(self, in_shapes: list[Shape]) -> tuple[int, int]:
        _, w, c, _, _ = self._check(in_shapes)
        e = self.entry
        rule = e["params"]
        if w is None and e["params_dynamic"] is not None:
            rule = e["params_dynamic"]  # NASNet builds another graph for unknown widths
        a, b, ta, tb = rule
        total = a + b * c
        trainable = ta + tb * c if self.args.trainable else 0
        return total, trainable

    # ------------------------------------------------------------ Keras
    def prepare(self, *, base_dir, load_weights: bool) -> None:
        """Resolve a weights file relative to the spec; `load_weights=False` skips them."""
        self.load_weights = load_weights
        weights = self.args.weights
        if weights in (None, "imagenet") or not load_weights:
            return
        path = Path(base_dir) / Path(weights).expanduser()
        if not path.is_file():
            raise BuildError(
                f"node '{self.name}': weights file '{weights}' not found (looked for {path})",
                hint="give a path relative to the spec file, or build with --no-weights")
        self.weights_path = str(path)

    def keras_weights(self):
        weights = self.args.weights
        if not self.load_weights or weights is None:
            return None
        if weights == "imagenet":
            return "imagenet"
        return self.weights_path or weights

    def to_keras(self, keras, inputs: list):
        (x,) = inputs
        shape = tuple(x.shape[1:])
        app = getattr(keras.applications, self.args.model)
        kwargs = dict(
            include_top=False,
            weights=self.keras_weights(),
            input_shape=shape,
            pooling=self.args.pooling,
        )
        # EfficientNetV2* look their block configuration up by `name`
        # (DEFAULT_BLOCKS_ARGS[name]), so they are renamed after the build instead
        renamed = self.args.model.startswith("EfficientNetV2")
        if not renamed:
            kwargs["name"] = self.name
        try:
            model = app(**kwargs)
        except Exception as exc:  # Keras reports downloads and bad files this way
            if kwargs["weights"] is None:
                raise
            raise self._weights_error(exc) from exc
        if renamed:
            model.name = self.name
        model.trainable = self.args.trainable
        return model(x)

    def _weights_error(self, exc: Exception) -> BuildError:
        if self.args.weights == "imagenet":
            return BuildError(
                f"node '{self.name}': cannot get the ImageNet weights of {self.args.model} "
                f"(no network, and none in Keras' cache ~/.keras/models): {exc}",
                hint=f"build with --no-weights (Python: load_weights=False), or "
                     f"--set nodes.{self.name}.weights=null, for random weights")
        return BuildError(
            f"node '{self.name}': cannot load weights file '{self.weights_path}' into "
            f"{self.args.model}: {exc}",
            hint="the file must hold the weights of this model without its top, for this "
                 "input shape")
