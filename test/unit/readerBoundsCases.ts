// Generated hostile sources for test/unit/readerBounds.test.ts: growth patterns (lists, tuples, strings
// and dicts doubled by `+`, `+=`, `*`, `extend`, comprehensions, nested loops, recursion, deep nesting...)
// placed everywhere code can sit (top level, a function never called, a class body, a method, under
// `if __name__ == "__main__":`, inside a loop...), in Python and in JS, each in a file that also defines
// a model after the growth, so a file that is read must still have that model's last layer.

export interface GrowthCase {
  /** `pattern @ placement`. */
  name: string;
  file: string;
  text: string;
  /** `refused`: it grows past any budget, the reader must stop there; `read`: nothing grows, the model must be read; `either`. */
  expect: 'refused' | 'read' | 'either';
  /** The lines (1-based, first to last) of the growth: where a refusal must be. */
  growth: { first: number; last: number };
}

interface Pattern {
  name: string;
  /** The statements, unindented (placements indent them). */
  lines: string[];
  expect: GrowthCase['expect'];
  /** Runs to a budget the slow way (hundreds of milliseconds): placed at the top level and in one other place, in turn. */
  heavy?: boolean;
}

const loop2 = (body: string[], n = 128, py = true): string[] => (py
  ? [`for i in range(${n}):`, `    for j in range(${n}):`, ...body.map((l) => `        ${l}`)]
  : [`for (let i = 0; i < ${n}; i++) {`, `  for (let j = 0; j < ${n}; j++) {`, ...body.map((l) => `    ${l}`), '  }', '}']);

