// The framework-neutral model vocabulary that framework modules (frameworks/*.ts) build with: records
// of layers, models and optimizers; the `ModelBuilder` that collects them for one file (the
// interpreter's session) and picks the model at the end; and the dataflow values shared by every
// framework — an input, a tensor that knows which layer produced it, a variable with its initializer,
// a layer object that can be applied to a tensor. `x @ W + b` / `tf.matmul(x, W) + b` through an
// activation, `Dense(...)(x)`, `nn.Linear` in `forward()` all end up as the same `LayerRec` chain.
import type { Initializer, OptimizerSpec, RegularizerSpec } from '../spec';
import type { Span } from './ast';
import { type DataInfo, deviate, isFloatType, programOf, scaleBy } from './programParts';
import { GradsV, LogV, OutExprV, TermV, seenActivation } from './lossValues';
import { type Host, type Native, type Note, type Val, UNKNOWN, UnboundParamV, native, nativeOf } from './interpret';
import type { InitializerIdiom, SourceLanguage } from './types';

/** Where an initializer is written, so a quick fix can rewrite it in the file's own idiom. */
export interface InitSite {
  span: Span;
  idiom: InitializerIdiom;
  /** Module prefix to reuse (`tf`, `tf.compat.v1`, `tf.keras.initializers`); '' when the name was imported bare. */
  prefix: string;
  /** TF1 tensor initial values: the source span of the shape argument. */
  shape?: Span;
  /** TF2 spelling (`tf.random.uniform`) rather than TF1 (`tf.random_uniform`). */
  v2?: boolean;
  /** PyTorch: the source span of the parameter tensor the init call or method works on. */
  tensor?: Span;
  /** Set when the same source expression initialises several layers (a helper function): no edit then. */
  shared?: boolean;
}

export interface InitRec {
  init: Initializer;
  site?: InitSite;
}

export interface LayerRec {
  id: number;
  /** The name the source gives it (`Dense(..., name='hidden1')`). */
  name?: string;
  /** The framework module that made it (its `language` labels the file). */
  framework: string;
  units?: number;
  /** Kernel shape when written out (TF1): [fanIn, units]. */
  kernelShape?: (number | undefined)[];
  biasShape?: (number | undefined)[];
  activation?: string;
  activationSpan?: Span;
  activationSite?: { span: Span; idiom: 'string' | 'name' };
  kernel?: InitRec;
  bias?: InitRec;
  useBias: boolean;
  /** The expression that creates the kernel (findings anchor here). */
  weightsSpan: Span;
  biasSpan?: Span;
  definition: Span;
  /** The user-function calls that led to the definition / the weights / the bias (outermost first). */
  via?: Span[];
  weightsVia?: Span[];
  biasVia?: Span[];
  /** Where the weights were created when `weightsSpan` moved to a call site (a helper shared by several layers). */
  weightsCreated?: Span;
  /** Its input comes out of a convolution (or another construct Gradient Lens does not train). */
  conv?: Refusal;
  /** TF1: the variables multiplied / added in (the same product written twice is the same layer). */
  kernelVar?: VarV;
  biasVar?: VarV;
  /** The expression an activation function was applied to (`tf.matmul(h, W2) + b2` in `tf.nn.softmax(...)`), and the calls that led there. */
  preActivation?: { span: Span; via: Span[] };
  input?: LayerRec | 'input';
  /** Used as logits of a softmax cross-entropy. */
  logits?: boolean;
  kind: 'dataflow' | 'object';
  /** The layer object was placed in a model (so it is not also an orphan). */
  placed?: boolean;
  /** TF1: the kernel is a variable multiplied in by hand. */
  fromVariable?: boolean;
  /** Inverted dropout on this layer's output in training (`Dropout(rate)` after it, `tf.nn.dropout`), and where it is written. */
  dropout?: { rate: number; span: Span };
  /** Its kernel regulariser (`kernel_regularizer=l2(0.01)`, `tf.nn.l2_loss(W) * beta` added to the loss). */
  kernelRegularizer?: RegularizerSpec;
}

export interface OptimizerRec {
  spec: OptimizerSpec;
  span: Span;
  lrSpan?: Span;
}

export interface ModelRec {
  span: Span;
  framework: string;
  layers: LayerRec[];
  optimizer?: OptimizerRec;
  fromLogits?: boolean;
  fitted?: boolean;
  compiled?: boolean;
  /** The batch size its `fit` was given. */
  batch?: { value: number; span: Span };
  /** Output layers of other models this one contains (their activation is theirs). */
  inherited?: Set<LayerRec>;
  /** A convolutional (or recurrent) layer is part of it. */
  conv?: Refusal;
}

/** What reading a file gave (index.ts turns it into a spec, ranges and notes). */
export interface Interpretation {
  /** The layers of the model, input to output (empty when none was found). */
  layers: LayerRec[];
  modelSpan?: Span;
  optimizer?: OptimizerRec;
  batch?: { value: number; span: Span };
  steps?: { value: number; span: Span };
  fromLogits: boolean;
  notes: Note[];
  /** Whether the file uses TensorFlow / Keras / tfjs constructs at all (else importSource says "not a model file"). */
  looksLikeModel: boolean;
  /** The label of the framework that built the model. */
  language: SourceLanguage;
  refusal?: Refusal;
  unstableLoss?: UnstableLoss;
  /** The model object read (Keras / tfjs), when the layers are one. */
  model?: ModelRec;
}

