// Shared by test/unit/sweep.test.ts and test/native/sweep.test.ts (not a test itself): a sweep trained together
// against each variant trained alone with trainer.ts on the same backend — every step's loss and batch accuracy,
// every probe (weights, biases, their gradients, pre-activations and outputs of every layer: the final probe holds the
// final weights), every evaluation and the end event's accuracy and loss must be IDENTICAL (assert.deepStrictEqual:
// float arrays element by element with SameValue, so even −0 against +0 would fail).
import assert from 'node:assert/strict';
import type { LoadedBackend } from '../../src/core/backend';
import type { EvalEvent, ProbeData, TrainingEvent } from '../../src/core/events';
import type { MnistData } from '../../src/core/mnist';
import type { ModelSpec } from '../../src/core/spec';
import { train } from '../../src/core/trainer';
import { trainTogether, type SweepLayout, type SweepResult } from '../../src/core/sweep';

export interface RunRecord {
  steps: { loss: number; batchAccuracy: number }[];
  probes: ProbeData[];
  evals: EvalEvent[];
  testAccuracy?: number;
  testLoss?: number;
  endSteps?: number;
}

const record = (): RunRecord => ({ steps: [], probes: [], evals: [] });

function onEvent(r: RunRecord, e: TrainingEvent): void {
  if (e.type === 'step') r.steps.push({ loss: e.loss, batchAccuracy: e.batchAccuracy });
  else if (e.type === 'eval') r.evals.push(e);
  else if (e.type === 'end') {
    r.testAccuracy = e.testAccuracy;
    r.testLoss = e.testLoss;
    r.endSteps = e.steps;
  }
}

export interface CompareOptions {
  probeEvery?: number;
  evalEvery?: number;
  layout?: SweepLayout;
  shuffle?: boolean;
}

/** Trains `specs` together and each alone; asserts every number is identical; returns the sweep's result and what each variant reported. */
export async function checkIdenticalToAlone(backend: LoadedBackend, data: MnistData, specs: ModelSpec[], o: CompareOptions = {}): Promise<SweepResult & { records: RunRecord[] }> {
  const { tf } = backend;
  const common = { backend, data, probeEvery: o.probeEvery ?? 10, evalEvery: o.evalEvery ?? 0, shuffle: o.shuffle, probeExamples: 64 };
  const before = tf.memory().numTensors;
  const together = specs.map(record);
  const result = await trainTogether(specs, {
    ...common, layout: o.layout,
    onEvent: (k, e) => onEvent(together[k], e),
    onProbe: (k, p) => together[k].probes.push(p),
  });
  assert.equal(tf.memory().numTensors, before, 'the sweep left tensors behind');
  for (const [k, spec] of specs.entries()) {
    const alone = record();
    await train(spec, { ...common, onEvent: (e) => onEvent(alone, e), onProbe: (p) => alone.probes.push(p) });
    const t = together[k];
    const name = `variant ${k} (${spec.name})`;
    assert.equal(t.steps.length, spec.steps, `${name}: step events`);
    assert.deepStrictEqual(t.steps, alone.steps, `${name}: losses per step differ`);
    assert.equal(t.probes.length, alone.probes.length, `${name}: probe count`);
    t.probes.forEach((p, i) => assert.deepStrictEqual(p, alone.probes[i], `${name}: probe at step ${p.step} differs`));
    assert.deepStrictEqual(t.evals, alone.evals, `${name}: evaluations differ`);
    assert.equal(t.testAccuracy, alone.testAccuracy, `${name}: test accuracy`);
    assert.equal(t.testLoss, alone.testLoss, `${name}: test loss`);
    assert.equal(t.endSteps, alone.endSteps);
    assert.equal(result.variants[k].end.testAccuracy, alone.testAccuracy);
  }
  return { ...result, records: together };
}
