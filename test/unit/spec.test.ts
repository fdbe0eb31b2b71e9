import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { validateSpec, parseSpec, SpecError, parameterCount } from '../../src/core/spec';
import { PRESETS } from '../../src/core/presets';
import { runCli } from './helpers';
import { LOSSES, LOSS_INPUTS, REDUCTIONS, LAYER_EXTRA_KEYS, UPDATE_EXTRA_KEYS } from '../../src/core/specParts';

test('missing keys get the documented defaults (docs/design.md): glorotUniform kernel, zeros bias, batch 100, 1000 steps, seed 1', () => {
  const s = parseSpec({ layers: [{ units: 10, activation: 'softmax' }], optimizer: { type: 'sgd', learningRate: 0.1 } });
  assert.deepEqual(s.layers[0], { units: 10, activation: 'softmax', kernelInitializer: 'glorotUniform', biasInitializer: 'zeros' });
  assert.equal(s.batchSize, 100);
  assert.equal(s.steps, 1000);
  assert.equal(s.seed, 1);
});

test('a spec with three mistakes is rejected with all three named by JSON path', () => {
  const r = validateSpec({
    layers: [
      { units: 100, activation: 'rectifier', kernelInitializer: 'zeros' },
      { units: 10, activation: 'softmax', kernelInitializer: { type: 'randomNormal', mean: 0, stddev: -1 } },
    ],
    optimizer: { type: 'sgd', learningRate: 0 },
  });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(r.problems.map((p) => p.path), ['$.layers[0].activation', '$.layers[1].kernelInitializer.stddev', '$.optimizer.learningRate']);
  assert.match(r.problems[0].message, /must be one of relu, .*got "rectifier"/);
});

test('structural mistakes: last layer not 10 softmax units, unknown keys, bad types', () => {
  const r = validateSpec({ layers: [{ units: 12, activation: 'relu', bogus: 1 }], batchSize: 0, steps: 'many', seed: -1 });
  assert.equal(r.ok, false);
  if (r.ok) return;
  const paths = r.problems.map((p) => p.path);
  for (const p of ['$.layers[0].bogus', '$.layers[0].units', '$.layers[0].activation', '$.batchSize', '$.steps', '$.seed']) assert.ok(paths.includes(p), `${p} in ${paths}`);
  assert.throws(() => parseSpec(null), (e: Error) => e instanceof SpecError && /^invalid model spec: a model spec must be a JSON object/.test(e.message));
});

test('every preset is a valid spec; the seed runs match the seed table in docs/design.md exactly', () => {
  const seed = PRESETS.filter((p) => p.seed).map((p) => p.id);
  assert.deepEqual(seed, ['seed-softmax-zeros', 'seed-softmax-normal', 'seed-softmax-uniform01', 'seed-mlp-zeros', 'seed-mlp-uniform']);
  for (const p of PRESETS) {
    assert.ok(validateSpec(p.spec).ok, p.id);
    if (p.seed) assert.deepEqual([p.spec.optimizer, p.spec.batchSize, p.spec.steps], [{ type: 'sgd', learningRate: 0.5 }, 100, 1000]);
  }
  const mlp = PRESETS.find((p) => p.id === 'seed-mlp-zeros')!.spec;
  assert.equal(parameterCount(mlp), 784 * 100 + 100 + 100 * 10 + 10);
  assert.ok(PRESETS.filter((p) => !p.seed).length >= 2);
});

test('CLI: a bad spec file exits 2 with every problem on one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-spec-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ layers: [{ units: 100, activation: 'rectifier' }, { units: 3, activation: 'softmax' }], optimizer: { type: 'sgdd', learningRate: 0.5 } }));
  const r = runCli(['train', '--spec', file, '--json']);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  const line = r.stderr.trim();
  assert.equal(line.split('\n').length, 1);
  // each problem named by its key as a person reads it (no JSON-path "$."; --json output keeps the paths)
  for (const p of ['layers[0].activation', 'layers[1].units', 'optimizer.type']) assert.ok(line.includes(`: ${p}: `) || line.includes(`; ${p}: `), `${p} in ${line}`);
  assert.ok(!line.includes('$.'), line);
  writeFileSync(file, '{ not json');
  const r2 = runCli(['train', '--spec', file]);
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /bad\.json:\d+:\d+: not valid JSON: \w+/);
});

test('CLI: --spec reads JSON with comments, like the editor and `train FILE`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-spec-'));
  const file = join(dir, 'small.mlp.json');
  writeFileSync(file, '// two steps of softmax regression\n{ "layers": [ { "units": 10, "activation": "softmax", "kernelInitializer": "zeros" }, ], /* trailing comma above */ "steps": 2 }');
  const r = runCli(['train', '--spec', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).steps, 2);
});

