// The head of the network: the output layer's activation and the loss on its output, computed in JS from the
// output layer's pre-activations (read back every step anyway), with dLoss/dz for the backward pass.
//
// The common case (a softmax output under a fused cross-entropy: the v1 spec, Keras on a softmax layer,
// `tf.nn.softmax_cross_entropy_with_logits`) keeps its stable float64 path (`softmaxCrossEntropy`). Every
// other pairing is computed the way the framework's graph computes it, op by op in float32: `log(0)` is −∞,
// `0 · log(0)` is NaN, the gradient of `log(p)` is `grad · (1 / p)` (so `0 · ∞` is NaN), `clip_by_value` passes
// no gradient outside its bounds — so a hand-written `-tf.reduce_sum(y_ * tf.log(y))` turns NaN where
// TensorFlow's does, and a double softmax learns as slowly as it does in PyTorch.
import type { Activation, ObjectiveSpec } from './spec';
import { NUM_CLASSES } from './spec';

export interface HeadResult {
  /** The loss as the program computes it (with its reduction). */
  loss: number;
  correct: number;
  /** dLoss/dz of the output layer's pre-activations, n × 10 (with the reduction's scale). */
  grad?: Float32Array;
  /** argmax of the output per row (the first on ties; 0 where the row is NaN, as the comparison never holds). */
  predicted: Uint8Array;
}

const f = Math.fround;
const C = NUM_CLASSES;
const LEAKY_RELU_ALPHA = 0.2; // tf.layers' leakyReLU default, as the hidden layers
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** Mean cross-entropy, correct count and dLoss/dLogits (softmax − one-hot) / n, from logits read back as floats (float64, stable). */
export function softmaxCrossEntropy(logits: Float32Array, labels: ArrayLike<number>, n: number, wantGrad: boolean, probs?: Float32Array): { loss: number; correct: number; grad?: Float32Array; predicted: Uint8Array } {
  const grad = wantGrad ? new Float32Array(n * C) : undefined;
  const predicted = new Uint8Array(n);
  let loss = 0;
  let correct = 0;
  const exps = new Float64Array(C);
  for (let r = 0; r < n; r++) {
    const o = r * C;
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < C; c++) {
      const v = logits[o + c];
      if (v > max) { max = v; arg = c; }
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += (exps[c] = Math.exp(logits[o + c] - max));
    const label = labels[r];
    loss += max + Math.log(sum) - logits[o + label];
    predicted[r] = arg;
    if (arg === label) correct++;
    if (grad || probs) {
      for (let c = 0; c < C; c++) {
        const p = exps[c] / sum;
        if (probs) probs[o + c] = p;
        if (grad) grad[o + c] = (p - (c === label ? 1 : 0)) / n;
      }
    }
  }
  return { loss: loss / n, correct, grad, predicted };
}

/** Whether (activation, objective) takes the stable float64 path. */
export function isFusedHead(activation: Activation, o: ObjectiveSpec): boolean {
  return activation === 'softmax' && o.loss === 'crossEntropy' && o.from === 'probabilities' && o.fused === true;
}

/** One row's softmax in float32 as TensorFlow computes it: exp(z − max) / Σ. */
function softmaxRow(z: ArrayLike<number>, at: number, out: Float32Array, outAt: number): void {
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, z[at + c]); // NaN if any is
  let s = 0;
  for (let c = 0; c < C; c++) {
    const e = f(Math.exp(f(z[at + c] - m)));
    out[outAt + c] = e;
    s = f(s + e);
  }
  for (let c = 0; c < C; c++) out[outAt + c] = f(out[outAt + c] / s);
}

