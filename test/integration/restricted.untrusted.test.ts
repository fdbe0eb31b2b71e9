// Runs only in the untrusted session (scripts/integration.mjs: workspace trust enabled and never
// granted, folder test/integration/workspace-untrusted): the workspace's .vscode/settings.json sets
// gradientLens.thresholds (deadActiveShare 0 would hide every dead unit), probeEvery, evalEvery and
// shuffle. In Restricted Mode none of them may reach a run; "Fix and re-train" is refused; Set Up Native
// Backend refuses a caller's arguments without asking (issue 19).
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { GradientLensApi } from '../../src/extension';
import { Config } from '../../src/host/config';
import { findPreset } from '../../src/core/presets';
import type { SetupResult } from '../../src/host/nativeSetup';
import { EXT_ID, checkHostileThenModel, waitFor } from './util';

const FIXTURES = resolve(__dirname, '../../../test/fixtures');

describe('Restricted Mode (an untrusted workspace that sets the diagnostics settings)', function () {
  this.timeout(180_000);
  let api: GradientLensApi;
  before(async () => {
    api = await vscode.extensions.getExtension<GradientLensApi>(EXT_ID)!.activate();
  });

  it('the workspace is untrusted and its settings file sets all four', () => {
    assert.equal(vscode.workspace.isTrusted, false, 'this session must open the folder in Restricted Mode');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder && folder.endsWith('workspace-untrusted'), folder);
    const text = readFileSync(join(folder, '.vscode', 'settings.json'), 'utf8');
    for (const key of ['"gradientLens.thresholds"', '"deadActiveShare": 0', '"gradientLens.probeEvery": 7', '"gradientLens.evalEvery": 3', '"gradientLens.shuffle": true']) assert.ok(text.includes(key), key);
    const i = vscode.workspace.getConfiguration('gradientLens').inspect('thresholds');
    console.log(`      VS Code's own view of gradientLens.thresholds in Restricted Mode: workspace ${JSON.stringify(i?.workspaceValue)}, effective ${JSON.stringify(vscode.workspace.getConfiguration('gradientLens').get('thresholds'))}`);
  });

  it('the workspace\'s thresholds, probeEvery, evalEvery and shuffle are ignored: the defaults apply', () => {
    const c = new Config();
    assert.deepEqual(c.thresholds, {});
    assert.deepEqual(c.nonNumericThresholds, []);
    assert.equal(c.probeEvery, 50);
    assert.equal(c.evalEvery, 200);
    assert.equal(c.shuffle, false);
  });

  it('a real run sees the dead units that deadActiveShare 0 would hide, probed every 50 steps, batches in order', async () => {
    const spec = { ...findPreset('seed-mlp-zeros')!.spec, steps: 120 };
    const r = await api.startRun({ spec, label: 'restricted seed-mlp-zeros', ifRunning: 'replace' });
    assert.ok(r, 'the run started');
    assert.equal(r.status, 'finished', r.message);
    assert.equal(r.start?.probeEvery, 50);
    assert.equal(r.start?.evalEvery, 200);
    const dead = r.findings.find((f) => f.code === 'dead-units' && f.layer === 0);
    assert.ok(dead, `findings: ${r.findings.map((f) => f.code).join(', ')}`);
    assert.equal(dead.severity, 'error', 'deadLayerErrorShare 2 from the workspace would have made it a warning');
    assert.equal(dead.evidence.activeShareThreshold, 0.01);
    assert.ok(r.findings.some((f) => f.code === 'collapsed-output'), 'collapsedShare 2 from the workspace would hide it');
  });

  it('the three-line doubling file shows one diagnostic; a model file opened next still gets its findings (issue 19)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-untrusted-reader-'));
    let n = 0;
    await checkHostileThenModel(api, async (fixture) => {
      const file = join(dir, `${++n}-${basename(fixture)}`);
      copyFileSync(fixture, file);
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      await vscode.window.showTextDocument(doc);
      return doc;
    }, FIXTURES);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('"Fix and re-train" is refused in Restricted Mode: the file is not edited and the log says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-untrusted-'));
    const file = join(dir, 'mnist_mlp_zeros.py');
    copyFileSync(join(FIXTURES, 'mnist_mlp_zeros.py'), file);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
    const diag = await waitFor('the static dead-units warning', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.source === 'Gradient Lens' && (typeof d.code === 'object' ? d.code.value : d.code) === 'dead-units'), 20_000);
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diag.range, vscode.CodeActionKind.QuickFix.value)) ?? [];
    const retrain = actions.find((a) => a.command?.command === 'gradientLens.fixAndRetrain');
    assert.ok(retrain?.command, 'the quick fix is offered (it is the command that refuses)');
    const before = doc.getText();
    const logged = api.logMark();
    const runs = api.runs.length;
    await vscode.commands.executeCommand(retrain.command.command, ...(retrain.command.arguments ?? []));
    assert.equal(doc.getText(), before);
    assert.equal(api.runs.length, runs);
    assert.ok(api.logSince(logged).some((l) => /"Fix and re-train" refused: the workspace is not trusted/.test(l)), api.logSince(logged).join(' | '));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('Set Up Native Backend refuses a caller\'s path, wheel or route in Restricted Mode: no dialog, nothing loaded, no setting written, the log says why', async () => {
    const pkg = mkdtempSync(join(tmpdir(), 'gl-untrusted-native-'));
    const marker = join(pkg, 'LOADED');
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js' }));
    writeFileSync(join(pkg, 'index.js'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'loaded');\n`);
    const setting = () => vscode.workspace.getConfiguration('gradientLens').inspect<string>('nativeBackendPath')?.globalValue;
    const before = setting();
    for (const args of [{ route: 'existing', path: pkg }, { route: 'offline', wheel: join(pkg, 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl') }, { route: 'npm' }, { route: 'existing', ask: true }]) {
      const logged = api.logMark();
      // A modal would keep this from resolving (no one answers it in this test): it resolves at once.
      const r = await vscode.commands.executeCommand<SetupResult>('gradientLens.setUpNativeBackend', args);
      assert.equal(r.ok, false);
      assert.equal(r.refused, true, JSON.stringify(r));
      const lines = api.logSince(logged);
      assert.ok(lines.some((l) => /gradientLens\.setUpNativeBackend refused its arguments: the workspace is not trusted/.test(l)), `${JSON.stringify(args)}: ${lines.join(' | ')}`);
    }
    assert.ok(!existsSync(marker), 'the package at the caller\'s path was loaded');
    assert.equal(setting(), before, 'the user setting was written');
  });
});
