// The parts of the training program besides the layers, as the framework modules read them (spec.ts: data,
// objective, update extras): how the pixels are scaled on their way to the first layer, which data the training
// step is fed, the loss the optimizer minimises (frameworks/tfLoss.ts reads it), gradient clipping, and where the
// run will differ from the program (deviations). `finishProgram` turns them into the spec's parts, the source
// sites findings land on, and the cures in the file's idiom (ImportResult.program / programFixes / deviations).
import type { DataSpec, ObjectiveSpec, UpdateExtras } from '../spec';
import type { Fix } from '../findings';
import type { Span } from './ast';
import type { Val } from './interpret';
import type { LayerRec, ModelBuilder, OptimizerRec } from './model';

/** Pixels as `(byte / divideBy − mean) / std`. */
export interface DataScale {
  divideBy: number;
  mean: number;
  std: number;
}
export const RAW_PIXELS: DataScale = { divideBy: 1, mean: 0, std: 1 };
export const UNIT_PIXELS: DataScale = { divideBy: 255, mean: 0, std: 1 };

/** Where a data array comes from and what was done to it since (model.ts DataV carries it). */
export interface DataInfo {
  scale: DataScale;
  /** The expression that loads it (`mnist.load_data()`, `read_data_sets(...)`). */
  load: Span;
  /** The last scaling written (`x_train / 255.`, `.div(255)`). */
  scaleSpan?: Span;
  /** An operation on the pixels that is not a scaling by a number (`255 - x`, `x / x_std_array`). */
  unknownScale?: boolean;
  /** A label array (no pixels). */
  labels?: boolean;
  /** Labels as one-hot rows (`to_categorical`, `read_data_sets(one_hot=True)`). */
  oneHot?: boolean;
  /** The training split (else test / validation). */
  train?: boolean;
  /** Rows were sliced from a split of `total` rows, starting at `offset`. */
  total?: number;
  offset?: number;
  /** Indexed by a permutation. */
  shuffled?: boolean;
  /** The framework shuffles what it draws from it (TF1 `next_batch`). */
  drawsShuffled?: boolean;
  /** Raw bytes (uint8, 0–255) the program reads with its own code (frameworks/bytes.ts): `load` is the read, until they become floats. */
  bytes?: boolean;
  /** Those bytes were made floats at `load` (`x.astype(np.float32)`), unscaled: where the pixels enter the program, and where `/ 255` goes. */
  madeFloat?: boolean;
  /** Values of a source not read (tfjs `tf.tensor2d(values)`): their scale is known only once the program scales them. */
  unknownOrigin?: boolean;
}

/** `scale op k` (`left`) or `k op scale`; undefined when that is not a scaling of the pixels. */
export function scaleBy(s: DataScale, op: string, k: number, left: boolean): DataScale | undefined {
  if (!Number.isFinite(k)) return undefined;
  const plain = s.mean === 0 && s.std === 1;
  if (op === '/' && left && k > 0) return plain ? { ...s, divideBy: s.divideBy * k } : { ...s, std: s.std * k };
  if (op === '*' && k > 0) return plain ? { ...s, divideBy: s.divideBy / k } : { ...s, std: s.std / k };
  if (op === '-' && left) return { ...s, mean: s.mean + k * s.std };
  if (op === '+') return { ...s, mean: s.mean - k * s.std };
  return undefined;
}

const lastName = (path: string): string => path.slice(path.lastIndexOf('.') + 1);

/** `np.uint8`, `tf.uint8`, `torch.uint8`, `'uint8'`, `'u1'`: the element type is bytes. */
export function isUint8(v: Val | undefined): boolean {
  if (!v) return false;
  if (v.t === 'ref') return lastName(v.path) === 'uint8';
  if (v.t === 'str') return v.v === 'uint8' || v.v === 'u1';
  return false;
}

/** `np.float32`, `'float32'`, `float`, `tf.float32`, `torch.float`: a floating element type. */
export function isFloatType(v: Val | undefined): boolean {
  if (!v) return false;
  if (v.t === 'ref') return /^(float|float16|float32|float64|double|half|single|bfloat16)$/.test(lastName(v.path));
  if (v.t === 'str') return /^(float|float16|float32|float64|double|f4|f8)$/.test(v.v);
  if (v.t === 'builtin') return v.name === 'float';
  return false;
}

export function dataSpecOf(s: DataScale): DataSpec {
  const out: DataSpec = { divideBy: round(s.divideBy) };
  if (s.mean !== 0) out.mean = round(s.mean);
  if (s.std !== 1) out.std = round(s.std);
  return out;
}
const round = (x: number): number => Number(x.toPrecision(12));

/** A source edit before spans become ranges (index.ts converts them). */
export interface SpanEdit {
  span: Span;
  newText: string;
}
export interface PendingFix {
  fix: Fix;
  edits: SpanEdit[];
}

/** The loss the program minimises, as read. */
export interface LossRec {
  objective: ObjectiveSpec;
  /** The layer whose output the loss is computed on, and the activation the loss sees on it. */
  layer: LayerRec;
  activation: string;
  /** The loss call or the hand-written formula. */
  span: Span;
  reductionSpan?: Span;
  /** Where the output activation the loss sees is written. */
  activationSpan?: Span;
  fixes: PendingFix[];
  /** How the run differs from this loss as written (a scale factor, a reduction the spec cannot say). */
  deviations: { span: Span; message: string }[];
  /** A constant factor on the loss the run leaves out (a deviation says so). */
  scale?: number;
  /** Label arrays as the loss gets them, when known (framework errors). */
  oneHotLabels?: boolean;
}

