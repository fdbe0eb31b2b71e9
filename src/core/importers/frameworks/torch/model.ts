// The model in PyTorch code: module values (nn.Linear, activation modules, pass-through and refused modules,
// nn.Sequential, nn.ModuleList / nn.ModuleDict, user nn.Module subclasses), how they are walked (`modules()`,
// `named_parameters()`, `apply(fn)`...) and how a model is read: a Sequential traced when built, a module's
// forward() traced from a fresh input once the instance exists, each nn.Linear becoming a layer of the chain.
import type { Expr, Span } from '../../ast';
import { type BaseClass, type Call, type ClassVal, type InstanceVal, type Native, type Val, NONE, UNKNOWN, native, nativeOf, norm } from '../../interpret';
import { type Fx, type LayerRec, type ModelBuilder, type ModelRec, TensorV, asTensor } from '../../model';
import { CONV_MESSAGE, RNN_MESSAGE, newModel } from '../common';
import { linearDefault } from './init';
import { ForeignParamV, KEEPS, ParamV, assignParam } from './params';
import { ID, int, lineOf, perFile, traceState, traced } from './state';
import { type ActivationEdit, loopEvent } from './record';
import { TorchTensorV, activation, dropoutOn, feed, freshInput, softmaxOf, wrap } from './tensors';

/** Normalisation modules: parameters of their own, which the spec does not train. */
export const NORM_MODULES = new Set(['batchnorm1d', 'batchnorm2d', 'layernorm', 'groupnorm', 'instancenorm1d']);

