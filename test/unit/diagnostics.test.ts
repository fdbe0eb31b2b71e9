// Fast tests of each detector, the hysteresis rule, the histograms and the symmetry grouping, on
// synthetic ProbeData built here (no training: the real-training cases are in scenarios.test.ts).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createDiagnosticsEngine, DiagnosticsInputError } from '../../src/core/diagnostics/engine';
import { groupUnits } from '../../src/core/diagnostics/symmetry';
import { gradNormEdges, linearHistogram, logHistogram, weightEdges, niceCeil } from '../../src/core/diagnostics/histograms';
import { resolveThresholds, ThresholdError, THRESHOLDS, unknownThresholdNames } from '../../src/core/diagnostics/thresholds';
import { flatThreshold } from '../../src/core/diagnostics/layerStats';
import type { EndEvent, EvalEvent, LayerProbe, ProbeData } from '../../src/core/events';
import { FINDING_CODES, type Finding } from '../../src/core/findings';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpec, type Activation, type ModelSpec } from '../../src/core/spec';

// ---- synthetic probes -------------------------------------------------------------------------

/** Deterministic pseudo-random numbers in [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 0x100000000) * 2 - 1;
  };
}

const N = 64; // probe examples
const PRIOR = [0.0987, 0.1124, 0.0993, 0.1022, 0.0974, 0.0904, 0.0986, 0.1044, 0.0975, 0.0991];

interface LayerOpts {
  units: number;
  fanIn: number;
  activation: Activation;
  w?: (i: number, j: number) => number;
  b?: (j: number) => number;
  g?: (i: number, j: number) => number;
  /** pre-activation of unit j on example e */
  z?: (e: number, j: number) => number;
}

function act(a: Activation, z: number): number {
  switch (a) {
    case 'relu': return Math.max(0, z);
    case 'sigmoid': return 1 / (1 + Math.exp(-z));
    case 'tanh': return Math.tanh(z);
    default: return z;
  }
}

function layer(index: number, o: LayerOpts, output = false): LayerProbe {
  const r = rng(1000 + index);
  const weights = new Float32Array(o.fanIn * o.units);
  const weightGrad = new Float32Array(o.fanIn * o.units);
  for (let i = 0; i < o.fanIn; i++) {
    for (let j = 0; j < o.units; j++) {
      weights[i * o.units + j] = o.w ? o.w(i, j) : 0.05 * r();
      weightGrad[i * o.units + j] = o.g ? o.g(i, j) : 1e-3 * r();
    }
  }
  const bias = Float32Array.from({ length: o.units }, (_, j) => (o.b ? o.b(j) : 0));
  const biasGrad = Float32Array.from({ length: o.units }, () => 1e-3 * r());
  const pre = new Float32Array(N * o.units);
  const outs = new Float32Array(N * o.units);
  for (let e = 0; e < N; e++) {
    for (let j = 0; j < o.units; j++) pre[e * o.units + j] = o.z ? o.z(e, j) : r();
    if (output) {
      // softmax over the row
      const row = pre.subarray(e * o.units, (e + 1) * o.units);
      const m = Math.max(...row);
      const ex = Array.from(row, (v) => Math.exp(v - m));
      const s = ex.reduce((a, b) => a + b, 0);
      ex.forEach((v, j) => { outs[e * o.units + j] = v / s; });
    } else {
      for (let j = 0; j < o.units; j++) outs[e * o.units + j] = act(o.activation, pre[e * o.units + j]);
    }
  }
  return { layer: index, activation: o.activation, units: o.units, fanIn: o.fanIn, weights, bias, weightGrad, biasGrad, preActivations: pre, outputs: outs };
}

function specOf(hidden: { units: number; activation: Activation }[]): ModelSpec {
  return parseSpec({ name: 'synthetic', layers: [...hidden, { units: 10, activation: 'softmax' }], steps: 1000 });
}

/** A healthy output layer: random weights, gradients ~1e-3, varied winners. */
const outputLayer = (index: number, fanIn: number, over: Partial<LayerOpts> = {}): LayerProbe =>
  layer(index, { units: 10, fanIn, activation: 'softmax', z: (e, j) => ((e * 7 + j * 3) % 10) / 3, ...over }, true);

function probe(step: number, layers: LayerProbe[], spec: ModelSpec, extra: Partial<ProbeData> = {}): ProbeData {
  const recent = step === 0 ? [] : Array.from({ length: 50 }, (_, k) => 2.0 - 0.001 * (step - 50 + k));
  return {
    step, totalSteps: 1000, examples: N, labels: new Uint8Array(N).map((_, e) => e % 10), loss: 1.5, recentLosses: recent,
    layers, spec, classPrior: PRIOR, learningRate: spec.optimizer.learningRate, ...extra,
  };
}

const codes = (fs: Finding[]): string[] => [...new Set(fs.map((f) => `${f.code}@${f.layer}`))].sort();
const find = (fs: Finding[], code: string, layer?: number): Finding | undefined => fs.find((f) => f.code === code && (layer === undefined || f.layer === layer));

/** Feeds the same layers at steps 0, 50, 100, ... and returns each probe's report. */
function feed(spec: ModelSpec, make: (step: number) => LayerProbe[], steps: number[], extra: (step: number) => Partial<ProbeData> = () => ({}), thresholds?: Record<string, number>) {
  const engine = createDiagnosticsEngine({ thresholds });
  const reports = steps.map((s) => engine.onProbe(probe(s, make(s), spec, extra(s))));
  return { engine, reports, last: reports[reports.length - 1] };
}

const healthyHidden = (units = 32, activation: Activation = 'relu'): LayerOpts => ({
  units, fanIn: 784, activation, w: (() => { const r = rng(7); return () => 0.05 * r(); })(),
  z: (e, j) => Math.sin(e * 1.3 + j * 0.7) * 2,
});

