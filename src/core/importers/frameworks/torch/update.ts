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
import { type SchedulerRecord, deviate, loopEvent } from './record';
import { ID, int, literalSpan, num, perFile } from './state';

export const updateState = perFile<{ optimizers: TorchOptimizerV[] }>(() => ({ optimizers: [] }));

export class TorchOptimizerV implements Native {
  readonly kind = 'optimizer';
  constructor(readonly opt: { spec: OptimizerSpec; span: Span; lrSpan?: Span }, public model: ModelRec | undefined) {}
  method(name: string, call: Call, fx: Fx): Val | undefined {
    if (name === 'step') {
      step(fx, this, call.expr);
      return NONE;
    }
    if (name === 'zero_grad') {
      loopEvent(fx, 'zero', call.expr);
      return NONE;
    }
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
      if (a && a.v !== 0) deviate(fx, a.span, `${what} is not part of the model spec: trained without it`);
    };
    /** PyTorch's coupled weight decay (g + wd·w), as the spec's `weightDecay`. */
    const weightDecay = (pos: number): number | undefined => {
      const a = get('weightdecay', pos);
      if (!a || a.v === 0) return undefined;
      if (a.v === undefined || !(a.v > 0)) {
        deviate(fx, a.span, `could not read this weight decay (${fx.src(a.span)}): trained without it`);
        return undefined;
      }
      return a.v;
    };
    let spec: OptimizerSpec;
    if (n === 'sgd') {
      const m = get('momentum', 2);
      const momentum = m?.v ?? 0;
      nonzero('dampening', 3, 'momentum dampening');
      const wd = weightDecay(4);
      const nest = call.arg(5, 'nesterov')?.v;
      if (m && m.v === undefined) deviate(fx, m.span, `could not read the momentum of ${fx.src(e)}: trained without momentum`);
      spec = momentum > 0 ? { type: 'momentum', learningRate: lr, momentum, useNesterov: nest?.t === 'bool' && nest.v } : { type: 'sgd', learningRate: lr };
      if (wd !== undefined) spec.weightDecay = wd;
    } else if (n === 'adam' || n === 'adamw') {
      const betas = call.arg(2, 'betas')?.v;
      const b1 = betas?.t === 'list' ? num(betas.items[0]) : 0.9;
      const b2 = betas?.t === 'list' ? num(betas.items[1]) : 0.999;
      const eps = get('eps', 3)?.v ?? 1e-8;
      let wd: number | undefined;
      if (n === 'adamw') {
        const w = get('weightdecay', 4);
        if (w?.v !== 0) deviate(fx, w?.span ?? e, `AdamW's decoupled weight decay (${w?.v ?? 0.01}) is not part of the model spec (its weight decay is Adam's, added to the gradient): trained as Adam without it`);
      } else wd = weightDecay(4);
      const ams = call.arg(5, 'amsgrad')?.v;
      if (ams?.t === 'bool' && ams.v) deviate(fx, e, 'AMSGrad is not part of the model spec: trained with plain Adam');
      spec = { type: 'adam', learningRate: lr, beta1: b1 ?? 0.9, beta2: b2 ?? 0.999, epsilon: eps };
      if (wd !== undefined) spec.weightDecay = wd;
    } else {
      const alpha = get('alpha', 2)?.v ?? 0.99;
      const eps = get('eps', 3)?.v ?? 1e-8;
      const wd = weightDecay(4);
      const momentum = get('momentum', 5)?.v ?? 0;
      const centered = call.arg(6, 'centered')?.v;
      if (centered?.t === 'bool' && centered.v) deviate(fx, e, 'centered RMSprop is not part of the model spec: trained with plain RMSprop');
      spec = { type: 'rmsprop', learningRate: lr, decay: alpha, momentum, epsilon: eps };
      deviate(fx, e, `PyTorch's RMSprop adds eps (${eps}) outside the square root, the trainer's (TensorFlow's) inside it: where a parameter's gradients are near zero its steps here are smaller (up to ${Math.round(Math.sqrt(eps) / eps)}× for eps ${eps})`);
      if (wd !== undefined) spec.weightDecay = wd;
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

/**
 * torch.optim.lr_scheduler: StepLR(step_size, gamma=0.1), ExponentialLR(gamma), MultiStepLR(milestones, gamma=0.1)
 * are read (program.ts turns them into the spec's schedule in steps, from where `scheduler.step()` runs); any other
 * scheduler is a deviation (trained with the constant learning rate).
 */
export function scheduler(name: string): Handler {
  return (call, fx) => {
    const n = norm(name);
    const gamma = (pos: number, dflt?: number): number | undefined => {
      const a = call.arg(pos, 'gamma');
      return a ? num(a.v) : dflt;
    };
    let rec: SchedulerRecord | undefined;
    if (n === 'steplr') {
      const s = int(call.arg(1, 'stepsize')?.v);
      const g = gamma(2, 0.1);
      if (s !== undefined && s > 0 && g !== undefined && g > 0) rec = { kind: 'step', span: call.expr, stepSize: s, gamma: g };
    } else if (n === 'exponentiallr') {
      const g = gamma(1);
      if (g !== undefined && g > 0) rec = { kind: 'exponential', span: call.expr, gamma: g };
    } else if (n === 'multisteplr') {
      const ms = call.arg(1, 'milestones')?.v;
      const list = ms?.t === 'list' ? ms.items.map((x) => int(x)) : [];
      const g = gamma(2, 0.1);
      if (list.length > 0 && list.every((x, i) => x !== undefined && x > 0 && (i === 0 || x > list[i - 1]!)) && g !== undefined && g > 0) {
        rec = { kind: 'multistep', span: call.expr, milestones: list as number[], gamma: g };
      }
    }
    if (!rec) {
      deviate(fx, call.expr, `${['steplr', 'exponentiallr', 'multisteplr'].includes(n) ? `could not read the arguments of ${fx.src(call.expr)}` : `the learning-rate schedule ${name} is not one the model spec has (StepLR, ExponentialLR, MultiStepLR are)`}: trained with the constant learning rate of the optimizer`);
    }
    return native(new SchedulerV(rec));
  };
}

export class SchedulerV implements Native {
  readonly kind = 'lr scheduler';
  constructor(readonly rec: SchedulerRecord | undefined) {}
  method(name: string, call: Call, fx: Fx): Val {
    if (name === 'step' && this.rec) loopEvent(fx, 'schedulerStep', call.expr, { scheduler: this.rec });
    return NONE;
  }
}
