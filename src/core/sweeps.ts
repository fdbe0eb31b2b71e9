// Sweeps (issue 23): the same model with one thing changed, as the question compares them ("the same network with
// zeros, with N(0, 1), with U(±0.01)") — the initialiser of a layer (or of every hidden layer), the learning rate,
// or a hidden layer's activation. The one generator of them: the editor's sweeps (host/runManager.ts), the CLI's
// `train --sweep`, bench/sweep.ts and the tests all take their variants from here. Each variant is a whole,
// validated spec; sweep.ts trains them together. Pure: no training here.
import { type Activation, type Initializer, type ModelSpec, SpecError, layerLabel, validateSpec } from './spec';
import type { ScheduleSpec } from './specParts';

export const SWEEP_KINDS = ['init', 'learningRate', 'activation'] as const;
export type SweepKind = (typeof SWEEP_KINDS)[number];

export interface SweepVariant {
  /** Short name of the variant: "as written (zeros)", "N(0, 1)", "lr ×10 (5)", "tanh". */
  label: string;
  /** What changed, for people: "layer 1 (100 relu) kernel: zeros → heNormal" (empty for the variant as written). */
  change: string;
  /** The spec as written (the file's own program: its findings may go on the file's lines). Always the first. */
  asWritten: boolean;
  spec: ModelSpec;
}

export interface Sweep {
  kind: SweepKind;
  /** "Compare initialisations of layer 1 (100 relu)". */
  title: string;
  /** The hidden layer changed (init, activation), -1 for the optimizer or when every hidden layer changes. */
  layer: number;
  /** The variant as written first, then each change that differs from it. */
  variants: SweepVariant[];
}

/** The initialisations the question compares, besides the layer's own. */
export const SWEEP_INITIALIZERS: readonly { label: string; init: Initializer }[] = [
  { label: 'zeros', init: 'zeros' },
  { label: 'N(0, 1)', init: { type: 'randomNormal', mean: 0, stddev: 1 } },
  { label: 'U(±0.01)', init: { type: 'randomUniform', minval: -0.01, maxval: 0.01 } },
  { label: 'Glorot uniform', init: 'glorotUniform' },
  { label: 'He normal', init: 'heNormal' },
];
export const SWEEP_LEARNING_RATE_FACTORS: readonly number[] = [0.1, 1, 10];
export const SWEEP_ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'leakyRelu', 'elu'];

/** An initializer as people write it: "zeros", "N(0, 1)", "U(±0.01)", "heNormal". */
export function initializerText(init: Initializer): string {
  if (typeof init === 'string') return init;
  switch (init.type) {
    case 'constant': return `constant(${init.value})`;
    case 'randomUniform': return init.minval === -init.maxval ? `U(±${init.maxval})` : `U(${init.minval}, ${init.maxval})`;
    case 'randomNormal': return `N(${init.mean}, ${init.stddev})`;
    case 'truncatedNormal': return `truncated N(${init.mean}, ${init.stddev})`;
  }
}

const sameInit = (a: Initializer, b: Initializer): boolean => JSON.stringify(a) === JSON.stringify(b);
const rate = (x: number): number => Number(x.toPrecision(6));

/** Hidden layers of a spec (every layer but the output), as indices. */
export function hiddenLayers(spec: ModelSpec): number[] {
  return spec.layers.slice(0, -1).map((_, i) => i);
}

const kindTitle: Record<SweepKind, string> = { init: 'initialisations', learningRate: 'learning rates', activation: 'activations' };

function scaleSchedule(s: ScheduleSpec | undefined, factor: number): ScheduleSpec | undefined {
  // a piecewise schedule's values are learning rates themselves; the others multiply the base rate
  if (s?.type === 'piecewise') return { ...s, values: s.values.map((v) => rate(v * factor)) };
  return s;
}

/** The layers a sweep changes: `layer` (checked), every hidden layer ('all'), or by default the first hidden layer. */
function targetLayers(spec: ModelSpec, kind: SweepKind, layer: number | 'all' | undefined): number[] {
  const hidden = hiddenLayers(spec);
  const known = `output: ${spec.layers.length - 1}; hidden: ${hidden.join(', ') || 'none'}`;
  if (typeof layer === 'number') {
    if (!Number.isInteger(layer) || layer < 0 || layer >= spec.layers.length) {
      throw new RangeError(`layer ${layer} does not exist: "${spec.name}" has layers 0 to ${spec.layers.length - 1} (${known})`);
    }
    if (kind === 'activation' && !hidden.includes(layer)) {
      throw new RangeError(`layer ${layer} is not a hidden layer of "${spec.name}": it is the output layer, whose activation belongs to the loss (${known})`);
    }
    return [layer];
  }
  if (hidden.length === 0) {
    if (kind === 'activation') throw new RangeError(`"${spec.name}" has no hidden layer: there is no activation to compare (its only layer is the ${spec.layers[0]?.activation ?? '?'} output)`);
    return [0]; // softmax regression: its one layer
  }
  return layer === 'all' ? hidden : [hidden[0]];
}

