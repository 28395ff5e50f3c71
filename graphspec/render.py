"""Drawing a spec, or the diff of two specs: DOT through pydot (SVG, PNG, PDF through
Graphviz' `dot`) and Mermaid flowcharts.

Both renderers read one small model, a `Drawing` of `Box`es and `Link`s: a spec's boxes
say what Keras' `plot_model(show_shapes=True)` says and more (arguments, parameters, the
heads); a diff's drawing is the union of both graphs, each box and link marked added,
removed, changed, renamed or affected. Nothing here imports TensorFlow.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pydot

from .api import SpecSource, check_spec
from .diff import ABSENT, SpecDiff
from .diff_render import _value, render_markdown, summary_line
from .files import atomic_path
from .infer import CheckedSpec
from .ops.core import format_shape

RANKDIRS = ("TB", "LR")
GRAPHVIZ_FORMATS = ("svg", "png", "pdf")
FORMATS = ("dot", "mermaid", *GRAPHVIZ_FORMATS)
_EXTENSIONS = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".svg": "svg",
               ".png": "png", ".pdf": "pdf"}

# Fill and border of each kind of box, and of each diff status (which wins over the kind's
# fill: the shape still tells the kind).
KIND_STYLE = {
    "input": {"shape": "ellipse", "fill": "#dbeafe", "border": "#1d4ed8"},
    "node": {"shape": "box", "fill": "#f8fafc", "border": "#475569"},
    "backbone": {"shape": "box3d", "fill": "#ede9fe", "border": "#6d28d9"},
    "head": {"shape": "hexagon", "fill": "#fce7f3", "border": "#be185d"},
}
STATUS_STYLE = {
    "added": {"fill": "#dcfce7", "border": "#16a34a"},
    "removed": {"fill": "#fee2e2", "border": "#dc2626"},
    "changed": {"fill": "#fef3c7", "border": "#d97706"},
    "renamed": {"fill": "#fef3c7", "border": "#d97706"},
}
AFFECTED_BORDER = "#d97706"  # not edited, but its shape or parameter count moved
LINK_COLOUR = {"same": "#64748b", "added": "#16a34a", "removed": "#dc2626"}
_MERMAID_SHAPES = {"input": ('(["', '"])'), "node": ('["', '"]'),
                   "backbone": ('[["', '"]]'), "head": ('{{"', '"}}')}


class GraphvizNotFound(RuntimeError):
    """Graphviz' `dot` program is needed for this format and is not on PATH."""

    def __init__(self, fmt: str):
        super().__init__(
            f"writing .{fmt} needs Graphviz' `dot` program, which is not on PATH. Install "
            "Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
            "(macOS) or `conda install graphviz` (conda). .dot and Mermaid (.mmd, "
            "--format mermaid) need no Graphviz.")


class GraphvizFailed(RuntimeError):
    """`dot` ran and refused the drawing."""


@dataclass(frozen=True)
class Box:
    id: str  # unique in the drawing; a spec's name, or e.g. `age/output` for a head
    kind: str  # "input" | "node" | "backbone" | "head"
    title: str  # the name, or `old → new` for a rename
    subtitle: str  # the type: Input, Dense, Backbone, Output; `Dense → Dropout` in a diff
    rows: tuple[str, ...]
    status: str = "same"  # "same" | "added" | "removed" | "changed" | "renamed" | "affected"


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    status: str = "same"  # "same" | "added" | "removed"


@dataclass(frozen=True)
class Drawing:
    name: str  # the model's name (the new one's, for a diff)
    caption: str
    boxes: tuple[Box, ...]
    links: tuple[Link, ...]


# --- what a box says --------------------------------------------------------------------

def _facts(checked: CheckedSpec, name: str) -> tuple[str, str, dict[str, str]]:
    """Kind, type and the facts of an input or node, keyed so that two sides compare:
    arguments that are not at their default, the output shape, the parameters."""
    spec = checked.spec
    shape = format_shape(checked.shapes[name])  # (None, ...): the batch axis, as Keras
    if name in spec.inputs:
        dtype = spec.inputs[name].dtype
        return "input", "Input", {"shape": shape, **({"dtype": dtype} if dtype != "float32"
                                                     else {})}
    node = spec.nodes[name]
    fields = type(node).model_fields
    arguments = node.model_dump(exclude={"type", "from_", "description", "trainable"})
    facts = {k: _value(v) for k, v in arguments.items() if v != fields[k].default}
    total, trainable = checked.params.get(name, (0, 0))
    if node.type == "Backbone":
        # Its weights decide what is downloaded, so they are shown at their default too.
        facts["weights"] = _value(node.weights)
        state = " (frozen)" if not node.trainable else " (trainable)"
    else:
        state = "" if total == trainable else (
            " (frozen)" if trainable == 0 else f" ({trainable:,} trainable)")
    kind = "backbone" if node.type == "Backbone" else "node"
    return kind, node.type, {**facts, "shape": shape, "params": f"{total:,}{state}"}


