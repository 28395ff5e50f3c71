"""The public Python API; the CLI is a thin layer over these functions."""
from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any, Mapping, Union

from .errors import SpecError
from .graph import build_graph
from .infer import CheckedSpec, infer_shapes, make_ops
from .limits import check_model_size
from .schema import Spec, validate
from .source import Source, apply_overrides, from_mapping, no_gc, plain_copy, read_file

SpecSource = Union[str, PathLike, Mapping, Source, CheckedSpec]


def load_spec(source: SpecSource, *, overrides: Mapping[str, Any] | list[str] | None = None
              ) -> Source:
    """Read a spec from a path, a mapping or an already loaded Source.

    Raises OSError when a file cannot be read and SpecError for invalid YAML.
    """
    if isinstance(source, CheckedSpec):
        source = source.source
    if isinstance(source, Source) and not overrides:
        loaded = source
    elif isinstance(source, Source):  # overrides change the data: leave the caller's alone
        loaded = Source(source.file, plain_copy(source.data), dict(source.positions),
                        dict(source.key_positions), source.base_dir)
    elif isinstance(source, Mapping):
        loaded = from_mapping(source)
    elif isinstance(source, (str, PathLike)):
        loaded = read_file(Path(source))
    else:
        raise TypeError(f"a spec source is a path, a mapping or a Source; received "
                        f"{type(source).__name__}")
    apply_overrides(loaded, overrides)
    return loaded


def check_spec(source: SpecSource, *, overrides: Mapping[str, Any] | list[str] | None = None
               ) -> CheckedSpec:
    """Every static check, all problems at once. Never imports TensorFlow.

    Returns a CheckedSpec with inferred shapes and parameter counts (warnings attached),
    or raises SpecError carrying every diagnostic.
    """
    if isinstance(source, CheckedSpec) and not overrides:
        return source
    with no_gc():  # many small objects, no cycles to collect: GC passes only cost time
        return _check(load_spec(source, overrides=overrides))


def _check(loaded: Source) -> CheckedSpec:
    out = loaded.collector()
    spec, broken = validate(loaded.data, out)
    if spec is None:
        out.raise_if_errors()
    graph, acyclic, faulty = build_graph(spec, broken, out)
    if not acyclic:  # shapes need an order; other problems still let them be inferred
        out.raise_if_errors()
    ops = make_ops(spec, skip=faulty)
    order, shapes, params = infer_shapes(spec, graph, ops, out)
    out.raise_if_errors()
    return CheckedSpec(spec, loaded, graph, ops, order, shapes, params, out.diagnostics)


def compile_spec(source: SpecSource, *, overrides: Mapping[str, Any] | list[str] | None = None,
                 load_weights: bool = True, max_params: int | None = None):
    """Check the spec, then build the Keras functional model (compiled when heads have
    losses). Imports Keras; raises SpecError for spec problems (a model over `max_params`
    parameters, or whose weights would not fit in memory, is one, found before
    TensorFlow is imported), BuildError when Keras cannot build a valid spec (weights
    that cannot be loaded, ...)."""
    checked = check_spec(source, overrides=overrides)
    check_model_size(checked, max_params)
    from .emit import build_model

    return build_model(checked, load_weights=load_weights)


__all__ = ["CheckedSpec", "Spec", "SpecError", "check_spec", "compile_spec", "load_spec"]
