// Issue 22: rows of the fixture-program table (importersPrograms.test.ts) for the real-code shapes the reader
// used to miss or mislead on — branch-aware step counts, step functions driven by a helper or a callback,
// builders and model classes nothing in the file calls, initializers held in a helper's local variable,
// the output width read from one-hot labels, recurrent cells refused by name, a model lost in a call not
// followed, a step count above the limit trained in part with a deviation, notes that do not contradict.
import assert from 'node:assert/strict';
import type { Initializer, OptimizerSpec } from '../../src/core/spec';
import type { Row } from './importersPrograms.test';

const N = (stddev: number, mean = 0): Initializer => ({ type: 'randomNormal', mean, stddev });
const TN = (stddev: number): Initializer => ({ type: 'truncatedNormal', mean: 0, stddev });
const U = (limit: number): Initializer => ({ type: 'randomUniform', minval: -limit, maxval: limit });
const C = (value: number): Initializer => ({ type: 'constant', value });
const sgd = (learningRate: number): OptimizerSpec => ({ type: 'sgd', learningRate });
const TF1_ADAM = (learningRate: number): OptimizerSpec => ({ type: 'adam', learningRate, epsilon: 1e-8 });
const RNN = (cell: string) => new RegExp(`^recurrent model \\(${cell.replace(/\./g, '\\.')}\\): Gradient Lens trains fully-connected networks$`);
const STEP_LIMIT = /^this program takes 60,000,000 training steps, more than the 1,000,000 a run may take: the first 1,000,000 are trained \(1\.7 % of them\)$/;