/** The output layer's activation, elementwise in float32 (softmax and logSoftmax per row). */
export function activateOutput(z: Float32Array, n: number, activation: Activation, out: Float32Array): void {
  const len = n * C;
  switch (activation) {
    case 'linear': out.set(z.subarray(0, len)); return;
    case 'relu': for (let i = 0; i < len; i++) out[i] = z[i] > 0 ? z[i] : Number.isNaN(z[i]) ? NaN : 0; return;
    case 'sigmoid': for (let i = 0; i < len; i++) out[i] = f(1 / f(1 + f(Math.exp(-z[i])))); return;
    case 'tanh': for (let i = 0; i < len; i++) out[i] = f(Math.tanh(z[i])); return;
    case 'elu': for (let i = 0; i < len; i++) out[i] = z[i] > 0 ? z[i] : f(Math.expm1(z[i])); return;
    case 'selu': for (let i = 0; i < len; i++) out[i] = f(z[i] > 0 ? SELU_SCALE * z[i] : SELU_SCALE * SELU_ALPHA * Math.expm1(z[i])); return;
    case 'leakyRelu': for (let i = 0; i < len; i++) out[i] = z[i] > 0 ? z[i] : f(LEAKY_RELU_ALPHA * z[i]); return;
    case 'softmax': for (let r = 0; r < n; r++) softmaxRow(z, r * C, out, r * C); return;
    case 'logSoftmax':
      for (let r = 0; r < n; r++) {
        const at = r * C;
        let m = -Infinity;
        for (let c = 0; c < C; c++) m = Math.max(m, z[at + c]);
        let s = 0;
        for (let c = 0; c < C; c++) s = f(s + f(Math.exp(f(z[at + c] - m))));
        const lse = f(Math.log(s));
        for (let c = 0; c < C; c++) out[at + c] = f(f(z[at + c] - m) - lse);
      }
      return;
  }
}

/** dLoss/dz from dLoss/do through the output activation (o = act(z)), in place into `dz`. */
function activationBackward(z: Float32Array, o: Float32Array, dOut: Float32Array, n: number, activation: Activation, dz: Float32Array): void {
  const len = n * C;
  switch (activation) {
    case 'linear': dz.set(dOut.subarray(0, len)); return;
    // ReluGrad selects: no gradient where z ≤ 0 (a NaN there does not pass)
    case 'relu': for (let i = 0; i < len; i++) dz[i] = z[i] > 0 ? dOut[i] : 0; return;
    case 'sigmoid': for (let i = 0; i < len; i++) dz[i] = f(dOut[i] * f(o[i] * f(1 - o[i]))); return;
    case 'tanh': for (let i = 0; i < len; i++) dz[i] = f(dOut[i] * f(1 - f(o[i] * o[i]))); return;
    case 'elu': for (let i = 0; i < len; i++) dz[i] = z[i] > 0 ? dOut[i] : f(dOut[i] * f(o[i] + 1)); return;
    case 'selu': for (let i = 0; i < len; i++) dz[i] = f(dOut[i] * (z[i] > 0 ? SELU_SCALE : f(o[i] + SELU_SCALE * SELU_ALPHA))); return;
    case 'leakyRelu': for (let i = 0; i < len; i++) dz[i] = z[i] > 0 ? dOut[i] : f(dOut[i] * LEAKY_RELU_ALPHA); return;
    case 'softmax':
      // SoftmaxGrad: (g − Σ g·p) · p
      for (let r = 0; r < n; r++) {
        const at = r * C;
        let s = 0;
        for (let c = 0; c < C; c++) s = f(s + f(dOut[at + c] * o[at + c]));
        for (let c = 0; c < C; c++) dz[at + c] = f(f(dOut[at + c] - s) * o[at + c]);
      }
      return;
    case 'logSoftmax':
      // g − softmax(z) · Σ g, softmax(z) = exp(o)
      for (let r = 0; r < n; r++) {
        const at = r * C;
        let s = 0;
        for (let c = 0; c < C; c++) s = f(s + dOut[at + c]);
        for (let c = 0; c < C; c++) dz[at + c] = f(dOut[at + c] - f(f(Math.exp(o[at + c])) * s));
      }
      return;
  }
}

/**
 * The loss elements' sum and dSum/do for one objective on the output `o` (float32, op by op). Returns the
 * number of loss elements (for a mean).
 */
