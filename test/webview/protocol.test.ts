// The panel protocol in plain Node: guards accept what the host and webview send and reject
// malformed or hostile messages; NotificationFeed batches steps and keeps order; RunStore folds a
// snapshot and the deltas into the same state; the persisted state is thinned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type HostNotification, DidSnapshotNotification, DidStepBatchNotification, ExportRunCommand, LIMITS, NotificationFeed, RerunWithFixCommand, RunStore,
  StopTrainingCommand, deadUnits, describeRejected, isRunState, parseHostNotification, parsePersistedState, parseWebviewCommand, persistableRuns, markInterrupted, newRunState,
} from '../../src/protocol/webview';
import type { TrainerToHostMessage } from '../../src/protocol/training';
import { findPreset } from '../../src/core/presets';
import { loadStream } from './harness';

const zeros = loadStream('seed-mlp-zeros');

test('every notification of a recorded real run passes the guard, and the stream rebuilds the run', () => {
  const store = new RunStore();
  for (const n of zeros.notifications) {
    const parsed = parseHostNotification(JSON.parse(JSON.stringify(n)));
    assert.ok(parsed, `rejected: ${describeRejected(n)}`);
    assert.ok(store.apply(parsed));
  }
  const run = store.get('run-1')!;
  assert.equal(run.status, 'finished');
  assert.equal(run.steps.length, 1000);
  assert.deepEqual(run.steps, Array.from({ length: 1000 }, (_, i) => i + 1), 'steps arrive once each, in order');
  assert.equal(run.probes.length, 21, 'a probe at step 0 and every 50 steps');
  assert.deepEqual(deadUnits(run.latestProbe!.layers[0]).length, 100);
  assert.ok(isRunState(JSON.parse(JSON.stringify(run))));
});

test('a snapshot of the state so far followed by the remaining deltas equals the full stream', () => {
  const full = new RunStore();
  for (const n of zeros.notifications) full.apply(n as unknown as HostNotification);
  const cut = 40;
  const first = new RunStore();
  for (const n of zeros.notifications.slice(0, cut)) first.apply(n as unknown as HostNotification);
  const late = new RunStore();
  const snap = parseHostNotification(JSON.parse(JSON.stringify({ type: 'snapshot', runs: first.runs, activeRunId: first.active?.runId })));
  assert.ok(snap);
  late.apply(snap);
  for (const n of zeros.notifications.slice(cut)) late.apply(n as unknown as HostNotification);
  assert.deepEqual(JSON.parse(JSON.stringify(late.runs)), JSON.parse(JSON.stringify(full.runs)));
});

test('NotificationFeed holds steps until a flush and releases them before any later notification of the run', () => {
  let now = 1000;
  const feed = new NotificationFeed(() => now);
  const spec = findPreset('seed-mlp-zeros')!.spec;
  const [start] = feed.beginRun({ runId: 'r1', label: 'x', spec });
  assert.equal(start.type, 'startRun');
  const step = (k: number): TrainerToHostMessage => ({ type: 'event', runId: 'r1', event: { type: 'step', step: k, loss: k === 3 ? NaN : 2, batchAccuracy: 0.1 } });
  assert.deepEqual(feed.trainerMessage(step(1)), []);
  assert.deepEqual(feed.trainerMessage(step(2)), []);
  assert.deepEqual(feed.trainerMessage(step(3)), []);
  assert.deepEqual(feed.trainerMessage({ type: 'event', runId: 'unknown', event: { type: 'step', step: 1, loss: 1, batchAccuracy: 0 } }), [], 'runs not begun are ignored');
  now = 1125;
  const out = feed.trainerMessage({ type: 'event', runId: 'r1', event: { type: 'eval', step: 3, testLoss: 2, testAccuracy: 0.1, predictedCounts: [0, 10, 0, 0, 0, 0, 0, 0, 0, 0], testExamples: 10, final: false } });
  assert.deepEqual(out.map((n) => n.type), ['steps', 'eval']);
  const batch = out[0];
  assert.ok(DidStepBatchNotification.is(batch));
  assert.deepEqual(batch.steps, [1, 2, 3]);
  assert.deepEqual(batch.loss, [2, 2, null], 'NaN travels as null');
  assert.equal(batch.elapsedMs, 125);
  assert.deepEqual(feed.flushSteps(), []);
  assert.equal(feed.hasPendingSteps, false);
  const end = feed.endRun('r1', { status: 'error', message: 'worker crashed' });
  assert.deepEqual(end.map((n) => n.type), ['endRun']);
  assert.equal((end[0] as { message?: string }).message, 'worker crashed');
});

