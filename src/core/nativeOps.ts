// TensorFlow ops that tfjs does not expose, for the tensorflow backend.
//
// Parameters as TensorFlow resource variables, updated in place by TensorFlow's own fused optimizer kernels
// (ResourceApplyAdam, ResourceApplyMomentum, ResourceApplyRMSProp): on the tensorflow backend one kernel per
// variable and step, one pass over its memory, instead of 12–14 element-wise tfjs ops that each allocate a
// full-size tensor (docs/performance.md: at the 1024-wide rung, 0.6 ms instead of ≈ 5 ms per million weights).
//
// tfjs-node exposes no resource variables, but its kernel backend executes any TensorFlow op by name
// (NodeJSKernelBackend.executeSingleOutput / binding.executeOp, as its own kernels do). This module uses that
// and nothing else; `nativeOpsAvailable` checks the pieces exist, and the trainer falls back to tfjs ops otherwise.
// The optimizers' formulas are tf.train.*'s (checked against them in test/unit/optimizers.test.ts):
//   adam: ResourceApplyAdam computes w −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m/(√v + ε̂); with ε̂ = ε·√(1−β2ᵗ) that is
//         tf.train.adam's w −= lr · m̂/(√v̂ + ε);
//   momentum (and Nesterov), rmsprop (not centered): the same update rules as tf.train.momentum / rmsprop.
import type { Tensor, Tensor1D, Tensor2D, Scalar } from '@tensorflow/tfjs-core';
import type { TF } from './backend';
import { type OptimizerSpec, optimizerSettings } from './spec';

interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** The parts of tfjs-node's NodeJSKernelBackend used here. */
interface NodeBackend {
  binding: {
    executeOp(name: string, attrs: OpAttr[], inputIds: number[], numOutputs: number): unknown;
    TF_FLOAT: number;
    TF_ATTR_TYPE: number;
    TF_ATTR_SHAPE: number;
    TF_ATTR_STRING: number;
    TF_ATTR_BOOL: number;
  };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: Tensor[]): Tensor;
  getInputTensorIds(inputs: Tensor[]): number[];
}

function nodeBackend(tf: TF): NodeBackend | undefined {
  const be = tf.backend() as unknown as Partial<NodeBackend>;
  const b = be.binding;
  if (!b || typeof b.executeOp !== 'function' || typeof be.executeSingleOutput !== 'function' || typeof be.getInputTensorIds !== 'function') return undefined;
  if (![b.TF_FLOAT, b.TF_ATTR_TYPE, b.TF_ATTR_SHAPE, b.TF_ATTR_STRING, b.TF_ATTR_BOOL].every((x) => typeof x === 'number')) return undefined;
  return be as NodeBackend;
}

/** True when `tf` runs on tfjs-node and its backend can execute TensorFlow ops by name. */
export function nativeOpsAvailable(tf: TF): boolean {
  return tf.getBackend() === 'tensorflow' && nodeBackend(tf) !== undefined;
}

/** TensorFlow ops the trainer calls directly on the tensorflow backend, each one TensorFlow op. */
export interface NativeKernels {
  /**
   * A 2-D product as one BatchMatMulV2 (the kernel tfjs-node's own matMul uses; tf.matMul reshapes both operands
   * and the result to 3-D around it: four ops). Not TensorFlow's MatMul op: called through the binding, it
   * corrupts the heap under V8's sampling profiler (node --cpu-prof) with libtensorflow 2.21, BatchMatMulV2 does not.
   */
  matMul(a: Tensor2D, b: Tensor2D, transposeA: boolean, transposeB: boolean): Tensor2D;
  /** dLoss/dz = dLoss/dh where h > 0, else 0 (h is the relu's output, > 0 exactly where its input is): ReluGrad. */
  reluGrad(dh: Tensor2D, h: Tensor2D): Tensor2D;
  /** Column sums (the bias gradient): BiasAddGrad. tf.sum uploads its axis as a tensor first. */
  biasGrad(dz: Tensor2D): Tensor1D;
}