def _head_facts(checked: CheckedSpec, name: str) -> dict[str, str]:
    head = checked.spec.outputs[name]
    facts = {}
    if head.loss is not None:
        facts["loss"] = head.loss
    if head.metrics:
        facts["metrics"] = _value(head.metrics)
    if head.loss is not None or head.weight != 1:  # a weight only matters with a loss
        facts["weight"] = _value(head.weight)
    return facts


def _row(key: str, value: str) -> str:
    if key == "shape":
        return value
    if key == "params":
        return f"params: {value}"
    return f"{key}={value}"


def _rows(facts: dict[str, str]) -> tuple[str, ...]:
    return tuple(_row(k, v) for k, v in facts.items())


def _merged_rows(old: dict[str, str], new: dict[str, str], details=()) -> tuple[str, ...]:
    """One row per fact of either side, `old → new` where the two differ.

    A fact left out on one side (an argument at its default, a field the other type
    lacks) takes its value from the diff's details; anything else changed (the order of
    `from`, a description) gets a row of its own.
    """
    old, new = dict(old), dict(new)
    for detail in details:
        if detail.field not in ("type", "trainable"):  # in the subtitle and params rows
            old.setdefault(detail.field, _detail(detail.old))
            new.setdefault(detail.field, _detail(detail.new))
    rows = []
    for key in list(new) + [k for k in old if k not in new]:
        before, after = old.get(key), new.get(key)
        if before is None or after is None or before == after:  # shown on one side only
            rows.append(_row(key, before or after))
        else:
            rows.append(_row(key, f"{before} → {after}"))
    return tuple(rows)


# --- the drawing of a spec --------------------------------------------------------------

def spec_drawing(checked: CheckedSpec) -> Drawing:
    """Every input, node and head of a checked spec, and the links between them."""
    boxes, links = [], []
    for name in checked.order:
        kind, type_name, facts = _facts(checked, name)
        boxes.append(Box(name, kind, name, type_name, _rows(facts)))
        links += [Link(source, name) for source in checked.sources(name)]
    for name in checked.spec.outputs:
        boxes.append(Box(_head_id(name), "head", name, "Output",
                         _rows(_head_facts(checked, name))))
        links.append(Link(name, _head_id(name)))
    caption = (f"{checked.name}: {checked.total_params:,} parameters "
               f"({checked.trainable_params:,} trainable)")
    return Drawing(checked.name, caption, tuple(boxes), tuple(links))


def _head_id(box_id: str) -> str:
    return f"{box_id}/output"  # `/` is not allowed in names: never a spec name


# --- the drawing of a diff --------------------------------------------------------------

def diff_drawing(diff: SpecDiff) -> Drawing:
    """The union of both graphs, matched by name as the diff matches them (renames
    followed): a box per input, node and head of either side, a link per edge of either."""
    union = _Union(diff)
    old, new = diff.old, diff.new
    status = {(c.section, c.name): c.kind for c in diff.changes}
    details = {(c.section, c.name): c.details for c in diff.changes}
    effects = {e.name for e in diff.effects}
    old_name = {union.box(n): n for n in old.order}
    boxes = []
    for name in new.order:
        kind, type_name, facts = _facts(new, name)
        key = ("input" if name in new.spec.inputs else "node", name)
        state = status.get(key, "same")
        before = old_name.get(name)
        if before is None:
            boxes.append(Box(name, kind, name, type_name, _rows(facts), state))
            continue
        _, old_type, old_facts = _facts(old, before)
        rows = _merged_rows(old_facts, facts, details.get(key, ()))
        if state == "same" and name in effects:
            state = "affected"
        subtitle = type_name if old_type == type_name else f"{old_type} → {type_name}"
        boxes.append(Box(name, kind, _arrow(before, name), subtitle, rows, state))
    for name in old.order:
        if union.box(name) not in new.shapes:  # kept and renamed ones are drawn above
            kind, type_name, facts = _facts(old, name)
            boxes.append(Box(union.box(name), kind, name, type_name, _rows(facts), "removed"))
    boxes += _diff_heads(diff, union)
    caption = f"{diff.old_file} → {diff.new_file}: {summary_line(diff)}"
    return Drawing(new.name, caption, tuple(boxes), tuple(_diff_links(old, new, union)))


