// Issue 10: a table of model programs in the shapes real MNIST code has (TF1 weights in dicts, helpers
// with activation parameters, main() / tf.app.run / absl, flags and argparse, while-loop counts, Keras 1
// names, initializer aliases, functional and subclassed Keras, tfjs factories and the core API,
// convolutional models that must be refused...). Every fixture in test/fixtures/programs is a row: its
// expected spec, the line each layer's weights anchor at, every note (line + message), the static
// findings and, for some, a quick fix applied and read again. The fixtures are our own programs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importSource } from '../../src/core/importers/index';
import { fixToEdit } from '../../src/core/importers/fixes';
import type { ImportResult, ProgramSites, SourceLanguage, TextEdit } from '../../src/core/importers/types';
import type { DataSpec, Initializer, LayerSpec, ModelSpec, ObjectiveSpec, OptimizerSpec } from '../../src/core/spec';
import { applyFix } from '../../src/core/fixes';
import { SHAPE_ROWS } from './importersShapesRows';

const DIR = resolve(__dirname, '../../../test/fixtures/programs');

const N = (stddev: number, mean = 0): Initializer => ({ type: 'randomNormal', mean, stddev });
const TN = (stddev: number): Initializer => ({ type: 'truncatedNormal', mean: 0, stddev });
const U = (minval: number, maxval: number): Initializer => ({ type: 'randomUniform', minval, maxval });
const C = (value: number): Initializer => ({ type: 'constant', value });
type Layer = [units: number, activation: LayerSpec['activation'], kernel: Initializer, bias?: Initializer];

export interface Row {
  file: string;
  language: SourceLanguage;
  /** Expected layers (bias defaults to zeros), optimizer, batch size and steps; absent when the spec is invalid. */
  layers?: Layer[];
  optimizer?: OptimizerSpec;
  batch?: number;
  steps?: number;
  /** Per layer, a snippet of the line its weights anchor at. */
  weights?: string[];
  /** Every note: a snippet of its line and what it says. */
  notes: [line: string, message: RegExp][];
  /** Every static finding: code, layer, a snippet of its line. */
  findings?: [code: string, layer: number, line: string][];
  /** A refused file: the snippet of the line the refusal names. */
  refused?: string;
  /** What the refusal says (default: a convolutional model). */
  refusedMessage?: RegExp;
  /** The spec is invalid (and the notes say why). */
  invalid?: boolean;
  /** The program's parts as read (issue 20): `data` and `objective` (null: absent, the v1 meaning). */
  data?: DataSpec | null;
  objective?: ObjectiveSpec | null;
  /** Per layer, its extras (useBias, dropout, kernelRegularizer); absent: none anywhere. */
  extras?: Record<string, unknown>[];
  /** Every deviation (where the run differs from the program): a snippet of its line and what it says. */
  deviations?: [line: string, message: RegExp][];
  /** Where the program's parts are written: a snippet of each site's first line. */
  sites?: Partial<Record<keyof ProgramSites, string>>;
  /** Every program fix: its kind, label and, per edit, the text it replaces and the new text. */
  fixes?: [kind: string, label: RegExp, edits: [old: string, text: string][]][];
  /** A `framework-error` finding (issue 22): its line, and what it says. */
  error?: [line: string, message: RegExp];
  check?: (r: ImportResult, text: string) => void;
}

const adam = (learningRate: number, extra: Partial<OptimizerSpec> = {}): OptimizerSpec => ({ type: 'adam', learningRate, ...extra } as OptimizerSpec);
const TF1_ADAM = (lr: number, extra: Partial<OptimizerSpec> = {}) => adam(lr, { ...extra, epsilon: 1e-8 });
const KERAS_ADAM = (lr: number) => adam(lr, { epsilon: 1e-7 });
const sgd = (learningRate: number): OptimizerSpec => ({ type: 'sgd', learningRate });
const CONV = /^convolutional model: Gradient Lens trains fully-connected networks$/;
const CE_LOGITS: ObjectiveSpec = { loss: 'crossEntropy', from: 'logits', reduction: 'mean' };
const KERAS_FUSED: ObjectiveSpec = { loss: 'crossEntropy', from: 'probabilities', fused: true, reduction: 'mean' };
const CLIP7: [number, number] = [1e-7, 1 - 1e-7];
const PROBS_CLIPPED: ObjectiveSpec = { loss: 'crossEntropy', from: 'probabilities', normalize: true, clip: CLIP7, reduction: 'mean' };
/** Keras's sparse_categorical_crossentropy from probabilities: clip, then normalise (keras/src/backend/tensorflow/nn.py). */
const PROBS_SPARSE = { ...PROBS_CLIPPED, clipFirst: true };
const TUTORIAL_DATA: DataSpec = { divideBy: 255, shuffle: true };
const NEW_LINE_SCALE = '\nx_train, x_test = x_train / 255.0, x_test / 255.0';
const UNKNOWN_EXAMPLES = /^the number of training examples given to fit\(\) is not known here: the step count assumes the 60,000 MNIST training images$/;
const flag = (name: string, value: string) => new RegExp(`^--${name} is a command-line flag: Gradient Lens uses its default, ${value}$`);

