"""Training from a spec: labels from file names, the tf.data pipeline, the command."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import SPECS, cli_in_fresh_process
from graphspec import TrainError, check_spec, compile_spec, train_spec
from graphspec.cli import main
from graphspec.train import LabelRule, TrainOptions, make_dataset, plan_training, read_examples

SMALL = """\
graphspec: 1
name: small_faces
inputs:
  image: {shape: [24, 20, 3]}
nodes:
  flat: {type: Flatten, from: image}
  hidden: {type: Dense, units: 8, activation: relu, from: flat}
  age: {type: Dense, units: 1, activation: linear, from: flat}
  gender: {type: Dense, units: 1, activation: sigmoid, from: hidden}
outputs:
  age: {loss: mae, metrics: [mae], weight: 1}
  gender: {loss: binary_crossentropy, metrics: [accuracy], weight: 99}
"""
LABELS = ["age=0", "gender=1"]


def write_images(folder, names, size=(24, 20), seed=0) -> dict:
    """PNG images (lossless, so pixels can be compared) under the given names; the pixels
    of each, by name."""
    import tensorflow as tf

    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(seed)
    pixels = {}
    for name in names:
        image = rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)
        tf.io.write_file(str(folder / name), tf.io.encode_png(image))
        pixels[name] = image
    return pixels


@pytest.fixture
def small(tmp_path):
    spec = tmp_path / "small.yaml"
    spec.write_text(SMALL)
    return spec


def faces(n: int) -> list[str]:
    """UTKFace-style names: AGE_GENDER_RACE_DATETIME.jpg.chip.png."""
    return [f"{20 + i}_{i % 2}_{i % 5}_2017011{i:04d}.jpg.chip.png" for i in range(n)]


# ------------------------------------------------------------ no TensorFlow needed
def test_label_rules_are_parsed_and_bad_ones_refused():
    assert LabelRule.parse("age=0") == LabelRule("age", 0)
    assert LabelRule.parse(" gender=12 ") == LabelRule("gender", 12)
    for text in ("age", "age=-1", "=1", "age=x", "1a=0"):
        with pytest.raises(TrainError, match="cannot read label rule"):
            LabelRule.parse(text)


def test_examples_come_from_file_names_and_unusable_files_are_skipped(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
    for name in ["31_1_2_x.jpg.chip.png", "5_0_1_x.PNG", "7_1.png", "old_x_1_x.png",
                 "9_3_0_x.png"]:
        (folder / name).write_bytes(png)
    (folder / "40_1_0_x.jpg").write_text("not an image")
    (folder / "README.txt").write_text("ignored: not an image name")
    (folder / "sub.png").mkdir()  # a folder, ignored
    rules = [LabelRule("age", 0), LabelRule("gender", 1), LabelRule("race", 2)]
    examples = read_examples(folder, rules, classes={"gender": 2})
    assert [p.rsplit("/", 1)[1] for p in examples.paths] == ["31_1_2_x.jpg.chip.png",
                                                             "5_0_1_x.PNG"]
    assert examples.targets == {"age": [31.0, 5.0], "gender": [1.0, 0.0], "race": [2.0, 1.0]}
    assert dict(examples.skipped) == {
        "40_1_0_x.jpg": "not a JPEG, PNG, GIF or BMP image",
        "7_1.png": "2 field(s), no field 2 for 'race'",
        "9_3_0_x.png": "field 1 for 'gender' is '3', not a class index from 0 to 1",
        "old_x_1_x.png": "field 0 for 'age' is 'old', not a number",
    }


def test_folder_problems_are_clear_errors(tmp_path):
    rules = [LabelRule("age", 0)]
    with pytest.raises(TrainError, match="data folder '.*nowhere' does not exist"):
        read_examples(tmp_path / "nowhere", rules)
    with pytest.raises(TrainError, match="no images"):
        read_examples(tmp_path, rules)
    (tmp_path / "a_b.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(TrainError, match="none of the 1 images .* 'a_b.png': field 0 for "
                                         "'age' is 'a', not a number"):
        read_examples(tmp_path, rules)


def test_an_unreadable_data_folder_is_a_train_error(tmp_path, monkeypatch, small, capsys):
    def refuse(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("graphspec.train.os.listdir", refuse)
    with pytest.raises(TrainError, match="cannot read data folder '.*': Permission denied"):
        read_examples(tmp_path, [LabelRule("age", 0)])
    assert main(["train", str(small), "--data", str(tmp_path), "--label", "age=0",
                 "--label", "gender=1", "-o", str(tmp_path / "m.keras")]) == 2
    err = capsys.readouterr().err
    assert "cannot read data folder" in err and "cannot write" not in err


@pytest.mark.parametrize("labels, message", [
    (["age=0"], "no label for output 'gender'"),
    (["age=0", "gendr=1"], "'gendr', which is not an output"),
    (["age=0", "gender=1", "age=2"], "output 'age' has two --label rules"),
])
def test_rules_must_cover_the_trained_outputs(small, tmp_path, labels, message):
    with pytest.raises(TrainError, match=message) as info:
        plan_training(check_spec(small), tmp_path, labels, TrainOptions())
    if "gendr" in message:
        assert info.value.hint == "did you mean 'gender'?"


@pytest.mark.parametrize("spec, message", [
    (SPECS / "multi_input.yaml", "needs a spec with one input; this one has 2"),
    (SPECS / "multi_output.yaml", "input 'x' has shape \\[3\\]"),
])
def test_specs_that_cannot_train_from_images(tmp_path, spec, message):
    with pytest.raises(TrainError, match=message):
        plan_training(check_spec(spec), tmp_path, [], TrainOptions())


def test_a_spec_without_losses_has_nothing_to_train(small, tmp_path):
    spec = small.read_text().split("outputs:")[0] + "outputs: [age, gender]\n"
    small.write_text(spec)
    with pytest.raises(TrainError, match="no output has a loss"):
        plan_training(check_spec(small), tmp_path, [], TrainOptions())


def test_the_split_is_seeded_and_keeps_every_image_once(small, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    for name in faces(20):
        (folder / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    checked = check_spec(small)
    one = plan_training(checked, folder, LABELS, TrainOptions(validation_split=0.25, seed=3))
    again = plan_training(checked, folder, LABELS, TrainOptions(validation_split=0.25, seed=3))
    other = plan_training(checked, folder, LABELS, TrainOptions(validation_split=0.25, seed=4))
    assert (len(one.train), len(one.validation)) == (15, 5)
    assert sorted(one.train + one.validation) == list(range(20))
    assert (one.train, one.validation) == (again.train, again.validation)
    assert one.validation != other.validation
    none = plan_training(checked, folder, LABELS, TrainOptions(validation_split=0))
    assert (len(none.train), none.validation) == (20, [])


@pytest.mark.parametrize("options, message", [
    (TrainOptions(epochs=0), "epochs must be at least 1"),
    (TrainOptions(batch_size=0), "batch size must be at least 1"),
    (TrainOptions(validation_split=1.0), "validation split must be in"),
    (TrainOptions(separator=""), "separator .* cannot be empty"),
])
def test_bad_options(small, tmp_path, options, message):
    with pytest.raises(TrainError, match=message):
        plan_training(check_spec(small), tmp_path, LABELS, options)


def test_train_errors_come_before_tensorflow(small, tmp_path):
    codes, loaded, err = cli_in_fresh_process(
        ["train", small, "--data", tmp_path / "nowhere", "--label", "age=0",
         "--label", "gender=1"],
        ["train", small, "--data", tmp_path, "--label", "age=0"])
    assert codes == [2, 2] and loaded == []
    assert "data folder" in err and "no label for output 'gender'" in err
    assert "Traceback" not in err


# ------------------------------------------------------------ with TensorFlow
def test_pipeline_gives_the_images_and_the_labels_of_their_names(small, tmp_path, keras):
    pixels = write_images(tmp_path / "data", faces(7))
    options = TrainOptions(batch_size=3, augment=False)
    plan = plan_training(check_spec(small), tmp_path / "data", LABELS, options)
    dataset = make_dataset(plan, plan.train, options, keras, training=False)
    images, ages, genders = [], [], []
    for x, y in dataset:
        assert tuple(x.shape[1:]) == (24, 20, 3)
        images += list(x.numpy())
        ages += list(y["age"].numpy())
        genders += list(y["gender"].numpy())
    assert len(images) == len(plan.train) == 6  # 7 images, 1 held out
    for image, age, gender, index in zip(images, ages, genders, plan.train):
        name = plan.examples.paths[index].rsplit("/", 1)[1]
        np.testing.assert_allclose(image, pixels[name] / 255, atol=1e-6)  # scaled to [0, 1]
        assert age.tolist() == [float(name.split("_")[0])]
        assert gender.tolist() == [float(name.split("_")[1])]


def test_images_are_resized_and_augmentation_changes_them(small, tmp_path, keras):
    write_images(tmp_path / "data", faces(4), size=(48, 33))  # not the input's size
    options = TrainOptions(batch_size=4, validation_split=0, seed=1)
    plan = plan_training(check_spec(small), tmp_path / "data", LABELS, options)
    plain = next(iter(make_dataset(plan, plan.train, options, keras, training=False)))[0]
    augmented = next(iter(make_dataset(plan, plan.train, options, keras, training=True)))[0]
    assert tuple(plain.shape) == tuple(augmented.shape) == (4, 24, 20, 3)
    assert 0 <= float(np.min(augmented)) and float(np.max(augmented)) <= 1
    assert sorted(plain.numpy().sum(axis=(1, 2, 3))) != sorted(
        augmented.numpy().sum(axis=(1, 2, 3)))


def test_train_spec_trains_and_writes_the_model(small, tmp_path, keras):
    write_images(tmp_path / "data", faces(12))
    out = tmp_path / "trained.keras"
    model, history = train_spec(small, tmp_path / "data", LABELS, output=out, epochs=2,
                                batch_size=4, validation_split=0.25, verbose=0)
    assert len(history["loss"]) == 2
    for key in ("age_mae", "gender_accuracy", "val_loss", "val_age_mae"):
        assert key in history and all(np.isfinite(history[key]))
    loaded = keras.saving.load_model(out)
    config = loaded.get_compile_config()
    assert config["loss_weights"] == {"age": 1.0, "gender": 99.0}
    for ours, theirs in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(ours, theirs)  # the trained weights were written


def test_training_learns_the_labels_of_the_file_names(small, tmp_path, keras):
    # 16 images, ages 20-35 and genders 0/1 in their names: enough epochs memorize them.
    write_images(tmp_path / "data", faces(16))
    keras.utils.set_random_seed(0)
    history = train_spec(small, tmp_path / "data", LABELS, epochs=40, batch_size=8,
                         augment=False, validation_split=0, verbose=0)[1]
    assert history["age_mae"][-1] < history["age_mae"][0] / 3
    assert history["gender_loss"][-1] < history["gender_loss"][0]


def test_an_unreadable_image_stops_training_with_a_clear_error(small, tmp_path, keras):
    names = faces(4)
    write_images(tmp_path / "data", names)
    data = (tmp_path / "data" / names[0]).read_bytes()
    (tmp_path / "data" / names[0]).write_bytes(data[:40])  # a PNG cut short
    out = tmp_path / "m.keras"
    with pytest.raises(TrainError, match="training stopped: .*") as info:
        train_spec(small, tmp_path / "data", LABELS, output=out, epochs=1,
                   validation_split=0, verbose=0)
    assert "readable" in info.value.hint and "\n" not in info.value.message
    assert not out.exists()


def test_train_command(small, tmp_path, capsys, keras):
    write_images(tmp_path / "data", faces(6) + ["readme_x.png"])
    out = tmp_path / "m.keras"
    code = main(["train", str(small), "--data", str(tmp_path / "data"), "--label", "age=0",
                 "--label", "gender=1", "--epochs", "1", "--batch-size", "2",
                 "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "6 labelled image(s)" in captured.out and "5 to train on, 1 to validate" in \
        captured.out
    assert f"wrote {out}" in captured.out
    assert "skipped 1 file(s)" in captured.err and "'readme_x.png'" in captured.err
    assert out.is_file()
    assert main(["train", str(small), "--data", str(tmp_path / "data"), "--label", "age=0",
                 "--label", "gender=1", "-o", str(tmp_path / "m.h5")]) == 2
    assert "must end in .keras" in capsys.readouterr().err


RACE = """\
graphspec: 1
name: race
inputs:
  image: {shape: [16, 16, 3]}
