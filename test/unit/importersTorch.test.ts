// PyTorch importer (issue 11): the fixtures test/fixtures/programs/torch_*.py (programs written in the shapes real
// PyTorch MNIST code takes) are read with the real lezer parser; each has its expected spec, the source
// text its layers' findings anchor on, its notes and static findings, table-driven. Quick-fix edits are
// applied and the result read again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importSource } from '../../src/core/importers/index';
import { fixToEdit } from '../../src/core/importers/fixes';
import { renderTorchInitializer } from '../../src/core/importers/frameworks/torchInit';
import type { ImportResult, SourceRange, TextEdit } from '../../src/core/importers/types';
import type { Initializer, LayerSpec, OptimizerSpec } from '../../src/core/spec';

const DIR = resolve(__dirname, '../../../test/fixtures/programs');

/** nn.Linear's default: weight and bias U(±1/√fan_in). */
const U = (fanIn: number): Initializer => ({ type: 'randomUniform', minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn) });
const N = (stddev: number, mean = 0): Initializer => ({ type: 'randomNormal', mean, stddev });
const L = (units: number, activation: LayerSpec['activation'], kernelInitializer: Initializer, biasInitializer: Initializer): LayerSpec => ({ units, activation, kernelInitializer, biasInitializer });
/** A layer with nn.Linear's default initialisation. */
const D = (fanIn: number, units: number, activation: LayerSpec['activation']): LayerSpec => L(units, activation, U(fanIn), U(fanIn));
const adam = (learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8): OptimizerSpec => ({ type: 'adam', learningRate, beta1, beta2, epsilon });

interface Case {
  file: string;
  layers: LayerSpec[];
  optimizer: OptimizerSpec;
  batch: number;
  steps: number;
  /** Per layer: the source text its findings anchor on, and its line. */
  anchors: [line: number, text: string][];
  /** Every note matches one of these, and each of these matches a note. */
  notes?: RegExp[];
  /** Static findings as `severity code@layer`. */
  findings?: string[];
}

const DATA_NOTE = /this code loads Fashion-MNIST: Gradient Lens trains on MNIST unless/;