const ROWS: Row[] = [
  // ---- TF1 ------------------------------------------------------------------------------------
  {
    file: 'tf1_dict_weights.py', language: 'python-tf1',
    layers: [[256, 'relu', N(1), N(1)], [256, 'relu', N(1), N(1)], [10, 'linear', N(1), N(1)]],
    optimizer: TF1_ADAM(0.001), batch: 100, steps: 15 * 550,
    weights: ["'h1': tf.Variable", "'h2': tf.Variable", "'out': tf.Variable(tf.random_normal([n_hidden_2"],
    notes: [],
    findings: [['poor-init-scale', 0, "'h1': tf.Variable"], ['poor-init-scale', 1, "'h2': tf.Variable"], ['poor-init-scale', 2, "'out': tf.Variable(tf.random_normal([n_hidden_2"]],
  },
  {
    file: 'tf1_dict_zeros.py', language: 'python-tf1',
    layers: [[100, 'relu', 'zeros'], [10, 'linear', 'zeros']], optimizer: sgd(0.5), batch: 100, steps: 1000,
    weights: ["'hidden': tf.Variable(tf.zeros([784, 100]))", "'out': tf.Variable(tf.zeros([100, 10]))"],
    notes: [],
    findings: [['symmetric-units', 0, "'hidden': tf.Variable(tf.zeros"], ['dead-units', 0, "'hidden': tf.Variable(tf.zeros"]],
    check: (r, text) => {
      // The quick fix rewrites the dict entry's initial value, in TF1's idiom, and the warning goes away.
      const dead = r.staticFindings.find((f) => f.code === 'dead-units')!;
      const edit = fixToEdit(r, text, dead.fixes[0]);
      assert.ok(edit);
      assert.equal(text.slice(offset(text, edit.range.line, edit.range.column), offset(text, edit.range.endLine, edit.range.endColumn)), 'tf.zeros([784, 100])');
      const fixed = importSource('tf1_dict_zeros.py', applyEdit(text, edit))!;
      assert.deepEqual(fixed.staticFindings.filter((f) => f.layer === 0 && f.severity !== 'info'), []);
    },
  },
  {
    file: 'tf1_layer_dicts.py', language: 'python-tf1',
    layers: [[500, 'relu', N(1), N(1)], [500, 'relu', N(1), N(1)], [500, 'relu', N(1), N(1)], [10, 'linear', N(1), N(1)]],
    optimizer: TF1_ADAM(0.001), batch: 100, steps: 10 * 550,
    weights: ['hidden_1_layer = {', 'hidden_2_layer = {', 'hidden_3_layer = {', 'output_layer = {'],
    notes: [],
    findings: [['poor-init-scale', 0, 'hidden_1_layer = {'], ['poor-init-scale', 1, 'hidden_2_layer = {'], ['poor-init-scale', 2, 'hidden_3_layer = {'], ['poor-init-scale', 3, 'output_layer = {']],
  },
  {
    file: 'tf1_var_lists.py', language: 'python-tf1',
    layers: [[300, 'relu', TN(0.1), C(0.1)], [100, 'relu', TN(0.1), C(0.1)], [10, 'linear', TN(0.1), C(0.1)]],
    optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.9 }, batch: 64, steps: 3000,
    // Made in one loop, by one line: all three anchor there (and no edit, it would change them all).
    weights: ['W.append(', 'W.append(', 'W.append('],
    notes: [],
    check: (r) => assert.deepEqual(r.layers.map((l) => l.kernelInitializer), [undefined, undefined, undefined]),
  },
  {
    file: 'tf1_nn_layer_helper.py', language: 'python-tf1',
    layers: [[500, 'relu', TN(0.1), C(0.1)], [10, 'linear', TN(0.1), C(0.1)]],
    // 1000 iterations, every tenth of which evaluates instead of training.
    optimizer: TF1_ADAM(0.001), batch: 100, steps: 900,
    // weight_variable() serves both layers: each anchors at its own nn_layer(...) call.
    weights: ["hidden1 = nn_layer(x, 784, 500, 'layer1')", "y = nn_layer(dropped, 500, 10, 'layer2', act=tf.identity)"],
    // keep_prob is fed FLAGS.dropout (0.9) in the training step: dropout 0.1 on the hidden layer.
    extras: [{ dropout: 0.1 }, {}],
    notes: [
      ["'--max_steps'", flag('max_steps', '1000')], ["'--learning_rate'", flag('learning_rate', '0.001')],
      ["'--dropout'", flag('dropout', '0.9')], ["'--data_dir'", flag('data_dir', "'/tmp/mnist/input_data'")],
    ],
    check: (r, text) => {
      assert.equal(r.layers[0].weightsCreated?.line, line(text, 'return tf.Variable(initial)'));
      assert.equal(r.layers[0].kernelInitializer, undefined, 'a shared helper gets no edit');
    },
  },
  {
    file: 'tf1_helpers_in_loop.py', language: 'python-tf1',
    layers: [[512, 'tanh', N(0.05)], [256, 'tanh', N(0.05)], [128, 'tanh', N(0.05)], [10, 'linear', N(0.05)]],
    optimizer: { type: 'rmsprop', learningRate: 0.01, epsilon: 1e-10 }, batch: 128, steps: 5 * 429,
    weights: ['w = tf.Variable', 'w = tf.Variable', 'w = tf.Variable', 'logits = fc(h, n_in, 10)'],
    notes: [],
  },
  {
    file: 'tf1_main_guard.py', language: 'python-tf1',
    layers: [[64, 'sigmoid', U(-0.1, 0.1)], [10, 'linear', U(-0.1, 0.1)]], optimizer: sgd(0.3), batch: 50, steps: 2000,
    weights: ['W1 = tf.Variable', 'W2 = tf.Variable'], notes: [],
    check: (r, text) => assert.deepEqual(r.layers[0].via?.map((v) => v.line), [line(text, '    main()')]),
  },
  {
    file: 'tf1_app_run.py', language: 'python-tf1',
    layers: [[128, 'relu', TN(0.05)], [10, 'linear', TN(0.05)]], optimizer: sgd(0.01), batch: 100, steps: 2000,
    weights: ["weights = tf.Variable(tf.truncated_normal([784, FLAGS.hidden1]", "weights = tf.Variable(tf.truncated_normal([FLAGS.hidden1, 10]"],
    notes: [
      ["DEFINE_integer('hidden1'", flag('hidden1', '128')], ["DEFINE_float('learning_rate'", flag('learning_rate', '0.01')],
      ["DEFINE_integer('max_steps'", flag('max_steps', '2000')], ["DEFINE_integer('batch_size'", flag('batch_size', '100')],
    ],
  },
  {
    file: 'tf1_absl.py', language: 'python-tf1',
    layers: [[300, 'elu', 'glorotNormal'], [10, 'linear', 'glorotUniform']], optimizer: TF1_ADAM(0.001), batch: 50, steps: 3 * 1200,
    weights: ['kernel_initializer=tf.glorot_normal_initializer()', 'logits = tf.layers.dense(h, 10)'],
    notes: [
      ["DEFINE_integer('units'", flag('units', '300')], ["DEFINE_float('lr'", flag('lr', '0.001')],
      ["DEFINE_integer('epochs'", flag('epochs', '3')], ["DEFINE_integer('batch_size'", flag('batch_size', '50')],
    ],
  },
  {
    file: 'tf1_module_inference.py', language: 'python-tf1', invalid: true,
    // inference() is called from another file: what is missing is said precisely, on its lines.
    notes: [
      ['tf.truncated_normal([IMAGE_PIXELS, hidden1_units]', /^this size comes from `hidden1_units` \(a parameter of inference\(\) with no default value; inference\(\) is never called in this file\), so it is not known$/],
      ["biases = tf.Variable(tf.zeros([hidden1_units]), name='biases')", /`hidden1_units`.*not known/],
      ['tf.truncated_normal([hidden1_units, hidden2_units]', /`hidden1_units`.*not known/],
      ['tf.truncated_normal([hidden1_units, hidden2_units]', /`hidden2_units`.*not known/],
      ['tf.truncated_normal([hidden1_units, hidden2_units]', /could not read the initial value of this variable/],
      ["biases = tf.Variable(tf.zeros([hidden2_units]), name='biases')", /`hidden2_units`.*not known/],
      ['tf.truncated_normal([hidden2_units, NUM_CLASSES]', /`hidden2_units`.*not known/],
      ['tf.truncated_normal([hidden2_units, NUM_CLASSES]', /could not read the initial value of this variable/],
      ['def inference(images, hidden1_units, hidden2_units):', /^`images` \(a parameter of inference\(\).*\) is taken to be the model input$/],
      ['optimizer = tf.train.GradientDescentOptimizer(learning_rate)', /^the learning rate comes from `learning_rate` \(a parameter of training\(\)/],
      ["name_scope('hidden2')|>weights = tf.Variable(", /initial weights could not be read/],
      ["name_scope('softmax_linear')|>weights = tf.Variable(", /initial weights could not be read/],
      ['logits = tf.matmul(hidden2, weights) + biases', /the output layer has no softmax/],
      ["name_scope('hidden1')|>weights = tf.Variable(", /no `next_batch\(B\)` found/],
      ["name_scope('hidden1')|>weights = tf.Variable(", /no training loop found/],
      ['hidden1 = tf.nn.relu(tf.matmul(images, weights) + biases)', /not valid: layers\[0\]\.units/],
      ['hidden2 = tf.nn.relu(tf.matmul(hidden1, weights) + biases)', /not valid: layers\[1\]\.units/],
    ],
  },
  {
    file: 'tf1_while_steps.py', language: 'python-tf1',
    layers: [[200, 'relu', N(0.01), N(0.01)], [10, 'linear', N(0.01), N(0.01)]],
    // step = 1, 2, ... while step * 128 < 200000: 1562 steps.
    optimizer: TF1_ADAM(0.001), batch: 128, steps: 1562,
    weights: ['wh = tf.Variable', 'wo = tf.Variable'], notes: [],
  },
  {
    file: 'tf1_dropout_input.py', language: 'python-tf1',
    layers: [[1024, 'relu', TN(0.1), C(0.1)], [10, 'linear', TN(0.1), C(0.1)]], optimizer: TF1_ADAM(1e-4), batch: 50, steps: 20000,
    weights: ['W1 = tf.Variable', 'W2 = tf.Variable'],
    notes: [], extras: [{ dropout: 0.5 }, {}],
    deviations: [['x_drop = tf.nn.dropout', /^dropout on the input pixels \(rate 0\.2\) is not something Gradient Lens runs: the run trains without it$/]],
  },
  {
    file: 'tf1_literals.py', language: 'python-tf1',
    layers: [[50, 'relu', N(0.05)], [10, 'linear', N(0.01)]], optimizer: sgd(0.5), batch: 100, steps: 1000,
    weights: ['W1 = tf.Variable', 'W2 = tf.Variable'],
    deviations: [['loss = tf.reduce_mean', /^this loss is 2× the mean Gradient Lens trains: the run trains it without that factor/]],
    notes: [], // `0.`, `.5`, `1e-2`, `2.` are numbers, not syntax errors
  },
  {
    file: 'tf1_layers_dense.py', language: 'python-tf1',
    layers: [[256, 'relu', 'glorotUniform'], [256, 'relu', 'glorotUniform'], [10, 'linear', 'glorotUniform']],
    optimizer: sgd(0.1), batch: 128, steps: 1000,
    weights: ['kernel_initializer=tf.contrib', 'layer_2 = tf.layers.dense|>kernel_initializer=', 'logits = tf.layers.dense(layer_2, 10)'],
    notes: [],
  },
  {
    file: 'tf1_contrib_fc.py', language: 'python-tf1',
    layers: [[400, 'relu', 'glorotUniform'], [200, 'sigmoid', 'glorotUniform'], [10, 'linear', 'glorotUniform']],
    optimizer: { type: 'rmsprop', learningRate: 0.001, decay: 0.9, epsilon: 1e-10 }, batch: 200, steps: 500,
    weights: ['net = layers.fully_connected(inputs, 400)', 'net = layers.fully_connected(net, 200', 'logits = layers.fully_connected'],
    notes: [],
  },
  {
    file: 'tf1_variable_scope.py', language: 'python-tf1',
    layers: [[400, 'leakyRelu', TN(0.02)], [10, 'linear', TN(0.02)]],
    optimizer: TF1_ADAM(2e-4, { beta1: 0.5 }), batch: 64, steps: 2 * 859,
    weights: ["h = tf.nn.leaky_relu(layer(x, 784, 400, 'fc1'))", "logits = layer(h, 400, 10, 'fc2')"],
    notes: [],
  },
  {
    file: 'tf1_compat_seed.py', language: 'python-tf1',
    layers: [[10, 'softmax', N(1)]], optimizer: sgd(0.01), batch: 100, steps: 1000,
    weights: ['W = tf.Variable'], notes: [],
    // -tf.reduce_sum(y_ * tf.log(y)) over the whole batch: a sum; the cure averages the per-example sums.
    objective: { loss: 'crossEntropy', from: 'probabilities', reduction: 'sum' },
    fixes: [['objective', /reduce_mean/, [['tf.reduce_sum(y_ * tf.log(y))', 'tf.reduce_mean(tf.reduce_sum(y_ * tf.log(y), axis=1))']]]],
    findings: [['poor-init-scale', 0, 'W = tf.Variable(tf.r'], ['unstable-loss', -1, 'cross_entropy = -tf.'], ['loss-reduction', -1, 'cross_entropy = -tf.']],
    check: (r, text) => {
      // Summed over the batch (no axis): the fix keeps the sum.
      const u = r.staticFindings.find((f) => f.code === 'unstable-loss')!;
      const edit = fixToEdit(r, text, u.fixes[0])!;
      assert.equal(edit.newText, 'tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=tf.matmul(x, W) + b))');
      const fixed = importSource('tf1_compat_seed.py', applyEdit(text, edit))!;
      assert.ok(fixed.spec.ok && r.spec.ok);
      // The stable loss from the logits, still summed (the same run as the stableLoss fix; checkCure compares the rest).
      assert.deepEqual([fixed.spec.spec.layers[0].activation, fixed.spec.spec.objective], ['linear', { loss: 'crossEntropy', from: 'logits', reduction: 'sum' }]);
      // the sum stays, as information (lr 0.01 × 100: a tame effective rate, no cure to offer)
      assert.deepEqual(fixed.staticFindings.map((f) => [f.code, f.severity]), [['poor-init-scale', 'warning'], ['loss-reduction', 'info']]);
    },
  },
  {
    file: 'tf1_softmax_in_helper.py', language: 'python-tf1',
    layers: [[100, 'relu', TN(0.1)], [10, 'softmax', TN(0.1)]], optimizer: sgd(0.1), batch: 100, steps: 600,
    weights: ['W1 = tf.Variable', 'W2 = tf.Variable'], notes: [],
    findings: [['unstable-loss', -1, 'cross_entropy = tf.reduce_mean']],
    check: (r) => assert.deepEqual(r.staticFindings[0].fixes, [], 'the logits are not in scope at the loss: no edit'),
  },
  {
    file: 'tf1_fashion.py', language: 'python-tf1',
    layers: [[256, 'relu', TN(0.05)], [10, 'linear', TN(0.05)]], optimizer: TF1_ADAM(0.001), batch: 128, steps: 3000,
    weights: ['W1 = tf.Variable', 'W2 = tf.Variable'],
    notes: [["data = input_data.read_data_sets('data/fashion'", /^this code loads Fashion-MNIST: Gradient Lens trains on MNIST unless gradientLens\.dataFolder \(editor\) or --data \(command line\) points at Fashion-MNIST IDX files$/]],
  },
  { file: 'tf1_cnn.py', language: 'python-tf1', refused: 'return tf.nn.conv2d(x, W', notes: [['return tf.nn.conv2d(x, W', CONV]] },
  { file: 'tf1_layers_cnn.py', language: 'python-tf1', refused: 'conv1 = tf.layers.conv2d', notes: [['conv1 = tf.layers.conv2d', CONV]] },
  {
    file: 'tf1_estimator.py', language: 'python-tf1',
    layers: [[128, 'relu', 'glorotUniform'], [64, 'relu', 'glorotUniform'], [10, 'linear', 'glorotUniform']],
    optimizer: sgd(0.05), batch: 64, steps: 2000,
    weights: ['layer_1 = tf.layers.dense', 'layer_2 = tf.layers.dense', 'return tf.layers.dense(layer_2, 10)'],
    notes: [['def model_fn(features, labels, mode):', /^`features` \(a parameter of model_fn\(\) with no default value; model_fn\(\) is never called in this file\) is taken to be the model input$/]],
  },
  {
    file: 'tf2_raw_eager.py', language: 'python-tf1',
    layers: [[128, 'sigmoid', N(0.05)], [256, 'sigmoid', N(0.05)], [10, 'linear', N(0.05)]], optimizer: sgd(0.1), batch: 256, steps: 2000,
    weights: ["'h1': tf.Variable", "'h2': tf.Variable", "'out': tf.Variable"], notes: [],
  },
  {
    file: 'tf1_xw_plus_b.py', language: 'python-tf1',
    layers: [[128, 'tanh', U(-0.05, 0.05)], [10, 'linear', U(-0.05, 0.05)]],
    optimizer: { type: 'momentum', learningRate: 0.01, momentum: 0.95, useNesterov: true }, batch: 100, steps: 20 * 550,
    weights: ['w1 = tf.Variable', 'w2 = tf.Variable'], notes: [],
  },

  {
    file: 'tf1_tutorial_module.py', language: 'python-tf1',
    // mnist.inference(images, hidden1, hidden2): the tutorial's layers, weights TN(1/√fan-in).
    layers: [[256, 'relu', TN(1 / 28)], [64, 'relu', TN(1 / 16)], [10, 'linear', TN(1 / 8)]],
    optimizer: sgd(0.05), batch: 50, steps: 3000, // the validation loop's batches are not training steps
    weights: ['logits = mnist.inference', 'logits = mnist.inference', 'logits = mnist.inference'],
    notes: [
      ["DEFINE_float('learning_rate'", flag('learning_rate', '0.05')], ["DEFINE_integer('max_steps'", flag('max_steps', '3000')],
      ["DEFINE_integer('hidden1'", flag('hidden1', '256')], ["DEFINE_integer('hidden2'", flag('hidden2', '64')],
      ["DEFINE_integer('batch_size'", flag('batch_size', '50')],
    ],
  },
  {
    file: 'tf1_two_phases.py', language: 'python-tf1',
    layers: [[128, 'elu', N(0.05)], [10, 'linear', N(0.05)]], optimizer: TF1_ADAM(0.001), batch: 100, steps: (3 + 5) * 550,
    weights: ['W1 = tf.Variable', 'W2 = tf.Variable'], notes: [],
  },

  // ---- Keras ----------------------------------------------------------------------------------
  {
    file: 'keras_mnist_mlp.py', language: 'keras',
    layers: [[512, 'relu', 'glorotUniform'], [512, 'relu', 'glorotUniform'], [10, 'softmax', 'glorotUniform']],
    optimizer: { type: 'rmsprop', learningRate: 0.001, epsilon: 1e-7 }, batch: 128, steps: 20 * 469,
    weights: ["model.add(Dense(512, activation='relu', input_shape", "model.add(Dense(512, activation='relu'))", 'model.add(Dense(num_classes'],
    notes: [], extras: [{ dropout: 0.2 }, { dropout: 0.2 }, {}],
  },
  {
    file: 'keras1_names.py', language: 'keras',
    layers: [[200, 'tanh', U(-0.05, 0.05)], [10, 'softmax', U(-0.05, 0.05)]],
    optimizer: { type: 'momentum', learningRate: 0.1, momentum: 0.9, useNesterov: true }, batch: 100, steps: 5 * 600,
    weights: ['model.add(Dense(output_dim=200', 'model.add(Dense(output_dim=10'],
    notes: [], deviations: [['sgd = SGD(lr=0.1, decay=1e-6', /^this optimizer's learning-rate decay \(decay=0\.000001, lr \/ \(1 \+ decay · step\)\) is not one Gradient Lens runs: the run keeps the learning rate at 0\.1$/]],
  },
  {
    file: 'keras_init_alias.py', language: 'keras',
    layers: [[256, 'relu', 'glorotNormal'], [128, 'relu', 'glorotNormal'], [10, 'softmax', N(0.01), 'ones']],
    optimizer: KERAS_ADAM(3e-4), batch: 64, steps: 2 * 938,
    weights: ['Dense(256', 'Dense(128', 'Dense(10'], notes: [],
    check: (r, text) => {
      // `kernel_initializer=init` (an aliased function) is rewritten where it is written, for that layer only.
      const edit = fixToEdit(r, text, { kind: 'initializer', layer: 0, target: 'kernel', value: 'heNormal', label: 'He' })!;
      assert.deepEqual([edit.range.line, edit.newText], [line(text, 'Dense(256'), "'he_normal'"]);
    },
  },
  {
    file: 'keras_functional.py', language: 'keras',
    layers: [[64, 'relu', 'glorotUniform'], [64, 'relu', 'glorotUniform'], [10, 'linear', 'glorotUniform']],
    optimizer: { type: 'rmsprop', learningRate: 1e-3, epsilon: 1e-7 }, batch: 64, steps: 2 * 750,
    weights: ["name='dense_1'", "name='dense_2'", "name='predictions'"], notes: [],
  },
  {
    file: 'keras_build_model.py', language: 'keras',
    layers: [[100, 'sigmoid', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: sgd(0.05), batch: 32, steps: 10 * 1875,
    weights: ["model.add(Dense(hidden, activation='sigmoid'", "model.add(Dense(10, activation='softmax'))"], notes: [],
  },
  {
    file: 'keras_subclass.py', language: 'keras',
    layers: [[200, 'relu', 'heNormal'], [10, 'softmax', 'glorotUniform']],
    optimizer: { type: 'momentum', learningRate: 0.1, momentum: 0.9 }, batch: 100, steps: 3 * 600,
    weights: ['self.d1 = ', 'self.out = '], notes: [],
    check: (r, text) => assert.deepEqual(r.layers.map((l) => l.definition.line), [line(text, 'x = self.d1(x)'), line(text, 'return self.out(x)')]),
  },
  {
    file: 'keras_loop_layers.py', language: 'keras',
    layers: [[256, 'selu', 'leCunNormal'], [128, 'selu', 'leCunNormal'], [64, 'selu', 'leCunNormal'], [10, 'softmax', 'glorotUniform']],
    optimizer: adam(0.001), batch: 250, steps: 4 * 240,
    weights: ["Dense(units, activation='selu'", "Dense(units, activation='selu'", "Dense(units, activation='selu'", "Dense(10, activation='softmax')"],
    notes: [['model.fit(x_train', UNKNOWN_EXAMPLES]], // x_train is not defined in this file
  },
  {
    file: 'keras_beginner.py', language: 'keras',
    layers: [[128, 'relu', 'glorotUniform'], [10, 'linear', 'glorotUniform']], optimizer: adam(0.001), batch: 32, steps: 5 * 1875,
    weights: ["Dense(128, activation='relu')", 'Dense(10)'],
    notes: [], extras: [{ dropout: 0.2 }, {}], // and no "no softmax" note: from_logits=True (a linear output, cross-entropy from logits)
    objective: { loss: 'crossEntropy', from: 'logits', reduction: 'mean' }, data: { divideBy: 255, shuffle: true },
  },
  {
    file: 'keras_fashion.py', language: 'keras',
    layers: [[128, 'relu', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: TF1_ADAM(0.001), batch: 32, steps: 5 * 1875,
    weights: ['keras.layers.Dense(128', 'keras.layers.Dense(10'],
    notes: [['= fashion_mnist.load_data()', /^this code loads Fashion-MNIST/]],
  },
  {
    file: 'keras_two_models.py', language: 'keras',
    layers: [[512, 'tanh', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: sgd(0.05), batch: 200, steps: 30 * 300,
    weights: ['model.add(Dense(512', 'model.add(Dense(10'],
    notes: [['cnn.add(Conv2D', /^convolutional model here is not the model read from this file \(Gradient Lens trains fully-connected networks\)$/]],
  },
  {
    file: 'keras_custom_loss.py', language: 'keras',
    layers: [[300, 'relu', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: KERAS_ADAM(0.001), batch: 120, steps: 3 * 500,
    weights: ['model.add(Dense(300', 'model.add(Dense(10'], notes: [],
    findings: [['unstable-loss', -1, 'return -K.sum']],
    check: (r, text) => {
      // The hand-written loss (read with the model's softmax output as y_pred) is replaced by Keras's own.
      const u = r.staticFindings.find((f) => f.code === 'unstable-loss')!;
      assert.equal(u.evidence.construct, 'K.log(y_pred)');
      const edit = fixToEdit(r, text, u.fixes[0])!;
      assert.deepEqual([edit.range.line, edit.newText], [line(text, 'model.compile(loss=my_crossentropy'), "'categorical_crossentropy'"]);
      const fixed = importSource('keras_custom_loss.py', applyEdit(text, edit))!;
      // The same model, now trained with Keras's own loss (its softmax layer's logits: the fused cross-entropy).
      assert.deepEqual(fixed.spec.ok && { ...fixed.spec.spec, name: '' }, r.spec.ok && { ...applyFix(r.spec.spec, u.fixes[0]), name: '' });
      assert.deepEqual(fixed.staticFindings, []);
    },
  },
  { file: 'keras_cnn.py', language: 'keras', refused: "model.add(Conv2D(32", notes: [["model.add(Conv2D(32", CONV]] },
  {
    file: 'keras_batchnorm.py', language: 'keras',
    layers: [[300, 'relu', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: sgd(0.01), batch: 50, steps: 1200,
    weights: ['Dense(300', 'Dense(10'], extras: [{ useBias: false }, {}],
    notes: [['BatchNormalization(),', /^BatchNormalization is not part of the model spec: trained without it$/],  ['model.fit(', UNKNOWN_EXAMPLES]],
  },
  {
    file: 'keras_argparse.py', language: 'keras',
    layers: [[512, 'relu', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: KERAS_ADAM(0.002), batch: 200, steps: 8 * 300,
    weights: ['Dense(args.hidden', 'Dense(10'],
    notes: [["'--epochs'", flag('epochs', '8')], ["'--batch-size'", flag('batch-size', '200')], ["'--hidden'", flag('hidden', '512')], ["'--lr'", flag('lr', '0.002')]],
  },
  {
    file: 'keras_leaky.py', language: 'keras',
    layers: [[400, 'leakyRelu', 'heUniform'], [100, 'tanh', 'glorotUniform'], [10, 'softmax', 'glorotUniform']],
    optimizer: KERAS_ADAM(0.0005), batch: 500, steps: 3 * 108,
    weights: ['Dense(400', 'Dense(100', 'Dense(10)'],
    notes: [['LeakyReLU(alpha=0.1)', /^this leaky ReLU has slope 0.1 below zero; Gradient Lens trains leakyRelu with slope 0.2$/], ['model.fit(', UNKNOWN_EXAMPLES]],
  },

  // ---- TensorFlow.js --------------------------------------------------------------------------
  {
    file: 'tfjs_create_model.js', language: 'tfjs',
    layers: [[128, 'relu', 'heNormal'], [10, 'softmax', 'glorotUniform']],
    // fit() on the 55,000 examples nextTrainBatch(55000) fetched: ⌈55000 / 512⌉ = 108 steps per epoch.
    optimizer: KERAS_ADAM(0.002), batch: 512, steps: 10 * 108,
    weights: ['units: 128', 'units: 10'], notes: [], extras: [{ dropout: 0.25 }, {}],
  },
  {
    file: 'tfjs_browser_global.js', language: 'tfjs',
    layers: [[300, 'sigmoid', N(0.05)], [100, 'sigmoid', 'glorotUniform'], [10, 'softmax', 'glorotUniform']],
    optimizer: sgd(0.1), batch: 64, steps: 3 * Math.ceil(51000 / 64),
    weights: ['units: 300', 'units: 100', 'units: 10,'], notes: [['model.fit(', UNKNOWN_EXAMPLES]],
  },
  { file: 'tfjs_cnn.js', language: 'tfjs', refused: 'tf.layers.conv2d', notes: [['tf.layers.conv2d', CONV]] },
  {
    file: 'tfjs_functional.ts', language: 'tfjs',
    layers: [[64, 'elu', 'glorotNormal'], [10, 'softmax', 'glorotUniform']],
    optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.9 }, batch: 100, steps: 4 * 600,
    weights: ["kernelInitializer: 'glorotNormal'", 'units: 10'], notes: [['model.fit(', UNKNOWN_EXAMPLES]],
  },
  {
    file: 'tfjs_core_api.js', language: 'tfjs',
    layers: [[32, 'relu', N(0.1)], [10, 'linear', N(0.1)]], optimizer: sgd(0.15), batch: 64, steps: 500,
    weights: ['const w1 = tf.variable', 'const w2 = tf.variable'], notes: [],
  },
  {
    file: 'tfjs_layers_loop.ts', language: 'tfjs',
    layers: [[200, 'tanh', 'glorotUniform'], [100, 'tanh', 'glorotUniform'], [10, 'softmax', 'glorotUniform']],
    optimizer: { type: 'rmsprop', learningRate: 0.001 }, batch: 120, steps: 3 * 500,
    weights: ['units: HIDDEN[i]', 'units: HIDDEN[i]', 'units: 10'], notes: [['model.fit(', UNKNOWN_EXAMPLES]],
  },
  // ---- issue 20: the program's parts as written (data, layer extras, objective, update) ------------------
  {
    file: 'tf1_unscaled_feed.py', language: 'python-tf1',
    findings: [['unscaled-input', -1, 'sess.run(train_step,']],
    layers: [[128, 'relu', TN(0.1)], [10, 'linear', TN(0.1)]], optimizer: sgd(0.1), batch: 100, steps: 600,
    weights: ['W1 = tf.Variable', 'W2 = tf.Variable'], notes: [],
    // Bytes fed in order (slices, no permutation): divideBy 1, not shuffled.
    data: { divideBy: 1, shuffle: false }, objective: CE_LOGITS,
    sites: { input: 'x: x_train[lo:lo + 100]', loss: 'loss = tf.reduce_mean', optimizer: 'train_step = ' },
    fixes: [['data', /\/ 255/, [['', NEW_LINE_SCALE]]]],
  },
  {
    file: 'tf1_reduce_sum_logits.py', language: 'python-tf1',
    findings: [['loss-reduction', -1, 'cost = tf.reduce_sum']],
    layers: [[64, 'tanh', N(0.05)], [10, 'linear', N(0.05)]], optimizer: sgd(0.5), batch: 100, steps: 2000,
    weights: ['W1 = tf.Variable', 'W2 = tf.Variable'], notes: [],
    data: TUTORIAL_DATA, objective: { ...CE_LOGITS, reduction: 'sum' },
    sites: { input: 'read_data_sets', loss: 'cost = tf.reduce_sum', reduction: 'cost = tf.reduce_sum' },
    fixes: [['objective', /reduce_mean/, [['tf.reduce_sum', 'tf.reduce_mean']]]],
  },
  {
    file: 'tf1_double_softmax.py', language: 'python-tf1',
    findings: [['output-loss-mismatch', -1, 'loss = tf.reduce_mea']],
    layers: [[200, 'relu', TN(0.05)], [10, 'softmax', TN(0.05)]], optimizer: TF1_ADAM(0.001), batch: 64, steps: 1500,
    weights: ['W1 = tf.Variable', 'W2 = tf.Variable'], notes: [],
    // The softmax output given as logits: a softmax of a softmax, trained as written.
    data: TUTORIAL_DATA, objective: CE_LOGITS,
    sites: { outputActivation: 'prediction = tf.nn.softmax', loss: 'loss = tf.reduce_mean' },
    fixes: [['objective', /Pass the logits \(before the softmax\)/, [['prediction', 'tf.matmul(h1, W2) + b2']]]],
  },
  {
    file: 'tf1_clip_log.py', language: 'python-tf1',
    layers: [[100, 'sigmoid', U(-0.1, 0.1)], [10, 'softmax', U(-0.1, 0.1)]], optimizer: sgd(0.3), batch: 100, steps: 1000,
    weights: ['W1 = tf.Variable', 'W2 = tf.Variable'], notes: [],
    // Clipped: log never sees 0, no unstable-loss.
    data: TUTORIAL_DATA, objective: { loss: 'crossEntropy', from: 'probabilities', clip: [1e-10, 1], reduction: 'mean' },
    sites: { loss: 'cross_entropy = ', outputActivation: 'y = tf.nn.softmax' },
  },
  {
    file: 'tf1_log_offset.py', language: 'python-tf1',
    layers: [[10, 'softmax', 'zeros']], optimizer: sgd(0.5), batch: 100, steps: 1000,
    weights: ['W = tf.Variable'], notes: [],
    // reduce_mean over every example and class: meanAll (a tenth of the per-example mean).
    data: TUTORIAL_DATA, objective: { loss: 'crossEntropy', from: 'probabilities', logOffset: 1e-10, reduction: 'meanAll' },
    sites: { loss: 'loss = -tf.reduce_mean' },
  },
  {
    file: 'tf1_mse_sigmoid.py', language: 'python-tf1',
    layers: [[30, 'sigmoid', N(1), N(1)], [10, 'sigmoid', N(1), N(1)]], optimizer: sgd(3), batch: 10, steps: 18000,
    weights: ['W1 = tf.Variable', 'W2 = tf.Variable'], notes: [],
    findings: [['poor-init-scale', 0, 'W1 = tf.Variable(tf.'], ['output-loss-mismatch', -1, 'cost = tf.reduce_mea']],
    data: TUTORIAL_DATA, objective: { loss: 'meanSquaredError', from: 'probabilities', reduction: 'mean' },
    sites: { loss: 'cost = tf.reduce_mean', outputActivation: 'a2 = tf.nn.sigmoid' },
    fixes: [['objective', /softmax cross-entropy/, [['tf.reduce_mean(tf.square(y_ - a2))', 'tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=tf.matmul(a1, W2) + b2))']]]],
  },
  {
    file: 'tf1_l2_dropout_decay.py', language: 'python-tf1',
    layers: [[512, 'relu', TN(0.1), C(0.1)], [10, 'linear', TN(0.1), C(0.1)]],
    // exponential_decay(0.1, global_step, 1000, 0.96, staircase=True): its initial value and its decay.
    optimizer: { type: 'sgd', learningRate: 0.1, schedule: { type: 'exponential', decaySteps: 1000, decayRate: 0.96, staircase: true } }, batch: 50, steps: 3000,
    weights: ['W1 = tf.Variable', 'W2 = tf.Variable'], notes: [],
    // keep_prob fed 0.5 in the training step; beta · l2_loss(W1) = beta / 2 · Σw².
    extras: [{ dropout: 0.5, kernelRegularizer: { l2: 0.0005 } }, {}],
    data: TUTORIAL_DATA, objective: CE_LOGITS,
  },
  {
    file: 'tf1_relu_logits.py', language: 'python-tf1',
    findings: [['output-loss-mismatch', -1, 'loss = tf.reduce_mea']],
    layers: [[256, 'relu', 'glorotUniform'], [10, 'relu', 'glorotUniform']], optimizer: TF1_ADAM(0.001), batch: 128, steps: 2000,
    weights: ["W1 = tf.get_variable", "W2 = tf.get_variable"], notes: [],
    data: TUTORIAL_DATA, objective: CE_LOGITS, sites: { outputActivation: 'out = tf.nn.relu' },
    fixes: [['objective', /before the relu/, [['out', 'tf.matmul(h, W2) + b2']]]],
  },
  {
    file: 'tf1_linear_log.py', language: 'python-tf1',
    findings: [['output-loss-mismatch', -1, 'cross_entropy = tf.r']],
    layers: [[10, 'linear', N(0.01)]], optimizer: sgd(0.5), batch: 100, steps: 1000,
    weights: ['W = tf.Variable'], notes: [],
    // The log of a linear output, as written (NaN once an output is negative).
    data: TUTORIAL_DATA, objective: { loss: 'crossEntropy', from: 'probabilities', reduction: 'mean' },
    fixes: [['objective', /from the logits/, [['-tf.reduce_sum(y_ * tf.log(y), reduction_indices=[1])', 'tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y)']]]],
  },
  {
    file: 'tf1_clip_gradients.py', language: 'python-tf1',
    layers: [[300, 'relu', 'glorotUniform'], [10, 'linear', 'glorotUniform']],
    optimizer: { type: 'momentum', learningRate: 0.1, momentum: 0.9, schedule: { type: 'piecewise', boundaries: [1000, 2000], values: [0.1, 0.05, 0.01] }, clipValue: 1 },
    batch: 100, steps: 3000, weights: ['h = tf.layers.dense', 'logits = tf.layers.dense'], notes: [],
    data: TUTORIAL_DATA, objective: CE_LOGITS, sites: { loss: 'loss = tf.losses', optimizer: 'optimizer = tf.train.MomentumOptimizer' },
  },
  {
    file: 'tf2_tape_clip.py', language: 'keras',
    layers: [[256, 'relu', 'glorotUniform'], [10, 'linear', 'glorotUniform']],
    // Never compiled: the optimizer the custom loop applies (issue 22), with its global-norm clipping.
    optimizer: { ...KERAS_ADAM(0.001), globalClipNorm: 5 }, batch: 64, steps: 2 * 938,
    weights: ["Dense(256", 'Dense(10)'], notes: [],
    data: { divideBy: 255, shuffle: true }, objective: CE_LOGITS, sites: { input: 'ds = ds.map', loss: 'loss = loss_fn(yb' },
  },
  {
    file: 'tf1_positional_ce.py', language: 'python-tf1', notes: [['W = tf.Variable', /not valid: line 11 raises in TensorFlow/]],
    error: ['loss = tf.reduce_mean', /^line 11 raises in TensorFlow: tf\.nn\.softmax_cross_entropy_with_logits\(\.\.\.\) takes only named arguments.*TensorFlow 2's tf\.compat\.v1 reads them as \(labels, logits\)/],
  },
  {
    file: 'keras_unscaled.py', language: 'keras',
    findings: [['unscaled-input', -1, 'model.fit(x_train, y']],
    layers: [[128, 'sigmoid', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: sgd(0.1), batch: 64, steps: 2 * 938,
    weights: ["Dense(128", "Dense(10"], notes: [],
    data: { divideBy: 1, shuffle: true }, objective: KERAS_FUSED,
    sites: { input: 'model.fit(x_train', loss: "loss='sparse" },
    fixes: [['data', /\/ 255/, [['', NEW_LINE_SCALE]]]],
  },
  {
    file: 'keras_linear_ce.py', language: 'keras',
    findings: [['output-loss-mismatch', -1, 'model.compile(optimi']],
    layers: [[128, 'relu', 'glorotUniform'], [10, 'linear', 'glorotUniform']], optimizer: adam(0.001), batch: 32, steps: 3 * 1875,
    weights: ["Dense(128", 'tf.keras.layers.Dense(10)'], notes: [],
    // Keras clips, then normalises what its sparse loss takes for probabilities.
    data: { divideBy: 255, shuffle: true }, objective: PROBS_SPARSE,
    fixes: [['objective', /from_logits=True/, [["'sparse_categorical_crossentropy'", 'tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)']]]],
  },
  {
    file: 'keras_mse_softmax.py', language: 'keras',
    findings: [['output-loss-mismatch', -1, 'model.compile(loss=\'']],
    layers: [[100, 'relu', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: sgd(0.01), batch: 100, steps: 3000,
    weights: ["Dense(100", "Dense(10, activation='softmax')"], notes: [],
    data: { divideBy: 255, shuffle: true }, objective: { loss: 'meanSquaredError', from: 'probabilities', reduction: 'mean' },
    fixes: [['objective', /categorical_crossentropy/, [["'mse'", "'categorical_crossentropy'"]]]],
  },
  {
    file: 'keras_sigmoid_ce.py', language: 'keras',
    layers: [[64, 'relu', 'glorotUniform'], [10, 'linear', 'glorotUniform']], optimizer: { type: 'rmsprop', learningRate: 0.001, epsilon: 1e-7 }, batch: 128, steps: 2 * 469,
    weights: ["Dense(64", "Dense(10"], notes: [],
    // Keras (TensorFlow backend) computes the cross-entropy from the sigmoid's own logits: a softmax cross-entropy.
    data: { divideBy: 255, shuffle: true }, objective: CE_LOGITS, sites: { outputActivation: "activation='sigmoid'" },
  },
  {
    file: 'keras_relu_output.py', language: 'keras',
    findings: [['output-loss-mismatch', -1, 'model.compile(optimi']],
    layers: [[100, 'relu', 'glorotUniform'], [10, 'relu', 'glorotUniform']], optimizer: sgd(0.05), batch: 50, steps: 1200,
    weights: ["Dense(100", "Dense(10, activation='relu')"], notes: [],
    data: { divideBy: 255, shuffle: true }, objective: PROBS_SPARSE, sites: { outputActivation: "Dense(10, activation='relu')" },
    fixes: [['objective', /softmax/, [["'relu'", "'softmax'"]]]],
  },
  {
    file: 'keras_regularizers_schedule.py', language: 'keras',
    layers: [[256, 'relu', 'glorotUniform'], [10, 'softmax', 'glorotUniform']],
    optimizer: { type: 'sgd', learningRate: 0.1, schedule: { type: 'exponential', decaySteps: 100, decayRate: 0.9 }, clipNorm: 1 }, batch: 50, steps: 4 * 100,
    weights: ["Dense(256", "Dense(10"], notes: [],
    extras: [{ useBias: false, dropout: 0.3, kernelRegularizer: { l2: 0.001 } }, { kernelRegularizer: { l2: 0.001 } }],
    // fit(x_train[:5000], ..., shuffle=False): the first 5000 examples, in order.
    data: { divideBy: 255, shuffle: false, trainExamples: 5000 }, objective: KERAS_FUSED,
  },
  {
    file: 'keras_normalize_bce.py', language: 'keras',
    findings: [['output-loss-mismatch', -1, 'model.compile(optimi']],
    layers: [[200, 'tanh', 'glorotUniform'], [10, 'linear', 'glorotUniform']], optimizer: KERAS_ADAM(0.001), batch: 100, steps: 600,
    weights: ["Dense(200", "Dense(10"], notes: [],
    // x_train.mean() and .std() of the raw bytes; the sigmoid's logits under a per-class binary cross-entropy.
    data: { divideBy: 1, mean: 33.3184, std: 78.5675, shuffle: true }, objective: { loss: 'binaryCrossEntropy', from: 'logits', reduction: 'mean' },
    sites: { input: 'x_train = (x_train - mean) / std' },
    fixes: [['objective', /categorical_crossentropy/, [["'binary_crossentropy'", "'categorical_crossentropy'"], ["'sigmoid'", "'softmax'"]]]],
  },
  {
    file: 'keras_sum_reduction.py', language: 'keras',
    findings: [['loss-reduction', -1, 'loss = tf.keras.loss']],
    layers: [[300, 'relu', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: sgd(0.01), batch: 200, steps: 300,
    weights: ["Dense(300", "Dense(10"], notes: [],
    data: { divideBy: 255, shuffle: true }, objective: { ...KERAS_FUSED, reduction: 'sum' }, sites: { reduction: "reduction='sum'" },
    fixes: [['objective', /Average/, [["'sum'", "'sum_over_batch_size'"]]]],
  },
  {
    file: 'keras_sparse_onehot.py', language: 'keras', notes: [['model = tf.keras.Sequential', /not valid: line 13 raises in TensorFlow/]],
    findings: [['framework-error', -1, 'model.fit(x_train, y']],
    error: ['model.fit(x_train, y_train', /one-hot rows, but loss='sparse_categorical_crossentropy' takes class indices/],
  },
  {
    file: 'tfjs_linear_ce.js', language: 'tfjs',
    findings: [['output-loss-mismatch', -1, 'model.compile({ opti']],
    layers: [[64, 'relu', 'glorotUniform'], [10, 'linear', 'glorotUniform']], optimizer: KERAS_ADAM(0.001), batch: 100, steps: 2 * 600,
    weights: ['units: 64', 'units: 10'], notes: [['model.fit(', UNKNOWN_EXAMPLES]],
    // tfjs-layers normalises and clips whatever it is given (even a softmax).
    data: null, objective: PROBS_CLIPPED,
    fixes: [['objective', /softmax/, [['', ", activation: 'softmax'"]]]],
  },
  {
    file: 'tfjs_mse_regularized.js', language: 'tfjs',
    findings: [['output-loss-mismatch', -1, 'model.compile({ opti']],
    layers: [[128, 'relu', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: sgd(0.1), batch: 32, steps: 1875,
    weights: ['units: 128', 'units: 10'], notes: [['model.fit(', UNKNOWN_EXAMPLES]],
    extras: [{ dropout: 0.25, kernelRegularizer: { l2: 0.0005 } }, {}],
    objective: { loss: 'meanSquaredError', from: 'probabilities', reduction: 'mean' },
    fixes: [['objective', /categoricalCrossentropy/, [["'meanSquaredError'", "'categoricalCrossentropy'"]]]],
  },
  {
    file: 'tfjs_losses_sum.js', language: 'tfjs',
    findings: [['loss-reduction', -1, 'optimizer.minimize((']],
    layers: [[64, 'relu', N(0.05)], [10, 'linear', N(0.05)]], optimizer: sgd(0.05), batch: 128, steps: 300,
    weights: ['const w1 = tf.variable', 'const w2 = tf.variable'], notes: [],
    objective: { ...CE_LOGITS, reduction: 'sum' }, sites: { reduction: 'optimizer.minimize(() =>' },
    fixes: [['objective', /Reduction\.MEAN/, [['SUM', 'MEAN']]]],
  },
  {
    file: 'tfjs_div255.js', language: 'tfjs',
    layers: [[100, 'relu', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: sgd(0.1), batch: 50, steps: 2 * 200,
    weights: ['units: 100', "units: 10, activation: 'softmax'"], notes: [],
    // .div(255) on the tensor of pixel values; fit on xs.slice([0, 0], [10000, 784]) with shuffle: false.
    data: { divideBy: 255, shuffle: false, trainExamples: 10000 }, objective: PROBS_CLIPPED, sites: { input: 'const xs = ' },
  },
  {
    file: 'tf1_tuple_logits.py', language: 'python-tf1',
    findings: [['framework-error', -1, 'loss = tf.reduce_mea']],
    notes: [['logits = tf.matmul(h, W2), b2', /the output layer has no softmax/], ['W1 = tf.Variable', /not valid: line 14 raises in TensorFlow/]],
    error: ['loss = tf.reduce_mean', /these logits are a tuple .*TensorFlow raises a ValueError/],
  },
  {
    file: 'keras_dataset_fit.py', language: 'keras',
    findings: [['unscaled-input', -1, 'model.fit(train_ds, ']],
    // 469 batches of 128 per epoch, as the dataset has them.
    layers: [[64, 'relu', 'glorotUniform'], [10, 'softmax', 'glorotUniform']], optimizer: sgd(0.01), batch: 128, steps: 2 * 469,
    weights: ['Dense(64', "Dense(10, activation='softmax')"], notes: [],
    data: { divideBy: 1, shuffle: false }, objective: KERAS_FUSED, sites: { input: 'model.fit(train_ds' },
    fixes: [['data', /\/ 255/, [['', NEW_LINE_SCALE]]]],
  },
];

ROWS.push(...SHAPE_ROWS);

function offset(text: string, lineNo: number, column: number): number {
  const lines = text.split('\n');
  return lines.slice(0, lineNo - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
}

function applyEdit(text: string, edit: TextEdit): string {
  return text.slice(0, offset(text, edit.range.line, edit.range.column)) + edit.newText + text.slice(offset(text, edit.range.endLine, edit.range.endColumn));
}

/** The 1-based line where `snippet` starts; `context|>snippet`: the first `snippet` after `context`. */
function line(text: string, snippet: string): number {
  const [context, target] = snippet.includes('|>') ? snippet.split('|>') : ['', snippet];
  const from = context ? text.indexOf(context) : 0;
  assert.ok(from >= 0, `fixture lacks ${JSON.stringify(context)}`);
  const i = text.indexOf(target, from);
  assert.ok(i >= 0, `fixture lacks ${JSON.stringify(snippet)}`);
  return text.slice(0, i).split('\n').length;
}

test('every fixture program is a row of the table, and there are at least 40', () => {
  // (torch_*.py: the PyTorch programs, table in importersTorch.test.ts; torchprog_*.py: their program parts, importersTorchProgram.test.ts)
  const files = readdirSync(DIR).filter((f) => /\.(py|js|ts)$/.test(f) && !f.startsWith('torch_') && !f.startsWith('torchprog_')).sort();
  assert.deepEqual(files, ROWS.map((r) => r.file).sort());
  assert.ok(ROWS.length >= 40, `${ROWS.length} fixture programs`);
});

for (const row of ROWS) {
  test(`${row.file}: ${row.refused ? 'refused' : row.invalid ? 'what is missing is said' : `${row.layers?.map((l) => `${l[0]} ${l[1]}`).join(' → ')}, steps ${row.steps}`}`, () => {
    const text = readFileSync(join(DIR, row.file), 'utf8');
    const r = importSource(row.file, text);
    assert.ok(r, 'recognised as a model file');
    assert.equal(r.language, row.language);
    // Notes: exactly the expected ones, each on its line.
    const actual = r.notes.map((n) => `${n.range.line}: ${n.message}`);
    const unmatched = [...actual];
    for (const [snippet, re] of row.notes) {
      const at = line(text, snippet);
      const i = unmatched.findIndex((n) => n.startsWith(`${at}: `) && re.test(n.slice(`${at}: `.length)));
      assert.ok(i >= 0, `expected a note on line ${at} matching ${re}; notes:\n${actual.join('\n')}`);
      unmatched.splice(i, 1);
    }
    assert.deepEqual(unmatched, [], 'unexpected notes');
    assert.ok(!r.notes.some((n) => n.message.startsWith('syntax error')), 'no syntax warning');
    // Deviations: exactly the expected ones, each on its line.
    assert.deepEqual((r.deviations ?? []).map((d) => d.range.line), (row.deviations ?? []).map(([s]) => line(text, s)), 'deviation lines');
    (row.deviations ?? []).forEach(([, re], i) => assert.match(r.deviations![i].message, re));
    if (row.refused) {
      assert.equal(r.spec.ok, false);
      assert.equal(r.refused?.range.line, line(text, row.refused));
      assert.match(r.refused?.message ?? '', row.refusedMessage ?? CONV);
      assert.deepEqual([r.layers, r.staticFindings, r.modelRange], [[], [], undefined]);
      return;
    }
    assert.deepEqual((r.deviations ?? []).map((d) => `${d.range.line}: ${d.message}`).filter((d) => !(row.deviations ?? []).some(([snip, re]) => d.startsWith(`${line(text, snip)}: `) && re.test(d.slice(d.indexOf(': ') + 2)))), [], 'unexpected deviations');
    assert.equal((r.deviations ?? []).length, (row.deviations ?? []).length, 'every expected deviation');
    if (row.error) {
      assert.equal(r.spec.ok, false);
      const e = r.staticFindings.find((f) => f.code === 'framework-error');
      assert.ok(e, 'a framework-error finding');
      assert.equal(e.severity, 'error');
      assert.equal(e.source?.line, line(text, row.error[0]));
      assert.match(e.message, row.error[1]);
      return;
    }
    if (row.invalid) {
      assert.equal(r.spec.ok, false);
      return;
    }
    assert.ok(r.spec.ok, `invalid spec: ${JSON.stringify(!r.spec.ok && r.spec.problems)}`);
    const s = r.spec.spec;
    assert.deepEqual(s.layers.map((l): Layer => [l.units, l.activation, l.kernelInitializer, l.biasInitializer]),
      row.layers!.map(([u, a, k, b]) => [u, a, k, b ?? 'zeros']));
    assert.deepEqual(s.optimizer, row.optimizer);
    assert.deepEqual([s.batchSize, s.steps], [row.batch, row.steps]);
    assert.deepEqual(r.layers.map((l) => l.weights?.line), row.weights!.map((w) => line(text, w)), 'weights anchor lines');
    const findings = r.staticFindings.map((f) => `${f.code} ${f.layer} @${f.source?.line}`).sort();
    assert.deepEqual(findings, (row.findings ?? []).map(([c, l, w]) => `${c} ${l} @${line(text, w)}`).sort(), 'static findings');
    if (row.data !== undefined) assert.deepEqual(s.data, row.data ?? undefined, 'data');
    if (row.objective !== undefined) assert.deepEqual(s.objective, row.objective ?? undefined, 'objective');
    const extras = s.layers.map((l) => Object.fromEntries(Object.entries(l).filter(([k]) => ['useBias', 'dropout', 'kernelRegularizer'].includes(k))));
    assert.deepEqual(extras, row.extras ?? s.layers.map(() => ({})), 'layer extras');
    for (const [k, snip] of Object.entries(row.sites ?? {})) assert.equal(r.program?.[k as keyof ProgramSites]?.line, line(text, snip!), `site ${k}`);
    const fixes = r.programFixes ?? [];
    assert.equal(fixes.length, (row.fixes ?? []).length, `program fixes: ${JSON.stringify(fixes.map((f) => f.fix.label))}`);
    (row.fixes ?? []).forEach(([kind, label, edits], i) => {
      const f = fixes[i];
      assert.equal(f.fix.kind, kind);
      assert.match(f.fix.label, label);
      assert.deepEqual(f.edits.map((e) => [slice(text, e), e.newText]), edits);
      checkCure(row.file, text, r, f.fix, f.edits);
    });
    if (r.stableLoss) {
      const u = r.staticFindings.find((f) => f.code === 'unstable-loss');
      assert.ok(u);
      checkCure(row.file, text, r, { kind: 'stableLoss', label: 'stable' }, [r.stableLoss]);
    }
    row.check?.(r, text);
  });
}

/** The text an edit replaces. */
function slice(text: string, e: TextEdit): string {
  return text.slice(offset(text, e.range.line, e.range.column), offset(text, e.range.endLine, e.range.endColumn));
}

/**
 * A program fix is a real cure in the file's idiom: its edits applied, the file reads as the spec the fix
 * describes (the same layers and loop; data, objective and output activation as the fix says). A softmax output
 * under a fused cross-entropy and a linear output under a cross-entropy from logits are the same computation.
 */
function checkCure(file: string, text: string, r: ImportResult, fix: import('../../src/core/findings').Fix, edits: TextEdit[]): void {
  assert.ok(r.spec.ok);
  let fixedText = text;
  for (const e of [...edits].sort((a, b) => offset(text, b.range.line, b.range.column) - offset(text, a.range.line, a.range.column))) fixedText = applyEdit(fixedText, e);
  const fixed = importSource(file, fixedText);
  assert.ok(fixed?.spec.ok, `${file} with "${fix.label}" applied: ${JSON.stringify(fixed && !fixed.spec.ok && fixed.spec.problems)}`);
  const expected = applyFix(r.spec.spec, fix);
  const head = (sp: ModelSpec) => {
    const act = sp.layers[sp.layers.length - 1].activation;
    const o = sp.objective ?? { loss: 'crossEntropy', from: 'probabilities', fused: true, reduction: 'mean' };
    return o.fused && act === 'softmax' ? { act: 'linear', o: { loss: 'crossEntropy', from: 'logits', reduction: o.reduction } } : { act, o };
  };
  const body = (sp: ModelSpec) => ({ ...sp, name: '', objective: undefined, layers: sp.layers.map((l, i) => (i === sp.layers.length - 1 ? { ...l, activation: undefined } : l)) });
  assert.deepEqual(head(fixed.spec.spec), head(expected), `${file}: "${fix.label}" reads back as the fix's objective`);
  assert.deepEqual(body(fixed.spec.spec), body(expected), `${file}: "${fix.label}" changes nothing else`);
  assert.ok(!(fixed.programFixes ?? []).some((f) => f.fix.kind === fix.kind && f.fix.label === fix.label) || fix.kind === 'stableLoss', `${file}: "${fix.label}" is not offered again`);
}
