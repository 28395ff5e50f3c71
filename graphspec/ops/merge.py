"""Merge layers: several inputs, one output."""
from __future__ import annotations

from .base import Args, Op, Shape, ShapeError, register
from .core import format_shape


@register("Concatenate")
class Concatenate(Op):
    min_inputs = 2
    max_inputs = None

    class Args(Args):
        axis: int = -1  # counts the batch axis, as in Keras

    def infer(self, in_shapes: list[Shape]) -> Shape:
        ranks = {len(s) for s in in_shapes}
        if len(ranks) != 1:
            raise ShapeError(
                "Concatenate needs inputs of one rank; received "
                + ", ".join(format_shape(s) for s in in_shapes),
                hint="Flatten the higher-rank inputs first")
        rank = ranks.pop() + 1  # with the batch axis
        axis = self.args.axis + rank if self.args.axis < 0 else self.args.axis
        if not 1 <= axis < rank:
            raise ShapeError(f"Received an invalid value for `axis`, expected an axis of the "
                             f"inputs other than the batch axis (1 to {rank - 1}, or -{rank - 1} "
                             f"to -1). Received: axis={self.args.axis}", field="axis")
        for i in range(1, rank):
            if i == axis:
                continue
            dims = {s[i - 1] for s in in_shapes} - {None}
            if len(dims) > 1:
                raise ShapeError(
                    "Concatenate needs inputs with matching shapes except on the "
                    f"concatenation axis ({self.args.axis}); received "
                    + ", ".join(format_shape(s) for s in in_shapes))
        out = []
        for i in range(1, rank):
            dims = [s[i - 1] for s in in_shapes]
            if i == axis:
                out.append(None if None in dims else sum(dims))
            else:
                known = [d for d in dims if d is not None]
                out.append(known[0] if known else None)
        return tuple(out)


@register("Add")
class Add(Op):
    """Element-wise sum. Keras checks shapes pairwise from the right, then gives
    lower-rank inputs leading axes of length 1 and broadcasts; this does the same."""

    min_inputs = 2
    max_inputs = None

    def infer(self, in_shapes: list[Shape]) -> Shape:
        checked = in_shapes[0]
        for shape in in_shapes[1:]:
            checked = _broadcast(checked, shape, in_shapes)
        rank = max(len(s) for s in in_shapes)
        padded = [(1,) * (rank - len(s)) + tuple(s) for s in in_shapes]
        out = []
        for dims in zip(*padded):
            if None in dims:
                out.append(None)
                continue
            sizes = set(dims) - {1}
            if len(sizes) > 1:
                raise _mismatch(in_shapes)
            out.append(sizes.pop() if sizes else 1)
        return tuple(out)


def _broadcast(a: Shape, b: Shape, all_shapes: list[Shape]) -> Shape:
    if len(a) < len(b):
        a, b = b, a
    out = list(a[: len(a) - len(b)])
    for i, j in zip(a[len(a) - len(b):], b):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1:
            out.append(j if i == 1 else i)
        elif i != j:
            raise _mismatch(all_shapes)
        else:
            out.append(i)
    return tuple(out)


def _mismatch(shapes: list[Shape]) -> ShapeError:
    return ShapeError("Add needs inputs of one shape (or axes of length 1 that broadcast); "
                      "received " + ", ".join(format_shape(s) for s in shapes))
