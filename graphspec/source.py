"""Stage 1: YAML text -> plain data, plus the file:line:col of every key and value.

YAML is read with PyYAML's safe composer; the node tree is then turned into plain data
here so that every key path keeps its position, duplicate keys are caught (PyYAML keeps
the last one silently) and only plain data tags are accepted.
"""
from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from .errors import Collector

MAX_BYTES = 16 * 1024 * 1024  # a 10,000-node spec is well under 1 MiB
MAX_DEPTH = 64
MAX_ITEMS = 1_000_000  # values after alias expansion: stops "billion laughs"

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_STR, _TIMESTAMP = _TAG + "str", _TAG + "timestamp"
_constructor = yaml.constructor.SafeConstructor()


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's composer when PyYAML has it (about 10x faster, same nodes and marks),
    with the tags of plain scalars remembered: specs repeat the same few words
    (`Dense`, `relu`, `32`), and resolving each again against every regex is most of
    what is left of parsing."""

    _tags: dict = {}

    def resolve(self, kind, value, implicit):
        if kind is not yaml.ScalarNode or len(value) > 64:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self._tags.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(self._tags) < 10_000:
                self._tags[key] = tag
        return tag



@dataclass
class Source:
    """A spec as plain data, with where each part of it was written."""

    file: str
    data: Any
    positions: dict = field(default_factory=dict)
    key_positions: dict = field(default_factory=dict)
    base_dir: Path = field(default_factory=Path.cwd)

    def collector(self) -> Collector:
        return Collector(self.file, self.positions, self.key_positions)


class _Builder:
    def __init__(self, collector: Collector):
        self.out = collector
        self.positions = collector.positions
        self.items = 0

    def build(self, node: yaml.Node, path: tuple, depth: int) -> Any:
        self.items += 1
        if self.items > MAX_ITEMS:
            raise _Abort(path, f"the spec expands to more than {MAX_ITEMS:,} values "
                               "(YAML aliases nested too deeply?)", "too-large")
        if depth > MAX_DEPTH:
            raise _Abort(path, f"the spec is nested deeper than {MAX_DEPTH} levels", "too-large")
        if path not in self.positions:  # merged values keep their first place
            mark = node.start_mark
            self.positions[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            self.check_tag(node, _TAG + "seq", path)
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        if node.tag == _STR or node.tag == _TIMESTAMP:
            return node.value  # the common case, fast; a date in a description stays text
        if node.tag not in _SCALAR_TAGS:
            self.unsupported_tag(node, path)
            return None
        return _constructor.construct_object(node)

    def mapping(self, node: yaml.MappingNode, path: tuple, depth: int) -> dict:
        self.check_tag(node, _TAG + "map", path)
        result: dict = {}
        merged: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                for source in self.merge_sources(value_node, path):
                    for key, value in self.build(source, path, depth).items():
                        merged.setdefault(key, value)
                continue
            key = self.build_key(key_node, path)
            if key is None:
                continue
            if key in result:
                first = self.out.key_positions[path + (key,)]
                self.out.add(path + (key,), f"duplicate key '{key}' (first defined at line "
                             f"{first[0]}); YAML would silently keep only the last one",
                             "duplicate-key", position=_pos(key_node))
                continue
            self.out.key_positions[path + (key,)] = _pos(key_node)
            result[key] = self.build(value_node, path + (key,), depth + 1)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def merge_sources(self, node: yaml.Node, path: tuple) -> list:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if all(isinstance(s, yaml.MappingNode) for s in sources):
            return sources
        self.out.error(path, "a YAML merge key '<<' must refer to a mapping", "yaml-syntax")
        return []

    def build_key(self, node: yaml.Node, path: tuple):
        if not isinstance(node, yaml.ScalarNode) or node.tag not in _SCALAR_TAGS:
            line, col = _pos(node)
            self.out.positions.setdefault(path + ("<key>",), (line, col))
            self.out.error(path + ("<key>",), "a mapping key must be a plain name", "invalid-name")
            return None
        if node.tag == _STR:
            return node.value
        key = _constructor.construct_object(node)
        return key if isinstance(key, str) else str(key)

    def check_tag(self, node: yaml.Node, expected: str, path: tuple) -> None:
        if node.tag != expected:
            self.unsupported_tag(node, path)

    def unsupported_tag(self, node: yaml.Node, path: tuple) -> None:
        tag = node.tag.replace(_TAG, "!!")
        self.out.error(path, f"YAML tag '{tag}' is not allowed: a spec is plain data "
                             "(mappings, lists, strings, numbers, booleans, null)",
                       "unsupported-tag")


class _Abort(Exception):
    def __init__(self, path, message, code, position=None):
        super().__init__(message)
        self.path, self.message, self.code, self.position = path, message, code, position


def _expanded_size(node: yaml.Node, memo: dict, on_path: set, depth: int = 0) -> int:
    """How many values the node becomes once aliases are expanded, counted without
    expanding them (each composed node once), so an alias bomb is refused at once."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in on_path:
        raise _Abort((), "a YAML alias refers to a node that contains it (a recursive "
                         "structure)", "too-large", _pos(node))
    if depth > MAX_DEPTH:
        raise _Abort((), f"the spec is nested deeper than {MAX_DEPTH} levels", "too-large",
                     _pos(node))
    on_path.add(key)
    children = []
    if isinstance(node, yaml.SequenceNode):
        children = node.value
    elif isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    size = 1 + sum(_expanded_size(child, memo, on_path, depth + 1) for child in children)
    on_path.discard(key)
    memo[key] = size
    return size


