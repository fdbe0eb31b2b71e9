// The parts of a training program beyond the layers (docs/design.md "Model spec"): how the data reaches the
// first layer, the objective the output is trained on, the extras of the update (schedule, weight decay,
// clipping) and of the layers (bias, dropout, regularisers). Every key is optional: a spec without them (v1)
// means pixels in [0, 1], a softmax output, a mean softmax cross-entropy computed from the logits, and plain
// updates — exactly what it meant before these parts existed.
import { own } from './untrusted';
import { type SpecProblem, isObject, isFiniteNumber, describe, isOneOf, checkKeys, positiveInt, numberIn, bool } from './specCheck';

/** How pixels reach the first layer: `(byte / divideBy − mean) / std`, in float32. */
export interface DataSpec {
  /** 255: pixels in [0, 1] (the default, `/ 255.`, `ToTensor()`); 1: raw 0–255 (no scaling written). */
  divideBy: number;
  /** Normalisation after the division (`transforms.Normalize((m,), (s,))`, `(x - m) / s`). Default 0 and 1. */
  mean?: number;
  std?: number;
  /** The program shuffles its training set every epoch (Keras `fit`, `DataLoader(shuffle=True)`, TF1 `next_batch`). Absent: the run's setting. */
  shuffle?: boolean;
  /** The program trains on the first N training examples only (`fit(x_train[:5000], …)`). Default all 60,000. */
  trainExamples?: number;
}

export const LOSSES = ['crossEntropy', 'meanSquaredError', 'binaryCrossEntropy'] as const;
export type LossKind = (typeof LOSSES)[number];
export const LOSS_INPUTS = ['logits', 'probabilities', 'logProbabilities'] as const;
export type LossInput = (typeof LOSS_INPUTS)[number];

/**
 * The loss on the last layer's output, as the program passes it (the output after its activation).
 *  - crossEntropy from `logits`: log-softmax of the output, stable (`tf.nn.softmax_cross_entropy_with_logits`,
 *    Keras `from_logits=True`, `nn.CrossEntropyLoss`); from `logProbabilities`: −output[label] (`nn.NLLLoss`);
 *    from `probabilities`: −Σ y·log(output) — `fused` computes it from the softmax's logits (TensorFlow's fused op,
 *    Keras on a softmax layer, the v1 default), else as written: `normalize` divides by the class sum first and
 *    `clip` bounds the probabilities (Keras `from_logits=False`: both, [1e-7, 1 − 1e-7]), `logOffset` is added
 *    inside the log (`tf.log(y + 1e-10)`); none of them: `log(0)` is −∞ and the loss NaN, as in TensorFlow.
 *    `clipFirst` (with normalize and clip) clips before it normalises: −log(clip(o_y) / Σ clip(o)), computed as Keras's
 *    sparse_categorical_crossentropy does (log of the clipped output, then the softmax cross-entropy of those logs).
 *  - binaryCrossEntropy per class against the one-hot labels, from `logits` (stable) or `probabilities` (clip, logOffset;
 *    or `logFloor`: each log is max(log(x), logFloor) and the gradient is PyTorch's (p − y) / max(p·(1 − p), 1e-12),
 *    as `nn.BCELoss` / `F.binary_cross_entropy` compute it with logFloor −100).
 *  - meanSquaredError between the output and the one-hot labels.
 * `reduction` applies to the loss's elements as the framework forms them: one per example for crossEntropy, one per
 * example and class for the others; `mean` divides by their count, `sum` does not (a step B× or 10·B× larger).
 */
export interface ObjectiveSpec {
  loss: LossKind;
  from: LossInput;
  fused?: boolean;
  normalize?: boolean;
  clip?: [number, number];
  /** Clip, then normalise (Keras's sparse_categorical_crossentropy from probabilities); needs normalize and clip. */
  clipFirst?: boolean;
  logOffset?: number;
  /** binaryCrossEntropy from probabilities only: logs clamped below at this value (PyTorch's BCELoss: −100), no clip or logOffset with it. */
  logFloor?: number;
  reduction: Reduction;
}
/** mean: over the loss's elements; sum: none; meanAll: over every example × class term (`tf.reduce_mean(y_ * tf.log(y))`). */
export const REDUCTIONS = ['mean', 'sum', 'meanAll'] as const;
export type Reduction = (typeof REDUCTIONS)[number];

/** The v1 objective: a mean softmax cross-entropy computed from the logits of a softmax output. */
export const DEFAULT_OBJECTIVE: ObjectiveSpec = { loss: 'crossEntropy', from: 'probabilities', fused: true, reduction: 'mean' };

