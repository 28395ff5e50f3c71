"""Diagnostics: one record per problem, collected and raised together."""
from __future__ import annotations

from dataclasses import dataclass, field
import difflib
from typing import Iterable


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a spec, with its place: ``file:line:col: severity: message  [code]``."""

    file: str
    line: int
    col: int
    severity: str  # "error" | "warning"
    message: str
    code: str
    hint: str | None = None
    path: tuple = ()

    def format(self) -> str:
        text = f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}  [{self.code}]"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "message": self.message,
            "code": self.code,
            "hint": self.hint,
            "path": [str(p) for p in self.path],
        }


class SpecError(Exception):
    """Raised with every error-level diagnostic of a spec (warnings ride along)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=_order)
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


class BuildError(Exception):
    """A valid spec that Keras could not build (missing weights, no network, ...)."""

    def __init__(self, message: str, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message}\n  hint: {hint}")


class TrainError(BuildError):
    """Training cannot start: the data folder, the label rules or the training options do
    not fit the spec (found before TensorFlow is imported)."""


def _order(d: Diagnostic) -> tuple:
    return (d.file, d.severity != "error", d.line, d.col, d.code)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint naming the closest choice, or None when nothing is close."""
    close = difflib.get_close_matches(str(word), sorted(set(choices)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


@dataclass
class Collector:
    """Gathers diagnostics for one spec file, locating each by its key path."""

    file: str
    positions: dict = field(default_factory=dict)      # key path -> (line, col) of the value
    key_positions: dict = field(default_factory=dict)  # key path -> (line, col) of the key
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def locate(self, path: tuple, at_key: bool = False) -> tuple[int, int]:
        path = tuple(path)
        if at_key and path in self.key_positions:
            return self.key_positions[path]
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def add(self, path: tuple, message: str, code: str, *, hint: str | None = None,
            severity: str = "error", at_key: bool = False,
            position: tuple[int, int] | None = None) -> None:
        line, col = position or self.locate(path, at_key)
        self.diagnostics.append(
            Diagnostic(self.file, line, col, severity, message, code, hint, tuple(path)))

    def error(self, path, message, code, hint=None, at_key=False) -> None:
        self.add(path, message, code, hint=hint, at_key=at_key)

    def warning(self, path, message, code, hint=None, at_key=False) -> None:
        self.add(path, message, code, hint=hint, severity="warning", at_key=at_key)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise SpecError(self.diagnostics)
