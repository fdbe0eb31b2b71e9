// Fuzzing the importers: >= 200 sources generated and mutated from the fixtures (and the issue-10
// fixture programs: dicts, helpers, classes, flags, comprehensions, while loops, convolutions...) with a
// seeded PRNG (random edits, truncations, odd names, deep nesting, huge loops) must each give a result
// or `undefined` — never an exception (importSource reports internal errors as a note, which counts
// as a failure here), never a hang, and only ranges that lie inside the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importSource } from '../../src/core/importers/index';
import type { ImportResult, SourceRange } from '../../src/core/importers/types';
import { prng } from './helpers';

const FIXTURES = resolve(__dirname, '../../../test/fixtures');
const PROGRAMS = join(FIXTURES, 'programs');
const SEED = 0x6c656e73; // "lens"
const CASES_PER_FIXTURE = 60;
const CASES_PER_PROGRAM = 6;

const TOKENS = [
  "{'h1': ", "weights['h1']", 'self.', 'class Net(tf.keras.Model):', 'def __init__(self):', 'super().__init__()', 'while step < ', 'step += 1',
  'FLAGS.', "flags.DEFINE_integer('n', ", "parser.add_argument('--lr', type=float, default=", 'parser.parse_args()', 'tf.app.run()',
  "if __name__ == '__main__':", '[x for x in range(3)]', 'lambda x: ', 'tf.nn.conv2d(', 'Conv2D(32, 3)', 'tf.log(', 'tf.nn.softmax(',
  'xrange(', '**kwargs', '*args', 'yield ', 'x[i:i + 64]', 'for (let i = 0; i < N; i++) {', '() => {', 'this.', 'tf.tidy(() => ',
  '(', ')', '[', ']', '{', '}', ',', ':', '=', '.', '+', '-', '@', '*', '**', '"', "'", '"""', '`', '\\', '\n', '\r\n', '\t', '    ',
  'tf.zeros(', 'tf.Variable(', 'tf.matmul(', 'tf.nn.relu(', 'Dense(', 'tf.layers.dense({', 'Sequential([', 'model.add(', 'for _ in range(',
  'next_batch(', '.minimize(', 'kernel_initializer=', 'kernelInitializer:', '"layers":', '"units":', 'None', 'null', 'undefined', 'NaN',
  '1e309', '-0', '0x1F', '1_000', '-1', '0.5', '784', '10', '100', 'lambda x: x', 'def f(', 'return ', 'async ', 'await ', '=>',
  'class A:', 'if True:', 'with x:', '# comment', '/* c */', '// c', '\u00e9l\u00e8ve', '\u{1F600}', '\u0000', '\uFFFF',
  // PyTorch (issue 11)
  'nn.Linear(', 'nn.Sequential(', 'super().__init__()', 'nn.init.zeros_(', 'optimizer.step()', 'F.relu(', 'DataLoader(', '*layers',
  'self.fc1', 'def forward(self, x):', 'model.apply(', '.fill_(0)', 'OrderedDict([', 'nn.ModuleList([',
  // init loops over a model's modules / parameters
  'for m in model.modules():', 'for m in self.modules():', 'for name, p in model.named_parameters():', 'isinstance(m, nn.Linear)',
  'type(m) == nn.Linear', 'm.__class__.__name__', "hasattr(m, 'weight')", 'm.bias is not None', 'continue', 'break', 'p.dim() > 1',
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
  // Issue-10 constructs, generated at scale: dicts of weights, helper layers in loops, classes, flags,
  // while loops with huge counts, comprehensions, deep dict / call nesting, recursion through methods.
  for (let i = 0; i < 20; i++) {
    const layers = 1 + n(6);
    const sizes = [784, ...Array.from({ length: layers - 1 }, () => 1 + n(500)), 10];
    let py = `import tensorflow as tf\nflags = tf.app.flags\nFLAGS = flags.FLAGS\nflags.DEFINE_integer('steps', ${n(1e9)}, 'x')\n`;
    py += `weights = {${sizes.slice(0, -1).map((s, l) => `'h${l}': tf.Variable(tf.${['zeros', 'random_normal', 'truncated_normal'][n(3)]}([${s}, ${sizes[l + 1]}]))`).join(', ')}}\n`;
    py += `biases = [tf.Variable(tf.zeros([s])) for s in ${JSON.stringify(sizes.slice(1))}]\n`;
    py += 'def layer(x, i, act=tf.nn.relu):\n    return act(tf.matmul(x, weights["h%d" % i]) + biases[i]) if act else tf.matmul(x, weights["h" + str(i)])\n';
    py += `class Net(object):\n    def __init__(self, n=${layers}):\n        self.n = n\n    def __call__(self, x):\n        for i in range(self.n):\n            x = layer(x, i)\n        return self(x) if ${n(2)} else x\n`;
    py += `def main(_):\n    x = tf.placeholder(tf.float32, [None, 784])\n    y = tf.nn.softmax(Net()(x))\n    loss = -tf.reduce_sum(y * tf.log(y))\n    op = tf.train.AdamOptimizer(1e-3).minimize(loss)\n`;
    py += `    step = ${n(10)}\n    while step * ${1 + n(1000)} < FLAGS.steps:\n        if step % ${1 + n(7)} == 0:\n            xs, ys = mnist.train.next_batch(${n(300)})\n        step += ${1 + n(3)}\n`;
    py += `    d = ${'{"a": '.repeat(n(200))}1${'}'.repeat(n(200))}\n    v = ${'f('.repeat(n(100))}0${')'.repeat(n(100))}\nif __name__ == '__main__':\n    tf.app.run()\n`;
    out.push({ name: `gen10_${i}.py`, text: py });
    let js = 'const tf = require("@tensorflow/tfjs");\nclass M { constructor() { this.model = tf.sequential(); } build(n) { for (let i = 0; i < n; i++) { this.model.add(tf.layers.dense({ units: 8 + i, activation: "relu", inputShape: i === 0 ? [784] : undefined })); } return this.build(n - 1); } }\n';
    js += `const m = new M(); m.build(${n(100000)});\n(async () => { for (let e = 0; e < ${n(1e9)}; e += ${n(3)}) { await m.model.fit(xs, ys, { batchSize: ${n(512)}, epochs: 1 }); const t = tf.tidy(() => xs.conv2d(w, 1, "same").relu()); } })();\n`;
    out.push({ name: `gen10_${i}.js`, text: js });
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
  const programs = readdirSync(PROGRAMS).filter((f) => /\.(py|js|ts)$/.test(f));
  assert.ok(programs.length >= 40, 'fixture programs present');
  // The PyTorch init-loop programs (for m in model.modules(), named_parameters(), the cannot-follow ones) among them.
  const initLoops = programs.filter((f) => /^torch_(loop|init|self_modules|children|named|parameters|apply_classname|modulelist_enumerate)/.test(f));
  assert.ok(initLoops.length >= 12, `init-loop programs: ${initLoops.join(', ')}`);
  for (const f of programs) {
    const text = readFileSync(join(PROGRAMS, f), 'utf8');
    cases.push({ name: f, text }); // unmutated too: each must read without an internal error
    for (let i = 0; i < CASES_PER_PROGRAM; i++) cases.push({ name: f, text: mutate(text, rand) });
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
