"""Write docs/cli.md from the command line's own --help (tests/test_docs.py keeps it current).

    python tools/gen_cli_docs.py
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphspec.cli import make_parser  # noqa: E402

INTRO = """\
# graphspec command line

Every command is a thin layer over the Python API (`check_spec`, `compile_spec`,
`train_spec`, `diff_specs`, `plot_spec`, `json_schema`). Only `build` and `train` import
TensorFlow, and `train` only once its options, data folder and spec have been checked;
`check`, `summary`, `diff`, `show`, `plot` and `schema` never do.

Exit codes, for every command: `0` success; `1` a spec is invalid (its diagnostics are
printed to stderr as `file:line:col: severity: message  [code]`, with a `hint:` line where
one helps); `2` a usage or I/O error (missing file, bad flag, a `--set` that cannot be
applied, weights that cannot be loaded, a data folder or `--label` that does not fit the
spec). Results go to stdout, diagnostics and errors to
stderr. TensorFlow's start-up log noise (oneDNN, absl, CUDA probing) is dropped.

`--set PATH=VALUE` (on `summary`, `build`, `train` and `plot`) overrides any field by dotted path before
the spec is checked; VALUE is read as YAML: `--set nodes.resnet.weights=null`,
`--set outputs.gender.weight=50`, `--set 'nodes.x.from=[a, b]'`. Missing mappings on the
path are created. The result is checked like any spec, so a bad value is reported with
the place of the field it replaced.

This page is generated from `--help` by `python tools/gen_cli_docs.py`.
"""


def render() -> str:
    os.environ["COLUMNS"] = "88"  # argparse wraps help text to the terminal width
    parser = make_parser()
    parts = [INTRO, "## graphspec\n", "```\n" + parser.format_help() + "```\n"]
    commands = parser._subparsers._group_actions[0].choices
    for name, sub in commands.items():
        parts += [f"## graphspec {name}\n", "```\n" + sub.format_help() + "```\n"]
    return "\n".join(parts)


if __name__ == "__main__":
    (ROOT / "docs" / "cli.md").write_text(render())
