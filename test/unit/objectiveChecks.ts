// Shared by test/unit/objectiveGradients.test.ts (wasm) and test/native/objective.test.ts (tensorflow), not a test
// itself: the program parts the trainer runs besides the v1 path (spec.ts data / objective / layer and update
// extras), against TensorFlow.js's own autodiff (tf.grads) — every output activation × loss × reduction the objective
// can say, the pixel transforms, and, through the weights after real training steps, dropout, weight decay,
// regularisers, clipping, a missing bias, accumulated gradients and schedules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import type { LoadedBackend } from '../../src/core/backend';
import { batchImages, type MnistData } from '../../src/core/mnist';
import { train } from '../../src/core/trainer';
import { parseSpec, pixelTransform, objectiveOf, type Activation, type ModelSpec, type ObjectiveSpec } from '../../src/core/spec';
import { Rng } from '../../src/core/rng';
import type { ProbeData } from '../../src/core/events';

let backend: LoadedBackend;
let data: MnistData;

/** Registers every check on the backend `setup` loads ("wasm", "tensorflow"), skipped with `skip`'s reason. */
export function objectiveChecks(on: string, setup: () => Promise<{ backend: LoadedBackend; data: MnistData }>, skip: string | false = false): void {
  const t = (name: string, fn: () => Promise<void>): void => {
    test(`on ${on}: ${name}`, { skip }, async () => {
      ({ backend, data } = await setup());
      assert.equal(backend.tf.getBackend(), on);
      await fn();
    });
  };
  registerAll(t);
}

const HIDDEN = 32;

function spec(extra: Record<string, unknown>, output: Activation = 'linear', layer0: Record<string, unknown> = {}, layer1: Record<string, unknown> = {}): ModelSpec {
  return parseSpec({
    name: 'objective-check',
    layers: [
      { units: HIDDEN, activation: 'tanh', kernelInitializer: 'glorotUniform', biasInitializer: { type: 'randomUniform', minval: -0.1, maxval: 0.1 }, ...layer0 },
      { units: 10, activation: output, kernelInitializer: 'glorotUniform', biasInitializer: { type: 'randomUniform', minval: -0.1, maxval: 0.1 }, ...layer1 },
    ],
    optimizer: { type: 'sgd', learningRate: 0.1 },
    batchSize: 32,
    steps: 1,
    ...extra,
  });
}

/** The program's loss written with tfjs ops, as a framework's graph has it. */
function referenceLoss(s: ModelSpec, x: Tensor2D, labels: number[], params: Tensor[], masks?: (Tensor | undefined)[]): Tensor {
  const tf = backend.tf;
  const L = s.layers.length;
  const onehot = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), 'float32');
  const act = (z: Tensor, a: Activation): Tensor => {
    switch (a) {
      case 'relu': return tf.relu(z);
      case 'sigmoid': return tf.sigmoid(z);
      case 'tanh': return tf.tanh(z);
      case 'softmax': return tf.softmax(z);
      case 'logSoftmax': return tf.logSoftmax(z);
      case 'leakyRelu': return tf.leakyRelu(z, 0.2);
      default: return z;
    }
  };
  let h: Tensor = x;
  let zLast: Tensor = x;
  for (let l = 0; l < L; l++) {
    const z = tf.add(tf.matMul(h as Tensor2D, params[2 * l] as Tensor2D), params[2 * l + 1]);
    zLast = z;
    h = act(z, s.layers[l].activation);
    if (masks?.[l]) h = tf.mul(h, masks[l]!);
  }
  const o: ObjectiveSpec = objectiveOf(s);
  const n = labels.length;
  let elements: Tensor;
  let count: number;
  if (o.loss === 'crossEntropy' && (o.from === 'logits' || o.fused)) {
    // fused: from the softmax's own logits (tf.nn.softmax_cross_entropy_with_logits)
    elements = tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(o.fused ? zLast : h)), 1));
    count = n;
  } else if (o.loss === 'crossEntropy' && o.from === 'logProbabilities') {
    elements = tf.neg(tf.sum(tf.mul(onehot, h), 1));
    count = n;
  } else if (o.loss === 'meanSquaredError') {
    elements = tf.square(tf.sub(h, onehot));
    count = n * 10;
  } else if (o.loss === 'binaryCrossEntropy' && o.from === 'logits') {
    elements = tf.add(tf.sub(tf.relu(h), tf.mul(h, onehot)), tf.log1p(tf.exp(tf.neg(tf.abs(h)))));
    count = n * 10;
  } else {
    let q = h;
    if (o.normalize && !o.clipFirst) q = tf.div(q, tf.sum(q, 1, true));
    if (o.clip) q = tf.clipByValue(q, o.clip[0], o.clip[1]);
    const off = o.logOffset ?? 0;
    if (o.clipFirst) {
      // Keras's sparse_categorical_crossentropy: log of the clipped output, then the softmax cross-entropy of the logs
      elements = tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(tf.log(tf.add(q, off)))), 1));
      count = n;
    } else if (o.loss === 'crossEntropy') {
      elements = tf.neg(tf.sum(tf.mul(onehot, tf.log(tf.add(q, off))), 1));
      count = n;
    } else {
      elements = tf.neg(tf.add(tf.mul(onehot, tf.log(tf.add(q, off))), tf.mul(tf.sub(1, onehot), tf.log(tf.add(tf.sub(1, q), off)))));
      count = n * 10;
    }
  }
  const sum = tf.sum(elements);
  const divisor = o.reduction === 'mean' ? count : o.reduction === 'meanAll' ? n * 10 : 1;
  let loss = tf.div(sum, divisor);
  s.layers.forEach((layer, l) => {
    if (layer.kernelRegularizer?.l2) loss = tf.add(loss, tf.mul(tf.sum(tf.square(params[2 * l])), layer.kernelRegularizer.l2));
    if (layer.kernelRegularizer?.l1) loss = tf.add(loss, tf.mul(tf.sum(tf.abs(params[2 * l])), layer.kernelRegularizer.l1));
  });
  return loss;
}

