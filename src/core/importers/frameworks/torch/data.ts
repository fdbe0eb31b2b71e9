// The data in PyTorch code: torchvision datasets (MNIST and its kin), `random_split`, `TensorDataset`, and
// `DataLoader(dataset, batch_size=...)` (PyTorch's default batch size is 1); the loader a training step
// iterates gives the batch size and the steps per epoch.
import type { Span } from '../../ast';
import { type Native, type Val, UNKNOWN, native, nativeOf, norm } from '../../interpret';
import { DataV } from '../../model';
import type { Fx } from '../../model';
import { type PixelScale, deviate, scalePixels } from './record';
import type { Handler } from '../api';
import { noteFashion } from '../common';
import { int, literalSpan, num, perFile } from './state';
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
  /** How its images' values come from the pixel bytes (undefined: not known). */
  pixels?: PixelScale;
  /** A torchvision dataset without a transform: its items are PIL images, which a DataLoader cannot batch. */
  pil?: Span;
  /** Made from tensors whose pixel scale is not known here (numpy data): where. */
  unknownPixels?: Span;
  /** `images`: 28×28 grey images (MNIST and its kin), so an item is [1, 28, 28] and there are 10 classes. */
  constructor(readonly examples: number | undefined, readonly train: boolean, readonly images = false) {}
  withPixels(p: PixelScale | undefined): this {
    this.pixels = p;
    return this;
  }
  len(): number | undefined {
    return this.examples;
  }
  index(): Val {
    const x = new TorchTensorV('input', true).withDims(this.images ? [1, 28, 28] : undefined).withPixels(this.pixels);
    return { t: 'list', items: [native(x), UNKNOWN], tuple: true };
  }
  element(): Val {
    return this.index();
  }
  attr(name: string, _fx: Fx, at: Span): Val | undefined {
    if (name === 'classes' && this.images) return { t: 'list', items: Array.from({ length: 10 }, (_, i) => ({ t: 'str', v: String(i) })) };
    // torchvision's MNIST.data: the uint8 pixels [N, 28, 28], unscaled (the transform applies to items only)
    if ((name === 'data' || name === 'train_data' || name === 'test_data') && this.images) {
      return native(new TorchTensorV('input', true).withDims([this.examples ?? MNIST_TRAIN, 28, 28]).withPixels({ divideBy: 1, rawAt: at }));
    }
    return undefined;
  }
}

export class DataLoaderV implements Native {
  readonly kind = 'DataLoader';
  /** The loops enclosing the last `for ... in loader` (the loader's own loop is pushed right after). */
  activeAt?: readonly unknown[];
  shuffle = false;
  constructor(readonly dataset: DatasetV | undefined, readonly batch: number, readonly batchSpan: Span, readonly dropLast: boolean, readonly span?: Span) {}
  len(): number | undefined {
    const n = this.dataset?.examples;
    if (n === undefined) return undefined;
    return this.dropLast ? Math.floor(n / this.batch) : Math.ceil(n / this.batch);
  }
  element(host: Fx): Val {
    this.activeAt = [...host.loops];
    const x = new TorchTensorV('input', true).withDims(this.dataset?.images ? [this.batch, 1, 28, 28] : undefined).withPixels(this.dataset?.pixels);
    x.unknownPixels = this.dataset?.unknownPixels;
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
  const loader = new DataLoaderV(dataset, batch, batchSpan, dl?.t === 'bool' && dl.v, call.expr);
  const sh = call.arg(2, 'shuffle')?.v;
  loader.shuffle = sh?.t === 'bool' && sh.v;
  if (dataset?.pil) deviate(fx, dataset.pil, 'this dataset has no transform, so its items are PIL images, and the DataLoader raises a TypeError when it batches them (add transform=transforms.ToTensor()): trained as with transforms.ToTensor()');
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
    const ds = new DatasetV(mnistLike ? (train ? MNIST_TRAIN : MNIST_TEST) : undefined, train, mnistLike);
    const tr2 = call.arg(2, 'transform');
    const tf = nativeOf(tr2?.v, TransformV);
    if (tf) ds.pixels = tf.apply({ divideBy: 1 });
    else if (!tr2 || tr2.v.t === 'none') {
      ds.pil = call.expr;
      ds.pixels = { divideBy: 255, scaledAt: call.expr };
    }
    return native(ds);
  };
}

export const randomSplit: Handler = (call) => {
  const ds = nativeOf(call.args[0], DatasetV);
  const sizes = call.arg(1, 'lengths')?.v;
  if (!ds || sizes?.t !== 'list') return UNKNOWN;
  return { t: 'list', items: sizes.items.map((s, i) => native(new DatasetV(int(s), ds.train && i === 0, ds.images).withPixels(ds.pixels))) };
};

