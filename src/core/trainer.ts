// The trainer: runs a training program's spec (spec.ts) on MNIST with TensorFlow.js — its input scaling, dense
// layers (bias, dropout), output activation and loss (objective.ts), update extras (updateExtras.ts) and loop.
//
// Forward and backward passes are written out with tfjs ops (no tape): an MLP's gradients are a few
// matrix products, and writing them explicitly lets one pass serve both the training step and the
// probe (which needs every layer's pre-activations and gradients), avoids the tape's bookkeeping per
// step, and keeps the op count per step small. test/unit/trainer.test.ts checks these gradients
// against tf.grads.
//
// The output layer's activation and the loss are computed in JS from its pre-activations, which are read back
// every step anyway to report the loss (objective.ts): the common softmax cross-entropy in float64 (stable
// log-sum-exp), every other pairing op by op in float32 as the framework computes it; dLoss/dz is uploaded as
// one small tensor.
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import type { LoadedBackend, TF } from './backend';
import type { BackendName } from './events';
import { createParams, type ParamSet } from './optimizers';
import { nativeKernels, type NativeKernels } from './nativeOps';
import type { EndEvent, EvalEvent, ProbeData, TrainingEvent, LayerProbe } from './events';
import { type MnistData, type MnistSplit, type PixelTransform, IMAGE_SIZE, batchImages, classShares } from './mnist';
import { type ModelSpec, type Activation, fanIn, parameterCount, NUM_CLASSES, objectiveOf, pixelTransform } from './spec';
import { lossHead, softmaxCrossEntropy } from './objective';
import { GradientExtras, hasGradientExtras, regularizationLoss, scheduledRate } from './updateExtras';
import { initialValues } from './initializers';
import { Rng } from './rng';

export interface TrainerOptions {
  backend: LoadedBackend;
  data: MnistData;
  /** Probe every N steps (and once at step 0). 0 disables probing. Default 50. */
  probeEvery?: number;
  /** Size of the fixed probe batch (the first N test images). Default 256. */
  probeExamples?: number;
  /** Evaluate on the full test set every N steps; 0 = only the final evaluation. Default 0. */
  evalEvery?: number;
  /** Shuffle the training set each epoch (from the spec's seed) instead of taking batches in order. */
  shuffle?: boolean;
  /** Cooperative stop, checked between steps. */
  signal?: AbortSignal;
  onEvent?: (e: TrainingEvent) => void;
  onProbe?: (p: ProbeData) => void;
  /** Milliseconds; injectable for tests. */
  clock?: () => number;
  /** Yield to the event loop when this many ms have passed since the last yield (default 100), so IPC gets through. */
  yieldEveryMs?: number;
  /**
   * In-order batches (ResidentBatches): uploaded before the first step (true, the default: a step's tensor count
   * never grows), or each at its first use, outside the clock (false: the first step comes sooner; the editor's
   * training process, for the latency from the click to the first step).
   */
  uploadAhead?: boolean;
}

/** Where a run's time went (ms, summed over the run): the training loop's parts, and the evaluations outside it. */
export interface PhaseTimes {
  /** Batch preparation, the forward pass, reading the logits back, the loss and dLoss/dLogits in JS and its upload. */
  forwardMs: number;
  /** The backward pass: every weight and bias gradient. */
  backwardMs: number;
  /** The optimizer's parameter update. */
  updateMs: number;
  /** Probes (forward + backward on the probe batch, reading back, the onProbe hook). */
  probeMs: number;
  /** Test-set evaluations (not part of trainMs). */
  evalMs: number;
}

export interface TrainResult {
  end: EndEvent;
  finalEval?: EvalEvent;
  phases: PhaseTimes;
}

export const DEFAULT_PROBE_EVERY = 50;
export const DEFAULT_PROBE_EXAMPLES = 256;
export const EVAL_CHUNK = 2000;
const LEAKY_RELU_ALPHA = 0.2; // tf.layers' leakyReLU default
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

type FusedActivation = 'linear' | 'relu' | 'elu' | 'sigmoid' | 'leakyrelu';
const FUSED: Partial<Record<Activation, FusedActivation>> = {
  linear: 'linear', relu: 'relu', elu: 'elu', sigmoid: 'sigmoid', leakyRelu: 'leakyrelu', softmax: 'linear',
};

