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
  /** ReLU / ELU / SELU layers: units active (ELU, SELU: outside the flat negative region) on fewer than deadActiveShare of probe inputs. */
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
  /** Every unit outputs the same value on every probe image (so the next layer's inputs carry no information about the image). */
  outputsConstant: boolean;
  /** Root mean square of the finite pre-activations on the probe batch (how large the layer's inputs make them). */
  preActivationRms: number;
  /** Outputs exactly 0 on the probe batch (the output layer's: probabilities that underflowed, where log(p) = −∞). */
  zeroOutputs: number;
}

/**
 * |z| beyond which sigmoid / tanh have a derivative below `share` of its maximum; for elu / selu, how
 * far below 0 (their flat side only): elu′(z) = e^z and selu′(z) = λα·e^z for z < 0, at most 1 and λα,
 * so both are flat below ln(share) (−3.9 for 2 %), where they output ≈ −1 / −λα whatever the input.
 */
export function flatThreshold(activation: string, share: number): number {
  const s = Math.min(Math.max(share, 1e-12), 1 - 1e-12);
  if (activation === 'elu' || activation === 'selu') return -Math.log(s);
  if (activation === 'tanh') return Math.atanh(Math.sqrt(1 - s)); // tanh'(z) = 1 - tanh²(z), max 1
  // sigmoid'(z) = σ(1 - σ), max 1/4: σ(1 - σ) = s/4
  const sig = (1 - Math.sqrt(1 - s)) / 2;
  return -Math.log(sig / (1 - sig));
}

const isReluLike = (a: string): boolean => a === 'relu' || a === 'leakyRelu' || a === 'elu' || a === 'selu';

// The passes over the probe's arrays are small monomorphic functions: V8 optimises them early and
// keeps them optimised, which matters because they run on every layer at every probe.

interface KernelPass {
  unitGradSq: Float64Array;
  absSum: number;
  sqSum: number;
  zeroGrad: boolean;
  wSum: number;
  wSq: number;
  wMax: number;
  zeroKernel: boolean;
  badGrad: number;
  badWeights: number;
}

/**
 * One pass over a layer's kernel and its gradient. The common case (every value finite) runs without a branch
 * per element: adding an exact 0 leaves a sum unchanged, so zeros need no test, and the counts of non-zeros are
 * accumulated arithmetically. Any NaN or ±Infinity makes |g|'s or w²'s sum non-finite (finite float32 values
 * cannot overflow a float64 sum), and then the checked pass recomputes everything with the per-element rules.
 * Both give identical results on finite input (same values added in the same order).
 */
export function kernelPass(ws: Float32Array, wg: Float32Array, fanIn: number, units: number): KernelPass {
  const unitGradSq = new Float64Array(units);
  let absSum = 0, sqSum = 0, wSum = 0, wSq = 0, wMax = 0, nonZeroGrad = 0, nonZeroW = 0;
  for (let i = 0; i < fanIn; i++) {
    const row = i * units;
    for (let j = 0; j < units; j++) {
      const g = wg[row + j];
      const w = ws[row + j];
      const g2 = g * g;
      absSum += Math.abs(g);
      sqSum += g2;
      unitGradSq[j] += g2;
      wSum += w;
      wSq += w * w;
      const a = Math.abs(w);
      wMax = a > wMax ? a : wMax;
      nonZeroGrad += g !== 0 ? 1 : 0;
      nonZeroW += w !== 0 ? 1 : 0;
    }
  }
  if (!(absSum - absSum === 0) || !(wSq - wSq === 0)) return kernelPassChecked(ws, wg, fanIn, units);
  return {
    unitGradSq, absSum, sqSum, wSum, wSq, wMax, badGrad: 0, badWeights: 0,
    zeroGrad: nonZeroGrad === 0, zeroKernel: nonZeroW === 0,
  };
}

