// PyTorch (torch, torch.nn, torch.optim, torch.utils.data, torchvision): `nn.Sequential` (also from an
// OrderedDict, `.add_module`, `.append`), `nn.Module` subclasses whose layers are the `self.x = nn.Linear(...)`
// of `__init__` in the order `forward()` uses them (traced once the instance exists), `nn.ModuleList` /
// `nn.ModuleDict`, module and functional activations, `nn.init.*_` and in-place tensor initialisation
// (`weight.data.fill_(0)`, `with torch.no_grad(): w.zero_()`), `model.apply(fn)` and init loops over a model's
// modules / parameters (containers list their elements; an init that may not run is a note), `torch.optim.*`, the loss,
// `DataLoader(dataset, batch_size=...)` over `torchvision.datasets.MNIST`, and `optimizer.step()` inside
// `for epoch in range(E): for x, y in loader:` as the training steps.
//
// PyTorch's own defaults are kept exactly: nn.Linear's weight and bias start U(±1/√fan_in), the
// optimizers' defaults are PyTorch's (SGD lr 0.001, Adam eps 1e-8, RMSprop alpha 0.99 / lr 0.01), the
// DataLoader's batch size is 1.
import type { OptimizerSpec } from '../../spec';
import type { Expr, Span } from '../ast';
import { type BaseClass, type Call, type InstanceVal, type Native, type Val, NONE, UNKNOWN, UnboundParamV, native, nativeOf, norm } from '../interpret';
import {
  type Fx, type InitRec, type InitSite, type LayerRec, type ModelBuilder, type ModelRec, InitTensorV, TensorV, VarV, activate, asTensor,
  matmulValues, shapeOf,
} from '../model';
import type { FrameworkModule, Handler } from './api';
import { CONV_MESSAGE, LEAKY_ALPHA, RNN_MESSAGE, last, newModel, noteFashion, writtenPrefix } from './common';
import { type TorchInitResult, linearDefault, torchInit } from './torchInit';

const ID = 'torch';

const MNIST_TRAIN = 60000;
const MNIST_TEST = 10000;

// ---- per-file state -----------------------------------------------------------------------------

interface TorchState {
  /** Incremented for each top-level trace (a Sequential built, a module's forward read). */
  trace: number;
  depth: number;
  loaders: DataLoaderV[];
  /** Which softmax ends a layer (F.softmax / F.log_softmax): CrossEntropyLoss and NLLLoss read them differently. */
  softmax: Map<LayerRec, 'softmax' | 'logsoftmax'>;
  /** Layers initialised at each init site (a site shared by several layers anchors nothing). */
  sites: Map<string, LayerRec[]>;
  /** Which parameters of them (`weight`, `bias`) each init site initialises. */
  siteParams: Map<string, Set<string>>;
  optimizers: TorchOptimizerV[];
  /** The output of `torch.log(F.softmax(...))`. */
  logOfSoftmax: WeakSet<object>;
  /** Traces that met a layer Gradient Lens does not train (see refuse()). */
  refused: Map<number, { what: string; span: Span }>;
  datasetNoted?: boolean;
}

const STATES = new WeakMap<ModelBuilder, TorchState>();

function state(fx: Fx): TorchState {
  let s = STATES.get(fx.session);
  if (!s) {
    s = { trace: 0, depth: 0, loaders: [], softmax: new Map(), sites: new Map(), siteParams: new Map(), optimizers: [], logOfSoftmax: new WeakSet(), refused: new Map() };
    STATES.set(fx.session, s);
  }
  return s;
}

/** Runs `f` as one trace (nested traces share the outer one's id). */
function traced<T>(fx: Fx, f: () => T): T {
  const s = state(fx);
  if (s.depth === 0) s.trace++;
  s.depth++;
  try {
    return f();
  } finally {
    s.depth--;
  }
}

const num = (v: Val | undefined): number | undefined => (v?.t === 'num' ? v.v : v?.t === 'bool' ? Number(v.v) : undefined);
const int = (v: Val | undefined): number | undefined => (v?.t === 'num' && Number.isInteger(v.v) ? v.v : undefined);

/** The span of a number literal an argument comes from (for learning-rate / batch-size anchors). */
function literalSpan(fx: Fx, a: { v: Val; expr: Expr } | undefined): Span | undefined {
  if (!a || a.v.t !== 'num') return undefined;
  if (a.expr.k === 'num' || (a.expr.k === 'unary' && a.expr.arg.k === 'num')) return a.expr;
  const s = a.v.span;
  if (s && fx.text.slice(s.from, s.to).trim() === String(a.v.v)) return s;
  return undefined;
}

// ---- tensors --------------------------------------------------------------------------------------

const PASS_METHODS = new Set([
  'to', 'cuda', 'cpu', 'float', 'double', 'half', 'detach', 'contiguous', 'clone', 'requires_grad_', 'type', 'squeeze', 'unsqueeze', 'view_as',
  'reshape_as', 'flatten', 'view', 'reshape', 'permute', 'transpose', 'data',
]);

/** A tensor of the model in PyTorch code: TensorV plus PyTorch's tensor methods (`.to(device)`, `.softmax(dim=1)`...). */
export class TorchTensorV extends TensorV {
  /** The shape when known: a dataset's image [1, 28, 28], a DataLoader batch [B, 1, 28, 28]. */
  dims?: number[];
  withDims(dims: number[] | undefined): this {
    this.dims = dims;
    return this;
  }
  override method(name: string, call: Call, host: Fx): Val | undefined {
    const fx = host;
    if (name === 'size' || name === 'dim' || name === 'numel') {
      if (!this.dims) return UNKNOWN;
      if (name === 'dim') return { t: 'num', v: this.dims.length };
      if (name === 'numel') return { t: 'num', v: this.dims.reduce((a, b) => a * b, 1) };
      const i = int(call.args[0]);
      if (i !== undefined) return this.dims[i < 0 ? this.dims.length + i : i] === undefined ? UNKNOWN : { t: 'num', v: this.dims[i < 0 ? this.dims.length + i : i] };
      return dimsVal(this.dims);
    }
    if (PASS_METHODS.has(name)) return native(this);
    if (name === 'softmax' || name === 'log_softmax') return softmaxOf(fx, native(this), name === 'log_softmax', call.expr);
    if (name === 'clamp' || name === 'clamp_min' || name === 'relu_') {
      const min = num(call.arg(0, 'min')?.v);
      if (name === 'relu_' || min === 0) return activation(fx, native(this), 'relu', call.expr);
    }
    if (name === 'leaky_relu') return leaky(fx, native(this), call, 0, call.expr);
    return wrap(super.method(name, { ...call, args: call.args.map(asVariable) }, host));
  }
  override binary(op: string, other: Val, left: boolean, host: Fx, at: Span): Val | undefined {
    return wrap(super.binary(op, asVariable(other), left, host, at));
  }
  attr(name: string): Val | undefined {
    if (name === 'shape') return this.dims ? dimsVal(this.dims) : UNKNOWN;
    return name === 'data' || name === 'T' ? native(this) : undefined;
  }
  override index(): Val | undefined {
    return native(this);
  }
}

const dimsVal = (dims: number[]): Val => ({ t: 'list', items: dims.map((d) => ({ t: 'num', v: d })), tuple: true });

/** A tensor of initial values used as weights (`W1 = torch.randn(784, 256, requires_grad=True)`, then `X @ W1`). */
function asVariable(v: Val): Val {
  const t = nativeOf(v, InitTensorV);
  if (!t) return v;
  // One variable per tensor, so that using W1 again (an evaluation loop) is the same layer, not a new one.
  let w = VARIABLES.get(t);
  if (!w) {
    w = new VarV(t.rec, t.shape, t.rec.site?.span ?? { from: 0, to: 0 }, ID);
    VARIABLES.set(t, w);
  }
  return native(w);
}

const VARIABLES = new WeakMap<InitTensorV, VarV>();

function wrap(v: Val | undefined): Val | undefined {
  const t = nativeOf(v, TensorV);
  if (t && !(t instanceof TorchTensorV)) return native(new TorchTensorV(t.source, t.activated));
  return v;
}

const freshInput = (): Val => native(new TorchTensorV('input', true));

function activation(fx: Fx, x: Val, name: string, span: Span): Val {
  const t = asTensor(fx, x);
  if (!t) return UNKNOWN;
  const out = wrap(activate(fx, x, name, span)) ?? UNKNOWN;
  if (t.source !== 'input' && !t.activated) t.source.activationSpan = span;
  return out;
}

function softmaxOf(fx: Fx, x: Val, log: boolean, span: Span): Val {
  const t = asTensor(fx, x);
  if (t && t.source !== 'input' && t.activated && t.source.activation && t.source.activation !== 'softmax') {
    // F.log_softmax(F.relu(self.fc3(x))): the spec's output layer is a softmax alone.
    const layer = t.source;
    fx.note(span, `${layer.activation} is applied before this ${log ? 'log_softmax' : 'softmax'}; the model spec's output layer is the softmax alone: trained without the ${layer.activation}`);
    layer.activation = 'softmax';
    layer.activationSpan = span;
    state(fx).softmax.set(layer, log ? 'logsoftmax' : 'softmax');
    return native(new TorchTensorV(layer, true));
  }
  const out = activation(fx, x, 'softmax', span);
  if (t && t.source !== 'input' && !t.activated) state(fx).softmax.set(t.source, log ? 'logsoftmax' : 'softmax');
  return out;
}

function leaky(fx: Fx, x: Val, call: Call, slopePos: number, span: Span): Val {
  const a = call.arg(slopePos, 'negativeslope');
  const slope = a ? num(a.v) : 0.01;
  slopeNote(fx, slope, a?.span ?? span);
  return activation(fx, x, 'leakyRelu', span);
}

function slopeNote(fx: Fx, slope: number | undefined, at: Span): void {
  if (slope !== undefined && Math.abs(slope - LEAKY_ALPHA) <= 1e-12) return;
  fx.note(at, `this leaky ReLU has slope ${slope ?? '(not readable)'} below zero${slope === 0.01 ? " (PyTorch's default)" : ''}; Gradient Lens trains leakyRelu with slope ${LEAKY_ALPHA}`);
}

// ---- initial values (torch.zeros(...), torch.randn(...) * 0.01) -------------------------------------