/** The per-file state framework modules share (the interpreter's `session`). */
export class ModelBuilder {
  readonly layers: LayerRec[] = [];
  readonly models: ModelRec[] = [];
  readonly optimizers: OptimizerRec[] = [];
  minimized?: OptimizerRec;
  batch?: { value: number; span: Span };
  /** The batch size of the training steps, when they follow a batch draw or are fed a slice. */
  private trainBatch?: { value: number; span: Span };
  private pendingBatch?: { value: number; span: Span };
  /** Step counts by what they train (a Keras / tfjs model, or the TF1 graph): training phases add up. */
  private readonly stepRecords = new Map<ModelRec | 'graph', { step: StepRecord[]; batch?: StepRecord }>();
  looksLikeModel = false;
  /** Constructs that make the model they are part of something Gradient Lens does not train (convolutions, recurrent layers). */
  readonly unsupported: Refusal[] = [];
  /** A hand-written loss that can turn NaN (the `unstable-loss` finding). */
  unstableLoss?: UnstableLoss;
  private readonly siteUses = new Map<string, InitSite[]>();
  /** Ids of the framework modules whose handlers read something in this file. */
  readonly used = new Set<string>();
  /** Framework id → its language label (frameworks/registry.ts fills it). */
  readonly languages = new Map<string, SourceLanguage>();

  /**
   * A construct (a convolution, a recurrent layer) that makes any model it is part of untrainable here. The
   * file is refused when the model read contains one (or when there is no fully-connected model at all);
   * otherwise the construct gets a note. Tensors and layers that come out of it carry the record.
   */
  refuse(span: Span, message: string): Refusal {
    this.looksLikeModel = true;
    const r = { span, message };
    this.unsupported.push(r);
    return r;
  }

  /** Records that the same source initializer now serves one more layer (two or more: no edit). */
  useSite(site: InitSite): void {
    const key = `${site.span.from}:${site.span.to}`;
    const uses = this.siteUses.get(key) ?? [];
    uses.push(site);
    this.siteUses.set(key, uses);
    if (uses.length > 1) for (const s of uses) s.shared = true;
  }

  /** Adds a layer of the dataflow graph (applied to a tensor) and returns it with its id. */
  addLayer(layer: LayerRec): LayerRec {
    layer.id = this.layers.length;
    if (layer.kernel?.site) this.useSite(layer.kernel.site);
    this.layers.push(layer);
    this.looksLikeModel = true;
    return layer;
  }

  addOptimizer(opt: OptimizerRec): OptimizerRec {
    this.optimizers.push(opt);
    return opt;
  }

  /**
   * A batch drawn for training (`next_batch(B)`): the batch size, if a training step follows it
   * (batches drawn for evaluation loops are not the training batch).
   */
  drawBatch(value: number, span: Span): void {
    this.batch = { value, span };
    this.pendingBatch = { value, span };
  }

  /**
   * Training happens here: `perIteration` steps (one `fit` epoch, one `sess.run(train_op)`), times the
   * counts of the enclosing loops. `kind`: 'step' for a real update (a train op run, fit, apply_gradients);
   * 'batch' for a batch drawn (next_batch), which counts only when no real update is found in the file
   * (evaluation loops draw batches too). A batch drawn outside any loop is one step of a loop we do not see.
   */
  recordSteps(host: Host, perIteration: number, span: Span, kind: 'step' | 'batch' = 'step', target: ModelRec | 'graph' = 'graph'): void {
    const rec = { ...this.stepsAt(host, perIteration, span, kind === 'batch'), path: [...host.branchPath] };
    const records = this.stepRecords.get(target) ?? { step: [] };
    this.stepRecords.set(target, records);
    if (kind === 'batch') records.batch = rec;
    else {
      // Training phases one after the other add up (train, save, train more); the other branch of an `if`
      // whose condition is not known replaces instead (only one of them runs).
      const exclusive = records.step.findIndex((r) => (r.path ?? []).some((p) => rec.path.some((q) => q !== p && q.split(':')[0] === p.split(':')[0])));
      if (exclusive >= 0) records.step.splice(exclusive, 1);
      records.step.push(rec);
    }
    if (kind === 'step' && this.pendingBatch) {
      this.trainBatch = this.pendingBatch;
      this.pendingBatch = undefined;
    }
  }

  /** A batch size a training step was fed (`feed_dict={x: x_train[i:i + B]}`). */
  fedBatch(value: number, span: Span): void {
    this.trainBatch ??= { value, span };
  }

  private stepsAt(host: Host, perIteration: number, span: Span, batchDraw: boolean): StepRecord {
    let steps = perIteration;
    const loops = host.loops.filter((l) => l.training || l.count !== 1);
    const unknown = loops.find((l) => l.count === undefined);
    if (unknown) return { span: unknown.header, note: unknown.unknownCount ?? 'could not tell how many times this loop runs: using 1000 steps (the default of the model spec)' };
    for (const l of loops) steps *= l.count!;
    steps = Math.round(steps);
    if (loops.length === 0 && batchDraw) return { span, note: 'this batch is not drawn inside a `for _ in range(N)` loop: using 1000 steps (the default of the model spec)' };
    if (steps < 1) return { span: loops[0]?.header ?? span, note: `this training loop runs ${steps} times: using 1000 steps (the default of the model spec)` };
    return { value: steps, span: loops[0]?.header ?? span };
  }

  /** The layers from the input to `last`, following each layer's input. */
  chain(last: LayerRec): LayerRec[] {
    const out: LayerRec[] = [];
    const seen = new Set<LayerRec>();
    for (let l: LayerRec | 'input' | undefined = last; l && l !== 'input' && !seen.has(l); l = l.input) {
      seen.add(l);
      out.unshift(l);
    }
    return out;
  }