function lossOnOutput(o: Float32Array, labels: ArrayLike<number>, n: number, obj: ObjectiveSpec, dOut: Float32Array | undefined): { sum: number; count: number } {
  let sum = 0;
  const row = new Float32Array(C);
  const q = new Float32Array(C);
  if (obj.loss === 'crossEntropy' && obj.from === 'logits') {
    for (let r = 0; r < n; r++) {
      const at = r * C;
      const y = labels[r];
      // log-softmax of the output, stable (softmax_cross_entropy_with_logits, CrossEntropyLoss)
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, o[at + c]);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(o[at + c] - m);
      sum += m + Math.log(s) - o[at + y];
      if (dOut) for (let c = 0; c < C; c++) dOut[at + c] = f(Math.exp(o[at + c] - m) / s - (c === y ? 1 : 0));
    }
    return { sum, count: n };
  }
  if (obj.loss === 'crossEntropy' && obj.from === 'logProbabilities') {
    for (let r = 0; r < n; r++) {
      sum += -o[r * C + labels[r]];
      if (dOut) for (let c = 0; c < C; c++) dOut[r * C + c] = c === labels[r] ? -1 : 0;
    }
    return { sum, count: n };
  }
  if (obj.loss === 'meanSquaredError') {
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < C; c++) {
        const d = f(o[r * C + c] - (c === labels[r] ? 1 : 0));
        sum = f(sum + f(d * d));
        if (dOut) dOut[r * C + c] = f(2 * d);
      }
    }
    return { sum, count: n * C };
  }
  if (obj.loss === 'binaryCrossEntropy' && obj.from === 'logits') {
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < C; c++) {
        const x = o[r * C + c];
        const y = c === labels[r] ? 1 : 0;
        sum += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
        if (dOut) dOut[r * C + c] = f(1 / (1 + Math.exp(-x)) - y);
      }
    }
    return { sum, count: n * C };
  }
  // From probabilities, as written: normalise, clip, add the offset, take the log (float32, TensorFlow's gradients).
  const [lo, hi] = obj.clip ?? [0, 1];
  const clip = obj.clip !== undefined;
  const off = obj.logOffset ?? 0;
  const log = (x: number): number => f(Math.log(x));
  for (let r = 0; r < n; r++) {
    const at = r * C;
    const y = labels[r];
    if (obj.clipFirst && obj.loss === 'crossEntropy') {
      sum = f(sum + clipThenNormalise(o, at, y, lo, hi, off, dOut));
      continue;
    }
    let total = 0;
    if (obj.normalize) for (let c = 0; c < C; c++) total = f(total + o[at + c]);
    for (let c = 0; c < C; c++) {
      row[c] = obj.normalize ? f(o[at + c] / total) : o[at + c];
      q[c] = clip ? (row[c] < lo ? lo : row[c] > hi ? hi : row[c]) : row[c];
    }
    if (obj.loss === 'crossEntropy') {
      // −Σ y·log(q + off): every class's term, so 0 · log(0) = NaN as in TensorFlow
      let s = 0;
      for (let c = 0; c < C; c++) s = f(s + f((c === y ? 1 : 0) * log(f(q[c] + off))));
      sum = f(sum - s);
      if (dOut) for (let c = 0; c < C; c++) dOut[at + c] = f(-(c === y ? 1 : 0) * f(1 / f(q[c] + off)));
    } else {
      // binary: −[y·log(q + off) + (1 − y)·log(1 − q + off)] per class
      if (obj.logFloor !== undefined) {
        // PyTorch's BCELoss: logs clamped at logFloor, gradient (q − y) / max(q·(1 − q), 1e-12)
        const lf = obj.logFloor;
        for (let c = 0; c < C; c++) {
          const t = c === y ? 1 : 0;
          const a = Math.max(log(q[c]), lf);
          const b = Math.max(log(f(1 - q[c])), lf);
          sum = f(sum - f(f(t * a) + f((1 - t) * b)));
          if (dOut) dOut[at + c] = f(f(q[c] - t) / Math.max(f(f(1 - q[c]) * q[c]), 1e-12));
        }
        continue;
      }
      for (let c = 0; c < C; c++) {
        const t = c === y ? 1 : 0;
        const a = log(f(q[c] + off));
        const b = log(f(f(1 - q[c]) + off));
        sum = f(sum - f(f(t * a) + f((1 - t) * b)));
        if (dOut) dOut[at + c] = f(f(-t * f(1 / f(q[c] + off))) + f((1 - t) * f(1 / f(f(1 - q[c]) + off))));
      }
    }
    if (dOut) {
      // clip_by_value passes no gradient outside [lo, hi] (a select: not even a NaN)
      if (clip) for (let c = 0; c < C; c++) if (row[c] < lo || row[c] > hi) dOut[at + c] = 0;
      if (obj.normalize) {
        // q = o / total: do_c = dq_c / total − Σ_j dq_j · o_j / total²
        let s = 0;
        for (let c = 0; c < C; c++) s = f(s + f(dOut[at + c] * o[at + c]));
        const t2 = f(total * total);
        for (let c = 0; c < C; c++) dOut[at + c] = f(f(dOut[at + c] / total) - f(s / t2));
      }
    }
  }
  return { sum, count: obj.loss === 'crossEntropy' ? n : n * C };
}

