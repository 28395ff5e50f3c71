"""Training a spec's model on a folder of images whose labels are in the file names.

The tutorial's age/gender project reads UTKFace, whose files are named
`AGE_GENDER_RACE_DATETIME.jpg.chip.jpg`: `--label age=0 --label gender=1` takes the
outputs' targets from fields 0 and 1 of the name split at `_`. Everything that can be
wrong with the options, the folder or the spec is found before TensorFlow is imported;
the input pipeline is tf.data with Keras preprocessing layers (docs/training.md).
"""
from __future__ import annotations

import contextlib
import math
import os
import random
import re
import signal
import threading
import warnings
from dataclasses import dataclass, field

from .errors import TrainError, did_you_mean
from .infer import CheckedSpec

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
CLASS_LOSSES = ("sparse_categorical_crossentropy",)  # a label is a class index
_LABEL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(\d+)$")


@dataclass(frozen=True)
class LabelRule:
    """Output `output` is trained on field `field` (from 0) of the split file name."""

    output: str
    field: int

    @classmethod
    def parse(cls, text: str) -> LabelRule:
        match = _LABEL.match(text.strip())
        if not match:
            raise TrainError(f"cannot read label rule '{text}'",
                             hint="write OUTPUT=FIELD, e.g. age=0 (fields count from 0)")
        return cls(match.group(1), int(match.group(2)))


@dataclass
class Examples:
    """The images of a folder with their targets, and the files left out and why."""

    paths: list[str] = field(default_factory=list)
    targets: dict[str, list[float]] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class TrainOptions:
    epochs: int = 10
    batch_size: int = 32
    validation_split: float = 0.1
    augment: bool = True
    seed: int = 0
    separator: str = "_"

    def check(self) -> None:
        if self.epochs < 1:
            raise TrainError(f"epochs must be at least 1; received {self.epochs}")
        if self.batch_size < 1:
            raise TrainError(f"batch size must be at least 1; received {self.batch_size}")
        if not 0 <= self.validation_split < 1:
            raise TrainError("the validation split must be in [0, 1); received "
                             f"{self.validation_split}")
        if not self.separator:
            raise TrainError("the separator of file name fields cannot be empty")


@dataclass
class Plan:
    """What training will do, decided without TensorFlow."""

    input_name: str
    image_shape: tuple[int, int, int]
    rules: list[LabelRule]
    classes: dict[str, int]  # output -> number of classes, for class-index targets
    single_output: bool  # the model has one output: its targets are not keyed by name
    untrained: dict[str, tuple]  # outputs without a loss -> their shapes (for placeholders)
    examples: Examples
    train: list[int]
    validation: list[int]


def plan_training(checked: CheckedSpec, data: str | os.PathLike, labels: list[str],
                  options: TrainOptions) -> Plan:
    """Check the options against the spec and read the folder; TrainError when training
    cannot start."""
    options.check()
    input_name, image_shape = _image_input(checked)
    rules = _rules(checked, [LabelRule.parse(t) if isinstance(t, str) else t for t in labels])
    classes = {r.output: checked.shapes[r.output][0] for r in rules
               if checked.spec.outputs[r.output].loss in CLASS_LOSSES}
    examples = read_examples(data, rules, options.separator, classes)
    train, validation = split_indices(len(examples.paths), options.validation_split,
                                      options.seed)
    untrained = {name: tuple(d or 1 for d in checked.shapes[name])
                 for name, head in checked.spec.outputs.items() if not head.loss}
    return Plan(input_name, image_shape, rules, classes, len(checked.spec.outputs) == 1,
                untrained, examples, train, validation)


def _image_input(checked: CheckedSpec) -> tuple[str, tuple[int, int, int]]:
    inputs = checked.spec.inputs
    if len(inputs) != 1:
        raise TrainError(f"training from images needs a spec with one input; this one has "
                         f"{len(inputs)} ({', '.join(inputs)})")
    (name, item), = inputs.items()
    shape = tuple(item.shape)
    if len(shape) != 3 or None in shape or shape[2] not in (1, 3, 4):
        raise TrainError(f"input '{name}' has shape {list(shape)}; training from images "
                         "needs [height, width, channels] with known sizes and 1, 3 or 4 "
                         "channels")
    return name, shape


