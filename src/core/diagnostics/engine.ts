// The diagnostics engine: fed every probe (step 0, then every probeEvery steps), it measures each
// layer on the fixed probe batch, runs one detector per finding code, and keeps only findings that
// held on two consecutive probes (a transient blip early in training never reaches the screen; a
// finding that stops holding is withdrawn). Histograms use bin edges fixed at the first probe.
import type { EndEvent, EvalEvent, LayerProbe, ProbeData } from '../events';
import type { Finding, Fix } from '../findings';
import { SEVERITY_ORDER } from '../findings';
import type { ModelSpec } from '../spec';
import type { DiagnosticsEngine, DiagnosticsOptions, LayerReport, ProbeReport } from './types';
import { resolveThresholds, type Thresholds } from './thresholds';
import { computeLayerStats, type LayerStats } from './layerStats';
import { DETECTORS, collapsedFinding, type DetectorContext } from './detectors';
import { gradNormEdges, linearHistogram, logHistogram, weightEdges } from './histograms';
import { checkInitScale, referenceScales } from './initScale';
import { initScaleFinding, staticFindings } from './static';
import { dedupeFixes, lowerRateFix } from './fixes';
import { attributeUpstream, completeFixes } from './causes';
import { createProgramTracker, type ProgramTracker } from './programRun';

/** Findings that explain a stuck loss by themselves; while one holds, loss-plateau is not reported separately. */
const ROOT_CAUSES = new Set(['dead-units', 'zero-gradient', 'symmetric-units', 'vanishing-gradient', 'saturated-units', 'non-finite', 'exploding-gradient']);

export class DiagnosticsInputError extends Error {
  constructor(message: string) {
    super(`diagnostics: ${message}`);
    this.name = 'DiagnosticsInputError';
  }
}

/** Losses kept for the plateau window (older ones are dropped). */
const MAX_LOSS_HISTORY = 100_000;

function checkProbe(p: ProbeData): void {
  if (!p || !Array.isArray(p.layers) || p.layers.length === 0) throw new DiagnosticsInputError('probe has no layers');
  if (!p.spec || p.spec.layers.length !== p.layers.length) throw new DiagnosticsInputError(`probe has ${p.layers.length} layers but the spec has ${p.spec?.layers.length}`);
  const n = p.examples;
  p.layers.forEach((l: LayerProbe, i) => {
    const size = (name: string, arr: ArrayLike<number>, want: number): void => {
      if (!arr || arr.length !== want) throw new DiagnosticsInputError(`layers[${i}].${name} has ${arr?.length} values, expected ${want}`);
    };
    size('weights', l.weights, l.fanIn * l.units);
    size('weightGrad', l.weightGrad, l.fanIn * l.units);
    size('bias', l.bias, l.units);
    size('biasGrad', l.biasGrad, l.units);
    size('preActivations', l.preActivations, n * l.units);
    size('outputs', l.outputs, n * l.units);
  });
}

/** Evidence crosses process boundaries as JSON, where NaN and ±Infinity would turn into null: keep them as text. */
function jsonSafe(f: Finding): Finding {
  const bad = Object.values(f.evidence).some((v) => typeof v === 'number' && !Number.isFinite(v));
  if (!bad) return f;
  const evidence: Finding['evidence'] = {};
  for (const [k, v] of Object.entries(f.evidence)) evidence[k] = typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
  return { ...f, evidence };
}

function sortFindings(fs: Finding[]): Finding[] {
  return fs.map(jsonSafe).sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.layer - b.layer || a.code.localeCompare(b.code));
}

const keyOf = (f: { code: string; layer: number }): string => `${f.code}@${f.layer}`;

