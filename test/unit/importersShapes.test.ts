// Issue 22, beside the fixture table (importersShapesRows.ts): what must NOT happen — a utility script that
// imports a framework is not refused as a lost model; a step function handed to an event handler is read once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importSource } from '../../src/core/importers/index';

test('a script that imports a framework but trains nothing it made is not refused as a lost model', () => {
  const text = [
    'import subprocess',
    'import torch',
    '',
    "state = torch.load('checkpoint.pt')",
    'print(state.keys())',
    "subprocess.run(['ls'])",
    '',
  ].join('\n');
  assert.equal(importSource('util.py', text), undefined);
  // The same script training what torch.load gave is refused on the call the model comes from.
  const trained = importSource('util.py', text.replace("print(state.keys())", 'state.fit(x, y)'));
  assert.equal(trained?.refused?.range.line, 4);
  assert.match(trained!.refused!.message, /^no model found: the model comes from torch\.load\('checkpoint\.pt'\) \(a torch call Gradient Lens does not follow\); it is trained on line 5$/);
});

test('a function that trains in full, handed to an event handler, is read once (its own epochs), not as a step of an unknown loop', () => {
  const text = [
    "import * as tf from '@tensorflow/tfjs';",
    'async function run() {',
    '  const model = tf.sequential({layers: [tf.layers.dense({units: 10, inputShape: [784], activation: "softmax"})]});',
    "  model.compile({optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy'});",
    '  await model.fit(xs, ys, {batchSize: 100, epochs: 2});',
    '}',
    "document.addEventListener('DOMContentLoaded', run);",
    '',
  ].join('\n');
  const r = importSource('app.js', text)!;
  assert.ok(r.spec.ok);
  assert.equal(r.spec.spec.steps, 2 * 600);
  assert.ok(!r.notes.some((n) => /how many times/.test(n.message)), r.notes.map((n) => n.message).join(' | '));
  // A bare step handed to a call with `iterations`: that many steps.
  const step = importSource('app.js', [
    "import * as tf from '@tensorflow/tfjs';",
    'const w = tf.variable(tf.randomNormal([784, 10], 0, 0.1));',
    'const b = tf.variable(tf.zeros([10]));',
    'const optimizer = tf.train.sgd(0.1);',
    'function trainStep() {',
    '  const batch = data.nextTrainBatch(64);',
    '  optimizer.minimize(() => tf.losses.softmaxCrossEntropy(batch.labels, batch.xs.matMul(w).add(b)));',
    '}',
    'runLoop(trainStep, {iterations: 300});',
    '',
  ].join('\n'))!;
  assert.ok(step.spec.ok);
  assert.deepEqual([step.spec.spec.batchSize, step.spec.spec.steps], [64, 300]);
});
