// The PyTorch reader fills every part of the program spec from the code as written (issue 20, Deliver 3): the
// fixtures test/fixtures/programs/torchprog_*.py (programs written for this, in the shapes real PyTorch MNIST code
// takes) are read with the real parser; each has its expected data / model / objective / update / loop parts, the
// lines of its program sites, its deviations, and its program fixes. Each fix's edits are applied to the text and
// the result is read again: it must give exactly the spec the fix says (applyFix), so the edit and the fix agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importSource } from '../../src/core/importers/index';
import { applyFix } from '../../src/core/fixes';
import type { ImportResult, ProgramSites, TextEdit } from '../../src/core/importers/types';
import type { DataSpec, ModelSpec, ObjectiveSpec, OptimizerSpec } from '../../src/core/spec';
import type { Fix } from '../../src/core/findings';

const DIR = resolve(__dirname, '../../../test/fixtures/programs');

const CE: ObjectiveSpec = { loss: 'crossEntropy', from: 'logits', reduction: 'mean' };
const NLL: ObjectiveSpec = { loss: 'crossEntropy', from: 'logProbabilities', reduction: 'mean' };
const TO_TENSOR = (shuffle: boolean, more: Partial<DataSpec> = {}): DataSpec => ({ divideBy: 255, shuffle, ...more });
const adam = (learningRate: number, more: Partial<OptimizerSpec> = {}): OptimizerSpec => ({ type: 'adam', learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...more } as OptimizerSpec);

interface Case {
  file: string;
  /** Per layer: `units activation`, then ` nobias` / ` dropout=r` when they apply. */
  layers: string[];
  /** undefined: no loss read (the v1 objective). */
  objective: ObjectiveSpec | undefined;
  data: DataSpec | undefined;
  optimizer: OptimizerSpec;
  batch: number;
  steps: number;
  accumulate?: boolean;
  /** The line of each program site (the sites not listed must be absent). */
  sites: { [K in keyof ProgramSites]?: number };
  /** Each program fix: its kind and label, and lines of the text after its edits ([line, whole line]). */
  fixes?: { kind: Fix['kind']; label: RegExp; after: [number, string][] }[];
  deviations?: RegExp[];
  /** Every note matches one of these in order (default: no notes, every part is read). */
  notes?: RegExp[];
  /** Static findings as `severity code@layer` (only the ones listed are checked). */
  findings?: string[];
}

