// One-hot labels: `keras.utils.to_categorical(y_train)` (also `np_utils.to_categorical`, `tf.keras.utils`)
// makes an array of (rows, classes), so a model that reads its output width from the labels —
// `Dense(y_train.shape[1])`, `num_classes = y_test.shape[1]` — gets it: `num_classes` when given, else,
// for MNIST's labels (digits 0–9, what the file's loaders give), 10.
import { type Val, UNKNOWN, native, nativeOf } from '../interpret';
import { DataV } from '../model';
import type { FrameworkModule, Handler } from './api';

/** MNIST's classes: what `to_categorical` infers from its labels (max + 1). */
const MNIST_CLASSES = 10;

const toCategorical: Handler = (call) => {
  const labels = nativeOf(call.arg(0, 'y')?.v, DataV);
  const n = call.arg(1, 'numclasses', 'nbclasses')?.v;
  const classes = n?.t === 'num' && Number.isInteger(n.v) && n.v > 0 ? n.v : labels ? MNIST_CLASSES : undefined;
  if (!labels && classes === undefined) return UNKNOWN;
  // one-hot rows of the labels given: what a sparse_* loss then refuses (tfLoss.ts reads `info.oneHot`)
  const out: Val = native(new DataV(labels?.rows, classes, labels?.info ? { ...labels.info, labels: true, oneHot: true } : undefined));
  return out;
};

function resolve(path: string): Handler | undefined {
  return /^keras\.utils(\.np_utils)?\.to_categorical$/.test(path) ? toCategorical : undefined;
}

export const labels: FrameworkModule = {
  id: 'labels',
  dialects: ['python'],
  resolve,
};
