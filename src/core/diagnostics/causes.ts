// Cause across layers, and complete fixes. A layer whose inputs are all zero or the same for every image (because
// the layer before it is dead, zero or symmetric) cannot learn whatever its own weights: its symptoms name that
// upstream layer and offer nothing of their own. A cause that spans layers (three zero-initialised tanh layers, six
// sigmoid layers whose gradient vanishes together) is cured by one fix that changes every layer concerned, never by
// one layer's share of it.
import type { Finding, Fix, LayerChange } from '../findings';
import type { ModelSpec } from '../spec';
import { layerShortName } from '../spec';
import type { LayerStats } from './layerStats';
import { constantValue, recommendedInitializer } from './initScale';
import { dedupeFixes, layerName } from './fixes';

/** Per-layer findings that follow from the layer's inputs when those carry nothing. */
const INPUT_DRIVEN = new Set(['dead-units', 'zero-gradient', 'symmetric-units', 'saturated-units', 'vanishing-gradient']);

/** What a layer's outputs are on the probe batch when they carry no information about the image. */
function blankOutputs(s: LayerStats | undefined): 'zeros' | 'constant' | undefined {
  if (!s || s.anyNonFinite) return undefined;
  if (s.outputsAllZero) return 'zeros';
  if (s.outputsConstant) return 'constant';
  return undefined;
}

/**
 * The layer upstream of `layer` whose blank outputs explain its inputs: the first (closest to the pixels) of the
 * run of blank layers just before it. Undefined when `layer`'s inputs carry information.
 */
export function upstreamRoot(stats: LayerStats[], layer: number): { layer: number; what: 'zeros' | 'constant' } | undefined {
  if (layer <= 0 || !blankOutputs(stats[layer - 1])) return undefined;
  let r = layer - 1;
  while (r > 0 && blankOutputs(stats[r - 1])) r--;
  return { layer: r, what: blankOutputs(stats[r])! };
}

const firstSentence = (m: string): string => {
  const i = m.search(/[.:](\s|$)/);
  return i < 0 ? m : m.slice(0, i);
};

/**
 * Per-layer symptoms of a layer whose inputs are blank because of an upstream layer: the message names that layer
 * ("because layers[0] (…) outputs only zeros"), the evidence says so (`causedBy: 'upstream'`, `upstreamLayer`), and the
 * finding offers no fix (the upstream layer's findings carry it). zero-gradient whose cause is the next layer's
 * zero weights is left alone (that cause is downstream, and its fix names that layer).
 */
export function attributeUpstream(fs: Finding[], stats: LayerStats[], spec: ModelSpec, examples: number): Finding[] {
  return fs.map((f) => {
    if (f.layer < 0 || !INPUT_DRIVEN.has(f.code) || f.evidence.predicted === true) return f;
    if (f.code === 'zero-gradient' && f.evidence.cause === 'next-weights-zero') return f;
    const root = upstreamRoot(stats, f.layer);
    if (!root) return f;
    const what = root.what === 'zeros' ? 'outputs only zeros' : 'outputs the same values for every image';
    const via = root.layer < f.layer - 1 ? ` (and so does every layer between them)` : '';
    const constant = constantKernelLayers(spec);
    const fix = constant.length >= 2 && constant.includes(f.layer) && constant.includes(root.layer)
      ? `It offers no fix of its own: the fix offered on ${layerName(spec, root.layer)} re-initialises this layer too.`
      : `It needs no fix of its own: fix ${layerName(spec, root.layer)}.`;
    return {
      ...f,
      message: `${firstSentence(f.message).replace(/,? because .*$/s, '')} — because ${layerName(spec, root.layer)} ${what} on all ${examples} probe images${via}, so the inputs of ${layerName(spec, f.layer)} say nothing about the image and it cannot learn, whatever its own weights. ${fix}`,
      evidence: { ...f.evidence, causedBy: 'upstream', upstreamLayer: root.layer, upstreamOutputs: root.what },
      fixes: [],
    };
  });
}

/**
 * A finding caused upstream ("— because W1 (100 relu) outputs only zeros …", diagnostics/causes.ts) names the line of
 * the layer that causes it: "because W1 (100 relu) (line 9) outputs only zeros". Again with another line (the file
 * was edited since): the line is replaced, not added.
 */
export function withUpstreamLine(message: string, line: number): string {
  return message.replace(/( — because .+?)(?: \(line \d+\))? (outputs only zeros|outputs the same values)/s, `$1 (line ${line}) $2`);
}

const hiddenLayers = (spec: ModelSpec): number[] => spec.layers.slice(0, -1).map((_, i) => i);

