// The program's findings from the spec (programFindings.ts), cause across layers and complete fixes (causes.ts),
// the `layers` fix kind (fixes.ts) and the webview's fix guard for the new kinds. Pure: no training (the real runs
// are in fixCheck.test.ts).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { programFindings, programCauses, mergeProgramFindings, cures, PROGRAM_CODES } from '../../src/core/diagnostics/programFindings';
import { attributeUpstream, completeFixes, upstreamRoot, withUpstreamLine } from '../../src/core/diagnostics/causes';
import { attachSources } from '../../src/core/run';
import type { LayerStats } from '../../src/core/diagnostics/layerStats';
import { applyFix, fixProblem, FixError } from '../../src/core/fixes';
import { isFix } from '../../src/protocol/webview';
import { importSource } from '../../src/core/importers/index';
import { parseSpec, type ModelSpec } from '../../src/core/spec';
import type { Finding, Fix } from '../../src/core/findings';
import type { LayerSource, ProgramFix, SourceRange } from '../../src/core/importers/types';

const L = (units: number, activation: string, kernelInitializer: unknown = 'glorotUniform', biasInitializer: unknown = 'zeros') => ({ units, activation, kernelInitializer, biasInitializer });
const mlp = (out: string, extra: object = {}, opt: object = { type: 'sgd', learningRate: 0.5 }): ModelSpec => parseSpec({ name: 't', layers: [L(32, 'relu', 'heNormal'), L(10, out)], optimizer: opt, ...extra });
const ce = (from: string, reduction = 'mean', more: object = {}) => ({ objective: { loss: 'crossEntropy', from, reduction, ...more } });
const codes = (fs: { code: string }[]): string[] => fs.map((f) => f.code).sort();
const range = (line: number): SourceRange => ({ line, column: 1, endLine: line, endColumn: 10 });