/**
 * A learning-rate schedule over training steps (the step counter starts at 0):
 *  - exponential: lr · rate^(step / decaySteps), `staircase`: the exponent floored (tf.train.exponential_decay,
 *    Keras ExponentialDecay; torch ExponentialLR with decaySteps = the steps of one epoch and staircase);
 *  - step: lr · gamma^floor(step / stepSize) (torch StepLR, in steps);
 *  - piecewise: values[i] while step < boundaries[i], the last value after (tf.train.piecewise_constant).
 */
export type ScheduleSpec =
  | { type: 'exponential'; decaySteps: number; decayRate: number; staircase?: boolean }
  | { type: 'step'; stepSize: number; gamma: number }
  | { type: 'piecewise'; boundaries: number[]; values: number[] };

/** Added to the loss: l2·Σw² + l1·Σ|w| over the layer's kernel (Keras `kernel_regularizer`, `tf.nn.l2_loss` · λ as l2 = λ/2). */
export interface RegularizerSpec {
  l1?: number;
  l2?: number;
}

/** Update extras: keys of `optimizer` besides its type and options. */
export interface UpdateExtras {
  schedule?: ScheduleSpec;
  /** Coupled weight decay on every parameter: g + wd·w (torch `weight_decay`). */
  weightDecay?: number;
  /** Each gradient tensor clipped to this L2 norm (Keras `clipnorm`). */
  clipNorm?: number;
  /** All gradients scaled together to this global L2 norm (`clip_grad_norm_`, Keras `global_clipnorm`, `tf.clip_by_global_norm`). */
  globalClipNorm?: number;
  /** Every gradient element clipped to [−v, v] (`clip_grad_value_`, Keras `clipvalue`). */
  clipValue?: number;
}
export const UPDATE_EXTRA_KEYS = ['schedule', 'weightDecay', 'clipNorm', 'globalClipNorm', 'clipValue'] as const;

/** Layer extras: keys of a layer besides units, activation and initializers. */
export interface LayerExtras {
  /** false: the layer has no bias (`use_bias=False`, `bias=False`). Default true. */
  useBias?: boolean;
  /** Inverted dropout on this layer's output during training only (Keras `Dropout(rate)` after it, `nn.Dropout(p)`). */
  dropout?: number;
  kernelRegularizer?: RegularizerSpec;
}
export const LAYER_EXTRA_KEYS = ['useBias', 'dropout', 'kernelRegularizer'] as const;

export const MAX_TRAIN_EXAMPLES = 60_000;

export function validateData(v: unknown, path: string, problems: SpecProblem[]): DataSpec | undefined {
  if (!isObject(v)) {
    problems.push({ path, message: `must be an object like {"divideBy": 255}, ${describe(v)}` });
    return undefined;
  }
  const before = problems.length;
  checkKeys(v, ['divideBy', 'mean', 'std', 'shuffle', 'trainExamples'], path, problems);
  const raw = own(v, 'divideBy');
  const out: DataSpec = { divideBy: raw === undefined ? 255 : (numberIn(raw, `${path}.divideBy`, 0, 1e6, problems, true) ?? 255) };
  const mean = own(v, 'mean');
  if (mean !== undefined) out.mean = numberIn(mean, `${path}.mean`, -1e6, 1e6, problems);
  const std = own(v, 'std');
  if (std !== undefined) out.std = numberIn(std, `${path}.std`, 0, 1e6, problems, true);
  const shuffle = own(v, 'shuffle');
  if (shuffle !== undefined) out.shuffle = bool(shuffle, `${path}.shuffle`, problems);
  const n = own(v, 'trainExamples');
  if (n !== undefined) out.trainExamples = positiveInt(n, `${path}.trainExamples`, MAX_TRAIN_EXAMPLES, problems);
  return problems.length === before ? out : undefined;
}

function validateClip(v: unknown, path: string, problems: SpecProblem[]): [number, number] | undefined {
  if (!Array.isArray(v) || v.length !== 2 || !isFiniteNumber(v[0]) || !isFiniteNumber(v[1]) || !(v[0] >= 0 && v[0] < v[1] && v[1] <= 1)) {
    problems.push({ path, message: `must be [low, high] with 0 <= low < high <= 1, ${describe(v)}` });
    return undefined;
  }
  return [v[0], v[1]];
}

