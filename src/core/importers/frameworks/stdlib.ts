// The Python standard library (and numpy's scalar helpers) as far as model files use it to compute
// sizes and scales: `math.sqrt(784)`, `np.sqrt(2.0 / n_in)`, `math.pi`.
import { type DictEntry, type Val, keyOf, norm } from '../interpret';
import type { FrameworkModule, Handler } from './api';
import { last } from './common';

const MATH: Readonly<Record<string, (...xs: number[]) => number>> = {
  sqrt: Math.sqrt, exp: Math.exp, log: Math.log, log2: Math.log2, log10: Math.log10, floor: Math.floor, ceil: Math.ceil,
  pow: Math.pow, abs: Math.abs, fabs: Math.abs, power: Math.pow, trunc: Math.trunc,
};

function resolve(path: string): Handler | undefined {
  if (path === 'collections.OrderedDict') return orderedDict;
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

/** `collections.OrderedDict([(k, v), ...])` / `OrderedDict(a=..)`: a dict (ours keep insertion order). */
const orderedDict: Handler = (call) => {
  const entries = new Map<string, DictEntry>();
  const a = call.args[0];
  if (a?.t === 'dict') for (const [k, en] of a.entries) entries.set(k, en);
  else if (a?.t === 'list') {
    a.items.forEach((pair, i) => {
      if (pair.t !== 'list' || pair.items.length !== 2) return;
      const k = keyOf(pair.items[0]);
      const itemExpr = call.argExprs[0]?.k === 'list' ? call.argExprs[0].items[i] : undefined;
      if (k) entries.set(k, { key: pair.items[0], value: pair.items[1], span: itemExpr, valueExpr: itemExpr?.k === 'list' ? itemExpr.items[1] : undefined });
    });
  } else if (a !== undefined) return undefined;
  for (const [k, arg] of call.named) entries.set(`s:${k}`, { key: { t: 'str', v: k }, value: arg.v, span: arg.span, valueExpr: arg.expr });
  return { t: 'dict', entries };
};

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
