// Sweeps trained together (issue 23): K variants of one architecture (different initialisers, learning rates,
// hidden activations or objectives) in one training loop — one input batch per step, one probe batch, one
// read-back per variant — with each variant's numbers IDENTICAL to training it alone with trainer.ts on the
// same backend (test/unit/sweep.test.ts, test/native/sweep.test.ts).
//
// What is shared, and why it stays identical:
//  - Variants whose first layer has the same activation form a group whose first-layer kernels are ONE
//    [784, m·units] variable and biases one [m·units] variable. The group's forward product X · W0 and its
//    weight gradient Xᵀ · dZ0 are then one product each, and every column block is bitwise the product a variant
//    computes alone (each output element is the same dot product, summed in the same order: checked on every
//    backend by the tests). The bias add, the activation, its derivative and the SGD update (w − lr·g, with the
//    variant's learning rate folded into its dLoss/dLogits as trainer.ts does) are elementwise, so they run on the
//    whole group at once.
//  - The layers after the first (layout `stacked`, the default on tensorflow and cpu): [m, in, out] kernels and
//    batched products over the group (each batch of a batched product is bitwise its 2-D product), with the
//    trainer's own ops (Mlp.dense / kernelGrad / inputGrad / activationGrad / biasGrad) on 3-D tensors; the bias
//    gradient is taken on [n, m·units] as for the first layer. Layout `concat`: per variant, the group's first-layer
//    output split into the variants' column blocks and their gradients joined back. Layout `lockstep` (the default
//    on wasm, whose GEMM is no faster on a wider matrix and whose split copies through JS): no sharing of products.
//  - A one-layer model (softmax regression) needs no split: the group's logits are read back once and each
//    variant's columns taken in JS; its dLoss/dLogits go up as one tensor.
// The output activation and the loss are per variant, in JS (objective.ts), as in trainer.ts.
//
// What cannot be batched identically falls back to training the variants one after another with trainer.ts,
// and the result says so (`together: false`, `reason`): stateful optimizers (momentum, Adam, RMSProp keep
// per-variable state updated by fused kernels), dropout, regularisers, weight decay, clipping, gradient
// accumulation, no-bias layers, different widths / batch sizes / steps / data.
import type { Tensor, Tensor1D, Tensor2D, Variable } from '@tensorflow/tfjs-core';
import type { LoadedBackend, TF } from './backend';
import type { BackendName, EndEvent, EvalEvent, LayerProbe, ProbeData, TrainingEvent } from './events';
import { type MnistData, type MnistSplit, IMAGE_SIZE, batchImages, classShares } from './mnist';
import { type ModelSpec, fanIn, parameterCount, NUM_CLASSES, objectiveOf, pixelTransform } from './spec';
import { lossHead } from './objective';
import { hasGradientExtras, scheduledRate } from './updateExtras';
import { BatchOrder, DEFAULT_PROBE_EVERY, DEFAULT_PROBE_EXAMPLES, EVAL_CHUNK, Mlp, ResidentBatches, train, trainingSplit, type PhaseTimes, type TrainResult, type TrainerOptions } from './trainer';

/**
 * How the variants' layers are laid out: `stacked` — one first-layer product per group of variants with the same
 * hidden activations, and each later layer one batched product over the group ([m, fanIn, units] kernels);
 * `concat` — the first layer shared as in `stacked`, the later layers per variant (the group's output split into
 * columns); `lockstep` — every variant its own products, still one loop, one batch and one probe batch. All give
 * the numbers of the variants trained alone; which is faster depends on the backend (defaultLayout).
 */
export type SweepLayout = 'stacked' | 'concat' | 'lockstep';

/**
 * The faster layout per backend (docs/performance.md, "Sweeps trained together"): on tensorflow and cpu the layers
 * after the first as batched products too (a sweep's op count then does not grow with K); on wasm every variant its
 * own products — its GEMM is no faster on a wider matrix, and splitting columns copies through JS — except for a
 * one-layer model, whose shared product is never split.
 */
export function defaultLayout(backend: BackendName, layers: number): SweepLayout {
  // a one-layer model's shared product needs no split: its logits are read back once
  return backend === 'wasm' && layers > 1 ? 'lockstep' : 'stacked';
}

