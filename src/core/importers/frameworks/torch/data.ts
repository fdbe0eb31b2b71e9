// The data in PyTorch code: torchvision datasets (MNIST and its kin), `random_split`, `TensorDataset`, and
// `DataLoader(dataset, batch_size=...)` (PyTorch's default batch size is 1); the loader a training step
// iterates gives the batch size and the steps per epoch.
import type { Span } from '../../ast';
import { type Native, type Val, UNKNOWN, native, nativeOf, norm } from '../../interpret';
import type { Fx } from '../../model';
import type { Handler } from '../api';
import { noteFashion } from '../common';
import { int, literalSpan, perFile } from './state';
import { TorchTensorV } from './tensors';

export const MNIST_TRAIN = 60000;
export const MNIST_TEST = 10000;

interface DataState {
  loaders: DataLoaderV[];
  datasetNoted?: boolean;
}

export const dataState = perFile<DataState>(() => ({ loaders: [] }));

export class DatasetV implements Native {
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

export class DataLoaderV implements Native {
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
export function activeLoader(fx: Fx): DataLoaderV | undefined {
  let best: DataLoaderV | undefined;
  for (const l of dataState(fx).loaders) {
    const at = l.activeAt;
    if (!at || at.length >= fx.loops.length || !at.every((f, i) => f === fx.loops[i])) continue;
    if (!best || (best.activeAt?.length ?? 0) < at.length) best = l;
  }
  return best;
}

export const dataLoader: Handler = (call, fx) => {
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
  dataState(fx).loaders.push(loader);
  return native(loader);
};

/** Once per file (a training and a test set of Fashion-MNIST are one fact); `message` undefined: the Fashion-MNIST note. */
export function datasetNote(fx: Fx, message: string | undefined, span: Span): void {
  const st = dataState(fx);
  if (st.datasetNoted) return;
  st.datasetNoted = true;
  if (message === undefined) noteFashion(fx, span);
  else fx.note(span, message);
}

/** torchvision.datasets.MNIST / FashionMNIST / ... (root, train=True, ...). */
export function dataset(name: string): Handler | undefined {
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

export const randomSplit: Handler = (call) => {
  const ds = nativeOf(call.args[0], DatasetV);
  const sizes = call.arg(1, 'lengths')?.v;
  if (!ds || sizes?.t !== 'list') return UNKNOWN;
  return { t: 'list', items: sizes.items.map((s, i) => native(new DatasetV(int(s), ds.train && i === 0, ds.images))) };
};

export const normalize: Handler = (call, fx) => {
  fx.note(call.expr, 'Gradient Lens feeds pixels scaled to [0, 1]; this normalisation is not applied');
  return UNKNOWN;
};