export function validateObjective(v: unknown, path: string, problems: SpecProblem[]): ObjectiveSpec | undefined {
  if (!isObject(v)) {
    problems.push({ path, message: `must be an object like {"loss": "crossEntropy", "from": "logits", "reduction": "mean"}, ${describe(v)}` });
    return undefined;
  }
  const before = problems.length;
  checkKeys(v, ['loss', 'from', 'fused', 'normalize', 'clip', 'clipFirst', 'logOffset', 'logFloor', 'reduction'], path, problems);
  const loss = own(v, 'loss');
  if (!isOneOf(LOSSES, loss)) problems.push({ path: `${path}.loss`, message: `must be one of ${LOSSES.join(', ')}, ${describe(loss)}` });
  const from = own(v, 'from') ?? (loss === 'meanSquaredError' ? 'probabilities' : undefined);
  if (!isOneOf(LOSS_INPUTS, from)) problems.push({ path: `${path}.from`, message: `must be one of ${LOSS_INPUTS.join(', ')}, ${describe(from)}` });
  const reduction = own(v, 'reduction') ?? 'mean';
  if (!isOneOf(REDUCTIONS, reduction)) problems.push({ path: `${path}.reduction`, message: `must be one of ${REDUCTIONS.join(', ')}, ${describe(reduction)}` });
  if (problems.length !== before) return undefined;
  const out: ObjectiveSpec = { loss: loss as ObjectiveSpec['loss'], from: from as LossInput, reduction: reduction as Reduction };
  if (out.loss === 'binaryCrossEntropy' && out.from === 'logProbabilities') problems.push({ path: `${path}.from`, message: 'binaryCrossEntropy takes "logits" or "probabilities"' });
  const probabilityOptions = out.from === 'probabilities' && out.loss !== 'meanSquaredError';
  for (const key of ['fused', 'normalize'] as const) {
    const x = own(v, key);
    if (x === undefined) continue;
    if (!probabilityOptions || (key === 'normalize' && out.loss !== 'crossEntropy') || (key === 'fused' && out.loss !== 'crossEntropy')) {
      problems.push({ path: `${path}.${key}`, message: `only applies to crossEntropy from probabilities` });
      continue;
    }
    const b = bool(x, `${path}.${key}`, problems);
    if (b) out[key] = true;
  }
  const clip = own(v, 'clip');
  if (clip !== undefined) {
    if (!probabilityOptions) problems.push({ path: `${path}.clip`, message: 'only applies to a loss from probabilities' });
    else out.clip = validateClip(clip, `${path}.clip`, problems);
  }
  const clipFirst = own(v, 'clipFirst');
  if (clipFirst !== undefined && bool(clipFirst, `${path}.clipFirst`, problems)) {
    if (!out.normalize || !out.clip) problems.push({ path: `${path}.clipFirst`, message: 'clips before it normalises: it needs "normalize": true and a "clip"' });
    else out.clipFirst = true;
  }
  const offset = own(v, 'logOffset');
  if (offset !== undefined) {
    if (!probabilityOptions) problems.push({ path: `${path}.logOffset`, message: 'only applies to a loss from probabilities' });
    else out.logOffset = numberIn(offset, `${path}.logOffset`, 0, 1, problems);
  }
  const floor = own(v, 'logFloor');
  if (floor !== undefined) {
    if (!probabilityOptions || out.loss !== 'binaryCrossEntropy') problems.push({ path: `${path}.logFloor`, message: 'only applies to binaryCrossEntropy from probabilities' });
    else if (out.clip || out.logOffset !== undefined) problems.push({ path: `${path}.logFloor`, message: 'takes no clip or logOffset with it (it is PyTorch\'s BCELoss, which has neither)' });
    else out.logFloor = numberIn(floor, `${path}.logFloor`, -1e6, 0, problems);
  }
  if (out.fused && (out.normalize || out.clip || out.logOffset !== undefined)) {
    problems.push({ path: `${path}.fused`, message: 'a fused cross-entropy takes no normalize, clip or logOffset (it never takes a log of a probability)' });
  }
  return problems.length === before ? out : undefined;
}

