// Editor features of issue 6 inside a real VS Code extension host: the static warning of the
// tutorial-style zeros MLP lands on its hidden weight line in vscode.languages.getDiagnostics, the
// preferred quick fix rewrites that line and the warning goes away, the CodeLens offers training, and
// training the file puts runtime findings on the same line. Fixtures are copied to a temp folder, so
// the tests never modify test/fixtures.
import * as assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { codeOf, diagnosticsFrom, fixtureCopies, quickFixes, waitFor as waitUntil } from './util';

const FIXTURES = resolve(__dirname, '../../../test/fixtures');
const STATIC_SOURCE = 'Gradient Lens';
const RUNTIME_SOURCE = 'Gradient Lens (training)';
const HIDDEN_WEIGHT_LINE = 8; // 0-based: line 9 of mnist_mlp_zeros.py, `W1 = tf.Variable(tf.zeros([784, 100]))`

const waitFor = <T>(what: string, get: () => T | undefined | false, timeoutMs = 20_000): Promise<T> => waitUntil(what, get, timeoutMs);

/** Discards a test's edits: the training panel may hold the focus, so the document is shown first. */
async function revertAndClose(doc: vscode.TextDocument): Promise<void> {
  await vscode.window.showTextDocument(doc);
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
}

const ours = (uri: vscode.Uri, source = STATIC_SOURCE): vscode.Diagnostic[] => diagnosticsFrom(uri, source);
const findingsOn = (uri: vscode.Uri, line: number, source = STATIC_SOURCE): vscode.Diagnostic[] =>
  ours(uri, source).filter((d) => d.range.start.line === line && (codeOf(d) === 'dead-units' || codeOf(d) === 'symmetric-units'));

