// The trainer's explicit backprop against TensorFlow.js's own autodiff (tf.grads) on the probe batch, on wasm
// (test/native/trainer.test.ts runs the same check on tensorflow): a small MLP, and one wide enough that the wasm
// backward takes its transposed route for dLoss/dh (docs/performance.md).
// tfjs-core registers its gradient functions only through its ES-module entry, so scripts/build.mjs
// bundles this file (out/test/unit/gradients.test.js) instead of transpiling it 1:1.
import { test, before } from 'node:test';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { selectBackend, type LoadedBackend } from '../../src/core/backend';
import { loadMnist, type MnistData } from '../../src/core/mnist';
import { ACTIVATIONS_UNDER_TEST, checkAgainstTfGrads, gradientCases } from './gradientCheck';

let backend: LoadedBackend;
let data: MnistData;
before(async () => {
  backend = await selectBackend('wasm');
  data = loadMnist();
});

for (const [shape, spec] of gradientCases) {
  for (const activation of ACTIVATIONS_UNDER_TEST) {
    test(`explicit backprop matches tf.grads on the probe batch (wasm, ${shape}, ${activation})`, async () => {
      await checkAgainstTfGrads(backend, data, spec(activation));
    });
  }
}
