// The training process (dist/worker.js) on the real tfjs-node, driven the way the extension host drives
// it: first with the raw protocol (as test/unit/trainingProcess.test.ts does on wasm), then through the
// host's own TrainerProcess, which must log libtensorflow's start-up lines as "[tensorflow] …" info
// lines and keep them out of the stderr tail that error messages quote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { TrainerProcessMessage } from '../../src/protocol/training';
import { TrainerProcess } from '../../src/host/trainerProcess';
import { findPreset } from '../../src/core/presets';
import { nativeThreadRule } from '../../src/core/backend';
import { repoRoot } from '../unit/helpers';
import { nativePath, requireNativeWhereDemanded, skip } from './native';

requireNativeWhereDemanded('trainingProcess');

const WORKER = join(repoRoot, 'dist', 'worker.js');
const mlpZeros = (steps: number): unknown => ({ ...findPreset('seed-mlp-zeros')!.spec, steps });

test('on tensorflow: a run streams start (backend tensorflow, threads), every step, probes, the final eval, end and finished; exit 0', { skip }, async () => {
  const child = fork(WORKER, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json', env: { ...process.env, TF_NUM_INTRAOP_THREADS: '' } });
  const messages: TrainerProcessMessage[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => { stderr += c; });
  child.on('message', (m) => messages.push(m as TrainerProcessMessage));
  child.send({ type: 'startTraining', runId: 'n1', spec: mlpZeros(40), options: { backend: 'auto', probeEvery: 10, evalEvery: 0, nativeBackendPath: nativePath, nativeThreads: 1 } });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 0, stderr);
  const start = messages.find((m) => m.type === 'event' && m.event.type === 'start');
  assert.ok(start && start.type === 'event' && start.event.type === 'start');
  assert.equal(start.event.backend.name, 'tensorflow');
  assert.deepEqual(start.event.backend.skipped, []);
  assert.equal(start.event.backend.threads, 1, 'nativeThreads (the setting) wins over the rule');
  const kinds = messages.map((m) => (m.type === 'event' ? `event:${m.event.type}` : m.type));
  assert.equal(kinds.filter((k) => k === 'event:step').length, 40);
  assert.equal(kinds.filter((k) => k === 'probe').length, 5, 'probes at steps 0, 10, 20, 30, 40');
  assert.deepEqual(kinds.slice(-3), ['event:eval', 'event:end', 'finished']);
  const finished = messages.at(-1)!;
  assert.ok(finished.type === 'finished');
  assert.ok(finished.findings.some((f) => f.code === 'dead-units' && f.layer === 0), finished.findings.map((f) => f.code).join(', '));
});

test('on tensorflow through the host\'s TrainerProcess: start-up lines go to the log as [tensorflow] info, not into the error tail', { skip }, async () => {
  const logged: { line: string; level?: string }[] = [];
  const events: string[] = [];
  let backend: string | undefined;
  let threads: number | undefined;
  const p = new TrainerProcess({
    workerPath: WORKER, runId: 'n2', spec: mlpZeros(20), maxMemoryMb: 1024,
    options: { backend: 'tensorflow', probeEvery: 10, evalEvery: 0, nativeBackendPath: nativePath },
    onMessage: (m) => {
      if (m.type === 'event') events.push(m.event.type);
      if (m.type === 'event' && m.event.type === 'start') { backend = m.event.backend.name; threads = m.event.backend.threads; }
    },
    log: (line, level) => logged.push({ line, level }),
  });
  const outcome = await p.done;
  assert.equal(outcome.status, 'finished', JSON.stringify(outcome));
  assert.equal(backend, 'tensorflow');
  assert.equal(threads, nativeThreadRule().intraOp, 'no setting: the rule');
  const tf = logged.filter((l) => l.line.startsWith('[tensorflow] '));
  assert.ok(tf.length >= 1, `libtensorflow printed nothing? log: ${JSON.stringify(logged)}`);
  assert.ok(tf.every((l) => l.level === 'info'), JSON.stringify(tf));
  assert.ok(logged.every((l) => !l.line.startsWith('[training process] ')), `other stderr lines: ${JSON.stringify(logged)}`);
  assert.ok(events.includes('end'));
});

test('on tensorflow: a crash report quotes the crash, not TensorFlow\'s start-up notices', { skip }, async () => {
  const p = new TrainerProcess({
    workerPath: WORKER, runId: 'n3', spec: mlpZeros(100_000), maxMemoryMb: 1024,
    options: { backend: 'tensorflow', probeEvery: 50, evalEvery: 0, nativeBackendPath: nativePath },
    onMessage: (m) => { if (m.type === 'event' && m.event.type === 'step' && m.event.step === 5) process.kill(p.pid!, 'SIGKILL'); },
    log: () => undefined,
  });
  const outcome = await p.done;
  assert.equal(outcome.status, 'error');
  assert.ok(outcome.status === 'error');
  assert.equal(outcome.signal, 'SIGKILL');
  assert.match(outcome.message, /was killed by SIGKILL before the run ended/);
  assert.doesNotMatch(outcome.message + outcome.stderrTail, /oneDNN|absl::InitializeLog/);
});
