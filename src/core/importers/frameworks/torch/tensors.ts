// Tensors in PyTorch code: the model's tensors (TorchTensorV: a layer's output with PyTorch's tensor methods,
// `.to(device)`, `.softmax(dim=1)`, `.clamp(min=0)`), activations applied to them, and tensors of initial
// values (`torch.zeros(...)`, `torch.randn(784, 256) * 0.01`, `torch.empty(o, i).uniform_(-a, a)`).
import type { Span } from '../../ast';
import { type Call, type Native, type Val, NONE, UNKNOWN, native, nativeOf } from '../../interpret';
import { type Fx, type InitRec, type LayerRec, InitTensorV, TensorV, VarV, activate, asTensor, shapeOf } from '../../model';
import type { Handler } from '../api';
import { LEAKY_ALPHA, writtenPrefix } from '../common';
import { inPlace } from './params';
import type { Activation, ObjectiveSpec } from '../../../spec';
import { type ActivationEdit, type LossRecord, type PixelScale, deviate, loopEvent, programRecord, scalePixels } from './record';
import { ID, PASS_METHODS, int, num, perFile } from './state';

interface OutputState {
  /** Which softmax ends a layer (F.softmax / F.log_softmax): CrossEntropyLoss and NLLLoss read them differently. */
  softmax: Map<LayerRec, 'softmax' | 'logsoftmax'>;
  /** The output of `torch.log(F.softmax(...))`. */
  logOfSoftmax: WeakSet<object>;
}

export const outputState = perFile<OutputState>(() => ({ softmax: new Map(), logOfSoftmax: new WeakSet() }));