export { softmaxCrossEntropy };

interface Pass {
  /** Layer outputs; outputs[0] is the input batch, outputs[l + 1] layer l's activation (the last is the logits). */
  outputs: Tensor2D[];
  /** Pre-activations, only when kept for a probe. */
  pre: Tensor2D[];
  /** Training with dropout: per hidden layer, its mask (0 or 1 / (1 − rate)) and its output before the mask. */
  dropout?: ({ mask: Tensor2D; kept: Tensor2D } | undefined)[];
}

/** The network: variables, forward and backward. Owns every tensor it creates. (Exported for sweep.ts, which reuses its per-layer ops.) */
export class Mlp {
  readonly params: ParamSet;

  /** matMul's transpose flags cost nothing on this backend (all but wasm). */
  private readonly transposeFlags: boolean;
  /** tfjs-node's fused matMul is matMul + add + activation wrapped in a tidy, ≈ 65 µs slower than the three ops. */
  private readonly unfusedForward: boolean;
  /** tensorflow: MatMul, ReluGrad and BiasAddGrad called directly, one TensorFlow op each (src/core/nativeOps.ts). */
  private readonly native: NativeKernels | undefined;

  constructor(private readonly tf: TF, private readonly spec: ModelSpec, private readonly backendName: BackendName) {
    this.transposeFlags = backendName !== 'wasm';
    this.unfusedForward = backendName === 'tensorflow';
    this.native = backendName === 'tensorflow' ? nativeKernels(tf) : undefined;
    const kernels: Tensor2D[] = [];
    const biases: Tensor1D[] = [];
    spec.layers.forEach((layer, l) => {
      const fin = fanIn(spec, l);
      const k = initialValues(layer.kernelInitializer, fin * layer.units, fin, layer.units, Rng.derive(spec.seed, l, 0));
      const b = initialValues(layer.biasInitializer, layer.units, fin, layer.units, Rng.derive(spec.seed, l, 1));
      kernels.push(tf.tensor2d(k, [fin, layer.units]));
      biases.push(tf.tensor1d(b));
    });
    try {
      this.params = createParams(tf, spec.optimizer, kernels, biases);
    } finally {
      tf.dispose([...kernels, ...biases]);
    }
  }

  get kernels(): Tensor2D[] {
    return this.params.kernels;
  }

  get biases(): Tensor1D[] {
    return this.params.biases;
  }

  private activate(z: Tensor2D, activation: Activation): Tensor2D {
    const tf = this.tf;
    switch (activation) {
      case 'relu': return tf.relu(z);
      case 'sigmoid': return tf.sigmoid(z);
      case 'tanh': return tf.tanh(z);
      case 'elu': return tf.elu(z);
      case 'selu': return tf.selu(z);
      case 'leakyRelu': return tf.leakyRelu(z, LEAKY_RELU_ALPHA);
      case 'linear':
      case 'softmax':
      case 'logSoftmax': return z; // the output layer's activation is applied in JS together with the loss
    }
  }

  /**
   * One dense layer: a = activation(h · kernel + bias), per backend in its cheapest exact form. With keepPre, also
   * the pre-activation z (a === z for a linear layer). The caller disposes what it gets.
   */
  dense(h: Tensor2D, kernel: Tensor2D, bias: Tensor1D, activation: Activation, keepPre: boolean): { a: Tensor2D; z?: Tensor2D } {
    const tf = this.tf;
    const fused = FUSED[activation];
    if (this.unfusedForward) {
      const m = this.native ? this.native.matMul(h, kernel, false, false) : tf.matMul(h, kernel);
      const z = tf.add(m, bias) as Tensor2D;
      m.dispose();
      const a = this.activate(z, activation);
      if (keepPre) return { a, z };
      if (a !== z) z.dispose();
      return { a };
    }
    if (!keepPre && fused) {
      return { a: tf.fused.matMul({ a: h, b: kernel, bias, activation: fused, leakyreluAlpha: LEAKY_RELU_ALPHA }) as Tensor2D };
    }
    const z = tf.fused.matMul({ a: h, b: kernel, bias }) as Tensor2D;
    const a = this.activate(z, activation);
    if (keepPre) return { a, z };
    if (a !== z) z.dispose(); // activations without a fused kernel (tanh, selu): z is ours to free
    return { a };
  }