def _rules(checked: CheckedSpec, rules: list[LabelRule]) -> list[LabelRule]:
    heads = checked.spec.outputs
    trained = [name for name, head in heads.items() if head.loss]
    if not trained:
        raise TrainError("no output has a loss: there is nothing to train",
                         hint="give heads a loss in `outputs` (docs/spec-format.md)")
    seen = set()
    for rule in rules:
        if rule.output not in heads:
            raise TrainError(f"--label names '{rule.output}', which is not an output",
                             hint=did_you_mean(rule.output, heads)
                             or f"outputs: {', '.join(heads)}")
        if not heads[rule.output].loss:
            raise TrainError(f"output '{rule.output}' has no loss, so it cannot be trained")
        if rule.output in seen:
            raise TrainError(f"output '{rule.output}' has two --label rules")
        seen.add(rule.output)
    missing = [name for name in trained if name not in seen]
    if missing:
        raise TrainError(f"no label for output{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(repr(m) for m in missing)}",
                         hint="say which field of the file names holds each target: "
                              + " ".join(f"--label {m}=FIELD" for m in missing))
    for rule in rules:
        shape = checked.shapes[rule.output]
        loss = heads[rule.output].loss
        if loss in CLASS_LOSSES and (len(shape) != 1 or shape[0] is None):
            raise TrainError(f"output '{rule.output}' has shape {list(shape)}; a class index "
                             "needs an output of shape [number of classes]")
        if loss not in CLASS_LOSSES and tuple(shape) != (1,):
            raise TrainError(f"output '{rule.output}' has shape {list(shape)}; a label from a "
                             "file name is one number, which fits an output of shape [1], or "
                             "a class index with loss "
                             + " or ".join(CLASS_LOSSES))
    return sorted(rules, key=lambda r: list(heads).index(r.output))


def read_examples(folder: str | os.PathLike, rules: list[LabelRule], separator: str = "_",
                  classes: dict[str, int] | None = None) -> Examples:
    """Every image in `folder` (not its subfolders), in name order, with its targets:
    the fields of its name without the extension, split at `separator`.

    Files whose names do not give every target (too few fields, a field that is not a
    number, a class index out of range), and files that do not start as a JPEG, PNG, GIF
    or BMP image does, are skipped, with the reason.
    """
    classes = classes or {}
    if not os.path.isdir(folder):
        raise TrainError(f"data folder '{folder}' does not exist")
    examples = Examples(targets={r.output: [] for r in rules})
    try:
        listed = os.listdir(folder)
    except OSError as exc:  # not the output's problem: the CLI's OSError means writing
        raise TrainError(f"cannot read data folder '{folder}': {exc.strerror or exc}") from None
    names = sorted(n for n in listed if n.lower().endswith(IMAGE_SUFFIXES)
                   and os.path.isfile(os.path.join(folder, n)))
    if not names:
        raise TrainError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in '{folder}'")
    for name in names:
        values = _targets(name, rules, separator, classes)
        if not isinstance(values, str) and not _is_image(os.path.join(folder, name)):
            values = "not a JPEG, PNG, GIF or BMP image"
        if isinstance(values, str):
            examples.skipped.append((name, values))
            continue
        examples.paths.append(os.path.join(folder, name))
        for rule, value in zip(rules, values):
            examples.targets[rule.output].append(value)
    if not examples.paths:
        first, why = examples.skipped[0]
        raise TrainError(f"none of the {len(names)} images in '{folder}' has its labels in "
                         f"its name (the first, '{first}': {why})",
                         hint="check --label and --separator against the file names")
    return examples


_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")


def _is_image(path: str) -> bool:
    """Whether the file starts as an image TensorFlow decodes (its first bytes)."""
    try:
        with open(path, "rb") as f:
            return f.read(8).startswith(_SIGNATURES)
    except OSError:
        return False


def _tf_reason(message: str) -> str:
    """The line of a TensorFlow error that says what went wrong, without its node names
    and the traceback of where the op was defined."""
    lines = [re.sub(r"\{\{[^}]*\}\}", "", line).strip() for line in message.splitlines()]
    lines = [line for line in lines if line and not line.startswith("[[")]
    for line in reversed(lines):
        if not line.startswith(("File ", "Detected at node", "Graph execution error")):
            return line.split(" [Op:")[0]
    return lines[0] if lines else "TensorFlow error"


def _targets(name: str, rules: list[LabelRule], separator: str,
             classes: dict[str, int]) -> list[float] | str:
    """The targets in a file name (without its extension), or why there are none."""
    fields = os.path.splitext(name)[0].split(separator)
    values = []
    for rule in rules:
        if rule.field >= len(fields):
            return f"{len(fields)} field(s), no field {rule.field} for '{rule.output}'"
        text = fields[rule.field]
        try:
            value = float(text)
        except ValueError:
            return f"field {rule.field} for '{rule.output}' is '{text}', not a number"
        if not math.isfinite(value):
            return f"field {rule.field} for '{rule.output}' is '{text}', not a finite number"
        if rule.output in classes and not (value.is_integer() and 0 <= value < classes[rule.output]):
            return (f"field {rule.field} for '{rule.output}' is '{text}', not a class index "
                    f"from 0 to {classes[rule.output] - 1}")
        values.append(value)
    return values


