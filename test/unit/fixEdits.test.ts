// The claim a quick fix makes (issue 21 items 2–3): for every fix that a program's findings offer — the static
// findings of the reader AND the findings of a short real run (wasm, real MNIST, the program's sites and cures as the
// editor's run passes them) — fixToEdits writes it into the file, and reading the edited file again gives the spec
// that applyFix gives (the parts it changes, and nothing else changed; names aside; initializers compared as the
// explicit distributions they stand for, to the 3 significant digits a fix writes). Table-driven over fixture
// programs in TF1, Keras, PyTorch and tfjs. A fix the file cannot say is listed per row with its reason (and the
// test fails if it can be written after all, or if another cannot). Prints the counts.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend, type LoadedBackend } from '../../src/core/backend';
import { loadMnist, type MnistData } from '../../src/core/mnist';
import { runWithDiagnostics } from '../../src/core/run';
import { importSource } from '../../src/core/importers/index';
import { applyTextEdits, disjointEdits, fixToEdits } from '../../src/core/importers/fixEdits';
import { explicitInitializer } from '../../src/core/importers/initializers';
import { applyFix, fixKey } from '../../src/core/fixes';
import { type Initializer, type ModelSpec, type ObjectiveSpec, INPUT_SIZE, objectiveOf, pixelTransform } from '../../src/core/spec';
import type { Finding, Fix } from '../../src/core/findings';
import type { ImportResult } from '../../src/core/importers/types';
import { repoRoot } from './helpers';

const FIXTURES = join(repoRoot, 'test', 'fixtures');
const STEPS = 200;
const PROBE_EVERY = 50;

interface Row {
  file: string;
  /** Fix kinds that must be among the offered ones (the row is there for them). */
  kinds: Fix['kind'][];
  /** Fixes the file cannot say: label pattern → why. */
  unwritable?: [RegExp, string][];
}

const ROWS: Row[] = [
  { file: 'fixEdits/tf1_three_layers_zeros.py', kinds: ['layers', 'initializer'] },
  { file: 'fixEdits/keras_three_tanh_zeros.py', kinds: ['layers', 'initializer'] },
  { file: 'fixEdits/keras_first_layer_zeros.py', kinds: ['initializer'] },
  { file: 'programs/tf1_unscaled_feed.py', kinds: ['data'] },
  { file: 'programs/keras_unscaled.py', kinds: ['data'] },
  { file: 'programs/torchprog_pil_to_tensor.py', kinds: ['data'] },
  { file: 'programs/keras_mse_softmax.py', kinds: ['objective'] },
  { file: 'programs/tf1_double_softmax.py', kinds: ['objective'], unwritable: [[/^Use leakyRelu in /, 'the activation is a call (tf.nn.relu(…) / F.relu(…)), not a string the reader records a site for: the fix trains the spec instead']] },
  { file: 'programs/tfjs_linear_ce.js', kinds: ['objective'] },
  { file: 'programs/torchprog_nll_on_softmax.py', kinds: ['objective'] },
  { file: 'programs/torchprog_no_zero_grad.py', kinds: ['zeroGrad'] },
  { file: 'programs/torch_net_zeros_hidden.py', kinds: ['initializer'], unwritable: [[/^Use leakyRelu in /, 'the activation is a call (tf.nn.relu(…) / F.relu(…)), not a string the reader records a site for: the fix trains the spec instead']] },
  { file: 'faithful/tf1/seed_log_softmax_buggy.py', kinds: ['stableLoss', 'initializer'] },
  { file: 'faithful/tf1/sum_over_batch_buggy.py', kinds: ['stableLoss', 'objective'] },
  {
    file: 'faithful/keras/logits_from_logits_false_buggy.py', kinds: ['objective'],
    unwritable: [[/^Initialise Dense\(\d+\)'s weights with /, "the Dense layers write no kernel_initializer (Keras's default): there is no initializer in the file to rewrite"]],
  },
  { file: 'faithful/torch/double_softmax_buggy.py', kinds: ['objective'] },
  { file: 'faithful/torch/no_zero_grad_buggy.py', kinds: ['zeroGrad'] },
  { file: 'faithful/tfjs/sum_over_batch_buggy.js', kinds: ['objective'] },
  // the bytes a program reads itself (frameworks/bytes.ts) and the output/loss cures (frameworks/tfLossCures.ts)
  { file: 'faithful/tf1/unscaled_sgd_buggy.py', kinds: ['data'] },
  { file: 'faithful/keras/tape_unscaled_buggy.py', kinds: ['data'] },
  { file: 'faithful/tfjs/unscaled_sgd_buggy.js', kinds: ['data'] },
  { file: 'faithful/tf1/bce_linear_buggy.py', kinds: ['objective'] },
  { file: 'faithful/keras/relu_logits_buggy.py', kinds: ['objective'] },
  { file: 'faithful/keras/tape_bce_linear_buggy.py', kinds: ['objective'] },
  { file: 'faithful/keras/tape_softmax_log_buggy.py', kinds: ['objective'] },
  { file: 'faithful/tfjs/mse_linear_buggy.js', kinds: ['objective'] },
  { file: 'faithful/tfjs/relu_logits_buggy.js', kinds: ['objective'] },
  { file: 'faithful/tfjs/softmax_into_logits_loss_buggy.js', kinds: ['objective'] },
  { file: 'faithful/tfjs/sigmoid_ce_buggy.js', kinds: ['objective'] },
  { file: 'faithful/tfjs/seed_log_softmax_buggy.js', kinds: ['objective'] },
  { file: 'faithful/torch/bce_linear_buggy.py', kinds: ['objective'] },
];

let backend: LoadedBackend;
let data: MnistData;
before(async () => {
  backend = await selectBackend('wasm');
  data = loadMnist();
});

const sig3 = (x: number): number => Number(x.toPrecision(3));

/** An initializer as the distribution it stands for at this layer, numbers to 3 significant digits. */
function initOf(init: Initializer, fanIn: number, fanOut: number): unknown {
  const e = explicitInitializer(init, fanIn, fanOut);
  if (typeof e === 'string') return e;
  if (e.type === 'constant' && (e.value === 0 || e.value === 1)) return e.value === 0 ? 'zeros' : 'ones';
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, typeof v === 'number' ? sig3(v) : v]));
}

