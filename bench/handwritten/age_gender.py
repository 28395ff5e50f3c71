"""The tutorial's age/gender model, written by hand with the Keras functional API.

The reference for bench/run.py: the same model as specs/age_gender.yaml with random
backbone weights (weights=None, as compile_spec(..., load_weights=False)), compiled as
the spec's heads say. Nothing is saved.
"""
import keras
from keras.applications import ResNet50
from keras.layers import Dense, Flatten, Input

image = Input(shape=(200, 200, 3), name="image")

resnet = ResNet50(include_top=False, weights=None, input_shape=(200, 200, 3), name="resnet")
resnet.trainable = False
features = resnet(image)

flat = Flatten(name="flat")(features)
dense1 = Dense(512, activation="relu", name="dense1")(flat)
dense2 = Dense(512, activation="relu", name="dense2")(flat)
dense3 = Dense(512, activation="relu", name="dense3")(dense1)
dense4 = Dense(512, activation="relu", name="dense4")(dense2)
age = Dense(1, activation="linear", name="age")(dense3)
gender = Dense(1, activation="sigmoid", name="gender")(dense4)

model = keras.Model(inputs=image, outputs=[age, gender], name="age_gender")
model.compile(
    optimizer="adam",
    loss={"age": "mae", "gender": "binary_crossentropy"},
    metrics={"age": ["mae"], "gender": ["accuracy"]},
    loss_weights={"age": 1, "gender": 99},
)