const CASES: Case[] = [
  {
    file: 'torch_net_zeros_hidden.py', layers: [L(100, 'relu', 'zeros', U(784)), D(100, 10, 'softmax')], optimizer: { type: 'sgd', learningRate: 0.5 }, batch: 100, steps: 1200,
    anchors: [[15, 'nn.init.zeros_(self.fc1.weight)'], [14, 'nn.Linear(100, 10)']], findings: ['warning dead-units@0'],
  },
  {
    file: 'torch_net_default_init.py', layers: [D(784, 100, 'relu'), D(100, 10, 'softmax')], optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 100, steps: 1200,
    anchors: [[17, 'nn.Linear(28 * 28, hidden)'], [18, 'nn.Linear(hidden, 10)']],
  },
  {
    file: 'torch_quickstart_fashion.py', layers: [D(784, 512, 'relu'), D(512, 512, 'relu'), D(512, 10, 'softmax')], optimizer: { type: 'sgd', learningRate: 1e-3 }, batch: 64, steps: 5 * 938,
    anchors: [[24, 'nn.Linear(28 * 28, 512)'], [26, 'nn.Linear(512, 512)'], [28, 'nn.Linear(512, 10)']], notes: [DATA_NOTE],
  },
  {
    file: 'torch_sequential_logsoftmax.py', layers: [D(784, 128, 'relu'), D(128, 64, 'relu'), D(64, 10, 'softmax')], optimizer: { type: 'sgd', learningRate: 0.003 }, batch: 64, steps: 3 * 938,
    anchors: [[10, 'nn.Linear(784, 128)'], [12, 'nn.Linear(128, 64)'], [14, 'nn.Linear(64, 10)']],
  },
  {
    file: 'torch_ordered_dict_xavier.py', layers: [L(256, 'tanh', 'glorotUniform', 'zeros'), L(10, 'softmax', N(0.5 * Math.sqrt(2 / 266)), U(256))],
    optimizer: adam(3e-4, 0.8, 0.99, 1e-6), batch: 128, steps: 2 * 468, // drop_last: ⌊60000 / 128⌋ per epoch
    anchors: [[15, 'nn.init.xavier_uniform_(net.fc1.weight)'], [17, 'nn.init.xavier_normal_(net.fc2.weight, gain=0.5)']],
  },
  {
    file: 'torch_add_module_rmsprop.py', layers: [D(784, 300, 'relu'), D(300, 100, 'relu'), D(100, 10, 'softmax')],
    optimizer: { type: 'rmsprop', learningRate: 0.001, decay: 0.9, momentum: 0.5, epsilon: 1e-8 }, batch: 50, steps: 1200,
    // one nn.Linear expression in a loop makes all three layers
    anchors: [[11, 'nn.Linear(sizes[i], sizes[i + 1])'], [11, 'nn.Linear(sizes[i], sizes[i + 1])'], [11, 'nn.Linear(sizes[i], sizes[i + 1])']],
  },
  {
    file: 'torch_module_list_kaiming.py', layers: [L(200, 'relu', N(Math.sqrt(2 / 200)), 'zeros'), L(100, 'relu', N(Math.sqrt(2 / 100)), 'zeros'), L(10, 'softmax', N(Math.sqrt(2 / 10)), 'zeros')],
    optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.9, useNesterov: true }, batch: 32, steps: 3 * 1875,
    // one init statement in a loop over the layers: findings stay on it (a shared site: no edit)
    anchors: [[16, "nn.init.kaiming_normal_(layer.weight, mode='fan_out', nonlinearity='relu')"], [16, "nn.init.kaiming_normal_(layer.weight, mode='fan_out', nonlinearity='relu')"],
      [16, "nn.init.kaiming_normal_(layer.weight, mode='fan_out', nonlinearity='relu')"]],
  },
  {
    file: 'torch_apply_init_isinstance.py', layers: [L(256, 'relu', N(0.01), 'zeros'), L(10, 'softmax', N(0.01), 'zeros')], optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 256, steps: 10 * 235,
    // one init statement for both layers: each keeps its own nn.Linear line
    anchors: [[7, 'nn.Linear(784, 256)'], [7, 'nn.Linear(256, 10)']],
  },
  {
    file: 'torch_d2l_concise.py', layers: [L(256, 'relu', N(0.01), U(784)), L(10, 'softmax', N(0.01), U(256))], optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 256, steps: 10 * 235,
    anchors: [[6, 'nn.Linear(784, 256)'], [6, 'nn.Linear(256, 10)']], notes: [DATA_NOTE],
  },
  {
    file: 'torch_fill_no_grad.py', layers: [L(100, 'relu', 'zeros', 'zeros'), D(100, 10, 'softmax')], optimizer: { type: 'sgd', learningRate: 0.5 }, batch: 100, steps: 600,
    anchors: [[20, 'model.hidden.weight.fill_(0.0)'], [12, 'nn.Linear(100, 10)']], findings: ['error dead-units@0', 'error symmetric-units@0'],
  },
  {
    file: 'torch_weight_data_methods.py', layers: [L(64, 'relu', N(0.01), { type: 'constant', value: 0.1 }), L(10, 'softmax', { type: 'randomUniform', minval: -0.05, maxval: 0.05 }, U(64))],
    optimizer: adam(0.001), batch: 200, steps: 4 * 300,
    anchors: [[15, 'self.l1.weight.data.normal_(0.0, 0.01)'], [17, 'self.l2.weight.data.uniform_(-0.05, 0.05)']],
  },
  {
    file: 'torch_activations_mixed.py', layers: [D(784, 128, 'leakyRelu'), D(128, 64, 'sigmoid'), D(64, 32, 'elu'), D(32, 10, 'softmax')], optimizer: adam(0.002), batch: 64, steps: 2 * 938,
    anchors: [[13, 'nn.Linear(784, 128)'], [14, 'nn.Linear(128, 64)'], [15, 'nn.Linear(64, 32)'], [16, 'nn.Linear(32, 10)']],
    notes: [/this leaky ReLU has slope 0\.1 below zero; Gradient Lens trains leakyRelu with slope 0\.2/],
  },
  {
    file: 'torch_dropout_batchnorm.py', layers: [D(784, 512, 'relu'), D(512, 10, 'softmax')], optimizer: { type: 'momentum', learningRate: 0.01, momentum: 0.9, useNesterov: false }, batch: 128, steps: 3 * 469,
    anchors: [[12, 'nn.Linear(28 * 28, 512)'], [15, 'nn.Linear(512, 10)']],
    notes: [/BatchNorm1d \(normalisation\) is not part of the model spec/, /^dropout is not part of the model spec/, /^dropout is not part of the model spec/, /weight decay is not part of the model spec/],
  },
  {
    file: 'torch_raw_parameters.py', layers: [L(256, 'relu', N(0.01), 'zeros'), L(10, 'softmax', N(0.01), 'zeros')], optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 256, steps: 10 * 235,
    anchors: [[8, 'nn.Parameter(torch.randn(num_inputs, num_hiddens, requires_grad=True) * 0.01)'], [10, 'nn.Parameter(torch.randn(num_hiddens, num_outputs, requires_grad=True) * 0.01)']],
  },
  {
    file: 'torch_plain_list_layers.py', layers: [D(784, 128, 'relu'), D(128, 64, 'relu'), D(64, 10, 'softmax')], optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 100, steps: 600,
    anchors: [[11, 'nn.Linear(784, 128)'], [11, 'nn.Linear(128, 64)'], [12, 'nn.Linear(64, 10)']],
    notes: [/self\.hidden is a plain Python list, which nn\.Module does not register: model\.parameters\(\) leaves these layers out/],
  },
  {
    file: 'torch_softmax_then_log.py', layers: [D(784, 100, 'relu'), D(100, 10, 'softmax')], optimizer: { type: 'sgd', learningRate: 0.5 }, batch: 100, steps: 3 * 600,
    anchors: [[8, 'nn.Linear(784, 100)'], [8, 'nn.Linear(100, 10)']],
    findings: ['warning unstable-loss@-1'],
  },
  {
    file: 'torch_deprecated_init_names.py', layers: [L(300, 'tanh', 'glorotUniform', { type: 'constant', value: 0.01 }), D(300, 10, 'softmax')], optimizer: adam(0.001), batch: 32, steps: 1875,
    anchors: [[17, 'init.xavier_uniform(self.fc1.weight)'], [19, 'init.kaiming_uniform_(self.fc2.weight, a=math.sqrt(5))']],
    notes: [/nn\.init\.xavier_uniform is the deprecated spelling of nn\.init\.xavier_uniform_/, /nn\.init\.constant is the deprecated spelling/],
  },
  {
    file: 'torch_lazy_adamw_scheduler.py', layers: [D(784, 128, 'relu'), D(128, 10, 'softmax')], optimizer: adam(1e-3), batch: 500, steps: 4 * 110, // 55,000 of the 60,000 after random_split
    anchors: [[13, 'nn.LazyLinear(128)'], [13, 'nn.LazyLinear(10)']],
    notes: [/AdamW's decoupled weight decay \(0\.01\) is not part of the model spec: trained as Adam without it/, /learning-rate schedules are not part of the model spec/],
  },
  {
    file: 'torch_double_softmax.py', layers: [D(784, 64, 'relu'), D(64, 10, 'softmax')], optimizer: { type: 'momentum', learningRate: 0.01, momentum: 0.9, useNesterov: false }, batch: 4, steps: 2 * 15000,
    anchors: [[14, 'nn.Linear(784, 64)'], [15, 'nn.Linear(64, 10)']],
    notes: [/CrossEntropyLoss applies log-softmax itself: after this softmax the model is trained on softmax\(softmax\(x\)\)/],
  },
  {
    file: 'torch_argparse_break.py', layers: [D(784, 200, 'relu'), D(200, 10, 'softmax')], optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.9, useNesterov: false }, batch: 64,
    steps: 4 * 500, // `if batch_idx + 1 >= args.batches_per_epoch: break` after optimizer.step(); `if args.dry_run: break` is false by default
    anchors: [[16, 'nn.Linear(784, 200)'], [17, 'nn.Linear(200, 10)']],
    notes: [/normalisation is not applied/, ...['batch-size', 'test-batch-size', 'epochs', 'lr', 'momentum', 'batches-per-epoch', 'log-interval', 'dry-run'].map((f) => new RegExp(`^--${f} is a command-line flag: Gradient Lens uses its default`))],
  },
  {
    file: 'torch_lightning.py', layers: [D(784, 128, 'relu'), D(128, 10, 'softmax')], optimizer: adam(2e-3), batch: 64, steps: 3 * 938,
    anchors: [[18, 'nn.Linear(28 * 28, hidden)'], [19, 'nn.Linear(hidden, 10)']],
  },
  // Shapes met in the held-out evaluation of real programs:
  {
    file: 'torch_raw_tensors_tqdm.py', layers: [L(300, 'tanh', N(1 / 28), 'zeros'), L(10, 'softmax', N(1 / Math.sqrt(300)), 'zeros')], optimizer: { type: 'sgd', learningRate: 0.5 }, batch: 50, steps: 1200,
    anchors: [[16, 'torch.randn(784, hidden)'], [19, 'torch.randn(hidden, 10)']],
  },
  {
    file: 'torch_dataset_shapes.py', layers: [L(64, 'relu', N(Math.SQRT2 / 28), U(784)), L(10, 'softmax', 'glorotUniform', U(64))], optimizer: { type: 'sgd', learningRate: 0.2 }, batch: 128, steps: 2 * 469,
    anchors: [[19, "nn.init.kaiming_normal_(stack[1].weight, nonlinearity='relu')"], [20, 'nn.init.xavier_uniform_(stack[3].weight)']],
    notes: [/CrossEntropyLoss applies log-softmax itself/],
  },
  {
    file: 'torch_relu_logits.py', layers: [D(784, 256, 'relu'), D(256, 10, 'softmax')], optimizer: adam(0.005), batch: 128, steps: 8 * 469,
    anchors: [[15, 'nn.Linear(784, 256)'], [16, 'nn.Linear(256, classes)']],
    notes: [/the output layer's activation is relu/],
  },
];