/** A tensor of initial values; arithmetic with numbers keeps its distribution exact where it can. */
class TorchInitTensorV extends InitTensorV {
  binary(op: string, other: Val, left: boolean): Val | undefined {
    const k = num(other);
    if (k === undefined) return undefined;
    const i = this.rec.init;
    const site = this.rec.site;
    const scaled = (init: InitRec['init']): Val => native(new TorchInitTensorV({ init, site }, this.shape));
    if (op === '*' || (op === '/' && left && k !== 0)) {
      const f = op === '*' ? k : 1 / k;
      if (i === 'zeros') return native(this);
      if (typeof i === 'string') return i === 'ones' ? scaled(f === 0 ? 'zeros' : { type: 'constant', value: f }) : undefined;
      switch (i.type) {
        case 'constant': return scaled({ type: 'constant', value: i.value * f });
        case 'randomNormal': case 'truncatedNormal': return f > 0 ? scaled({ type: i.type, mean: i.mean * f, stddev: i.stddev * f }) : undefined;
        case 'randomUniform': return f > 0 ? scaled({ type: 'randomUniform', minval: i.minval * f, maxval: i.maxval * f }) : undefined;
      }
    }
    if (op === '+' || (op === '-' && left)) {
      const d = op === '+' ? k : -k;
      if (typeof i === 'string') return i === 'zeros' ? scaled({ type: 'constant', value: d }) : undefined;
      switch (i.type) {
        case 'constant': return scaled({ type: 'constant', value: i.value + d });
        case 'randomNormal': case 'truncatedNormal': return scaled({ type: i.type, mean: i.mean + d, stddev: i.stddev });
        case 'randomUniform': return scaled({ type: 'randomUniform', minval: i.minval + d, maxval: i.maxval + d });
      }
    }
    return undefined;
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    // torch.empty(o, i).uniform_(-a, a) / .normal_(0, s) / .fill_(v) / .zero_()
    const r = inPlace(fx, name, call, this.shape?.length === 2 ? { fanIn: this.shape[1], fanOut: this.shape[0] } : {});
    if (!r) return PASS_METHODS.has(name) ? native(this) : undefined;
    if ('problem' in r) {
      fx.note(call.expr, r.problem);
      return UNKNOWN;
    }
    return native(new TorchInitTensorV({ init: r.init, site: this.rec.site }, this.shape));
  }
}

/** torch.zeros / ones / full / rand / randn / empty / normal / tensor shapes: sizes as varargs or one tuple. */
function sizeArgs(call: Call, from: number): (number | undefined)[] | undefined {
  const a = call.args[from];
  if (a?.t === 'list') return shapeOf(a);
  const size = call.kw.get('size')?.v;
  if (size?.t === 'list') return shapeOf(size);
  const dims = call.args.slice(from).filter((v) => v.t === 'num');
  return dims.length > 0 ? dims.map((v) => int(v)) : undefined;
}

function tensorFactory(n: string): Handler | undefined {
  const make = (init: InitRec['init'] | undefined, call: Call, shape: (number | undefined)[] | undefined): Val => {
    if (!init) return UNKNOWN;
    return native(new TorchInitTensorV({ init, site: { span: call.expr, idiom: 'torch-method', prefix: writtenPrefix(call) } }, shape));
  };
  switch (n) {
    case 'zeros': return (call) => make('zeros', call, sizeArgs(call, 0));
    case 'ones': return (call) => make('ones', call, sizeArgs(call, 0));
    case 'empty': return (call) => make(undefined, call, sizeArgs(call, 0));
    case 'rand': return (call) => make({ type: 'randomUniform', minval: 0, maxval: 1 }, call, sizeArgs(call, 0));
    case 'randn': return (call) => make({ type: 'randomNormal', mean: 0, stddev: 1 }, call, sizeArgs(call, 0));
    case 'full': return (call) => {
      const v = num(call.arg(1, 'fillvalue')?.v);
      return make(v === undefined ? undefined : v === 0 ? 'zeros' : { type: 'constant', value: v }, call, shapeOf(call.args[0]));
    };
    case 'normal': return (call) => {
      const m = num(call.arg(0, 'mean')?.v);
      const s = num(call.arg(1, 'std')?.v);
      const size = call.kw.get('size')?.v ?? call.args[2];
      if (m === undefined || s === undefined || size?.t !== 'list') return UNKNOWN;
      return make({ type: 'randomNormal', mean: m, stddev: s }, call, shapeOf(size));
    };
    case 'zeroslike': case 'oneslike': return (call) => make(n === 'zeroslike' ? 'zeros' : 'ones', call, undefined);
    default: return undefined;
  }
}

// ---- parameters and their initialisation ----------------------------------------------------------

