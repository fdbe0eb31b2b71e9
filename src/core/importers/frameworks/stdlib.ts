// The Python standard library (and numpy's scalar helpers) as far as model files use it to compute
// sizes and scales: `math.sqrt(784)`, `np.sqrt(2.0 / n_in)`, `math.pi`.
import { type Val, norm } from '../interpret';
import type { FrameworkModule, Handler } from './api';
import { last } from './common';

const MATH: Readonly<Record<string, (...xs: number[]) => number>> = {
  sqrt: Math.sqrt, exp: Math.exp, log: Math.log, log2: Math.log2, log10: Math.log10, floor: Math.floor, ceil: Math.ceil,
  pow: Math.pow, abs: Math.abs, fabs: Math.abs, power: Math.pow, trunc: Math.trunc,
};

function resolve(path: string): Handler | undefined {
  if (!path.startsWith('math.') && !path.startsWith('numpy.')) return undefined;
  const f = MATH[norm(last(path))];
  if (!f) return undefined;
  return (call) => {
    const xs = call.args.map((a) => (a.t === 'num' ? a.v : undefined));
    if (xs.length === 0 || xs.some((x) => x === undefined)) return undefined;
    const v = f(...(xs as number[]));
    return Number.isFinite(v) ? { t: 'num', v, span: call.expr } : undefined;
  };
}

const CONSTANTS: Readonly<Record<string, number>> = { 'math.pi': Math.PI, 'math.e': Math.E, 'numpy.pi': Math.PI, 'numpy.e': Math.E };

export const pythonStdlib: FrameworkModule = {
  id: 'python',
  dialects: ['python'],
  globals: { python: { np: 'numpy', math: 'math' } },
  modules: { numpy: 'numpy' },
  resolve,
  value(path): Val | undefined {
    const c = CONSTANTS[path];
    return c === undefined ? undefined : { t: 'num', v: c };
  },
};
