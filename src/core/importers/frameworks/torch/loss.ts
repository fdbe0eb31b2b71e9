// The loss in PyTorch code, read as the program computes it: loss modules (`nn.CrossEntropyLoss()`,
// `nn.NLLLoss()`, `nn.MSELoss()`, `nn.BCELoss()`, `nn.BCEWithLogitsLoss()`) and functions (`F.cross_entropy`...)
// with their `reduction`, on the output as it is passed (a softmax before CrossEntropyLoss stays: that is the
// double softmax the program trains), the target (`F.one_hot(y, 10).float()` for MSE / BCE), and a log written by
// hand (`torch.log(F.softmax(x))`: the `unstable-loss` finding; `-(y * torch.log(p)).sum()`, tensors.ts HandLossV).
import type { Activation, ObjectiveSpec } from '../../../spec';
import type { Reduction } from '../../../specParts';
import type { Expr, Span } from '../../ast';
import { type Call, type Native, type Val, UNKNOWN, native, nativeOf } from '../../interpret';
import { type Fx, asTensor } from '../../model';
import { OutExprV } from '../../lossValues';
import type { Handler } from '../api';
import { type LossRecord, type SpanEdit, deviate, programRecord } from './record';
import { ID, int } from './state';
import { HandLossV, LossValueV, TorchTensorV, outputState } from './tensors';

export type LossKind = 'ce' | 'nll' | 'mse' | 'bce' | 'bcelogits' | 'other';

/** By normalised name: `crossentropyloss` (module) or `crossentropy` (F.cross_entropy). */
export const lossKind = (n: string): LossKind => {
  switch (n.replace(/loss$/, '')) {
    case 'crossentropy': return 'ce';
    case 'nll': return 'nll';
    case 'mse': return 'mse';
    case 'bce': case 'binarycrossentropy': return 'bce';
    case 'bcewithlogits': case 'binarycrossentropywithlogits': return 'bcelogits';
    default: return 'other';
  }
};

/** How a loss call is written: its reduction (and where), the callee to rename for a cure. */
export interface LossSite {
  kind: LossKind;
  name: string;
  /** The constructor (a module) or the call (a function). */
  span: Span;
  callee: Span;
  reduction: Reduction | 'none';
  reductionSpan?: Span;
}

/** `reduction='sum'`, the legacy `size_average=False` / `reduce=False`, in a loss constructor or function call. */
export function lossSite(fx: Fx, kind: LossKind, name: string, call: Call): LossSite {
  const site: LossSite = { kind, name, span: call.expr, callee: call.expr.callee, reduction: 'mean' };
  const r = call.kw.get('reduction');
  if (r?.v.t === 'str' && (r.v.v === 'sum' || r.v.v === 'mean' || r.v.v === 'none')) {
    site.reduction = r.v.v;
    site.reductionSpan = r.span;
  }
  const sizeAverage = call.kw.get('sizeaverage');
  const reduce = call.kw.get('reduce');
  if (reduce?.v.t === 'bool' && !reduce.v.v) {
    site.reduction = 'none';
    site.reductionSpan = reduce.span;
  } else if (sizeAverage?.v.t === 'bool' && !sizeAverage.v.v) {
    site.reduction = 'sum';
    site.reductionSpan = sizeAverage.span;
  }
  for (const key of ['weight', 'labelsmoothing', 'posweight']) {
    const a = call.kw.get(key);
    if (a && a.v.t !== 'none' && !(a.v.t === 'num' && a.v.v === 0)) deviate(fx, a.span, `${fx.src(a.span)} is not part of the model spec: trained without it`);
  }
  return site;
}

export class LossFnV implements Native {
  readonly kind = 'loss';
  constructor(readonly site: LossSite, fx: Fx) {
    fx.session.looksLikeModel = true;
  }
  call(call: Call, fx: Fx): Val {
    return lossCall(fx, this.site, call.args[0], call.argExprs[1] !== undefined ? { v: call.args[1], expr: call.argExprs[1] } : undefined, call.expr);
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    return name === 'forward' ? this.call(call, fx) : undefined;
  }
}

/** `F.one_hot(labels, 10)`: a one-hot target (`.float()`, `.to(device)` keep it); `labels` as written. */
export class OneHotV implements Native {
  readonly kind = 'one-hot target';
  constructor(readonly labels: Span) {}
  method(name: string): Val | undefined {
    return ['float', 'to', 'double', 'type', 'cuda', 'cpu', 'long', 'view', 'reshape', 'squeeze'].includes(name) ? native(this) : undefined;
  }
}

export const oneHot: Handler = (call) => {
  const labels = call.argExprs[0];
  return labels ? native(new OneHotV(labels)) : UNKNOWN;
};

