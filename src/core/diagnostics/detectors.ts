// One detector per finding code. Each looks at one probe (plus the loss history) and returns the
// findings that hold *on this probe*; the engine applies the two-consecutive-probes rule on top.
// Criteria and thresholds: thresholds.ts and docs/findings.md.
import type { Finding, Fix } from '../findings';
import type { ProbeData } from '../events';
import type { ModelSpec } from '../spec';
import type { LayerStats } from './layerStats';
import type { Thresholds } from './thresholds';
import { flatThreshold } from './layerStats';
import { constantValue } from './initScale';
import {
  activationFix, adamFix, biasZerosFix, dedupeFixes, kernelInitFix, layerName, learningRateFix, lowerRateFix, aboveStableRate, pct, sci,
  smallUniformFix, unitList,
} from './fixes';

export const CHANCE_LOSS = Math.log(10);

export interface DetectorContext {
  probe: ProbeData;
  spec: ModelSpec;
  stats: LayerStats[];
  t: Thresholds;
  /** Probe loss at step 0 (or the first probe). */
  initialLoss: number;
  /** Training losses so far, index k = step k + 1. */
  losses: number[];
  /** Lowest mean loss over a probe interval so far (before this probe's interval). */
  lowestIntervalMean: number;
  /** Highest finite training loss of the run so far and the step it was reached at (every step's loss counts, not only the probes'). */
  peakLoss: { loss: number; step: number } | undefined;
  /** Dead units per layer at the first probe (tells "dead from the start" apart from "died in training"). */
  initialDead: Map<number, number>;
  /** Effective width per layer at the first probe. */
  initialWidth: Map<number, number>;
  /** Saturated units per layer at the first probe. */
  initialSaturated: Map<number, number>;
}

/**
 * What a detector returns. `since`: the step the finding has held since, when the detector knows it
 * from the per-step loss trace (an exact record, not a probe's sample): such a finding is shown at
 * once, without waiting for a second probe.
 */
export type Candidate = Omit<Finding, 'firstStep' | 'lastStep'> & { since?: number };

const hidden = (ctx: DetectorContext): LayerStats[] => ctx.stats.slice(0, -1);
const usable = (s: LayerStats): boolean => !s.anyNonFinite;

export function detectNonFinite(ctx: DetectorContext): Candidate[] {
  const out: Candidate[] = [];
  const badLosses = ctx.probe.recentLosses.filter((l) => !Number.isFinite(l)).length;
  if (!Number.isFinite(ctx.probe.loss) || badLosses > 0) {
    out.push({
      code: 'non-finite', severity: 'error', layer: -1,
      message: `The loss became ${Number.isNaN(ctx.probe.loss) ? 'NaN' : ctx.probe.loss} (${badLosses} of the last ${ctx.probe.recentLosses.length} training steps had a NaN or infinite loss). Once a NaN appears it spreads to every weight it touches, and the model cannot recover. Usually the learning rate is too large.`,
      evidence: { probeLoss: String(ctx.probe.loss), nonFiniteStepLosses: badLosses, recentSteps: ctx.probe.recentLosses.length, learningRate: ctx.probe.learningRate },
      fixes: [lowerRateFix(ctx.spec)],
    });
  }
  for (const s of ctx.stats) {
    if (!s.anyNonFinite) continue;
    const nf = s.nonFinite;
    const where = [nf.weights && `${nf.weights} weights`, nf.bias && `${nf.bias} biases`, nf.weightGrad && `${nf.weightGrad} weight gradients`, nf.biasGrad && `${nf.biasGrad} bias gradients`, nf.activations && `${nf.activations} activations`].filter(Boolean).join(', ');
    out.push({
      code: 'non-finite', severity: 'error', layer: s.layer,
      message: `${layerName(ctx.spec, s.layer)} has NaN or infinite values: ${where}. The other checks of this layer are suspended (their numbers would be meaningless). Usually the learning rate is too large.`,
      evidence: { ...nf },
      fixes: [lowerRateFix(ctx.spec)],
    });
  }
  return out;
}

