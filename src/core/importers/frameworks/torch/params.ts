// The parameters of nn.Linear layers (`fc.weight`, `fc.bias`) and their initialisation as the file writes it:
// nn.init calls (`nn.init.kaiming_normal_(self.fc1.weight)`), in-place tensor methods (`w.data.fill_(0)`,
// `m.weight.normal_(0, 0.01)`), assignments (`fc.weight = nn.Parameter(torch.zeros(...))`); an init that may
// not run (an undecided `if`, a loop read once, a tensor that is no known layer's) is a note saying what the
// layer keeps. init.ts says what each call computes; this file says which layer it applies to.
import type { Span } from '../../ast';
import { type Call, type Native, type Val, UNKNOWN, UnboundParamV, native, nativeOf, norm } from '../../interpret';
import { type Fx, type InitRec, type InitSite, type LayerRec, InitTensorV, VarV } from '../../model';
import type { Handler } from '../api';
import { writtenPrefix } from '../common';
import { type TorchInitResult, torchInit } from './init';
import { PASS_METHODS, int, lineOf, num, perFile } from './state';

/** What a parameter needs of its nn.Linear (model.ts LinearV). */
export interface LinearLike {
  readonly layer: LayerRec;
  readonly inFeatures: number | undefined;
  /** The undecided conditions (Host.undecided) it was made under: an init under further ones may not run. */
  readonly undecidedAt: readonly Span[];
  readonly span: Span;
}

interface InitState {
  /** Layers initialised at each init site (a site shared by several layers anchors nothing). */
  sites: Map<string, LayerRec[]>;
  /** Which parameters of them (`weight`, `bias`) each init site initialises. */
  siteParams: Map<string, Set<string>>;
}

const initState = perFile<InitState>(() => ({ sites: new Map(), siteParams: new Map() }));

/** `layer.weight` / `layer.bias` of an nn.Linear. */
export class ParamV implements Native {
  readonly kind = 'parameter';
  readonly classPath = 'torch.nn.Parameter';
  constructor(readonly linear: LinearLike, readonly which: 'weight' | 'bias') {}
  get shape(): (number | undefined)[] {
    const l = this.linear;
    return this.which === 'weight' ? [l.layer.units, l.inFeatures] : [l.layer.units];
  }
  attr(name: string): Val | undefined {
    if (name === 'data') return native(this);
    if (name === 'shape') return { t: 'list', items: this.shape.map((d) => (d === undefined ? UNKNOWN : { t: 'num', v: d })), tuple: true };
    if (name === 'requires_grad') return { t: 'bool', v: true };
    if (name === 'ndim') return { t: 'num', v: this.which === 'weight' ? 2 : 1 };
    return undefined;
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    if (name === 'size') {
      const i = int(call.args[0]);
      if (i === undefined) return this.attr('shape');
      const d = this.shape[i < 0 ? this.shape.length + i : i];
      return d === undefined ? UNKNOWN : { t: 'num', v: d };
    }
    if (name === 'dim') return { t: 'num', v: this.which === 'weight' ? 2 : 1 };
    if (name === 'numel') {
      const n = this.shape.reduce<number | undefined>((a, d) => (a === undefined || d === undefined ? undefined : a * d), 1);
      return n === undefined ? UNKNOWN : { t: 'num', v: n };
    }
    const w = this.which === 'weight';
    const r = inPlace(fx, name, call, w ? { fanIn: this.linear.inFeatures, fanOut: this.linear.layer.units } : {});
    if (!r) return undefined;
    const recv = call.expr.callee.k === 'member' ? call.expr.callee.obj : undefined;
    setInit(fx, this, r, { span: call.expr, idiom: 'torch-method', prefix: '', tensor: recv });
    return native(this);
  }
  setAttr(name: string, v: Val, fx: Fx): boolean {
    if (name !== 'data') return false;
    assignParam(fx, this, v);
    return true;
  }
  /** `p is model.fc.weight` (a new ParamV stands for the same parameter each time it is read). */
  binary(op: string, other: Val): Val | undefined {
    const o = nativeOf(other, ParamV);
    if ((op !== 'is' && op !== 'is not') || !o) return undefined;
    const same = o.linear === this.linear && o.which === this.which;
    return { t: 'bool', v: op === 'is' ? same : !same };
  }
  instanceOf(path: string): boolean {
    return path === 'torch.nn.Parameter' || path === 'torch.Tensor';
  }
}

