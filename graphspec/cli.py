"""The `graphspec` command: a thin layer over the Python API (argument parsing, printing).

Exit codes: 0 success; 1 a spec is invalid; 2 usage or I/O error. Never a traceback for a
user mistake.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from typing import Sequence

from . import __version__
from .api import check_spec, compile_spec, train_spec
from .errors import BuildError, SpecError
from .ops.core import format_shape
from .schema import json_schema

OK, INVALID, TROUBLE = 0, 1, 2


class UsageError(Exception):
    """A problem with the command line or the files it names (exit 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"graphspec: error: {exc}", file=sys.stderr)
        return TROUBLE
    except KeyboardInterrupt:
        print("graphspec: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `graphspec ... | head`: the reader left, nothing to report
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return OK



def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphspec",
        description="Declarative multi-input, multi-output Keras models from YAML specs.")
    parser.add_argument("--version", action="version", version=f"graphspec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check", help="check specs without TensorFlow; report every problem",
        description="Check specs statically (no TensorFlow import) and report every problem "
                    "as file:line:col.")
    check.add_argument("specs", nargs="+", metavar="SPEC")
    check.add_argument("--format", choices=["text", "json"], default="text",
                       help="text (default) or json diagnostics on stdout")
    check.add_argument("--only-specs", action="store_true",
                       help="skip YAML files without a top-level `graphspec:` key (for "
                            "pre-commit hooks that pass every YAML file)")
    check.set_defaults(run=run_check)

    summary = commands.add_parser(
        "summary", help="static table of shapes and parameters (no TensorFlow)",
        description="Print each input and node with its output shape and parameter counts, "
                    "inferred statically, and the totals.")
    summary.add_argument("spec", metavar="SPEC")
    summary.add_argument("--format", choices=["text", "json"], default="text")
    add_set_option(summary)
    summary.set_defaults(run=run_summary)

    build = commands.add_parser(
        "build", help="build (and compile) the Keras model and save it as .keras",
        description="Build the Keras functional model, compile it as the heads say, print "
                    "Keras' summary and write the .keras file atomically.")
    build.add_argument("spec", metavar="SPEC")
    add_model_options(build)
    build.set_defaults(run=run_build)

    train = commands.add_parser(
        "train", help="train the model on a folder of images labelled by their file names",
        description="Build the model as `build` does, then train it on the images in --data, "
                    "whose targets are fields of their file names (--label OUTPUT=FIELD), "
                    "through a tf.data pipeline with the tutorial's augmentation, and write "
                    "the trained model to a .keras file atomically (docs/training.md).")
    train.add_argument("spec", metavar="SPEC")
    train.add_argument("--data", required=True, metavar="DIR",
                       help="the folder of images (.jpg, .jpeg, .png, .bmp, .gif)")
    train.add_argument("--label", dest="labels", action="append", default=[],
                       metavar="OUTPUT=FIELD",
                       help="train output OUTPUT on field FIELD (from 0) of the file name "
                            "split at --separator; one for every output with a loss")
    train.add_argument("--separator", default="_",
                       help="what separates the fields of a file name (default: _)")
    train.add_argument("--epochs", type=int, default=10, help="default: 10")
    train.add_argument("--batch-size", type=int, default=32, help="default: 32")
    train.add_argument("--validation-split", type=float, default=0.1, metavar="F",
                       help="the fraction of the images held out to validate, drawn with "
                            "--seed (default: 0.1; 0 for none)")
    train.add_argument("--no-augment", dest="augment", action="store_false",
                       help="no random rotation, shift, shear, zoom and flip")
    train.add_argument("--seed", type=int, default=0,
                       help="for the split, the shuffling and the augmentation (default: 0)")
    add_model_options(train)
    train.set_defaults(run=run_train)

    diff = commands.add_parser(
        "diff", help="what changed in the model between two specs (no TensorFlow)",
        description="Compare two specs by name and report what changed in the model: "
                    "nodes, inputs and heads added, removed, renamed or changed, and every "
                    "shape and parameter count that moves as a consequence. Each side is a "
                    "path, - (stdin) or REV:PATH read from git. Exit 0: no difference, 1: "
                    "differences, 2: trouble (an invalid spec, a missing file).")
    diff.add_argument("sides", nargs="*", metavar="OLD NEW",
                      help="the two specs; with --git, the paths to look at (default: all)")
    diff.add_argument("--git", metavar="BASE",
                      help="diff every spec file that differs between git revision BASE and "
                           "the working tree")
    diff.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    diff.add_argument("--fail-on", choices=["any", "breaking"], default="any",
                      help="exit 1 on any difference (default) or only on breaking ones")
    diff.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                      help="colour the text format (auto: on a terminal only)")
    diff.add_argument("--plot", metavar="FILE",
                      help="also draw the union of both graphs into FILE (.svg, .png, .pdf "
                           "need Graphviz; .dot, .mmd for Mermaid): added green, removed "
                           "red, changed amber")
    diff.add_argument("--mermaid", action="store_true",
                      help="with --format markdown: embed the drawing as a Mermaid block")
    diff.add_argument("--rankdir", choices=["TB", "LR"], default="TB",
                      help="direction of --plot and --mermaid drawings (default: TB)")
    diff.set_defaults(run=run_diff)

    plot = commands.add_parser(
        "plot", help="draw the graph: SVG, PNG, PDF (Graphviz), DOT or Mermaid",
        description="Draw every input, node and head with its type, key arguments, output "
                    "shape and parameters. The format comes from the extension of -o "
                    "(.svg, .png, .pdf through Graphviz' dot; .dot and .mmd need no "
                    "Graphviz) unless --format says; dot and mermaid print to stdout "
                    "without -o. Exit 2 when Graphviz is needed and not installed.")
    plot.add_argument("spec", metavar="SPEC")
    plot.add_argument("-o", "--output", metavar="FILE",
                      help="where to write the drawing, atomically")
    plot.add_argument("--format", choices=["svg", "png", "pdf", "dot", "mermaid"],
                      help="the drawing format (default: from the extension of -o)")
    plot.add_argument("--rankdir", choices=["TB", "LR"], default="TB",
                      help="top to bottom (default) or left to right")
    add_set_option(plot)
    plot.set_defaults(run=run_plot)

    show = commands.add_parser(
        "show", help="canonical one-line-per-node listing (a git textconv driver)",
        description="Print a canonical listing of a spec, one line per input, node and "
                    "head, blind to key order, style and comments. With --textconv an "
                    "invalid spec prints its diagnostics and its text and exits 0, as git "
                    "needs from a textconv driver.")
    show.add_argument("spec", metavar="SPEC")
    show.add_argument("--textconv", action="store_true",
                      help="never fail: for use as git's diff.<driver>.textconv")
    show.set_defaults(run=run_show)

    schema = commands.add_parser(
        "schema", help="print the JSON Schema of the spec format",
        description="Print the JSON Schema of the spec format (for editors such as "
                    "yaml-language-server).")
    schema.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    schema.set_defaults(run=run_schema)
    return parser


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """The options of the commands that build a model and write it."""
    parser.add_argument("-o", "--output", metavar="OUT.keras",
                        help="where to write the model (default: NAME.keras, NAME from the "
                             "spec)")
    add_set_option(parser)
    parser.add_argument("--no-weights", dest="load_weights", action="store_false",
                        help="build backbones with random weights (nothing is downloaded)")
    parser.add_argument("--max-params", type=int, metavar="N",
                        help="refuse a model of more than N parameters (it is always refused "
                             "when its weights would not fit in this machine's memory)")


