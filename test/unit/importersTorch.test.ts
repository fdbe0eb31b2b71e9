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
import { applyFix } from '../../src/core/fixes';
import { staticFindings } from '../../src/core/diagnostics/static';
import { renderTorchInitializer } from '../../src/core/importers/frameworks/torch/init';
import type { ImportResult, SourceRange, TextEdit } from '../../src/core/importers/types';
import type { Initializer, LayerSpec, OptimizerSpec } from '../../src/core/spec';

const DIR = resolve(__dirname, '../../../test/fixtures/programs');

/** nn.Linear's default: weight and bias U(±1/√fan_in). */
const U = (fanIn: number): Initializer => ({ type: 'randomUniform', minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn) });
const N = (stddev: number, mean = 0): Initializer => ({ type: 'randomNormal', mean, stddev });
/** U(−bound, bound). */
const Ub = (bound: number): Initializer => ({ type: 'randomUniform', minval: -bound, maxval: bound });
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
  /** Every deviation (where the run differs from the program) matches one of these, and each of these matches one. */
  deviations?: RegExp[];
}

/** RMSprop's eps: PyTorch adds it outside the square root, the trainer inside (a deviation, not a note). */
const RMSPROP_EPS = /^PyTorch's RMSprop adds eps \(1e-8\) outside the square root/;

const DATA_NOTE = /this code loads Fashion-MNIST: Gradient Lens trains on MNIST unless/;