/** What a loss is compared with for a blow-up: the initial probe loss, at least ln 10 (chance). */
const referenceLoss = (ctx: DetectorContext): number => Math.max(Number.isFinite(ctx.initialLoss) ? ctx.initialLoss : CHANCE_LOSS, CHANCE_LOSS);

/** The loss-trace blow-up: a step whose loss exceeded explodingLossFactor × max(initial probe loss, ln 10), whenever it happened. */
export function lossSpike(ctx: DetectorContext): { loss: number; step: number; reference: number } | undefined {
  const reference = referenceLoss(ctx);
  const peak = ctx.peakLoss;
  return peak && peak.loss > ctx.t.explodingLossFactor * reference ? { ...peak, reference } : undefined;
}

export function detectExploding(ctx: DetectorContext): Candidate[] {
  const out: Candidate[] = [];
  const { t, probe } = ctx;
  const finite = probe.recentLosses.filter(Number.isFinite);
  const reference = referenceLoss(ctx);
  const intervalMean = finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : probe.loss;
  // A blow-up is read from every step's loss since the start, so one that happened between two probes
  // (say at step 7, before the first probe at 50 sees the damage) holds from then on.
  const spike = lossSpike(ctx);
  // sustained: the interval's mean loss stays well above both where training started and the best it reached
  const base = Math.max(CHANCE_LOSS, Math.min(reference, ctx.lowestIntervalMean));
  const rise = Number.isFinite(intervalMean) && intervalMean > t.explodingRiseFactor * base;
  if (spike || rise) {
    const now = `mean of the last ${finite.length} steps: ${sci(intervalMean)}`;
    const message = spike
      ? `At step ${spike.step} the training loss blew up to ${sci(spike.loss)}, more than ${t.explodingLossFactor}× its starting value (${sci(spike.reference)}): the updates were so large that a step overshot. ${rise
        ? `It has not recovered (${now}).`
        : `It came back down (${now}), but a blow-up like this does lasting damage: units pushed far into their flat regions stop learning, and the outputs become over-confident.`} Lower the learning rate; a loss that is stuck after this is the blow-up's doing, not steps that are too small.`
      : `The training loss stays at ${sci(intervalMean)} (mean of the last ${finite.length} steps), more than ${t.explodingRiseFactor}× ${sci(base)}: training has diverged. The updates are too large: lower the learning rate.`;
    out.push({
      code: 'exploding-gradient', severity: !spike || rise ? 'error' : 'warning', layer: -1,
      message,
      evidence: {
        maxLoss: spike?.loss ?? finite.reduce((m, v) => (v > m ? v : m), probe.loss), ...(spike ? { spikeStep: spike.step } : {}),
        intervalMeanLoss: intervalMean, referenceLoss: reference, baseLoss: base, learningRate: probe.learningRate,
      },
      fixes: dedupeFixes([lowerRateFix(ctx.spec), ...(ctx.spec.optimizer.type === 'sgd' ? [adamFix()] : [])]),
      ...(spike ? { since: spike.step } : {}),
    });
  }
  for (const s of ctx.stats) {
    if (!usable(s) || !(s.gradNormTotal > t.explodingGradNorm)) continue;
    out.push({
      code: 'exploding-gradient', severity: 'error', layer: s.layer,
      message: `The weight gradient of ${layerName(ctx.spec, s.layer)} has norm ${sci(s.gradNormTotal)} (above ${sci(t.explodingGradNorm)}): one step of SGD moves the weights by learning rate × that much. Lower the learning rate.`,
      evidence: { gradNorm: s.gradNormTotal, threshold: t.explodingGradNorm, meanAbsGrad: s.meanAbsGrad, learningRate: probe.learningRate },
      fixes: [lowerRateFix(ctx.spec)],
    });
  }
  return out;
}

