import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFix, FixError } from '../../src/core/fixes';
import { findPreset } from '../../src/core/presets';
import type { Fix } from '../../src/core/findings';

const zeros = () => findPreset('seed-mlp-zeros')!.spec;

test('an initializer fix replaces exactly that layer\'s kernel initializer and keeps the rest', () => {
  const spec = zeros();
  const fix: Fix = { kind: 'initializer', layer: 0, target: 'kernel', value: 'heNormal', label: 'He normal init' };
  const next = applyFix(spec, fix);
  assert.equal(next.layers[0].kernelInitializer, 'heNormal');
  assert.equal(next.layers[0].biasInitializer, 'zeros');
  assert.equal(next.layers[1].kernelInitializer, 'zeros');
  assert.deepEqual(next.optimizer, spec.optimizer);
  assert.equal(next.steps, spec.steps);
  assert.equal(next.name, 'seed-mlp-zeros + He normal init');
  assert.equal(spec.layers[0].kernelInitializer, 'zeros', 'the original spec is not modified');
});

test('the seed fix U(-0.01, 0.01) on both layers gives the seed-mlp-uniform spec (apart from the name)', () => {
  const u = { type: 'randomUniform', minval: -0.01, maxval: 0.01 } as const;
  let spec = applyFix(zeros(), { kind: 'initializer', layer: 0, target: 'kernel', value: u, label: 'U(-0.01, 0.01)' });
  spec = applyFix(spec, { kind: 'initializer', layer: 1, target: 'kernel', value: u, label: 'U(-0.01, 0.01) out' });
  const want = findPreset('seed-mlp-uniform')!.spec;
  assert.deepEqual({ ...spec, name: '' }, { ...want, name: '' });
});

test('bias, activation, learning-rate and optimizer fixes', () => {
  assert.deepEqual(applyFix(zeros(), { kind: 'initializer', layer: 0, target: 'bias', value: { type: 'constant', value: 0.1 }, label: 'b' }).layers[0].biasInitializer, { type: 'constant', value: 0.1 });
  assert.equal(applyFix(zeros(), { kind: 'activation', layer: 0, value: 'leakyRelu', label: 'leaky' }).layers[0].activation, 'leakyRelu');
  assert.equal(applyFix(zeros(), { kind: 'learningRate', value: 0.05, label: 'lr' }).optimizer.learningRate, 0.05);
  assert.deepEqual(applyFix(zeros(), { kind: 'optimizer', value: { type: 'adam', learningRate: 0.001 }, label: 'adam' }).optimizer, { type: 'adam', learningRate: 0.001 });
});

test('a fix that does not fit the spec is refused with a reason', () => {
  assert.throws(() => applyFix(zeros(), { kind: 'initializer', layer: 5, target: 'kernel', value: 'heNormal', label: 'x' }), (e: unknown) => e instanceof FixError && /layer 5.*2 layers/.test(e.message));
  assert.throws(() => applyFix(zeros(), { kind: 'activation', layer: 0, value: '<img>', label: 'x' }), /unknown activation/);
  assert.throws(() => applyFix(zeros(), { kind: 'activation', layer: 1, value: 'relu', label: 'x' }), /invalid spec.*softmax/);
  assert.throws(() => applyFix(zeros(), { kind: 'learningRate', value: -1, label: 'x' }), /learningRate/);
  assert.throws(() => applyFix(zeros(), { kind: 'initializer', layer: 0, target: 'kernel', value: { type: 'randomUniform', minval: 1, maxval: 0 }, label: 'x' }), /maxval/);
  assert.throws(() => applyFix(zeros(), { kind: 'teleport', label: 'x' } as unknown as Fix), /unknown fix kind/);
});

test('a long name stays within the 200-character limit', () => {
  const spec = { ...zeros(), name: 'n'.repeat(199) };
  const next = applyFix(spec, { kind: 'learningRate', value: 0.1, label: 'smaller learning rate' });
  assert.equal(next.name.length, 200);
  assert.ok(next.name.endsWith(' + smaller learning rate'));
});