class _Union:
    """Where each name of the old side is in the union drawing."""

    def __init__(self, diff: SpecDiff):
        self.renamed = {c.old_name: c.name for c in diff.changes
                        if c.kind == "renamed" and c.section in ("input", "node")}
        self.removed = {c.name for c in diff.changes
                        if c.kind == "removed" and c.section in ("input", "node")}
        self.new_names = set(diff.new.shapes)
        self.new_heads = diff.new.spec.outputs

    def box(self, name: str) -> str:
        """Its new name; its own when removed, unless something new now has that name."""
        if name in self.renamed:
            return self.renamed[name]
        if name in self.removed and name in self.new_names:
            return f"{name} (old)"
        return name

    def head(self, name: str) -> str:
        """The head box of an old output: heads follow the renames of their nodes."""
        renamed = self.renamed.get(name, name)
        return _head_id(renamed if renamed in self.new_heads else self.box(name))


def _arrow(old: str, new: str) -> str:
    return new if old == new else f"{old} → {new}"


def _detail(value) -> str:
    return "none" if value is ABSENT else _value(value)


def _diff_heads(diff: SpecDiff, union: _Union) -> list[Box]:
    old, new = diff.old, diff.new
    changes = {c.name: c for c in diff.changes
               if c.section == "output" and c.kind != "reordered"}
    old_name = {union.head(n): n for n in old.spec.outputs}
    boxes = []
    for name in new.spec.outputs:
        facts, change = _head_facts(new, name), changes.get(name)
        before = old_name.get(_head_id(name))
        rows = _rows(facts) if before is None else _merged_rows(
            _head_facts(old, before), facts, change.details if change else ())
        boxes.append(Box(_head_id(name), "head", _arrow(before or name, name), "Output", rows,
                         change.kind if change else "same"))
    new_heads = {_head_id(n) for n in new.spec.outputs}
    for name in old.spec.outputs:
        if union.head(name) not in new_heads:
            boxes.append(Box(union.head(name), "head", name, "Output",
                             _rows(_head_facts(old, name)), "removed"))
    return boxes


def _diff_links(old: CheckedSpec, new: CheckedSpec, union: _Union) -> list[Link]:
    def edges(checked: CheckedSpec, box, head) -> list[tuple[str, str]]:
        pairs = [(box(s), box(n)) for n in checked.order for s in checked.sources(n)]
        pairs += [(box(h), head(h)) for h in checked.spec.outputs]
        return list(dict.fromkeys(pairs))  # a node may take one source twice: one line

    before = edges(old, union.box, union.head)
    after = edges(new, str, _head_id)
    in_old, in_new = set(before), set(after)
    links = [Link(s, t, "same" if (s, t) in in_old else "added") for s, t in after]
    links += [Link(s, t, "removed") for s, t in before if (s, t) not in in_new]
    return links


# --- DOT --------------------------------------------------------------------------------

def spec_to_dot(spec: SpecSource, rankdir: str = "TB") -> pydot.Dot:
    """The drawing of a spec as a pydot graph; writes nothing, needs no Graphviz.
    Raises SpecError when the spec is invalid."""
    return drawing_to_dot(spec_drawing(check_spec(spec)), rankdir)


def diff_to_dot(spec_diff: SpecDiff, rankdir: str = "TB") -> pydot.Dot:
    """The union of a diff's two graphs as a pydot graph, coloured by what changed."""
    return drawing_to_dot(diff_drawing(spec_diff), rankdir)


def drawing_to_dot(drawing: Drawing, rankdir: str = "TB") -> pydot.Dot:
    _check_rankdir(rankdir)
    graph = pydot.Dot(drawing.name, graph_type="digraph", rankdir=rankdir, labelloc="t",
                      label=_html([drawing.caption], bold_first=False), fontname="Helvetica",
                      fontsize="12", nodesep="0.3", ranksep="0.4")
    graph.set_node_defaults(fontname="Helvetica", fontsize="10", style="filled", margin="0.1")
    graph.set_edge_defaults(arrowsize="0.7")
    for box in drawing.boxes:
        style = KIND_STYLE[box.kind]
        colours = STATUS_STYLE.get(box.status, {})
        attributes = {"shape": style["shape"], "fillcolor": colours.get("fill", style["fill"]),
                      "color": colours.get("border", style["border"]),
                      "label": _html([box.title, box.subtitle, *box.rows])}
        if box.kind == "node":
            attributes["style"] = "rounded,filled"
        if box.status == "affected":
            attributes.update(color=AFFECTED_BORDER, penwidth="2")
        elif box.status != "same":
            attributes["penwidth"] = "2"
        graph.add_node(pydot.Node(box.id, **attributes))
    for link in drawing.links:
        attributes = {"color": LINK_COLOUR[link.status]}
        if link.status == "removed":
            attributes["style"] = "dashed"
        if link.status != "same":
            attributes["penwidth"] = "2"
        graph.add_edge(pydot.Edge(link.source, link.target, **attributes))
    return graph


