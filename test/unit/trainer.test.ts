import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend, type LoadedBackend } from '../../src/core/backend';
import { loadMnist, type MnistData } from '../../src/core/mnist';
import { checkLazyUpload, checkResidentBatches } from './trainerChecks';
import { train, ResidentBatches } from '../../src/core/trainer';
import { smallMlp } from './helpers';
import type { TrainingEvent } from '../../src/core/events';

let backend: LoadedBackend;
let data: MnistData;
before(async () => {
  backend = await selectBackend('wasm');
  data = loadMnist();
});

const spec = smallMlp;

for (const activation of ['relu', 'sigmoid', 'tanh', 'elu', 'selu', 'leakyRelu', 'linear'] as const) {
  test(`no tensor leaks (${activation}): tf.memory().numTensors does not grow with steps, and returns to its start`, async () => {
    const { tf } = backend;
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await train(spec(activation, { steps: 60, optimizer: { type: 'adam', learningRate: 0.001 } }), {
      backend, data, probeEvery: 25, evalEvery: 50, onProbe: () => undefined,
      onEvent: (e) => { if (e.type === 'step') counts.push(tf.memory().numTensors); },
    });
    assert.equal(counts.length, 60);
    const steady = counts.slice(5);
    assert.equal(Math.max(...steady), Math.min(...steady), `tensor count varies: ${[...new Set(steady)]}`);
    assert.equal(tf.memory().numTensors, before);
  });
}

test('no tensor leaks with plain SGD either (its own update path)', async () => {
  const { tf } = backend;
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  await train(spec('tanh', { steps: 40 }), { backend, data, onEvent: (e) => { if (e.type === 'step') counts.push(tf.memory().numTensors); } });
  assert.equal(Math.max(...counts.slice(5)), Math.min(...counts.slice(5)));
  assert.equal(tf.memory().numTensors, before);
});

test('same seed twice gives identical results; another seed does not', async () => {
  const run = async (seed: number) => {
    const losses: number[] = [];
    const r = await train(spec('tanh', { seed, steps: 30 }), { backend, data, onEvent: (e) => { if (e.type === 'step') losses.push(e.loss); } });
    return { acc: r.end.testAccuracy, losses };
  };
  const a = await run(7);
  const b = await run(7);
  const c = await run(8);
  assert.equal(a.acc, b.acc);
  assert.deepEqual(a.losses, b.losses);
  assert.notDeepEqual(a.losses, c.losses);
});

test('batches are taken in order by default, shuffled per epoch from the seed on request', async () => {
  const first = async (shuffle: boolean, seed = 1) => {
    const losses: number[] = [];
    await train(spec('relu', { steps: 3, seed }), { backend, data, shuffle, onEvent: (e) => { if (e.type === 'step') losses.push(e.loss); } });
    return losses;
  };
  const inOrder = await first(false);
  const shuffled = await first(true);
  assert.notDeepEqual(inOrder, shuffled);
  assert.deepEqual(await first(true), shuffled);
});

test('events: start, one step event per step, probes at 0 and every K steps, final eval, end', async () => {
  const events: TrainingEvent[] = [];
  const probeSteps: number[] = [];
  const r = await train(spec('relu', { steps: 25 }), { backend, data, probeEvery: 10, evalEvery: 10, onEvent: (e) => events.push(e), onProbe: (p) => probeSteps.push(p.step) });
  assert.equal(events[0].type, 'start');
  assert.equal(events.filter((e) => e.type === 'step').length, 25);
  assert.deepEqual(events.filter((e) => e.type === 'eval').map((e) => e.type === 'eval' && [e.step, e.final]), [[10, false], [20, false], [25, true]]);
  assert.deepEqual(probeSteps, [0, 10, 20, 25]);
  const end = events.at(-1)!;
  assert.equal(end.type, 'end');
  assert.equal(r.end.steps, 25);
  assert.ok(r.end.trainMs > 0 && r.end.probeMs > 0 && r.end.probeMs < r.end.trainMs);
  const ev = r.finalEval!;
  assert.equal(ev.testExamples, 10000);
  assert.equal(ev.predictedCounts.reduce((a, b) => a + b, 0), 10000);
});

test('a run can be cancelled between steps', async () => {
  const ac = new AbortController();
  const r = await train(spec('relu', { steps: 500 }), { backend, data, signal: ac.signal, onEvent: (e) => { if (e.type === 'step' && e.step === 5) ac.abort(); } });
  assert.equal(r.end.stopped, true);
  assert.equal(r.end.steps, 5);
});

test('in-order batches uploaded at first use (the editor\'s training process) train exactly as those uploaded first', async () => {
  await checkLazyUpload(backend, data, spec('relu', { steps: 40, batchSize: 50 }));
});

test('resident batches: in order, wrapping around the training set (wasm: batch sizes that divide it)', () => {
  const split = { ...data.train, count: 25 };
  checkResidentBatches(backend, split, 5, 12, 10); // five resident batches, reused every epoch
  assert.equal(ResidentBatches.usable(backend.tf, split, { ...smallMlp('relu'), batchSize: 4 }, false), false, 'on wasm, a batch size that does not divide is gathered per step');
});