export const PY_PATTERNS: Pattern[] = [
  { name: 'list l = l + l', lines: ['l = [1]', 'for _ in range(40):', '    l = l + l'], expect: 'refused' },
  { name: 'list l += l', lines: ['l = [1]', 'for _ in range(40):', '    l += l'], expect: 'refused' },
  { name: 'tuple t = t + t', lines: ['t = (1, 2)', 'for _ in range(40):', '    t = t + t'], expect: 'refused' },
  { name: 'string s = s + s', lines: ["s = 'ab'", 'for _ in range(60):', '    s = s + s'], expect: 'refused' },
  { name: 'string s += s', lines: ["s = 'ab'", 'for _ in range(60):', '    s += s'], expect: 'refused' },
  { name: 'list l = l * 2', lines: ['l = [0]', 'for _ in range(60):', '    l = l * 2'], expect: 'either' },
  { name: 'string s = s * 2', lines: ["s = 'ab'", 'for _ in range(60):', '    s = s * 2'], expect: 'either' },
  { name: 'acc = acc + [0] * 10000 in two 128-loops', lines: ['acc = []', ...loop2(['acc = acc + [0] * 10000'])], expect: 'refused' },
  { name: 'l.extend(l)', lines: ['l = [1, 2]', 'for _ in range(40):', '    l.extend(l)'], expect: 'refused' },
  { name: 'l.append(l) 128 × 128', lines: ['l = []', ...loop2(['l.append(l)'])], expect: 'refused' },
  { name: 'l.insert(0, [0] * 10000) 128 × 128', lines: ['l = []', ...loop2(['l.insert(0, [0] * 10000)'])], expect: 'either' },
  { name: 'nested list x = [x] 128 × 128', lines: ['x = 0', ...loop2(['x = [x]'])], expect: 'refused' },
  { name: 'nested dict d = {a: d, b: d} 128 × 128', lines: ['d = {}', ...loop2(["d = {'a': d, 'b': d}"])], expect: 'refused' },
  { name: 'tuple DAG as a dict key and in `in`', lines: ['t = 0', 'for _ in range(90):', '    t = (t, t)', 'k = {t: 1}', 'u = t in [t, t]', 'v = k.get(t)'], expect: 'either' },
  { name: 'dict d[k] = [0] * 10000 128 × 128', lines: ['d = {}', ...loop2(['d[i * 128 + j] = [0] * 10000'])], expect: 'refused' },
  { name: 'dict(zip(l, l)) of a doubling list', lines: ['l = [1]', 'for _ in range(40):', '    l = l + l', '    d = dict(zip(l, l))'], expect: 'refused' , heavy: true },
  { name: 'd.update({...}) 128 × 128', lines: ["d = {'k': 0}", ...loop2(["d.update({'k' + str(i) + '_' + str(j): [0] * 10000})"])], expect: 'refused' },
  { name: 'nested list comprehensions in a loop', lines: ['for _ in range(128):', '    g = [[i * j for i in range(128)] for j in range(128)]'], expect: 'refused' , heavy: true },
  { name: 'triple comprehension', lines: ['c = [(i, j, k) for i in range(128) for j in range(128) for k in range(128)]'], expect: 'refused' , heavy: true },
  { name: 'dict comprehension of big lists', lines: ['d = {i * 128 + j: [0] * 10000 for i in range(128) for j in range(128)}'], expect: 'refused' },
  { name: 'comprehension over a doubling list', lines: ['l = [1]', 'for _ in range(40):', '    l = l + [x for x in l]'], expect: 'either' },
  { name: 'three nested 128-loops', lines: ['n = 0', 'for a in range(128):', '    for b in range(128):', '        for c in range(128):', '            n = n + a * b + c'], expect: 'refused' , heavy: true },
  { name: 'recursion doubling a list', lines: ['def grow(l, n):', '    return grow(l + l, n - 1) if n else l', 'big = grow([0] * 10000, 8)'], expect: 'either' },
  { name: 'recursion fanning out', lines: ['def tree(n):', '    for i in range(100):', '        tree(n - 1)', 'tree(8)'], expect: 'refused' , heavy: true },
  { name: 'recursion tripling a string', lines: ['def sgrow(s, n):', '    return sgrow(s + s + s, n - 1) if n else s', `w = sgrow('${'abcd'.repeat(2500)}', 8)`], expect: 'refused' },
  { name: 's = s.replace(a, s)', lines: ["s = 'aaaa'", 'for _ in range(10):', "    s = s.replace('a', s)"], expect: 'refused' },
  { name: 'split of a long string, again and again', lines: ["s = 'a,'", 'for _ in range(20):', '    s = s + s', 'for _ in range(128):', "    p = s.split(',')"], expect: 'refused' },
  { name: 'slices l[:] + l[:]', lines: ['l = [1]', 'for _ in range(40):', '    l = l[:] + l[:]'], expect: 'refused' },
  { name: '*args doubling', lines: ['def f(*a):', '    return a + a', 't = (1,)', 'for _ in range(40):', '    t = f(*t)'], expect: 'refused' , heavy: true },
  { name: 'list(enumerate(l)) + l', lines: ['l = [1]', 'for _ in range(40):', '    l = list(enumerate(l)) + l'], expect: 'refused' , heavy: true },
  { name: 'spread [*l, *l]', lines: ['l = [1]', 'for _ in range(40):', '    l = [*l, *l]'], expect: 'refused' , heavy: true },
  { name: 'f-string, format, %, join (not followed)', lines: ["s = 'ab'", 'for _ in range(60):', "    s = f'{s}{s}'", "    s = '{}{}'.format(s, s)", "    s = '%s%s' % (s, s)", "    s = ''.join([s, s])"], expect: 'read' },
  { name: 'sorted(l), sum(l), x in l of a doubling list', lines: ['l = [3, 1, 2]', 'for _ in range(40):', '    l = l + l', '    m = sorted(l)', '    n = sum(l)', '    b = 7 in l'], expect: 'refused' },
  { name: 'a 30,000-element literal in a loop', lines: ['for _ in range(128):', `    big = [${Array.from({ length: 30_000 }, () => '0').join(',')}]`], expect: 'either' , heavy: true },
  { name: 'branch shares of 400 ifs in a training loop', lines: ['for i in range(20000):', '    model.fit(x, y)', ...Array.from({ length: 400 }, (_, k) => [`    if i % ${k + 2} == 0:`, `        q = ${k}`]).flat()], expect: 'either' , heavy: true },
  // Framework values grown the same ways (layers, models, tensors): bounded in number, and in the time the framework modules spend on them.
  { name: 'Dense layers appended 128 × 128', lines: ['extra = []', ...loop2(['extra.append(tf.keras.layers.Dense(10))'])], expect: 'refused', heavy: true },
  { name: 'Sequential nested in Sequential 128 × 128', lines: ['inner = tf.keras.Sequential([tf.keras.layers.Dense(10)])', ...loop2(['inner = tf.keras.Sequential([inner])'])], expect: 'refused', heavy: true },
  { name: 'a TF1 chain of 16,384 matmuls', lines: ['h = tf.placeholder(tf.float32, [None, 784])', ...loop2(['h = tf.nn.relu(tf.matmul(h, tf.Variable(tf.zeros([784, 784]))))'])], expect: 'refused', heavy: true },
  { name: 'init loops over 10,000 modules, 128 × 128 times', lines: ['import torch.nn as nn', 'net = nn.Sequential(*([nn.Linear(10, 10)] * 10000))', ...loop2(['for mod in net.modules():', '    nn.init.zeros_(mod.weight)'])], expect: 'refused', heavy: true },
  { name: '6,000 lambdas', lines: Array.from({ length: 6000 }, (_, k) => `f${k} = lambda v: v`), expect: 'read' , heavy: true },
];

