// Initial values for a layer's kernel and bias, following tf.initializers semantics:
// glorot*/he*/leCun* are variance scaling (fan-in, or the average of fan-in and fan-out for Glorot);
// the *Normal variants draw from a normal truncated at ±2σ, like tfjs's VarianceScaling.
import type { Initializer } from './spec';
import { Rng } from './rng';

export function initialValues(init: Initializer, count: number, fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const out = new Float32Array(count);
  const fill = (f: () => number): Float32Array => {
    for (let i = 0; i < count; i++) out[i] = f();
    return out;
  };
  if (typeof init === 'object') {
    switch (init.type) {
      case 'constant': return out.fill(init.value);
      case 'randomUniform': return fill(() => rng.uniform(init.minval, init.maxval));
      case 'randomNormal': return fill(() => init.mean + init.stddev * rng.normal());
      case 'truncatedNormal': return fill(() => init.mean + init.stddev * rng.truncatedNormal());
    }
  }
  const scaled = (scale: number, fan: number, distribution: 'uniform' | 'normal'): Float32Array => {
    const variance = scale / Math.max(1, fan);
    if (distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      return fill(() => rng.uniform(-limit, limit));
    }
    const stddev = Math.sqrt(variance);
    return fill(() => stddev * rng.truncatedNormal());
  };
  const avg = (fanIn + fanOut) / 2;
  switch (init) {
    case 'zeros': return out;
    case 'ones': return out.fill(1);
    case 'glorotUniform': return scaled(1, avg, 'uniform');
    case 'glorotNormal': return scaled(1, avg, 'normal');
    case 'heNormal': return scaled(2, fanIn, 'normal');
    case 'heUniform': return scaled(2, fanIn, 'uniform');
    case 'leCunNormal': return scaled(1, fanIn, 'normal');
    case 'leCunUniform': return scaled(1, fanIn, 'uniform');
  }
}

/** Standard deviation the initializer draws with (for static scale checks and docs). */
export function initializerStd(init: Initializer, fanIn: number, fanOut: number): number {
  if (typeof init === 'object') {
    switch (init.type) {
      case 'constant': return 0;
      case 'randomUniform': return (init.maxval - init.minval) / Math.sqrt(12);
      case 'randomNormal': return init.stddev;
      case 'truncatedNormal': return init.stddev * 0.8796256610342398;
    }
  }
  const avg = (fanIn + fanOut) / 2;
  switch (init) {
    case 'zeros':
    case 'ones': return 0;
    case 'glorotUniform': return Math.sqrt(1 / avg);
    case 'glorotNormal': return Math.sqrt(1 / avg) * 0.8796256610342398;
    case 'heNormal': return Math.sqrt(2 / fanIn) * 0.8796256610342398;
    case 'heUniform': return Math.sqrt(2 / fanIn);
    case 'leCunNormal': return Math.sqrt(1 / fanIn) * 0.8796256610342398;
    case 'leCunUniform': return Math.sqrt(1 / fanIn);
  }
}
