// Training events, shaped like tfjs callbacks (tfjs-layers base_callbacks.ts): begin / step / eval /
// end, numbers only (every tensor is read and disposed before an event leaves the trainer), so an
// event can be posted across a process boundary as is. The probe is the exception: it hands the
// diagnostics engine typed arrays in-process (see ProbeData) and is never posted raw.
import type { ModelSpec, Activation } from './spec';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** A backend tried before the one in use, and why it was not used. */
export interface SkippedBackend {
  name: BackendName;
  reason: string;
  /**
   * tensorflow only: `absent` when tfjs-node is not installed where it was looked for (the panel then
   * offers the native set-up), `broken` when an installation was found but does not load.
   */
  kind?: 'absent' | 'broken';
}

export interface BackendInfo {
  /** The backend that runs the training. */
  name: BackendName;
  /** What was asked for. */
  requested: BackendRequest;
  /** Backends tried before `name` and why each was skipped, in order. */
  skipped: SkippedBackend[];
  /** wasm only: whether SIMD is used. */
  simd?: boolean;
  /** Threads one operation may use: wasm always 1; tensorflow: TF_NUM_INTRAOP_THREADS. */
  threads?: number;
  /** tensorflow only: TF_NUM_INTEROP_THREADS (operations run concurrently). */
  interOpThreads?: number;
  /** tensorflow only: the libtensorflow version the addon runs on (e.g. "2.21.0"). */
  tensorflowVersion?: string;
  /** tensorflow only: the @tensorflow/tfjs-node folder that was loaded. */
  nativePath?: string;
}

export interface StartEvent {
  type: 'start';
  spec: ModelSpec;
  backend: BackendInfo;
  parameterCount: number;
  totalSteps: number;
  probeEvery: number;
  evalEvery: number;
  trainExamples: number;
  testExamples: number;
  probeExamples: number;
}

export interface StepEvent {
  type: 'step';
  /** 1-based: the step that just finished. */
  step: number;
  /** Mean softmax cross-entropy of the training batch, before this step's update. */
  loss: number;
  /** Share of the batch classified correctly, before this step's update. */
  batchAccuracy: number;
}

export interface EvalEvent {
  type: 'eval';
  step: number;
  /** Mean cross-entropy and accuracy on the full test set. */
  testLoss: number;
  testAccuracy: number;
  /** How many test images were predicted as each class (length 10). */
  predictedCounts: number[];
  testExamples: number;
  final: boolean;
}

export interface EndEvent {
  type: 'end';
  /** Steps completed (less than totalSteps when stopped). */
  steps: number;
  stopped: boolean;
  testAccuracy: number;
  testLoss: number;
  /** Wall time of the training loop, first step to last, probes included, evals excluded (docs/design.md's trainMs). */
  trainMs: number;
  /** Time spent inside probes (included in trainMs). */
  probeMs: number;
  /** Time spent on test-set evaluations (not in trainMs). */
  evalMs: number;
}

export interface ErrorEvent {
  type: 'error';
  message: string;
  /** 'spec' | 'data' | 'backend' | 'settings' | 'training' | 'internal' | 'protocol' (a message the training process rejected) */
  kind: string;
  step?: number;
}

export type TrainingEvent = StartEvent | StepEvent | EvalEvent | EndEvent | ErrorEvent;

/** One layer as seen on the probe batch. Matrices are row-major. */
export interface LayerProbe {
  layer: number;
  activation: Activation;
  units: number;
  fanIn: number;
  /** Kernel, fanIn × units: weights[i * units + j] connects input i to unit j. */
  weights: Float32Array;
  bias: Float32Array;
  /** d(mean probe loss)/d(kernel), same shape as weights. */
  weightGrad: Float32Array;
  biasGrad: Float32Array;
  /** Pre-activations on the probe batch, probeExamples × units. */
  preActivations: Float32Array;
  /** Activations (layer outputs) on the probe batch, probeExamples × units (softmax probabilities for the last layer). */
  outputs: Float32Array;
}

/** What the probe hook receives every `probeEvery` steps (and after step 0's forward pass, as step 0). */
export interface ProbeData {
  /** Steps completed when the probe was taken (0 = at initialisation). */
  step: number;
  totalSteps: number;
  examples: number;
  /** Labels of the probe batch. */
  labels: Uint8Array;
  /** Mean cross-entropy of the probe batch. */
  loss: number;
  /** Recent training losses (one per step since the previous probe), for plateau / explosion checks. */
  recentLosses: number[];
  layers: LayerProbe[];
  spec: ModelSpec;
  /** Share of each class in the training labels (length 10): the prior a collapsed model falls back to. */
  classPrior: number[];
  learningRate: number;
}
