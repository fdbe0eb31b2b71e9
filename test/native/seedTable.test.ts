// docs/design.md's seed table on the native backend: the real CLI, --backend tensorflow, full data, 1000
// steps. Same bands as on wasm (test/unit/seedTable.test.ts). Its output must stay clean: one JSON line
// on stdout and nothing at all on stderr, although libtensorflow prints start-up lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRESETS } from '../../src/core/presets';
import { runCli } from '../unit/helpers';
import { cliNativeArgs, requireNativeWhereDemanded, skip } from './native';

requireNativeWhereDemanded('seedTable');

interface Out { testAccuracy: number; steps: number; backend: string; backendInfo: { threads: number; tensorflowVersion: string }; predictedCounts: number[]; trainMs: number }

for (const p of PRESETS.filter((x) => x.seed)) {
  test(`on tensorflow: gradient-lens train --preset ${p.id} --backend tensorflow --json lands in ${p.band![0]}–${p.band![1]}`, { skip }, () => {
    const r = runCli(['train', '--preset', p.id, '--backend', 'tensorflow', ...cliNativeArgs(), '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'stderr must be empty: TensorFlow\'s start-up lines are filtered');
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, r.stdout.slice(0, 300));
    const out = JSON.parse(lines[0]) as Out;
    assert.equal(out.backend, 'tensorflow');
    assert.equal(out.steps, 1000);
    assert.ok(out.testAccuracy >= p.band![0] && out.testAccuracy <= p.band![1], `accuracy ${out.testAccuracy} outside ${p.band}`);
    if (p.id === 'seed-mlp-zeros') {
      assert.deepEqual(out.predictedCounts, [0, 10000, 0, 0, 0, 0, 0, 0, 0, 0]);
      assert.equal(out.testAccuracy, 0.1135);
    }
    console.log(`      ${p.id} on tensorflow (libtensorflow ${out.backendInfo.tensorflowVersion}, ${out.backendInfo.threads} thread(s)): ${out.testAccuracy} in ${out.trainMs} ms`);
  });
}
