// What every idiom's initializer rendering shares (fixes.ts, frameworks/torch/init.ts): numbers written the way
// a person writes them, and a named initializer as the explicit distribution it stands for. It imports no
// importer module, so both can use it (fixes.ts renders PyTorch's idiom through torch/init.ts).
import type { Initializer } from '../spec';

/** 3 significant digits, no exponent noise: 0.050507 → "0.0505", -0.01 → "-0.01". */
export function formatNumber(x: number): string {
  const v = Number(x.toPrecision(3));
  return Object.is(v, -0) ? '0' : String(v);
}

/**
 * A named initializer as explicit numbers for code that only has tensors (TF1): the distribution the
 * name stands for, given the layer's fan-in and fan-out (He normal → N(0, √(2/fanIn)), as the issue's
 * `tf.random_normal([784, 100], stddev=0.0505)`; Glorot uniform → U(±√(6/(fanIn+fanOut))), ...).
 */
export function explicitInitializer(init: Initializer, fanIn: number, fanOut: number): Exclude<Initializer, string> | 'zeros' | 'ones' {
  if (typeof init !== 'string') return init;
  switch (init) {
    case 'zeros': case 'ones': return init;
    case 'heNormal': return { type: 'randomNormal', mean: 0, stddev: Math.sqrt(2 / fanIn) };
    case 'heUniform': { const l = Math.sqrt(6 / fanIn); return { type: 'randomUniform', minval: -l, maxval: l }; }
    case 'glorotNormal': return { type: 'randomNormal', mean: 0, stddev: Math.sqrt(2 / (fanIn + fanOut)) };
    case 'glorotUniform': { const l = Math.sqrt(6 / (fanIn + fanOut)); return { type: 'randomUniform', minval: -l, maxval: l }; }
    case 'leCunNormal': return { type: 'randomNormal', mean: 0, stddev: Math.sqrt(1 / fanIn) };
    case 'leCunUniform': { const l = Math.sqrt(3 / fanIn); return { type: 'randomUniform', minval: -l, maxval: l }; }
  }
}
