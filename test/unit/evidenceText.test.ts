// A finding's evidence as sentences with units (src/core/evidenceText.ts), not its JSON keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evidenceSentences } from '../../src/core/evidenceText';
import { parseSpec } from '../../src/core/spec';
import type { Finding } from '../../src/core/findings';

const finding = (code: string, evidence: Finding['evidence']): Finding => ({ code, severity: 'error', layer: 0, firstStep: 0, message: '', evidence, fixes: [] });

test('evidence reads as words with units: dead units, collapsed output, a summed loss', () => {
  assert.deepEqual(evidenceSentences(finding('dead-units', { deadUnits: 100, units: 100, share: 1 })), ['100 of 100 units output 0 on all 256 probe images']);
  assert.deepEqual(evidenceSentences(finding('collapsed-output', { class: 1, predictedShare: 1, predictions: 10000, testShare: 0.1135 })),
    ['digit 1 is predicted for 100 % of the images', '11.35 % of the test set is digit 1: that is the accuracy of always answering 1']);
  assert.match(evidenceSentences(finding('loss-reduction', { reduction: 'sum', batchSize: 100, stepFactor: 100, learningRate: 0.5, effectiveLearningRate: 50 }))[0],
    /summed over 100 examples: each step is 100× larger, as if the learning rate were 50 instead of 0.5/);
});

test('evidence: keys without a sentence read as words, never camelCase; an upstream cause is named by the layer\'s name', () => {
  const spec = parseSpec({ layers: [{ name: 'W1', units: 100, activation: 'relu' }, { units: 10, activation: 'softmax' }] });
  const s = evidenceSentences(finding('zero-gradient', { weights: 1000, nonZeroGradients: 0, meanAbsGrad: 0, upstreamLayer: 0, kernelConstant: 0, nextKernelConstant: true }), spec);
  assert.ok(s.includes('0 of 1000 weight gradients are non-zero'), s.join(' | '));
  assert.ok(s.includes('the cause is upstream: W1 (100 relu)'), s.join(' | '));
  assert.ok(s.includes('kernel constant: 0') && s.includes('next kernel constant'), s.join(' | ')); // zero-gradient has no sentence for these
  assert.ok(s.every((x) => !/[a-z][A-Z]/.test(x)), s.join(' | '));
});

test("evidence: the detectors' own keys (dead units, symmetric units, zero gradient) read as sentences, not as key: value", () => {
  const dead = evidenceSentences(finding('dead-units', { deadUnits: 100, units: 100, share: 1, probeExamples: 128, activeShareThreshold: 0.01, deadFromStart: true, meanActivityOfDead: 0 }));
  assert.deepEqual(dead, ['100 of 100 units output 0 on all 128 probe images', 'dead from step 0', 'a unit counts as dead when it outputs more than 0 on fewer than 1 % of the probe images']);
  const sym = evidenceSentences(finding('symmetric-units', { effectiveWidth: 1, units: 100, duplicateGroups: 1, largestGroup: 100, symmetricFromStart: true, relTolerance: 0.001, weightScale: 0, gradientsZero: true }));
  assert.ok(sym.includes('1 group of identical units, the largest of 100') && sym.includes('their gradients are all 0, so they stay identical'), sym.join(' | '));
  const zero = evidenceSentences(finding('zero-gradient', { weights: 10, nonZeroGradients: 0, cause: 'inputs-zero', diedInTraining: false, causedBy: 'upstream', upstreamOutputs: 'zeros' }));
  assert.deepEqual(zero, ['0 of 10 weight gradients are non-zero', 'why: its inputs are all 0']);
  for (const s of [...dead, ...sym, ...zero]) assert.ok(!/:\s*(true|false)$|[a-z][A-Z]/.test(s), s);
});