/** A tensor of the model in PyTorch code: TensorV plus PyTorch's tensor methods (`.to(device)`, `.softmax(dim=1)`...). */
export class TorchTensorV extends TensorV {
  /** The shape when known: a dataset's image [1, 28, 28], a DataLoader batch [B, 1, 28, 28]. */
  dims?: number[];
  /** Input tensors: how their values come from the pixel bytes (undefined: not known). */
  pixels?: PixelScale;
  /** Input tensors made from numpy data whose scaling is not known here: where. */
  unknownPixels?: Span;
  /** A layer's activated output plus a constant (`p + 1e-10`, inside a hand-written log). */
  offset?: number;
  withDims(dims: number[] | undefined): this {
    this.dims = dims;
    return this;
  }
  withPixels(p: PixelScale | undefined): this {
    this.pixels = p;
    return this;
  }
  /** The same input tensor with other pixels (a copy: tensors are values). */
  private input(p: PixelScale | undefined, dims = this.dims): Val {
    const t = new TorchTensorV('input', true).withDims(dims).withPixels(p);
    t.unknownPixels = this.unknownPixels;
    return native(t);
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
    if (this.source === 'input') {
      // Pixel arithmetic as methods: x.div(255), x.sub_(0.1307), x.float().div_(255.)
      const op = ({ div: '/', divide: '/', true_divide: '/', mul: '*', multiply: '*', sub: '-', subtract: '-', add: '+' } as Record<string, string>)[name.replace(/_$/, '')];
      const k = num(call.args[0]);
      if (op && k !== undefined) {
        const p = this.pixels && scalePixels(this.pixels, op, k, call.expr);
        if (name.endsWith('_')) {
          this.pixels = p;
          return native(this);
        }
        return this.input(p);
      }
      if (name === 'numpy' || name === 'astype' || PASS_METHODS.has(name)) {
        // unscaled pixels: the chain as written grows (where `/ 255.` would go)
        const p = this.pixels && !this.pixels.scaledAt ? { ...this.pixels, rawAt: call.expr } : this.pixels;
        return this.input(p);
      }
    }
    if (PASS_METHODS.has(name)) return native(this);
    if (name === 'softmax' || name === 'log_softmax') {
      const recv = call.expr.callee.k === 'member' ? call.expr.callee.obj : undefined;
      const callee = call.expr.callee.k === 'member' ? { from: call.expr.callee.to - call.expr.callee.prop.length, to: call.expr.callee.to } : undefined;
      return softmaxOf(fx, native(this), name === 'log_softmax', call.expr, recv && { remove: { span: call.expr, newText: fx.text.slice(recv.from, recv.to) }, callee });
    }
    if (name === 'clamp' || name === 'clamp_min' || name === 'relu_' || name === 'relu' || name === 'sigmoid' || name === 'tanh') {
      const min = num(call.arg(0, 'min')?.v);
      const recv = call.expr.callee.k === 'member' ? call.expr.callee.obj : undefined;
      const edit = recv && { remove: { span: call.expr, newText: fx.text.slice(recv.from, recv.to) } };
      if (name === 'relu_' || name === 'relu' || min === 0) return activation(fx, native(this), 'relu', call.expr, edit);
      if (name === 'sigmoid' || name === 'tanh') return activation(fx, native(this), name, call.expr, edit);
    }
    if (name === 'leaky_relu') return leaky(fx, native(this), call, 0, call.expr);
    if (name === 'log') return undefined; // torch's hand-written losses are read by loss.ts (torch.log), not as tfjs chains
    return wrap(super.method(name, { ...call, args: call.args.map(asVariable) }, host));
  }
  override binary(op: string, other: Val, left: boolean, host: Fx, at: Span, otherAt?: Span): Val | undefined {
    const fx = host;
    const k = num(other);
    // `1 - out` inside a hand-written binary cross-entropy (torch.log of it: loss.ts)
    if (op === '-' && !left && k === 1 && otherAt && this.source !== 'input') return super.binary(op, other, left, host, at, otherAt);
    if (this.source === 'input' && k !== undefined && left) return this.input(this.pixels && scalePixels(this.pixels, op, k, at));
    if (this.source !== 'input' && this.activated && k !== undefined && op === '+' && k > 0 && k < 1) {
      // `p + 1e-10` inside a hand-written log
      const out = new TorchTensorV(this.source, true);
      out.offset = (this.offset ?? 0) + k;
      return native(out);
    }
    if (op === '@' && this.source === 'input') feed(fx, native(this), at);
    // y * F.log_softmax(z): a hand-written cross-entropy on log-probabilities
    if (op === '*' && k === undefined && this.isLogProbabilities()) return native(new HandLossV(this.source as LayerRec, 'logProbabilities', undefined, at));
    return wrap(super.binary(op, asVariable(other), left, host, at));
  }
  private isLogProbabilities(): boolean {
    return this.source !== 'input' && this.activated && this.source.activation === 'logSoftmax';
  }
  attr(name: string): Val | undefined {
    if (name === 'shape') return this.dims ? dimsVal(this.dims) : UNKNOWN;
    return name === 'data' || name === 'T' ? native(this) : undefined;
  }
  override index(): Val | undefined {
    return native(this);
  }
  /** `x[:5000]`: the first rows of a tensor of examples. */
  slice(lo: number | undefined, hi: number | undefined, _host: Fx, length?: number): Val | undefined {
    if (this.source !== 'input') return native(this);
    const n = this.dims?.[0];
    let rows: number | undefined;
    if (length !== undefined && length > 0) rows = length;
    else if (n !== undefined) {
      const a = lo === undefined ? 0 : lo < 0 ? Math.max(0, n + lo) : Math.min(n, lo);
      const b = hi === undefined ? n : hi < 0 ? Math.max(0, n + hi) : Math.min(n, hi);
      rows = Math.max(0, b - a);
    } else if ((lo === undefined || lo === 0) && hi !== undefined && hi > 0) rows = hi;
    return this.input(this.pixels, rows === undefined ? undefined : [rows, ...(this.dims?.slice(1) ?? [])]);
  }
}

/** The model is given an input tensor (`model(images)`): the pixels it gets are the run's data. */
export function feed(fx: Fx, x: Val | undefined, span: Span): void {
  const t = nativeOf(x, TorchTensorV);
  if (t && t.source === 'input') programRecord(fx).feeds.push({ pixels: t.pixels, unknown: t.unknownPixels, rows: t.dims?.[0], loops: [...fx.loops], span });
}

/**
 * A loss computed on the model's output (a loss module's or function's value, or a hand-written formula that
 * reached its reduction): `.backward()` makes it the training loss; `reduction='none'` then `.mean()` / `.sum()`
 * gives its reduction.
 */
