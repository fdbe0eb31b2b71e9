// Findings that follow from the spec alone, before any training (`gradient-lens check`, the editor's
// squiggles on save). The importers attach source positions to them.
import type { Finding } from '../findings';
import type { Initializer, ModelSpec } from '../spec';
import { describeInitializer } from '../spec';
import { checkInitScale, constantValue, initializerMoments, layerShape, type InitScaleCheck } from './initScale';
import { resolveThresholds, type Thresholds } from './thresholds';
import { biasZerosFix, kernelInitFix, layerName, sci, smallUniformFix } from './fixes';

/** Activations whose outputs are never negative (so a layer fed by them sees inputs >= 0). */
const NON_NEGATIVE_OUTPUTS = new Set(['relu', 'sigmoid', 'softmax']);
/** Activations with f(0) = 0. */
const ZERO_AT_ZERO = new Set(['relu', 'tanh', 'linear', 'leakyRelu', 'elu', 'selu']);

export function initScaleFinding(spec: ModelSpec, c: InitScaleCheck, measured: boolean): Finding {
  const { reference: r } = c;
  const refs = `He ${sci(r.he)}, Glorot ${sci(r.glorot)}, LeCun ${sci(r.leCun)}`;
  const what = measured ? 'measured on the initial weights' : `from ${describeInitializer(spec.layers[c.layer].kernelInitializer)}`;
  const consequence = c.direction === 'large'
    ? (spec.layers[c.layer].activation === 'sigmoid' || spec.layers[c.layer].activation === 'tanh'
      ? 'Pre-activations start far outside the useful range, where the activation is flat and passes almost no gradient.'
      : 'Pre-activations and logits start far too large, so the first updates are erratic and the model can settle on worse weights.')
    : 'Signals shrink at every such layer, on the way forward and on the way back, so training starts very slowly.';
  return {
    code: 'poor-init-scale', severity: 'warning', layer: c.layer, firstStep: 0,
    message: `The initial weights of ${layerName(spec, c.layer)} have scale ${sci(c.scale)} (${what}), ${sci(c.ratio)}× the ${c.direction === 'large' ? 'largest' : 'smallest'} standard choice for ${c.fanIn} inputs (${refs}). ${consequence}`,
    evidence: { scale: c.scale, ratio: c.ratio, fanIn: c.fanIn, fanOut: c.fanOut, heStd: r.he, glorotStd: r.glorot, leCunStd: r.leCun, direction: c.direction, measured },
    fixes: [kernelInitFix(spec, c.layer)],
  };
}

/**
 * Static findings:
 * - symmetric-units: a hidden layer with a constant kernel (zeros, ones, constant) and a constant
 *   bias whose units stay identical in training: the next layer's kernel is constant too (so every
 *   unit receives the same error signal), or the units are dead (they never change). With random
 *   weights after it, the symmetry breaks at the first step: reported as info.
 * - dead-units: such a ReLU layer whose pre-activations are <= 0 for every input (zero kernel and
 *   bias <= 0, or a negative kernel on non-negative inputs and bias <= 0).
 * - zero-gradient: such a layer with an activation where f(0) = 0 (not ReLU: that is dead-units),
 *   zero weights and bias, and zero weights after it: it outputs 0 and no error signal comes back.
 * - poor-init-scale: initializer scale outside [0.1 ×, 10 ×] the Glorot / He / LeCun range for the
 *   fan-in (too small is only flagged for hidden layers). A zero-initialised softmax layer is fine.
 */
/** The share of a random initializer's values that are ≤ 0 (undefined: not a distribution we know). */
function nonPositiveShare(init: Initializer): number | undefined {
  const phi = (z: number): number => 0.5 * (1 + erf(z / Math.SQRT2));
  if (typeof init === 'string') return init === 'zeros' || init === 'ones' ? undefined : 0.5; // the named ones are symmetric around 0
  switch (init.type) {
    case 'constant': return undefined;
    case 'randomUniform': return Math.min(1, Math.max(0, -init.minval / (init.maxval - init.minval)));
    case 'randomNormal': return init.stddev > 0 ? phi(-init.mean / init.stddev) : undefined;
    case 'truncatedNormal': {
      if (!(init.stddev > 0)) return undefined;
      const z = Math.min(2, Math.max(-2, -init.mean / init.stddev));
      return (phi(z) - phi(-2)) / (phi(2) - phi(-2));
    }
  }
}

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): enough for a share of units. */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