test('webview commands: well-formed ones pass, malformed and hostile ones are rejected', () => {
  const fix = { kind: 'initializer', layer: 0, target: 'kernel', value: 'heNormal', label: 'He' };
  assert.ok(parseWebviewCommand({ type: 'ready' }));
  assert.ok(StopTrainingCommand.is({ type: 'stopTraining', runId: 'run-1' }));
  assert.ok(RerunWithFixCommand.is({ type: 'rerunWithFix', runId: 'run-1', fix }));
  assert.ok(ExportRunCommand.is({ type: 'exportRun', runId: 'run-1', format: 'json' }));
  assert.ok(ExportRunCommand.is({ type: 'exportRun', runId: 'run-1', format: 'png', data: 'data:image/png;base64,iVBORw0KGgo=' }));
  const bad: unknown[] = [
    undefined, null, 'ready', [{ type: 'ready' }], { type: 'Ready' }, { type: 'stopTraining' }, { type: 'stopTraining', runId: '../../x' },
    { type: 'stopTraining', runId: 'a'.repeat(101) }, { type: 'stopTraining', runId: { toString: () => 'run-1' } },
    { type: 'rerunWithFix', runId: 'run-1', fix: { ...fix, kind: 'shell', command: 'rm -rf /' } },
    { type: 'rerunWithFix', runId: 'run-1', fix: { ...fix, layer: -1 } },
    { type: 'rerunWithFix', runId: 'run-1', fix: { ...fix, value: { type: 'randomUniform', minval: 'a' } } },
    { type: 'exportRun', runId: 'run-1', format: 'html', data: '<script>' },
    { type: 'exportRun', runId: 'run-1', format: 'json', data: 'x' },
    { type: 'exportRun', runId: 'run-1', format: 'png', data: 'data:text/html;base64,PHNjcmlwdD4=' },
    { type: 'exportRun', runId: 'run-1', format: 'png', data: 'data:image/png;base64,<script>' },
    { type: 'exportRun', runId: 'run-1', format: 'png', data: 'data:image/png;base64,' + 'A'.repeat(LIMITS.maxPngChars) },
    { type: 'revealSource', runId: 'run-1', findingIndex: -1 }, { type: 'revealSource', runId: 'run-1', findingIndex: 1.5 },
  ];
  for (const m of bad) assert.equal(parseWebviewCommand(m), undefined, `accepted ${describeRejected(m)}`);
});

test('host notifications: wrong types, lengths and markup in enum fields are rejected', () => {
  const bad: unknown[] = [
    { type: 'steps', runId: 'run-1', steps: [1], loss: [1, 2], batchAccuracy: [0], elapsedMs: 0 },
    { type: 'steps', runId: 'run-1', steps: [1.5], loss: [1], batchAccuracy: [0], elapsedMs: 0 },
    { type: 'steps', runId: 'run-1', steps: [1], loss: ['1'], batchAccuracy: [0], elapsedMs: 0 },
    { type: 'endRun', runId: 'run-1', status: '<b>finished</b>', elapsedMs: 0 },
    { type: 'eval', runId: 'run-1', eval: { step: 1, testLoss: 1, testAccuracy: 'high', predictedCounts: [], final: false } },
    { type: 'snapshot', runs: new Array(LIMITS.maxSnapshotRuns + 1).fill(null) },
    { type: 'startRun', run: { runId: 'r', label: 'x', status: 'running' } },
  ];
  for (const m of bad) assert.equal(parseHostNotification(m), undefined, `accepted ${JSON.stringify(m).slice(0, 80)}`);
  // describeRejected never echoes message content.
  assert.doesNotMatch(describeRejected({ type: '<script>alert(1)</script>'.repeat(10), payload: 'secret' }), /secret/);
});

test('persisted state is thinned to the limits and a reload marks unfinished runs as interrupted', () => {
  const store = new RunStore();
  for (const n of zeros.notifications) store.apply(n as unknown as HostNotification);
  const run = store.get('run-1')!;
  // Make it a long, still-running run.
  for (let k = 1001; k <= 12_000; k++) { run.steps.push(k); run.loss.push(2); run.batchAccuracy.push(0.1); }
  run.status = 'running';
  const saved = persistableRuns(store);
  assert.equal(saved.runs.length, 1);
  const s = saved.runs[0];
  assert.ok(s.steps.length <= LIMITS.maxPersistedSteps + 1, `${s.steps.length}`);
  assert.equal(s.steps[s.steps.length - 1], 12_000, 'the latest step is kept');
  assert.equal(s.status, 'running', 'hide/show keeps the status');
  assert.equal(run.steps.length, 12_000, 'the live state is not modified');
  const revived = markInterrupted(saved.runs);
  assert.equal(revived[0].status, 'stopped');
  assert.match(revived[0].message!, /reloaded/);
  assert.ok(isRunState(JSON.parse(JSON.stringify(revived[0]))));
});

