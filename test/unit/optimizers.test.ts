// The trainer's parameter updates on wasm (our own SGD, momentum and Adam on tfjs ops; RMSProp through
// tf.train) against tf.train.* given the same gradients, and that they leave no tensor behind. The tensorflow
// backend's fused kernels get the same checks in test/native/trainer.test.ts.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend, type LoadedBackend } from '../../src/core/backend';
import { OPTIMIZER_CASES, checkNoLeaks, compareWithTfTrain } from './optimizerCheck';

let backend: LoadedBackend;
before(async () => {
  backend = await selectBackend('wasm');
});

for (const [label, o, reference] of OPTIMIZER_CASES) {
  test(`${label}: the same weights as tf.train after 30 steps (wasm)`, () => {
    const worst = compareWithTfTrain(backend, o, 30, reference(backend.tf));
    assert.ok(worst < 1e-4, `largest difference: ${worst} of the largest change`);
  });
}

test('parameter updates leave no tensor behind, and the tensor count is steady per step (wasm)', () => {
  checkNoLeaks(backend);
});