export interface SweepOptions extends Omit<TrainerOptions, 'onEvent' | 'onProbe'> {
  /** Each variant's events, as trainer.ts emits them for a run of that variant alone. */
  onEvent?: (variant: number, e: TrainingEvent) => void;
  onProbe?: (variant: number, p: ProbeData) => void;
  layout?: SweepLayout;
}

export interface SweepResult {
  /** True: one loop for every variant; false: one after another (`reason` says why). */
  together: boolean;
  reason?: string;
  /** Together: the variants (indices) whose first layers shared one product. */
  groups: number[][];
  /** Per variant, as train() returns it. Together, each variant's trainMs / probeMs are the whole loop's. */
  variants: TrainResult[];
  /** Wall time of the whole set's training loops (probes in, evaluations out). */
  trainMs: number;
  /** Where the set's time went (summed over the variants when they ran one after another). */
  phases: PhaseTimes;
}

/** Why `specs` cannot be trained together identically, or undefined when they can. */
export function whyNotTogether(specs: readonly ModelSpec[], shuffle = false): string | undefined {
  if (specs.length === 0) return 'no variants';
  const first = specs[0];
  const shape = (s: ModelSpec): string => s.layers.map((l) => l.units).join('-');
  for (const [i, s] of specs.entries()) {
    const name = `variant ${i + 1} (${s.name})`;
    if (s.optimizer.type !== 'sgd') return `${name} uses ${s.optimizer.type}: only plain SGD is trained together (a stateful optimizer keeps per-variable slots updated by its own kernels)`;
    if (hasGradientExtras(s)) return `${name} has update extras (regularisers, weight decay, clipping, gradient accumulation or a layer without bias), which are applied per variable`;
    if (s.layers.some((l) => l.dropout)) return `${name} uses dropout (masks drawn per run)`;
    if (shape(s) !== shape(first)) return `${name} has layers ${shape(s)}, variant 1 ${shape(first)}: the architecture must be the same`;
    if (s.batchSize !== first.batchSize) return `${name} has batch size ${s.batchSize}, variant 1 ${first.batchSize}`;
    if (s.steps !== first.steps) return `${name} trains ${s.steps} steps, variant 1 ${first.steps}`;
    if (JSON.stringify(s.data ?? {}) !== JSON.stringify(first.data ?? {})) return `${name} reads its data differently from variant 1 (input scaling, subset or shuffling)`;
    if ((s.data?.shuffle ?? shuffle) && s.seed !== first.seed) return `${name} shuffles with seed ${s.seed}, variant 1 with ${first.seed}: their batches differ`;
  }
  return undefined;
}

const f32Columns = (src: Float32Array, rows: number, stride: number, start: number, width: number): Float32Array => {
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) out.set(src.subarray(r * stride + start, r * stride + start + width), r * width);
  return out;
};

/** Variants whose first layers share one product: their kernel [784, m·u] and bias [m·u] are one variable each. */
class Group {
  readonly kernel: Tensor2D;
  readonly bias: Tensor1D;
  /** The first layer's width per variant. */
  readonly units: number;

  /** Stacked layout: layers ≥ 1 of every member as one [m, fanIn, units] kernel and one [m, 1, units] bias (index l). */
  readonly stack?: { kernels: Tensor[]; biases: Tensor[] };

  constructor(private readonly tf: TF, readonly members: number[], private readonly models: Mlp[], stacked: boolean) {
    this.units = models[members[0]].kernels[0].shape[1];
    const L = models[members[0]].kernels.length;
    if (stacked && members.length > 1 && L > 1) {
      const kernels: Tensor[] = [];
      const biases: Tensor[] = [];
      for (let l = 1; l < L; l++) {
        const k = tf.stack(members.map((m) => models[m].kernels[l]));
        const b = tf.tidy(() => tf.reshape(tf.stack(members.map((m) => models[m].biases[l])), [members.length, 1, -1]));
        kernels[l] = tf.variable(k, true);
        biases[l] = tf.variable(b, true);
        tf.dispose([k, b]);
      }
      this.stack = { kernels, biases };
    }
    if (members.length === 1) {
      // the variant's own variables: exactly the trainer's
      this.kernel = models[members[0]].kernels[0];
      this.bias = models[members[0]].biases[0];
    } else {
      // initialised from the variants' own first layers (drawn as trainer.ts draws them)
      const kernel = tf.concat(members.map((k) => models[k].kernels[0]), 1);
      const bias = tf.concat(members.map((k) => models[k].biases[0]), 0);
      this.kernel = tf.variable(kernel, true);
      this.bias = tf.variable(bias, true);
      tf.dispose([kernel, bias]); // the variables keep their own references to the data
    }
  }

