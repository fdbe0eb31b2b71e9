// Structured fixes (src/core/findings.ts Fix) and the wording shared by findings.
import type { Fix } from '../findings';
import type { Activation, Initializer, ModelSpec, OptimizerSpec } from '../spec';
import { describeInitializer, layerLabel, layerShortName } from '../spec';
import { recommendedInitializer } from './initScale';

/** A layer as a person reads it: its name in the source with its shape ("W1 (100 relu)"), or "layer 1 (100 relu)". */
export function layerName(spec: ModelSpec, layer: number): string {
  if (layer < 0 || layer >= spec.layers.length) return 'the model';
  return layerLabel(spec, layer);
}

export function kernelInitFix(spec: ModelSpec, layer: number): Fix {
  const r = recommendedInitializer(spec.layers[layer].activation);
  return { kind: 'initializer', layer, target: 'kernel', value: r.value, label: `Initialise ${layerShortName(spec, layer)}'s weights with ${r.label}` };
}

/** The seed question's working variant: small random weights U(−0.01, 0.01). */
export function smallUniformFix(spec: ModelSpec, layer: number): Fix {
  const value: Initializer = { type: 'randomUniform', minval: -0.01, maxval: 0.01 };
  return { kind: 'initializer', layer, target: 'kernel', value, label: `Initialise ${layerShortName(spec, layer)}'s weights with small random values U(−0.01, 0.01)` };
}

export function biasZerosFix(spec: ModelSpec, layer: number): Fix {
  return { kind: 'initializer', layer, target: 'bias', value: 'zeros', label: `Initialise ${layerShortName(spec, layer)}'s bias with zeros` };
}

export function activationFix(spec: ModelSpec, layer: number, value: Activation): Fix {
  return { kind: 'activation', layer, value, label: `Use ${value} in ${layerShortName(spec, layer)}` };
}

export function learningRateFix(current: number, factor: number): Fix {
  const value = Number((current * factor).toPrecision(3));
  return { kind: 'learningRate', value, label: `${factor < 1 ? 'Lower' : 'Raise'} the learning rate from ${current} to ${value}` };
}

/**
 * The largest learning rate that trains these MLPs stably with each optimizer (measured on MNIST: SGD 0.5,
 * momentum 0.05, Adam and RMSprop 0.01).
 */
export const STABLE_RATE: Readonly<Record<string, number>> = { sgd: 0.5, momentum: 0.05, adam: 0.01, rmsprop: 0.01 };

/** Whether the spec's learning rate is above the stable one for its optimizer. */
export const aboveStableRate = (spec: ModelSpec): boolean => spec.optimizer.learningRate > (STABLE_RATE[spec.optimizer.type] ?? Infinity);

/**
 * A lower learning rate that cures a blow-up or units killed by large steps: the stable rate when the rate is above
 * it (lr 50 → 0.5: 5 still blew up; lr 1 → 0.5: 0.1 cost 0.025 accuracy in 300 steps), else 10× lower.
 */
export function lowerRateFix(spec: ModelSpec): Fix {
  const lr = spec.optimizer.learningRate;
  const target = aboveStableRate(spec) ? STABLE_RATE[spec.optimizer.type] : lr * 0.1;
  return learningRateFix(lr, target / lr);
}

export function adamFix(): Fix {
  const value: OptimizerSpec = { type: 'adam', learningRate: 0.001 };
  return { kind: 'optimizer', value, label: 'Use Adam with learning rate 0.001' };
}

export function sameFix(a: Fix, b: Fix): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function dedupeFixes(fixes: Fix[]): Fix[] {
  const out: Fix[] = [];
  for (const f of fixes) if (!out.some((g) => sameFix(f, g))) out.push(f);
  return out;
}

export const pct = (x: number, digits = 0): string => `${(x * 100).toFixed(digits)}%`;
export const sci = (x: number): string => (x === 0 ? '0' : Math.abs(x) >= 0.01 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(1));
export const initText = (i: Initializer): string => describeInitializer(i);

/** "units 0–99" / "units 3, 17, 42 and 5 more" */
export function unitList(units: number[], max = 6): string {
  if (units.length === 0) return 'no units';
  const sorted = [...units].sort((a, b) => a - b);
  const contiguous = sorted[sorted.length - 1] - sorted[0] === sorted.length - 1;
  if (contiguous && sorted.length > 2) return `units ${sorted[0]}–${sorted[sorted.length - 1]}`;
  const head = sorted.slice(0, max).join(', ');
  return sorted.length > max ? `units ${head} and ${sorted.length - max} more` : `unit${sorted.length > 1 ? 's' : ''} ${head}`;
}