  /** Forward pass. With keepPre, also returns each layer's pre-activation (probes). Caller disposes (except x). */
  forward(x: Tensor2D, keepPre: boolean, masks?: (Tensor2D | undefined)[]): Pass {
    const tf = this.tf;
    const outputs: Tensor2D[] = [x];
    const pre: Tensor2D[] = [];
    const last = this.spec.layers.length - 1;
    const dropout: Pass['dropout'] = masks ? [] : undefined;
    this.spec.layers.forEach((spec, l) => {
      // the output layer's activation belongs to the head (objective.ts): here its output is its pre-activation
      const { a, z } = this.dense(outputs[l], this.kernels[l], this.biases[l], l === last ? 'linear' : spec.activation, keepPre);
      if (z) pre.push(z);
      outputs.push(a);
      const mask = masks?.[l];
      if (mask && dropout) {
        const kept = outputs[l + 1];
        dropout[l] = { mask, kept };
        outputs[l + 1] = tf.mul(kept, mask);
      }
    });
    return { outputs, pre, dropout };
  }

  /**
   * dLoss/dz from dLoss/dh for a hidden layer, through the layer's output h (every activation's derivative can be
   * written in h). Per backend, the cheapest exact form: tensorflow's Step kernel is ≈ 30× slower than Sign, and
   * the wasm backend's comparisons (greater, where) ≈ 20× slower than its Step (docs/performance.md).
   */
  activationGrad(dh: Tensor2D, h: Tensor2D, activation: Activation): Tensor2D {
    const tf = this.tf;
    const native = this.backendName === 'tensorflow';
    switch (activation) {
      // relu'(z) = 1 where h > 0, else 0 (relu'(0) = 0, as tf.relu's gradient); h ≥ 0, so sign(h) is that too
      case 'relu': return this.native ? this.native.reluGrad(dh, h) : tf.mul(dh, native ? tf.sign(h) : tf.step(h));
      case 'sigmoid': return tf.mul(dh, tf.mul(h, tf.sub(1, h)));
      case 'tanh': return tf.mul(dh, tf.sub(1, tf.square(h)));
      // elu'(z) = 1 for z > 0 (h > 0) and e^z = h + 1 for z ≤ 0 (h ≤ 0): min(h + 1, 1), with no comparison op
      case 'elu': return tf.mul(dh, tf.minimum(tf.add(h, 1), 1));
      case 'selu': return tf.mul(dh, tf.where(tf.greater(h, 0), tf.fill(h.shape, SELU_SCALE), tf.add(h, SELU_SCALE * SELU_ALPHA)) as Tensor2D);
      // step(h, α) is 1 where h > 0, else α: leakyRelu's derivative
      case 'leakyRelu': return tf.mul(dh, native ? tf.where(tf.greater(h, 0), tf.onesLike(h), tf.fill(h.shape, LEAKY_RELU_ALPHA)) : tf.step(h, LEAKY_RELU_ALPHA));
      case 'linear':
      case 'softmax':
      case 'logSoftmax': return dh;
    }
  }

  /** dLoss/dW = hᵀ · dz. */
  kernelGrad(h: Tensor2D, dz: Tensor2D): Tensor2D {
    const tf = this.tf;
    // wasm: an explicit transpose then a plain product. Its matMul with a transpose flag leaves XNNPACK for a
    // naive loop, ≈ 11× slower than the transpose itself; tensorflow and cpu take the flags for free.
    if (this.native) return this.native.matMul(h, dz, true, false);
    return this.transposeFlags ? tf.matMul(h, dz, true, false) : tf.matMul(tf.transpose(h), dz);
  }

  /** dLoss/dh = dz · Wᵀ, for a layer with `batch` rows, W of fanIn × units. */
  inputGrad(dz: Tensor2D, w: Tensor2D, batch: number): Tensor2D {
    const tf = this.tf;
    if (this.native) return this.native.matMul(dz, w, false, true);
    if (this.transposeFlags) return tf.matMul(dz, w, false, true);
    const [k, n] = w.shape;
    // wasm: XNNPACK packs (copies and re-tiles) the right-hand operand of every product whose right operand is a
    // new tensor, and W is new every step. dz · transpose(W) transposes and packs k·n floats; (W · dzᵀ)ᵀ, with W
    // as the left operand, transposes and packs the batch-sized dz instead and transposes the batch-sized result:
    // the cheaper one wins (≈ 8 ms less per 1024 × 1024 layer at batch 256).
    if (batch * (2 * n + k) < 2 * k * n) return tf.transpose(tf.matMul(w, tf.transpose(dz))) as Tensor2D;
    return tf.matMul(dz, tf.transpose(w));
  }

