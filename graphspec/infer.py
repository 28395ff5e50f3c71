"""Stage 4: static output shapes and parameter counts, node by node, in graph order."""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from .errors import Collector, Diagnostic
from .ops import REGISTRY, Op, Shape, ShapeError
from .schema import Spec, node_sources
from .source import Source


@dataclass
class CheckedSpec:
    """A spec that passed every check, with what static inference learned about it."""

    spec: Spec
    source: Source
    graph: nx.DiGraph
    ops: dict[str, Op]
    order: list[str]  # inputs then nodes, each after everything it takes input from
    shapes: dict[str, Shape]
    params: dict[str, tuple[int, int]]  # name -> (total, trainable)
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def total_params(self) -> int:
        return sum(total for total, _ in self.params.values())

    @property
    def trainable_params(self) -> int:
        return sum(trainable for _, trainable in self.params.values())

    def sources(self, name: str) -> list[str]:
        node = self.spec.nodes.get(name)
        return node_sources(node) if node is not None else []

    def summary(self) -> dict:
        """The static summary: one row per input and node, then the totals."""
        rows = []
        for name in self.order:
            total, trainable = self.params.get(name, (0, 0))
            rows.append({
                "name": name,
                "type": "Input" if name in self.spec.inputs else self.spec.nodes[name].type,
                "from": self.sources(name),
                "shape": list(self.shapes[name]),
                "params": total,
                "trainable_params": trainable,
            })
        return {"name": self.name, "nodes": rows, "total_params": self.total_params,
                "trainable_params": self.trainable_params}


def make_ops(spec: Spec, skip: set[str] = frozenset()) -> dict[str, Op]:
    """The op of each node but those in `skip` (already found faulty). A validated node
    is an instance of its op's argument model (its subclass with `type` and `from`)."""
    return {name: REGISTRY[node.type](name, node) for name, node in spec.nodes.items()
            if name not in skip}


def infer_shapes(spec: Spec, graph: nx.DiGraph, ops: dict[str, Op], out: Collector
                 ) -> tuple[list[str], dict[str, Shape], dict[str, tuple[int, int]]]:
    """Shapes and parameters of every node whose inputs are known; mismatches go to `out`."""
    order = list(nx.topological_sort(graph))
    shapes: dict[str, Shape] = {n: tuple(i.shape) for n, i in spec.inputs.items()}
    params: dict[str, tuple[int, int]] = {}
    for name in order:
        op = ops.get(name)
        if op is None:
            continue
        sources = node_sources(spec.nodes[name])
        if not all(s in shapes for s in sources):
            continue  # an upstream node already failed and was reported
        in_shapes = [shapes[s] for s in sources]
        try:
            shapes[name] = op.infer(in_shapes)
            params[name] = op.params(in_shapes)
        except ShapeError as exc:
            path = ("nodes", name, exc.field) if exc.field else ("nodes", name, "from")
            code = "invalid-value" if exc.field else "shape-mismatch"
            out.error(path, f"node '{name}': {exc.message}", code, hint=exc.hint)
    return [n for n in order if n in shapes], shapes, params