/**
 * One example of Keras's sparse_categorical_crossentropy from probabilities (keras/src/backend/tensorflow/nn.py):
 * l = log(clip(o, lo, hi) + off), then tf.nn.sparse_softmax_cross_entropy_with_logits(l): logsumexp(l) − l_y, i.e.
 * −log(clip(o_y) / Σ clip(o)). Gradient as TensorFlow's: dl = softmax(l) − onehot, do = dl / q inside [lo, hi], 0
 * outside (clip_by_value's select). Float32 throughout. Returns the example's loss; writes dOut[at …] when given.
 */
function clipThenNormalise(o: ArrayLike<number>, at: number, y: number, lo: number, hi: number, off: number, dOut: Float32Array | undefined): number {
  const q = new Float32Array(C);
  const l = new Float32Array(C);
  let m = -Infinity;
  for (let c = 0; c < C; c++) {
    const v = o[at + c];
    q[c] = v < lo ? lo : v > hi ? hi : v;
    l[c] = Math.log(f(q[c] + off));
    if (l[c] > m) m = l[c];
  }
  let se = 0;
  for (let c = 0; c < C; c++) se = f(se + Math.exp(f(l[c] - m)));
  const loss = f(f(m + Math.log(se)) - l[y]);
  if (dOut) {
    for (let c = 0; c < C; c++) {
      const v = o[at + c];
      const dl = f(f(Math.exp(f(l[c] - m)) / se) - (c === y ? 1 : 0));
      dOut[at + c] = v < lo || v > hi ? 0 : f(dl * f(1 / f(q[c] + off)));
    }
  }
  return loss;
}

/**
 * The loss of the output layer's pre-activations `z` (n × 10) under its activation and the objective, the correct
 * count (argmax of the output), and dLoss/dz. `outputs`, when given, receives the output as the program has it.
 */
export function lossHead(z: Float32Array, labels: ArrayLike<number>, n: number, activation: Activation, obj: ObjectiveSpec, wantGrad: boolean, outputs?: Float32Array): HeadResult {
  if (isFusedHead(activation, obj)) {
    const r = softmaxCrossEntropy(z, labels, n, wantGrad, outputs);
    if (obj.reduction === 'sum') {
      r.loss *= n;
      if (r.grad) for (let i = 0; i < r.grad.length; i++) r.grad[i] *= n;
    }
    return r;
  }
  const o = outputs ?? new Float32Array(n * C);
  activateOutput(z, n, activation, o);
  const dOut = wantGrad ? new Float32Array(n * C) : undefined;
  const { sum, count } = lossOnOutput(o, labels, n, obj, dOut);
  const divisor = obj.reduction === 'mean' ? count : obj.reduction === 'meanAll' ? n * C : 1;
  const scale = 1 / divisor;
  const predicted = new Uint8Array(n);
  let correct = 0;
  for (let r = 0; r < n; r++) {
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < C; c++) if (o[r * C + c] > max) { max = o[r * C + c]; arg = c; }
    predicted[r] = arg;
    if (arg === labels[r]) correct++;
  }
  let grad: Float32Array | undefined;
  if (dOut) {
    grad = new Float32Array(n * C);
    activationBackward(z, o, dOut, n, activation, grad);
    if (scale !== 1) for (let i = 0; i < grad.length; i++) grad[i] = f(grad[i] * scale);
  }
  return { loss: sum / divisor, correct, grad, predicted };
}