/** nn.Linear(in_features, out_features, bias=True). */
export class LinearV implements Native {
  readonly kind = 'nn.Linear';
  /** The trace in which it was last applied (two uses in one forward() are noted). */
  linkedIn = -1;
  added = false;
  /** nn.LazyLinear(out_features): inFeatures is set when it is first applied. */
  lazy = false;
  /** Applied to the input outside any model: the one-layer model it is. */
  bare?: ModelRec;
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
export function resetLinear(fx: Fx, lin: LinearV, span: Span): void {
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
export const MODULE_MEMBERS = new Set([
  'training', 'forward', 'parameters', 'named_parameters', 'buffers', 'named_buffers', 'modules', 'named_modules', 'children', 'named_children',
  'apply', 'to', 'cuda', 'cpu', 'train', 'eval', 'float', 'double', 'half', 'zero_grad', 'state_dict', 'load_state_dict', 'add_module',
  'register_module', 'register_buffer', 'register_parameter', 'requires_grad_', 'extra_repr', '__class__',
]);

/** `m is model.fc3`, `m == model[-1]`, `m is not head`: a module is itself and no other (nn.Module has no __eq__). */
export function sameModule(self: Native, op: string, other: Val): Val | undefined {
  if (!['is', 'is not', '==', '!='].includes(op) || !isModule(other)) return undefined;
  const same = other.t === 'native' && other.obj === self;
  return { t: 'bool', v: op === 'is' || op === '==' ? same : !same };
}

/** An activation module (nn.ReLU(), nn.LogSoftmax(dim=1)...). */
export class ActModuleV implements Native {
  readonly kind = 'activation module';
  /** The constructor's callee as written (`nn.Softmax`), for a rename. */
  callee?: Span;
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
    // `self.softmax(x)`: removing it where it is applied leaves its argument
    const arg = call.argExprs[0];
    const edit = arg && { remove: { span: call.expr, newText: fx.text.slice(arg.from, arg.to) } };
    return applyModule(fx, native(this), call.args[0] ?? UNKNOWN, call.expr, edit);
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    return moduleMethod(native(this), name, call, fx);
  }
  instanceOf(path: string): boolean {
    return path === `torch.nn.${this.cls}` || path === 'torch.nn.Module';
  }
}

/** A module with nothing the spec trains that passes its input on (Flatten, Dropout, Identity, a noted BatchNorm). */
export class PassModuleV implements Native {
  readonly kind = 'pass-through module';
  /** `refusal`: a layer Gradient Lens does not train (Conv2d, LSTM...): a model that uses it is refused. */
  /** nn.Dropout(p) and its kin: the rate (undefined: not readable) and the kind (normalised class name). */
  dropout?: { rate: number | undefined; kind: string };
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
export class SequentialV implements Native {
  readonly kind = 'nn.Sequential';
  readonly classPath = 'torch.nn.Sequential';
  output: Val = UNKNOWN;
  /** The arguments as written, when built from them (`nn.Sequential(nn.Linear(...), nn.Softmax(dim=1))`). */
  exprs?: readonly Expr[];
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
export const MODULE_LISTS = new WeakSet<object>();
export const MODULE_DICTS = new WeakSet<object>();

/** Per-instance state of a user nn.Module subclass. */
interface ModuleState {
  children: Map<string, Val>;
  model?: ModelRec;
  output?: Val;
  header: Span;
}

const MODULE_KEY = Symbol('torch module');

export const moduleState = (inst: InstanceVal): ModuleState | undefined => inst.data.get(MODULE_KEY) as ModuleState | undefined;

export function isModule(v: Val | undefined): boolean {
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
export class ModuleContainerV implements Native {
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
export function directChildren(v: Val): { name: string; v: Val }[] {
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
export function namedModules(v: Val, prefix = '', seen = new Set<unknown>(), depth = 0): { name: string; v: Val }[] {
  if (depth > 20) return [];
  const id = v.t === 'native' ? (v.obj instanceof ModuleContainerV ? v.obj.source : v.obj) : v;
  if (seen.has(id)) return [];
  seen.add(id);
  return [{ name: prefix, v }, ...directChildren(v).flatMap((c) => namedModules(c.v, prefix ? `${prefix}.${c.name}` : c.name, seen, depth + 1))];
}

/** `model.modules()`. */
export const allModules = (v: Val): Val[] => namedModules(v).map((m) => m.v);

export function namedParameters(v: Val, prefix = '', depth = 0): { name: string; p: ParamV }[] {
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
export function moduleAttr(_m: Val, name: string, _fx: Fx): Val | undefined {
  return name === 'training' ? { t: 'bool', v: true } : undefined;
}

/** Methods every module has (`parameters`, `apply`, `to`...). */
export function moduleMethod(m: Val, name: string, call: Call, fx: Fx): Val | undefined {
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
    case 'zero_grad':
      loopEvent(fx, 'zero', call.expr);
      return NONE;
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

/** Applies a module value to a tensor (inside forward(), a Sequential, or the user's code; `edit`: how to remove it where it is applied, for an activation module). */
export function applyModule(fx: Fx, m: Val, x: Val, span: Span, edit?: ActivationEdit): Val {
  let arg = x;
  if (arg.t === 'list' && arg.items.length === 1) arg = arg.items[0];
  const t = asTensor(fx, arg);
  const lin = nativeOf(m, LinearV);
  if (lin) {
    if (!t) {
      fx.note(span, `could not follow the input of this layer (${fx.src(span)})`);
      return UNKNOWN;
    }
    if (t.source === 'input' && traceState(fx).depth === 0) feed(fx, arg, span);
    return link(fx, lin, t, span);
  }
  const act = nativeOf(m, ActModuleV);
  if (act) {
    if (!t) return UNKNOWN;
    const e = edit && { ...edit, callee: act.callee };
    return act.activation === 'softmax' ? softmaxOf(fx, native(t), act.log, act.span, e) : activation(fx, native(t), act.activation, act.span, e);
  }
  const pass = nativeOf(m, PassModuleV);
  if (pass) {
    if (pass.refusal) refuse(fx, pass.refusal, pass.span);
    if (pass.dropout && t) dropoutOn(fx, native(t), pass.dropout.rate, pass.span, pass.dropout.kind);
    return t ? native(t) : UNKNOWN;
  }
  const seq = nativeOf(m, SequentialV);
  if (seq) {
    // The model input (or a value we cannot follow, e.g. a batch drawn with next(iter(loader))): the traced output.
    if (t?.source === 'input') feed(fx, native(t), span);
    if ((!t || t.source === 'input') && seq.output.t !== 'unknown') return seq.output;
    return traced(fx, () => seq.items.reduce<Val>((acc, item) => applyModule(fx, item.v, acc, span), t ? native(t) : arg));
  }
  if (m.t === 'instance' && moduleState(m)) return callModule(fx, m, arg, span);
  return UNKNOWN;
}

/** An nn.Linear applied to a tensor: its layer now takes that tensor as input. */
export function link(fx: Fx, lin: LinearV, t: TensorV, span: Span): Val {
  const st = traceState(fx);
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
  if (traceState(fx).depth === 0 && t.source === 'input' && !lin.bare) {
    // A bare nn.Linear used as the model (`model = nn.Linear(784, 10)`, then `model(x)`): a model of one layer.
    lin.bare = newModel(fx, lin.span, ID);
    lin.bare.layers.push(layer);
    lin.bare.compiled = true;
  }
  return native(new TorchTensorV(layer, false));
}

/** Notes that the model being traced uses a layer Gradient Lens does not train (it is then refused, see refused()). */
export function refuse(fx: Fx, what: string, span: Span): void {
  const st = traceState(fx);
  if (st.depth > 0 && !st.refused.has(st.trace)) st.refused.set(st.trace, { what, span });
}

/** After a trace: a model that uses a convolution, an RNN... refuses the file (ModelBuilder.refuse), at that layer. */
export function refused(fx: Fx, model: ModelRec): boolean {
  const st = traceState(fx);
  const r = st.refused.get(st.trace);
  if (!r) return false;
  model.layers.length = 0;
  fx.session.refuse(r.span, r.what);
  return true;
}

export function refusalOf(n: string): string {
  if (/^(conv|maxpool|avgpool|adaptive)/.test(n)) return CONV_MESSAGE;
  if (/^(lstm|gru|rnn)/.test(n)) return RNN_MESSAGE;
  return `a model with ${n === 'embedding' ? 'an embedding' : n === 'bilinear' ? 'a bilinear layer' : 'attention'}: Gradient Lens trains fully-connected networks`;
}

/** Removing the i-th module of a Sequential written as arguments: from the end of the one before to its end (`, nn.Softmax(dim=1)`). */
function itemRemoval(seq: SequentialV, i: number): ActivationEdit | undefined {
  const e = seq.exprs;
  if (!e || e.length !== seq.items.length || i === 0 || !e[i]) return undefined;
  return { remove: { span: { from: e[i - 1].to, to: e[i].to }, newText: '' } };
}

export function traceSequential(fx: Fx, seq: SequentialV): void {
  seq.output = UNKNOWN;
  let refusedNow = false;
  const out = traced(fx, () => {
    const o = seq.items.reduce<Val>((acc, item, i) => applyModule(fx, item.v, acc, item.v.t === 'native' ? spanOfModule(item.v) ?? seq.span : seq.span, itemRemoval(seq, i)), freshInput());
    refusedNow = traceState(fx).depth === 1 && refused(fx, seq.model);
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

export function spanOfModule(v: Val): Span | undefined {
  return nativeOf(v, LinearV)?.span ?? nativeOf(v, ActModuleV)?.span ?? nativeOf(v, PassModuleV)?.span ?? nativeOf(v, SequentialV)?.span;
}

/** `inst(x)` for a user nn.Module: its forward() on x (the input: the traced output). */
export function callModule(fx: Fx, inst: InstanceVal, x: Val, span: Span): Val {
  const st = moduleState(inst)!;
  const t = asTensor(fx, x);
  if (t?.source === 'input') feed(fx, x, span);
  if ((!t || t.source === 'input') && st.output) return st.output;
  const f = fx.attr(inst, 'forward', span);
  if (f.t !== 'func') return UNKNOWN;
  return wrap(traced(fx, () => fx.callValue(f, [t ? native(t) : x], span))) ?? UNKNOWN;
}

/** Reads a user module's layers: forward() from a fresh input, once the instance exists. */
export function traceModule(fx: Fx, inst: InstanceVal): void {
  const st = moduleState(inst)!;
  const f = fx.attr(inst, 'forward', st.header);
  if (f.t !== 'func') return; // a container without forward(): nothing to read (its submodules may be models)
  const model = st.model ?? newModel(fx, st.header, ID);
  st.model = model;
  model.compiled = true;
  let refusedNow = false;
  let out = traced(fx, () => {
    const o = fx.callValue(f, [freshInput()], st.header);
    refusedNow = traceState(fx).depth === 1 && refused(fx, model);
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

/** The user module classes instantiated in the file (a class nothing instantiates is read once the file is, see readUninstantiated). */
const instantiated = perFile(() => new Set<ClassVal>());

export const nnModule: BaseClass<ModelBuilder> = {
  create(inst, _call, fx) {
    instantiated(fx).add(inst.cls);
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
export function classHeader(inst: InstanceVal, text: string): Span {
  const s = inst.cls.span;
  const nl = text.indexOf('\n', s.from);
  return { from: s.from, to: nl < 0 || nl > s.to ? s.to : nl };
}


/** Whether a user class derives from nn.Module (directly, through a LightningModule, or through another user class). */
function isModuleClass(c: ClassVal, depth = 0): boolean {
  if (depth > 10) return false;
  return c.bases.some((b) => (b.t === 'ref' && (b.path === 'torch.nn.Module' || b.path === 'pytorch_lightning.LightningModule')) || (b.t === 'class' && isModuleClass(b, depth + 1)));
}

/**
 * After the file is read: when no PyTorch model was built and the file defines an nn.Module subclass that nothing
 * instantiates (a model module imported by a training script elsewhere), the last such class is read with its
 * __init__ defaults, and a note says so; without defaults for its sizes it is not read, and a note says which.
 */
export function readUninstantiated(fx: Fx): void {
  if (fx.session.models.some((m) => m.framework === ID && m.layers.length > 0)) return;
  const made = instantiated(fx);
  const classes: ClassVal[] = [];
  for (const m of fx.text.matchAll(/^class\s+(\w+)\s*\(/gm)) {
    const v = fx.globalValue(m[1]);
    if (v?.t === 'class' && isModuleClass(v) && !made.has(v) && !classes.includes(v)) classes.push(v);
  }
  const cls = classes[classes.length - 1];
  if (!cls) return;
  const init = cls.attrs.get('__init__');
  const params = init?.t === 'func' ? init.params.slice(1).filter((p) => !p.rest) : [];
  const header = classHeaderOf(cls, fx.text);
  const missing = params.filter((p) => !p.dflt).map((p) => p.name);
  if (missing.length > 0) {
    fx.session.looksLikeModel = true;
    fx.note(header, `${cls.name} is never instantiated in this file and its __init__ has no default for ${missing.map((n) => `\`${n}\``).join(', ')}: its sizes are not known here, so it is not read`);
    return;
  }
  const defaults = params.map((p) => `${p.name}=${fx.text.slice(p.dflt!.from, p.dflt!.to)}`);
  fx.note(header, `${cls.name} is never instantiated in this file: read as ${cls.name}(${defaults.join(', ')}), with its __init__ defaults`);
  fx.callValue(cls, [], header);
}

function classHeaderOf(cls: ClassVal, text: string): Span {
  const s = cls.span;
  const nl = text.indexOf('\n', s.from);
  return { from: s.from, to: nl < 0 || nl > s.to ? s.to : nl };
}
