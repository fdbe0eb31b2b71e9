// A sweep in the training process (dist/worker.js) as the extension host starts it (startSweep): the variants train
// together in ONE forked process, every message carries its variant's runId, each variant's numbers are exactly
// those it gets trained alone, a stop of any variant stops the sweep, and malformed sweeps are refused with the
// reason. Real processes, real MNIST, wasm.
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import {
  MAX_SWEEP_VARIANTS, hostToTrainerProblem, isTrainerProcessMessage, type StartSweepCommand, type TrainerProcessMessage,
} from '../../src/protocol/training';
import { findPreset } from '../../src/core/presets';
import { sweepOf } from '../../src/core/sweeps';
import { loadMnist, type MnistData } from '../../src/core/mnist';
import { selectBackend } from '../../src/core/backend';
import { runWithDiagnostics } from '../../src/core/run';
import type { ModelSpec } from '../../src/core/spec';
import { repoRoot } from './helpers';
import { TrainerProcess } from '../../src/host/trainerProcess';

const WORKER = join(repoRoot, 'dist', 'worker.js');
const options = { backend: 'wasm' as const, probeEvery: 50, evalEvery: 0 };
const range = (line: number) => ({ line, column: 0, endLine: line, endColumn: 20 });
const source = { file: '/nowhere/mnist_mlp_zeros.py', layers: [{ layer: 0, definition: range(10) }, { layer: 1, definition: range(11) }] };

