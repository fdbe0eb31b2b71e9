// The Python standard library, absl and numpy scalars, as far as model files use them for sizes and
// hyper-parameters: `math.sqrt(784)`, `np.sqrt(2.0 / n_in)`, `math.pi`; command-line flags
// (`argparse` `add_argument('--lr', type=float, default=0.01)`, absl / `tf.app.flags`
// `DEFINE_integer('hidden1', 128, ...)`), whose defaults are used — with a note, since a value given on
// the command line is not known; `absl.app.run(main)`.
import type { Span } from '../ast';
import { type Call, type DictEntry, type Native, type Val, NONE, UNKNOWN, keyOf, native, norm } from '../interpret';
import type { Fx, ModelBuilder } from '../model';
import type { FrameworkModule, Handler } from './api';
import { last } from './common';

const MATH: Readonly<Record<string, (...xs: number[]) => number>> = {
  sqrt: Math.sqrt, exp: Math.exp, log: Math.log, log2: Math.log2, log10: Math.log10, floor: Math.floor, ceil: Math.ceil,
  pow: Math.pow, abs: Math.abs, fabs: Math.abs, power: Math.pow, trunc: Math.trunc, prod: (...xs) => xs.reduce((p, x) => p * x, 1),
};

const math = (name: string): Handler | undefined => {
  const f = MATH[norm(name)];
  if (!f) return undefined;
  return (call) => {
    const flat = call.args.length === 1 && call.args[0].t === 'list' ? call.args[0].items : call.args;
    const xs = flat.map((a) => (a.t === 'num' ? a.v : undefined));
    if (xs.length === 0 || xs.some((x) => x === undefined)) return undefined;
    const v = f(...(xs as number[]));
    return Number.isFinite(v) ? { t: 'num', v, span: call.expr } : undefined;
  };
};

// ---- command-line flags ---------------------------------------------------------------------

interface Flag {
  name: string;
  value: Val;
  span: Span;
  /** How it is given on the command line, for the note (`--lr`). */
  cli: string;
}

/** Flags defined in the file, by name; reading one uses its default, with a note at its definition. */
class FlagValuesV implements Native {
  readonly kind = 'flags';
  readonly flags = new Map<string, Flag>();
  attr(name: string, host: Fx): Val | undefined {
    const f = this.flags.get(name);
    if (!f) return undefined;
    host.note(f.span, `${f.cli} is a command-line flag: Gradient Lens uses its default${f.value.t === 'num' || f.value.t === 'str' || f.value.t === 'bool' ? `, ${f.value.t === 'str' ? `'${f.value.v}'` : String(f.value.v)}` : ''}`);
    return f.value;
  }
  method(name: string): Val | undefined {
    return ['markasparsed', 'unparseflags'].includes(norm(name)) ? NONE : undefined;
  }
  call(): Val {
    return { t: 'list', items: [] }; // FLAGS(sys.argv)
  }
}

/** The file's flag definitions, one set per import session (as torch.ts keeps its per-session state). */
const FLAGS = new WeakMap<ModelBuilder, FlagValuesV>();
const flagValues = (fx: Fx): FlagValuesV => {
  let v = FLAGS.get(fx.session);
  if (!v) FLAGS.set(fx.session, (v = new FlagValuesV()));
  return v;
};

/** absl / tf.app.flags `DEFINE_integer('name', default, 'help')` (also float, string, boolean, enum...). */
const defineFlag: Handler = (call, fx) => {
  const name = call.arg(0, 'name')?.v;
  if (name?.t !== 'str') return NONE;
  const d = call.arg(1, 'default')?.v ?? NONE;
  const isBool = /bool/.test(norm(last(call.path)));
  const value: Val = isBool && d.t === 'num' ? { t: 'bool', v: d.v !== 0 } : d;
  flagValues(fx).flags.set(name.v, { name: name.v, value, span: call.expr, cli: `--${name.v}` });
  return NONE;
};

/** `argparse.ArgumentParser()`: `add_argument('--lr', type=float, default=0.01)`, `parse_args()`. */
class ArgParserV implements Native {
  readonly kind = 'argument parser';
  readonly args = new FlagValuesV();
  method(name: string, call: Call): Val | undefined {
    const n = norm(name);
    if (n === 'addargument') {
      const names = call.args.filter((a): a is Extract<Val, { t: 'str' }> => a.t === 'str').map((a) => a.v);
      const long = names.find((x) => x.startsWith('--')) ?? names.find((x) => x.startsWith('-')) ?? names[0];
      if (!long) return NONE;
      const destA = call.kw.get('dest')?.v;
      const dest = destA?.t === 'str' ? destA.v : long.replace(/^-+/, '').replace(/-/g, '_');
      const action = call.kw.get('action')?.v;
      let value: Val = call.kw.get('default')?.v ?? NONE;
      if (!call.kw.has('default') && action?.t === 'str') {
        if (action.v === 'store_true') value = { t: 'bool', v: false };
        else if (action.v === 'store_false') value = { t: 'bool', v: true };
      }
      const type = call.kw.get('type')?.v;
      if (value.t === 'str' && type?.t === 'builtin' && (type.name === 'int' || type.name === 'float')) {
        const v = Number(value.v);
        if (Number.isFinite(v)) value = { t: 'num', v: type.name === 'int' ? Math.trunc(v) : v };
      }
      if (!long.startsWith('-') && !call.kw.has('default')) value = UNKNOWN; // a required positional argument
      this.args.flags.set(dest, { name: dest, value, span: call.expr, cli: long.startsWith('-') ? long : `the argument ${long}` });
      return NONE;
    }
    if (n === 'parseargs') return native(this.args);
    if (n === 'parseknownargs') return { t: 'list', items: [native(this.args), { t: 'list', items: [] }], tuple: true };
    if (n === 'addargumentgroup' || n === 'addmutuallyexclusivegroup') return native(this);
    return n === 'setdefaults' || n === 'printhelp' ? NONE : undefined;
  }
}