/** Whether a ReLU layer's units were all dead at the first probe (else they died during training). */
const deadAtStart = (ctx: DetectorContext, s: LayerStats): boolean => (ctx.initialDead.get(s.layer) ?? 0) >= s.units;

/**
 * The cure for units that died during training: after a loss blow-up, the blow-up's (a lower learning rate, or
 * Adam); with a learning rate above the stable one, that rate (He ReLU at SGD 1: 0.929, at 0.5: 0.931 with no unit
 * dead, where a leaky ReLU turned NaN); else a leaky ReLU, which keeps a gradient below 0 (a 10× smaller rate there
 * only slowed the live units: −0.04 to −0.09 accuracy on the healthy presets).
 */
function diedFixes(ctx: DetectorContext, layer: number): Fix[] {
  if (lossSpike(ctx)) return [lowerRateFix(ctx.spec), ...(ctx.spec.optimizer.type === 'sgd' ? [adamFix()] : [])];
  if (aboveStableRate(ctx.spec)) return [lowerRateFix(ctx.spec)];
  return [activationFix(ctx.spec, layer, 'leakyRelu')];
}

/** Why a layer's weight gradient dL/dW = inputsᵀ · δ is exactly zero. */
function zeroGradCause(ctx: DetectorContext, s: LayerStats): { cause: string; text: string; fixes: Fix[]; diedInTraining: boolean } {
  const { spec, stats } = ctx;
  const prev = s.layer > 0 ? stats[s.layer - 1] : undefined;
  const next = stats[s.layer + 1];
  /** The fixes for a layer whose units pass nothing: by why they do. */
  const inactiveFixes = (l: LayerStats): Fix[] => {
    if (l.activation === 'relu' && !deadAtStart(ctx, l)) return diedFixes(ctx, l.layer);
    const fixes: Fix[] = [];
    const b = constantValue(spec.layers[l.layer].biasInitializer);
    if (b !== undefined && b < 0) fixes.push(biasZerosFix(spec, l.layer));
    if (constantValue(spec.layers[l.layer].kernelInitializer) !== undefined || fixes.length === 0) fixes.push(kernelInitFix(spec, l.layer));
    return fixes;
  };
  if (prev && prev.outputsAllZero) {
    return {
      cause: 'inputs-zero', diedInTraining: prev.activation === 'relu' && !deadAtStart(ctx, prev),
      text: `its inputs, the outputs of ${layerName(spec, prev.layer)}, are all exactly 0, and dL/dW = inputsᵀ·δ`,
      fixes: inactiveFixes(prev),
    };
  }
  if (s.activation === 'relu' && s.preActivationsAllNonPositive) {
    const during = !deadAtStart(ctx, s);
    return {
      cause: 'relu-inactive', diedInTraining: during,
      text: `every pre-activation is ≤ 0${during ? ' (the units died during training)' : ''}, where relu passes no gradient (relu′ = 0)`,
      fixes: inactiveFixes(s),
    };
  }
  if (next && next.zeroKernel) {
    return {
      cause: 'next-weights-zero', diedInTraining: false,
      text: `the weights of the next layer, ${layerName(spec, next.layer)}, are all 0, so no error signal flows back`,
      fixes: [kernelInitFix(spec, next.layer)],
    };
  }
  return { cause: 'unknown', text: 'the error signal reaching it is 0', fixes: [kernelInitFix(spec, s.layer)], diedInTraining: false };
}