// ---- thresholds ----------------------------------------------------------------------------------

describe('thresholds', () => {
  test('defaults match the published rules the issue cites', () => {
    assert.equal(THRESHOLDS.deadActiveShare, 0.01); // SageMaker DeadRelu threshold_inactivity 1 %
    assert.equal(THRESHOLDS.deadLayerErrorShare, 0.5); // SageMaker threshold_layer 50 %
    assert.equal(THRESHOLDS.vanishingMeanAbsGrad, 1e-7); // SageMaker VanishingGradient
  });
  test('overrides by name; unknown names are ignored but can be listed; bad values throw naming the key', () => {
    const t = resolveThresholds({ deadActiveShare: 0.05, notAThreshold: 3 });
    assert.equal(t.deadActiveShare, 0.05);
    assert.equal(t.collapsedShare, THRESHOLDS.collapsedShare);
    assert.deepEqual(unknownThresholdNames({ deadActiveShare: 1, bogus: 2 }), ['bogus']);
    assert.throws(() => resolveThresholds({ collapsedShare: Number.NaN }), (e: unknown) => e instanceof ThresholdError && /collapsedShare/.test(e.message));
    assert.throws(() => resolveThresholds({ plateauWindow: -1 }), /plateauWindow must be a finite number >= 0/);
    assert.throws(() => createDiagnosticsEngine({ thresholds: { symmetryRelTolerance: 'x' as unknown as number } }), /symmetryRelTolerance/);
  });
  test('flat-region thresholds: derivative at the edge is exactly the configured share of its maximum', () => {
    const zt = flatThreshold('tanh', 0.02);
    assert.ok(Math.abs((1 - Math.tanh(zt) ** 2) - 0.02) < 1e-9);
    const zs = flatThreshold('sigmoid', 0.02);
    const s = 1 / (1 + Math.exp(-zs));
    assert.ok(Math.abs(s * (1 - s) / 0.25 - 0.02) < 1e-9);
    assert.ok(zt > 2.6 && zt < 2.7 && zs > 5.2 && zs < 5.4, `${zt} ${zs}`);
  });
});

// ---- histograms ----------------------------------------------------------------------------------

describe('histograms', () => {
  test('log10 gradient-norm histogram: zeros and non-finite values counted apart, out-of-range values clamped', () => {
    const edges = gradNormEdges();
    assert.equal(edges.length - 1, 56);
    assert.ok(Math.abs(edges[0] - 1e-10) < 1e-22 && Math.abs(edges[56] - 1e4) < 1e-8);
    const h = logHistogram([0, 0, 0, 1e-3, 1e-3, 2e-3, Number.NaN, Infinity, 1e-20, 1e9], edges);
    assert.equal(h.zeros, 3);
    assert.equal(h.nonFinite, 2);
    assert.equal(h.clamped, 2);
    assert.equal(h.counts.reduce((a, b) => a + b, 0), 5); // 3 in range + 2 clamped
    // 1e-3 sits at log10 = -3: bin (−3 − (−10)) × 4 = 28
    assert.equal(h.counts[28], 2); // log10 2e-3 = -2.7 → bin 29
    assert.equal(h.counts[29], 1);
    assert.equal(h.counts[0], 1);
    assert.equal(h.counts[55], 1);
    assert.equal(h.min, 0);
    assert.equal(h.max, 1e9);
  });
  test('log10 bins: a value lands in the bin whose edges enclose it', () => {
    const edges = gradNormEdges();
    for (const v of [1.5e-9, 3e-5, 0.02, 0.7, 42, 9000]) {
      const h = logHistogram([v], edges);
      const b = h.counts.findIndex((c) => c === 1);
      assert.ok(edges[b] <= v && v < edges[b + 1], `${v} in [${edges[b]}, ${edges[b + 1]})`);
    }
  });
  test('linear weight histogram over fixed symmetric edges; nice ranges', () => {
    assert.equal(niceCeil(0.013), 0.02);
    assert.equal(niceCeil(0.3), 0.5);
    assert.equal(niceCeil(7), 10);
    const e = weightEdges(0.01, 0.0476);
    assert.equal(e.length, 49);
    assert.ok(Math.abs(e[0] + 0.2) < 1e-12 && Math.abs(e[48] - 0.2) < 1e-12);
    const h = linearHistogram([-0.2, 0, 0, 0.1999, 0.2, 0.5, Number.NaN], e);
    assert.equal(h.zeros, 2);
    assert.equal(h.nonFinite, 1);
    assert.equal(h.clamped, 1); // 0.5; the top edge 0.2 itself belongs to the last bin
    assert.equal(h.counts[0], 1);
    assert.equal(h.counts[47], 3);
    assert.equal(h.counts[24], 2);
  });
  test('engine: bin edges are fixed at the first probe, so frames compare over time', () => {
    const spec = specOf([{ units: 16, activation: 'relu' }]);
    const scale = (s: number) => (s === 0 ? 0.01 : 0.5);
    const { reports } = feed(spec, (s) => [layer(0, { ...healthyHidden(16), w: (i, j) => scale(s) * Math.sin(i + j) }), outputLayer(1, 16)], [0, 50]);
    assert.deepEqual(reports[1].layers[0].weights.edges, reports[0].layers[0].weights.edges);
    assert.deepEqual(reports[1].layers[0].gradNorm.edges, reports[0].layers[0].gradNorm.edges);
    assert.ok(reports[1].layers[0].weights.clamped > 0, 'weights that outgrow the first range are counted as clamped');
    assert.equal(reports[0].layers[0].gradNorm.counts.reduce((a, b) => a + b, 0) + reports[0].layers[0].gradNorm.zeros, 16, 'one gradient norm per unit');
    // numbers only: survives JSON unchanged
    assert.deepEqual(JSON.parse(JSON.stringify(reports[1])), reports[1]);
  });
});