function read(file: string): { r: ImportResult; text: string } {
  const path = join(DIR, file);
  const text = readFileSync(path, 'utf8');
  const r = importSource(path, text);
  assert.ok(r, `${file}: not recognised as a model file`);
  return { r, text };
}

function textAt(text: string, r: SourceRange): string {
  const lines = text.split('\n');
  if (r.line === r.endLine) return lines[r.line - 1].slice(r.column - 1, r.endColumn - 1);
  return [lines[r.line - 1].slice(r.column - 1), ...lines.slice(r.line, r.endLine - 1), lines[r.endLine - 1].slice(0, r.endColumn - 1)].join('\n');
}

function applyEdit(text: string, edit: TextEdit): string {
  const lines = text.split('\n');
  const off = (line: number, col: number) => lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + col - 1;
  return text.slice(0, off(edit.range.line, edit.range.column)) + edit.newText + text.slice(off(edit.range.endLine, edit.range.endColumn));
}

const closeInit = (a: Initializer, b: Initializer): boolean => {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (a.type !== b.type) return false;
  return Object.keys(a).every((k) => {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    return typeof x === 'number' ? Math.abs(x - (y as number)) <= 1e-12 * Math.max(1, Math.abs(x)) : x === y;
  });
};

test(`at least 15 PyTorch fixtures, every one in the table (${CASES.length} + the refused CNN)`, () => {
  const files = readdirSync(DIR).filter((f) => /^torch_.*\.py$/.test(f)).sort();
  assert.ok(files.length >= 15, `${files.length} fixtures`);
  assert.deepEqual(files, [...CASES.map((c) => c.file), 'torch_cnn_refused.py'].sort());
});

