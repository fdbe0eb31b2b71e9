# The seed question's model, fixed: the same 784 -> 100 ReLU -> 10 network and training, but the
# weights start from small random values, U(-0.01, 0.01), instead of zeros. Different units now compute
# different things and the ReLUs are active on some images, so gradients flow: about 0.96.
# The loss is still the question's hand-written -sum(y_ * log(y)), which Gradient Lens flags: log of a
# softmax output that underflows to 0 is -inf, then NaN. tf.nn.softmax_cross_entropy_with_logits on the
# logits (tf.matmul(h, W2) + b2) is the stable form.
from tensorflow.examples.tutorials.mnist import input_data
import tensorflow as tf

mnist = input_data.read_data_sets("MNIST_data/", one_hot=True)

x = tf.placeholder(tf.float32, [None, 784])
W1 = tf.Variable(tf.random_uniform([784, 100], -0.01, 0.01))
b1 = tf.Variable(tf.zeros([100]))
h = tf.nn.relu(tf.matmul(x, W1) + b1)
W2 = tf.Variable(tf.random_uniform([100, 10], -0.01, 0.01))
b2 = tf.Variable(tf.zeros([10]))
y = tf.nn.softmax(tf.matmul(h, W2) + b2)

y_ = tf.placeholder(tf.float32, [None, 10])
cross_entropy = tf.reduce_mean(-tf.reduce_sum(y_ * tf.log(y), reduction_indices=[1]))
train_step = tf.train.GradientDescentOptimizer(0.5).minimize(cross_entropy)

sess = tf.InteractiveSession()
tf.global_variables_initializer().run()
for _ in range(1000):
  batch_xs, batch_ys = mnist.train.next_batch(100)
  sess.run(train_step, feed_dict={x: batch_xs, y_: batch_ys})

correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
print(sess.run(accuracy, feed_dict={x: mnist.test.images, y_: mnist.test.labels}))