// ---- symmetry ------------------------------------------------------------------------------------

describe('symmetry grouping', () => {
  const fanIn = 50;
  const units = 40;
  test('units equal up to float round-off (1e-6 relative) are grouped; effective width counts the groups', () => {
    const r = rng(3);
    const base = Array.from({ length: 4 }, () => Array.from({ length: fanIn + 1 }, () => r()));
    // unit j copies base[j % 4] with relative noise 1e-6
    const w = new Float32Array(fanIn * units);
    const b = new Float32Array(units);
    for (let j = 0; j < units; j++) {
      for (let i = 0; i < fanIn; i++) w[i * units + j] = base[j % 4][i] * (1 + 1e-6 * r());
      b[j] = base[j % 4][fanIn] * (1 + 1e-6 * r());
    }
    const g = groupUnits(w, b, fanIn, units, 1e-3);
    assert.equal(g.effectiveWidth, 4);
    assert.equal(g.duplicates.length, 4);
    assert.deepEqual(g.duplicates.map((d) => d.length), [10, 10, 10, 10]);
    assert.deepEqual(g.duplicates.find((d) => d[0] === 1), [1, 5, 9, 13, 17, 21, 25, 29, 33, 37]);
  });
  test('random units are all distinct, even at small scale', () => {
    const r = rng(5);
    const w = Float32Array.from({ length: fanIn * units }, () => 0.01 * r());
    const g = groupUnits(w, new Float32Array(units), fanIn, units, 1e-3);
    assert.equal(g.effectiveWidth, units);
    assert.equal(g.duplicates.length, 0);
  });
  test('a difference in the bias alone keeps units apart', () => {
    const w = new Float32Array(fanIn * 2).fill(0.3);
    const g = groupUnits(w, Float32Array.from([0, 0.1]), fanIn, 2, 1e-3);
    assert.equal(g.effectiveWidth, 2);
  });
  test('a wide layer (784 → 1024, 3 planted copies) groups exactly the copies', () => {
    const wide = 1024;
    const r = rng(21);
    const w = Float32Array.from({ length: 784 * wide }, () => 0.05 * r());
    const copy = (from: number, to: number) => { for (let i = 0; i < 784; i++) w[i * wide + to] = w[i * wide + from] * (1 + 1e-7); };
    copy(10, 500);
    copy(10, 1000);
    copy(3, 4);
    const g = groupUnits(w, new Float32Array(wide), 784, wide, 1e-3);
    assert.equal(g.effectiveWidth, wide - 3);
    assert.deepEqual(g.duplicates, [[10, 500, 1000], [3, 4]]);
  });
  test('all-zero layer: one group', () => {
    const g = groupUnits(new Float32Array(fanIn * units), new Float32Array(units), fanIn, units, 1e-3);
    assert.equal(g.effectiveWidth, 1);
    assert.equal(g.duplicates[0].length, units);
  });
});

// ---- hysteresis ----------------------------------------------------------------------------------

