"""Core layers: Dense, Dropout, Activation, Flatten."""
from __future__ import annotations

from math import prod
from typing import Annotated, Optional

from pydantic import Field

from .base import ActivationName, Args, Op, PositiveInt, Shape, ShapeError, register


@register("Dense")
class Dense(Op):
    class Args(Args):
        units: PositiveInt
        activation: Optional[ActivationName] = None
        use_bias: bool = True

    def infer(self, in_shapes: list[Shape]) -> Shape:
        (shape,) = in_shapes
        if len(shape) == 0:
            raise ShapeError("Dense needs an input with a feature axis; received a scalar "
                             "per sample")
        if len(shape) > 2:
            raise ShapeError(
                f"Dense on an unflattened input of shape {format_shape(shape)}",
                hint="put a Flatten (or a pooling Backbone) before it")
        if shape[-1] is None:
            raise ShapeError("Dense needs a known last dimension; received "
                             f"{format_shape(shape)}")
        return shape[:-1] + (self.args.units,)  # (batch, ..., units)

    def params(self, in_shapes: list[Shape]) -> tuple[int, int]:
        features = in_shapes[0][-1]
        total = features * self.args.units + (self.args.units if self.args.use_bias else 0)
        return total, total if self.args.trainable else 0


@register("Dropout")
class Dropout(Op):
    class Args(Args):
        rate: Annotated[float, Field(ge=0, lt=1)]
        seed: Optional[int] = None

    def infer(self, in_shapes: list[Shape]) -> Shape:
        return in_shapes[0]


@register("Activation")
class Activation(Op):
    class Args(Args):
        activation: ActivationName

    def infer(self, in_shapes: list[Shape]) -> Shape:
        return in_shapes[0]


@register("Flatten")
class Flatten(Op):
    def infer(self, in_shapes: list[Shape]) -> Shape:
        (shape,) = in_shapes
        if any(d is None for d in shape):
            return (None,)
        return (prod(shape),)  # (batch, h * w * c)


def format_shape(shape: Shape) -> str:
    """A shape as Keras prints it, batch axis included: (None, 7, 7, 2048)."""
    return "(" + ", ".join(["None"] + ["None" if d is None else str(d) for d in shape]) + ")"
