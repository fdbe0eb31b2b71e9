// Applying a finding's structured fix to a model spec: the spec of a "Re-run with this fix" run.
// Pure, and strict: a fix that does not fit the contract or the spec (layer out of range, a value
// outside the allowed set) is refused with a reason, and the result is validated like any user spec.
import type { Fix } from './findings';
import { type ModelSpec, validateSpec, ACTIVATIONS, checkInitializer, checkOptimizer, isActivation, objectiveOf } from './spec';
import { validateData, validateObjective } from './specParts';
import type { SpecProblem } from './specCheck';
import { own, preview } from './untrusted';

export class FixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FixError';
  }
}

const MAX_NAME = 200;

// stableLoss carries no value: its edit is the importer's own (ImportResult.stableLoss), never the fix's.
const FIX_KINDS = ['initializer', 'activation', 'learningRate', 'optimizer', 'stableLoss', 'data', 'objective', 'zeroGrad', 'layers'];
const MAX_LABEL = 500;
const LAYER_CHANGE_KEYS = ['layer', 'kernelInitializer', 'biasInitializer', 'activation'];

/** Why `changes` is not a list of layer changes (a `layers` fix) for a model with `layers` layers. */
function layerChangesProblem(changes: unknown, layers: number): string | undefined {
  if (!Array.isArray(changes) || changes.length === 0 || changes.length > layers) return `changes must be a list of 1 to ${layers} layer changes`;
  const seen = new Set<number>();
  for (let i = 0; i < changes.length; i++) {
    const c: unknown = changes[i];
    if (typeof c !== 'object' || c === null || Array.isArray(c)) return `changes[${i}] must be an object`;
    const extra = Object.keys(c).find((k) => !LAYER_CHANGE_KEYS.includes(k));
    if (extra !== undefined) return `changes[${i}] has an unknown key ${preview(extra)}`;
    const layer = own(c, 'layer');
    if (typeof layer !== 'number' || !Number.isInteger(layer)) return `changes[${i}].layer must be a whole number, got ${preview(layer)}`;
    if (layer < 0 || layer >= layers) return `changes[${i}] targets layer ${layer}, but the model has ${layers} layers`;
    if (seen.has(layer)) return `changes[${i}] changes layer ${layer} a second time`;
    seen.add(layer);
    const kernel = own(c, 'kernelInitializer');
    const bias = own(c, 'biasInitializer');
    const act = own(c, 'activation');
    if (kernel === undefined && bias === undefined && act === undefined) return `changes[${i}] changes nothing`;
    for (const [key, v] of [['kernelInitializer', kernel], ['biasInitializer', bias]] as const) {
      if (v === undefined) continue;
      const init = checkInitializer(v);
      if (!init.ok) return `changes[${i}].${key} is not an initializer: ${init.problems.map((p) => `${p.path.replace(/^\$/, 'value')}: ${p.message}`).join('; ')}`;
    }
    if (act !== undefined && !isActivation(act)) return `changes[${i}].activation: unknown activation ${preview(act)} (expected one of ${ACTIVATIONS.join(', ')})`;
  }
  return undefined;
}

/**
 * Why `fix` is not a fix of the contract (findings.ts Fix) for a model with `layers` layers, or
 * undefined when it is one: a known kind, a label, a layer in range, a kernel/bias target, and a value
 * from the allowed set (an activation name, an initializer or optimizer the spec accepts) or a finite
 * number > 0. Every fix that reaches an edit or a run is checked with it first. Never throws.
 */
