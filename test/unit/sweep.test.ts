// Sweeps trained together (src/core/sweep.ts) on the wasm and the JS cpu backend: every variant's numbers are
// identical to training it alone with trainer.ts (test/unit/sweepChecks.ts), with a shared first-layer product,
// with per-activation groups, for a one-layer model, in lockstep, with learning-rate schedules and different
// objectives; what cannot be batched identically trains one after another and says why. The same checks run on
// the real tfjs-node in test/native/sweep.test.ts.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend, type LoadedBackend } from '../../src/core/backend';
import { loadMnist, type MnistData } from '../../src/core/mnist';
import { parseSpec, type ModelSpec } from '../../src/core/spec';
import { findPreset } from '../../src/core/presets';
import { sweepVariants } from '../../src/core/sweeps';
import { trainTogether, whyNotTogether } from '../../src/core/sweep';
import { join } from 'node:path';
import { cliJson, repoRoot, runCli, smallMlp } from './helpers';
import { checkIdenticalToAlone } from './sweepChecks';

let data: MnistData;
const backends: Record<string, LoadedBackend> = {};
before(async () => {
  data = loadMnist();
});
async function on(name: 'wasm' | 'cpu'): Promise<LoadedBackend> {
  const b = await selectBackend(name);
  backends[name] = b;
  assert.equal(b.tf.getBackend(), name);
  return b;
}

/** 784-32-16-10 with `activation` in both hidden layers, `steps` steps. */
const small = (steps: number, extra: Partial<ModelSpec> = {}): ModelSpec => smallMlp('relu', { steps, ...extra });

// The generator is core/sweeps.ts (one for the editor, the CLI and the bench since the two were unified): the variant
// as written first, an initialiser equal to the layer's own not repeated, labels without the layer (the title has it).
test('sweepVariants: init gives the spec\'s own and the five initialisers on every hidden layer (or one layer), named and valid', () => {
  const seed = findPreset('seed-mlp-zeros')!.spec;
  const v = sweepVariants(seed, 'init');
  assert.deepEqual(v.map((x) => x.label), ['as written (zeros)', 'N(0, 1)', 'U(±0.01)', 'Glorot uniform', 'He normal']);
  assert.deepEqual(v.map((x) => x.spec.layers[0].kernelInitializer), ['zeros', { type: 'randomNormal', mean: 0, stddev: 1 }, { type: 'randomUniform', minval: -0.01, maxval: 0.01 }, 'glorotUniform', 'heNormal']);
  assert.deepEqual(v.map((x) => x.asWritten), [true, false, false, false, false]);
  for (const x of v) {
    assert.deepEqual(x.spec.layers[1], seed.layers[1], 'the output layer is left alone');
    assert.equal(x.spec.seed, seed.seed);
    assert.match(x.spec.name, /^seed-mlp-zeros · /);
  }
  const two = sweepVariants(small(5), 'init');
  assert.equal(two.length, 6, 'no initialiser equals both layers\' own');
  assert.equal(two[5].spec.layers[0].kernelInitializer, 'heNormal');
  assert.equal(two[5].spec.layers[1].kernelInitializer, 'heNormal');
  assert.equal(two[5].spec.layers[2].kernelInitializer, 'glorotUniform');
  assert.equal(two[0].label, 'as written (glorotNormal, heUniform)');
  assert.equal(two[5].change, 'layers 1, 2 kernel: glorotNormal, heUniform → heNormal');
  assert.equal(sweepVariants(small(5), 'init', 2)[1].spec.layers[2].kernelInitializer, 'zeros');
  assert.throws(() => sweepVariants(small(5), 'init', 3), /layer 3 does not exist/);
});

test('sweepVariants: learning rate × 0.1, × 1, × 10 (a piecewise schedule scaled too); activations on the hidden layers only', () => {
  const seed = findPreset('seed-mlp-uniform')!.spec;
  const lr = sweepVariants(seed, 'learningRate');
  assert.deepEqual(lr.map((x) => x.spec.optimizer.learningRate), [0.5, 0.05, 5]);
  assert.deepEqual(lr.map((x) => x.label), ['as written (lr 0.5)', 'lr ×0.1 (0.05)', 'lr ×10 (5)']);
  const pw = sweepVariants({ ...seed, optimizer: { type: 'sgd', learningRate: 0.5, schedule: { type: 'piecewise', boundaries: [10], values: [0.5, 0.1] } } }, 'learningRate');
  assert.deepEqual(pw[2].spec.optimizer.schedule, { type: 'piecewise', boundaries: [10], values: [5, 1] });
  const act = sweepVariants(small(5), 'activation');
  assert.deepEqual(act.map((x) => x.spec.layers.map((l) => l.activation)), [['relu', 'relu', 'softmax'], ['tanh', 'tanh', 'softmax'], ['sigmoid', 'sigmoid', 'softmax'], ['leakyRelu', 'leakyRelu', 'softmax'], ['elu', 'elu', 'softmax']]);
  assert.throws(() => sweepVariants(findPreset('seed-softmax-zeros')!.spec, 'activation'), /no hidden layer/);
  assert.throws(() => sweepVariants(seed, 'activation', 1), /output layer/);
});