/** `layer.weight` / `layer.bias` of an nn.Linear. */
class ParamV implements Native {
  readonly kind = 'parameter';
  readonly classPath = 'torch.nn.Parameter';
  constructor(readonly linear: LinearV, readonly which: 'weight' | 'bias') {}
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
const IN_PLACE = /^(fill|zero|normal|uniform|copy)_$/;

/** In-place tensor methods that fill a tensor: undefined when `name` is not one. */
function inPlace(fx: Fx, name: string, call: Call, fans: { fanIn?: number; fanOut?: number }): TorchInitResult | undefined {
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

function readNum(call: Call, key: string, pos: number, dflt: number): number | undefined {
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
  const st = state(fx);
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

/** The 1-based line of a span (for notes that name another line). */
function lineOf(fx: Fx, span: Span): number {
  let n = 1;
  for (let i = fx.text.indexOf('\n'); i >= 0 && i < span.from; i = fx.text.indexOf('\n', i + 1)) n++;
  return n;
}

/** What the spec keeps for `p` when an initialisation of it is not read. */
function previousInit(fx: Fx, p: ParamV): string {
  const rec = p.which === 'weight' ? p.linear.layer.kernel : p.linear.layer.bias;
  if (!rec) return 'the fallback the spec notes for it';
  if (!rec.site) return "PyTorch's default U(±1/√fan_in)";
  return `the initializer read on line ${lineOf(fx, rec.site.span)}`;
}

/** What the spec keeps when an initialisation is not read. */
const KEEPS = "each layer keeps the initializer read elsewhere (PyTorch's default U(±1/√fan_in) where none is written)";

/**
 * An initialisation of a tensor that is not a known layer's parameter (`nn.init.zeros_(m.weight)` where `m`
 * comes from something Gradient Lens cannot list, or is a parameter of a function nothing calls): a note
 * saying why, that it is not read, and what the layers keep instead.
 */
function unknownParam(fx: Fx, v: Val | undefined, tensor: Span, at: Span): void {
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
function assignParam(fx: Fx, p: ParamV, v: Val): void {
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

function initHandler(name: string): Handler {
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

const calculateGainHandler: Handler = (call) => {
  const nl = call.arg(0, 'nonlinearity')?.v;
  const param = num(call.arg(1, 'param')?.v);
  if (nl?.t !== 'str') return UNKNOWN;
  const g = { linear: 1, sigmoid: 1, tanh: 5 / 3, relu: Math.SQRT2, selu: 3 / 4, leaky_relu: Math.sqrt(2 / (1 + (param ?? 0.01) ** 2)) }[nl.v];
  return g === undefined ? UNKNOWN : { t: 'num', v: g, span: call.expr };
};

/** nn.init._calculate_fan_in_and_fan_out(w) (reset_parameters-style code): (in_features, out_features) of a weight. */
const fansHandler: Handler = (call) => {
  const p = nativeOf(call.args[0], ParamV);
  if (!p || p.which !== 'weight') return UNKNOWN;
  const n = (v: number | undefined): Val => (v === undefined ? UNKNOWN : { t: 'num', v });
  return { t: 'list', items: [n(p.linear.inFeatures), n(p.linear.layer.units)], tuple: true };
};

// ---- modules ------------------------------------------------------------------------------------

/** nn.Linear(in_features, out_features, bias=True). */
export class LinearV implements Native {
  readonly kind = 'nn.Linear';
  /** The trace in which it was last applied (two uses in one forward() are noted). */
  linkedIn = -1;
  added = false;
  /** nn.LazyLinear(out_features): inFeatures is set when it is first applied. */
  lazy = false;
  /** The undecided conditions (Host.undecided) it was made under: an init under further ones may not run. */
  undecidedAt: readonly Span[] = [];
  constructor(readonly layer: LayerRec, public inFeatures: number | undefined, readonly span: Span) {}
  /** A LazyLinear becomes an nn.Linear when it is first applied (PyTorch's cls_to_become). */
  get classPath(): string {
    return this.lazy && this.inFeatures === undefined ? 'torch.nn.LazyLinear' : 'torch.nn.Linear';
  }
  binary(op: string, other: Val): Val | undefined {
    return sameModule(this, op, other);
  }
  hasAttr(name: string): boolean {
    return MODULE_MEMBERS.has(name) || name === 'reset_parameters';
  }
  attr(name: string, host: Fx): Val | undefined {
    if (name === 'weight') return native(new ParamV(this, 'weight'));
    if (name === 'bias') return this.layer.useBias ? native(new ParamV(this, 'bias')) : NONE;
    if (name === 'in_features') return this.inFeatures === undefined ? UNKNOWN : { t: 'num', v: this.inFeatures };
    if (name === 'out_features') return this.layer.units === undefined ? UNKNOWN : { t: 'num', v: this.layer.units };
    return moduleAttr(native(this), name, host);
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    if (name === 'reset_parameters') {
      resetLinear(fx, this, call.expr);
      return NONE;
    }
    return moduleMethod(native(this), name, call, fx);
  }
  call(call: Call, fx: Fx): Val {
    return applyModule(fx, native(this), call.args[0] ?? UNKNOWN, call.expr);
  }
  setAttr(name: string, v: Val, fx: Fx): boolean {
    if (name !== 'weight' && name !== 'bias') return false;
    assignParam(fx, new ParamV(this, name), v);
    return true;
  }
  instanceOf(path: string): boolean {
    return path === 'torch.nn.Linear' || path === 'torch.nn.Module' || path === this.classPath;
  }
}

/** `layer.reset_parameters()`: back to nn.Linear's default for weight and bias (no site of its own: no edit). */
function resetLinear(fx: Fx, lin: LinearV, span: Span): void {
  const cond = fx.undecided.find((c) => !lin.undecidedAt.includes(c));
  if (cond) {
    fx.note(span, `could not tell whether \`${fx.src(cond)}\` (line ${lineOf(fx, cond)}) holds here: this reset is not read, so the layer keeps the initializers read before`);
    return;
  }
  const n = lin.inFeatures;
  const layer = lin.layer;
  if (n === undefined || n <= 0) return;
  layer.kernel = { init: linearDefault(n) };
  layer.weightsSpan = layer.definition;
  layer.weightsVia = layer.via;
  if (layer.useBias) {
    layer.bias = { init: linearDefault(n) };
    layer.biasSpan = undefined;
  }
}

/** What every nn.Module has (for `hasattr(m, name)`): a module has a `weight` only when it says so. */
const MODULE_MEMBERS = new Set([
  'training', 'forward', 'parameters', 'named_parameters', 'buffers', 'named_buffers', 'modules', 'named_modules', 'children', 'named_children',
  'apply', 'to', 'cuda', 'cpu', 'train', 'eval', 'float', 'double', 'half', 'zero_grad', 'state_dict', 'load_state_dict', 'add_module',
  'register_module', 'register_buffer', 'register_parameter', 'requires_grad_', 'extra_repr', '__class__',
]);

/** `m is model.fc3`, `m == model[-1]`, `m is not head`: a module is itself and no other (nn.Module has no __eq__). */
function sameModule(self: Native, op: string, other: Val): Val | undefined {
  if (!['is', 'is not', '==', '!='].includes(op) || !isModule(other)) return undefined;
  const same = other.t === 'native' && other.obj === self;
  return { t: 'bool', v: op === 'is' || op === '==' ? same : !same };
}

/**
 * A parameter of a module the spec does not train (batch norm's weight and bias, a convolution's kernel):
 * initialising it changes nothing in the spec (the module itself is noted or refused where it is made).
 */
class ForeignParamV implements Native {
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

/** An activation module (nn.ReLU(), nn.LogSoftmax(dim=1)...). */
class ActModuleV implements Native {
  readonly kind = 'activation module';
  constructor(readonly activation: string, readonly span: Span, readonly log = false, readonly cls = '') {}
  get classPath(): string {
    return `torch.nn.${this.cls}`;
  }
  attr(name: string, fx: Fx): Val | undefined {
    return moduleAttr(native(this), name, fx);
  }
  binary(op: string, other: Val): Val | undefined {
    return sameModule(this, op, other);
  }
  hasAttr(name: string): boolean {
    return MODULE_MEMBERS.has(name);
  }
  call(call: Call, fx: Fx): Val {
    return applyModule(fx, native(this), call.args[0] ?? UNKNOWN, call.expr);
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    return moduleMethod(native(this), name, call, fx);
  }
  instanceOf(path: string): boolean {
    return path === `torch.nn.${this.cls}` || path === 'torch.nn.Module';
  }
}

/** A module with nothing the spec trains that passes its input on (Flatten, Dropout, Identity, a noted BatchNorm). */
class PassModuleV implements Native {
  readonly kind = 'pass-through module';
  /** `refusal`: a layer Gradient Lens does not train (Conv2d, LSTM...): a model that uses it is refused. */
  constructor(readonly cls: string, readonly span: Span, readonly refusal?: string) {}
  get classPath(): string {
    return `torch.nn.${this.cls}`;
  }
  /** Batch norm, convolutions... have parameters of their own, which the spec does not train. */
  private get weighted(): boolean {
    return this.refusal !== undefined || NORM_MODULES.has(norm(this.cls));
  }
  call(call: Call, fx: Fx): Val {
    return applyModule(fx, native(this), call.args[0] ?? UNKNOWN, call.expr);
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    return moduleMethod(native(this), name, call, fx);
  }
  attr(name: string, fx: Fx): Val | undefined {
    if (this.weighted && (name === 'weight' || name === 'bias')) return native(new ForeignParamV(name === 'bias' || NORM_MODULES.has(norm(this.cls)) ? 1 : 4));
    return moduleAttr(native(this), name, fx);
  }
  binary(op: string, other: Val): Val | undefined {
    return sameModule(this, op, other);
  }
  hasAttr(name: string): boolean {
    return MODULE_MEMBERS.has(name);
  }
  instanceOf(path: string): boolean {
    return path === `torch.nn.${this.cls}` || path === 'torch.nn.Module';
  }
}

/** nn.Sequential: its modules in order (named when built from an OrderedDict or add_module). */
class SequentialV implements Native {
  readonly kind = 'nn.Sequential';
  readonly classPath = 'torch.nn.Sequential';
  output: Val = UNKNOWN;
  constructor(readonly items: { name: string; v: Val }[], readonly model: ModelRec, readonly span: Span) {}
  call(call: Call, fx: Fx): Val {
    return applyModule(fx, native(this), call.args[0] ?? UNKNOWN, call.expr);
  }
  attr(name: string, fx: Fx): Val | undefined {
    const item = this.items.find((i) => i.name === name);
    return item ? item.v : moduleAttr(native(this), name, fx);
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    if (name === 'add_module' || name === 'append' || name === 'register_module') {
      const named = name !== 'append';
      const key = named ? call.arg(0, 'name')?.v : undefined;
      const m = call.arg(named ? 1 : 0, 'module')?.v ?? UNKNOWN;
      this.items.push({ name: key?.t === 'str' ? key.v : String(this.items.length), v: m });
      traceSequential(fx, this);
      return name === 'append' ? native(this) : NONE;
    }
    if (name === 'forward') return this.call(call, fx);
    return moduleMethod(native(this), name, call, fx);
  }
  index(i: Val): Val | undefined {
    const k = int(i);
    if (k === undefined) return i.t === 'str' ? this.items.find((x) => x.name === i.v)?.v : undefined;
    return this.items[k < 0 ? this.items.length + k : k]?.v;
  }
  len(): number {
    return this.items.length;
  }
  /** `for layer in model:` runs over its modules. */
  elements(): Val[] {
    return this.items.map((i) => i.v);
  }
  binary(op: string, other: Val): Val | undefined {
    return sameModule(this, op, other);
  }
  hasAttr(name: string): boolean {
    return MODULE_MEMBERS.has(name);
  }
  setAttr(name: string, v: Val): boolean {
    const item = this.items.find((i) => i.name === name);
    if (item) item.v = v;
    else this.items.push({ name, v });
    return true;
  }
  instanceOf(path: string): boolean {
    return path === 'torch.nn.Sequential' || path === 'torch.nn.Module';
  }
}

/** nn.ModuleList / nn.ModuleDict values are plain lists / dicts marked here (a plain list of layers is not registered by nn.Module). */
const MODULE_LISTS = new WeakSet<object>();
const MODULE_DICTS = new WeakSet<object>();

/** Per-instance state of a user nn.Module subclass. */
interface ModuleState {
  children: Map<string, Val>;
  model?: ModelRec;
  output?: Val;
  header: Span;
}

const MODULE_KEY = Symbol('torch module');

const moduleState = (inst: InstanceVal): ModuleState | undefined => inst.data.get(MODULE_KEY) as ModuleState | undefined;

function isModule(v: Val | undefined): boolean {
  if (!v) return false;
  if (v.t === 'instance') return moduleState(v) !== undefined;
  return nativeOf(v, LinearV) !== undefined || nativeOf(v, ActModuleV) !== undefined || nativeOf(v, PassModuleV) !== undefined
    || nativeOf(v, SequentialV) !== undefined || nativeOf(v, ModuleContainerV) !== undefined;
}

/**
 * A registered nn.ModuleList / nn.ModuleDict met as a child of a module (`model.children()`,
 * `model.named_modules()`): a module of its own (so `isinstance(m, nn.Linear)` is false for it, as in
 * PyTorch) whose elements are its modules.
 */
class ModuleContainerV implements Native {
  readonly kind = 'module container';
  constructor(readonly classPath: string, readonly items: { name: string; v: Val }[], readonly source: object) {}
  elements(): Val[] {
    return this.items.map((i) => i.v);
  }
  len(): number {
    return this.items.length;
  }
  index(i: Val): Val | undefined {
    const k = int(i);
    if (k === undefined) return i.t === 'str' ? this.items.find((x) => x.name === i.v)?.v : undefined;
    return this.items[k < 0 ? this.items.length + k : k]?.v;
  }
  attr(name: string, fx: Fx): Val | undefined {
    return moduleAttr(native(this), name, fx);
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    return moduleMethod(native(this), name, call, fx);
  }
  binary(op: string, other: Val): Val | undefined {
    return sameModule(this, op, other);
  }
  hasAttr(name: string): boolean {
    return MODULE_MEMBERS.has(name);
  }
  instanceOf(path: string): boolean {
    return path === this.classPath || path === 'torch.nn.Module';
  }
}

/**
 * A module's direct submodules with their names, as PyTorch's `named_children()` gives them: an
 * nn.ModuleList / nn.ModuleDict is one child (a ModuleContainerV); the layers of a plain Python list or
 * dict (which PyTorch does not register; noted where assigned) are children of their own, as Gradient
 * Lens trains them.
 */
function directChildren(v: Val): { name: string; v: Val }[] {
  const seq = nativeOf(v, SequentialV);
  if (seq) return seq.items;
  const box = nativeOf(v, ModuleContainerV);
  if (box) return box.items;
  if (v.t !== 'instance') return [];
  const st = moduleState(v);
  if (!st) return [];
  const out: { name: string; v: Val }[] = [];
  for (const [name, c] of st.children) {
    if (c.t === 'list' || c.t === 'dict') {
      const items = c.t === 'list'
        ? c.items.map((x, i) => ({ name: String(i), v: x })).filter((x) => isModule(x.v))
        : [...c.entries.values()].filter((en) => isModule(en.value) && en.key.t === 'str').map((en) => ({ name: (en.key as { v: string }).v, v: en.value }));
      if (MODULE_LISTS.has(c) || MODULE_DICTS.has(c)) {
        out.push({ name, v: native(new ModuleContainerV(c.t === 'list' ? 'torch.nn.ModuleList' : 'torch.nn.ModuleDict', items, c)) });
      } else out.push(...items.map((x) => ({ name: `${name}.${x.name}`, v: x.v })));
    } else out.push({ name, v: c });
  }
  return out;
}

/** `model.named_modules()`: the module first (named ''), then each child's modules, depth first, each module once. */
function namedModules(v: Val, prefix = '', seen = new Set<unknown>(), depth = 0): { name: string; v: Val }[] {
  if (depth > 20) return [];
  const id = v.t === 'native' ? (v.obj instanceof ModuleContainerV ? v.obj.source : v.obj) : v;
  if (seen.has(id)) return [];
  seen.add(id);
  return [{ name: prefix, v }, ...directChildren(v).flatMap((c) => namedModules(c.v, prefix ? `${prefix}.${c.name}` : c.name, seen, depth + 1))];
}

/** `model.modules()`. */
const allModules = (v: Val): Val[] => namedModules(v).map((m) => m.v);

function namedParameters(v: Val, prefix = '', depth = 0): { name: string; p: ParamV }[] {
  if (depth > 20) return [];
  const lin = nativeOf(v, LinearV);
  if (lin) {
    const out = [{ name: `${prefix}weight`, p: new ParamV(lin, 'weight') }];
    if (lin.layer.useBias) out.push({ name: `${prefix}bias`, p: new ParamV(lin, 'bias') });
    return out;
  }
  return directChildren(v).flatMap((c) => namedParameters(c.v, `${prefix}${c.name}.`, depth + 1));
}

/** Attributes every module has. */
function moduleAttr(_m: Val, name: string, _fx: Fx): Val | undefined {
  return name === 'training' ? { t: 'bool', v: true } : undefined;
}

/** Methods every module has (`parameters`, `apply`, `to`...). */
function moduleMethod(m: Val, name: string, call: Call, fx: Fx): Val | undefined {
  switch (name) {
    case 'to': case 'cuda': case 'cpu': case 'train': case 'eval': case 'float': case 'double': case 'half': case 'requires_grad_':
    case 'share_memory':
      return m;
    case 'parameters':
      return { t: 'list', items: namedParameters(m).map((x) => native(x.p)) };
    case 'named_parameters':
      return { t: 'list', items: namedParameters(m).map((x) => ({ t: 'list', items: [{ t: 'str', v: x.name }, native(x.p)], tuple: true })) };
    case 'modules':
      return { t: 'list', items: allModules(m) };
    case 'children':
      return { t: 'list', items: directChildren(m).map((c) => c.v) };
    case 'named_modules': case 'named_children': {
      const list = name === 'named_children' ? directChildren(m) : namedModules(m);
      return { t: 'list', items: list.map((c) => ({ t: 'list', items: [{ t: 'str', v: c.name }, c.v], tuple: true })) };
    }
    case 'apply': {
      // Module.apply(fn): fn on every submodule (children first), then on the module itself.
      const fn = call.args[0];
      if (!fn) return m;
      if (fn.t !== 'func' && fn.t !== 'instance' && fn.t !== 'native') {
        // An init function from another file (`from utils import init_weights`), or one not known here.
        fx.note(call.expr, `could not follow the function given to ${fx.src(call.expr.callee)} (${fx.src(call.argExprs[0] ?? call.expr)}): it is not defined in this file, so the initialisation it applies is not known; ${KEEPS}`);
        return m;
      }
      const post = (v: Val, depth: number): void => {
        if (depth > 20) return;
        for (const c of directChildren(v)) post(c.v, depth + 1);
        fx.callValue(fn, [v], call.expr);
      };
      post(m, 0);
      return m;
    }
    case 'zero_grad': return NONE;
    case 'load_state_dict':
      fx.note(call.expr, 'weights loaded from a checkpoint are not read: Gradient Lens trains from the initial weights written in this file');
      return NONE;
    case 'state_dict': {
      // Its tensors share their storage with the parameters: an in-place init through it initialises them.
      const entries = new Map(namedParameters(m).map((x) => [`s:${x.name}`, { key: { t: 'str', v: x.name } as Val, value: native(x.p) }]));
      return { t: 'dict', entries };
    }
    default: return undefined;
  }
}

/** Applies a module value to a tensor (inside forward(), a Sequential, or the user's code). */
function applyModule(fx: Fx, m: Val, x: Val, span: Span): Val {
  let arg = x;
  if (arg.t === 'list' && arg.items.length === 1) arg = arg.items[0];
  const t = asTensor(fx, arg);
  const lin = nativeOf(m, LinearV);
  if (lin) {
    if (!t) {
      fx.note(span, `could not follow the input of this layer (${fx.src(span)})`);
      return UNKNOWN;
    }
    return link(fx, lin, t, span);
  }
  const act = nativeOf(m, ActModuleV);
  if (act) {
    if (!t) return UNKNOWN;
    return act.activation === 'softmax' ? softmaxOf(fx, native(t), act.log, act.span) : activation(fx, native(t), act.activation, act.span);
  }
  const pass = nativeOf(m, PassModuleV);
  if (pass) {
    if (pass.refusal) refuse(fx, pass.refusal, pass.span);
    return t ? native(t) : UNKNOWN;
  }
  const seq = nativeOf(m, SequentialV);
  if (seq) {
    // The model input (or a value we cannot follow, e.g. a batch drawn with next(iter(loader))): the traced output.
    if ((!t || t.source === 'input') && seq.output.t !== 'unknown') return seq.output;
    return traced(fx, () => seq.items.reduce<Val>((acc, item) => applyModule(fx, item.v, acc, span), t ? native(t) : arg));
  }
  if (m.t === 'instance' && moduleState(m)) return callModule(fx, m, arg, span);
  return UNKNOWN;
}

/** An nn.Linear applied to a tensor: its layer now takes that tensor as input. */
function link(fx: Fx, lin: LinearV, t: TensorV, span: Span): Val {
  const st = state(fx);
  const layer = lin.layer;
  if (lin.linkedIn === st.trace && st.depth > 0) {
    fx.note(span, 'this layer is applied a second time in the same forward pass: only its first use is read');
    return native(new TorchTensorV(layer, false));
  }
  lin.linkedIn = st.trace;
  layer.input = t.source;
  if (lin.inFeatures === undefined && lin.lazy) {
    // nn.LazyLinear: its input count (and so its default init) comes from the first input it sees.
    const n = t.source === 'input' ? 784 : t.source.units;
    if (n !== undefined) {
      lin.inFeatures = n;
      layer.kernelShape = [n, layer.units];
      if (!layer.kernel?.site) layer.kernel = { init: linearDefault(n) };
      if (layer.useBias && !layer.bias?.site) layer.bias = { init: linearDefault(n) };
    }
  }
  layer.placed = true;
  if (!lin.added) {
    lin.added = true;
    // addLayer counts the kernel's init site; setInit already counted it for this layer.
    const kernel = layer.kernel;
    layer.kernel = undefined;
    fx.session.addLayer(layer);
    layer.kernel = kernel;
    layer.kind = 'object';
  }
  return native(new TorchTensorV(layer, false));
}

/** Notes that the model being traced uses a layer Gradient Lens does not train (it is then refused, see refused()). */
function refuse(fx: Fx, what: string, span: Span): void {
  const st = state(fx);
  if (st.depth > 0 && !st.refused.has(st.trace)) st.refused.set(st.trace, { what, span });
}

/** After a trace: a model that uses a convolution, an RNN... refuses the file (ModelBuilder.refuse), at that layer. */
function refused(fx: Fx, model: ModelRec): boolean {
  const st = state(fx);
  const r = st.refused.get(st.trace);
  if (!r) return false;
  model.layers.length = 0;
  fx.session.refuse(r.span, r.what);
  return true;
}

function refusalOf(n: string): string {
  if (/^(conv|maxpool|avgpool|adaptive)/.test(n)) return CONV_MESSAGE;
  if (/^(lstm|gru|rnn)/.test(n)) return RNN_MESSAGE;
  return `a model with ${n === 'embedding' ? 'an embedding' : n === 'bilinear' ? 'a bilinear layer' : 'attention'}: Gradient Lens trains fully-connected networks`;
}

function traceSequential(fx: Fx, seq: SequentialV): void {
  seq.output = UNKNOWN;
  let refusedNow = false;
  const out = traced(fx, () => {
    const o = seq.items.reduce<Val>((acc, item) => applyModule(fx, item.v, acc, item.v.t === 'native' ? spanOfModule(item.v) ?? seq.span : seq.span), freshInput());
    refusedNow = state(fx).depth === 1 && refused(fx, seq.model);
    return o;
  });
  const t = nativeOf(out, TensorV);
  seq.model.layers.length = 0;
  if (refusedNow) return;
  if (t && t.source !== 'input') {
    seq.model.layers.push(...fx.session.chain(t.source));
    seq.output = out;
  }
}

function spanOfModule(v: Val): Span | undefined {
  return nativeOf(v, LinearV)?.span ?? nativeOf(v, ActModuleV)?.span ?? nativeOf(v, PassModuleV)?.span ?? nativeOf(v, SequentialV)?.span;
}

/** `inst(x)` for a user nn.Module: its forward() on x (the input: the traced output). */
function callModule(fx: Fx, inst: InstanceVal, x: Val, span: Span): Val {
  const st = moduleState(inst)!;
  const t = asTensor(fx, x);
  if ((!t || t.source === 'input') && st.output) return st.output;
  const f = fx.attr(inst, 'forward', span);
  if (f.t !== 'func') return UNKNOWN;
  return wrap(traced(fx, () => fx.callValue(f, [t ? native(t) : x], span))) ?? UNKNOWN;
}

/** Reads a user module's layers: forward() from a fresh input, once the instance exists. */
function traceModule(fx: Fx, inst: InstanceVal): void {
  const st = moduleState(inst)!;
  const f = fx.attr(inst, 'forward', st.header);
  if (f.t !== 'func') return; // a container without forward(): nothing to read (its submodules may be models)
  const model = st.model ?? newModel(fx, st.header, ID);
  st.model = model;
  model.compiled = true;
  let refusedNow = false;
  let out = traced(fx, () => {
    const o = fx.callValue(f, [freshInput()], st.header);
    refusedNow = state(fx).depth === 1 && refused(fx, model);
    return o;
  });
  if (out.t === 'list' && out.items.length > 0) out = out.items[0]; // forward returning (logits, extra)
  const t = nativeOf(out, TensorV);
  model.layers.length = 0;
  if (refusedNow) return;
  if (!t || t.source === 'input') {
    fx.note(st.header, "could not follow this module's forward() from its input to its output");
    return;
  }
  model.layers.push(...fx.session.chain(t.source));
  st.output = wrap(out);
  for (const m of allModules(inst)) {
    const lin = nativeOf(m, LinearV);
    if (lin && !model.layers.includes(lin.layer) && lin.layer.input === undefined) fx.note(lin.span, 'forward() does not use this layer: ignored');
  }
}

const nnModule: BaseClass<ModelBuilder> = {
  create(inst, _call, fx) {
    inst.data.set(MODULE_KEY, { children: new Map(), header: classHeader(inst, fx.text) } satisfies ModuleState);
  },
  setAttr(inst, name, v, fx) {
    const st = moduleState(inst);
    if (!st) return;
    if (isModule(v) || (v.t === 'dict' && [...v.entries.values()].some((e) => isModule(e.value)))) {
      st.children.set(name, v);
      return;
    }
    if (v.t === 'list' && v.items.some(isModule)) {
      if (MODULE_LISTS.has(v)) st.children.set(name, v);
      else {
        const first = v.items.map((x) => (x.t === 'native' ? spanOfModule(x) : undefined)).find((s) => s !== undefined);
        fx.note(first ?? st.header, `self.${name} is a plain Python list, which nn.Module does not register: model.parameters() leaves these layers out, so the optimizer never trains them (use nn.ModuleList); Gradient Lens trains them`);
        st.children.set(name, v);
      }
    }
  },
  initialized(inst, _call, fx) {
    traceModule(fx, inst);
  },
  attr(inst, name, fx) {
    return moduleAttr(inst, name, fx);
  },
  hasAttr(_inst, name) {
    return MODULE_MEMBERS.has(name);
  },
  method(inst, name, call, fx) {
    if (name === 'add_module' || name === 'register_module') {
      const key = call.arg(0, 'name')?.v;
      const m = call.arg(1, 'module')?.v;
      if (key?.t === 'str' && m) {
        inst.attrs.set(key.v, m);
        moduleState(inst)?.children.set(key.v, m);
      }
      return NONE;
    }
    if (name === '__init__') return NONE;
    return moduleMethod(inst, name, call, fx);
  },
  call(inst, call, fx) {
    return callModule(fx, inst, call.args[0] ?? UNKNOWN, call.expr);
  },
};

/** `class Net(nn.Module):` — the first line of the class statement (the model's CodeLens goes there). */
function classHeader(inst: InstanceVal, text: string): Span {
  const s = inst.cls.span;
  const nl = text.indexOf('\n', s.from);
  return { from: s.from, to: nl < 0 || nl > s.to ? s.to : nl };
}

// ---- layer and module constructors ---------------------------------------------------------------

const linear: Handler = (call, fx) => {
  fx.session.looksLikeModel = true;
  const e = call.expr;
  const inA = call.arg(0, 'infeatures');
  const outA = call.arg(1, 'outfeatures');
  const inF = int(inA?.v);
  const outF = int(outA?.v);
  if (inF === undefined) fx.note(inA?.span ?? e, `could not read the number of inputs of ${fx.src(e)}`);
  if (outF === undefined) fx.note(outA?.span ?? e, `could not read the number of units of ${fx.src(e)}`);
  const biasA = call.arg(2, 'bias')?.v;
  const useBias = !(biasA?.t === 'bool' && !biasA.v);
  const layer: LayerRec = {
    id: -1, framework: ID, units: outF, kernelShape: [inF, outF], useBias, weightsSpan: e, definition: e, kind: 'object',
    via: [...fx.callStack], weightsVia: [...fx.callStack],
  };
  if (inF !== undefined && inF > 0) {
    layer.kernel = { init: linearDefault(inF) };
    if (useBias) layer.bias = { init: linearDefault(inF) };
  }
  const lin = new LinearV(layer, inF, e);
  lin.undecidedAt = [...fx.undecided];
  return native(lin);
};

const ACTIVATION_MODULES: Readonly<Record<string, string>> = {
  relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', elu: 'elu', selu: 'selu', leakyrelu: 'leakyRelu', softmax: 'softmax', logsoftmax: 'softmax',
};

/** Activations PyTorch has and the model spec does not. */
const OTHER_ACTIVATIONS = new Set([
  'gelu', 'silu', 'mish', 'softplus', 'relu6', 'prelu', 'rrelu', 'hardtanh', 'hardswish', 'hardsigmoid', 'celu', 'softsign', 'tanhshrink',
  'logsigmoid', 'threshold', 'glu', 'softmin', 'softshrink', 'hardshrink', 'swish',
]);

const PASS_MODULES = new Set(['flatten', 'identity', 'unflatten']);
const NORM_MODULES = new Set(['batchnorm1d', 'batchnorm2d', 'layernorm', 'groupnorm', 'instancenorm1d']);
const DROPOUT = new Set(['dropout', 'alphadropout', 'dropout1d', 'dropout2d', 'featurealphadropout']);
const REFUSED = new Set([
  'conv1d', 'conv2d', 'conv3d', 'convtranspose1d', 'convtranspose2d', 'maxpool1d', 'maxpool2d', 'avgpool1d', 'avgpool2d', 'adaptiveavgpool2d',
  'adaptivemaxpool2d', 'lstm', 'gru', 'rnn', 'lstmcell', 'grucell', 'rnncell', 'embedding', 'transformer', 'transformerencoder',
  'transformerencoderlayer', 'multiheadattention', 'bilinear',
]);

function nnHandler(name: string): Handler | undefined {
  const n = norm(name);
  if (n === 'linear') return linear;
  if (n === 'lazylinear') return (call, fx) => {
    fx.session.looksLikeModel = true;
    const outA = call.arg(0, 'outfeatures');
    const outF = int(outA?.v);
    if (outF === undefined) fx.note(outA?.span ?? call.expr, `could not read the number of units of ${fx.src(call.expr)}`);
    const biasA = call.arg(1, 'bias')?.v;
    const useBias = !(biasA?.t === 'bool' && !biasA.v);
    const layer: LayerRec = {
      id: -1, framework: ID, units: outF, kernelShape: [undefined, outF], useBias, weightsSpan: call.expr, definition: call.expr, kind: 'object',
      via: [...fx.callStack], weightsVia: [...fx.callStack],
    };
    const lin = new LinearV(layer, undefined, call.expr);
    lin.lazy = true;
    lin.undecidedAt = [...fx.undecided];
    return native(lin);
  };
  if (n === 'sequential') return (call, fx) => {
    fx.session.looksLikeModel = true;
    const items: { name: string; v: Val }[] = [];
    const a0 = call.args[0];
    if (call.args.length === 1 && a0?.t === 'dict') {
      for (const en of a0.entries.values()) items.push({ name: en.key.t === 'str' ? en.key.v : String(items.length), v: en.value });
    } else call.args.forEach((v, i) => items.push({ name: String(i), v }));
    call.args.forEach((v, i) => {
      if (v.t === 'unknown' || (v.t !== 'dict' && !isModule(v))) fx.note(call.argExprs[i] ?? call.expr, `could not follow this module (${fx.src(call.argExprs[i] ?? call.expr)})`);
    });
    const model = newModel(fx, call.expr, ID);
    model.compiled = true;
    const seq = new SequentialV(items, model, call.expr);
    traceSequential(fx, seq);
    return native(seq);
  };
  if (n === 'modulelist') return (call) => {
    const a = call.args[0];
    const list: Val = a?.t === 'list' ? { t: 'list', items: [...a.items] } : { t: 'list', items: [] };
    MODULE_LISTS.add(list);
    return list;
  };
  if (n === 'moduledict') return (call) => {
    const a = call.args[0];
    const dict: Val = a?.t === 'dict' ? { t: 'dict', entries: new Map(a.entries) } : { t: 'dict', entries: new Map() };
    MODULE_DICTS.add(dict);
    return dict;
  };
  if (ACTIVATION_MODULES[n]) return (call, fx) => {
    fx.session.looksLikeModel = true;
    if (n === 'leakyrelu') {
      const a = call.arg(0, 'negativeslope');
      slopeNote(fx, a ? num(a.v) : 0.01, a?.span ?? call.expr);
    }
    if (n === 'elu') {
      const a = num(call.arg(0, 'alpha')?.v);
      if (a !== undefined && a !== 1) fx.note(call.expr, `the model spec's elu has alpha 1; this one has ${a}: trained with 1`);
    }
    return native(new ActModuleV(ACTIVATION_MODULES[n], call.expr, n === 'logsoftmax', name));
  };
  if (OTHER_ACTIVATIONS.has(n)) return (call, fx) => {
    fx.session.looksLikeModel = true;
    fx.note(call.expr, `${name} is not an activation the model spec has (relu, sigmoid, tanh, elu, selu, leakyRelu): the layer before it is trained without an activation`);
    return native(new PassModuleV(name, call.expr));
  };
  if (PASS_MODULES.has(n) || DROPOUT.has(n) || NORM_MODULES.has(n) || REFUSED.has(n)) return (call, fx) => {
    fx.session.looksLikeModel = true;
    if (DROPOUT.has(n)) fx.note(call.expr, 'dropout is not part of the model spec: trained without it');
    else if (NORM_MODULES.has(n)) fx.note(call.expr, `${name} (normalisation) is not part of the model spec: trained without it`);
    return native(new PassModuleV(name, call.expr, REFUSED.has(n) ? refusalOf(n) : undefined));
  };
  if (/loss$/.test(n)) return (call, fx) => native(new LossFnV(lossKind(n), name, call.expr, fx));
  return undefined;
}

// ---- functional API ---------------------------------------------------------------------------------

function functional(name: string): Handler | undefined {
  const n = norm(name).replace(/_$/, '');
  const act = ({ relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', elu: 'elu', selu: 'selu' } as Record<string, string>)[n.replace(/_$/, '')];
  if (act) return (call, fx) => (asTensor(fx, call.args[0]) ? activation(fx, call.args[0], act, call.expr) : undefined);
  if (n === 'leakyrelu') return (call, fx) => (asTensor(fx, call.args[0]) ? leaky(fx, call.args[0], call, 1, call.expr) : undefined);
  if (n === 'softmax' || n === 'logsoftmax') return (call, fx) => (asTensor(fx, call.args[0]) ? softmaxOf(fx, call.args[0], n === 'logsoftmax', call.expr) : undefined);
  if (OTHER_ACTIVATIONS.has(n)) return (call, fx) => {
    if (!asTensor(fx, call.args[0])) return undefined;
    fx.note(call.expr, `${name} is not an activation the model spec has (relu, sigmoid, tanh, elu, selu, leakyRelu): the layer before it is trained without an activation`);
    return call.args[0];
  };
  if (DROPOUT.has(n)) return (call, fx) => {
    if (!asTensor(fx, call.args[0])) return UNKNOWN;
    fx.note(call.expr, 'dropout is not part of the model spec: trained without it');
    return call.args[0];
  };
  if (/^(conv(transpose)?[123]d|(max|avg|adaptiveavg|adaptivemax)pool[123]d)$/.test(n)) return (call, fx) => {
    fx.session.looksLikeModel = true;
    refuse(fx, CONV_MESSAGE, call.expr);
    return call.args[0] ?? UNKNOWN;
  };
  if (n === 'crossentropy' || n === 'nllloss' || n === 'mseloss' || n === 'binarycrossentropy' || n === 'binarycrossentropywithlogits') {
    return (call, fx) => lossCall(fx, lossKind(n), name, call.args[0], call.expr);
  }
  return undefined;
}

/** torch.* names (not nn / optim / utils). */
function torchTop(name: string): Handler | undefined {
  const n = norm(name);
  const f = tensorFactory(n);
  if (f) return f;
  if (['flatten', 'reshape', 'squeeze', 'unsqueeze'].includes(n)) return (call, fx) => (asTensor(fx, call.args[0]) ? call.args[0] : undefined);
  if (n === 'matmul' || n === 'mm') return (call, fx) => wrap(matmulValues(fx, call.args[0] ?? UNKNOWN, asVariable(call.args[1] ?? UNKNOWN), call.expr));
  if (n === 'add') return (call, fx) => {
    const t = asTensor(fx, call.args[0]);
    return t ? wrap(t.binary('+', asVariable(call.args[1] ?? UNKNOWN), true, fx, call.expr)) : undefined;
  };
  if (n === 'max' || n === 'maximum' || n === 'clamp') return (call, fx) => {
    // torch.max(X, torch.zeros_like(X)) / torch.clamp(X, min=0): a hand-written relu.
    const t = asTensor(fx, call.args[0]);
    const other = nativeOf(call.args[1], InitTensorV);
    const min = num(call.kw.get('min')?.v ?? (n === 'clamp' ? call.args[1] : undefined));
    if (t && ((other && other.rec.init === 'zeros') || min === 0)) return activation(fx, call.args[0], 'relu', call.expr);
    return undefined;
  };
  if (n === 'log') return (call, fx) => {
    const t = asTensor(fx, call.args[0]);
    if (!t || t.source === 'input') return undefined;
    if (state(fx).softmax.get(t.source) === 'softmax') {
      const out = native(new TorchTensorV(t.source, true));
      state(fx).logOfSoftmax.add(out.t === 'native' ? out.obj : out);
      // torch.log(F.softmax(z, dim=1)) written in one expression becomes F.log_softmax(z, dim=1).
      const inner = call.argExprs[0];
      let edit: { span: Span; newText: string } | undefined;
      if (inner?.k === 'call' && /(^|\.)softmax$/.test(fx.text.slice(inner.callee.from, inner.callee.to))) {
        const callee = fx.text.slice(inner.callee.from, inner.callee.to).replace(/softmax$/, 'log_softmax');
        edit = { span: call.expr, newText: callee + fx.text.slice(inner.callee.to, inner.to) };
      }
      fx.session.unstableLoss ??= {
        span: call.expr, construct: fx.src(call.expr), layer: t.source, edit,
        suggestion: 'F.log_softmax(x, dim=1) with NLLLoss, or CrossEntropyLoss on the logits (the output before the softmax)',
      };
      return out;
    }
    return undefined;
  };
  if (n === 'manualseed' || n === 'nograd' || n === 'enablegrad' || n === 'setgradenabled' || n === 'device') return () => UNKNOWN;
  return functional(name);
}

// ---- losses ---------------------------------------------------------------------------------------

type LossKind = 'ce' | 'nll' | 'other';

const lossKind = (n: string): LossKind => (n === 'crossentropyloss' || n === 'crossentropy' ? 'ce' : n === 'nllloss' ? 'nll' : 'other');

class LossFnV implements Native {
  readonly kind = 'loss';
  constructor(readonly loss: LossKind, readonly name: string, readonly span: Span, fx: Fx) {
    fx.session.looksLikeModel = true;
  }
  call(call: Call, fx: Fx): Val {
    return lossCall(fx, this.loss, this.name, call.args[0], call.expr);
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    return name === 'forward' ? this.call(call, fx) : undefined;
  }
}

/** A loss computed on the model's output: the output layer is read as logits (or noted). */
function lossCall(fx: Fx, kind: LossKind, name: string, output: Val | undefined, span: Span): Val {
  const t = asTensor(fx, output);
  if (!t || t.source === 'input') return UNKNOWN;
  const layer = t.source;
  const sm = state(fx).softmax.get(layer);
  const logOfSoftmax = output?.t === 'native' && state(fx).logOfSoftmax.has(output.obj);
  if (kind === 'other') {
    fx.note(span, `Gradient Lens always trains with softmax cross-entropy; this loss (${name}) is not read`);
  } else if (kind === 'ce' && sm === 'softmax') {
    fx.note(span, 'CrossEntropyLoss applies log-softmax itself: after this softmax the model is trained on softmax(softmax(x)), which learns slowly; Gradient Lens trains with one softmax (return the logits from forward())');
  } else if (kind === 'nll' && !sm && !logOfSoftmax) {
    fx.note(span, 'NLLLoss expects log-probabilities (log_softmax) and the model outputs raw values here, so this is not cross-entropy; Gradient Lens trains with softmax cross-entropy');
  } else if (kind === 'nll' && sm === 'softmax' && !logOfSoftmax) {
    fx.note(span, 'NLLLoss expects log-probabilities: on softmax outputs it minimises -p, not cross-entropy (use log_softmax); Gradient Lens trains with softmax cross-entropy');
  }
  layer.logits = true;
  for (const m of fx.session.models) if (m.framework === ID && m.layers[m.layers.length - 1] === layer) m.fromLogits = true;
  return UNKNOWN;
}

// ---- optimizers -----------------------------------------------------------------------------------

class TorchOptimizerV implements Native {
  readonly kind = 'optimizer';
  constructor(readonly opt: { spec: OptimizerSpec; span: Span; lrSpan?: Span }, public model: ModelRec | undefined) {}
  method(name: string, call: Call, fx: Fx): Val | undefined {
    if (name === 'step') {
      step(fx, this, call.expr);
      return NONE;
    }
    if (name === 'zero_grad') return NONE;
    return undefined;
  }
}

/** `optimizer.step()`: one training step per run of the enclosing loops, with the batch of the DataLoader being iterated. */
function step(fx: Fx, opt: TorchOptimizerV | undefined, span: Span): void {
  const st = state(fx);
  const model = opt?.model ?? lastModel(fx);
  if (model) {
    model.fitted = true;
    if (opt && !model.optimizer) model.optimizer = opt.opt;
  }
  const loader = activeLoader(fx) ?? st.loaders.filter((l) => l.dataset?.train).pop() ?? st.loaders[st.loaders.length - 1];
  if (loader) setBatch(fx, model, loader);
  fx.session.recordSteps(fx, 1, span, 'step', model ?? 'graph');
}

function setBatch(fx: Fx, model: ModelRec | undefined, loader: DataLoaderV): void {
  const b = { value: loader.batch, span: loader.batchSpan };
  if (model) model.batch = b;
  else fx.session.batch = b;
}

function lastModel(fx: Fx): ModelRec | undefined {
  return [...fx.session.models].reverse().find((m) => m.framework === ID && m.layers.length > 0);
}

/** The model whose parameters an optimizer receives. */
function modelOfParams(fx: Fx, v: Val | undefined): ModelRec | undefined {
  const layers = new Set<LayerRec>();
  const visit = (x: Val, depth: number): void => {
    if (depth > 4) return;
    const p = nativeOf(x, ParamV);
    if (p) layers.add(p.linear.layer);
    else if (x.t === 'list') x.items.forEach((i) => visit(i, depth + 1));
    else if (x.t === 'dict') for (const en of x.entries.values()) visit(en.value, depth + 1);
  };
  if (v) visit(v, 0);
  if (layers.size === 0) return undefined;
  return [...fx.session.models].reverse().find((m) => m.framework === ID && m.layers.some((l) => layers.has(l)));
}

const OTHER_OPTIMIZERS = new Set(['adagrad', 'adadelta', 'adamax', 'nadam', 'radam', 'asgd', 'lbfgs', 'rprop', 'sparseadam']);

function optimizer(name: string): Handler | undefined {
  const n = norm(name);
  const known = n === 'sgd' || n === 'adam' || n === 'adamw' || n === 'rmsprop';
  if (!known && !OTHER_OPTIMIZERS.has(n)) return undefined;
  return (call, fx) => {
    fx.session.looksLikeModel = true;
    const e = call.expr;
    const params = call.arg(0, 'params');
    const model = modelOfParams(fx, params?.v) ?? lastModel(fx);
    if (!known) {
      fx.note(e, `the optimizer ${name} is not supported (SGD, Adam, RMSprop are)`);
      return native(new TorchOptimizerV({ spec: { type: 'sgd', learningRate: 0.5 }, span: e }, undefined));
    }
    const dflt = n === 'rmsprop' ? 0.01 : 0.001;
    const lrA = call.arg(1, 'lr');
    let lr = lrA ? num(lrA.v) : dflt;
    if (lr === undefined || !(lr > 0)) {
      fx.note(lrA?.span ?? e, `could not read the learning rate of ${fx.src(e)}: using PyTorch's default ${dflt}`);
      lr = dflt;
    }
    const get = (key: string, pos: number): { v: number | undefined; span: Span } | undefined => {
      const a = call.arg(pos, key);
      return a ? { v: num(a.v), span: a.span } : undefined;
    };
    const nonzero = (key: string, pos: number, what: string) => {
      const a = get(key, pos);
      if (a && a.v !== 0) fx.note(a.span, `${what} is not part of the model spec: trained without it`);
    };
    let spec: OptimizerSpec;
    if (n === 'sgd') {
      const m = get('momentum', 2);
      const momentum = m?.v ?? 0;
      nonzero('dampening', 3, 'momentum dampening');
      nonzero('weightdecay', 4, 'weight decay');
      const nest = call.arg(5, 'nesterov')?.v;
      if (m && m.v === undefined) fx.note(m.span, `could not read the momentum of ${fx.src(e)}: trained without momentum`);
      spec = momentum > 0 ? { type: 'momentum', learningRate: lr, momentum, useNesterov: nest?.t === 'bool' && nest.v } : { type: 'sgd', learningRate: lr };
    } else if (n === 'adam' || n === 'adamw') {
      const betas = call.arg(2, 'betas')?.v;
      const b1 = betas?.t === 'list' ? num(betas.items[0]) : 0.9;
      const b2 = betas?.t === 'list' ? num(betas.items[1]) : 0.999;
      const eps = get('eps', 3)?.v ?? 1e-8;
      if (n === 'adamw') {
        const wd = get('weightdecay', 4);
        fx.note(wd?.span ?? e, `AdamW's decoupled weight decay (${wd?.v ?? 0.01}) is not part of the model spec: trained as Adam without it`);
      } else nonzero('weightdecay', 4, 'weight decay');
      const ams = call.arg(5, 'amsgrad')?.v;
      if (ams?.t === 'bool' && ams.v) fx.note(e, 'AMSGrad is not part of the model spec: trained with plain Adam');
      spec = { type: 'adam', learningRate: lr, beta1: b1 ?? 0.9, beta2: b2 ?? 0.999, epsilon: eps };
    } else {
      const alpha = get('alpha', 2)?.v ?? 0.99;
      const eps = get('eps', 3)?.v ?? 1e-8;
      nonzero('weightdecay', 4, 'weight decay');
      const momentum = get('momentum', 5)?.v ?? 0;
      const centered = call.arg(6, 'centered')?.v;
      if (centered?.t === 'bool' && centered.v) fx.note(e, 'centered RMSprop is not part of the model spec: trained with plain RMSprop');
      spec = { type: 'rmsprop', learningRate: lr, decay: alpha, momentum, epsilon: eps };
    }
    const opt = { spec, span: e, lrSpan: literalSpan(fx, lrA) };
    fx.session.addOptimizer(opt);
    const v = new TorchOptimizerV(opt, model);
    state(fx).optimizers.push(v);
    if (model) {
      model.optimizer = opt;
      model.compiled = true;
    }
    return native(v);
  };
}

const scheduler: Handler = (call, fx) => {
  fx.note(call.expr, 'learning-rate schedules are not part of the model spec: trained with the constant learning rate of the optimizer');
  return native(new SchedulerV());
};

class SchedulerV implements Native {
  readonly kind = 'lr scheduler';
  method(): Val {
    return NONE;
  }
}

// ---- data -----------------------------------------------------------------------------------------

class DatasetV implements Native {
  readonly kind = 'dataset';
  /** `images`: 28×28 grey images (MNIST and its kin), so an item is [1, 28, 28] and there are 10 classes. */
  constructor(readonly examples: number | undefined, readonly train: boolean, readonly images = false) {}
  len(): number | undefined {
    return this.examples;
  }
  index(): Val {
    const x = new TorchTensorV('input', true).withDims(this.images ? [1, 28, 28] : undefined);
    return { t: 'list', items: [native(x), UNKNOWN], tuple: true };
  }
  element(): Val {
    return this.index();
  }
  attr(name: string): Val | undefined {
    if (name === 'classes' && this.images) return { t: 'list', items: Array.from({ length: 10 }, (_, i) => ({ t: 'str', v: String(i) })) };
    return undefined;
  }
}

class DataLoaderV implements Native {
  readonly kind = 'DataLoader';
  /** The loops enclosing the last `for ... in loader` (the loader's own loop is pushed right after). */
  activeAt?: readonly unknown[];
  constructor(readonly dataset: DatasetV | undefined, readonly batch: number, readonly batchSpan: Span, readonly dropLast: boolean) {}
  len(): number | undefined {
    const n = this.dataset?.examples;
    if (n === undefined) return undefined;
    return this.dropLast ? Math.floor(n / this.batch) : Math.ceil(n / this.batch);
  }
  element(host: Fx): Val {
    this.activeAt = [...host.loops];
    const x = new TorchTensorV('input', true).withDims(this.dataset?.images ? [this.batch, 1, 28, 28] : undefined);
    return { t: 'list', items: [native(x), UNKNOWN], tuple: true };
  }
  attr(name: string): Val | undefined {
    if (name === 'dataset') return this.dataset ? native(this.dataset) : UNKNOWN;
    if (name === 'batch_size') return { t: 'num', v: this.batch };
    return undefined;
  }
}

/** The DataLoader whose loop encloses the current statement (the innermost one). */
function activeLoader(fx: Fx): DataLoaderV | undefined {
  let best: DataLoaderV | undefined;
  for (const l of state(fx).loaders) {
    const at = l.activeAt;
    if (!at || at.length >= fx.loops.length || !at.every((f, i) => f === fx.loops[i])) continue;
    if (!best || (best.activeAt?.length ?? 0) < at.length) best = l;
  }
  return best;
}

const dataLoader: Handler = (call, fx) => {
  fx.session.looksLikeModel = true;
  const ds = call.arg(0, 'dataset');
  const dataset = nativeOf(ds?.v, DatasetV);
  const bs = call.arg(1, 'batchsize');
  let batch = 1;
  let batchSpan: Span = call.expr;
  if (!bs) fx.note(call.expr, "this DataLoader has no batch_size: PyTorch's default batch size 1 is used");
  else {
    const b = int(bs.v);
    if (b !== undefined && b > 0) {
      batch = b;
      batchSpan = literalSpan(fx, bs) ?? bs.span;
    } else {
      fx.note(bs.span, `could not read the batch size (${fx.src(bs.span)}): using 100 (the default of the model spec)`);
      batch = 100;
    }
  }
  const dl = call.kw.get('droplast')?.v;
  const loader = new DataLoaderV(dataset, batch, batchSpan, dl?.t === 'bool' && dl.v);
  if (ds && !dataset) fx.note(ds.span, `could not tell how many examples this dataset has (${fx.src(ds.span)})`);
  state(fx).loaders.push(loader);
  return native(loader);
};

/** Once per file (a training and a test set of Fashion-MNIST are one fact); `message` undefined: the Fashion-MNIST note. */
function datasetNote(fx: Fx, message: string | undefined, span: Span): void {
  const st = state(fx);
  if (st.datasetNoted) return;
  st.datasetNoted = true;
  if (message === undefined) noteFashion(fx, span);
  else fx.note(span, message);
}

/** torchvision.datasets.MNIST / FashionMNIST / ... (root, train=True, ...). */
function dataset(name: string): Handler | undefined {
  const n = norm(name);
  if (!['mnist', 'fashionmnist', 'kmnist', 'emnist', 'qmnist', 'cifar10', 'cifar100', 'svhn'].includes(n)) return undefined;
  return (call, fx) => {
    fx.session.looksLikeModel = true;
    const tr = call.arg(1, 'train')?.v;
    const train = tr === undefined || tr.t !== 'bool' || tr.v;
    if (n !== 'mnist') datasetNote(fx, n === 'fashionmnist' ? undefined : `this loads ${name}: Gradient Lens trains on MNIST (60,000 training images of 28×28 digits)`, call.expr);
    const mnistLike = n === 'mnist' || n === 'fashionmnist' || n === 'kmnist' || n === 'qmnist';
    return native(new DatasetV(mnistLike ? (train ? MNIST_TRAIN : MNIST_TEST) : undefined, train, mnistLike));
  };
}

const randomSplit: Handler = (call) => {
  const ds = nativeOf(call.args[0], DatasetV);
  const sizes = call.arg(1, 'lengths')?.v;
  if (!ds || sizes?.t !== 'list') return UNKNOWN;
  return { t: 'list', items: sizes.items.map((s, i) => native(new DatasetV(int(s), ds.train && i === 0, ds.images))) };
};

const normalize: Handler = (call, fx) => {
  fx.note(call.expr, 'Gradient Lens feeds pixels scaled to [0, 1]; this normalisation is not applied');
  return UNKNOWN;
};

// ---- d2l (Dive into Deep Learning's helpers for PyTorch) ---------------------------------------------

/** d2l.load_data_fashion_mnist(batch_size): its (train_iter, test_iter) loaders over Fashion-MNIST. */
const d2lLoadData: Handler = (call, fx) => {
  fx.session.looksLikeModel = true;
  datasetNote(fx, undefined, call.expr);
  const bs = call.arg(0, 'batchsize');
  const b = int(bs?.v);
  if (b === undefined || b <= 0) fx.note(bs?.span ?? call.expr, `could not read the batch size of ${fx.src(call.expr)}: using 100 (the default of the model spec)`);
  const span = literalSpan(fx, bs) ?? bs?.span ?? call.expr;
  const make = (n: number, train: boolean) => {
    const l = new DataLoaderV(new DatasetV(n, train, true), b ?? 100, span, false);
    state(fx).loaders.push(l);
    return native(l);
  };
  return { t: 'list', items: [make(MNIST_TRAIN, true), make(MNIST_TEST, false)], tuple: true };
};

/**
 * d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, updater) (and d2lzh's
 * train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, params, lr, optimizer)): one
 * optimizer step per batch of train_iter for num_epochs epochs.
 */
const d2lTrain: Handler = (call, fx) => {
  const net = call.arg(0, 'net')?.v ?? UNKNOWN;
  const loader = nativeOf(call.arg(1, 'trainiter')?.v, DataLoaderV);
  const loss = nativeOf(call.arg(3, 'loss')?.v, LossFnV);
  const epochsA = call.arg(4, 'numepochs');
  const epochs = int(epochsA?.v);
  const out = net.t === 'func' ? fx.callValue(net, [freshInput()], call.expr) : applyModule(fx, net, freshInput(), call.expr);
  if (loss) lossCall(fx, loss.loss, loss.name, out, call.expr);
  const opt = [...call.args, ...[...call.kw.values()].map((a) => a.v)].map((v) => nativeOf(v, TorchOptimizerV)).find((o) => o !== undefined);
  const model = opt?.model ?? lastModel(fx);
  if (model) {
    model.fitted = true;
    if (opt) model.optimizer = opt.opt;
  }
  if (loader) setBatch(fx, model, loader);
  const perEpoch = loader?.len();
  if (epochs === undefined || epochs < 1 || perEpoch === undefined) {
    fx.note(epochsA?.span ?? call.expr, `could not tell how many steps ${fx.src(call.expr)} trains: using 1000 steps (the default of the model spec)`);
    return NONE;
  }
  fx.session.recordSteps(fx, epochs * perEpoch, epochsA?.span ?? call.expr, 'step', model ?? 'graph');
  return NONE;
};

function d2l(name: string): Handler | undefined {
  switch (name) {
    case 'load_data_fashion_mnist': return d2lLoadData;
    case 'train_ch3': return d2lTrain;
    case 'FlattenLayer': return (call, fx) => {
      fx.session.looksLikeModel = true;
      return native(new PassModuleV('Flatten', call.expr));
    };
    default: return undefined;
  }
}

// ---- PyTorch Lightning ------------------------------------------------------------------------------

/** A LightningModule is an nn.Module; `self.log(...)`, `save_hyperparameters()` and the like do nothing here. */
const lightningModule: BaseClass<ModelBuilder> = {
  ...nnModule,
  method(inst, name, call, fx) {
    if (['log', 'log_dict', 'save_hyperparameters', 'print'].includes(name)) return NONE;
    return nnModule.method?.(inst, name, call, fx);
  },
};

/**
 * `Trainer(max_epochs=E, max_steps=S, limit_train_batches=N)`.fit(model, loader | datamodule): the model's
 * configure_optimizers() gives the optimizer, its training_step(batch, i) the loss, train_dataloader() the
 * data when fit is not given a loader; steps = E × batches per epoch (or max_steps).
 */
class LightningTrainerV implements Native {
  readonly kind = 'Lightning Trainer';
  constructor(readonly made: Call) {}
  method(name: string, call: Call, fx: Fx): Val | undefined {
    if (name !== 'fit') return name === 'test' || name === 'validate' || name === 'predict' ? UNKNOWN : undefined;
    lightningFit(fx, this.made, call);
    return NONE;
  }
}

function lightningFit(fx: Fx, trainerCall: Call, call: Call): void {
  const model = call.arg(0, 'model')?.v;
  if (model?.t !== 'instance' || !moduleState(model)) {
    fx.note(call.expr, `could not follow the model this trainer fits (${fx.src(call.expr)})`);
    return;
  }
  const rec = moduleState(model)!.model;
  const method = (n: string, args: Val[]): Val => {
    const f = fx.attr(model, n, call.expr);
    return f.t === 'func' ? fx.callValue(f, args, call.expr) : UNKNOWN;
  };
  let opts = method('configure_optimizers', []);
  // configure_optimizers may return an optimizer, a list / tuple of them (and schedulers), or a dict.
  if (opts.t === 'list') opts = (opts.items[0]?.t === 'list' ? opts.items[0].items[0] : opts.items[0]) ?? UNKNOWN;
  if (opts.t === 'dict') opts = opts.entries.get('s:optimizer')?.value ?? UNKNOWN;
  const opt = nativeOf(opts, TorchOptimizerV);
  if (rec) {
    rec.fitted = true;
    if (opt) {
      rec.optimizer = opt.opt;
      opt.model = rec;
    }
  }
  let loaderV = call.arg(1, 'traindataloaders', 'traindataloader')?.v;
  const dm = call.kw.get('datamodule')?.v;
  if (!loaderV && dm?.t === 'instance') {
    const f = fx.attr(dm, 'train_dataloader', call.expr);
    if (f.t === 'func') {
      const setup = fx.attr(dm, 'setup', call.expr);
      if (setup.t === 'func') fx.callValue(setup, [{ t: 'str', v: 'fit' }], call.expr);
      loaderV = fx.callValue(f, [], call.expr);
    }
  }
  if (!loaderV) loaderV = method('train_dataloader', []);
  const loader = nativeOf(loaderV, DataLoaderV);
  // training_step(batch, batch_idx) shows the loss on the model's output.
  const batch: Val = { t: 'list', items: [native(new TorchTensorV('input', true).withDims(loader?.dataset?.images ? [loader.batch, 1, 28, 28] : undefined)), UNKNOWN], tuple: true };
  method('training_step', [batch, { t: 'num', v: 0 }]);
  if (loader) setBatch(fx, rec, loader);
  const kw = trainerCall.kw;
  const maxSteps = int(kw.get('maxsteps')?.v);
  const limit = int(kw.get('limittrainbatches')?.v);
  const epochsA = kw.get('maxepochs');
  let epochs = int(epochsA?.v);
  if (epochs === undefined) {
    if (maxSteps === undefined || maxSteps < 0) fx.note(trainerCall.expr, "this Trainer has no max_epochs: Lightning's default is 1000 epochs");
    epochs = 1000;
  }
  let perEpoch = loader?.len();
  if (perEpoch !== undefined && limit !== undefined && limit > 0) perEpoch = Math.min(perEpoch, limit);
  const span = epochsA?.span ?? kw.get('maxsteps')?.span ?? trainerCall.expr;
  if (maxSteps !== undefined && maxSteps > 0 && (perEpoch === undefined || maxSteps < epochs * perEpoch)) {
    fx.session.recordSteps(fx, maxSteps, span, 'step', rec ?? 'graph');
    return;
  }
  if (perEpoch === undefined) {
    fx.note(call.expr, `could not tell how many batches an epoch of ${fx.src(call.expr)} has: using 1000 steps (the default of the model spec)`);
    return;
  }
  fx.session.recordSteps(fx, epochs * perEpoch, span, 'step', rec ?? 'graph');
}

function lightning(name: string): Handler | undefined {
  if (name === 'Trainer') return (call, fx) => {
    fx.session.looksLikeModel = true;
    return native(new LightningTrainerV(call));
  };
  if (name === 'seed_everything') return () => UNKNOWN;
  return undefined;
}

// ---- the module -----------------------------------------------------------------------------------

function resolve(path: string): Handler | undefined {
  const name = last(path);
  const ns = path.slice(0, path.length - name.length - 1);
  switch (ns) {
    case 'torch.nn': return nnHandler(name);
    case 'torch.nn.functional': return functional(name);
    case 'torch.nn.init':
      if (norm(name) === 'calculategain') return calculateGainHandler;
      if (name === '_calculate_fan_in_and_fan_out') return fansHandler;
      return /^(zeros|ones|constant|normal|uniform|trunc_normal|xavier_uniform|xavier_normal|kaiming_uniform|kaiming_normal|orthogonal|eye|sparse|dirac)_?$/.test(name)
        ? initHandler(name) : undefined;
    case 'torch.optim': return optimizer(name);
    case 'torch.optim.lr_scheduler': return scheduler;
    case 'torch.utils.data':
      if (name === 'DataLoader') return dataLoader;
      if (name === 'random_split') return randomSplit;
      if (name === 'TensorDataset') return () => native(new DatasetV(undefined, true));
      return undefined;
    case 'torchvision.datasets': return dataset(name);
    case 'torchvision.transforms': return name === 'Normalize' ? normalize : undefined;
    case 'torch': return torchTop(name);
    case 'd2l': return d2l(name);
    case 'pytorch_lightning': return lightning(name);
    default:
      // `init_weights(model)`, `reset_parameters(layer)` from another file of the project, given PyTorch modules or parameters.
      if (/init|reset/i.test(name) && !/^(torch|torchvision|d2l|pytorch_lightning)(\.|$)/.test(path)) return externalInit;
      return undefined;
  }
}

const externalInit: Handler = (call, fx) => {
  const args = [...call.args, ...[...call.kw.values()].map((a) => a.v)];
  if (!args.some((v) => isModule(v) || nativeOf(v, ParamV))) return undefined;
  fx.note(call.expr, `could not follow ${fx.src(call.expr.callee)}(...): it is not defined in this file, so whatever initialisation it does is not known; ${KEEPS}`);
  return UNKNOWN;
};

const FUNCTIONS: Record<string, Handler> = {
  'torch.nn.Parameter': (call) => {
    const t = nativeOf(call.args[0], InitTensorV);
    if (!t) return call.args[0] ?? UNKNOWN;
    return native(new VarV(t.rec, t.shape, call.expr, ID));
  },
  'torch.nn.Module.__init__': () => NONE,
  'torch.Variable': (call) => call.args[0] ?? UNKNOWN,
  'torch.nn.DataParallel': (call) => call.args[0] ?? UNKNOWN,
};

export const torch: FrameworkModule = {
  id: ID,
  language: 'pytorch',
  dialects: ['python'],
  aliases: {
    'torch.nn.modules.linear': 'torch.nn', 'torch.nn.modules.activation': 'torch.nn', 'torch.nn.modules.container': 'torch.nn',
    'torch.nn.modules.module': 'torch.nn', 'torch.nn.modules.loss': 'torch.nn', 'torch.nn.modules.dropout': 'torch.nn',
    'torch.nn.modules.flatten': 'torch.nn', 'torch.nn.modules': 'torch.nn', 'torch.nn.parameter': 'torch.nn',
    'torch.utils.data.dataloader': 'torch.utils.data', 'torch.utils.data.dataset': 'torch.utils.data', 'torchvision.datasets.mnist': 'torchvision.datasets',
    'torch.optim.sgd': 'torch.optim', 'torch.optim.adam': 'torch.optim', 'torch.optim.rmsprop': 'torch.optim', 'torch.optim.adamw': 'torch.optim',
    'torch.nn.parallel.DataParallel': 'torch.nn.DataParallel', 'torch.autograd.Variable': 'torch.Variable',
    'd2l.torch': 'd2l', 'd2lzh_pytorch': 'd2l',
    'lightning.pytorch': 'pytorch_lightning', 'lightning': 'pytorch_lightning', 'pytorch_lightning.core.lightning': 'pytorch_lightning',
    'pytorch_lightning.core.module': 'pytorch_lightning', 'pytorch_lightning.core': 'pytorch_lightning', 'pytorch_lightning.trainer': 'pytorch_lightning',
  },
  functions: FUNCTIONS,
  resolve,
  baseClasses: { 'torch.nn.Module': nnModule, 'pytorch_lightning.LightningModule': lightningModule },
  isSubclass(path, base) {
    // torch.nn's classes (nn.Linear, nn.ReLU, nn.Sequential...) are modules; a LazyLinear becomes an nn.Linear.
    const nnClass = (p: string) => /^torch\.nn\.[A-Z]\w*$/.test(p);
    if (path === 'pytorch_lightning.LightningModule') return base === 'torch.nn.Module' || base === path ? true : nnClass(base) ? false : undefined;
    if (!nnClass(path) || !nnClass(base)) return undefined;
    if (path === base) return true;
    if (base === 'torch.nn.Module') return path !== 'torch.nn.Parameter';
    return path === 'torch.nn.LazyLinear' && base === 'torch.nn.Linear';
  },
  unknownMethod(name, receiver, call, fx, value) {
    if (IN_PLACE.test(name)) {
      // `m.weight.data.normal_(0, 0.01)` on a module Gradient Lens cannot follow: say so (a gradient's zero_() is no init).
      const tensor = fx.text.slice(receiver.from, receiver.to);
      if (!/\bgrad\b/.test(tensor) && (/\b(weight|bias)\b/.test(tensor) || fx.loops.some((l) => l.opaque) || value)) unknownParam(fx, value, receiver, call.expr);
      return undefined;
    }
    // `optimizer.step()` where the optimizer is a parameter we could not follow.
    if (name !== 'step') return undefined;
    const recv = receiver.k === 'name' ? receiver.id : receiver.k === 'member' ? receiver.prop : '';
    const opts = state(fx).optimizers;
    if (!/optim|opt$|solver|trainer|updater/i.test(recv) || opts.length === 0) return undefined;
    step(fx, opts[opts.length - 1], call.expr);
    return NONE;
  },
  trainingCalls: ['step', 'backward', 'train_ch3'],
};