function session(): { messages: TrainerProcessMessage[]; stderr: () => string; exit: Promise<{ code: number | null }>; send: (m: unknown) => void; until: (pred: (m: TrainerProcessMessage) => boolean) => Promise<void> } {
  const child = fork(WORKER, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
  const messages: TrainerProcessMessage[] = [];
  let stderr = '';
  const waiters: { pred: (m: TrainerProcessMessage) => boolean; resolve: () => void }[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => { stderr += c; });
  child.on('message', (m: unknown) => {
    assert.ok(isTrainerProcessMessage(m), `the training process sent a message its own guard rejects: ${JSON.stringify(m).slice(0, 200)}`);
    messages.push(m);
    for (const w of waiters.splice(0)) (w.pred(m) ? w.resolve() : waiters.push(w));
  });
  return {
    messages, stderr: () => stderr,
    exit: new Promise((resolve) => child.on('exit', (code) => resolve({ code }))),
    send: (m) => child.send(m as object),
    until: (pred) => new Promise((resolve) => (messages.some(pred) ? resolve() : waiters.push({ pred, resolve }))),
  };
}

/** zeros (as written), U(±0.01) and He normal: the seed MLP's init sweep, three of its variants. */
function threeVariants(steps: number): { specs: ModelSpec[]; labels: string[] } {
  const sweep = sweepOf({ ...findPreset('seed-mlp-zeros')!.spec, steps }, 'init');
  const chosen = sweep.variants.filter((v) => v.asWritten || v.label === 'U(±0.01)' || v.label === 'He normal');
  assert.deepEqual(chosen.map((v) => v.label), ['as written (zeros)', 'U(±0.01)', 'He normal']);
  return { specs: chosen.map((v) => v.spec), labels: chosen.map((v) => v.label) };
}

const sweepCmd = (runIds: string[], specs: unknown[], labels: string[], extra: Partial<StartSweepCommand> = {}): StartSweepCommand =>
  ({ type: 'startSweep', runIds, specs, labels, asWritten: 0, options: { ...options, source }, ...extra });

let data: MnistData;
before(() => {
  data = loadMnist();
});

test('startSweep: three variants train together in one process, each runId gets its steps and findings, each equals its run alone', async () => {
  const steps = 200;
  const { specs, labels } = threeVariants(steps);
  const ids = ['v-zeros', 'v-uniform', 'v-he'];
  const s = session();
  s.send(sweepCmd(ids, specs, labels));
  const { code } = await s.exit;
  assert.equal(code, 0, s.stderr());
  const of = (id: string) => s.messages.filter((m) => m.runId === id);
  const sweepNotes = s.messages.filter((m) => m.type === 'sweep');
  assert.equal(sweepNotes.length, 2, 'one before the first step, one when the loop has ended');
  for (const n of sweepNotes) assert.ok(n.type === 'sweep' && n.together && n.reason === undefined && n.runId === ids[0] && n.runIds.join() === ids.join());
  const last = sweepNotes[1];
  assert.ok(last.type === 'sweep' && Array.isArray(last.groups) && last.groups.flat().sort().join() === '0,1,2', 'every variant in a group');
  assert.ok(s.messages.every((m) => ids.includes(m.runId)), 'every message is a variant\'s');

  // The identity the sweep promises: each variant's numbers are those of its run alone, with the same options.
  const backend = await selectBackend('wasm');
  for (const [k, id] of ids.entries()) {
    const events = of(id).flatMap((m) => (m.type === 'event' ? [m.event] : []));
    assert.deepEqual(events.filter((e) => e.type === 'step').map((e) => e.type === 'step' && e.step), Array.from({ length: steps }, (_, i) => i + 1), `${id}: every step`);
    assert.equal(of(id).filter((m) => m.type === 'probe').length, steps / 50 + 1, `${id}: probes at 0, 50, …, ${steps}`);
    const end = events.find((e) => e.type === 'end');
    const finished = of(id).find((m) => m.type === 'finished');
    assert.ok(end?.type === 'end' && !end.stopped && end.steps === steps, id);
    assert.ok(finished?.type === 'finished', `${id}: finished`);
    const alone = await runWithDiagnostics(specs[k], { data, probeEvery: options.probeEvery, evalEvery: options.evalEvery, backend });
    assert.equal(end.testAccuracy, alone.testAccuracy, `${labels[k]}: test accuracy in the sweep = alone`);
    assert.equal(end.testLoss, alone.testLoss, `${labels[k]}: test loss in the sweep = alone`);
    assert.deepEqual(finished.findings.map((f) => f.code), alone.findings.map((f) => f.code), `${labels[k]}: the same findings`);
    // Only the variant as written is the file's program: its findings carry the file's lines, the others' none.
    if (k === 0) assert.ok(finished.findings.some((f) => f.layer === 0 && f.source?.file === source.file && f.source.line === 10), 'as written: on the file\'s lines');
    else assert.ok(finished.findings.every((f) => f.source === undefined), `${labels[k]}: no source`);
    if (k === 0) assert.ok(of(id).some((m) => m.type === 'probe' && m.report.findings.some((f) => f.source?.file === source.file)), 'as written: probe findings too');
  }
  const zeros = of(ids[0]).find((m) => m.type === 'finished');
  const dead = zeros?.type === 'finished' ? zeros.findings.find((f) => f.code === 'dead-units' && f.layer === 0) : undefined;
  assert.equal(dead?.units?.length, 100, 'zeros: dead-units with 100 of the 100 units');
  const he = of(ids[2]).find((m) => m.type === 'finished');
  assert.ok(he?.type === 'finished' && !he.findings.some((f) => f.code === 'dead-units' && (f.units?.length ?? 0) === 100), 'He normal: not all dead');
});

test('startSweep: a bad spec is its variant\'s error, the others train; stopTraining with any variant\'s runId stops the whole sweep', async () => {
  const { specs, labels } = threeVariants(5000);
  const ids = ['s-zeros', 's-bad', 's-he'];
  const s = session();
  s.send(sweepCmd(ids, [specs[0], { ...specs[1], layers: [] }, specs[2]], labels));
  await s.until((m) => m.runId === ids[2] && m.type === 'event' && m.event.type === 'step' && m.event.step >= 5);
  s.send({ type: 'stopTraining', runId: ids[2] });
  const { code } = await s.exit;
  assert.equal(code, 0, s.stderr());
  const bad = s.messages.filter((m) => m.runId === ids[1]);
  assert.equal(bad.length, 1, 'the bad variant: its error only');
  assert.ok(bad[0].type === 'event' && bad[0].event.type === 'error' && bad[0].event.kind === 'spec' && /invalid model spec/.test(bad[0].event.message));
  const sweepNote = s.messages.find((m) => m.type === 'sweep');
  assert.ok(sweepNote?.type === 'sweep' && sweepNote.runIds.join() === `${ids[0]},${ids[2]}`, 'the sweep trains the valid variants');
  const ends = [ids[0], ids[2]].map((id) => s.messages.find((m) => m.runId === id && m.type === 'event' && m.event.type === 'end'));
  for (const e of ends) assert.ok(e?.type === 'event' && e.event.type === 'end' && e.event.stopped && e.event.steps < 5000, 'stopped early');
  const [a, b] = ends.map((e) => (e?.type === 'event' && e.event.type === 'end' ? e.event.steps : -1));
  assert.equal(a, b, 'one loop: both variants stopped at the same step');
  assert.ok([ids[0], ids[2]].every((id) => s.messages.some((m) => m.runId === id && m.type === 'finished')));
});

test('startSweep guard: bounded, distinct runIds, one spec and label per runId, options as a run\'s; a malformed sweep is answered with the reason', async () => {
  const ok = sweepCmd(['a', 'b'], [{}, {}], ['x', 'y']);
  assert.equal(hostToTrainerProblem(ok), undefined);
  assert.equal(hostToTrainerProblem({ ...ok, asWritten: undefined }), undefined);
  const ids = Array.from({ length: MAX_SWEEP_VARIANTS + 1 }, (_, i) => `r${i}`);
  assert.match(hostToTrainerProblem({ ...ok, runIds: ids, specs: ids, labels: ids })!, /runIds: an array of 1 to 8 runIds/);
  assert.match(hostToTrainerProblem({ ...ok, runIds: [] })!, /1 to 8/);
  assert.match(hostToTrainerProblem({ ...ok, runIds: ['a', 'a'] })!, /distinct/);
  assert.match(hostToTrainerProblem({ ...ok, runIds: ['a', ''] })!, /every runId must be a string of 1 to 100 characters/);
  assert.match(hostToTrainerProblem({ ...ok, specs: [{}] })!, /one spec per runId \(2\)/);
  assert.match(hostToTrainerProblem({ ...ok, labels: ['x'] })!, /labels/);
  assert.match(hostToTrainerProblem({ ...ok, asWritten: 2 })!, /asWritten must be -1 or a variant's index \(0 to 1\)/);
  assert.match(hostToTrainerProblem({ ...ok, options: undefined })!, /^startSweep needs an options object/);
  assert.match(hostToTrainerProblem({ ...ok, options: { ...options, backend: 'gpu' } })!, /options.backend must be auto, tensorflow, wasm or cpu/);
  assert.ok(isTrainerProcessMessage({ type: 'sweep', runId: 'a', runIds: ['a', 'b'], together: false, reason: 'Adam', groups: [[0], [1]] }));
  assert.ok(!isTrainerProcessMessage({ type: 'sweep', runId: 'a', runIds: ['a'], together: 'yes' }));
  assert.ok(!isTrainerProcessMessage({ type: 'sweep', runId: 'a', runIds: ['a'], together: true, groups: [[9]] }));

  const s = session();
  s.send({ ...ok, runIds: ['m1', 'm1'] });
  const { code } = await s.exit;
  assert.equal(code, 0, 'a malformed start ends the process it was forked for');
  const err = s.messages.find((m) => m.type === 'event' && m.event.type === 'error');
  assert.ok(err?.type === 'event' && err.event.type === 'error' && err.runId === 'm1' && err.event.kind === 'protocol', JSON.stringify(s.messages));
  assert.match(err.event.message, /rejected a message from the host: startSweep: the runIds must be distinct/);
});

test('TrainerProcess (host side) with a sweep: the messages of every variant are its own, an outcome per variant; stop() stops them all', async () => {
  const { specs, labels } = threeVariants(30);
  const ids = ['h-zeros', 'h-bad', 'h-he'];
  const seen = new Map<string, number>();
  const logged: string[] = [];
  const p = new TrainerProcess({
    workerPath: WORKER, runId: ids[0], spec: undefined, maxMemoryMb: 1024, options,
    sweep: { runIds: ids, specs: [specs[0], { ...specs[1], batchSize: 0 }, specs[2]], labels, asWritten: 0 },
    onMessage: (m) => seen.set(m.runId, (seen.get(m.runId) ?? 0) + 1),
    log: (line) => logged.push(line),
  });
  const whole = await p.done;
  assert.ok(!logged.some((l) => /ignored a malformed message/.test(l)), logged.join('\n'));
  assert.ok(ids.every((id) => (seen.get(id) ?? 0) > 0), 'every variant\'s messages reached onMessage');
  const [zeros, bad, he] = ids.map((id) => p.variantOutcome(id, whole));
  assert.equal(zeros.status, 'finished');
  assert.equal(he.status, 'finished');
  assert.ok(bad.status === 'error' && bad.kind === 'spec' && /batchSize/.test(bad.message), JSON.stringify(bad));
  assert.ok(zeros.status === 'finished' && zeros.findings.some((f) => f.code === 'dead-units'));

  const long = threeVariants(5000);
  let stopAsked = false;
  const q: TrainerProcess = new TrainerProcess({
    workerPath: WORKER, runId: 'k0', spec: undefined, maxMemoryMb: 1024, options,
    sweep: { runIds: ['k0', 'k1', 'k2'], specs: long.specs, labels: long.labels, asWritten: 0 },
    onMessage: (m) => {
      if (!stopAsked && m.type === 'event' && m.event.type === 'step' && m.event.step >= 3) { stopAsked = true; q.stop(); }
    },
    log: () => undefined,
  });
  const all = await q.done;
  for (const id of ['k0', 'k1', 'k2']) {
    const o = q.variantOutcome(id, all);
    assert.ok(o.status === 'stopped' && !o.killed, `${id}: ${JSON.stringify(o).slice(0, 200)}`);
  }
});
