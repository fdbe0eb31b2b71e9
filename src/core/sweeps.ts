// Sweeps: the same model with one thing changed, as the question compares them ("the same network with
// zeros, with N(0, 1), with U(±0.01)"). Each variant is an ordinary spec; the extension trains them one
// after another and the panel shows them as a set. Pure: no training here.
import { type Activation, type Initializer, type ModelSpec, layerLabel } from './spec';

export type SweepKind = 'init' | 'learningRate' | 'activation';
export const SWEEP_KINDS: readonly SweepKind[] = ['init', 'learningRate', 'activation'];

export interface SweepVariant {
  /** Short name of the change ("zeros", "×10", "tanh"); the baseline says "as written". */
  variant: string;
  /** What changed, for people: "W1 (100 relu) kernel: zeros → heNormal" (empty for the baseline). */
  change: string;
  spec: ModelSpec;
}

export interface Sweep {
  kind: SweepKind;
  /** "Compare initialisations of W1 (100 relu)". */
  title: string;
  /** The hidden layer changed (init, activation), -1 for the optimizer. */
  layer: number;
  variants: SweepVariant[];
}

/** The initialisations the question compares, besides the file's own. */
export const SWEEP_INITIALIZERS: readonly { name: string; init: Initializer }[] = [
  { name: 'zeros', init: 'zeros' },
  { name: 'N(0, 1)', init: { type: 'randomNormal', mean: 0, stddev: 1 } },
  { name: 'U(±0.01)', init: { type: 'randomUniform', minval: -0.01, maxval: 0.01 } },
  { name: 'Glorot uniform', init: 'glorotUniform' },
  { name: 'He normal', init: 'heNormal' },
];

export const SWEEP_LR_FACTORS: readonly number[] = [0.1, 1, 10];

export const SWEEP_ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'leakyRelu', 'elu'];

/** An initializer as people write it: "zeros", "N(0, 1)", "U(-0.01, 0.01)", "heNormal". */
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

/** Hidden layers of a spec (every layer but the output), as indices. */
export function hiddenLayers(spec: ModelSpec): number[] {
  return spec.layers.slice(0, -1).map((_, i) => i);
}

const kindTitle: Record<SweepKind, string> = { init: 'initialisations', learningRate: 'learning rates', activation: 'activations' };

/**
 * The variants of a sweep of `spec`: the spec as written first, then each change that differs from it.
 * `layer` (init, activation) is a hidden layer's index; default the first hidden layer. Throws with a
 * message naming what is wrong (no hidden layer for an activation sweep, a layer out of range).
 */
export function sweepOf(spec: ModelSpec, kind: SweepKind, layer?: number): Sweep {
  const name = (variant: string) => `${spec.name} · ${variant}`;
  const copy = (): ModelSpec => structuredClone(spec);
  if (kind === 'learningRate') {
    const lr = spec.optimizer.learningRate;
    const variants = SWEEP_LR_FACTORS.map((f) => {
      const s = copy();
      s.optimizer.learningRate = Number((lr * f).toPrecision(6));
      const variant = f === 1 ? `as written (lr ${lr})` : `lr ×${f} (${s.optimizer.learningRate})`;
      s.name = name(f === 1 ? 'as written' : `lr ×${f}`);
      return { variant, change: f === 1 ? '' : `learning rate: ${lr} → ${s.optimizer.learningRate}`, spec: s };
    });
    // The baseline first, as in the other sweeps.
    return { kind, title: `Compare ${kindTitle[kind]} (×0.1, ×1, ×10 of ${lr})`, layer: -1, variants: [variants[1], variants[0], variants[2]] };
  }
  const hidden = hiddenLayers(spec);
  const l = layer ?? (kind === 'init' && hidden.length === 0 ? 0 : hidden[0]);
  if (l === undefined) throw new Error(`"${spec.name}" has no hidden layer: there is no activation to compare (its only layer is the ${spec.layers[0]?.activation ?? '?'} output)`);
  if (!Number.isInteger(l) || l < 0 || l >= spec.layers.length || (kind === 'activation' && !hidden.includes(l))) {
    throw new Error(`layer ${l} is not a ${kind === 'activation' ? 'hidden ' : ''}layer of "${spec.name}" (it has ${spec.layers.length} layers; hidden: ${hidden.map((i) => i).join(', ') || 'none'})`);
  }
  const where = layerLabel(spec, l);
  const base: SweepVariant = { variant: '', change: '', spec: copy() };
  base.spec.name = name('as written');
  const variants: SweepVariant[] = [base];
  if (kind === 'init') {
    const own = spec.layers[l].kernelInitializer;
    base.variant = `as written (${initializerText(own)})`;
    for (const { name: n, init } of SWEEP_INITIALIZERS) {
      if (sameInit(init, own)) continue;
      const s = copy();
      s.layers[l].kernelInitializer = structuredClone(init);
      s.name = name(n);
      variants.push({ variant: n, change: `${where} kernel: ${initializerText(own)} → ${initializerText(init)}`, spec: s });
    }
  } else {
    const own = spec.layers[l].activation;
    base.variant = `as written (${own})`;
    for (const a of SWEEP_ACTIVATIONS) {
      if (a === own) continue;
      const s = copy();
      s.layers[l].activation = a;
      s.name = name(a);
      variants.push({ variant: a, change: `${where} activation: ${own} → ${a}`, spec: s });
    }
  }
  return { kind, title: `Compare ${kindTitle[kind]} of ${where}`, layer: l, variants };
}
