"""Benchmark graphspec as users run it: whole processes, wall time, medians.

    /work/venv/bin/python bench/run.py [--runs N] [--quick]

Every measurement is a fresh process (subprocess, wall time with time.perf_counter),
repeated N times (default 5). Baseline and candidate run side by side in each round, and
the order within a pair alternates from round to round, so load from other processes
falls on both sides alike. Prints Markdown: the machine, one table per measurement
(median, min, max) and the targets.

  a. `graphspec check specs/age_gender.yaml` against `python -c "import tensorflow"`:
     the static check must be at least 8x faster than importing TensorFlow.
  b. `compile_spec(spec, load_weights=False)` against the same model written by hand
     (bench/handwritten/*.py), build + compile, nothing saved: at most 1.10x. The
     handwritten scripts are also timed with the garbage collector paused, as graphspec
     pauses it (bench/handwritten/gc_paused.py), for reference.
  c. `graphspec check` and `graphspec summary --format json` on generated specs of
     100, 1,000 and 10,000 nodes (bench/gen_spec.py): 10,000 nodes under 2 s, growth
     close to linear. `graphspec --version` is timed as the start-up floor.

Every process gets KERAS_BACKEND=tensorflow and an empty temporary KERAS_HOME, the same
for both sides: a weights download would land there, and counts as a failure (weights
must be off). When `compile_spec('specs/age_gender.yaml', load_weights=False)` fails, the
same model is measured with `overrides=['nodes.resnet.weights=null']` and a note says so.

--quick: one run of each and no age_gender build (a smoke test, under a minute).
Exit status: 0 when every target is met, 1 otherwise.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_spec import make_spec  # noqa: E402

PYTHON = sys.executable
GRAPHSPEC = shutil.which("graphspec", path=str(Path(PYTHON).parent)) or "graphspec"
SIZES = (100, 1_000, 10_000)

CHECK_TARGET = 8.0  # import tensorflow / graphspec check, at least
BUILD_TARGET = 1.10  # graphspec / handwritten, at most
LARGE_TARGET_S = 2.0  # graphspec check of 10,000 nodes, under


@dataclass
class Command:
    """One command line to time, with what the table calls it."""

    label: str
    argv: list[str]
    times: list[float] = field(default_factory=list)
    failure: str | None = None
    fallback: "Command | None" = None  # measured instead when this one fails
    shown_as: str | None = None  # the command line in the tables, when not argv's own
    success: int = 0  # the exit code of a good run (`graphspec diff` of differing specs: 1)

    @property
    def text(self) -> str:
        return self.shown_as or shown(self.argv)

    @property
    def ok(self) -> bool:
        return self.failure is None and bool(self.times)


def compile_command(spec: str, overrides: list[str] | None = None) -> list[str]:
    extra = f", overrides={overrides!r}" if overrides else ""
    return [PYTHON, "-c", "from graphspec import compile_spec; "
                          f"compile_spec({spec!r}, load_weights=False{extra})"]


def shown(argv: list[str]) -> str:
    """A command line as a person would type it (short program names)."""
    words = []
    for i, word in enumerate(argv):
        if i == 0:
            word = "python" if word == PYTHON else "graphspec" if word == GRAPHSPEC else word
        elif " " in word or ";" in word:
            word = '"' + word.replace('"', '\\"') + '"'
        words.append(word)
    return " ".join(words)


class Runner:
    def __init__(self, env: dict[str, str], keras_home: Path):
        self.env = env
        self.keras_home = keras_home

    def time(self, command: Command) -> None:
        """Run the command once (or its fallback, once it has failed) and record the time."""
        if command.failure is not None:
            if command.fallback is not None:
                self.time(command.fallback)
            return
        start = time.perf_counter()
        done = subprocess.run(command.argv, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        downloaded = sorted(p.name for p in (self.keras_home / "models").glob("*"))
        if done.returncode != command.success or downloaded:
            lines = (done.stderr or done.stdout).strip().splitlines()
            command.failure = (f"downloaded {', '.join(downloaded)} (weights were not off)"
                               if downloaded else
                               f"exit {done.returncode}: {lines[-1] if lines else ''}")
            shutil.rmtree(self.keras_home / "models", ignore_errors=True)
            print(f"  ! {command.label} failed: {command.failure}", file=sys.stderr)
            if command.fallback is not None:
                print(f"  ! measuring instead: {shown(command.fallback.argv)}", file=sys.stderr)
                self.time(command.fallback)
            return
        command.times.append(elapsed)

    def rounds(self, groups: list[list[Command]], runs: int) -> None:
        """`runs` rounds; each round times every group's commands back to back, the order
        within a group alternating between rounds."""
        for r in range(runs):
            print(f"round {r + 1}/{runs}", file=sys.stderr, flush=True)
            for group in groups:
                for command in (group if r % 2 == 0 else list(reversed(group))):
                    self.time(command)


# ------------------------------------------------------------------ reporting
def measured(command: Command) -> Command:
    """The command whose times stand for this one: itself, or its fallback."""
    if command.ok or command.fallback is None:
        return command
    return command.fallback


def median(command: Command) -> float | None:
    c = measured(command)
    return statistics.median(c.times) if c.ok else None


def fmt_s(value: float | None) -> str:
    return "failed" if value is None else f"{value:.3f}"


def table(rows: list[list[str]], header: list[str], text_columns: int = 1) -> str:
    """A Markdown table; the first `text_columns` columns left-aligned, numbers right."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i < text_columns else "---:"
                            for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def time_rows(commands: list[Command]) -> str:
    rows = []
    for command in commands:
        c = measured(command)
        label = command.label if c is command else f"{command.label} (see note)"
        if c.ok:
            rows.append([label, f"`{c.text}`", str(len(c.times)), fmt_s(median(c)),
                         fmt_s(min(c.times)), fmt_s(max(c.times))])
        else:
            rows.append([label, f"`{c.text}`", "0", "failed", "", ""])
    return table(rows, ["measurement", "command", "runs", "median s", "min s", "max s"], 2)


