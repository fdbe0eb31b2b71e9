// Source importers (issue 6): the fixtures in test/fixtures are read with the real lezer / jsonc
// parsers; specs, ranges, static findings and fix edits are checked exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MAX_SOURCE_CHARS, importSource } from '../../src/core/importers/index';
import { fixToEdit, formatNumber } from '../../src/core/importers/fixes';
import type { ImportResult, SourceRange, TextEdit } from '../../src/core/importers/types';
import type { Fix } from '../../src/core/findings';
import type { Initializer, ModelSpec } from '../../src/core/spec';
import { ACTIVATIONS, DEFAULTS, NAMED_INITIALIZERS, OPTIMIZERS } from '../../src/core/spec';
import { PRESETS } from '../../src/core/presets';

const FIXTURES = resolve(__dirname, '../../../test/fixtures');
const fixture = (name: string): { file: string; text: string } => {
  const file = join(FIXTURES, name);
  return { file, text: readFileSync(file, 'utf8') };
};

/** The spec without its layers' source names (W1, Dense(100)): those are checked in layerNames.test.ts. */
const withoutNames = (s: ModelSpec): ModelSpec => ({ ...s, layers: s.layers.map(({ name: _name, ...l }) => l) });

function load(name: string): { r: ImportResult; text: string; spec: ModelSpec } {
  const { file, text } = fixture(name);
  const r = importSource(file, text);
  assert.ok(r, `${name}: not recognised as a model file`);
  assert.ok(r.spec.ok, `${name}: invalid spec: ${JSON.stringify(!r.spec.ok && r.spec.problems)}`);
  return { r, text, spec: withoutNames(r.spec.spec) };
}

function read(name: string, text: string): ImportResult {
  const r = importSource(name, text);
  assert.ok(r, `${name}: not recognised as a model file`);
  return r;
}

const specOf = (r: ImportResult): ModelSpec => {
  assert.ok(r.spec.ok, `invalid spec: ${JSON.stringify(!r.spec.ok && r.spec.problems)} notes: ${JSON.stringify(r.notes)}`);
  return withoutNames(r.spec.spec);
};

/** The 1-based line of the first occurrence of `needle` (and its column). */
function find(text: string, needle: string): { line: number; column: number } {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `fixture lacks ${needle}`);
  const before = text.slice(0, i).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function rangeOf(text: string, needle: string): SourceRange {
  const p = find(text, needle);
  assert.ok(!needle.includes('\n'));
  return { line: p.line, column: p.column, endLine: p.line, endColumn: p.column + needle.length };
}

function applyEdit(text: string, edit: TextEdit): string {
  const lines = text.split('\n');
  const off = (line: number, col: number) => lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + col - 1;
  return text.slice(0, off(edit.range.line, edit.range.column)) + edit.newText + text.slice(off(edit.range.endLine, edit.range.endColumn));
}

const SEED_MLP: Omit<ModelSpec, 'name'> = {
  layers: [
    { units: 100, activation: 'relu', kernelInitializer: 'zeros', biasInitializer: 'zeros' },
    { units: 10, activation: 'softmax', kernelInitializer: 'zeros', biasInitializer: 'zeros' },
  ],
  optimizer: { type: 'sgd', learningRate: 0.5 }, batchSize: 100, steps: 1000, seed: 1,
};
const U01 = { type: 'randomUniform', minval: -0.01, maxval: 0.01 } as const;

test('TF1 tutorial-style zeros MLP: 784-100-10 relu, SGD 0.5, batch 100, 1000 steps', () => {
  const { r, spec } = load('mnist_mlp_zeros.py');
  assert.equal(r.language, 'python-tf1');
  // Faithful (issue 20): the tutorial's data (already in [0, 1], next_batch shuffles) and its hand-written
  // mean cross-entropy of the softmax probabilities, not fused.
  assert.deepEqual(spec, { name: 'mnist_mlp_zeros', ...SEED_MLP, data: { divideBy: 255, shuffle: true }, objective: { loss: 'crossEntropy', from: 'probabilities', reduction: 'mean' } });
  assert.deepEqual(r.notes, []);
});