export class LossValueV implements Native {
  readonly kind = 'loss value';
  constructor(readonly rec: LossRecord, readonly none = false) {}
  method(name: string, call: Call, fx: Fx): Val | undefined {
    if (name === 'backward') {
      if (this.none) deviate(fx, call.expr, "backward() of a loss with reduction='none' raises in PyTorch (a gradient can only be created for a scalar): trained with its mean");
      this.rec.trained = true;
      loopEvent(fx, 'backward', call.expr);
      return NONE;
    }
    if (this.none && (name === 'mean' || name === 'sum') && call.args.length === 0) {
      this.rec.objective = { ...this.rec.objective, reduction: name === 'mean' ? 'mean' : 'sum' };
      return native(new LossValueV(this.rec));
    }
    if (name === 'item' || name === 'tolist') return UNKNOWN;
    return PASS_METHODS.has(name) ? native(this) : undefined;
  }
  attr(name: string): Val | undefined {
    return name === 'data' ? native(this) : undefined;
  }
  binary(): Val | undefined {
    return native(this);
  }
  unary(_op: string): Val | undefined {
    return native(this);
  }
}

/**
 * A hand-written cross-entropy on the way to its reduction: `torch.log(p)` (or F.log_softmax's output) times the
 * one-hot target, negated, summed or averaged: `-(y * torch.log(p)).sum()` is the sum over the batch,
 * `-(y * torch.log(p)).sum(dim=1).mean()` the mean per example, `-torch.mean(y * torch.log(p))` the mean of every
 * example × class term.
 */
