// Fuzzing the importers: >= 200 sources generated and mutated from the fixtures with a seeded PRNG
// (random edits, truncations, odd names, deep nesting) must each give a result or `undefined` —
// never an exception (importSource reports internal errors as a note, which counts as a failure
// here), never a hang, and only ranges that lie inside the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importSource } from '../../src/core/importers/index';
import type { ImportResult, SourceRange } from '../../src/core/importers/types';

const FIXTURES = resolve(__dirname, '../../../test/fixtures');
const SEED = 0x6c656e73; // "lens"
const CASES_PER_FIXTURE = 60;

/** mulberry32: small, fast, reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  '(', ')', '[', ']', '{', '}', ',', ':', '=', '.', '+', '-', '@', '*', '**', '"', "'", '"""', '`', '\\', '\n', '\r\n', '\t', '    ',
  'tf.zeros(', 'tf.Variable(', 'tf.matmul(', 'tf.nn.relu(', 'Dense(', 'tf.layers.dense({', 'Sequential([', 'model.add(', 'for _ in range(',
  'next_batch(', '.minimize(', 'kernel_initializer=', 'kernelInitializer:', '"layers":', '"units":', 'None', 'null', 'undefined', 'NaN',
  '1e309', '-0', '0x1F', '1_000', '-1', '0.5', '784', '10', '100', 'lambda x: x', 'def f(', 'return ', 'async ', 'await ', '=>',
  'class A:', 'if True:', 'with x:', '# comment', '/* c */', '// c', '\u00e9l\u00e8ve', '\u{1F600}', '\u0000', '\uFFFF',
  // PyTorch (issue 11)
  'nn.Linear(', 'nn.Sequential(', 'super().__init__()', 'nn.init.zeros_(', 'optimizer.step()', 'F.relu(', 'DataLoader(', '*layers',
  'self.fc1', 'def forward(self, x):', 'model.apply(', '.fill_(0)', 'OrderedDict([', 'nn.ModuleList([',
];
const ODD_NAMES = ['_', '__init__', 'W\u00e9', 'class_', 'x'.repeat(300), '\u0394W', 'tf', 'model', 'range', 'None_', '$', 'await'];

function mutate(text: string, rand: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  let t = text;
  const edits = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(rand() * (t.length + 1));
    const len = Math.floor(rand() * 40);
    switch (Math.floor(rand() * 7)) {
      case 0: t = t.slice(0, at) + t.slice(at + len); break; // delete
      case 1: t = t.slice(0, at) + pick(TOKENS) + t.slice(at); break; // insert a token
      case 2: t = t.slice(0, at); break; // truncate
      case 3: t = t.slice(0, at) + t.slice(at, at + len).repeat(2 + Math.floor(rand() * 3)) + t.slice(at + len); break; // duplicate
      case 4: { // rename an identifier everywhere (odd names)
        const ids = t.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
        if (ids.length) t = t.split(pick(ids)).join(pick(ODD_NAMES));
        break;
      }
      case 5: { // swap two lines
        const lines = t.split('\n');
        const a = Math.floor(rand() * lines.length);
        const b = Math.floor(rand() * lines.length);
        [lines[a], lines[b]] = [lines[b], lines[a]];
        t = lines.join('\n');
        break;
      }
      default: { // random bytes
        let s = '';
        for (let j = 0; j < len; j++) s += String.fromCharCode(Math.floor(rand() * 0x3000));
        t = t.slice(0, at) + s + t.slice(at);
      }
    }
  }
  return t;
}

