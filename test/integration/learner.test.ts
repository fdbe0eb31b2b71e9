// A learner's first minutes (issue 15) inside a real VS Code extension host: "Open Example" writes the
// seed's program into the workspace as an editable file and keeps a user's edits; the walkthrough's
// contribution points at files and context keys that exist; and its four events happen for real as the
// example is opened, warned about, trained, fixed and trained again (which compares the two runs).
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { GradientLensApi } from '../../src/extension';
import type { RunRecord } from '../../src/host/runManager';
import { EXAMPLES, SEED_EXAMPLE_ID, findExample } from '../../src/core/examples';
import { WORKSPACE_EXAMPLES_FOLDER } from '../../src/host/examples';
import { WALKTHROUGH_ID, WALKTHROUGH_KEYS } from '../../src/host/walkthrough';
import { codeOf, EXT_ID, trainFirstQuickPickItem, waitFor as waitUntil } from './util';

const ROOT = resolve(__dirname, '../../..');
const waitFor = <T>(what: string, get: () => T | undefined | false, timeoutMs = 20_000): Promise<T> => waitUntil(what, get, timeoutMs);

interface WalkthroughStep { id: string; media: { image?: string; altText?: string }; completionEvents?: string[]; description: string }

describe('Gradient Lens for a learner: examples and the Get Started walkthrough', function () {
  this.timeout(240_000);
  let api: GradientLensApi;
  let examplesDir: string;

  before(async function () {
    const ext = vscode.extensions.getExtension<GradientLensApi>(EXT_ID);
    assert.ok(ext);
    api = await ext.activate();
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the suite runs with a workspace folder open');
    examplesDir = join(folder.uri.fsPath, WORKSPACE_EXAMPLES_FOLDER);
    rmSync(examplesDir, { recursive: true, force: true });
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(examplesDir, { recursive: true, force: true });
  });

  it('contributes one walkthrough whose steps show images that exist and complete on real events', () => {
    const ext = vscode.extensions.getExtension(EXT_ID)!;
    const walkthroughs = ext.packageJSON.contributes.walkthroughs as { id: string; steps: WalkthroughStep[] }[];
    assert.equal(walkthroughs.length, 1);
    assert.equal(`${EXT_ID}#${walkthroughs[0].id}`, WALKTHROUGH_ID);
    const steps = walkthroughs[0].steps;
    assert.deepEqual(steps.map((s) => s.id), ['openExample', 'seeWarning', 'train', 'compare']);
    const keys = Object.values(WALKTHROUGH_KEYS);
    steps.forEach((s, i) => {
      assert.ok(s.media.image && s.media.altText, `${s.id}: image and alt text`);
      assert.ok(existsSync(join(ext.extensionPath, s.media.image)), `${s.id}: ${s.media.image} is in the extension`);
      // Each step completes on its own context key (set by host/walkthrough.ts), in order.
      assert.ok(s.completionEvents?.includes(`onContext:${keys[i]}`), `${s.id}: completes on ${keys[i]} (has ${s.completionEvents?.join(', ')})`);
    });
    const commands = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    for (const s of steps) {
      for (const m of s.description.matchAll(/\(command:(?:toSide:)?([\w.]+)/g)) {
        if (m[1].startsWith('gradientLens.')) assert.ok(commands.includes(m[1]), `${s.id}: button runs ${m[1]}, a contributed command`);
      }
    }
  });

  it('Open Example writes the seed program into the workspace, opens it, and the warning lands on W1', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>('gradientLens.openExample', SEED_EXAMPLE_ID);
    assert.ok(uri, 'no file opened');
    const example = findExample(SEED_EXAMPLE_ID)!;
    assert.equal(uri.fsPath, join(examplesDir, example.fileName));
    assert.equal(readFileSync(uri.fsPath, 'utf8'), readFileSync(join(ROOT, 'examples', example.fileName), 'utf8'));
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.fsPath, uri.fsPath);
    assert.equal(editor.document.languageId, 'python');
    assert.equal(editor.document.isUntitled, false);
    const w1 = editor.document.getText().split('\n').findIndex((l) => l.startsWith('W1 = tf.Variable(tf.zeros'));
    const dead = await waitFor('the dead-units warning on W1', () => vscode.languages.getDiagnostics(uri).find((d) => codeOf(d) === 'dead-units' && d.range.start.line === w1));
    assert.equal(dead.severity, vscode.DiagnosticSeverity.Error);
    await waitFor('the walkthrough events of steps 1 and 2', () => api.walkthroughProgress.includes('exampleOpened') && api.walkthroughProgress.includes('hiddenLayerWarningShown'));
  });

  it("keeps the user's edits when the example is opened again; reset restores the original", async () => {
    const example = findExample('tf1-mlp-fixed')!;
    const uri = await vscode.commands.executeCommand<vscode.Uri>('gradientLens.openExample', example.id);
    const mine = readFileSync(uri.fsPath, 'utf8').replace('range(1000)', 'range(300)');
    writeFileSync(uri.fsPath, mine);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    const again = await vscode.commands.executeCommand<vscode.Uri>('gradientLens.openExample', { example: example.id });
    assert.equal(again.fsPath, uri.fsPath);
    assert.equal(readFileSync(uri.fsPath, 'utf8'), mine, 'the edited copy was overwritten');
    assert.match(vscode.window.activeTextEditor!.document.getText(), /range\(300\)/);
    await vscode.commands.executeCommand('gradientLens.openExample', { example: example.id, reset: true });
    assert.equal(readFileSync(uri.fsPath, 'utf8'), readFileSync(join(ROOT, 'examples', example.fileName), 'utf8'));
    assert.match(vscode.window.activeTextEditor!.document.getText(), /range\(1000\)/);
    assert.equal(await vscode.commands.executeCommand('gradientLens.openExample', 'no-such-example'), undefined);
    assert.equal(await vscode.commands.executeCommand('gradientLens.openExample', { example: SEED_EXAMPLE_ID, reset: 'yes' }), undefined);
  });

  it('every example opens as a file the importers read (the CodeLens offers to train it)', async () => {
    for (const e of EXAMPLES) {
      const uri = await vscode.commands.executeCommand<vscode.Uri>('gradientLens.openExample', e.id);
      const doc = vscode.window.activeTextEditor!.document;
      assert.equal(doc.uri.fsPath, uri.fsPath);
      assert.equal(doc.languageId, e.languageId);
      const deadline = Date.now() + 20_000;
      let found = false;
      while (!found && Date.now() < deadline) {
        const l = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
        found = l.some((x) => x.command?.command === 'gradientLens.trainFile');
        if (!found) await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(found, `${e.fileName}: no "Train this model" CodeLens`);
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opened from the walkthrough (no text editor active), the QuickPick still offers the visible example first', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>('gradientLens.openExample', { example: SEED_EXAMPLE_ID, reset: true });
    // The walkthrough beside the example takes the focus, as its buttons do.
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH_ID, true);
    await waitFor('the walkthrough to take the focus', () => vscode.window.activeTextEditor === undefined);
    assert.ok(vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === uri.fsPath), 'the example is still visible');
    const r = await trainFirstQuickPickItem(api);
    assert.ok(r);
    assert.equal(r.sourceFile, uri.fsPath, `the first item trained "${r.label}"`);
    assert.equal(r.status, 'finished', `${r.status}: ${r.message}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('train the example, "Fix and re-train" it: the re-run is compared with the first run, and all four walkthrough events happened', async function () {
    if (!vscode.workspace.isTrusted) this.skip();
    const uri = await vscode.commands.executeCommand<vscode.Uri>('gradientLens.openExample', { example: SEED_EXAMPLE_ID, reset: true });
    const doc = vscode.window.activeTextEditor!.document;
    // A learner's own edit, which also keeps the suite short: 150 steps instead of 1000.
    const loop = doc.getText().split('\n').findIndex((l) => l.startsWith('for _ in range(1000)'));
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, doc.lineAt(loop).range, 'for _ in range(150):');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await doc.save());
    const first = await vscode.commands.executeCommand<RunRecord | undefined>('gradientLens.trainFile', uri, { ifRunning: 'replace' });
    assert.ok(first);
    assert.equal(first.status, 'finished', `${first.status}: ${first.message}`);
    assert.equal(first.end?.steps, 150);
    assert.ok(first.findings.some((f) => f.code === 'dead-units' && f.layer === 0), `findings: ${first.findings.map((f) => f.code).join(', ')}`);
    assert.ok(api.walkthroughProgress.includes('runEnded'));

    const w1 = doc.getText().split('\n').findIndex((l) => l.startsWith('W1 = '));
    const diag = await waitFor('the dead-units diagnostic', () => vscode.languages.getDiagnostics(uri).find((d) => codeOf(d) === 'dead-units' && d.range.start.line === w1));
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diag.range, vscode.CodeActionKind.QuickFix.value)) ?? [];
    const retrain = actions.find((a) => a.command?.command === 'gradientLens.fixAndRetrain');
    assert.ok(retrain?.command, `no "Fix and re-train" among ${actions.map((a) => a.title).join(' | ')}`);
    const runsBefore = api.runs.length;
    await vscode.commands.executeCommand(retrain.command.command, ...(retrain.command.arguments ?? []));
    const second = await waitFor('the re-run to end', () => api.runs.length > runsBefore && api.lastRun && api.lastRun.status !== 'running' && api.lastRun.status !== 'starting' ? api.lastRun : undefined, 150_000);
    assert.equal(second.status, 'finished', `${second.status}: ${second.message}`);
    assert.equal(second.sourceFile, uri.fsPath);
    assert.equal(second.compareWithRunId, first.runId, 'the re-run of the file is shown beside its previous run');
    assert.ok(!second.findings.some((f) => f.code === 'dead-units'), `findings after the fix: ${second.findings.map((f) => f.code).join(', ')}`);
    assert.ok(second.end!.testAccuracy > first.end!.testAccuracy + 0.5, `accuracy ${first.end!.testAccuracy} → ${second.end!.testAccuracy}`);
    assert.deepEqual([...api.walkthroughProgress].sort(), ['exampleOpened', 'hiddenLayerWarningShown', 'runEnded', 'runsCompared']);
  });
});
