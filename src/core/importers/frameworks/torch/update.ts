// The update in PyTorch code: `torch.optim.*` optimizers with PyTorch's defaults (SGD lr 0.001, Adam eps 1e-8,
// RMSprop alpha 0.99 / lr 0.01), the model whose parameters they get, learning-rate schedulers, and
// `optimizer.step()` (loop.ts counts it).
import type { OptimizerSpec } from '../../../spec';
import type { Span } from '../../ast';
import { type Call, type Native, type Val, NONE, native, nativeOf, norm } from '../../interpret';
import type { Fx, LayerRec, ModelRec } from '../../model';
import type { Handler } from '../api';
import { lastModel, step } from './loop';
import { ParamV } from './params';
import { ID, literalSpan, num, perFile } from './state';

export const updateState = perFile<{ optimizers: TorchOptimizerV[] }>(() => ({ optimizers: [] }));

export class TorchOptimizerV implements Native {
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

/** The model whose parameters an optimizer receives. */
export function modelOfParams(fx: Fx, v: Val | undefined): ModelRec | undefined {
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

export function optimizer(name: string): Handler | undefined {
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
    updateState(fx).optimizers.push(v);
    if (model) {
      model.optimizer = opt;
      model.compiled = true;
    }
    return native(v);
  };
}

export const scheduler: Handler = (call, fx) => {
  fx.note(call.expr, 'learning-rate schedules are not part of the model spec: trained with the constant learning rate of the optimizer');
  return native(new SchedulerV());
};

export class SchedulerV implements Native {
  readonly kind = 'lr scheduler';
  method(): Val {
    return NONE;
  }
}