def add_set_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PATH=VALUE",
                        help="override a field by dotted path, VALUE read as YAML "
                             "(e.g. nodes.resnet.weights=null); repeatable")


def load_checked(path: str, overrides: list[str] | None = None):
    """check_spec, with I/O and override problems turned into usage errors."""
    try:
        return check_spec(path, overrides=overrides)
    except OSError as exc:
        raise UsageError(f"cannot read '{path}': {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def print_diagnostics(diagnostics) -> None:
    for diagnostic in diagnostics:
        print(diagnostic.format(), file=sys.stderr)


def run_check(args) -> int:
    status = OK
    report = []
    for path in args.specs:
        if args.only_specs and not is_spec_file(path):
            continue
        try:
            checked = load_checked(path)
        except SpecError as exc:
            status = max(status, INVALID)
            report.append({"file": path, "valid": False,
                           "diagnostics": [d.to_dict() for d in exc.diagnostics]})
            if args.format == "text":
                print_diagnostics(exc.diagnostics)
            continue
        except UsageError as exc:
            status = TROUBLE
            print(f"graphspec: error: {exc}", file=sys.stderr)
            continue
        report.append({"file": path, "valid": True,
                       "diagnostics": [d.to_dict() for d in checked.warnings],
                       "total_params": checked.total_params,
                       "trainable_params": checked.trainable_params})
        if args.format == "text":
            print_diagnostics(checked.warnings)
            print(f"{path}: ok: {len(checked.spec.nodes)} nodes, "
                  f"{checked.total_params:,} parameters "
                  f"({checked.trainable_params:,} trainable)")
    if args.format == "json":
        print(json.dumps(report, indent=2))
    return status


def is_spec_file(path: str) -> bool:
    from .diff_git import looks_like_spec

    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return looks_like_spec(handle.read())
    except OSError:
        return True  # let check report why it cannot be read


def load_or_report(args):
    """The checked spec of args.spec (with --set), its warnings printed; None once its
    diagnostics are printed."""
    try:
        checked = load_checked(args.spec, args.overrides)
    except SpecError as exc:
        print_diagnostics(exc.diagnostics)
        return None
    print_diagnostics(checked.warnings)
    return checked


def run_summary(args) -> int:
    checked = load_or_report(args)
    if checked is None:
        return INVALID
    summary = checked.summary()
    if args.format == "json":
        print(json.dumps(summary, indent=2))
    else:
        print(format_summary(summary))
    return OK


def format_summary(summary: dict) -> str:
    header = ("name", "type", "from", "output shape", "params", "trainable")
    rows = [(r["name"], r["type"], ", ".join(r["from"]), format_shape(tuple(r["shape"])),
             f"{r['params']:,}", f"{r['trainable_params']:,}") for r in summary["nodes"]]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    right = {4, 5}

    def line(row):
        return "  ".join(str(v).rjust(w) if i in right else str(v).ljust(w)
                         for i, (v, w) in enumerate(zip(row, widths))).rstrip()

    total, trainable = summary["total_params"], summary["trainable_params"]
    rule = "-" * len(line(header))
    return "\n".join([f"model: {summary['name']}", line(header), rule, *map(line, rows), rule,
                      f"total params: {total:,}",
                      f"trainable params: {trainable:,}",
                      f"non-trainable params: {total - trainable:,}"])


def run_build(args) -> int:
    prepared = prepare_model_command(args)
    if prepared is None:
        return INVALID
    checked, output = prepared
    try:
        model = compile_spec(checked, load_weights=args.load_weights,
                             max_params=args.max_params)
    except SpecError as exc:
        print_diagnostics(exc.diagnostics)
        return INVALID
    except BuildError as exc:
        return print_build_error(exc)
    from .emit import save_model

    model.summary()
    try:
        save_model(model, output)
    except OSError as exc:
        raise UsageError(f"cannot write '{output}': {exc.strerror or exc}") from None
    print(f"wrote {output}")
    return OK


def run_train(args) -> int:
    prepared = prepare_model_command(args)
    if prepared is None:
        return INVALID
    checked, output = prepared

    def report(plan) -> None:
        found = len(plan.examples.paths)
        print(f"{found} labelled image(s) in {args.data}: {len(plan.train)} to train on, "
              f"{len(plan.validation)} to validate", flush=True)
        if plan.examples.skipped:
            name, why = plan.examples.skipped[0]
            print(f"graphspec: warning: skipped {len(plan.examples.skipped)} file(s) in "
                  f"{args.data}; the first, '{name}': {why}", file=sys.stderr)

    try:
        train_spec(checked, args.data, args.labels, output=output,
                   load_weights=args.load_weights, max_params=args.max_params,
                   epochs=args.epochs, batch_size=args.batch_size,
                   validation_split=args.validation_split, augment=args.augment,
                   seed=args.seed, separator=args.separator, verbose=2, report=report)
    except SpecError as exc:
        print_diagnostics(exc.diagnostics)
        return INVALID
    except BuildError as exc:
        return print_build_error(exc)
    except OSError as exc:
        raise UsageError(f"cannot write '{output}': {exc.strerror or exc}") from None
    print(f"wrote {output}")
    return OK


def prepare_model_command(args):
    """The checked spec and the output path of `build` and `train`, or None once the
    spec's diagnostics are printed."""
    gc.enable()  # the console script turns it off; Keras' graphs do make garbage cycles
    checked = load_or_report(args)
    return None if checked is None else (checked, model_output(args.output, checked))


def model_output(output: str | None, checked) -> str:
    """The .keras path a model goes to, checked before any work is done."""
    output = output or f"{checked.name}.keras"
    if not output.endswith(".keras"):
        raise UsageError(f"the output file must end in .keras; received '{output}'")
    if not os.path.isdir(os.path.dirname(os.path.abspath(output))):
        raise UsageError(f"cannot write '{output}': its folder does not exist")
    return output


def print_build_error(exc: BuildError) -> int:
    print(f"graphspec: error: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"  hint: {exc.hint}", file=sys.stderr)
    return TROUBLE


def run_schema(args) -> int:
    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.output:
        from .files import write_text_atomic

        try:
            write_text_atomic(args.output, text)
        except OSError as exc:
            raise UsageError(f"cannot write '{args.output}': {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
    return OK


def run_diff(args) -> int:
    from .diff_git import changed_spec_files, diff_git_file
    from .diff_render import render_json, render_markdown, render_text

    colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    renderers = {"text": lambda d: render_text(d, colour), "markdown": render_markdown,
                 "json": render_json}
    if args.mermaid:
        if args.format != "markdown":
            raise UsageError("--mermaid embeds a drawing in --format markdown; received "
                             f"--format {args.format}")
        from .render import diff_to_markdown

        renderers["markdown"] = lambda d: diff_to_markdown(d, args.rankdir)
    if args.plot and args.git is not None:
        raise UsageError("--plot draws one diff: give OLD and NEW instead of --git")
    if args.git is None:
        if len(args.sides) != 2:
            raise UsageError("diff takes two specs, OLD and NEW (or --git BASE [PATH...])")
        try:
            result = diff_sides(*args.sides)
        except SpecError as exc:
            print_diagnostics(exc.diagnostics)
            return TROUBLE
        if args.plot:
            from .render import format_for, plot_diff

            data = write_plot(lambda: plot_diff(result, args.plot, rankdir=args.rankdir),
                              args.plot)
            warn_if_mermaid_too_large(data, format_for(args.plot))
        print(renderers[args.format](result))
        return _diff_status(result, args.fail_on)
    try:
        files = changed_spec_files(args.git, args.sides)
    except OSError as exc:
        raise UsageError(str(exc)) from None
    status, reports = OK, []
    for item in files:
        try:
            item = diff_git_file(item)
        except SpecError as exc:
            print_diagnostics(exc.diagnostics)
            status = TROUBLE
            continue
        except OSError as exc:
            print(f"graphspec: error: {exc}", file=sys.stderr)
            status = TROUBLE
            continue
        reports.append(item)
        if status != TROUBLE:
            status = max(status, _diff_status(item.diff, args.fail_on) if item.diff else
                         INVALID if args.fail_on == "any" or item.status == "deleted" else OK)
    if reports or not files:
        print(render_git_report(reports, args.format, renderers))
    return status


def diff_sides(old: str, new: str):
    from .diff import diff_specs, read_side

    try:
        return diff_specs(read_side(old), read_side(new))
    except OSError as exc:
        raise UsageError(f"cannot read a side of the diff: {exc.strerror or exc}") from None


def _diff_status(result, fail_on: str) -> int:
    if fail_on == "breaking":
        return INVALID if result.breaking else OK
    return INVALID if result.has_changes else OK


def render_git_report(reports, fmt: str, renderers) -> str:
    if fmt == "json":
        from .diff_render import to_json

        return json.dumps([{"file": r.path, "old_file": r.old_path, "status": r.status,
                            "diff": to_json(r.diff) if r.diff else None} for r in reports],
                          indent=2)
    if not reports:
        return "no spec files changed"
    parts = []
    for report in reports:
        if report.diff is not None:
            parts.append(renderers[fmt](report.diff))
        else:
            line = f"{report.status} spec file {report.path}: {report.summary}"
            parts.append(f"### {line}\n" if fmt == "markdown" else line)
    return "\n\n".join(parts)


def run_plot(args) -> int:
    from .render import format_for, plot_spec, spec_to_dot, spec_to_mermaid

    try:
        checked = load_checked(args.spec, args.overrides)
    except SpecError as exc:
        print_diagnostics(exc.diagnostics)
        return INVALID
    print_diagnostics(checked.warnings)
    if args.output is None:
        if args.format == "mermaid":
            text = spec_to_mermaid(checked, args.rankdir)
            sys.stdout.write(text)
            warn_if_mermaid_too_large(text)
        elif args.format == "dot":
            sys.stdout.write(spec_to_dot(checked, args.rankdir).to_string())
        else:
            raise UsageError("plot writes .svg, .png and .pdf to a file: give -o FILE, or "
                             "--format dot or --format mermaid to print to stdout")
        return OK
    data = write_plot(lambda: plot_spec(checked, args.output, rankdir=args.rankdir,
                                        format=args.format), args.output)
    print(f"wrote {args.output}")
    warn_if_mermaid_too_large(data, args.format or format_for(args.output))
    return OK


def write_plot(draw, path: str) -> bytes:
    """Run `draw` and return what it wrote, its problems (no Graphviz, an unknown
    extension, a file that cannot be written) turned into usage errors: exit 2, and the
    file is left as it was."""
    from .render import GraphvizFailed, GraphvizNotFound

    try:
        return draw()
    except (GraphvizNotFound, GraphvizFailed, ValueError) as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write '{path}': {exc.strerror or exc}") from None


def warn_if_mermaid_too_large(data: str | bytes, fmt: str = "mermaid") -> None:
    """A warning when a drawing in format `fmt` is Mermaid past what Mermaid draws with
    its default limits (as on GitHub)."""
    from .render import mermaid_too_large

    if fmt != "mermaid":
        return
    problem = mermaid_too_large(data if isinstance(data, str) else data.decode())
    if problem:
        print(f"graphspec: warning: Mermaid will not draw this with its default limits, "
              f"as on GitHub: {problem}. Draw it as .svg (Graphviz) instead.",
              file=sys.stderr)


def run_show(args) -> int:
    from .show import render_listing

    try:
        checked = load_checked(args.spec)
    except SpecError as exc:
        if not args.textconv:
            print_diagnostics(exc.diagnostics)
            return INVALID
        for diagnostic in exc.diagnostics:
            print(f"# {diagnostic.format().splitlines()[0]}")
        with open(args.spec, encoding="utf-8", errors="replace") as handle:
            sys.stdout.write(handle.read())
        return OK
    sys.stdout.write(render_listing(checked))
    return OK


if __name__ == "__main__":
    sys.exit(main())
