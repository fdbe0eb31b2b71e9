// The run sees the program's cures (issue 21 item 3): the real training process (dist/worker.js, forked as the host
// forks it, real MNIST, wasm) is given the reader's program sites and program fixes (protocol trainSourceOf, as
// commands.ts builds it), and its run-time program finding offers the program's own fix and lands on the program's
// line, not the model's. Plus the guard on those new options (untrusted JSON: bounded, shape-checked).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostToTrainerProblem, MAX_PROGRAM_FIXES, trainSourceOf, type StartTrainingCommand, type TrainerProcessMessage, isTrainerProcessMessage } from '../../src/protocol/training';
import { importSource } from '../../src/core/importers/index';
import { fixKey } from '../../src/core/fixes';
import { repoRoot } from './helpers';

const WORKER = join(repoRoot, 'dist', 'worker.js');
const FILE = join(repoRoot, 'test', 'fixtures', 'programs', 'tf1_unscaled_feed.py');

/** Forks the worker, sends one command, collects every message until it exits. */
async function runWorker(cmd: unknown): Promise<{ messages: TrainerProcessMessage[]; code: number | null; stderr: string }> {
  const child = fork(WORKER, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
  const messages: TrainerProcessMessage[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => { stderr += c; });
  child.on('message', (m: unknown) => {
    assert.ok(isTrainerProcessMessage(m), `the training process sent a message its own guard rejects: ${JSON.stringify(m).slice(0, 200)}`);
    messages.push(m);
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.send(cmd as object);
  return { messages, code: await exit, stderr };
}

const imported = () => {
  const r = importSource(FILE, readFileSync(FILE, 'utf8'));
  assert.ok(r?.spec.ok, 'the fixture reads as a valid spec');
  return r;
};

test('the guard takes program sites and program fixes, bounded, and refuses malformed ones with a reason', () => {
  const r = imported();
  const source = trainSourceOf(FILE, r);
  assert.ok(source.program?.input, 'the reader found where the pixels are fed');
  assert.ok((source.programFixes ?? []).some((f) => f.kind === 'data'), 'the reader wrote a data fix');
  const cmd = (src: unknown): unknown => ({ type: 'startTraining', runId: 'r1', spec: r.spec.ok ? r.spec.spec : {}, options: { backend: 'wasm', probeEvery: 10, evalEvery: 0, source: src } });
  assert.equal(hostToTrainerProblem(cmd(source)), undefined);
  const fix = source.programFixes![0];
  assert.match(hostToTrainerProblem(cmd({ ...source, program: { input: { line: 'one' } } })) ?? '', /options\.source\.program\.input must be a source range/);
  assert.match(hostToTrainerProblem(cmd({ ...source, program: { elsewhere: source.program!.input } })) ?? '', /unknown key "elsewhere"/);
  assert.match(hostToTrainerProblem(cmd({ ...source, program: [] })) ?? '', /options\.source\.program must be an object/);
  assert.match(hostToTrainerProblem(cmd({ ...source, programFixes: Array.from({ length: MAX_PROGRAM_FIXES + 1 }, () => fix) })) ?? '', /at most 32 fixes/);
  assert.match(hostToTrainerProblem(cmd({ ...source, programFixes: [fix, { kind: 'rm -rf', label: 'x' }] })) ?? '', /programFixes\[1\] is not a fix/);
  assert.match(hostToTrainerProblem(cmd({ ...source, programFixes: 'all' })) ?? '', /must be a list/);
});

test('a fix that fits the guard but not the model is a protocol error event naming it; the process exits 0', async () => {
  const r = imported();
  const source = { ...trainSourceOf(FILE, r), programFixes: [{ kind: 'initializer', layer: 9, target: 'kernel', value: 'heNormal', label: 'He' }] };
  const { messages, code, stderr } = await runWorker({ type: 'startTraining', runId: 'bad-fix', spec: r.spec.ok ? r.spec.spec : {}, options: { backend: 'wasm', probeEvery: 0, evalEvery: 0, source } });
  assert.equal(code, 0, stderr);
  const err = messages.find((m) => m.type === 'event' && m.event.type === 'error');
  assert.ok(err?.type === 'event' && err.event.type === 'error', 'an error event');
  assert.equal(err.event.kind, 'protocol');
  assert.match(err.event.message, /programFixes\[0\] is not a fix for this model: targets layer 9, but the model has 2 layers/);
  assert.ok(!messages.some((m) => m.type === 'event' && m.event.type === 'step'), 'nothing was trained');
});

test('an unscaled input (TF1 feed of raw bytes): the run-time unscaled-input finding offers the program\'s own fix and sits on the feed line', { timeout: 180_000 }, async () => {
  const r = imported();
  const spec = { ...(r.spec.ok ? r.spec.spec : ({} as never)), steps: 60 };
  const source = trainSourceOf(FILE, r);
  const programFix = r.programFixes!.find((p) => p.fix.kind === 'data')!;
  const cmd: StartTrainingCommand = { type: 'startTraining', runId: 'unscaled', spec, options: { backend: 'wasm', probeEvery: 20, evalEvery: 0, source } };
  const { messages, code, stderr } = await runWorker(cmd);
  assert.equal(code, 0, stderr);
  const finished = messages.find((m) => m.type === 'finished');
  assert.ok(finished?.type === 'finished', `the run finished (${messages.map((m) => m.type).join(', ')})`);
  const f = finished.findings.find((x) => x.code === 'unscaled-input');
  assert.ok(f, `an unscaled-input finding among ${finished.findings.map((x) => x.code).join(', ')}`);
  assert.deepEqual(f.fixes.map(fixKey), [fixKey(programFix.fix)], 'it offers exactly the program\'s own fix (the one the reader wrote edits for)');
  assert.equal(f.source?.file, FILE);
  assert.equal(f.source?.line, r.program!.input!.line, 'it sits where the pixels are fed');
  assert.notEqual(f.source?.line, r.modelRange?.line, 'not on the model line');
  // the probes' findings carry the same: what the panel shows while training
  const probed = messages.filter((m) => m.type === 'probe').flatMap((m) => (m.type === 'probe' ? m.report.findings : [])).filter((x) => x.code === 'unscaled-input');
  assert.ok(probed.length > 0, 'the probes report it too');
  for (const p of probed) {
    assert.equal(p.source?.line, r.program!.input!.line);
    assert.deepEqual(p.fixes.map(fixKey), [fixKey(programFix.fix)]);
  }

  // control: the same run without the program's sites and fixes (what the host sent before) falls back to the
  // spec-level fix and has no line for it — the difference the pass-through makes
  const bare = await runWorker({ ...cmd, runId: 'bare', options: { ...cmd.options, source: { file: FILE, layers: r.layers } } });
  const bareEnd = bare.messages.find((m) => m.type === 'finished');
  assert.ok(bareEnd?.type === 'finished');
  const g = bareEnd.findings.find((x) => x.code === 'unscaled-input');
  assert.ok(g, 'the bare run finds it too');
  assert.equal(g.source, undefined, 'without program sites it has no line of its own');
});

test('a sweep of that program: the variant as written gets the program\'s own fix on the feed line; a variant that changes the model gets no lines', { timeout: 180_000 }, async () => {
  const r = imported();
  const spec = { ...(r.spec.ok ? r.spec.spec : ({} as never)), steps: 60 };
  const source = trainSourceOf(FILE, r);
  const programFix = r.programFixes!.find((p) => p.fix.kind === 'data')!;
  const other = { ...spec, layers: spec.layers.map((l: object, i: number) => (i === 0 ? { ...l, kernelInitializer: 'heNormal' } : l)) };
  const { messages, code, stderr } = await runWorker({
    type: 'startSweep', runIds: ['own', 'he'], specs: [spec, other], labels: ['as written', 'He normal'], asWritten: 0,
    options: { backend: 'wasm', probeEvery: 20, evalEvery: 0, source },
  });
  assert.equal(code, 0, stderr);
  const end = (id: string) => messages.find((m) => m.type === 'finished' && m.runId === id);
  const own = end('own');
  assert.ok(own?.type === 'finished', `the variant as written finished (${messages.map((m) => `${m.type}:${m.runId}`).join(', ').slice(0, 300)})`);
  const f = own.findings.find((x) => x.code === 'unscaled-input');
  assert.ok(f, `an unscaled-input finding among ${own.findings.map((x) => x.code).join(', ')}`);
  assert.deepEqual(f.fixes.map(fixKey), [fixKey(programFix.fix)], 'the program\'s own fix');
  assert.equal(f.source?.line, r.program!.input!.line, 'on the feed line');
  const he = end('he');
  assert.ok(he?.type === 'finished');
  assert.ok(he.findings.every((x) => x.source === undefined), 'the other variant\'s findings are not the file\'s');
});