export function fixProblem(fix: unknown, layers: number): string | undefined {
  if (typeof fix !== 'object' || fix === null || Array.isArray(fix)) return 'a fix must be an object';
  const kind = own(fix, 'kind');
  if (!FIX_KINDS.includes(kind as string)) return `unknown fix kind ${preview(kind)}`;
  const label = own(fix, 'label');
  if (typeof label !== 'string' || label.trim() === '' || label.length > MAX_LABEL) return `a fix needs a label of at most ${MAX_LABEL} characters`;
  const value = own(fix, 'value');
  if (kind === 'initializer' || kind === 'activation') {
    const layer = own(fix, 'layer');
    if (typeof layer !== 'number' || !Number.isInteger(layer)) return `layer must be a whole number, got ${preview(layer)}`;
    if (layer < 0 || layer >= layers) return `targets layer ${layer}, but the model has ${layers} layers`;
  }
  switch (kind) {
    case 'initializer': {
      const target = own(fix, 'target');
      if (target !== 'kernel' && target !== 'bias') return `target must be "kernel" or "bias", got ${preview(target)}`;
      const init = checkInitializer(value);
      return init.ok ? undefined : `not an initializer: ${init.problems.map((p) => `${p.path.replace(/^\$/, 'value')}: ${p.message}`).join('; ')}`;
    }
    case 'activation':
      if (!isActivation(value)) return `unknown activation ${preview(value)} (expected one of ${ACTIVATIONS.join(', ')})`;
      // an output's log-softmax pairs with its loss: it is changed with the objective (kind 'objective'), never alone
      return value === 'logSoftmax' ? 'logSoftmax is set together with the loss it feeds (an objective fix)' : undefined;
    case 'learningRate':
      return typeof value === 'number' && Number.isFinite(value) && value > 0 ? undefined : `learningRate must be a finite number > 0, got ${preview(value)}`;
    case 'optimizer': {
      const o = checkOptimizer(value);
      return o.ok ? undefined : `not an optimizer: ${o.problems.map((p) => `${p.path.replace(/^\$/, 'value')}: ${p.message}`).join('; ')}`;
    }
    case 'data':
    case 'objective': {
      const problems: SpecProblem[] = [];
      if (kind === 'data') validateData(value, 'value', problems);
      else validateObjective(value, 'value', problems);
      const act = own(fix, 'outputActivation');
      if (kind === 'objective' && act !== undefined && !isActivation(act)) problems.push({ path: 'outputActivation', message: `unknown activation ${preview(act)}` });
      return problems.length === 0 ? undefined : `not a ${kind}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
    }
    case 'layers':
      return layerChangesProblem(own(fix, 'changes'), layers);
  }
  return undefined;
}

/** The spec of the run that applies `fix` to `spec` (which is not modified). Throws FixError. */
export function applyFix(spec: ModelSpec, fix: Fix): ModelSpec {
  const problem = fixProblem(fix, spec.layers.length);
  if (problem !== undefined) throw new FixError(`fix ${preview(own(fix, 'label') ?? '')}: ${problem}`);
  const next: ModelSpec = structuredClone(spec);
  // fixProblem has checked the kind, the layer (in range) and the target
  switch (fix.kind) {
    case 'initializer':
      if (fix.target === 'kernel') next.layers[fix.layer].kernelInitializer = fix.value;
      else next.layers[fix.layer].biasInitializer = fix.value;
      break;
    case 'activation':
      next.layers[fix.layer].activation = fix.value as ModelSpec['layers'][number]['activation'];
      break;
    case 'learningRate':
      next.optimizer = { ...next.optimizer, learningRate: fix.value };
      break;
    case 'optimizer':
      next.optimizer = structuredClone(fix.value);
      break;
    case 'stableLoss': {
      // the framework's fused cross-entropy, with the program's reduction
      const reduction = objectiveOf(spec).reduction;
      next.objective = { loss: 'crossEntropy', from: 'probabilities', fused: true, reduction };
      break;
    }
    case 'data':
      next.data = { ...next.data, ...structuredClone(fix.value) };
      break;
    case 'objective':
      next.objective = structuredClone(fix.value);
      if (fix.outputActivation) next.layers[next.layers.length - 1].activation = fix.outputActivation as ModelSpec['layers'][number]['activation'];
      break;
    case 'zeroGrad':
      delete next.accumulateGradients;
      break;
    case 'layers':
      for (const c of fix.changes) {
        const l = next.layers[c.layer];
        if (c.kernelInitializer !== undefined) l.kernelInitializer = structuredClone(c.kernelInitializer);
        if (c.biasInitializer !== undefined) l.biasInitializer = structuredClone(c.biasInitializer);
        if (c.activation !== undefined) l.activation = c.activation;
      }
      break;
  }
  const suffix = ` + ${fix.label}`;
  next.name = (spec.name.length + suffix.length <= MAX_NAME ? spec.name + suffix : spec.name.slice(0, MAX_NAME - suffix.length) + suffix).slice(0, MAX_NAME);
  const checked = validateSpec(next);
  if (!checked.ok) throw new FixError(`fix "${fix.label}" makes an invalid spec: ${checked.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return checked.spec;
}

/**
 * A fix's identity as stable JSON (sorted keys), depth-bounded: how a fix that arrives from outside (a webview
 * message, a command's arguments) is compared with the fixes current findings offered.
 */
export function fixKey(v: unknown, depth = 0): string {
  if (depth > 8) return '…';
  if (Array.isArray(v)) return `[${v.map((x) => fixKey(x, depth + 1)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${fixKey((v as Record<string, unknown>)[k], depth + 1)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}
