// The static reader is bounded by construction (issue 19): generated growth patterns — lists, tuples,
// strings and dicts doubled by `+`, `+=`, `*`, `extend`, comprehensions, nested loops, recursion, deep
// nesting — in every place code can sit, in Python and JS, are each read or refused within 2 s of CPU and
// 256 MB of heap (in a child process with that heap limit, so a regression fails here instead of taking
// the test runner down), every refusal on a line and every file that is read with its whole model (the
// statements after the growth are not dropped). Also the CLI on the three-line file, a model with
// big-but-fine structures that still reads, and Python's NFKC identifiers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importSource } from '../../src/core/importers/index';
import { MAX_MEMORY, MAX_WORK } from '../../src/core/importers/budget';
import { MAX_SOURCE_CHARS } from '../../src/core/importers/types';
import type { CaseReport } from './readerBoundsChild';
import { DOUBLING_PY, type GrowthCase, growthCases } from './readerBoundsCases';
import { repoRoot } from './helpers';

const CPU_LIMIT_MS = 2000;
const HEAP_LIMIT_MB = 256;
/** The child's V8 limits: old space + three semi-spaces (the young generation) stay within HEAP_LIMIT_MB. */
const CHILD_FLAGS = ['--expose-gc', `--max-old-space-size=${HEAP_LIMIT_MB - 32}`, '--max-semi-space-size=8'];

