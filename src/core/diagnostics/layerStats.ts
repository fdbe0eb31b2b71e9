// Everything the detectors need about one layer on one probe, computed in one pass over the probe's
// typed arrays (kernel, gradients, pre-activations, outputs on the probe batch).
import type { LayerProbe } from '../events';
import type { Thresholds } from './thresholds';
import { groupUnits, type UnitGroups } from './symmetry';

export interface NonFiniteCounts {
  weights: number;
  bias: number;
  weightGrad: number;
  biasGrad: number;
  activations: number;
}

export interface LayerStats {
  layer: number;
  units: number;
  fanIn: number;
  activation: string;
  nonFinite: NonFiniteCounts;
  anyNonFinite: boolean;
  /** Per-unit L2 norm of the incoming kernel gradient (one column of dL/dW). */
  unitGradNorm: Float64Array;
  meanAbsGrad: number;
  gradNormTotal: number;
  /** Every kernel-gradient entry is exactly 0. */
  zeroGrad: boolean;
  /** Every bias-gradient entry is exactly 0. */
  zeroBiasGrad: boolean;
  weightMean: number;
  weightStd: number;
  weightMaxAbs: number;
  /** Every kernel entry is exactly 0. */
  zeroKernel: boolean;
  /** Per unit: share of probe inputs on which it is active (see activityShare). */
  activity: number[];
  /** ReLU layers: units active on fewer than deadActiveShare of probe inputs. */
  deadUnits: number[];
  /** Sigmoid / tanh layers: units flat on more than saturatedInputShare of probe inputs. */
  saturatedUnits: number[];
  /** Sigmoid / tanh layers: share of (input, unit) pairs in the flat region. */
  flatShare: number;
  groups: UnitGroups;
  /** Every output of the layer is exactly 0 on the probe batch (so the next layer's inputs are). */
  outputsAllZero: boolean;
  /** Every pre-activation is <= 0 (ReLU: no unit passes a gradient). */
  preActivationsAllNonPositive: boolean;
}

/** |z| beyond which sigmoid / tanh have a derivative below `share` of its maximum. */
export function flatThreshold(activation: string, share: number): number {
  const s = Math.min(Math.max(share, 1e-12), 1 - 1e-12);
  if (activation === 'tanh') return Math.atanh(Math.sqrt(1 - s)); // tanh'(z) = 1 - tanh²(z), max 1
  // sigmoid'(z) = σ(1 - σ), max 1/4: σ(1 - σ) = s/4
  const sig = (1 - Math.sqrt(1 - s)) / 2;
  return -Math.log(sig / (1 - sig));
}

const isReluLike = (a: string): boolean => a === 'relu' || a === 'leakyRelu' || a === 'elu' || a === 'selu';