/** The training data: what the training step is fed, where. */
export interface TrainData {
  info: DataInfo;
  rows?: number;
  /** Where it is fed (`x_train` in `fit(x_train, …)`, `batch_xs` in the feed dict). */
  fed: Span;
  shuffle?: boolean;
}

export interface ProgramRec {
  /** The data a training step is fed (a feed dict, `fit`). */
  data?: TrainData;
  /** Data that reached the model input (a custom loop's batches), when nothing feeds it explicitly. */
  inputData?: TrainData;
  /** Where the data was last handed over (a tf.data pipeline iterated, a fit argument). */
  lastDataSpan?: Span;
  /** The placeholders used as the model input (their feeds are the pixels). */
  inputs: Set<unknown>;
  /** Dropouts whose keep probability (or rate) is a placeholder fed in training. */
  keepProbs: { placeholder: unknown; keep: boolean; layer: LayerRec; span: Span }[];
  /** The value an optimizer minimises or a tape differentiates (a loss term of lossValues.ts, when read), and where it is passed. */
  minimized?: { value: unknown; span: Span };
  /** The labels `fit` is given (one-hot rows or class indices), and where. */
  fitLabels?: { oneHot: boolean; span: Span };
  /** The losses Keras / tfjs models are compiled with, by model. */
  compiled: { model: unknown; value: unknown; span: Span; expr: Span }[];
  loss?: LossRec;
  /** Gradient clipping read in a custom step (`tf.clip_by_global_norm`, `clip_by_value` of the gradients). */
  clip: UpdateExtras;
  clipSpan?: Span;
  deviations: { span: Span; message: string }[];
  /** Framework errors: the line raises in TensorFlow (issue 22). */
  errors: { span: Span; message: string }[];
  /**
   * Every place bytes the program read itself become float pixels, unscaled (`x_train = …astype(np.float32)`,
   * `x_test = …astype(np.float32)`, `tf.tensor2d(bytes, [n, 784])`), with the width they have there: a / 255 cure
   * scales the test images where they become floats too, or the program would test on pixels it never trained on.
   */
  floatPixels: { span: Span; width?: number }[];
}

const PROGRAMS = new WeakMap<ModelBuilder, ProgramRec>();
export function programOf(session: ModelBuilder): ProgramRec {
  let p = PROGRAMS.get(session);
  if (!p) PROGRAMS.set(session, (p = { clip: {}, deviations: [], errors: [], inputs: new Set(), keepProbs: [], compiled: [], floatPixels: [] }));
  return p;
}

/** A deviation, once per span and message. */
export function deviate(session: ModelBuilder, span: Span, message: string): void {
  const p = programOf(session);
  if (!p.deviations.some((d) => d.span.from === span.from && d.span.to === span.to && d.message === message)) p.deviations.push({ span, message });
}

/** What finishProgram gives index.ts. */
export interface ProgramParts {
  data?: DataSpec;
  objective?: ObjectiveSpec;
  /** The output layer's activation as the loss sees it (with `objective`). */
  outputActivation?: string;
  sites: { input?: Span; loss?: Span; outputActivation?: Span; reduction?: Span; optimizer?: Span };
  fixes: PendingFix[];
  deviations: { span: Span; message: string }[];
  errors: { span: Span; message: string }[];
  extras: UpdateExtras;
}

export interface DataFixEdits {
  /** Edits that scale the pixels to [0, 1] where they are loaded or fed (and, for bytes, everywhere they become floats: `floatPixels`). */
  (data: TrainData, floatPixels: ProgramRec['floatPixels']): SpanEdit[] | undefined;
}

/** The spec parts, sites and cures of the program read into `session`, for the model `layers`. */
export function finishProgram(session: ModelBuilder, layers: readonly LayerRec[], optimizer: OptimizerRec | undefined, text: string, dataEdits: DataFixEdits): ProgramParts {
  const p = programOf(session);
  const out: ProgramParts = { sites: {}, fixes: [], deviations: [...p.deviations], errors: [...p.errors], extras: { ...p.clip } };
  if (optimizer) out.sites.optimizer = optimizer.span;
  const d = p.data ?? p.inputData;
  if (d && !d.info.unknownScale && !d.info.labels && !(d.info.unknownOrigin && !d.info.scaleSpan)) {
    const data = dataSpecOf(d.info.scale);
    if (d.shuffle !== undefined) data.shuffle = d.shuffle;
    if (d.rows !== undefined && d.info.train && d.info.total !== undefined && d.rows < d.info.total && (d.info.offset ?? 0) === 0 && d.rows > 0) data.trainExamples = d.rows;
    out.data = data;
    out.sites.input = d.info.scaleSpan ?? (d.info.scale.divideBy !== 1 || d.info.madeFloat ? d.info.load : d.fed);
    if (data.divideBy === 1 && data.mean === undefined && data.std === undefined) {
      const edits = dataEdits(d, p.floatPixels);
      if (edits) out.fixes.push({ fix: { kind: 'data', value: { ...data, divideBy: 255 }, label: 'Scale the pixels to [0, 1] (/ 255)' }, edits });
    }
  } else if (d?.info.unknownScale) {
    out.deviations.push({ span: d.info.scaleSpan ?? d.fed, message: 'the pixels are transformed here in a way Gradient Lens does not follow: the run scales them to [0, 1] (/ 255) instead' });
  }
  const loss = p.loss;
  const last = layers[layers.length - 1];
  if (loss && last && loss.layer === last) {
    out.objective = loss.objective;
    out.outputActivation = loss.activation;
    out.sites.loss = loss.span;
    out.sites.reduction = loss.reductionSpan ?? loss.span;
    if (loss.activationSpan) out.sites.outputActivation = loss.activationSpan;
    out.fixes.push(...loss.fixes);
    out.deviations.push(...loss.deviations);
  }
  void text;
  return out;
}
