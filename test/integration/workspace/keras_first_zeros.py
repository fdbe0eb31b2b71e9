# A Keras MLP whose first hidden layer alone is initialised with zeros; the second keeps Keras's default.
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0

model = keras.Sequential()
model.add(layers.Dense(100, activation="relu", input_shape=(784,), kernel_initializer="zeros"))
model.add(layers.Dense(100, activation="relu"))
model.add(layers.Dense(10, activation="softmax"))
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=100, epochs=1)
print(model.evaluate(x_test, y_test))
