// The model spec: the one description of a training program that every part of Gradient Lens shares
// (docs/design.md "Model spec"). Source importers produce it, the trainer runs it, the CLI and panel show it.
// Its parts, as a training program has them: data (`data`: how pixels reach the 784 inputs), model (`layers`:
// dense layers, the last with 10 units), objective (`objective`: the loss on the output as passed), update
// (`optimizer`, with its schedule, weight decay and clipping) and loop (`batchSize`, `steps`,
// `accumulateGradients`). The parts besides the layers are in specParts.ts; without them a spec (v1) means
// pixels in [0, 1], a softmax output and a mean softmax cross-entropy, as it always has.

import { own, preview, table } from './untrusted';
import { problemsText } from './specText';
import { type SpecProblem, isObject, isFiniteNumber, describe, noNegativeZero, isOneOf, checkKeys, positiveInt } from './specCheck';
import { type DataSpec, type ObjectiveSpec, type UpdateExtras, type LayerExtras, UPDATE_EXTRA_KEYS, LAYER_EXTRA_KEYS, DEFAULT_OBJECTIVE, validateData, validateObjective, validateUpdateExtras, validateLayerExtras, checkOutputFitsObjective } from './specParts';

export type { SpecProblem } from './specCheck';
export { keyPath } from './specCheck';
export type { DataSpec, ObjectiveSpec, ScheduleSpec, RegularizerSpec, LossKind, LossInput, UpdateExtras, LayerExtras } from './specParts';
export { DEFAULT_OBJECTIVE } from './specParts';


export const INPUT_SIZE = 784;
export const NUM_CLASSES = 10;

export const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'linear', 'softmax', 'elu', 'selu', 'leakyRelu', 'logSoftmax'] as const;
/** Activations over a whole row (the output layer's only). */
export const ROW_ACTIVATIONS: readonly Activation[] = ['softmax', 'logSoftmax'];
export type Activation = (typeof ACTIVATIONS)[number];

export const NAMED_INITIALIZERS = [
  'zeros', 'ones', 'glorotUniform', 'glorotNormal', 'heNormal', 'heUniform', 'leCunNormal', 'leCunUniform',
] as const;
export type NamedInitializer = (typeof NAMED_INITIALIZERS)[number];

export type Initializer =
  | NamedInitializer
  | { type: 'constant'; value: number }
  | { type: 'randomUniform'; minval: number; maxval: number }
  | { type: 'randomNormal'; mean: number; stddev: number }
  | { type: 'truncatedNormal'; mean: number; stddev: number };

export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'rmsprop'] as const;
export type OptimizerType = (typeof OPTIMIZERS)[number];

/** Optimizer options, named as in tf.train.* (momentum defaults 0.9; adam beta1 0.9, beta2 0.999, epsilon 1e-7; rmsprop decay 0.9, momentum 0, epsilon 1e-7). */
export interface OptimizerSpec extends UpdateExtras {
  type: OptimizerType;
  learningRate: number;
  momentum?: number;
  useNesterov?: boolean;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  decay?: number;
}

/** An optimizer's options with tf.train's defaults filled in (the one place they are written). */
export function optimizerSettings(o: OptimizerSpec): Required<Omit<OptimizerSpec, 'type' | keyof UpdateExtras>> {
  return {
    learningRate: o.learningRate, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, epsilon: o.epsilon ?? 1e-7, decay: o.decay ?? 0.9,
    momentum: o.momentum ?? (o.type === 'rmsprop' ? 0 : 0.9), useNesterov: o.useNesterov ?? false,
  };
}

export interface LayerSpec extends LayerExtras {
  /** The layer's name in the user's source (`W1`, `self.fc1`, `Dense(100) on line 9`), for people; absent for presets and JSON specs without one. */
  name?: string;
  units: number;
  activation: Activation;
  kernelInitializer: Initializer;
  biasInitializer: Initializer;
}

/** A validated spec with every default filled in. */
export interface ModelSpec {
  name: string;
  layers: LayerSpec[];
  optimizer: OptimizerSpec;
  batchSize: number;
  steps: number;
  seed: number;
  /** How the pixels reach the first layer. Absent: `byte / 255`. */
  data?: DataSpec;
  /** The loss on the output. Absent: a mean softmax cross-entropy from the softmax output's logits (v1). */
  objective?: ObjectiveSpec;
  /** The program never zeroes its gradients (a PyTorch loop without `zero_grad`): each step applies the sum of every gradient so far. */
  accumulateGradients?: boolean;
}

