// The framework-neutral model vocabulary that framework modules (frameworks/*.ts) build with: records
// of layers, models and optimizers; the `ModelBuilder` that collects them for one file (the
// interpreter's session) and picks the model at the end; and the dataflow values shared by every
// framework — an input, a tensor that knows which layer produced it, a variable with its initializer,
// a layer object that can be applied to a tensor. `x @ W + b` / `tf.matmul(x, W) + b` through an
// activation, `Dense(...)(x)`, `nn.Linear` in `forward()` all end up as the same `LayerRec` chain.
import type { Initializer, OptimizerSpec } from '../spec';
import type { Span } from './ast';
import { type Host, type Native, type Note, type Val, UNKNOWN, native, nativeOf } from './interpret';
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
  /** Helper-function call sites that led to the weights (innermost last), for related information. */
  via?: Span[];
  input?: LayerRec | 'input';
  /** Used as logits of a softmax cross-entropy. */
  logits?: boolean;
  kind: 'dataflow' | 'object';
  /** The layer object was placed in a model (so it is not also an orphan). */
  placed?: boolean;
  /** TF1: the kernel is a variable multiplied in by hand. */
  fromVariable?: boolean;
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
}

/** The per-file state framework modules share (the interpreter's `session`). */
export class ModelBuilder {
  readonly layers: LayerRec[] = [];
  readonly models: ModelRec[] = [];
  readonly optimizers: OptimizerRec[] = [];
  minimized?: OptimizerRec;
  batch?: { value: number; span: Span };
  steps?: { value: number; span: Span };
  looksLikeModel = false;
  private readonly siteUses = new Map<string, InitSite[]>();
  /** Framework id → its language label (frameworks/registry.ts fills it). */
  readonly languages = new Map<string, SourceLanguage>();

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
   * A training step (or `perIteration` of them, e.g. one `fit` epoch) happens here: the steps are
   * `perIteration` times the counts of the enclosing loops. `batchDraw`: a batch drawn outside any
   * loop is one step of a loop we do not see.
   */
  recordSteps(host: Host, perIteration: number, span: Span, batchDraw = false): void {
    let steps = perIteration;
    const loops = host.loops.filter((l) => l.training || l.count !== 1);
    const unknown = loops.find((l) => l.count === undefined);
    if (unknown) {
      host.note(unknown.header, 'could not tell how many times this loop runs: using 1000 steps (the default of the model spec)');
      return;
    }
    for (const l of loops) steps *= l.count!;
    if (loops.length === 0 && batchDraw) {
      host.note(span, 'this batch is not drawn inside a `for _ in range(N)` loop: using 1000 steps (the default of the model spec)');
      return;
    }
    if (steps < 1) {
      host.note(loops[0]?.header ?? span, `this training loop runs ${steps} times: using 1000 steps (the default of the model spec)`);
      return;
    }
    this.steps = { value: steps, span: loops[0]?.header ?? span };
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
      optimizer = model.optimizer;
      fromLogits = model.fromLogits ?? false;
      if (!model.compiled) host.note(model.span, 'this model is never compiled: using SGD with learning rate 0.5 (the default of the model spec)');
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
    const tf1 = layers.some((l) => l.framework === 'tf1');
    if (this.optimizers.length > 1 && tf1 && !this.minimized) host.note(this.optimizers[0].span, 'several optimizers and none is minimized: using the last one');
    const framework = tf1 ? 'tf1' : layers[0]?.framework ?? model?.framework;
    const language = (framework ? this.languages.get(framework) : undefined) ?? fallback;
    return {
      layers, modelSpan, optimizer, batch: this.batch, steps: this.steps, fromLogits,
      notes, looksLikeModel: this.looksLikeModel || layers.length > 0, language,
    };
  }
}

export type Fx = Host<ModelBuilder>;

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