const CASES: Case[] = [
  {
    file: 'torch_net_zeros_hidden.py', layers: [L(100, 'relu', 'zeros', U(784)), D(100, 10, 'logSoftmax')], optimizer: { type: 'sgd', learningRate: 0.5 }, batch: 100, steps: 1200,
    anchors: [[15, 'nn.init.zeros_(self.fc1.weight)'], [14, 'nn.Linear(100, 10)']], findings: ['warning dead-units@0'],
  },
  {
    file: 'torch_net_default_init.py', layers: [D(784, 100, 'relu'), D(100, 10, 'linear')], optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 100, steps: 1200,
    anchors: [[17, 'nn.Linear(28 * 28, hidden)'], [18, 'nn.Linear(hidden, 10)']],
  },
  {
    file: 'torch_quickstart_fashion.py', layers: [D(784, 512, 'relu'), D(512, 512, 'relu'), D(512, 10, 'linear')], optimizer: { type: 'sgd', learningRate: 1e-3 }, batch: 64, steps: 5 * 938,
    anchors: [[24, 'nn.Linear(28 * 28, 512)'], [26, 'nn.Linear(512, 512)'], [28, 'nn.Linear(512, 10)']], notes: [DATA_NOTE],
  },
  {
    file: 'torch_sequential_logsoftmax.py', layers: [D(784, 128, 'relu'), D(128, 64, 'relu'), D(64, 10, 'logSoftmax')], optimizer: { type: 'sgd', learningRate: 0.003 }, batch: 64, steps: 3 * 938,
    anchors: [[10, 'nn.Linear(784, 128)'], [12, 'nn.Linear(128, 64)'], [14, 'nn.Linear(64, 10)']],
  },
  {
    file: 'torch_ordered_dict_xavier.py', layers: [L(256, 'tanh', 'glorotUniform', 'zeros'), L(10, 'linear', N(0.5 * Math.sqrt(2 / 266)), U(256))],
    optimizer: adam(3e-4, 0.8, 0.99, 1e-6), batch: 128, steps: 2 * 468, // drop_last: ⌊60000 / 128⌋ per epoch
    anchors: [[15, 'nn.init.xavier_uniform_(net.fc1.weight)'], [17, 'nn.init.xavier_normal_(net.fc2.weight, gain=0.5)']],
  },
  {
    file: 'torch_add_module_rmsprop.py', layers: [D(784, 300, 'relu'), D(300, 100, 'relu'), D(100, 10, 'linear')],
    optimizer: { type: 'rmsprop', learningRate: 0.001, decay: 0.9, momentum: 0.5, epsilon: 1e-8 }, batch: 50, steps: 1200,
    // one nn.Linear expression in a loop makes all three layers
    anchors: [[11, 'nn.Linear(sizes[i], sizes[i + 1])'], [11, 'nn.Linear(sizes[i], sizes[i + 1])'], [11, 'nn.Linear(sizes[i], sizes[i + 1])']],
    deviations: [RMSPROP_EPS],
  },
  {
    file: 'torch_module_list_kaiming.py', layers: [L(200, 'relu', N(Math.sqrt(2 / 200)), 'zeros'), L(100, 'relu', N(Math.sqrt(2 / 100)), 'zeros'), L(10, 'linear', N(Math.sqrt(2 / 10)), 'zeros')],
    optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.9, useNesterov: true }, batch: 32, steps: 3 * 1875,
    // one init statement in a loop over the layers: findings stay on it (a shared site: no edit)
    anchors: [[16, "nn.init.kaiming_normal_(layer.weight, mode='fan_out', nonlinearity='relu')"], [16, "nn.init.kaiming_normal_(layer.weight, mode='fan_out', nonlinearity='relu')"],
      [16, "nn.init.kaiming_normal_(layer.weight, mode='fan_out', nonlinearity='relu')"]],
  },
  {
    file: 'torch_apply_init_isinstance.py', layers: [L(256, 'relu', N(0.01), 'zeros'), L(10, 'linear', N(0.01), 'zeros')], optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 256, steps: 10 * 235,
    // one init statement for both layers: each keeps its own nn.Linear line
    anchors: [[7, 'nn.Linear(784, 256)'], [7, 'nn.Linear(256, 10)']],
  },
  {
    file: 'torch_d2l_concise.py', layers: [L(256, 'relu', N(0.01), U(784)), L(10, 'linear', N(0.01), U(256))], optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 256, steps: 10 * 235,
    anchors: [[6, 'nn.Linear(784, 256)'], [6, 'nn.Linear(256, 10)']], notes: [DATA_NOTE],
  },
  {
    file: 'torch_fill_no_grad.py', layers: [L(100, 'relu', 'zeros', 'zeros'), D(100, 10, 'linear')], optimizer: { type: 'sgd', learningRate: 0.5 }, batch: 100, steps: 600,
    anchors: [[20, 'model.hidden.weight.fill_(0.0)'], [12, 'nn.Linear(100, 10)']], findings: ['error dead-units@0', 'error symmetric-units@0'],
  },
  {
    file: 'torch_weight_data_methods.py', layers: [L(64, 'relu', N(0.01), { type: 'constant', value: 0.1 }), L(10, 'linear', { type: 'randomUniform', minval: -0.05, maxval: 0.05 }, U(64))],
    optimizer: adam(0.001), batch: 200, steps: 4 * 300,
    anchors: [[15, 'self.l1.weight.data.normal_(0.0, 0.01)'], [17, 'self.l2.weight.data.uniform_(-0.05, 0.05)']],
  },
  {
    file: 'torch_activations_mixed.py', layers: [D(784, 128, 'leakyRelu'), D(128, 64, 'sigmoid'), D(64, 32, 'elu'), D(32, 10, 'linear')], optimizer: adam(0.002), batch: 64, steps: 2 * 938,
    anchors: [[13, 'nn.Linear(784, 128)'], [14, 'nn.Linear(128, 64)'], [15, 'nn.Linear(64, 32)'], [16, 'nn.Linear(32, 10)']],
    deviations: [/this leaky ReLU has slope 0\.1 below zero; Gradient Lens trains leakyRelu with slope 0\.2/],
  },
  {
    file: 'torch_dropout_batchnorm.py', layers: [{ ...D(784, 512, 'relu'), dropout: 1 - 0.8 * 0.9 }, D(512, 10, 'linear')], optimizer: { type: 'momentum', learningRate: 0.01, momentum: 0.9, useNesterov: false, weightDecay: 5e-4 }, batch: 128, steps: 3 * 469,
    anchors: [[12, 'nn.Linear(28 * 28, 512)'], [15, 'nn.Linear(512, 10)']],
    // now read: the two dropouts after fc1 (0.2 then 0.1: 0.28 in all), SGD's weight decay; BatchNorm1d is a deviation
    deviations: [/BatchNorm1d \(normalisation\) is not part of the model spec/],
  },
  {
    file: 'torch_raw_parameters.py', layers: [L(256, 'relu', N(0.01), 'zeros'), L(10, 'linear', N(0.01), 'zeros')], optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 256, steps: 10 * 235,
    anchors: [[8, 'nn.Parameter(torch.randn(num_inputs, num_hiddens, requires_grad=True) * 0.01)'], [10, 'nn.Parameter(torch.randn(num_hiddens, num_outputs, requires_grad=True) * 0.01)']],
  },
  {
    file: 'torch_plain_list_layers.py', layers: [D(784, 128, 'relu'), D(128, 64, 'relu'), D(64, 10, 'linear')], optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 100, steps: 600,
    anchors: [[11, 'nn.Linear(784, 128)'], [11, 'nn.Linear(128, 64)'], [12, 'nn.Linear(64, 10)']],
    notes: [/self\.hidden is a plain Python list, which nn\.Module does not register: model\.parameters\(\) leaves these layers out/],
  },
  {
    file: 'torch_softmax_then_log.py', layers: [D(784, 100, 'relu'), D(100, 10, 'softmax')], optimizer: { type: 'sgd', learningRate: 0.5 }, batch: 100, steps: 3 * 600,
    anchors: [[8, 'nn.Linear(784, 100)'], [8, 'nn.Linear(100, 10)']],
    findings: ['warning unstable-loss@-1'],
  },
  {
    file: 'torch_deprecated_init_names.py', layers: [L(300, 'tanh', 'glorotUniform', { type: 'constant', value: 0.01 }), D(300, 10, 'linear')], optimizer: adam(0.001), batch: 32, steps: 1875,
    anchors: [[17, 'init.xavier_uniform(self.fc1.weight)'], [19, 'init.kaiming_uniform_(self.fc2.weight, a=math.sqrt(5))']],
    notes: [/nn\.init\.xavier_uniform is the deprecated spelling of nn\.init\.xavier_uniform_/, /nn\.init\.constant is the deprecated spelling/],
  },
  {
    // 55,000 of the 60,000 after random_split; StepLR(step_size=1, gamma=0.7) stepped per epoch: every 110 steps
    file: 'torch_lazy_adamw_scheduler.py', layers: [D(784, 128, 'relu'), D(128, 10, 'linear')], optimizer: { ...adam(1e-3), schedule: { type: 'step', stepSize: 110, gamma: 0.7 } }, batch: 500, steps: 4 * 110,
    anchors: [[13, 'nn.LazyLinear(128)'], [13, 'nn.LazyLinear(10)']],
    deviations: [/AdamW's decoupled weight decay \(0\.01\) is not part of the model spec .*: trained as Adam without it/],
  },
  {
    file: 'torch_double_softmax.py', layers: [D(784, 64, 'relu'), D(64, 10, 'softmax')], optimizer: { type: 'momentum', learningRate: 0.01, momentum: 0.9, useNesterov: false }, batch: 4, steps: 2 * 15000,
    anchors: [[14, 'nn.Linear(784, 64)'], [15, 'nn.Linear(64, 10)']],
    // the double softmax is trained as written (objective: cross-entropy from logits on a softmax output); no note
    // the program's output does not fit its loss (program findings, on the loss line)
    findings: ['warning output-loss-mismatch@-1'],
  },
  {
    file: 'torch_argparse_break.py', layers: [D(784, 200, 'relu'), D(200, 10, 'logSoftmax')], optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.9, useNesterov: false }, batch: 64,
    steps: 4 * 500, // `if batch_idx + 1 >= args.batches_per_epoch: break` after optimizer.step(); `if args.dry_run: break` is false by default
    anchors: [[16, 'nn.Linear(784, 200)'], [17, 'nn.Linear(200, 10)']],
    notes: [...['batch-size', 'test-batch-size', 'epochs', 'lr', 'momentum', 'batches-per-epoch', 'log-interval', 'dry-run'].map((f) => new RegExp(`^--${f} is a command-line flag: Gradient Lens uses its default`))],
  },
  {
    file: 'torch_lightning.py', layers: [D(784, 128, 'relu'), D(128, 10, 'logSoftmax')], optimizer: adam(2e-3), batch: 64, steps: 3 * 938,
    anchors: [[18, 'nn.Linear(28 * 28, hidden)'], [19, 'nn.Linear(hidden, 10)']],
  },
  // Shapes met in the held-out evaluation of real programs:
  {
    file: 'torch_raw_tensors_tqdm.py', layers: [L(300, 'tanh', N(1 / 28), 'zeros'), L(10, 'linear', N(1 / Math.sqrt(300)), 'zeros')], optimizer: { type: 'sgd', learningRate: 0.5 }, batch: 50, steps: 1200,
    anchors: [[16, 'torch.randn(784, hidden)'], [19, 'torch.randn(hidden, 10)']],
  },
  {
    file: 'torch_dataset_shapes.py', layers: [L(64, 'relu', N(Math.SQRT2 / 28), U(784)), L(10, 'softmax', 'glorotUniform', U(64))], optimizer: { type: 'sgd', learningRate: 0.2 }, batch: 128, steps: 2 * 469,
    anchors: [[19, "nn.init.kaiming_normal_(stack[1].weight, nonlinearity='relu')"], [20, 'nn.init.xavier_uniform_(stack[3].weight)']],
    // the program's output does not fit its loss (program findings, on the loss line)
    findings: ['warning output-loss-mismatch@-1'],
  },
  {
    file: 'torch_relu_logits.py', layers: [D(784, 256, 'relu'), D(256, 10, 'relu')], optimizer: adam(0.005), batch: 128, steps: 8 * 469,
    anchors: [[15, 'nn.Linear(784, 256)'], [16, 'nn.Linear(256, classes)']],
    // relu on the logits is trained as written (no note); the cure removes it
    // the program's output does not fit its loss (program findings, on the loss line)
    findings: ['warning output-loss-mismatch@-1'],
  },
  // Initialisation written as a loop over the model's modules or parameters (one init line for several
  // layers: a shared site, so the findings stay on it and no edit is offered there):
  {
    file: 'torch_loop_sequential_zeros.py', layers: [L(100, 'relu', 'zeros', 'zeros'), L(10, 'linear', 'zeros', 'zeros')], optimizer: { type: 'sgd', learningRate: 0.5 }, batch: 100, steps: 1200,
    anchors: [[10, 'nn.init.zeros_(layer.weight)'], [10, 'nn.init.zeros_(layer.weight)']], findings: ['error symmetric-units@0', 'error dead-units@0'],
  },
  {
    file: 'torch_loop_modules_kaiming.py', layers: [L(256, 'relu', N(Math.sqrt(2 / 784)), 'zeros'), L(128, 'relu', N(Math.sqrt(2 / 256)), 'zeros'), L(10, 'linear', N(Math.sqrt(2 / 128)), 'zeros')],
    optimizer: adam(1e-3), batch: 64, steps: 3 * 938,
    anchors: Array.from({ length: 3 }, () => [29, "nn.init.kaiming_normal_(m.weight, mode='fan_in', nonlinearity='relu')"] as [number, string]),
    deviations: [/BatchNorm1d \(normalisation\) is not part of the model spec/],
  },
  {
    // xavier_uniform_ with tanh's gain 5/3: U(±(5/3)·√(6 / (fan_in + fan_out)))
    file: 'torch_self_modules_init.py', optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.9, useNesterov: false }, batch: 128, steps: 5 * 469,
    layers: [L(300, 'tanh', Ub((5 / 3) * Math.sqrt(6 / 1084)), { type: 'constant', value: 0.01 }), L(10, 'linear', Ub((5 / 3) * Math.sqrt(6 / 310)), { type: 'constant', value: 0.01 })],
    anchors: Array.from({ length: 2 }, () => [17, "nn.init.xavier_uniform_(m.weight, gain=nn.init.calculate_gain('tanh'))"] as [number, string]),
  },
  {
    // children() yields the nn.ModuleList as one child: its layer keeps the default, as in PyTorch
    file: 'torch_children_type_check.py', layers: [L(200, 'relu', N(0.01), 'zeros'), D(200, 100, 'relu'), L(10, 'logSoftmax', N(0.01), 'zeros')], optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 50, steps: 2 * 1200,
    anchors: [[29, 'm.weight.data.normal_(0, 0.01)'], [16, 'nn.Linear(200, 100)'], [29, 'm.weight.data.normal_(0, 0.01)']],
  },
  {
    // `continue` past the modules that are not nn.Linear; the output layer picked by its name gets zeros (fine for a softmax layer)
    file: 'torch_named_modules_output.py', layers: [L(128, 'relu', 'heUniform', 'zeros'), L(64, 'relu', 'heUniform', 'zeros'), L(10, 'linear', 'zeros', 'zeros')],
    optimizer: { type: 'rmsprop', learningRate: 1e-3, decay: 0.99, momentum: 0, epsilon: 1e-8 }, batch: 32, steps: 2 * 1875,
    anchors: [[21, "nn.init.kaiming_uniform_(module.weight, nonlinearity='relu')"], [21, "nn.init.kaiming_uniform_(module.weight, nonlinearity='relu')"], [19, 'nn.init.zeros_(module.weight)']],
    deviations: [RMSPROP_EPS],
  },
  {
    file: 'torch_parameters_dim_filter.py', layers: [L(512, 'relu', 'glorotUniform', U(784)), L(10, 'linear', 'glorotUniform', U(512))], optimizer: adam(3e-4), batch: 256, steps: 4 * 234,
    anchors: [[15, 'nn.init.xavier_uniform_(p)'], [15, 'nn.init.xavier_uniform_(p)']],
  },
  {
    file: 'torch_named_parameters_std1.py', layers: [L(100, 'sigmoid', N(1), 'zeros'), L(10, 'linear', N(1), 'zeros')], optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 100, steps: 600,
    anchors: [[23, 'nn.init.normal_(param, mean=0.0, std=1.0)'], [23, 'nn.init.normal_(param, mean=0.0, std=1.0)']], findings: ['warning poor-init-scale@0'],
  },
  {
    // the weights_init(m) given to model.apply: each layer keeps its nn.Linear line
    file: 'torch_apply_classname.py', layers: [L(400, 'relu', N(0.02), 'zeros'), L(10, 'logSoftmax', N(0.02), 'zeros')], optimizer: adam(2e-4, 0.5), batch: 64, steps: 2 * 938,
    anchors: [[22, 'nn.Linear(784, 400)'], [24, 'nn.Linear(400, 10)']],
  },
  {
    // kaiming_normal_(a=0.2, fan_out, leaky_relu): N(0, √(2 / (1 + 0.2²)) / √fan_out); the last layer xavier_normal_
    file: 'torch_modulelist_enumerate.py', optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.9, useNesterov: false }, batch: 100, steps: 3 * 600,
    layers: [L(300, 'leakyRelu', N(Math.sqrt(2 / 1.04) / Math.sqrt(300)), 'zeros'), L(100, 'leakyRelu', N(Math.sqrt(2 / 1.04) / Math.sqrt(100)), 'zeros'), L(10, 'linear', N(Math.sqrt(2 / 110)), 'zeros')],
    anchors: [[16, "nn.init.kaiming_normal_(layer.weight, a=0.2, mode='fan_out', nonlinearity='leaky_relu')"], [16, "nn.init.kaiming_normal_(layer.weight, a=0.2, mode='fan_out', nonlinearity='leaky_relu')"],
      [18, 'nn.init.xavier_normal_(layer.weight)']],
  },
  // Init loops that cannot be followed: a note on the init line says so and what the spec keeps.
  {
    file: 'torch_init_config_condition.py', layers: [D(784, 128, 'relu'), D(128, 10, 'linear')], optimizer: { type: 'sgd', learningRate: 0.1 }, batch: 100, steps: 600,
    anchors: [[11, 'nn.Linear(784, 128)'], [11, 'nn.Linear(128, 10)']],
    notes: [/^could not tell whether `isinstance\(m, nn\.Linear\) and config\['zero_init'\]` \(line 13\) holds here: this initialisation is not read, so the layer's weights keep PyTorch's default U\(±1\/√fan_in\)$/],
  },
  {
    file: 'torch_init_external_helpers.py', layers: [D(784, 64, 'sigmoid'), D(64, 10, 'linear')], optimizer: { type: 'sgd', learningRate: 0.5 }, batch: 200, steps: 600,
    anchors: [[9, 'nn.Linear(784, 64)'], [9, 'nn.Linear(64, 10)']],
    notes: [
      /^could not tell which layer's parameter `layer\.weight` is: this runs inside `for layer in linear_layers\(model\)` \(line 10\), whose elements Gradient Lens cannot list\. This initialisation is not read: each layer keeps the initializer read elsewhere \(PyTorch's default/,
      /^could not follow the function given to model\.apply \(init_weights\): it is not defined in this file, so the initialisation it applies is not known; each layer keeps/,
    ],
  },
  {
    file: 'torch_init_never_applied.py', layers: [D(784, 128, 'relu'), D(128, 10, 'linear')], optimizer: adam(1e-3), batch: 64, steps: 2 * 938,
    anchors: [[18, 'nn.Linear(784, 128)'], [19, 'nn.Linear(128, 10)']],
    notes: [
      /^init_weights\(\) is never called in this file \(nor given to model\.apply\), so this initialisation of `m\.weight` is not applied: each layer keeps/,
      /^init_weights\(\) is never called in this file \(nor given to model\.apply\), so this initialisation of `m\.bias\.data` is not applied: each layer keeps/,
    ],
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
      assert.deepEqual([l.units, l.activation, l.useBias], [want.units, want.activation, want.useBias], `layer ${i}`);
      assert.ok(Math.abs((l.dropout ?? 0) - (want.dropout ?? 0)) < 1e-12, `layer ${i} dropout ${l.dropout} != ${want.dropout}`);
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
    const devs = (r.deviations ?? []).map((n) => n.message);
    const wantDevs = c.deviations ?? [];
    for (const n of devs) assert.ok(wantDevs.some((re) => re.test(n)), `unexpected deviation: ${n}`);
    for (const re of wantDevs) assert.ok(devs.some((n) => re.test(n)), `missing deviation ${re}; deviations: ${JSON.stringify(devs)}`);
    assert.equal(devs.length, wantDevs.length, `deviations: ${JSON.stringify(devs)}`);
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

test('the zero init written as a loop over nn.Sequential (once read silently as the default): zeros, on the init line, no edit; Fix and re-train through the spec', () => {
  const src = `import torch
from torch import nn
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
for layer in model:
    if isinstance(layer, nn.Linear):
        nn.init.zeros_(layer.weight)
        nn.init.zeros_(layer.bias)
opt = torch.optim.SGD(model.parameters(), lr=0.5)
`;
  const r = importSource('loop.py', src)!;
  assert.ok(r.spec.ok);
  assert.deepEqual(r.spec.spec.layers.map((l) => [l.kernelInitializer, l.biasInitializer]), [['zeros', 'zeros'], ['zeros', 'zeros']]);
  const dead = r.staticFindings.find((x) => x.code === 'dead-units');
  assert.ok(dead, JSON.stringify(r.staticFindings));
  assert.deepEqual([dead.layer, dead.source?.line, textAt(src, r.layers[0].weights!)], [0, 6, 'nn.init.zeros_(layer.weight)']);
  // Both layers' weights are written on that line; each layer's own definition is its related place.
  assert.deepEqual(r.layers.map((l) => [l.weights!.line, textAt(src, l.definition)]), [[6, 'nn.Linear(784, 100)'], [6, 'nn.Linear(100, 10)']]);
  assert.deepEqual(r.layers.map((l) => [l.kernelInitializer, l.biasInitializer]), [[undefined, undefined], [undefined, undefined]], 'a shared site has no edit');
  assert.ok(dead.fixes.length > 0);
  for (const fix of dead.fixes) {
    assert.equal(fixToEdit(r, src, fix), undefined, `no edit for ${fix.label}`);
    // "Fix and re-train" trains the spec with the fix applied: layer 0 only, and its finding goes.
    const fixed = applyFix(r.spec.spec, fix);
    assert.notEqual(fixed.layers[0].kernelInitializer, 'zeros');
    assert.equal(fixed.layers[1].kernelInitializer, 'zeros');
    assert.ok(!staticFindings(fixed).some((x) => x.code === 'dead-units' && x.layer === 0), fix.label);
  }
});

test('one init statement for a layer\'s weight and bias (for p in layer.parameters()) is a shared site: no edit that would change both', () => {
  const src = `import torch
from torch import nn
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
nn.init.zeros_(model[1].weight)
for p in model[3].parameters():
    p.data.uniform_(-0.1, 0.1)
opt = torch.optim.SGD(model.parameters(), lr=0.5)
`;
  const r = importSource('params.py', src)!;
  assert.ok(r.spec.ok);
  const u: Initializer = { type: 'randomUniform', minval: -0.1, maxval: 0.1 };
  assert.deepEqual(r.spec.spec.layers.map((l) => [l.kernelInitializer, l.biasInitializer]), [['zeros', U(784)], [u, u]]);
  assert.equal(r.layers[0].kernelInitializer?.range.line, 4, 'a statement for one parameter keeps its edit');
  assert.deepEqual([r.layers[1].kernelInitializer, r.layers[1].biasInitializer, r.layers[1].weights?.line], [undefined, undefined, 6]);
});

test('init loops: each ordinary shape reads the right initializer for each layer', () => {
  const read = (loop: string) => {
    const src = `import torch\nfrom torch import nn\nmodel = nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))\n${loop}\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n`;
    const r = importSource('shape.py', src)!;
    assert.ok(r.spec.ok, loop);
    const extra = r.notes.map((n) => n.message).filter((m) => !/^(the output layer has no softmax|no `DataLoader|no training loop)/.test(m));
    assert.deepEqual(extra, [], `${loop}: notes`);
    return r.spec.spec.layers.map((l) => [l.kernelInitializer, l.biasInitializer]);
  };
  const Z = 'zeros';
  const d0 = U(784);
  const d1 = U(100);
  const cases: [string, unknown][] = [
    ['for m in model.modules():\n    if isinstance(m, nn.Linear):\n        nn.init.zeros_(m.weight)', [[Z, d0], [Z, d1]]],
    ['for m in model.children():\n    if type(m) == nn.Linear:\n        m.weight.data.fill_(0)\n        m.bias.data.fill_(0)', [[Z, Z], [Z, Z]]],
    ["for name, m in model.named_modules():\n    if name == '3':\n        nn.init.zeros_(m.weight)", [[d0, d0], [Z, d1]]],
    ['for i, m in enumerate(model):\n    if i == 1:\n        nn.init.zeros_(m.weight)', [[Z, d0], [d1, d1]]],
    ['for m in model:\n    if type(m) is nn.Linear and m.out_features == 10:\n        m.bias.data.zero_()', [[d0, d0], [d1, Z]]],
    ['for m in model.modules():\n    if isinstance(m, (nn.Conv2d, nn.Linear)):\n        nn.init.xavier_uniform_(m.weight)', [['glorotUniform', d0], ['glorotUniform', d1]]],
    ["for m in model.modules():\n    if hasattr(m, 'weight') and m.weight.dim() == 2:\n        nn.init.zeros_(m.weight)", [[Z, d0], [Z, d1]]],
    ["for m in model.modules():\n    classname = m.__class__.__name__\n    if classname.find('Linear') != -1:\n        nn.init.zeros_(m.weight)", [[Z, d0], [Z, d1]]],
    ["for k, v in model.state_dict().items():\n    if k.endswith('.weight'):\n        nn.init.zeros_(v)", [[Z, d0], [Z, d1]]],
    ["for name, p in model.named_parameters():\n    if name.split('.')[-1] == 'bias':\n        nn.init.constant_(p, 0.1)", [[d0, { type: 'constant', value: 0.1 }], [d1, { type: 'constant', value: 0.1 }]]],
    ['for p in model.parameters():\n    if len(p.shape) == 1:\n        continue\n    nn.init.zeros_(p)', [[Z, d0], [Z, d1]]],
    ['for m in model.modules():\n    if not isinstance(m, nn.Linear):\n        continue\n    nn.init.zeros_(m.weight)\n    break', [[Z, d0], [d1, d1]]],
    ['for m in model.modules():\n    if m is model[-1]:\n        nn.init.zeros_(m.weight)', [[d0, d0], [Z, d1]]],
    ["for m in model.modules():\n    if isinstance(m, nn.Linear) and getattr(m, 'bias', None) is not None:\n        nn.init.zeros_(m.bias)", [[d0, Z], [d1, Z]]],
    ['linears = [m for m in model if isinstance(m, nn.Linear)]\nfor m in linears[:-1]:\n    nn.init.zeros_(m.weight)', [[Z, d0], [d1, d1]]],
    ['nn.init.zeros_(model[1].weight)\nfor m in model.modules():\n    if hasattr(m, "reset_parameters"):\n        m.reset_parameters()', [[d0, d0], [d1, d1]]],
    ["def init(module):\n    for name, child in module.named_children():\n        if isinstance(child, nn.Linear):\n            nn.init.kaiming_normal_(child.weight, nonlinearity='relu')\n        elif isinstance(child, nn.Sequential):\n            init(child)\ninit(model)",
      [[N(Math.sqrt(2 / 784)), d0], [N(Math.sqrt(2 / 100)), d1]]],
  ];
  for (const [loop, want] of cases) {
    const got = read(loop);
    (want as Initializer[][]).forEach(([k, b], i) => {
      assert.ok(closeInit(got[i][0], k) && closeInit(got[i][1], b), `${loop}\nlayer ${i}: ${JSON.stringify(got[i])} != ${JSON.stringify([k, b])}`);
    });
  }
});

test('init loops that cannot be followed: a note on the line says why and what the spec keeps; the layers keep the default', () => {
  const read = (code: string) => {
    const src = `import random\nimport sys\nimport torch\nfrom torch import nn\nfrom helpers import get_layers, init_layer\nmodel = nn.Sequential(nn.Flatten(), nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))\n${code}\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n`;
    const r = importSource('cannot.py', src)!;
    assert.ok(r.spec.ok, code);
    assert.deepEqual(r.spec.spec.layers.map((l) => l.kernelInitializer), [U(784), U(100)], code);
    return r.notes.filter((n) => !/^(the output layer has no softmax|no `DataLoader|no training loop)/.test(n.message)).map((n) => `${n.range.line}: ${n.message}`);
  };
  const keeps = "each layer keeps the initializer read elsewhere (PyTorch's default U(±1/√fan_in) where none is written)";
  assert.deepEqual(read('for m in get_layers(model):\n    nn.init.zeros_(m.weight)'), [
    `8: could not tell which layer's parameter \`m.weight\` is: this runs inside \`for m in get_layers(model)\` (line 7), whose elements Gradient Lens cannot list. This initialisation is not read: ${keeps}`,
  ]);
  assert.deepEqual(read('for m in model.modules():\n    if isinstance(m, nn.Linear) and random.random() < 0.5:\n        nn.init.zeros_(m.weight)'), [
    "9: could not tell whether `isinstance(m, nn.Linear) and random.random() < 0.5` (line 8) holds here: this initialisation is not read, so the layer's weights keep PyTorch's default U(±1/√fan_in)",
  ]);
  assert.deepEqual(read('n = int(sys.argv[1])\nfor m in model.modules():\n    if isinstance(m, nn.Linear):\n        if m.out_features == n:\n            m.weight.data.zero_()'), [
    "11: could not tell whether `m.out_features == n` (line 10) holds here: this initialisation is not read, so the layer's weights keep PyTorch's default U(±1/√fan_in)",
  ]);
  assert.deepEqual(read('for m in model:\n    init_layer(m)'), [
    `8: could not follow init_layer(...): it is not defined in this file, so whatever initialisation it does is not known; ${keeps}`,
  ]);
  assert.deepEqual(read('for p in model.parameters():\n    if random.random() < 0.5:\n        continue\n    nn.init.zeros_(p)'), [
    '8: could not tell when this `continue` happens (random.random() < 0.5): the rest of the loop body is read in every iteration, as depending on that condition',
    "10: could not tell whether `random.random() < 0.5` (line 8) holds here: this initialisation is not read, so the layer's weights keep PyTorch's default U(±1/√fan_in)",
    "10: could not tell whether `random.random() < 0.5` (line 8) holds here: this initialisation is not read, so its bias keeps PyTorch's default U(±1/√fan_in)",
  ]);
  assert.deepEqual(read('def init_all(net):\n    for m in net.modules():\n        if isinstance(m, nn.Linear):\n            nn.init.zeros_(m.weight)'), [
    `10: init_all() is never called in this file (nor given to model.apply), so this initialisation of \`m.weight\` is not applied: ${keeps}`,
  ]);
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
    optimizer.zero_grad()
    loss = F.nll_loss(torch.log(F.softmax(model(x), dim=1)), y)
    loss.backward()
    optimizer.step()
`;
  const r = importSource('u.py', src)!;
  const f = r.staticFindings.find((x) => x.code === 'unstable-loss');
  assert.ok(f, JSON.stringify(r.staticFindings));
  assert.equal(f.source?.line, 8);
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