async function probesOf(s: ModelSpec, probeEvery = 1): Promise<ProbeData[]> {
  const probes: ProbeData[] = [];
  await train(s, { backend, data, probeEvery, probeExamples: 64, onProbe: (p) => probes.push(structuredClone(p)) });
  return probes;
}

function paramsOf(p: ProbeData): Tensor[] {
  const tf = backend.tf;
  return p.layers.flatMap((l) => [tf.tensor2d(l.weights, [l.fanIn, l.units]), tf.tensor1d(l.bias)]);
}

function close(ours: ArrayLike<number>, theirs: ArrayLike<number>, what: string): void {
  let maxErr = 0;
  let scale = 0;
  for (let k = 0; k < ours.length; k++) {
    maxErr = Math.max(maxErr, Math.abs(ours[k] - theirs[k]));
    scale = Math.max(scale, Math.abs(theirs[k]));
  }
  assert.ok(maxErr <= 1e-5 + 2e-3 * scale, `${what}: max |diff| ${maxErr} vs scale ${scale}`);
}

// ---- the head: output activation × loss × reduction, gradients at step 0 on the probe batch ----
const heads: [string, Activation, Record<string, unknown> | undefined][] = [
  ['linear → crossEntropy from logits, mean', 'linear', { loss: 'crossEntropy', from: 'logits' }],
  ['softmax → crossEntropy from logits (double softmax)', 'softmax', { loss: 'crossEntropy', from: 'logits' }],
  ['softmax → crossEntropy fused, sum', 'softmax', { loss: 'crossEntropy', from: 'probabilities', fused: true, reduction: 'sum' }],
  ['softmax → -Σ y log p as written, sum', 'softmax', { loss: 'crossEntropy', from: 'probabilities', reduction: 'sum' }],
  ['softmax → -Σ y log p, meanAll', 'softmax', { loss: 'crossEntropy', from: 'probabilities', reduction: 'meanAll' }],
  ['softmax → Keras from_logits=False (normalize, clip)', 'softmax', { loss: 'crossEntropy', from: 'probabilities', normalize: true, clip: [1e-7, 1 - 1e-7] }],
  ['linear → Keras sparse from_logits=False (clip, then normalise)', 'linear', { loss: 'crossEntropy', from: 'probabilities', normalize: true, clip: [1e-7, 1 - 1e-7], clipFirst: true }],
  ['softmax → Keras sparse from_logits=False (clip, then normalise)', 'softmax', { loss: 'crossEntropy', from: 'probabilities', normalize: true, clip: [1e-7, 1 - 1e-7], clipFirst: true }],
  ['sigmoid → crossEntropy from probabilities, normalize + clip', 'sigmoid', { loss: 'crossEntropy', from: 'probabilities', normalize: true, clip: [1e-7, 1 - 1e-7] }],
  ['softmax → log(p + 1e-10)', 'softmax', { loss: 'crossEntropy', from: 'probabilities', logOffset: 1e-10 }],
  ['logSoftmax → NLL', 'logSoftmax', { loss: 'crossEntropy', from: 'logProbabilities' }],
  ['linear → MSE', 'linear', { loss: 'meanSquaredError' }],
  ['softmax → MSE, sum', 'softmax', { loss: 'meanSquaredError', reduction: 'sum' }],
  ['relu → crossEntropy from logits', 'relu', { loss: 'crossEntropy', from: 'logits' }],
  ['tanh → MSE', 'tanh', { loss: 'meanSquaredError' }],
  ['linear → binary CE from logits', 'linear', { loss: 'binaryCrossEntropy', from: 'logits' }],
  ['sigmoid → binary CE from probabilities, clip', 'sigmoid', { loss: 'binaryCrossEntropy', from: 'probabilities', clip: [1e-7, 1 - 1e-7], logOffset: 1e-7 }],
  ['softmax, no objective (v1)', 'softmax', undefined],
];