test('the webview\'s saved state is untrusted: parsePersistedState keeps valid runs within the persisted limits and drops the rest, saying what', () => {
  const store = new RunStore();
  for (const n of zeros.notifications) store.apply(n as unknown as HostNotification);
  const saved = JSON.parse(JSON.stringify({ version: 1, ...persistableRuns(store) })) as { version: number; runs: Record<string, unknown>[]; activeRunId: string };
  const good = parsePersistedState(saved);
  assert.deepEqual(good.dropped, []);
  assert.equal(good.state.runs.length, 1);
  assert.equal(good.state.activeRunId, 'run-1');
  assert.equal(good.state.runs[0].status, 'finished');
  assert.deepEqual(parsePersistedState(undefined), { state: { runs: [] }, dropped: [] }, 'no saved state: nothing to say');
  const run = saved.runs[0];
  const cases: [string, unknown, RegExp, number][] = [
    ['not an object', 'junk', /not an object/, 0],
    ['an array', [run], /not an object/, 0],
    ['another version', { ...saved, version: 2 }, /version 2, not 1/, 0],
    ['runs not a list', { version: 1, runs: { 0: run } }, /runs are not a list/, 0],
    ['a run that is not a RunState', { version: 1, runs: [{ ...run, status: 'exploded' }, run] }, /1 invalid run/, 1],
    ['more steps than a saved state keeps', { version: 1, runs: [{ ...run, steps: Array.from({ length: LIMITS.maxPersistedSteps + 2 }, (_, i) => i), loss: new Array(LIMITS.maxPersistedSteps + 2).fill(1), batchAccuracy: new Array(LIMITS.maxPersistedSteps + 2).fill(0) }] }, /1 invalid run/, 0],
    ['more probe frames than a saved state keeps', { version: 1, runs: [{ ...run, probes: new Array(LIMITS.maxPersistedFrames + 1).fill((run.probes as unknown[])[0]) }] }, /1 invalid run/, 0],
    ['the same runId twice', { version: 1, runs: [run, run] }, /1 invalid run/, 1],
    ['more runs than a saved state holds (the rest not even checked)', { version: 1, runs: [run, { ...run, runId: 'run-2' }, ...new Array(1_000_000).fill(run)] }, new RegExp(`${1_000_002 - LIMITS.maxPersistedRuns} run\\(s\\) beyond the ${LIMITS.maxPersistedRuns}`), 2],
    ['more loss points in all than a saved state holds', { version: 1, runs: Array.from({ length: LIMITS.maxPersistedRuns }, (_, i) => ({ ...run, runId: `run-${i}`, probes: [], steps: Array.from({ length: LIMITS.maxPersistedSteps }, (_, k) => k), loss: new Array(LIMITS.maxPersistedSteps).fill(1), batchAccuracy: new Array(LIMITS.maxPersistedSteps).fill(0) })) }, /beyond the total loss points/, Math.floor(LIMITS.maxPersistedTotalSteps / LIMITS.maxPersistedSteps)],
    ['an activeRunId naming no run', { ...saved, activeRunId: 'run-9' }, /activeRunId that names none/, 1],
  ];
  for (const [what, state, why, kept] of cases) {
    const t0 = Date.now();
    const r = parsePersistedState(state);
    assert.ok(Date.now() - t0 < 1000, `${what}: ${Date.now() - t0} ms`);
    assert.ok(r.dropped.some((d) => why.test(d)), `${what}: ${r.dropped.join('; ') || '(nothing dropped)'}`);
    assert.equal(r.state.runs.length, kept, what);
    for (const k of r.state.runs) assert.ok(isRunState(k), what);
    if (r.state.activeRunId !== undefined) assert.ok(r.state.runs.some((k) => k.runId === r.state.activeRunId), what);
  }
  // A state whose properties throw when read is dropped, not thrown.
  const hostile = new Proxy({}, { get: () => { throw new Error('boom'); }, ownKeys: () => { throw new Error('boom'); } });
  assert.deepEqual(parsePersistedState(hostile).state.runs, []);
  // Still-running runs come back interrupted.
  const running = parsePersistedState({ version: 1, runs: [{ ...run, status: 'running', end: undefined }] });
  assert.equal(running.state.runs[0]?.status, 'stopped', running.dropped.join('; '));
});