export function staticFindings(spec: ModelSpec, thresholds?: Partial<Record<string, number>> | Thresholds): Finding[] {
  const t = resolveThresholds(thresholds);
  const out: Finding[] = [];
  spec.layers.forEach((l, i) => {
    const { fanIn, fanOut, isOutput } = layerShape(spec, i);
    if (!isOutput) {
      const k = constantValue(l.kernelInitializer);
      const b = constantValue(l.biasInitializer);
      const nextK = constantValue(spec.layers[i + 1].kernelInitializer);
      const nonNegInputs = i === 0 || NON_NEGATIVE_OUTPUTS.has(spec.layers[i - 1].activation);
      const dead = l.activation === 'relu' && k !== undefined && b !== undefined && b <= 0 && (k === 0 || (k < 0 && nonNegInputs));
      if (k !== undefined && b !== undefined) {
        const stays = nextK !== undefined || dead;
        out.push({
          code: 'symmetric-units', severity: stays ? 'error' : 'info', layer: i, units: Array.from({ length: l.units }, (_, j) => j), firstStep: 0,
          message: stays
            ? `All ${l.units} units of ${layerName(spec, i)} start identical (weights ${describeInitializer(l.kernelInitializer)}, bias ${describeInitializer(l.biasInitializer)}) and ${dead ? 'never change (they are dead, see below)' : `receive identical gradients, because the next layer's weights are constant too (${describeInitializer(spec.layers[i + 1].kernelInitializer)})`}: the layer acts as a single unit. Start from random weights.`
            : `All ${l.units} units of ${layerName(spec, i)} start identical (weights ${describeInitializer(l.kernelInitializer)}); the random weights of the next layer give them different gradients, so the symmetry breaks at the first step. Random initial weights are still the usual choice.`,
          evidence: { effectiveWidth: 1, units: l.units, kernelConstant: k, biasConstant: b, nextKernelConstant: nextK !== undefined, predicted: true },
          fixes: [kernelInitFix(spec, i), smallUniformFix(spec, i)],
        });
      }
      // f(0) = 0 (tanh, linear, leaky ReLU, ELU, SELU) with zero weights and bias: the layer outputs exactly 0,
      // so the next layer's weight gradient is 0; with zero weights after it, no error signal comes back
      // either. Frozen, though not dead (these activations have a slope at 0). ReLU is covered by dead-units.
      if (l.activation !== 'relu' && ZERO_AT_ZERO.has(l.activation) && k === 0 && b === 0 && nextK === 0) {
        out.push({
          code: 'zero-gradient', severity: 'error', layer: i, firstStep: 0,
          message: `${layerName(spec, i)} will output exactly 0 for every image (${l.activation}(0) = 0 with zero weights and bias), so the weight gradient of the next layer, inputsᵀ·δ, is 0; and since the next layer's weights are 0 too, no error signal flows back to this one. Neither layer's weights will ever change: only the output bias learns.`,
          evidence: { kernelConstant: 0, biasConstant: 0, nextKernelConstant: true, predicted: true },
          fixes: [kernelInitFix(spec, i), smallUniformFix(spec, i)],
        });
      }
      // A zero kernel with a random bias (PyTorch's nn.Linear keeps its U(±1/√fan_in) bias when only the
      // weight is zeroed): every unit outputs relu(bias) whatever the image, and those whose bias is ≤ 0
      // never get a gradient. The others learn, so the layer is only partly lost.
      if (l.activation === 'relu' && k === 0 && b === undefined) {
        const share = nonPositiveShare(l.biasInitializer);
        if (share !== undefined && share > 0) {
          const severity = share >= 1 ? 'error' : share >= t.deadLayerWarnShare ? 'warning' : 'info';
          out.push({
            code: 'dead-units', severity, layer: i, firstStep: 0,
            message: `The weights of ${layerName(spec, i)} start at 0, so each unit outputs relu(its bias) for every image. The units whose bias starts ≤ 0 — about ${Math.round(share * 100)}% of the ${l.units} under ${describeInitializer(l.biasInitializer)} — output 0 for every input, get no gradient and never learn; the others start blind to the input. Start from random weights.`,
            evidence: { expectedDeadShare: share, units: l.units, kernelConstant: 0, predicted: true },
            fixes: [kernelInitFix(spec, i), smallUniformFix(spec, i)],
          });
        }
      }
      if (dead) {
        out.push({
          code: 'dead-units', severity: 'error', layer: i, units: Array.from({ length: l.units }, (_, j) => j), firstStep: 0,
          message: `All ${l.units} relu units of ${layerName(spec, i)} will output 0 for every image: with weights ${describeInitializer(l.kernelInitializer)} and bias ${b}, every pre-activation is ${k === 0 ? `exactly ${b}` : '≤ 0'}${i === 0 ? ` (pixels are ≥ 0)` : ''}; relu′ is 0 there, so they never receive a gradient and the layer never learns.`,
          evidence: { deadUnits: l.units, units: l.units, share: 1, kernelConstant: k!, biasConstant: b!, predicted: true },
          fixes: [kernelInitFix(spec, i), smallUniformFix(spec, i), ...(b! < 0 ? [biasZerosFix(spec, i)] : [])],
        });
      }
    }
    const m = initializerMoments(l.kernelInitializer, fanIn, fanOut);
    const c = checkInitScale(i, fanIn, fanOut, m.mean, m.std, isOutput, t);
    if (c) out.push(initScaleFinding(spec, c, false));
  });
  return out;
}