describe('hysteresis: a finding shows only after two consecutive probes and is withdrawn when it stops holding', () => {
  const spec = specOf([{ units: 20, activation: 'relu' }]);
  // units 0-9 dead on the probes listed in `deadAt`
  const make = (deadAt: number[]) => (s: number) => [
    layer(0, { ...healthyHidden(20), z: (e, j) => (deadAt.includes(s) && j < 10 ? -1 : Math.sin(e + j) + 1.5) }),
    outputLayer(1, 20),
  ];
  test('a one-probe blip never shows', () => {
    const { reports } = feed(spec, make([50]), [0, 50, 100, 150]);
    for (const r of reports) assert.equal(find(r.findings, 'dead-units'), undefined, `step ${r.step}`);
  });
  test('shown from the second consecutive probe, firstStep = the first of them, withdrawn after', () => {
    const { reports } = feed(spec, make([50, 100, 150]), [0, 50, 100, 150, 200]);
    assert.equal(find(reports[1].findings, 'dead-units'), undefined);
    const f = find(reports[2].findings, 'dead-units', 0)!;
    assert.ok(f, 'shown at step 100');
    assert.equal(f.firstStep, 50);
    assert.equal(f.lastStep, 100);
    assert.deepEqual(f.units, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(find(reports[3].findings, 'dead-units')!.firstStep, 50);
    assert.equal(find(reports[4].findings, 'dead-units'), undefined, 'withdrawn at step 200');
  });
});

// ---- detectors -----------------------------------------------------------------------------------

describe('dead-units', () => {
  const spec = specOf([{ units: 10, activation: 'relu' }]);
  const run = (activeOn: (e: number, j: number) => boolean) =>
    feed(spec, () => [layer(0, { ...healthyHidden(10), z: (e, j) => (activeOn(e, j) ? 1 : -1) }), outputLayer(1, 10)], [0, 50]).last.findings;
  test('a unit active on < 1% of probe inputs is dead; on >= 1% it is alive', () => {
    // N = 64 examples: active on 0 → dead; on 1 (1.6%) → alive
    const fs = run((e, j) => (j === 3 ? false : j === 4 ? e === 0 : true));
    const f = find(fs, 'dead-units', 0)!;
    assert.deepEqual(f.units, [3]);
    assert.equal(f.severity, 'info');
    assert.equal(f.evidence.share, 0.1);
  });
  test('severity: >= 20% of the layer is a warning, >= 50% an error (SageMaker flags a layer at 50%)', () => {
    assert.equal(find(run((_, j) => j >= 2), 'dead-units')!.severity, 'warning');
    assert.equal(find(run((_, j) => j >= 5), 'dead-units')!.severity, 'error');
  });
  test('the threshold is overridable by name', () => {
    const fs = feed(spec, () => [layer(0, { ...healthyHidden(10), z: (e, j) => (j === 0 && e > 5 ? -1 : 1) }), outputLayer(1, 10)], [0, 50], () => ({}), { deadActiveShare: 0.2 }).last.findings;
    assert.deepEqual(find(fs, 'dead-units')!.units, [0]);
  });
  test('sigmoid and tanh units cannot be dead', () => {
    for (const a of ['sigmoid', 'tanh'] as const) {
      const s = specOf([{ units: 10, activation: a }]);
      const fs = feed(s, () => [layer(0, { ...healthyHidden(10, a), z: () => 0 }), outputLayer(1, 10)], [0, 50]).last.findings;
      assert.equal(find(fs, 'dead-units'), undefined, a);
    }
  });
});

describe('zero-gradient', () => {
  const spec = specOf([{ units: 10, activation: 'relu' }]);
  test('exactly zero kernel gradient → error naming the cause; 1e-30 is not zero (it is vanishing)', () => {
    const zero = feed(spec, () => [layer(0, { ...healthyHidden(10), g: () => 0 }), outputLayer(1, 10)], [0, 50]).last.findings;
    const f = find(zero, 'zero-gradient', 0)!;
    assert.equal(f.severity, 'error');
    assert.equal(f.evidence.nonZeroGradients, 0);
    assert.equal(find(zero, 'vanishing-gradient', 0), undefined);
    const tiny = feed(spec, () => [layer(0, { ...healthyHidden(10), g: () => 1e-30 }), outputLayer(1, 10)], [0, 50]).last.findings;
    assert.equal(find(tiny, 'zero-gradient'), undefined);
    assert.ok(find(tiny, 'vanishing-gradient', 0));
  });
  test('cause: the previous layer outputs only zeros', () => {
    const fs = feed(spec, () => [layer(0, { ...healthyHidden(10), z: () => -1, g: () => 0 }), outputLayer(1, 10, { g: () => 0 })], [0, 50]).last.findings;
    assert.equal(find(fs, 'zero-gradient', 1)!.evidence.cause, 'inputs-zero');
    assert.equal(find(fs, 'zero-gradient', 0)!.evidence.cause, 'relu-inactive');
  });
});

describe('symmetric-units', () => {
  test('identical hidden units → error with the effective width; the output layer is never reported', () => {
    const spec = specOf([{ units: 12, activation: 'sigmoid' }]);
    const fs = feed(spec, () => [
      layer(0, { ...healthyHidden(12, 'sigmoid'), w: (i) => 0.01 * Math.cos(i) * (1 + 1e-7 * Math.sin(i)), b: () => 0.02 }),
      outputLayer(1, 12, { w: () => 0 }),
    ], [0, 50]).last;
    const f = find(fs.findings, 'symmetric-units', 0)!;
    assert.equal(f.severity, 'error');
    assert.equal(f.evidence.effectiveWidth, 1);
    assert.equal(fs.layers[0].effectiveWidth, 1);
    assert.equal(fs.layers[1].effectiveWidth, 1);
    assert.equal(find(fs.findings, 'symmetric-units', 1), undefined);
  });
  test('a few duplicated units → warning, units listed', () => {
    const spec = specOf([{ units: 12, activation: 'relu' }]);
    const r = rng(9);
    const cols = Array.from({ length: 12 }, () => Array.from({ length: 784 }, () => 0.05 * r()));
    cols[7] = cols[2];
    const fs = feed(spec, () => [layer(0, { ...healthyHidden(12), w: (i, j) => cols[j][i] }), outputLayer(1, 12)], [0, 50]).last.findings;
    const f = find(fs, 'symmetric-units', 0)!;
    assert.equal(f.severity, 'warning');
    assert.deepEqual(f.units, [2, 7]);
    assert.equal(f.evidence.effectiveWidth, 11);
  });
});

describe('vanishing-gradient', () => {
  const spec = specOf([{ units: 8, activation: 'sigmoid' }, { units: 8, activation: 'sigmoid' }]);
  const make = (g0: number) => () => [
    layer(0, { ...healthyHidden(8, 'sigmoid'), g: () => g0 }),
    layer(1, { units: 8, fanIn: 8, activation: 'sigmoid', g: () => 1e-3 }),
    outputLayer(2, 8, { g: () => 1e-2 }),
  ];
  test('mean |g| three orders of magnitude below the output layer\'s → warning; two orders → nothing', () => {
    const f = find(feed(spec, make(5e-6), [0, 50]).last.findings, 'vanishing-gradient', 0)!;
    assert.ok(f);
    assert.ok(Math.abs((f.evidence.ratioToOutput as number) - 5e-4) < 1e-6);
    assert.equal(find(feed(spec, make(5e-4), [0, 50]).last.findings, 'vanishing-gradient'), undefined);
  });
});

describe('saturated-units', () => {
  const spec = specOf([{ units: 10, activation: 'tanh' }]);
  const run = (z: (e: number, j: number) => number, a: Activation = 'tanh') =>
    feed(specOf([{ units: 10, activation: a }]), () => [layer(0, { ...healthyHidden(10, a), z }), outputLayer(1, 10)], [0, 50]).last;
  test('tanh units flat (|z| > 2.64) on most inputs → warning with the share', () => {
    const r = run((e) => (e % 4 === 0 ? 0.5 : 8 * (e % 2 ? 1 : -1)));
    const f = find(r.findings, 'saturated-units', 0)!;
    assert.equal(f.units!.length, 10);
    assert.equal(f.evidence.flatShare, 0.75);
    assert.ok(r.layers[0].activity.every((a) => a === 0.25));
  });
  test('flat on under half the inputs → not saturated; sigmoid at z = 4 is not flat (its edge is 5.29)', () => {
    assert.equal(find(run((e) => (e % 2 ? 0.5 : 8)).findings, 'saturated-units'), undefined);
    assert.equal(find(run(() => 4, 'sigmoid').findings, 'saturated-units'), undefined);
    assert.ok(find(run(() => 6, 'sigmoid').findings, 'saturated-units'));
  });
  test('saturated from the start → initializer fix; saturated later in training → learning-rate fix first', () => {
    const fromStart = find(run((e) => (e % 4 === 0 ? 0.5 : 8)).findings, 'saturated-units')!;
    assert.equal(fromStart.evidence.saturatedFromStart, true);
    assert.equal(fromStart.fixes[0].kind, 'initializer');
    const later = feed(spec, (st) => [layer(0, { ...healthyHidden(10, 'tanh'), z: (e) => (st === 0 ? 0.5 : 8 * (e % 2 ? 1 : -1)) }), outputLayer(1, 10)], [0, 50, 100]).last.findings;
    const f = find(later, 'saturated-units', 0)!;
    assert.equal(f.evidence.saturatedFromStart, false);
    assert.equal(f.fixes[0].kind, 'learningRate');
    assert.match(f.message, /during training/);
  });
});

describe('non-finite and exploding', () => {
  const spec = specOf([{ units: 10, activation: 'relu' }]);
  test('a NaN weight → non-finite on that layer, and its other checks are suspended', () => {
    const r = feed(spec, () => [layer(0, { ...healthyHidden(10), w: (i, j) => (i === 3 && j === 2 ? Number.NaN : 0), g: () => 0, z: () => -1 }), outputLayer(1, 10)], [0, 50]).last;
    assert.deepEqual(codes(r.findings).filter((c) => c.endsWith('@0')), ['non-finite@0']);
    assert.equal(find(r.findings, 'non-finite', 0)!.evidence.weights, 1);
    assert.equal(r.layers[0].weights.nonFinite, 1);
  });
  test('a NaN loss → non-finite for the model', () => {
    const fs = feed(spec, () => [layer(0, healthyHidden(10)), outputLayer(1, 10)], [0, 50, 100], (s) => (s > 0 ? { loss: Number.NaN, recentLosses: [1, Number.NaN] } : {})).last.findings;
    assert.ok(find(fs, 'non-finite', -1));
  });
  test('loss spikes above 10× its start, or stays above 3× it → exploding-gradient with a smaller learning rate as fix', () => {
    const spike = feed(spec, () => [layer(0, healthyHidden(10)), outputLayer(1, 10)], [0, 50, 100], (s) => ({ loss: 2.3, recentLosses: s ? [2, 2, 400, 2] : [] })).last.findings;
    const f = find(spike, 'exploding-gradient', -1)!;
    assert.ok(f);
    assert.deepEqual(f.fixes[0], { kind: 'learningRate', value: 0.05, label: 'Lower the learning rate from 0.5 to 0.05' });
    const sustained = feed(spec, () => [layer(0, healthyHidden(10)), outputLayer(1, 10)], [0, 50, 100], (s) => ({ loss: 2.3, recentLosses: s ? [15, 16, 14] : [] })).last.findings;
    assert.ok(find(sustained, 'exploding-gradient', -1));
    const fine = feed(spec, () => [layer(0, healthyHidden(10)), outputLayer(1, 10)], [0, 50, 100], (s) => ({ loss: 2.3, recentLosses: s ? [2.2, 1.9, 2.5] : [] })).last.findings;
    assert.equal(find(fine, 'exploding-gradient'), undefined);
  });
});

describe('loss-plateau', () => {
  const spec = specOf([{ units: 10, activation: 'relu' }]);
  const flat = (level: number) => (s: number) => ({ recentLosses: s ? Array.from({ length: 50 }, (_, k) => level + 0.01 * Math.sin(k)) : [] });
  test('flat loss above half of chance level over 200 steps → warning (from the probe that completes the window, confirmed at the next)', () => {
    const { reports } = feed(spec, () => [layer(0, healthyHidden(10)), outputLayer(1, 10)], [0, 50, 100, 150, 200, 250], flat(2.29));
    assert.equal(find(reports[4].findings, 'loss-plateau'), undefined);
    const f = find(reports[5].findings, 'loss-plateau', -1)!;
    assert.ok(f);
    assert.equal(f.firstStep, 200);
  });
  test('a converged (low) loss is not a plateau; a steadily falling one is not either', () => {
    const low = feed(spec, () => [layer(0, healthyHidden(10)), outputLayer(1, 10)], [0, 50, 100, 150, 200, 250], flat(0.2)).last.findings;
    assert.equal(find(low, 'loss-plateau'), undefined);
    const falling = feed(spec, () => [layer(0, healthyHidden(10)), outputLayer(1, 10)], [0, 50, 100, 150, 200, 250],
      (s) => ({ recentLosses: Array.from({ length: s ? 50 : 0 }, (_, k) => 2.3 * Math.exp(-(s - 50 + k) / 300)) })).last.findings;
    assert.equal(find(falling, 'loss-plateau'), undefined);
  });
  test('not reported while a root cause (here zero-gradient and dead units) explains it', () => {
    const fs = feed(spec, () => [layer(0, { ...healthyHidden(10), z: () => -1, g: () => 0 }), outputLayer(1, 10, { g: () => 0 })], [0, 50, 100, 150, 200, 250], flat(2.29)).last.findings;
    assert.ok(find(fs, 'dead-units'));
    assert.equal(find(fs, 'loss-plateau'), undefined);
  });
});

describe('collapsed-output', () => {
  const spec = specOf([{ units: 10, activation: 'relu' }]);
  const end = (steps: number): EndEvent => ({ type: 'end', steps, stopped: false, testAccuracy: 0.1135, testLoss: 2.30, trainMs: 1, probeMs: 0, evalMs: 0 });
  const evalOf = (counts: number[], acc: number): EvalEvent => ({ type: 'eval', step: 100, testLoss: 2.3, testAccuracy: acc, predictedCounts: counts, testExamples: 10000, final: true });
  test('every test prediction is class 1 → error with the class, its training prior and its test share (= the accuracy)', () => {
    const { engine } = feed(spec, () => [layer(0, healthyHidden(10)), outputLayer(1, 10)], [0, 50, 100]);
    const fs = engine.onEnd(end(100), evalOf([0, 10000, 0, 0, 0, 0, 0, 0, 0, 0], 0.1135));
    const f = find(fs, 'collapsed-output', -1)!;
    assert.equal(f.severity, 'error');
    assert.equal(f.evidence.class, 1);
    assert.equal(f.evidence.predictedShare, 1);
    assert.equal(f.evidence.testShare, 0.1135);
    assert.equal(f.evidence.trainPrior, PRIOR[1]);
    assert.match(f.message, /digit 1 for 100\.0% of the 10000 test images/);
    assert.match(f.message, /11\.35% of the test set/);
  });
  test('92% one class → collapsed (test share from options); spread predictions → not', () => {
    const engine = createDiagnosticsEngine({ testClassPrior: [0.098, 0.1135, 0.1032, 0.101, 0.0982, 0.0892, 0.0958, 0.1028, 0.0974, 0.1009] });
    engine.onProbe(probe(0, [layer(0, healthyHidden(10)), outputLayer(1, 10)], spec));
    const f = find(engine.onEnd(end(100), evalOf([200, 100, 9200, 100, 100, 100, 50, 50, 50, 50], 0.15)), 'collapsed-output')!;
    assert.equal(f.evidence.class, 2);
    assert.equal(f.evidence.testShare, 0.1032);
    assert.equal(find(engine.onEnd(end(100), evalOf([1000, 1100, 1000, 1000, 1000, 900, 1000, 1000, 1000, 1000], 0.9)), 'collapsed-output'), undefined);
  });
  test('live: the probe batch all predicted as one class on two probes → shown during training (not at step 0)', () => {
    const { reports } = feed(spec, () => [layer(0, healthyHidden(10)), outputLayer(1, 10, { z: (_, j) => (j === 7 ? 5 : 0) })], [0, 50, 100]);
    assert.equal(find(reports[1].findings, 'collapsed-output'), undefined);
    assert.equal(find(reports[2].findings, 'collapsed-output')!.evidence.class, 7);
    assert.equal(reports[2].layers[1].activity[7], 1);
  });
});

describe('poor-init-scale (measured at step 0)', () => {
  test('N(0, 1) at fan-in 784 is ~20× too large; U(−0.01, 0.01) hidden is fine; a tiny output layer is fine', () => {
    const spec = specOf([{ units: 10, activation: 'tanh' }]);
    const r = rng(11);
    const gauss = () => { let s = 0; for (let k = 0; k < 12; k++) s += (r() + 1) / 2; return s - 6; };
    const big = feed(spec, () => [layer(0, { ...healthyHidden(10, 'tanh'), w: () => gauss() }), outputLayer(1, 10, { w: () => 0.001 * r() })], [0]).last.findings;
    const f = find(big, 'poor-init-scale', 0)!;
    assert.ok(f, JSON.stringify(codes(big)));
    assert.ok((f.evidence.ratio as number) > 15 && (f.evidence.ratio as number) < 25);
    assert.equal(f.firstStep, 0);
    assert.equal(find(big, 'poor-init-scale', 1), undefined);
    const fine = feed(spec, () => [layer(0, { ...healthyHidden(10, 'tanh'), w: () => 0.01 * r() }), outputLayer(1, 10)], [0]).last.findings;
    assert.equal(find(fine, 'poor-init-scale'), undefined);
  });
});

describe('input checks', () => {
  test('a probe whose arrays do not match its shapes is refused with the field named', () => {
    const spec = specOf([{ units: 10, activation: 'relu' }]);
    const l0 = layer(0, healthyHidden(10));
    const bad = { ...l0, weightGrad: new Float32Array(5) };
    const engine = createDiagnosticsEngine();
    assert.throws(() => engine.onProbe(probe(0, [bad, outputLayer(1, 10)], spec)), (e: unknown) => e instanceof DiagnosticsInputError && /layers\[0\]\.weightGrad has 5 values, expected 7840/.test(e.message));
    assert.throws(() => engine.onProbe(probe(0, [l0], spec)), /probe has 1 layers but the spec has 2/);
  });
});

describe('end of run', () => {
  test('onEnd works without any probe (probing off): the final collapse check still runs', () => {
    const engine = createDiagnosticsEngine();
    const fs = engine.onEnd(
      { type: 'end', steps: 10, stopped: true, testAccuracy: 0.098, testLoss: 2.3, trainMs: 1, probeMs: 0, evalMs: 0 },
      { type: 'eval', step: 10, testLoss: 2.3, testAccuracy: 0.098, predictedCounts: [10000, 0, 0, 0, 0, 0, 0, 0, 0, 0], testExamples: 10000, final: true },
    );
    assert.deepEqual(codes(fs), ['collapsed-output@-1']);
    assert.equal(fs[0].evidence.testShare, 0.098);
    // Without a probe the engine has no spec, so it can make no fix that applies: none is offered (it used to offer
    // "Lower the learning rate from 0 to 0", which applyFix refuses).
    assert.deepEqual(fs[0].fixes, []);
  });
  test('a NaN test loss → non-finite, and no collapse verdict on NaN outputs; evidence stays JSON-safe', () => {
    const engine = createDiagnosticsEngine();
    const fs = engine.onEnd(
      { type: 'end', steps: 10, stopped: false, testAccuracy: 0.098, testLoss: Number.NaN, trainMs: 1, probeMs: 0, evalMs: 0 },
      { type: 'eval', step: 10, testLoss: Number.NaN, testAccuracy: 0.098, predictedCounts: [10000, 0, 0, 0, 0, 0, 0, 0, 0, 0], testExamples: 10000, final: true },
    );
    assert.deepEqual(codes(fs), ['non-finite@-1']);
    assert.deepEqual(JSON.parse(JSON.stringify(fs)), fs);
  });
  test('vanishing evidence with a zero output gradient stays JSON-safe', () => {
    const spec = specOf([{ units: 8, activation: 'sigmoid' }]);
    const fs = feed(spec, () => [layer(0, { ...healthyHidden(8, 'sigmoid'), g: () => 1e-9 }), outputLayer(1, 8, { g: () => 0 })], [0, 50]).last.findings;
    const v = find(fs, 'vanishing-gradient', 0)!;
    assert.equal(v.evidence.ratioToOutput, 'NaN');
    assert.deepEqual(JSON.parse(JSON.stringify(fs)), fs);
  });
});

describe('docs/findings.md', () => {
  test('has an anchored section for every finding code and names every threshold', () => {
    const md = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'findings.md'), 'utf8');
    for (const code of FINDING_CODES) {
      assert.ok(md.includes(`<a id="${code}"></a>\n## ${code}\n`), `section for ${code}`);
    }
    for (const name of Object.keys(THRESHOLDS)) assert.ok(md.includes(`\`${name}\``), `threshold ${name} documented`);
  });
});