/**
 * The objective as the loss it computes: a crossEntropy from logits on a linear output (`softmax_cross_entropy_with_logits`
 * as the reader reads it) is the fused crossEntropy on a softmax output (what applyFix's stableLoss trains): the same
 * loss of the same logits, the same gradient and the same argmax (specParts.ts ObjectiveSpec, objective.ts).
 */
function head(spec: ModelSpec): { objective: ObjectiveSpec; output: string } {
  const o = objectiveOf(spec);
  const output = spec.layers[spec.layers.length - 1].activation;
  if (o.loss === 'crossEntropy' && o.from === 'logits' && output === 'linear') return { objective: { loss: 'crossEntropy', from: 'probabilities', fused: true, reduction: o.reduction }, output: 'softmax' };
  return { objective: o, output };
}

/** The spec as a run means it, names aside: defaults filled, initializers explicit, the loss as it computes. */
function meaning(spec: ModelSpec): unknown {
  const { name: _name, layers, objective: _o, data: _d, ...rest } = spec;
  const { objective, output } = head(spec);
  return {
    ...rest,
    objective,
    data: { ...spec.data, ...pixelTransform(spec) },
    accumulateGradients: spec.accumulateGradients ?? false,
    layers: layers.map((l, i) => {
      const { name: _n, kernelInitializer, biasInitializer, activation, ...lr } = l;
      const fanIn = i === 0 ? INPUT_SIZE : layers[i - 1].units;
      return { ...lr, activation: i === layers.length - 1 ? output : activation, kernelInitializer: initOf(kernelInitializer, fanIn, l.units), biasInitializer: initOf(biasInitializer, fanIn, l.units) };
    }),
  };
}

function read(file: string, text: string): ImportResult {
  const r = importSource(file, text);
  assert.ok(r, `${file}: recognised as a model file`);
  assert.ok(r.spec.ok, `${file}: a valid spec (${r.spec.ok ? '' : r.spec.problems.map((p) => `${p.path}: ${p.message}`).join('; ')})`);
  return r;
}

/** Every distinct fix the static findings and a short run's findings offer, with who offers it. */
async function offered(r: ImportResult, spec: ModelSpec): Promise<Map<string, { fix: Fix; by: string[] }>> {
  const summary = await runWithDiagnostics({ ...spec, steps: STEPS }, {
    backend, data, probeEvery: PROBE_EVERY, diagnosticsThread: false,
    source: { file: r.fileName, layers: r.layers, program: r.program }, programFixes: r.programFixes?.map((p) => p.fix),
  });
  const out = new Map<string, { fix: Fix; by: string[] }>();
  const add = (fs: Finding[], when: string): void => {
    for (const f of fs) {
      for (const fix of f.fixes) {
        const k = fixKey(fix);
        const o = out.get(k) ?? { fix, by: [] };
        o.by.push(`${when} ${f.code}@${f.layer}`);
        out.set(k, o);
      }
    }
  };
  add(r.staticFindings, 'static');
  add(summary.findings, 'run');
  return out;
}