  /** dLoss/db = column sums of dz. */
  biasGrad(dz: Tensor2D): Tensor {
    return this.native ? this.native.biasGrad(dz) : this.tf.sum(dz, 0);
  }

  /** Gradients of the mean loss for every kernel and bias, given dLoss/dLogits. Returned tensors are the caller's. */
  backward(pass: Pass, dLogits: Tensor2D): { kernels: Tensor2D[]; biases: Tensor[] } {
    const tf = this.tf;
    const L = this.spec.layers.length;
    const kernels: Tensor2D[] = new Array(L);
    const biases: Tensor[] = new Array(L);
    const batch = dLogits.shape[0];
    let dz = dLogits;
    for (let l = L - 1; l >= 0; l--) {
      const hPrev = pass.outputs[l];
      tf.tidy(() => {
        kernels[l] = tf.keep(this.kernelGrad(hPrev, dz));
        biases[l] = tf.keep(this.biasGrad(dz));
      });
      if (l > 0) {
        // through a dropout mask first (dh of the kept output), then the activation at its unmasked output
        const d = pass.dropout?.[l - 1];
        const next = tf.tidy(() => {
          const dh = this.inputGrad(dz, this.kernels[l], batch);
          return this.activationGrad(d ? tf.mul(dh, d.mask) : dh, d ? d.kept : pass.outputs[l], this.spec.layers[l - 1].activation);
        });
        if (dz !== dLogits) dz.dispose();
        dz = next;
      }
    }
    if (dz !== dLogits) dz.dispose();
    return { kernels, biases };
  }

  dispose(): void {
    this.params.dispose();
  }
}

/**
 * In-order batches kept in the backend as float32 tensors, uploaded outside the training clock — as the
 * PyTorch reference holds its whole dataset as float tensors. `create` uploads them all first; `lazy` uploads each
 * at its first use (the first step comes at once instead of after the whole upload, ≈ 0.3–2.5 s), and the time
 * that took is `uploadedMs`, which the trainer leaves out of its clock. Batch k is rows kB … kB + B − 1 of the training
 * set, wrapping around at its end.
 *  - When the batch size divides the training set, batch k of every epoch is the same tensor: only the batches
 *    the run will use are uploaded (at most one epoch: 60,000 × 784 floats = 188 MB) and a step uploads nothing.
 *    A slice of one large resident tensor would be simpler, but the wasm backend's Slice copies through JS
 *    (≈ 24 ms for [100, 784] out of [6000, 784]; docs/performance.md).
 *  - Otherwise, on tensorflow (whose Slice is a native copy, ≈ 30 µs), the rows the run will use stay resident as
 *    one tensor and a step slices its batch out (two slices and a concat where it wraps). Elsewhere such batches
 *    are gathered and uploaded each step, like shuffled ones.
 * tfjs-node creates a tensor's TensorFlow copy at its first use; it is forced here, before the clock.
 */
export class ResidentBatches {
  private readonly batches: Tensor2D[] = [];
  /** Not divisible: the rows in chunks of chunkRows (uploaded one at a time, so the JS copy stays small). */
  private readonly chunks: Tensor2D[] = [];
  private readonly rows: number;
  /** Batches mode: how many distinct batches the run uses. */
  private readonly count: number;
  private uploadMs = 0;

  static usable(tf: TF, split: MnistSplit, spec: ModelSpec, shuffle: boolean): boolean {
    return !shuffle && (split.count % spec.batchSize === 0 || tf.getBackend() === 'tensorflow');
  }

  constructor(private readonly tf: TF, split: MnistSplit, private readonly batchSize: number, steps: number, private readonly chunkRows = 10_000, pixels?: PixelTransform, deferred = false) {
    this.rows = split.count % batchSize === 0 ? split.count : Math.min(split.count, steps * batchSize);
    this.count = split.count % batchSize === 0 ? Math.min(steps, split.count / batchSize) : 0;
    this.pending = this.upload(split, steps, pixels);
    if (!deferred) for (const _ of this.pending) { /* every batch now */ }
  }

