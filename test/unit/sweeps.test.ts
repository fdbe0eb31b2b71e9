// core/sweeps.ts: the variants "Compare initialisations / learning rates / activations" trains — each the
// spec with exactly one change, the spec as written first. The one generator of the editor, the CLI and the bench.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPreset } from '../../src/core/presets';
import { validateSpec } from '../../src/core/spec';
import { SWEEP_KINDS, sweepOf, sweepVariants } from '../../src/core/sweeps';

const zeros = findPreset('seed-mlp-zeros')!.spec;
const twoHidden = findPreset('two-hidden-momentum')!.spec;

const without = (s: unknown, drop: (x: Record<string, unknown>) => void) => { const c = structuredClone(s) as Record<string, unknown>; drop(c); return JSON.stringify(c); };

test('init sweep of the seed MLP: as written (zeros), N(0, 1), U(±0.01), Glorot, He — on layer 1\'s kernel only', () => {
  const s = sweepOf(zeros, 'init');
  assert.equal(s.title, 'Compare initialisations of layer 1 (100 relu)');
  assert.deepEqual(s.variants.map((v) => v.label), ['as written (zeros)', 'N(0, 1)', 'U(±0.01)', 'Glorot uniform', 'He normal']);
  assert.deepEqual(s.variants.map((v) => v.spec.layers[0].kernelInitializer), ['zeros', { type: 'randomNormal', mean: 0, stddev: 1 }, { type: 'randomUniform', minval: -0.01, maxval: 0.01 }, 'glorotUniform', 'heNormal']);
  assert.equal(s.variants[4].change, 'layer 1 (100 relu) kernel: zeros → heNormal');
  for (const v of s.variants) {
    assert.ok(validateSpec(v.spec).ok, v.label);
    // Nothing else differs: same spec once the name and that kernel initializer are set aside.
    const rest = (x: Record<string, unknown>) => { delete x.name; (x.layers as Record<string, unknown>[])[0].kernelInitializer = null; };
    assert.equal(without(v.spec, rest), without(zeros, rest), v.label);
  }
  assert.equal(zeros.layers[0].kernelInitializer, 'zeros', 'the spec given is not modified');
  assert.equal(new Set(s.variants.map((v) => v.spec.name)).size, s.variants.length, 'each variant has its own name');
});

test('learning-rate sweep: ×1 first, then ×0.1 and ×10; activation sweep of a chosen hidden layer; bad layers are refused with a reason', () => {
  const lr = sweepOf(zeros, 'learningRate');
  assert.deepEqual(lr.variants.map((v) => v.spec.optimizer.learningRate), [0.5, 0.05, 5]);
  assert.equal(lr.variants[1].change, 'learning rate: 0.5 → 0.05');
  const act = sweepOf(twoHidden, 'activation', 1);
  assert.deepEqual(act.variants.map((v) => v.spec.layers[1].activation), ['relu', 'tanh', 'sigmoid', 'leakyRelu', 'elu']);
  assert.ok(act.variants.every((v) => v.spec.layers[0].activation === 'relu' && v.spec.layers[2].activation === 'softmax'));
  assert.match(act.title, /^Compare activations of layer 2 \(128 relu\)$/);
  assert.throws(() => sweepOf(twoHidden, 'activation', 2), /layer 2 is not a hidden layer .* hidden: 0, 1/);
  assert.throws(() => sweepOf(findPreset('seed-softmax-zeros')!.spec, 'activation'), /has no hidden layer/);
});

test('one generator: the CLI\'s sweepVariants is sweepOf on every hidden layer; the variant as written is marked; a schedule scales with the rate', () => {
  for (const kind of SWEEP_KINDS) {
    assert.deepEqual(sweepVariants(twoHidden, kind), sweepOf(twoHidden, kind, 'all').variants, kind);
    assert.deepEqual(sweepVariants(zeros, kind), sweepOf(zeros, kind).variants, `${kind}: one hidden layer, the same sweep`);
    const s = sweepOf(twoHidden, kind);
    assert.deepEqual(s.variants.map((v) => v.asWritten), s.variants.map((_, k) => k === 0), kind);
    assert.equal(s.variants[0].change, '');
    assert.ok(s.variants.slice(1).every((v) => v.change !== ''));
  }
  const all = sweepOf(twoHidden, 'activation', 'all');
  assert.equal(all.title, 'Compare activations of every hidden layer');
  assert.deepEqual(all.variants.map((v) => v.spec.layers.map((l) => l.activation)), ['relu', 'tanh', 'sigmoid', 'leakyRelu', 'elu'].map((a) => [a, a, 'softmax']));
  const pw = sweepOf({ ...zeros, optimizer: { type: 'sgd', learningRate: 0.5, schedule: { type: 'piecewise', boundaries: [10], values: [0.5, 0.1] } } }, 'learningRate');
  assert.deepEqual(pw.variants.map((v) => v.spec.optimizer.schedule), [0.5, 0.05, 5].map((f) => ({ type: 'piecewise', boundaries: [10], values: [f, Number((f / 5).toPrecision(6))] })));
  assert.throws(() => sweepOf(zeros, 'init', 7), (e: Error) => e instanceof RangeError && /layer 7 does not exist: "seed-mlp-zeros" has layers 0 to 1/.test(e.message));
});
