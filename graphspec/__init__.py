"""graphspec: declarative multi-input, multi-output Keras models from YAML specs.

Importing graphspec never imports TensorFlow; only `compile_spec` does, when called.
"""
from .api import check_spec, compile_spec, load_spec
from .diff import SpecDiff, diff_specs
from .errors import BuildError, Diagnostic, SpecError
from .infer import CheckedSpec
from .schema import Spec, json_schema

__version__ = "0.1.0"
__all__ = ["BuildError", "CheckedSpec", "Diagnostic", "Spec", "SpecDiff", "SpecError",
           "check_spec", "compile_spec", "diff_specs", "json_schema", "load_spec"]
