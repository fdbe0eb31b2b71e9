// A training process prepared ahead (issue 23, latency): the `prepare` command of dist/worker.js and the host's pool
// of one spare (src/host/warmTrainer.ts) with the host's own TrainerProcess. Real forks of the built dist/worker.js,
// real MNIST, real tfjs (wasm). Asserted on behaviour (which phases ran, from what), never on a time.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPreset } from '../../src/core/presets';
import { defaultMnistDir, MNIST_FILES } from '../../src/core/mnist';
import { TrainerProcess, type ProcessOutcome } from '../../src/host/trainerProcess';
import { WarmTrainer } from '../../src/host/warmTrainer';
import {
  isHostToTrainerMessage, isPreparedNotification, isTrainerProcessMessage, loadKey,
  type DidPrepareNotification, type TrainOptions, type TrainerProcessMessage,
} from '../../src/protocol/training';
import { repoRoot } from './helpers';

const WORKER = join(repoRoot, 'dist', 'worker.js');
const options: TrainOptions = { backend: 'wasm', probeEvery: 10, evalEvery: 0 };
const spec = { ...findPreset('seed-mlp-zeros')!.spec, steps: 20 };
/** Random initial weights and shuffled batches (both from the seed): a run whose results would show any state a warm-up left behind. */
const seeded = { ...findPreset('seed-mlp-uniform')!.spec, steps: 20, data: { shuffle: true } };

function pool(lines: string[], idleMs?: number): WarmTrainer {
  return new WarmTrainer({ workerPath: WORKER, log: (line, level) => lines.push(`${level ?? 'warning'}: ${line}`), idleMs });
}

/** Runs `spec` in a TrainerProcess (in `child` when given) to its end; every message it sent, and the outcome. */
async function runIn(child: ReturnType<WarmTrainer['take']>, opts: TrainOptions, stopAfterFirstStep = false, runSpec: unknown = spec): Promise<{ messages: TrainerProcessMessage[]; outcome: ProcessOutcome; log: string[] }> {
  const messages: TrainerProcessMessage[] = [];
  const log: string[] = [];
  let proc: TrainerProcess | undefined = undefined;
  proc = new TrainerProcess({
    workerPath: WORKER, runId: 'r1', spec: runSpec, options: opts, maxMemoryMb: 2048, log: (l) => log.push(l), ...(child ? { child } : {}),
    onMessage: (m) => {
      messages.push(m);
      if (stopAfterFirstStep && m.type === 'event' && m.event.type === 'step') proc?.stop();
    },
  });
  return { messages, outcome: await proc.done, log };
}

const statuses = (ms: TrainerProcessMessage[]) => ms.flatMap((m) => (m.type === 'status' ? [m] : []));
const steps = (ms: TrainerProcessMessage[]) => ms.filter((m) => m.type === 'event' && m.event.type === 'step').length;
/** What a run computed: every step's loss and the final evaluation. */
const results = (ms: TrainerProcessMessage[]) => ms.flatMap((m) => (m.type === 'event' && (m.event.type === 'step' || (m.event.type === 'eval' && m.event.final))
  ? [m.event.type === 'step' ? m.event.loss : JSON.stringify({ ...m.event, evalMs: undefined, ms: undefined })] : []));

test('protocol: prepare (no runId) and the prepared notification pass their guards; a prepare with bad options does not', () => {
  assert.ok(isHostToTrainerMessage({ type: 'prepare', options }));
  assert.ok(!isHostToTrainerMessage({ type: 'prepare', options: { ...options, backend: 'gpu' } }));
  assert.ok(!isHostToTrainerMessage({ type: 'prepare' }));
  assert.ok(isPreparedNotification({ type: 'prepared', ok: true, backend: 'wasm', dataMs: 1, backendMs: 2 }));
  assert.ok(!isPreparedNotification({ type: 'prepared', ok: 'yes' }));
  assert.ok(isTrainerProcessMessage({ type: 'status', runId: 'r1', phase: 'loadingData', message: 'x', ahead: true }));
  assert.ok(!isTrainerProcessMessage({ type: 'status', runId: 'r1', phase: 'loadingData', message: 'x', ahead: 1 }));
  // what decides whether a prepared process can be used: data, backend, tfjs-node path and threads, nothing else
  assert.equal(loadKey(options), loadKey({ ...options, probeEvery: 99, dataDir: '' }));
  assert.notEqual(loadKey(options), loadKey({ ...options, backend: 'cpu' }));
  assert.notEqual(loadKey(options), loadKey({ ...options, dataDir: '/d' }));
  assert.notEqual(loadKey(options), loadKey({ ...options, nativeThreads: 2 }));
});

test('a spare prepared ahead and taken by a run with the same options trains without loading MNIST or the backend again', async () => {
  const lines: string[] = [];
  const warm = pool(lines);
  try {
    warm.prepare(options, 2048, 'test');
    const answer = await warm.whenPrepared();
    assert.ok(answer?.ok, `prepare failed: ${JSON.stringify(answer)} ${lines.join('\n')}`);
    assert.equal(answer.backend, 'wasm');
    const pid = warm.pid;
    const child = warm.take({ ...options, probeEvery: 5 }, 2048); // probeEvery is the run's own, not a load option
    assert.ok(child, 'the matching spare is handed over');
    assert.equal(child.pid, pid);
    assert.equal(warm.pid, undefined, 'the pool is empty after a take (the next spare is prepared at the next trigger)');
    const { messages, outcome } = await runIn(child, { ...options, probeEvery: 5 });
    assert.equal(outcome.status, 'finished', JSON.stringify(outcome));
    assert.equal(steps(messages), 20);
    const st = statuses(messages);
    assert.deepEqual(st.map((s) => [s.phase, s.ahead === true]), [['loadingData', true], ['loadingBackend', true], ['training', false]],
      'one pass through the phases, the loading ones from what was prepared');
    assert.ok(!st.some((s) => s.message === 'Loading MNIST…'), 'MNIST was not loaded again');

    // what was prepared (and the warm-up run it made) changes nothing a run computes: the same as in a cold process
    warm.prepare(options, 2048, 'test');
    assert.ok((await warm.whenPrepared())?.ok);
    const prepared = await runIn(warm.take(options, 2048), options, false, seeded);
    const cold = await runIn(undefined, options, false, seeded);
    assert.equal(prepared.outcome.status, 'finished', JSON.stringify(prepared.outcome));
    assert.equal(cold.outcome.status, 'finished', JSON.stringify(cold.outcome));
    assert.ok(statuses(prepared.messages)[0].ahead && !statuses(cold.messages)[0].ahead);
    assert.equal(results(cold.messages).length, 21);
    assert.deepEqual(results(prepared.messages), results(cold.messages));
  } finally {
    warm.dispose();
  }
});