  /**
   * As the constructor, but yielding to the event loop every `yieldEveryMs` while it uploads: on wasm the
   * 600 batches of the training set take ≈ 0.3 s (seconds on a loaded machine), and a stop request or
   * Ctrl-C must get through meanwhile.
   */
  static async create(tf: TF, split: MnistSplit, batchSize: number, steps: number, yieldEveryMs = 100, pixels?: PixelTransform): Promise<ResidentBatches> {
    const r = new ResidentBatches(tf, split, batchSize, steps, undefined, pixels, true);
    let last = performance.now();
    for (const _ of r.pending) {
      if (performance.now() - last < yieldEveryMs) continue;
      await new Promise<void>((resolve) => setImmediate(resolve));
      last = performance.now();
    }
    return r;
  }

  /** Nothing uploaded yet: each batch (or chunk) is uploaded when a step first needs it (`get`). */
  static lazy(tf: TF, split: MnistSplit, batchSize: number, steps: number, pixels?: PixelTransform): ResidentBatches {
    return new ResidentBatches(tf, split, batchSize, steps, undefined, pixels, true);
  }

  /** Milliseconds `get` spent uploading (lazy): not training time. */
  get uploadedMs(): number {
    return this.uploadMs;
  }

  private readonly pending: Generator<void>;

  /** Uploads (lazily) until step's batch is resident: its batch, or every chunk its rows come from. */
  private ensure(step: number): void {
    const more = (): boolean => !this.pending.next().done;
    if (this.count > 0) {
      while (this.batches.length <= step % this.count && more()) { /* upload the next batch */ }
      return;
    }
    const start = (step * this.batchSize) % this.rows;
    const wraps = start + this.batchSize > this.rows;
    const lastChunk = wraps ? Infinity : Math.floor((start + this.batchSize - 1) / this.chunkRows);
    while (this.chunks.length <= lastChunk && more()) { /* upload the next chunk */ }
  }

  /** Uploads the batches (or chunks) one at a time, yielding after each. */
  private *upload(split: MnistSplit, steps: number, pixels?: PixelTransform): Generator<void> {
    const tf = this.tf;
    const batchSize = this.batchSize;
    const materialize = (t: Tensor2D): void => {
      if (tf.getBackend() === 'tensorflow') tf.slice(t, [0, 0], [1, 1]).dispose();
    };
    if (split.count % batchSize === 0) {
      const count = Math.min(steps, split.count / batchSize);
      const idx = new Uint32Array(batchSize);
      for (let b = 0; b < count; b++) {
        for (let r = 0; r < batchSize; r++) idx[r] = b * batchSize + r;
        const t = tf.tensor2d(batchImages(split, idx, pixels), [batchSize, IMAGE_SIZE]);
        materialize(t);
        this.batches.push(t);
        yield;
      }
    } else {
      const chunkRows = this.chunkRows;
      for (let start = 0; start < this.rows; start += chunkRows) {
        const n = Math.min(chunkRows, this.rows - start);
        const t = tf.tensor2d(batchImages(split, Array.from({ length: n }, (_, i) => start + i), pixels), [n, IMAGE_SIZE]);
        materialize(t);
        this.chunks.push(t);
        yield;
      }
    }
  }

  /** The batch for `step`, and whether the caller must dispose it (a slice) or not (a resident batch). */
  get(step: number): { x: Tensor2D; owned: boolean } {
    const t0 = performance.now();
    this.ensure(step);
    this.uploadMs += performance.now() - t0;
    if (this.count > 0) return { x: this.batches[step % this.batches.length], owned: false };
    const tf = this.tf;
    const C = this.chunkRows;
    // the batch's rows, as pieces of chunks (it may wrap around the end and cross a chunk boundary)
    const pieces: [number, number, number][] = [];
    let row = (step * this.batchSize) % this.rows;
    for (let left = this.batchSize; left > 0;) {
      const chunk = Math.floor(row / C);
      const inChunk = row - chunk * C;
      const n = Math.min(left, this.chunks[chunk].shape[0] - inChunk);
      pieces.push([chunk, inChunk, n]);
      left -= n;
      row = (row + n) % this.rows;
    }
    if (pieces.length === 1) return { x: tf.slice(this.chunks[pieces[0][0]], [pieces[0][1], 0], [pieces[0][2], IMAGE_SIZE]), owned: true };
    return { x: tf.tidy(() => tf.concat(pieces.map(([c, r, n]) => tf.slice(this.chunks[c], [r, 0], [n, IMAGE_SIZE])))), owned: true };
  }