describe('programFindings: what the spec shows', () => {
  test('a v1 spec (pixels / 255, softmax, fused mean cross-entropy) has no program finding', () => {
    assert.deepEqual(programFindings(mlp('softmax')), []);
  });
  test('divideBy 1 → unscaled-input, cured by dividing by 255; a normalisation that brings the pixels back is fine', () => {
    const s = mlp('softmax', { data: { divideBy: 1 } });
    const [f] = programFindings(s);
    assert.equal(f.code, 'unscaled-input');
    assert.equal(f.severity, 'warning');
    assert.equal(f.evidence.largestInput, 255);
    assert.deepEqual(f.fixes, [{ kind: 'data', value: { divideBy: 255 }, label: 'Divide the pixels by 255' }]);
    assert.deepEqual(programFindings(mlp('softmax', { data: { divideBy: 1, mean: 33.3, std: 78.6 } })), []);
    // Normalize((0.1307,), (0.3081,)) on raw bytes: still unscaled, and the fix keeps the normalisation
    const n = programFindings(mlp('softmax', { data: { divideBy: 1, mean: 0.1307, std: 0.3081 } }));
    assert.deepEqual(n[0].fixes[0], { kind: 'data', value: { divideBy: 255, mean: 0.1307, std: 0.3081 }, label: 'Divide the pixels by 255' });
  });
  test('output-loss-mismatch: each output that does not fit its loss, with its severity; the fitting ones are fine', () => {
    const sev = (out: string, obj: object): string | undefined => programFindings(mlp(out, obj)).find((f) => f.code === 'output-loss-mismatch')?.severity;
    assert.equal(sev('softmax', ce('logits')), 'warning', 'double softmax');
    assert.equal(sev('relu', ce('logits')), 'warning', 'ReLU on logits');
    assert.equal(sev('sigmoid', ce('logits')), 'warning');
    assert.equal(sev('linear', ce('probabilities')), 'error', 'logits into a probability loss: log of a negative number');
    assert.equal(sev('relu', ce('probabilities')), 'error');
    assert.equal(sev('sigmoid', ce('probabilities', 'mean', { normalize: true, clip: [1e-7, 1 - 1e-7] })), 'warning');
    assert.equal(sev('linear', ce('logProbabilities')), 'error', 'log-softmax missing before NLL');
    assert.equal(sev('softmax', ce('logProbabilities')), 'warning');
    assert.equal(sev('linear', { objective: { loss: 'meanSquaredError', reduction: 'mean' } }), 'warning');
    assert.equal(sev('sigmoid', { objective: { loss: 'binaryCrossEntropy', from: 'probabilities', reduction: 'mean', clip: [1e-7, 1 - 1e-7] } }), 'warning');
    assert.equal(sev('linear', { objective: { loss: 'binaryCrossEntropy', from: 'probabilities', reduction: 'mean', clip: [1e-7, 1 - 1e-7] } }), 'error');
    for (const [out, obj] of [['linear', ce('logits')], ['logSoftmax', ce('logits')], ['logSoftmax', ce('logProbabilities')], ['softmax', ce('probabilities', 'mean', { clip: [1e-7, 1 - 1e-7], normalize: true })], ['softmax', ce('probabilities', 'mean', { fused: true })]] as const) {
      assert.equal(sev(out, obj), undefined, `${out} under ${JSON.stringify(obj)} fits`);
    }
  });
  test('loss-reduction: a sum is a warning under SGD (B× or 10·B× the step), info under Adam', () => {
    const f = programFindings(mlp('linear', ce('logits', 'sum'))).find((x) => x.code === 'loss-reduction')!;
    assert.equal(f.severity, 'warning');
    assert.equal(f.evidence.stepFactor, 100);
    assert.equal(f.evidence.effectiveLearningRate, 50);
    const mse = programFindings(mlp('softmax', { objective: { loss: 'meanSquaredError', reduction: 'sum' } })).find((x) => x.code === 'loss-reduction')!;
    assert.equal(mse.evidence.stepFactor, 1000);
    const adam = programFindings(mlp('linear', ce('logits', 'sum'), { type: 'adam', learningRate: 0.001 })).find((x) => x.code === 'loss-reduction')!;
    assert.equal(adam.severity, 'info');
    assert.deepEqual(programFindings(mlp('linear', ce('logits', 'meanAll'))).map((x) => x.code), []);
    // a tame sum (lr 0.01 × 100 = 1.0, within 10× SGD's stable 0.5): information with no fix — a mean at 0.01 is the slower run
    const tame = programFindings(mlp('linear', ce('logits', 'sum'), { type: 'sgd', learningRate: 0.01 })).find((x) => x.code === 'loss-reduction')!;
    assert.equal(tame.severity, 'info');
    assert.deepEqual(tame.fixes, []);
  });
  test('unstable-loss: a log of softmax probabilities with no clip and no offset; a clip or an offset makes it safe', () => {
    assert.deepEqual(codes(programFindings(mlp('softmax', ce('probabilities')))), ['unstable-loss']);
    assert.deepEqual(programFindings(mlp('softmax', ce('probabilities', 'mean', { clip: [1e-10, 1] }))), []);
    assert.deepEqual(programFindings(mlp('softmax', ce('probabilities', 'mean', { logOffset: 1e-10 }))), []);
    const f = programFindings(mlp('softmax', ce('probabilities')))[0];
    assert.deepEqual(f.fixes, [{ kind: 'stableLoss', label: 'Use the stable softmax cross-entropy' }]);
  });
  test('the seed\'s loss (a log of probabilities summed over the batch, SGD): both findings offer the two cures together', () => {
    const fs = programFindings(mlp('softmax', ce('probabilities', 'sum')));
    assert.deepEqual(codes(fs), ['loss-reduction', 'unstable-loss']);
    const both = { kind: 'objective', value: { loss: 'crossEntropy', from: 'probabilities', fused: true, reduction: 'mean' }, label: 'Use the stable softmax cross-entropy, averaged over the batch' };
    for (const f of fs) assert.deepEqual(f.fixes, [both]);
  });
  test('gradient-accumulation from accumulateGradients, cured by zeroGrad', () => {
    const [f] = programFindings(mlp('softmax', { accumulateGradients: true }));
    assert.equal(f.code, 'gradient-accumulation');
    assert.deepEqual(f.fixes.map((x) => x.kind), ['zeroGrad']);
  });
  test('every spec-level fix is valid and removes its cause', () => {
    const specs = [
      mlp('softmax', { data: { divideBy: 1 } }), mlp('softmax', ce('logits')), mlp('linear', ce('probabilities')), mlp('linear', ce('logProbabilities')),
      mlp('relu', ce('logits', 'sum')), mlp('softmax', ce('probabilities', 'sum')), mlp('sigmoid', { objective: { loss: 'binaryCrossEntropy', from: 'probabilities', reduction: 'sum' } }),
      mlp('linear', { objective: { loss: 'meanSquaredError', reduction: 'mean' } }), mlp('softmax', { accumulateGradients: true }),
    ];
    let checked = 0;
    for (const s of specs) {
      for (const c of programCauses(s)) {
        // a cause with no fix is information: no change of its part cures it (a tame sum, for one)
        if (!c.fix) {
          assert.equal(c.severity, 'info', `${c.code} offers no fix, so it is information`);
          continue;
        }
        assert.equal(fixProblem(c.fix, s.layers.length), undefined, `${c.code}: ${c.fix.label}`);
        assert.ok(cures(s, c.fix, c.code), `${c.code}: ${c.fix.label} removes it`);
        assert.ok(isFix(c.fix), `${c.code}: the webview accepts ${c.fix.kind}`);
        assert.ok(c.message.length > 40 && c.short.length > 10);
        checked++;
      }
    }
    assert.ok(checked >= 10, `checked ${checked}`);
    assert.deepEqual([...PROGRAM_CODES].sort(), ['gradient-accumulation', 'loss-reduction', 'output-loss-mismatch', 'unscaled-input', 'unstable-loss']);
  });
});

