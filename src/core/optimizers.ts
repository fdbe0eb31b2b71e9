// Parameter updates for the trainer. Plain SGD, momentum and Adam are written out with the fewest full-size tensor ops
// (docs/performance.md: at the 1024-wide rung tf.train.adam's 14 element-wise passes per variable, each with a
// fresh scalar tensor uploaded for every `mul(x, number)`, cost more than PyTorch's whole Adam step); RMSProp uses
// tf.train.rmsprop as it is. On the tensorflow backend the stateful ones run as TensorFlow kernels instead
// (src/core/nativeOps.ts).
import type { Rank, Tensor, Tensor1D, Tensor2D, Variable, Optimizer, NamedTensorMap, Scalar } from '@tensorflow/tfjs-core';
import type { TF } from './backend';
import { type OptimizerSpec, optimizerSettings } from './spec';
import { NativeParams, nativeOpsAvailable, type ParamSet } from './nativeOps';

export type { ParamSet } from './nativeOps';

export interface Updater {
  /** Applies one step's gradients to the variables (same order). Disposes nothing it was given. */
  apply(vars: Variable[], grads: Tensor[]): void;
  /** The learning rate from the next apply on (a schedule). */
  setLearningRate(lr: number): void;
  dispose(): void;
}

/**
 * Plain SGD with the learning rate already folded into the gradients (the trainer scales dLoss/dLogits in JS):
 * one subtraction per variable instead of tf.train.sgd's multiply-and-add.
 */
class FoldedSgd implements Updater {
  constructor(private readonly tf: TF) {}

  apply(vars: Variable[], grads: Tensor[]): void {
    const tf = this.tf;
    tf.tidy(() => {
      vars.forEach((v, i) => v.assign(tf.sub(v, grads[i])));
    });
  }

  setLearningRate(): void {} // folded into the gradients by the trainer

  dispose(): void {}
}

/**
 * Adam (Kingma & Ba, 2015), as tf.train.adam defines it: with t the step (from 1) and bias corrections
 * 1 − β1ᵗ, 1 − β2ᵗ,
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²,   w ← w − lr · (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε).
 * The last line is computed as w − αₜ · m / (√v + ε̂) with αₜ = lr·√(1 − β2ᵗ)/(1 − β1ᵗ) and ε̂ = ε·√(1 − β2ᵗ)
 * (the same value, rearranged: the bias corrections become two scalars per step, computed in float64), and the
 * moments as m + (g − m)·(1 − β1), v + (g² − v)·(1 − β2): 12 element-wise ops per variable instead of 14, and the
 * constants are scalar tensors made once instead of one upload per op.
 */
class Adam implements Updater {
  private readonly m: Tensor[] = [];
  private readonly v: Tensor[] = [];
  private readonly c1: Scalar;
  private readonly c2: Scalar;
  private t = 0;

  constructor(private readonly tf: TF, private lr: number, private readonly beta1: number, private readonly beta2: number, private readonly epsilon: number) {
    this.c1 = tf.scalar(1 - beta1);
    this.c2 = tf.scalar(1 - beta2);
  }

  apply(vars: Variable[], grads: Tensor[]): void {
    const tf = this.tf;
    this.t++;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = Math.sqrt(1 - this.beta2 ** this.t);
    const alpha = tf.scalar((this.lr * bc2) / bc1);
    const epsHat = tf.scalar(this.epsilon * bc2);
    vars.forEach((w, i) => {
      const g = grads[i];
      const m0 = this.m[i];
      const v0 = this.v[i];
      const [m, v] = tf.tidy(() => [
        m0 ? tf.add(m0, tf.mul(tf.sub(g, m0), this.c1)) : tf.mul(g, this.c1),
        v0 ? tf.add(v0, tf.mul(tf.sub(tf.square(g), v0), this.c2)) : tf.mul(tf.square(g), this.c2),
      ]);
      tf.tidy(() => {
        w.assign(tf.sub(w, tf.mul(tf.div(m, tf.add(tf.sqrt(v), epsHat)), alpha)));
      });
      m0?.dispose();
      v0?.dispose();
      this.m[i] = m;
      this.v[i] = v;
    });
    alpha.dispose();
    epsHat.dispose();
  }

  setLearningRate(lr: number): void {
    this.lr = lr;
  }

  dispose(): void {
    this.tf.dispose([...this.m, ...this.v, this.c1, this.c2]);
    this.m.length = 0;
    this.v.length = 0;
  }
}