/** The exact pass, element by element: used when the fast pass met a NaN or ±Infinity. */
export function kernelPassChecked(ws: Float32Array, wg: Float32Array, fanIn: number, units: number): KernelPass {
  const unitGradSq = new Float64Array(units);
  let absSum = 0, sqSum = 0, wSum = 0, wSq = 0, wMax = 0, badGrad = 0, badWeights = 0, nonZeroGrad = 0, nonZeroW = 0;
  for (let i = 0; i < fanIn; i++) {
    const row = i * units;
    for (let j = 0; j < units; j++) {
      const g = wg[row + j];
      if (g - g === 0) { // finite
        if (g !== 0) {
          nonZeroGrad++;
          absSum += Math.abs(g);
          const g2 = g * g;
          sqSum += g2;
          unitGradSq[j] += g2;
        }
      } else {
        badGrad++;
        unitGradSq[j] = Number.NaN;
      }
      const w = ws[row + j];
      if (w - w === 0) {
        if (w !== 0) {
          nonZeroW++;
          wSum += w;
          wSq += w * w;
          const a = Math.abs(w);
          if (a > wMax) wMax = a;
        }
      } else {
        badWeights++;
      }
    }
  }
  return {
    unitGradSq, absSum, sqSum, wSum, wSq, wMax, badGrad, badWeights,
    zeroGrad: nonZeroGrad === 0 && badGrad === 0, zeroKernel: nonZeroW === 0 && badWeights === 0,
  };
}

interface ActivityPass {
  activeCount: Float64Array;
  flatPairs: number;
  outputsAllZero: boolean;
  preNonPositive: boolean;
  bad: number;
  /** Outputs that differ from the same unit's output on the first example. */
  varying: number;
  zSq: number;
  zeroOut: number;
}

/** mode 0: output > 0 (relu); 1: pre-activation > flatZ (leaky relu: 0; elu, selu: the edge of the flat negative region); 2: |z| <= flatZ (sigmoid, tanh); 3: always (linear). */
function hiddenActivityPass(z: Float32Array, out: Float32Array, examples: number, units: number, mode: number, flatZ: number): ActivityPass {
  const activeCount = new Float64Array(units);
  let flatPairs = 0, bad = 0, nonZeroOut = 0, positivePre = 0, varying = 0, zSq = 0;
  for (let e = 0; e < examples; e++) {
    const base = e * units;
    for (let j = 0; j < units; j++) {
      const zz = z[base + j];
      const o = out[base + j];
      if (o - o !== 0 || zz - zz !== 0) { bad++; continue; }
      if (o !== 0) nonZeroOut++;
      if (zz > 0) positivePre++;
      if (o !== out[j]) varying++;
      zSq += zz * zz;
      if (mode === 0) {
        if (o > 0) activeCount[j]++;
      } else if (mode === 1) {
        if (zz > flatZ) activeCount[j]++;
      } else if (mode === 2) {
        if (zz > flatZ || zz < -flatZ) flatPairs++;
        else activeCount[j]++;
      } else {
        activeCount[j]++;
      }
    }
  }
  return { activeCount, flatPairs, bad, outputsAllZero: nonZeroOut === 0, preNonPositive: positivePre === 0, varying, zSq, zeroOut: examples * units - nonZeroOut - bad };
}

/** Output layer: a class unit is "active" on the inputs it wins (its share of the predictions). */
function outputActivityPass(z: Float32Array, out: Float32Array, examples: number, units: number): ActivityPass {
  const activeCount = new Float64Array(units);
  let bad = 0, nonZeroOut = 0, positivePre = 0, varying = 0, zSq = 0, zeroOut = 0;
  for (let e = 0; e < examples; e++) {
    let best = 0;
    let bestV = -Infinity;
    for (let j = 0; j < units; j++) {
      const v = out[e * units + j];
      const zz = z[e * units + j];
      if (v - v !== 0) bad++;
      if (v > bestV) { bestV = v; best = j; }
      if (v !== 0) nonZeroOut++;
      if (v === 0) zeroOut++;
      if (zz > 0) positivePre++;
      if (v !== out[j]) varying++;
      if (zz - zz === 0) zSq += zz * zz;
    }
    activeCount[best]++;
  }
  return { activeCount, flatPairs: 0, bad, outputsAllZero: nonZeroOut === 0, preNonPositive: positivePre === 0, varying, zSq, zeroOut };
}

