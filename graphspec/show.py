"""A canonical listing of a spec, one line per input, node and head: blind to key order,
flow/block style, comments and arguments written out at their defaults. Used by
`graphspec show`, which git can use as a textconv driver."""
from __future__ import annotations

import networkx as nx

from .api import SpecSource, check_spec
from .diff import _from_text, _shape
from .diff_render import _value
from .infer import CheckedSpec


def show_spec(source: SpecSource) -> str:
    """The canonical listing of a spec; raises SpecError when it is invalid."""
    return render_listing(check_spec(source))


def render_listing(checked: CheckedSpec) -> str:
    spec = checked.spec
    lines = [f"model {spec.name}: {checked.total_params:,} params, "
             f"{checked.trainable_params:,} trainable"]
    for name, item in spec.inputs.items():
        lines.append(f"input {name}: shape={_shape(checked.shapes[name])} dtype={item.dtype}")
    # Lexicographic topological order: the same for any key order in the file.
    for name in nx.lexicographical_topological_sort(checked.graph):
        if name not in spec.nodes:
            continue
        node = spec.nodes[name]
        arguments = node.model_dump(exclude={"type", "from_", "description"},
                                    exclude_defaults=True)
        words = [f"{k}={_value(v)}" for k, v in sorted(arguments.items())]
        total, trainable = checked.params.get(name, (0, 0))
        lines.append(f"node {name}: {node.type} {' '.join(words)} "
                     f"from={_from_text(checked.sources(name))} -> {_shape(checked.shapes[name])} "
                     f"params={total:,} trainable={trainable:,}".replace("  ", " "))
    for name, head in spec.outputs.items():
        words = [f"{k}={_value(v)}" for k, v in head.model_dump().items()
                 if v not in (None, [])]
        lines.append(f"output {name}: {' '.join(words)}".rstrip())
    if spec.compile:
        optimizer = spec.compile.optimizer
        if not isinstance(optimizer, str):
            optimizer = {"type": optimizer.type, **optimizer.arguments()}
        lines.append(f"compile optimizer={_value(optimizer)}")
    return "\n".join(lines) + "\n"