def _html(lines: list[str], bold_first: bool = True) -> str:
    """A Graphviz HTML-like label: one table row per line, text escaped; the name in
    bold and the type in italics."""
    rows = []
    for i, line in enumerate(lines):
        text = html.escape(line, quote=True)
        if bold_first and i == 0:
            text = f"<B>{text}</B>"
        elif bold_first and i == 1:
            text = f"<I>{text}</I>"
        rows.append(f"<TR><TD>{text}</TD></TR>")
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            + "".join(rows) + "</TABLE>>")


def _check_rankdir(rankdir: str) -> None:
    if rankdir not in RANKDIRS:
        raise ValueError(f"Received an invalid value for `rankdir`, expected one of "
                         f"{', '.join(RANKDIRS)}. Received: rankdir={rankdir!r}")


# --- Mermaid ----------------------------------------------------------------------------

def spec_to_mermaid(spec: SpecSource, rankdir: str = "TB") -> str:
    """The drawing of a spec as a Mermaid flowchart (GitHub renders it in Markdown)."""
    return drawing_to_mermaid(spec_drawing(check_spec(spec)), rankdir)


def diff_to_mermaid(spec_diff: SpecDiff, rankdir: str = "TB") -> str:
    """The union of a diff's two graphs as a Mermaid flowchart, coloured by what changed."""
    return drawing_to_mermaid(diff_drawing(spec_diff), rankdir)


def drawing_to_mermaid(drawing: Drawing, rankdir: str = "TB") -> str:
    _check_rankdir(rankdir)
    # Mermaid ids are numbered: a spec name can be a Mermaid keyword (`end`), and a name
    # starting with o or x after `--` would read as a circle or cross arrow head.
    ids = {box.id: f"n{i}" for i, box in enumerate(drawing.boxes)}
    # The title sits in YAML front matter: a JSON string is a valid YAML scalar.
    lines = ["---", f"title: {json.dumps(drawing.caption, ensure_ascii=False)}", "---",
             f"flowchart {rankdir}"]
    for box in drawing.boxes:
        opening, closing = _MERMAID_SHAPES[box.kind]
        text = "<br/>".join([f"<b>{_mermaid_text(box.title)}</b>",
                             f"<i>{_mermaid_text(box.subtitle)}</i>",
                             *map(_mermaid_text, box.rows)])
        lines.append(f"  {ids[box.id]}{opening}{text}{closing}")
    for link in drawing.links:
        arrow = "-.->" if link.status == "removed" else "-->"
        lines.append(f"  {ids[link.source]} {arrow} {ids[link.target]}")
    for kind, style in KIND_STYLE.items():
        lines.append(f"  classDef kind_{kind} fill:{style['fill']},stroke:{style['border']}")
    for status, style in STATUS_STYLE.items():
        lines.append(f"  classDef {status} fill:{style['fill']},stroke:{style['border']},"
                     "stroke-width:2px")
    lines.append(f"  classDef affected stroke:{AFFECTED_BORDER},stroke-width:2px")
    # A box's status class comes after its kind's, and its classDef too: its colours win.
    for box in drawing.boxes:
        lines.append(f"  class {ids[box.id]} kind_{box.kind}")
        if box.status != "same":
            lines.append(f"  class {ids[box.id]} {box.status}")
    for i, link in enumerate(drawing.links):
        if link.status != "same":
            lines.append(f"  linkStyle {i} stroke:{LINK_COLOUR[link.status]},stroke-width:2px")
    return "\n".join(lines) + "\n"