  dispose(): void {
    for (const t of [...this.batches, ...this.chunks]) t.dispose();
  }
}

/** The program's own training subset (`fit(x[:5000], …)`): the first `spec.data.trainExamples` examples, else all. */
export function trainingSplit(spec: ModelSpec, train: MnistSplit): MnistSplit {
  const subset = spec.data?.trainExamples;
  return subset !== undefined && subset < train.count
    ? { images: train.images.subarray(0, subset * IMAGE_SIZE), labels: train.labels.subarray(0, subset), count: subset }
    : train;
}

/**
 * Which examples each step takes: in order (step k: examples kB … kB + B − 1, wrapping), or, shuffled, a fresh
 * permutation of the split every epoch drawn from the spec's seed (the trainer and a sweep draw the same ones).
 */
export class BatchOrder {
  private order: Uint32Array | undefined;
  private epoch = -1;

  constructor(private readonly split: MnistSplit, private readonly seed: number, private readonly shuffle: boolean) {}

  /** Fills `idx` with step `step`'s example indices and `labels` with their labels. */
  fill(step: number, idx: Uint32Array, labels: Uint8Array): void {
    const B = idx.length;
    const N = this.split.count;
    for (let r = 0; r < B; r++) {
      const k = step * B + r;
      if (this.shuffle) {
        const e = Math.floor(k / N);
        if (e !== this.epoch) {
          this.epoch = e;
          this.order = Rng.derive(this.seed, 1000 + e).permutation(N);
        }
        idx[r] = this.order![k % N];
      } else {
        idx[r] = k % N;
      }
      labels[r] = this.split.labels[idx[r]];
    }
  }
}

/** Inverted dropout masks for one training step (0 or 1 / (1 − rate)), drawn from the spec's seed and the step. */
function dropoutMasks(tf: TF, spec: ModelSpec, rates: number[], batch: number, step: number): (Tensor2D | undefined)[] {
  return rates.map((rate, l) => {
    if (!rate) return undefined;
    const units = spec.layers[l].units;
    const rng = Rng.derive(spec.seed, 3000 + l, step);
    const keep = 1 / (1 - rate);
    const m = new Float32Array(batch * units);
    for (let i = 0; i < m.length; i++) m[i] = rng.next() < rate ? 0 : keep;
    return tf.tensor2d(m, [batch, units]);
  });
}

function disposePass(pass: Pass): void {
  // outputs[0] is the caller's input.
  for (let i = 1; i < pass.outputs.length; i++) pass.outputs[i].dispose();
  for (const z of pass.pre) if (!pass.outputs.includes(z)) z.dispose();
  // masks are the step's; the unmasked outputs are the pass's own
  for (const d of pass.dropout ?? []) d?.kept.dispose();
}

/**
 * Trains `spec` on `data`. Emits start / step / eval / end events (numbers only) and hands probe data
 * to `onProbe`. Resolves with the end event and the final evaluation; throws on backend failures
 * (the caller reports them as an error event). Leaves no tensor behind.
 */
