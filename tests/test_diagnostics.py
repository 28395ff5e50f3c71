"""One broken spec per diagnostic code, each with its expected diagnostics beside it.

A case file starts with lines `# expect: LINE:TOKEN SEVERITY CODE [hint=...|message=...]`;
the expected column is where TOKEN first appears on LINE (`*` accepts any place).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphspec import SpecError, check_spec

CASES = Path(__file__).parent / "cases"
EXPECT = re.compile(r"^# expect: (?P<where>\*|\d+:.+?) (?P<severity>error|warning) "
                    r"(?P<code>[a-z0-9-]+)(?: (?P<key>hint|message)=(?P<text>.*))?$")


def expectations(path: Path) -> list[dict]:
    lines = path.read_text().splitlines()
    found = []
    for line in lines:
        match = EXPECT.match(line)
        if not match:
            continue
        expected = match.groupdict()
        if expected["where"] != "*":
            number, token = expected["where"].split(":", 1)
            text = lines[int(number) - 1]
            assert token in text, f"{path.name}: token {token!r} not on line {number}"
            expected["line"], expected["col"] = int(number), text.index(token) + 1
        found.append(expected)
    assert found, f"{path.name} has no expectations"
    return found


def diagnostics_of(path: Path):
    try:
        checked = check_spec(path)
    except SpecError as exc:
        return exc.diagnostics
    return checked.warnings


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_case(path: Path):
    got = diagnostics_of(path)
    expected = expectations(path)
    assert len(got) == len(expected), "\n".join(d.format() for d in got)
    for want in expected:
        matches = [d for d in got if d.code == want["code"] and d.severity == want["severity"]
                   and (want["where"] == "*" or (d.line, d.col) == (want["line"], want["col"]))]
        assert matches, (f"expected {want} in:\n" + "\n".join(d.format() for d in got))
        diagnostic = matches[0]
        assert diagnostic.file == str(path)
        if want["key"] == "hint":
            assert diagnostic.hint == want["text"]
        if want["key"] == "message":
            assert diagnostic.message == want["text"]


def test_every_code_has_a_case():
    codes = {e["code"] for p in CASES.glob("*.yaml") for e in expectations(p)}
    assert codes >= {
        "yaml-syntax", "duplicate-key", "unknown-field", "missing-field", "invalid-name",
        "unknown-type", "unknown-name", "cycle", "unreachable", "unknown-output",
        "shape-mismatch", "unknown-activation", "unknown-loss", "unknown-metric",
        "unknown-optimizer", "invalid-value", "unused", "unsupported-tag", "not-a-spec",
        "unsupported-version", "duplicate-name", "wrong-arity", "too-large"}