describe('programFindings: placed on the program\'s lines, offering only the fixes the importer wrote', () => {
  const spec = mlp('softmax', { ...ce('logits', 'sum'), data: { divideBy: 1 } });
  const sites = { input: range(3), loss: range(20), reduction: range(21), outputActivation: range(12) };
  test('each lands on its site, in order of preference (the reduction before the loss)', () => {
    const fs = programFindings(spec, sites, [], 'prog.py');
    const line = (code: string) => fs.find((f) => f.code === code)!.source;
    assert.deepEqual(line('unscaled-input'), { file: 'prog.py', line: 3, column: 1, endLine: 3, endColumn: 10 });
    assert.equal(line('output-loss-mismatch')!.line, 20);
    assert.equal(line('loss-reduction')!.line, 21);
    assert.deepEqual(programFindings(spec, { outputActivation: range(12) }, [], 'p.py').find((f) => f.code === 'output-loss-mismatch')!.source!.line, 12);
    assert.equal(programFindings(spec).every((f) => f.source === undefined), true, 'no sites: no source');
  });
  test('with the importer\'s fixes: only those that cure the finding (an empty list offers none)', () => {
    assert.ok(programFindings(spec, sites, []).every((f) => f.fixes.length === 0));
    const edits = [{ range: range(3), newText: 'x / 255.0' }];
    const pf: ProgramFix[] = [
      { fix: { kind: 'data', value: { divideBy: 255 }, label: 'Divide by 255' }, edits },
      { fix: { kind: 'objective', value: { loss: 'crossEntropy', from: 'logits', reduction: 'mean' }, label: 'reduction mean' }, edits },
      { fix: { kind: 'objective', value: { loss: 'crossEntropy', from: 'logits', reduction: 'sum' }, outputActivation: 'linear', label: 'remove the softmax' }, edits },
      { fix: { kind: 'zeroGrad', label: 'zero_grad' }, edits },
    ];
    const fs = programFindings(spec, sites, pf);
    const labels = (code: string) => fs.find((f) => f.code === code)!.fixes.map((f) => f.label);
    assert.deepEqual(labels('unscaled-input'), ['Divide by 255']);
    assert.deepEqual(labels('loss-reduction'), ['reduction mean'], 'the mean cures the sum; removing the softmax does not');
    assert.deepEqual(labels('output-loss-mismatch'), ['remove the softmax']);
  });
  test('merging with the importer\'s findings: a program finding replaces the importer\'s of the same code, keeping its fixes and place when it has none', () => {
    const importer: Finding = { code: 'unstable-loss', severity: 'warning', layer: -1, firstStep: 0, message: 'old', evidence: { construct: 'tf.log(y)' }, fixes: [{ kind: 'stableLoss', label: 'Use tf.nn.softmax_cross_entropy_with_logits (stable)' }], source: { file: 'a.py', line: 30, column: 5 } };
    const dead: Finding = { code: 'dead-units', severity: 'error', layer: 0, firstStep: 0, message: 'dead', evidence: {}, fixes: [] };
    const prog = programFindings(mlp('softmax', ce('probabilities')), undefined, []);
    const merged = mergeProgramFindings([dead, importer], prog);
    assert.deepEqual(merged.map((f) => f.code), ['dead-units', 'unstable-loss']);
    const u = merged[1];
    assert.notEqual(u.message, 'old');
    assert.equal(u.fixes[0].label, 'Use tf.nn.softmax_cross_entropy_with_logits (stable)');
    assert.equal(u.source!.line, 30);
    assert.equal(u.evidence.construct, 'tf.log(y)');
  });
  test('a JSON spec gets them from the importer, at the spec\'s root, with the spec-level fixes', () => {
    const text = JSON.stringify({ name: 'j', layers: [L(32, 'relu', 'heNormal'), L(10, 'linear')], optimizer: { type: 'sgd', learningRate: 0.5 }, objective: { loss: 'crossEntropy', from: 'probabilities', reduction: 'sum' }, data: { divideBy: 1 } }, null, 2);
    const r = importSource('j.mlp.json', text)!;
    assert.ok(r.spec.ok);
    const fs = r.staticFindings.filter((f) => (PROGRAM_CODES as readonly string[]).includes(f.code));
    assert.deepEqual(codes(fs), ['loss-reduction', 'output-loss-mismatch', 'unscaled-input']);
    for (const f of fs) {
      assert.equal(f.source?.line, 1, `${f.code} at the root`);
      assert.equal(f.fixes.length, 1, `${f.code} offers its spec-level fix`);
    }
  });
});

