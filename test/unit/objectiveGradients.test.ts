// The program parts the trainer runs (test/unit/objectiveChecks.ts) against tf.grads, on wasm and cpu; the same checks run
// on tensorflow in test/native/objective.test.ts. Bundled by scripts/build.mjs (tfjs-core registers its gradients
// only through its ES-module entry).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { selectBackend } from '../../src/core/backend';
import { loadMnist } from '../../src/core/mnist';
import { objectiveChecks } from './objectiveChecks';

let loaded: Promise<{ backend: Awaited<ReturnType<typeof selectBackend>>; data: ReturnType<typeof loadMnist> }> | undefined;
objectiveChecks('wasm', () => (loaded ??= (async () => ({ backend: await selectBackend('wasm'), data: loadMnist() }))()));

// the plain JavaScript backend, the last fallback, computes every part the same way
let cpu: typeof loaded;
objectiveChecks('cpu', () => (cpu ??= (async () => ({ backend: await selectBackend('cpu'), data: loadMnist() }))()));