for (const c of CASES) {
  test(`PyTorch ${c.file}: spec, anchors, notes, static findings`, () => {
    const { r, text } = read(c.file);
    assert.equal(r.language, 'pytorch');
    assert.ok(r.spec.ok, `invalid spec: ${JSON.stringify(!r.spec.ok && r.spec.problems)} notes: ${JSON.stringify(r.notes.map((n) => n.message))}`);
    const spec = r.spec.spec;
    assert.equal(spec.layers.length, c.layers.length, 'layer count');
    spec.layers.forEach((l, i) => {
      const want = c.layers[i];
      assert.deepEqual([l.units, l.activation], [want.units, want.activation], `layer ${i}`);
      assert.ok(closeInit(l.kernelInitializer, want.kernelInitializer), `layer ${i} kernel ${JSON.stringify(l.kernelInitializer)} != ${JSON.stringify(want.kernelInitializer)}`);
      assert.ok(closeInit(l.biasInitializer, want.biasInitializer), `layer ${i} bias ${JSON.stringify(l.biasInitializer)} != ${JSON.stringify(want.biasInitializer)}`);
    });
    assert.deepEqual(spec.optimizer, c.optimizer);
    assert.deepEqual([spec.batchSize, spec.steps], [c.batch, c.steps], 'batch, steps');
    assert.equal(r.layers.length, c.anchors.length);
    c.anchors.forEach(([line, want], i) => {
      const w = r.layers[i].weights!;
      assert.deepEqual([w.line, textAt(text, w)], [line, want], `layer ${i} anchor`);
      const f = r.staticFindings.find((x) => x.layer === i);
      if (f) assert.deepEqual([f.source?.line, f.source?.column], [w.line, w.column], `layer ${i} finding source`);
    });
    const notes = r.notes.map((n) => n.message);
    const expected = c.notes ?? [];
    for (const n of notes) assert.ok(expected.some((re) => re.test(n)), `unexpected note: ${n}`);
    for (const re of expected) assert.ok(notes.some((n) => re.test(n)), `missing note ${re}; notes: ${JSON.stringify(notes)}`);
    assert.equal(notes.length, expected.length, `notes: ${JSON.stringify(notes)}`);
    assert.deepEqual(r.staticFindings.map((f) => `${f.severity} ${f.code}@${f.layer}`).sort(), (c.findings ?? []).sort());
  });
}

