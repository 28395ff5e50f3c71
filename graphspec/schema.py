"""Stage 2: plain data -> a validated `Spec` (pydantic v2, extra fields forbidden).

The top level, inputs and heads are validated as one pydantic model; each node is then
validated by the model of its own type, so one broken node never hides the problems of
another. pydantic's errors become located diagnostics.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter,
                      ValidationError, create_model, field_validator, model_validator)
from pydantic_core import PydanticCustomError

from . import names
from .errors import Collector, did_you_mean
from .ops import REGISTRY
from .ops.base import PositiveInt, known_name

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
FORMAT_VERSION = 1
DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64",
          "uint8", "bool", "string")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class InputSpec(_Strict):
    """A model input; `shape` excludes the batch axis, null is an unknown length."""

    shape: list[Optional[PositiveInt]]
    dtype: Literal[DTYPES] = "float32"
    description: Optional[str] = None


LossName = Annotated[str, known_name("loss", "unknown-loss", "LOSSES", "is_loss")]
MetricName = Annotated[str, known_name("metric", "unknown-metric", "METRICS", "is_metric")]


class Head(_Strict):
    """An output head: how the output named by its key is trained."""

    loss: Optional[LossName] = None
    metrics: list[MetricName] = []
    weight: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0

    @field_validator("metrics", mode="before")
    @classmethod
    def _one_metric(cls, value):
        return [value] if isinstance(value, str) else value


class OptimizerConfig(BaseModel):
    """`{type: Adam, learning_rate: 0.001, ...}`: a Keras optimizer class and its arguments."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)
    type: str

    @model_validator(mode="after")
    def _known(self):
        if self.type not in names.OPTIMIZER_ARGS:
            hint = did_you_mean(self.type, names.OPTIMIZER_ARGS)
            raise PydanticCustomError("unknown-optimizer", "unknown optimizer '{value}'{hint}",
                                      {"value": self.type, "hint": f"; {hint}" if hint else ""})
        allowed = names.OPTIMIZER_ARGS[self.type]
        for key in self.model_extra or {}:
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                raise PydanticCustomError(
                    "unknown-field", "optimizer {opt} takes no argument '{key}'{hint}",
                    {"opt": self.type, "key": key, "hint": f"; {hint}" if hint else ""})
        return self

    def arguments(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


OptimizerName = Annotated[str, known_name("optimizer", "unknown-optimizer", "OPTIMIZERS",
                                            "is_optimizer")]


class CompileSpec(_Strict):
    optimizer: Union[OptimizerName, OptimizerConfig] = "adam"

    @field_validator("optimizer", mode="wrap")
    @classmethod
    def _one_form(cls, value, _handler):
        # Validate as the form the user wrote, so errors speak of that form only.
        if isinstance(value, dict):
            return OptimizerConfig.model_validate(value)
        if isinstance(value, str):
            return TypeAdapter(OptimizerName).validate_python(value)
        raise PydanticCustomError("invalid-value", "optimizer is a name (adam) or a mapping "
                                  "({{type: Adam, learning_rate: 0.001}})")


def _node_model(type_name: str, op_cls) -> type[BaseModel]:
    """The pydantic model of one node type: its op's arguments plus `type` and `from`."""
    return create_model(
        f"{type_name}Node",
        __base__=op_cls.Args,
        type=(Literal[type_name], ...),
        from_=(Union[Name, Annotated[list[Name], Field(min_length=1)]],
               Field(alias="from")),
    )


NODE_MODELS: dict[str, type[BaseModel]] = {t: _node_model(t, c) for t, c in REGISTRY.items()}
NodeSpec = Annotated[Union[tuple(NODE_MODELS.values())], Field(discriminator="type")]


class Spec(_Strict):
    """A whole spec, as documented in docs/spec-format.md."""

    graphspec: Literal[1]
    name: Name
    description: Optional[str] = None
    inputs: Annotated[dict[Name, InputSpec], Field(min_length=1)]
    nodes: dict[Name, NodeSpec] = {}
    outputs: Annotated[dict[Name, Head], Field(min_length=1)]
    compile: Optional[CompileSpec] = None

    @field_validator("outputs", mode="before")
    @classmethod
    def _list_of_outputs(cls, value):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            if len(set(value)) != len(value):
                dup = next(v for v in value if value.count(v) > 1)
                raise PydanticCustomError("duplicate-name", "output '{name}' is listed twice",
                                          {"name": dup})
            return {v: {} for v in value}
        return value


def node_sources(node: BaseModel) -> list[str]:
    """The names a node takes input from, in order."""
    return [node.from_] if isinstance(node.from_, str) else list(node.from_)


def json_schema() -> dict:
    """The JSON Schema of the spec format, for editors (yaml-language-server) and tools."""
    schema = Spec.model_json_schema(by_alias=True)
    # Shorthands that `mode="before"` validators accept: a list of output names, and
    # one metric name instead of a list.
    outputs = schema["properties"]["outputs"]
    schema["properties"]["outputs"] = {
        "title": outputs.pop("title", "Outputs"),
        "anyOf": [{"type": "array", "items": {"type": "string", "pattern": NAME_PATTERN},
                   "minItems": 1, "uniqueItems": True}, outputs]}
    metrics = schema["$defs"]["Head"]["properties"]["metrics"]
    schema["$defs"]["Head"]["properties"]["metrics"] = {
        "title": metrics.pop("title", "Metrics"), "default": metrics.pop("default", []),
        "anyOf": [{"type": "string"}, metrics]}
    return {**schema, "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://graphspec.dev/schema/v1.json",
            "title": "graphspec spec, format version 1"}


def validate(data: dict, out: Collector) -> tuple[Optional[Spec], dict[str, list[str]]]:
    """Validate plain data; every problem goes to `out`.

    Returns the spec holding the nodes that validated (None when the top level is
    invalid) and, for nodes that did not, the names they take input from as written, so
    that later checks neither skip them nor call references to them unknown.
    """
    header = {k: v for k, v in data.items() if k != "nodes"}
    _locate_listed_outputs(data.get("outputs"), out)
    raw_nodes = data.get("nodes") or {}
    spec = None
    try:
        spec = Spec.model_validate(header)
    except ValidationError as exc:
        _report(exc, (), out, _allowed_at)
    if not isinstance(raw_nodes, dict):
        out.error(("nodes",), "`nodes` is a mapping from node names to nodes; received "
                              f"{_kind(raw_nodes)}", "invalid-value")
        return None, {}
    nodes, broken = {}, {}
    for name, raw in raw_nodes.items():
        node = validate_node(str(name), raw, out)
        if node is not None:
            nodes[name] = node
        else:
            sources = raw.get("from") if isinstance(raw, dict) else None
            sources = [sources] if isinstance(sources, str) else sources
            broken[str(name)] = [s for s in sources or [] if isinstance(s, str)]
    if spec is None:
        return None, broken
    return spec.model_copy(update={"nodes": nodes}), broken


def _locate_listed_outputs(outputs: Any, out: Collector) -> None:
    """`outputs: [a, b]` becomes a mapping; its names keep the places of the list items."""
    if isinstance(outputs, list):
        for i, name in enumerate(outputs):
            if isinstance(name, str) and ("outputs", i) in out.positions:
                out.positions.setdefault(("outputs", name), out.positions[("outputs", i)])
                out.key_positions.setdefault(("outputs", name), out.positions[("outputs", i)])


def validate_node(name: str, raw: Any, out: Collector) -> Optional[BaseModel]:
    path = ("nodes", name)
    ok = True
    if not re.match(NAME_PATTERN, name):
        out.error(path, f"invalid node name '{name}': names match [A-Za-z_][A-Za-z0-9_]* "
                        "(they become Keras layer names)", "invalid-name", at_key=True)
        ok = False
    if not isinstance(raw, dict):
        out.error(path, f"node '{name}' must be a mapping with a `type`; received "
                        f"{_kind(raw)}", "invalid-value")
        return None
    type_name = raw.get("type")
    if type_name is None:
        out.error(path, f"node '{name}' has no `type`", "missing-field", at_key=True,
                  hint="e.g. type: Dense")
        return None
    if type_name not in NODE_MODELS:
        hint = did_you_mean(type_name, NODE_MODELS)
        out.error(path + ("type",), f"unknown node type '{type_name}' in node '{name}'",
                  "unknown-type",
                  hint=hint or "graphspec accepts only its registered types: "
                  + ", ".join(sorted(NODE_MODELS)))
        return None
    try:
        node = NODE_MODELS[type_name].model_validate(raw)
    except ValidationError as exc:
        _report(exc, path, out, lambda loc: _node_fields(type_name) if not loc else None)
        return None
    return node if ok else None


def _node_fields(type_name: str) -> list[str]:
    model = NODE_MODELS[type_name]
    return [f.alias or n for n, f in model.model_fields.items()]


def _allowed_at(loc: tuple) -> Optional[list[str]]:
    """Field names allowed in the mapping at `loc` of the top level, for did-you-mean."""
    model = {0: Spec}.get(len(loc))
    if len(loc) == 2 and loc[0] == "inputs":
        model = InputSpec
    elif len(loc) == 2 and loc[0] == "outputs":
        model = Head
    elif loc == ("compile",):
        model = CompileSpec
    return list(model.model_fields) if model else None


_PLAIN_TYPES = {"string_type": "a string", "int_type": "an integer", "float_type": "a number",
                "bool_type": "true or false", "dict_type": "a mapping", "list_type": "a list",
                "model_type": "a mapping", "model_attributes_type": "a mapping"}


def _report(exc: ValidationError, prefix: tuple, out: Collector, allowed_at) -> None:
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        received = err.get("input")
        if loc and loc[-1] == "[key]":
            loc = loc[:-1]
            out.error(prefix + loc, f"invalid name '{loc[-1]}': names match "
                                    "[A-Za-z_][A-Za-z0-9_]*", "invalid-name", at_key=True)
            continue
        field = loc[-1] if loc else None
        path = prefix + loc
        if kind == "extra_forbidden":
            where = ".".join(str(p) for p in (prefix + loc[:-1])) or "the top level"
            allowed = allowed_at(loc[:-1]) or []
            out.error(path, f"unknown field '{field}' in {where}", "unknown-field",
                      hint=did_you_mean(field, allowed) or
                      (f"expected one of: {', '.join(allowed)}" if allowed else None),
                      at_key=True)
        elif kind == "missing":
            out.error(prefix + loc[:-1], f"missing required field '{field}'"
                      + (f" in {'.'.join(map(str, prefix + loc[:-1]))}" if prefix + loc[:-1]
                         else ""), "missing-field", at_key=True)
        elif kind == "literal_error" and loc == ("graphspec",):
            out.error(path, f"unsupported format version {received!r}; this graphspec reads "
                            f"version {FORMAT_VERSION}", "unsupported-version")
        elif kind.startswith(("unknown-", "duplicate-", "invalid-")):
            message = err["msg"]
            hint = None
            if "; did you mean" in message:
                message, _, hint = message.rpartition("; ")
            out.error(path, message, kind, hint=hint)
        elif kind in _PLAIN_TYPES:
            out.error(path, f"Received an invalid value for `{field}`, expected "
                            f"{_PLAIN_TYPES[kind]}. Received: {field}={received!r}",
                      "invalid-value")
        else:
            out.error(path, f"Received an invalid value for `{field}`: {err['msg'].lower()}. "
                            f"Received: {field}={received!r}", "invalid-value")


def _kind(value: Any) -> str:
    """What a value is, with its article: "a mapping", "an integer", "null"."""
    return {dict: "a mapping", list: "a list", str: "a string", type(None): "null",
            int: "an integer", float: "a number", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}")