test('RunStore keeps at most LIMITS.maxRuns runs, dropping the oldest ended ones but never the shown run or the one it compares with', () => {
  const store = new RunStore();
  const begin = (id: string, compareWithRunId?: string) => store.apply({ type: 'startRun', run: { ...newRunState({ runId: id, label: id, startedAt: 0, compareWithRunId }) } });
  const end = (id: string) => store.apply({ type: 'endRun', runId: id, status: 'finished', elapsedMs: 1 });
  begin('first'); end('first');
  for (let i = 1; i < LIMITS.maxRuns; i++) { begin(`r${i}`); end(`r${i}`); }
  assert.equal(store.runs.length, LIMITS.maxRuns);
  begin('fixed', 'first'); // "Re-run with this fix" on the oldest run, picked in the run list
  assert.equal(store.runs.length, LIMITS.maxRuns);
  assert.ok(store.get('first'), 'the compared-with run is kept');
  assert.equal(store.active?.runId, 'fixed');
  assert.equal(store.get('r1'), undefined, 'the oldest ended run went first');
  assert.ok(DidSnapshotNotification.is(JSON.parse(JSON.stringify({ type: 'snapshot', runs: store.runs }))));
});

test('the set\'s commands: startSweep and exportComparison pass when well formed; scripts, handlers, unknown kinds and bad run lists are rejected', () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><text>lr one=2 &lt;script&gt;</text></svg>';
  const good: unknown[] = [
    { type: 'startSweep', runId: 'run-1', kind: 'init', layer: 0 },
    { type: 'startSweep', runId: 'run-1', kind: 'learningRate' },
    { type: 'exportComparison', runIds: ['run-1', 'run-2'], format: 'svg', data: svg },
    { type: 'exportComparison', runIds: ['run-1'], format: 'csv', data: 'step,"a, b: loss"\r\n1,2\r\n' },
    { type: 'exportComparison', runIds: ['run-1'], format: 'png', data: 'data:image/png;base64,iVBORw0KGgo=' },
  ];
  for (const m of good) assert.ok(parseWebviewCommand(m), `rejected ${JSON.stringify(m).slice(0, 100)}`);
  const bad: unknown[] = [
    { type: 'startSweep', runId: 'run-1', kind: 'dropout' },
    { type: 'startSweep', runId: 'run-1', kind: 'init', layer: 64 },
    { type: 'startSweep', runId: '<b>', kind: 'init' },
    { type: 'exportComparison', runIds: [], format: 'csv', data: 'a' },
    { type: 'exportComparison', runIds: ['run-1', 'run-1'], format: 'csv', data: 'a' },
    { type: 'exportComparison', runIds: ['run-1'], format: 'svg', data: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' },
    { type: 'exportComparison', runIds: ['run-1'], format: 'svg', data: '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>' },
    { type: 'exportComparison', runIds: ['run-1'], format: 'svg', data: '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>' },
    { type: 'exportComparison', runIds: ['run-1'], format: 'svg', data: '<html><svg xmlns="http://www.w3.org/2000/svg"></svg></html>' },
    { type: 'exportComparison', runIds: ['run-1'], format: 'png', data: 'data:image/png;base64,<img>' },
    { type: 'exportComparison', runIds: ['run-1'], format: 'gif', data: 'x' },
    { type: 'exportComparison', runIds: ['run-1'], format: 'csv', data: 'x'.repeat(LIMITS.maxExportChars + 1) },
  ];
  for (const m of bad) assert.equal(parseWebviewCommand(m), undefined, `accepted ${JSON.stringify(m).slice(0, 100)}`);
});

test('a run carries where it differs from the program (warnings): kept through the guard and the feed, bounded, and anything else refused', () => {
  const feed = new NotificationFeed(() => 0);
  const [start] = feed.beginRun({ runId: 'run-w', label: 'w', warnings: ['line 12: this loss is 100× the mean Gradient Lens trains: the run trains it without that factor'] });
  const parsed = parseHostNotification(JSON.parse(JSON.stringify(start)));
  assert.ok(parsed, describeRejected(start));
  const store = new RunStore();
  assert.ok(store.apply(parsed));
  assert.deepEqual(store.get('run-w')!.warnings, ['line 12: this loss is 100× the mean Gradient Lens trains: the run trains it without that factor']);
  const run = newRunState({ runId: 'run-x', label: 'x', startedAt: 0, warnings: Array.from({ length: 80 }, (_, i) => `w${i}`) });
  assert.equal(run.warnings!.length, 50, 'at most MAX_RUN_WARNINGS');
  assert.ok(isRunState(run));
  assert.ok(!isRunState({ ...run, warnings: [42] }), 'a warning is a string');
  assert.ok(!isRunState({ ...run, warnings: 'line 1' }), 'warnings are a list');
});
