// The variants of a one-click sweep (issue 23): the same model with one thing changed — the initialiser of a layer
// (or of every hidden layer), the learning rate, or the hidden layers' activation. Each variant is a whole,
// validated spec with a label that says what changed ("W1 kernel: zeros"); sweep.ts trains them together.
import { type Activation, type Initializer, type ModelSpec, SpecError, describeInitializer, layerLabel, validateSpec } from './spec';
import type { ScheduleSpec } from './specParts';

export const SWEEP_KINDS = ['init', 'learningRate', 'activation'] as const;
export type SweepKind = (typeof SWEEP_KINDS)[number];

export interface SweepVariant {
  /** What this variant changes, for people ("own: zeros", "heNormal", "lr × 10 (5)", "tanh"). */
  label: string;
  spec: ModelSpec;
}

/** The initialisers a sweep compares (issue 23): zeros, N(0, 1), U(±0.01), Glorot, He — after the spec's own. */
export const SWEEP_INITIALIZERS: readonly { label: string; init: Initializer }[] = [
  { label: 'zeros', init: 'zeros' },
  { label: 'N(0, 1)', init: { type: 'randomNormal', mean: 0, stddev: 1 } },
  { label: 'U(±0.01)', init: { type: 'randomUniform', minval: -0.01, maxval: 0.01 } },
  { label: 'glorotUniform', init: 'glorotUniform' },
  { label: 'heNormal', init: 'heNormal' },
];
export const SWEEP_LEARNING_RATE_FACTORS: readonly number[] = [0.1, 1, 10];
export const SWEEP_ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'leakyRelu'];

function scaleSchedule(s: ScheduleSpec | undefined, factor: number): ScheduleSpec | undefined {
  // a piecewise schedule's values are learning rates themselves; the others multiply the base rate
  if (s?.type === 'piecewise') return { ...s, values: s.values.map((v) => v * factor) };
  return s;
}

const fmtRate = (x: number): string => String(Number(x.toPrecision(4)));

/** The layers a sweep changes: `layer` when given (checked), else every hidden layer. */
function targetLayers(spec: ModelSpec, kind: SweepKind, layer: number | undefined): number[] {
  const hidden = spec.layers.map((_, i) => i).slice(0, -1);
  if (layer !== undefined) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= spec.layers.length) throw new RangeError(`layer ${layer} does not exist: the model has layers 0 to ${spec.layers.length - 1}`);
    if (kind === 'activation' && layer === spec.layers.length - 1) throw new RangeError(`layer ${layer} is the output layer: its activation belongs to the loss; an activation sweep changes hidden layers`);
    return [layer];
  }
  if (hidden.length === 0) {
    if (kind === 'activation') throw new RangeError(`${spec.name} has no hidden layer whose activation could change`);
    return [0]; // softmax regression: its one layer
  }
  return hidden;
}

/**
 * The labelled variant specs of a sweep of `spec`:
 *  - `init`: the spec's own kernel initialiser, then zeros, N(0, 1), U(±0.01), glorotUniform, heNormal, on `layer`
 *    or on every hidden layer (a model without hidden layers: its one layer);
 *  - `learningRate`: the optimizer's rate × 0.1, × 1, × 10 (a piecewise schedule's values scaled too);
 *  - `activation`: relu, tanh, sigmoid, leakyRelu on `layer` or every hidden layer.
 * Everything else (seed, data, steps, the other layers) is the spec's own. Throws a RangeError for a layer the
 * model does not have.
 */
export function sweepVariants(spec: ModelSpec, kind: SweepKind, layer?: number): SweepVariant[] {
  const targets = kind === 'learningRate' ? [] : targetLayers(spec, kind, layer);
  const where = targets.length === 1 ? `${layerLabel(spec, targets[0])}: ` : '';
  const made: { label: string; raw: ModelSpec }[] = [];
  const withLayers = (f: (l: ModelSpec['layers'][number]) => ModelSpec['layers'][number]): ModelSpec => ({
    ...spec, layers: spec.layers.map((l, i) => (targets.includes(i) ? f(l) : l)),
  });
  if (kind === 'init') {
    const own = targets.map((i) => describeInitializer(spec.layers[i].kernelInitializer));
    made.push({ label: `own: ${[...new Set(own)].join(', ')}`, raw: spec });
    for (const { label, init } of SWEEP_INITIALIZERS) made.push({ label, raw: withLayers((l) => ({ ...l, kernelInitializer: init })) });
  } else if (kind === 'learningRate') {
    for (const factor of SWEEP_LEARNING_RATE_FACTORS) {
      const lr = spec.optimizer.learningRate * factor;
      const optimizer = { ...spec.optimizer, learningRate: lr };
      const schedule = scaleSchedule(spec.optimizer.schedule, factor);
      if (schedule) optimizer.schedule = schedule;
      made.push({ label: `lr × ${factor} (${fmtRate(lr)})`, raw: { ...spec, optimizer } });
    }
  } else {
    for (const activation of SWEEP_ACTIVATIONS) made.push({ label: activation, raw: withLayers((l) => ({ ...l, activation })) });
  }
  return made.map(({ label, raw }) => {
    const full = `${where}${label}`;
    const r = validateSpec({ ...raw, name: `${spec.name} [${full}]`.slice(0, 200) });
    if (!r.ok) throw new SpecError(r.problems);
    return { label: full, spec: r.spec };
  });
}