test('PyTorch default init is nn.Linear\'s own U(±1/√fan_in) for weight and bias, exactly (never Glorot)', () => {
  const { r } = read('torch_net_default_init.py');
  assert.ok(r.spec.ok);
  const [h, o] = r.spec.spec.layers;
  assert.deepEqual(h.kernelInitializer, { type: 'randomUniform', minval: -1 / 28, maxval: 1 / 28 });
  assert.deepEqual(h.biasInitializer, { type: 'randomUniform', minval: -1 / 28, maxval: 1 / 28 });
  assert.deepEqual(o.kernelInitializer, { type: 'randomUniform', minval: -0.1, maxval: 0.1 });
  assert.deepEqual(r.layers.map((l) => [l.kernelInitializer, l.biasInitializer]), [[undefined, undefined], [undefined, undefined]], 'a default has no source to rewrite');
});

test('the convolutional example is refused with a note on its first convolution, no spec', () => {
  const { r, text } = read('torch_cnn_refused.py');
  assert.equal(r.spec.ok, false);
  assert.equal(r.layers.length, 0);
  const refusal = r.notes.find((n) => /^convolutional model: Gradient Lens trains fully-connected networks/.test(n.message));
  assert.ok(refusal, JSON.stringify(r.notes));
  assert.equal(textAt(text, refusal.range), 'nn.Conv2d(1, 32, 3, 1)');
});

test('quick fix in PyTorch\'s idiom: nn.init.zeros_ → kaiming_normal_(…, nonlinearity=\'relu\') (preferred) or uniform_; the warning goes', () => {
  const { r, text } = read('torch_net_zeros_hidden.py');
  const f = r.staticFindings[0];
  const edits = f.fixes.map((x) => fixToEdit(r, text, x));
  assert.deepEqual(edits.map((e) => e && [textAt(text, e.range), e.newText]), [
    ['nn.init.zeros_(self.fc1.weight)', "nn.init.kaiming_normal_(self.fc1.weight, nonlinearity='relu')"],
    ['nn.init.zeros_(self.fc1.weight)', 'nn.init.uniform_(self.fc1.weight, -0.01, 0.01)'],
  ]);
  for (const e of edits) {
    const fixed = importSource('torch_net_zeros_hidden.py', applyEdit(text, e!));
    assert.ok(fixed?.spec.ok);
    assert.deepEqual(fixed.staticFindings, []);
    assert.deepEqual(fixed.notes, []);
  }
  // He normal as PyTorch draws it: N(0, √(2/784)), untruncated
  const he = importSource('torch_net_zeros_hidden.py', applyEdit(text, edits[0]!));
  assert.ok(he?.spec.ok);
  assert.ok(closeInit(he.spec.spec.layers[0].kernelInitializer, { type: 'randomNormal', mean: 0, stddev: Math.sqrt(2 / 784) }));
});

test('quick fix where the bad init is an in-place fill_: that call is rewritten (normal_ / uniform_ on the same tensor)', () => {
  const { r, text } = read('torch_fill_no_grad.py');
  const f = r.staticFindings.find((x) => x.code === 'dead-units')!;
  const edits = f.fixes.map((x) => fixToEdit(r, text, x));
  assert.deepEqual(edits.slice(0, 2).map((e) => e && [textAt(text, e.range), e.newText]), [
    ['model.hidden.weight.fill_(0.0)', 'model.hidden.weight.normal_(0, 0.0505)'],
    ['model.hidden.weight.fill_(0.0)', 'model.hidden.weight.uniform_(-0.01, 0.01)'],
  ]);
  const fixed = importSource('torch_fill_no_grad.py', applyEdit(text, edits[0]!));
  assert.ok(fixed?.spec.ok);
  assert.deepEqual(fixed.staticFindings, []);
});