test('whyNotTogether: names what keeps variants apart', () => {
  const s = small(5);
  assert.equal(whyNotTogether([s, { ...s, seed: 7 }]), undefined, 'seeds may differ when batches are in order');
  assert.match(whyNotTogether([s, { ...s, seed: 7 }], true)!, /shuffles with seed 7/);
  assert.match(whyNotTogether([s, { ...s, optimizer: { type: 'adam', learningRate: 0.001 } }])!, /uses adam: only plain SGD/);
  assert.match(whyNotTogether([s, { ...s, batchSize: 50 }])!, /batch size 50/);
  assert.match(whyNotTogether([s, smallMlp('relu', { steps: 6 })])!, /trains 6 steps/);
  assert.match(whyNotTogether([s, findPreset('seed-mlp-uniform')!.spec])!, /architecture must be the same/);
  assert.match(whyNotTogether([s, { ...s, layers: s.layers.map((l, i) => (i === 0 ? { ...l, dropout: 0.5 } : l)) }])!, /dropout/);
  assert.match(whyNotTogether([s, { ...s, optimizer: { ...s.optimizer, clipNorm: 1 } }])!, /update extras/);
  assert.match(whyNotTogether([s, { ...s, data: { divideBy: 1, mean: 0, std: 1 } }])!, /reads its data differently/);
});

for (const name of ['wasm', 'cpu'] as const) {
  // The JS cpu backend is ≈ 25× slower than wasm: fewer steps there.
  const steps = name === 'wasm' ? 30 : 8;

  test(`on ${name}: an init sweep (six variants, one shared first-layer product; ${name === 'wasm' ? 'the later layers per variant' : 'the later layers stacked'}) gives each variant exactly its numbers alone`, async () => {
    const backend = await on(name);
    const specs = sweepVariants(small(steps), 'init').map((v) => v.spec);
    // wasm: the shared first layer with the later layers per variant (its default is lockstep); cpu: its default,
    // the later layers stacked into batched products too
    const r = await checkIdenticalToAlone(backend, data, specs, { probeEvery: name === 'wasm' ? 10 : 4, evalEvery: name === 'wasm' ? 20 : 0, layout: name === 'wasm' ? 'concat' : undefined });
    assert.equal(r.together, true);
    assert.deepEqual(r.groups, [[0, 1, 2, 3, 4, 5]]);
  });

  test(`on ${name}: learning rates (one with a schedule) and objectives differ per variant; activations form groups (${name === 'wasm' ? 'stacked asked for: concat' : 'stacked'})`, async () => {
    const backend = await on(name);
    const base = small(steps);
    const specs = [
      ...sweepVariants(base, 'learningRate').map((v) => v.spec),
      { ...base, name: 'stepped', optimizer: { type: 'sgd' as const, learningRate: 0.3, schedule: { type: 'step' as const, stepSize: 3, gamma: 0.5 } } },
      parseSpec({ ...base, name: 'mse-sigmoid', layers: base.layers.map((l, i) => (i === 2 ? { ...l, activation: 'sigmoid' } : l)), objective: { loss: 'meanSquaredError', from: 'probabilities', reduction: 'mean' } }),
      parseSpec({ ...base, name: 'tanh', layers: base.layers.map((l, i) => (i < 2 ? { ...l, activation: 'tanh' } : l)) }),
      parseSpec({ ...base, name: 'tanh-logits', layers: base.layers.map((l, i) => (i < 2 ? { ...l, activation: 'tanh' } : i === 2 ? { ...l, activation: 'linear' } : l)), objective: { loss: 'crossEntropy', from: 'logits', reduction: 'sum' } }),
    ];
    const r = await checkIdenticalToAlone(backend, data, specs, { probeEvery: 5, layout: 'stacked' });
    assert.equal(r.together, true);
    assert.deepEqual(r.groups, [[0, 1, 2, 3, 4], [5, 6]]);
  });

  test(`on ${name}: a one-layer model (softmax regression) shares its product and reads its logits once; lockstep gives the same numbers`, async () => {
    const backend = await on(name);
    const specs = sweepVariants({ ...findPreset('seed-softmax-zeros')!.spec, steps }, 'init').map((v) => v.spec);
    const r = await checkIdenticalToAlone(backend, data, specs, { probeEvery: 7 });
    // as written (zeros) and the four other initialisers (zeros is not repeated) share one product
    assert.deepEqual(r.groups, [[0, 1, 2, 3, 4]]);
    const l = await checkIdenticalToAlone(backend, data, sweepVariants(small(steps), 'activation').map((v) => v.spec), { layout: 'lockstep', probeEvery: 6 });
    assert.deepEqual(l.groups, [[0], [1], [2], [3], [4]], 'relu, tanh, sigmoid, leakyRelu, elu: one each in lockstep');
  });
}