/** Every hidden layer whose weights start constant: the layers an initialisation cure must change together. */
export function constantKernelLayers(spec: ModelSpec): number[] {
  return hiddenLayers(spec).filter((i) => constantValue(spec.layers[i].kernelInitializer) !== undefined);
}

function rangeText(spec: ModelSpec, layers: number[]): string {
  const named = layers.some((l) => spec.layers[l]?.name);
  const contiguous = layers.every((l, i) => i === 0 || l === layers[i - 1] + 1);
  if (!named && contiguous && layers.length > 2) return `layers ${layers[0] + 1}–${layers[layers.length - 1] + 1}`;
  return layers.map((l) => layerShortName(spec, l)).join(', ');
}

/** One fix that re-initialises every constant hidden kernel (and zeroes a negative constant bias there). */
export function completeInitFix(spec: ModelSpec, layers: number[]): Fix {
  const changes: LayerChange[] = layers.map((i) => {
    const l = spec.layers[i];
    const c: LayerChange = { layer: i, kernelInitializer: recommendedInitializer(l.activation).value };
    const b = constantValue(l.biasInitializer);
    if (b !== undefined && b < 0) c.biasInitializer = 'zeros';
    return c;
  });
  const names = [...new Set(layers.map((i) => recommendedInitializer(spec.layers[i].activation).label))].join(' / ');
  return { kind: 'layers', changes, label: `Initialise the weights of ${rangeText(spec, layers)} with ${names} (all ${layers.length} start constant)` };
}

/** Hidden layers with a squashing activation, when several share it: they vanish together. */
export function squashingStack(spec: ModelSpec): number[] {
  const s = hiddenLayers(spec).filter((i) => spec.layers[i].activation === 'sigmoid' || spec.layers[i].activation === 'tanh');
  return s.length >= 2 ? s : [];
}

/**
 * One fix for a stack of squashing layers whose gradient vanishes: sigmoid (slope ≤ 0.25, shrinking the signal
 * at every layer) → tanh (slope 1 at 0, zero-centred) with Glorot weights; tanh → relu with He weights.
 */
export function completeActivationFix(spec: ModelSpec, layers: number[]): Fix {
  const changes: LayerChange[] = layers.map((i) => spec.layers[i].activation === 'sigmoid'
    ? { layer: i, activation: 'tanh', kernelInitializer: 'glorotUniform' }
    : { layer: i, activation: 'relu', kernelInitializer: 'heNormal' });
  const to = [...new Set(changes.map((c) => (c.activation === 'tanh' ? 'tanh (Glorot uniform)' : 'relu (He normal)')))].join(' / ');
  return { kind: 'layers', changes, label: `Use ${to} in ${rangeText(spec, layers)} (all ${layers.length} shrink the gradient)` };
}

const touches = (f: Fix, layers: Set<number>): boolean => (f.kind === 'initializer' || f.kind === 'activation') && layers.has(f.layer);

/**
 * Replaces partial fixes by the complete one: where several hidden kernels start constant, every fix of one of
 * their initialisers becomes the fix of all of them; where several squashing layers vanish together, every
 * vanishing-gradient's per-layer fix becomes the fix of the whole stack.
 */
export function completeFixes(fs: Finding[], spec: ModelSpec): Finding[] {
  const constant = constantKernelLayers(spec);
  const initAll = constant.length >= 2 ? completeInitFix(spec, constant) : undefined;
  const constantSet = new Set(constant);
  const stack = squashingStack(spec);
  const vanishing = fs.some((f) => f.code === 'vanishing-gradient' && stack.includes(f.layer));
  const actAll = vanishing && constant.length === 0 ? completeActivationFix(spec, stack) : undefined;
  const stackSet = new Set(stack);
  if (!initAll && !actAll) return fs;
  return fs.map((f) => {
    let fixes = f.fixes;
    if (initAll && fixes.some((x) => x.kind === 'initializer' && constantSet.has(x.layer))) {
      fixes = dedupeFixes(fixes.map((x) => (x.kind === 'initializer' && constantSet.has(x.layer) ? initAll : x)));
    }
    if (actAll && (f.code === 'vanishing-gradient' || f.code === 'collapsed-output' || f.code === 'loss-plateau' || f.code === 'saturated-units')) {
      fixes = dedupeFixes(fixes.map((x) => (touches(x, stackSet) ? actAll : x)));
      if (f.code === 'vanishing-gradient' && !fixes.includes(actAll)) fixes = [actAll, ...fixes];
    }
    return fixes === f.fixes ? f : { ...f, fixes };
  });
}