/** six.moves.xrange / range (Python 2 compatibility). */
const range: Handler = (call) => {
  const xs = call.args.map((a) => (a.t === 'num' && Number.isInteger(a.v) ? a.v : undefined));
  if (xs.length === 0 || xs.length > 3 || xs.some((x) => x === undefined)) return UNKNOWN;
  const [start, stop, step] = xs.length === 1 ? [0, xs[0]!, 1] : [xs[0]!, xs[1]!, xs[2] ?? 1];
  return step === 0 ? UNKNOWN : { t: 'range', start, stop, step };
};

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

const OPERATORS: Readonly<Record<string, (a: number, b: number) => number>> = {
  'operator.mul': (a, b) => a * b, 'operator.add': (a, b) => a + b, 'operator.sub': (a, b) => a - b,
};

/** `functools.reduce(operator.mul, (1, 28, 28))` / with a lambda: folded when every value is a number. */
const reduce: Handler = (call, fx) => {
  const [f, seq, init] = call.args;
  const items = seq?.t === 'list' ? seq.items : undefined;
  if (!f || !items) return UNKNOWN;
  let acc: Val | undefined = init ?? items[0];
  for (const x of init ? items : items.slice(1)) {
    if (acc?.t !== 'num' || x.t !== 'num') return UNKNOWN;
    const op = f.t === 'ref' ? OPERATORS[f.path] : undefined;
    acc = op ? { t: 'num', v: op(acc.v, x.v) } : f.t === 'func' ? fx.callValue(f, [acc, x], call.expr) : UNKNOWN;
  }
  return acc?.t === 'num' ? { t: 'num', v: acc.v, span: call.expr } : UNKNOWN;
};

/** `tqdm(iterable)` (a progress bar): the iterable itself, so a loop over it counts as a loop over it. */
/** `absl.app.run(main)` / `tf.app.run(main=main)`, or `run()` which runs the module's `main`. */
export const runMain: Handler = (call, fx) => {
  const main = call.arg(0, 'main')?.v ?? fx.globalValue('main');
  if (main && main.t === 'func') fx.callValue(main, [{ t: 'list', items: [] }], call.expr);
  return NONE;
};

const tqdm: Handler = (call) => call.arg(0, 'iterable')?.v ?? UNKNOWN;

const FUNCTIONS: Record<string, Handler> = {
  'collections.OrderedDict': orderedDict,
  'functools.reduce': reduce,
  'tqdm.tqdm': tqdm, 'tqdm.notebook.tqdm': tqdm, 'tqdm.auto.tqdm': tqdm, 'tqdm.std.tqdm': tqdm, 'tqdm.tqdm_notebook': tqdm,
  'tqdm.trange': range, 'tqdm.auto.trange': range, 'tqdm.notebook.trange': range,
  'six.moves.xrange': range, 'six.moves.range': range, 'builtins.range': range, 'past.builtins.xrange': range,
  'argparse.ArgumentParser': () => native(new ArgParserV()),
  'absl.app.run': runMain,
  'vars': () => UNKNOWN,
};

function resolve(path: string): Handler | undefined {
  if (path.startsWith('math.') || path.startsWith('numpy.')) return math(last(path));
  if (path.startsWith('absl.flags.DEFINE')) return defineFlag;
  return undefined;
}

export const pythonStdlib: FrameworkModule = {
  id: 'python',
  dialects: ['python'],
  globals: { python: { np: 'numpy', math: 'math', argparse: 'argparse' } },
  modules: { numpy: 'numpy' },
  aliases: { 'tensorflow.app.flags': 'absl.flags', 'tensorflow.flags': 'absl.flags', 'gflags': 'absl.flags', 'tensorflow.python.platform.flags': 'absl.flags' },
  functions: FUNCTIONS,
  resolve,
  value(path, fx): Val | undefined {
    if (path === 'absl.flags.FLAGS') return native(flagValues(fx));
    const c = ({ 'math.pi': Math.PI, 'math.e': Math.E, 'numpy.pi': Math.PI, 'numpy.e': Math.E } as Record<string, number>)[path];
    return c === undefined ? undefined : { t: 'num', v: c };
  },
};