function validateSchedule(v: unknown, path: string, problems: SpecProblem[]): ScheduleSpec | undefined {
  if (!isObject(v)) {
    problems.push({ path, message: `must be an object like {"type": "exponential", "decaySteps": 100, "decayRate": 0.96}, ${describe(v)}` });
    return undefined;
  }
  const before = problems.length;
  const type = own(v, 'type');
  switch (type) {
    case 'exponential': {
      checkKeys(v, ['type', 'decaySteps', 'decayRate', 'staircase'], path, problems);
      const decaySteps = positiveInt(own(v, 'decaySteps'), `${path}.decaySteps`, 1e9, problems);
      const decayRate = numberIn(own(v, 'decayRate'), `${path}.decayRate`, 0, 1e6, problems, true);
      const s = own(v, 'staircase');
      const staircase = s === undefined ? undefined : bool(s, `${path}.staircase`, problems);
      if (problems.length !== before) return undefined;
      return { type, decaySteps: decaySteps!, decayRate: decayRate!, ...(staircase ? { staircase } : {}) };
    }
    case 'step': {
      checkKeys(v, ['type', 'stepSize', 'gamma'], path, problems);
      const stepSize = positiveInt(own(v, 'stepSize'), `${path}.stepSize`, 1e9, problems);
      const gamma = numberIn(own(v, 'gamma'), `${path}.gamma`, 0, 1e6, problems, true);
      return problems.length === before ? { type, stepSize: stepSize!, gamma: gamma! } : undefined;
    }
    case 'piecewise': {
      checkKeys(v, ['type', 'boundaries', 'values'], path, problems);
      const b = own(v, 'boundaries');
      const vals = own(v, 'values');
      const okB = Array.isArray(b) && b.length <= 1000 && b.every((x, i) => Number.isInteger(x) && x >= 0 && (i === 0 || x > b[i - 1]));
      if (!okB) problems.push({ path: `${path}.boundaries`, message: `must be increasing whole step numbers (at most 1000), ${describe(b)}` });
      const okV = Array.isArray(vals) && vals.every((x) => isFiniteNumber(x) && x > 0);
      if (!okV) problems.push({ path: `${path}.values`, message: `must be learning rates > 0, ${describe(vals)}` });
      else if (okB && vals.length !== b.length + 1) problems.push({ path: `${path}.values`, message: `must have one more value than boundaries (${b.length + 1}), got ${vals.length}` });
      return problems.length === before ? { type, boundaries: [...(b as number[])], values: [...(vals as number[])] } : undefined;
    }
    default:
      problems.push({ path: `${path}.type`, message: `must be one of exponential, step, piecewise, ${describe(type)}` });
      return undefined;
  }
}

/** The update extras of an optimizer object (its other keys are checked by spec.ts). */
export function validateUpdateExtras(v: Record<string, unknown>, path: string, problems: SpecProblem[]): UpdateExtras {
  const out: UpdateExtras = {};
  const schedule = own(v, 'schedule');
  if (schedule !== undefined) out.schedule = validateSchedule(schedule, `${path}.schedule`, problems);
  const wd = own(v, 'weightDecay');
  if (wd !== undefined) out.weightDecay = numberIn(wd, `${path}.weightDecay`, 0, 1e3, problems);
  for (const key of ['clipNorm', 'globalClipNorm', 'clipValue'] as const) {
    const x = own(v, key);
    if (x !== undefined) out[key] = numberIn(x, `${path}.${key}`, 0, 1e12, problems, true);
  }
  for (const k of Object.keys(out) as (keyof UpdateExtras)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** The extras of a layer object (its other keys are checked by spec.ts). */
export function validateLayerExtras(v: Record<string, unknown>, path: string, problems: SpecProblem[]): LayerExtras {
  const out: LayerExtras = {};
  const useBias = own(v, 'useBias');
  if (useBias !== undefined) {
    const b = bool(useBias, `${path}.useBias`, problems);
    if (b === false) out.useBias = false;
  }
  const dropout = own(v, 'dropout');
  if (dropout !== undefined) {
    const rate = numberIn(dropout, `${path}.dropout`, 0, 1, problems);
    if (rate !== undefined && rate >= 1) problems.push({ path: `${path}.dropout`, message: `must be below 1 (the share of outputs dropped), got ${rate}` });
    else if (rate) out.dropout = rate;
  }
  const reg = own(v, 'kernelRegularizer');
  if (reg !== undefined) {
    const rp = `${path}.kernelRegularizer`;
    if (!isObject(reg)) problems.push({ path: rp, message: `must be an object like {"l2": 0.01}, ${describe(reg)}` });
    else {
      checkKeys(reg, ['l1', 'l2'], rp, problems);
      const r: RegularizerSpec = {};
      for (const key of ['l1', 'l2'] as const) {
        const x = own(reg, key);
        if (x !== undefined) {
          const n = numberIn(x, `${rp}.${key}`, 0, 1e3, problems);
          if (n) r[key] = n;
        }
      }
      if (r.l1 || r.l2) out.kernelRegularizer = r;
    }
  }
  return out;
}

/**
 * Whether the output layer's activation can be trained under the objective at all (not whether it is a good
 * pairing: a poor one is a finding, `output-loss-mismatch`). Only a fused cross-entropy needs a softmax output.
 */
export function checkOutputFitsObjective(activation: string, objective: ObjectiveSpec | undefined, path: string, problems: SpecProblem[]): void {
  const o = objective ?? DEFAULT_OBJECTIVE;
  if (o.fused && activation !== 'softmax') {
    problems.push({
      path,
      message: objective
        ? `a fused cross-entropy is computed from a softmax's logits: the last layer must be "softmax", got "${activation}"`
        : `the last layer must be "softmax" (training minimises softmax cross-entropy; give an "objective" for another output), got "${activation}"`,
    });
  }
}