/** `Subset(dataset, range(5000))`: the first examples (or as many as the indices). */
export const subset: Handler = (call) => {
  const ds = nativeOf(call.args[0], DatasetV);
  const idx = call.arg(1, 'indices')?.v;
  if (!ds) return UNKNOWN;
  const n = idx?.t === 'range' ? Math.max(0, Math.ceil((idx.stop - idx.start) / idx.step)) : idx?.t === 'list' ? idx.items.length : undefined;
  return native(new DatasetV(n, ds.train, ds.images).withPixels(ds.pixels));
};

/** `TensorDataset(x, y)`: as many examples as x has rows, its pixels as x carries them. */
export const tensorDataset: Handler = (call) => {
  const x = call.args[0];
  const t = nativeOf(x, TorchTensorV);
  const rows = t?.dims?.[0] ?? nativeOf(x, DataV)?.rows;
  const ds = new DatasetV(rows, true, t?.dims?.length === 3 || t?.dims?.[1] === 784).withPixels(t?.pixels);
  ds.unknownPixels = t?.unknownPixels;
  return native(ds);
};

/**
 * `torch.tensor(x, dtype=torch.float32)`, `torch.from_numpy(x)`, `torch.Tensor(x)`, `torch.FloatTensor(x)`: a tensor of
 * examples. From a tensor it keeps its pixels; from bytes the program read itself (a uint8 numpy array) they are the
 * raw pixels; from another numpy array (read by the TensorFlow family's readers) how its values are scaled is not known here.
 */
export const tensorOf: Handler = (call, fx) => {
  const x = call.args[0];
  const t = nativeOf(x, TorchTensorV);
  if (t && t.source === 'input') {
    const p = t.pixels && !t.pixels.scaledAt ? { ...t.pixels, rawAt: call.expr } : t.pixels;
    return native(new TorchTensorV('input', true).withDims(t.dims).withPixels(p));
  }
  const d = nativeOf(x, DataV);
  if (!d) return undefined;
  fx.session.looksLikeModel = true;
  const out = new TorchTensorV('input', true).withDims(d.rows === undefined ? undefined : [d.rows, d.width ?? 784]);
  // bytes the program read itself (frameworks/bytes.ts): raw pixels, made a tensor here (where `/ 255.` goes)
  const info = d.info;
  if (info?.bytes && !info.labels && !info.unknownScale) return native(out.withPixels({ divideBy: 1, rawAt: call.expr }));
  out.unknownPixels = call.expr;
  return native(out);
};

/** torchvision.transforms: what each does to the pixels (a PIL image's bytes). */
class TransformV implements Native {
  readonly kind = 'transform';
  constructor(readonly apply: (p: PixelScale) => PixelScale | undefined) {}
}

const readTuple = (v: Val | undefined): number | undefined => {
  if (v?.t === 'num') return v.v;
  if (v?.t === 'list' && v.items.length >= 1 && v.items.every((x) => x.t === 'num' && x.v === (v.items[0] as { v: number }).v)) return num(v.items[0]);
  return undefined;
};

export function transform(name: string): Handler | undefined {
  switch (name) {
    case 'ToTensor': return (call) => native(new TransformV((p) => ({ ...p, divideBy: p.divideBy * 255, scaledAt: call.expr })));
    case 'PILToTensor': return (call) => native(new TransformV((p) => ({ ...p, rawAt: call.expr, pilToTensor: { span: call.expr, callee: call.expr.callee } })));
    case 'ConvertImageDtype': return (call) => native(new TransformV((p) => ({ ...p, divideBy: p.divideBy * 255, scaledAt: call.expr, rawAt: undefined, pilToTensor: undefined })));
    case 'Normalize': return (call, fx) => {
      const m = readTuple(call.arg(0, 'mean')?.v);
      const s = readTuple(call.arg(1, 'std')?.v);
      if (m === undefined || s === undefined || s === 0) {
        deviate(fx, call.expr, `could not read this normalisation (${fx.src(call.expr)}): trained without it`);
        return native(new TransformV((p) => p));
      }
      return native(new TransformV((p) => {
        const a = scalePixels(p, '-', m, call.expr);
        return a && scalePixels(a, '/', s, call.expr);
      }));
    };
    case 'Compose': return (call) => {
      const list = call.args[0];
      const items = list?.t === 'list' ? list.items.map((v) => nativeOf(v, TransformV)) : [];
      return native(new TransformV((p) => items.reduce<PixelScale | undefined>((acc, tr) => (acc && tr ? tr.apply(acc) : acc), p)));
    };
    case 'Lambda': return () => native(new TransformV((p) => p));
    default: return (call, fx) => {
      deviate(fx, call.expr, `transforms.${name} is not part of the model spec (which feeds each image as it is): trained without it`);
      return native(new TransformV((p) => p));
    };
  }
}