  get shared(): boolean {
    return this.members.length > 1;
  }

  /** Column block `i` (the group's i-th member) of a row-major [rows, m·w] array. */
  block(values: Float32Array, rows: number, i: number, width = this.units): Float32Array {
    if (!this.shared) return values;
    return f32Columns(values, rows, this.members.length * width, i * width, width);
  }

  dispose(): void {
    if (this.shared) this.tf.dispose([this.kernel, this.bias]);
    if (this.stack) this.tf.dispose([...this.stack.kernels, ...this.stack.biases].filter(Boolean));
  }
}

/** Member i's contiguous block of a stacked [m, …] array. */
const stackBlock = (values: Float32Array, m: number, i: number): Float32Array => {
  const size = values.length / m;
  return values.slice(i * size, (i + 1) * size);
};

const stackedGrads = (g: { stacked?: { kernels: Tensor[]; biases: Tensor[] } }): Tensor[] => (g.stacked ? [...g.stacked.kernels, ...g.stacked.biases].filter(Boolean) : []);

/** One group's forward pass. */
interface GroupPass {
  /** The group's first-layer output [n, m·u] (and pre-activation when kept). */
  a0: Tensor2D;
  z0?: Tensor2D;
  /** Per member: outputs[0] = x, outputs[l + 1] = layer l's output (the last one the logits); pre when kept. */
  members: { outputs: Tensor2D[]; pre: Tensor2D[] }[];
  /** One-layer models and stacked groups: the group's logits read back once. */
  logits?: Float32Array;
  /** Stacked groups: outputs[l] = layer l's output as [m, n, units] (l = 0 … L − 1), pre[l] its pre-activation (l ≥ 1). */
  stacked?: { outputs: Tensor[]; pre: Tensor[] };
}

function disposeGroupPass(p: GroupPass): void {
  const seen = new Set<Tensor>();
  const drop = (t: Tensor | undefined): void => {
    if (!t || seen.has(t)) return;
    seen.add(t);
    t.dispose();
  };
  drop(p.a0);
  drop(p.z0);
  for (const m of p.members) {
    for (let i = 1; i < m.outputs.length; i++) drop(m.outputs[i]);
    for (const z of m.pre) drop(z);
  }
  for (const t of [...(p.stacked?.outputs ?? []), ...(p.stacked?.pre ?? [])]) drop(t);
}

/**
 * Trains `specs` together (see the top of this file), or one after another where they cannot be batched
 * identically. Each variant's events and probes go to onEvent / onProbe with its index. Leaves no tensor behind.
 */
export async function trainTogether(specs: readonly ModelSpec[], opts: SweepOptions): Promise<SweepResult> {
  const shuffle = specs[0]?.data?.shuffle ?? opts.shuffle ?? false;
  const reason = whyNotTogether(specs, shuffle);
  if (reason) return oneAfterAnother(specs, opts, reason);
  return together(specs, opts);
}

async function oneAfterAnother(specs: readonly ModelSpec[], opts: SweepOptions, reason: string): Promise<SweepResult> {
  const variants: TrainResult[] = [];
  const phases: PhaseTimes = { forwardMs: 0, backwardMs: 0, updateMs: 0, probeMs: 0, evalMs: 0 };
  let trainMs = 0;
  for (const [k, spec] of specs.entries()) {
    if (opts.signal?.aborted && k > 0) break;
    const r = await train(spec, {
      ...opts,
      onEvent: opts.onEvent && ((e) => opts.onEvent!(k, e)),
      onProbe: opts.onProbe && ((p) => opts.onProbe!(k, p)),
    });
    variants.push(r);
    trainMs += r.end.trainMs;
    for (const key of Object.keys(phases) as (keyof PhaseTimes)[]) phases[key] += r.phases[key];
  }
  return { together: false, reason, groups: specs.map((_, k) => [k]), variants, trainMs, phases };
}

