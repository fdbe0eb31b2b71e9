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
//
// The reader is split by concern: state.ts (per-file state, shared helpers), tensors.ts (tensors, activations,
// initial values), init.ts (nn.init semantics and PyTorch-idiom initializer fixes), params.ts (which layer an
// init applies to), model.ts (module values and tracing), layers.ts (layer / module constructors, the
// functional API), loss.ts, update.ts (optimizers, schedulers), data.ts (datasets, DataLoader), loop.ts
// (training steps), integrations.ts (d2l, Lightning); this file resolves PyTorch's names to their handlers.
import { NONE, UNKNOWN, native, nativeOf, norm } from '../../interpret';
import { InitTensorV, VarV, asTensor, matmulValues } from '../../model';
import type { FrameworkModule, Handler } from '../api';
import { last } from '../common';
import { dataLoader, dataset, randomSplit, subset, tensorDataset, tensorOf, transform } from './data';
import { d2l, lightning, lightningModule } from './integrations';
import { functional, nnHandler } from './layers';
import { handReduce, torchLog } from './loss';
import { deviate, loopEvent } from './record';
import { step } from './loop';
import { isModule, nnModule, readUninstantiated } from './model';
import { IN_PLACE, ParamV, calculateGainHandler, fansHandler, initHandler, KEEPS, unknownParam } from './params';
import { ID, num } from './state';
import { activation, asVariable, feed, tensorFactory, wrap } from './tensors';
import { optimizer, scheduler, updateState } from './update';

/** torch.* names (not nn / optim / utils). */
function torchTop(name: string): Handler | undefined {
  const n = norm(name);
  const f = tensorFactory(n);
  if (f) return f;
  if (['flatten', 'reshape', 'squeeze', 'unsqueeze'].includes(n)) return (call, fx) => (asTensor(fx, call.args[0]) ? call.args[0] : undefined);
  if (n === 'matmul' || n === 'mm') return (call, fx) => {
    feed(fx, call.args[0], call.expr);
    return wrap(matmulValues(fx, call.args[0] ?? UNKNOWN, asVariable(call.args[1] ?? UNKNOWN), call.expr));
  };
  if (n === 'tensor' || n === 'fromnumpy' || n === 'astensor' || n === 'floattensor') return tensorOf;
  if (n === 'sum' || n === 'mean') return handReduce(n);
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
  if (n === 'log') return torchLog;
  if (n === 'manualseed' || n === 'nograd' || n === 'enablegrad' || n === 'setgradenabled' || n === 'device') return () => UNKNOWN;
  return functional(name);
}

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
    case 'torch.optim.lr_scheduler': return scheduler(name);
    case 'torch.utils.data':
      if (name === 'DataLoader') return dataLoader;
      if (name === 'random_split') return randomSplit;
      if (name === 'TensorDataset') return tensorDataset;
      if (name === 'Subset') return subset;
      return undefined;
    case 'torchvision.datasets': return dataset(name);
    case 'torchvision.transforms': return transform(name);
    case 'torch.nn.utils':
      if (name === 'clip_grad_norm_' || name === 'clip_grad_norm') return clipGrad('globalClipNorm');
      if (name === 'clip_grad_value_') return clipGrad('clipValue');
      return undefined;
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
  'torch.Tensor': tensorOf,
};

/** `torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)` / `clip_grad_value_(params, clip_value)`: where they run is read by program.ts. */
function clipGrad(kind: 'globalClipNorm' | 'clipValue'): Handler {
  return (call, fx) => {
    const a = call.arg(1, kind === 'clipValue' ? 'clipvalue' : 'maxnorm');
    const v = num(a?.v);
    const normType = num(call.arg(2, 'normtype')?.v);
    if (v === undefined || !(v > 0)) {
      deviate(fx, call.expr, `could not read the bound of ${fx.src(call.expr)}: trained without gradient clipping`);
      return UNKNOWN;
    }
    if (kind === 'globalClipNorm' && normType !== undefined && normType !== 2) {
      deviate(fx, call.expr, `clipping by the ${normType}-norm is not part of the model spec (it clips by the L2 norm): trained without it`);
      return UNKNOWN;
    }
    loopEvent(fx, 'clip', call.expr, { clip: { kind, value: v } });
    return UNKNOWN;
  };
}

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
    'torch.nn.utils.clip_grad': 'torch.nn.utils', 'torch.utils.data.dataset.Subset': 'torch.utils.data.Subset', 'torchvision.transforms.transforms': 'torchvision.transforms',
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
    const recvText = fx.text.slice(receiver.from, receiver.to);
    // `loss.backward()` on a loss not followed; `p.grad.zero_()` / `p.grad.data.zero_()` zeroes the gradients by hand.
    if (name === 'backward') loopEvent(fx, 'backward', call.expr);
    if (name === 'zero_' && /\bgrad\b/.test(recvText)) loopEvent(fx, 'zero', call.expr);
    if (name === 'zero_grad') loopEvent(fx, 'zero', call.expr);
    if (IN_PLACE.test(name)) {
      // `m.weight.data.normal_(0, 0.01)` on a module Gradient Lens cannot follow: say so (a gradient's zero_() is no init).
      const tensor = fx.text.slice(receiver.from, receiver.to);
      if (!/\bgrad\b/.test(tensor) && (/\b(weight|bias)\b/.test(tensor) || fx.loops.some((l) => l.opaque) || value)) unknownParam(fx, value, receiver, call.expr);
      return undefined;
    }
    // `optimizer.step()` where the optimizer is a parameter we could not follow.
    if (name !== 'step') return undefined;
    const recv = receiver.k === 'name' ? receiver.id : receiver.k === 'member' ? receiver.prop : '';
    const opts = updateState(fx).optimizers;
    if (!/optim|opt$|solver|trainer|updater/i.test(recv) || opts.length === 0) return undefined;
    step(fx, opts[opts.length - 1], call.expr);
    return NONE;
  },
  trainingCalls: ['step', 'backward', 'train_ch3'],
  afterRun: readUninstantiated,
};