// ---- issue 14: the two blind spots, tested as classes (generated cases) ----------------------------

describe('exploding-gradient from the per-step loss trace, whenever the spike happened', () => {
  const spec = specOf([{ units: 10, activation: 'relu' }]);
  const STEPS = [0, 50, 100, 150, 200, 250, 300, 350, 400, 450, 500];
  /** Per-step losses: flat near chance (a plateau if nothing else happened), with an optional spike at `at`. */
  const trace = (at: number | undefined, height: number, after: number) => (s: number) => ({
    loss: 2.3,
    recentLosses: s === 0 ? [] : Array.from({ length: 50 }, (_, k) => {
      const step = s - 50 + k + 1;
      if (at !== undefined && step === at) return height;
      return at !== undefined && step > at ? after + 0.01 * Math.sin(step) : 2.29 + 0.01 * Math.sin(step);
    }),
  });
  const r = rng(1414);
  const cases = Array.from({ length: 120 }, (_, i) => ({
    at: 1 + Math.floor(((r() + 1) / 2) * 480),
    height: 2.3 * 10 ** (1.05 + ((r() + 1) / 2) * 2.5), // 11× to 3500× the start
    after: i % 3 === 0 ? 2.3 : i % 3 === 1 ? 1.0 : 2.9, // settles at chance, recovers, or stays a bit above
  }));
  test(`${cases.length} generated spikes (step 1–480, 11×–3500× the start, then settling): reported from the first probe after the spike with spikeStep and firstStep = that step; no loss-plateau from then on`, () => {
    for (const c of cases) {
      const { reports } = feed(spec, () => [layer(0, healthyHidden(10)), outputLayer(1, 10)], STEPS, trace(c.at, c.height, c.after));
      for (const rep of reports) {
        const f = find(rep.findings, 'exploding-gradient', -1);
        const label = `spike ${c.height.toPrecision(3)} at step ${c.at}, probe ${rep.step}`;
        if (rep.step < c.at) {
          assert.equal(f, undefined, label);
        } else {
          assert.ok(f, `${label}: ${codes(rep.findings)}`);
          assert.equal(f.evidence.spikeStep, c.at, label);
          assert.equal(f.firstStep, c.at, label);
          assert.notEqual(f.severity, 'info');
          assert.ok(f.fixes.every((x) => x.kind !== 'learningRate' || x.value < 0.5), `${label}: ${f.fixes.map((x) => x.label)}`);
        }
        if (rep.step >= c.at) assert.equal(find(rep.findings, 'loss-plateau'), undefined, `${label}: no plateau after a spike`);
      }
    }
  });
  test('controls: the same flat trace without a spike is a plateau; spikes of up to 9× the start never are a blow-up (60 generated)', () => {
    const plain = feed(spec, () => [layer(0, healthyHidden(10)), outputLayer(1, 10)], STEPS, trace(undefined, 0, 0)).last.findings;
    assert.ok(find(plain, 'loss-plateau', -1), 'the plateau detector still sees a flat loss');
    for (let i = 0; i < 60; i++) {
      const at = 1 + Math.floor(((r() + 1) / 2) * 480);
      const height = 2.3 * (1.5 + ((r() + 1) / 2) * 7.5);
      const fs = feed(spec, () => [layer(0, healthyHidden(10)), outputLayer(1, 10)], STEPS, trace(at, height, 1.0)).last.findings;
      assert.equal(find(fs, 'exploding-gradient'), undefined, `a bump to ${height.toPrecision(3)} at ${at} is not a blow-up`);
    }
  });
});

