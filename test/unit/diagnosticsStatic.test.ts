// Static findings (no training): what the spec alone says about symmetry, dead units and init scale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staticFindings } from '../../src/core/diagnostics/static';
import { findPreset } from '../../src/core/presets';
import { parseSpec, type ModelSpec } from '../../src/core/spec';
import type { Finding } from '../../src/core/findings';
import { applyFix } from '../../src/core/fixes';

const preset = (id: string): ModelSpec => findPreset(id)!.spec;
const summary = (fs: Finding[]): string[] => fs.map((f) => `${f.severity} ${f.code}@${f.layer}`).sort();
const mlp = (hidden: object, out: object = {}): ModelSpec => parseSpec({ name: 's', layers: [{ units: 100, activation: 'relu', ...hidden }, { units: 10, activation: 'softmax', ...out }] });

test('seed-mlp-zeros: symmetric-units and dead-units on the hidden layer, with initializer fixes incl. the seed\'s U(−0.01, 0.01)', () => {
  const fs = staticFindings(preset('seed-mlp-zeros'));
  assert.deepEqual(summary(fs), ['error dead-units@0', 'error symmetric-units@0']);
  const sym = fs.find((f) => f.code === 'symmetric-units')!;
  assert.equal(sym.evidence.effectiveWidth, 1);
  assert.equal(sym.firstStep, 0);
  assert.deepEqual(sym.fixes[0], { kind: 'initializer', layer: 0, target: 'kernel', value: 'heNormal', label: "Initialise layer 1's weights with He normal" });
  assert.deepEqual(sym.fixes[1].kind === 'initializer' && sym.fixes[1].value, { type: 'randomUniform', minval: -0.01, maxval: 0.01 });
  // every fix applies cleanly, and the fixed spec has no static finding left
  for (const fix of sym.fixes) assert.deepEqual(staticFindings(applyFix(preset('seed-mlp-zeros'), fix)), []);
});

test('sigmoid all-zeros: symmetric-units only (sigmoid units cannot be dead)', () => {
  assert.deepEqual(summary(staticFindings(preset('sigmoid-zeros'))), ['error symmetric-units@0']);
});

test('a single softmax layer initialised with zeros is fine: no finding', () => {
  assert.deepEqual(staticFindings(preset('seed-softmax-zeros')), []);
});

test('seed runs: N(0, 1) softmax is ~20× too large; U(0, 1) softmax (std 0.29, 5.7×) and the working MLP are not flagged', () => {
  const normal = staticFindings(preset('seed-softmax-normal'));
  assert.deepEqual(summary(normal), ['warning poor-init-scale@0']);
  assert.ok(Math.abs((normal[0].evidence.ratio as number) - 1 / Math.sqrt(2 / 784)) < 1e-9);
  assert.deepEqual(staticFindings(preset('seed-softmax-uniform01')), []);
  assert.deepEqual(staticFindings(preset('seed-mlp-uniform')), []);
  for (const id of ['he-relu-adam', 'two-hidden-momentum']) assert.deepEqual(staticFindings(preset(id)), [], id);
});

test('a constant hidden kernel followed by random weights starts symmetric but breaks at step 1: info only', () => {
  const fs = staticFindings(parseSpec({ name: 's', layers: [{ units: 50, activation: 'tanh', kernelInitializer: 'zeros' }, { units: 10, activation: 'softmax' }] }));
  assert.deepEqual(summary(fs), ['info symmetric-units@0']);
});

test('relu with zero kernel is dead whatever comes next; a negative constant bias too; a positive bias keeps it alive', () => {
  assert.deepEqual(summary(staticFindings(mlp({ kernelInitializer: 'zeros' }))), ['error dead-units@0', 'error symmetric-units@0']);
  const neg = staticFindings(mlp({ kernelInitializer: 'zeros', biasInitializer: { type: 'constant', value: -0.5 } }));
  assert.ok(neg.find((f) => f.code === 'dead-units')!.fixes.some((f) => f.kind === 'initializer' && f.target === 'bias' && f.value === 'zeros'));
  assert.deepEqual(summary(staticFindings(mlp({ kernelInitializer: 'zeros', biasInitializer: { type: 'constant', value: 0.1 } }))), ['info symmetric-units@0']);
  assert.deepEqual(summary(staticFindings(mlp({ kernelInitializer: 'ones' }, { kernelInitializer: 'ones' }))), ['error symmetric-units@0']);
});