describe('Gradient Lens editor features (diagnostics, quick fixes, CodeLens)', function () {
  this.timeout(180_000);
  /** A fresh copy of a fixture per test (own folder, same name), so no test sees another's edits. */
  const fixture = fixtureCopies('editor');
  const open = (name: string): Promise<vscode.TextDocument> => fixture.open(join(FIXTURES, name));

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

  it('gives no warning on the softmax-only tutorial file, and a "Train this model" CodeLens', async () => {
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
    // The only warning is the seed's hand-written loss (unstable-loss), on its own line: see the test below.
    const warnings = await waitFor('the unstable-loss warning', () => {
      const w = ours(doc.uri).filter((d) => d.severity <= vscode.DiagnosticSeverity.Warning);
      return w.length > 0 ? w : undefined;
    });
    assert.deepEqual(warnings.map((d) => [codeOf(d), d.range.start.line]), [['unstable-loss', doc.getText().split('\n').findIndex((l) => l.startsWith('cross_entropy = '))]]);
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
    const runsBefore = fixture.api().runs.length;
    await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
    assert.match(doc.lineAt(HIDDEN_WEIGHT_LINE).text, /^W1 = tf\.Variable\(tf\.random_(normal|uniform)\(\[784, 100\], /);
    const run = await waitFor('the re-training run to end', () => fixture.api().runs.length > runsBefore && fixture.api().lastRun?.finalEval ? fixture.api().lastRun : undefined, 150_000);
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
    assert.ok(fixture.api().lastRun, 'the run is recorded');
    // An edit that changes the model invalidates them.
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, doc.lineAt(HIDDEN_WEIGHT_LINE).range, 'W1 = tf.Variable(tf.random_uniform([784, 100], -0.01, 0.01))');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor('the runtime findings to be cleared', () => ours(doc.uri, RUNTIME_SOURCE).length === 0, 10_000);
    await revertAndClose(doc);
  });
  it("issue 21's Keras case: the first layer alone zero-initialised — its line gets the error and the fix, the layers after it name it and offer nothing", async function () {
    if (!vscode.workspace.isTrusted) this.skip();
    const doc = await open('keras_first_zeros.py');
    const lines = doc.getText().split('\n');
    const [first, second, output] = ['model.add(layers.Dense(100, activation="relu", input_shape', 'model.add(layers.Dense(100, activation="relu"))', 'model.add(layers.Dense(10,']
      .map((p) => lines.findIndex((l) => l.startsWith(p)));
    assert.ok(first >= 0 && second > first && output > second, `the three Dense lines: ${first}, ${second}, ${output}`);
    await waitFor('the static findings on the first layer', () => findingsOn(doc.uri, first).length >= 1);
    await vscode.commands.executeCommand('gradientLens.trainFile', doc.uri, { ifRunning: 'replace' });
    const onLine = (l: number): vscode.Diagnostic[] => ours(doc.uri, RUNTIME_SOURCE).filter((d) => d.range.start.line === l);
    await waitFor("the run's findings on all three layers", () => onLine(first).length && onLine(second).length && onLine(output).length, 150_000);
    // One diagnostic per finding: no code twice on a line (a static finding and its run's twin are one).
    const all = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === STATIC_SOURCE || d.source === RUNTIME_SOURCE);
    const keys = all.map((d) => `${codeOf(d)}@${d.range.start.line}`);
    assert.equal(new Set(keys).size, keys.length, `one diagnostic per finding: ${keys.join(', ')}`);
    // The first layer's line: the error, with a quick fix that rewrites that line's initializer.
    const dead = onLine(first).find((d) => codeOf(d) === 'dead-units');
    assert.ok(dead, `findings on line ${first + 1}: ${onLine(first).map(codeOf).join(', ')}`);
    assert.equal(dead.severity, vscode.DiagnosticSeverity.Error);
    const fixes = (await quickFixes(doc.uri, dead.range)).filter((a) => a.edit);
    assert.ok(fixes.some((a) => /He normal/.test(a.title)), `quick fixes on the first layer: ${fixes.map((a) => a.title).join(' | ')}`);
    // The layers after it: "because … (line N) outputs only zeros", a link to that line, and nothing to apply.
    for (const l of [second, output]) {
      for (const d of onLine(l)) {
        assert.match(d.message, new RegExp(`because Dense\\(100\\) \\(layer 1\\) \\(100 relu\\) \\(line ${first + 1}\\) outputs only zeros`), `line ${l + 1}: ${d.message}`);
        assert.ok((d.relatedInformation ?? []).some((r) => r.location.range.start.line === first && /the cause/.test(r.message)), `line ${l + 1}: related information points at line ${first + 1}`);
        const actions = (await quickFixes(doc.uri, d.range)).filter((a) => a.diagnostics?.some((x) => x.source === RUNTIME_SOURCE || x.source === STATIC_SOURCE));
        assert.deepEqual(actions.map((a) => a.title), [], `line ${l + 1} offers nothing of its own`);
      }
    }
    await revertAndClose(doc);
  });
  it('a TF1 file with weights in a dict of zeros: the warning on the dict entry, a run puts dead-units there, the quick fix rewrites it', async function () {
    const doc = await open('programs/tf1_dict_zeros.py');
    const entry = doc.getText().split('\n').findIndex((l) => l.trimStart().startsWith("'hidden': tf.Variable(tf.zeros([784, 100]))"));
    assert.ok(entry > 0);
    const statics = await waitFor('the static findings on the dict entry', () => {
      const d = findingsOn(doc.uri, entry);
      return d.length >= 2 ? d : undefined;
    });
    assert.deepEqual(statics.map(codeOf).sort(), ['dead-units', 'symmetric-units']);
    for (const d of statics) assert.equal(doc.getText(d.range), 'tf.Variable(tf.zeros([784, 100]))');
    if (vscode.workspace.isTrusted) {
      // Training the file: the run's dead-units finding lands on the same dict entry.
      await vscode.commands.executeCommand('gradientLens.trainFile', doc.uri, { ifRunning: 'replace' });
      const dead = await waitFor('runtime dead-units on the dict entry', () => ours(doc.uri, RUNTIME_SOURCE).find((d) => codeOf(d) === 'dead-units'), 150_000);
      assert.equal(dead.range.start.line, entry);
      assert.ok((dead.relatedInformation ?? []).some((r) => /evidence/.test(r.message)), 'evidence as related information');
    }
    // One diagnostic per finding: after a run its dead-units replaces the static one on the same line (issue 21).
    const deads = [...findingsOn(doc.uri, entry), ...findingsOn(doc.uri, entry, RUNTIME_SOURCE)].filter((d) => codeOf(d) === 'dead-units');
    assert.equal(deads.length, 1, `one dead-units diagnostic on the entry, got ${deads.map((d) => d.source).join(', ')}`);
    // The preferred quick fix rewrites the entry's initial value in TF1's idiom; the warning goes away.
    const diag = deads[0];
    const actions = await quickFixes(doc.uri, diag.range);
    const preferred = actions.filter((a) => a.isPreferred && a.edit);
    assert.equal(preferred.length, 1, `one preferred fix among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(preferred[0].edit!));
    assert.match(doc.lineAt(entry).text, /^ {4}'hidden': tf\.Variable\(tf\.random_(normal|uniform)\(\[784, 100\], /);
    await waitFor("the warnings to go away (static and the run's)", () => findingsOn(doc.uri, entry).length === 0 && findingsOn(doc.uri, entry, RUNTIME_SOURCE).length === 0, 10_000);
    await revertAndClose(doc);
  });

  it('a convolutional model: one information diagnostic naming its line, and no CodeLens', async () => {
    const doc = await open('programs/keras_cnn.py');
    const conv = doc.getText().split('\n').findIndex((l) => l.startsWith('model.add(Conv2D(32'));
    const diags = await waitFor('the refusal', () => {
      const d = ours(doc.uri);
      return d.length > 0 ? d : undefined;
    });
    // Give a late second diagnostic a chance to show up before asserting there is exactly one.
    await new Promise((r) => setTimeout(r, 1000));
    const all = ours(doc.uri);
    assert.equal(all.length, 1, all.map((d) => d.message).join(' | '));
    assert.equal(all[0].severity, vscode.DiagnosticSeverity.Information);
    assert.equal(all[0].range.start.line, conv);
    assert.match(all[0].message, /convolutional model: Gradient Lens trains fully-connected networks/);
    assert.equal(codeOf(diags[0]), 'import-note');
    for (let i = 0; i < 5; i++) {
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ?? [];
      const mine = lenses.filter((l) => /^gradientLens\./.test(l.command?.command ?? '') || /Gradient Lens|Train this model/.test(l.command?.title ?? ''));
      assert.deepEqual(mine.map((l) => l.command?.title), [], 'no Gradient Lens CodeLens on a convolutional model');
      await new Promise((r) => setTimeout(r, 200));
    }
    await revertAndClose(doc);
  });

  it("the seed's hand-written loss: an unstable-loss warning on its line, and a quick fix that writes the stable cross-entropy", async () => {
    const doc = await open('mnist_softmax.py');
    const lossLine = doc.getText().split('\n').findIndex((l) => l.startsWith('cross_entropy = '));
    const diag = await waitFor('the unstable-loss warning', () => ours(doc.uri).find((d) => codeOf(d) === 'unstable-loss'));
    assert.equal(diag.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(diag.range.start.line, lossLine);
    assert.equal(doc.getText(diag.range), 'tf.log(y)');
    assert.ok(typeof diag.code === 'object' && diag.code.target.path.endsWith('/docs/findings.md') && diag.code.target.fragment === 'unstable-loss');
    assert.match(diag.message, /The run trains this loss as written, so it turns NaN where TensorFlow's does/);
    const actions = await quickFixes(doc.uri, diag.range);
    const fix = actions.find((a) => a.edit && /softmax_cross_entropy_with_logits/.test(a.title));
    assert.ok(actions.some((a) => a.command?.command === 'gradientLens.fixAndRetrain'), 'a "Fix and re-train" action too');
    assert.ok(fix, `a quick fix for unstable-loss among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    assert.equal(doc.lineAt(lossLine).text, 'cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=tf.matmul(x, W) + b))');
    await waitFor('the unstable-loss warning to go away', () => !ours(doc.uri).some((d) => codeOf(d) === 'unstable-loss'), 10_000);
    await revertAndClose(doc);
  });
});