describe('dead-units: elu / selu units stuck on their flat negative side (generated layers)', () => {
  const EDGE = -flatThreshold('elu', THRESHOLDS.saturationDerivativeShare); // ln 0.02 ≈ −3.9
  test('the flat edge is where the slope is 2% of its maximum, for elu and selu alike', () => {
    assert.ok(Math.abs(Math.exp(EDGE) - 0.02) < 1e-12);
    assert.equal(flatThreshold('selu', 0.02), flatThreshold('elu', 0.02));
  });
  const r = rng(2024);
  for (const activation of ['elu', 'selu'] as Activation[]) {
    test(`${activation}: 40 generated layers; units far below the edge on ≥ 99% of inputs are dead, units that cross it (or only dip below 0) are not`, () => {
      for (let c = 0; c < 40; c++) {
        const units = 8 + Math.floor(((r() + 1) / 2) * 56);
        const kind = Array.from({ length: units }, () => Math.floor(((r() + 1) / 2) * 3)); // 0 stuck, 1 negative but not flat, 2 crosses the edge on a few inputs
        const depth = Array.from({ length: units }, () => -4 - ((r() + 1) / 2) * 36); // −4 … −40 (the units sat at −33)
        const z = (e: number, j: number): number => {
          if (kind[j] === 0) return depth[j] + 0.01 * Math.sin(e + j);
          if (kind[j] === 1) return EDGE + 0.5 + 2 * Math.abs(Math.sin(e * 0.7 + j)); // in (−3.4, 0): negative, slope ≥ 3%
          return e < 2 ? 1.0 : depth[j]; // above the edge on 2 of 64 inputs (3%)
        };
        const s = specOf([{ units, activation }]);
        const { last } = feed(s, () => [layer(0, { ...healthyHidden(units, activation), z }), outputLayer(1, units)], [0, 50]);
        const expected = kind.flatMap((k, j) => (k === 0 ? [j] : []));
        const d = find(last.findings, 'dead-units', 0);
        if (expected.length === 0) {
          assert.equal(d, undefined);
          continue;
        }
        assert.ok(d, `case ${c}: ${expected.length} stuck units not reported`);
        assert.deepEqual(d.units, expected, `case ${c}`);
        assert.match(d.message, new RegExp(`${activation}'s flat negative region`));
        assert.equal(d.evidence.flatPreActivation, EDGE);
      }
    });
  }
  test('leaky relu units never count as dead, however negative (generated)', () => {
    for (let c = 0; c < 10; c++) {
      const s = specOf([{ units: 16, activation: 'leakyRelu' }]);
      const { last } = feed(s, () => [layer(0, { ...healthyHidden(16, 'leakyRelu'), z: (e, j) => -5 - 30 * Math.abs(Math.sin(e + j + c)) }), outputLayer(1, 16)], [0, 50]);
      assert.equal(find(last.findings, 'dead-units'), undefined);
    }
  });
});

