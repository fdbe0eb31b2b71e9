// The example programs of "Gradient Lens: Open Example" (src/core/examples.ts, files in examples/):
// every entry's file exists and the real importers read it as the model of the preset it names, the
// seed's failing programs get their warning on the hidden layer's line before anything trains, and
// the quick fix written into them removes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES, EXAMPLES_FOLDER, SEED_EXAMPLE_ID, findExample } from '../../src/core/examples';
import { importSource } from '../../src/core/importers/index';
import { fixToEdit } from '../../src/core/importers/fixes';
import type { ImportResult, TextEdit } from '../../src/core/importers/types';
import { findPreset } from '../../src/core/presets';
import { repoRoot } from './helpers';

const folder = join(repoRoot, EXAMPLES_FOLDER);
const textOf = (fileName: string): string => readFileSync(join(folder, fileName), 'utf8');

function read(fileName: string, text = textOf(fileName)): ImportResult {
  const r = importSource(join(folder, fileName), text);
  assert.ok(r, `${fileName}: not recognised as a model file`);
  assert.ok(r.spec.ok, `${fileName}: invalid spec: ${JSON.stringify(!r.spec.ok && r.spec.problems)}`);
  return r;
}

function applyEdit(text: string, e: TextEdit): string {
  const lines = text.split('\n');
  const offset = (line: number, column: number): number => lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
  return text.slice(0, offset(e.range.line, e.range.column)) + e.newText + text.slice(offset(e.range.endLine, e.range.endColumn));
}

test('every example has its file in examples/, and every file there is an example', () => {
  const files = readdirSync(folder).sort();
  assert.deepEqual([...EXAMPLES.map((e) => e.fileName)].sort(), files);
  assert.equal(new Set(EXAMPLES.map((e) => e.id)).size, EXAMPLES.length, 'ids are unique');
  assert.ok(findExample(SEED_EXAMPLE_ID), 'the walkthrough example exists');
  for (const e of EXAMPLES) {
    if (e.fixedBy) assert.ok(findExample(e.fixedBy), `${e.id}: fixedBy ${e.fixedBy} is an example`);
    assert.ok(findPreset(e.preset), `${e.id}: preset ${e.preset}`);
  }
});

test('the importers read every example as the model of its preset (layers, initializers, optimizer, batch size)', () => {
  for (const e of EXAMPLES) {
    const r = read(e.fileName);
    assert.equal(r.language, e.language, e.fileName);
    const spec = r.spec.ok ? r.spec.spec : undefined;
    const preset = findPreset(e.preset)!.spec;
    // the layers as the preset has them (their source names, W1 or Dense(100), are checked in layerNames.test.ts); a
    // linear output under a cross-entropy from logits (PyTorch's CrossEntropyLoss) is the preset's softmax output
    const fromLogits = spec!.objective?.loss === 'crossEntropy' && spec!.objective.from === 'logits';
    const layers = spec!.layers.map(({ name: _name, ...l }, i, all) => (fromLogits && i === all.length - 1 && l.activation === 'linear' ? { ...l, activation: 'softmax' as const } : l));
    assert.deepEqual(layers, preset.layers, `${e.fileName}: layers`);
    assert.deepEqual(spec!.optimizer, preset.optimizer, `${e.fileName}: optimizer`);
    assert.equal(spec!.batchSize, preset.batchSize, `${e.fileName}: batch size`);
    assert.deepEqual(r.notes.filter((n) => n.severity !== 'info'), [], `${e.fileName}: no warnings about the import itself`);
  }
});

test("the seed's failing programs are flagged on the hidden layer's weights line, the seed's loss on its line; the others are clean", () => {
  for (const e of EXAMPLES) {
    const r = read(e.fileName);
    // The seed's own loss, -reduce_sum(y_ * log(softmax)), is flagged where it is written (unstable-loss);
    // apart from that, only the zero-initialised programs have findings.
    const text = textOf(e.fileName);
    const logLine = text.split('\n').findIndex((l) => /tf\.log\(/.test(l)) + 1;
    const unstable = r.staticFindings.filter((f) => f.code === 'unstable-loss');
    if (logLine > 0) assert.deepEqual(unstable.map((f) => f.source?.line), [logLine], `${e.fileName}: unstable-loss on the loss line`);
    else assert.deepEqual(unstable, [], `${e.fileName}: no unstable-loss without a hand-written log`);
    const serious = r.staticFindings.filter((f) => f.severity !== 'info' && f.code !== 'unstable-loss');
    if (e.preset !== 'seed-mlp-zeros') {
      assert.deepEqual(serious.map((f) => f.code), [], `${e.fileName}: no static findings`);
      continue;
    }
    const dead = serious.find((f) => f.code === 'dead-units' && f.layer === 0);
    assert.ok(dead, `${e.fileName}: no dead-units finding on the hidden layer (${serious.map((f) => f.code).join(', ')})`);
    const hiddenLine = r.layers[0].weights!.line;
    assert.equal(dead.source?.line, hiddenLine, `${e.fileName}: the finding is on the hidden layer's line`);
    const lineText = textOf(e.fileName).split('\n')[hiddenLine - 1];
    assert.match(lineText, /zeros/, `${e.fileName}:${hiddenLine} is where the zeros are written: ${lineText}`);
  }
  const seed = read(findExample(SEED_EXAMPLE_ID)!.fileName);
  assert.equal(textOf(findExample(SEED_EXAMPLE_ID)!.fileName).split('\n')[seed.layers[0].weights!.line - 1].trim(), 'W1 = tf.Variable(tf.zeros([784, 100]))');
});

test("each finding's preferred quick fix, written into the failing examples, leaves no dead or symmetric hidden layer", () => {
  for (const e of EXAMPLES.filter((x) => x.preset === 'seed-mlp-zeros')) {
    let text = textOf(e.fileName);
    const r = read(e.fileName, text);
    const dead = r.staticFindings.find((f) => f.code === 'dead-units')!;
    const edit = dead.fixes.map((f) => fixToEdit(r, text, f)).find((x) => x !== undefined);
    assert.ok(edit, `${e.fileName}: the dead-units finding offers an edit`);
    text = applyEdit(text, edit);
    const after = read(e.fileName, text);
    assert.deepEqual(after.staticFindings.filter((f) => f.severity !== 'info' && f.code !== 'unstable-loss').map((f) => f.code), [], `${e.fileName} after the fix:\n${text}`);
  }
});
