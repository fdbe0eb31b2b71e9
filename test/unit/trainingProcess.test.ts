// The training process (dist/worker.js) as the extension host uses it: forked with an IPC channel,
// spoken to with src/protocol/training.ts. Real tfjs (wasm), real MNIST. Plus the protocol guards.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { isHostToTrainerMessage, isTrainerProcessMessage, isTrainerToHostMessage, type TrainerProcessMessage, type StartTrainingCommand } from '../../src/protocol/training';
import { findPreset } from '../../src/core/presets';
import { repoRoot } from './helpers';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { defaultMnistDir, MNIST_FILES } from '../../src/core/mnist';

const WORKER = join(repoRoot, 'dist', 'worker.js');
const options = { backend: 'auto' as const, probeEvery: 10, evalEvery: 0 };

interface Session {
  messages: TrainerProcessMessage[];
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  send(m: unknown): void;
  waitFor(pred: (m: TrainerProcessMessage) => boolean, ms?: number): Promise<TrainerProcessMessage>;
}

function start(): Session {
  const child = fork(WORKER, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
  const messages: TrainerProcessMessage[] = [];
  const waiters: { pred: (m: TrainerProcessMessage) => boolean; resolve: (m: TrainerProcessMessage) => void }[] = [];
  const s: Session = {
    messages,
    stderr: '',
    exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    send: (m) => child.send(m as object),
    waitFor: (pred, ms = 60_000) => {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching message within ${ms} ms; got ${messages.map((m) => m.type === 'event' ? `event:${m.event.type}` : m.type).slice(-5).join(', ')}`)), ms);
        waiters.push({ pred, resolve: (m) => { clearTimeout(t); resolve(m); } });
      });
    },
  };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => { s.stderr += c; });
  child.on('message', (m: unknown) => {
    assert.ok(isTrainerProcessMessage(m), `the training process sent a message its own guard rejects: ${JSON.stringify(m).slice(0, 200)}`);
    messages.push(m);
    for (const w of waiters.splice(0)) {
      if (w.pred(m)) w.resolve(m);
      else waiters.push(w);
    }
  });
  return s;
}

const startCmd = (spec: unknown, extra: Partial<StartTrainingCommand['options']> = {}): StartTrainingCommand =>
  ({ type: 'startTraining', runId: 'r1', spec, options: { ...options, ...extra } });
const mlpZeros = (steps: number): unknown => ({ ...findPreset('seed-mlp-zeros')!.spec, steps });

test('protocol guards accept well-formed messages and reject malformed ones', () => {
  assert.ok(isHostToTrainerMessage(startCmd({})));
  assert.ok(isHostToTrainerMessage({ type: 'stopTraining', runId: 'r1' }));
  assert.ok(!isHostToTrainerMessage({ ...startCmd({}), options: { ...options, backend: 'gpu' } }));
  assert.ok(!isHostToTrainerMessage({ ...startCmd({}), options: { ...options, thresholds: { deadActiveShare: 'high' } } }));
  assert.ok(!isHostToTrainerMessage({ ...startCmd({}), options: { ...options, source: { file: 1, layers: [] } } }));
  assert.ok(!isHostToTrainerMessage({ type: 'stopTraining', runId: '' }));
  assert.ok(!isHostToTrainerMessage(null));
  assert.ok(isTrainerProcessMessage({ type: 'status', runId: 'r1', phase: 'loadingData', message: 'Loading MNIST…' }));
  assert.ok(!isTrainerProcessMessage({ type: 'status', runId: 'r1', phase: 'dancing', message: '' }));
  assert.ok(!isTrainerToHostMessage({ type: 'status', runId: 'r1', phase: 'loadingData', message: '' }), 'status is not for the panel');
  assert.ok(isTrainerToHostMessage({ type: 'finished', runId: 'r1', findings: [] }));
  assert.ok(!isTrainerToHostMessage({ type: 'finished', runId: 'r1', findings: {} }));
  assert.ok(!isTrainerToHostMessage({ type: 'event', runId: 'r1', event: 'step' }));
});

test('a run streams status, start, every step, probes, the final eval, end and finished, then the process exits 0', async () => {
  const s = start();
  s.send(startCmd(mlpZeros(30)));
  const { code } = await s.exit;
  assert.equal(code, 0, s.stderr);
  const kinds = s.messages.map((m) => (m.type === 'event' ? `event:${m.event.type}` : m.type));
  assert.deepEqual(kinds.filter((k) => k === 'status').length, 3);
  assert.equal(kinds.filter((k) => k === 'event:step').length, 30);
  assert.equal(kinds.filter((k) => k === 'probe').length, 4, 'probes at steps 0, 10, 20, 30');
  assert.ok(kinds.indexOf('event:start') < kinds.indexOf('event:step'));
  assert.deepEqual(kinds.slice(-3), ['event:eval', 'event:end', 'finished']);
  const finished = s.messages.at(-1)!;
  assert.ok(finished.type === 'finished');
  assert.ok(finished.findings.some((f) => f.code === 'dead-units' && f.layer === 0), finished.findings.map((f) => f.code).join(', '));
});

test('a bad spec is answered with a spec error listing the problem; the process exits cleanly', async () => {
  const s = start();
  s.send(startCmd({ layers: [{ units: 10, activation: 'relu' }] }));
  const { code } = await s.exit;
  assert.equal(code, 0);
  const err = s.messages.find((m) => m.type === 'event' && m.event.type === 'error');
  assert.ok(err && err.type === 'event' && err.event.type === 'error');
  assert.equal(err.event.kind, 'spec');
  assert.match(err.event.message, /invalid model spec: layers\[0\]\.activation/); // the path as a person reads it (no "$.")
});

test('a missing data folder is a data error naming the file', async () => {
  const s = start();
  s.send(startCmd(mlpZeros(5), { dataDir: '/nonexistent/mnist' }));
  await s.exit;
  const err = s.messages.find((m) => m.type === 'event' && m.event.type === 'error');
  assert.ok(err && err.type === 'event' && err.event.type === 'error');
  assert.equal(err.event.kind, 'data');
  assert.match(err.event.message, /\/nonexistent\/mnist/);
});

test('malformed messages get an error event each (and a line on stderr); stopTraining ends a run between steps', async () => {
  const s = start();
  s.send({ type: 'dance', runId: 'r0' });
  s.send({ runId: 'r0' });
  s.send(startCmd(mlpZeros(100_000)));
  await s.waitFor((m) => m.type === 'event' && m.event.type === 'step' && m.event.step >= 1);
  s.send({ type: 'startTraining', runId: 'r2', spec: {}, options: { backend: 'quantum' } });
  s.send(startCmd(mlpZeros(5)));
  await s.waitFor((m) => m.type === 'event' && m.event.type === 'step' && m.event.step >= 3);
  const t0 = Date.now();
  s.send({ type: 'stopTraining', runId: 'r1' });
  const { code } = await s.exit;
  const stopMs = Date.now() - t0;
  assert.equal(code, 0, s.stderr);
  assert.match(s.stderr, /rejected a malformed message \(unknown message type/);
  const rejected = s.messages.filter((m) => m.type === 'event' && m.event.type === 'error' && m.event.kind === 'protocol');
  assert.equal(rejected.length, 4, 'one error event per rejected message (two malformed, one malformed start, one second start)');
  assert.ok(rejected.every((m) => m.type === 'event' && m.event.type === 'error' && /rejected a message|already runs r1/.test(m.event.message)));
  assert.deepEqual(rejected.map((m) => m.runId), ['r0', 'r0', 'r2', 'r1']);
  const end = s.messages.find((m) => m.type === 'event' && m.event.type === 'end');
  assert.ok(end && end.type === 'event' && end.event.type === 'end');
  assert.equal(end.event.stopped, true);
  assert.ok(end.event.steps < 100_000);
  // The host's kill grace (STOP_GRACE_MS): a stop slower than that is killed, i.e. broken; typical is ≈ 250 ms (`npm run bench -- stop`).
  assert.ok(stopMs < 3000, `stop took ${stopMs} ms (the host kills after 3000)`);
});

test('a malformed startTraining is answered with a protocol error event for its run, and the process exits (the host is not left waiting)', async () => {
  for (const bad of [
    { type: 'startTraining', runId: 'r9', spec: {}, options: { backend: 'quantum', probeEvery: 1, evalEvery: 0 } },
    { type: 'startTraining', runId: 'r9', spec: {}, options: { backend: 'auto', probeEvery: -1, evalEvery: 0 } },
    { type: 'startTraining', runId: 'r9', spec: {}, options: { backend: 'auto', probeEvery: 1, evalEvery: 0, thresholds: { deadActiveShare: 'none' } } },
    { type: 'startTraining', runId: 'r9', spec: {}, options: null },
  ]) {
    const s = start();
    s.send(bad);
    const { code } = await s.exit;
    assert.equal(code, 0, s.stderr);
    const err = s.messages.find((m) => m.type === 'event' && m.event.type === 'error');
    assert.ok(err && err.type === 'event' && err.event.type === 'error', JSON.stringify(s.messages));
    assert.equal(err.runId, 'r9');
    assert.equal(err.event.kind, 'protocol');
    assert.match(err.event.message, /rejected a message from the host: (options|startTraining needs)/);
  }
});

test('a spec whose optimizer type names an Object.prototype member is a spec error event, not a dead process', async () => {
  for (const type of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
    const s = start();
    s.send(startCmd({ layers: [{ units: 10, activation: 'softmax' }], optimizer: JSON.parse(`{"type": ${JSON.stringify(type)}, "learningRate": 0.1}`) }));
    const { code } = await s.exit;
    assert.equal(code, 0, s.stderr);
    const err = s.messages.find((m) => m.type === 'event' && m.event.type === 'error');
    assert.ok(err && err.type === 'event' && err.event.type === 'error', `${type}: ${s.stderr}`);
    assert.equal(err.event.kind, 'spec');
    assert.match(err.event.message, /invalid model spec: optimizer\.type: must be one of sgd, momentum, adam, rmsprop/);
  }
});

test('a stop while MNIST is loading (gzip data folder) ends the process long before the load would have finished', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-gz-'));
  const src = defaultMnistDir();
  for (const f of Object.values(MNIST_FILES)) {
    const raw = readFileSync(join(src, f));
    writeFileSync(join(dir, `${f}.gz`), gzipSync(raw, { level: 1 }));
  }
  // control: how long loading takes here (loadingData → loadingBackend)
  const control = start();
  control.send(startCmd(mlpZeros(1), { dataDir: dir }));
  const c0 = await control.waitFor((m) => m.type === 'status' && m.phase === 'loadingData').then(() => Date.now());
  await control.waitFor((m) => m.type === 'status' && m.phase === 'loadingBackend');
  const loadMs = Date.now() - c0;
  await control.exit;
  // stopped as soon as loading starts
  const s = start();
  s.send(startCmd(mlpZeros(1), { dataDir: dir }));
  await s.waitFor((m) => m.type === 'status' && m.phase === 'loadingData');
  const t0 = Date.now();
  s.send({ type: 'stopTraining', runId: 'r1' });
  const { code } = await s.exit;
  const stopMs = Date.now() - t0;
  assert.equal(code, 0, s.stderr);
  assert.ok(!s.messages.some((m) => (m.type === 'status' && m.phase !== 'loadingData') || (m.type === 'event' && m.event.type === 'start')), 'nothing after loading started');
  assert.ok(!s.messages.some((m) => m.type === 'event' && m.event.type === 'error'), 'a stop is not an error');
  console.log(`gzip MNIST load ${loadMs} ms; stop during the load took ${stopMs} ms to end the process`);
  assert.ok(stopMs < loadMs / 2 + 150, `stop took ${stopMs} ms, the load ${loadMs} ms`);
});