export type SpecResult = { ok: true; spec: ModelSpec } | { ok: false; problems: SpecProblem[] };

export class SpecError extends Error {
  constructor(readonly problems: SpecProblem[]) {
    super(`invalid model spec: ${problemsText(problems)}`);
    this.name = 'SpecError';
  }
}

export const DEFAULTS = { kernelInitializer: 'glorotUniform', biasInitializer: 'zeros', batchSize: 100, steps: 1000, seed: 1 } as const;
/** Layers as wide as real questions have them (5,000, 13,000 units): the memory estimate (memory.ts) warns where a width does not fit. */
export const MAX_UNITS = 65_536;
export const MAX_LAYERS = 16;
export const MAX_STEPS = 1_000_000;
export const MAX_BATCH_SIZE = 60_000;
export const MAX_SEED = 2 ** 32 - 1;
/** Problems listed for one spec; the rest are counted in a last problem (a file with 40,000 unknown keys gets 101 lines, not 40,000). */
export const MAX_PROBLEMS = 100;
const MAX_NAME = 200;
const MAX_DESCRIPTION = 10_000;

function validateInitializer(v: unknown, path: string, problems: SpecProblem[]): Initializer | undefined {
  if (typeof v === 'string') {
    if (isOneOf(NAMED_INITIALIZERS, v)) return v;
    problems.push({ path, message: `unknown initializer ${preview(v)} (expected one of ${NAMED_INITIALIZERS.join(', ')}, or an object with "type")` });
    return undefined;
  }
  if (!isObject(v)) {
    problems.push({ path, message: `must be an initializer name or object, ${describe(v)}` });
    return undefined;
  }
  const before = problems.length;
  const num = (key: string): number => {
    const x = own(v, key);
    if (!isFiniteNumber(x)) problems.push({ path: `${path}.${key}`, message: `must be a finite number, ${describe(x)}` });
    return noNegativeZero(x as number);
  };
  const type = own(v, 'type');
  switch (type) {
    case 'constant': {
      checkKeys(v, ['type', 'value'], path, problems);
      const value = num('value');
      return problems.length === before ? { type: 'constant', value } : undefined;
    }
    case 'randomUniform': {
      checkKeys(v, ['type', 'minval', 'maxval'], path, problems);
      const minval = num('minval');
      const maxval = num('maxval');
      if (problems.length === before && !(minval < maxval)) problems.push({ path: `${path}.maxval`, message: `must be greater than minval (${minval}), got ${maxval}` });
      return problems.length === before ? { type: 'randomUniform', minval, maxval } : undefined;
    }
    case 'randomNormal':
    case 'truncatedNormal': {
      checkKeys(v, ['type', 'mean', 'stddev'], path, problems);
      const mean = own(v, 'mean') === undefined ? 0 : num('mean');
      const stddev = num('stddev');
      if (isFiniteNumber(stddev) && stddev < 0) problems.push({ path: `${path}.stddev`, message: `must be >= 0, got ${stddev}` });
      return problems.length === before ? { type, mean, stddev } : undefined;
    }
    default:
      problems.push({ path: `${path}.type`, message: `must be one of constant, randomUniform, randomNormal, truncatedNormal, ${describe(type)}` });
      return undefined;
  }
}

