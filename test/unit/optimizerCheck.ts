// Shared by the optimizer tests (not a test itself): the trainer's parameter updates (src/core/optimizers.ts,
// src/core/nativeOps.ts) against tf.train.* given the same gradients, and their tensor bookkeeping.
// test/unit/optimizers.test.ts runs them on wasm, test/native/trainer.test.ts on tensorflow.
import assert from 'node:assert/strict';
import type { Optimizer, Tensor, Tensor1D, Tensor2D, Variable } from '@tensorflow/tfjs-core';
import type { LoadedBackend } from '../../src/core/backend';
import { createParams } from '../../src/core/optimizers';
import { Rng } from '../../src/core/rng';
import type { OptimizerSpec } from '../../src/core/spec';

const KERNELS: [number, number][] = [[300, 200], [37, 5]];
const BIASES = [200, 5];

/**
 * `steps` updates from the same start with the same gradients, through createParams and through `reference`;
 * returns the largest difference between the two results relative to the largest change the reference made.
 */
export function compareWithTfTrain(backend: LoadedBackend, o: OptimizerSpec, steps: number, reference: Optimizer): number {
  const { tf } = backend;
  const rng = Rng.derive(3, 1);
  const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => scale * rng.normal());
  const k0 = KERNELS.map(([r, c]) => rand(r * c, 0.1));
  const b0 = BIASES.map((n) => rand(n, 0.1));
  const gradsPerStep = Array.from({ length: steps }, () => [...KERNELS.map(([r, c]) => rand(r * c, 0.01)), ...BIASES.map((n) => rand(n, 0.01))]);
  const shapes = [...KERNELS, ...BIASES.map((n) => [n])];
  const init = [...k0, ...b0];

  const kernels = k0.map((v, i) => tf.tensor2d(v, KERNELS[i]));
  const biases = b0.map((v) => tf.tensor1d(v));
  const params = createParams(tf, o, kernels, biases);
  tf.dispose([...kernels, ...biases]);
  const theirs: Variable[] = init.map((v, i) => {
    const t = tf.tensor(v, shapes[i]);
    const x = tf.variable(t, true, `ref${i}_${Math.random()}`);
    t.dispose();
    return x;
  });
  for (const grads of gradsPerStep) {
    const g: Tensor[] = grads.map((x, i) => tf.tensor(x, shapes[i]));
    params.apply(g.slice(0, KERNELS.length), g.slice(KERNELS.length));
    reference.applyGradients(theirs.map((v, i) => ({ name: v.name, tensor: g[i] })));
    tf.dispose(g);
  }
  let diff = 0;
  let change = 0;
  [...params.kernels, ...params.biases].forEach((v: Tensor2D | Tensor1D, i) => {
    const a = v.dataSync();
    const b = theirs[i].dataSync();
    for (let k = 0; k < a.length; k++) {
      diff = Math.max(diff, Math.abs(a[k] - b[k]));
      change = Math.max(change, Math.abs(b[k] - init[i][k]));
    }
  });
  assert.ok(change > 0, 'the reference changed the weights');
  params.dispose();
  reference.dispose();
  tf.dispose(theirs);
  return diff / change;
}

export const OPTIMIZER_CASES: [string, OptimizerSpec, (tf: LoadedBackend['tf']) => Optimizer][] = [
  ['adam', { type: 'adam', learningRate: 1e-3 }, (tf) => tf.train.adam(1e-3, 0.9, 0.999, 1e-7)],
  // a large epsilon, where its placement matters
  ['adam, epsilon 0.01', { type: 'adam', learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 0.01 }, (tf) => tf.train.adam(0.01, 0.8, 0.99, 0.01)],
  ['momentum', { type: 'momentum', learningRate: 0.05, momentum: 0.9 }, (tf) => tf.train.momentum(0.05, 0.9, false)],
  ['momentum, Nesterov', { type: 'momentum', learningRate: 0.05, momentum: 0.8, useNesterov: true }, (tf) => tf.train.momentum(0.05, 0.8, true)],
  ['rmsprop', { type: 'rmsprop', learningRate: 0.01 }, (tf) => tf.train.rmsprop(0.01, 0.9, 0, 1e-7)],
  ['rmsprop with momentum', { type: 'rmsprop', learningRate: 0.01, decay: 0.8, momentum: 0.5, epsilon: 1e-4 }, (tf) => tf.train.rmsprop(0.01, 0.8, 0.5, 1e-4)],
];

/** createParams + apply for every optimizer: a steady tensor count per step, nothing left after dispose. */
export function checkNoLeaks(backend: LoadedBackend): void {
  {
    const { tf } = backend;
    for (const o of [{ type: 'adam', learningRate: 0.1 }, { type: 'momentum', learningRate: 0.1 }, { type: 'rmsprop', learningRate: 0.1 }, { type: 'sgd', learningRate: 0.1 }] as OptimizerSpec[]) {
      const start = tf.memory().numTensors;
      const k = tf.ones([4, 3]) as Tensor2D;
      const b = tf.zeros([3]) as Tensor1D;
      const params = createParams(tf, o, [k], [b]);
      tf.dispose([k, b]);
      const counts: number[] = [];
      for (let i = 0; i < 5; i++) {
        const g = [tf.fill([4, 3], 0.5), tf.fill([3], 0.5)];
        params.apply([g[0]], [g[1]]);
        tf.dispose(g);
        counts.push(tf.memory().numTensors);
      }
      assert.equal(new Set(counts).size, 1, `${o.type}: tensor count varies: ${counts}`);
      assert.ok(params.kernels[0].dataSync()[0] < 1, `${o.type}: the kernel moved`);
      params.dispose();
      assert.equal(tf.memory().numTensors, start, `${o.type}: tensors left behind`);
    }
  }
}

