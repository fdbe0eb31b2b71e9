// Editor features of issue 6 inside a real VS Code extension host: the static warning of the
// tutorial-style zeros MLP lands on its hidden weight line in vscode.languages.getDiagnostics, the
// preferred quick fix rewrites that line and the warning goes away, the CodeLens offers training, and
// training the file puts runtime findings on the same line. Fixtures are copied to a temp folder, so
// the tests never modify test/fixtures.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { GradientLensApi } from '../../src/extension';
import { waitFor as waitUntil } from './util';

const EXT_ID = 'gradient-lens.gradient-lens';
const FIXTURES = resolve(__dirname, '../../../test/fixtures');
const STATIC_SOURCE = 'Gradient Lens';
const RUNTIME_SOURCE = 'Gradient Lens (training)';
const HIDDEN_WEIGHT_LINE = 8; // 0-based: line 9 of mnist_mlp_zeros.py, `W1 = tf.Variable(tf.zeros([784, 100]))`

const codeOf = (d: vscode.Diagnostic): string | undefined => (typeof d.code === 'object' ? String(d.code.value) : d.code === undefined ? undefined : String(d.code));

const waitFor = <T>(what: string, get: () => T | undefined | false, timeoutMs = 20_000): Promise<T> => waitUntil(what, get, timeoutMs);

/** Quick fixes at a range; retried while another provider (e.g. the JSON language server starting up) cancels the request. */
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

/** Discards a test's edits: the training panel may hold the focus, so the document is shown first. */
async function revertAndClose(doc: vscode.TextDocument): Promise<void> {
  await vscode.window.showTextDocument(doc);
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
}

const ours = (uri: vscode.Uri, source = STATIC_SOURCE): vscode.Diagnostic[] => vscode.languages.getDiagnostics(uri).filter((d) => d.source === source);
const findingsOn = (uri: vscode.Uri, line: number, source = STATIC_SOURCE): vscode.Diagnostic[] =>
  ours(uri, source).filter((d) => d.range.start.line === line && (codeOf(d) === 'dead-units' || codeOf(d) === 'symmetric-units'));