function validateOptimizer(v: unknown, path: string, problems: SpecProblem[]): OptimizerSpec | undefined {
  if (!isObject(v)) {
    problems.push({ path, message: `must be an object like {"type": "sgd", "learningRate": 0.5}, ${describe(v)}` });
    return undefined;
  }
  const before = problems.length;
  const type = own(v, 'type');
  const known = isOneOf(OPTIMIZERS, type);
  if (!known) {
    problems.push({ path: `${path}.type`, message: `must be one of ${OPTIMIZERS.join(', ')}, ${describe(type)}` });
  }
  const lr = own(v, 'learningRate');
  if (!isFiniteNumber(lr) || lr <= 0) problems.push({ path: `${path}.learningRate`, message: `must be a number > 0, ${describe(lr)}` });
  const allowedKeys = ['type', 'learningRate', ...(known ? OPTIMIZER_OPTIONS[type] : []), ...UPDATE_EXTRA_KEYS];
  checkKeys(v, allowedKeys, path, problems);
  const out: OptimizerSpec = { type: type as OptimizerType, learningRate: lr as number };
  for (const key of ['momentum', 'beta1', 'beta2', 'decay'] as const) {
    const x = own(v, key);
    if (x === undefined || !allowedKeys.includes(key)) continue;
    if (!isFiniteNumber(x) || x < 0 || x >= 1) problems.push({ path: `${path}.${key}`, message: `must be a number in [0, 1), ${describe(x)}` });
    else out[key] = noNegativeZero(x);
  }
  const epsilon = own(v, 'epsilon');
  if (epsilon !== undefined && allowedKeys.includes('epsilon')) {
    if (!isFiniteNumber(epsilon) || epsilon <= 0) problems.push({ path: `${path}.epsilon`, message: `must be a number > 0, ${describe(epsilon)}` });
    else out.epsilon = epsilon;
  }
  const nesterov = own(v, 'useNesterov');
  if (nesterov !== undefined && allowedKeys.includes('useNesterov')) {
    if (typeof nesterov !== 'boolean') problems.push({ path: `${path}.useNesterov`, message: `must be true or false, ${describe(nesterov)}` });
    else out.useNesterov = nesterov;
  }
  Object.assign(out, validateUpdateExtras(v, path, problems));
  return problems.length === before ? out : undefined;
}

/** Options each optimizer takes besides type and learningRate. */
const OPTIMIZER_OPTIONS: Readonly<Record<OptimizerType, readonly string[]>> = table({
  sgd: [], momentum: ['momentum', 'useNesterov'], adam: ['beta1', 'beta2', 'epsilon'], rmsprop: ['decay', 'momentum', 'epsilon'],
});

/** Checks one initializer (a name or an object, as in a spec); undefined with the reasons when it is not one. */
export function checkInitializer(v: unknown): { ok: true; value: Initializer } | { ok: false; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const value = validateInitializer(v, '$', problems);
  return value !== undefined && problems.length === 0 ? { ok: true, value } : { ok: false, problems };
}

/** Checks one optimizer object (as in a spec). */
export function checkOptimizer(v: unknown): { ok: true; value: OptimizerSpec } | { ok: false; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const value = validateOptimizer(v, '$', problems);
  return value !== undefined && problems.length === 0 ? { ok: true, value } : { ok: false, problems };
}

export const isActivation = (v: unknown): v is Activation => isOneOf(ACTIVATIONS, v);

/** Keeps the first MAX_PROBLEMS problems and says how many more there were. */
function capped(problems: SpecProblem[]): SpecProblem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [...problems.slice(0, MAX_PROBLEMS), { path: '$', message: `… and ${problems.length - MAX_PROBLEMS} more problems (only the first ${MAX_PROBLEMS} are listed)` }];
}