test('init scale: > 10× or < 0.1× the Glorot/He/LeCun range for the fan-in; too small only matters in hidden layers', () => {
  assert.deepEqual(summary(staticFindings(mlp({ kernelInitializer: { type: 'randomNormal', mean: 0, stddev: 0.6 } }))), ['warning poor-init-scale@0']);
  assert.deepEqual(staticFindings(mlp({ kernelInitializer: { type: 'randomNormal', mean: 0, stddev: 0.4 } })), []);
  assert.deepEqual(summary(staticFindings(mlp({ kernelInitializer: { type: 'truncatedNormal', mean: 0, stddev: 0.001 } }))), ['warning poor-init-scale@0']);
  assert.deepEqual(staticFindings(mlp({}, { kernelInitializer: { type: 'randomNormal', mean: 0, stddev: 0.0001 } })), []);
  // a hidden layer's offset counts (U(0, 1) at fan-in 784 pushes every pre-activation to ~50)
  const off = staticFindings(mlp({ kernelInitializer: { type: 'randomUniform', minval: 0, maxval: 1 } }));
  assert.deepEqual(summary(off), ['warning poor-init-scale@0']);
  assert.match(off[0].message, /784 inputs/);
});

test('tanh with all zeros (and zeros after it) is frozen, not dead: symmetric-units and zero-gradient, no dead-units', () => {
  const tanhZeros = parseSpec({ name: 's', layers: [{ units: 100, activation: 'tanh', kernelInitializer: 'zeros' }, { units: 10, activation: 'softmax', kernelInitializer: 'zeros' }] });
  assert.deepEqual(summary(staticFindings(tanhZeros)), ['error symmetric-units@0', 'error zero-gradient@0']);
  // sigmoid(0) = 0.5 is not zero: its gradients flow (see the sigmoid case above)
  for (const fix of staticFindings(tanhZeros)[1].fixes) assert.deepEqual(staticFindings(applyFix(tanhZeros, fix)).filter((f) => f.severity !== 'info'), []);
});

test('zero weights with a random bias (PyTorch zeros_ on the weight only): the units whose bias is ≤ 0 are predicted dead', () => {
  const b = 1 / 28; // nn.Linear(784, 100)'s default bias U(±1/√784)
  const spec = mlp({ kernelInitializer: 'zeros', biasInitializer: { type: 'randomUniform', minval: -b, maxval: b } });
  const fs = staticFindings(spec);
  assert.deepEqual(summary(fs), ['warning dead-units@0']);
  assert.equal(fs[0].evidence.expectedDeadShare, 0.5);
  assert.match(fs[0].message, /about 50% of the 100 under U\(-0\.03571, 0\.03571\)/);
  for (const fix of fs[0].fixes) assert.deepEqual(staticFindings(applyFix(spec, fix)), []);
  // a bias that is mostly positive: a few dead units (info); a normal bias centred below 0: most of them
  assert.deepEqual(summary(staticFindings(mlp({ kernelInitializer: 'zeros', biasInitializer: { type: 'randomUniform', minval: -0.01, maxval: 0.09 } }))), ['info dead-units@0']);
  const neg = staticFindings(mlp({ kernelInitializer: 'zeros', biasInitializer: { type: 'randomNormal', mean: -0.1, stddev: 0.1 } }));
  assert.ok(Math.abs((neg[0].evidence.expectedDeadShare as number) - 0.8413) < 1e-3, String(neg[0].evidence.expectedDeadShare));
  // sigmoid units cannot die, and a non-zero constant kernel is the symmetric case, not this one
  assert.deepEqual(staticFindings(parseSpec({ name: 's', layers: [{ units: 100, activation: 'sigmoid', kernelInitializer: 'zeros', biasInitializer: { type: 'randomUniform', minval: -b, maxval: b } }, { units: 10, activation: 'softmax' }] })).filter((f) => f.code === 'dead-units'), []);
});