/** The output of a layer (or the model input): `activated` once an activation was applied. */
export class TensorV implements Native {
  readonly kind = 'tensor';
  constructor(readonly source: LayerRec | 'input', readonly activated: boolean) {}
  binary(op: string, other: Val, left: boolean, host: Host, at: Span): Val | undefined {
    const fx = host as Fx;
    const v = nativeOf(other, VarV);
    if (op === '@' && left && v) return matmul(fx, this, v, at);
    if (op === '+' && v) return addBias(fx, this, v, at);
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
    if (act) return activate(fx, native(this), act, call.expr);
    if (n === 'reshape' || n === 'view' || n === 'flatten') return native(this);
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
  constructor(readonly rec: InitRec | undefined, readonly shape: (number | undefined)[] | undefined, readonly span: Span, readonly framework: string) {}
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

/** A layer with nothing to train that passes its input on (`Flatten`, `InputLayer`, `Dropout`). */
export class PassLayerV implements Native {
  readonly kind = 'pass-through layer';
  constructor(readonly what: string, readonly span: Span) {}
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
  method(name: string, _call: unknown, host: Host): Val | undefined {
    if (name === 'minimize') {
      (host as Fx).session.minimized = this.opt;
      return UNKNOWN;
    }
    return undefined;
  }
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

/** A value as a tensor of the model (a placeholder becomes the input), else undefined. */
export function asTensor(fx: Fx, v: Val | undefined): TensorV | undefined {
  const t = nativeOf(v, TensorV);
  if (t) return t;
  const p = nativeOf(v, PlaceholderV);
  if (!p) return undefined;
  const last = p.shape?.[p.shape.length - 1];
  if (p.shape && last !== 784) {
    fx.note(p.span, `this input has shape [${p.shape.map((d) => d ?? 'None').join(', ')}]; MNIST models take 784 inputs (28×28 flattened)`);
  }
  return new TensorV('input', true);
}

/** `input × W` → a new layer whose kernel is W. */
export function matmul(fx: Fx, a: TensorV, w: VarV, def: Span): Val {
  const layer = fx.session.addLayer({
    id: -1, framework: w.framework, kernelShape: w.shape, kernel: w.rec, useBias: false, weightsSpan: w.span, definition: anchor(fx, def),
    input: a.source, kind: 'dataflow', fromVariable: true,
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
  if (t.source === 'input' || t.activated) {
    fx.note(e, `a bias is added here to something that is not a layer's product (${fx.src(e)})`);
    return UNKNOWN;
  }
  const layer = t.source;
  if (layer.useBias) {
    fx.note(e, 'a second bias is added to the same layer: only the first is used');
    return native(t);
  }
  layer.useBias = true;
  layer.bias = b.rec;
  layer.biasShape = b.shape;
  layer.biasSpan = b.span;
  if (b.rec?.site) fx.session.useSite(b.rec.site);
  if (layer.units === undefined && b.shape?.length === 1) layer.units = b.shape[0];
  return native(t);
}

/** Applies an activation to a tensor (the layer that produced it gets it). */
export function activate(fx: Fx, v: Val, activation: string, e: Span): Val {
  const t = asTensor(fx, v);
  if (!t) return UNKNOWN;
  if (t.source === 'input' || t.activated) {
    fx.note(e, `${activation} is applied to something that is not a layer's output (${fx.src(e)}): ignored`);
    return native(t);
  }
  t.source.activation = activation;
  t.source.activationSpan = anchor(fx, e);
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
  if (nativeOf(f, PassLayerV)) return native(t);
  const act = nativeOf(f, ActivationLayerV);
  if (act) return activate(fx, native(t), act.activation, e);
  if (!lv) return UNKNOWN;
  const layer = fx.session.addLayer({ ...lv.layer, id: -1, input: t.source, kind: 'dataflow', definition: anchor(fx, e) });
  lv.layer.placed = true;
  const activated = layer.activation !== undefined && layer.activation !== 'linear';
  return native(new TensorV(layer, activated));
}

/** Values made inside a helper function anchor at its outermost call site. */
export function anchor(fx: Fx, span: Span): Span {
  return fx.callSite ?? span;
}