export async function train(spec: ModelSpec, opts: TrainerOptions): Promise<TrainResult> {
  const { tf, info } = opts.backend;
  const { data } = opts;
  const clock = opts.clock ?? (() => performance.now());
  const emit = opts.onEvent ?? (() => undefined);
  const probeEvery = opts.probeEvery ?? DEFAULT_PROBE_EVERY;
  const probeN = Math.min(opts.probeExamples ?? DEFAULT_PROBE_EXAMPLES, data.test.count);
  const evalEvery = opts.evalEvery ?? 0;
  const yieldEveryMs = opts.yieldEveryMs ?? 100;
  const B = spec.batchSize;
  const L = spec.layers.length;
  const objective = objectiveOf(spec);
  const outputActivation = spec.layers[L - 1].activation;
  const pixels = pixelTransform(spec);
  const trainSplit = trainingSplit(spec, data.train);
  const N = trainSplit.count;
  // the program's shuffling when it says (Keras fit, DataLoader(shuffle=True), next_batch), else the run's setting
  const shuffle = spec.data?.shuffle ?? opts.shuffle ?? false;
  const schedule = spec.optimizer.schedule;
  const extras = hasGradientExtras(spec) ? new GradientExtras(tf, spec) : undefined;
  const regularized = spec.layers.some((l) => l.kernelRegularizer);
  const dropoutLayers = spec.layers.map((l, i) => (i < L - 1 && l.dropout ? l.dropout : 0));

  const model = new Mlp(tf, spec, info.name);
  // Plain SGD: the learning rate is folded into dLoss/dLogits (in JS, for free), so each parameter update is one
  // subtraction (src/core/optimizers.ts).
  const foldsLearningRate = model.params.foldsLearningRate;
  let learningRate = spec.optimizer.learningRate;
  const probeIdx = Array.from({ length: probeN }, (_, i) => i);
  const probeX = opts.onProbe && probeEvery > 0 ? tf.tensor2d(batchImages(data.test, probeIdx, pixels), [probeN, IMAGE_SIZE]) : undefined;
  const probeLabels = data.test.labels.slice(0, probeN);
  const classPrior = classShares(trainSplit.labels);
  const recentLosses: number[] = [];
  let probeMs = 0;
  let evalMs = 0;
  let forwardMs = 0;
  let backwardMs = 0;
  let updateMs = 0;
  let finalEval: EvalEvent | undefined;

  const evaluate = (step: number, final: boolean): EvalEvent => {
    const t0 = clock();
    const split: MnistSplit = data.test;
    const predictedCounts = new Array(NUM_CLASSES).fill(0);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < split.count; start += EVAL_CHUNK) {
      const n = Math.min(EVAL_CHUNK, split.count - start);
      const idx = Array.from({ length: n }, (_, i) => start + i);
      const x = tf.tensor2d(batchImages(split, idx, pixels), [n, IMAGE_SIZE]);
      const pass = model.forward(x, false);
      const logits = pass.outputs[L].dataSync() as Float32Array;
      disposePass(pass);
      x.dispose();
      const r = lossHead(logits, split.labels.subarray(start, start + n), n, outputActivation, objective, false);
      lossSum += r.loss * n;
      correct += r.correct;
      for (const p of r.predicted) predictedCounts[p]++;
    }
    const ev: EvalEvent = { type: 'eval', step, testLoss: lossSum / split.count, testAccuracy: correct / split.count, predictedCounts, testExamples: split.count, final };
    evalMs += clock() - t0;
    emit(ev);
    return ev;
  };

  const probe = (step: number): void => {
    if (!probeX || !opts.onProbe) return;
    const t0 = clock();
    const pass = model.forward(probeX, true);
    const logits = pass.outputs[L].dataSync() as Float32Array;
    const probs = new Float32Array(logits.length);
    const ce = lossHead(logits, probeLabels, probeN, outputActivation, objective, true, probs);
    const dLogits = tf.tensor2d(ce.grad!, [probeN, NUM_CLASSES]);
    const grads = model.backward(pass, dLogits);
    const layers: LayerProbe[] = spec.layers.map((layer, l) => ({
      layer: l,
      activation: layer.activation,
      units: layer.units,
      fanIn: fanIn(spec, l),
      weights: model.kernels[l].dataSync() as Float32Array,
      bias: model.biases[l].dataSync() as Float32Array,
      weightGrad: grads.kernels[l].dataSync() as Float32Array,
      biasGrad: grads.biases[l].dataSync() as Float32Array,
      preActivations: pass.pre[l].dataSync() as Float32Array,
      outputs: l === L - 1 ? probs : (pass.outputs[l + 1].dataSync() as Float32Array),
    }));
    dLogits.dispose();
    for (const t of [...grads.kernels, ...grads.biases]) t.dispose();
    disposePass(pass);
    opts.onProbe({
      step, totalSteps: spec.steps, examples: probeN, labels: probeLabels, loss: ce.loss,
      recentLosses: recentLosses.splice(0), layers, spec, classPrior, learningRate,
    });
    probeMs += clock() - t0;
  };

  emit({
    type: 'start', spec, backend: info, parameterCount: parameterCount(spec), totalSteps: spec.steps,
    probeEvery: probeX ? probeEvery : 0, evalEvery, trainExamples: N, testExamples: data.test.count, probeExamples: probeX ? probeN : 0,
  });

  const batchOrder = new BatchOrder(trainSplit, spec.seed, shuffle);
  const labelsBatch = new Uint8Array(B);
  const idx = new Uint32Array(B);
  let step = 0;
  let stopped = false;
  // Uploaded first, or at first use (its time is not training time either way): then the first step does not wait
  // for the whole training set.
  const resident = !ResidentBatches.usable(tf, trainSplit, spec, shuffle) ? undefined
    : opts.uploadAhead === false ? ResidentBatches.lazy(tf, trainSplit, B, spec.steps, pixels)
    : await ResidentBatches.create(tf, trainSplit, B, spec.steps, yieldEveryMs, pixels);
  let lastYield = clock();
  const t0 = clock();
  try {
    probe(0);
    for (; step < spec.steps; step++) {
      if (opts.signal?.aborted) {
        stopped = true;
        break;
      }
      const tStep = clock();
      batchOrder.fill(step, idx, labelsBatch);
      if (schedule) {
        const rate = scheduledRate(spec.optimizer.learningRate, schedule, step);
        if (rate !== learningRate && !foldsLearningRate) model.params.setLearningRate(rate);
        learningRate = rate;
      }
      const uploaded = resident?.uploadedMs ?? 0;
      const batch = resident ? resident.get(step) : { x: tf.tensor2d(batchImages(trainSplit, idx, pixels), [B, IMAGE_SIZE]), owned: true };
      const uploadMs = (resident?.uploadedMs ?? 0) - uploaded;
      const x = batch.x;
      const masks = dropoutLayers.some((p) => p > 0) ? dropoutMasks(tf, spec, dropoutLayers, B, step) : undefined;
      const pass = model.forward(x, false, masks);
      const logits = pass.outputs[L].dataSync() as Float32Array;
      const ce = lossHead(logits, labelsBatch, B, outputActivation, objective, true);
      if (regularized) ce.loss += regularizationLoss(tf, spec, model.kernels);
      if (foldsLearningRate) for (let i = 0; i < ce.grad!.length; i++) ce.grad![i] *= learningRate;
      const dLogits = tf.tensor2d(ce.grad!, [B, NUM_CLASSES]);
      const tForward = clock();
      const grads = model.backward(pass, dLogits);
      disposePass(pass);
      if (masks) tf.dispose(masks.filter((m): m is Tensor2D => m !== undefined));
      if (batch.owned) x.dispose();
      dLogits.dispose();
      extras?.apply(model.kernels, model.biases, grads.kernels, grads.biases, foldsLearningRate ? learningRate : 1);
      const tBackward = clock();
      model.params.apply(grads.kernels, grads.biases);
      tf.dispose([...grads.kernels, ...grads.biases]);
      const tUpdate = clock();
      forwardMs += tForward - tStep - uploadMs;
      backwardMs += tBackward - tForward;
      updateMs += tUpdate - tBackward;

      recentLosses.push(ce.loss);
      emit({ type: 'step', step: step + 1, loss: ce.loss, batchAccuracy: ce.correct / B });
      const done = step + 1;
      if (probeEvery > 0 && done % probeEvery === 0) probe(done);
      if (evalEvery > 0 && done % evalEvery === 0 && done < spec.steps) evaluate(done, false);
      if (clock() - lastYield >= yieldEveryMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = clock();
      }
    }
    const trainMs = clock() - t0 - evalMs - (resident?.uploadedMs ?? 0);
    if (step > 0 && probeEvery > 0 && step % probeEvery !== 0) probe(step);
    finalEval = evaluate(step, true);
    const end: EndEvent = {
      type: 'end', steps: step, stopped, testAccuracy: finalEval.testAccuracy, testLoss: finalEval.testLoss,
      trainMs, probeMs, evalMs,
    };
    emit(end);
    return { end, finalEval, phases: { forwardMs, backwardMs, updateMs, probeMs, evalMs } };
  } finally {
    model.dispose();
    extras?.dispose();
    probeX?.dispose();
    resident?.dispose();
  }
}
