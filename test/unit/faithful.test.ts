// The faithful fixtures, table-driven (test/fixtures/faithful/manifest.json; issue 20 "Must show"): for each buggy
// program written in TF1, Keras, PyTorch or tfjs, the reader (importSource) reports the expected finding code on one
// of the expected lines, and the fix it offers, applied to the spec and trained again in our trainer (wasm, real
// MNIST, a short run), improves the test accuracy or removes the non-finite loss. Each healthy control gets none
// of the program findings.
//
// The real frameworks' numbers for the same programs are in docs/groundTruth.md (npm run bench -- groundtruth).
// A pair the reader does not handle yet carries `"pending": "reason"` in the manifest: it is still checked, and the
// outcome is printed (a pending pair that passes says so, so the mark can go), but it does not fail the suite.
// Nothing is skipped silently: the list of pending pairs and their outcomes is printed at the end.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ObjectiveSpec } from '../../src/core/specParts';
import { lossHead } from '../../src/core/objective';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend, type LoadedBackend } from '../../src/core/backend';
import { loadMnist, type MnistData } from '../../src/core/mnist';
import { train } from '../../src/core/trainer';
import { importSource } from '../../src/core/importers/index';
import { applyFix } from '../../src/core/fixes';
import type { ModelSpec } from '../../src/core/spec';
import { type ManifestPair, PROGRAM_CODES, asRun, findingAt, offeredFix } from '../../bench/groundTruth';

const root = join(__dirname, '..', '..', '..');
const FIXTURES = join(root, 'test', 'fixtures', 'faithful');
const pairs = (JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as { pairs: ManifestPair[] }).pairs;
/** Steps of the short re-runs (the bench trains the manifest's 600): enough for a NaN or a stuck run to show. */
const SHORT_STEPS = 150;
/** "Improves": at least this much test accuracy more, or finite where the buggy run was not. */
const MIN_GAIN = 0.02;

let backend: LoadedBackend;
let data: MnistData;
before(async () => {
  backend = await selectBackend('wasm');
  data = loadMnist();
});

async function shortRun(spec: ModelSpec): Promise<{ accuracy: number; nonfinite: boolean }> {
  let nonfinite = false;
  const r = await train(asRun(spec, SHORT_STEPS, spec.seed), {
    backend, data, probeEvery: 0, shuffle: false,
    onEvent: (e) => { if (e.type === 'step' && !Number.isFinite(e.loss)) nonfinite = true; },
  });
  return { accuracy: r.end.testAccuracy, nonfinite: nonfinite || !Number.isFinite(r.end.testLoss) };
}

const outcomes: { name: string; pending?: string; result: string }[] = [];

/** Runs `check`; a pending pair's failure is recorded and printed instead of failing. */
async function gated(p: ManifestPair, check: () => Promise<string>): Promise<void> {
  try {
    const ok = await check();
    outcomes.push({ name: p.name, pending: p.pending, result: p.pending ? `PASSES NOW (remove "pending"): ${ok}` : `ok: ${ok}` });
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    outcomes.push({ name: p.name, pending: p.pending, result: `fails: ${message}` });
    if (!p.pending) throw e;
  }
}

