// The trainer's own parameter updates (src/core/optimizers.ts) against tf.train.* given the same gradients, on
// every backend that loads here, and that they leave no tensor behind.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { selectBackend, type LoadedBackend } from '../../src/core/backend';
import { makeUpdater } from '../../src/core/optimizers';
import { Rng } from '../../src/core/rng';
import type { OptimizerSpec } from '../../src/core/spec';
import type { BackendName } from '../../src/core/events';

const backends = new Map<BackendName, LoadedBackend>();
before(async () => {
  backends.set('wasm', await selectBackend('wasm'));
  try {
    backends.set('tensorflow', await selectBackend('tensorflow'));
  } catch {
    // tfjs-node not installed here: the wasm cases still run
  }
});

const SHAPES: [number, number][] = [[37, 5], [5, 1], [300, 200]];

function randomArray(rng: Rng, n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

/**
 * Runs `steps` updates from the same start with the same gradients through ours and through tf.train.*; returns
 * the largest difference between the two results relative to the largest change tf.train.* made.
 */
function compare(backend: LoadedBackend, o: OptimizerSpec, steps: number, reference: () => ReturnType<LoadedBackend['tf']['train']['adam']>): number {
  const { tf } = backend;
  const rng = Rng.derive(3, 1);
  const init = SHAPES.map(([r, c]) => randomArray(rng, r * c, 0.1));
  const gradsPerStep = Array.from({ length: steps }, () => SHAPES.map(([r, c]) => randomArray(rng, r * c, 0.01)));
  const variable = (v: Float32Array, i: number, who: string): Variable => {
    const t = tf.tensor2d(v, SHAPES[i]);
    const x = tf.variable(t, true, `${who}${i}_${Math.random()}`);
    t.dispose();
    return x;
  };
  const ours = init.map((v, i) => variable(v, i, 'ours'));
  const theirs = init.map((v, i) => variable(v, i, 'theirs'));
  const updater = makeUpdater(tf, o);
  const optimizer = reference();
  const before = tf.memory().numTensors;
  for (const grads of gradsPerStep) {
    const g: Tensor[] = grads.map((x, i) => tf.tensor2d(x, SHAPES[i]));
    updater.apply(ours, g);
    optimizer.applyGradients(theirs.map((v, i) => ({ name: v.name, tensor: g[i] })));
    tf.dispose(g);
  }
  let diff = 0;
  let change = 0;
  ours.forEach((v, i) => {
    const a = v.dataSync();
    const b = theirs[i].dataSync();
    for (let k = 0; k < a.length; k++) {
      diff = Math.max(diff, Math.abs(a[k] - b[k]));
      change = Math.max(change, Math.abs(b[k] - init[i][k]));
    }
  });
  assert.ok(change > 0, 'the reference changed the weights');
  // our updater keeps exactly its moment tensors (two per variable), tf.train.adam its own (two per variable + two scalars)
  const after = tf.memory().numTensors;
  updater.dispose();
  optimizer.dispose();
  assert.ok(after - before <= 4 * SHAPES.length + 2, `tensors grew by ${after - before} over ${steps} steps`);
  tf.dispose([...ours, ...theirs]);
  return diff / change;
}

for (const name of ['wasm', 'tensorflow'] as BackendName[]) {
  test(`adam: the same weights as tf.train.adam after 30 steps (${name})`, (t) => {
    const backend = backends.get(name);
    if (!backend) return t.skip(`${name} backend not available here`);
    const worst = compare(backend, { type: 'adam', learningRate: 1e-3 }, 30, () => backend.tf.train.adam(1e-3, 0.9, 0.999, 1e-7));
    assert.ok(worst < 1e-4, `largest difference ${worst} of the largest change`);
    // a large epsilon, where its placement matters
    const worstEps = compare(backend, { type: 'adam', learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 0.01 }, 10, () => backend.tf.train.adam(0.01, 0.8, 0.99, 0.01));
    assert.ok(worstEps < 1e-4, `largest difference with epsilon 0.01: ${worstEps} of the largest change`);
  });

  test(`adam leaves no tensor behind (${name})`, (t) => {
    const backend = backends.get(name);
    if (!backend) return t.skip(`${name} backend not available here`);
    const { tf } = backend;
    const start = tf.memory().numTensors;
    const ones = tf.ones([4, 3]);
    const v = tf.variable(ones);
    ones.dispose();
    const updater = makeUpdater(tf, { type: 'adam', learningRate: 0.1 });
    const counts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const g = tf.fill([4, 3], 0.5);
      updater.apply([v], [g]);
      g.dispose();
      counts.push(tf.memory().numTensors);
    }
    assert.equal(new Set(counts).size, 1, `tensor count varies: ${counts}`);
    updater.dispose();
    v.dispose();
    assert.equal(tf.memory().numTensors, start);
  });
}