/** Deep syntax, generated at the top level only (a placement would indent it past the size bound). */
export const PY_DEEP: Pattern[] = [
  { name: '500 nested if', lines: Array.from({ length: 500 }, (_, k) => `${' '.repeat(k)}if True:`).concat([`${' '.repeat(500)}w = 1`]), expect: 'refused' },
  { name: '500 nested with', lines: Array.from({ length: 500 }, (_, k) => `${' '.repeat(k)}with open('f') as f${k}:`).concat([`${' '.repeat(500)}w = 1`]), expect: 'refused' },
  { name: '5,000 nested parentheses', lines: [`w = ${'('.repeat(5000)}1${')'.repeat(5000)}`], expect: 'refused' },
  { name: '5,000 nested list brackets', lines: [`w = ${'['.repeat(5000)}${']'.repeat(5000)}`], expect: 'refused' },
  { name: '20,000 terms of a sum', lines: [`w = ${Array.from({ length: 20_000 }, () => '1').join(' + ')}`], expect: 'refused' },
  { name: '110 nested if (read)', lines: Array.from({ length: 110 }, (_, k) => `${' '.repeat(k)}if True:`).concat([`${' '.repeat(110)}w = 1`]), expect: 'read' },
];

export const JS_PATTERNS: Pattern[] = [
  { name: 'string s = s + s', lines: ["let s = 'ab';", 'for (let i = 0; i < 60; i++) {', '  s = s + s;', '}'], expect: 'refused' },
  { name: 'string s += s', lines: ["let s = 'ab';", 'for (let i = 0; i < 60; i++) {', '  s += s;', '}'], expect: 'refused' },
  { name: 'template literal `${s}${s}`', lines: ["let s = 'ab';", 'for (let i = 0; i < 60; i++) {', '  s = `${s}${s}`;', '}'], expect: 'read' },
  { name: 's.repeat(2)', lines: ["let s = 'ab';", 'for (let i = 0; i < 60; i++) {', '  s = s.repeat(2);', '}'], expect: 'read' },
  { name: 'l.concat(l)', lines: ['let l = [1];', 'for (let i = 0; i < 40; i++) {', '  l = l.concat(l);', '}'], expect: 'read' },
  { name: 'spread [...l, ...l]', lines: ['let l = [1];', 'for (let i = 0; i < 40; i++) {', '  l = [...l, ...l];', '}'], expect: 'either' },
  { name: 'l.push(l) 128 × 128', lines: ['const l = [];', ...loop2(['l.push(l);'], 128, false)], expect: 'refused' },
  { name: 'l.push(...l)', lines: ['const l = [1];', 'for (let i = 0; i < 40; i++) {', '  l.push(...l);', '}'], expect: 'either' },
  { name: 'nested array x = [x] 128 × 128', lines: ['let x = 0;', ...loop2(['x = [x];'], 128, false)], expect: 'refused' },
  { name: 'nested object o = {a: o, b: o} 128 × 128', lines: ['let o = {};', ...loop2(['o = { a: o, b: o };'], 128, false)], expect: 'refused' },
  { name: 'Array.from and push in 128 × 128', lines: ['let l = [0, 0, 0, 0, 0, 0, 0, 0];', ...loop2(['l = Array.from(l);', 'l.push(l.length);'], 128, false)], expect: 'either' },
  { name: 'three nested 128-loops', lines: ['let n = 0;', 'for (let a = 0; a < 128; a++) {', '  for (let b = 0; b < 128; b++) {', '    for (let c = 0; c < 128; c++) {', '      n = n + a * b + c;', '    }', '  }', '}'], expect: 'refused' , heavy: true },
  { name: 'recursion doubling a string', lines: ['function grow(s, n) {', '  return n ? grow(s + s + s + s, n - 1) : s;', '}', "const big = grow('abcd'.repeat(1) + 'abcdefghijklmnop', 8);", 'const big2 = grow(big + big + big + big, 8);'], expect: 'either' },
  { name: 'recursion fanning out', lines: ['function tree(n) {', '  for (let i = 0; i < 100; i++) tree(n - 1);', '}', 'tree(8);'], expect: 'refused' , heavy: true },
  { name: 'dense layers added 128 × 128', lines: ['const extra = tf.sequential();', ...loop2(['extra.add(tf.layers.dense({ units: 10 }));'], 128, false)], expect: 'refused', heavy: true },
  { name: 's.replace(a, s)', lines: ["let s = 'aaaa';", 'for (let i = 0; i < 10; i++) {', "  s = s.replaceAll('a', s);", '}'], expect: 'refused' },
];

