"""Drawn diffs: `graphspec diff --plot` and `--format markdown --mermaid`, and
diff_to_dot / diff_to_mermaid; the union of both graphs, coloured by what changed."""
from __future__ import annotations

from pathlib import Path


from conftest import SPECS, needs_graphviz, spec_with, svg_boxes, svg_edges
from graphspec.cli import main
from graphspec.diff import diff_specs
from graphspec.render import (AFFECTED_BORDER, KIND_STYLE, LINK_COLOUR, STATUS_STYLE,
                              diff_to_dot, diff_to_mermaid, run_graphviz)

CASES = Path(__file__).parent / "diff_cases"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def case(name: str) -> list[Path]:
    return [CASES / name / "old.yaml", CASES / name / "new.yaml"]


def fill(status: str) -> str:
    return STATUS_STYLE[status]["fill"]


@needs_graphviz
def test_plot_added_removed_changed_and_their_edges(capsys, tmp_path):
    target = tmp_path / "diff.svg"
    code, out, _ = run(capsys, "diff", *case("add-remove"), "--plot", target)
    assert code == 1  # the exit code still says: differences
    assert "1 node changed, 1 added, 1 removed" in out  # the report is printed as ever
    svg = target.read_text()
    boxes = svg_boxes(svg)
    assert boxes["drop"]["fill"] == fill("added")
    assert boxes["output2"]["fill"] == fill("removed")
    assert boxes["output2/output"]["fill"] == fill("removed")
    assert boxes["hidden2"]["fill"] == fill("changed")
    assert "from=hidden1 → drop" in boxes["hidden2"]["texts"]
    assert boxes["x"]["fill"] == KIND_STYLE["input"]["fill"]  # unchanged keeps its colour
    assert boxes["output1/output"]["fill"] == KIND_STYLE["head"]["fill"]
    edges = svg_edges(svg)
    assert edges["hidden1->drop"] == {"stroke": LINK_COLOUR["added"], "dashed": False}
    assert edges["drop->hidden2"] == {"stroke": LINK_COLOUR["added"], "dashed": False}
    assert edges["hidden1->hidden2"] == {"stroke": LINK_COLOUR["removed"], "dashed": True}
    assert edges["hidden2->output2"] == {"stroke": LINK_COLOUR["removed"], "dashed": True}
    assert edges["x->hidden1"] == {"stroke": LINK_COLOUR["same"], "dashed": False}


@needs_graphviz
def test_plot_changed_values_and_consequences():
    svg = run_graphviz(diff_to_dot(diff_specs(*case("widen"))).to_string(), "svg")
    boxes = svg_boxes(svg)
    assert boxes["hidden2"]["fill"] == fill("changed")
    assert boxes["hidden2"]["texts"] == ["hidden2", "Dense", "units=64 → 65", "activation=relu",
                                         "(None, 64) → (None, 65)", "params: 8,256 → 8,385"]
    # Not edited, but its weights change shape: outlined, not filled.
    assert boxes["output1"]["stroke"] == AFFECTED_BORDER
    assert boxes["output1"]["fill"] == KIND_STYLE["node"]["fill"]
    assert "params: 65 → 66" in boxes["output1"]["texts"]


@needs_graphviz
def test_plot_renames_show_both_names():
    svg = run_graphviz(diff_to_dot(diff_specs(*case("inputs"))).to_string(), "svg")
    boxes = svg_boxes(svg)
    assert boxes["features"]["texts"][:2] == ["inputA → features", "Input"]
    assert boxes["features"]["fill"] == fill("renamed")
    assert boxes["features"]["shape"] == "ellipse"  # still drawn as an input
    assert boxes["inputB"]["texts"] == ["inputB", "Input", "(None, 128) → (None, 256)"]
    assert boxes["inputB"]["fill"] == fill("changed")
    assert set(svg_edges(svg)) >= {"features->x", "inputB->y"}
    assert all(e["stroke"] == LINK_COLOUR["same"] for e in svg_edges(svg).values())


def test_type_change_and_heads():
    dot = diff_to_dot(diff_specs(*case("type-change"))).to_string()
    assert "<I>Dense → Activation</I>" in dot
    assert "<TD>units=64 → none</TD>" in dot
    heads = diff_to_dot(diff_specs(*case("heads"))).to_string()
    assert "<TD>loss=mae → mse</TD>" in heads
    assert "<TD>metrics=[accuracy] → [accuracy, auc]</TD>" in heads
    assert "<TD>weight=99 → 50</TD>" in heads


