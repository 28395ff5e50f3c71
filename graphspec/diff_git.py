"""`graphspec diff --git BASE [PATH...]`: every spec file that differs between a git
revision and the working tree, each read from both sides and diffed."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .api import check_spec
from .diff import SpecDiff, diff_specs, git_show, run_git
from .source import parse_text, read_file

_SPEC_KEY = re.compile(r"^graphspec\s*:", re.M)  # a spec has a top-level `graphspec:` key


@dataclass
class GitSpecFile:
    path: str  # relative to the repository's top
    old_path: str
    status: str  # "modified" | "renamed" | "added" | "deleted"
    top: Path
    base: str
    diff: SpecDiff | None = None
    summary: str = ""


def changed_spec_files(base: str, paths: list[str]) -> list[GitSpecFile]:
    """Spec files (YAML with a top-level `graphspec:` key on either side) that differ
    between BASE and the working tree, untracked new ones included."""
    top = Path(run_git(["rev-parse", "--show-toplevel"]).strip())
    run_git(["rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"])
    pathspec = ["--", *paths] if paths else []
    fields = run_git(["diff", "--name-status", "-M", "-z", base, *pathspec]).split("\0")
    entries = []
    i = 0
    while i < len(fields) - 1:
        code = fields[i]
        if code.startswith(("R", "C")):
            entries.append(("renamed", fields[i + 1], fields[i + 2]))
            i += 3
            continue
        kind = {"A": "added", "D": "deleted"}.get(code[0], "modified")
        entries.append((kind, fields[i + 1], fields[i + 1]))
        i += 2
    untracked = run_git(["ls-files", "--others", "--exclude-standard", "--full-name", "-z",
                      *pathspec]).split("\0")
    entries += [("added", p, p) for p in untracked if p]
    files = []
    for status, old_path, path in entries:
        if not path.endswith((".yaml", ".yml")):
            continue
        item = GitSpecFile(path, old_path, status, top, base)
        texts = [_old_text(item), _new_text(item)]
        if any(t is not None and looks_like_spec(t) for t in texts):
            files.append(item)
    return sorted(files, key=lambda f: f.path)


def looks_like_spec(text: str) -> bool:
    """A YAML text with a top-level `graphspec:` key."""
    return bool(_SPEC_KEY.search(text))


def _old_text(item: GitSpecFile) -> str | None:
    if item.status == "added":
        return None
    return git_show(item.base, item.old_path, cwd=item.top)


def _new_text(item: GitSpecFile) -> str | None:
    if item.status == "deleted":
        return None
    return (item.top / item.path).read_text(encoding="utf-8", errors="replace")


def diff_git_file(item: GitSpecFile) -> GitSpecFile:
    """Fill in the diff (both sides present) or a summary (added or deleted spec)."""
    if item.status == "added":
        checked = check_spec(read_file(item.top / item.path))
        item.summary = _describe(checked)
    elif item.status == "deleted":
        old = parse_text(git_show(item.base, item.old_path, cwd=item.top),
                         f"{item.base}:{item.old_path}")
        item.summary = _describe(check_spec(old))
    else:
        old = parse_text(git_show(item.base, item.old_path, cwd=item.top),
                         f"{item.base}:{item.old_path}")
        new = read_file(item.top / item.path)
        item.diff = diff_specs(old, new)
    return item


def _describe(checked) -> str:
    return (f"model {checked.name}, {len(checked.spec.nodes)} nodes, "
            f"{checked.total_params:,} params")