test('a run whose options differ from what was prepared loads anew (worker); the pool kills a spare that does not match (host)', async () => {
  // worker: prepared for the embedded MNIST, started with a data folder (a copy of it)
  const dir = mkdtempSync(join(tmpdir(), 'gl-prep-'));
  for (const f of Object.values(MNIST_FILES)) copyFileSync(join(defaultMnistDir(), f), join(dir, f));
  const child = fork(WORKER, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
  const prepared = new Promise<DidPrepareNotification>((resolve) => child.on('message', (m) => { if (isPreparedNotification(m)) resolve(m); }));
  child.send({ type: 'prepare', options });
  assert.ok((await prepared).ok);
  const { messages, outcome } = await runIn(child, { ...options, dataDir: dir });
  assert.equal(outcome.status, 'finished', JSON.stringify(outcome));
  assert.equal(steps(messages), 20);
  const st = statuses(messages);
  assert.deepEqual(st.map((s) => [s.phase, s.ahead === true]), [['loadingData', false], ['loadingBackend', false], ['training', false]],
    'loaded anew, and nothing says an error happened');
  assert.ok(!messages.some((m) => m.type === 'event' && m.event.type === 'error'));

  // host: a spare for wasm is not handed to a run on the cpu backend (nor with another heap limit); it is killed
  const lines: string[] = [];
  const warm = pool(lines);
  try {
    warm.prepare(options, 2048, 'test');
    const spare = warm.pid!;
    const exited = new Promise<void>((resolve) => {
      const t = setInterval(() => { try { process.kill(spare, 0); } catch { clearInterval(t); resolve(); } }, 50);
    });
    assert.equal(warm.take(options, 1024), undefined, 'another heap limit');
    await exited;
    assert.ok(lines.some((l) => l.includes(`killing the training process prepared ahead (pid ${spare})`)), lines.join('\n'));
    warm.prepare(options, 2048, 'test');
    assert.equal(warm.take({ ...options, backend: 'cpu' }, 2048), undefined, 'another backend');
    assert.equal(warm.pid, undefined);
  } finally {
    warm.dispose();
  }
});

test('a taken spare stops as a cold process does (stopTraining between steps: outcome stopped, not killed)', async () => {
  const warm = pool([]);
  try {
    warm.prepare(options, 2048, 'test');
    await warm.whenPrepared();
    const { messages, outcome } = await runIn(warm.take(options, 2048), options, true, { ...spec, steps: 1000 });
    assert.equal(outcome.status, 'stopped');
    assert.equal(outcome.status === 'stopped' && outcome.killed, false);
    assert.ok(steps(messages) >= 1 && steps(messages) < 1000, `${steps(messages)} steps`);
  } finally {
    warm.dispose();
  }
});

test('an idle prepared process exits when the host disconnects, is killed on dispose and after the idle timeout, and is replaced when it dies', async () => {
  // disconnect (the window closed): it exits by itself, cleanly
  const child = fork(WORKER, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const prepared = new Promise<unknown>((resolve) => child.on('message', (m) => { if (isPreparedNotification(m)) resolve(m); }));
  child.send({ type: 'prepare', options });
  await prepared;
  child.disconnect();
  assert.deepEqual(await exit, { code: 0, signal: null });

  const lines: string[] = [];
  const waitGone = (pid: number): Promise<void> => new Promise((resolve) => {
    const t = setInterval(() => { try { process.kill(pid, 0); } catch { clearInterval(t); resolve(); } }, 50);
  });
  // dispose (deactivate)
  const warm = pool(lines);
  warm.prepare(options, 2048, 'test');
  const a = warm.pid!;
  warm.dispose();
  await waitGone(a);
  warm.prepare(options, 2048, 'test');
  assert.equal(warm.pid, undefined, 'a disposed pool prepares nothing');

  // idle timeout
  const idle = pool(lines, 300);
  idle.prepare(options, 2048, 'test');
  const b = idle.pid!;
  await waitGone(b);
  assert.equal(idle.pid, undefined);
  assert.ok(lines.some((l) => l.includes(`(pid ${b}): idle for`)), lines.join('\n'));

  // died while idle (killed from outside): replaced, with a log line
  const replaced = pool(lines);
  try {
    replaced.prepare(options, 2048, 'test');
    const c = replaced.pid!;
    process.kill(c, 'SIGKILL');
    await waitGone(c);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(lines.some((l) => l.includes(`(pid ${c}) was killed by SIGKILL while idle; preparing a new one`)), lines.join('\n'));
    assert.ok(replaced.pid !== undefined && replaced.pid !== c, 'a new spare');
    assert.ok((await replaced.whenPrepared())?.ok);
  } finally {
    replaced.dispose();
  }
});
