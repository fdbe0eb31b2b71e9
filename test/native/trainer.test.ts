// The trainer's tensorflow-only paths against the REAL tfjs-node (docs/performance.md, "The scaling ladder"):
// the backward through matMul's transpose flags, MatMul / ReluGrad / BiasAddGrad called directly, the unfused
// forward, stateful optimizers as TensorFlow kernels on resource variables, and in-order batches sliced out of
// resident rows. The same checks run on wasm in test/unit/{gradients,optimizers,trainer}.test.ts. Skipped, saying
// why, where tfjs-node is not usable (test/native/native.ts).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { selectBackend, type LoadedBackend } from '../../src/core/backend';
import { loadMnist, type MnistData } from '../../src/core/mnist';
import { createParams } from '../../src/core/optimizers';
import { NativeParams } from '../../src/core/nativeOps';
import { ResidentBatches, train } from '../../src/core/trainer';
import { repoRoot, smallMlp } from '../unit/helpers';
import { ACTIVATIONS_UNDER_TEST, checkAgainstTfGrads, gradientCases } from '../unit/gradientCheck';
import { OPTIMIZER_CASES, checkNoLeaks, compareWithTfTrain } from '../unit/optimizerCheck';
import { checkLazyUpload, checkResidentBatches, checkTrainLeaks } from '../unit/trainerChecks';
import { nativePath, requireNativeWhereDemanded, skip } from './native';

requireNativeWhereDemanded('trainer');

let backend: LoadedBackend;
let data: MnistData;
before(async () => {
  if (skip) return;
  backend = await selectBackend('tensorflow', {}, { nativePath });
  data = loadMnist();
});

for (const [shape, spec] of gradientCases) {
  for (const activation of ACTIVATIONS_UNDER_TEST) {
    test(`on tensorflow: explicit backprop matches tf.grads on the probe batch (${shape}, ${activation})`, { skip }, async () => {
      assert.equal(backend.tf.getBackend(), 'tensorflow');
      await checkAgainstTfGrads(backend, data, spec(activation));
    });
  }
}

for (const [label, o, reference] of OPTIMIZER_CASES) {
  test(`on tensorflow: ${label} gives the same weights as tf.train after 30 steps`, { skip }, () => {
    const worst = compareWithTfTrain(backend, o, 30, reference(backend.tf));
    assert.ok(worst < 1e-4, `largest difference: ${worst} of the largest change`);
  });
}

test('on tensorflow: stateful optimizers run as TensorFlow kernels on resource variables, plain SGD as tfjs variables', { skip }, () => {
  const { tf } = backend;
  for (const [type, native] of [['adam', true], ['momentum', true], ['rmsprop', true], ['sgd', false]] as const) {
    const k = tf.ones([2, 2]) as Tensor2D;
    const b = tf.zeros([2]) as Tensor1D;
    const params = createParams(tf, { type, learningRate: 0.1 }, [k], [b]);
    assert.equal(params instanceof NativeParams, native, type);
    params.dispose();
    tf.dispose([k, b]);
  }
});

test('on tensorflow: parameter updates leave no tensor behind, and the tensor count is steady per step', { skip }, () => {
  checkNoLeaks(backend);
});

for (const [activation, optimizer] of [['relu', 'adam'], ['relu', 'sgd'], ['tanh', 'momentum'], ['elu', 'rmsprop'], ['leakyRelu', 'adam']] as const) {
  test(`on tensorflow: no tensor leaks in a run (${activation}, ${optimizer})`, { skip }, async () => {
    await checkTrainLeaks(backend, data, smallMlp(activation, { steps: 60, optimizer: { type: optimizer, learningRate: 0.01 } }));
  });
}

test('on tensorflow: in-order batches uploaded at first use train exactly as those uploaded first (batches, and rows sliced out of chunks)', { skip }, async () => {
  await checkLazyUpload(backend, data, smallMlp('relu', { steps: 40, batchSize: 50 }));
  await checkLazyUpload(backend, data, smallMlp('relu', { steps: 30, batchSize: 70 })); // 60,000 is not a multiple of 70: chunks
});

test('on tensorflow: in-order batches that do not divide the training set are sliced out of resident rows, wrapping and across chunks', { skip }, () => {
  const split = { ...data.train, count: 25 };
  assert.equal(ResidentBatches.usable(backend.tf, split, { ...smallMlp('relu'), batchSize: 4 }, false), true);
  assert.equal(ResidentBatches.usable(backend.tf, split, { ...smallMlp('relu'), batchSize: 4 }, true), false, 'shuffled batches are gathered per step');
  checkResidentBatches(backend, split, 4, 20, 10); // wraps at 25 and crosses the chunks at 10 and 20
  checkResidentBatches(backend, split, 4, 3, 10); // only the 12 rows three steps use
  checkResidentBatches(backend, split, 7, 9, 3); // batches spanning several chunks
  checkResidentBatches(backend, split, 5, 12, 10); // a batch size that divides: resident batches, reused each epoch
});

test('on tensorflow: a run with a batch size that does not divide 60,000 trains (784-32-16-10, batch 128, over an epoch boundary)', { skip }, async () => {
  const spec = { ...smallMlp('relu', { steps: 480, optimizer: { type: 'adam', learningRate: 0.003 } }), batchSize: 128 };
  const losses: number[] = [];
  const r = await train(spec, { backend, data, onEvent: (e) => { if (e.type === 'step') losses.push(e.loss); } });
  assert.equal(r.end.steps, 480); // 468.75 batches per epoch: steps 468 and 469 wrap
  assert.ok(losses.every(Number.isFinite));
  assert.ok(r.end.testAccuracy > 0.9, `accuracy ${r.end.testAccuracy}`);
});

test('on tensorflow: a run survives V8\'s sampling profiler (node --cpu-prof; TensorFlow\'s MatMul op called through the binding corrupted the heap there)', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-cpuprof-'));
  try {
    const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, join(repoRoot, 'out', 'bench', 'trainOnce.js'), 'seed-mlp-uniform', 'tensorflow', '50', '600', '--warm-up', '20'],
      { encoding: 'utf8', timeout: 120_000, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', ...(nativePath ? { GRADIENT_LENS_NATIVE_BACKEND: nativePath } : {}) } });
    assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { backend: string; steps: number };
    assert.equal(out.backend, 'tensorflow');
    assert.equal(out.steps, 600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