def split_indices(count: int, validation_split: float, seed: int) -> tuple[list[int], list[int]]:
    """Shuffle 0..count-1 with `seed`; the last `validation_split` of them validate."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    held = round(count * validation_split)
    if validation_split > 0 and held == 0 and count > 1:
        held = 1
    if count - held < 1:
        raise TrainError(f"{count} image(s) leave nothing to train on after the validation "
                         f"split of {validation_split}")
    return order[:count - held], order[count - held:]


# ---------------------------------------------------------------- TensorFlow from here on
def augmentation(keras, seed: int):
    """The tutorial's ImageDataGenerator settings as Keras 3 preprocessing layers."""
    layers = keras.layers
    return keras.Sequential([
        layers.RandomRotation(30 / 360, fill_mode="nearest", seed=seed),
        layers.RandomTranslation(0.2, 0.2, fill_mode="nearest", seed=seed),
        layers.RandomShear(x_factor=0.2, y_factor=0.2, fill_mode="nearest", seed=seed),
        layers.RandomZoom(0.2, fill_mode="nearest", seed=seed),
        layers.RandomFlip("horizontal", seed=seed),
    ], name="augmentation")


def make_dataset(plan: Plan, indices: list[int], options: TrainOptions, keras, *,
                 training: bool):
    """A tf.data pipeline of (image batch, {output: targets}) for the given examples
    (the targets alone when the model has one output):
    decoded, resized to the input's size, augmented when training, scaled to [0, 1]."""
    import numpy as np
    import tensorflow as tf

    height, width, channels = plan.image_shape
    paths = [plan.examples.paths[i] for i in indices]
    targets = {}
    for rule in plan.rules:
        values = [plan.examples.targets[rule.output][i] for i in indices]
        targets[rule.output] = (np.asarray(values, dtype="int32") if rule.output in plan.classes
                                else np.asarray(values, dtype="float32").reshape(-1, 1))

    def load(path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels,
                                   expand_animations=False)
        image = tf.image.resize(image, (height, width))
        image.set_shape((height, width, channels))
        return image

    for name, shape in plan.untrained.items():  # fit wants every output; no loss reads it
        targets[name] = np.zeros((len(paths), *shape), dtype="float32")
    if plan.single_output:
        (targets,) = targets.values()
    dataset = tf.data.Dataset.from_tensor_slices((paths, targets))
    if training:
        dataset = dataset.shuffle(len(paths), seed=options.seed, reshuffle_each_iteration=True)
    dataset = dataset.map(lambda p, y: (load(p), y), num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(options.batch_size)
    rescale = keras.layers.Rescaling(1 / 255)
    augment = augmentation(keras, options.seed) if training and options.augment else None

    def prepare(images, y):
        return rescale(augment(images, training=True) if augment else images), y

    dataset = dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def fit(model, plan: Plan, options: TrainOptions, keras, verbose="auto") -> dict:
    """Train the compiled model as planned; the history, a list of numbers per metric."""
    train = make_dataset(plan, plan.train, options, keras, training=True)
    validation = (make_dataset(plan, plan.validation, options, keras, training=False)
                  if plan.validation else None)
    import tensorflow as tf

    stop = _StopOnCtrlC(keras)
    try:
        with warnings.catch_warnings(), stop.installed():
            # outputs without a loss are not trained, as the spec says: no warning about it
            warnings.filterwarnings("ignore", message="Gradients do not exist for variables")
            history = model.fit(train, validation_data=validation, epochs=options.epochs,
                                shuffle=False, verbose=verbose,  # the pipeline shuffles
                                callbacks=[stop.callback])
    except tf.errors.OpError as exc:  # an unreadable image, found when the pipeline reads it
        raise TrainError(f"training stopped: {_tf_reason(exc.message)}",
                         hint="every image file in the data folder must be a readable "
                              "JPEG, PNG, BMP or GIF") from None
    if stop.requested:
        raise KeyboardInterrupt
    return {key: [float(v) for v in values] for key, values in history.history.items()}


class _StopOnCtrlC:
    """Ctrl-C during `fit` stops training after the current batch, and `fit` returns;
    the caller then sees KeyboardInterrupt. A KeyboardInterrupt raised inside `fit`, while
    tf.data's threads run, can crash TensorFlow's runtime (SIGABRT: "free(): invalid next
    size") instead of ending cleanly. A second Ctrl-C interrupts at once."""

    def __init__(self, keras):
        self.requested = False
        outer = self

        class Callback(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if outer.requested:
                    self.model.stop_training = True

        self.callback = Callback()

    @contextlib.contextmanager
    def installed(self):
        if threading.current_thread() is not threading.main_thread():
            yield  # signal handlers belong to the main thread: Ctrl-C works as usual
            return
        previous = signal.getsignal(signal.SIGINT)

        def handler(signum, frame):
            self.requested = True
            signal.signal(signal.SIGINT, previous)

        signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


__all__ = ["Examples", "LabelRule", "Plan", "TrainOptions", "augmentation", "fit",
           "make_dataset", "plan_training", "read_examples", "split_indices"]