test('one init statement shared by every layer (model.apply): findings stay on each nn.Linear line and no edit is offered', () => {
  const src = `import torch
from torch import nn
net = nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
def init(m):
    if isinstance(m, nn.Linear):
        nn.init.zeros_(m.weight)
        nn.init.zeros_(m.bias)
net.apply(init)
opt = torch.optim.SGD(net.parameters(), lr=0.5)
`;
  const r = importSource('shared.py', src)!;
  assert.ok(r.spec.ok);
  assert.deepEqual(r.spec.spec.layers.map((l) => [l.kernelInitializer, l.biasInitializer]), [['zeros', 'zeros'], ['zeros', 'zeros']]);
  const f = r.staticFindings.find((x) => x.code === 'dead-units')!;
  assert.equal(textAt(src, { ...r.layers[0].weights!, line: f.source!.line, column: f.source!.column }), 'nn.Linear(784, 100)');
  for (const fix of f.fixes) assert.equal(fixToEdit(r, src, fix), undefined);
});

test('nn.init in PyTorch\'s own terms: mode, nonlinearity and gain; trunc_normal_ bounds; orthogonal_ is noted', () => {
  const near = (a: Initializer, b: Initializer) => assert.ok(closeInit(a, b), `${JSON.stringify(a)} != ${JSON.stringify(b)}`);
  const read1 = (line: string) => {
    const r = importSource('i.py', `import torch\nimport torch.nn as nn\nm = nn.Sequential(nn.Linear(784, 100), nn.Tanh(), nn.Linear(100, 10))\n${line}\nopt = torch.optim.SGD(m.parameters(), lr=0.1)\n`)!;
    assert.ok(r.spec.ok, JSON.stringify(r.notes));
    return { init: r.spec.spec.layers[0].kernelInitializer, bias: r.spec.spec.layers[0].biasInitializer, notes: r.notes.map((n) => n.message) };
  };
  near(read1("nn.init.kaiming_normal_(m[0].weight)").init, N(Math.sqrt(2 / 784))); // leaky_relu with a=0: gain √2
  near(read1("nn.init.kaiming_normal_(m[0].weight, nonlinearity='tanh')").init, N((5 / 3) / Math.sqrt(784)));
  near(read1("nn.init.kaiming_uniform_(m[0].weight, nonlinearity='relu')").init, 'heUniform');
  near(read1("nn.init.kaiming_uniform_(m[0].weight, mode='fan_out', nonlinearity='relu')").init, { type: 'randomUniform', minval: -Math.sqrt(6 / 100), maxval: Math.sqrt(6 / 100) });
  near(read1("nn.init.xavier_uniform_(m[0].weight, gain=nn.init.calculate_gain('tanh'))").init, { type: 'randomUniform', minval: -(5 / 3) * Math.sqrt(6 / 884), maxval: (5 / 3) * Math.sqrt(6 / 884) });
  assert.deepEqual(read1('nn.init.trunc_normal_(m[0].weight, std=0.02)').init, N(0.02)); // cut at ±2, i.e. ±100σ: a normal
  assert.deepEqual(read1('nn.init.trunc_normal_(m[0].weight, std=0.1, a=-0.2, b=0.2)').init, { type: 'truncatedNormal', mean: 0, stddev: 0.1 });
  const cut = read1('nn.init.trunc_normal_(m[0].weight, std=0.1, a=-0.1, b=0.1)');
  assert.deepEqual(cut.init, U(784));
  assert.match(cut.notes.join('\n'), /a normal cut at \[-0\.1, 0\.1\] \(-1σ, 1σ\) cannot be expressed/);
  const ortho = read1('nn.init.orthogonal_(m[0].weight)');
  assert.deepEqual(ortho.init, U(784));
  assert.match(ortho.notes.join('\n'), /nn\.init\.orthogonal_ cannot be expressed in the model spec: the weights keep the initializer read before/);
  assert.match(read1('nn.init.kaiming_normal_(m[0].bias)').notes.join('\n'), /PyTorch cannot compute the fans of a 1-D tensor/);
  assert.deepEqual(read1('nn.init.constant_(m[0].bias, 0.5)').bias, { type: 'constant', value: 0.5 });
  assert.deepEqual(read1('m[0].weight = nn.Parameter(torch.zeros(100, 784))').init, 'zeros');
  assert.deepEqual(read1('m[0].weight.data = torch.randn(100, 784) * 0.05').init, N(0.05));
  assert.deepEqual(read1('m[0].weight.data.copy_(torch.ones(100, 784) * 0.5)').init, { type: 'constant', value: 0.5 });
});

