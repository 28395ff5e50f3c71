"""Semantic diff of two specs: what changed in the model, matched by name.

The model is tiny and apart from its renderers (in `diff_render.py`): a `SpecDiff` holds
`Change`s (something added, removed, renamed or changed, each with its `Detail`s and,
where it breaks a checkpoint or a serving client, the reasons) and `Effect`s (every node
whose inferred shape or parameter count moved, edited or not).
"""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .api import SpecSource, check_spec
from .infer import CheckedSpec
from .ops.core import format_shape
from .source import Source, parse_text, read_file


class _Absent:
    """A field one side does not have (after a type change), unlike an explicit null."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


@dataclass(frozen=True)
class Detail:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    section: str  # "model" | "input" | "node" | "output" | "compile"
    kind: str  # "added" | "removed" | "renamed" | "changed" | "reordered"
    name: str  # the name on the new side (the old one for removals)
    old_name: str | None = None  # for renames
    details: tuple[Detail, ...] = ()
    breaking: tuple[str, ...] = ()  # why it breaks a checkpoint or a client; () = compatible

    @property
    def classification(self) -> str:
        return "breaking" if self.breaking else "compatible"


@dataclass(frozen=True)
class Effect:
    """A node whose output shape or parameter count differs, from static inference."""

    name: str
    old_name: str
    old_shape: tuple | None
    new_shape: tuple | None
    old_params: tuple[int, int]
    new_params: tuple[int, int]
    breaking: tuple[str, ...] = ()  # set for a node not edited whose weights change shape


@dataclass
class SpecDiff:
    old_file: str
    new_file: str
    old: CheckedSpec
    new: CheckedSpec
    changes: list[Change] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def breaking(self) -> list[Change | Effect]:
        """Changes and consequences that break a saved checkpoint or a serving client."""
        return [c for c in self.changes if c.breaking] + [e for e in self.effects if e.breaking]

    def counts(self) -> dict[str, dict[str, int]]:
        """Per section, how many changes of each kind."""
        counts: dict[str, dict[str, int]] = {}
        for change in self.changes:
            section = counts.setdefault(change.section, {})
            section[change.kind] = section.get(change.kind, 0) + 1
        return counts

    def params(self) -> dict[str, tuple[int, int]]:
        return {"total": (self.old.total_params, self.new.total_params),
                "trainable": (self.old.trainable_params, self.new.trainable_params)}


def diff_specs(old: SpecSource, new: SpecSource) -> SpecDiff:
    """Compare two specs (paths, mappings, loaded or checked specs). Never imports
    TensorFlow. Raises SpecError when either side is invalid."""
    old_checked, new_checked = check_spec(old), check_spec(new)
    result = SpecDiff(old_checked.source.file, new_checked.source.file, old_checked, new_checked)
    renames = _Renames()
    _diff_model(old_checked, new_checked, result)
    _diff_inputs(old_checked, new_checked, renames, result)
    _diff_nodes(old_checked, new_checked, renames, result)
    _diff_outputs(old_checked, new_checked, renames, result)
    _diff_compile(old_checked, new_checked, result)
    edited = {c.name for c in result.changes if c.section == "node"}
    result.effects = _effects(old_checked, new_checked, renames, edited)
    return result


class _Renames:
    """Old name <-> new name for everything matched across the two sides."""

    def __init__(self):
        self.to_new: dict[str, str] = {}
        self.to_old: dict[str, str] = {}

    def add(self, old: str, new: str) -> None:
        self.to_new[old], self.to_old[new] = new, old

    def new_name(self, old: str) -> str:
        return self.to_new.get(old, old)

    def old_name(self, new: str) -> str:
        return self.to_old.get(new, new)


def _diff_model(old: CheckedSpec, new: CheckedSpec, out: SpecDiff) -> None:
    details = _field_details({"name": old.spec.name, "description": old.spec.description},
                             {"name": new.spec.name, "description": new.spec.description})
    if details:
        out.changes.append(Change("model", "changed", new.spec.name, details=details))


def _diff_inputs(old: CheckedSpec, new: CheckedSpec, renames: _Renames, out: SpecDiff) -> None:
    old_inputs, new_inputs = old.spec.inputs, new.spec.inputs
    removed = [n for n in old_inputs if n not in new_inputs]
    added = [n for n in new_inputs if n not in old_inputs]
    for name in added:
        same = [r for r in removed if old_inputs[r] == new_inputs[name]]
        claimed = [a for a in added if new_inputs[a] == new_inputs[name]]
        if len(same) == 1 and len(claimed) == 1:
            renames.add(same[0], name)
            removed.remove(same[0])
            out.changes.append(Change("input", "renamed", name, same[0], breaking=(
                f"serving clients send input '{same[0]}', now named '{name}'",)))
    for name in removed:
        out.changes.append(Change("input", "removed", name, details=_shape_detail(old, name, False),
                                  breaking=(f"serving clients still send input '{name}'",)))
    for name in added:
        if name in renames.to_old:
            continue
        out.changes.append(Change("input", "added", name, details=_shape_detail(new, name, True),
                                  breaking=(f"serving clients do not send input '{name}'",)))
    for name in new_inputs:
        before = renames.old_name(name)
        if before not in old_inputs or name in added and name not in renames.to_old:
            continue
        details = _field_details(old_inputs[before].model_dump(), new_inputs[name].model_dump())
        if details:
            reasons = tuple(f"input '{name}' {d.field} changes" for d in details
                            if d.field in ("shape", "dtype"))
            out.changes.append(Change("input", "changed", name, details=details,
                                      breaking=reasons))
    _diff_order("input", [renames.new_name(n) for n in old_inputs], list(new_inputs), out)


def _diff_nodes(old: CheckedSpec, new: CheckedSpec, renames: _Renames, out: SpecDiff) -> None:
    old_nodes, new_nodes = old.spec.nodes, new.spec.nodes
    removed = [n for n in old.order if n in old_nodes and n not in new_nodes]
    added = [n for n in new.order if n in new_nodes and n not in old_nodes]
    # Renames: a node whose content and (renamed) sources equal a removed node's, taken
    # in graph order so that renamed sources are known before the nodes they feed.
    for name in list(added):
        content = _content(new_nodes[name], [renames.old_name(s) for s in new.sources(name)])
        same = [r for r in removed if _content(old_nodes[r], old.sources(r)) == content]
        if len(same) == 1:
            renames.add(same[0], name)
            removed.remove(same[0])
            added.remove(name)
            weighted = old.params.get(same[0], (0, 0))[0] > 0
            out.changes.append(Change("node", "renamed", name, same[0], breaking=(
                (f"saved weights of '{same[0]}' are stored under its old name",)
                if weighted else ())))
    for name in removed:
        weighted = old.params.get(name, (0, 0))[0] > 0
        out.changes.append(Change("node", "removed", name,
                                  details=_node_summary(old, name, added=False),
                                  breaking=((f"saved weights of '{name}' no longer load",)
                                            if weighted else ())))
    for name in added:
        weighted = new.params.get(name, (0, 0))[0] > 0
        out.changes.append(Change("node", "added", name,
                                  details=_node_summary(new, name, added=True),
                                  breaking=((f"saved checkpoints have no weights for '{name}'",)
                                            if weighted else ())))
    for name in new.order:
        before = renames.old_name(name)
        if name not in new_nodes or before not in old_nodes or name in added:
            continue
        a, b = old_nodes[before], new_nodes[name]
        if a == b and not renames.to_new:  # the common case: untouched, nothing renamed
            continue
        details = []
        if a.type != b.type:
            details.append(Detail("type", a.type, b.type))
        old_from = [renames.new_name(s) for s in old.sources(before)]
        if old_from != new.sources(name):
            details.append(Detail("from", _from_text(old_from), _from_text(new.sources(name))))
        details += _field_details(_arguments(a), _arguments(b))
        if not details:
            continue
        reasons = []
        if a.type != b.type and old.params.get(before, (0, 0))[0] > 0:
            reasons.append(f"'{name}' is now of type {b.type}: its saved weights no longer load")
        elif _weights_change(old, before, new, name):
            reasons.append(f"the weights of '{name}' change shape: saved weights no longer load")
        out.changes.append(Change("node", "changed", name, details=tuple(details),
                                  breaking=tuple(reasons)))


def _diff_outputs(old: CheckedSpec, new: CheckedSpec, renames: _Renames, out: SpecDiff) -> None:
    old_heads, new_heads = old.spec.outputs, new.spec.outputs
    matched = {renames.new_name(n): n for n in old_heads}
    for name, before in matched.items():
        if name not in new_heads:
            out.changes.append(Change("output", "removed", before, breaking=(
                f"serving clients read output '{before}'",)))
        elif before != name:
            out.changes.append(Change("output", "renamed", name, before, breaking=(
                f"serving clients read output '{before}', now named '{name}'",)))
    for name in new_heads:
        if name not in matched:
            head = new.spec.outputs[name].model_dump(exclude_defaults=True)
            out.changes.append(Change("output", "added", name,
                                      details=_field_details({}, head)))
            continue
        before = matched[name]
        details = _field_details(_head(old, before), _head(new, name))
        old_shape, new_shape = old.shapes.get(before), new.shapes.get(name)
        reasons = ()
        if old_shape != new_shape:
            reasons = (f"output '{name}' changes shape {_shape(old_shape)} → "
                       f"{_shape(new_shape)}",)
        if details or reasons:
            out.changes.append(Change("output", "changed", name, details=details,
                                      breaking=reasons))
    _diff_order("output", [renames.new_name(n) for n in old_heads], list(new_heads), out)


def _diff_compile(old: CheckedSpec, new: CheckedSpec, out: SpecDiff) -> None:
    def optimizer(checked):
        compile_ = checked.spec.compile
        value = compile_.optimizer if compile_ else "adam"
        return value if isinstance(value, str) else {"type": value.type, **value.arguments()}

    details = _field_details({"optimizer": optimizer(old)}, {"optimizer": optimizer(new)})
    if details:
        out.changes.append(Change("compile", "changed", "optimizer", details=details))


def _diff_order(section: str, old_order: list[str], new_order: list[str], out: SpecDiff) -> None:
    kept_old = [n for n in old_order if n in new_order]
    kept_new = [n for n in new_order if n in old_order]
    if kept_old != kept_new:
        out.changes.append(Change(section, "reordered", f"{section}s",
                                  details=(Detail("order", kept_old, kept_new),),
                                  breaking=(f"clients pass {section}s by position",)))


def _effects(old: CheckedSpec, new: CheckedSpec, renames: _Renames, edited: set[str]
             ) -> list[Effect]:
    effects = []
    for name in new.order:
        before = renames.old_name(name)
        # Nodes only: an input removed and a node added under its name are two things.
        if before not in old.spec.nodes or name not in new.spec.nodes:
            continue
        old_params, new_params = old.params.get(before, (0, 0)), new.params.get(name, (0, 0))
        if old.shapes[before] != new.shapes[name] or old_params != new_params:
            reasons = ()
            if name not in edited and _weights_change(old, before, new, name):
                reasons = (f"the weights of '{name}' change shape (its input changed): "
                           "saved weights no longer load",)
            effects.append(Effect(name, before, old.shapes[before], new.shapes[name],
                                  old_params, new_params, reasons))
    return effects


def _weights_change(old: CheckedSpec, before: str, new: CheckedSpec, name: str) -> bool:
    old_params, new_params = old.params.get(before, (0, 0)), new.params.get(name, (0, 0))
    if old_params[0] == 0 and new_params[0] == 0:
        return False
    in_old = [old.shapes[s] for s in old.sources(before)]
    in_new = [new.shapes[s] for s in new.sources(name)]
    return (old_params[0] != new_params[0] or in_old != in_new
            or old.shapes[before] != new.shapes[name])


def _arguments(node) -> dict:
    return node.model_dump(exclude={"type", "from_"})


def _content(node, sources: list[str]) -> tuple:
    return node.type, sorted(_arguments(node).items()), sources


def _head(checked: CheckedSpec, name: str) -> dict:
    return checked.spec.outputs[name].model_dump()


def _field_details(old: dict, new: dict) -> tuple[Detail, ...]:
    keys = list(old) + [k for k in new if k not in old]
    return tuple(Detail(k, old.get(k, ABSENT), new.get(k, ABSENT)) for k in keys
                 if old.get(k, ABSENT) != new.get(k, ABSENT))


def _shape_detail(checked: CheckedSpec, name: str, added: bool) -> tuple[Detail, ...]:
    shape = checked.shapes.get(name)
    return (Detail("shape", None, shape) if added else Detail("shape", shape, None),)


def _node_summary(checked: CheckedSpec, name: str, added: bool) -> tuple[Detail, ...]:
    node = checked.spec.nodes[name]
    values = {"type": node.type, "from": _from_text(checked.sources(name)),
              **node.model_dump(exclude={"type", "from_"}, exclude_defaults=True)}
    return tuple(Detail(k, None, v) if added else Detail(k, v, None)
                 for k, v in values.items())


def _from_text(sources: list[str]) -> str:
    return sources[0] if len(sources) == 1 else "[" + ", ".join(sources) + "]"


def _shape(shape) -> str:
    """A shape as Keras prints it, or `-` where a side has none."""
    return "-" if shape is None else format_shape(shape)


# --- reading the two sides ---------------------------------------------------------------

def read_side(argument: str, *, stdin=None) -> Source:
    """A diff side: a path, `-` (stdin) or `REV:PATH` read from git.

    Raises OSError when it cannot be read, SpecError when it is not valid YAML.
    """
    if argument == "-":
        return parse_text((stdin or sys.stdin).read(), "<stdin>")
    if Path(argument).exists() or ":" not in argument:
        return read_file(argument)
    revision, _, path = argument.partition(":")
    return parse_text(git_show(revision, path), argument)


def run_git(args: list[str], cwd: str | Path | None = None) -> str:
    """git's output for ARGS; OSError (git's last line of complaint) when it fails."""
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise OSError("git is not installed") from None
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()
        raise OSError(message[-1] if message else f"git {' '.join(args)} failed")
    return result.stdout


def git_show(revision: str, path: str, cwd: str | Path | None = None) -> str:
    """The text of PATH at REVISION; OSError when git cannot give it."""
    return run_git(["show", f"{revision}:{path}"], cwd)