export function detectZeroGradient(ctx: DetectorContext): Candidate[] {
  const out: Candidate[] = [];
  for (const s of ctx.stats) {
    if (!usable(s) || !s.zeroGrad) continue;
    const why = zeroGradCause(ctx, s);
    out.push({
      code: 'zero-gradient', severity: 'error', layer: s.layer,
      message: `Every weight gradient of ${layerName(ctx.spec, s.layer)} is exactly 0, because ${why.text}. Its weights never change, whatever the learning rate.`,
      evidence: { meanAbsGrad: 0, nonZeroGradients: 0, weights: s.fanIn * s.units, biasGradientZero: s.zeroBiasGrad, cause: why.cause, diedInTraining: why.diedInTraining },
      fixes: why.fixes,
    });
  }
  return out;
}

export function detectDeadUnits(ctx: DetectorContext): Candidate[] {
  const out: Candidate[] = [];
  const { t, spec } = ctx;
  for (const s of hidden(ctx)) {
    if (!usable(s) || s.deadUnits.length === 0) continue;
    const share = s.deadUnits.length / s.units;
    const severity = share >= t.deadLayerErrorShare ? 'error' : share >= t.deadLayerWarnShare ? 'warning' : 'info';
    const layerSpec = spec.layers[s.layer];
    const k = constantValue(layerSpec.kernelInitializer);
    const b = constantValue(layerSpec.biasInitializer);
    const fromStart = (ctx.initialDead.get(s.layer) ?? 0) >= s.deadUnits.length;
    const act = s.activation;
    const relu = act === 'relu';
    // ELU / SELU units do not output 0: below ln(share) they sit on their floor (−1 / −λα) with a
    // slope e^z that is nearly 0 (≈ 1e-15 at z = −33), which starves them just as relu′ = 0 does.
    const flat = flatThreshold(act, t.saturationDerivativeShare);
    const where = relu ? 'below 0' : `below −${flat.toFixed(1)}`;
    const noGradient = relu ? 'relu passes no gradient there' : `${act}′ = ${act === 'selu' ? 'λα·' : ''}e^z is below ${pct(t.saturationDerivativeShare)} of its maximum there (their output is stuck at ≈ ${act === 'selu' ? '−1.76' : '−1'})`;
    let why: string;
    let fixes: Fix[];
    if (k !== undefined && k <= 0 && (b ?? 0) <= 0 && b !== undefined && (relu || b < -flat)) {
      why = relu
        ? `With ${k === 0 ? 'zero' : 'constant'} weights and a bias of ${b}, every pre-activation is ${k === 0 ? `exactly ${b}` : '≤ 0'}; relu outputs 0 there and its gradient is 0, so these units never receive a gradient and never change.`
        : `With ${k === 0 ? 'zero' : 'constant'} weights and a bias of ${b}, every pre-activation is ${k === 0 ? `exactly ${b}` : `≤ ${b}`}; ${noGradient}, so these units barely receive a gradient.`;
      fixes = [kernelInitFix(spec, s.layer), smallUniformFix(spec, s.layer), ...(b < 0 ? [biasZerosFix(spec, s.layer)] : [])];
    } else if (b !== undefined && b < 0 && fromStart) {
      why = relu
        ? `The bias starts at ${b}, which pushes the pre-activations below 0 for almost every input; relu′ = 0 there, so the units get no gradient and cannot recover.`
        : `The bias starts at ${b}, which pushes the pre-activations ${where} for almost every input; ${noGradient}, so the units get almost no gradient.`;
      fixes = [biasZerosFix(spec, s.layer), activationFix(spec, s.layer, 'leakyRelu')];
    } else if (fromStart) {
      why = relu
        ? 'They were inactive from the start: their pre-activations are ≤ 0 for almost every input, so relu passes no gradient to them.'
        : `They were stuck from the start: their pre-activations are ${where} for almost every input, and ${noGradient}.`;
      fixes = [kernelInitFix(spec, s.layer), activationFix(spec, s.layer, 'leakyRelu')];
    } else if ((ctx.initialDead.get(s.layer) ?? 0) > 0) {
      why = `Some were ${relu ? 'inactive' : 'stuck'} from the start, the others died during training (an update pushed their pre-activations ${where} for every input); ${noGradient}, so they cannot recover.`;
      fixes = diedFixes(ctx, s.layer);
    } else {
      why = relu
        ? 'They died during training: an update pushed their pre-activations below 0 for every input, and relu passes no gradient there, so they cannot recover.'
        : `They died during training: an update pushed their pre-activations ${where} for every input, and ${noGradient}, so they cannot recover.`;
      fixes = diedFixes(ctx, s.layer);
    }
    const whole = s.deadUnits.length === s.units;
    const neverActive = s.deadUnits.every((j) => s.activity[j] === 0);
    const what = relu ? 'output 0 for' : `are stuck in ${act}'s flat negative region (pre-activation ${where}) for`;
    out.push({
      code: 'dead-units', severity, layer: s.layer, units: s.deadUnits,
      message: `${whole ? `All ${s.units} ${act} units` : `${s.deadUnits.length} of the ${s.units} ${act} units`} of ${layerName(spec, s.layer)}${whole ? '' : ` (${pct(share)}: ${unitList(s.deadUnits)})`} ${what} ${neverActive ? 'every one of' : `more than ${pct(1 - t.deadActiveShare)} of`} the ${ctx.probe.examples} probe images. ${why}`,
      evidence: {
        deadUnits: s.deadUnits.length, units: s.units, share, probeExamples: ctx.probe.examples,
        activeShareThreshold: t.deadActiveShare, deadFromStart: fromStart,
        meanActivityOfDead: s.deadUnits.reduce((a, j) => a + s.activity[j], 0) / s.deadUnits.length,
        ...(relu ? {} : { flatPreActivation: -flat }),
      },
      fixes: dedupeFixes(fixes),
    });
  }
  return out;
}