/** Validates untrusted input (parsed JSON, an importer's output) and fills defaults. Lists every problem found (up to MAX_PROBLEMS). Never throws. */
export function validateSpec(input: unknown): SpecResult {
  const problems: SpecProblem[] = [];
  if (!isObject(input)) return { ok: false, problems: [{ path: '$', message: `a model spec must be a JSON object, ${describe(input)}` }] };
  checkKeys(input, ['name', 'layers', 'optimizer', 'batchSize', 'steps', 'seed', '$schema', 'description', 'data', 'objective', 'accumulateGradients'], '$', problems);
  const rawData = own(input, 'data');
  const data = rawData === undefined ? undefined : validateData(rawData, '$.data', problems);
  const rawObjective = own(input, 'objective');
  const objective = rawObjective === undefined ? undefined : validateObjective(rawObjective, '$.objective', problems);
  const rawAccumulate = own(input, 'accumulateGradients');
  if (rawAccumulate !== undefined && typeof rawAccumulate !== 'boolean') problems.push({ path: '$.accumulateGradients', message: `must be true or false, ${describe(rawAccumulate)}` });

  let name = 'custom';
  const rawName = own(input, 'name');
  if (rawName !== undefined) {
    if (typeof rawName !== 'string' || rawName.trim() === '' || rawName.length > MAX_NAME) problems.push({ path: '$.name', message: `must be a non-empty string of at most ${MAX_NAME} characters, ${describe(rawName)}` });
    else name = rawName;
  }
  for (const key of ['$schema', 'description'] as const) {
    const x = own(input, key);
    if (x !== undefined && (typeof x !== 'string' || x.length > MAX_DESCRIPTION)) problems.push({ path: `$.${key}`, message: `must be a string of at most ${MAX_DESCRIPTION} characters, ${describe(x)}` });
  }

  const layers: LayerSpec[] = [];
  const rawLayers = own(input, 'layers');
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) {
    problems.push({ path: '$.layers', message: `must be a non-empty array of layers (the last one has ${NUM_CLASSES} softmax units), ${describe(rawLayers)}` });
  } else if (rawLayers.length > MAX_LAYERS) {
    problems.push({ path: '$.layers', message: `at most ${MAX_LAYERS} layers, got ${rawLayers.length}` });
  } else {
    for (let i = 0; i < rawLayers.length; i++) {
      const raw: unknown = rawLayers[i];
      const path = `$.layers[${i}]`;
      const last = i === rawLayers.length - 1;
      if (!isObject(raw)) {
        problems.push({ path, message: `must be an object like {"units": 100, "activation": "relu"}, ${describe(raw)}` });
        continue;
      }
      checkKeys(raw, ['units', 'activation', 'kernelInitializer', 'biasInitializer', 'name', ...LAYER_EXTRA_KEYS], path, problems);
      const extras = validateLayerExtras(raw, path, problems);
      if (last && extras.dropout) problems.push({ path: `${path}.dropout`, message: 'dropout applies to a hidden layer\'s output, not to the last layer' });
      const units = positiveInt(own(raw, 'units'), `${path}.units`, MAX_UNITS, problems);
      if (last && units !== undefined && units !== NUM_CLASSES) problems.push({ path: `${path}.units`, message: `the last layer must have ${NUM_CLASSES} units (one per digit), got ${units}` });
      const layerName = own(raw, 'name');
      if (layerName !== undefined && (typeof layerName !== 'string' || layerName.length > MAX_NAME)) problems.push({ path: `${path}.name`, message: `must be a string of at most ${MAX_NAME} characters, ${describe(layerName)}` });
      let activation: Activation | undefined;
      const rawActivation = own(raw, 'activation');
      if (!isActivation(rawActivation)) {
        problems.push({ path: `${path}.activation`, message: `must be one of ${ACTIVATIONS.join(', ')}, ${describe(rawActivation)}` });
      } else {
        activation = rawActivation;
        if (last && rawObjective === undefined) checkOutputFitsObjective(activation, undefined, `${path}.activation`, problems);
        else if (last && objective) checkOutputFitsObjective(activation, objective, `${path}.activation`, problems);
        if (!last && ROW_ACTIVATIONS.includes(activation)) problems.push({ path: `${path}.activation`, message: `${activation} is only supported on the last layer` });
      }
      const rawKernel = own(raw, 'kernelInitializer');
      const rawBias = own(raw, 'biasInitializer');
      const kernel = rawKernel === undefined ? DEFAULTS.kernelInitializer : validateInitializer(rawKernel, `${path}.kernelInitializer`, problems);
      const bias = rawBias === undefined ? DEFAULTS.biasInitializer : validateInitializer(rawBias, `${path}.biasInitializer`, problems);
      if (units !== undefined && activation !== undefined && kernel !== undefined && bias !== undefined) {
        layers.push({ ...(typeof layerName === 'string' && layerName.trim() !== '' ? { name: layerName } : {}), units, activation, kernelInitializer: kernel, biasInitializer: bias, ...extras });
      }
    }
  }

  const rawOptimizer = own(input, 'optimizer');
  // Only a missing optimizer means the default: `null` is a value, and not an optimizer.
  const optimizer = validateOptimizer(rawOptimizer === undefined ? { type: 'sgd', learningRate: 0.5 } : rawOptimizer, '$.optimizer', problems);
  const rawBatch = own(input, 'batchSize');
  const rawSteps = own(input, 'steps');
  const batchSize = rawBatch === undefined ? DEFAULTS.batchSize : positiveInt(rawBatch, '$.batchSize', MAX_BATCH_SIZE, problems);
  const steps = rawSteps === undefined ? DEFAULTS.steps : positiveInt(rawSteps, '$.steps', MAX_STEPS, problems);
  let seed: number = DEFAULTS.seed;
  const rawSeed = own(input, 'seed');
  if (rawSeed !== undefined) {
    if (typeof rawSeed !== 'number' || !Number.isInteger(rawSeed) || rawSeed < 0 || rawSeed > MAX_SEED) problems.push({ path: '$.seed', message: `must be an integer from 0 to ${MAX_SEED}, ${describe(rawSeed)}` });
    else seed = noNegativeZero(rawSeed);
  }
  if (problems.length > 0) return { ok: false, problems: capped(problems) };
  const spec: ModelSpec = { name, layers, optimizer: optimizer!, batchSize: batchSize!, steps: steps!, seed };
  if (data) spec.data = data;
  if (objective) spec.objective = objective;
  if (rawAccumulate === true) spec.accumulateGradients = true;
  return { ok: true, spec };
}