/** The in-place methods that fill a tensor (inPlace reads them). */
export const IN_PLACE = /^(fill|zero|normal|uniform|copy)_$/;

/** In-place tensor methods that fill a tensor: undefined when `name` is not one. */
export function inPlace(fx: Fx, name: string, call: Call, fans: { fanIn?: number; fanOut?: number }): TorchInitResult | undefined {
  const n = name.replace(/_$/, '');
  if (!name.endsWith('_') || !['fill', 'zero', 'normal', 'uniform', 'copy'].includes(n)) return undefined;
  if (n === 'zero') return { init: 'zeros' };
  if (n === 'fill') {
    const v = num(call.arg(0, 'value')?.v);
    return v === undefined ? { problem: `could not read the value of ${fx.src(call.expr)}` } : { init: v === 0 ? 'zeros' : v === 1 ? 'ones' : { type: 'constant', value: v } };
  }
  if (n === 'copy') {
    const src = nativeOf(call.args[0], InitTensorV) ?? nativeOf(call.args[0], VarV);
    const rec = src instanceof InitTensorV ? src.rec : src?.rec;
    return rec ? { init: rec.init } : { problem: `could not read the values copied by ${fx.src(call.expr)}` };
  }
  // Tensor.normal_(mean=0, std=1), Tensor.uniform_(from=0, to=1): nn.init's rules with the arguments shifted by one.
  const shifted: Call = { ...call, args: [UNKNOWN, ...call.args], argExprs: [call.expr, ...call.argExprs] };
  const kwName = (k: string) => ({ from: 'a', to: 'b' } as Record<string, string>)[k] ?? k;
  const kw = new Map([...call.kw].map(([k, v]) => [kwName(k), v]));
  return torchInit({
    fn: n, ...fans,
    num: (key, pos, dflt) => readNum({ ...shifted, kw }, key, pos, dflt),
    str: () => undefined,
  });
}

export function readNum(call: Call, key: string, pos: number, dflt: number): number | undefined {
  const a = call.kw.get(norm(key)) ?? (pos < call.args.length ? { v: call.args[pos] } : undefined);
  if (!a || a.v.t === 'none') return dflt;
  return num(a.v);
}