test('on wasm: shuffled batches (same seed) and a learning rate that blows up (NaN) stay identical to the runs alone (lockstep, its default)', async () => {
  const backend = await on('wasm');
  const base = small(25);
  const specs = [base, { ...base, name: 'too fast', optimizer: { type: 'sgd' as const, learningRate: 1e8 } }, { ...base, name: 'zeros', layers: base.layers.map((l) => ({ ...l, kernelInitializer: 'zeros' as const })) }];
  const r = await checkIdenticalToAlone(backend, data, specs, { shuffle: true, probeEvery: 5 });
  assert.ok(r.records[1].steps.some((s) => Number.isNaN(s.loss)), 'the fast variant reaches NaN');
  assert.ok(r.records[0].steps.every((s) => Number.isFinite(s.loss)), 'and the others are not touched by it');
  assert.deepEqual(r.groups, [[0], [1], [2]]);
});

test('on wasm: variants that cannot be batched identically (Adam) train one after another with the reason, same numbers', async () => {
  const backend = await on('wasm');
  const base = small(10, { optimizer: { type: 'adam', learningRate: 0.001 } });
  const r = await checkIdenticalToAlone(backend, data, sweepVariants(base, 'learningRate').map((v) => v.spec), { probeEvery: 5 });
  assert.equal(r.together, false);
  assert.match(r.reason!, /adam/);
});

test('CLI: train --preset … --sweep learningRate --json prints one object with every variant, trained together, identical to the run alone', () => {
  const r = cliJson<{ sweep: string; together: boolean; groups: number[][]; backend: string; variants: { label: string; testAccuracy: number; testLoss: number; steps: number; findings: { code: string }[]; spec: ModelSpec }[] }>(
    ['train', '--preset', 'seed-mlp-uniform', '--sweep', 'learningRate', '--steps', '40', '--backend', 'wasm', '--probe-every', '20']);
  assert.equal(r.sweep, 'learningRate');
  assert.equal(r.together, true);
  assert.equal(r.backend, 'wasm');
  assert.deepEqual(r.groups, [[0], [1], [2]], 'lockstep, the default on wasm');
  assert.deepEqual(r.variants.map((v) => v.label), ['as written (lr 0.5)', 'lr ×0.1 (0.05)', 'lr ×10 (5)']);
  assert.deepEqual(r.variants.map((v) => v.spec.optimizer.learningRate), [0.5, 0.05, 5]);
  assert.ok(r.variants.every((v) => v.steps === 40 && Array.isArray(v.findings)));
  // × 1 is the preset itself: the same numbers as training it alone through the CLI
  const alone = cliJson<{ testAccuracy: number; testLoss: number }>(['train', '--preset', 'seed-mlp-uniform', '--steps', '40', '--backend', 'wasm', '--probe-every', '20']);
  assert.equal(r.variants[0].testAccuracy, alone.testAccuracy);
  assert.equal(r.variants[0].testLoss, alone.testLoss);
});

test('CLI: train SOURCE_FILE --sweep init prints a table of the variants with their findings; bad --sweep values are usage errors', () => {
  const r = runCli(['train', join(repoRoot, 'test', 'fixtures', 'mnist_mlp_zeros.py'), '--sweep', 'init', '--steps', '30', '--backend', 'wasm', '--probe-every', '10']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /^Sweep of init on .* 5 variants on the wasm backend, trained together \(in lockstep\)/);
  assert.match(lines[2], /^variant\s+test accuracy\s+test loss\s+findings$/);
  assert.match(lines[3], /^as written \(zeros\)\s+0\.1135\s+\d\.\d{4}\s+.*dead-units/);
  assert.deepEqual(lines.slice(4, 8).map((l) => l.split(/\s{2,}/)[0]), ['N(0, 1)', 'U(±0.01)', 'Glorot uniform', 'He normal']);
  const bad = runCli(['train', '--preset', 'seed-mlp-zeros', '--sweep', 'inits']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--sweep takes init, learningRate, activation; got "inits" \(did you mean init\?\)/);
  const none = runCli(['train', '--preset', 'seed-softmax-zeros', '--sweep', 'activation']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /no hidden layer/);
  const both = runCli(['train', '--compare', 'seed', '--sweep', 'init']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /not --compare/);
});

test('on wasm: a sweep stops between steps when asked: every variant ends at the same step, stopped, with its final evaluation', async () => {
  const backend = await on('wasm');
  const { tf } = backend;
  const before = tf.memory().numTensors;
  const stop = new AbortController();
  const ends: { steps: number; stopped: boolean; testAccuracy: number }[] = [];
  const r = await trainTogether(sweepVariants(small(50), 'init').map((v) => v.spec).slice(0, 3), {
    backend, data, probeEvery: 10, signal: stop.signal, layout: 'concat',
    onEvent: (k, e) => {
      if (e.type === 'step' && k === 2 && e.step === 7) stop.abort();
      if (e.type === 'end') ends[k] = e;
    },
  });
  assert.equal(r.together, true);
  assert.deepEqual(ends.map((e) => [e.steps, e.stopped]), [[7, true], [7, true], [7, true]]);
  assert.ok(ends.every((e) => e.testAccuracy > 0));
  assert.equal(tf.memory().numTensors, before);
});