export function createDiagnosticsEngine(options: DiagnosticsOptions = {}): DiagnosticsEngine {
  const t: Thresholds = resolveThresholds(options.thresholds);
  let spec: ModelSpec | undefined;
  let weightEdgesByLayer: number[][] = [];
  const gradEdges = gradNormEdges();
  let initialLoss = Number.NaN;
  let losses: number[] = [];
  let lowestIntervalMean = Infinity;
  let peakLoss: { loss: number; step: number } | undefined;
  const initialDead = new Map<number, number>();
  const initialWidth = new Map<number, number>();
  const initialSaturated = new Map<number, number>();
  let initFindings: Finding[] = [];
  /** Findings that held on the previous probe, with the step their streak began. */
  let streaks = new Map<string, number>();
  let shown: Finding[] = [];
  let lastStep = -1;
  let classPrior: number[] = [];

  let program: ProgramTracker | undefined;
  let lastStats: LayerStats[] = [];
  let probeExamples = 0;
  /** The findings that held at the latest probe, before finish() (onEnd starts again from them). */
  let lastRaw: Finding[] = [];

  /**
   * Causes before symptoms. In order: a layer whose inputs are blank names the upstream layer and offers nothing
   * (causes.ts); a cause spanning several layers offers one complete fix; the program's causes (programRun.ts) are
   * added, and the symptoms they explain name them and offer their cures; a plateau is dropped while a root cause
   * holds; collapsed output offers the fixes of the root causes that hold.
   */
  const finish = (raw: Finding[], final?: { testAccuracy: number; testLoss: number }): Finding[] => {
    const s = spec!;
    let fs = attributeUpstream(raw, lastStats, s, probeExamples);
    fs = completeFixes(fs, s);
    const causes = program ? program.findings(lastStep, final) : [];
    if (program) fs = program.attribute(fs);
    if (final && program?.trainsWell(final)) {
      fs = fs.map((f) => (f.code === 'poor-init-scale' && f.severity === 'warning'
        ? { ...f, severity: 'info', message: `${f.message} This run trained well anyway (test accuracy ${(final.testAccuracy * 100).toFixed(1)}%), so here it did no lasting harm.` }
        : f));
    }
    const roots = fs.filter((f) => ROOT_CAUSES.has(f.code) && f.severity !== 'info');
    let out = roots.length > 0 ? fs.filter((f) => f.code !== 'loss-plateau') : fs;
    out = out.map((f) => {
      if (f.code !== 'collapsed-output' || f.fixes.length > 0 || f.evidence.causedBy !== undefined) return f;
      const inherited: Fix[] = dedupeFixes(roots.flatMap((r) => r.fixes));
      return { ...f, fixes: inherited.length > 0 ? inherited : [lowerRateFix(s)] };
    });
    return sortFindings([...out, ...causes]);
  };

  const layerReport = (s: LayerStats, l: LayerProbe): LayerReport => ({
    layer: s.layer,
    units: s.units,
    activation: s.activation,
    gradNorm: logHistogram(s.unitGradNorm, gradEdges),
    weights: linearHistogram(l.weights, weightEdgesByLayer[s.layer]),
    activity: s.activity,
    effectiveWidth: s.groups.effectiveWidth,
    meanAbsGrad: s.meanAbsGrad,
    gradNormTotal: s.gradNormTotal,
  });

  const onProbe = (p: ProbeData): ProbeReport => {
    checkProbe(p);
    const first = spec === undefined;
    spec = p.spec;
    if (first) program = createProgramTracker(p.spec, t, options.programFixes);
    probeExamples = p.examples;
    classPrior = p.classPrior;
    const L = p.layers.length;
    const stats = p.layers.map((l, i) => computeLayerStats(l, p.examples, t, i === L - 1));

    if (first) {
      weightEdgesByLayer = stats.map((s) => weightEdges(s.weightMaxAbs, referenceScales(s.fanIn, s.units).glorot));
      initialLoss = p.loss;
      stats.forEach((s) => {
        initialDead.set(s.layer, s.deadUnits.length);
        initialWidth.set(s.layer, s.groups.effectiveWidth);
        initialSaturated.set(s.layer, s.saturatedUnits.length);
      });
      // Initial scale: measured on the real initial weights when the first probe is at step 0, else from the spec.
      initFindings = p.step === 0
        ? stats.flatMap((s) => {
          const c = s.nonFinite.weights > 0 ? undefined : checkInitScale(s.layer, s.fanIn, s.units, s.weightMean, s.weightStd, s.layer === L - 1, t);
          return c ? [initScaleFinding(p.spec, c, true)] : [];
        })
        : staticFindings(p.spec, t).filter((f) => f.code === 'poor-init-scale');
    }
    for (let i = 0; i < p.recentLosses.length; i++) {
      const x = p.recentLosses[i];
      losses.push(x);
      // recentLosses are the steps since the previous probe, ending at p.step.
      if (Number.isFinite(x) && (peakLoss === undefined || x > peakLoss.loss)) peakLoss = { loss: x, step: p.step - p.recentLosses.length + i + 1 };
    }
    if (losses.length > MAX_LOSS_HISTORY) losses = losses.slice(losses.length - Math.max(MAX_LOSS_HISTORY / 2, t.plateauWindow));

    const ctx: DetectorContext = { probe: p, spec: p.spec, stats, t, initialLoss, losses, lowestIntervalMean, peakLoss, initialDead, initialWidth, initialSaturated };
    const candidates = DETECTORS.flatMap((d) => d(ctx));
    const finite = p.recentLosses.filter(Number.isFinite);
    if (finite.length > 0) lowestIntervalMean = Math.min(lowestIntervalMean, finite.reduce((a, b) => a + b, 0) / finite.length);

    const nextStreaks = new Map<string, number>();
    const confirmed: Finding[] = [];
    for (const { since: traced, ...c } of candidates) {
      const k = keyOf(c);
      const since = streaks.get(k) ?? traced;
      nextStreaks.set(k, since ?? p.step);
      // Confirmed on the second probe in a row; a fact from the loss trace (traced) at once.
      if (since !== undefined) confirmed.push({ ...c, firstStep: since, lastStep: p.step });
    }
    streaks = nextStreaks;
    lastStep = p.step;
    lastStats = stats;
    lastRaw = [...initFindings.map((f) => ({ ...f, lastStep: p.step })), ...confirmed];
    program!.observe(p.step, stats, losses, lastRaw);
    shown = finish(lastRaw);
    return { step: p.step, loss: p.loss, layers: stats.map((s, i) => layerReport(s, p.layers[i])), findings: shown };
  };

  const onEnd = (end: EndEvent, finalEval: EvalEvent | undefined): Finding[] => {
    const out = lastRaw.filter((f) => f.code !== 'collapsed-output');
    // argmax over NaN outputs means nothing: with non-finite outputs the collapse check is skipped
    const nanOutputs = !Number.isFinite(end.testLoss) || out.some((f) => f.code === 'non-finite');
    if (finalEval && finalEval.testExamples > 0 && !nanOutputs) {
      const counts = finalEval.predictedCounts;
      let cls = 0;
      for (let c = 1; c < counts.length; c++) if (counts[c] > counts[cls]) cls = c;
      const share = counts[cls] / finalEval.testExamples;
      if (share >= t.collapsedShare) {
        // The test-set share of the class: given, or exact when every prediction is that class (accuracy = its share).
        const testShare = options.testClassPrior?.[cls] ?? (counts[cls] === finalEval.testExamples ? finalEval.testAccuracy : undefined);
        const live = streaks.get(`collapsed-output@-1`);
        const f = collapsedFinding(cls, share, classPrior, testShare, finalEval.testExamples, 'test images');
        out.push({ ...f, evidence: { ...f.evidence, testAccuracy: finalEval.testAccuracy }, firstStep: live ?? finalEval.step, lastStep: finalEval.step });
      }
    }
    if (!Number.isFinite(end.testLoss) && !out.some((f) => f.code === 'non-finite')) {
      out.push({
        code: 'non-finite', severity: 'error', layer: -1, firstStep: Math.max(lastStep, 0), lastStep: end.steps,
        message: `The test loss is ${end.testLoss}: the model's outputs are NaN or infinite. Usually the learning rate is too large.`,
        evidence: { testLoss: String(end.testLoss) },
        fixes: spec ? [lowerRateFix(spec)] : [],
      });
    }
    if (!spec || !program) return sortFindings(out);
    program.observe(end.steps, lastStats, losses, out);
    const final = finalEval && finalEval.testExamples > 0 ? { testAccuracy: finalEval.testAccuracy, testLoss: end.testLoss } : undefined;
    return finish(out, final);
  };

  return { onProbe, onEnd };
}