/** Records that `p` starts with what `r` says, written at `site`. */
function setInit(fx: Fx, p: ParamV, r: TorchInitResult, site: InitSite): void {
  const layer = p.linear.layer;
  if ('problem' in r) {
    fx.note(site.span, `${r.problem}: ${p.which === 'weight' ? 'the weights keep' : 'the bias keeps'} the initializer read before`);
    return;
  }
  // Inside an `if` whose condition is not known, entered after the layer was made (`if cfg['init'] == 'zeros':`,
  // `if isinstance(m, MyBlock):`): this may or may not run, so it is not read, and the note says what the spec keeps.
  const cond = fx.undecided.find((c) => !p.linear.undecidedAt.includes(c));
  if (cond) {
    fx.note(site.span, `could not tell whether \`${fx.src(cond)}\` (line ${lineOf(fx, cond)}) holds here: this initialisation is not read, so ${p.which === 'weight' ? "the layer's weights keep" : 'its bias keeps'} ${previousInit(fx, p)}`);
    return;
  }
  // A loop over more values than the interpreter unrolls is read once, with its first value.
  const once = fx.loops.find((l) => !l.training && !l.unrolled && (l.count ?? 0) > 1);
  if (once) fx.note(site.span, `this runs inside \`${fx.src(once.header).replace(/:$/, '')}\` (line ${lineOf(fx, once.header)}), a loop over ${once.count} values, which Gradient Lens reads once (with its first value): this initialisation is read for that one only`);
  const rec: InitRec = { init: r.init, site };
  const st = initState(fx);
  const key = `${site.span.from}:${site.span.to}`;
  const users = st.sites.get(key) ?? [];
  const fresh = !users.includes(layer);
  if (fresh) users.push(layer);
  st.sites.set(key, users);
  // Each parameter it serves counts (`for p in layer.parameters(): p.uniform_(-a, a)` serves a weight and
  // a bias: a shared site too, whose edit would change both).
  const params = st.siteParams.get(key) ?? new Set<string>();
  const param = `${users.indexOf(layer)}:${p.which}`;
  const newParam = !params.has(param);
  params.add(param);
  st.siteParams.set(key, params);
  if (p.which === 'weight') {
    layer.kernel = rec;
    layer.weightsSpan = site.span;
    layer.weightsVia = [...fx.callStack];
  } else {
    layer.bias = rec;
    layer.biasSpan = site.span;
    layer.biasVia = [...fx.callStack];
  }
  if (newParam) fx.session.useSite(site);
  if (users.length > 1) {
    // One init statement for several layers: no edit is offered there (it would change them all). In a
    // loop over the layers (`for m in model.modules():`) the findings stay on that statement, where the
    // initialisation is written (each with its layer as related information); for an init function given
    // to model.apply each layer's findings stay on its own nn.Linear line.
    site.shared = true;
    if (fx.loops.some((l) => l.unrolled)) return;
    for (const l of users) {
      if (l.kernel?.site && `${l.kernel.site.span.from}:${l.kernel.site.span.to}` === key) {
        l.weightsSpan = l.definition;
        l.weightsVia = l.via;
      }
      if (l.bias?.site && `${l.bias.site.span.from}:${l.bias.site.span.to}` === key) l.biasSpan = undefined;
    }
  }
}

/** What the spec keeps for `p` when an initialisation of it is not read. */
function previousInit(fx: Fx, p: ParamV): string {
  const rec = p.which === 'weight' ? p.linear.layer.kernel : p.linear.layer.bias;
  if (!rec) return 'the fallback the spec notes for it';
  if (!rec.site) return "PyTorch's default U(±1/√fan_in)";
  return `the initializer read on line ${lineOf(fx, rec.site.span)}`;
}

/** What the spec keeps when an initialisation is not read. */
export const KEEPS = "each layer keeps the initializer read elsewhere (PyTorch's default U(±1/√fan_in) where none is written)";

/**
 * An initialisation of a tensor that is not a known layer's parameter (`nn.init.zeros_(m.weight)` where `m`
 * comes from something Gradient Lens cannot list, or is a parameter of a function nothing calls): a note
 * saying why, that it is not read, and what the layers keep instead.
 */
export function unknownParam(fx: Fx, v: Val | undefined, tensor: Span, at: Span): void {
  const unbound = nativeOf(v, UnboundParamV);
  const keeps = KEEPS;
  if (unbound?.fn) {
    // An init function written but never applied (a forgotten `model.apply(init_weights)`).
    fx.note(at, `${unbound.fn}() is never called in this file (nor given to model.apply), so this initialisation of \`${fx.src(tensor)}\` is not applied: ${keeps}`);
    return;
  }
  const loop = [...fx.loops].reverse().find((l) => l.opaque);
  const why = unbound ? `: it comes from ${unbound.describe()}`
    : loop ? `: this runs inside \`${fx.src(loop.header).replace(/:$/, '')}\` (line ${lineOf(fx, loop.header)}), whose elements Gradient Lens cannot list`
      : '';
  fx.note(at, `could not tell which layer's parameter \`${fx.src(tensor)}\` is${why}. This initialisation is not read: ${keeps}`);
}

