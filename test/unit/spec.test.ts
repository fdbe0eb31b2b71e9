import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateSpec, parseSpec, SpecError, parameterCount } from '../../src/core/spec';
import { PRESETS } from '../../src/core/presets';
import { runCli } from './helpers';

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
  assert.throws(() => parseSpec(null), (e: Error) => e instanceof SpecError && /\$: a model spec must be a JSON object/.test(e.message));
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
