// The bytes a program reads with its own code are raw pixels only where they really are uint8 (frameworks/bytes.ts):
// np.frombuffer(..., np.uint8) / a Node Buffer read without an encoding give pixels 0–255 whose scale follows the
// program's arithmetic; numpy's default dtype (float64), a text read or a mapping function leave the scale unknown.
// The programs are small ones written here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importSource } from '../../src/core/importers/index';
import { applyTextEdits } from '../../src/core/importers/fixEdits';
import type { ImportResult } from '../../src/core/importers/types';

const keras = (read: string, scale: string): string => `import numpy as np
from tensorflow import keras


def load_images(path):
    with open(path, "rb") as f:
        return ${read}.reshape(-1, 784)


x_train = load_images("train-images-idx3-ubyte").astype("float32")${scale}
y_train = np.zeros(60000)
model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(100, activation="relu"), keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train, batch_size=100, epochs=1, shuffle=False)
`;

const tfjs = (read: string, values: string, scale: string): string => `const fs = require('fs');
const tf = require('@tensorflow/tfjs');

const bytes = ${read};
const w1 = tf.variable(tf.randomNormal([784, 10], 0, 0.1));
const b1 = tf.variable(tf.zeros([10]));
const optimizer = tf.train.sgd(0.5);
for (let i = 0; i < 600; i++) {
  const x = tf.tensor2d(${values}, [100, 784])${scale};
  const y = tf.oneHot(tf.tensor1d([0], 'int32'), 10);
  optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, x.matMul(w1).add(b1)));
}
`;

function read(file: string, text: string): ImportResult {
  const r = importSource(file, text);
  assert.ok(r?.spec.ok, `${file}: no valid spec`);
  return r;
}
const codes = (r: ImportResult): string[] => r.staticFindings.map((f) => f.code);

test('np.frombuffer(..., np.uint8) in the program\'s own loader: raw pixels, unscaled-input on the float conversion, and its / 255 cure re-reads as [0, 1]', () => {
  const text = keras('np.frombuffer(f.read(), np.uint8, offset=16)', '');
  const r = read('bytes.py', text);
  assert.equal(r.spec.ok && r.spec.spec.data?.divideBy, 1);
  const f = r.staticFindings.find((x) => x.code === 'unscaled-input');
  assert.ok(f, `no unscaled-input: ${codes(r).join(', ')}`);
  assert.equal(f.source?.line, 10, 'on the line where the bytes become floats');
  const cure = r.programFixes?.find((p) => p.fix.kind === 'data');
  assert.ok(cure, 'the data cure has edits');
  const again = read('bytes.py', applyTextEdits(text, cure.edits));
  assert.equal(again.spec.ok && again.spec.spec.data?.divideBy, 255);
  assert.ok(!codes(again).includes('unscaled-input'));
});

test('the / 255 cure scales the test images where they become floats too, not only the training images (else the program tests on raw pixels)', () => {
  const text = keras('np.frombuffer(f.read(), np.uint8, offset=16)', '')
    .replace('y_train = np.zeros(60000)', 'x_test = load_images("t10k-images-idx3-ubyte").astype("float32")\ny_train = np.zeros(60000)\ny_test = np.frombuffer(open("t10k-labels-idx1-ubyte", "rb").read(), np.uint8, offset=8).astype("float32")')
    + 'model.evaluate(x_test, y_test)\n';
  const r = read('bytes.py', text);
  const cure = r.programFixes?.find((p) => p.fix.kind === 'data');
  assert.ok(cure, 'the data cure has edits');
  const cured = applyTextEdits(text, cure.edits);
  assert.match(cured, /x_train = \(?load_images\("train-images-idx3-ubyte"\)\.astype\("float32"\)\)? \/ 255\.0/);
  assert.match(cured, /x_test = \(?load_images\("t10k-images-idx3-ubyte"\)\.astype\("float32"\)\)? \/ 255\.0/);
  assert.doesNotMatch(cured, /offset=8\)\.astype\("float32"\)\)? \/ 255/, 'labels (not 784 wide) are not scaled');
  assert.equal(cure.edits.length, 2, cure.edits.map((e) => e.newText).join(' | '));
  const again = read('bytes.py', cured);
  assert.equal(again.spec.ok && again.spec.spec.data?.divideBy, 255);
});

test('the program\'s own / 255 on uint8 bytes is followed; np.fromfile(dtype="uint8") is bytes too', () => {
  const scaled = read('bytes.py', keras('np.frombuffer(f.read(), dtype=np.uint8, offset=16)', ' / 255.0'));
  assert.equal(scaled.spec.ok && scaled.spec.spec.data?.divideBy, 255);
  assert.ok(!codes(scaled).includes('unscaled-input'));
  const fromFile = read('bytes.py', keras('np.fromfile(f, dtype="uint8")[16:]', ''));
  assert.equal(fromFile.spec.ok && fromFile.spec.spec.data?.divideBy, 1);
});

test('bytes not known to be uint8 stay unknown: numpy\'s default float64, another dtype', () => {
  for (const src of ['np.frombuffer(f.read(), offset=16)', 'np.frombuffer(f.read(), np.float32, offset=16)']) {
    const r = read('bytes.py', keras(src, ''));
    assert.equal(r.spec.ok && r.spec.spec.data, undefined, src);
    assert.ok(!codes(r).includes('unscaled-input'), src);
  }
});

test('tfjs: a Buffer read without an encoding, through tf.tensor2d, is raw pixels; a text read or a mapping function is not', () => {
  const raw = read('bytes.js', tfjs("fs.readFileSync('train-images-idx3-ubyte').subarray(16)", 'Float32Array.from(bytes.subarray(i * 78400, (i + 1) * 78400))', ''));
  assert.equal(raw.spec.ok && raw.spec.spec.data?.divideBy, 1);
  assert.ok(codes(raw).includes('unscaled-input'));
  const cure = raw.programFixes?.find((p) => p.fix.kind === 'data');
  assert.ok(cure);
  const cured = read('bytes.js', applyTextEdits(tfjs("fs.readFileSync('train-images-idx3-ubyte').subarray(16)", 'Float32Array.from(bytes.subarray(i * 78400, (i + 1) * 78400))', ''), cure.edits));
  assert.equal(cured.spec.ok && cured.spec.spec.data?.divideBy, 255);
  const scaled = read('bytes.js', tfjs("new Uint8Array(fs.readFileSync('train-images-idx3-ubyte'))", 'Float32Array.from(bytes.subarray(i * 78400, (i + 1) * 78400))', '.div(255)'));
  assert.equal(scaled.spec.ok && scaled.spec.spec.data?.divideBy, 255);
  for (const [what, src, values] of [
    ['a text read', "fs.readFileSync('pixels.csv', 'utf8')", 'Float32Array.from(bytes)'],
    ['a mapping function', "fs.readFileSync('train-images-idx3-ubyte')", 'Float32Array.from(bytes, (v) => v / 255)'],
  ]) {
    const r = read('bytes.js', tfjs(src, values, ''));
    assert.notEqual(r.spec.ok && r.spec.spec.data?.divideBy, 1, what);
    assert.ok(!codes(r).includes('unscaled-input'), what);
  }
});
