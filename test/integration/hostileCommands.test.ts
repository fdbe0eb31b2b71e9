// Issue 14 inside a real VS Code extension host: commands that take arguments treat them as hostile.
// `gradientLens.fixAndRetrain` with a crafted fix (code in an activation name, a layer out of range,
// a valid fix that no finding offers, a URI that is not a file) changes nothing in the document,
// starts no run, and logs why; the other commands validate their arguments the same way.
// Issue 19: `gradientLens.setUpNativeBackend` with a caller's path loads nothing and writes no setting
// until the user confirms the path in a modal. VS Code refuses to show dialogs in extension tests, so the
// modal is answered by the extension's test-only hook (withConfirm), which sees what it would show.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { GradientLensApi } from '../../src/extension';
import type { SetupResult } from '../../src/host/nativeSetup';
import { EXT_ID, waitFor, withConfirm } from './util';

const FIXTURES = resolve(__dirname, '../../../test/fixtures');

describe('Gradient Lens commands with crafted arguments (issue 14)', function () {
  this.timeout(120_000);
  let api: GradientLensApi;
  let dir: string;

  before(async () => {
    api = await vscode.extensions.getExtension<GradientLensApi>(EXT_ID)!.activate();
    dir = mkdtempSync(join(tmpdir(), 'gl-crafted-'));
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `command(...args)` and checks that it changed nothing and logged a line matching `why`. */
  async function refused(doc: vscode.TextDocument | undefined, command: string, args: unknown[], why: RegExp): Promise<void> {
    const before = doc?.getText();
    const version = doc?.version;
    const runs = api.runs.length;
    const logged = api.logMark();
    await vscode.commands.executeCommand(command, ...args);
    if (doc) {
      assert.equal(doc.getText(), before, `${command} changed the document`);
      assert.equal(doc.version, version, `${command} edited the document`);
    }
    assert.equal(api.runs.length, runs, `${command} started a run`);
    const lines = api.logSince(logged);
    assert.ok(lines.some((l) => why.test(l)), `${command}: nothing in the log matches ${why}; logged: ${lines.join(' | ') || '(nothing)'}`);
  }

  it('gradientLens.fixAndRetrain with a crafted fix changes nothing and logs why', async () => {
    const file = join(dir, 'mnist_mlp_zeros.py');
    copyFileSync(join(FIXTURES, 'mnist_mlp_zeros.py'), file);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
    // the file's own diagnostics are there, so a genuine fix would be on offer
    await waitFor('the static dead-units warning', () => vscode.languages.getDiagnostics(doc.uri).some((d) => d.source === 'Gradient Lens'), 20_000);
    const cmd = 'gradientLens.fixAndRetrain';
    const crafted: [string, unknown, RegExp][] = [
      ['code in an activation name', { kind: 'activation', layer: 0, value: "relu'); import os; os.system('touch /tmp/pwned'); ('", label: 'Use relu' }, /refused: not a valid fix .*unknown activation/],
      ['a quote in an initializer name', { kind: 'initializer', layer: 0, target: 'kernel', value: "he_normal'), exec('x')#", label: 'x' }, /refused: not a valid fix .*unknown initializer/],
      ['a layer out of range', { kind: 'initializer', layer: 7, target: 'kernel', value: 'heNormal', label: 'x' }, /refused: not a valid fix .*targets layer 7, but the model has 2 layers/],
      ['an unknown kind', { kind: 'shell', value: 'rm -rf /', label: 'x' }, /refused: not a valid fix .*unknown fix kind/],
      ['a non-finite learning rate', { kind: 'learningRate', value: Number.POSITIVE_INFINITY, label: 'x' }, /refused: not a valid fix .*learningRate must be a finite number/],
      ['a valid fix that no finding offers', { kind: 'activation', layer: 0, value: 'tanh', label: 'Use tanh in layers[0]' }, /refused: no current finding of .* offers the fix/],
    ];
    for (const [what, fix, why] of crafted) {
      await refused(doc, cmd, [doc.uri, fix], why);
      assert.ok(what);
    }
    await refused(doc, cmd, [vscode.Uri.parse('https://example.com/model.py'), crafted[5][1]], /refused: the first argument is not a file URI/);
    await refused(doc, cmd, ['/etc/passwd', crafted[5][1]], /refused: the first argument is not a file URI/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('gradientLens.train / trainFile / stop validate their arguments: nothing starts, the log says why', async () => {
    const cyclic: Record<string, unknown> = { layers: [] };
    cyclic.self = cyclic;
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    await refused(undefined, 'gradientLens.train', [{ spec: cyclic }], /gradientLens\.train refused its arguments: the arguments are not plain data: nested more than 64 levels deep/);
    await refused(undefined, 'gradientLens.train', [{ spec: deep }], /gradientLens\.train refused its arguments: the arguments are not plain data/);
    await refused(undefined, 'gradientLens.train', [{ spec: { layers: [{ units: 10, activation: 'softmax' }], optimizer: { type: 'constructor', learningRate: 1 } } }], /refused its arguments: invalid model spec: optimizer\.type/);
    await refused(undefined, 'gradientLens.train', [{ preset: 'seed-mlp-zeros', steps: 1e12 }], /"steps" must be a whole number/);
    await refused(undefined, 'gradientLens.train', [{ preset: 'seed-mlp-zeros', label: 'x'.repeat(10_000) }], /"label" must be a non-empty string of at most 200/);
    await refused(undefined, 'gradientLens.train', [{ preset: 'seed-mlp-zeros', exec: 'x' }], /unknown argument\(s\) "exec"/);
    await refused(undefined, 'gradientLens.trainFile', [vscode.Uri.parse('https://example.com/model.py')], /gradientLens\.trainFile refused its arguments: cannot train a model from a https: URI/);
    await refused(undefined, 'gradientLens.trainFile', ['relative/path.py'], /expected a file URI or an absolute path/);
    await refused(undefined, 'gradientLens.trainFile', [undefined, { ifRunning: 'later' }], /"ifRunning" must be ask, replace or refuse/);
    await refused(undefined, 'gradientLens.stop', [{ runId: 'x' }], /gradientLens\.stop refused its argument/);
  });

  it('a spec too big for this machine or the wasm heap is not started by code (it cannot answer a dialog): the warning and the log give the figure', async () => {
    const huge = { name: 'huge', layers: [...Array(15).fill({ units: 4096, activation: 'relu' }), { units: 10, activation: 'softmax' }], optimizer: { type: 'sgd', learningRate: 0.1 } };
    const logged = api.logMark();
    const runs = api.runs.length;
    const r = await api.startRun({ spec: huge, label: 'huge', ifRunning: 'replace' });
    assert.equal(r, undefined);
    assert.equal(api.runs.length, runs);
    const lines = api.logSince(logged);
    assert.ok(lines.some((l) => /memory estimate: "huge" may not be trainable here: training "huge" needs about \d+(\.\d)? GB of memory/.test(l)), lines.join(' | '));
  });

  // ---- Set Up Native Backend with a caller's arguments (issue 19) ----
  const setUp = (args: unknown) => vscode.commands.executeCommand<SetupResult>('gradientLens.setUpNativeBackend', args);
  const nativeSetting = () => vscode.workspace.getConfiguration('gradientLens').inspect<string>('nativeBackendPath')?.globalValue;
  const ACCEPT = 'Load and Use This Folder';
  /** A package that calls itself @tensorflow/tfjs-node and writes `marker` when loaded (then fails the check). */
  function fakePackage(): { pkg: string; marker: string } {
    const pkg = mkdtempSync(join(dir, 'fake-tfjs-node-'));
    const marker = join(pkg, 'LOADED');
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js' }));
    writeFileSync(join(pkg, 'index.js'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'loaded'); throw new Error('this is not tfjs-node');\n`);
    return { pkg, marker };
  }

  it('gradientLens.setUpNativeBackend with malformed arguments is refused without a dialog, and the log says why', async () => {
    const before = nativeSetting();
    const cases: [unknown, RegExp][] = [
      [{ route: 'existing', path: '/tmp', exec: 'x' }, /refused its arguments: unknown argument\(s\) "exec"/],
      [{ route: 'curl', path: '/tmp' }, /refused its arguments: unknown route "curl"/],
      [{ route: 'npm', path: '/tmp' }, /refused its arguments: "path" is only for the existing route/],
      [{ route: 'existing', path: '/tmp\n/etc' }, /refused its arguments: "path" contains a control character/],
      ['existing', /refused its arguments: expected \{ route/],
    ];
    for (const [args, why] of cases) {
      const logged = api.logMark();
      const r = await setUp(args);
      assert.equal(r.ok, false);
      assert.equal(r.refused, true, JSON.stringify(r));
      const lines = api.logSince(logged);
      assert.ok(lines.some((l) => why.test(l)), `${JSON.stringify(args)}: ${lines.join(' | ')}`);
    }
    assert.equal(nativeSetting(), before);
  });

  it('gradientLens.setUpNativeBackend with a caller\'s path asks for confirmation showing the path (modal answered by the test-only hook: VS Code shows no dialogs in extension tests); declined: nothing is loaded, no setting is written', async () => {
    const { pkg, marker } = fakePackage();
    const before = nativeSetting();
    const logged = api.logMark();
    const { shown, result: r } = await withConfirm(api, false, () => setUp({ route: 'existing', path: pkg }));
    assert.equal(shown.length, 1, 'one confirmation');
    console.log(`      the modal: ${JSON.stringify(shown[0].message)} / ${JSON.stringify(shown[0].detail.replace(/\s+/g, ' ').slice(0, 160))}… [${shown[0].button}]`);
    assert.ok(shown[0].detail.startsWith(`${pkg}\n`), `the modal does not show the path first: ${shown[0].detail}`);
    assert.equal(shown[0].button, ACCEPT);
    assert.equal(r.ok, false);
    assert.equal(r.refused, true, JSON.stringify(r));
    assert.ok(!existsSync(marker), 'the package was loaded although the user said no');
    assert.equal(nativeSetting(), before, 'the user setting was written');
    assert.ok(api.logSince(logged).some((l) => /the caller's request was not confirmed; nothing was loaded or changed/.test(l)));
  });

  it('… confirmed (by the test-only hook): only then is the path loaded (to check it); a package that is not tfjs-node is refused and no setting is written', async () => {
    const { pkg, marker } = fakePackage();
    const before = nativeSetting();
    const { result: r } = await withConfirm(api, true, () => setUp({ route: 'existing', path: pkg }));
    assert.equal(r.ok, false);
    assert.ok(existsSync(marker), 'confirmed: the check loads the package (that is what the dialog warns about)');
    assert.match(r.reason ?? '', new RegExp(`^${pkg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
    assert.equal(nativeSetting(), before);
  });

  it('a FIFO package.json: the confirmed check (test-only hook) times out with a clear message (real mkfifo), and the set-up runs again at once ("already running" does not stick)', async () => {
    const fifo = join(dir, 'fifo-package');
    mkdirSync(fifo);
    assert.equal(spawnSync('mkfifo', [join(fifo, 'package.json')]).status, 0, 'mkfifo');
    const t0 = Date.now();
    const { result: r } = await withConfirm(api, true, () => setUp({ route: 'existing', path: fifo }));
    const s = (Date.now() - t0) / 1000;
    console.log(`      FIFO package.json: "${r.reason}" after ${s.toFixed(1)} s`);
    assert.equal(r.ok, false);
    assert.equal(r.reason, `${fifo}: loading ${fifo} did not finish in 45 s, so the check was stopped (a file it reads blocks: a FIFO or a hung network mount?)`);
    const { result: r2 } = await withConfirm(api, true, () => setUp({ route: 'existing', path: join(fifo, 'missing') }));
    assert.notEqual(r2.reason, 'already running');
    assert.match(r2.reason ?? '', /missing does not exist/);
  });

  it('declares fixAndRetrain (hidden from the palette, enabled only in trusted workspaces) and its restricted settings', () => {
    const pkg = vscode.extensions.getExtension(EXT_ID)!.packageJSON as {
      contributes: { commands: { command: string; enablement?: string }[]; menus: { commandPalette: { command: string; when: string }[] } };
      capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
    };
    const decl = pkg.contributes.commands.find((c) => c.command === 'gradientLens.fixAndRetrain');
    assert.ok(decl, 'gradientLens.fixAndRetrain is declared');
    assert.equal(decl.enablement, 'isWorkspaceTrusted');
    assert.ok(pkg.contributes.menus.commandPalette.some((m) => m.command === 'gradientLens.fixAndRetrain' && m.when === 'false'));
    for (const key of ['thresholds', 'probeEvery', 'evalEvery', 'shuffle']) {
      assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(`gradientLens.${key}`), key);
    }
  });
});
