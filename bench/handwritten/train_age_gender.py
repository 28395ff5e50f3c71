"""The tutorial's age/gender training written by hand in Keras 3, as a user would port it.

    python bench/handwritten/train_age_gender.py DATA_FOLDER [EPOCHS]

This is the reference for bench/train.py. The labels come from UTKFace-style file names,
as the tutorial reads them (`file.split('_')[0]` and `[1]`). The tutorial's
ImageDataGenerator becomes tf.data with Keras 3 preprocessing layers: the same
augmentation, a rescale by 1/255, images resized to 200x200, batches of 32, and a tenth
of the images held out for validation. The model is bench/handwritten/age_gender.py's:
ResNet50 with random weights, frozen, compiled as the tutorial compiles it. Nothing is
saved.
"""
import os
import random
import runpy
import sys

import tensorflow as tf
from keras import Sequential, layers

folder = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 1
here = os.path.dirname(os.path.abspath(__file__))
model = runpy.run_path(os.path.join(here, "age_gender.py"))["model"]

names = sorted(f for f in os.listdir(folder) if f.endswith(".jpg"))
age = [float(f.split("_")[0]) for f in names]
gender = [float(f.split("_")[1]) for f in names]
order = list(range(len(names)))
random.Random(0).shuffle(order)
held = round(len(names) * 0.1)
train, test = order[:len(names) - held], order[len(names) - held:]

augment = Sequential([
    layers.RandomRotation(30 / 360, fill_mode="nearest"),
    layers.RandomTranslation(0.2, 0.2, fill_mode="nearest"),
    layers.RandomShear(x_factor=0.2, y_factor=0.2, fill_mode="nearest"),
    layers.RandomZoom(0.2, fill_mode="nearest"),
    layers.RandomFlip("horizontal"),
])
rescale = layers.Rescaling(1 / 255)


def load(path):
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image = tf.image.resize(image, (200, 200))
    image.set_shape((200, 200, 3))
    return image


def dataset(indices, training):
    paths = [os.path.join(folder, names[i]) for i in indices]
    labels = {"age": [[age[i]] for i in indices], "gender": [[gender[i]] for i in indices]}
    data = tf.data.Dataset.from_tensor_slices((paths, labels))
    if training:
        data = data.shuffle(len(paths), seed=0)
    data = data.map(lambda p, y: (load(p), y), num_parallel_calls=tf.data.AUTOTUNE).batch(32)
    if training:
        return data.map(lambda x, y: (rescale(augment(x, training=True)), y)).prefetch(2)
    return data.map(lambda x, y: (rescale(x), y)).prefetch(2)


model.fit(dataset(train, True), validation_data=dataset(test, False), epochs=epochs,
          verbose=2)
