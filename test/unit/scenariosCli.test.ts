// The "must show", through the real command line: `gradient-lens train --preset ... --json`
// (bin/gradient-lens.js → dist/cli.js, real MNIST, wasm backend, full 1000 steps).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliJson } from './helpers';
import type { Finding } from '../../src/core/findings';

interface Summary {
  backend: string;
  steps: number;
  testAccuracy: number;
  findings: Finding[];
}

test('seed-mlp-zeros --json: dead-units, zero-gradient and collapsed-output (digit 1, share 0.1135), plus symmetric-units', () => {
  const r = cliJson<Summary>(['train', '--preset', 'seed-mlp-zeros', '--backend', 'wasm']);
  assert.equal(r.steps, 1000);
  assert.equal(r.testAccuracy, 0.1135);
  const byCode = (c: string) => r.findings.filter((f) => f.code === c);
  assert.deepEqual(byCode('dead-units').map((f) => [f.layer, f.severity, f.units?.length]), [[0, 'error', 100]]);
  assert.deepEqual(byCode('zero-gradient').map((f) => f.layer).sort(), [0, 1]);
  assert.deepEqual(byCode('symmetric-units').map((f) => [f.layer, f.evidence.effectiveWidth]), [[0, 1]]);
  const [c] = byCode('collapsed-output');
  assert.ok(c, JSON.stringify(r.findings.map((f) => f.code)));
  assert.equal(c.evidence.class, 1);
  assert.equal(c.evidence.testShare, 0.1135);
  assert.equal(c.evidence.predictedShare, 1);
  assert.ok(c.fixes.some((f) => f.kind === 'initializer' && f.layer === 0));
  for (const code of ['saturated-units', 'vanishing-gradient', 'exploding-gradient', 'non-finite', 'loss-plateau']) assert.equal(byCode(code).length, 0, code);
});

test('seed-mlp-uniform --json: no error or warning', () => {
  const r = cliJson<Summary>(['train', '--preset', 'seed-mlp-uniform', '--backend', 'wasm']);
  assert.ok(r.testAccuracy > 0.945, `accuracy ${r.testAccuracy}`);
  assert.deepEqual(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.severity} ${f.code}@${f.layer}`), []);
});