# Mermaid refuses to draw larger diagrams unless the page drawing them raises its
# `maxEdges` and `maxTextSize` settings, which GitHub, GitLab and mermaid.live leave as
# they are. In Mermaid 11 the parser refuses the 500th link (seen with tools/mermaid_check)
# and the renderer draws an error instead of a text over 50,000 characters (its source;
# it counts without the front matter, so counting all of it here errs on the safe side).
MERMAID_MAX_LINKS = 500
MERMAID_MAX_TEXT = 50_000
_MERMAID_LINK = re.compile(r"^  n\d+ (-->|-\.->) n\d+$", re.MULTILINE)


def mermaid_too_large(text: str) -> str | None:
    """Why Mermaid, with its default limits, will not draw this output of
    `drawing_to_mermaid`; None when it will."""
    links = len(_MERMAID_LINK.findall(text))
    if links >= MERMAID_MAX_LINKS:
        return (f"{links:,} links; Mermaid draws fewer than {MERMAID_MAX_LINKS} unless the "
                "page raises its maxEdges")
    if len(text) > MERMAID_MAX_TEXT:
        return (f"{len(text):,} characters; Mermaid draws at most {MERMAID_MAX_TEXT:,} "
                "unless the page raises its maxTextSize")
    return None


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: Mermaid's own entity codes for the characters
    that would end the label or be read as markup."""
    return "".join(f"#{ord(c)};" if c in '"#<>&' else c for c in text)


def diff_to_markdown(spec_diff: SpecDiff, rankdir: str = "TB") -> str:
    """The pull-request comment of `render_markdown`, with the drawing of the diff below
    it as a Mermaid block (GitHub and GitLab draw those) when anything changed."""
    text = render_markdown(spec_diff)
    if not spec_diff.has_changes:
        return text
    drawing = diff_to_mermaid(spec_diff, rankdir)
    too_large = mermaid_too_large(drawing)
    if too_large:  # a block GitHub cannot draw helps nobody: say how to get the drawing
        return (f"{text}\n_No drawing: the Mermaid diagram would have {too_large}. "
                "`graphspec diff OLD NEW --plot diff.svg` draws it with Graphviz._\n")
    return f"{text}\n```mermaid\n{drawing}```\n"


# --- writing files ----------------------------------------------------------------------

def plot_spec(spec: SpecSource, path: str | os.PathLike, rankdir: str = "TB",
              format: str | None = None) -> bytes:
    """Draw a spec into `path`, atomically; the format comes from the extension (.svg,
    .png, .pdf, .dot, .mmd) unless given. Returns the bytes written. Raises SpecError for
    an invalid spec, GraphvizNotFound when the format needs Graphviz and it is not
    installed."""
    return _write(spec_drawing(check_spec(spec)), path, rankdir, format)


def plot_diff(spec_diff: SpecDiff, path: str | os.PathLike, rankdir: str = "TB",
              format: str | None = None) -> bytes:
    """Draw the union of a diff's two graphs into `path`, as `plot_spec` does."""
    return _write(diff_drawing(spec_diff), path, rankdir, format)


def format_for(path: str | os.PathLike) -> str:
    """The drawing format an output file's extension asks for."""
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise ValueError(f"cannot tell the drawing format of '{path}': expected a file "
                         f"ending in {', '.join(_EXTENSIONS)}, or a --format")
    return _EXTENSIONS[suffix]


def render(drawing: Drawing, fmt: str, rankdir: str = "TB") -> bytes:
    """The bytes of a drawing in one of FORMATS."""
    if fmt not in FORMATS:
        raise ValueError(f"Received an invalid value for `format`, expected one of "
                         f"{', '.join(FORMATS)}. Received: format={fmt!r}")
    if fmt == "mermaid":
        return drawing_to_mermaid(drawing, rankdir).encode()
    source = drawing_to_dot(drawing, rankdir).to_string()
    return source.encode() if fmt == "dot" else run_graphviz(source, fmt)


def run_graphviz(source: str, fmt: str) -> bytes:
    """Lay out DOT source with Graphviz' `dot`, looked for only now that it is needed."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFound(fmt)
    # Run here rather than through pydot's create(), which prints to stdout and raises a
    # bare AssertionError when dot fails.
    result = subprocess.run([program, f"-T{fmt}"], input=source.encode(),
                            capture_output=True)
    if result.returncode != 0:
        raise GraphvizFailed(f"Graphviz' dot failed to draw .{fmt}: "
                             + result.stderr.decode(errors="replace").strip())
    return result.stdout


def _write(drawing: Drawing, path, rankdir: str, fmt: str | None) -> bytes:
    data = render(drawing, fmt or format_for(path), rankdir)  # before the file is touched
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)
    return data

