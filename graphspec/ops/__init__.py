"""Node types. Importing this package registers every built-in type."""
from . import backbone, core, merge  # noqa: F401  (registration happens on import)
from .base import REGISTRY, Op, Shape, ShapeError, register

__all__ = ["REGISTRY", "Op", "Shape", "ShapeError", "register"]