describe('faithful fixtures: the real bug named on its line, the offered fix cures our run', () => {
  for (const p of pairs.filter((x) => !x.control && x.expected)) {
    test(`${p.name} (${p.framework}): ${p.expected!.code} on line ${p.expected!.lines.join(' or ')} of ${p.buggy}; its fix improves the run${p.pending ? ` [pending: ${p.pending}]` : ''}`, async () => {
      await gated(p, async () => {
        const r = importSource(p.buggy!, readFileSync(join(FIXTURES, p.buggy!), 'utf8'));
        assert.ok(r, `${p.buggy}: the reader found no model in it`);
        assert.ok(r.spec.ok, `${p.buggy}: the reader's spec is invalid: ${r.spec.ok ? '' : r.spec.problems.map((x) => x.message).join('; ')}`);
        const at = findingAt(r.staticFindings, p.expected);
        assert.ok(at.ok, `${p.buggy}: ${at.text} (static findings: ${r.staticFindings.map((f) => `${f.code}@${f.source?.line}`).join(', ') || 'none'})`);
        const offered = offeredFix(r, p.expected!.code);
        assert.ok(offered, `${p.buggy}: the ${p.expected!.code} finding offers no fix and there is no program fix`);
        const spec = { ...r.spec.spec, seed: p.seeds[0] };
        const before = await shortRun(spec);
        const afterFix = await shortRun(applyFix(spec, offered.fix));
        const improved = (before.nonfinite && !afterFix.nonfinite) || (!afterFix.nonfinite && afterFix.accuracy >= before.accuracy + MIN_GAIN);
        const figures = `${before.accuracy.toFixed(4)}${before.nonfinite ? ' (NaN)' : ''} → ${afterFix.accuracy.toFixed(4)}${afterFix.nonfinite ? ' (NaN)' : ''} with "${offered.fix.label}"`;
        assert.ok(improved, `${p.buggy}: the offered fix does not improve our run: ${figures}`);
        return `${at.text}; ${figures}`;
      });
    });
  }
  // healthy controls, and programs whose framework repairs what looks like a bug (Keras 3's softmax/sigmoid logits)
  for (const p of pairs.filter((x) => x.control || !x.expected)) {
    const file = p.control ?? p.buggy!;
    test(`${p.name} (${p.framework}): ${p.control ? 'a healthy control' : `repaired by the framework (${p.repaired})`} gets none of ${PROGRAM_CODES.join(', ')} at warning level${p.pending ? ` [pending: ${p.pending}]` : ''}`, async () => {
      await gated(p, async () => {
        const r = importSource(file, readFileSync(join(FIXTURES, file), 'utf8'));
        assert.ok(r?.spec.ok, `${file}: the reader gives no valid spec`);
        const at = findingAt(r.staticFindings, undefined);
        assert.ok(at.ok, `${file}: ${at.text}`);
        return at.text;
      });
    });
  }
});

after(() => {
  const pending = outcomes.filter((o) => o.pending);
  console.log(`\nfaithful fixtures: ${outcomes.length} checked, ${outcomes.length - pending.length} gating, ${pending.length} pending (not failing the suite):`);
  for (const o of pending) console.log(`  pending ${o.name}: ${o.pending}\n      → ${o.result}`);
  for (const o of outcomes.filter((x) => !x.pending)) console.log(`  ${o.name}: ${o.result}`);
});

// Keras 3's sparse_categorical_crossentropy(from_logits=False) clips the output to [1e-7, 1 − 1e-7] first and then
// normalises it (log, then softmax cross-entropy on the logs: −log(clip(o_y) / Σ clip(o))), while its
// categorical_crossentropy normalises first and then clips: the objective's `clipFirst` says the sparse order. On a
// linear output with negative entries the two differ (keras_logits_string_loss_adam: Keras 0.3907).
test('Keras 3 sparse categorical cross-entropy from probabilities (clip, then normalise) is what our objective computes', () => {
  const z = new Float32Array([-0.5, 0.2, 0.3, -0.1, 0.05, 0.4, -0.2, 0.1, 0.25, -0.3]);
  const label = 2;
  const eps = 1e-7;
  const clipped = Array.from(z, (v) => Math.min(Math.max(v, eps), 1 - eps));
  const keras = -Math.log(clipped[label] / clipped.reduce((a, b) => a + b, 0));
  const objective: ObjectiveSpec = { loss: 'crossEntropy', from: 'probabilities', normalize: true, clip: [eps, 1 - eps], reduction: 'mean' };
  const ours = lossHead(z, [label], 1, 'linear', { ...objective, clipFirst: true }, false);
  assert.ok(Math.abs(ours.loss - keras) < 1e-4, `Keras ${keras.toFixed(6)}, ours ${ours.loss.toFixed(6)}`);
  // the categorical order (normalise, then clip) is another number here: the test can tell them apart
  const categorical = lossHead(z, [label], 1, 'linear', objective, false);
  assert.ok(Math.abs(categorical.loss - keras) > 1e-2, `normalise-then-clip ${categorical.loss.toFixed(6)} vs Keras ${keras.toFixed(6)}`);
});