/** The direct kernels, or undefined when `tf` is not running on tfjs-node. */
export function nativeKernels(tf: TF): NativeKernels | undefined {
  const be = tf.getBackend() === 'tensorflow' ? nodeBackend(tf) : undefined;
  if (!be) return undefined;
  const b = be.binding;
  const T: OpAttr = { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT };
  const flag = (name: string, value: boolean): OpAttr => ({ name, type: b.TF_ATTR_BOOL, value });
  const nhwc: OpAttr = { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' };
  return {
    matMul: (x, y, ta, tb) => be.executeSingleOutput('BatchMatMulV2', [T, flag('adj_x', ta), flag('adj_y', tb)], [x, y]) as Tensor2D,
    reluGrad: (dh, h) => be.executeSingleOutput('ReluGrad', [T], [dh, h]) as Tensor2D,
    biasGrad: (dz) => be.executeSingleOutput('BiasAddGrad', [T, nhwc], [dz]) as Tensor1D,
  };
}

let handleCounter = 0;

/** One resource variable: created from an initial value, read as a tensor, destroyed on dispose. */
class ResourceVariable {
  private readonly handle: Tensor;
  private current: Tensor | undefined;

  constructor(private readonly be: NodeBackend, initial: Tensor) {
    const b = be.binding;
    this.handle = be.executeSingleOutput('VarHandleOp', [
      { name: 'dtype', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
      { name: 'shape', type: b.TF_ATTR_SHAPE, value: initial.shape },
      { name: 'container', type: b.TF_ATTR_STRING, value: '' },
      // unique per process: eager resource variables are looked up by name in the context's resource manager
      { name: 'shared_name', type: b.TF_ATTR_STRING, value: `gradient_lens_${process.pid}_${++handleCounter}` },
    ], []);
    this.run('AssignVariableOp', [{ name: 'dtype', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT }], [initial]);
  }

  /** Executes an op whose first input is this variable and which has no outputs. */
  run(op: string, attrs: OpAttr[], inputs: Tensor[]): void {
    this.be.binding.executeOp(op, attrs, this.be.getInputTensorIds([this.handle, ...inputs]), 0);
  }

  /** The variable's value now (TensorFlow shares the buffer until the next update writes it). */
  read(): Tensor {
    this.release();
    const b = this.be.binding;
    this.current = this.be.executeSingleOutput('ReadVariableOp', [{ name: 'dtype', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT }], [this.handle]);
    return this.current;
  }

  /** Drops the last read, so an in-place update does not have to copy the buffer first. */
  release(): void {
    this.current?.dispose();
    this.current = undefined;
  }

  /** The raw handle, for ops that take several variables (the optimizer's slots). */
  get ref(): Tensor {
    return this.handle;
  }

  dispose(): void {
    this.release();
    this.be.binding.executeOp('DestroyResourceOp', [{ name: 'ignore_lookup_error', type: this.be.binding.TF_ATTR_BOOL, value: true }], this.be.getInputTensorIds([this.handle]), 0);
    this.handle.dispose();
  }
}

/** Model parameters the trainer reads each step and updates with one step's gradients. */
export interface ParamSet {
  /** Current kernels (fanIn × units) and biases; valid until the next apply. Owned by the set. */
  readonly kernels: Tensor2D[];
  readonly biases: Tensor1D[];
  /** Applies one step's gradients (same order as kernels / biases). Disposes nothing it was given. */
  apply(kernelGrads: Tensor[], biasGrads: Tensor[]): void;
  /** Plain SGD with the learning rate folded into dLoss/dLogits by the caller. */
  readonly foldsLearningRate: boolean;
  /** The learning rate from the next apply on (a schedule); not called for plain SGD, whose rate is folded. */
  setLearningRate(lr: number): void;
  dispose(): void;
}

/** Stateful optimizers (adam, momentum, rmsprop) on resource variables. Not for plain SGD (one tfjs op is as cheap). */
export class NativeParams implements ParamSet {
  readonly kernels: Tensor2D[] = [];
  readonly biases: Tensor1D[] = [];
  readonly foldsLearningRate = false;
  private readonly be: NodeBackend;
  private readonly vars: ResourceVariable[] = [];
  /** Optimizer slots per variable (adam: m, v; momentum: accumulation; rmsprop: ms, mom). */
  private readonly slots: ResourceVariable[][] = [];
  private readonly constants: Scalar[] = [];
  private t = 0;

  static supports(o: OptimizerSpec): boolean {
    return o.type === 'adam' || o.type === 'momentum' || o.type === 'rmsprop';
  }

  /** The optimizer's options with their defaults. */
  private readonly set: ReturnType<typeof optimizerSettings>;

  constructor(private readonly tf: TF, private readonly o: OptimizerSpec, kernels: Tensor2D[], biases: Tensor1D[]) {
    this.set = optimizerSettings(o);
    const be = nodeBackend(tf);
    if (!be || !NativeParams.supports(o)) throw new Error('NativeParams: needs the tensorflow backend and a stateful optimizer');
    this.be = be;
    const slotCount = o.type === 'momentum' ? 1 : 2;
    for (const init of [...kernels, ...biases]) {
      const v = new ResourceVariable(be, init);
      this.vars.push(v);
      const zeros = tf.zerosLike(init);
      this.slots.push(Array.from({ length: slotCount }, () => new ResourceVariable(be, zeros)));
      zeros.dispose();
    }
    this.refresh();
  }

  setLearningRate(lr: number): void {
    this.set.learningRate = lr;
    // the constants hold it from the first step on: replace its scalar
    if (this.constants.length > 0) {
      this.constants[0].dispose();
      this.constants[0] = this.tf.scalar(lr);
    }
  }

  private refresh(): void {
    const L = this.vars.length / 2;
    this.vars.forEach((v, i) => {
      const t = v.read();
      if (i < L) this.kernels[i] = t as Tensor2D;
      else this.biases[i - L] = t as Tensor1D;
    });
  }

  apply(kernelGrads: Tensor[], biasGrads: Tensor[]): void {
    const { tf, o, set } = this;
    const b = this.be.binding;
    const T: OpAttr = { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT };
    const noLock: OpAttr = { name: 'use_locking', type: b.TF_ATTR_BOOL, value: false };
    this.t++;
    const grads = [...kernelGrads, ...biasGrads];
    for (const v of this.vars) v.release();
    const perStep: Scalar[] = [];
    const stepScalar = (x: number): Scalar => {
      const s = tf.scalar(x);
      perStep.push(s);
      return s;
    };
    if (this.constants.length === 0) {
      // made on the first step, kept for the run
      if (o.type === 'adam') this.constants.push(tf.scalar(set.learningRate), tf.scalar(set.beta1), tf.scalar(set.beta2));
      else if (o.type === 'momentum') this.constants.push(tf.scalar(set.learningRate), tf.scalar(set.momentum));
      else this.constants.push(tf.scalar(set.learningRate), tf.scalar(set.decay), tf.scalar(set.momentum), tf.scalar(set.epsilon));
    }
    const c = this.constants;
    if (o.type === 'adam') {
      const b1Power = stepScalar(set.beta1 ** this.t);
      const b2Power = stepScalar(set.beta2 ** this.t);
      const epsHat = stepScalar(set.epsilon * Math.sqrt(1 - set.beta2 ** this.t));
      this.vars.forEach((v, i) => v.run('ResourceApplyAdam', [T, noLock, { name: 'use_nesterov', type: b.TF_ATTR_BOOL, value: false }],
        [this.slots[i][0].ref, this.slots[i][1].ref, b1Power, b2Power, c[0], c[1], c[2], epsHat, grads[i]]));
    } else if (o.type === 'momentum') {
      const nesterov: OpAttr = { name: 'use_nesterov', type: b.TF_ATTR_BOOL, value: set.useNesterov };
      this.vars.forEach((v, i) => v.run('ResourceApplyMomentum', [T, noLock, nesterov], [this.slots[i][0].ref, c[0], grads[i], c[1]]));
    } else {
      this.vars.forEach((v, i) => v.run('ResourceApplyRMSProp', [T, noLock], [this.slots[i][0].ref, this.slots[i][1].ref, c[0], c[1], c[2], c[3], grads[i]]));
    }
    tf.dispose(perStep);
    this.refresh();
  }

  dispose(): void {
    for (const v of this.vars) v.dispose();
    for (const s of this.slots) for (const v of s) v.dispose();
    this.tf.dispose(this.constants);
    this.vars.length = 0;
    this.slots.length = 0;
    this.constants.length = 0;
  }
}