export function computeLayerStats(p: LayerProbe, examples: number, t: Thresholds, isOutput: boolean): LayerStats {
  const { units, fanIn } = p;
  const nonFinite: NonFiniteCounts = { weights: 0, bias: 0, weightGrad: 0, biasGrad: 0, activations: 0 };

  const unitGradSq = new Float64Array(units);
  let absSum = 0;
  let sqSum = 0;
  let zeroGrad = true;
  let wSum = 0;
  let wSq = 0;
  let wMax = 0;
  let zeroKernel = true;
  const n = fanIn * units;
  for (let i = 0; i < fanIn; i++) {
    const row = i * units;
    for (let j = 0; j < units; j++) {
      const g = p.weightGrad[row + j];
      const w = p.weights[row + j];
      if (Number.isFinite(g)) {
        if (g !== 0) zeroGrad = false;
        const a = Math.abs(g);
        absSum += a;
        sqSum += g * g;
        unitGradSq[j] += g * g;
      } else {
        nonFinite.weightGrad++;
        zeroGrad = false;
        unitGradSq[j] = Number.NaN;
      }
      if (Number.isFinite(w)) {
        if (w !== 0) zeroKernel = false;
        wSum += w;
        wSq += w * w;
        const a = Math.abs(w);
        if (a > wMax) wMax = a;
      } else {
        nonFinite.weights++;
        zeroKernel = false;
      }
    }
  }
  let zeroBiasGrad = true;
  for (let j = 0; j < units; j++) {
    if (!Number.isFinite(p.bias[j])) nonFinite.bias++;
    const g = p.biasGrad[j];
    if (!Number.isFinite(g)) nonFinite.biasGrad++;
    else if (g !== 0) zeroBiasGrad = false;
  }
  const unitGradNorm = new Float64Array(units);
  for (let j = 0; j < units; j++) unitGradNorm[j] = Math.sqrt(unitGradSq[j]);
  const wMean = n > 0 ? wSum / n : 0;
  const wStd = n > 0 ? Math.sqrt(Math.max(0, wSq / n - wMean * wMean)) : 0;

  // activity over the probe batch
  const act = p.activation;
  const flatZ = act === 'sigmoid' || act === 'tanh' ? flatThreshold(act, t.saturationDerivativeShare) : Infinity;
  const activeCount = new Float64Array(units);
  let flatPairs = 0;
  let outputsAllZero = true;
  let preNonPositive = true;
  const z = p.preActivations;
  const out = p.outputs;
  if (isOutput) {
    // output layer: a class unit is "active" on the inputs it wins (its share of the predictions)
    for (let e = 0; e < examples; e++) {
      let best = 0;
      let bestV = -Infinity;
      for (let j = 0; j < units; j++) {
        const v = out[e * units + j];
        if (!Number.isFinite(v)) nonFinite.activations++;
        if (v > bestV) { bestV = v; best = j; }
        if (v !== 0) outputsAllZero = false;
        if (z[e * units + j] > 0) preNonPositive = false;
      }
      activeCount[best]++;
    }
  } else {
    for (let e = 0; e < examples; e++) {
      const base = e * units;
      for (let j = 0; j < units; j++) {
        const zz = z[base + j];
        const o = out[base + j];
        if (!Number.isFinite(o) || !Number.isFinite(zz)) { nonFinite.activations++; continue; }
        if (o !== 0) outputsAllZero = false;
        if (zz > 0) preNonPositive = false;
        if (isReluLike(act)) {
          if (act === 'relu' ? o > 0 : zz > 0) activeCount[j]++;
        } else if (act === 'sigmoid' || act === 'tanh') {
          if (Math.abs(zz) > flatZ) flatPairs++;
          else activeCount[j]++;
        } else {
          activeCount[j]++;
        }
      }
    }
  }
  const activity = Array.from(activeCount, (c) => (examples > 0 ? c / examples : 0));
  const deadUnits: number[] = [];
  const saturatedUnits: number[] = [];
  if (!isOutput && act === 'relu') {
    activity.forEach((a, j) => { if (a < t.deadActiveShare) deadUnits.push(j); });
  }
  if (!isOutput && (act === 'sigmoid' || act === 'tanh')) {
    activity.forEach((a, j) => { if (1 - a > t.saturatedInputShare) saturatedUnits.push(j); });
  }

  const anyNonFinite = Object.values(nonFinite).some((c) => c > 0);
  const groups = anyNonFinite
    ? { groupOf: new Int32Array(units).map((_, j) => j), effectiveWidth: units, duplicates: [], scale: Number.NaN }
    : groupUnits(p.weights, p.bias, fanIn, units, t.symmetryRelTolerance);

  return {
    layer: p.layer, units, fanIn, activation: act, nonFinite, anyNonFinite,
    unitGradNorm, meanAbsGrad: n > 0 ? absSum / n : 0, gradNormTotal: Math.sqrt(sqSum), zeroGrad, zeroBiasGrad,
    weightMean: wMean, weightStd: wStd, weightMaxAbs: wMax, zeroKernel,
    activity, deadUnits, saturatedUnits, flatShare: examples * units > 0 ? flatPairs / (examples * units) : 0,
    groups, outputsAllZero, preActivationsAllNonPositive: preNonPositive,
  };
}
