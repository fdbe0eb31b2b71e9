// Applying a finding's structured fix to a model spec: the spec of a "Re-run with this fix" run.
// Pure, and strict: a fix that does not fit the spec (layer out of range, invalid value) is refused
// with a reason, and the result is validated like any user spec.
import type { Fix } from './findings';
import { type ModelSpec, validateSpec, ACTIVATIONS } from './spec';

export class FixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FixError';
  }
}

const MAX_NAME = 200;

/** The spec of the run that applies `fix` to `spec` (which is not modified). Throws FixError. */
export function applyFix(spec: ModelSpec, fix: Fix): ModelSpec {
  const next: ModelSpec = structuredClone(spec);
  switch (fix.kind) {
    case 'initializer': {
      const layer = next.layers[fix.layer];
      if (!layer) throw new FixError(`fix "${fix.label}" targets layer ${fix.layer}, but the model has ${spec.layers.length} layers`);
      if (fix.target === 'kernel') layer.kernelInitializer = fix.value;
      else if (fix.target === 'bias') layer.biasInitializer = fix.value;
      else throw new FixError(`fix "${fix.label}": target must be "kernel" or "bias", got ${JSON.stringify(fix.target)}`);
      break;
    }
    case 'activation': {
      const layer = next.layers[fix.layer];
      if (!layer) throw new FixError(`fix "${fix.label}" targets layer ${fix.layer}, but the model has ${spec.layers.length} layers`);
      if (!(ACTIVATIONS as readonly string[]).includes(fix.value)) throw new FixError(`fix "${fix.label}": unknown activation ${JSON.stringify(fix.value)}`);
      layer.activation = fix.value as ModelSpec['layers'][number]['activation'];
      break;
    }
    case 'learningRate':
      next.optimizer = { ...next.optimizer, learningRate: fix.value };
      break;
    case 'optimizer':
      next.optimizer = structuredClone(fix.value);
      break;
    case 'stableLoss':
      break; // Gradient Lens always trains with a stable softmax cross-entropy: the spec is the same.
    default:
      throw new FixError(`unknown fix kind ${JSON.stringify((fix as { kind?: unknown }).kind)}`);
  }
  const suffix = ` + ${fix.label}`;
  next.name = (spec.name.length + suffix.length <= MAX_NAME ? spec.name + suffix : spec.name.slice(0, MAX_NAME - suffix.length) + suffix).slice(0, MAX_NAME);
  const checked = validateSpec(next);
  if (!checked.ok) throw new FixError(`fix "${fix.label}" makes an invalid spec: ${checked.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return checked.spec;
}
