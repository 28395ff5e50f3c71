"""graphspec/names.py must agree exactly with the installed Keras.

If Keras adds, removes or renames an activation / loss / metric / optimizer
(or an optimizer argument), these tests fail; rerun ``tools/gen_names.py``.

Completeness is tested differentially: a pool of candidate strings is built
from Keras' own lookup tables and public API, plus case variants and
misspellings of each; for every candidate, "Keras accepts it" (asked of Keras,
through the same functions Dense / Model.compile use) must equal "the table
accepts it".  Then end-to-end checks compile and evaluate a real model with
every loss and metric in the tables, and with the names that are left out.
"""
from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from keras.src import activations as k_activations  # noqa: E402
from keras.src import losses as k_losses  # noqa: E402
from keras.src import metrics as k_metrics  # noqa: E402
from keras.src import optimizers as k_optimizers  # noqa: E402
from keras.src.optimizers.base_optimizer import BaseOptimizer  # noqa: E402
from keras.src.trainers import compile_utils  # noqa: E402
from keras.src.utils.naming import to_snake_case  # noqa: E402

NAMES_PY = Path(__file__).resolve().parent.parent / "graphspec" / "names.py"


def _load_names():
    # Load the file directly, independent of whatever graphspec/__init__ does.
    spec = importlib.util.spec_from_file_location("_graphspec_names", NAMES_PY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


names = _load_names()

Y_TRUE = np.array([[0.0, 1.0], [1.0, 0.0]], dtype="float32")
Y_PRED = np.array([[0.2, 0.8], [0.6, 0.4]], dtype="float32")

MISSPELLED = [
    "", " relu", "relu ", "relu7", "sigmoidd", "soft_max", "leakyrelu", "none",
    "mean_squared_errors", "mse2", "Mse", "cross_entropy", "crossentropyy",
    "categorical-crossentropy", "adamm", "sgdd", "ad am", "rms_prop", "acuracy",
    "accuracyy", "binary accuracy", "get", "serialize", "deserialize",
]


def _variants(name: str) -> set[str]:
    out = {
        name, name.lower(), name.upper(), name.title(), name.capitalize(),
        name.swapcase(), to_snake_case(name), name.replace("_", ""),
        name + "s", name[:-1],
    }
    return {v for v in out if isinstance(v, str)}


def _pool(*sources) -> set[str]:
    pool = set(MISSPELLED)
    for src in sources:
        for name in src:
            pool |= _variants(name)
    return pool


def _public(module) -> set[str]:
    return {n for n in dir(module) if not n.startswith("_")}


# --------------------------------------------------------------------------
# names.py itself


def test_names_module_imports_without_keras():
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('n', {str(NAMES_PY)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "bad = [k for k in sys.modules if k.split('.')[0] in ('keras', 'tensorflow', 'numpy')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_tables_have_expected_types():
    for table in (names.ACTIVATIONS, names.LOSSES, names.METRICS):
        assert isinstance(table, frozenset) and all(isinstance(n, str) for n in table)
    assert all(isinstance(v, frozenset) for v in names.OPTIMIZER_ARGS.values())
    assert set(names.OPTIMIZER_ARGS) == set(names.OPTIMIZERS.values())


# --------------------------------------------------------------------------
# activations


def keras_accepts_activation(name: str) -> bool:
    try:
        fn = keras.activations.get(name)
        keras.layers.Dense(1, activation=name)
    except (ValueError, TypeError):
        return False
    return callable(fn)


def test_activations_all_resolve():
    for name in sorted(names.ACTIVATIONS):
        assert keras_accepts_activation(name), name
    assert "linear" in names.ACTIVATIONS


def test_activations_complete_and_exact():
    pool = _pool(k_activations.ALL_OBJECTS_DICT, _public(keras.activations))
    assert names.ACTIVATIONS <= pool
    keras_set = {n for n in pool if keras_accepts_activation(n)}
    table_set = {n for n in pool if names.is_activation(n)}
    assert table_set == keras_set, (
        f"missing: {sorted(keras_set - table_set)}; extra: {sorted(table_set - keras_set)}"
    )


# --------------------------------------------------------------------------
# losses


def keras_accepts_loss(name: str) -> bool:
    try:
        loss = compile_utils.get_loss(name, Y_TRUE, Y_PRED)  # what compile uses
    except (ValueError, TypeError):
        return False
    try:
        loss(Y_TRUE, Y_PRED)
    except NotImplementedError:  # keras.losses.Loss, the abstract base
        return False
    except Exception:  # noqa: BLE001 - shape-specific losses (ctc, circle, sparse_*)
        pass
    return True


def test_losses_complete_and_exact():
    pool = _pool(
        k_losses.ALL_OBJECTS_DICT,
        _public(keras.losses),
        ["crossentropy", "ce", "CE", "Ce", "CrossEntropy", "CROSSENTROPY"],
    )
    assert names.LOSSES <= pool
    keras_set = {n for n in pool if keras_accepts_loss(n)}
    table_set = {n for n in pool if names.is_loss(n)}
    assert table_set == keras_set, (
        f"missing: {sorted(keras_set - table_set)}; extra: {sorted(table_set - keras_set)}"
    )


def test_losses_agree_with_keras_losses_get():
    for name in names.LOSSES - names.LOSS_CASE_INSENSITIVE:
        assert callable(keras.losses.get(name)), name
    for name in names.LOSS_CASE_INSENSITIVE:  # only compile knows these
        with pytest.raises(ValueError):
            keras.losses.get(name)


# --------------------------------------------------------------------------
# metrics


def keras_accepts_metric(name: str) -> bool:
    try:
        metric = compile_utils.get_metric(name, Y_TRUE, Y_PRED)  # what compile uses
    except (ValueError, TypeError):
        return False
    try:
        # exactly how compile_utils.MetricsList calls it
        metric.update_state(Y_TRUE, Y_PRED, sample_weight=None)
    except (NotImplementedError, TypeError):  # abstract Metric; Mean / Sum
        return False
    except Exception:  # noqa: BLE001 - shape-specific (sparse_*)
        pass
    return True


def test_metrics_complete_and_exact():
    pool = _pool(
        k_metrics.ALL_OBJECTS_DICT,
        _public(keras.metrics),
        ["accuracy", "acc", "ACC", "Acc", "ACCURACY", "crossentropy", "ce"],
    )
    assert names.METRICS <= pool
    keras_set = {n for n in pool if keras_accepts_metric(n)}
    table_set = {n for n in pool if names.is_metric(n)}
    assert table_set == keras_set, (
        f"missing: {sorted(keras_set - table_set)}; extra: {sorted(table_set - keras_set)}"
    )


def test_crossentropy_shortcut_is_loss_only():
    # compile_utils special-cases 'crossentropy'/'ce' for losses only;
    # as metrics they are refused.
    for name in ("crossentropy", "ce"):
        assert names.is_loss(name) and not names.is_metric(name)
        with pytest.raises(ValueError):
            compile_utils.get_metric(name, Y_TRUE, Y_PRED)


# --------------------------------------------------------------------------
# end to end: real compile + evaluate with every table entry


B = 4


def _data_kind(name: str) -> str:
    low = name.lower()
    if "ctc" in low:
        return "ctc"
    if "sparse" in low or "circle" in low:
        return "sparse"
    return "dense"


def _heads(x, kind, label):
    if kind == "ctc":
        y = keras.layers.Dense(5 * 4)(x)
        y = keras.layers.Reshape((5, 4))(y)
        return keras.layers.Softmax(name=label)(y)
    return keras.layers.Dense(3, activation="softmax", name=label)(x)


def _targets(kind):
    rng = np.random.default_rng(0)
    if kind == "ctc":  # labels 1..3, 0 is the blank
        return rng.integers(1, 4, size=(B, 2)).astype("int32")
    if kind == "sparse":
        return np.array([0, 1, 2, 1], dtype="int32")
    return np.eye(3, dtype="float32")[[0, 1, 2, 1]]


def _evaluate(losses: dict, metrics: dict):
    """One model, one output per key of ``losses``; returns evaluate's logs."""
    inp = keras.Input((3,))
    x = keras.layers.Dense(8, activation="relu")(inp)
    outputs, ys = {}, {}
    for label, (kind, _) in losses.items():
        outputs[label] = _heads(x, kind, label)
        ys[label] = _targets(kind)
    model = keras.Model(inp, outputs)
    model.compile(
        optimizer="sgd",
        loss={k: v for k, (_, v) in losses.items()},
        metrics=metrics or None,
    )
    xs = np.random.default_rng(1).random((B, 3)).astype("float32")
    return model.evaluate(xs, ys, batch_size=B, verbose=0, return_dict=True)


def test_every_loss_trains_end_to_end():
    losses = {f"out{i}": (_data_kind(n), n) for i, n in enumerate(sorted(names.LOSSES))}
    logs = _evaluate(losses, {})
    for label in losses:
        assert f"{label}_loss" in logs, label


def test_every_metric_works_end_to_end():
    by_kind = {"dense": [], "sparse": []}
    for n in sorted(names.METRICS):
        by_kind[_data_kind(n)].append(n)
    losses = {
        "out_dense": ("dense", "categorical_crossentropy"),
        "out_sparse": ("sparse", "sparse_categorical_crossentropy"),
    }
    logs = _evaluate(losses, {f"out_{k}": v for k, v in by_kind.items()})
    for kind, metric_names in by_kind.items():
        for n in metric_names:
            assert f"out_{kind}_{n}" in logs, n
    assert len(logs) == len(names.METRICS) + 3  # + total loss, 2 output losses


@pytest.mark.parametrize(
    "loss, metric",
    [
        ("Loss", None), ("LossFunctionWrapper", None), ("mse2", None),
        ("mse", "Metric"), ("mse", "Mean"), ("mse", "sum"), ("mse", "MeanIoU"),
        ("mse", "precision_at_recall"), ("mse", "crossentropy"), ("mse", "acuracy"),
    ],
)
def test_excluded_names_really_fail_in_keras(loss, metric):
    if metric is None:
        assert not names.is_loss(loss)
    else:
        assert names.is_loss(loss) and not names.is_metric(metric)
    with pytest.raises((ValueError, TypeError, NotImplementedError)):
        _evaluate({"out": ("dense", loss)}, {"out": [metric]} if metric else {})


# --------------------------------------------------------------------------
# optimizers


def keras_optimizer_class(name: str) -> str | None:
    try:
        return type(keras.optimizers.get(name)).__name__
    except (ValueError, TypeError, KeyError):
        return None


def test_optimizer_names_give_their_class():
    for name, cls_name in names.OPTIMIZERS.items():
        assert keras_optimizer_class(name) == cls_name, name
        for v in (name.upper(), name.lower(), name.swapcase()):
            assert names.optimizer_class_name(v) == keras_optimizer_class(v) == cls_name, v
    assert names.OPTIMIZERS["adam"] == "Adam"


def test_optimizers_complete_and_exact():
    pool = _pool(
        k_optimizers.ALL_OBJECTS_DICT,
        [cls.__name__ for cls in k_optimizers.ALL_OBJECTS],
        _public(keras.optimizers),
    )
    assert set(names.OPTIMIZERS) <= pool
    mismatches = {
        n: (keras_optimizer_class(n), names.optimizer_class_name(n))
        for n in pool
        if keras_optimizer_class(n) != names.optimizer_class_name(n)
    }
    assert not mismatches


def _signature_args(cls) -> set[str]:
    """Named keyword arguments of cls.__init__, plus BaseOptimizer's if it
    takes **kwargs (they are forwarded down to BaseOptimizer.__init__)."""
    params = inspect.signature(cls).parameters.values()
    args = {p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    if any(p.kind is p.VAR_KEYWORD for p in params):
        base = inspect.signature(BaseOptimizer.__init__).parameters.values()
        args |= {
            p.name for p in base
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        }
    return args


def _optimizer_classes():
    return {name: type(keras.optimizers.get(name.lower())) for name in names.OPTIMIZER_ARGS}


def test_optimizer_args_equal_signature_inspection():
    classes = _optimizer_classes()
    for cls_name, cls in classes.items():
        assert names.OPTIMIZER_ARGS[cls_name] == _signature_args(cls), cls_name
    for arg in ("learning_rate", "weight_decay", "clipnorm", "clipvalue",
                "global_clipnorm", "use_ema", "ema_momentum",
                "ema_overwrite_frequency", "loss_scale_factor",
                "gradient_accumulation_steps", "name"):
        assert arg in names.OPTIMIZER_BASE_ARGS, arg
        assert all(arg in a for a in names.OPTIMIZER_ARGS.values()), arg


def _defaults(cls) -> dict:
    out = {}
    for klass in (cls, BaseOptimizer):
        for p in inspect.signature(klass.__init__).parameters.values():
            if p.default is not p.empty:
                out.setdefault(p.name, p.default)
    return out


def test_optimizer_args_are_accepted_and_nothing_else():
    for cls_name, cls in _optimizer_classes().items():
        defaults = _defaults(cls)
        kwargs = {a: defaults[a] for a in names.OPTIMIZER_ARGS[cls_name]}
        cls(**kwargs)  # every listed argument at once
        with pytest.raises((ValueError, TypeError)):
            cls(not_an_argument=1)


def test_decay_is_swallowed_with_a_warning_and_not_listed():
    # Keras quirk: BaseOptimizer pops the Keras-2 'decay' argument, warns and
    # ignores it.  The table leaves it out so specs using it are rejected.
    assert all("decay" not in a for a in names.OPTIMIZER_ARGS.values())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        keras.optimizers.SGD(decay=0.1)
    assert any("decay" in str(w.message) for w in caught)


# --------------------------------------------------------------------------
# negative checks


@pytest.mark.parametrize("name", MISSPELLED)
def test_misspelled_names_rejected_by_both(name):
    assert not names.is_activation(name) and not keras_accepts_activation(name)
    assert not names.is_loss(name) and not keras_accepts_loss(name)
    assert not names.is_metric(name) and not keras_accepts_metric(name)
    assert names.optimizer_class_name(name) is None and keras_optimizer_class(name) is None