/** validateSpec that throws a SpecError listing every problem. */
export function parseSpec(input: unknown): ModelSpec {
  const r = validateSpec(input);
  if (!r.ok) throw new SpecError(r.problems);
  return r.spec;
}

/** Layer i's fan-in (inputs per unit). */
export function fanIn(spec: ModelSpec, layer: number): number {
  return layer === 0 ? INPUT_SIZE : spec.layers[layer - 1].units;
}

export function parameterCount(spec: ModelSpec): number {
  return spec.layers.reduce((n, l, i) => n + (fanIn(spec, i) + 1) * l.units, 0);
}

/** "784 → 100 relu → 10 softmax" */
export function describeArchitecture(spec: ModelSpec): string {
  return [String(INPUT_SIZE), ...spec.layers.map((l) => `${l.units} ${l.activation}${l.dropout ? ` (dropout ${l.dropout})` : ''}`)].join(' → ');
}

/**
 * How a layer is named to a person: its name in the source (`W1`, `self.fc1`) with its shape, or, for presets and
 * JSON specs, its 1-based position and shape ("layer 1 (100 relu)"). Indices stay in JSON (`layer: 0`).
 */
export function layerLabel(spec: Pick<ModelSpec, 'layers'>, layer: number): string {
  const l = spec.layers[layer];
  if (!l) return layer < 0 ? 'the model' : `layer ${layer + 1}`;
  const shape = `${l.units} ${l.activation}`;
  return l.name ? `${l.name} (${shape})` : `layer ${layer + 1} (${shape})`;
}

/** A layer's name alone, for short texts such as fix labels: `W1`, `self.fc1`, or "layer 1". */
export function layerShortName(spec: Pick<ModelSpec, 'layers'>, layer: number): string {
  return spec.layers[layer]?.name ?? `layer ${layer + 1}`;
}

/** The objective a spec trains (its own, or the v1 default). */
export function objectiveOf(spec: ModelSpec): ObjectiveSpec {
  return spec.objective ?? DEFAULT_OBJECTIVE;
}

/** The pixel transform of a spec: `(byte / divideBy − mean) / std`. */
export function pixelTransform(spec: ModelSpec): { divideBy: number; mean: number; std: number } {
  return { divideBy: spec.data?.divideBy ?? 255, mean: spec.data?.mean ?? 0, std: spec.data?.std ?? 1 };
}

export function describeInitializer(init: Initializer): string {
  if (typeof init === 'string') return init;
  // 4 significant digits: PyTorch's default U(±1/√784) reads U(-0.03571, 0.03571), not 17 digits.
  const n = (x: number): string => String(Number(x.toPrecision(4)));
  switch (init.type) {
    case 'constant': return `constant(${n(init.value)})`;
    case 'randomUniform': return `U(${n(init.minval)}, ${n(init.maxval)})`;
    case 'randomNormal': return `N(${n(init.mean)}, ${n(init.stddev)})`;
    case 'truncatedNormal': return `truncN(${n(init.mean)}, ${n(init.stddev)})`;
  }
}