test('renderTorchInitializer: every initializer in both idioms', () => {
  const init = { range: { line: 1, column: 1, endLine: 1, endColumn: 2 }, idiom: 'torch-init' as const, prefix: 'nn.init', tensor: 'self.fc.weight' };
  const method = { ...init, idiom: 'torch-method' as const, prefix: '', tensor: 'w.data' };
  const cases: [Initializer, string, string][] = [
    ['zeros', 'nn.init.zeros_(self.fc.weight)', 'w.data.zero_()'],
    ['heNormal', "nn.init.kaiming_normal_(self.fc.weight, nonlinearity='relu')", 'w.data.normal_(0, 0.0505)'],
    ['heUniform', "nn.init.kaiming_uniform_(self.fc.weight, nonlinearity='relu')", 'w.data.uniform_(-0.0875, 0.0875)'],
    ['glorotUniform', 'nn.init.xavier_uniform_(self.fc.weight)', 'w.data.uniform_(-0.0824, 0.0824)'],
    ['glorotNormal', 'nn.init.xavier_normal_(self.fc.weight)', 'w.data.normal_(0, 0.0476)'],
    ['leCunNormal', "nn.init.kaiming_normal_(self.fc.weight, nonlinearity='linear')", 'w.data.normal_(0, 0.0357)'],
    [{ type: 'constant', value: 0.1 }, 'nn.init.constant_(self.fc.weight, 0.1)', 'w.data.fill_(0.1)'],
    [{ type: 'randomUniform', minval: -0.01, maxval: 0.01 }, 'nn.init.uniform_(self.fc.weight, -0.01, 0.01)', 'w.data.uniform_(-0.01, 0.01)'],
    [{ type: 'randomNormal', mean: 0, stddev: 0.02 }, 'nn.init.normal_(self.fc.weight, mean=0, std=0.02)', 'w.data.normal_(0, 0.02)'],
    [{ type: 'truncatedNormal', mean: 0, stddev: 0.1 }, 'nn.init.trunc_normal_(self.fc.weight, mean=0, std=0.1, a=-0.2, b=0.2)', 'torch.nn.init.trunc_normal_(w.data, mean=0, std=0.1, a=-0.2, b=0.2)'],
  ];
  for (const [value, a, b] of cases) {
    assert.equal(renderTorchInitializer(init, value, 784, 100), a);
    assert.equal(renderTorchInitializer(method, value, 784, 100), b);
  }
});

test('PyTorch language shapes: super() into a user base class, nn.Sequential(*layers), ModuleDict, a model called through a helper', () => {
  const src = `import torch
import torch.nn as nn
import torch.nn.functional as F
class Base(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
class Net(Base):
    def __init__(self):
        super(Net, self).__init__(64)
        layers = [nn.Linear(64, 32), nn.Sigmoid()]
        self.mid = nn.Sequential(*layers)
        self.heads = nn.ModuleDict({'digits': nn.Linear(32, 10)})
    def forward(self, x):
        x = F.relu(self.fc1(x.view(-1, 784)))
        return self.heads['digits'](self.mid(x))
def make():
    return Net()
model = make()
opt = torch.optim.SGD(model.parameters(), lr=0.2)
`;
  const r = importSource('lang.py', src)!;
  assert.ok(r.spec.ok, JSON.stringify(r.notes));
  assert.deepEqual(r.spec.spec.layers.map((l) => `${l.units} ${l.activation}`), ['64 relu', '32 sigmoid', '10 softmax']);
  assert.equal(r.modelRange?.line, 8, 'the model is the class Net');
});

test('files without any PyTorch model construct are not model files; a model with no training loop notes the defaults', () => {
  assert.equal(importSource('t.py', 'import torch\nx = torch.zeros(3)\nprint(x.sum())\n'), undefined);
  const r = importSource('m.py', 'import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(784, 10))\n')!;
  assert.ok(r.spec.ok);
  assert.deepEqual(r.notes.map((n) => n.message), [
    'the output layer has no softmax: Gradient Lens trains with softmax cross-entropy, so these outputs are treated as logits (softmax)',
    'no optimizer found: using SGD with learning rate 0.5 (the default of the model spec)',
    'no `DataLoader(..., batch_size=B)` iterated around `optimizer.step()` found: using batch size 100 (the default)',
    'no training loop found: using 1000 steps (the default)',
  ]);
});