  /** Picks the model: the last fitted (else compiled, else created) model object, else the last dataflow chain. */
  finish(host: Host, notes: Note[], fallback: SourceLanguage): Interpretation {
    const reversed = [...this.models].reverse();
    const model = reversed.find((m) => m.fitted && m.layers.length > 0) ?? reversed.find((m) => m.compiled && m.layers.length > 0)
      ?? reversed.find((m) => m.layers.length > 0) ?? this.models[this.models.length - 1];
    let layers: LayerRec[] = [];
    let modelSpan: Span | undefined;
    let optimizer: OptimizerRec | undefined;
    let fromLogits = false;
    if (model && model.layers.length > 0) {
      layers = model.layers;
      modelSpan = model.span;
      // A model never compiled is trained by a custom loop: with the optimizer that loop applies.
      optimizer = model.optimizer ?? (model.compiled ? undefined : this.minimized);
      fromLogits = model.fromLogits ?? false;
      if (!model.compiled && !optimizer) host.note(model.span, 'this model is never compiled: using SGD with learning rate 0.5 (the default of the model spec)');
    } else {
      const dataflow = this.layers.filter((l) => l.kind === 'dataflow');
      const last = dataflow[dataflow.length - 1];
      if (last) {
        layers = this.chain(last);
        for (const l of dataflow) if (!layers.includes(l)) host.note(l.definition, 'this layer is not on the path from the input to the model output: ignored');
        const first = layers[0];
        if (first && first.input !== 'input') host.note(first.definition, 'could not trace this layer back to the model input');
        modelSpan = { from: Math.min(...layers.map((l) => Math.min(l.definition.from, l.weightsSpan.from))), to: Math.max(...layers.map((l) => l.definition.to)) };
        optimizer = this.minimized ?? this.optimizers[this.optimizers.length - 1];
        fromLogits = layers[layers.length - 1]?.logits ?? false;
        if (this.models.length > 0) optimizer = this.models[this.models.length - 1].optimizer ?? optimizer;
      } else if (model) {
        modelSpan = model.span;
        host.note(model.span, 'this model has no dense layers');
      }
    }
    // A convolutional (or recurrent) model is refused; one beside the model read is only noted.
    let refusal = (model && model.layers.length > 0 && layers === model.layers ? model.conv : undefined) ?? layers.find((l) => l.conv)?.conv;
    if (!refusal && layers.length === 0) refusal = this.unsupported[0];
    if (!refusal && this.unsupported[0]) {
      host.note(this.unsupported[0].span, `${this.unsupported[0].message.replace(/:.*/, '')} here is not the model read from this file (Gradient Lens trains fully-connected networks)`);
    }
    separateShared(layers, (l) => l.weightsSpan, (l) => l.weightsVia, (l, sp, from) => { l.weightsCreated = from; l.weightsSpan = sp; });
    separateShared(layers, (l) => l.biasSpan, (l) => l.biasVia, (l, sp) => { l.biasSpan = sp; });
    separateShared(layers, (l) => l.definition, (l) => l.via, (l, sp) => { l.definition = sp; });
    const tf1 = layers.some((l) => l.framework === 'tf1');
    if (this.optimizers.length > 1 && tf1 && !this.minimized) host.note(this.optimizers[0].span, 'several optimizers and none is minimized: using the last one');
    // No layers (a refused file, say): the framework the file used most specifically.
    const usedFramework = [...this.languages.keys()].find((id) => this.used.has(id));
    const framework = tf1 ? 'tf1' : layers[0]?.framework ?? model?.framework ?? usedFramework;
    const language = (framework ? this.languages.get(framework) : undefined) ?? fallback;
    const records = (model && model.layers.length > 0 ? this.stepRecords.get(model) : undefined) ?? this.stepRecords.get('graph')
      ?? [...this.stepRecords.values()].pop();
    let steps: { value: number; span: Span } | undefined;
    const phases = records?.step.length ? records.step : records?.batch ? [records.batch] : [];
    const unknown = phases.find((r) => r.value === undefined);
    if (unknown?.note) host.note(unknown.span, unknown.note);
    else if (phases.length > 0) steps = { value: phases.reduce((n, r) => n + r.value!, 0), span: phases[0].span };
    const batch = (model && model.layers.length > 0 ? model.batch : undefined) ?? this.trainBatch ?? this.batch;
    return {
      layers, modelSpan, optimizer, batch, steps, fromLogits,
      notes, looksLikeModel: this.looksLikeModel || layers.length > 0, language, refusal,
      unstableLoss: this.unstableLoss && layers.includes(this.unstableLoss.layer) ? this.unstableLoss : undefined,
      model: model && model.layers.length > 0 && layers === model.layers ? model : undefined,
    };
  }
}

export type Fx = Host<ModelBuilder>;

/** Why a model is not something Gradient Lens trains, and where that is written. */
export interface Refusal {
  span: Span;
  message: string;
}

/** Where the step count comes from: a number of steps, or the note that says why it is not known. */
interface StepRecord {
  value?: number;
  span: Span;
  note?: string;
  path?: string[];
}

/**
 * `log` of a softmax output written by hand (`-tf.reduce_sum(y_ * tf.log(y))`): where it is, the construct
 * as written, and — when the source says it in one expression that can be replaced — the stable call
 * that replaces it.
 */
export interface UnstableLoss {
  /** The `log(...)` call. */
  span: Span;
  construct: string;
  /** The layer whose softmax output is logged. */
  layer: LayerRec;
  /** The expression to replace and its replacement (e.g. `tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=...)`). */
  edit?: { span: Span; newText: string };
  /** The idiom of the suggested replacement, for the message. */
  suggestion: string;
}

/**
 * Training data (numpy arrays, tensors of examples): the number of examples when known, so that
 * `x_train.shape[0]`, `len(x_train)` and `fit(x_train, ...)` count right. Arithmetic, reshaping and
 * type casts keep it.
 */
