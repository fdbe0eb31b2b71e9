// Tensors in PyTorch code: the model's tensors (TorchTensorV: a layer's output with PyTorch's tensor methods,
// `.to(device)`, `.softmax(dim=1)`, `.clamp(min=0)`), activations applied to them, and tensors of initial
// values (`torch.zeros(...)`, `torch.randn(784, 256) * 0.01`, `torch.empty(o, i).uniform_(-a, a)`).
import type { Span } from '../../ast';
import { type Call, type Val, UNKNOWN, native, nativeOf } from '../../interpret';
import { type Fx, type InitRec, type LayerRec, InitTensorV, TensorV, VarV, activate, asTensor, shapeOf } from '../../model';
import type { Handler } from '../api';
import { LEAKY_ALPHA, writtenPrefix } from '../common';
import { inPlace } from './params';
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

export function activation(fx: Fx, x: Val, name: string, span: Span): Val {
  const t = asTensor(fx, x);
  if (!t) return UNKNOWN;
  const out = wrap(activate(fx, x, name, span)) ?? UNKNOWN;
  if (t.source !== 'input' && !t.activated) t.source.activationSpan = span;
  return out;
}

export function softmaxOf(fx: Fx, x: Val, log: boolean, span: Span): Val {
  const t = asTensor(fx, x);
  if (t && t.source !== 'input' && t.activated && t.source.activation && t.source.activation !== 'softmax') {
    // F.log_softmax(F.relu(self.fc3(x))): the spec's output layer is a softmax alone.
    const layer = t.source;
    fx.note(span, `${layer.activation} is applied before this ${log ? 'log_softmax' : 'softmax'}; the model spec's output layer is the softmax alone: trained without the ${layer.activation}`);
    layer.activation = 'softmax';
    layer.activationSpan = span;
    outputState(fx).softmax.set(layer, log ? 'logsoftmax' : 'softmax');
    return native(new TorchTensorV(layer, true));
  }
  const out = activation(fx, x, 'softmax', span);
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
  fx.note(at, `this leaky ReLU has slope ${slope ?? '(not readable)'} below zero${slope === 0.01 ? " (PyTorch's default)" : ''}; Gradient Lens trains leakyRelu with slope ${LEAKY_ALPHA}`);
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
