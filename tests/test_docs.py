"""Docs cannot drift: generated pages are current, and every command, node type and
diagnostic code is documented."""
from __future__ import annotations

import re
import sys

from conftest import ROOT
from graphspec.ops import REGISTRY

sys.path.insert(0, str(ROOT / "tools"))
import gen_cli_docs  # noqa: E402


def test_cli_reference_is_current():
    assert (ROOT / "docs" / "cli.md").read_text() == gen_cli_docs.render()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = next(line for line in ci.splitlines() if line.startswith("python3 -m venv"))
    assert f"\n{command}\n" in readme


def test_readme_quick_start_builds_without_download():
    readme = (ROOT / "README.md").read_text()
    assert "graphspec build specs/age_gender.yaml --no-weights" in readme


def test_spec_format_documents_every_node_type_and_code():
    reference = (ROOT / "docs" / "spec-format.md").read_text()
    for type_name in REGISTRY:
        assert f"### {type_name}" in reference, type_name
    codes = set()
    for path in (ROOT / "tests" / "cases").glob("*.yaml"):
        codes |= set(re.findall(r"^# expect: \S+.*? (?:error|warning) ([a-z0-9-]+)",
                                path.read_text(), re.M))
    for code in codes:
        assert f"`{code}`" in reference, code