/**
 * Momentum as tf.train.momentum defines it: a ← μ·a + g; w ← w − lr·a (Nesterov: w ← w − lr·(g + μ·a)).
 * Written out because tf.train.momentum's dispose() leaves its learning-rate scalar behind (tfjs 4.22).
 */
class Momentum implements Updater {
  private readonly acc: Tensor[] = [];
  private lr: Scalar;
  private readonly mu: Scalar;

  constructor(private readonly tf: TF, learningRate: number, momentum: number, private readonly nesterov: boolean) {
    this.lr = tf.scalar(learningRate);
    this.mu = tf.scalar(momentum);
  }

  apply(vars: Variable[], grads: Tensor[]): void {
    const tf = this.tf;
    vars.forEach((w, i) => {
      const g = grads[i];
      const a0 = this.acc[i];
      const a = tf.tidy(() => (a0 ? tf.add(tf.mul(a0, this.mu), g) : tf.clone(g)));
      tf.tidy(() => {
        w.assign(tf.sub(w, tf.mul(this.nesterov ? tf.add(g, tf.mul(a, this.mu)) : a, this.lr)));
      });
      a0?.dispose();
      this.acc[i] = a;
    });
  }

  setLearningRate(lr: number): void {
    this.lr.dispose();
    this.lr = this.tf.scalar(lr);
  }

  dispose(): void {
    this.tf.dispose([...this.acc, this.lr, this.mu]);
    this.acc.length = 0;
  }
}

/** tf.train.* for the rest (RMSProp). */
class TfOptimizer implements Updater {
  constructor(private readonly optimizer: Optimizer) {}

  apply(vars: Variable[], grads: Tensor[]): void {
    const named: NamedTensorMap = {};
    vars.forEach((v, i) => { named[v.name] = grads[i]; });
    this.optimizer.applyGradients(named);
  }

  setLearningRate(lr: number): void {
    // tf.train's optimizers read their (protected) learningRate at every applyGradients
    (this.optimizer as unknown as { learningRate: number }).learningRate = lr;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** The updater for `o`. For plain SGD the caller folds the learning rate into the gradients. */
function makeUpdater(tf: TF, o: OptimizerSpec): Updater {
  const c = optimizerSettings(o);
  switch (o.type) {
    case 'sgd': return new FoldedSgd(tf);
    case 'adam': return new Adam(tf, c.learningRate, c.beta1, c.beta2, c.epsilon);
    case 'momentum': return new Momentum(tf, c.learningRate, c.momentum, c.useNesterov);
    case 'rmsprop': return new TfOptimizer(tf.train.rmsprop(c.learningRate, c.decay, c.momentum, c.epsilon));
  }
}

let paramCounter = 0;

/** tfjs variables updated by an Updater: every backend. */
class VariableParams implements ParamSet {
  readonly kernels: Variable<Rank.R2>[];
  readonly biases: Variable<Rank.R1>[];
  readonly foldsLearningRate: boolean;
  private readonly updater: Updater;

  constructor(private readonly tf: TF, o: OptimizerSpec, kernels: Tensor2D[], biases: Tensor1D[]) {
    const id = ++paramCounter;
    // tf.variable shares the initial tensor's data and keeps its own reference
    this.kernels = kernels.map((k, l) => tf.variable(k, true, `gl${id}_kernel${l}`));
    this.biases = biases.map((b, l) => tf.variable(b, true, `gl${id}_bias${l}`));
    this.updater = makeUpdater(tf, o);
    this.foldsLearningRate = o.type === 'sgd';
  }

  apply(kernelGrads: Tensor[], biasGrads: Tensor[]): void {
    this.updater.apply([...this.kernels, ...this.biases], [...kernelGrads, ...biasGrads]);
  }

  setLearningRate(lr: number): void {
    this.updater.setLearningRate(lr);
  }

  dispose(): void {
    this.updater.dispose();
    this.tf.dispose([...this.kernels, ...this.biases]);
  }
}

/**
 * The parameters of a run, initialised from `kernels` and `biases` (the caller keeps and disposes those). On the
 * tensorflow backend, stateful optimizers run as TensorFlow's fused kernels on resource variables
 * (src/core/nativeOps.ts); everywhere else, tfjs variables and the updaters above.
 */
export function createParams(tf: TF, o: OptimizerSpec, kernels: Tensor2D[], biases: Tensor1D[]): ParamSet {
  if (NativeParams.supports(o) && nativeOpsAvailable(tf)) return new NativeParams(tf, o, kernels, biases);
  return new VariableParams(tf, o, kernels, biases);
}