function registerAll(test: (name: string, fn: () => Promise<void>) => void): void {
for (const [name, output, objective] of heads) {
  test(`head matches tf.grads: ${name}`, async () => {
    const tf = backend.tf;
    const s = spec(objective ? { objective } : {}, output);
    const [p] = await probesOf(s);
    const x = tf.tensor2d(batchImages(data.test, Array.from({ length: 64 }, (_, i) => i)), [64, 784]);
    const params = paramsOf(p);
    const labels = Array.from(p.labels);
    const f = (...ps: Tensor[]): Tensor => referenceLoss(s, x, labels, ps);
    const grads = tf.grads(f)(params);
    const loss = (await f(...params).data())[0];
    assert.ok(Math.abs(loss - p.loss) <= 1e-4 * Math.max(1, Math.abs(loss)), `loss ${p.loss} vs tf ${loss}`);
    for (let l = 0; l < 2; l++) {
      close(p.layers[l].weightGrad, await grads[2 * l].data(), `layer ${l} kernel`);
      close(p.layers[l].biasGrad, await grads[2 * l + 1].data(), `layer ${l} bias`);
    }
    tf.dispose([x, ...params, ...grads]);
  });
}

test('a hand-written log of a softmax turns NaN where TensorFlow does: a probability that underflows to 0 makes 0·log 0', async () => {
  const tf = backend.tf;
  // raw pixels and N(0, 1) weights: logits in the hundreds, softmax probabilities of exactly 0 in float32
  const s = spec({ objective: { loss: 'crossEntropy', from: 'probabilities', reduction: 'sum' }, data: { divideBy: 1 } }, 'softmax',
    { activation: 'relu', kernelInitializer: { type: 'randomNormal', mean: 0, stddev: 1 } }, { kernelInitializer: { type: 'randomNormal', mean: 0, stddev: 1 } });
  const [p] = await probesOf(s);
  const x = tf.tensor2d(batchImages(data.test, Array.from({ length: 64 }, (_, i) => i), pixelTransform(s)), [64, 784]);
  const params = paramsOf(p);
  const theirs = (await referenceLoss(s, x, Array.from(p.labels), params).data())[0];
  assert.ok(Number.isNaN(theirs), `tfjs's own graph gives NaN (got ${theirs})`);
  assert.ok(Number.isNaN(p.loss), `ours gives NaN too (got ${p.loss})`);
  assert.ok(p.layers[1].weightGrad.some((g) => Number.isNaN(g)), 'and NaN gradients');
  // the fused form of the same program stays finite
  const [q] = await probesOf(spec({ objective: { loss: 'crossEntropy', from: 'probabilities', fused: true, reduction: 'sum' }, data: { divideBy: 1 } }, 'softmax',
    { activation: 'relu', kernelInitializer: { type: 'randomNormal', mean: 0, stddev: 1 } }, { kernelInitializer: { type: 'randomNormal', mean: 0, stddev: 1 } }));
  assert.ok(Number.isFinite(q.loss), `fused: finite (${q.loss})`);
  tf.dispose([x, ...params]);
});

test('pixel transforms: raw bytes and (x/255 − mean)/std reach the first layer as the program computes them', async () => {
  const tf = backend.tf;
  for (const d of [{ divideBy: 1 }, { divideBy: 255, mean: 0.1307, std: 0.3081 }, { divideBy: 1, mean: 127.5, std: 127.5 }]) {
    const s = spec({ data: d, objective: { loss: 'crossEntropy', from: 'logits' } });
    const [p] = await probesOf(s);
    const x = tf.tensor2d(batchImages(data.test, Array.from({ length: 64 }, (_, i) => i), pixelTransform(s)), [64, 784]);
    const raw = batchImages(data.test, [0]);
    const first = (await tf.slice(x, [0, 0], [1, 784]).data());
    for (let i = 0; i < 784; i += 97) {
      const expected = ((raw[i] * 255) / d.divideBy - (d.mean ?? 0)) / (d.std ?? 1);
      assert.ok(Math.abs(first[i] - expected) <= 1e-5 * Math.max(1, Math.abs(expected)), `pixel ${i}: ${first[i]} vs ${expected}`);
    }
    const params = paramsOf(p);
    const grads = tf.grads((...ps: Tensor[]) => referenceLoss(s, x, Array.from(p.labels), ps))(params);
    close(p.layers[0].weightGrad, await grads[0].data(), `${JSON.stringify(d)}: layer 0 kernel`);
    tf.dispose([x, ...params, ...grads]);
  }
});

// ---- update extras: the weights after real steps, against W − lr · transform(tf.grads) on the same batches ----

/** The training batch of `step` (in order) with the spec's pixels. */
function trainBatch(s: ModelSpec, step: number): { x: Tensor2D; labels: number[] } {
  const B = s.batchSize;
  const idx = Array.from({ length: B }, (_, r) => (step * B + r) % data.train.count);
  return { x: backend.tf.tensor2d(batchImages(data.train, idx, pixelTransform(s)), [B, 784]), labels: idx.map((i) => data.train.labels[i]) };
}

async function weightsAfter(s: ModelSpec): Promise<ProbeData[]> {
  return probesOf({ ...s }, 1);
}

async function expectUpdate(s: ModelSpec, steps: number, expected: (w0: Float32Array[], gradsPerStep: Float32Array[][]) => Float32Array[]): Promise<void> {
  const tf = backend.tf;
  const probes = await weightsAfter({ ...s, steps });
  const gradsPerStep: Float32Array[][] = [];
  for (let k = 0; k < steps; k++) {
    const params = paramsOf(probes[k]);
    const { x, labels } = trainBatch(s, k);
    const masks = s.layers.map((layer, l) => {
      if (!layer.dropout || l === s.layers.length - 1) return undefined;
      const rng = Rng.derive(s.seed, 3000 + l, k);
      const m = new Float32Array(s.batchSize * layer.units);
      for (let i = 0; i < m.length; i++) m[i] = rng.next() < layer.dropout ? 0 : 1 / (1 - layer.dropout);
      return tf.tensor2d(m, [s.batchSize, layer.units]);
    });
    const grads = tf.grads((...ps: Tensor[]) => referenceLoss(s, x, labels, ps, masks))(params);
    gradsPerStep.push(await Promise.all(grads.map(async (g) => new Float32Array(await g.data()))));
    tf.dispose([x, ...params, ...grads, ...masks.filter((m): m is Tensor2D => m !== undefined)]);
  }
  const w0 = probes[0].layers.flatMap((l) => [l.weights, l.bias]);
  const want = expected(w0, gradsPerStep);
  const got = probes[steps].layers.flatMap((l) => [l.weights, l.bias]);
  got.forEach((g, i) => close(g, want[i], `param ${i} after ${steps} steps`));
}

const sgdStep = (w: Float32Array, g: Float32Array, lr: number): Float32Array => w.map((x, i) => x - lr * g[i]);
const norm = (gs: Float32Array[]): number => Math.sqrt(gs.reduce((n, g) => n + g.reduce((m, x) => m + x * x, 0), 0));

test('dropout: inverted masks on the hidden output in training, the gradient through them', async () => {
  const s = spec({ objective: { loss: 'crossEntropy', from: 'logits' } }, 'linear', { dropout: 0.5 });
  await expectUpdate(s, 1, (w0, [g]) => w0.map((w, i) => sgdStep(w, g[i], 0.1)));
});

test('kernel regulariser l2 joins the loss and the gradient (Keras kernel_regularizer)', async () => {
  const s = spec({ objective: { loss: 'crossEntropy', from: 'logits' } }, 'linear', { kernelRegularizer: { l2: 0.01 } });
  await expectUpdate(s, 1, (w0, [g]) => w0.map((w, i) => sgdStep(w, g[i], 0.1)));
});

test('weight decay (torch): g + wd·w on every parameter', async () => {
  const s = spec({ objective: { loss: 'crossEntropy', from: 'logits' }, optimizer: { type: 'sgd', learningRate: 0.1, weightDecay: 0.05 } });
  await expectUpdate(s, 1, (w0, [g]) => w0.map((w, i) => sgdStep(w, g[i].map((x, k) => x + 0.05 * w[k]), 0.1)));
});

test('global norm clipping scales every gradient by max / norm', async () => {
  const s = spec({ objective: { loss: 'crossEntropy', from: 'logits', reduction: 'sum' }, optimizer: { type: 'sgd', learningRate: 0.01, globalClipNorm: 1 } });
  await expectUpdate(s, 1, (w0, [g]) => {
    const n = norm(g);
    assert.ok(n > 1, `the case clips (norm ${n})`);
    return w0.map((w, i) => sgdStep(w, g[i].map((x) => x / n), 0.01));
  });
});

test('value clipping and per-tensor norm clipping', async () => {
  const s = spec({ objective: { loss: 'crossEntropy', from: 'logits', reduction: 'sum' }, optimizer: { type: 'sgd', learningRate: 0.01, clipValue: 0.5 } });
  await expectUpdate(s, 1, (w0, [g]) => w0.map((w, i) => sgdStep(w, g[i].map((x) => Math.max(-0.5, Math.min(0.5, x))), 0.01)));
  const t = spec({ objective: { loss: 'crossEntropy', from: 'logits', reduction: 'sum' }, optimizer: { type: 'adam', learningRate: 0.001, clipNorm: 0.5 } });
  // adam's first step moves every parameter by ≈ lr·sign(g): clipping changes nothing there — check it trains finite instead
  const probes = await weightsAfter({ ...t, steps: 2 });
  assert.ok(probes[2].layers.every((l) => l.weights.every(Number.isFinite)));
});

test('no bias: it stays at its initial zeros', async () => {
  const s = spec({ objective: { loss: 'crossEntropy', from: 'logits' } }, 'linear', { useBias: false, biasInitializer: 'zeros' });
  const probes = await weightsAfter({ ...s, steps: 3 });
  assert.ok(probes[3].layers[0].bias.every((b) => b === 0));
  assert.ok(probes[3].layers[1].bias.some((b) => b !== 0), 'the other layer has its bias');
});

test('accumulated gradients (no zero_grad): step k applies the sum of the gradients so far', async () => {
  const s = spec({ objective: { loss: 'crossEntropy', from: 'logits' }, accumulateGradients: true, optimizer: { type: 'sgd', learningRate: 0.05 } });
  await expectUpdate(s, 2, (w0, [g0, g1]) => w0.map((w, i) => {
    const afterFirst = sgdStep(w, g0[i], 0.05);
    return sgdStep(afterFirst, g0[i].map((x, k) => x + g1[i][k]), 0.05);
  }));
});

test('schedules: exponential, step and piecewise rates per step, on SGD and Adam', async () => {
  const s = spec({ objective: { loss: 'crossEntropy', from: 'logits' }, optimizer: { type: 'sgd', learningRate: 0.2, schedule: { type: 'step', stepSize: 1, gamma: 0.5 } } });
  await expectUpdate(s, 2, (w0, [g0, g1]) => w0.map((w, i) => sgdStep(sgdStep(w, g0[i], 0.2), g1[i], 0.1)));
  const e = spec({ objective: { loss: 'crossEntropy', from: 'logits' }, optimizer: { type: 'sgd', learningRate: 0.2, schedule: { type: 'piecewise', boundaries: [1], values: [0.2, 0.02] } } });
  await expectUpdate(e, 2, (w0, [g0, g1]) => w0.map((w, i) => sgdStep(sgdStep(w, g0[i], 0.2), g1[i], 0.02)));
  // Adam: the rate reaches the update (its first step moves by ≈ lr: 0.01, then 0.001)
  const a = spec({ objective: { loss: 'crossEntropy', from: 'logits' }, optimizer: { type: 'adam', learningRate: 0.01, schedule: { type: 'exponential', decaySteps: 1, decayRate: 0.1, staircase: true } } });
  const probes = await weightsAfter({ ...a, steps: 2 });
  const move = (k: number): number => Math.max(...probes[k + 1].layers[0].weights.map((w, i) => Math.abs(w - probes[k].layers[0].weights[i])));
  assert.ok(Math.abs(move(0) - 0.01) < 1e-3, `first step ≈ 0.01 (${move(0)})`);
  assert.ok(move(1) < 0.0025, `second step at 0.001 (${move(1)})`);
});
}
