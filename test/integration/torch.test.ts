// PyTorch files in a real VS Code (issue 11): a module whose hidden layer is zeroed with nn.init.zeros_
// (test/fixtures/programs/torch_net_zeros_hidden.py, copied as net.py into a temp folder) shows the
// dead-units warning on that nn.init line, the preferred quick fix rewrites it in PyTorch's idiom and the
// warning goes; the "Train this model" CodeLens sits on the model's class; "Model in net.py" is the
// QuickPick's first item; and a run of the unfixed file puts the runtime dead-units finding on the same line.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { GradientLensApi } from '../../src/extension';
import type { RunRecord } from '../../src/host/runManager';
import { waitFor } from './util';

const EXT_ID = 'gradient-lens.gradient-lens';
const FIXTURE = resolve(__dirname, '../../../test/fixtures/programs/torch_net_zeros_hidden.py');
const STATIC_SOURCE = 'Gradient Lens';
const RUNTIME_SOURCE = 'Gradient Lens (training)';
const INIT_LINE = 14; // 0-based: `        nn.init.zeros_(self.fc1.weight)`
const CLASS_LINE = 9; // `class Net(nn.Module):`

const codeOf = (d: vscode.Diagnostic): string | undefined => (typeof d.code === 'object' ? String(d.code.value) : d.code === undefined ? undefined : String(d.code));
const ours = (uri: vscode.Uri, source: string): vscode.Diagnostic[] => vscode.languages.getDiagnostics(uri).filter((d) => d.source === source);
const deadOn = (uri: vscode.Uri, line: number, source: string): vscode.Diagnostic | undefined =>
  ours(uri, source).find((d) => d.range.start.line === line && codeOf(d) === 'dead-units');

async function quickFixes(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range, vscode.CodeActionKind.QuickFix.value)) ?? [];
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('PyTorch files in the editor (issue 11)', function () {
  this.timeout(240_000);
  let dir: string;
  let api: GradientLensApi;
  let copies = 0;

  /** A fresh copy of the fixture named net.py, in its own folder. */
  const open = async (): Promise<vscode.TextDocument> => {
    const folder = join(dir, String(++copies));
    mkdirSync(folder);
    const file = join(folder, 'net.py');
    copyFileSync(FIXTURE, file);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
    return doc;
  };

  before(async () => {
    const ext = vscode.extensions.getExtension<GradientLensApi>(EXT_ID);
    assert.ok(ext, `extension ${EXT_ID} is not installed in this extension host`);
    api = await ext.activate();
    dir = mkdtempSync(join(tmpdir(), 'gradient-lens-torch-'));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('PyTorch: nn.init.zeros_ on the hidden layer shows the dead-units warning on that line; the preferred quick fix rewrites it and the warning goes', async () => {
    const doc = await open();
    assert.equal(doc.languageId, 'python');
    const diag = await waitFor('the static dead-units warning of net.py', () => deadOn(doc.uri, INIT_LINE, STATIC_SOURCE), 30_000);
    assert.equal(diag.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(doc.getText(diag.range), 'nn.init.zeros_(self.fc1.weight)');
    assert.match(diag.message, /about 50% of the 100/);
    assert.deepEqual(ours(doc.uri, STATIC_SOURCE).filter((d) => d.range.start.line !== INIT_LINE && d.severity <= vscode.DiagnosticSeverity.Warning), [], 'no other warning');
    const actions = (await quickFixes(doc.uri, diag.range)).filter((a) => a.edit || a.command?.command === 'gradientLens.fixAndRetrain');
    const preferred = actions.filter((a) => a.isPreferred);
    assert.equal(preferred.length, 1, `one preferred fix among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(preferred[0].edit, 'the preferred fix is an edit');
    assert.ok(actions.some((a) => a.command?.command === 'gradientLens.fixAndRetrain'), 'a "Fix and re-train" action');
    assert.ok(await vscode.workspace.applyEdit(preferred[0].edit!), 'edit applied');
    assert.equal(doc.lineAt(INIT_LINE).text, "        nn.init.kaiming_normal_(self.fc1.weight, nonlinearity='relu')");
    await waitFor('the warning to go away', () => ours(doc.uri, STATIC_SOURCE).every((d) => d.severity > vscode.DiagnosticSeverity.Warning), 10_000);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('PyTorch: "Train this model" CodeLens on the model class; a run of the unfixed file puts dead-units on the hidden layer\'s line', async () => {
    const doc = await open();
    let lenses: vscode.CodeLens[] = [];
    const deadline = Date.now() + 30_000;
    while (!lenses.some((l) => l.command?.command === 'gradientLens.trainFile') && Date.now() < deadline) {
      lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ?? [];
      if (lenses.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    const train = lenses.find((l) => l.command?.command === 'gradientLens.trainFile');
    assert.ok(train, `lenses: ${lenses.map((l) => l.command?.title).join(' | ')}`);
    assert.match(train.command!.title, /Train this model/);
    assert.equal(train.range.start.line, CLASS_LINE);
    assert.deepEqual(train.command!.arguments?.map(String), [doc.uri.toString()]);
    const before = api.runs.length;
    await vscode.commands.executeCommand(train.command!.command, ...(train.command!.arguments ?? []), { ifRunning: 'replace' });
    const dead = await waitFor('the runtime dead-units finding on the nn.init line', () => deadOn(doc.uri, INIT_LINE, RUNTIME_SOURCE), 180_000);
    const run = api.runs.slice(before).find((r) => r.sourceFile === doc.uri.fsPath);
    assert.ok(run, 'the run is recorded with its source file');
    assert.equal(run.label, 'net.py');
    assert.equal(run.totalSteps, 1200);
    assert.ok((dead.relatedInformation ?? []).some((r) => /evidence: .*deadUnits/.test(r.message)), 'related information carries the evidence');
    const layerLine = (dead.relatedInformation ?? []).find((r) => r.message === 'this layer');
    assert.equal(layerLine?.location.range.start.line, 12, "related information points at the layer's nn.Linear line");
    const share = Number(/(\d+)%/.exec(dead.message)?.[1]);
    assert.ok(share >= 30 && share <= 70, `about half the units dead: ${dead.message}`);
  });

  it('PyTorch: the QuickPick offers "Model in net.py" first and trains it', async () => {
    const doc = await open();
    await waitFor('net.py to be read', () => deadOn(doc.uri, INIT_LINE, STATIC_SOURCE), 30_000);
    const before = api.runs.length;
    const picked = vscode.commands.executeCommand<RunRecord | undefined>('gradientLens.train');
    await waitFor('the QuickPick to accept its first item', () => {
      if (api.runs.length > before) return true;
      void vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      return false;
    }, 30_000);
    const r = await picked;
    assert.ok(r, 'no run');
    assert.equal(r.sourceFile, doc.uri.fsPath, `the first item trained "${r.label}"`);
    assert.equal(r.label, 'net.py');
    assert.equal(r.status, 'finished', `${r.status}: ${r.message}`);
    assert.ok(r.findings.some((f) => f.code === 'dead-units' && f.layer === 0), `findings: ${r.findings.map((f) => f.code).join(', ')}`);
  });
});