export class DataV implements Native {
  readonly kind = 'data';
  /** `info`: where the pixels come from and how they were scaled since (programParts.ts). */
  constructor(readonly rows: number | undefined, readonly width?: number, readonly info?: DataInfo) {}
  attr(name: string): Val | undefined {
    if (name === 'shape') return { t: 'list', items: [this.rows === undefined ? UNKNOWN : { t: 'num', v: this.rows }, this.width === undefined ? UNKNOWN : { t: 'num', v: this.width }], tuple: true };
    if (name === 'T') return UNKNOWN;
    return undefined;
  }
  method(name: string, call: { args: Val[]; expr: Span }, host: Host): Val | undefined {
    const n = name.toLowerCase();
    if (n === 'reshape') {
      const dims = call.args.length === 1 && call.args[0].t === 'list' ? call.args[0].items : call.args;
      const w = dims[dims.length - 1];
      return native(new DataV(this.rows, w?.t === 'num' && w.v > 0 ? w.v : undefined, this.info));
    }
    // tfjs `xs.slice([0, 0], [n, 784])`: n rows from the first.
    if (n === 'slice' && call.args[0]?.t === 'list' && call.args[1]?.t === 'list') {
      const from = call.args[0].items[0];
      const size = call.args[1].items[0];
      if (from?.t === 'num' && size?.t === 'num' && size.v > 0) return this.slice(from.v, from.v + size.v, host);
    }
    // tfjs `xs.div(255)`, `xs.sub(mean).div(std)`; numpy `x.mean()`, `x.std()`, `x.max()` of pixels as scaled so far.
    if (['div', 'sub', 'mul', 'add'].includes(n) && call.args[0]?.t === 'num') return this.scaled(({ div: '/', sub: '-', mul: '*', add: '+' } as Record<string, string>)[n], call.args[0].v, true, call.expr);
    if (this.info && !this.info.labels && ['mean', 'std', 'max', 'min'].includes(n) && call.args.length === 0) {
      const s = this.info.scale;
      const v = n === 'std' ? PIXEL_STD / (s.divideBy * s.std) : ((n === 'mean' ? PIXEL_MEAN : n === 'max' ? 255 : 0) / s.divideBy - s.mean) / s.std;
      return { t: 'num', v };
    }
    // tfjs `labels.mul(out.log())`: the labels times a hand-written loss's log (lossValues.ts follows it)
    if (n === 'mul' && call.args[0]?.t === 'native' && !nativeOf(call.args[0], DataV)) {
      const e = call.expr as Span & { k?: string; callee?: { k?: string; obj?: Span } };
      const recv = e.k === 'call' && e.callee?.k === 'member' && e.callee.obj ? { from: e.callee.obj.from, to: e.callee.obj.to } : call.expr;
      const r = call.args[0].obj.binary?.('*', native(this), false, host, call.expr, recv);
      if (r) return r;
    }
    // Bytes the program read itself become floats here (`x.reshape(-1, 784).astype(np.float32)`): where a scaling goes.
    if (this.info?.bytes && (n === 'float' || n === 'double' || (n === 'astype' && isFloatType(call.args[0])))) {
      if (!this.info.labels) programOf((host as Fx).session).floatPixels.push({ span: call.expr, width: this.width });
      return this.toFloat(call.expr);
    }
    if (['astype', 'copy', 'numpy', 'tolist', 'float', 'todense', 'div', 'sub', 'mul', 'tofloat', 'cast', 'asfloat', 'subarray'].includes(n)) return native(this);
    // Data fed straight into the model's ops (`xs.matMul(w1)`) is the model input.
    return (asTensor(host as Fx, native(this)) ?? new TensorV('input', true)).method(name, call as { args: Val[]; expr: Span }, host);
  }
  binary(op: string, other: Val, left: boolean, _host: Host, at: Span): Val | undefined {
    if (other.t === 'num') return this.scaled(op, other.v, left, at);
    return native(this);
  }
  /** Raw bytes made floats at `at`, unscaled: `at` is now where they are loaded (a cure scales them there). */
  toFloat(at: Span): Val {
    if (!this.info?.bytes) return native(this);
    return native(new DataV(this.rows, this.width, { ...this.info, load: at, bytes: undefined, madeFloat: true }));
  }
  /** The pixels after `x op k` (`left`) or `k op x`. */
  scaled(op: string, k: number, left: boolean, at: Span): Val {
    if (!this.info || this.info.labels) return native(this);
    const scale = scaleBy(this.info.scale, op, k, left);
    return native(new DataV(this.rows, this.width, { ...this.info, scale: scale ?? this.info.scale, scaleSpan: scale ? at : this.info.scaleSpan, unknownScale: scale ? this.info.unknownScale : true }));
  }
  len(): number | undefined {
    return this.rows;
  }
  slice(lo: number | undefined, hi: number | undefined, _host: Host, length?: number): Val {
    if (length !== undefined && Number.isInteger(length) && length > 0) return native(new DataV(length, this.width, this.info));
    if (this.rows === undefined) return native(this);
    const n = this.rows;
    const a = lo === undefined ? 0 : lo < 0 ? Math.max(0, n + lo) : Math.min(n, lo);
    const b = hi === undefined ? n : hi < 0 ? Math.max(0, n + hi) : Math.min(n, hi);
    return native(new DataV(Math.max(0, b - a), this.width, this.info ? { ...this.info, total: this.info.total ?? n, offset: (this.info.offset ?? 0) + a } : undefined));
  }
  /** `x[p]` with a permutation or a mask keeps the data (shuffled); `x[0]` is one example. */
  index(i: Val): Val {
    return i.t === 'num' ? UNKNOWN : native(new DataV(this.rows, this.width, this.info ? { ...this.info, shuffled: true } : undefined));
  }
}

