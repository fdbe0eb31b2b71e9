// src/host/panel.ts (TrainingPanel) in plain Node with a FAKE `vscode` module: a unit test cannot
// drive a real webview from the webview side, so the API surface the panel uses is faked here
// (createWebviewPanel, postMessage, onDidReceiveMessage, view state, save dialog, workspace.fs).
// Its happy path in real VS Code is the code-server UI test (scripts/integration.mjs). Recorded real
// trainer messages are replayed through it: seed-mlp-zeros → findings → "Re-run with this fix".
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HostNotification, RunStore, parseHostNotification } from '../../src/protocol/webview';
import type { Finding } from '../../src/core/findings';
import { findPreset } from '../../src/core/presets';
import { FLUSH_MS, TrainingPanel, Uri, exportFileName, fake, vscodeFake } from './fakeVscode';

// ---- helpers ------------------------------------------------------------------------------------
const ext = new Uri('/ext');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started: { spec: unknown; label: string; compareWithRunId?: string }[] = [];
const sweeps: { base: { runId: string; spec: unknown; label: string; sourceFile?: string }; kind: string; layer?: number }[] = [];
const stopped: string[] = [];
let setUps = 0;
const host = {
  startRun: (spec: unknown, label: string, compareWithRunId?: string) => { started.push({ spec, label, compareWithRunId }); },
  stopRun: (runId: string) => { stopped.push(runId); },
  setUpNativeBackend: () => { setUps++; },
  startSweep: (base: { runId: string; spec: unknown; label: string; sourceFile?: string }, kind: string, layer?: number) => { sweeps.push({ base, kind, layer }); },
  log: (m: string) => { fake.logs.push(m); },
};
const seedSpec = findPreset('seed-mlp-zeros')!.spec;
/** The seed-mlp-zeros run as the training process reported it (from the recorded panel stream). */
function finalFindings(): Finding[] {
  const s = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'streams', 'seed-mlp-zeros.json'), 'utf8')) as { notifications: HostNotification[] };
  const end = s.notifications.filter((n) => n.type === 'endRun').pop() as { findings: Finding[] };
  return end.findings;
}
function replayInto(posted: unknown[]): RunStore {
  const store = new RunStore();
  for (const m of posted) {
    const n = parseHostNotification(m);
    assert.ok(n, `the panel posted something the webview would drop: ${JSON.stringify(m).slice(0, 120)}`);
    store.apply(n);
  }
  return store;
}

beforeEach(() => {
  TrainingPanel.currentPanel?.dispose();
  fake.panels.length = 0;
  fake.logs.length = 0;
  started.length = 0;
  sweeps.length = 0;
  fake.saveDialogs.length = 0;
  stopped.length = 0;
  setUps = 0;
});