export function detectSymmetric(ctx: DetectorContext): Candidate[] {
  const out: Candidate[] = [];
  const { t, spec } = ctx;
  for (const s of hidden(ctx)) {
    if (!usable(s) || s.groups.duplicates.length === 0) continue;
    // Dead units that came to look alike during training (e.g. after a huge update) are dead-units'
    // business: their weights no longer matter. Symmetry present from the start is always reported.
    const dead = new Set(s.deadUnits);
    const fromStart = (ctx.initialWidth.get(s.layer) ?? s.units) < s.units;
    const groups = fromStart ? s.groups.duplicates : s.groups.duplicates.filter((g) => !g.every((j) => dead.has(j)));
    if (groups.length === 0) continue;
    const width = s.units - groups.reduce((a, g) => a + g.length - 1, 0);
    const inGroups = groups.flat().sort((a, b) => a - b);
    const largest = groups[0].length;
    const severity = width <= t.symmetryErrorWidthShare * s.units ? 'error' : 'warning';
    const all = width === 1;
    const gradsZero = s.zeroGrad;
    out.push({
      code: 'symmetric-units', severity, layer: s.layer, units: inGroups,
      message: all
        ? `All ${s.units} units of ${layerName(spec, s.layer)} are identical (same incoming weights and bias), so the layer acts as a single unit: effective width 1 of ${s.units}. ${gradsZero ? 'Their gradients are all 0 here, so they stay identical.' : 'Identical units receive identical gradients, so training cannot make them differ.'} Start from random weights to break the symmetry.`
        : `${inGroups.length} units of ${layerName(spec, s.layer)} form ${groups.length} group${groups.length > 1 ? 's' : ''} of identical units (largest: ${largest}); the layer acts as ${width} distinct units instead of ${s.units}. Identical units receive identical gradients, so they stay identical.`,
      evidence: {
        effectiveWidth: width, units: s.units, duplicateGroups: groups.length, largestGroup: largest, symmetricFromStart: fromStart,
        relTolerance: t.symmetryRelTolerance, weightScale: s.groups.scale, gradientsZero: gradsZero,
      },
      fixes: [kernelInitFix(spec, s.layer), smallUniformFix(spec, s.layer)],
    });
  }
  return out;
}

