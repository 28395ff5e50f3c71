#!/usr/bin/env python
"""Regenerate ``graphspec/names.py`` from the installed Keras.

    TF_CPP_MIN_LOG_LEVEL=3 python tools/gen_names.py            # rewrite graphspec/names.py
    TF_CPP_MIN_LOG_LEVEL=3 python tools/gen_names.py --stdout   # print it instead

graphspec validates specs without importing Keras, so the names Keras accepts
for ``activation=``, ``loss=``, ``metrics=`` and ``optimizer=`` are frozen into
that module.  This script asks Keras itself: it takes each candidate name from
Keras' own lookup tables and keeps it only if the lookup that ``Dense`` /
``Model.compile`` performs really succeeds.  ``tests/test_names.py`` checks the
result against the installed Keras, so after a Keras upgrade the tests fail
until this script is rerun.
"""
from __future__ import annotations

import argparse
import inspect
import os
import re
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras.src import activations as k_activations  # noqa: E402
from keras.src import losses as k_losses  # noqa: E402
from keras.src import metrics as k_metrics  # noqa: E402
from keras.src import optimizers as k_optimizers  # noqa: E402
from keras.src.optimizers.base_optimizer import BaseOptimizer  # noqa: E402
from keras.src.trainers import compile_utils  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "graphspec" / "names.py"

# Names compile_utils intercepts before the registry lookup, compared with
# ``str(identifier).lower()`` (so any capitalisation works).
LOSS_SPECIALS = ("crossentropy", "ce")  # compile_utils.get_loss
METRIC_SPECIALS = ("accuracy", "acc")  # compile_utils.get_metric

# Small sample used only to tell the abstract base classes (whose call raises
# NotImplementedError) from real losses / metrics.
Y_TRUE = np.array([[0.0, 1.0], [1.0, 0.0]], dtype="float32")
Y_PRED = np.array([[0.2, 0.8], [0.6, 0.4]], dtype="float32")


def _why_refused_activation(name):
    try:
        k_activations.get(name)
        keras.layers.Dense(1, activation=name)
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


def _why_refused_loss(name):
    try:
        obj = compile_utils.get_loss(name, Y_TRUE, Y_PRED)
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    try:
        obj(Y_TRUE, Y_PRED)
    except NotImplementedError:
        return "abstract base class (call raises NotImplementedError)"
    except Exception:  # noqa: BLE001 - shape-dependent (ctc, circle, sparse_*)
        pass
    return None


def _why_refused_metric(name):
    try:
        obj = compile_utils.get_metric(name, Y_TRUE, Y_PRED)
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    # compile's MetricsList calls update_state(y_true, y_pred, sample_weight=...);
    # reduction metrics ('Mean', 'Sum') take (values, sample_weight) and break.
    try:
        inspect.signature(obj.update_state).bind(Y_TRUE, Y_PRED, sample_weight=None)
    except TypeError:
        return "update_state(values, sample_weight) cannot take (y_true, y_pred)"
    try:
        obj.update_state(Y_TRUE, Y_PRED, sample_weight=None)
    except NotImplementedError:
        return "abstract base class (update_state raises NotImplementedError)"
    except Exception:  # noqa: BLE001 - shape-dependent
        pass
    return None


def _first_line(text):
    text = str(text).strip().splitlines()[0] if str(text).strip() else ""
    text = re.sub(r"[\w.]+\(\) missing \d+ required positional arguments?:", "needs", text)
    return text if len(text) <= 70 else text[:67] + "..."


def optimizer_init_args(cls):
    """Keyword arguments ``cls(...)`` accepts, following ``**kwargs`` up the MRO.

    Each ``__init__`` that takes ``**kwargs`` forwards them to its base, down to
    ``BaseOptimizer.__init__``, which raises on anything it does not name
    (except the deprecated, ignored ``decay``).
    """
    args = set()
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        params = inspect.signature(klass.__init__).parameters.values()
        var_kw = False
        for p in params:
            if p.name == "self" or p.kind is p.VAR_POSITIONAL:
                continue
            if p.kind is p.VAR_KEYWORD:
                var_kw = True
                continue
            args.add(p.name)
        if klass is BaseOptimizer or not var_kw:
            break
    return frozenset(args)


