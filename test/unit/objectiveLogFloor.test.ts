// ObjectiveSpec.logFloor: PyTorch's nn.BCELoss clamps each log at −100 and takes its gradient as
// (p − y) / max(p·(1 − p), 1e-12). The expected numbers below were printed by real PyTorch 2.13
// (nn.BCELoss on this row against F.one_hot(2, 10), reductions sum and mean), not computed here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lossHead } from '../../src/core/objective';
import { validateObjective } from '../../src/core/specParts';
import type { SpecProblem } from '../../src/core/specCheck';
import type { ObjectiveSpec } from '../../src/core/spec';

const ROW = new Float32Array([0.0, 1.0, 0.0, 0.3, 1e-30, 0.5, 0.999, 1.0, 0.2, 0.7]);
const TORCH_SUM = { loss: 309.38470458984375, grad: [0.0, 999999995904.0, -999999995904.0, 1.4285714626312256, 1.000000045813705e-18, 2.0, 1000.0128784179688, 999999995904.0, 1.2499998807907104, 3.3333332538604736] };
const TORCH_MEAN = { loss: 30.9384708404541, grad: [0.0, 99999997952.0, -99999997952.0, 0.1428571492433548, 1.0000000328890079e-19, 0.20000000298023224, 100.00128936767578, 99999997952.0, 0.1249999850988388, 0.3333333134651184] };

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

test('logFloor: binary cross-entropy from probabilities as PyTorch BCELoss computes it (value and gradient, sum and mean)', () => {
  for (const [reduction, want] of [['sum', TORCH_SUM], ['mean', TORCH_MEAN]] as const) {
    const obj: ObjectiveSpec = { loss: 'binaryCrossEntropy', from: 'probabilities', logFloor: -100, reduction };
    const r = lossHead(ROW, [2], 1, 'linear', obj, true);
    assert.ok(close(r.loss, want.loss), `${reduction}: loss ${r.loss}, PyTorch ${want.loss}`);
    want.grad.forEach((g, i) => assert.ok(close(r.grad![i], g), `${reduction}: grad[${i}] ${r.grad![i]}, PyTorch ${g}`));
  }
  // Without the floor the same row is NaN (0 · log(0) for the classes with p = 1 or p = 0), as TensorFlow's hand-written form is.
  const bare = lossHead(ROW, [2], 1, 'linear', { loss: 'binaryCrossEntropy', from: 'probabilities', reduction: 'sum' }, false);
  assert.ok(Number.isNaN(bare.loss), `without logFloor: ${bare.loss}`);
});

test('logFloor: validated (binary cross-entropy from probabilities only, at most 0, no clip or logOffset with it)', () => {
  const check = (v: unknown) => {
    const problems: SpecProblem[] = [];
    const out = validateObjective(v, '$.objective', problems);
    return { out, problems: problems.map((p) => `${p.path}: ${p.message}`) };
  };
  assert.deepEqual(check({ loss: 'binaryCrossEntropy', from: 'probabilities', logFloor: -100 }).out, { loss: 'binaryCrossEntropy', from: 'probabilities', logFloor: -100, reduction: 'mean' });
  assert.match(check({ loss: 'crossEntropy', from: 'probabilities', logFloor: -100 }).problems.join(), /\$\.objective\.logFloor: only applies to binaryCrossEntropy from probabilities/);
  assert.match(check({ loss: 'binaryCrossEntropy', from: 'logits', logFloor: -100 }).problems.join(), /logFloor: only applies/);
  assert.match(check({ loss: 'binaryCrossEntropy', from: 'probabilities', logFloor: -100, clip: [1e-7, 1 - 1e-7] }).problems.join(), /logFloor: takes no clip or logOffset/);
  assert.match(check({ loss: 'binaryCrossEntropy', from: 'probabilities', logFloor: 5 }).problems.join(), /logFloor/);
});