/** Minimal layer stats for causes.ts (the fields it reads). */
function stats(blank: ('zeros' | 'constant' | undefined)[]): LayerStats[] {
  return blank.map((b, i) => ({ layer: i, units: 4, anyNonFinite: false, outputsAllZero: b === 'zeros', outputsConstant: b !== undefined }) as unknown as LayerStats);
}

describe('cause across layers', () => {
  const spec = parseSpec({ name: 'k', layers: [L(16, 'relu', 'zeros'), L(16, 'relu'), L(16, 'tanh'), L(10, 'softmax')], optimizer: { type: 'sgd', learningRate: 0.5 } });
  test('the root is the first layer of the blank run before a layer', () => {
    const s = stats(['zeros', 'zeros', undefined, undefined]);
    assert.equal(upstreamRoot(s, 0), undefined);
    assert.deepEqual(upstreamRoot(s, 1), { layer: 0, what: 'zeros' });
    assert.deepEqual(upstreamRoot(s, 2), { layer: 0, what: 'zeros' });
    assert.equal(upstreamRoot(s, 3), undefined);
    assert.deepEqual(upstreamRoot(stats([undefined, 'constant', undefined, undefined]), 2), { layer: 1, what: 'constant' });
  });
  test('a layer whose inputs are blank names the upstream layer, keeps its own evidence and offers nothing', () => {
    const fix: Fix = { kind: 'initializer', layer: 1, target: 'kernel', value: 'heNormal', label: 'He' };
    const fs: Finding[] = [
      { code: 'dead-units', severity: 'error', layer: 0, firstStep: 0, message: 'All 16 relu units of layers[0] output 0. Why.', evidence: { deadFromStart: true }, fixes: [fix] },
      { code: 'dead-units', severity: 'error', layer: 1, firstStep: 0, message: 'All 16 relu units of layers[1] output 0. Their pre-activations are ≤ 0.', evidence: { deadFromStart: true }, fixes: [fix] },
      { code: 'zero-gradient', severity: 'error', layer: 2, firstStep: 0, message: 'Every weight gradient is 0.', evidence: { cause: 'inputs-zero' }, fixes: [fix] },
      { code: 'zero-gradient', severity: 'error', layer: 0, firstStep: 0, message: 'Every weight gradient is 0.', evidence: { cause: 'next-weights-zero' }, fixes: [fix] },
    ];
    const out = attributeUpstream(fs, stats(['zeros', 'zeros', undefined, undefined]), spec, 256);
    assert.deepEqual(out[0], fs[0], 'the root keeps its fixes');
    for (const f of [out[1], out[2]]) {
      assert.deepEqual(f.fixes, []);
      assert.equal(f.evidence.causedBy, 'upstream');
      assert.equal(f.evidence.upstreamLayer, 0);
      assert.match(f.message, /because layer 1 \(16 relu\) outputs only zeros on all 256 probe images/);
    }
    assert.equal(out[2].evidence.cause, 'inputs-zero', 'the detector\'s own evidence stays');
    assert.deepEqual(out[3], fs[3], 'a zero gradient from the next layer\'s weights is not an input problem');
    const at = (line: number): SourceRange => ({ line, column: 1, endLine: line, endColumn: 10 });
    // Read from a file, the causing layer's line is named (attachSources), and an edited file renames it, not twice.
    const [sourced] = attachSources([out[1]], { file: '/m.py', layers: [{ layer: 0, definition: at(9) }, { layer: 1, definition: at(10) }] as LayerSource[] });
    assert.match(sourced.message, /because layer 1 \(16 relu\) \(line 9\) outputs only zeros on all 256 probe images/);
    assert.equal(sourced.source?.line, 10);
    assert.equal(withUpstreamLine(sourced.message, 12), sourced.message.replace('(line 9)', '(line 12)'));
    assert.equal(withUpstreamLine(fs[0].message, 12), fs[0].message, 'a finding not caused upstream is left as it is');
  });
  test('complete fixes: constant kernels in several hidden layers → one layers fix for all of them', () => {
    const s = parseSpec({ name: 'z', layers: [L(8, 'tanh', 'zeros'), L(8, 'tanh', 'zeros'), L(8, 'relu', 'zeros', { type: 'constant', value: -1 }), L(10, 'softmax', 'zeros')], optimizer: { type: 'sgd', learningRate: 0.5 } });
    const part: Fix = { kind: 'initializer', layer: 1, target: 'kernel', value: 'glorotUniform', label: 'one layer' };
    const [f] = completeFixes([{ code: 'symmetric-units', severity: 'error', layer: 1, firstStep: 0, message: 'm', evidence: {}, fixes: [part] }], s);
    assert.equal(f.fixes.length, 1);
    const all = f.fixes[0];
    assert.equal(all.kind, 'layers');
    assert.deepEqual(all.kind === 'layers' && all.changes, [
      { layer: 0, kernelInitializer: 'glorotUniform' }, { layer: 1, kernelInitializer: 'glorotUniform' }, { layer: 2, kernelInitializer: 'heNormal', biasInitializer: 'zeros' },
    ]);
    assert.ok(isFix(all));
    const fixed = applyFix(s, all);
    assert.deepEqual(fixed.layers.map((l) => l.kernelInitializer), ['glorotUniform', 'glorotUniform', 'heNormal', 'zeros']);
    assert.equal(fixed.layers[2].biasInitializer, 'zeros');
  });
  test('complete fixes: a vanishing gradient in a stack of sigmoid layers → one change of the whole stack', () => {
    const s = parseSpec({ name: 'v', layers: [L(8, 'sigmoid'), L(8, 'sigmoid'), L(8, 'sigmoid'), L(10, 'softmax')], optimizer: { type: 'sgd', learningRate: 0.1 } });
    const own: Fix[] = [{ kind: 'initializer', layer: 0, target: 'kernel', value: 'glorotUniform', label: 'init 0' }, { kind: 'activation', layer: 0, value: 'relu', label: 'relu 0' }];
    const [f] = completeFixes([{ code: 'vanishing-gradient', severity: 'warning', layer: 0, firstStep: 0, message: 'm', evidence: {}, fixes: own }], s);
    assert.deepEqual(f.fixes.map((x) => x.kind), ['layers']);
    const next = applyFix(s, f.fixes[0]);
    assert.deepEqual(next.layers.map((l) => l.activation), ['tanh', 'tanh', 'tanh', 'softmax']);
  });
});