/** `layer.weight = nn.Parameter(torch.zeros(...))` / `layer.weight.data = torch.randn(...) * 0.01`. */
export function assignParam(fx: Fx, p: ParamV, v: Val): void {
  const same = nativeOf(v, ParamV);
  if (same && same.linear === p.linear && same.which === p.which) return; // fc.weight = nn.Parameter(nn.init.normal_(fc.weight.data))
  const t = nativeOf(v, InitTensorV);
  const vv = nativeOf(v, VarV);
  const rec = t?.rec ?? vv?.rec;
  if (!rec?.site) {
    fx.note(p.linear.span, `could not read the values assigned to this layer's ${p.which}`);
    return;
  }
  setInit(fx, p, { init: rec.init }, { ...rec.site });
}

export function initHandler(name: string): Handler {
  const fn = name.replace(/_$/, '');
  return (call, fx) => {
    const a0 = call.arg(0, 'tensor');
    const p = nativeOf(a0?.v, ParamV);
    if (!p) {
      // A parameter of a layer the spec does not train (batch norm, noted where it is made) changes nothing.
      if (!nativeOf(a0?.v, ForeignParamV)) unknownParam(fx, a0?.v, a0?.expr ?? call.expr, call.expr);
      return UNKNOWN;
    }
    const w = p.which === 'weight';
    const r = torchInit({
      fn, fanIn: w ? p.linear.inFeatures : undefined, fanOut: w ? p.linear.layer.units : undefined, specFanIn: w ? p.linear.inFeatures : undefined,
      num: (key, pos, dflt) => readNum(call, key, pos, dflt),
      str: (key, pos, dflt) => {
        const a = call.kw.get(norm(key)) ?? (pos < call.args.length ? { v: call.args[pos] } : undefined);
        if (!a || a.v.t === 'none') return dflt;
        return a.v.t === 'str' ? a.v.v : undefined;
      },
    });
    if (!name.endsWith('_')) fx.note(call.expr.callee, `nn.init.${name} is the deprecated spelling of nn.init.${name}_ (same values)`);
    setInit(fx, p, r, { span: call.expr, idiom: 'torch-init', prefix: writtenPrefix(call), tensor: a0?.expr });
    return a0?.v ?? UNKNOWN;
  };
}

export const calculateGainHandler: Handler = (call) => {
  const nl = call.arg(0, 'nonlinearity')?.v;
  const param = num(call.arg(1, 'param')?.v);
  if (nl?.t !== 'str') return UNKNOWN;
  const g = { linear: 1, sigmoid: 1, tanh: 5 / 3, relu: Math.SQRT2, selu: 3 / 4, leaky_relu: Math.sqrt(2 / (1 + (param ?? 0.01) ** 2)) }[nl.v];
  return g === undefined ? UNKNOWN : { t: 'num', v: g, span: call.expr };
};

/** nn.init._calculate_fan_in_and_fan_out(w) (reset_parameters-style code): (in_features, out_features) of a weight. */
export const fansHandler: Handler = (call) => {
  const p = nativeOf(call.args[0], ParamV);
  if (!p || p.which !== 'weight') return UNKNOWN;
  const n = (v: number | undefined): Val => (v === undefined ? UNKNOWN : { t: 'num', v });
  return { t: 'list', items: [n(p.linear.inFeatures), n(p.linear.layer.units)], tuple: true };
};


/**
 * A parameter of a module the spec does not train (batch norm's weight and bias, a convolution's kernel):
 * initialising it changes nothing in the spec (the module itself is noted or refused where it is made).
 */
export class ForeignParamV implements Native {
  readonly kind = 'parameter of a module the spec does not train';
  readonly classPath = 'torch.nn.Parameter';
  constructor(readonly dims: number) {}
  attr(name: string): Val | undefined {
    if (name === 'data') return native(this);
    if (name === 'ndim') return { t: 'num', v: this.dims };
    if (name === 'requires_grad') return { t: 'bool', v: true };
    return undefined;
  }
  method(name: string): Val | undefined {
    if (name === 'dim') return { t: 'num', v: this.dims };
    return name.endsWith('_') || PASS_METHODS.has(name) ? native(this) : undefined;
  }
  instanceOf(path: string): boolean {
    return path === 'torch.nn.Parameter' || path === 'torch.Tensor';
  }
}