def notes(commands: list[Command]) -> list[str]:
    out = []
    for command in commands:
        if command.failure is not None:
            line = f"- Note: `{command.text}` failed: {command.failure}."
            if command.fallback is not None and command.fallback.ok:
                line += (f" Measured instead: `{command.fallback.text}` (the same "
                         "model with random backbone weights).")
            out.append(line)
    return out


def paired_ratios(top: Command, bottom: Command) -> list[float]:
    """Per-round ratios top/bottom (rounds pair the two runs side by side)."""
    a, b = measured(top), measured(bottom)
    return [x / y for x, y in zip(a.times, b.times)]


def ratio_cell(top: Command, bottom: Command) -> str:
    mt, mb = median(top), median(bottom)
    if mt is None or mb is None:
        return "n/a"
    per_round = paired_ratios(top, bottom)
    if len(per_round) < 2:
        return f"{mt / mb:.2f}"
    return f"{mt / mb:.2f} (per round {min(per_round):.2f}-{max(per_round):.2f})"


def machine() -> str:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores

    def version(package: str) -> str:
        # the distribution may be tensorflow, tensorflow-cpu, tf-nightly, ...
        for dist in metadata.packages_distributions().get(package, [package]):
            try:
                return metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
        return "not installed"

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return "\n".join([
        f"- CPU: {cpu}, {cores} cores ({usable} usable by this process)",
        f"- OS: {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()} ({PYTHON})",
        f"- TensorFlow {version('tensorflow')}, Keras {version('keras')}, "
        f"graphspec {version('graphspec')}",
        f"- load average at start: {load}",
    ])


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=None, help="runs per measurement (5)")
    parser.add_argument("--quick", action="store_true",
                        help="one run each, no age_gender build (a smoke test)")
    parser.add_argument("--only", default="abc",
                        help="the parts to run: any of a (check vs TensorFlow), b (builds), "
                             "c (scaling); default abc")
    args = parser.parse_args(argv)
    parts = set(args.only)
    runs = args.runs if args.runs is not None else (1 if args.quick else 5)
    if runs < 1:
        parser.error(f"--runs must be at least 1; received {runs}")

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="graphspec-bench-") as tmp:
        tmp = Path(tmp)
        keras_home = tmp / "keras"  # empty: a weights download would show up here
        keras_home.mkdir()
        env = dict(os.environ, KERAS_BACKEND="tensorflow", KERAS_HOME=str(keras_home))
        runner = Runner(env, keras_home)
        machine_text = machine()

        # a. static check vs importing TensorFlow
        tf_import = Command("import TensorFlow", [PYTHON, "-c", "import tensorflow"])
        check = Command("graphspec check age_gender",
                        [GRAPHSPEC, "check", "specs/age_gender.yaml"])

        # b. compile_spec vs the handwritten Keras script
        builds = []
        for name in ("multi_input",) + (() if args.quick else ("age_gender",)):
            hand = Command(f"{name}: handwritten Keras",
                           [PYTHON, f"bench/handwritten/{name}.py"])
            paused = Command(f"{name}: handwritten Keras, collector paused",
                             [PYTHON, "bench/handwritten/gc_paused.py",
                              f"bench/handwritten/{name}.py"])
            spec = f"specs/{name}.yaml"
            ours = Command(f"{name}: compile_spec", compile_command(spec))
            if name == "age_gender":  # same model, random weights, should the flag fail
                ours.fallback = Command(
                    ours.label, compile_command(spec, ["nodes.resnet.weights=null"]))
            builds.append((name, hand, ours, paused))

        # c. scaling on generated specs
        startup = Command("start-up floor", [GRAPHSPEC, "--version"])
        scaling = []
        for n in SIZES:
            path = tmp / f"generated_{n}.yaml"
            path.write_text(make_spec(n))
            check_n = Command(f"check, {n:,} nodes", [GRAPHSPEC, "check", str(path)],
                              shown_as=f"graphspec check $TMP/{path.name}")
            summary_n = Command(f"summary --format json, {n:,} nodes",
                                [GRAPHSPEC, "summary", "--format", "json", str(path)],
                                shown_as=f"graphspec summary --format json $TMP/{path.name}")
            scaling.append((n, check_n, summary_n))

        groups = [[tf_import, check]] if "a" in parts else []
        groups += [list(b[1:]) for b in builds] if "b" in parts else []
        groups += [[startup]] + [[c, s] for _, c, s in scaling] if "c" in parts else []
        runner.rounds(groups, runs)
        end_load = ", ".join(f"{x:.2f}" for x in os.getloadavg())

    elapsed = time.perf_counter() - started
    out = ["# graphspec benchmark", "",
           f"Command: `{shown([PYTHON, 'bench/run.py', *sys.argv[1:]])}`  ",
           f"{runs} run(s) per measurement, baseline and candidate interleaved "
           f"(order alternating by round); whole processes, wall time; "
           f"total {elapsed:.0f} s.", "",
           "## Machine", "", machine_text, f"- load average at end: {end_load}", ""]
    verdicts = []

    if "a" in parts:
        verdicts += part_a(out, tf_import, check)
    if "b" in parts:
        verdicts += part_b(out, builds)
    if "c" in parts:
        verdicts += part_c(out, startup, scaling)
    out += ["## Targets", "", table(verdicts, ["target", "measured", "goal", "verdict"], 4), ""]
    print("\n".join(out))
    return 0 if all(v[-1] == "met" for v in verdicts) else 1