describe('the layers fix kind', () => {
  const spec = parseSpec({ name: 'f', layers: [L(8, 'tanh', 'zeros'), L(8, 'tanh', 'zeros'), L(10, 'softmax')], optimizer: { type: 'sgd', learningRate: 0.5 } });
  const fix = (changes: unknown): Fix => ({ kind: 'layers', changes, label: 'several' }) as Fix;
  test('applies every change, and nothing else', () => {
    const next = applyFix(spec, fix([{ layer: 0, kernelInitializer: 'glorotUniform', activation: 'relu' }, { layer: 1, biasInitializer: { type: 'constant', value: 0.1 } }]));
    assert.equal(next.layers[0].kernelInitializer, 'glorotUniform');
    assert.equal(next.layers[0].activation, 'relu');
    assert.deepEqual(next.layers[1].biasInitializer, { type: 'constant', value: 0.1 });
    assert.equal(next.layers[1].kernelInitializer, 'zeros');
    assert.equal(spec.layers[0].kernelInitializer, 'zeros', 'the original is not modified');
  });
  test('is refused with a reason when a change does not fit', () => {
    const refused = (changes: unknown, why: RegExp) => assert.throws(() => applyFix(spec, fix(changes)), (e: unknown) => e instanceof FixError && why.test(e.message));
    refused([], /1 to 3 layer changes/);
    refused([{ layer: 3, activation: 'relu' }], /targets layer 3, but the model has 3 layers/);
    refused([{ layer: 0, activation: 'relu' }, { layer: 0, kernelInitializer: 'zeros' }], /a second time/);
    refused([{ layer: 0 }], /changes nothing/);
    refused([{ layer: 0, activation: '<script>' }], /unknown activation/);
    refused([{ layer: 0, kernelInitializer: { type: 'randomUniform', minval: 1, maxval: 0 } }], /not an initializer/);
    refused([{ layer: 0, units: 5 }], /unknown key/);
    refused([{ layer: 1, activation: 'softmax' }], /invalid spec/);
    refused('all', /1 to 3 layer changes/);
  });
  test('the webview guard accepts the new kinds\' shapes and rejects malformed ones', () => {
    assert.ok(isFix({ kind: 'zeroGrad', label: 'z' }));
    assert.ok(isFix({ kind: 'data', value: { divideBy: 255 }, label: 'd' }));
    assert.ok(isFix({ kind: 'objective', value: { loss: 'crossEntropy', from: 'probabilities', reduction: 'mean', clip: [1e-7, 0.9999999], normalize: true }, outputActivation: 'softmax', label: 'o' }));
    assert.ok(isFix({ kind: 'layers', changes: [{ layer: 0, kernelInitializer: { type: 'randomNormal', mean: 0, stddev: 0.05 }, activation: 'relu' }], label: 'l' }));
    assert.ok(!isFix({ kind: 'layers', changes: [{ layer: -1, activation: 'relu' }], label: 'l' }));
    assert.ok(!isFix({ kind: 'layers', changes: 'x', label: 'l' }));
    assert.ok(!isFix({ kind: 'data', value: { divideBy: 'x'.repeat(10) }, label: 'd' }));
    assert.ok(!isFix({ kind: 'objective', value: { loss: 'crossEntropy' }, label: 'o' }));
  });
});