test(`every fix the findings offer (static and a ${STEPS}-step run, wasm) is written by fixToEdits, and the edited file reads as applyFix's spec`, { timeout: 600_000 }, async () => {
  const lines: string[] = [];
  let checked = 0;
  let written = 0;
  const unwritable: string[] = [];
  const failures: string[] = [];
  const kindsSeen = new Set<string>();
  for (const row of ROWS) {
    const text = readFileSync(join(FIXTURES, row.file), 'utf8');
    const r = read(row.file, text);
    if (!r.spec.ok) continue;
    const spec = r.spec.spec;
    const fixes = await offered(r, spec);
    const kinds = new Set([...fixes.values()].map((o) => o.fix.kind));
    for (const k of row.kinds) if (!kinds.has(k)) failures.push(`${row.file}: no ${k} fix offered (offered: ${[...kinds].join(', ') || 'none'})`);
    for (const { fix, by } of fixes.values()) {
      checked++;
      kindsSeen.add(fix.kind);
      const expectedNot = row.unwritable?.find(([re]) => re.test(fix.label));
      const edits = fixToEdits(r, text, fix);
      if (!edits) {
        if (expectedNot) {
          unwritable.push(`${row.file}: ${fix.kind} "${fix.label}": ${expectedNot[1]}`);
          lines.push(`  not written ${row.file}: ${fix.kind} "${fix.label}" (${expectedNot[1]})`);
        } else failures.push(`${row.file}: ${fix.kind} "${fix.label}" [${by.join(', ')}]: fixToEdits gives no edit`);
        continue;
      }
      if (expectedNot) failures.push(`${row.file}: ${fix.kind} "${fix.label}" was listed as unwritable (${expectedNot[1]}) but is written now`);
      assert.ok(disjointEdits(edits), `${row.file}: ${fix.label}: the edits overlap`);
      const edited = applyTextEdits(text, edits);
      assert.notEqual(edited, text, `${row.file}: ${fix.label}: the edits change the text`);
      const again = importSource(row.file, edited);
      if (!again?.spec.ok) {
        failures.push(`${row.file}: ${fix.kind} "${fix.label}": the edited file does not read as a valid spec (${again?.spec.ok === false ? again.spec.problems.map((p) => p.message).join('; ') : 'no model'})`);
        continue;
      }
      let want: unknown;
      try {
        want = meaning(applyFix(spec, fix));
      } catch (e) {
        failures.push(`${row.file}: ${fix.kind} "${fix.label}": applyFix throws ${(e as Error).message}`);
        continue;
      }
      try {
        assert.deepEqual(meaning(again.spec.spec), want);
        written++;
        lines.push(`  written     ${row.file}: ${fix.kind} "${fix.label}" (${edits.length} edit${edits.length === 1 ? '' : 's'}) [${by.join(', ')}]`);
      } catch (e) {
        failures.push(`${row.file}: ${fix.kind} "${fix.label}": the edited file reads as another spec than applyFix's:\n${(e as Error).message.slice(0, 1500)}`);
      }
    }
  }
  console.log(`\nfixToEdits over ${ROWS.length} programs: ${checked} offered fixes checked, ${written} written and re-read as applyFix's spec, ${unwritable.length} not writable (listed)`);
  for (const l of lines) console.log(l);
  assert.deepEqual(failures, []);
  for (const k of ['layers', 'initializer', 'data', 'objective', 'stableLoss', 'zeroGrad']) assert.ok(kindsSeen.has(k), `a ${k} fix was among those checked`);
  assert.ok(checked >= ROWS.length, `${checked} fixes checked`);
});

test('fixToEdits: a layers fix is all or nothing; edits that overlap are refused; identical ones count once', () => {
  const file = 'fixEdits/keras_first_layer_zeros.py';
  const text = readFileSync(join(FIXTURES, file), 'utf8');
  const r = read(file, text);
  // layer 0's kernel is written as 'zeros'; layer 1's is Keras's default (no site): the cure across both cannot be written
  const both: Fix = { kind: 'layers', label: 'He for both', changes: [{ layer: 0, kernelInitializer: 'heNormal' }, { layer: 1, kernelInitializer: 'heNormal' }] };
  assert.equal(fixToEdits(r, text, both), undefined);
  const first: Fix = { kind: 'layers', label: 'He for the first', changes: [{ layer: 0, kernelInitializer: 'heNormal', biasInitializer: { type: 'constant', value: 0.01 } }] };
  const edits = fixToEdits(r, text, first);
  assert.equal(edits?.length, 2, 'kernel and bias of layer 0');
  const again = read(file, applyTextEdits(text, edits!));
  assert.equal(again.spec.ok && again.spec.spec.layers[0].kernelInitializer, 'heNormal');
  assert.deepEqual(again.spec.ok && again.spec.spec.layers[0].biasInitializer, { type: 'constant', value: 0.01 });
  // a fix outside the contract writes nothing
  assert.equal(fixToEdits(r, text, { kind: 'layers', label: 'x', changes: [{ layer: 7, kernelInitializer: 'heNormal' }] }), undefined);
  const a = { range: { line: 1, column: 1, endLine: 1, endColumn: 5 }, newText: 'a' };
  assert.equal(disjointEdits([a, { range: { line: 1, column: 4, endLine: 1, endColumn: 8 }, newText: 'b' }]), undefined, 'overlapping');
  assert.equal(disjointEdits([a, { ...a }])?.length, 1, 'identical edits once');
  assert.deepEqual(disjointEdits([{ range: { line: 2, column: 1, endLine: 2, endColumn: 2 }, newText: 'y' }, a])?.map((e) => e.newText), ['a', 'y'], 'sorted, touching allowed');
  assert.equal(applyTextEdits('abcdefg\nhij', [a, { range: { line: 2, column: 1, endLine: 2, endColumn: 2 }, newText: 'H' }]), 'aefg\nHij');
  assert.throws(() => applyTextEdits('abcdefgh', [a, { range: { line: 1, column: 4, endLine: 1, endColumn: 8 }, newText: 'b' }]), /overlap/);
});