test('TF1 zeros MLP: static warning exactly on the hidden weight line, none on the output layer', () => {
  const { r, text } = load('mnist_mlp_zeros.py');
  const w1 = rangeOf(text, 'tf.Variable(tf.zeros([784, 100]))');
  assert.deepEqual(r.layers[0].weights, w1);
  assert.deepEqual(r.layers[1].weights, rangeOf(text, 'tf.Variable(tf.zeros([100, 10]))'));
  assert.deepEqual(r.layers[0].bias, rangeOf(text, 'tf.Variable(tf.zeros([100]))'));
  assert.deepEqual(r.layers[0].kernelInitializer?.range, rangeOf(text, 'tf.zeros([784, 100])'));
  assert.equal(r.layers[0].kernelInitializer?.shape, '[784, 100]');
  const codes = r.staticFindings.map((f) => f.code).sort();
  // The seed's hand-written -sum(y_ * log(y)) is flagged too, on its own line (see the softmax file's test).
  assert.deepEqual(codes, ['dead-units', 'symmetric-units', 'unstable-loss']);
  assert.equal(r.staticFindings.find((f) => f.code === 'unstable-loss')?.source?.line, find(text, 'tf.log(y)').line);
  for (const f of r.staticFindings.filter((x) => x.code !== 'unstable-loss')) {
    assert.equal(f.layer, 0);
    assert.ok(f.severity === 'warning' || f.severity === 'error', f.severity);
    assert.deepEqual(f.source, { file: join(FIXTURES, 'mnist_mlp_zeros.py'), line: w1.line, column: w1.column, endLine: w1.endLine, endColumn: w1.endColumn });
  }
  assert.equal(w1.line, 9);
});

