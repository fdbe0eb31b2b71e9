// The model spec: the one description of an MLP that every part of Gradient Lens shares (DESIGN.md
// "Model spec"). Source importers produce it, the trainer consumes it, the CLI and panel show it.
// Input is always 784 (flattened 28×28 in [0, 1]); the last layer has 10 softmax units.

export const INPUT_SIZE = 784;
export const NUM_CLASSES = 10;

export const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'linear', 'softmax', 'elu', 'selu', 'leakyRelu'] as const;
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
export interface OptimizerSpec {
  type: OptimizerType;
  learningRate: number;
  momentum?: number;
  useNesterov?: boolean;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  decay?: number;
}

export interface LayerSpec {
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
}

export interface SpecProblem {
  /** JSON path of the offending value, e.g. `$.layers[0].kernelInitializer.stddev`. */
  path: string;
  message: string;
}

export type SpecResult = { ok: true; spec: ModelSpec } | { ok: false; problems: SpecProblem[] };

export class SpecError extends Error {
  constructor(readonly problems: SpecProblem[]) {
    super(`invalid model spec: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    this.name = 'SpecError';
  }
}

export const DEFAULTS = { kernelInitializer: 'glorotUniform', biasInitializer: 'zeros', batchSize: 100, steps: 1000, seed: 1 } as const;
const MAX_UNITS = 4096;
const MAX_LAYERS = 16;
const MAX_STEPS = 1_000_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const describe = (v: unknown): string => (v === undefined ? 'missing' : `got ${JSON.stringify(v)}`);

function checkKeys(obj: Record<string, unknown>, allowedKeys: readonly string[], path: string, problems: SpecProblem[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowedKeys.includes(key)) problems.push({ path: `${path}.${key}`, message: `unknown key (expected one of ${allowedKeys.join(', ')})` });
  }
}

function positiveInt(v: unknown, path: string, max: number, problems: SpecProblem[]): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    problems.push({ path, message: `must be an integer from 1 to ${max}, ${describe(v)}` });
    return undefined;
  }
  return v;
}

function validateInitializer(v: unknown, path: string, problems: SpecProblem[]): Initializer | undefined {
  if (typeof v === 'string') {
    if ((NAMED_INITIALIZERS as readonly string[]).includes(v)) return v as NamedInitializer;
    problems.push({ path, message: `unknown initializer ${JSON.stringify(v)} (expected one of ${NAMED_INITIALIZERS.join(', ')}, or an object with "type")` });
    return undefined;
  }
  if (!isObject(v)) {
    problems.push({ path, message: `must be an initializer name or object, ${describe(v)}` });
    return undefined;
  }
  const before = problems.length;
  const num = (key: string): number => {
    const x = v[key];
    if (!isFiniteNumber(x)) problems.push({ path: `${path}.${key}`, message: `must be a finite number, ${describe(x)}` });
    return x as number;
  };
  switch (v.type) {
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
      const mean = v.mean === undefined ? 0 : num('mean');
      const stddev = num('stddev');
      if (isFiniteNumber(stddev) && stddev < 0) problems.push({ path: `${path}.stddev`, message: `must be >= 0, got ${stddev}` });
      return problems.length === before ? { type: v.type, mean, stddev } : undefined;
    }
    default:
      problems.push({ path: `${path}.type`, message: `must be one of constant, randomUniform, randomNormal, truncatedNormal, ${describe(v.type)}` });
      return undefined;
  }
}

function validateOptimizer(v: unknown, path: string, problems: SpecProblem[]): OptimizerSpec | undefined {
  if (!isObject(v)) {
    problems.push({ path, message: `must be an object like {"type": "sgd", "learningRate": 0.5}, ${describe(v)}` });
    return undefined;
  }
  const before = problems.length;
  const type = v.type;
  if (!(OPTIMIZERS as readonly unknown[]).includes(type)) {
    problems.push({ path: `${path}.type`, message: `must be one of ${OPTIMIZERS.join(', ')}, ${describe(type)}` });
  }
  const lr = v.learningRate;
  if (!isFiniteNumber(lr) || lr <= 0) problems.push({ path: `${path}.learningRate`, message: `must be a number > 0, ${describe(lr)}` });
  const extra: Record<OptimizerType, string[]> = {
    sgd: [], momentum: ['momentum', 'useNesterov'], adam: ['beta1', 'beta2', 'epsilon'], rmsprop: ['decay', 'momentum', 'epsilon'],
  };
  const allowedKeys = ['type', 'learningRate', ...(extra[type as OptimizerType] ?? [])];
  checkKeys(v, allowedKeys, path, problems);
  const out: OptimizerSpec = { type: type as OptimizerType, learningRate: lr as number };
  for (const key of ['momentum', 'beta1', 'beta2', 'decay'] as const) {
    if (v[key] === undefined || !allowedKeys.includes(key)) continue;
    const x = v[key];
    if (!isFiniteNumber(x) || x < 0 || x >= 1) problems.push({ path: `${path}.${key}`, message: `must be a number in [0, 1), ${describe(x)}` });
    else out[key] = x;
  }
  if (v.epsilon !== undefined && allowedKeys.includes('epsilon')) {
    if (!isFiniteNumber(v.epsilon) || v.epsilon <= 0) problems.push({ path: `${path}.epsilon`, message: `must be a number > 0, ${describe(v.epsilon)}` });
    else out.epsilon = v.epsilon;
  }
  if (v.useNesterov !== undefined && allowedKeys.includes('useNesterov')) {
    if (typeof v.useNesterov !== 'boolean') problems.push({ path: `${path}.useNesterov`, message: `must be true or false, ${describe(v.useNesterov)}` });
    else out.useNesterov = v.useNesterov;
  }
  return problems.length === before ? out : undefined;
}

/** Validates untrusted input (parsed JSON, an importer's output) and fills defaults. Lists every problem found. */
export function validateSpec(input: unknown): SpecResult {
  const problems: SpecProblem[] = [];
  if (!isObject(input)) return { ok: false, problems: [{ path: '$', message: `a model spec must be a JSON object, ${describe(input)}` }] };
  checkKeys(input, ['name', 'layers', 'optimizer', 'batchSize', 'steps', 'seed', '$schema', 'description'], '$', problems);

  let name = 'custom';
  if (input.name !== undefined) {
    if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 200) problems.push({ path: '$.name', message: `must be a non-empty string of at most 200 characters, ${describe(input.name)}` });
    else name = input.name;
  }

  const layers: LayerSpec[] = [];
  if (!Array.isArray(input.layers) || input.layers.length === 0) {
    problems.push({ path: '$.layers', message: `must be a non-empty array of layers (the last one has ${NUM_CLASSES} softmax units), ${describe(input.layers)}` });
  } else if (input.layers.length > MAX_LAYERS) {
    problems.push({ path: '$.layers', message: `at most ${MAX_LAYERS} layers, got ${input.layers.length}` });
  } else {
    input.layers.forEach((raw: unknown, i: number) => {
      const path = `$.layers[${i}]`;
      const last = i === (input.layers as unknown[]).length - 1;
      if (!isObject(raw)) {
        problems.push({ path, message: `must be an object like {"units": 100, "activation": "relu"}, ${describe(raw)}` });
        return;
      }
      checkKeys(raw, ['units', 'activation', 'kernelInitializer', 'biasInitializer', 'name'], path, problems);
      const units = positiveInt(raw.units, `${path}.units`, MAX_UNITS, problems);
      if (last && units !== undefined && units !== NUM_CLASSES) problems.push({ path: `${path}.units`, message: `the last layer must have ${NUM_CLASSES} units (one per digit), got ${units}` });
      let activation: Activation | undefined;
      if (!(ACTIVATIONS as readonly unknown[]).includes(raw.activation)) {
        problems.push({ path: `${path}.activation`, message: `must be one of ${ACTIVATIONS.join(', ')}, ${describe(raw.activation)}` });
      } else {
        activation = raw.activation as Activation;
        if (last && activation !== 'softmax') problems.push({ path: `${path}.activation`, message: `the last layer must be "softmax" (training minimises softmax cross-entropy), got "${activation}"` });
        if (!last && activation === 'softmax') problems.push({ path: `${path}.activation`, message: 'softmax is only supported on the last layer' });
      }
      const kernel = raw.kernelInitializer === undefined ? DEFAULTS.kernelInitializer : validateInitializer(raw.kernelInitializer, `${path}.kernelInitializer`, problems);
      const bias = raw.biasInitializer === undefined ? DEFAULTS.biasInitializer : validateInitializer(raw.biasInitializer, `${path}.biasInitializer`, problems);
      if (units !== undefined && activation !== undefined && kernel !== undefined && bias !== undefined) {
        layers.push({ units, activation, kernelInitializer: kernel, biasInitializer: bias });
      }
    });
  }

  const optimizer = validateOptimizer(input.optimizer ?? { type: 'sgd', learningRate: 0.5 }, '$.optimizer', problems);
  const batchSize = input.batchSize === undefined ? DEFAULTS.batchSize : positiveInt(input.batchSize, '$.batchSize', 60000, problems);
  const steps = input.steps === undefined ? DEFAULTS.steps : positiveInt(input.steps, '$.steps', MAX_STEPS, problems);
  let seed: number = DEFAULTS.seed;
  if (input.seed !== undefined) {
    if (typeof input.seed !== 'number' || !Number.isInteger(input.seed) || input.seed < 0 || input.seed > 2 ** 32 - 1) problems.push({ path: '$.seed', message: `must be an integer from 0 to 4294967295, ${describe(input.seed)}` });
    else seed = input.seed;
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, spec: { name, layers, optimizer: optimizer!, batchSize: batchSize!, steps: steps!, seed } };
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
  return [String(INPUT_SIZE), ...spec.layers.map((l) => `${l.units} ${l.activation}`)].join(' → ');
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
