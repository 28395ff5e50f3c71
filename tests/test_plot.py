"""`graphspec plot` and graphspec.render: real SVG from Graphviz, read back as XML; DOT and
Mermaid without Graphviz; the missing-Graphviz error; the committed docs images."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from conftest import (ROOT, SPECS, cli_in_fresh_process, needs_graphviz, spec_with, svg_boxes,
                      svg_edges)
from graphspec import SpecError, check_spec
from graphspec.cli import main
from graphspec.render import (KIND_STYLE, GraphvizNotFound, mermaid_too_large, plot_spec,
                              run_graphviz, spec_to_dot, spec_to_mermaid)

sys.path.insert(0, str(ROOT / "tools"))
import gen_docs_images  # noqa: E402



def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@needs_graphviz
def test_plot_svg_shows_every_box_with_shape_and_params(capsys, tmp_path):
    target = tmp_path / "age_gender.svg"
    code, out, err = run(capsys, "plot", SPECS / "age_gender.yaml", "-o", target)
    assert (code, out, err) == (0, f"wrote {target}\n", "")
    boxes = svg_boxes(target.read_text())
    assert list(boxes) == ["image", "resnet", "flat", "dense1", "dense2", "dense3", "dense4",
                           "age", "gender", "age/output", "gender/output"]
    assert boxes["image"]["texts"] == ["image", "Input", "(None, 200, 200, 3)"]
    assert boxes["resnet"]["texts"] == ["resnet", "Backbone", "model=ResNet50",
                                        "weights=imagenet", "(None, 7, 7, 2048)",
                                        "params: 23,587,712 (frozen)"]
    assert boxes["dense1"]["texts"] == ["dense1", "Dense", "units=512", "activation=relu",
                                        "(None, 512)", "params: 51,380,736"]
    assert boxes["gender/output"]["texts"] == ["gender", "Output", "loss=binary_crossentropy",
                                               "metrics=[accuracy]", "weight=99"]
    assert boxes["flat"]["texts"][-2:] == ["(None, 100352)", "params: 0"]
    # Kinds differ by shape and fill.
    for name, kind in [("image", "input"), ("resnet", "backbone"), ("dense1", "node"),
                       ("age/output", "head")]:
        assert boxes[name]["fill"] == KIND_STYLE[kind]["fill"], name
    assert boxes["image"]["shape"] == "ellipse"
    assert len({boxes[n]["fill"] for n in ("image", "dense1", "age/output")}) == 3
    assert set(svg_edges(target.read_text())) == {
        "image->resnet", "resnet->flat", "flat->dense1", "flat->dense2", "dense1->dense3",
        "dense2->dense4", "dense3->age", "dense4->gender", "age->age/output",
        "gender->gender/output"}


@needs_graphviz
@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_plot_binary_formats(suffix, magic, capsys, tmp_path):
    target = tmp_path / f"m{suffix}"
    code, _, _ = run(capsys, "plot", SPECS / "multi_input.yaml", "-o", target, "--rankdir", "LR")
    assert code == 0
    assert target.read_bytes().startswith(magic)


def test_dot_is_deterministic_and_needs_no_graphviz(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    first, second = tmp_path / "a.dot", tmp_path / "b.dot"
    assert run(capsys, "plot", SPECS / "age_gender.yaml", "-o", first)[0] == 0
    assert run(capsys, "plot", SPECS / "age_gender.yaml", "-o", second)[0] == 0
    assert first.read_bytes() == second.read_bytes()
    text = first.read_text()
    assert text.startswith("digraph age_gender {\nrankdir=TB;")
    assert "params: 23,587,712 (frozen)" in text
    code, out, _ = run(capsys, "plot", SPECS / "age_gender.yaml", "--format", "dot",
                       "--rankdir", "LR")
    assert code == 0 and out == text.replace("rankdir=TB;", "rankdir=LR;")


def test_mermaid_to_stdout(capsys):
    code, out, err = run(capsys, "plot", SPECS / "multi_input.yaml", "--format", "mermaid",
                         "--rankdir", "LR")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[:4] == ["---", 'title: "multi_input: 10,789 parameters (10,789 trainable)"',
                         "---", "flowchart LR"]
    assert '  n0(["<b>inputA</b><br/><i>Input</i><br/>(None, 32)"])' in lines
    assert ('  n7["<b>combined</b><br/><i>Concatenate</i><br/>(None, 8)<br/>params: 0"]'
            in lines)
    assert '  n10{{"<b>z1</b><br/><i>Output</i>"}}' in lines
    assert "  n4 --> n7" in lines and "  n6 --> n7" in lines
    assert "  class n0 kind_input" in lines and "  class n10 kind_head" in lines


def test_mermaid_file_by_extension(tmp_path):
    target = tmp_path / "m.mmd"
    plot_spec(SPECS / "multi_output.yaml", target)
    assert target.read_text() == spec_to_mermaid(SPECS / "multi_output.yaml")


def test_labels_are_escaped(tmp_path):
    spec = spec_with({"net": {"type": "Backbone", "model": "MobileNet", "from": "img",
                              "weights": 'w&<b>"x".h5', "pooling": "avg"}},
                     {"img": [64, 64, 3]}, ["net"])
    dot = spec_to_dot(spec).to_string()
    assert "<TD>weights=w&amp;&lt;b&gt;&quot;x&quot;.h5</TD>" in dot
    assert "pooling=avg" in dot
    mermaid = spec_to_mermaid(spec)
    assert "weights=w#38;#60;b#62;#34;x#34;.h5" in mermaid
    if shutil.which("dot"):
        texts = svg_boxes(run_graphviz(dot, "svg"))["net"]["texts"]
        assert 'weights=w&<b>"x".h5' in texts


def test_frozen_and_partly_trainable_nodes():
    spec = spec_with({"a": {"type": "Dense", "units": 4, "from": "x", "trainable": False},
                      "b": {"type": "Dense", "units": 2, "from": "a", "use_bias": False},
                      "c": {"type": "Concatenate", "from": ["a", "b"], "axis": 1}},
                     {"x": [3]}, ["c"])
    dot = spec_to_dot(spec).to_string()
    assert "<TD>params: 16 (frozen)</TD>" in dot
    assert "<TD>use_bias=false</TD>" in dot and "<TD>axis=1</TD>" in dot


def test_api_accepts_a_checked_spec_and_refuses_a_bad_rankdir():
    checked = check_spec(SPECS / "multi_output.yaml")
    assert spec_to_dot(checked).to_string() == spec_to_dot(SPECS / "multi_output.yaml").to_string()
    with pytest.raises(ValueError, match="rankdir"):
        spec_to_dot(checked, rankdir="BT")


def test_invalid_spec_exits_1(capsys, tmp_path):
    code, out, err = run(capsys, "plot", ROOT / "tests" / "cases" / "cycle.yaml", "-o",
                         tmp_path / "c.svg")
    assert code == 1 and "[cycle]" in err
    assert not (tmp_path / "c.svg").exists()
    with pytest.raises(SpecError):
        plot_spec(ROOT / "tests" / "cases" / "cycle.yaml", tmp_path / "c.dot")


def test_usage_errors_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, "plot", SPECS / "multi_output.yaml", "-o", tmp_path / "m.txt")
    assert code == 2 and "cannot tell the drawing format of" in err
    code, _, err = run(capsys, "plot", SPECS / "multi_output.yaml")
    assert code == 2 and "give -o FILE" in err
    code, _, err = run(capsys, "plot", tmp_path / "missing.yaml", "-o", tmp_path / "m.svg")
    assert code == 2 and "cannot read" in err
    code, _, err = run(capsys, "plot", SPECS / "multi_output.yaml", "-o",
                       tmp_path / "no" / "such" / "dir.dot")
    assert code == 2 and "cannot write" in err


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf"])
def test_missing_graphviz_exits_2_and_writes_nothing(suffix, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    target = tmp_path / f"m{suffix}"
    target.write_text("before")
    code, out, err = run(capsys, "plot", SPECS / "multi_output.yaml", "-o", target)
    assert code == 2 and out == ""
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install graphviz"):
        assert hint in err
    assert target.read_text() == "before"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary left
    with pytest.raises(GraphvizNotFound):
        plot_spec(SPECS / "multi_output.yaml", target)


def test_missing_graphviz_in_a_fresh_process(tmp_path):
    """As a user without Graphviz runs it: PATH holds no `dot`; .dot still works."""
    env = {"PATH": str(tmp_path)}
    svg = subprocess.run([sys.executable, "-m", "graphspec.cli", "plot",
                          str(SPECS / "multi_output.yaml"), "-o", str(tmp_path / "m.svg")],
                         capture_output=True, text=True, env=env)
    assert svg.returncode == 2
    assert "apt-get install graphviz" in svg.stderr and "Traceback" not in svg.stderr
    assert not (tmp_path / "m.svg").exists()
    dot = subprocess.run([sys.executable, "-m", "graphspec.cli", "plot",
                          str(SPECS / "multi_output.yaml"), "-o", str(tmp_path / "m.dot")],
                         capture_output=True, text=True, env=env)
    assert dot.returncode == 0, dot.stderr
    assert (tmp_path / "m.dot").read_text().startswith("digraph multi_output {")


def test_plot_imports_no_tensorflow(tmp_path):
    codes, loaded, err = cli_in_fresh_process(
        ["plot", "specs/age_gender.yaml", "-o", tmp_path / "a.dot"],
        ["plot", "specs/age_gender.yaml", "--format", "mermaid"],
        ["diff", "specs/multi_output.yaml", "specs/multi_input.yaml", "--format", "markdown",
         "--mermaid"])
    assert codes == [0, 0, 1], err
    assert loaded == []


@needs_graphviz
@pytest.mark.parametrize("name", gen_docs_images.NAMES)
def test_docs_images_are_current(name):
    """The committed drawing shows what the spec says now: same boxes, texts, colours and
    edges as a fresh rendering (layout coordinates may differ between Graphviz versions,
    so they are not compared). Fix with `python tools/gen_docs_images.py`."""
    committed = (ROOT / "docs" / "images" / f"{name}.svg").read_bytes()
    fresh = gen_docs_images.render(name)
    assert svg_boxes(committed) == svg_boxes(fresh)
    assert svg_edges(committed) == svg_edges(fresh)


def test_readme_shows_the_docs_images():
    readme = (ROOT / "README.md").read_text()
    for name in gen_docs_images.NAMES:
        assert f"(docs/images/{name}.svg)" in readme


def _generated(tmp_path, nodes: int, name: str = "big.yaml"):
    sys.path.insert(0, str(ROOT))
    from bench.gen_spec import make_spec

    path = tmp_path / name
    path.write_text(make_spec(nodes))
    return path


def test_mermaid_limits_are_mermaid_defaults():
    # Mermaid 11 refuses the 500th link (maxEdges) and draws an error instead of a text
    # over 50,000 characters (maxTextSize), unless the page raises them; GitHub does not.
    def flowchart(links: int, padding: int = 0) -> str:
        return "flowchart TB\n" + "".join(f"  n{i} --> n{i + 1}\n" for i in range(links)) \
            + "%%" + "x" * padding + "\n"

    assert mermaid_too_large(flowchart(499)) is None
    assert mermaid_too_large(flowchart(500)).startswith("500 links")
    short = flowchart(3)
    assert mermaid_too_large(flowchart(3, 50_000 - len(short))) is None
    assert "characters" in mermaid_too_large(flowchart(3, 50_001 - len(short)))


def test_a_mermaid_drawing_too_large_for_mermaid_is_written_with_a_warning(tmp_path, capsys):
    spec = _generated(tmp_path, 430)  # about 61,000 characters, under 500 links
    out = tmp_path / "big.mmd"
    assert main(["plot", str(spec), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "Mermaid will not draw this" in err and "characters" in err and ".svg" in err
    assert out.read_text().startswith("---\ntitle:")
    assert main(["plot", str(spec), "-o", str(tmp_path / "big.dot")]) == 0
    assert main(["plot", str(SPECS / "age_gender.yaml"), "-o", str(tmp_path / "a.mmd")]) == 0
    assert "warning" not in capsys.readouterr().err  # DOT has no such limit; small is fine


def test_markdown_diff_leaves_out_a_drawing_mermaid_would_refuse(tmp_path, capsys):
    old = _generated(tmp_path, 1000, "old.yaml")
    new = tmp_path / "new.yaml"
    new.write_text(old.read_text().replace("b10_a1: {type: Dense, units: 32,",
                                           "b10_a1: {type: Dense, units: 48,", 1))
    plot = tmp_path / "diff.mmd"
    assert main(["diff", str(old), str(new), "--format", "markdown", "--mermaid",
                 "--plot", str(plot)]) == 1
    captured = capsys.readouterr()
    assert "```mermaid" not in captured.out
    assert re.search(r"_No drawing: the Mermaid diagram would have [\d,]+ links; Mermaid draws "
                     r"fewer than 500", captured.out)
    assert "--plot diff.svg" in captured.out
    assert "Mermaid will not draw this" in captured.err and plot.is_file()