export const JS_DEEP: Pattern[] = [
  { name: '2,000 nested if', lines: [...Array.from({ length: 2000 }, () => 'if (x) {'), 'w = 1;', ...Array.from({ length: 2000 }, () => '}')], expect: 'refused' },
  { name: '5,000 nested brackets', lines: [`const w = ${'['.repeat(5000)}${']'.repeat(5000)};`], expect: 'refused' },
  { name: '2,000 else-if', lines: ['if (x === 0) { w = 0; }', ...Array.from({ length: 2000 }, (_, k) => `else if (x === ${k + 1}) { w = ${k}; }`)], expect: 'refused' },
];

interface Placement {
  name: string;
  wrap(lines: string[]): string[];
}

const indent = (lines: string[], by: string): string[] => lines.map((l) => (l === '' ? l : `${by}${l}`));

export const PY_PLACEMENTS: Placement[] = [
  { name: 'top level', wrap: (l) => l },
  { name: 'function never called', wrap: (l) => ['def never_called():', ...indent(l, '    ')] },
  { name: 'class body', wrap: (l) => ['class Holder:', ...indent(l, '    ')] },
  { name: 'method never called', wrap: (l) => ['class Holder:', '    def go(self):', ...indent(l, '        ')] },
  { name: 'method called', wrap: (l) => ['class Holder:', '    def go(self):', ...indent(l, '        '), 'Holder().go()'] },
  { name: "if __name__ == '__main__'", wrap: (l) => ["if __name__ == '__main__':", ...indent(l, '    ')] },
  { name: 'inside a loop', wrap: (l) => ['for _outer in range(3):', ...indent(l, '    ')] },
  { name: 'main() run by tf.app.run', wrap: (l) => ['def main(_):', ...indent(l, '    '), 'tf.app.run(main)'] },
];

export const JS_PLACEMENTS: Placement[] = [
  { name: 'top level', wrap: (l) => l },
  { name: 'function never called', wrap: (l) => ['function neverCalled() {', ...indent(l, '  '), '}'] },
  { name: 'class method', wrap: (l) => ['class Holder {', '  go() {', ...indent(l, '    '), '  }', '}', 'new Holder().go();'] },
  { name: 'async arrow run at once', wrap: (l) => ['(async () => {', ...indent(l, '  '), '})();'] },
  { name: 'inside a loop', wrap: (l) => ['for (let outer = 0; outer < 3; outer++) {', ...indent(l, '  '), '}'] },
];

const PY_MODEL_HEAD = ['import tensorflow as tf', 'x = y = None', "model = tf.keras.Sequential([tf.keras.layers.Dense(100, activation='relu', input_shape=(784,))])"];
const PY_MODEL_TAIL = ["model.add(tf.keras.layers.Dense(10, activation='softmax'))", "model.compile(optimizer='sgd', loss='categorical_crossentropy')"];
const JS_MODEL_HEAD = ["import * as tf from '@tensorflow/tfjs';", 'let x, w;', 'const model = tf.sequential();', "model.add(tf.layers.dense({ units: 100, activation: 'relu', inputShape: [784] }));"];
const JS_MODEL_TAIL = ["model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));", "model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });"];

/**
 * Every pattern in every placement — a heavy one at the top level and in one other place, each place in
 * turn; the deep ones at the top level — each file: the model's first layer, the growth, the model's last
 * layer. Python and JS.
 */
export function growthCases(): GrowthCase[] {
  const out: GrowthCase[] = [];
  const file = (lang: 'py' | 'js', p: Pattern, where: Placement): GrowthCase => {
    const [head, tail] = lang === 'py' ? [PY_MODEL_HEAD, PY_MODEL_TAIL] : [JS_MODEL_HEAD, JS_MODEL_TAIL];
    const growth = where.wrap(p.lines).join('\n').split('\n');
    return {
      name: `${lang}: ${p.name} @ ${where.name}`, file: `growth.${lang}`, expect: p.expect,
      text: [...head, ...growth, ...tail, ''].join('\n'),
      growth: { first: head.length + 1, last: head.length + growth.length },
    };
  };
  const py = (p: Pattern, where: Placement) => out.push(file('py', p, where));
  const js = (p: Pattern, where: Placement) => out.push(file('js', p, where));
  const placed = (ps: Pattern[], places: Placement[], add: (p: Pattern, where: Placement) => void) => {
    let turn = 0;
    for (const p of ps) {
      if (!p.heavy) for (const where of places) add(p, where);
      else {
        add(p, places[0]);
        add(p, places[1 + (turn++ % (places.length - 1))]);
      }
    }
  };
  placed(PY_PATTERNS, PY_PLACEMENTS, py);
  for (const p of PY_DEEP) py(p, PY_PLACEMENTS[0]);
  placed(JS_PATTERNS, JS_PLACEMENTS, js);
  for (const p of JS_DEEP) js(p, JS_PLACEMENTS[0]);
  return out;
}

/** The three-line file. */
export const DOUBLING_PY = 'l = [1]\nfor _ in range(40):\n    l = l + l\n';