nodes:
  flat: {type: Flatten, from: image}
  race: {type: Dense, units: 5, activation: softmax, from: flat}
outputs:
  race: {loss: %s, metrics: [accuracy]}
"""


def test_class_index_labels_train_a_softmax_head(tmp_path, keras):
    spec = tmp_path / "race.yaml"
    spec.write_text(RACE % "sparse_categorical_crossentropy")
    names = faces(10)  # field 2 is the race, 0 to 4
    write_images(tmp_path / "data", names + ["1_0_7_x.png"], size=(16, 16))
    options = TrainOptions(batch_size=4, validation_split=0, augment=False)
    plan = plan_training(check_spec(spec), tmp_path / "data", ["race=2"], options)
    assert plan.classes == {"race": 5}
    assert dict(plan.examples.skipped) == {
        "1_0_7_x.png": "field 2 for 'race' is '7', not a class index from 0 to 4"}
    labels = np.concatenate([y.numpy() for _, y in
                             make_dataset(plan, plan.train, options, keras, training=False)])
    assert labels.dtype == np.int32 and labels.shape == (10,)
    assert labels.tolist() == [int(plan.examples.paths[i].rsplit("/", 1)[1].split("_")[2])
                               for i in plan.train]
    _, history = train_spec(spec, tmp_path / "data", ["race=2"], epochs=1, batch_size=4,
                            verbose=0)
    assert np.isfinite(history["loss"][0]) and "accuracy" in history


def test_a_wide_output_needs_a_class_index_loss(tmp_path):
    spec = tmp_path / "race.yaml"
    spec.write_text(RACE % "categorical_crossentropy")
    with pytest.raises(TrainError, match="output 'race' has shape \\[5\\]; a label from a "
                                         "file name is one number"):
        plan_training(check_spec(spec), tmp_path, ["race=2"], TrainOptions())


def test_an_output_without_a_loss_is_left_untrained(small, tmp_path, keras):
    small.write_text(SMALL.replace(
        "  gender: {loss: binary_crossentropy, metrics: [accuracy], weight: 99}",
        "  gender: {}"))
    write_images(tmp_path / "data", faces(8))
    keras.utils.set_random_seed(1)
    initial = compile_spec(small)
    keras.utils.set_random_seed(1)
    out = tmp_path / "m.keras"
    model, history = train_spec(small, tmp_path / "data", ["age=0"], output=out, epochs=2,
                                batch_size=4, verbose=0)
    assert sorted(history) == ["age_mae", "loss", "val_age_mae", "val_loss"]
    for name, trained in (("gender", False), ("age", True)):
        before, after = initial.get_layer(name).get_weights(), model.get_layer(name).get_weights()
        assert any(not np.array_equal(a, b) for a, b in zip(before, after)) is trained, name
    assert keras.saving.load_model(out).count_params() == model.count_params()


def test_a_class_index_needs_a_known_number_of_classes(tmp_path):
    spec = tmp_path / "race.yaml"
    spec.write_text((RACE % "sparse_categorical_crossentropy").replace(
        "  race: {type: Dense, units: 5, activation: softmax, from: flat}",
        "  race: {type: Activation, activation: softmax, from: image}"))
    with pytest.raises(TrainError, match="output 'race' has shape \\[16, 16, 3\\]; a class "
                                         "index needs"):
        plan_training(check_spec(spec), tmp_path, ["race=2"], TrainOptions())


def test_ctrl_c_while_training_leaves_no_file(small, tmp_path, keras):
    write_images(tmp_path / "data", faces(8))
    out = tmp_path / "out"
    out.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "graphspec", "train", str(small), "--data",
         str(tmp_path / "data"), "--label", "age=0", "--label", "gender=1",
         "--epochs", "100000", "--batch-size", "2", "-o", str(out / "m.keras")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert "8 labelled image(s)" in process.stdout.readline()  # before TensorFlow
    deadline = time.monotonic() + 120
    while "Epoch 3/" not in process.stdout.readline():  # training, two epochs done
        assert process.poll() is None and time.monotonic() < deadline
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "graphspec: interrupted" in err and "Traceback" not in err
    assert list(out.iterdir()) == []  # neither the model nor a temporary file


@pytest.mark.slow
def test_the_age_gender_spec_trains_from_its_spec(tmp_path, keras):
    # The tutorial's project: ResNet50 (random weights: no download here) at 200x200,
    # UTKFace-style names. Not saved: the file would be 1.3 GB with Adam's slots.
    write_images(tmp_path / "faces", faces(4), size=(200, 200))
    model, history = train_spec(SPECS / "age_gender.yaml", tmp_path / "faces", LABELS,
                                load_weights=False, epochs=1, batch_size=2,
                                validation_split=0, verbose=0)
    assert set(history) >= {"loss", "age_mae", "gender_accuracy"}
    assert all(np.isfinite(history["loss"]))
    assert model.get_layer("resnet").trainable is False