export function detectVanishing(ctx: DetectorContext): Candidate[] {
  const out: Candidate[] = [];
  const { t, spec, stats } = ctx;
  const outStats = stats[stats.length - 1];
  const outMean = usable(outStats) ? outStats.meanAbsGrad : Number.NaN;
  for (const s of hidden(ctx)) {
    if (!usable(s) || s.zeroGrad) continue;
    const ratio = outMean > 0 ? s.meanAbsGrad / outMean : Number.NaN;
    const tiny = s.meanAbsGrad < t.vanishingMeanAbsGrad;
    const shrunk = ratio < t.vanishingRatio;
    if (!tiny && !shrunk) continue;
    const act = s.activation;
    const fixes: Fix[] = [kernelInitFix(spec, s.layer)];
    if (act === 'sigmoid' || act === 'tanh') fixes.push(activationFix(spec, s.layer, 'relu'));
    out.push({
      code: 'vanishing-gradient', severity: 'warning', layer: s.layer,
      message: `The weight gradients of ${layerName(spec, s.layer)} are tiny: mean |dL/dW| = ${sci(s.meanAbsGrad)}${Number.isFinite(ratio) ? `, ${sci(ratio)} × the output layer's (${sci(outMean)})` : ''}. On the way back to the input the error signal is multiplied, layer after layer, by small weights${act === 'sigmoid' ? ' and by sigmoid′ ≤ 0.25' : act === 'tanh' ? ' and by tanh′ ≤ 1' : ''}, so this layer barely learns.`,
      evidence: { meanAbsGrad: s.meanAbsGrad, outputMeanAbsGrad: outMean, ratioToOutput: ratio, meanAbsGradThreshold: t.vanishingMeanAbsGrad, ratioThreshold: t.vanishingRatio },
      fixes: dedupeFixes(fixes),
    });
  }
  return out;
}

export function detectSaturated(ctx: DetectorContext): Candidate[] {
  const out: Candidate[] = [];
  const { t, spec } = ctx;
  for (const s of hidden(ctx)) {
    if (!usable(s) || (s.activation !== 'sigmoid' && s.activation !== 'tanh')) continue;
    const share = s.saturatedUnits.length / s.units;
    if (share < t.saturatedLayerShare || s.saturatedUnits.length === 0) continue;
    const z = flatThreshold(s.activation, t.saturationDerivativeShare);
    const atStart = (ctx.initialSaturated.get(s.layer) ?? 0) >= t.saturatedLayerShare * s.units;
    const whole = s.saturatedUnits.length === s.units;
    out.push({
      code: 'saturated-units', severity: 'warning', layer: s.layer, units: s.saturatedUnits,
      message: `${whole ? `All ${s.units}` : `${s.saturatedUnits.length} of the ${s.units}`} ${s.activation} units of ${layerName(spec, s.layer)}${whole ? '' : ` (${pct(share)})`} sit in the flat part of ${s.activation} for most probe images (|pre-activation| > ${z.toFixed(2)}, where its slope is below ${pct(t.saturationDerivativeShare)} of its maximum); ${pct(s.flatShare)} of all the layer's outputs are saturated. Gradients through them are nearly 0, so they learn very slowly. ${atStart
        ? `They start there: the initial weights (std ${sci(s.weightStd)}) are too large for ${s.fanIn} inputs. Scale them to the fan-in.`
        : 'They got there during training: large updates grew their weights. Lower the learning rate.'}`,
      evidence: { saturatedUnits: s.saturatedUnits.length, units: s.units, share, flatShare: s.flatShare, flatPreActivation: z, weightStd: s.weightStd, saturatedFromStart: atStart },
      fixes: atStart ? [kernelInitFix(spec, s.layer)] : [lowerRateFix(spec), kernelInitFix(spec, s.layer)],
    });
  }
  return out;
}