describe('symmetric-units judged per pair, relative to the two units\' own scale (generated layers)', () => {
  const r = rng(77);
  const scaleOf = (): number => 10 ** (-6 + ((r() + 1) / 2) * 25); // 1e-6 … 1e19
  test('200 generated layers: units at scales from 1e-6 to 1e19 (some exploded) are all distinct unless planted as copies (relative noise 1e-6); copies are found exactly', () => {
    for (let c = 0; c < 200; c++) {
      const fanIn = 4 + Math.floor(((r() + 1) / 2) * 60);
      const units = 4 + Math.floor(((r() + 1) / 2) * 60);
      const w = new Float32Array(fanIn * units);
      const b = new Float32Array(units);
      const source = new Int32Array(units).fill(-1);
      for (let j = 0; j < units; j++) {
        const planted = j > 0 && r() > 0.6;
        const from = planted ? Math.floor(((r() + 1) / 2) * j) : -1;
        const root = from >= 0 ? (source[from] >= 0 ? source[from] : from) : -1;
        source[j] = root;
        const sc = scaleOf();
        for (let i = 0; i <= fanIn; i++) {
          const v = root >= 0 ? (i < fanIn ? w[i * units + root] : b[root]) * (1 + 1e-6 * r()) : sc * r();
          if (i < fanIn) w[i * units + j] = v; else b[j] = v;
        }
      }
      const g = groupUnits(w, b, fanIn, units, THRESHOLDS.symmetryRelTolerance);
      const groups = new Map<number, number[]>();
      for (let j = 0; j < units; j++) {
        const root = source[j] >= 0 ? source[j] : j;
        groups.set(root, [...(groups.get(root) ?? []), j]);
      }
      const want = [...groups.values()].filter((m) => m.length > 1).sort((a, b2) => b2.length - a.length || a[0] - b2[0]);
      assert.equal(g.effectiveWidth, groups.size, `case ${c}`);
      assert.deepEqual(g.duplicates, want, `case ${c}`);
    }
  });
  test('the issue\'s case: one unit of 128 exploded to ~1e19 leaves the other 127 distinct (not "127 identical")', () => {
    for (let c = 0; c < 20; c++) {
      const fanIn = 784;
      const units = 128;
      const w = Float32Array.from({ length: fanIn * units }, () => 0.05 * r());
      const hot = Math.floor(((r() + 1) / 2) * units);
      for (let i = 0; i < fanIn; i++) w[i * units + hot] = 1e19 * (1 + 0.5 * r());
      const g = groupUnits(w, new Float32Array(units), fanIn, units, THRESHOLDS.symmetryRelTolerance);
      assert.equal(g.effectiveWidth, units, `case ${c}`);
    }
  });
  test('sub-quadratic: 4096 distinct units with scales spread over 25 orders of magnitude take fewer than 8 × 4096 pair comparisons (all pairs: 8.4 million)', () => {
    const fanIn = 16;
    const units = 4096;
    const w = new Float32Array(fanIn * units);
    for (let j = 0; j < units; j++) {
      const sc = scaleOf();
      for (let i = 0; i < fanIn; i++) w[i * units + j] = sc * r();
    }
    const stats = { comparisons: 0 };
    const g = groupUnits(w, new Float32Array(units), fanIn, units, THRESHOLDS.symmetryRelTolerance, stats);
    assert.equal(g.effectiveWidth, units);
    assert.ok(stats.comparisons < 8 * units, `${stats.comparisons} comparisons`);
    // and a layer of identical units costs one comparison per unit
    const same = new Float32Array(fanIn * units).fill(0.25);
    const s2 = { comparisons: 0 };
    assert.equal(groupUnits(same, new Float32Array(units), fanIn, units, 1e-3, s2).effectiveWidth, 1);
    assert.ok(s2.comparisons <= units, `${s2.comparisons} comparisons`);
  });
});