/**
 * The sweep of `spec`, the variant as written first:
 *  - `init`: the layer's own kernel initialiser, then zeros, N(0, 1), U(±0.01), Glorot uniform, He normal (one equal
 *    to the own is not repeated);
 *  - `learningRate`: the optimizer's rate × 1, then × 0.1 and × 10 (a piecewise schedule's values scaled too);
 *  - `activation`: the layer's own, then the others of relu, tanh, sigmoid, leakyRelu, elu.
 * `layer` (init, activation): a layer index, 'all' (every hidden layer), or undefined (the first hidden layer; a
 * model without one: its one layer for `init`). Everything else (seed, data, steps, the other layers) is the spec's
 * own. Throws a RangeError naming what is wrong (a layer the model does not have, no hidden layer to change).
 */
export function sweepOf(spec: ModelSpec, kind: SweepKind, layer?: number | 'all'): Sweep {
  const made: { label: string; change: string; raw: ModelSpec }[] = [];
  let title: string;
  let at = -1;
  if (kind === 'learningRate') {
    const lr = spec.optimizer.learningRate;
    for (const f of [1, ...SWEEP_LEARNING_RATE_FACTORS.filter((x) => x !== 1)]) {
      const optimizer = { ...spec.optimizer, learningRate: rate(lr * f) };
      const schedule = scaleSchedule(spec.optimizer.schedule, f);
      if (schedule) optimizer.schedule = schedule;
      made.push(f === 1
        ? { label: `as written (lr ${lr})`, change: '', raw: spec }
        : { label: `lr ×${f} (${optimizer.learningRate})`, change: `learning rate: ${lr} → ${optimizer.learningRate}`, raw: { ...spec, optimizer } });
    }
    title = `Compare ${kindTitle[kind]} (×0.1, ×1, ×10 of ${lr})`;
  } else {
    const targets = targetLayers(spec, kind, layer);
    const where = targets.length === 1 ? layerLabel(spec, targets[0]) : `layers ${targets.map((i) => i + 1).join(', ')}`;
    at = targets.length === 1 ? targets[0] : -1;
    title = `Compare ${kindTitle[kind]} of ${targets.length === 1 ? where : 'every hidden layer'}`;
    const withLayers = (f: (l: ModelSpec['layers'][number]) => ModelSpec['layers'][number]): ModelSpec => ({
      ...spec, layers: spec.layers.map((l, i) => (targets.includes(i) ? f(l) : l)),
    });
    if (kind === 'init') {
      const owns = targets.map((i) => spec.layers[i].kernelInitializer);
      const ownText = [...new Set(owns.map(initializerText))].join(', ');
      made.push({ label: `as written (${ownText})`, change: '', raw: spec });
      for (const { label, init } of SWEEP_INITIALIZERS) {
        if (owns.every((o) => sameInit(o, init))) continue;
        made.push({ label, change: `${where} kernel: ${ownText} → ${initializerText(init)}`, raw: withLayers((l) => ({ ...l, kernelInitializer: structuredClone(init) })) });
      }
    } else {
      const owns = targets.map((i) => spec.layers[i].activation);
      const ownText = [...new Set(owns)].join(', ');
      made.push({ label: `as written (${ownText})`, change: '', raw: spec });
      for (const a of SWEEP_ACTIVATIONS) {
        if (owns.every((o) => o === a)) continue;
        made.push({ label: a, change: `${where} activation: ${ownText} → ${a}`, raw: withLayers((l) => ({ ...l, activation: a })) });
      }
    }
  }
  const variants = made.map(({ label, change, raw }, k): SweepVariant => {
    const short = k === 0 ? 'as written' : label;
    const r = validateSpec(structuredClone({ ...raw, name: `${spec.name} · ${short}`.slice(0, 200) }));
    if (!r.ok) throw new SpecError(r.problems);
    return { label, change, asWritten: k === 0, spec: r.spec };
  });
  return { kind, title, layer: at, variants };
}

/**
 * The variants of `sweepOf(spec, kind, layer ?? 'all')`: what the CLI's `train --sweep KIND` trains (every hidden
 * layer's initialiser or activation unless a layer is named).
 */
export function sweepVariants(spec: ModelSpec, kind: SweepKind, layer?: number): SweepVariant[] {
  return sweepOf(spec, kind, layer ?? 'all').variants;
}
