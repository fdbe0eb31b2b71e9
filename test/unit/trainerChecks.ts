// Shared by the trainer tests (not a test itself): checks that test/unit/trainer.test.ts runs on wasm and
// test/native/trainer.test.ts on tensorflow.
import assert from 'node:assert/strict';
import type { LoadedBackend } from '../../src/core/backend';
import { batchImages, type MnistData, type MnistSplit } from '../../src/core/mnist';
import { train, ResidentBatches } from '../../src/core/trainer';
import type { ModelSpec } from '../../src/core/spec';

/** Every batch `get` returns is rows step·b … step·b + b − 1 (mod the split's size): uploaded first, or at first use (lazy). */
export function checkResidentBatches(lb: LoadedBackend, split: MnistSplit, b: number, steps: number, chunkRows: number): void {
  for (const lazy of [false, true]) checkResident(lb, split, b, steps, chunkRows, lazy);
}

function checkResident(lb: LoadedBackend, split: MnistSplit, b: number, steps: number, chunkRows: number, lazy: boolean): void {
  const r = new ResidentBatches(lb.tf, split, b, steps, chunkRows, undefined, lazy);
  try {
    for (let step = 0; step < steps; step++) {
      const { x, owned } = r.get(step);
      assert.deepEqual(x.shape, [b, 784]);
      const expected = batchImages(split, Array.from({ length: b }, (_, i) => (step * b + i) % split.count));
      assert.deepEqual(x.dataSync(), expected, `batch ${step} (batch size ${b}, chunks of ${chunkRows}${lazy ? ', uploaded at first use' : ''})`);
      if (owned) x.dispose();
    }
  } finally {
    r.dispose();
  }
}

/** A run leaves no tensor behind and holds a steady number of tensors from step 5 on (probes and evals included). */
export async function checkTrainLeaks(b: LoadedBackend, data: MnistData, spec: ModelSpec): Promise<void> {
  const { tf } = b;
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  await train(spec, {
    backend: b, data, probeEvery: 25, evalEvery: 50, onProbe: () => undefined,
    onEvent: (e) => { if (e.type === 'step') counts.push(tf.memory().numTensors); },
  });
  assert.equal(counts.length, spec.steps);
  const steady = counts.slice(5);
  assert.equal(Math.max(...steady), Math.min(...steady), `tensor count varies: ${[...new Set(steady)]}`);
  assert.equal(tf.memory().numTensors, before);
}

/**
 * In-order batches uploaded at first use (uploadAhead: false, the editor's training process) train exactly as those
 * uploaded first: the same loss at every step, the same final evaluation; and nothing is left behind.
 */
export async function checkLazyUpload(b: LoadedBackend, data: MnistData, spec: ModelSpec): Promise<void> {
  const { tf } = b;
  const before = tf.memory().numTensors;
  const losses = async (uploadAhead: boolean): Promise<{ losses: number[]; accuracy: number; loss: number }> => {
    const out: number[] = [];
    const r = await train(spec, { backend: b, data, probeEvery: 10, evalEvery: 0, uploadAhead, onEvent: (e) => { if (e.type === 'step') out.push(e.loss); } });
    return { losses: out, accuracy: r.end.testAccuracy, loss: r.end.testLoss };
  };
  const ahead = await losses(true);
  const lazy = await losses(false);
  assert.equal(lazy.losses.length, spec.steps);
  assert.deepEqual(lazy, ahead);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
}
