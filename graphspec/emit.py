"""Stage 5: a checked spec -> a Keras functional Model. The only stage importing Keras."""
from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

from .errors import BuildError
from .files import atomic_path
from .infer import CheckedSpec
from .source import no_gc


# TensorFlow's native start-up log lines: written by C++ straight to file descriptor 2,
# some of them whatever TF_CPP_MIN_LOG_LEVEL says.
_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog|[IWE]\d{4} \d\d:\d\d:\d\d"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IW] |To enable the following instructions"
    r"|This TensorFlow binary is optimized|.*(oneDNN|cuda|cuDNN|cuFFT|cuBLAS|TensorRT))")


@contextlib.contextmanager
def quiet_tensorflow():
    """Drop TensorFlow's native log noise (oneDNN, absl, CUDA probing) from stderr.

    File descriptor 2 goes to a temporary file for the block; afterwards every line that
    is not known noise is written back to stderr, so real warnings still reach people.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            for line in captured.read().decode("utf-8", "replace").splitlines():
                if not _NOISE.match(line):
                    print(line, file=sys.stderr)


def import_keras():
    """Import Keras (TensorFlow backend) with its start-up log noise silenced.

    The import makes some 270,000 objects that all live on and hardly any garbage cycles,
    so the collector is paused for it: its passes would only walk the new objects again
    and again (docs/performance.md measures what that costs). Its state is restored after.
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with quiet_tensorflow(), no_gc():
        import absl.logging
        import keras

        absl.logging.set_verbosity(absl.logging.ERROR)
    return keras


def build_model(checked: CheckedSpec, *, load_weights: bool = True):
    """The functional model of a checked spec, compiled when any head has a loss.

    Layers, inputs and outputs carry the spec's names.
    """
    keras = import_keras()
    with quiet_tensorflow(), no_gc():  # as for the import: many objects, few cycles
        return _build(keras, checked, load_weights)


def _build(keras, checked: CheckedSpec, load_weights: bool):
    spec = checked.spec
    tensors = {name: keras.Input(shape=tuple(i.shape), name=name, dtype=i.dtype)
               for name, i in spec.inputs.items()}
    for name in checked.order:
        op = checked.ops.get(name)
        if op is None:
            continue
        op.prepare(base_dir=checked.source.base_dir, load_weights=load_weights)
        tensors[name] = op.to_keras(keras, [tensors[s] for s in checked.sources(name)])
    inputs = [tensors[name] for name in spec.inputs]
    outputs = [tensors[name] for name in spec.outputs]
    model = keras.Model(inputs=inputs if len(inputs) > 1 else inputs[0],
                        outputs=outputs if len(outputs) > 1 else outputs[0], name=spec.name)
    if any(head.loss for head in spec.outputs.values()):
        model.compile(**compile_arguments(checked, keras))
    return model


def compile_arguments(checked: CheckedSpec, keras) -> dict:
    """The keyword arguments of `model.compile`, as the heads and `compile` say."""
    spec = checked.spec
    heads = {name: head for name, head in spec.outputs.items() if head.loss}
    optimizer = spec.compile.optimizer if spec.compile else "adam"
    if not isinstance(optimizer, str):
        optimizer = getattr(keras.optimizers, optimizer.type)(**optimizer.arguments())
    arguments = {
        "optimizer": optimizer,
        # every output is named, None where there is no loss: Keras' fit wants a key for
        # each output, and an output without a loss is not trained
        "loss": {name: head.loss for name, head in spec.outputs.items()},
        "loss_weights": {name: head.weight if head.loss else None
                         for name, head in spec.outputs.items()},
    }
    metrics = {name: list(head.metrics) for name, head in heads.items() if head.metrics}
    if metrics:
        arguments["metrics"] = metrics
    return arguments


def save_model(model, path: str) -> None:
    """Write a `.keras` file atomically: to a temporary name beside it, then renamed."""
    with atomic_path(path) as tmp, quiet_tensorflow():
        model.save(tmp)


__all__ = ["BuildError", "build_model", "compile_arguments", "import_keras", "save_model"]