test('CLI: bad options exit 2 with a one-line reason', () => {
  for (const [args, re] of [
    [['train', '--preset', 'nope'], /unknown preset "nope"/],
    [['train', '--steps=-3'], /--steps must be a whole number from 1 to 1000000 written in digits, got "-3"/],
    [['train', '--backend', 'gpu'], /--backend must be auto, tensorflow, wasm, cpu; got "gpu"/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['train', '--preset', 'seed-mlp-zeros', 'model.py'], /give one of/],
  ] as const) {
    const r = runCli([...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
});

// ---- the program parts (v2) ----

test('v2 parts: a whole program (data, dropout, bias, regulariser, any output, objective, schedule, clipping, accumulation) validates and round-trips through JSON', () => {
  const input = {
    name: 'program',
    data: { divideBy: 1, mean: 0.5, std: 2, shuffle: true, trainExamples: 5000 },
    layers: [
      { units: 100, activation: 'relu', useBias: false, dropout: 0.2, kernelRegularizer: { l2: 0.01 } },
      { units: 10, activation: 'sigmoid' },
    ],
    objective: { loss: 'crossEntropy', from: 'probabilities', normalize: true, clip: [1e-7, 1 - 1e-7], reduction: 'sum' },
    optimizer: { type: 'momentum', learningRate: 0.1, momentum: 0.9, schedule: { type: 'exponential', decaySteps: 100, decayRate: 0.96, staircase: true }, weightDecay: 1e-4, globalClipNorm: 5 },
    accumulateGradients: true,
  };
  const spec = parseSpec(input);
  assert.deepEqual(spec.data, input.data);
  assert.deepEqual(spec.objective, input.objective);
  assert.equal(spec.layers[0].useBias, false);
  assert.equal(spec.layers[0].dropout, 0.2);
  assert.deepEqual(spec.layers[0].kernelRegularizer, { l2: 0.01 });
  assert.equal(spec.layers[1].activation, 'sigmoid');
  assert.deepEqual(spec.optimizer.schedule, input.optimizer.schedule);
  assert.equal(spec.accumulateGradients, true);
  assert.deepEqual(parseSpec(JSON.parse(JSON.stringify(spec))), spec);
});

test('v2 parts: a v1 spec gets none of the new keys (it means what it meant), and a non-softmax output still needs an objective', () => {
  const v1 = parseSpec({ layers: [{ units: 10, activation: 'softmax' }] });
  assert.deepEqual(Object.keys(v1).sort(), ['batchSize', 'layers', 'name', 'optimizer', 'seed', 'steps']);
  assert.deepEqual(Object.keys(v1.layers[0]).sort(), ['activation', 'biasInitializer', 'kernelInitializer', 'units']);
  const linear = validateSpec({ layers: [{ units: 10, activation: 'linear' }] });
  assert.ok(!linear.ok && /last layer must be "softmax".*objective/.test(linear.problems[0].message));
  assert.ok(validateSpec({ layers: [{ units: 10, activation: 'linear' }], objective: { loss: 'crossEntropy', from: 'logits' } }).ok);
  const fusedOnLinear = validateSpec({ layers: [{ units: 10, activation: 'linear' }], objective: { loss: 'crossEntropy', from: 'probabilities', fused: true } });
  assert.ok(!fusedOnLinear.ok && /fused cross-entropy/.test(fusedOnLinear.problems[0].message));
});

test('v2 parts: every mistake is named by its JSON path', () => {
  const r = validateSpec({
    data: { divideBy: 0, std: -1, trainExamples: 70000, colour: true },
    layers: [{ units: 100, activation: 'logSoftmax', dropout: 1 }, { units: 10, activation: 'linear', dropout: 0.5, useBias: 'no' }],
    objective: { loss: 'hinge', from: 'logits', reduction: 'max' },
    optimizer: { type: 'sgd', learningRate: 0.1, schedule: { type: 'piecewise', boundaries: [10, 5], values: [0.1] }, clipNorm: 0 },
    accumulateGradients: 'yes',
  });
  assert.ok(!r.ok);
  const paths = r.problems.map((p) => p.path);
  for (const p of ['$.data.divideBy', '$.data.std', '$.data.trainExamples', '$.data.colour', '$.layers[0].activation', '$.layers[0].dropout', '$.layers[1].dropout',
    '$.layers[1].useBias', '$.objective.loss', '$.objective.reduction', '$.optimizer.schedule.boundaries', '$.optimizer.clipNorm', '$.accumulateGradients']) {
    assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
  }
  // options that do not apply to the loss are refused, not ignored
  const clipOnLogits = validateSpec({ layers: [{ units: 10, activation: 'linear' }], objective: { loss: 'crossEntropy', from: 'logits', clip: [0, 1] } });
  assert.ok(!clipOnLogits.ok && clipOnLogits.problems[0].path === '$.objective.clip');
  // clipFirst orders the two: it needs both
  const clipFirstAlone = validateSpec({ layers: [{ units: 10, activation: 'linear' }], objective: { loss: 'crossEntropy', from: 'probabilities', clip: [1e-7, 1 - 1e-7], clipFirst: true } });
  assert.ok(!clipFirstAlone.ok && clipFirstAlone.problems[0].path === '$.objective.clipFirst' && /normalize/.test(clipFirstAlone.problems[0].message));
  const sparse = validateSpec({ layers: [{ units: 10, activation: 'linear' }], objective: { loss: 'crossEntropy', from: 'probabilities', normalize: true, clip: [1e-7, 1 - 1e-7], clipFirst: true } });
  assert.ok(sparse.ok && sparse.spec.objective?.clipFirst === true);
  assert.ok(!validateSpec({ layers: [{ units: 10, activation: 'softmax' }], optimizer: null }).ok, 'optimizer: null is not the default optimizer');
});

test('the JSON schema lists exactly the program parts of src/core/spec.ts and specParts.ts', () => {
  const schema = JSON.parse(readFileSync(resolve(__dirname, '../../../schemas/modelSpec.schema.json'), 'utf8'));
  const d = schema.definitions;
  assert.deepEqual(d.objective.properties.loss.enum, [...LOSSES]);
  assert.deepEqual(d.objective.properties.from.enum, [...LOSS_INPUTS]);
  assert.deepEqual(d.objective.properties.reduction.enum, [...REDUCTIONS]);
  assert.deepEqual(Object.keys(d.data.properties).sort(), ['divideBy', 'mean', 'shuffle', 'std', 'trainExamples']);
  for (const k of LAYER_EXTRA_KEYS) assert.ok(d.layer.properties[k], `layer.${k}`);
  for (const k of UPDATE_EXTRA_KEYS) assert.ok(d.optimizer.properties[k], `optimizer.${k}`);
});
