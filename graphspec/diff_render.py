"""Renderers of a SpecDiff: plain text (for people), markdown (for pull requests), JSON."""
from __future__ import annotations

import json
from typing import Any

from .diff import ABSENT, Change, SpecDiff, _shape

_MARK = {"added": "+", "removed": "-", "renamed": "=", "changed": "~", "reordered": "~"}
_COLOUR = {"+": "32", "-": "31", "=": "36", "~": "33"}
_SECTIONS = ("model", "input", "node", "output", "compile")
_PLURAL = {"model": "model", "input": "inputs", "node": "nodes", "output": "outputs",
           "compile": "compile"}


def summary_line(diff: SpecDiff) -> str:
    """`3 nodes changed, 1 added, 1 renamed; params 1,651 → 1,804 (+9.3%)`."""
    if not diff.changes:
        return "no changes"
    parts = []
    counts = diff.counts()
    for section in _SECTIONS:
        if section not in counts:
            continue
        (kind, n), *rest = sorted(counts[section].items(), key=_kind_order)
        if section in ("model", "compile"):  # one of each: "optimizer changed"
            parts.append(f"{'optimizer' if section == 'compile' else 'model'} {kind}")
            continue
        noun = section if n == 1 else _PLURAL[section]
        parts.append(f"{n} {noun} {kind}" + "".join(f", {m} {k}" for k, m in rest))
    total_old, total_new = diff.params()["total"]
    line = "; ".join(parts)
    if total_old != total_new:
        line += f"; params {total_old:,} → {total_new:,} ({_percent(total_old, total_new)})"
    return line


def _kind_order(item):
    return ("changed", "added", "removed", "renamed", "reordered").index(item[0])


def _percent(old: int, new: int) -> str:
    if old == 0:
        return "new" if new else "±0%"
    return f"{(new - old) / old * 100:+.1f}%"


def _value(value: Any) -> str:
    if isinstance(value, tuple) or (isinstance(value, list) and all(
            isinstance(v, (int, type(None))) for v in value) and value):
        return _shape(tuple(value))
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    if value is ABSENT:
        return "(absent)"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def describe(change: Change) -> str:
    """One line for a change: what happened to it."""
    if change.kind == "renamed":
        return f"renamed {change.old_name} → {change.name}"
    if change.kind in ("added", "removed"):
        side = "new" if change.kind == "added" else "old"
        return " ".join(f"{d.field}={_value(getattr(d, side))}" for d in change.details)
    return "; ".join(f"{d.field} {_value(d.old)} → {_value(d.new)}" for d in change.details)


def render_text(diff: SpecDiff, colour: bool = False) -> str:
    def paint(mark: str, text: str) -> str:
        return f"\033[{_COLOUR[mark]}m{text}\033[0m" if colour else text

    lines = [f"{diff.old_file} → {diff.new_file}", summary_line(diff)]
    for section in _SECTIONS:
        changes = [c for c in diff.changes if c.section == section]
        if not changes:
            continue
        lines += ["", _PLURAL[section]]
        for change in changes:
            mark = _MARK[change.kind]
            head = f"  {mark} {change.name}" if change.kind != "renamed" else \
                f"  {mark} {change.old_name} → {change.name} (renamed)"
            if change.kind in ("added", "removed"):
                head += f" ({change.kind})"
            if change.breaking:
                head += "  [breaking]"
            lines.append(paint(mark, head))
            if change.kind in ("changed", "reordered"):
                lines += [f"      {d.field}: {_value(d.old)} → {_value(d.new)}"
                          for d in change.details]
            elif change.kind in ("added", "removed") and change.details:
                lines.append(f"      {describe(change)}")
            lines += [f"      breaks: {reason}" for reason in change.breaking]
    if diff.effects:
        lines += ["", "consequences (static inference)"]
        width = max(len(e.name) for e in diff.effects)
        for effect in diff.effects:
            text = f"  {effect.name.ljust(width)}"
            if effect.old_shape != effect.new_shape:
                text += f"  shape {_shape(effect.old_shape)} → {_shape(effect.new_shape)}"
            if effect.old_params != effect.new_params:
                text += f"  params {_arrow(f'{effect.old_params[0]:,}', f'{effect.new_params[0]:,}')}"
                if effect.old_params[1] != effect.old_params[0] or \
                        effect.new_params[1] != effect.new_params[0]:
                    text += (f" (trainable {effect.old_params[1]:,} → "
                             f"{effect.new_params[1]:,})")
            lines.append(text)
            lines += [f"      breaks: {reason}" for reason in effect.breaking]
    if diff.changes:
        lines += ["", _params_line(diff)]
    return "\n".join(lines)


