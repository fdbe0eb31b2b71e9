// docs/design.md's seed table, reproduced through the real CLI on the full data and the full step count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS } from '../../src/core/presets';
import { cliJson } from './helpers';

interface Out { testAccuracy: number; steps: number; backend: string; predictedCounts: number[]; trainMs: number }

for (const p of PRESETS.filter((x) => x.seed)) {
  test(`gradient-lens train --preset ${p.id} --json lands in ${p.band![0]}–${p.band![1]}`, () => {
    const out = cliJson<Out>(['train', '--preset', p.id]);
    assert.equal(out.steps, 1000);
    assert.ok(out.testAccuracy >= p.band![0] && out.testAccuracy <= p.band![1], `accuracy ${out.testAccuracy} outside ${p.band}`);
    if (p.id === 'seed-mlp-zeros') {
      // It predicts one class for every image: digit 1, the most common training label.
      assert.deepEqual(out.predictedCounts, [0, 10000, 0, 0, 0, 0, 0, 0, 0, 0]);
      assert.equal(out.testAccuracy, 0.1135);
    }
  });
}
