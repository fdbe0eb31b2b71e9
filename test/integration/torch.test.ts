// PyTorch files in a real VS Code (issue 11): a module whose hidden layer is zeroed with nn.init.zeros_
// (test/fixtures/programs/torch_net_zeros_hidden.py, copied as net.py into a temp folder) shows the
// dead-units warning on that nn.init line, the preferred quick fix rewrites it in PyTorch's idiom and the
// warning goes; the "Train this model" CodeLens sits on the model's class; "Model in net.py" is the
// QuickPick's first item; and a run of the unfixed file puts the runtime dead-units finding on the same line.
import * as assert from 'node:assert/strict';
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { codeOf, diagnosticsFrom as ours, fixtureCopies, quickFixes, trainFirstQuickPickItem, waitFor } from './util';

const FIXTURE = resolve(__dirname, '../../../test/fixtures/programs/torch_net_zeros_hidden.py');
const STATIC_SOURCE = 'Gradient Lens';
const RUNTIME_SOURCE = 'Gradient Lens (training)';
const INIT_LINE = 14; // 0-based: `        nn.init.zeros_(self.fc1.weight)`
const CLASS_LINE = 9; // `class Net(nn.Module):`

const deadOn = (uri: vscode.Uri, line: number, source: string): vscode.Diagnostic | undefined =>
  ours(uri, source).find((d) => d.range.start.line === line && codeOf(d) === 'dead-units');

describe('PyTorch files in the editor (issue 11)', function () {
  this.timeout(240_000);
  // a fresh copy of the fixture, named net.py, in its own folder per test
  const fixture = fixtureCopies('torch');
  const open = (): Promise<vscode.TextDocument> => fixture.open(FIXTURE, 'net.py');

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
    const before = fixture.api().runs.length;
    await vscode.commands.executeCommand(train.command!.command, ...(train.command!.arguments ?? []), { ifRunning: 'replace' });
    const dead = await waitFor('the runtime dead-units finding on the nn.init line', () => deadOn(doc.uri, INIT_LINE, RUNTIME_SOURCE), 180_000);
    const run = fixture.api().runs.slice(before).find((r) => r.sourceFile === doc.uri.fsPath);
    assert.ok(run, 'the run is recorded with its source file');
    assert.equal(run.label, 'net.py');
    assert.equal(run.totalSteps, 1200);
    assert.ok((dead.relatedInformation ?? []).some((r) => /evidence: \d+ of \d+ units (will )?output 0/.test(r.message)), 'related information carries the evidence, in words');
    const layerLine = (dead.relatedInformation ?? []).find((r) => r.message === 'this layer');
    assert.equal(layerLine?.location.range.start.line, 12, "related information points at the layer's nn.Linear line");
    const share = Number(/(\d+)%/.exec(dead.message)?.[1]);
    assert.ok(share >= 30 && share <= 70, `about half the units dead: ${dead.message}`);
  });

  it('PyTorch: the QuickPick offers "Model in net.py" first and trains it', async () => {
    const doc = await open();
    await waitFor('net.py to be read', () => deadOn(doc.uri, INIT_LINE, STATIC_SOURCE), 30_000);
    const r = await trainFirstQuickPickItem(fixture.api());
    assert.ok(r, 'no run');
    assert.equal(r.sourceFile, doc.uri.fsPath, `the first item trained "${r.label}"`);
    assert.equal(r.label, 'net.py');
    assert.equal(r.status, 'finished', `${r.status}: ${r.message}`);
    assert.ok(r.findings.some((f) => f.code === 'dead-units' && f.layer === 0), `findings: ${r.findings.map((f) => f.code).join(', ')}`);
  });
});
