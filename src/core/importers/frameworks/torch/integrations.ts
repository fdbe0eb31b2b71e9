// Libraries built on PyTorch that MNIST programs use: d2l (Dive into Deep Learning's `load_data_fashion_mnist`,
// `train_ch3`) and PyTorch Lightning (a LightningModule is an nn.Module; `Trainer(...).fit(model, loader)`).
import type { BaseClass, Call, Native, Val } from '../../interpret';
import { NONE, UNKNOWN, native, nativeOf } from '../../interpret';
import type { Fx, ModelBuilder } from '../../model';
import type { Handler } from '../api';
import { DataLoaderV, DatasetV, MNIST_TEST, MNIST_TRAIN, dataState, datasetNote } from './data';
import { LossFnV, lossCall } from './loss';
import { lastModel, setBatch } from './loop';
import { PassModuleV, applyModule, moduleState, nnModule } from './model';
import { loopEvent } from './record';
import { int, literalSpan } from './state';
import { TorchTensorV, freshInput } from './tensors';
import { TorchOptimizerV } from './update';

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
    // d2l's loaders: transforms.ToTensor(), the training one shuffled
    const l = new DataLoaderV(new DatasetV(n, train, true).withPixels({ divideBy: 255, scaledAt: call.expr }), b ?? 100, span, false);
    l.shuffle = train;
    dataState(fx).loaders.push(l);
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
  if (loss) lossCall(fx, loss.site, out, undefined, call.expr);
  const opt = [...call.args, ...[...call.kw.values()].map((a) => a.v)].map((v) => nativeOf(v, TorchOptimizerV)).find((o) => o !== undefined);
  const model = opt?.model ?? lastModel(fx);
  if (model) {
    model.fitted = true;
    if (opt) model.optimizer = opt.opt;
  }
  if (loader) setBatch(fx, model, loader);
  loopEvent(fx, 'step', call.expr, { loader });
  const perEpoch = loader?.len();
  if (epochs === undefined || epochs < 1 || perEpoch === undefined) {
    fx.note(epochsA?.span ?? call.expr, `could not tell how many steps ${fx.src(call.expr)} trains: using 1000 steps (the default of the model spec)`);
    return NONE;
  }
  fx.session.recordSteps(fx, epochs * perEpoch, epochsA?.span ?? call.expr, 'step', model ?? 'graph');
  return NONE;
};

export function d2l(name: string): Handler | undefined {
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
export const lightningModule: BaseClass<ModelBuilder> = {
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
  const batch: Val = { t: 'list', items: [native(new TorchTensorV('input', true).withDims(loader?.dataset?.images ? [loader.batch, 1, 28, 28] : undefined).withPixels(loader?.dataset?.pixels)), UNKNOWN], tuple: true };
  method('training_step', [batch, { t: 'num', v: 0 }]);
  if (loader) setBatch(fx, rec, loader);
  loopEvent(fx, 'step', call.expr, { loader });
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

export function lightning(name: string): Handler | undefined {
  if (name === 'Trainer') return (call, fx) => {
    fx.session.looksLikeModel = true;
    return native(new LightningTrainerV(call));
  };
  if (name === 'seed_everything') return () => UNKNOWN;
  return undefined;
}
