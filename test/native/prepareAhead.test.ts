// A training process prepared ahead (src/host/warmTrainer.ts) on the real tfjs-node: the warm-up run it makes while
// idle leaves nothing behind that changes what the next run computes (libtensorflow keeps state a wasm test cannot
// show), and libtensorflow's start-up lines of a spare go to the log as info.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TrainOptions, TrainerProcessMessage } from '../../src/protocol/training';
import { TrainerProcess, type ProcessOutcome } from '../../src/host/trainerProcess';
import { WarmTrainer } from '../../src/host/warmTrainer';
import { findPreset } from '../../src/core/presets';
import { repoRoot } from '../unit/helpers';
import { nativePath, requireNativeWhereDemanded, skip } from './native';

requireNativeWhereDemanded('prepareAhead');

const WORKER = join(repoRoot, 'dist', 'worker.js');
/** Random initial weights and shuffled batches, both from the seed. */
const seeded = { ...findPreset('seed-mlp-uniform')!.spec, steps: 30, data: { shuffle: true } };

async function run(child: ReturnType<WarmTrainer['take']>, options: TrainOptions): Promise<{ messages: TrainerProcessMessage[]; outcome: ProcessOutcome }> {
  const messages: TrainerProcessMessage[] = [];
  const p = new TrainerProcess({ workerPath: WORKER, runId: 'n1', spec: seeded, options, maxMemoryMb: 2048, onMessage: (m) => messages.push(m), log: () => undefined, ...(child ? { child } : {}) });
  return { messages, outcome: await p.done };
}

test('on tensorflow: a run in a process prepared ahead (and warmed up) computes exactly what a cold one does', { skip }, async () => {
  const options: TrainOptions = { backend: 'tensorflow', probeEvery: 10, evalEvery: 0, nativeBackendPath: nativePath, nativeThreads: 1 };
  const logged: { line: string; level?: string }[] = [];
  const warm = new WarmTrainer({ workerPath: WORKER, log: (line, level) => logged.push({ line, level }) });
  try {
    warm.prepare(options, 2048, 'test');
    const answer = await warm.whenPrepared();
    assert.ok(answer?.ok, JSON.stringify({ answer, logged }));
    assert.equal(answer.backend, 'tensorflow');
    assert.ok(logged.filter((l) => l.line.startsWith('[tensorflow] ')).every((l) => l.level === 'info'), JSON.stringify(logged));
    const prepared = await run(warm.take(options, 2048), options);
    const cold = await run(undefined, options);
    for (const r of [prepared, cold]) assert.equal(r.outcome.status, 'finished', JSON.stringify(r.outcome));
    const ahead = (r: typeof cold) => r.messages.flatMap((m) => (m.type === 'status' ? [m.ahead === true] : []));
    assert.deepEqual(ahead(prepared), [true, true, false]);
    assert.deepEqual(ahead(cold), [false, false, false]);
    const results = (r: typeof cold) => r.messages.flatMap((m): (number | string)[] => (m.type === 'event' && m.event.type === 'step' ? [m.event.loss]
      : m.type === 'event' && m.event.type === 'eval' ? [m.event.testLoss, m.event.testAccuracy, ...m.event.predictedCounts]
        : m.type === 'finished' ? [m.findings.map((f) => f.code).join(',')] : []));
    assert.equal(results(cold).length, 30 + 12 + 1);
    assert.deepEqual(results(prepared), results(cold));
  } finally {
    warm.dispose();
  }
});
