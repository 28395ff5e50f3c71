"""Stage 3: the spec as a networkx DiGraph, with reference, cycle and reachability checks."""
from __future__ import annotations

import networkx as nx

from .errors import Collector, did_you_mean
from .ops import REGISTRY
from .schema import Spec, node_sources


def build_graph(spec: Spec, broken: dict[str, list[str]], out: Collector
                ) -> tuple[nx.DiGraph, bool, set[str]]:
    """Edges run from each source to the node that takes it. Problems go to `out`.

    Returns the graph, whether it is acyclic (so that shapes can be inferred), and the
    nodes already found faulty, whose shapes cannot be inferred.

    `broken` holds nodes that failed validation (name -> sources as written): they stay
    in the graph so that references to them are not reported as unknown.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(spec.inputs, kind="input")
    graph.add_nodes_from(spec.nodes, kind="node")
    graph.add_nodes_from(broken, kind="broken")
    for name in spec.nodes:
        if name in spec.inputs:
            out.error(("nodes", name), f"node '{name}' has the name of an input; inputs and "
                                       "nodes share one namespace", "duplicate-name", at_key=True)

    known = set(graph)
    dangling = set()  # nodes taking input from unknown names: reported once, there
    sources_of = {n: node_sources(node) for n, node in spec.nodes.items()} | broken
    edges = []
    for name, sources in sources_of.items():
        single = name in spec.nodes and isinstance(spec.nodes[name].from_, str)
        for i, source in enumerate(sources):
            path = ("nodes", name, "from") if single else ("nodes", name, "from", i)
            if source in known:
                edges.append((source, name))
            else:
                dangling.add(name)
                out.error(path, f"node '{name}' takes input from unknown name '{source}'",
                          "unknown-name", hint=did_you_mean(source, known))
    graph.add_edges_from(edges)
    faulty = dangling | _check_arity(spec, out)
    in_cycles = _check_cycles(graph, out)
    _check_reachable(spec, graph, in_cycles, dangling | broken.keys(), out)
    _check_outputs(spec, graph, out, warn_unused=not broken)
    return graph, not in_cycles, faulty | broken.keys()


def _check_arity(spec: Spec, out: Collector) -> set[str]:
    faulty = set()
    for name, node in spec.nodes.items():
        op = REGISTRY[node.type]
        count = len(node_sources(node))
        if count < op.min_inputs or (op.max_inputs is not None and count > op.max_inputs):
            expected = (f"exactly {op.min_inputs}" if op.min_inputs == op.max_inputs else
                        f"at least {op.min_inputs}" if op.max_inputs is None else
                        f"{op.min_inputs} to {op.max_inputs}")
            out.error(("nodes", name, "from"), f"{node.type} node '{name}' takes {expected} "
                      f"input{'s' if op.max_inputs != 1 else ''}; received {count}",
                      "wrong-arity")
            faulty.add(name)
    return faulty


def _check_cycles(graph: nx.DiGraph, out: Collector) -> set[str]:
    """Reports one cycle per strongly connected component; returns the nodes in cycles."""
    # Per component, not per simple cycle: linear, where listing every cycle can be
    # exponential.
    members: set[str] = set()
    for component in nx.strongly_connected_components(graph):
        first = min(component)
        if len(component) == 1 and not graph.has_edge(first, first):
            continue
        members |= component
        cycle = nx.find_cycle(graph.subgraph(component), source=first)
        names = [edge[0] for edge in cycle] + [cycle[0][0]]
        out.error(("nodes", names[0], "from"), "cycle: " + " -> ".join(names), "cycle")
    return members


def _check_reachable(spec: Spec, graph: nx.DiGraph, in_cycles: set[str], reported: set[str],
                     out: Collector) -> None:
    """Nodes no input leads to; not those in a cycle, nor those downstream of a node
    already reported (fed by an unknown name, or invalid itself)."""
    starts = set(spec.inputs) | reported
    reached = set(starts)
    for name in starts:
        reached |= nx.descendants(graph, name)
    for name in spec.nodes:
        if name not in reached and name not in in_cycles:
            out.error(("nodes", name), f"node '{name}' is not reachable from any input",
                      "unreachable", at_key=True,
                      hint="every node must lead back to an input through `from`")


def _check_outputs(spec: Spec, graph: nx.DiGraph, out: Collector, warn_unused: bool) -> None:
    """Outputs must name nodes. Unused nodes are warned about, unless some node is
    invalid: its sources are unknown, so the warnings would only be its consequences."""
    for name in spec.outputs:
        if name in spec.inputs and name not in spec.nodes:
            out.error(("outputs", name), f"output '{name}' names an input; outputs name "
                                         "nodes", "unknown-output", at_key=True)
        elif name not in graph:
            out.error(("outputs", name), f"output '{name}' names no node", "unknown-output",
                      hint=did_you_mean(name, spec.nodes), at_key=True)
    if not warn_unused:
        return
    used = set()
    for name in spec.outputs:
        if name in graph:
            used |= nx.ancestors(graph, name) | {name}
    for name in list(spec.inputs) + list(spec.nodes):
        if name not in used:
            kind = "input" if name in spec.inputs else "node"
            out.warning((("inputs" if kind == "input" else "nodes"), name),
                        f"{kind} '{name}' is not used by any output", "unused", at_key=True)