test('FAKE vscode: "Set up native backend" reaches the host only for a run that fell back because tfjs-node is absent or broken', async () => {
  const panel = TrainingPanel.createOrShow(ext, host);
  const p = fake.panels[0];
  p.receive({ type: 'ready' });
  const start = (runId: string, backend: object) => {
    panel.beginRun({ runId, label: runId, spec: seedSpec });
    panel.handleTrainerMessage({ type: 'event', runId, event: { type: 'start', spec: seedSpec, backend, parameterCount: 79510, totalSteps: 10, probeEvery: 50, evalEvery: 0, trainExamples: 60000, testExamples: 10000, probeExamples: 256 } as never });
  };
  start('run-wasm', { name: 'wasm', requested: 'auto', simd: true, threads: 1, skipped: [{ name: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed', kind: 'absent' }] });
  start('run-native', { name: 'tensorflow', requested: 'auto', threads: 1, skipped: [] });
  start('run-forced', { name: 'wasm', requested: 'wasm', simd: true, threads: 1, skipped: [] });
  p.receive({ type: 'setUpNativeBackend', runId: 'run-wasm' });
  await sleep(5);
  assert.equal(setUps, 1);
  for (const runId of ['run-native', 'run-forced']) p.receive({ type: 'setUpNativeBackend', runId });
  p.receive({ type: 'setUpNativeBackend' });
  await sleep(5);
  assert.equal(setUps, 1, 'runs on tensorflow, or on wasm by choice, are not offered the set-up');
  assert.equal(fake.logs.filter((l) => /not offered the native set-up/.test(l)).length, 2, fake.logs.join('\n'));
  assert.ok(fake.logs.some((l) => /dropped a malformed message/.test(l)));
});

test('FAKE vscode: the webview HTML is locked down (CSP default-src none, script by a fresh nonce, media/ only, no run data)', () => {
  const a = TrainingPanel.createOrShow(ext, host);
  a.beginRun({ runId: 'r1', label: '<script>alert(1)</script>', spec: seedSpec });
  const p = fake.panels[0];
  assert.deepEqual((p.options.localResourceRoots as Uri[]).map((u) => u.fsPath), ['/ext/media']);
  assert.equal(p.options.enableScripts, true);
  const csp = /content="([^"]+)"/.exec(p.html)![1];
  assert.match(csp, /^default-src 'none'; /);
  const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)![1];
  assert.ok(Buffer.from(nonce, 'base64').length >= 16);
  assert.equal([...p.html.matchAll(/<script /g)].length, 1);
  assert.match(p.html, new RegExp(`<script nonce="${nonce.replace(/[+/]/g, '\\$&')}" src="[^"]+/ext/media/webview.js"></script>`));
  assert.doesNotMatch(p.html, /alert\(1\)/, 'no run data in the HTML');
  a.dispose();
  TrainingPanel.createOrShow(ext, host);
  const nonce2 = /'nonce-([A-Za-z0-9+/=]+)'/.exec(fake.panels[1].html)![1];
  assert.notEqual(nonce2, nonce);
});

test('FAKE vscode: nothing is posted before ready; ready gets a snapshot; then step batches at most every 125 ms, in order', async () => {
  const panel = TrainingPanel.createOrShow(ext, host);
  const p = fake.panels[0];
  panel.beginRun({ runId: 'r1', label: 'seed', spec: seedSpec });
  assert.equal(p.posted.length, 0, 'the webview has not said ready');
  p.receive({ type: 'ready' });
  assert.equal((p.posted[0] as { type: string }).type, 'snapshot');
  // ~1000 steps over ~1 s, as the trainer reports them.
  const t0 = Date.now();
  for (let k = 1; k <= 1000; k++) {
    panel.handleTrainerMessage({ type: 'event', runId: 'r1', event: { type: 'step', step: k, loss: 2.3, batchAccuracy: 0.1 } });
    if (k % 10 === 0) await sleep(10);
  }
  await sleep(FLUSH_MS * 2);
  const seconds = (Date.now() - t0) / 1000;
  const batches = p.posted.filter((m) => (m as { type: string }).type === 'steps').length;
  assert.ok(batches <= Math.ceil(seconds * (1000 / FLUSH_MS)) + 1, `${batches} batches in ${seconds.toFixed(2)} s`);
  assert.ok(batches >= 2, `${batches}`);
  const store = replayInto(p.posted);
  assert.deepEqual(store.get('r1')!.steps, Array.from({ length: 1000 }, (_, i) => i + 1));
  console.log(`# ${batches} step batches for 1000 steps in ${seconds.toFixed(2)} s`);
});

test('FAKE vscode: hidden → nothing posted; shown again → one snapshot with everything, including what happened meanwhile', async () => {
  const panel = TrainingPanel.createOrShow(ext, host);
  const p = fake.panels[0];
  p.receive({ type: 'ready' });
  panel.beginRun({ runId: 'r1', label: 'seed', spec: seedSpec });
  await sleep(FLUSH_MS + 30);
  p.setVisible(false);
  const before = p.posted.length;
  for (let k = 1; k <= 300; k++) panel.handleTrainerMessage({ type: 'event', runId: 'r1', event: { type: 'step', step: k, loss: 2, batchAccuracy: 0.1 } });
  await sleep(FLUSH_MS + 30);
  assert.equal(p.posted.length, before, 'nothing posted while hidden');
  p.setVisible(true);
  p.receive({ type: 'ready' }); // the reloaded webview
  const after = p.posted.slice(before);
  assert.ok(after.every((m) => (m as { type: string }).type === 'snapshot'));
  const snap = parseHostNotification(after[after.length - 1]);
  assert.ok(snap && snap.type === 'snapshot');
  assert.equal(snap.runs[0].steps.length, 300);
});

test('FAKE vscode: "Re-run with this fix" starts the fixed spec next to the run; a fix no finding offered, or a malformed message, is dropped and logged', async () => {
  const panel = TrainingPanel.createOrShow(ext, host);
  const p = fake.panels[0];
  p.receive({ type: 'ready' });
  panel.beginRun({ runId: 'run-1', label: 'seed-mlp-zeros', spec: seedSpec });
  panel.handleTrainerMessage({ type: 'event', runId: 'run-1', event: { type: 'step', step: 1, loss: 2.3, batchAccuracy: 0.1 } });
  p.receive({ type: 'stopTraining', runId: 'run-1', extra: '<ignored>' });
  assert.deepEqual(stopped, ['run-1'], 'Stop on a running run reaches the host');
  panel.handleTrainerMessage({ type: 'finished', runId: 'run-1', findings: finalFindings() });
  const dead = finalFindings().find((f) => f.code === 'dead-units')!;
  p.receive({ type: 'rerunWithFix', runId: 'run-1', fix: dead.fixes[1] });
  await sleep(5);
  assert.equal(started.length, 1);
  assert.equal(started[0].compareWithRunId, 'run-1');
  const spec = started[0].spec as typeof seedSpec;
  assert.deepEqual(spec.layers[0].kernelInitializer, dead.fixes[1].kind === 'initializer' ? dead.fixes[1].value : undefined);
  assert.deepEqual(spec.layers[1], seedSpec.layers[1]);
  assert.equal(started[0].label, spec.name);

  const hostile: unknown[] = [
    { type: 'rerunWithFix', runId: 'run-1', fix: { kind: 'learningRate', value: 1e9, label: 'not offered' } },
    { type: 'rerunWithFix', runId: 'nope', fix: dead.fixes[0] },
    { type: 'rerunWithFix', runId: 'run-1', fix: { ...dead.fixes[0], label: 'changed label' } },
    { type: 'stopTraining', runId: 'run-1' },
    { type: 'exportRun', runId: 'run-1', format: 'png', data: 'data:image/png;base64,PHNjcmlwdD4=' },
    { type: 'eval', code: 'process.exit(1)' },
    'ready', null,
  ];
  for (const m of hostile) p.receive(m);
  await sleep(5);
  assert.equal(started.length, 1, 'no other run was started');
  assert.equal(stopped.length, 1, 'Stop on a finished run does nothing');
  assert.ok(fake.logs.some((l) => /not offered/.test(l)), fake.logs.join('\n'));
  assert.ok(fake.logs.some((l) => /unknown run nope/.test(l)));
  assert.ok(fake.logs.some((l) => /not a PNG/.test(l)));
  assert.equal(fake.logs.filter((l) => /dropped a malformed message from the panel webview/.test(l)).length, 3);
});

test('FAKE vscode: JSON export writes the run; revive restores saved state and marks an unfinished run as interrupted', async () => {
  const panel = TrainingPanel.createOrShow(ext, host);
  const p = fake.panels[0];
  p.receive({ type: 'ready' });
  panel.beginRun({ runId: 'run-1', label: 'seed', spec: seedSpec });
  panel.handleTrainerMessage({ type: 'event', runId: 'run-1', event: { type: 'step', step: 1, loss: 2.3, batchAccuracy: 0.1 } });
  const dir = mkdtempSync(join(tmpdir(), 'gl-panel-'));
  let exported: { run: Record<string, unknown> };
  try {
    fake.saveTo = Uri.file(join(dir, 'run.json'));
    p.receive({ type: 'exportRun', runId: 'run-1', format: 'json' });
    await sleep(50);
    exported = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    assert.equal(exported.run.runId, 'run-1');
    assert.deepEqual(exported.run.steps, [1], 'steps held for the next flush are exported too');
    assert.deepEqual(exported.run.spec, seedSpec);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // What the webview saved with setState, handed to revive after a window reload.
  const state = { version: 1, runs: [{ ...exported.run, status: 'running' }], activeRunId: 'run-1' };
  const webviewPanel = (vscodeFake.window.createWebviewPanel('x', 'Gradient Lens', {}, {}));
  const revived = fake.panels[fake.panels.length - 1];
  TrainingPanel.revive(webviewPanel, ext, state, host);
  assert.match(revived.html, /default-src 'none'/);
  revived.receive({ type: 'ready' });
  const snap = parseHostNotification(revived.posted[0]);
  assert.ok(snap && snap.type === 'snapshot');
  assert.equal(snap.runs[0].runId, 'run-1');
  assert.equal(snap.runs[0].status, 'stopped');
  assert.match(snap.runs[0].message ?? '', /reloaded/);
  // Garbage state is ignored.
  const other = vscodeFake.window.createWebviewPanel('x', 'Gradient Lens', {}, {});
  TrainingPanel.revive(other, ext, { runs: [{ runId: '<x>' }, 'junk'] }, host);
  const p3 = fake.panels[fake.panels.length - 1];
  p3.receive({ type: 'ready' });
  const snap3 = parseHostNotification(p3.posted[0]);
  assert.ok(snap3 && snap3.type === 'snapshot');
  assert.equal(snap3.runs.length, 0);
  assert.ok(fake.logs.some((l) => /dropped 2 invalid run/.test(l)));
});

test('FAKE vscode: a run revived from the webview\'s saved state is shown, but its fixes and source file are not trusted', async () => {
  const panel = TrainingPanel.createOrShow(ext, host);
  fake.panels[0].receive({ type: 'ready' });
  panel.beginRun({ runId: 'run-1', label: 'seed', spec: seedSpec, sourceFile: '/etc/passwd' });
  const findings = finalFindings();
  panel.handleTrainerMessage({ type: 'finished', runId: 'run-1', findings });
  panel.endRun('run-1', { status: 'finished' });
  await sleep(FLUSH_MS + 50);
  const fix = findings.flatMap((f) => f.fixes)[0];
  assert.ok(fix, 'the recorded run offers a fix');
  const run = replayInto(fake.panels[0].posted).get('run-1')!;
  assert.equal(run.findings.length, findings.length);
  // The saved state carries the same findings (and a finding pointing at the run's source file).
  const saved = { version: 1, runs: [{ ...JSON.parse(JSON.stringify(run)), findings: [{ ...findings[0], source: { file: '/etc/passwd', line: 1, column: 1 } }, ...findings.slice(1)] }], activeRunId: 'run-1' };
  const webviewPanel = vscodeFake.window.createWebviewPanel('x', 'Gradient Lens', {}, {});
  const revived = fake.panels[fake.panels.length - 1];
  TrainingPanel.revive(webviewPanel, ext, saved, host);
  revived.receive({ type: 'ready' });
  const snap = parseHostNotification(revived.posted[0]);
  assert.ok(snap && snap.type === 'snapshot' && snap.runs.length === 1, 'the run is shown');
  revived.receive({ type: 'rerunWithFix', runId: 'run-1', fix });
  revived.receive({ type: 'revealSource', runId: 'run-1', findingIndex: 0 });
  await sleep(20);
  assert.equal(started.length, 0, 'no run was started from a fix in the saved state');
  assert.ok(fake.logs.some((l) => /dropped rerunWithFix for run-1: the run was restored from the panel's saved state/.test(l)), fake.logs.join('\n'));
  assert.ok(fake.logs.some((l) => /revealSource: run run-1 was restored from the panel's saved state; its file is not opened/.test(l)), fake.logs.join('\n'));
  // A new run of this session is trusted again: its own findings' fixes are accepted.
  const live = TrainingPanel.revive(vscodeFake.window.createWebviewPanel('x', 'Gradient Lens', {}, {}), ext, saved, host);
  const again = fake.panels[fake.panels.length - 1];
  again.receive({ type: 'ready' });
  live.beginRun({ runId: 'run-2', label: 'seed again', spec: seedSpec });
  live.handleTrainerMessage({ type: 'finished', runId: 'run-2', findings });
  again.receive({ type: 'rerunWithFix', runId: 'run-2', fix });
  assert.equal(started.length, 1);
});

test('export file names: the label without its model-file extension; a sweep or a comparison says so', () => {
  assert.equal(exportFileName([{ label: 'mnist_mlp_zeros.py' }], 'png'), 'mnist_mlp_zeros.png');
  assert.equal(exportFileName([{ label: 'model.mlp.json' }], 'svg'), 'model.svg');
  assert.equal(exportFileName([{ label: 'mnist_mlp_zeros.py + Initialise layers[0]\'s weights with He normal' }], 'csv'), 'mnist_mlp_zeros.csv');
  assert.equal(exportFileName([{ label: 'seed-mlp-zeros' }], 'png'), 'seed-mlp-zeros.png');
  assert.equal(exportFileName([{ label: '../../etc/passwd.py' }], 'png'), 'etc_passwd.png', 'no path survives');
  const group = { id: 's1', title: 'Compare initialisations of W1 (100 relu)' };
  assert.equal(exportFileName([{ label: 'mnist_mlp_zeros.py · as written (zeros)', group }, { label: 'mnist_mlp_zeros.py · He normal', group }], 'png'), 'mnist_mlp_zeros_initialisations.png');
  const lr = { id: 's2', title: 'Compare learning rates (×0.1, ×1, ×10 of 0.5)' };
  assert.equal(exportFileName([{ label: 'a.py · lr ×0.1', group: lr }, { label: 'a.py · as written', group: lr }], 'svg'), 'a_learning-rates.svg');
  assert.equal(exportFileName([{ label: 'seed-mlp-zeros' }, { label: 'seed-mlp-uniform' }], 'png'), 'seed-mlp-zeros_comparison.png');
});

test('FAKE vscode: exportComparison writes PNG / SVG / CSV under the default name; startSweep reaches the host with the run\'s validated spec, never for a restored run', async () => {
  const panel = TrainingPanel.createOrShow(ext, host);
  const p = fake.panels[0];
  p.receive({ type: 'ready' });
  const group = (index: number, variant: string) => ({ id: 'sweep-1', title: 'Compare initialisations of layer 1 (100 relu)', variant, index, size: 2, change: index ? 'layer 1 (100 relu) kernel: zeros → heNormal' : '' });
  panel.beginRun({ runId: 'run-1', label: 'mnist_mlp_zeros.py · as written (zeros)', spec: seedSpec, sourceFile: '/ws/mnist_mlp_zeros.py', group: group(0, 'as written (zeros)') });
  panel.beginRun({ runId: 'run-2', label: 'mnist_mlp_zeros.py · He normal', spec: seedSpec, group: group(1, 'He normal') });
  const dir = mkdtempSync(join(tmpdir(), 'gl-panel-'));
  vscodeFake.workspace.workspaceFolders = [{ uri: Uri.file('/ws') }];
  try {
    const png = `data:image/png;base64,${Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]).toString('base64')}`;
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>seed</text></svg>';
    for (const [format, data] of [['png', png], ['svg', svg], ['csv', 'step,a: loss\r\n1,2.3\r\n']] as const) {
      fake.saveTo = Uri.file(join(dir, `out.${format}`));
      p.receive({ type: 'exportComparison', runIds: ['run-1', 'run-2'], format, data });
      await sleep(30);
      const dialog = fake.saveDialogs[fake.saveDialogs.length - 1];
      assert.equal(dialog.defaultUri?.fsPath, `/ws/mnist_mlp_zeros_initialisations.${format}`);
      const written = readFileSync(join(dir, `out.${format}`));
      assert.deepEqual(written, format === 'png' ? Buffer.from(png.split(',')[1], 'base64') : Buffer.from(data, 'utf8'));
    }
    // Not a PNG, a script in an SVG, an unknown run: dropped before any dialog.
    const dialogs = fake.saveDialogs.length;
    p.receive({ type: 'exportComparison', runIds: ['run-1'], format: 'png', data: `data:image/png;base64,${Buffer.from('GIF89a').toString('base64')}` });
    p.receive({ type: 'exportComparison', runIds: ['run-1'], format: 'svg', data: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' });
    p.receive({ type: 'exportComparison', runIds: ['run-1', 'nope'], format: 'csv', data: 'a' });
    await sleep(30);
    assert.equal(fake.saveDialogs.length, dialogs);
    assert.ok(fake.logs.some((l) => /not a PNG/.test(l)) && fake.logs.some((l) => /unknown run nope/.test(l)) && fake.logs.some((l) => /dropped a malformed message/.test(l)), fake.logs.join('\n'));
  } finally {
    vscodeFake.workspace.workspaceFolders = undefined;
    rmSync(dir, { recursive: true, force: true });
  }
  p.receive({ type: 'startSweep', runId: 'run-1', kind: 'init', layer: 0 });
  p.receive({ type: 'startSweep', runId: 'run-1', kind: 'dropout' });
  await sleep(20);
  assert.equal(sweeps.length, 1);
  assert.deepEqual(sweeps[0], { base: { runId: 'run-1', spec: seedSpec, label: 'mnist_mlp_zeros.py · as written (zeros)', sourceFile: '/ws/mnist_mlp_zeros.py' }, kind: 'init', layer: 0 });
  // A run restored from the saved state is shown, but no sweep starts from it.
  const saved = { version: 1, runs: [{ ...JSON.parse(JSON.stringify(panel.runState('run-1'))) }], activeRunId: 'run-1' };
  const revived = TrainingPanel.revive(vscodeFake.window.createWebviewPanel('x', 'Gradient Lens', {}, {}), ext, saved, host);
  const rp = fake.panels[fake.panels.length - 1];
  rp.receive({ type: 'ready' });
  rp.receive({ type: 'startSweep', runId: 'run-1', kind: 'learningRate' });
  await sleep(20);
  assert.equal(sweeps.length, 1);
  assert.ok(fake.logs.some((l) => /dropped startSweep for run-1: the run was restored/.test(l)), fake.logs.join('\n'));
  revived.dispose();
});

test('FAKE vscode: findings reach the webview with their evidence in words, layers named as the spec names them; the JSON export keeps the raw keys only', async () => {
  const panel = TrainingPanel.createOrShow(ext, host);
  const p = fake.panels[0];
  p.receive({ type: 'ready' });
  const named = { ...seedSpec, layers: seedSpec.layers.map((l, i) => ({ ...l, name: i === 0 ? 'W1' : 'W2' })) };
  panel.beginRun({ runId: 'run-1', label: 'named', spec: named });
  const upstream: Finding = { code: 'zero-gradient', severity: 'warning', layer: 1, firstStep: 0, message: 'm', evidence: { weights: 1000, nonZeroGradients: 0, upstreamLayer: 0, causedBy: 'upstream' }, fixes: [] };
  panel.handleTrainerMessage({ type: 'probe', runId: 'run-1', report: { step: 0, loss: 2.3, layers: [], findings: [upstream] } });
  panel.handleTrainerMessage({ type: 'finished', runId: 'run-1', findings: [...finalFindings(), upstream] });
  await sleep(FLUSH_MS + 50);
  const store = replayInto(p.posted);
  const run = store.get('run-1')!;
  const words = (f: Finding | undefined): string[] => (f as { evidenceText?: string[] } | undefined)?.evidenceText ?? [];
  assert.ok(words(run.latestProbe?.findings[0]).includes('the cause is upstream: W1 (100 relu)'), `probe: ${words(run.latestProbe?.findings[0]).join(' | ')}`);
  const dead = run.findings.find((f) => f.code === 'dead-units');
  assert.ok(words(dead).includes('100 of 100 units output 0 on all 256 probe images'), words(dead).join(' | '));
  assert.ok(run.findings.every((f) => words(f).length > 0), 'every finding has words');
  assert.deepEqual(dead?.evidence, finalFindings().find((f) => f.code === 'dead-units')!.evidence, 'the raw keys are still there');
  const dir = mkdtempSync(join(tmpdir(), 'gl-panel-'));
  try {
    fake.saveTo = Uri.file(join(dir, 'run.json'));
    p.receive({ type: 'exportRun', runId: 'run-1', format: 'json' });
    await sleep(50);
    const exported = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { run: { findings: Record<string, unknown>[]; latestProbe?: { findings: Record<string, unknown>[] } } };
    assert.equal(exported.run.findings.length, finalFindings().length + 1);
    assert.ok(exported.run.findings.every((f) => !('evidenceText' in f)), 'no sentences in the export');
    assert.ok(exported.run.latestProbe?.findings.every((f) => !('evidenceText' in f)));
    assert.deepEqual(exported.run.findings.find((f) => f.code === 'dead-units')?.evidence, finalFindings().find((f) => f.code === 'dead-units')!.evidence);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('FAKE vscode: createOrShow tells the host the panel is shown (created or revealed); whenReady resolves when the webview says ready', async () => {
  let shown = 0;
  const h = { ...host, panelShown: () => { shown++; } };
  const panel = TrainingPanel.createOrShow(ext, h);
  assert.equal(shown, 1, 'created');
  let ready = false;
  const waiting = panel.whenReady().then(() => { ready = true; });
  await sleep(5);
  assert.equal(ready, false, 'not before the webview said ready');
  fake.panels[0].receive({ type: 'ready' });
  await waiting;
  assert.equal(ready, true);
  TrainingPanel.createOrShow(ext, h);
  assert.equal(shown, 2, 'revealed');
  await panel.whenReady(); // already ready and visible: at once
  TrainingPanel.createOrShow(ext, host); // a host without the hook is fine
});