export const SHAPE_ROWS: Row[] = [
  {
    file: 'tf1_summaries_branches.py', language: 'python-tf1',
    layers: [[300, 'relu', TN(0.1), C(0.1)], [10, 'linear', TN(0.1), C(0.1)]],
    // 2000 iterations; every tenth evaluates; the others train once each, in one of two exclusive branches.
    optimizer: sgd(0.2), batch: 64, steps: 1800,
    weights: ["hidden = nn_layer(x, 784, 300, 'layer1')", "y = nn_layer(hidden, 300, 10, 'layer2', act=tf.identity)"],
    notes: [],
  },
  {
    file: 'tf1_animate_callback.py', language: 'python-tf1',
    layers: [[200, 'sigmoid', TN(0.1)], [10, 'linear', TN(0.1)]],
    // datavis.animate(training_step, iterations=5000 + 1): the step function runs 5001 times; the
    // [None, 28, 28, 1] placeholder is flattened (tf.layers.flatten) before the first layer: no shape note.
    optimizer: TF1_ADAM(0.003), batch: 100, steps: 5001,
    weights: ['W1 = tf.Variable', 'W2 = tf.Variable'], notes: [],
    // the tutorial's loss × 100: a factor the run does not apply, said as a deviation
    deviations: [['cross_entropy = tf.reduce_mean(tf.nn.sof', /^this loss is 100× the mean Gradient Lens trains/]],
  },
  {
    file: 'tf1_step_helper.py', language: 'python-tf1',
    layers: [[64, 'relu', N(0.05)], [10, 'linear', N(0.05)]], optimizer: sgd(0.1), batch: 32, steps: 1500,
    weights: ['W = tf.Variable', 'W_out = tf.Variable'], notes: [],
  },
  {
    file: 'tf1_callback_unknown.py', language: 'python-tf1',
    layers: [[10, 'linear', TN(0.01)]], optimizer: sgd(0.5), batch: 100, steps: 1000,
    weights: ['W = tf.Variable'],
    // Not a silent single step, and no "no training loop found" beside it.
    notes: [['trainer_utils.run_with_progress(step)', /^could not tell how many times trainer_utils\.run_with_progress\(\.\.\.\) calls step\(\) \(the training step\): using 1000 steps \(the default of the model spec\)$/]],
  },
  {
    file: 'tf1_uncalled_builder.py', language: 'python-tf1',
    // build_graph(hidden=256, learning_rate=0.05) read with its defaults; `init = tf.truncated_normal(shape,
    // stddev=2 / np.sqrt(n_in))` held in a local of the layer helper, then `tf.Variable(init)`.
    layers: [[256, 'relu', TN(2 / 28)], [10, 'linear', TN(2 / 16)]],
    optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.9 }, batch: 100, steps: 1000,
    weights: ['h = dense(x, 784, hidden', 'logits = dense(h, hidden, 10)'],
    notes: [
      ['def build_graph(', /^build_graph\(\) is never called in this file: read with the default values of its parameters \(hidden=256, learning_rate=0\.05\)$/],
      ['w = tf.Variable(init)', /^no `next_batch\(B\)` found: using batch size 100 \(the default\)$/],
      ['w = tf.Variable(init)', /^no training loop found: using 1000 steps \(the default\)$/],
    ],
    check: (r) => assert.equal(r.layers[0].kernelInitializer, undefined, 'a shared helper gets no edit'),
  },
  {
    file: 'keras_shape_classes.py', language: 'keras',
    // Dense(num_pixels // 2, input_dim=num_pixels) with num_pixels = x_train.shape[1] = 784; Dense(y_train.shape[1]) = 10.
    layers: [[392, 'relu', N(0.05)], [10, 'softmax', N(0.05)]], optimizer: { type: 'adam', learningRate: 0.001 }, batch: 200, steps: 4 * 300,
    weights: ['model.add(Dense(num_pixels // 2', 'model.add(Dense(y_train.shape[1]'], notes: [],
  },
  {
    file: 'keras_batch_one.py', language: 'keras',
    layers: [[32, 'relu', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: sgd(0.01), batch: 1, steps: 1_000_000,
    weights: ["tf.keras.layers.Dense(32", "tf.keras.layers.Dense(10"], notes: [],
    deviations: [['model.fit(x_train', STEP_LIMIT]],
  },
  {
    file: 'tf1_reshape_input.py', language: 'python-tf1',
    layers: [[10, 'softmax', 'zeros']], optimizer: sgd(0.005), batch: 100, steps: 2001,
    weights: ['W = tf.Variable'], notes: [], // no "this input has shape [None, 28, 28, 1]": it is reshaped to 784
    findings: [['unstable-loss', -1, 'cross_entropy = -tf.reduce_mean']],
    deviations: [['cross_entropy = -tf.reduce_mean', /^this loss is 1000× the mean Gradient Lens trains/]],
  },
  {
    file: 'pytorch_class_defaults.py', language: 'pytorch',
    // PyTorch's default init: U(±1/√fan-in) for the weights and the bias.
    layers: [[300, 'relu', U(1 / 28), U(1 / 28)], [10, 'softmax', U(1 / Math.sqrt(300)), U(1 / Math.sqrt(300))]], optimizer: sgd(0.5), batch: 100, steps: 1000,
    weights: ['self.fc1 = nn.Linear', 'self.fc2 = nn.Linear'],
    notes: [
      ['class MLP(nn.Module):', /^MLP is never instantiated in this file: read with the default values of its constructor's parameters \(n_in=784, n_hidden=300, n_out=10\)$/],
      ['self.fc2 = nn.Linear', /^the output layer has no softmax/],
      ['class MLP(nn.Module):', /^no optimizer found/],
      ['class MLP(nn.Module):', /^no `DataLoader\(\.\.\., batch_size=B\)` iterated around `optimizer\.step\(\)` found/],
      ['class MLP(nn.Module):', /^no training loop found/],
    ],
  },
  {
    file: 'pytorch_loader_batch_one.py', language: 'pytorch',
    // MLP(28 * 28, HIDDEN, 10): the sizes come from the call site.
    layers: [[64, 'relu', U(1 / 28), U(1 / 28)], [10, 'linear', U(1 / 8), U(1 / 8)]], optimizer: sgd(0.01), batch: 1, steps: 1_000_000,
    weights: ['nn.Linear(n_in, n_hidden)', 'nn.Linear(n_in, n_hidden)'],
    notes: [['loader = DataLoader(train_set)', /^this DataLoader has no batch_size: PyTorch's default batch size 1 is used$/]],
    // the PyTorch reader says it (its wording; STEP_LIMIT is the generic one)
    deviations: [['for epoch in range(1000):', /^this training runs 60,000,000 steps \(60,000 batches of 1 per epoch\), more than the 1,000,000 a run may have: Gradient Lens trains the first 1,000,000$/]],
  },
  { file: 'tf1_lstm.py', language: 'python-tf1', refused: 'lstm_cell = rnn.BasicLSTMCell', refusedMessage: RNN('rnn.BasicLSTMCell'), notes: [['lstm_cell = rnn.BasicLSTMCell', RNN('rnn.BasicLSTMCell')]] },
  { file: 'tf1_gru_dynamic.py', language: 'python-tf1', refused: 'cell = tf.nn.rnn_cell.GRUCell', refusedMessage: RNN('tf.nn.rnn_cell.GRUCell'), notes: [['cell = tf.nn.rnn_cell.GRUCell', RNN('tf.nn.rnn_cell.GRUCell')]] },
  {
    file: 'tf1_loaded_model.py', language: 'python-tf1', refused: "module = hub.Module(",
    refusedMessage: /^no model found: the model comes from hub\.Module\('https:\/\/example\.invalid\/mnist-mlp\/1'\) \(from tensorflow_hub, a module Gradient Lens does not read\); the data goes into it on line 10$/,
    notes: [['module = hub.Module(', /^no model found: the model comes from hub\.Module/]],
  },
  {
    file: 'keras_loaded_model.py', language: 'keras', refused: "model = load_model('mnist_mlp.h5')",
    refusedMessage: /^no model found: the model comes from load_model\('mnist_mlp\.h5'\) \(a keras call Gradient Lens does not follow\); the data goes into it on line 8$/,
    notes: [["model = load_model('mnist_mlp.h5')", /^no model found: the model comes from load_model/]],
  },
  {
    file: 'pytorch_imported_model.py', language: 'pytorch', refused: 'model = MnistNet(hidden=128)',
    refusedMessage: /^no model found: the model comes from MnistNet\(hidden=128\) \(from models, a module Gradient Lens does not read\); the data goes into it on line 14$/,
    notes: [['model = MnistNet(hidden=128)', /^no model found: the model comes from MnistNet/]],
  },
  {
    file: 'keras_epoch_callback.py', language: 'keras',
    layers: [[64, 'relu', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: sgd(0.05), batch: 100, steps: 2 * 600,
    weights: ['tf.keras.layers.Dense(64', 'tf.keras.layers.Dense(10'],
    notes: [], // log_epoch(epoch, logs, every=5) is read with its defaults, but it builds nothing: no note
  },
  {
    file: 'tf1_summaries_helpers.py', language: 'python-tf1',
    // weight_variable(shape): `n = shape[0]`, `init = tf.truncated_normal(shape, stddev=2 / np.sqrt(n))`, `tf.Variable(init)`.
    layers: [[400, 'relu', TN(2 / 28)], [100, 'tanh', TN(2 / 20)], [10, 'linear', TN(2 / 10)]], // tf.constant(0.0, shape=shape): zeros
    optimizer: TF1_ADAM(0.001), batch: 100, steps: 900,
    weights: ["hidden1 = nn_layer(x, 784, 400, 'layer1')", "hidden2 = nn_layer(hidden1, 400, 100, 'layer2'", "y = nn_layer(hidden2, 100, 10, 'layer3'"],
    notes: [], // the image summary's reshape to [-1, 28, 28, 1] is not the model input
  },
  {
    file: 'tfjs_loaded_model.js', language: 'tfjs', refused: "const model = await tf.loadLayersModel('model.json')",
    refusedMessage: /^no model found: the model comes from tf\.loadLayersModel\('model\.json'\) \(a tfjs call Gradient Lens does not follow\); it is trained on line 6$/,
    notes: [["const model = await tf.loadLayersModel('model.json')", /^no model found: the model comes from tf\.loadLayersModel/]],
  },
];