/** Runs cases in the child; the reports of those that ended, and how the child ended. */
function runInChild(indexes: number[]): { reports: CaseReport[]; status: number | null; signal: string | null; stderr: string } {
  const child = join(__dirname, 'readerBoundsChild.js');
  const r = spawnSync(process.execPath, [...CHILD_FLAGS, child, JSON.stringify(indexes)], { encoding: 'utf8', timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
  const reports = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as CaseReport);
  return { reports, status: r.status, signal: r.signal, stderr: r.stderr };
}

const lineOf = (text: string, line: number): string => text.split('\n')[line - 1] ?? '';

test('generated growth patterns in every place code can sit (Python and JS): each read or refused within 2 s of CPU and 256 MB of heap, refusals on a line, no statement dropped', () => {
  const cases = growthCases();
  assert.ok(cases.length >= 150, `${cases.length} cases`);
  for (const c of cases) assert.ok(c.text.length <= MAX_SOURCE_CHARS, `${c.name}: ${c.text.length} characters, more than a file the reader reads`);
  const { reports, status, signal, stderr } = runInChild(cases.map((_, i) => i));
  if (reports.length < cases.length) {
    const next = cases[reports.length];
    assert.fail(`the child died (exit ${status}, signal ${signal}) on "${next.name}" (heap limit ${HEAP_LIMIT_MB} MB): ${stderr.slice(-1500)}`);
  }
  assert.equal(status, 0, stderr);
  const problems: string[] = [];
  const by = { refused: 0, read: 0 };
  let slowest = { ms: 0, name: '' };
  let heaviest = { mb: 0, name: '' };
  let cpuTotal = 0;
  for (const r of reports) {
    const c: GrowthCase = cases[r.index];
    const why = (m: string) => problems.push(`${c.name}: ${m}`);
    cpuTotal += r.cpuMs;
    if (r.cpuMs > slowest.ms) slowest = { ms: r.cpuMs, name: c.name };
    const mb = r.heapGrowth / (1024 * 1024);
    if (mb > heaviest.mb) heaviest = { mb, name: c.name };
    if (r.cpuMs > CPU_LIMIT_MS) why(`took ${r.cpuMs.toFixed(0)} ms of CPU`);
    if (mb > HEAP_LIMIT_MB) why(`grew the heap by ${mb.toFixed(0)} MB`);
    if (r.outcome === 'refused') {
      by.refused++;
      // "too large to follow statically: line N (...)", on line N, inside the file.
      const m = /^too large to follow statically: line (\d+) \(.+\)/.exec(r.message ?? '');
      if (!m) why(`refused without saying where: ${r.message}`);
      else if (Number(m[1]) !== r.line) why(`the message says line ${m[1]}, the range is on line ${r.line}`);
      // In the growth, not on the model's own lines: the reader stopped where the file grows.
      if (!r.line || r.line < c.growth.first || r.line > c.growth.last) why(`refused on line ${r.line} (${lineOf(c.text, r.line ?? 0)}), outside the growth (lines ${c.growth.first}-${c.growth.last})`);
      if (c.expect === 'read') why(`refused, but nothing in it grows: ${r.message}`);
    } else if (r.outcome === 'read') {
      by.read++;
      // Read: the whole model, its last layer (after the growth) included.
      if (JSON.stringify(r.units) !== '[100,10]') why(`read as ${JSON.stringify(r.units)}, not the file's 100-10 model`);
      if (c.expect === 'refused') why('read, but it grows past any budget');
    } else {
      why(`${r.outcome}: ${r.message ?? ''}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(by.refused > 0 && by.read > 0, JSON.stringify(by));
  console.log(`reader bounds: ${cases.length} files, ${by.refused} refused, ${by.read} read; slowest ${slowest.ms.toFixed(0)} ms CPU (${slowest.name}); `
    + `largest heap growth ${heaviest.mb.toFixed(0)} MB (${heaviest.name}); ${(cpuTotal / 1000).toFixed(1)} s CPU in all; budgets ${MAX_WORK} steps, ${MAX_MEMORY / 2 ** 20} MB`);
});

test("the issue's three-line file: `check` exits 2 within 2 s of CPU, saying it is too large to follow on line 3", () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-bounds-'));
  try {
    const file = join(dir, 'doubling.py');
    writeFileSync(file, DOUBLING_PY);
    // bash's `times` gives the CPU time of the CLI (its children's line), whatever else the machine runs.
    const cli = join(repoRoot, 'bin', 'gradient-lens.js');
    const r = spawnSync('bash', ['-c', '"$0" "$1" check "$2"; code=$?; times >&2; exit $code', process.execPath, cli, file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /doubling\.py:3: too large to follow statically: line 3 \(a list of [\d,]+ elements \(l \+ l\)/);
    assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
    const times = r.stderr.trim().split('\n').pop() ?? '';
    const secs = [...times.matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
    assert.ok(/\dm[\d.]+s/.test(times) && secs <= CPU_LIMIT_MS / 1000, `the CLI took ${secs} s of CPU (${times})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the same file in the editor: one error on line 3, no model, no CodeLens (the refusal carries it)', () => {
  const r = importSource('doubling.py', DOUBLING_PY);
  assert.ok(r?.refused, 'refused');
  assert.equal(r.refused.range.line, 3);
  assert.deepEqual(r.notes.map((n) => [n.range.line, n.severity]), [[3, 'error']]);
  assert.equal(r.modelRange, undefined);
  assert.equal(r.layers.length, 0);
  assert.equal(r.spec.ok, false);
});

test('a model with big-but-fine structures still reads: [Dense(100)] * 3, a 10,000-element list, a 2,000-entry dict, a 100,000-character string, loops over them', () => {
  const text = [
    'import tensorflow as tf',
    'from tensorflow.keras.layers import Dense',
    `table = [${Array.from({ length: 10_000 }, (_, i) => String(i % 97)).join(', ')}]`,
    `names = {${Array.from({ length: 2000 }, (_, i) => `'k${i}': ${i}`).join(', ')}}`,
    `banner = '${'=-'.repeat(50_000)}'`,
    'total = sum(table) + len(names) + len(banner)',
    'sizes = list(range(10000))',
    'doubled = sizes + sizes',
    'for i in range(100):',
    '    table.append(i)',
    'hidden = [Dense(100, activation="relu")] * 3',
    'model = tf.keras.Sequential([Dense(100, activation="relu", input_shape=(784,))] + hidden + [Dense(10, activation="softmax")])',
    "model.compile(optimizer='sgd', loss='categorical_crossentropy')",
    'model.fit(x, y, batch_size=64, epochs=2)',
    '',
  ].join('\n');
  assert.ok(text.length < MAX_SOURCE_CHARS);
  const t0 = process.cpuUsage();
  const r = importSource('big_but_fine.py', text);
  const cpu = process.cpuUsage(t0);
  assert.ok(r && !r.refused, r?.refused?.message ?? 'not read');
  assert.ok(r.spec.ok, JSON.stringify(r.spec));
  // `[Dense(100)] * 3` is one layer object three times: read once, with a note (as Keras shares its weights).
  assert.deepEqual(r.spec.spec.layers.map((l) => l.units), [100, 100, 10]);
  assert.ok(r.notes.some((n) => /used twice/.test(n.message)), r.notes.map((n) => n.message).join(' | '));
  assert.ok((cpu.user + cpu.system) / 1000 < CPU_LIMIT_MS, `${(cpu.user + cpu.system) / 1000} ms`);
  assert.ok(!r.notes.some((n) => n.severity === 'error'), r.notes.map((n) => n.message).join(' | '));
});

test('Python identifiers are NFKC-normalised as Python does (Ｄｅｎｓｅ is Dense, attributes too); JS identifiers are not', () => {
  const py = [
    'import tensorflow as tf',
    'from tensorflow.keras.layers import Ｄｅｎｓｅ',
    'model = tf.keras.Sequential()',
    "model.ａｄｄ(Ｄｅｎｓｅ(100, ａｃｔｉｖａｔｉｏｎ='relu', input_shape=(784,)))",
    "model.add(tf.keras.layers.Ｄｅｎｓｅ(10, activation='softmax'))",
    "model.compile(optimizer='sgd', loss='categorical_crossentropy')",
    '',
  ].join('\n');
  const r = importSource('nfkc.py', py);
  assert.ok(r?.spec.ok, JSON.stringify(r?.spec));
  assert.deepEqual(r.spec.spec.layers.map((l) => [l.units, l.activation]), [[100, 'relu'], [10, 'softmax']]);
  // A name written in two forms is one name (ﬁ is the ligature of `fi`).
  const same = importSource('ligature.py', 'import tensorflow as tf\nﬁrst = 100\nmodel = tf.keras.Sequential([tf.keras.layers.Dense(first, input_shape=(784,)), tf.keras.layers.Dense(10)])\n');
  assert.deepEqual(same?.spec.ok ? same.spec.spec.layers.map((l) => l.units) : same?.spec, [100, 10]);
  // JS does not normalise: `ｕｎｉｔｓ` is not `units`, so the layer has no units.
  const js = [
    "import * as tf from '@tensorflow/tfjs';",
    'const model = tf.sequential();',
    "model.add(tf.layers.dense({ ｕｎｉｔｓ: 100, activation: 'relu', inputShape: [784] }));",
    "model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));",
    '',
  ].join('\n');
  const j = importSource('nfkc.js', js);
  assert.ok(j, 'read as a model file');
  assert.ok(!j.spec.ok || j.spec.spec.layers[0].units !== 100, 'the fullwidth key read as `units`');
});