def test_a_removed_input_and_an_added_node_of_one_name_stay_apart():
    old = spec_with({"a": {"type": "Dense", "units": 2, "from": "x"}}, {"x": [3]}, ["a"])
    new = spec_with({"x": {"type": "Dense", "units": 2, "from": "y"},
                     "a": {"type": "Dense", "units": 2, "from": "x"}}, {"y": [5]}, ["a"])
    dot = diff_to_dot(diff_specs(old, new)).to_string()
    assert '"x (old)" [shape=ellipse, fillcolor="#fee2e2"' in dot
    assert '"x (old)" -> a [color="#dc2626", style=dashed' in dot
    assert 'y -> x [color="#16a34a"' in dot


def test_diff_drawings_are_deterministic():
    first = diff_to_dot(diff_specs(*case("add-remove")), "LR").to_string()
    assert first == diff_to_dot(diff_specs(*case("add-remove")), "LR").to_string()
    assert "rankdir=LR;" in first


def test_plot_to_dot_and_mmd_need_no_graphviz(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, _ = run(capsys, "diff", *case("widen"), "--plot", tmp_path / "d.dot")
    assert code == 1
    assert (tmp_path / "d.dot").read_text() == diff_to_dot(diff_specs(*case("widen"))).to_string()
    code, _, _ = run(capsys, "diff", *case("widen"), "--plot", tmp_path / "d.mmd",
                     "--rankdir", "LR")
    assert code == 1
    assert (tmp_path / "d.mmd").read_text() == diff_to_mermaid(diff_specs(*case("widen")), "LR")


def test_plot_without_graphviz_exits_2(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = run(capsys, "diff", *case("widen"), "--plot", tmp_path / "d.svg")
    assert code == 2 and out == ""
    assert "apt-get install graphviz" in err
    assert not (tmp_path / "d.svg").exists()


def test_no_difference_still_exits_0_with_a_plot(capsys, tmp_path):
    spec = SPECS / "multi_output.yaml"
    code, _, _ = run(capsys, "diff", spec, spec, "--plot", tmp_path / "same.dot")
    assert code == 0
    assert "#dcfce7" not in (tmp_path / "same.dot").read_text()  # nothing drawn as added


def test_markdown_with_mermaid(capsys):
    code, out, _ = run(capsys, "diff", *case("add-remove"), "--format", "markdown",
                       "--mermaid")
    assert code == 1
    report, _, block = out.partition("```mermaid\n")
    assert report.startswith("### graphspec diff:")
    assert block.endswith("```\n\n")
    lines = block.splitlines()
    assert "flowchart TB" in lines
    drop = next(line.split("[")[0].strip() for line in lines if "<b>drop</b>" in line)
    assert f"  class {drop} added" in lines
    links = [line for line in lines if " --> " in line or " -.-> " in line]
    removed = [i for i, line in enumerate(links) if " -.-> " in line]
    assert len(removed) == 3  # hidden1 -> hidden2, hidden2 -> output2, output2 -> its head
    for i in removed:  # Mermaid styles links by their index
        assert f"  linkStyle {i} stroke:{LINK_COLOUR['removed']},stroke-width:2px" in lines


def test_markdown_without_changes_has_no_drawing(capsys):
    spec = SPECS / "multi_output.yaml"
    code, out, _ = run(capsys, "diff", spec, spec, "--format", "markdown", "--mermaid")
    assert code == 0 and "```mermaid" not in out


def test_mermaid_and_plot_usage_errors(capsys, tmp_path):
    code, _, err = run(capsys, "diff", *case("widen"), "--mermaid")
    assert code == 2 and "--format markdown" in err
    code, _, err = run(capsys, "diff", "--git", "HEAD", "--plot", tmp_path / "d.svg")
    assert code == 2 and "--plot draws one diff" in err
    code, _, err = run(capsys, "diff", *case("widen"), "--plot", tmp_path / "d.txt")
    assert code == 2 and "cannot tell the drawing format" in err


def test_invalid_side_still_exits_2_with_a_plot(capsys, tmp_path):
    code, _, _ = run(capsys, "diff", *case("invalid-new"), "--plot", tmp_path / "d.svg")
    assert code == 2
    assert not (tmp_path / "d.svg").exists()
