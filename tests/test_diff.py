"""`graphspec diff`: case folders (old.yaml, new.yaml, expected.txt with the exit code
first), every format, git revisions in a temporary repository, and `show`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SPECS, cli_in_fresh_process
from graphspec import SpecError
from graphspec.cli import main
from graphspec.diff import diff_specs

CASES = sorted(p for p in (Path(__file__).parent / "diff_cases").iterdir() if p.is_dir())


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_case(case, capsys, monkeypatch):
    monkeypatch.chdir(case)
    code, out, err = run(capsys, "diff", "old.yaml", "new.yaml", "--color", "never")
    expected = (case / "expected.txt").read_text()
    assert f"exit: {code}\n{out}{err}" == expected


def test_reformatting_is_no_change():
    diff = diff_specs(CASES[0].parent / "reformatted" / "old.yaml",
                      CASES[0].parent / "reformatted" / "new.yaml")
    assert not diff.has_changes and diff.effects == []


def test_rename_is_one_change_not_two():
    folder = Path(__file__).parent / "diff_cases" / "rename"
    diff = diff_specs(folder / "old.yaml", folder / "new.yaml")
    assert [(c.kind, c.old_name, c.name) for c in diff.changes] == [
        ("renamed", "hidden1", "first")]


def test_widen_reports_downstream_consequences():
    folder = Path(__file__).parent / "diff_cases" / "widen"
    diff = diff_specs(folder / "old.yaml", folder / "new.yaml")
    assert {e.name: (e.old_params[0], e.new_params[0]) for e in diff.effects} == {
        "hidden2": (64 * 128 + 64, 65 * 128 + 65), "output1": (65, 66), "output2": (65, 66)}
    assert diff.params()["total"] == (8_898, 8_898 + 129 + 2)


@pytest.mark.parametrize("case,code", [("activation", 0), ("heads", 0), ("frozen", 0),
                                       ("widen", 1), ("rename", 1), ("inputs", 1),
                                       ("output-order", 1), ("reformatted", 0)])
def test_fail_on_breaking(case, code, capsys):
    folder = Path(__file__).parent / "diff_cases" / case
    got, _, _ = run(capsys, "diff", folder / "old.yaml", folder / "new.yaml",
                    "--fail-on", "breaking")
    assert got == code


def test_markdown(capsys):
    folder = Path(__file__).parent / "diff_cases" / "widen"
    code, out, _ = run(capsys, "diff", folder / "old.yaml", folder / "new.yaml",
                       "--format", "markdown")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("### graphspec diff:")
    assert lines[2] == ("**1 node changed; params 8,898 → 9,029 (+1.5%)** · ⚠️ 3 breaking "
                        "changes")
    assert "| ~ | node | `hidden2` | units 64 → 65 | **breaking**: the weights of 'hidden2' " \
           "change shape: saved weights no longer load |" in lines
    assert "| total | 8,898 | 9,029 | +131 (+1.5%) |" in lines
    assert "<details><summary>Shapes and parameters of 3 nodes (static inference)</summary>" \
        in lines
    assert "| `output1` | (None, 1) | 65 → 66 | 65 → 66 |" in lines


def test_json_is_stable(capsys):
    folder = Path(__file__).parent / "diff_cases" / "inputs"
    code, out, _ = run(capsys, "diff", folder / "old.yaml", folder / "new.yaml",
                       "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert set(report) == {"format", "old", "new", "summary", "changed", "breaking",
                           "changes", "effects", "params"}
    assert report["params"]["total"] == {"old": 10_789, "new": 18_981, "delta": 8_192}
    renamed = report["changes"][0]
    assert (renamed["kind"], renamed["old_name"], renamed["name"]) == (
        "renamed", "inputA", "features")
    assert renamed["classification"] == "breaking"
    changed = report["changes"][1]
    assert changed["details"] == [{"field": "shape", "old": [128], "new": [256]}]
    assert report["effects"][0]["old_shape"] == [64]


def test_stdin_side(capsys, monkeypatch):
    import io

    folder = Path(__file__).parent / "diff_cases" / "widen"
    monkeypatch.setattr(sys, "stdin", io.StringIO((folder / "old.yaml").read_text()))
    code, out, _ = run(capsys, "diff", "-", folder / "new.yaml")
    assert code == 1
    assert out.splitlines()[0] == f"<stdin> → {folder / 'new.yaml'}"


def test_invalid_old_side_is_exit_2(capsys):
    folder = Path(__file__).parent / "diff_cases" / "invalid-new"
    code, _, err = run(capsys, "diff", folder / "new.yaml", folder / "old.yaml")
    assert code == 2
    assert "[unknown-name]" in err
    with pytest.raises(SpecError):
        diff_specs(folder / "new.yaml", folder / "old.yaml")


def test_missing_side_is_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, "diff", tmp_path / "a.yaml", SPECS / "multi_input.yaml")
    assert code == 2 and "cannot read" in err


def test_diff_imports_no_tensorflow():
    codes, loaded, err = cli_in_fresh_process(
        ["diff", "tests/diff_cases/widen/old.yaml", "tests/diff_cases/widen/new.yaml"],
        ["show", "specs/age_gender.yaml"])
    assert codes == [1, 0], err
    assert loaded == []


# --- git -----------------------------------------------------------------------------------

def git(repo, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "specs").mkdir()
    for name in ("multi_output.yaml", "multi_input.yaml", "age_gender.yaml"):
        (tmp_path / "specs" / name).write_text((SPECS / name).read_text())
    (tmp_path / "ci.yaml").write_text("jobs: {test: {run: pytest}}\n")  # not a spec
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    return tmp_path


def test_rev_path_side(repo, capsys, monkeypatch):
    monkeypatch.chdir(repo)
    spec = repo / "specs" / "multi_output.yaml"
    spec.write_text(spec.read_text().replace("units: 64,", "units: 65,"))
    code, out, _ = run(capsys, "diff", "main:specs/multi_output.yaml", "specs/multi_output.yaml")
    assert code == 1
    assert out.splitlines()[:2] == [
        "main:specs/multi_output.yaml → specs/multi_output.yaml",
        "1 node changed; params 8,898 → 9,029 (+1.5%)"]
    code, _, err = run(capsys, "diff", "nope:specs/multi_output.yaml", "specs/multi_output.yaml")
    assert code == 2 and "cannot read" in err


def test_git_mode(repo, capsys, monkeypatch):
    monkeypatch.chdir(repo)
    spec = repo / "specs" / "multi_output.yaml"
    spec.write_text(spec.read_text().replace("activation: relu, from: x",
                                             "activation: gelu, from: x"))
    (repo / "specs" / "multi_input.yaml").unlink()
    (repo / "specs" / "new_model.yaml").write_text(
        (SPECS / "multi_output.yaml").read_text().replace("name: multi_output", "name: new_model"))
    (repo / "ci.yaml").write_text("jobs: {test: {run: pytest -q}}\n")
    reformatted = repo / "specs" / "age_gender.yaml"
    reformatted.write_text("# reformatted\n" + reformatted.read_text().replace("  ", "  "))
    code, out, _ = run(capsys, "diff", "--git", "main", "--format", "json")
    assert code == 1
    report = {r["file"]: r for r in json.loads(out)}
    assert set(report) == {"specs/multi_output.yaml", "specs/multi_input.yaml",
                           "specs/new_model.yaml", "specs/age_gender.yaml"}
    assert report["specs/multi_input.yaml"]["status"] == "deleted"
    assert report["specs/new_model.yaml"]["status"] == "added"
    assert report["specs/age_gender.yaml"]["diff"]["changed"] is False
    changed = report["specs/multi_output.yaml"]["diff"]
    assert changed["summary"] == "1 node changed"
    code, out, _ = run(capsys, "diff", "--git", "main", "specs/multi_output.yaml")
    assert code == 1 and "activation: relu → gelu" in out and "multi_input" not in out


def test_show_is_canonical(capsys):
    folder = Path(__file__).parent / "diff_cases" / "reformatted"
    _, old, _ = run(capsys, "show", folder / "old.yaml")
    _, new, _ = run(capsys, "show", folder / "new.yaml")
    assert old == new
    assert old.splitlines()[0] == "model multi_output: 8,898 params, 8,898 trainable"
    assert ("node hidden2: Dense activation=relu units=64 from=hidden1 -> (None, 64) "
            "params=8,256 trainable=8,256") in old.splitlines()


def test_show_as_git_textconv(repo):
    (repo / ".gitattributes").write_text("specs/*.yaml diff=graphspec\n")
    git(repo, "config", "diff.graphspec.textconv", f"{sys.executable} -m graphspec.cli show --textconv")
    spec = repo / "specs" / "multi_output.yaml"
    spec.write_text(spec.read_text().replace("units: 64,", "units: 65,"))
    result = subprocess.run(["git", "diff"], cwd=repo, capture_output=True, text=True,
                            check=True)
    changed = [l for l in result.stdout.splitlines() if l[:1] in "+-" and l[:3] not in
               ("+++", "---")]
    assert "-node hidden2: Dense activation=relu units=64 from=hidden1 -> (None, 64) " \
           "params=8,256 trainable=8,256" in changed
    assert "+node output1: Dense activation=linear units=1 from=hidden2 -> (None, 1) " \
           "params=66 trainable=66" in changed


def test_show_textconv_on_an_invalid_spec(capsys):
    folder = Path(__file__).parent / "diff_cases" / "invalid-new"
    code, out, _ = run(capsys, "show", "--textconv", folder / "new.yaml")
    assert code == 0
    assert out.startswith("# ") and "[unknown-name]" in out
    assert "  hidden2: {type: Dense, units: 64, activation: relu, from: hiden1}" in out.splitlines()
    code, _, _ = run(capsys, "show", folder / "new.yaml")
    assert code == 1