describe('Gradient Lens editor features (diagnostics, quick fixes, CodeLens)', function () {
  this.timeout(180_000);
  let dir: string;
  let api: GradientLensApi;

  let copies = 0;
  /** A fresh copy of a fixture per test (own folder, same name), so no test sees another's edits. */
  const open = async (fixture: string): Promise<vscode.TextDocument> => {
    const folder = join(dir, String(++copies));
    mkdirSync(folder);
    const file = join(folder, fixture);
    copyFileSync(join(FIXTURES, fixture), file);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
    return doc;
  };

  before(async () => {
    const ext = vscode.extensions.getExtension<GradientLensApi>(EXT_ID);
    assert.ok(ext, `extension ${EXT_ID} is not installed in this extension host`);
    api = await ext.activate();
    dir = mkdtempSync(join(tmpdir(), 'gradient-lens-editor-'));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the static warning of the zeros MLP on its hidden weight line, and none on the output layer', async () => {
    const doc = await open('mnist_mlp_zeros.py');
    const diags = await waitFor('the static findings of mnist_mlp_zeros.py', () => {
      const d = findingsOn(doc.uri, HIDDEN_WEIGHT_LINE);
      return d.length >= 2 ? d : undefined;
    });
    assert.deepEqual(diags.map(codeOf).sort(), ['dead-units', 'symmetric-units']);
    for (const d of diags) {
      assert.ok(d.severity === vscode.DiagnosticSeverity.Error || d.severity === vscode.DiagnosticSeverity.Warning, `severity ${d.severity}`);
      assert.equal(doc.getText(d.range), 'tf.Variable(tf.zeros([784, 100]))');
      assert.ok(typeof d.code === 'object' && d.code.target.path.endsWith('/docs/findings.md') && d.code.target.fragment === codeOf(d), 'codeDescription links docs/findings.md#code');
    }
    const outputLine = doc.getText().split('\n').findIndex((l) => l.startsWith('W2 = '));
    assert.deepEqual(findingsOn(doc.uri, outputLine), []);
  });

  it('offers a preferred quick fix that rewrites the line; the warning then goes away', async () => {
    const doc = await open('mnist_mlp_zeros.py');
    const diag = await waitFor('the symmetric-units warning', () => findingsOn(doc.uri, HIDDEN_WEIGHT_LINE).find((d) => codeOf(d) === 'symmetric-units'));
    const actions = await quickFixes(doc.uri, diag.range);
    const mine = actions.filter((a) => a.edit || a.command?.command === 'gradientLens.fixAndRetrain');
    const preferred = mine.filter((a) => a.isPreferred);
    assert.equal(preferred.length, 1, `one preferred fix among: ${mine.map((a) => a.title).join(' | ')}`);
    assert.ok(mine.some((a) => a.command?.command === 'gradientLens.fixAndRetrain'), 'a "Fix and re-train" action');
    assert.ok(await vscode.workspace.applyEdit(preferred[0].edit!), 'edit applied');
    const line = doc.lineAt(HIDDEN_WEIGHT_LINE).text;
    assert.match(line, /^W1 = tf\.Variable\(tf\.random_(normal|uniform)\(\[784, 100\], /);
    await waitFor('the warning to go away', () => findingsOn(doc.uri, HIDDEN_WEIGHT_LINE).length === 0, 10_000);
    await revertAndClose(doc);
  });

  it('gives no warning on the softmax-only tutorial file but its hand-written loss, and a "Train this model" CodeLens', async () => {
    const doc = await open('mnist_softmax.py');
    let lenses: vscode.CodeLens[] = [];
    const deadline = Date.now() + 20_000;
    while (!lenses.some((l) => l.command?.command === 'gradientLens.trainFile') && Date.now() < deadline) {
      lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ?? [];
      if (lenses.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    const train = lenses.find((l) => l.command?.command === 'gradientLens.trainFile');
    assert.ok(train, `lenses: ${lenses.map((l) => l.command?.title).join(' | ')}`);
    assert.deepEqual(train.command?.arguments?.map(String), [doc.uri.toString()]);
    assert.equal(train.range.start.line, doc.getText().split('\n').findIndex((l) => l.startsWith('W = ')));
    // The tutorial's -reduce_sum(y_ * log(softmax)) is the one warning (unstable-loss), on its own line.
    const warningsNow = () => ours(doc.uri).filter((d) => d.severity <= vscode.DiagnosticSeverity.Warning);
    const warnings = await waitFor('the unstable-loss warning', () => (warningsNow().length ? warningsNow() : undefined), 10_000);
    const lossLine = doc.getText().split('\n').findIndex((l) => l.includes('tf.log('));
    assert.deepEqual(warnings.map((d) => [codeOf(d), d.range.start.line]), [['unstable-loss', lossLine]]);
  });

  it('the JSON spec: warning on the layer, quick fix writes "heNormal"', async () => {
    const doc = await open('seed-mlp-zeros.mlp.json');
    const line = doc.getText().split('\n').findIndex((l) => l.includes('"units": 100'));
    const diag = await waitFor('the JSON spec warning', () => findingsOn(doc.uri, line)[0]);
    const actions = await quickFixes(doc.uri, diag.range);
    const preferred = actions.find((a) => a.isPreferred && a.edit);
    assert.ok(preferred);
    assert.ok(await vscode.workspace.applyEdit(preferred.edit!));
    assert.match(doc.lineAt(line).text, /"kernelInitializer": "heNormal"/);
    await revertAndClose(doc);
  });

  it('"Fix and re-train" rewrites the line and trains the fixed model, which learns', async function () {
    if (!vscode.workspace.isTrusted) this.skip();
    const doc = await open('mnist_mlp_zeros.py');
    const diag = await waitFor('the dead-units warning', () => findingsOn(doc.uri, HIDDEN_WEIGHT_LINE).find((d) => codeOf(d) === 'dead-units'));
    const action = (await quickFixes(doc.uri, diag.range)).find((a) => a.command?.command === 'gradientLens.fixAndRetrain');
    assert.ok(action?.command, 'a "Fix and re-train" action');
    const runsBefore = api.runs.length;
    await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
    assert.match(doc.lineAt(HIDDEN_WEIGHT_LINE).text, /^W1 = tf\.Variable\(tf\.random_(normal|uniform)\(\[784, 100\], /);
    const run = await waitFor('the re-training run to end', () => api.runs.length > runsBefore && api.lastRun?.finalEval ? api.lastRun : undefined, 150_000);
    assert.equal(run.sourceFile, doc.uri.fsPath);
    assert.ok(run.finalEval!.testAccuracy > 0.9, `test accuracy after the fix: ${run.finalEval!.testAccuracy}`);
    await waitFor('no dead-units finding on the line any more', () => ![...findingsOn(doc.uri, HIDDEN_WEIGHT_LINE), ...findingsOn(doc.uri, HIDDEN_WEIGHT_LINE, RUNTIME_SOURCE)].some((d) => codeOf(d) === 'dead-units'), 10_000);
    await revertAndClose(doc);
  });

  it('training the file puts runtime findings (dead units) on the hidden weight line', async function () {
    if (!vscode.workspace.isTrusted) this.skip(); // training a file's model needs a trusted workspace; the harness disables trust
    const doc = await open('mnist_mlp_zeros.py');
    await vscode.commands.executeCommand('gradientLens.trainFile', doc.uri, { ifRunning: 'replace' });
    const runtime = await waitFor('runtime findings on the hidden weight line', () => {
      const d = ours(doc.uri, RUNTIME_SOURCE);
      return d.length > 0 ? d : undefined;
    }, 150_000);
    const dead = runtime.find((d) => codeOf(d) === 'dead-units');
    assert.ok(dead, `runtime findings: ${runtime.map(codeOf).join(', ')}`);
    assert.equal(dead.range.start.line, HIDDEN_WEIGHT_LINE);
    assert.ok((dead.relatedInformation ?? []).some((r) => /evidence/.test(r.message)), 'related information carries the evidence');
    assert.ok(api.lastRun, 'the run is recorded');
    // An edit that changes the model invalidates them.
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, doc.lineAt(HIDDEN_WEIGHT_LINE).range, 'W1 = tf.Variable(tf.random_uniform([784, 100], -0.01, 0.01))');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor('the runtime findings to be cleared', () => ours(doc.uri, RUNTIME_SOURCE).length === 0, 10_000);
    await revertAndClose(doc);
  });
});
