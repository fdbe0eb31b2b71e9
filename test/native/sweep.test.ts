// Sweeps trained together (src/core/sweep.ts) on the REAL tfjs-node: the tensorflow backend's own paths (MatMul as
// BatchMatMulV2, ReluGrad, BiasAddGrad called directly, the unfused forward, resident batches) on the shared
// first-layer product must give every variant exactly its numbers alone (test/unit/sweepChecks.ts), as on wasm and
// cpu in test/unit/sweep.test.ts. Skipped, saying why, where tfjs-node is not usable (test/native/native.ts).
import { test, before } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { selectBackend, type LoadedBackend } from '../../src/core/backend';
import { loadMnist, type MnistData } from '../../src/core/mnist';
import { parseSpec, type ModelSpec } from '../../src/core/spec';
import { findPreset } from '../../src/core/presets';
import { sweepVariants } from '../../src/core/sweeps';
import { cliJson, smallMlp } from '../unit/helpers';
import { checkIdenticalToAlone } from '../unit/sweepChecks';
import { cliNativeArgs, nativePath, requireNativeWhereDemanded, skip } from './native';

requireNativeWhereDemanded('sweep');

let backend: LoadedBackend;
let data: MnistData;
before(async () => {
  if (skip) return;
  backend = await selectBackend('tensorflow', {}, { nativePath });
  data = loadMnist();
});

test('on tensorflow: the seed MLP\'s init sweep (five variants stacked — zeros as written is not repeated: one first-layer product, one batched second layer) gives each variant exactly its numbers alone', { skip }, async () => {
  assert.equal(backend.tf.getBackend(), 'tensorflow');
  const specs = sweepVariants({ ...findPreset('seed-mlp-zeros')!.spec, steps: 60 }, 'init').map((v) => v.spec);
  const r = await checkIdenticalToAlone(backend, data, specs, { probeEvery: 20, evalEvery: 40 });
  assert.equal(r.together, true);
  assert.deepEqual(r.groups, [[0, 1, 2, 3, 4]]);
});

test('on tensorflow: two hidden layers, learning rates (a schedule, one blowing up), objectives and activation groups', { skip }, async () => {
  const base = smallMlp('relu', { steps: 30 });
  const specs = [
    ...sweepVariants(base, 'learningRate').map((v) => v.spec),
    { ...base, name: 'too fast', optimizer: { type: 'sgd' as const, learningRate: 1e8 } },
    { ...base, name: 'stepped', optimizer: { type: 'sgd' as const, learningRate: 0.3, schedule: { type: 'step' as const, stepSize: 3, gamma: 0.5 } } },
    parseSpec({ ...base, name: 'tanh-logits', layers: base.layers.map((l, i) => (i < 2 ? { ...l, activation: 'tanh' } : i === 2 ? { ...l, activation: 'linear' } : l)), objective: { loss: 'crossEntropy', from: 'logits', reduction: 'sum' } }),
    ...sweepVariants(base, 'activation').map((v) => v.spec).slice(1),
  ];
  const r = await checkIdenticalToAlone(backend, data, specs, { probeEvery: 10 });
  assert.ok(r.records[3].steps.some((s) => Number.isNaN(s.loss)), 'the fast variant reaches NaN');
  assert.ok(r.records[1].steps.every((s) => Number.isFinite(s.loss)), 'and the others are not touched by it');
  assert.equal(r.together, true);
  assert.deepEqual(r.groups, [[0, 1, 2, 3, 4], [5, 6], [7], [8], [9]], 'relu; tanh; sigmoid; leakyRelu; elu');
});

test('on tensorflow: a one-layer model, lockstep, and a batch size that does not divide 60,000 (rows sliced from resident chunks)', { skip }, async () => {
  const soft = sweepVariants({ ...findPreset('seed-softmax-zeros')!.spec, steps: 30 }, 'init').map((v) => v.spec);
  assert.deepEqual((await checkIdenticalToAlone(backend, data, soft, { probeEvery: 7 })).groups, [[0, 1, 2, 3, 4]]);
  const odd = sweepVariants(smallMlp('relu', { steps: 20, batchSize: 128 }), 'init').map((v) => v.spec);
  assert.deepEqual((await checkIdenticalToAlone(backend, data, odd, { probeEvery: 10, layout: 'lockstep' })).groups, [[0], [1], [2], [3], [4], [5]]);
  assert.deepEqual((await checkIdenticalToAlone(backend, data, odd, { probeEvery: 10, layout: 'concat' })).groups, [[0, 1, 2, 3, 4, 5]]);
  assert.deepEqual((await checkIdenticalToAlone(backend, data, odd, { probeEvery: 10 })).groups, [[0, 1, 2, 3, 4, 5]], 'stacked, the default');
});

test('on tensorflow with 2 intra-op threads (the CLI in its own process): each variant of a sweep has the test loss and accuracy of its run alone', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-sweep-'));
  try {
    const common = ['--steps', '40', '--backend', 'tensorflow', '--threads', '2', '--probe-every', '20', ...cliNativeArgs()];
    const sweep = cliJson<{ together: boolean; backendInfo: { threads: number }; variants: { label: string; spec: ModelSpec; testAccuracy: number; testLoss: number }[] }>(['train', '--preset', 'seed-mlp-uniform', '--sweep', 'init', ...common]);
    assert.equal(sweep.together, true);
    assert.equal(sweep.backendInfo.threads, 2);
    for (const i of [0, 2, 4]) {
      const v = sweep.variants[i];
      const file = join(dir, `v${i}.json`);
      writeFileSync(file, JSON.stringify(v.spec));
      const alone = cliJson<{ testAccuracy: number; testLoss: number }>(['train', '--spec', file, ...common]);
      assert.equal(v.testAccuracy, alone.testAccuracy, v.label);
      assert.equal(v.testLoss, alone.testLoss, v.label);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