export function computeLayerStats(p: LayerProbe, examples: number, t: Thresholds, isOutput: boolean): LayerStats {
  const { units, fanIn } = p;
  const n = fanIn * units;
  const k = kernelPass(p.weights, p.weightGrad, fanIn, units);
  const nonFinite: NonFiniteCounts = { weights: k.badWeights, bias: 0, weightGrad: k.badGrad, biasGrad: 0, activations: 0 };
  let zeroBiasGrad = true;
  for (let j = 0; j < units; j++) {
    if (!Number.isFinite(p.bias[j])) nonFinite.bias++;
    const g = p.biasGrad[j];
    if (!Number.isFinite(g)) nonFinite.biasGrad++;
    else if (g !== 0) zeroBiasGrad = false;
  }
  const unitGradNorm = new Float64Array(units);
  for (let j = 0; j < units; j++) unitGradNorm[j] = Math.sqrt(k.unitGradSq[j]);
  const wMean = n > 0 ? k.wSum / n : 0;
  const wStd = n > 0 ? Math.sqrt(Math.max(0, k.wSq / n - wMean * wMean)) : 0;

  const act = p.activation;
  const squashing = act === 'sigmoid' || act === 'tanh';
  const eluLike = act === 'elu' || act === 'selu';
  const flatZ = squashing ? flatThreshold(act, t.saturationDerivativeShare) : eluLike ? -flatThreshold(act, t.saturationDerivativeShare) : act === 'leakyRelu' ? 0 : Infinity;
  const mode = act === 'relu' ? 0 : isReluLike(act) ? 1 : squashing ? 2 : 3;
  const a = isOutput
    ? outputActivityPass(p.preActivations, p.outputs, examples, units)
    : hiddenActivityPass(p.preActivations, p.outputs, examples, units, mode, flatZ);
  nonFinite.activations = a.bad;

  const activity = Array.from(a.activeCount, (c) => (examples > 0 ? c / examples : 0));
  const deadUnits: number[] = [];
  const saturatedUnits: number[] = [];
  if (!isOutput && (act === 'relu' || eluLike)) activity.forEach((x, j) => { if (x < t.deadActiveShare) deadUnits.push(j); });
  if (!isOutput && squashing) activity.forEach((x, j) => { if (1 - x > t.saturatedInputShare) saturatedUnits.push(j); });

  const anyNonFinite = Object.values(nonFinite).some((c) => c > 0);
  const groups: UnitGroups = anyNonFinite
    ? { groupOf: Int32Array.from({ length: units }, (_, j) => j), effectiveWidth: units, duplicates: [], scale: Number.NaN }
    : groupUnits(p.weights, p.bias, fanIn, units, t.symmetryRelTolerance);

  return {
    layer: p.layer, units, fanIn, activation: act, nonFinite, anyNonFinite,
    unitGradNorm, meanAbsGrad: n > 0 ? k.absSum / n : 0, gradNormTotal: Math.sqrt(k.sqSum), zeroGrad: k.zeroGrad, zeroBiasGrad,
    weightMean: wMean, weightStd: wStd, weightMaxAbs: k.wMax, zeroKernel: k.zeroKernel,
    activity, deadUnits, saturatedUnits, flatShare: examples * units > 0 ? a.flatPairs / (examples * units) : 0,
    groups, outputsAllZero: a.outputsAllZero, preActivationsAllNonPositive: a.preNonPositive,
    outputsConstant: a.bad === 0 && a.varying === 0, preActivationRms: examples * units > a.bad ? Math.sqrt(a.zSq / (examples * units - a.bad)) : 0,
    zeroOutputs: a.zeroOut,
  };
}