def part_a(out: list[str], tf_import: Command, check: Command) -> list[list[str]]:
    verdicts = []
    out += ["## a. `graphspec check` vs `import tensorflow`", "",
            time_rows([tf_import, check]), "",
            f"Ratio import / check (median): **{ratio_cell(tf_import, check)}**", ""]
    mi, mc = median(tf_import), median(check)
    if mi and mc:
        verdicts.append(["check at least 8x faster than `import tensorflow`",
                         f"{mi / mc:.1f}x", f">= {CHECK_TARGET:g}x",
                         "met" if mi / mc >= CHECK_TARGET else "**missed**"])
    return verdicts


def part_b(out: list[str], builds: list) -> list[list[str]]:
    verdicts = []
    commands = [c for _, hand, ours, paused in builds for c in (hand, ours, paused)]
    out += ["## b. `compile_spec` vs handwritten Keras (build + compile, weights off)", "",
            time_rows(commands), ""]
    rows = []
    for name, hand, ours, paused in builds:
        rows.append([name, ratio_cell(ours, hand), ratio_cell(ours, paused)])
        mo, mh = median(ours), median(hand)
        if mo and mh:
            verdicts.append([f"{name}: compile_spec / handwritten", f"{mo / mh:.3f}",
                             f"<= {BUILD_TARGET:.2f}",
                             "met" if mo / mh <= BUILD_TARGET else "**missed**"])
        else:
            verdicts.append([f"{name}: compile_spec / handwritten", "failed",
                             f"<= {BUILD_TARGET:.2f}", "**missed**"])
    out += [table(rows, ["spec", "ratio graphspec / handwritten (median)",
                         "graphspec / handwritten with the collector paused (reference)"]),
            "",
            "graphspec pauses Python's garbage collector while it imports Keras and builds "
            "the layers; the last column compares with a handwritten script that does the "
            "same (bench/handwritten/gc_paused.py), which leaves graphspec's own cost: "
            "importing it, reading and checking the spec.", ""]
    out += notes(commands)
    out += [""] if notes(commands) else []
    return verdicts