async function together(specs: readonly ModelSpec[], opts: SweepOptions): Promise<SweepResult> {
  const { tf, info } = opts.backend;
  const { data } = opts;
  const K = specs.length;
  const first = specs[0];
  const clock = opts.clock ?? (() => performance.now());
  const emit = (k: number, e: TrainingEvent): void => opts.onEvent?.(k, e);
  const probeEvery = opts.probeEvery ?? DEFAULT_PROBE_EVERY;
  const probeN = Math.min(opts.probeExamples ?? DEFAULT_PROBE_EXAMPLES, data.test.count);
  const evalEvery = opts.evalEvery ?? 0;
  const yieldEveryMs = opts.yieldEveryMs ?? 100;
  // wasm's weight-gradient product transposes explicitly (2-D only): stacked later layers are not for it
  const requested = opts.layout ?? defaultLayout(info.name, first.layers.length);
  const layout: SweepLayout = requested === 'stacked' && info.name === 'wasm' ? 'concat' : requested;
  const B = first.batchSize;
  const L = first.layers.length;
  const objectives = specs.map(objectiveOf);
  const outputActivations = specs.map((s) => s.layers[L - 1].activation);
  const pixels = pixelTransform(first);
  const trainSplit = trainingSplit(first, data.train);
  const N = trainSplit.count;
  const shuffle = first.data?.shuffle ?? opts.shuffle ?? false;

  const models: Mlp[] = [];
  const groups: Group[] = [];
  let probeX: Tensor2D | undefined;
  let resident: ResidentBatches | undefined;
  try {
    for (const s of specs) models.push(new Mlp(tf, s, info.name));
    // Groups: the first layer's activation decides its ops (fused or not), so only equal ones share a product.
    // A one-layer model's only layer is linear here (its activation is the head's, in JS): one group.
    // Stacked: every hidden layer's activation decides the ops of the batched layers too.
    const keyOf = (k: number): string => (L === 1 ? 'linear' : layout === 'stacked' ? specs[k].layers.slice(0, -1).map((l) => l.activation).join() : specs[k].layers[0].activation);
    const byKey = new Map<string, number[]>();
    for (let k = 0; k < K; k++) {
      if (layout === 'lockstep') byKey.set(String(k), [k]);
      else byKey.set(keyOf(k), [...(byKey.get(keyOf(k)) ?? []), k]);
    }
    for (const members of byKey.values()) groups.push(new Group(tf, members, models, layout === 'stacked'));

    const learningRates = specs.map((s) => s.optimizer.learningRate);
    const probeIdx = Array.from({ length: probeN }, (_, i) => i);
    probeX = opts.onProbe && probeEvery > 0 ? tf.tensor2d(batchImages(data.test, probeIdx, pixels), [probeN, IMAGE_SIZE]) : undefined;
    const probeLabels = data.test.labels.slice(0, probeN);
    const classPrior = classShares(trainSplit.labels);
    const recentLosses: number[][] = specs.map(() => []);
    const phases: PhaseTimes = { forwardMs: 0, backwardMs: 0, updateMs: 0, probeMs: 0, evalMs: 0 };
    const finalEvals: (EvalEvent | undefined)[] = new Array(K);

    const forward = (g: Group, x: Tensor2D, keepPre: boolean): GroupPass => {
      const lead = models[g.members[0]];
      const act = L === 1 ? 'linear' : specs[g.members[0]].layers[0].activation;
      const { a, z } = lead.dense(x, g.kernel, g.bias, act, keepPre);
      const pass: GroupPass = { a0: a, z0: z, members: [] };
      if (L === 1) {
        // the logits of every member, read back once; the members' columns are taken in JS
        pass.logits = a.dataSync() as Float32Array;
        pass.members = g.members.map(() => ({ outputs: [x, a], pre: z ? [z] : [] }));
        return pass;
      }
      if (g.stack) {
        // [n, m·u0] → [m, n, u0]; the layers after the first as batched products over the members
        const m = g.members.length;
        const n = a.shape[0];
        const outputs: Tensor[] = [tf.tidy(() => tf.transpose(tf.reshape(a, [n, m, g.units]), [1, 0, 2]))];
        const pre: Tensor[] = [];
        for (let l = 1; l < L; l++) {
          const r = lead.dense(outputs[l - 1] as Tensor2D, g.stack.kernels[l] as Tensor2D, g.stack.biases[l] as Tensor1D, l === L - 1 ? 'linear' : specs[g.members[0]].layers[l].activation, keepPre);
          outputs.push(r.a);
          if (r.z) pre[l] = r.z;
        }
        pass.stacked = { outputs, pre };
        pass.logits = outputs[L - 1].dataSync() as Float32Array;
        return pass;
      }
      const parts = g.shared ? tf.split(a, g.members.length, 1) as Tensor2D[] : [a];
      g.members.forEach((k, i) => {
        const m = models[k];
        const outputs: Tensor2D[] = [x, parts[i]];
        const pre: Tensor2D[] = z ? [z] : [];
        for (let l = 1; l < L; l++) {
          const r = m.dense(outputs[l], m.kernels[l], m.biases[l], l === L - 1 ? 'linear' : specs[k].layers[l].activation, keepPre);
          outputs.push(r.a);
          if (r.z) pre.push(r.z);
        }
        pass.members.push({ outputs, pre });
      });
      return pass;
    };

    /** Each member's logits [n, 10]. */
    const logitsOf = (g: Group, pass: GroupPass, i: number, n: number): Float32Array => {
      if (pass.stacked) return pass.logits!.subarray(i * n * NUM_CLASSES, (i + 1) * n * NUM_CLASSES);
      if (pass.logits) return g.block(pass.logits, n, i, NUM_CLASSES);
      return pass.members[i].outputs[L].dataSync() as Float32Array;
    };

    /** Gradients of every member's layers ≥ 1, and of the group's first layer. dLogits[i]: member i's [n, 10]. */
    const backward = (g: Group, x: Tensor2D, pass: GroupPass, dLogits: Float32Array[], n: number): { kernels: Tensor2D[][]; biases: Tensor[][]; kernel0: Tensor2D; bias0: Tensor; stacked?: { kernels: Tensor[]; biases: Tensor[] } } => {
      const m0 = models[g.members[0]];
      const kernels: Tensor2D[][] = g.members.map(() => new Array(L));
      const biases: Tensor[][] = g.members.map(() => new Array(L));
      let dz0: Tensor2D;
      let stacked: { kernels: Tensor[]; biases: Tensor[] } | undefined;
      const spec0 = specs[g.members[0]];
      if (g.stack && pass.stacked) {
        const m = g.members.length;
        const outputs = pass.stacked.outputs;
        const joined = new Float32Array(m * n * NUM_CLASSES);
        dLogits.forEach((d, i) => joined.set(d, i * n * NUM_CLASSES));
        let dz: Tensor = tf.tensor3d(joined, [m, n, NUM_CLASSES]);
        stacked = { kernels: [], biases: [] };
        let dh0: Tensor2D | undefined;
        for (let l = L - 1; l >= 1; l--) {
          const hPrev = outputs[l - 1];
          const dzl = dz;
          const units = spec0.layers[l].units;
          tf.tidy(() => {
            stacked!.kernels[l] = tf.keep(m0.kernelGrad(hPrev as Tensor2D, dzl as Tensor2D));
            // BiasAddGrad / sum over the rows of [n, m·units]: the members' column sums, as each sums alone
            stacked!.biases[l] = tf.keep(tf.reshape(m0.biasGrad(tf.reshape(tf.transpose(dzl, [1, 0, 2]), [n, m * units]) as Tensor2D), [m, 1, units]));
          });
          const next = tf.tidy(() => {
            const dh = m0.inputGrad(dzl as Tensor2D, g.stack!.kernels[l] as Tensor2D, n);
            if (l > 1) return m0.activationGrad(dh, outputs[l - 1] as Tensor2D, spec0.layers[l - 1].activation);
            return tf.reshape(tf.transpose(dh, [1, 0, 2]), [n, m * g.units]) as Tensor2D; // back to the group's [n, m·u0]
          });
          dz.dispose();
          if (l > 1) dz = next;
          else dh0 = next;
        }
        dz0 = tf.tidy(() => m0.activationGrad(dh0!, pass.a0, spec0.layers[0].activation));
        if (dz0 !== dh0) dh0!.dispose();
      } else if (L === 1) {
        const width = g.members.length * NUM_CLASSES;
        const joined = new Float32Array(n * width);
        dLogits.forEach((d, i) => {
          for (let r = 0; r < n; r++) joined.set(d.subarray(r * NUM_CLASSES, (r + 1) * NUM_CLASSES), r * width + i * NUM_CLASSES);
        });
        dz0 = tf.tensor2d(joined, [n, width]);
      } else {
        const dh0: Tensor2D[] = [];
        g.members.forEach((k, i) => {
          const m = models[k];
          const outputs = pass.members[i].outputs;
          let dz = tf.tensor2d(dLogits[i], [n, NUM_CLASSES]);
          for (let l = L - 1; l >= 1; l--) {
            const hPrev = outputs[l];
            const dzl = dz;
            tf.tidy(() => {
              kernels[i][l] = tf.keep(m.kernelGrad(hPrev, dzl));
              biases[i][l] = tf.keep(m.biasGrad(dzl));
            });
            const next = tf.tidy(() => {
              const dh = m.inputGrad(dzl, m.kernels[l], n);
              // the first layer's derivative is taken on the whole group below
              return l === 1 ? dh : m.activationGrad(dh, outputs[l], specs[k].layers[l - 1].activation);
            });
            dz.dispose();
            dz = next;
          }
          dh0.push(dz);
        });
        const dh = g.shared ? tf.concat(dh0, 1) as Tensor2D : dh0[0];
        dz0 = tf.tidy(() => m0.activationGrad(dh, pass.a0, specs[g.members[0]].layers[0].activation));
        if (dz0 !== dh) tf.dispose(dh);
        if (g.shared) tf.dispose(dh0);
      }
      const grads = tf.tidy(() => ({ kernel0: m0.kernelGrad(x, dz0), bias0: m0.biasGrad(dz0) }));
      dz0.dispose();
      return { kernels, biases, ...grads, stacked };
    };

    const evaluate = (step: number, final: boolean): void => {
      const t0 = clock();
      const split: MnistSplit = data.test;
      const predictedCounts = specs.map(() => new Array(NUM_CLASSES).fill(0) as number[]);
      const lossSum = new Array(K).fill(0) as number[];
      const correct = new Array(K).fill(0) as number[];
      for (let start = 0; start < split.count; start += EVAL_CHUNK) {
        const n = Math.min(EVAL_CHUNK, split.count - start);
        const idx = Array.from({ length: n }, (_, i) => start + i);
        const x = tf.tensor2d(batchImages(split, idx, pixels), [n, IMAGE_SIZE]);
        for (const g of groups) {
          const pass = forward(g, x, false);
          g.members.forEach((k, i) => {
            const logits = logitsOf(g, pass, i, n);
            const r = lossHead(logits, split.labels.subarray(start, start + n), n, outputActivations[k], objectives[k], false);
            lossSum[k] += r.loss * n;
            correct[k] += r.correct;
            for (const p of r.predicted) predictedCounts[k][p]++;
          });
          disposeGroupPass(pass);
        }
        x.dispose();
      }
      const events = specs.map((_, k): EvalEvent => ({ type: 'eval', step, testLoss: lossSum[k] / split.count, testAccuracy: correct[k] / split.count, predictedCounts: predictedCounts[k], testExamples: split.count, final }));
      phases.evalMs += clock() - t0;
      events.forEach((ev, k) => {
        if (final) finalEvals[k] = ev;
        emit(k, ev);
      });
    };

    const probe = (step: number): void => {
      if (!probeX || !opts.onProbe) return;
      const t0 = clock();
      const out: ProbeData[] = new Array(K);
      for (const g of groups) {
        const pass = forward(g, probeX, true);
        const heads = g.members.map((k, i) => {
          const probs = new Float32Array(probeN * NUM_CLASSES);
          const ce = lossHead(logitsOf(g, pass, i, probeN), probeLabels, probeN, outputActivations[k], objectives[k], true, probs);
          return { ce, probs };
        });
        const grads = backward(g, probeX, pass, heads.map((h) => h.ce.grad!), probeN);
        // the group's first layer, read once; each member's columns taken in JS
        const u = g.units;
        const w0 = g.kernel.dataSync() as Float32Array;
        const b0 = g.bias.dataSync() as Float32Array;
        const dw0 = grads.kernel0.dataSync() as Float32Array;
        const db0 = grads.bias0.dataSync() as Float32Array;
        const z0 = pass.z0!.dataSync() as Float32Array;
        const a0 = L === 1 ? undefined : pass.a0.dataSync() as Float32Array;
        g.members.forEach((k, i) => {
          const spec = specs[k];
          const m = models[k];
          const layers: LayerProbe[] = spec.layers.map((layer, l) => {
            const base = { layer: l, activation: layer.activation, units: layer.units, fanIn: fanIn(spec, l) };
            if (l === 0) {
              return {
                ...base,
                weights: g.block(w0, IMAGE_SIZE, i, u), bias: g.block(b0, 1, i, u),
                weightGrad: g.block(dw0, IMAGE_SIZE, i, u), biasGrad: g.block(db0, 1, i, u),
                preActivations: g.block(z0, probeN, i, u),
                outputs: L === 1 ? heads[i].probs : g.block(a0!, probeN, i, u),
              };
            }
            if (pass.stacked && grads.stacked) {
              const st = pass.stacked;
              const m = g.members.length;
              const read = (t: Tensor): Float32Array => stackBlock(t.dataSync() as Float32Array, m, i);
              return {
                ...base,
                weights: read(g.stack!.kernels[l]), bias: read(g.stack!.biases[l]),
                weightGrad: read(grads.stacked.kernels[l]), biasGrad: read(grads.stacked.biases[l]),
                preActivations: read(st.pre[l]),
                outputs: l === L - 1 ? heads[i].probs : read(st.outputs[l]),
              };
            }
            const mp = pass.members[i];
            return {
              ...base,
              weights: m.kernels[l].dataSync() as Float32Array,
              bias: m.biases[l].dataSync() as Float32Array,
              weightGrad: grads.kernels[i][l].dataSync() as Float32Array,
              biasGrad: grads.biases[i][l].dataSync() as Float32Array,
              preActivations: mp.pre[l].dataSync() as Float32Array,
              outputs: l === L - 1 ? heads[i].probs : (mp.outputs[l + 1].dataSync() as Float32Array),
            };
          });
          out[k] = {
            step, totalSteps: spec.steps, examples: probeN, labels: probeLabels, loss: heads[i].ce.loss,
            recentLosses: recentLosses[k].splice(0), layers, spec, classPrior, learningRate: learningRates[k],
          };
        });
        tf.dispose([grads.kernel0, grads.bias0, ...grads.kernels.flat().filter(Boolean), ...grads.biases.flat().filter(Boolean), ...stackedGrads(grads)]);
        disposeGroupPass(pass);
      }
      out.forEach((p, k) => opts.onProbe!(k, p));
      phases.probeMs += clock() - t0;
    };

    specs.forEach((spec, k) => emit(k, {
      type: 'start', spec, backend: info, parameterCount: parameterCount(spec), totalSteps: spec.steps,
      probeEvery: probeX ? probeEvery : 0, evalEvery, trainExamples: N, testExamples: data.test.count, probeExamples: probeX ? probeN : 0,
    }));

    const batchOrder = new BatchOrder(trainSplit, first.seed, shuffle);
    const labelsBatch = new Uint8Array(B);
    const idx = new Uint32Array(B);
    let step = 0;
    let stopped = false;
    resident = ResidentBatches.usable(tf, trainSplit, first, shuffle) ? await ResidentBatches.create(tf, trainSplit, B, first.steps, yieldEveryMs, pixels) : undefined;
    let lastYield = clock();
    const t0 = clock();
    probe(0);
    const losses = new Array<number>(K);
    const accuracies = new Array<number>(K);
    for (; step < first.steps; step++) {
      if (opts.signal?.aborted) {
        stopped = true;
        break;
      }
      const tStep = clock();
      batchOrder.fill(step, idx, labelsBatch);
      specs.forEach((s, k) => {
        if (s.optimizer.schedule) learningRates[k] = scheduledRate(s.optimizer.learningRate, s.optimizer.schedule, step);
      });
      const batch = resident ? resident.get(step) : { x: tf.tensor2d(batchImages(trainSplit, idx, pixels), [B, IMAGE_SIZE]), owned: true };
      const x = batch.x;
      let forwardMs = 0;
      let backwardMs = 0;
      let updateMs = 0;
      for (const g of groups) {
        const tg = clock();
        const pass = forward(g, x, false);
        const dLogits = g.members.map((k, i) => {
          const ce = lossHead(logitsOf(g, pass, i, B), labelsBatch, B, outputActivations[k], objectives[k], true);
          // plain SGD: the variant's learning rate folded into its dLoss/dLogits, as trainer.ts does
          const lr = learningRates[k];
          for (let j = 0; j < ce.grad!.length; j++) ce.grad![j] *= lr;
          losses[k] = ce.loss;
          accuracies[k] = ce.correct / B;
          return ce.grad!;
        });
        const tForward = clock();
        const grads = backward(g, x, pass, dLogits, B);
        disposeGroupPass(pass);
        const tBackward = clock();
        tf.tidy(() => {
          (g.kernel as Variable).assign(tf.sub(g.kernel, grads.kernel0));
          (g.bias as Variable).assign(tf.sub(g.bias, grads.bias0));
          if (g.stack) {
            for (let l = 1; l < L; l++) {
              (g.stack.kernels[l] as Variable).assign(tf.sub(g.stack.kernels[l], grads.stacked!.kernels[l]));
              (g.stack.biases[l] as Variable).assign(tf.sub(g.stack.biases[l], grads.stacked!.biases[l]));
            }
            return;
          }
          g.members.forEach((k, i) => {
            const m = models[k];
            for (let l = 1; l < L; l++) {
              (m.kernels[l] as Variable).assign(tf.sub(m.kernels[l], grads.kernels[i][l]));
              (m.biases[l] as Variable).assign(tf.sub(m.biases[l], grads.biases[i][l]));
            }
          });
        });
        tf.dispose([grads.kernel0, grads.bias0, ...grads.kernels.flat().filter(Boolean), ...grads.biases.flat().filter(Boolean), ...stackedGrads(grads)]);
        const tUpdate = clock();
        forwardMs += tForward - tg;
        backwardMs += tBackward - tForward;
        updateMs += tUpdate - tBackward;
      }
      if (batch.owned) x.dispose();
      phases.forwardMs += forwardMs + (clock() - tStep - forwardMs - backwardMs - updateMs);
      phases.backwardMs += backwardMs;
      phases.updateMs += updateMs;

      const done = step + 1;
      for (let k = 0; k < K; k++) {
        recentLosses[k].push(losses[k]);
        emit(k, { type: 'step', step: done, loss: losses[k], batchAccuracy: accuracies[k] });
      }
      if (probeEvery > 0 && done % probeEvery === 0) probe(done);
      if (evalEvery > 0 && done % evalEvery === 0 && done < first.steps) evaluate(done, false);
      if (clock() - lastYield >= yieldEveryMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastYield = clock();
      }
    }
    const trainMs = clock() - t0 - phases.evalMs;
    if (step > 0 && probeEvery > 0 && step % probeEvery !== 0) probe(step);
    evaluate(step, true);
    const variants = specs.map((_, k): TrainResult => {
      const fe = finalEvals[k]!;
      const end: EndEvent = {
        type: 'end', steps: step, stopped, testAccuracy: fe.testAccuracy, testLoss: fe.testLoss,
        trainMs, probeMs: phases.probeMs, evalMs: phases.evalMs,
      };
      emit(k, end);
      return { end, finalEval: fe, phases };
    });
    return { together: true, groups: groups.map((g) => g.members), variants, trainMs, phases };
  } finally {
    for (const g of groups) g.dispose();
    for (const m of models) m.dispose();
    probeX?.dispose();
    resident?.dispose();
  }
}