test('unstable-loss: torch.log(F.softmax(...)) inline gets the F.log_softmax rewrite, after which the finding goes', () => {
  const src = `import torch
import torch.nn as nn
import torch.nn.functional as F
model = nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(500):
    loss = F.nll_loss(torch.log(F.softmax(model(x), dim=1)), y)
    loss.backward()
    optimizer.step()
`;
  const r = importSource('u.py', src)!;
  const f = r.staticFindings.find((x) => x.code === 'unstable-loss');
  assert.ok(f, JSON.stringify(r.staticFindings));
  assert.equal(f.source?.line, 7);
  const edit = fixToEdit(r, src, f.fixes[0]);
  assert.deepEqual(edit && [textAt(src, edit.range), edit.newText], ['torch.log(F.softmax(model(x), dim=1))', 'F.log_softmax(model(x), dim=1)']);
  const fixed = importSource('u.py', applyEdit(src, edit!))!;
  assert.deepEqual(fixed.staticFindings, []);
  assert.deepEqual(fixed.notes.filter((n) => !/batch size 100/.test(n.message)), []);
});

test('break: the index of enumerate / range or a counter ends the loop; the iteration that breaks counts only after optimizer.step()', () => {
  const prog = (loop: string) => `import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets, transforms
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
loader = torch.utils.data.DataLoader(datasets.MNIST('d', train=True, transform=transforms.ToTensor()), batch_size=100)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
${loop}`;
  const steps = (loop: string) => {
    const r = importSource('b.py', prog(loop))!;
    assert.ok(r.spec.ok, JSON.stringify(r.notes));
    return [r.spec.spec.steps, r.notes.map((n) => n.message).filter((m) => /break/.test(m))];
  };
  const body = '        opt.zero_grad()\n        F.cross_entropy(model(x), y).backward()\n        opt.step()\n';
  assert.deepEqual(steps(`for epoch in range(2):\n    for i, (x, y) in enumerate(loader):\n${body}        if i == 99:\n            break\n`), [200, []]);
  assert.deepEqual(steps(`for epoch in range(2):\n    for i, (x, y) in enumerate(loader):\n        if i >= 50:\n            break\n${body}`), [100, []]);
  assert.deepEqual(steps(`n = 0\nfor x, y in loader:\n${body.replace(/^ {4}/gm, '')}    n += 1\n    if n >= 250:\n        break\n`), [250, []]);
  assert.deepEqual(steps(`for epoch in range(3):\n    for x, y in loader:\n${body}        if False:\n            break\n`), [1800, []]);
  const [n, notes] = steps(`for x, y in loader:\n${body.replace(/^ {4}/gm, '')}    if loss_is_small():\n        break\n`);
  assert.equal(n, 600);
  assert.match(String(notes), /could not tell when this `break` happens \(loss_is_small\(\)\): the loop's full count is used/);
});

test('Lightning: a Trainer without max_epochs trains 1000 epochs (noted); max_steps and limit_train_batches bound it; a DataModule gives the data', () => {
  const prog = (trainer: string) => `import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision.datasets import MNIST
class M(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    def forward(self, x):
        return self.net(x)
    def training_step(self, batch, i):
        x, y = batch
        return nn.functional.cross_entropy(self(x), y)
    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.05)
        return [opt], [torch.optim.lr_scheduler.StepLR(opt, 1)]
class Data(L.LightningDataModule):
    def setup(self, stage):
        self.train = MNIST('.', train=True)
    def train_dataloader(self):
        return DataLoader(self.train, batch_size=100)
${trainer}
`;
  const read = (trainer: string) => {
    const r = importSource('l.py', prog(trainer))!;
    return { steps: r.spec.ok ? r.spec.spec.steps : undefined, opt: r.spec.ok ? r.spec.spec.optimizer : undefined, notes: r.notes.map((n) => n.message) };
  };
  const a = read('L.Trainer(max_steps=700).fit(M(), datamodule=Data())');
  assert.deepEqual([a.steps, a.opt], [700, { type: 'sgd', learningRate: 0.05 }]);
  assert.equal(read('L.Trainer(max_epochs=2, limit_train_batches=50).fit(M(), datamodule=Data())').steps, 100);
  const d = read('L.Trainer(limit_train_batches=10).fit(M(), datamodule=Data())');
  assert.equal(d.steps, 10_000);
  assert.ok(d.notes.includes("this Trainer has no max_epochs: Lightning's default is 1000 epochs"), JSON.stringify(d.notes));
});
