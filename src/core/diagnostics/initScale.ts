// What scale of initial weights a layer needs, and what scale an initializer gives. Shared by the
// static check (spec only) and the engine (measured on the real initial weights at step 0).
import type { Activation, Initializer, LayerSpec, ModelSpec } from '../spec';
import { fanIn as layerFanIn } from '../spec';

/** Reference standard deviations for a dense layer: Glorot (Xavier), He (Kaiming), LeCun. */
export interface ReferenceScales {
  glorot: number;
  he: number;
  leCun: number;
}

export function referenceScales(fanIn: number, fanOut: number): ReferenceScales {
  return { glorot: Math.sqrt(2 / (fanIn + fanOut)), he: Math.sqrt(2 / fanIn), leCun: Math.sqrt(1 / fanIn) };
}

/** Std of N(0, 1) truncated at ±2σ, as tf.truncatedNormal draws it. */
const TRUNCATED_STD = 0.8796;

/** Mean and standard deviation of the weights an initializer draws for a layer with this fan-in / fan-out. */
export function initializerMoments(init: Initializer, fanIn: number, fanOut: number): { mean: number; std: number; constant?: number } {
  const ref = referenceScales(fanIn, fanOut);
  if (typeof init === 'string') {
    switch (init) {
      case 'zeros': return { mean: 0, std: 0, constant: 0 };
      case 'ones': return { mean: 1, std: 0, constant: 1 };
      case 'glorotUniform': case 'glorotNormal': return { mean: 0, std: ref.glorot };
      case 'heNormal': case 'heUniform': return { mean: 0, std: ref.he };
      case 'leCunNormal': case 'leCunUniform': return { mean: 0, std: ref.leCun };
    }
  }
  switch (init.type) {
    case 'constant': return { mean: init.value, std: 0, constant: init.value };
    case 'randomUniform': return { mean: (init.minval + init.maxval) / 2, std: (init.maxval - init.minval) / Math.sqrt(12) };
    case 'randomNormal': return { mean: init.mean, std: init.stddev };
    case 'truncatedNormal': return { mean: init.mean, std: init.stddev * TRUNCATED_STD };
  }
}

/** The constant an initializer fills with, or undefined when it draws random values. */
export function constantValue(init: Initializer): number | undefined {
  if (init === 'zeros') return 0;
  if (init === 'ones') return 1;
  if (typeof init === 'object' && init.type === 'constant') return init.value;
  if (typeof init === 'object' && (init.type === 'randomNormal' || init.type === 'truncatedNormal') && init.stddev === 0) return init.mean;
  return undefined;
}

/**
 * The scale that drives a layer's pre-activations: for a hidden layer the root mean square of its
 * weights (a shared offset moves every pre-activation as much as spread does); for the softmax
 * output layer only the spread, since an offset shared by all classes cancels in softmax.
 */
export function effectiveScale(mean: number, std: number, isOutput: boolean): number {
  return isOutput ? std : Math.sqrt(mean * mean + std * std);
}

/** The initializer we recommend for an activation (He for the ReLU family, LeCun for SELU, Glorot otherwise). */
export function recommendedInitializer(activation: Activation): { value: Initializer; label: string } {
  switch (activation) {
    case 'relu': case 'leakyRelu': case 'elu': return { value: 'heNormal', label: 'He normal' };
    case 'selu': return { value: 'leCunNormal', label: 'LeCun normal' };
    default: return { value: 'glorotUniform', label: 'Glorot uniform' };
  }
}

export interface InitScaleCheck {
  layer: number;
  fanIn: number;
  fanOut: number;
  scale: number;
  ratio: number;
  reference: ReferenceScales;
  direction: 'large' | 'small';
}

/**
 * Compares a layer's initial weight scale with the Glorot / He / LeCun range for its fan-in.
 * Constant kernels (scale 0 from a constant) are not a scale problem but a symmetry one, and too
 * small a scale is harmless in the output layer (zeros there is standard), so neither is flagged.
 */
export function checkInitScale(
  layer: number, fanIn: number, fanOut: number, mean: number, std: number, isOutput: boolean,
  t: { initScaleTooLarge: number; initScaleTooSmall: number },
): InitScaleCheck | undefined {
  const reference = referenceScales(fanIn, fanOut);
  const scale = effectiveScale(mean, std, isOutput);
  if (std === 0) return undefined;
  const hi = Math.max(reference.glorot, reference.he, reference.leCun);
  const lo = Math.min(reference.glorot, reference.he, reference.leCun);
  if (scale > t.initScaleTooLarge * hi) return { layer, fanIn, fanOut, scale, ratio: scale / hi, reference, direction: 'large' };
  if (!isOutput && scale < t.initScaleTooSmall * lo) return { layer, fanIn, fanOut, scale, ratio: scale / lo, reference, direction: 'small' };
  return undefined;
}

export function layerShape(spec: ModelSpec, layer: number): { fanIn: number; fanOut: number; spec: LayerSpec; isOutput: boolean } {
  return { fanIn: layerFanIn(spec, layer), fanOut: spec.layers[layer].units, spec: spec.layers[layer], isOutput: layer === spec.layers.length - 1 };
}
