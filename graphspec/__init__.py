"""graphspec: declarative multi-input, multi-output Keras models from YAML specs.

Importing graphspec never imports TensorFlow; only `compile_spec` does, when called.
The names below are loaded on first use, so that `import graphspec` itself is cheap.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "BuildError": "errors", "Diagnostic": "errors", "SpecError": "errors",
    "CheckedSpec": "infer", "Spec": "schema", "json_schema": "schema",
    "SpecDiff": "diff", "diff_specs": "diff",
    "plot_spec": "render", "spec_to_dot": "render", "spec_to_mermaid": "render",
    "check_spec": "api", "compile_spec": "api", "load_spec": "api", "train_spec": "api",
    "TrainError": "errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        from .source import no_gc

        with no_gc():  # the imports make some 40,000 objects and no garbage
            value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'graphspec' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