export class HandLossV extends TorchTensorV {
  stage: 'log' | 'term' | 'perExample' = 'log';
  negated = false;
  /** `torch.log(1 - p)`: the other half of a hand-written binary cross-entropy. */
  complement = false;
  /** `y * torch.log(p) + (1 - y) * torch.log(1 - p)`: a binary cross-entropy per class. */
  binaryCe = false;
  /** The output as written in the log (`out`), and the target the log was multiplied by (`F.one_hot(yb, 10).float()`). */
  outText?: string;
  target?: string;
  constructor(readonly layer: LayerRec, readonly from: 'probabilities' | 'logProbabilities', readonly logOffset: number | undefined, readonly start: Span) {
    super(layer, true);
    if (from === 'logProbabilities') this.stage = 'term';
  }
  private next(stage: HandLossV['stage'], negate = false, o: { start?: Span; binaryCe?: boolean; target?: string } = {}): HandLossV {
    const h = new HandLossV(this.layer, this.from, this.logOffset, o.start ?? this.start);
    h.stage = stage;
    h.negated = this.negated !== negate;
    h.complement = this.complement;
    h.binaryCe = o.binaryCe ?? this.binaryCe;
    h.outText = this.outText;
    h.target = o.target ?? this.target;
    return h;
  }
  override binary(op: string, other: Val, left: boolean, host: Fx, at: Span, otherAt?: Span): Val | undefined {
    if (op === '*' && this.stage === 'log' && num(other) === undefined) {
      return native(this.next('term', false, { target: otherAt && !this.complement ? host.text.slice(otherAt.from, otherAt.to).trim() : undefined }));
    }
    if (op === '*' && num(other) === -1) return native(this.next(this.stage, true));
    // y·log(p) + (1 − y)·log(1 − p): the two halves of a binary cross-entropy of the same output
    const o = nativeOf(other, HandLossV);
    if (op === '+' && o && o.layer === this.layer && this.stage === 'term' && o.stage === 'term' && this.complement !== o.complement && !this.binaryCe && !o.binaryCe
      && this.negated === o.negated && this.from === 'probabilities' && o.from === 'probabilities' && this.logOffset === undefined && o.logOffset === undefined) {
      const plain = this.complement ? o : this;
      const h = plain.next('term', false, { start: left ? this.start : o.start, binaryCe: true });
      h.complement = false;
      return native(h);
    }
    return super.binary(op, other, left, host, at);
  }
  override unary(op: string): Val | undefined {
    return op === '-' ? native(this.next(this.stage, true)) : undefined;
  }
  override method(name: string, call: Call, fx: Fx): Val | undefined {
    if (name === 'sum' || name === 'mean') return this.reduce(fx, name, call.arg(0, 'dim', 'axis'), call.expr);
    return super.method(name, call, fx);
  }
  /** `.sum()` / `.mean()` (or torch.sum / torch.mean) with `dim` as given. */
  reduce(fx: Fx, name: 'sum' | 'mean', dim: { v: Val } | undefined, at: Span): Val | undefined {
    const d = dim ? int(dim.v) : undefined;
    if (dim && d !== 1 && d !== -1) return UNKNOWN;
    if (this.complement && !this.binaryCe) return UNKNOWN; // half of a binary cross-entropy
    if (this.binaryCe) return dim || this.stage !== 'term' ? UNKNOWN : this.binaryCeLoss(fx, name, at);
    if (this.stage === 'term' && dim) return native(this.next('perExample'));
    if (this.stage === 'log' || dim) return UNKNOWN;
    const reduction = this.stage === 'perExample' ? (name === 'mean' ? 'mean' : 'sum') : name === 'mean' ? 'meanAll' : 'sum';
    const objective: ObjectiveSpec = { loss: 'crossEntropy', from: this.from, reduction };
    if (this.logOffset !== undefined) objective.logOffset = this.logOffset;
    const span = { from: this.start.from, to: at.to };
    const rec: LossRecord = {
      objective, name: 'the hand-written cross-entropy', span, applied: span, reductionSpan: at, layer: this.layer,
      outputActivation: (this.layer.activation ?? 'linear') as Activation, trained: false,
    };
    programRecord(fx).losses.push(rec);
    return native(new HandLossValueV(rec, this.negated));
  }
  /** The mean (or sum) of every example × class term of a hand-written binary cross-entropy; the cure that writes F.cross_entropy of the logits and the class labels instead. */
  private binaryCeLoss(fx: Fx, name: 'sum' | 'mean', at: Span): Val {
    const objective: ObjectiveSpec = { loss: 'binaryCrossEntropy', from: 'probabilities', reduction: name === 'mean' ? 'mean' : 'sum' };
    const before = fx.text.slice(0, at.from);
    const minus = /-\s*$/.exec(before);
    const span = { from: minus ? minus.index : at.from, to: at.to };
    const rec: LossRecord = {
      objective, name: 'the hand-written binary cross-entropy', span, applied: span, reductionSpan: at, layer: this.layer,
      outputActivation: (this.layer.activation ?? 'linear') as Activation, trained: false,
    };
    const labels = this.target ? /one_hot\(\s*([\w.]+)\s*,/.exec(this.target)?.[1] : undefined;
    if (minus && !this.negated && labels && this.outText && /^[\w.]+$/.test(this.outText) && name === 'mean') {
      const f = /^\s*import\s+torch\.nn\.functional\s+as\s+(\w+)/m.exec(fx.text)?.[1] ?? /^\s*from\s+torch\.nn\s+import\s+functional\s+as\s+(\w+)/m.exec(fx.text)?.[1] ?? 'torch.nn.functional';
      rec.crossEntropyEdit = { span, newText: `${f}.cross_entropy(${this.outText}, ${labels})` };
    }
    programRecord(fx).losses.push(rec);
    return native(new HandLossValueV(rec, this.negated));
  }
}

/** The value of a hand-written loss: a minus sign may still come (`-torch.sum(y * torch.log(p))`). */
class HandLossValueV extends LossValueV {
  constructor(rec: LossRecord, readonly negated: boolean) {
    super(rec);
  }
  override unary(op: string): Val | undefined {
    return op === '-' ? native(new HandLossValueV(this.rec, !this.negated)) : native(this);
  }
  override method(name: string, call: Call, fx: Fx): Val | undefined {
    if (name === 'backward' && !this.negated) {
      deviate(fx, this.rec.span, 'this cross-entropy is not negated, so minimising it makes the log-probabilities of the right digits smaller: Gradient Lens trains the negated (usual) cross-entropy');
    }
    return super.method(name, call, fx);
  }
}

const dimsVal = (dims: number[]): Val => ({ t: 'list', items: dims.map((d) => ({ t: 'num', v: d })), tuple: true });

/** A tensor of initial values used as weights (`W1 = torch.randn(784, 256, requires_grad=True)`, then `X @ W1`). */
export function asVariable(v: Val): Val {
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

export function wrap(v: Val | undefined): Val | undefined {
  const t = nativeOf(v, TensorV);
  if (t && !(t instanceof TorchTensorV)) return native(new TorchTensorV(t.source, t.activated));
  return v;
}

export const freshInput = (): Val => native(new TorchTensorV('input', true));

/** An activation applied to a tensor; `edit`: how to remove it where it is applied (a cure that drops the output activation). */
export function activation(fx: Fx, x: Val, name: string, span: Span, edit?: ActivationEdit): Val {
  const t = asTensor(fx, x);
  if (!t) return UNKNOWN;
  const out = wrap(activate(fx, x, name, span)) ?? UNKNOWN;
  if (t.source !== 'input' && !t.activated) {
    t.source.activationSpan = span;
    if (edit) programRecord(fx).activationEdits.set(t.source, edit);
    else programRecord(fx).activationEdits.delete(t.source);
  }
  return out;
}

/** F.softmax / F.log_softmax / nn.Softmax / nn.LogSoftmax on a tensor. */
export function softmaxOf(fx: Fx, x: Val, log: boolean, span: Span, edit?: ActivationEdit): Val {
  const t = asTensor(fx, x);
  const name = log ? 'logSoftmax' : 'softmax';
  if (t && t.source !== 'input' && t.activated && t.source.activation && t.source.activation !== 'softmax' && t.source.activation !== 'logSoftmax') {
    // F.log_softmax(F.relu(self.fc3(x))): the spec's output layer has one activation.
    const layer = t.source;
    deviate(fx, span, `${layer.activation} is applied before this ${log ? 'log_softmax' : 'softmax'}; a layer of the model spec has one activation: trained with the ${log ? 'log_softmax' : 'softmax'} alone (without the ${layer.activation})`);
    layer.activation = name;
    layer.activationSpan = span;
    programRecord(fx).activationEdits.delete(layer);
    outputState(fx).softmax.set(layer, log ? 'logsoftmax' : 'softmax');
    return native(new TorchTensorV(layer, true));
  }
  const out = activation(fx, x, name, span, edit);
  if (t && t.source !== 'input' && !t.activated) outputState(fx).softmax.set(t.source, log ? 'logsoftmax' : 'softmax');
  return out;
}

export function leaky(fx: Fx, x: Val, call: Call, slopePos: number, span: Span): Val {
  const a = call.arg(slopePos, 'negativeslope');
  const slope = a ? num(a.v) : 0.01;
  slopeNote(fx, slope, a?.span ?? span);
  return activation(fx, x, 'leakyRelu', span);
}

export function slopeNote(fx: Fx, slope: number | undefined, at: Span): void {
  if (slope !== undefined && Math.abs(slope - LEAKY_ALPHA) <= 1e-12) return;
  deviate(fx, at, `this leaky ReLU has slope ${slope ?? '(not readable)'} below zero${slope === 0.01 ? " (PyTorch's default)" : ''}; Gradient Lens trains leakyRelu with slope ${LEAKY_ALPHA}`);
}

// ---- initial values (torch.zeros(...), torch.randn(...) * 0.01) -------------------------------------

/** A tensor of initial values; arithmetic with numbers keeps its distribution exact where it can. */
export class TorchInitTensorV extends InitTensorV {
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

export function tensorFactory(n: string): Handler | undefined {
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

/** The edit that removes a functional activation where it is applied: `F.softmax(x, dim=1)` → `x`. */
export function removal(fx: Fx, call: Call): ActivationEdit | undefined {
  const arg = call.argExprs[0];
  return arg && { remove: { span: call.expr, newText: fx.text.slice(arg.from, arg.to) }, callee: call.expr.callee };
}

/** Dropout at rate `rate` on `x` (nn.Dropout, F.dropout): the layer that made x drops its outputs in training. */
export function dropoutOn(fx: Fx, x: Val, rate: number | undefined, span: Span, kind: string): void {
  const t = asTensor(fx, x);
  if (!t) return;
  if (rate === undefined) {
    deviate(fx, span, `could not read the dropout rate of ${fx.src(span)}: trained without dropout`);
    return;
  }
  if (rate === 0) return;
  if (kind !== 'dropout') deviate(fx, span, `${fx.src(span)} is not the model spec's dropout (which drops single units): trained without it`);
  else if (t.source === 'input') deviate(fx, span, 'dropout on the input pixels is not part of the model spec: trained without it');
  else {
    const all = programRecord(fx).dropout;
    const byLayer = all.get(t.source) ?? new Map<string, { rate: number; span: Span }>();
    byLayer.set(`${span.from}:${span.to}`, { rate, span });
    all.set(t.source, byLayer);
  }
}