test('TF1 softmax-only file with zeros: the tutorial model; only unstable-loss, on the loss line, with a stable fix', () => {
  const { r, spec, text } = load('mnist_softmax.py');
  assert.deepEqual(spec.layers, [{ units: 10, activation: 'softmax', kernelInitializer: 'zeros', biasInitializer: 'zeros' }]);
  assert.deepEqual({ ...spec.optimizer, batch: spec.batchSize, steps: spec.steps }, { type: 'sgd', learningRate: 0.5, batch: 100, steps: 1000 });
  assert.deepEqual(r.notes, []);
  assert.deepEqual(r.staticFindings.map((f) => [f.code, f.severity, f.layer, f.source?.line]), [['unstable-loss', 'warning', -1, find(text, 'tf.log(y)').line]]);
  const [u] = r.staticFindings;
  assert.deepEqual(u.source, { file: join(FIXTURES, 'mnist_softmax.py'), ...rangeOf(text, 'tf.log(y)') });
  assert.equal(u.evidence.construct, 'tf.log(y)');
  assert.match(u.message, /The run trains this loss as written, so it turns NaN where TensorFlow's does/);
  const edit = fixToEdit(r, text, u.fixes[0]);
  assert.deepEqual(edit, {
    range: rangeOf(text, '-tf.reduce_sum(y_ * tf.log(y), reduction_indices=[1])'),
    newText: 'tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=tf.matmul(x, W) + b)',
  });
  // Fixed: the same model with the stable loss (from the logits), and no finding any more.
  const fixed = read('mnist_softmax.py', applyEdit(text, edit));
  assert.deepEqual(specOf(fixed), { ...spec, layers: [{ ...spec.layers[0], activation: 'linear' }], objective: { loss: 'crossEntropy', from: 'logits', reduction: 'mean' } });
  assert.deepEqual(fixed.staticFindings, []);
  assert.deepEqual(fixed.notes, []);
});

test('TF1 random_uniform(-0.01, 0.01) MLP: U(-0.01, 0.01) kernels, zero biases, no finding', () => {
  const { r, spec } = load('mnist_mlp_uniform.py');
  assert.deepEqual(spec.layers.map((l) => [l.units, l.activation, l.kernelInitializer, l.biasInitializer]), [
    [100, 'relu', U01, 'zeros'], [10, 'softmax', U01, 'zeros'],
  ]);
  assert.deepEqual(r.staticFindings.map((f) => f.code), ['unstable-loss']);
});

test('Keras Sequential([...]) with string and object initializers, fit(batch_size, epochs)', () => {
  const { r, text, spec } = load('keras_mlp_zeros.py');
  assert.equal(r.language, 'keras');
  // 1 epoch × 60000 / 100; Keras on a softmax layer: the fused cross-entropy; fit shuffles.
  assert.deepEqual(spec, { name: 'keras_mlp_zeros', ...SEED_MLP, steps: 600, data: { divideBy: 255, shuffle: true }, objective: { loss: 'crossEntropy', from: 'probabilities', fused: true, reduction: 'mean' } });
  const k = rangeOf(text, "kernel_initializer='zeros'");
  assert.deepEqual(r.layers[0].weights, k);
  assert.deepEqual(r.layers[0].kernelInitializer?.range, rangeOf(text, "'zeros'"));
  assert.deepEqual(r.staticFindings.map((f) => [f.code, f.source?.line, f.source?.column]).sort(), [['dead-units', k.line, k.column], ['symmetric-units', k.line, k.column]]);
  assert.deepEqual(r.learningRate, rangeOf(text, '0.5'));
});

test('Keras model.add with RandomUniform objects and an Activation layer', () => {
  const { spec } = load('keras_mlp_uniform.py');
  assert.deepEqual(spec.layers.map((l) => [l.units, l.activation, l.kernelInitializer]), [[100, 'relu', U01], [10, 'softmax', U01]]);
  assert.deepEqual([spec.optimizer, spec.batchSize, spec.steps], [{ type: 'sgd', learningRate: 0.5 }, 100, 3000]);
});

test('tfjs: tf.sequential() + model.add(tf.layers.dense({...})), compile and fit inside a function', () => {
  const { r, text, spec } = load('tfjs_mlp_zeros.js');
  assert.equal(r.language, 'tfjs');
  // tfjs-layers' categoricalCrossentropy normalises and clips to [1e-7, 1 - 1e-7], even on a softmax (issue 20).
  assert.deepEqual(spec, { name: 'tfjs_mlp_zeros', ...SEED_MLP, steps: 600, objective: { loss: 'crossEntropy', from: 'probabilities', normalize: true, clip: [1e-7, 1 - 1e-7], reduction: 'mean' } });
  // xs is a parameter: how many examples it holds is not known, and the note says what is assumed.
  assert.deepEqual(r.notes.map((n) => [n.range.line, n.message]), [[find(text, 'await model.fit').line, 'the number of training examples given to fit() is not known here: the step count assumes the 60,000 MNIST training images']]);
  assert.equal(r.staticFindings[0].source?.line, find(text, "kernelInitializer: 'zeros'").line);
  assert.equal(r.modelRange?.line, find(text, 'tf.sequential()').line);
});

test('tfjs TypeScript: tf.sequential({layers}) with tf.initializers.randomUniform({...})', () => {
  const { spec } = load('tfjs_mlp_uniform.ts');
  assert.deepEqual(spec.layers.map((l) => [l.units, l.activation, l.kernelInitializer]), [[100, 'relu', U01], [10, 'softmax', U01]]);
  assert.deepEqual([spec.optimizer, spec.batchSize, spec.steps], [{ type: 'sgd', learningRate: 0.5 }, 100, 1200]);
});

test('JSON spec (*.mlp.json, with comments): equals the seed preset; finding on the kernelInitializer line', () => {
  const { r, text, spec } = load('seed-mlp-zeros.mlp.json');
  const preset = PRESETS.find((p) => p.id === 'seed-mlp-zeros');
  assert.ok(preset);
  assert.deepEqual(spec, preset.spec);
  assert.equal(r.language, 'json');
  const line = find(text, '"units": 100').line;
  assert.ok(r.staticFindings.length >= 1);
  assert.ok(r.staticFindings.every((f) => f.source?.line === line));
  assert.deepEqual(r.layers[0].kernelInitializer?.range, rangeOf(text, '"zeros"'));
});

test('JSON: every spec problem and syntax error is a note on its own line; non-spec JSON is ignored', () => {
  const text = '{\n  "layers": [\n    { "units": 100, "activation": "rellu" },\n    { "units": 10, "activation": "softmax" }\n  ],\n  "batchSize": 0,\n}\n';
  const r = read('bad.mlp.json', text);
  assert.equal(r.spec.ok, false);
  const byLine = new Map(r.notes.map((n) => [n.range.line, n]));
  assert.match(byLine.get(3)?.message ?? '', /activation/);
  assert.match(byLine.get(6)?.message ?? '', /batchSize/);
  assert.ok(r.notes.every((n) => n.severity === 'error'));
  const syntax = read('x.mlp.json', '{ "layers": [ { "units": 10 ');
  assert.ok(syntax.notes.some((n) => /JSON syntax error/.test(n.message)));
  assert.equal(importSource('package.json', '{ "name": "x", "version": "1.0.0" }'), undefined);
});

test('TF1 variants: odd names, intermediate variables, logits, TF defaults, helper functions, def main', () => {
  const src = `
import tensorflow as tf
def weight_variable(shape):
    initial = tf.truncated_normal(shape, stddev=0.1)
    return tf.Variable(initial)
def main(_):
    images = tf.placeholder(tf.float32, shape=[None, 784])
    weights_hidden = weight_variable([784, 50])
    bias_hidden = tf.Variable(tf.constant(0.1, shape=[50]))
    pre = tf.matmul(images, weights_hidden)
    pre = pre + bias_hidden
    hidden = tf.nn.sigmoid(pre)
    dropped = tf.nn.dropout(hidden, 0.5)
    W_out = tf.Variable(tf.random_normal([50, 10]))
    logits = tf.matmul(dropped, W_out) + tf.Variable(tf.random_uniform([10]))
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=logits))
    lr = 1e-3
    opt = tf.train.AdamOptimizer(lr)
    step = opt.minimize(loss)
    for epoch in range(3):
        for i in range(int(mnist.train.num_examples / 50)):
            xb, yb = mnist.train.next_batch(50)
if __name__ == '__main__':
    tf.app.run(main=main)
`;
  const r = read('odd.py', src);
  const spec = specOf(r);
  assert.deepEqual(spec.layers, [
    { units: 50, activation: 'sigmoid', kernelInitializer: { type: 'truncatedNormal', mean: 0, stddev: 0.1 }, biasInitializer: { type: 'constant', value: 0.1 }, dropout: 0.5 },
    { units: 10, activation: 'linear', kernelInitializer: { type: 'randomNormal', mean: 0, stddev: 1 }, biasInitializer: { type: 'randomUniform', minval: 0, maxval: 1 } },
  ]);
  assert.deepEqual(spec.optimizer, { type: 'adam', learningRate: 0.001, epsilon: 1e-8 });
  assert.equal(spec.batchSize, 50);
  assert.equal(spec.steps, 3 * 1100); // 55000 tutorial training examples / 50 per batch, 3 epochs
  // The helper's Variable anchors where it is created, inside the helper (used by this layer only), with
  // the call site as related information; dropout (keep_prob 0.5 in a TF1 file) is trained, not dropped.
  assert.equal(r.layers[0].weights?.line, find(src, 'return tf.Variable(initial)').line);
  assert.deepEqual(r.layers[0].via?.map((v) => v.line), [find(src, 'weights_hidden = weight_variable').line]);
  assert.ok(r.layers[0].kernelInitializer, 'a helper used by one layer can be fixed where it creates the weights');
  assert.ok(!r.notes.some((n) => /dropout/.test(n.message)));
});

test('TF1: things it cannot follow become notes on their lines, and the spec says what was assumed', () => {
  const src = `import tensorflow as tf
x = tf.placeholder(tf.float32, [None, 784])
W = tf.Variable(make_weights())
b = tf.Variable(tf.zeros([10]))
y = tf.matmul(x, W) + b
for _ in range(steps_from_config):
    bx, by = mnist.train.next_batch(64)
`;
  const r = read('partial.py', src);
  const lines = r.notes.map((n) => n.range.line);
  assert.ok(r.notes.some((n) => n.range.line === 3 && /initial value/.test(n.message)), JSON.stringify(r.notes));
  assert.ok(lines.includes(6), 'the loop whose count is unknown');
  assert.ok(r.notes.some((n) => /no optimizer/.test(n.message)));
  assert.ok(r.notes.some((n) => /no softmax/.test(n.message)));
  const spec = specOf(r);
  assert.equal(spec.layers[0].kernelInitializer, 'glorotUniform');
  assert.equal(spec.batchSize, 64);
});

test('TF1 tf.layers.dense and the Keras functional API build the same chain', () => {
  const tf1 = read('layers.py', `import tensorflow as tf
x = tf.placeholder(tf.float32, [None, 784])
h = tf.layers.dense(x, 64, activation=tf.nn.tanh, kernel_initializer=tf.zeros_initializer())
logits = tf.layers.dense(h, 10)
loss = tf.losses.softmax_cross_entropy(y_, logits)
train = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
`);
  const s1 = specOf(tf1);
  assert.deepEqual(s1.layers.map((l) => [l.units, l.activation, l.kernelInitializer]), [[64, 'tanh', 'zeros'], [10, 'linear', 'glorotUniform']]);
  assert.deepEqual(s1.optimizer, { type: 'momentum', learningRate: 0.1, momentum: 0.9 });
  const fn = read('functional.py', `from tensorflow import keras
inputs = keras.Input(shape=(784,))
x = keras.layers.Dense(64, activation="elu", kernel_initializer="he_uniform")(inputs)
outputs = keras.layers.Dense(10)(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(x_train, y_train, batch_size=128, epochs=2)
`);
  const s2 = specOf(fn);
  assert.deepEqual(s2.layers.map((l) => [l.units, l.activation, l.kernelInitializer]), [[64, 'elu', 'heUniform'], [10, 'linear', 'glorotUniform']]);
  assert.deepEqual([s1.objective, s2.objective], [{ loss: 'crossEntropy', from: 'logits', reduction: 'mean' }, { loss: 'crossEntropy', from: 'logits', reduction: 'mean' }]);
  assert.deepEqual(s2.optimizer, { type: 'adam', learningRate: 0.01, epsilon: 1e-7 });
  assert.deepEqual([s2.batchSize, s2.steps], [128, 2 * Math.ceil(60000 / 128)]);
  assert.ok(!fn.notes.some((n) => /no softmax/.test(n.message)), 'from_logits=True: a linear output under a cross-entropy from logits');
});

test('not a model file: plain Python / JS, other extensions', () => {
  assert.equal(importSource('util.py', 'import os\nprint(os.getcwd())\n'), undefined);
  assert.equal(importSource('index.js', 'const x = require("fs"); x.readFileSync("a");\n'), undefined);
  assert.equal(importSource('notes.txt', 'W = tf.Variable(tf.zeros([784, 100]))'), undefined);
  assert.equal(importSource('types.d.ts', 'declare const tf: any;'), undefined);
});

test('Keras: unsupported layers and losses are noted where they are written; a convolutional model is refused', () => {
  const src = `import tensorflow as tf
model = tf.keras.Sequential([
    tf.keras.layers.Embedding(100, 8),
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(10, activation='softmax'),
])
model.compile(optimizer='adam', loss='mse')
`;
  const r = read('emb.py', src);
  assert.ok(r.notes.some((n) => n.range.line === 3 && /not supported/.test(n.message)));
  // The loss is read (issue 20): mean squared error on the softmax output, as Keras computes it.
  assert.deepEqual(specOf(r).objective, { loss: 'meanSquaredError', from: 'probabilities', reduction: 'mean' });
  assert.equal(r.program?.loss?.line, 7);
  assert.deepEqual(specOf(r).optimizer, { type: 'adam', learningRate: 0.001 });
  const conv = read('conv.py', src.replace('Embedding(100, 8)', 'Conv2D(32, 3)'));
  assert.deepEqual(conv.notes, [{ range: { line: 3, column: 5, endLine: 3, endColumn: 34 }, message: 'convolutional model: Gradient Lens trains fully-connected networks', severity: 'info' }]);
  assert.equal(conv.spec.ok, false);
  assert.deepEqual([conv.layers, conv.staticFindings, conv.modelRange], [[], [], undefined]);
  assert.deepEqual(conv.refused?.range.line, 3);
});

const initFix = (layer: number, value: Initializer, target: 'kernel' | 'bias' = 'kernel'): Fix =>
  ({ kind: 'initializer', layer, target, value, label: 'test' });

test('fix edits in the TF1 idiom: random_uniform(-0.01, 0.01), He normal stddev √(2/784), and the warning goes away', () => {
  const { r, text } = load('mnist_mlp_zeros.py');
  const uniform = fixToEdit(r, text, initFix(0, U01));
  assert.deepEqual(uniform, { range: rangeOf(text, 'tf.zeros([784, 100])'), newText: 'tf.random_uniform([784, 100], -0.01, 0.01)' });
  const he = fixToEdit(r, text, initFix(0, 'heNormal'));
  assert.equal(he?.newText, 'tf.random_normal([784, 100], stddev=0.0505)');
  assert.equal(formatNumber(Math.sqrt(2 / 784)), '0.0505');
  // The static finding's own first (preferred) fix, applied: the hidden layer is no longer flagged.
  const preferred = r.staticFindings[0].fixes[0];
  const edit = fixToEdit(r, text, preferred);
  assert.ok(edit, 'the preferred fix has an edit');
  const fixed = applyEdit(text, edit);
  assert.match(fixed.split('\n')[8], /^W1 = tf\.Variable\(tf\.random_(normal|uniform)\(\[784, 100\]/);
  const again = read('mnist_mlp_zeros.py', fixed);
  assert.deepEqual(again.staticFindings.filter((f) => f.layer === 0 && f.severity !== 'info'), []);
  // TF1 has no named He initializer: the edit writes the distribution out, N(0, 0.0505) for 784 inputs.
  const expected = preferred.kind === 'initializer' && preferred.value === 'heNormal' ? { type: 'randomNormal', mean: 0, stddev: 0.0505 } : preferred.kind === 'initializer' ? preferred.value : undefined;
  assert.deepEqual(specOf(again).layers[0].kernelInitializer, expected);
});

test('fix edits in the Keras, tfjs and JSON idioms', () => {
  const keras = load('keras_mlp_zeros.py');
  assert.equal(fixToEdit(keras.r, keras.text, initFix(0, 'heNormal'))?.newText, "'he_normal'");
  assert.equal(fixToEdit(keras.r, keras.text, initFix(0, U01))?.newText, 'tf.keras.initializers.RandomUniform(minval=-0.01, maxval=0.01)');
  assert.deepEqual(fixToEdit(keras.r, keras.text, initFix(1, 'glorotUniform')), {
    range: rangeOf(keras.text, 'tf.keras.initializers.Zeros()'), newText: 'tf.keras.initializers.GlorotUniform()',
  });
  const tfjs = load('tfjs_mlp_zeros.js');
  assert.deepEqual(fixToEdit(tfjs.r, tfjs.text, initFix(0, 'heNormal')), { range: rangeOf(tfjs.text, "'zeros'"), newText: "'heNormal'" });
  const ts = load('tfjs_mlp_uniform.ts');
  assert.equal(fixToEdit(ts.r, ts.text, initFix(0, 'heNormal'))?.newText, 'tf.initializers.heNormal()');
  const json = load('seed-mlp-zeros.mlp.json');
  assert.deepEqual(fixToEdit(json.r, json.text, initFix(0, 'heNormal')), { range: rangeOf(json.text, '"zeros"'), newText: '"heNormal"' });
  assert.equal(fixToEdit(json.r, json.text, initFix(0, U01))?.newText, '{"type":"randomUniform","minval":-0.01,"maxval":0.01}');
  assert.deepEqual(fixToEdit(json.r, json.text, { kind: 'learningRate', value: 0.05, label: 'lr' }), { range: rangeOf(json.text, '0.5'), newText: '0.05' });
  // Defaults are not written anywhere: no edit (the editor offers "Fix and re-train" only).
  const noInit = read('m.py', 'import tensorflow as tf\nm = tf.keras.Sequential([tf.keras.layers.Dense(10, activation="softmax")])\n');
  assert.equal(fixToEdit(noInit, '', initFix(0, 'heNormal')), undefined);
});

test('a helper shared by several layers gets no edit (it would change them all)', () => {
  const src = `import tensorflow as tf
def w(shape):
    return tf.Variable(tf.zeros(shape))
x = tf.placeholder(tf.float32, [None, 784])
h = tf.nn.relu(tf.matmul(x, w([784, 100])) + w([100]))
y = tf.nn.softmax(tf.matmul(h, w([100, 10])) + w([10]))
`;
  const r = read('shared.py', src);
  assert.deepEqual(specOf(r).layers.map((l) => l.units), [100, 10]);
  assert.equal(r.layers[0].kernelInitializer, undefined);
  assert.equal(fixToEdit(r, src, initFix(0, 'heNormal')), undefined);
  assert.equal(r.staticFindings[0]?.source?.line, 5);
});

test('the JSON schema contributed for *.mlp.json lists exactly the names of src/core/spec.ts', () => {
  const schema = JSON.parse(readFileSync(resolve(__dirname, '../../../schemas/modelSpec.schema.json'), 'utf8'));
  const d = schema.definitions;
  assert.deepEqual(d.layer.properties.activation.enum, [...ACTIVATIONS]);
  assert.deepEqual(d.initializer.oneOf[0].enum, [...NAMED_INITIALIZERS]);
  assert.deepEqual(d.optimizer.properties.type.enum, [...OPTIMIZERS]);
  assert.deepEqual(Object.keys(schema.properties).sort(), ['$schema', 'accumulateGradients', 'batchSize', 'data', 'description', 'layers', 'name', 'objective', 'optimizer', 'seed', 'steps']);
  assert.deepEqual([schema.properties.batchSize.default, schema.properties.steps.default, schema.properties.seed.default], [DEFAULTS.batchSize, DEFAULTS.steps, DEFAULTS.seed]);
});

test('CRLF line endings give the same lines and columns; oversized files are not read', () => {
  const { text } = fixture('mnist_mlp_zeros.py');
  const lf = read('a.py', text);
  const crlf = read('a.py', text.replace(/\n/g, '\r\n'));
  assert.deepEqual(crlf.layers, lf.layers);
  assert.deepEqual(crlf.staticFindings.map((f) => f.source), lf.staticFindings.map((f) => f.source));
  assert.equal(importSource('big.py', text + '#'.repeat(MAX_SOURCE_CHARS)), undefined);
});

test('a training loop whose length is unknown keeps the default step count, with a note on the loop', () => {
  const src = `import tensorflow as tf
x = tf.placeholder(tf.float32, [None, 784])
W = tf.Variable(tf.zeros([784, 10]))
y = tf.nn.softmax(tf.matmul(x, W))
train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
while True:
    bx, by = mnist.train.next_batch(50)
`;
  const r = read('while.py', src);
  const spec = specOf(r);
  assert.deepEqual([spec.batchSize, spec.steps], [50, 1000]);
  assert.deepEqual(r.notes.filter((n) => /1000 steps/.test(n.message)).map((n) => n.range.line), [6]);
});

test('activation layers (Keras ReLU() / Softmax(), tfjs tf.layers.reLU()) set the activation of the dense layer before them', () => {
  const keras = read('act.py', `from tensorflow.keras import layers, models
model = models.Sequential([layers.Dense(64, input_shape=(784,)), layers.ReLU(), layers.Dense(10), layers.Softmax()])
model.compile(optimizer='sgd', loss='categorical_crossentropy')
model.fit(x, y, batch_size=60000, epochs=3)
`);
  const s = specOf(keras);
  assert.deepEqual(s.layers.map((l) => [l.units, l.activation]), [[64, 'relu'], [10, 'softmax']]);
  assert.deepEqual([s.optimizer, s.batchSize, s.steps], [{ type: 'sgd', learningRate: 0.01 }, 60000, 3]);
  assert.deepEqual(keras.notes.map((n) => n.message), ['the number of training examples given to fit() is not known here: the step count assumes the 60,000 MNIST training images']);
  const tfjs = read('act.js', `import * as tf from '@tensorflow/tfjs';
const model = tf.sequential({ layers: [tf.layers.dense({ units: 32, inputShape: [784] }), tf.layers.reLU(), tf.layers.dense({ units: 10 }), tf.layers.softmax()] });
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
`);
  assert.deepEqual(specOf(tfjs).layers.map((l) => [l.units, l.activation]), [[32, 'relu'], [10, 'softmax']]);
});

test('files that only use an optimizer or tf.Variable are not model files (no diagnostics there)', () => {
  // (PyTorch files are model files since issue 11: test/unit/importersTorch.test.ts.)
  assert.equal(importSource('counter.py', 'import tensorflow as tf\nstep = tf.Variable(0)\nopt = tf.keras.optimizers.Adam()\n'), undefined);
});

test('arithmetic in shapes and scales: constants, products, math.sqrt (TF mnist.py style)', () => {
  const src = `import math
import tensorflow as tf
IMAGE_SIZE = 28
IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE
hidden1_units = 128
images = tf.placeholder(tf.float32, shape=(None, IMAGE_PIXELS))
with tf.name_scope('hidden1'):
    weights = tf.Variable(tf.truncated_normal([IMAGE_PIXELS, hidden1_units], stddev=1.0 / math.sqrt(float(IMAGE_PIXELS))), name='weights')
    biases = tf.Variable(tf.zeros([hidden1_units]), name='biases')
    hidden1 = tf.nn.relu(tf.matmul(images, weights) + biases)
with tf.name_scope('softmax_linear'):
    weights = tf.Variable(tf.truncated_normal([hidden1_units, 10], stddev=1.0 / math.sqrt(float(hidden1_units))), name='weights')
    biases = tf.Variable(tf.zeros([10]), name='biases')
    logits = tf.matmul(hidden1, weights) + biases
loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
train_op = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
for step in range(2000):
    feed = data_sets.train.next_batch(100)
`;
  const r = read('mnist_tf.py', src);
  const spec = specOf(r);
  assert.deepEqual(spec.layers, [
    { units: 128, activation: 'relu', kernelInitializer: { type: 'truncatedNormal', mean: 0, stddev: 1 / 28 }, biasInitializer: 'zeros' },
    { units: 10, activation: 'linear', kernelInitializer: { type: 'truncatedNormal', mean: 0, stddev: 1 / Math.sqrt(128) }, biasInitializer: 'zeros' },
  ]);
  assert.deepEqual([spec.optimizer.learningRate, spec.batchSize, spec.steps], [0.01, 100, 2000]);
  assert.deepEqual(r.notes, []);
});

test('tf.get_variable with TF1 initializer objects: read, flagged, and fixed as initializer objects', () => {
  const src = `import tensorflow as tf
x = tf.placeholder(tf.float32, [None, 784])
W1 = tf.get_variable("W1", shape=[784, 64], initializer=tf.zeros_initializer())
b1 = tf.get_variable("b1", shape=[64], initializer=tf.constant_initializer(0.0))
h1 = tf.nn.relu(tf.matmul(x, W1) + b1)
W2 = tf.get_variable("W2", [64, 10])
b2 = tf.get_variable("b2", [10], initializer=tf.zeros_initializer())
logits = tf.matmul(h1, W2) + b2
opt = tf.train.AdamOptimizer().minimize(tf.losses.softmax_cross_entropy(y, logits))
`;
  const r = read('getvar.py', src);
  const spec = specOf(r);
  assert.deepEqual(spec.layers, [
    { units: 64, activation: 'relu', kernelInitializer: 'zeros', biasInitializer: 'zeros' },
    { units: 10, activation: 'linear', kernelInitializer: 'glorotUniform', biasInitializer: 'zeros' },
  ]);
  assert.deepEqual(spec.optimizer, { type: 'adam', learningRate: 0.001, epsilon: 1e-8 });
  assert.ok(r.staticFindings.some((f) => f.code === 'dead-units' && f.source?.line === 3));
  assert.deepEqual(fixToEdit(r, src, initFix(0, 'heNormal')), { range: rangeOf(src, 'tf.zeros_initializer()'), newText: 'tf.keras.initializers.he_normal()' });
  assert.equal(fixToEdit(r, src, initFix(0, U01))?.newText, 'tf.random_uniform_initializer(-0.01, 0.01)');
});

test('a syntax error the parser recovered from is reported as a warning note where it is (Python and JS)', () => {
  const py = importSource('bad.py', [
    'import tensorflow as tf',
    'x = tf.placeholder(tf.float32, [None, 784]',
    'W = tf.Variable(tf.zeros([784, 10]))',
    'b = tf.Variable(tf.zeros([10]))',
    'y = tf.nn.softmax(tf.matmul(x, W) + b)',
  ].join('\n'));
  assert.ok(py);
  const pyNote = py.notes.find((n) => n.message.startsWith('syntax error'));
  assert.ok(pyNote, JSON.stringify(py.notes));
  assert.equal(pyNote.severity, 'warning');
  assert.equal(pyNote.range.line, 3);
  const js = importSource('bad.js', "const model = tf.sequential();\nmodel.add(tf.layers.dense({units: 10, activation: 'softmax', inputShape: [784]});\n");
  assert.ok(js);
  assert.ok(js.notes.some((n) => n.message.startsWith('syntax error') && n.severity === 'warning'), JSON.stringify(js.notes));
  const clean = importSource('ok.py', readFileSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'mnist_softmax.py'), 'utf8'));
  assert.ok(clean && !clean.notes.some((n) => n.message.startsWith('syntax error')));
});
