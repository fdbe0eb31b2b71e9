// Every number a detector compares against, by name. docs/findings.md explains each one (what is
// measured, on which data, why this value). Users override them by name (options.thresholds, the
// `gradientLens.thresholds.*` settings); an override must be a finite number >= 0.

export const THRESHOLDS = {
  // dead-units (SageMaker Debugger DeadRelu: threshold_inactivity 1 %, threshold_layer 50 %)
  /** A ReLU unit is dead when its output is > 0 on fewer than this share of probe inputs. */
  deadActiveShare: 0.01,
  /** Share of a layer's units that are dead from which the finding is an error. */
  deadLayerErrorShare: 0.5,
  /** ... a warning (below it, dead units are reported as info). */
  deadLayerWarnShare: 0.2,

  // symmetric-units
  /** Two units are identical when every incoming weight and the bias differ by at most this × the larger of the two units' RMS weights (per pair). */
  symmetryRelTolerance: 1e-3,
  /** The finding is an error when the effective width is at most this share of the layer's units (else a warning). */
  symmetryErrorWidthShare: 0.5,

  // vanishing-gradient
  /** A layer's mean |dL/dW| below this (but not exactly 0) is vanishing (SageMaker VanishingGradient: 1e-7). */
  vanishingMeanAbsGrad: 1e-7,
  /** ... or when it is below this × the output layer's mean |dL/dW| (three orders of magnitude towards the input). */
  vanishingRatio: 1e-3,

  // exploding-gradient
  /** A single training step's loss above this × max(initial probe loss, ln 10) is a blow-up. */
  explodingLossFactor: 10,
  /** ... or a probe interval's mean loss above this × max(ln 10, min(that reference, the lowest interval mean so far)). */
  explodingRiseFactor: 3,
  /** ... or a layer's kernel-gradient L2 norm above this. */
  explodingGradNorm: 1e3,

  // saturated-units
  /** A sigmoid/tanh unit is flat on an input when its derivative there is below this share of the derivative's maximum (tanh: |z| > 2.64, sigmoid: |z| > 5.29); an elu/selu unit when z < ln(this) (−3.9: dead-units). */
  saturationDerivativeShare: 0.02,
  /** A unit is saturated when it is flat on more than this share of probe inputs. */
  saturatedInputShare: 0.5,
  /** The layer is reported when at least this share of its units is saturated. */
  saturatedLayerShare: 0.5,

  // collapsed-output
  /** The model has collapsed when one class receives at least this share of the predictions. */
  collapsedShare: 0.9,

  // loss-plateau
  /** Steps of training loss compared (first half vs second half of the window). */
  plateauWindow: 200,
  /** The loss plateaus when the second half's mean is less than this share below the first half's (2 % per 100 steps: > 3,000 steps to halve). */
  plateauMinRelDecrease: 0.02,
  /** ... and only while that mean is still above this × ln 10 (chance level): a converged loss is not a plateau. */
  plateauMinLossShareOfChance: 0.5,

  // poor-init-scale (compared with the Glorot / He / LeCun standard deviations for the layer's fan-in)
  /** Initial weight scale above this × the largest reference std is too large. */
  initScaleTooLarge: 10,
  /** Initial weight scale of a hidden layer below this × the smallest reference std is too small. */
  initScaleTooSmall: 0.1,

  // the program's causes (unscaled-input, output-loss-mismatch, loss-reduction, gradient-accumulation) and poor-init-scale
  /** A run trains well when its final test accuracy reaches this (with a finite loss): its program causes are withdrawn to info, poor-init-scale is info. */
  trainsWellAccuracy: 0.9,
} as const;

export type ThresholdName = keyof typeof THRESHOLDS;
export type Thresholds = { readonly [K in ThresholdName]: number };

export const THRESHOLD_NAMES = Object.keys(THRESHOLDS) as ThresholdName[];

export class ThresholdError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid diagnostics thresholds: ${problems.join('; ')}`);
    this.name = 'ThresholdError';
  }
}

/** Names in `overrides` that are not thresholds (ignored by resolveThresholds; callers may warn about them). */
export function unknownThresholdNames(overrides: Partial<Record<string, unknown>> | undefined): string[] {
  return Object.keys(overrides ?? {}).filter((k) => !(THRESHOLD_NAMES as string[]).includes(k));
}

/** The defaults with `overrides` applied. Unknown names are ignored; a bad value throws a ThresholdError naming it. */
export function resolveThresholds(overrides?: Partial<Record<string, unknown>>): Thresholds {
  const out: Record<string, number> = { ...THRESHOLDS };
  const problems: string[] = [];
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (!(THRESHOLD_NAMES as string[]).includes(name) || value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      problems.push(`${name} must be a finite number >= 0, got ${JSON.stringify(value)}`);
    } else {
      out[name] = value;
    }
  }
  if (problems.length > 0) throw new ThresholdError(problems);
  return out as Thresholds;
}