def collect():
    refused = {}

    activations = set()
    for name in sorted(k_activations.ALL_OBJECTS_DICT):
        why = _why_refused_activation(name)
        if why:
            refused.setdefault("activation", {})[name] = why
        else:
            activations.add(name)

    losses = set()
    for name in sorted(set(k_losses.ALL_OBJECTS_DICT) | set(LOSS_SPECIALS)):
        why = _why_refused_loss(name)
        if why:
            refused.setdefault("loss", {})[name] = why
        else:
            losses.add(name)

    metrics = set()
    for name in sorted(set(k_metrics.ALL_OBJECTS_DICT) | set(METRIC_SPECIALS)):
        why = _why_refused_metric(name)
        if why:
            refused.setdefault("metric", {})[name] = why
        else:
            metrics.add(name)

    optimizers = {}
    optimizer_args = {}
    for key, cls in sorted(k_optimizers.ALL_OBJECTS_DICT.items()):
        try:
            obj = k_optimizers.get(key)
        except Exception as exc:  # noqa: BLE001
            refused.setdefault("optimizer", {})[key] = f"{type(exc).__name__}: {exc}"
            continue
        cls_name = type(obj).__name__
        # keras.optimizers.get lower-cases the name before the lookup, so every
        # capitalisation is accepted; list the lower-case key and the class name.
        optimizers[key] = cls_name
        optimizers[cls_name] = cls_name
        optimizer_args[cls_name] = optimizer_init_args(type(obj))

    return activations, losses, metrics, optimizers, optimizer_args, refused


def _frozenset_block(name, doc, values):
    lines = [f"# {line}" for line in doc]
    lines.append(f"{name}: frozenset[str] = frozenset({{")
    lines += [f"    {v!r}," for v in sorted(values)]
    lines.append("})")
    return "\n".join(lines)


