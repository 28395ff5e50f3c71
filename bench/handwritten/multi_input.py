"""The tutorial's multi-input model, written by hand with the Keras functional API.

The reference for bench/run.py: the same model as specs/multi_input.yaml, built the way
a Keras user would write it (no outputs with a loss in the spec, so no compile).
"""
import keras
from keras.layers import Concatenate, Dense, Input

inputA = Input(shape=(32,), name="inputA")
inputB = Input(shape=(128,), name="inputB")

x = Dense(8, activation="relu", name="x")(inputA)
x1 = Dense(4, activation="relu", name="x1")(x)

y = Dense(64, activation="relu", name="y")(inputB)
y1 = Dense(32, activation="relu", name="y1")(y)
y2 = Dense(4, activation="relu", name="y2")(y1)

combined = Concatenate(name="combined")([x1, y2])

z = Dense(2, activation="relu", name="z")(combined)
z1 = Dense(1, activation="linear", name="z1")(z)

model = keras.Model(inputs=[inputA, inputB], outputs=z1, name="multi_input")