/** Live collapse check on the probe batch (the final one uses the whole test set: see engine.onEnd). */
export function detectCollapsedLive(ctx: DetectorContext): Candidate[] {
  const { probe, stats, t } = ctx;
  if (probe.step === 0) return [];
  const o = stats[stats.length - 1];
  if (!usable(o)) return [];
  let best = 0;
  for (let c = 1; c < o.activity.length; c++) if (o.activity[c] > o.activity[best]) best = c;
  const share = o.activity[best];
  if (share < t.collapsedShare) return [];
  return [collapsedFinding(best, share, probe.classPrior, undefined, probe.examples, 'probe images')];
}

export function collapsedFinding(cls: number, share: number, prior: number[], testShare: number | undefined, n: number, what: string): Candidate {
  const p = prior[cls];
  const mostCommon = prior.length > 0 && prior.every((q) => q <= p);
  const priorText = p !== undefined ? `; digit ${cls} is ${mostCommon ? 'the most common digit, ' : ''}${pct(p, 2)} of the training labels` : '';
  const testText = testShare !== undefined ? ` and ${pct(testShare, 2)} of the test set, so the accuracy is that share` : '';
  const why = mostCommon
    ? 'A model that gets no usable signal from the pixels can only learn its output bias, which settles on the most common class.'
    : 'Its hidden layers pass no usable signal from the pixels, so the output hardly depends on the image.';
  const evidence: Finding['evidence'] = { class: cls, predictedShare: share, predictions: n };
  if (p !== undefined) evidence.trainPrior = p;
  if (testShare !== undefined) evidence.testShare = testShare;
  return {
    code: 'collapsed-output', severity: 'error', layer: -1,
    message: `The model predicts digit ${cls} for ${pct(share, 1)} of the ${n} ${what}${priorText}${testText}. ${why}`,
    evidence,
    fixes: [],
  };
}

export function detectPlateau(ctx: DetectorContext): Candidate[] {
  const { t, losses, probe } = ctx;
  const w = Math.floor(t.plateauWindow);
  if (w < 2 || losses.length < w) return [];
  // After a blow-up a stuck loss is its damage (exploding-gradient says so), never steps that are too small.
  if (lossSpike(ctx)) return [];
  const win = losses.slice(losses.length - w);
  if (!win.every(Number.isFinite)) return [];
  const half = Math.floor(w / 2);
  const m1 = win.slice(0, half).reduce((a, b) => a + b, 0) / half;
  const m2 = win.slice(half).reduce((a, b) => a + b, 0) / (w - half);
  const rel = (m1 - m2) / m1;
  if (!(rel < t.plateauMinRelDecrease) || !(m2 > t.plateauMinLossShareOfChance * CHANCE_LOSS)) return [];
  const fixes: Fix[] = [];
  if (ctx.spec.optimizer.learningRate < 0.05) fixes.push(learningRateFix(ctx.spec.optimizer.learningRate, 10));
  if (ctx.spec.optimizer.type !== 'adam') fixes.push(adamFix());
  return [{
    code: 'loss-plateau', severity: 'warning', layer: -1,
    message: `The training loss is not decreasing: ${sci(m1)} → ${sci(m2)} (mean of each half of the last ${w} steps, ${pct(Math.max(rel, 0), 1)} lower), while still above ${sci(t.plateauMinLossShareOfChance * CHANCE_LOSS)} (chance level is ln 10 = 2.30). Nothing else explains it, so the steps are likely too small to make progress (learning rate ${probe.learningRate}).`,
    evidence: { window: w, firstHalfMean: m1, secondHalfMean: m2, relativeDecrease: rel, learningRate: probe.learningRate },
    fixes,
  }];
}

export const DETECTORS = [
  detectNonFinite, detectExploding, detectZeroGradient, detectDeadUnits, detectSymmetric, detectVanishing,
  detectSaturated, detectCollapsedLive, detectPlateau,
];