@contextlib.contextmanager
def no_gc():
    """For work that makes many objects and few cycles worth collecting (parsing, checking,
    importing Keras): the collector would walk the growing trees again and again, making
    large specs superlinear.

    The objects made meanwhile then join the oldest generation without a pass of the
    collector over them (freeze and unfreeze splice lists; they stay collectable), so that
    the first young collection afterwards does not walk them all at once instead. That is
    skipped when the caller has frozen objects of its own, which unfreeze would release.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def parse_text(text: str, file: str = "<string>", base_dir: Path | None = None) -> Source:
    """Parse YAML text into a Source; raises SpecError with located diagnostics."""
    source = Source(file, None, base_dir=base_dir or Path.cwd())
    out = source.collector()
    if len(text) > MAX_BYTES:
        out.error((), f"the spec is larger than {MAX_BYTES // (1024 * 1024)} MiB", "too-large")
        out.raise_if_errors()
    try:
        with no_gc():
            nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        out.positions[("<yaml>",)] = (line, col)
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        out.error(("<yaml>",), f"invalid YAML: {message}", "yaml-syntax")
        out.raise_if_errors()
    except yaml.YAMLError as exc:
        out.error((), f"invalid YAML: {exc}", "yaml-syntax")
        out.raise_if_errors()
    except RecursionError:
        out.error((), f"the spec is nested deeper than {MAX_DEPTH} levels", "too-large")
        out.raise_if_errors()
    if len(nodes) > 1:
        out.error((), "a spec file holds exactly one YAML document; found "
                      f"{len(nodes)}", "not-a-spec")
        out.raise_if_errors()
    if not nodes:
        nodes = [yaml.ScalarNode(_TAG + "null", "", yaml.Mark(file, 0, 0, 0, None, None))]
    root = nodes[0]
    try:
        if "&" in text:  # only anchors make aliases, and only aliases can explode
            size = _expanded_size(root, {}, set())
            if size > MAX_ITEMS:
                raise _Abort((), f"the spec expands to {size:,} values, more than the limit "
                                 f"of {MAX_ITEMS:,} (YAML aliases nested too deeply?)",
                             "too-large")
        with no_gc():
            source.data = _Builder(out).build(root, (), 0)
    except _Abort as exc:
        out.add(exc.path, exc.message, exc.code, position=exc.position)
    if not out.has_errors and not isinstance(source.data, dict):
        kind = type(source.data).__name__ if source.data is not None else "empty"
        article = "an" if kind[0] in "aeiou" else "a"
        out.error((), f"a spec is a YAML mapping with keys graphspec, name, inputs, nodes "
                      f"and outputs; received {article} {kind} document", "not-a-spec")
    out.raise_if_errors()
    return source


def read_file(path: str | Path) -> Source:
    """Read and parse a spec file. I/O problems raise OSError; spec problems SpecError."""
    path = Path(path)
    raw = path.read_bytes()
    file = str(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        out = Collector(file, {(): (line, col)})
        out.error((), f"the spec is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                      f"{exc.start})", "not-utf8")
        out.raise_if_errors()
    if "\x00" in text:
        out = Collector(file)
        out.error((), "the spec is a binary file, not YAML text", "not-a-spec")
        out.raise_if_errors()
    return parse_text(text, file, base_dir=path.resolve().parent)


def from_mapping(data: Mapping, file: str = "<mapping>") -> Source:
    """Wrap data built in Python; its diagnostics carry key paths instead of lines."""
    return Source(file, plain_copy(data))


def plain_copy(value: Any) -> Any:
    """A deep copy of plain data (mappings, lists, tuples as lists, scalars)."""
    if isinstance(value, Mapping):
        return {k: plain_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_copy(v) for v in value]
    return value


def apply_overrides(source: Source, overrides: Mapping[str, Any] | list[str] | None) -> None:
    """Set fields by dotted path (`nodes.resnet.weights`), creating mappings as needed.

    `overrides` maps paths to values, or is a list of `PATH=YAML` strings as the CLI
    passes them. Raises ValueError for a path that cannot be set.
    """
    if not overrides:
        return
    if not isinstance(overrides, Mapping):
        overrides = dict(parse_assignment(item) for item in overrides)
    for dotted, value in overrides.items():
        keys = dotted.split(".")
        if not all(keys):
            raise ValueError(f"invalid override path '{dotted}'")
        target = source.data
        for i, key in enumerate(keys[:-1]):
            if isinstance(target, list) and key.isdigit() and int(key) < len(target):
                target = target[int(key)]
                continue
            if not isinstance(target, dict):
                raise ValueError(f"cannot set '{dotted}': '{'.'.join(keys[:i])}' is not a mapping")
            target = target.setdefault(key, {})
        last = keys[-1]
        if isinstance(target, list) and last.isdigit() and int(last) < len(target):
            target[int(last)] = plain_copy(value)
        elif isinstance(target, dict):
            target[last] = plain_copy(value)
        else:
            raise ValueError(f"cannot set '{dotted}': its parent is not a mapping")


def parse_assignment(item: str) -> tuple[str, Any]:
    """`PATH=VALUE` with VALUE read as YAML (`null`, `3`, `[a, b]`, `relu`)."""
    path, sep, text = item.partition("=")
    if not sep or not path.strip():
        raise ValueError(f"invalid override '{item}': expected PATH=VALUE, "
                         "e.g. nodes.resnet.weights=null")
    try:
        value = yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid override value in '{item}': {exc}") from None
    return path.strip(), value

