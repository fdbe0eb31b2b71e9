// The loss in PyTorch code: loss modules (`nn.CrossEntropyLoss()`, `nn.NLLLoss()`...) and functions
// (`F.cross_entropy`), what they make of the output they are given, and a log of a softmax written by hand
// (`torch.log(F.softmax(x))`, the `unstable-loss` finding).
import type { Span } from '../../ast';
import { type Call, type Native, type Val, UNKNOWN, native } from '../../interpret';
import { type Fx, asTensor } from '../../model';
import type { Handler } from '../api';
import { ID } from './state';
import { TorchTensorV, outputState } from './tensors';

export type LossKind = 'ce' | 'nll' | 'other';

export const lossKind = (n: string): LossKind => (n === 'crossentropyloss' || n === 'crossentropy' ? 'ce' : n === 'nllloss' ? 'nll' : 'other');

export class LossFnV implements Native {
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
export function lossCall(fx: Fx, kind: LossKind, name: string, output: Val | undefined, span: Span): Val {
  const t = asTensor(fx, output);
  if (!t || t.source === 'input') return UNKNOWN;
  const layer = t.source;
  const sm = outputState(fx).softmax.get(layer);
  const logOfSoftmax = output?.t === 'native' && outputState(fx).logOfSoftmax.has(output.obj);
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

export const torchLog: Handler = (call, fx) => {
  const t = asTensor(fx, call.args[0]);
  if (!t || t.source === 'input') return undefined;
  if (outputState(fx).softmax.get(t.source) === 'softmax') {
    const out = native(new TorchTensorV(t.source, true));
    outputState(fx).logOfSoftmax.add(out.t === 'native' ? out.obj : out);
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
