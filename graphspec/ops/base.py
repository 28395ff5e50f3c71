"""The protocol every node type speaks, and the registry of node types.

A node type is one small class: its argument model (pydantic), its shape rule, its
parameter count and its Keras call, side by side. Only registered types can appear in a
spec; nothing is ever resolved from spec text to Python code.
"""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Optional, Tuple

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from .. import names  # static tables of Keras' names, verified against Keras by tests
from ..errors import did_you_mean

Shape = Tuple[Optional[int], ...]  # without the batch axis; None = unknown length

REGISTRY: dict[str, type["Op"]] = {}


class ShapeError(Exception):
    """A node cannot take the shapes it is given; `field` names the argument at fault."""

    def __init__(self, message: str, hint: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.field = field


class Args(BaseModel):
    """Arguments shared by every node type; each op extends this."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    trainable: bool = True
    description: Optional[str] = None


def register(type_name: str):
    """Class decorator adding a node type to the registry under its spec name."""

    def add(cls: type["Op"]) -> type["Op"]:
        if type_name in REGISTRY:
            raise ValueError(f"node type {type_name!r} is registered twice")
        cls.type_name = type_name
        REGISTRY[type_name] = cls
        return cls

    return add


class Op:
    """A node of the graph: validated arguments plus the rules for its type."""

    type_name: ClassVar[str]
    Args: ClassVar[type[Args]] = Args
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1

    def __init__(self, name: str, args: Args):
        self.name = name
        self.args = args

    def prepare(self, *, base_dir, load_weights: bool) -> None:
        """Called before `to_keras`: where the spec lives, whether to load weights files."""

    def infer(self, in_shapes: list[Shape]) -> Shape:
        """The output shape for these input shapes, or ShapeError."""
        raise NotImplementedError

    def params(self, in_shapes: list[Shape]) -> tuple[int, int]:
        """(total, trainable) parameter counts, as Keras counts them once built."""
        return 0, 0

    def keras_kwargs(self) -> dict[str, Any]:
        """Arguments for the Keras layer constructor, besides name and trainable."""
        return self.args.model_dump(include=set(type(self).Args.model_fields) -
                                    {"trainable", "description"})

    def to_keras(self, keras, inputs: list):
        """Apply the Keras layer to the input tensors and return its output tensor."""
        layer_cls = getattr(keras.layers, self.type_name)
        layer = layer_cls(name=self.name, **self.keras_kwargs())
        layer.trainable = self.args.trainable
        return layer(inputs if self.max_inputs != 1 else inputs[0])


def known_name(kind: str, code: str, table_name: str, accepts: str):
    """A pydantic validator taking only names Keras accepts, from the static tables."""

    def check(value: str) -> str:
        if getattr(names, accepts)(value):
            return value
        hint = did_you_mean(value, getattr(names, table_name))
        raise PydanticCustomError(
            code, "unknown {kind} '{value}'{hint}",
            {"kind": kind, "value": value, "hint": f"; {hint}" if hint else ""})

    return AfterValidator(check)


ActivationName = Annotated[str, known_name("activation", "unknown-activation", "ACTIVATIONS",
                                               "is_activation")]
PositiveInt = Annotated[int, Field(gt=0)]