def render():
    activations, losses, metrics, optimizers, optimizer_args, refused = collect()
    backend = keras.backend.backend()
    out = []
    out.append(f'''"""Names Keras accepts as strings, as static tables (no Keras import).

GENERATED by tools/gen_names.py from Keras {keras.__version__} (backend {backend}).
Do not edit by hand.  To refresh after a Keras upgrade:

    TF_CPP_MIN_LOG_LEVEL=3 python tools/gen_names.py

tests/test_names.py compares every table with the installed Keras.

"Accepted" means Keras resolves the string AND the result works in
compile/fit: names that sit in Keras' lookup tables but fail later (abstract
base classes, classes with required constructor arguments, reduction metrics
such as 'Mean') are left out; they are listed in a comment near the end.
Model.compile() itself resolves losses and metrics lazily, so Keras only
reports those at the first fit/evaluate; optimizers fail at compile().

Case rules (mirrored by the helpers at the bottom):
  * activations, losses, metrics: exact, case-sensitive lookup, EXCEPT the
    compile-time shortcuts {LOSS_SPECIALS!r} (loss) and {METRIC_SPECIALS!r}
    (metric), which Keras matches case-insensitively;
  * optimizers: keras.optimizers.get lower-cases the name, so any
    capitalisation works ("adam", "Adam", "ADAM").
"""
from __future__ import annotations

KERAS_VERSION = {keras.__version__!r}''')
    out.append(_frozenset_block(
        "ACTIVATIONS",
        ["keras.activations.get(name) / Dense(..., activation=name)."],
        activations,
    ))
    out.append(_frozenset_block(
        "LOSSES",
        [
            "Model.compile(loss=name): keras.src.trainers.compile_utils.get_loss,",
            "i.e. keras.losses.get plus the 'crossentropy'/'ce' shortcuts.",
            "Class names resolve to instances with default arguments.",
        ],
        losses,
    ))
    out.append(_frozenset_block(
        "METRICS",
        [
            "Model.compile(metrics=[name]): compile_utils.get_metric, i.e.",
            "keras.metrics.get plus the 'accuracy'/'acc' shortcuts (which pick",
            "binary / categorical / sparse-categorical accuracy from the data;",
            "note 'Accuracy' is caught by that shortcut too).",
        ],
        metrics,
    ))
    out.append(
        f"LOSS_CASE_INSENSITIVE: frozenset[str] = frozenset({set(LOSS_SPECIALS)!r})\n"
        f"METRIC_CASE_INSENSITIVE: frozenset[str] = frozenset({set(METRIC_SPECIALS)!r})"
    )
    opt_lines = ["# keras.optimizers.get(name) -> class name.  Lookup is case-insensitive;",
                 "# use optimizer_class_name() rather than `in OPTIMIZERS`.",
                 "OPTIMIZERS: dict[str, str] = {"]
    opt_lines += [f"    {k!r}: {v!r}," for k, v in sorted(optimizers.items(), key=lambda kv: (kv[1], kv[0]))]
    opt_lines.append("}")
    out.append("\n".join(opt_lines))

    base = optimizer_init_args(BaseOptimizer)
    arg_lines = [
        "# Keyword arguments of each optimizer constructor: its own named",
        "# arguments plus, through **kwargs, those of BaseOptimizer.__init__:",
        textwrap.fill(", ".join(sorted(base)) + ".", width=76,
                      initial_indent="#   ", subsequent_indent="#   "),
        "# ('decay' is also swallowed by BaseOptimizer, with a warning, and ignored;",
        "# it is deliberately not listed.)",
        "OPTIMIZER_BASE_ARGS: frozenset[str] = frozenset({",
    ]
    arg_lines += [f"    {a!r}," for a in sorted(base)]
    arg_lines.append("})")
    arg_lines.append("OPTIMIZER_ARGS: dict[str, frozenset[str]] = {")
    for cls_name in sorted(optimizer_args):
        accepted = optimizer_args[cls_name]
        if base <= accepted:  # forwards **kwargs to BaseOptimizer
            head, items = "OPTIMIZER_BASE_ARGS | frozenset({", sorted(accepted - base)
        else:
            head, items = "frozenset({", sorted(accepted)
        body = textwrap.fill(
            ", ".join(repr(a) for a in items), width=72,
            initial_indent=" " * 8, subsequent_indent=" " * 8,
        )
        arg_lines.append(f"    {cls_name!r}: {head}\n{body}\n    }}),")
    arg_lines.append("}")
    out.append("\n".join(arg_lines))

    ref_lines = [
        "# Names present in Keras' own lookup tables that are NOT accepted",
        "# (so they are not in the tables above):",
    ]
    for kind in sorted(refused):
        for name, why in sorted(refused[kind].items()):
            ref_lines.append(f"#   {kind} {name!r}: {_first_line(why)}")
    out.append("\n".join(ref_lines))

    out.append('''
def is_activation(name: str) -> bool:
    return name in ACTIVATIONS


def is_loss(name: str) -> bool:
    return name in LOSSES or name.lower() in LOSS_CASE_INSENSITIVE


def is_metric(name: str) -> bool:
    return name in METRICS or name.lower() in METRIC_CASE_INSENSITIVE


def optimizer_class_name(name: str) -> str | None:
    """Class Keras builds for optimizer string ``name``, or None if refused."""
    return OPTIMIZERS.get(name.lower())


def is_optimizer(name: str) -> bool:
    return optimizer_class_name(name) is not None
'''.strip("\n"))
    return "\n\n\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stdout", action="store_true", help="print instead of writing")
    args = ap.parse_args(argv)
    text = render()
    if args.stdout:
        sys.stdout.write(text)
    else:
        OUT.write_text(text)
        print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