def part_c(out: list[str], startup: Command, scaling: list) -> list[list[str]]:
    verdicts = []
    out += ["## c. Scaling on generated specs (bench/gen_spec.py)", "",
            time_rows([startup] + [c for _, check_n, summ in scaling for c in (check_n, summ)]),
            ""]
    floor = median(startup) or 0.0
    rows = []
    for kind, index in (("check", 1), ("summary --format json", 2)):
        medians = [median(entry[index]) for entry in scaling]
        cells = [fmt_s(m) for m in medians]
        growth, net = [], []
        for a, b in zip(medians, medians[1:]):
            growth.append(f"{b / a:.1f}x" if a and b else "n/a")
            above = a - floor if a and b else 0.0  # below 50 ms the ratio is noise
            net.append(f"{(b - floor) / above:.1f}x" if above > 0.05 else "n/a")
        rows.append([kind, *cells, " / ".join(growth), " / ".join(net)])
    header = ["command", *(f"{n:,} nodes (s)" for n in SIZES), "growth per 10x",
              "growth per 10x, start-up subtracted"]
    out += [table(rows, header), "",
            f"Start-up floor (`graphspec --version`, imports the CLI and the compiler): "
            f"{fmt_s(median(startup))} s.", ""]
    for kind, index in (("check", 1), ("summary --format json", 2)):
        largest = median(scaling[-1][index])
        verdicts.append([f"`graphspec {kind}`, {SIZES[-1]:,} nodes", fmt_s(largest) + " s",
                         f"< {LARGE_TARGET_S:g} s",
                         "met" if largest is not None and largest < LARGE_TARGET_S
                         else "**missed**"])
    out += ["Linearity is judged in one process by bench/scaling.py (time per node): the "
            "start-up-subtracted ratios above divide by differences of a few tens of "
            "milliseconds between process timings.", ""]
    return verdicts


if __name__ == "__main__":
    sys.exit(main())
