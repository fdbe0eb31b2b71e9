// The seed question's model in TensorFlow.js: 784 -> 100 ReLU -> 10 softmax, every kernel starting at
// zero (biases are zero by default), plain SGD with learning rate 0.5 on batches of 100. It fails the
// same way as the TF1 version.
const tf = require('@tensorflow/tfjs');

const model = tf.sequential();
model.add(tf.layers.dense({ units: 100, activation: 'relu', inputShape: [784], kernelInitializer: 'zeros' }));
model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: 'zeros' }));
model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

// xs: [n, 784] pixels scaled to [0, 1]; ys: [n, 10] one-hot labels.
async function train(xs, ys) {
  await model.fit(xs, ys, { batchSize: 100, epochs: 2 });
}

module.exports = { model, train };