def _params_line(diff: SpecDiff) -> str:
    parts = []
    for label, (old, new) in diff.params().items():
        delta = new - old
        parts.append(f"{label} {old:,} → {new:,} ({delta:+,}, {_percent(old, new)})"
                     if delta else f"{label} {old:,} (unchanged)")
    return "params: " + "; ".join(parts)


def render_markdown(diff: SpecDiff) -> str:
    breaking = len(diff.breaking)
    lines = [f"### graphspec diff: `{diff.old_file}` → `{diff.new_file}`", "",
             f"**{summary_line(diff)}**"
             + (f" · ⚠️ {breaking} breaking change{'s' if breaking != 1 else ''}"
                if breaking else "")]
    if not diff.changes:
        return "\n".join(lines) + "\n"
    lines += ["", "| | section | name | change | class |", "|---|---|---|---|---|"]
    for change in diff.changes:
        what = describe(change) or change.kind
        klass = "**breaking**: " + "; ".join(change.breaking) if change.breaking else \
            "compatible"
        lines.append(f"| {_MARK[change.kind]} | {change.section} | `{change.name}` | "
                     f"{_cell(what)} | {_cell(klass)} |")
    lines += ["", "| params | old | new | delta |", "|---|---|---|---|"]
    for label, (old, new) in diff.params().items():
        lines.append(f"| {label} | {old:,} | {new:,} | {new - old:+,} ({_percent(old, new)}) |")
    if diff.effects:
        lines += ["", f"<details><summary>Shapes and parameters of {len(diff.effects)} "
                      f"node{'s' if len(diff.effects) != 1 else ''} (static inference)"
                      "</summary>", "",
                  "| node | shape | params | trainable |", "|---|---|---|---|"]
        for e in diff.effects:
            lines.append(f"| `{e.name}` | {_arrow(_shape(e.old_shape), _shape(e.new_shape))} | "
                         f"{_arrow(f'{e.old_params[0]:,}', f'{e.new_params[0]:,}')} | "
                         f"{_arrow(f'{e.old_params[1]:,}', f'{e.new_params[1]:,}')} |")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _arrow(old: str, new: str) -> str:
    return old if old == new else f"{old} → {new}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def to_json(diff: SpecDiff) -> dict:
    """The stable JSON form, documented in docs/code-review.md."""
    return {
        "format": 1,
        "old": diff.old_file,
        "new": diff.new_file,
        "summary": summary_line(diff),
        "changed": diff.has_changes,
        "breaking": bool(diff.breaking),
        "changes": [{
            "section": c.section, "kind": c.kind, "name": c.name, "old_name": c.old_name,
            "classification": c.classification, "breaking_reasons": list(c.breaking),
            "details": [{"field": d.field, "old": _plain(d.old), "new": _plain(d.new)}
                        for d in c.details],
        } for c in diff.changes],
        "effects": [{
            "name": e.name, "old_name": e.old_name,
            "old_shape": _plain(e.old_shape), "new_shape": _plain(e.new_shape),
            "old_params": e.old_params[0], "new_params": e.new_params[0],
            "old_trainable_params": e.old_params[1], "new_trainable_params": e.new_params[1],
            "classification": "breaking" if e.breaking else "compatible",
            "breaking_reasons": list(e.breaking),
        } for e in diff.effects],
        "params": {label: {"old": old, "new": new, "delta": new - old}
                   for label, (old, new) in diff.params().items()},
    }


def render_json(diff: SpecDiff) -> str:
    return json.dumps(to_json(diff), indent=2)


def _plain(value: Any) -> Any:
    if value is ABSENT:
        return None
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