/** Generated programs: deep nesting, long chains, many layers, huge numbers. */
function generated(rand: () => number): { name: string; text: string }[] {
  const n = (k: number) => Math.floor(rand() * k);
  const out: { name: string; text: string }[] = [
    { name: 'deep.py', text: `x = ${'('.repeat(5000)}1${')'.repeat(5000)}\n` },
    { name: 'deep.js', text: `const x = ${'['.repeat(5000)}${']'.repeat(5000)};\n` },
    { name: 'deep.mlp.json', text: `{"layers": ${'['.repeat(3000)}${']'.repeat(3000)}}` },
    { name: 'unclosed.py', text: 'import tensorflow as tf\nW = tf.Variable(tf.zeros([784, 100]\n'.repeat(50) },
    { name: 'recursive.py', text: 'import tensorflow as tf\ndef f(x):\n    return f(tf.Variable(tf.zeros([784, 100])))\nf(1)\n' },
    { name: 'mutual.js', text: 'const tf = require("@tensorflow/tfjs");\nfunction a(){ return b(); }\nfunction b(){ return a(); }\nconst m = tf.sequential(); a();\n' },
    { name: 'empty.py', text: '' },
    { name: 'empty.mlp.json', text: '' },
  ];
  for (let i = 0; i < 40; i++) {
    const layers = 1 + n(20);
    let py = 'import tensorflow as tf\nx = tf.placeholder(tf.float32, [None, 784])\nh0 = x\n';
    let prev = 784;
    for (let l = 0; l < layers; l++) {
      const units = l === layers - 1 ? 10 : 1 + n(5000);
      py += `W${l} = tf.Variable(tf.random_normal([${prev}, ${units}], stddev=${rand() * 10 - 1}))\nb${l} = tf.Variable(tf.zeros([${units}]))\n`;
      py += `h${l + 1} = tf.nn.${['relu', 'sigmoid', 'tanh', 'softmax', 'elu'][n(5)]}(tf.matmul(h${l}, W${l}) + b${l})\n`;
      prev = units;
    }
    py += `opt = tf.train.GradientDescentOptimizer(${rand() * 2 - 0.5}).minimize(h${layers})\nfor _ in range(${n(3_000_000)}):\n  bx, by = mnist.train.next_batch(${n(100000)})\n`;
    out.push({ name: `gen${i}.py`, text: py });
  }
  return out;
}

function checkRange(r: SourceRange, lineCount: number, where: string): void {
  for (const k of ['line', 'column', 'endLine', 'endColumn'] as const) assert.ok(Number.isInteger(r[k]) && r[k] >= 1, `${where}: ${k} = ${r[k]}`);
  assert.ok(r.line <= lineCount && r.endLine <= lineCount, `${where}: line ${r.line}-${r.endLine} beyond ${lineCount} lines`);
  assert.ok(r.endLine > r.line || (r.endLine === r.line && r.endColumn >= r.column), `${where}: reversed range`);
}

function checkResult(r: ImportResult | undefined, text: string, where: string): void {
  if (!r) return;
  assert.ok(!r.notes.some((n) => /internal error/.test(n.message)), `${where}: ${r.notes.find((n) => /internal error/.test(n.message))?.message}`);
  const lineCount = text.split(/\r\n|\r|\n/).length;
  for (const n of r.notes) checkRange(n.range, lineCount, `${where} note`);
  for (const l of r.layers) {
    checkRange(l.definition, lineCount, `${where} layer ${l.layer}`);
    if (l.weights) checkRange(l.weights, lineCount, `${where} weights ${l.layer}`);
  }
  for (const f of r.staticFindings) assert.ok(f.source && f.source.line >= 1 && f.source.line <= lineCount, `${where}: finding source`);
  JSON.stringify(r); // plain data, crosses process boundaries
}

test('>= 200 mutated and generated sources import without an exception or a hang', () => {
  const rand = prng(SEED);
  // test/fixtures and its folders (programs/: the real-code shapes of every framework)
  const fixtures = readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(py|js|ts|json)$/.test(f) && !f.startsWith('streams'));
  assert.ok(fixtures.length >= 6, 'fixtures present');
  assert.ok(fixtures.filter((f) => /(^|[\\/])torch_/.test(f)).length >= 15, 'PyTorch fixtures present');
  const cases: { name: string; text: string }[] = generated(rand);
  for (const f of fixtures) {
    const text = readFileSync(join(FIXTURES, f), 'utf8');
    for (let i = 0; i < CASES_PER_FIXTURE; i++) cases.push({ name: f, text: mutate(text, rand) });
  }
  // Cross-language: Python text under a .js name and the other way round.
  for (let i = 0; i < 20; i++) {
    const a = cases[Math.floor(rand() * cases.length)];
    cases.push({ name: ['x.py', 'x.js', 'x.ts', 'x.mlp.json', 'x.json'][i % 5], text: a.text });
  }
  assert.ok(cases.length >= 200, `${cases.length} cases`);
  let recognised = 0;
  let slowest = 0;
  for (const [i, c] of cases.entries()) {
    const t0 = performance.now();
    let r: ImportResult | undefined;
    assert.doesNotThrow(() => { r = importSource(c.name, c.text); }, `case ${i} (${c.name})`);
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    // A hang guard, not a benchmark: generous for a shared 2-core machine.
    assert.ok(ms < 5000, `case ${i} (${c.name}) took ${ms.toFixed(0)} ms`);
    checkResult(r, c.text, `case ${i} (${c.name})`);
    if (r) recognised++;
  }
  // Most mutants still look like models: the fuzzing exercises the interpreter, not just the parser.
  assert.ok(recognised > cases.length / 2, `${recognised}/${cases.length} recognised`);
  console.log(`fuzz: ${cases.length} cases, ${recognised} recognised as models, slowest ${slowest.toFixed(0)} ms`);
});
