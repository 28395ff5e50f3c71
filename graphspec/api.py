"""The public Python API; the CLI is a thin layer over these functions."""
from __future__ import annotations

import os
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


def train_spec(source: SpecSource, data: str | PathLike, labels: list[str], *,
               output: str | PathLike | None = None,
               overrides: Mapping[str, Any] | list[str] | None = None,
               load_weights: bool = True, max_params: int | None = None, epochs: int = 10,
               batch_size: int = 32, validation_split: float = 0.1, augment: bool = True,
               seed: int = 0, separator: str = "_", verbose="auto", report=None):
    """Build the spec's model and train it on the images in `data`, whose targets are in
    their file names: `labels` are rules OUTPUT=FIELD (`age=0`: output age is field 0 of
    the name split at `separator`). Returns `(model, history)`; with `output`, the trained
    model is also written there atomically (a .keras file). `report`, when given, is
    called with the training Plan (the images found and skipped, the split) before
    TensorFlow is imported.

    Raises SpecError for spec problems and TrainError (a BuildError) when the folder, the
    rules or the options do not fit the spec, both before TensorFlow is imported.
    """
    from .train import TrainOptions, fit, plan_training

    options = TrainOptions(epochs=epochs, batch_size=batch_size,
                           validation_split=validation_split, augment=augment, seed=seed,
                           separator=separator)
    checked = check_spec(source, overrides=overrides)
    plan = plan_training(checked, data, labels, options)
    if report is not None:
        report(plan)
    model = compile_spec(checked, load_weights=load_weights, max_params=max_params)
    from .emit import import_keras, save_model

    history = fit(model, plan, options, import_keras(), verbose=verbose)
    if output is not None:
        save_model(model, os.fspath(output))
    return model, history


__all__ = ["CheckedSpec", "Spec", "SpecError", "check_spec", "compile_spec", "load_spec",
           "train_spec"]