/** The mean and standard deviation of the MNIST training pixels (bytes 0–255). */
const PIXEL_MEAN = 33.3184;
const PIXEL_STD = 78.5675;

// ---- dataflow values ------------------------------------------------------------------------

/** A graph input with a written shape (`tf.placeholder(tf.float32, [None, 784])`). */
export class PlaceholderV implements Native {
  readonly kind = 'placeholder';
  constructor(readonly shape: (number | undefined)[] | undefined, readonly span: Span) {}
  binary(op: string, other: Val, left: boolean, host: Host, at: Span): Val | undefined {
    if (op !== '@' || !left || !nativeOf(other, VarV)) return undefined;
    return asTensor(host as Fx, native(this))?.binary(op, other, left, host, at);
  }
}

/** The refusals of models Gradient Lens cannot train (frameworks/common.ts re-exports them for the modules). */
export const CONV_MESSAGE = 'convolutional model: Gradient Lens trains fully-connected networks';
export const RNN_MESSAGE = 'recurrent model: Gradient Lens trains fully-connected networks';

/** The output of a layer (or the model input): `activated` once an activation was applied. */
export class TensorV implements Native {
  readonly kind = 'tensor';
  /** `conv`: the tensor comes out of a convolution (it is not an MLP's input any more). */
  constructor(readonly source: LayerRec | 'input', readonly activated: boolean, readonly conv?: Refusal) {}
  binary(op: string, other: Val, left: boolean, host: Host, at: Span, otherAt?: Span): Val | undefined {
    const fx = host as Fx;
    const v = nativeOf(other, VarV);
    if (op === '@' && left && v) return matmul(fx, this, v, at);
    if (op === '+' && v) return addBias(fx, this, v, at);
    // `y_ * tf.nn.log_softmax(z)`: the terms of a cross-entropy from log-probabilities.
    if (op === '*' && otherAt && this.source !== 'input' && this.activated && this.source.activation === 'logSoftmax' && other.t !== 'num') {
      const ref = { layer: this.source, activated: true, span: operandSpan(host.text, at, otherAt, left), stack: [...host.callStack] };
      return native(new TermV({ loss: 'crossEntropy', from: 'logProbabilities' }, ref, 'elements', at, { sign: -1, handWritten: true, labels: host.text.slice(otherAt.from, otherAt.to) }));
    }
    // A layer's output in a hand-written loss: `y + 1e-10`, `1 - y`, `y - y_` (lossValues.ts).
    if (this.source !== 'input' && otherAt && !v && ['+', '-'].includes(op) && !nativeOf(other, TensorV)) {
      return new OutExprV({ layer: this.source, activated: this.activated, span: operandSpan(host.text, at, otherAt, left), stack: [...host.callStack] }, 'prob', at).binary(op, other, left, host, at, otherAt);
    }
    return undefined;
  }
  /** Chained tensor methods (tfjs `x.matMul(W).add(b).relu()`, PyTorch `x.relu()`). */
  method(name: string, call: { args: Val[]; expr: Span }, host: Host): Val | undefined {
    const fx = host as Fx;
    const n = name.toLowerCase();
    const v = nativeOf(call.args[0], VarV);
    if ((n === 'matmul' || n === 'mm') && v) return matmul(fx, this, v, call.expr);
    if (n === 'add' && v) return addBias(fx, this, v, call.expr);
    const act = ({ relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', softmax: 'softmax', elu: 'elu', selu: 'selu' } as Record<string, string>)[n];
    if (act) {
      // `pre.relu()`: the receiver is the pre-activation (a cure that removes the activation writes it alone)
      const e = call.expr as Span & { k?: string; callee?: { k?: string; obj?: Span } };
      const pre = e.k === 'call' && e.callee?.k === 'member' && call.args.length === 0 ? e.callee.obj : undefined;
      return activate(fx, native(this), act, call.expr, pre ? { from: pre.from, to: pre.to } : undefined);
    }
    // tfjs `out.log()` of the model output: a hand-written cross-entropy starts here (`unstable-loss` on a softmax output)
    if (n === 'log' && call.args.length === 0 && this.source !== 'input') {
      const e = call.expr as Span & { k?: string; callee?: { k?: string; obj?: Span } };
      const recv = e.k === 'call' && e.callee?.k === 'member' && e.callee.obj ? { from: e.callee.obj.from, to: e.callee.obj.to } : call.expr;
      const out = { layer: this.source, activated: this.activated, span: recv, stack: [...fx.callStack] };
      if (seenActivation(out) === 'softmax') {
        fx.session.unstableLoss ??= { span: call.expr, construct: fx.src(call.expr), layer: this.source, suggestion: "tf.losses.softmaxCrossEntropy(labels, logits) on the layer's output before the softmax" };
      }
      return native(new LogV(new OutExprV(out, 'prob', recv), call.expr));
    }
    if (n === 'reshape' || n === 'view' || n === 'flatten' || n === 'as2d') return native(this);
    if (['conv1d', 'conv2d', 'conv3d', 'maxpool', 'avgpool'].includes(n)) return convTensor(fx, call.expr, CONV_MESSAGE, native(this));
    return undefined;
  }
  unary(op: string): Val | undefined {
    return op === '-' ? native(this) : undefined;
  }
  index(): Val | undefined {
    return native(this);
  }
}

/** A variable (weights): its initializer when known, the shape when written. */
export class VarV implements Native {
  readonly kind = 'variable';
  /** The helper calls that led to its creation (outermost first). */
  readonly via: Span[];
  constructor(readonly rec: InitRec | undefined, readonly shape: (number | undefined)[] | undefined, readonly span: Span, readonly framework: string, via: readonly Span[] = []) {
    this.via = [...via];
  }
}

/** A tensor that is an initial value (`tf.zeros([784, 100])`) — becomes weights inside a variable. */
export class InitTensorV implements Native {
  readonly kind = 'initial value';
  constructor(readonly rec: InitRec, readonly shape: (number | undefined)[] | undefined) {}
}

/** An initializer object or function (`tf.zeros_initializer()`, `HeNormal()`, `tf.initializers.zeros()`). */
export class InitializerV implements Native {
  readonly kind = 'initializer';
  constructor(readonly rec: InitRec) {}
  call(): Val {
    // `init(shape)` (an initializer called by hand) is still that initializer's values.
    return native(new InitTensorV(this.rec, undefined));
  }
}

/** A dense layer object not yet applied (`Dense(100)`, `tf.layers.dense({...})`). */
export class LayerV implements Native {
  readonly kind = 'layer';
  constructor(readonly layer: LayerRec) {}
  call(call: { args: Val[]; expr: Span }, host: Host): Val {
    return applyLayer(host as Fx, native(this), call.args[0] ?? UNKNOWN, call.expr);
  }
  method(name: string, call: { args: Val[]; expr: Span }, host: Host): Val | undefined {
    if (name === 'apply') return applyLayer(host as Fx, native(this), call.args[0] ?? UNKNOWN, call.expr);
    return undefined;
  }
}

/** A layer that only applies an activation (`Activation('relu')`, `ReLU()`, `tf.layers.reLU()`). */
export class ActivationLayerV implements Native {
  readonly kind = 'activation layer';
  constructor(readonly activation: string, readonly span: Span, readonly site?: { span: Span; idiom: 'string' | 'name' }) {}
  call(call: { args: Val[]; expr: Span }, host: Host): Val {
    return applyLayer(host as Fx, native(this), call.args[0] ?? UNKNOWN, call.expr);
  }
  method(name: string, call: { args: Val[]; expr: Span }, host: Host): Val | undefined {
    return name === 'apply' ? applyLayer(host as Fx, native(this), call.args[0] ?? UNKNOWN, call.expr) : undefined;
  }
}

/** A layer with nothing to train that passes its input on (`Flatten`, `InputLayer`, `Dropout`); `conv`: a convolution / recurrent layer. */
export class PassLayerV implements Native {
  readonly kind = 'pass-through layer';
  /** `rate`: a dropout layer's rate (the share of its input zeroed in training). */
  constructor(readonly what: string, readonly span: Span, readonly conv?: Refusal, readonly rate?: number) {}
  call(call: { args: Val[]; expr: Span }, host: Host): Val {
    return applyLayer(host as Fx, native(this), call.args[0] ?? UNKNOWN, call.expr);
  }
  method(name: string, call: { args: Val[]; expr: Span }, host: Host): Val | undefined {
    return name === 'apply' ? applyLayer(host as Fx, native(this), call.args[0] ?? UNKNOWN, call.expr) : undefined;
  }
}

export class OptimizerV implements Native {
  readonly kind = 'optimizer';
  constructor(readonly opt: OptimizerRec) {}
  method(name: string, call: { expr: Span }, host: Host): Val | undefined {
    const fx = host as Fx;
    // TF1 builds `minimize` once, outside the loop; eager code (TF2, tfjs) calls it — or
    // `apply_gradients` — once per training step, inside the loop.
    if (name === 'compute_gradients' || name === 'computeGradients') {
      // TF1 `opt.compute_gradients(loss)`: (gradient, variable) pairs, clipped by hand before apply_gradients.
      const c = call as { args?: Val[]; argExprs?: Span[] };
      if (c.args?.[0]) programOf(fx.session).minimized = { value: c.args[0], span: c.argExprs?.[0] ?? call.expr };
      return native(new GradsV(true));
    }
    if (name === 'minimize' || name === 'apply_gradients' || name === 'applyGradients') {
      fx.session.minimized = this.opt;
      // What `minimize` minimises (frameworks/tfLoss.ts reads it at the end; apply_gradients got it from a tape).
      const loss = (call as { args?: Val[] }).args?.[0];
      const at = (call as { argExprs?: Span[] }).argExprs?.[0];
      if (name === 'minimize' && loss && loss.t !== 'func') programOf(fx.session).minimized = { value: loss, span: at ?? call.expr };
      // Eager code passes the loss as a function (`optimizer.minimize(() => loss(...))`): it is computed here.
      const f = (call as { args?: Val[] }).args?.[0];
      if (f?.t === 'func') {
        const v = fx.callValue(f, [], call.expr);
        programOf(fx.session).minimized = { value: v, span: at ?? call.expr };
      }
      if (fx.loops.length > 0) fx.session.recordSteps(fx, 1, call.expr);
      return native(new TrainOpV(this.opt));
    }
    return undefined;
  }
}

/** The training op `minimize` returns (TF1): running it (`sess.run(train_op, feed_dict=...)`, `train_op.run(...)`) is one step. */
export class TrainOpV implements Native {
  readonly kind = 'training op';
  constructor(readonly opt: OptimizerRec) {}
  method(name: string, call: { expr: Span; kw: Map<string, { v: Val }>; args: Val[] }, host: Host): Val | undefined {
    if (name !== 'run') return undefined;
    runTrainOp(host as Fx, call.kw.get('feeddict')?.v ?? call.args[0], call.expr);
    return UNKNOWN;
  }
}

/** One training step; a batch fed as a slice of the data (`x_train[i:i + B]`) gives the batch size. */
export function runTrainOp(fx: Fx, feed: Val | undefined, at: Span): void {
  if (feed?.t === 'dict') {
    const program = programOf(fx.session);
    for (const e of feed.entries.values()) {
      const d = nativeOf(e.value, DataV);
      if (d?.rows !== undefined && d.rows > 0 && d.rows < 10000) fx.session.fedBatch(d.rows, e.span ?? at);
      const key = nativeOf(e.key, PlaceholderV);
      // The pixels fed to the model input: the training data (its scale, whether the batches are shuffled).
      if (key && program.inputs.has(key) && d?.info && !d.info.labels && !program.data) {
        program.data = { info: d.info, rows: d.rows, fed: e.valueExpr ?? e.span ?? at, shuffle: !!(d.info.shuffled || d.info.drawsShuffled) };
      }
      // A dropout's keep probability (or rate) fed in training (`keep_prob: 0.5`).
      for (const k of program.keepProbs) {
        if (k.placeholder !== key || e.value.t !== 'num') continue;
        const rate = k.keep ? 1 - e.value.v : e.value.v;
        if (rate > 0 && rate < 1) k.layer.dropout ??= { rate, span: k.span };
      }
    }
  }
  fx.session.recordSteps(fx, 1, at);
}

/** A loss function / object (`categorical_crossentropy`, `SparseCategoricalCrossentropy(from_logits=True)`). */
export class LossV implements Native {
  readonly kind = 'loss';
  constructor(readonly fromLogits: boolean) {}
}

// ---- dataflow operations ------------------------------------------------------------------

export function shapeOf(v: Val | undefined): (number | undefined)[] | undefined {
  if (!v || v.t !== 'list') return undefined;
  return v.items.map((x) => (x.t === 'num' && Number.isInteger(x.v) ? x.v : undefined));
}

/** Notes, at `at`, the sizes in a shape (or a single size) that come from a parameter nobody passes. */
export function noteUnboundSizes(fx: Fx, v: Val | undefined, at: Span): void {
  const items = v?.t === 'list' ? v.items : v ? [v] : [];
  for (const x of items) {
    const p = nativeOf(x, UnboundParamV);
    if (p) fx.note(at, `this size comes from ${p.describe()}, so it is not known`);
  }
}

/** A value as a tensor of the model (a placeholder becomes the input), else undefined. */
/** A loss that takes `v` as logits (softmax_cross_entropy_with_logits, tf.losses.softmaxCrossEntropy...): the
 *  model's last layer, if it is not already activated, is trained as logits. */
export function markLogits(v: Val | undefined): void {
  const t = nativeOf(v, TensorV);
  if (t && t.source !== 'input' && !t.activated) t.source.logits = true;
}

export function asTensor(fx: Fx, v: Val | undefined): TensorV | undefined {
  const t = nativeOf(v, TensorV);
  if (t) return t;
  const d = nativeOf(v, DataV);
  if (d) {
    // Data that reaches the model input (a custom loop's batch): the training data, unless a feed or fit says otherwise.
    const program = programOf(fx.session);
    if (d.info && !d.info.labels && (!program.inputData || (!program.inputData.info.train && d.info.train))) program.inputData = { info: d.info, rows: d.rows, fed: program.lastDataSpan ?? d.info.load, shuffle: !!(d.info.shuffled || d.info.drawsShuffled) };
    return new TensorV('input', true);
  }
  const param = nativeOf(v, UnboundParamV);
  if (param) {
    fx.note(param.span, `${param.describe()} is taken to be the model input`);
    return new TensorV('input', true);
  }
  const p = nativeOf(v, PlaceholderV);
  if (!p) return undefined;
  programOf(fx.session).inputs.add(p);
  const last = p.shape?.[p.shape.length - 1];
  if (p.shape && last !== 784) {
    fx.note(p.span, `this input has shape [${p.shape.map((d) => d ?? 'None').join(', ')}]; MNIST models take 784 inputs (28×28 flattened)`);
  }
  return new TensorV('input', true);
}

/** `input × W` → a new layer whose kernel is W. */
export function matmul(fx: Fx, a: TensorV, w: VarV, def: Span): Val {
  // `tf.matmul(x, W)` written again (e.g. logits recomputed in the loss) is the same layer, not a new one.
  const same = fx.session.layers.find((l) => l.kernelVar === w && l.input === a.source);
  if (same) return native(new TensorV(same, false));
  const layer = fx.session.addLayer({
    id: -1, framework: w.framework, kernelShape: w.shape, kernel: w.rec, useBias: false, weightsSpan: w.span, weightsVia: w.via, definition: def,
    via: [...fx.callStack], input: a.source, kind: 'dataflow', fromVariable: true, kernelVar: w, conv: a.conv ?? (a.source !== 'input' ? a.source.conv : undefined),
  });
  if (w.shape && w.shape.length === 2) layer.units = w.shape[1];
  return native(new TensorV(layer, false));
}

/** `matmul(a, w)` for two arbitrary values: notes what cannot be followed. */
export function matmulValues(fx: Fx, av: Val, wv: Val, e: Span): Val {
  let a = av;
  let w = wv;
  if (nativeOf(w, TensorV) && nativeOf(a, VarV)) [a, w] = [w, a];
  const t = asTensor(fx, a);
  const v = nativeOf(w, VarV);
  if (!t || !v) {
    if (t || v) fx.note(e, `could not follow this product (${fx.src(e)}): expected an input or layer output times a variable`);
    return UNKNOWN;
  }
  return matmul(fx, t, v, e);
}

export function addBias(fx: Fx, t: TensorV, b: VarV, e: Span): Val {
  if (t.conv && t.source === 'input') return native(t); // conv2d(x, W) + b
  if (t.source === 'input' || t.activated) {
    fx.note(e, `a bias is added here to something that is not a layer's product (${fx.src(e)})`);
    return UNKNOWN;
  }
  const layer = t.source;
  if (layer.biasVar === b) return native(t);
  if (layer.useBias) {
    fx.note(e, 'a second bias is added to the same layer: only the first is used');
    return native(t);
  }
  layer.useBias = true;
  layer.biasVar = b;
  layer.bias = b.rec;
  layer.biasShape = b.shape;
  layer.biasSpan = b.span;
  layer.biasVia = b.via;
  if (b.rec?.site) fx.session.useSite(b.rec.site);
  if (layer.units === undefined && b.shape?.length === 1) layer.units = b.shape[0];
  return native(t);
}

/** Applies an activation to a tensor (the layer that produced it gets it); `argAt`: the argument as written. */
export function activate(fx: Fx, v: Val, activation: string, e: Span, argAt?: Span): Val {
  const t = asTensor(fx, v);
  if (!t) return UNKNOWN;
  if (t.conv && t.source === 'input') return native(t); // relu(conv2d(...))
  if (t.source === 'input' || t.activated) {
    fx.note(e, `${activation} is applied to something that is not a layer's output (${fx.src(e)}): ignored`);
    return native(t);
  }
  t.source.activation = activation;
  t.source.activationSpan = e;
  if (argAt) t.source.preActivation = { span: argAt, via: [...fx.callStack] };
  return native(new TensorV(t.source, true));
}

/** A layer object applied to a tensor (Keras functional `Dense(10)(x)`, tfjs `.apply(x)`, TF1 `tf.layers.dense(x, ...)`). */
export function applyLayer(fx: Fx, f: Val, arg: Val, e: Span): Val {
  let a = arg;
  if (a.t === 'list' && a.items.length === 1) a = a.items[0];
  const t = asTensor(fx, a);
  const lv = nativeOf(f, LayerV);
  if (!t) {
    if (lv) fx.note(e, `could not follow the input of this layer (${fx.src(e)})`);
    return UNKNOWN;
  }
  const pass = nativeOf(f, PassLayerV);
  if (pass?.conv) return native(new TensorV('input', true, t.conv ?? pass.conv));
  if (pass?.rate !== undefined) dropoutOn(fx, t, pass.rate, pass.span);
  if (pass) return native(t);
  const act = nativeOf(f, ActivationLayerV);
  if (act) return activate(fx, native(t), act.activation, e);
  if (!lv) return UNKNOWN;
  const layer = fx.session.addLayer({ ...lv.layer, id: -1, input: t.source, kind: 'dataflow', definition: e, via: [...fx.callStack], conv: t.conv ?? (t.source !== 'input' ? t.source.conv : undefined) });
  lv.layer.placed = true;
  const activated = layer.activation !== undefined && layer.activation !== 'linear';
  return native(new TensorV(layer, activated));
}

/**
 * Layers made by the same source expression (a helper shared by several layers, a loop) would all
 * anchor on one line: each such layer's span moves to the innermost call site on its path that no
 * other of them shares (`w([784, 100])`), when there is one.
 */
export function separateShared(layers: LayerRec[], span: (l: LayerRec) => Span | undefined, via: (l: LayerRec) => Span[] | undefined, set: (l: LayerRec, s: Span, from: Span) => void): void {
  const key = (s: Span) => `${s.from}:${s.to}`;
  const groups = new Map<string, LayerRec[]>();
  for (const l of layers) {
    const s = span(l);
    if (!s) continue;
    const g = groups.get(key(s)) ?? [];
    g.push(l);
    groups.set(key(s), g);
  }
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    for (const l of g) {
      const path = via(l) ?? [];
      for (let i = path.length - 1; i >= 0; i--) {
        const k = key(path[i]);
        if (g.some((o) => o !== l && (via(o) ?? []).some((c) => key(c) === k))) continue;
        set(l, path[i], span(l)!);
        break;
      }
    }
  }
}

/** The output of a convolution / pooling op (`tf.nn.conv2d`, `x.maxPool(...)`): records the construct and carries it on. */
export function convTensor(fx: Fx, span: Span, message: string, input?: Val): Val {
  // The first convolution on the path is the one named (pooling after it is the same model).
  const before = nativeOf(input, TensorV)?.conv;
  return native(new TensorV('input', true, before ?? fx.session.refuse(span, message)));
}

/** The span of the operand of `at` that is not `otherAt` (`y` in `y + 1e-10`), without the operator. */
export function operandSpan(text: string, at: Span, otherAt: Span, left: boolean): Span {
  const raw = left ? { from: at.from, to: otherAt.from } : { from: otherAt.to, to: at.to };
  const s = text.slice(raw.from, raw.to);
  const lead = left ? s.length - s.trimStart().length : s.match(/^\s*[-+*/@]+\s*/)?.[0].length ?? 0;
  const trail = left ? s.match(/\s*[-+*/@]+\s*$/)?.[0].length ?? 0 : s.length - s.trimEnd().length;
  return { from: raw.from + lead, to: Math.max(raw.from + lead, raw.to - trail) };
}

/** Dropout on a tensor in training: the layer that produced it gets the rate; on the model input the run cannot say it. */
export function dropoutOn(fx: Fx, t: TensorV, rate: number, span: Span): void {
  if (!(rate > 0 && rate < 1)) return;
  if (t.source === 'input') {
    deviate(fx.session, span, `dropout on the input pixels (rate ${Number(rate.toPrecision(6))}) is not something Gradient Lens runs: the run trains without it`);
    return;
  }
  const prev = t.source.dropout?.rate ?? 0;
  t.source.dropout = { rate: 1 - (1 - prev) * (1 - rate), span };
}
