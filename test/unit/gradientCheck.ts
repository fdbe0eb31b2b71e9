// Shared by the gradient tests (not a test itself): the trainer's explicit backprop against TensorFlow.js's own
// autodiff (tf.grads) on the probe batch, for a given backend and spec. test/unit/gradients.test.ts runs it on wasm,
// test/native/trainer.test.ts on tensorflow.
import assert from 'node:assert/strict';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import type { LoadedBackend } from '../../src/core/backend';
import { batchImages, type MnistData } from '../../src/core/mnist';
import { train } from '../../src/core/trainer';
import { parseSpec, type Activation, type ModelSpec } from '../../src/core/spec';
import { smallMlp } from './helpers';
import type { ProbeData } from '../../src/core/events';

export const ACTIVATIONS_UNDER_TEST: Activation[] = ['relu', 'sigmoid', 'tanh', 'elu', 'selu', 'leakyRelu', 'linear'];

/** 784-256-256-10: wide enough that the wasm backward takes its transposed route for dLoss/dh (probe batch 64). */
export const wide = (activation: Activation): ModelSpec => parseSpec({
  name: `wide-${activation}`,
  layers: [
    { units: 256, activation, kernelInitializer: 'heNormal', biasInitializer: { type: 'randomUniform', minval: -0.1, maxval: 0.1 } },
    { units: 256, activation, kernelInitializer: 'heNormal', biasInitializer: { type: 'randomUniform', minval: -0.1, maxval: 0.1 } },
    { units: 10, activation: 'softmax', kernelInitializer: 'glorotUniform' },
  ],
  optimizer: { type: 'sgd', learningRate: 0.1 },
  steps: 1,
});

export const gradientCases: [string, (a: Activation) => ModelSpec][] = [['784-32-16-10', (a) => smallMlp(a, { steps: 1 })], ['784-256-256-10', wide]];

export async function checkAgainstTfGrads(backend: LoadedBackend, data: MnistData, spec: ModelSpec): Promise<void> {
  const { tf } = backend;
  let probe: ProbeData | undefined;
  await train(spec, { backend, data, probeEvery: 1, probeExamples: 64, onProbe: (p) => { probe ??= p; } });
  assert.ok(probe);
  const p = probe;
  const x = tf.tensor2d(batchImages(data.test, Array.from({ length: 64 }, (_, i) => i)), [64, 784]);
  const onehot = tf.oneHot(tf.tensor1d(Array.from(p.labels), 'int32'), 10);
  const params = p.layers.flatMap((l) => [tf.tensor2d(l.weights, [l.fanIn, l.units]), tf.tensor1d(l.bias)]);
  const act = (z: Tensor, a: Activation): Tensor => {
    switch (a) {
      case 'relu': return tf.relu(z);
      case 'sigmoid': return tf.sigmoid(z);
      case 'tanh': return tf.tanh(z);
      case 'elu': return tf.elu(z);
      case 'selu': return tf.selu(z);
      case 'leakyRelu': return tf.leakyRelu(z, 0.2);
      default: return z;
    }
  };
  const lossOf = (...ps: Tensor[]): Tensor => {
    let h: Tensor = x;
    for (let l = 0; l < p.layers.length; l++) {
      const z = tf.add(tf.matMul(h as Tensor2D, ps[2 * l] as Tensor2D), ps[2 * l + 1]);
      h = l === p.layers.length - 1 ? z : act(z, p.layers[l].activation);
    }
    return tf.losses.softmaxCrossEntropy(onehot, h);
  };
  const grads = tf.grads(lossOf)(params);
  const ref = await Promise.all(grads.map((g) => g.data()));
  assert.ok(Math.abs((await lossOf(...params).data())[0] - p.loss) < 1e-4, 'probe loss matches');
  p.layers.forEach((l, i) => {
    for (const [ours, theirs, what] of [[l.weightGrad, ref[2 * i], 'kernel'], [l.biasGrad, ref[2 * i + 1], 'bias']] as const) {
      let maxErr = 0;
      let scale = 0;
      for (let k = 0; k < ours.length; k++) {
        maxErr = Math.max(maxErr, Math.abs(ours[k] - theirs[k]));
        scale = Math.max(scale, Math.abs(theirs[k]));
      }
      assert.ok(maxErr <= 1e-5 + 1e-3 * scale, `layer ${i} ${what}: max |diff| ${maxErr} vs scale ${scale}`);
    }
  });
  tf.dispose([x, onehot, ...params, ...grads]);
}