const ONE_HOT_TEXT = /one_?hot|\beye\(|scatter_?\(/i;

/** A loss computed on the model's output: what the program trains, read as written. */
export function lossCall(fx: Fx, site: LossSite, output: Val | undefined, target: { v: Val; expr: Expr } | undefined, applied: Span): Val {
  const t = asTensor(fx, output);
  if (!t || t.source === 'input') return UNKNOWN;
  const layer = t.source;
  const hand = nativeOf(output, HandLossV);
  const logOfSoftmax = output?.t === 'native' && outputState(fx).logOfSoftmax.has(output.obj);
  layer.logits = true;
  for (const m of fx.session.models) if (m.framework === ID && m.layers[m.layers.length - 1] === layer) m.fromLogits = true;
  const reduction: Reduction = site.reduction === 'none' ? 'mean' : site.reduction;
  let objective: ObjectiveSpec;
  switch (site.kind) {
    case 'ce': objective = { loss: 'crossEntropy', from: 'logits', reduction }; break;
    case 'nll':
      objective = (hand && hand.stage === 'log') || logOfSoftmax
        ? { loss: 'crossEntropy', from: 'probabilities', reduction, ...(hand?.logOffset !== undefined ? { logOffset: hand.logOffset } : {}) }
        : { loss: 'crossEntropy', from: 'logProbabilities', reduction };
      break;
    case 'mse': objective = { loss: 'meanSquaredError', from: 'probabilities', reduction }; break;
    case 'bce': objective = { loss: 'binaryCrossEntropy', from: 'probabilities', logFloor: -100, reduction }; break;
    case 'bcelogits': objective = { loss: 'binaryCrossEntropy', from: 'logits', reduction }; break;
    default:
      deviate(fx, site.span, `${site.name} is not a loss the model spec has (cross-entropy, NLL, mean squared error, binary cross-entropy): trained with softmax cross-entropy on the output instead`);
      return UNKNOWN;
  }
  if (hand && site.kind !== 'nll') {
    deviate(fx, applied, `${site.name} is applied to a log taken by hand (${fx.src(hand.start)}); the model spec cannot say both: trained with ${site.name} on the output before the log`);
  }
  const rec: LossRecord = {
    objective, name: site.name, span: site.span, applied, callee: site.callee, reductionSpan: site.reductionSpan, layer,
    outputActivation: (layer.activation ?? 'linear') as Activation, trained: false,
  };
  if (site.kind === 'mse' || site.kind === 'bce' || site.kind === 'bcelogits') {
    const oh = nativeOf(target?.v, OneHotV);
    if (oh && target) rec.oneHotTarget = { span: target.expr, newText: fx.text.slice(oh.labels.from, oh.labels.to) } satisfies SpanEdit;
    else if (!target || !ONE_HOT_TEXT.test(fx.text.slice(target.expr.from, target.expr.to))) {
      rec.indexTarget = true;
      deviate(fx, target?.expr ?? applied, `${site.name} compares the 10 outputs with the target element by element: it needs one-hot targets (\`F.one_hot(y, 10).float()\`), and with class indices PyTorch raises a shape error here (or could not tell what the target is): trained against one-hot labels`);
    }
  }
  programRecord(fx).losses.push(rec);
  return native(new LossValueV(rec, site.reduction === 'none'));
}

/** `torch.log(x)` of a layer's output: a hand-written cross-entropy starts here (and `unstable-loss` when x is a softmax). */
export const torchLog: Handler = (call, fx) => {
  // torch.log(1 - out): the other half of a hand-written binary cross-entropy
  const c = nativeOf(call.args[0], OutExprV);
  if (c?.form === 'complement' && !c.clip && c.offset === undefined) {
    const h = new HandLossV(c.out.layer, 'probabilities', undefined, call.expr);
    h.complement = true;
    return native(h);
  }
  const t = asTensor(fx, call.args[0]);
  if (!t || t.source === 'input') return undefined;
  const offset = nativeOf(call.args[0], TorchTensorV)?.offset;
  const out = new HandLossV(t.source, 'probabilities', offset, call.expr);
  out.outText = call.argExprs[0] ? fx.src(call.argExprs[0]).trim() : undefined;
  if (outputState(fx).softmax.get(t.source) === 'softmax' && offset === undefined) {
    outputState(fx).logOfSoftmax.add(out);
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
  }
  return native(out);
};

/** torch.sum(x, dim) / torch.mean(x, dim) of a hand-written loss term. */
export function handReduce(name: 'sum' | 'mean'): Handler {
  return (call, fx) => {
    const h = nativeOf(call.args[0], HandLossV);
    if (!h) return undefined;
    return h.reduce(fx, name, call.kw.get('dim') ?? call.kw.get('axis') ?? (call.args[1] && int(call.args[1]) !== undefined ? { v: call.args[1] } : undefined), call.expr);
  };
}