const CASES: Case[] = [
  {
    file: 'torchprog_numpy_bytes.py', layers: ['128 relu', '10 linear'], objective: CE, data: { divideBy: 1, shuffle: true },
    optimizer: { type: 'sgd', learningRate: 0.01 }, batch: 64, steps: 2 * 938,
    sites: { input: 11, loss: 15, optimizer: 16, loop: 19 },
    fixes: [{ kind: 'data', label: /\/ 255\./, after: [[11, 'x_train = torch.tensor(x, dtype=torch.float32) / 255.']] }],
  },
  {
    file: 'torchprog_data_float_view.py', layers: ['100 sigmoid', '10 linear'], objective: CE, data: { divideBy: 1, shuffle: false },
    optimizer: { type: 'sgd', learningRate: 0.5 }, batch: 100, steps: 3 * 600,
    sites: { input: 8, loss: 18, optimizer: 12, loop: 15 },
    fixes: [{ kind: 'data', label: /\/ 255\./, after: [[8, 'x_train = train_set.data.float().view(-1, 784) / 255.']] }],
  },
  {
    file: 'torchprog_div_then_standardise.py', layers: ['256 tanh', '10 linear'], objective: CE, data: TO_TENSOR(true, { mean: 0.1307, std: 0.3081 }),
    optimizer: adam(1e-3), batch: 128, steps: 469, sites: { input: 9, loss: 14, optimizer: 15, loop: 18 },
  },
  {
    // the batch is the training loader's 64, not the test loader's 1000 made after it
    file: 'torchprog_compose_train_test_loaders.py', layers: ['200 relu', '10 logSoftmax'], objective: NLL, data: TO_TENSOR(true, { mean: 0.1307, std: 0.3081 }),
    optimizer: { type: 'momentum', learningRate: 0.01, momentum: 0.5, useNesterov: false }, batch: 64, steps: 2 * 938,
    sites: { input: 9, loss: 35, outputActivation: 23, optimizer: 27, loop: 32 },
  },
  {
    file: 'torchprog_subset_first_5000.py', layers: ['64 relu', '10 linear'], objective: CE, data: TO_TENSOR(true, { trainExamples: 5000 }),
    optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 50, steps: 4 * 100, sites: { input: 7, loss: 12, optimizer: 13, loop: 16 },
  },
  {
    file: 'torchprog_slice_subset.py', layers: ['128 relu', '10 linear'], objective: CE, data: TO_TENSOR(false, { trainExamples: 5000 }),
    optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 100, steps: 10 * 50, sites: { input: 8, loss: 15, optimizer: 14, loop: 18 },
  },
  {
    file: 'torchprog_bias_false_dropout.py', layers: ['256 relu nobias dropout=0.5', '10 linear nobias'], objective: CE, data: TO_TENSOR(true),
    optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.9, useNesterov: false }, batch: 100, steps: 2 * 600,
    sites: { input: 7, loss: 16, optimizer: 17, loop: 21 },
  },
  {
    file: 'torchprog_functional_dropout_eval.py', layers: ['300 relu dropout=0.3', '10 linear'], objective: CE, data: TO_TENSOR(true),
    optimizer: adam(0.001), batch: 32, steps: 1875, sites: { input: 21, loss: 27, optimizer: 23, loop: 25 },
    deviations: [/^F\.dropout without training=self\.training drops units when the model is evaluated too/],
  },
  {
    // a double softmax, trained as written; the cure drops the nn.Softmax from the Sequential
    file: 'torchprog_softmax_module_ce.py', layers: ['128 relu', '10 softmax'], objective: CE, data: TO_TENSOR(true),
    optimizer: adam(0.001), batch: 100, steps: 2 * 600, sites: { input: 6, loss: 10, outputActivation: 9, optimizer: 11, loop: 14 },
    fixes: [{ kind: 'objective', label: /Remove the softmax before nn\.CrossEntropyLoss/, after: [[9, 'model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))']] }],
  },
  {
    file: 'torchprog_sigmoid_bce.py', layers: ['128 relu', '10 sigmoid'], objective: { loss: 'binaryCrossEntropy', from: 'probabilities', logFloor: -100, reduction: 'mean' },
    data: TO_TENSOR(true), optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 64, steps: 3 * 938,
    sites: { input: 19, loss: 21, outputActivation: 16, optimizer: 22, loop: 25 },
    fixes: [{
      kind: 'objective', label: /Use nn\.CrossEntropyLoss on the logits with the class labels/,
      after: [[16, '        return self.out(x)'], [21, 'criterion = nn.CrossEntropyLoss()'], [27, '        loss = criterion(model(data), target)']],
    }],
  },
  {
    file: 'torchprog_mse_onehot.py', layers: ['100 relu', '10 linear'], objective: { loss: 'meanSquaredError', from: 'probabilities', reduction: 'mean' },
    data: TO_TENSOR(true), optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 128, steps: 2 * 469, sites: { input: 8, loss: 10, optimizer: 11, loop: 14 },
    fixes: [{ kind: 'objective', label: /Use nn\.CrossEntropyLoss/, after: [[10, 'loss_fn = nn.CrossEntropyLoss()'], [16, '        loss = loss_fn(pred, y)']] }],
  },
  {
    file: 'torchprog_bce_logits.py', layers: ['64 relu', '10 linear'], objective: { loss: 'binaryCrossEntropy', from: 'logits', reduction: 'mean' },
    data: TO_TENSOR(false), optimizer: adam(0.001), batch: 100, steps: 600, sites: { input: 7, loss: 9, optimizer: 10, loop: 13 },
    fixes: [{ kind: 'objective', label: /Use nn\.CrossEntropyLoss/, after: [[9, 'criterion = nn.CrossEntropyLoss()'], [16, '        loss = criterion(net(x), y)']] }],
  },
  {
    file: 'torchprog_reduction_sum.py', layers: ['512 relu', '10 linear'], objective: { ...CE, reduction: 'sum' }, data: TO_TENSOR(true),
    optimizer: { type: 'sgd', learningRate: 0.01 }, batch: 256, steps: 3 * 235, sites: { input: 6, loss: 9, reduction: 9, optimizer: 10, loop: 13 },
    fixes: [{ kind: 'objective', label: /reduction='mean'/, after: [[9, "criterion = nn.CrossEntropyLoss(reduction='mean')"]] }],
  },
  {
    // a bare nn.Linear as the model; -(y_ * torch.log(y)).sum(): cross-entropy of probabilities, summed over the batch
    file: 'torchprog_hand_ce_sum.py', layers: ['10 softmax'], objective: { loss: 'crossEntropy', from: 'probabilities', reduction: 'sum' }, data: TO_TENSOR(true),
    optimizer: { type: 'sgd', learningRate: 0.5 }, batch: 100, steps: 2 * 600,
    sites: { input: 7, loss: 15, reduction: 15, outputActivation: 14, optimizer: 9, loop: 12 }, findings: ['warning unstable-loss@-1'],
  },
  {
    file: 'torchprog_hand_ce_mean_offset.py', layers: ['256 relu', '10 softmax'], objective: { loss: 'crossEntropy', from: 'probabilities', logOffset: 1e-10, reduction: 'mean' },
    data: TO_TENSOR(true), optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 64, steps: 2 * 938,
    sites: { input: 18, loss: 25, reduction: 25, outputActivation: 15, optimizer: 20, loop: 22 },
  },
  {
    file: 'torchprog_no_zero_grad.py', layers: ['128 relu', '10 linear'], objective: CE, data: TO_TENSOR(true), accumulate: true,
    optimizer: { type: 'sgd', learningRate: 0.01 }, batch: 64, steps: 2 * 938, sites: { input: 6, loss: 8, optimizer: 9, loop: 13 },
    fixes: [{ kind: 'zeroGrad', label: /optimizer\.zero_grad\(\)/, after: [[16, '        optimizer.zero_grad()'], [17, '        loss.backward()']] }],
  },
  {
    file: 'torchprog_zero_grad_per_epoch.py', layers: ['100 relu', '10 linear'], objective: CE, data: TO_TENSOR(true), accumulate: true,
    optimizer: adam(1e-3), batch: 200, steps: 3 * 300, sites: { input: 7, loss: 15, optimizer: 10, loop: 14 },
    fixes: [{ kind: 'zeroGrad', label: /optimizer\.zero_grad\(\)/, after: [[16, '        optimizer.zero_grad()'], [17, '        loss.backward()']] }],
  },
  {
    // StepLR(step_size=2) stepped per epoch of 600 batches: every 1200 steps
    file: 'torchprog_sgd_extras_steplr_clip.py', layers: ['300 relu', '10 linear'], objective: CE, data: TO_TENSOR(true),
    optimizer: { type: 'momentum', learningRate: 0.1, momentum: 0.9, useNesterov: true, weightDecay: 1e-4, schedule: { type: 'step', stepSize: 1200, gamma: 0.5 }, globalClipNorm: 1 },
    batch: 100, steps: 6 * 600, sites: { input: 7, loss: 9, optimizer: 10, loop: 14 },
  },
  {
    // ExponentialLR stepped after every batch: a decay per step
    file: 'torchprog_adam_exponential_per_batch.py', layers: ['200 relu', '10 linear'], objective: CE, data: TO_TENSOR(true),
    optimizer: adam(0.002, { weightDecay: 1e-5, schedule: { type: 'exponential', decaySteps: 1, decayRate: 0.999, staircase: true }, clipValue: 0.5 }),
    batch: 50, steps: 1200, sites: { input: 7, loss: 11, optimizer: 9, loop: 14 },
  },
  {
    file: 'torchprog_nll_on_logits.py', layers: ['128 relu', '10 linear'], objective: NLL, data: TO_TENSOR(true),
    optimizer: { type: 'momentum', learningRate: 0.01, momentum: 0.9, useNesterov: false }, batch: 64, steps: 2 * 938, sites: { input: 18, loss: 24, optimizer: 20, loop: 22 },
    fixes: [{ kind: 'objective', label: /Use F\.cross_entropy on the logits/, after: [[24, '        loss = F.cross_entropy(model(data), target)']] }],
  },
  {
    file: 'torchprog_nll_on_softmax.py', layers: ['64 relu', '10 softmax'], objective: NLL, data: TO_TENSOR(true),
    optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 100, steps: 2 * 600, sites: { input: 19, loss: 21, outputActivation: 16, optimizer: 22, loop: 24 },
    fixes: [{ kind: 'objective', label: /Use F\.log_softmax/, after: [[16, '        return F.log_softmax(self.fc2(x), dim=1)']] }],
  },
  {
    file: 'torchprog_pil_to_tensor.py', layers: ['100 relu', '10 linear'], objective: CE, data: { divideBy: 1, shuffle: true },
    optimizer: { type: 'sgd', learningRate: 0.01 }, batch: 32, steps: 1875, sites: { input: 6, loss: 11, optimizer: 10, loop: 14 },
    fixes: [{ kind: 'data', label: /transforms\.ToTensor\(\)/, after: [[6, 'transform = transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda x: x.float())])']] }],
  },
  // issue 22: constructor parameters given at the call site; a module nothing instantiates (read with its
  // defaults, and said); a DataLoader of PyTorch's default batch 1 over 1000 epochs (the first 1,000,000 steps, said).
  {
    file: 'torchprog_ctor_sizes_call_site.py', layers: ['300 relu', '10 linear'], objective: CE, data: TO_TENSOR(false),
    optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 64, steps: 938, sites: { input: 18, loss: 24, optimizer: 20, loop: 22 },
  },
  {
    file: 'torchprog_module_never_instantiated.py', layers: ['128 relu', '10 softmax'], objective: undefined, data: undefined,
    optimizer: { type: 'sgd', learningRate: 0.5 }, batch: 100, steps: 1000, sites: {},
    notes: [
      /^Net is never instantiated in this file: read with the default values of its constructor's parameters \(n_in=784, n_hidden=128, n_out=10\)$/,
      /the output layer has no softmax/, /no optimizer found/, /no `DataLoader/, /no training loop found/,
    ],
  },
  {
    file: 'torchprog_batch1_many_epochs.py', layers: ['10 linear'], objective: CE, data: TO_TENSOR(false),
    optimizer: { type: 'sgd', learningRate: 0.01 }, batch: 1, steps: 1_000_000, sites: { input: 6, loss: 9, optimizer: 8, loop: 11 },
    notes: [/this DataLoader has no batch_size: PyTorch's default batch size 1 is used/],
    deviations: [/^this training runs 60,000,000 steps \(60,000 batches of 1 per epoch\), more than the 1,000,000 a run may have: Gradient Lens trains the first 1,000,000$/],
  },
];

test('an nn.Module nothing instantiates whose sizes have no defaults: not read, and the note names the parameters', () => {
  const text = readFileSync(join(DIR, 'torchprog_module_never_instantiated.py'), 'utf8').replace('n_in=784, n_hidden=128, n_out=10', 'n_in, n_hidden, n_out=10');
  const r = read('torchprog_module_never_instantiated.py', text);
  assert.ok(r.notes.some((n) => /^Net is never instantiated in this file and its __init__ has no default for `n_in`, `n_hidden`: its sizes are not known here, so it is not read$/.test(n.message)), JSON.stringify(r.notes.map((n) => n.message)));
  assert.equal(r.spec.ok, false);
});

function read(file: string, text = readFileSync(join(DIR, file), 'utf8')): ImportResult {
  const r = importSource(join(DIR, file), text);
  assert.ok(r, `${file}: not recognised as a model file`);
  return r;
}

/** The edits of one fix applied to the text (from the last to the first, so earlier ranges stay valid). */
function applyEdits(text: string, edits: TextEdit[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const off = (line: number, col: number) => starts[line - 1] + col - 1;
  const sorted = [...edits].sort((a, b) => off(b.range.line, b.range.column) - off(a.range.line, a.range.column));
  let out = text;
  for (const e of sorted) out = out.slice(0, off(e.range.line, e.range.column)) + e.newText + out.slice(off(e.range.endLine, e.range.endColumn));
  return out;
}

const describeLayer = (l: ModelSpec['layers'][number]): string => `${l.units} ${l.activation}${l.useBias === false ? ' nobias' : ''}${l.dropout ? ` dropout=${l.dropout}` : ''}`;
const withoutName = (s: ModelSpec): Omit<ModelSpec, 'name'> => {
  const { name: _name, ...rest } = s;
  return rest;
};

test(`at least 15 program fixtures, every one in the table (${CASES.length})`, () => {
  const files = readdirSync(DIR).filter((f) => /^torchprog_.*\.py$/.test(f)).sort();
  assert.ok(files.length >= 15, `${files.length} fixtures`);
  assert.deepEqual(files, CASES.map((c) => c.file).sort());
});

for (const c of CASES) {
  test(`PyTorch program ${c.file}: data, model, objective, update, loop, sites, deviations, fixes`, () => {
    const text = readFileSync(join(DIR, c.file), 'utf8');
    const r = read(c.file, text);
    assert.equal(r.language, 'pytorch');
    assert.ok(r.spec.ok, `invalid spec: ${JSON.stringify(!r.spec.ok && r.spec.problems)} notes: ${JSON.stringify(r.notes.map((n) => n.message))}`);
    const spec = r.spec.spec;
    assert.deepEqual(spec.layers.map(describeLayer), c.layers, 'layers');
    assert.deepEqual(spec.objective, c.objective, 'objective');
    assert.deepEqual(spec.data, c.data, 'data');
    assert.deepEqual(spec.optimizer, c.optimizer, 'optimizer');
    assert.deepEqual([spec.batchSize, spec.steps, spec.accumulateGradients], [c.batch, c.steps, c.accumulate], 'batch, steps, accumulateGradients');
    const sites = Object.fromEntries(Object.entries(r.program ?? {}).map(([k, v]) => [k, v.line]));
    assert.deepEqual(sites, c.sites, 'program sites');
    const notes = r.notes.map((n) => n.message);
    assert.equal(notes.length, (c.notes ?? []).length, `notes: ${JSON.stringify(notes)}`);
    (c.notes ?? []).forEach((re, i) => assert.match(notes[i], re));
    const devs = (r.deviations ?? []).map((d) => d.message);
    assert.equal(devs.length, (c.deviations ?? []).length, `deviations: ${JSON.stringify(devs)}`);
    for (const re of c.deviations ?? []) assert.ok(devs.some((d) => re.test(d)), `missing deviation ${re}: ${JSON.stringify(devs)}`);
    assert.ok((r.deviations ?? []).every((d) => d.severity === 'warning'), 'deviations are warnings');
    for (const f of c.findings ?? []) assert.ok(r.staticFindings.some((x) => `${x.severity} ${x.code}@${x.layer}` === f), `missing finding ${f}`);

    const fixes = r.programFixes ?? [];
    assert.equal(fixes.length, (c.fixes ?? []).length, `program fixes: ${JSON.stringify(fixes.map((f) => f.fix.label))}`);
    (c.fixes ?? []).forEach((want, i) => {
      const got = fixes[i];
      assert.equal(got.fix.kind, want.kind);
      assert.match(got.fix.label, want.label);
      const fixed = applyEdits(text, got.edits);
      const lines = fixed.split('\n');
      for (const [line, expected] of want.after) assert.equal(lines[line - 1], expected, `line ${line} after the fix`);
      // The fixed program, read again, is exactly the spec the fix says: the edit is the cure the run tries.
      const again = read(c.file, fixed);
      assert.ok(again.spec.ok, `fixed program: ${JSON.stringify(!again.spec.ok && again.spec.problems)}`);
      assert.deepEqual(withoutName(again.spec.spec), withoutName(applyFix(spec, got.fix)), 'the fixed program reads as the fixed spec');
      assert.equal((again.programFixes ?? []).filter((f) => f.fix.kind === got.fix.kind).length, 0, 'the fixed program needs no such fix again');
    });
  });
}

test('a program with no zero_grad: the zero_grad() line goes in with the loop body\'s indentation (tabs kept)', () => {
  const text = readFileSync(join(DIR, 'torchprog_no_zero_grad.py'), 'utf8').replace(/^( {4})+/gm, (s) => '\t'.repeat(s.length / 4));
  const r = read('torchprog_no_zero_grad.py', text);
  const fix = r.programFixes?.find((f) => f.fix.kind === 'zeroGrad');
  assert.ok(fix);
  assert.deepEqual(fix.edits.map((e) => e.newText), ['\t\toptimizer.zero_grad()\n']);
});

test('pixels from a numpy array this reader does not follow: trained / 255, with a deviation on the line that makes the tensor', () => {
  const text = [
    'import torch',
    'import torch.nn as nn',
    'from tensorflow.keras.datasets import mnist',
    '',
    '(x_train, y_train), _ = mnist.load_data()',
    'x = torch.tensor(x_train.reshape(-1, 784), dtype=torch.float32)',
    'loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, torch.tensor(y_train)), batch_size=32, shuffle=True)',
    'model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))',
    'opt = torch.optim.SGD(model.parameters(), lr=0.01)',
    'for xb, yb in loader:',
    '    opt.zero_grad()',
    '    nn.functional.cross_entropy(model(xb), yb).backward()',
    '    opt.step()',
    '',
  ].join('\n');
  const r = read('numpy_pixels.py', text);
  assert.ok(r.spec.ok);
  assert.deepEqual(r.spec.spec.data, { divideBy: 255, shuffle: true });
  assert.deepEqual((r.deviations ?? []).map((d) => [d.range.line, d.message.replace(/:.*/s, '')]), [[6, 'could not tell how these pixels are scaled (they come from data this reader does not follow, e.g. a numpy array)']]);
  assert.equal(r.program?.input?.line, 6);
});
