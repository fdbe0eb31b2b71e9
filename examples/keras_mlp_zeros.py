# The seed question's model in Keras: 784 -> 100 ReLU -> 10 softmax, every kernel and bias starting at
# zero, plain SGD with learning rate 0.5 on batches of 100. It fails the same way as the TF1 version.
import tensorflow as tf

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0

model = tf.keras.Sequential([
    tf.keras.layers.Dense(100, activation="relu", input_shape=(784,), kernel_initializer="zeros"),
    tf.keras.layers.Dense(10, activation="softmax", kernel_initializer="zeros"),
])
model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.5),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=100, epochs=2)
print(model.evaluate(x_test, y_test))
