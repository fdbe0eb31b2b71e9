// TensorFlow 1 graph code (and the TF1 style through `tf.compat.v1`): placeholders, variables and
// their initial values, `tf.matmul(x, W) + b` through `tf.nn.*` activations, `tf.layers.dense`, the
// tutorial's `input_data.read_data_sets` and `next_batch`, `tf.train.*Optimizer(...).minimize(loss)`.
import { type Call, type Host, type Native, type Val, NONE, UNKNOWN, native, nativeOf, norm } from '../interpret';
import type { Span } from '../ast';
import {
  type Fx, DataV, InitTensorV, InitializerV, OptimizerV, PlaceholderV, TensorV, TrainOpV, VarV, runTrainOp, activate, addBias, applyLayer, asTensor, convTensor, dropoutOn, markLogits, matmulValues, shapeOf,
} from '../model';
import type { FrameworkModule, Handler } from './api';
import { ACTIVATION_NAMES, CONV_MESSAGE, denseLayer, initializerObject, last, noteFashion, optimizerCall, tensorInitializer } from './common';
import { runMain } from './stdlib';
import { clipByGlobalNorm, clipByNorm, clipByValue, gradientTape, kerasLossHandler, l2Loss, log, outRefOf, reduce, square, tfLosses, withLogits } from './tfLoss';
import { TermV } from '../lossValues';
import { scheduleHandler } from './tfUpdate';
import { UNIT_PIXELS, programOf } from '../programParts';

const ID = 'tf1';

/** The tutorial's `read_data_sets(...)`: `.train` / `.validation` / `.test` splits of known sizes, pixels already in [0, 1]. */
class MnistDataV implements Native {
  readonly kind = 'MNIST data sets';
  constructor(readonly load: Span, readonly oneHot: boolean) {}
  attr(name: string): Val | undefined {
    const n = { train: 55000, validation: 5000, test: 10000 }[name];
    return n === undefined ? undefined : native(new MnistSplitV(n, this, name === 'train'));
  }
}

class MnistSplitV implements Native {
  readonly kind = 'MNIST split';
  constructor(readonly examples: number, readonly sets: MnistDataV, readonly train: boolean) {}
  images(rows: number, drawn: boolean): Val {
    return native(new DataV(rows, 784, { scale: UNIT_PIXELS, load: this.sets.load, train: this.train, drawsShuffled: drawn }));
  }
  labels(rows: number): Val {
    return native(new DataV(rows, 10, { scale: UNIT_PIXELS, load: this.sets.load, train: this.train, labels: true, oneHot: this.sets.oneHot }));
  }
  attr(name: string): Val | undefined {
    if (name === 'num_examples') return { t: 'num', v: this.examples };
    if (name === 'images') return this.images(this.examples, false);
    if (name === 'labels') return this.labels(this.examples);
    return undefined;
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    if (name !== 'next_batch') return undefined;
    nextBatch(call, fx);
    const b = call.arg(0, 'batchsize')?.v;
    const rows = b?.t === 'num' && Number.isInteger(b.v) && b.v > 0 ? b.v : undefined;
    // next_batch shuffles the split every epoch (shuffle=True by default).
    const sh = call.arg(2, 'shuffle')?.v;
    return { t: 'list', items: [this.images(rows ?? 0, !(sh?.t === 'bool' && !sh.v)), this.labels(rows ?? 0)], tuple: true };
  }
}

function nextBatch(call: Call, fx: Fx): Val {
  const b = call.arg(0, 'batchsize')?.v;
  if (b?.t === 'num' && Number.isInteger(b.v) && b.v > 0) fx.session.drawBatch(b.v, b.span ?? call.expr);
  else fx.note(call.expr, `could not read the batch size of ${fx.src(call.expr)}`);
  fx.session.recordSteps(fx, 1, call.expr, 'batch');
  return { t: 'list', items: [UNKNOWN, UNKNOWN], tuple: true };
}

function makeVar(fx: Fx, init: Val | undefined, call: Call, initExpr: Call['argExprs'][number] | undefined): Val {
  const span = call.expr;
  const t = nativeOf(init, InitTensorV);
  if (t) return native(new VarV(t.rec, t.shape, span, ID, fx.callStack));
  const v = nativeOf(init, VarV);
  if (v) return native(new VarV(v.rec, v.shape, span, ID, fx.callStack));
  if (init?.t === 'num') return native(new VarV({ init: init.v === 0 ? 'zeros' : { type: 'constant', value: init.v } }, [], span, ID, fx.callStack));
  fx.note(initExpr ?? call.expr, `could not read the initial value of this variable (${fx.src(initExpr ?? call.expr)})`);
  return native(new VarV(undefined, undefined, span, ID, fx.callStack));
}

const variable: Handler = (call, fx) => {
  const a = call.arg(0, 'initialvalue');
  return makeVar(fx, a?.v, call, a?.expr);
};

const getVariable: Handler = (call, fx) => {
  const shape = shapeOf(call.arg(1, 'shape')?.v);
  const initA = call.arg(3, 'initializer');
  const initV = initA?.v;
  const span = call.expr;
  if (initV === undefined || initV.t === 'none') return native(new VarV({ init: 'glorotUniform' }, shape, span, ID, fx.callStack));
  const obj = nativeOf(initV, InitializerV);
  if (obj) return native(new VarV(obj.rec, shape, span, ID, fx.callStack));
  const t = nativeOf(initV, InitTensorV);
  if (t) return native(new VarV(t.rec, t.shape ?? shape, span, ID, fx.callStack));
  const at = initA?.span ?? call.expr;
  fx.note(at, `could not read this initializer (${fx.src(at)})`);
  return native(new VarV(undefined, shape, span, ID, fx.callStack));
};

const matmul: Handler = (call, fx) => matmulValues(fx, call.args[0] ?? UNKNOWN, call.args[1] ?? UNKNOWN, call.expr);

const add: Handler = (call, fx) => {
  const [a, b] = call.args;
  const ta = nativeOf(a, TensorV);
  const tb = nativeOf(b, TensorV);
  const va = nativeOf(a, VarV);
  const vb = nativeOf(b, VarV);
  if (ta && vb) return addBias(fx, ta, vb, call.expr);
  if (tb && va) return addBias(fx, tb, va, call.expr);
  return UNKNOWN;
};

const passThrough: Handler = (call) => {
  const a = call.args[0];
  if (nativeOf(a, TensorV) || nativeOf(a, PlaceholderV) || nativeOf(a, DataV)) return a;
  return undefined;
};

/**
 * `tf.nn.dropout(h, keep_prob)` (TF1: the second argument keeps), `tf.nn.dropout(h, rate=0.2)` (TF2: it drops): the
 * layer that made `h` drops in training; a placeholder's value comes from the training step's feed.
 */
const dropout: Handler = (call, fx) => {
  const a = call.args[0];
  const t = nativeOf(a, TensorV) ?? (nativeOf(a, PlaceholderV) || nativeOf(a, DataV) ? new TensorV('input', true) : undefined);
  if (!t) return UNKNOWN;
  const rateA = call.kw.get('rate');
  const keepA = call.kw.get('keepprob');
  const pos = call.args[1] !== undefined && !rateA && !keepA ? call.args[1] : undefined;
  const keep = keepA !== undefined || (pos !== undefined && (/compat\.v1/.test(call.written) || /\bplaceholder\s*\(|\bSession\s*\(|compat\.v1/.test(fx.text)));
  const v = keepA?.v ?? rateA?.v ?? pos;
  if (v?.t === 'num') dropoutOn(fx, t, keep ? 1 - v.v : v.v, call.expr);
  else if (nativeOf(v, PlaceholderV) && t.source !== 'input') programOf(fx.session).keepProbs.push({ placeholder: nativeOf(v, PlaceholderV), keep, layer: t.source, span: call.expr });
  else if (nativeOf(v, PlaceholderV)) dropoutOn(fx, t, 0.5, call.expr);
  else fx.note(call.expr, `could not read the rate of this dropout (${fx.src(call.expr)}): trained without it`);
  return a;
};

/** `tf.layers.dense(inputs, units, activation=...)`: a layer applied at once. */
const layersDense: Handler = (call, fx) => {
  const layer = denseLayer(fx, call, ID, 'keras-string', 1);
  const input = call.arg(0, 'inputs')?.v;
  return input ? applyLayer(fx, native(layer), input, call.expr) : native(layer);
};

const readDataSets: Handler = (call, fx) => {
  const dir = call.arg(0, 'traindir')?.v;
  const url = call.kw.get('sourceurl')?.v;
  if ((dir?.t === 'str' && /fashion/i.test(dir.v)) || (url?.t === 'str' && /fashion/i.test(url.v))) noteFashion(fx, call.expr);
  const oh = call.arg(2, 'onehot')?.v;
  return native(new MnistDataV(call.expr, oh?.t === 'bool' && oh.v));
};

/** tf.nn.conv2d, tf.layers.conv2d, max_pool...: a convolutional model (refused when it is the one read). */
const refuseConv: Handler = (call, fx) => convTensor(fx, call.expr, CONV_MESSAGE, call.arg(0, 'input', 'inputs', 'value')?.v);
const CONVOLUTIONAL = new Set([
  'conv1d', 'conv2d', 'conv3d', 'convolution', 'convolution2d', 'conv2dtranspose', 'separableconv2d', 'depthwiseconv2d', 'atrousconv2d',
  'maxpool', 'maxpool2d', 'maxpooling2d', 'maxpooling1d', 'avgpool', 'avgpool2d', 'averagepooling2d', 'maxpoolwithargmax',
]);

/** `tf.contrib.layers.fully_connected(inputs, num_outputs, activation_fn=tf.nn.relu, weights_initializer=...)`: ReLU by default. */
const fullyConnected: Handler = (call, fx) => {
  const rename: Record<string, string> = { numoutputs: 'units', activationfn: 'activation', weightsinitializer: 'kernelinitializer', biasesinitializer: 'biasinitializer' };
  const kw = new Map([...call.kw].map(([k, a]) => [rename[k] ?? k, a]));
  const layer = denseLayer(fx, { ...call, kw, arg: call.arg }, ID, 'keras-string', 1);
  if (!call.kw.has('activationfn')) {
    layer.layer.activation = 'relu';
    layer.layer.activationSpan = call.expr;
  }
  if (!call.kw.has('weightsinitializer')) layer.layer.kernel = { init: 'glorotUniform' };
  const input = call.arg(0, 'inputs')?.v;
  return input ? applyLayer(fx, native(layer), input, call.expr) : native(layer);
};

/** tf.data pipelines: `from_tensor_slices(...).shuffle(...).batch(B)`, `.map(fn)`, `.take(N)`, iterated by a training loop. */
class TfDataV implements Native {
  readonly kind = 'dataset';
  constructor(readonly examples: number | undefined, readonly batch: number | undefined, readonly repeat: boolean, readonly taken?: number, readonly items?: Val[], readonly shuffled = false) {}
  with(o: { batch?: number; repeat?: boolean; taken?: number; items?: Val[]; shuffled?: boolean }): TfDataV {
    return new TfDataV(this.examples, 'batch' in o ? o.batch : this.batch, o.repeat ?? this.repeat, 'taken' in o ? o.taken : this.taken, o.items ?? this.items, o.shuffled ?? this.shuffled);
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    const n = norm(name);
    const a = call.args[0];
    const k = a?.t === 'num' && Number.isInteger(a.v) && a.v > 0 ? a.v : undefined;
    if (n === 'batch') {
      if (k !== undefined) fx.session.batch = { value: k, span: call.argExprs[0] ?? call.expr };
      return native(this.with({ batch: k }));
    }
    if (n === 'repeat') return native(this.with({ repeat: call.args.length === 0 || a?.t === 'none' }));
    if (n === 'take') return native(this.with({ taken: k }));
    if (n === 'shuffle') return native(this.with({ shuffled: true }));
    if (n === 'map' && a && (a.t === 'func')) {
      // `.map(lambda x, y: (tf.cast(x, tf.float32) / 255., y))`: the pixels as the function leaves them.
      const r = fx.callValue(a, this.items ?? [UNKNOWN, UNKNOWN], call.expr);
      const items = r.t === 'list' ? r.items : [r];
      return native(this.with({ items: items.map((x, i) => (nativeOf(x, DataV) ? x : this.items?.[i] && !nativeOf(this.items[i], DataV) ? this.items[i] : x)) }));
    }
    if (['prefetch', 'map', 'cache', 'filter', 'apply'].includes(n)) return native(this);
    if (n === 'makeoneshotiterator' || n === 'makeinitializableiterator' || n === 'asnumpyiterator') return native(this);
    if (n === 'getnext') return this.element(fx);
    return undefined;
  }
  len(): number | undefined {
    if (this.taken !== undefined) return this.taken;
    if (this.repeat || this.examples === undefined) return undefined;
    return this.batch === undefined ? this.examples : Math.ceil(this.examples / this.batch);
  }
  element(host?: Host): Val {
    const x = nativeOf(this.items?.[0], DataV);
    if (host && x?.info) {
      programOf((host as Fx).session).lastDataSpan ??= x.info.scaleSpan ?? x.info.load;
    }
    const xi = x ? native(new DataV(this.batch, x.width, x.info ? { ...x.info, shuffled: x.info.shuffled || this.shuffled } : undefined)) : native(new TensorV('input', true));
    return { t: 'list', items: [xi, this.items?.[1] ?? UNKNOWN], tuple: true };
  }
}

const fromTensorSlices: Handler = (call) => {
  const a = call.args[0];
  const items = a?.t === 'list' ? a.items : a ? [a] : [];
  const d = nativeOf(items[0], DataV);
  return native(new TfDataV(d?.rows, undefined, false, undefined, items));
};

/** `tf.Session()` / `tf.InteractiveSession()`: `sess.run(train_op, feed_dict)` runs a training step. */
class SessionV implements Native {
  readonly kind = 'session';
  method(name: string, call: Call, fx: Fx): Val | undefined {
    if (name !== 'run') return name === 'close' ? NONE : undefined;
    const fetches = call.arg(0, 'fetches')?.v;
    const list = fetches?.t === 'list' ? fetches.items : fetches ? [fetches] : [];
    if (list.some((f) => nativeOf(f, TrainOpV))) runTrainOp(fx, call.arg(1, 'feeddict')?.v, call.expr);
    return { t: 'list', items: list.map(() => UNKNOWN) };
  }
}

/** `tf.estimator.Estimator(model_fn)` / `tf.estimator.DNNClassifier`: `.train(input_fn, steps=N)` takes N steps. */
class EstimatorV implements Native {
  readonly kind = 'estimator';
  method(name: string, call: Call, fx: Fx): Val | undefined {
    if (name !== 'train') return undefined;
    const steps = call.arg(1, 'steps', 'maxsteps')?.v;
    if (steps?.t === 'num' && Number.isInteger(steps.v) && steps.v > 0) fx.session.recordSteps(fx, steps.v, call.expr);
    else fx.note(call.expr, `could not read the number of steps of ${fx.src(call.expr)}: using 1000 steps (the default of the model spec)`);
    return native(this);
  }
}

const numpyInputFn: Handler = (call, fx) => {
  const b = call.kw.get('batchsize');
  if (b?.v.t === 'num' && Number.isInteger(b.v.v) && b.v.v > 0) fx.session.batch = { value: b.v.v, span: b.span };
  else fx.session.batch = { value: 128, span: call.expr };
  return UNKNOWN;
};

// ---- the tutorial's mnist.py (tensorflow.examples.tutorials.mnist.mnist), used as a library ----------

const TUTORIAL = 'tensorflow.examples.tutorials.mnist.mnist';
const TUTORIAL_VALUES: Readonly<Record<string, number>> = { IMAGE_PIXELS: 784, IMAGE_SIZE: 28, NUM_CLASSES: 10 };

/** Notes that a local `import mnist` (not TensorFlow's own module) is read as the tutorial's module. */
function noteTutorial(call: Call, fx: Fx): void {
  if (!/tutorials\.mnist import mnist|tutorials\.mnist\.mnist/.test(fx.text)) {
    fx.note(call.expr, `${call.written}() is read as the TensorFlow tutorial's mnist.py (this file imports a module named mnist)`);
  }
}

/**
 * `mnist.inference(images, hidden1_units, hidden2_units)`: 784 → hidden1 ReLU → hidden2 ReLU → 10, each
 * layer's weights truncated-normal with stddev 1/√fan-in and zero biases, as the tutorial writes them.
 */
const tutorialInference: Handler = (call, fx) => {
  noteTutorial(call, fx);
  const input = asTensor(fx, call.arg(0, 'images')?.v);
  const sizes = [call.arg(1, 'hidden1units')?.v, call.arg(2, 'hidden2units')?.v].map((v) => (v?.t === 'num' && Number.isInteger(v.v) && v.v > 0 ? v.v : undefined));
  if (!input) return UNKNOWN;
  sizes.forEach((s, i) => { if (s === undefined) fx.note(call.argExprs[i + 1] ?? call.expr, `could not read the number of units of hidden layer ${i + 1} (${fx.src(call.argExprs[i + 1] ?? call.expr)})`); });
  let t: Val = native(input);
  let fanIn = 784;
  [...sizes, 10].forEach((units, i) => {
    const w = new VarV({ init: { type: 'truncatedNormal', mean: 0, stddev: 1 / Math.sqrt(fanIn) } }, [fanIn, units], call.expr, ID, fx.callStack);
    const b = new VarV({ init: 'zeros' }, [units], call.expr, ID, fx.callStack);
    const z = nativeOf(matmulValues(fx, t, native(w), call.expr), TensorV);
    if (!z) return;
    t = addBias(fx, z, b, call.expr);
    if (i < 2) t = activate(fx, t, 'relu', call.expr);
    fanIn = units ?? fanIn;
  });
  return t;
};

const TUTORIAL_FUNCTIONS: Readonly<Record<string, Handler>> = {
  inference: tutorialInference,
  // mnist.loss(logits, labels): tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits), averaged.
  loss: (call, fx) => {
    const logits = call.arg(0, 'logits');
    markLogits(logits?.v);
    const out = logits ? outRefOf(fx, logits.v, logits.expr) : undefined;
    return out ? native(new TermV({ loss: 'crossEntropy', from: 'logits' }, out, 'scalar', call.expr, { sign: 1, reduction: 'mean' })) : UNKNOWN;
  },
  training: (call, fx) => {
    const loss = call.arg(0, 'loss');
    if (loss) programOf(fx.session).minimized = { value: loss.v, span: loss.expr };
    const lr = call.arg(1, 'learningrate');
    const opt = nativeOf(optimizerCall(fx, { ...call, args: lr ? [lr.v] : [], argExprs: lr ? [lr.expr] : [], kw: new Map() }, 'gradientdescent', 'tf1'), OptimizerV);
    return opt ? native(new TrainOpV(opt.opt)) : UNKNOWN;
  },
  evaluation: () => UNKNOWN,
};

const TF1_LOSSES: Readonly<Record<string, Handler>> = {
  softmaxcrossentropy: tfLosses({ loss: 'crossEntropy', from: 'logits' }, ['onehotlabels'], ['logits']),
  sparsesoftmaxcrossentropy: tfLosses({ loss: 'crossEntropy', from: 'logits' }, ['labels'], ['logits']),
  sigmoidcrossentropy: tfLosses({ loss: 'binaryCrossEntropy', from: 'logits' }, ['multiclasslabels'], ['logits']),
  meansquarederror: tfLosses({ loss: 'meanSquaredError', from: 'probabilities' }, ['labels'], ['predictions']),
  logloss: tfLosses({ loss: 'binaryCrossEntropy', from: 'probabilities', logOffset: 1e-7 }, ['labels'], ['predictions']),
};

const numeric = (f: (x: number) => number): Handler => (call) => {
  const a = call.args[0];
  if (a?.t !== 'num') return undefined;
  const v = f(a.v);
  return Number.isFinite(v) ? { t: 'num', v, span: call.expr } : UNKNOWN;
};

/** Names under `tensorflow.` by their normalised last segment. */
const BY_NAME: Readonly<Record<string, Handler>> = {
  placeholder: (call, fx) => {
    fx.session.looksLikeModel = true;
    return native(new PlaceholderV(shapeOf(call.arg(1, 'shape')?.v), call.expr));
  },
  variable, getvariable: getVariable,
  matmul, dot: matmul,
  add, biasadd: add,
  xwplusb: (call, fx) => {
    const t = nativeOf(matmulValues(fx, call.args[0] ?? UNKNOWN, call.args[1] ?? UNKNOWN, call.expr), TensorV);
    const b = nativeOf(call.args[2], VarV);
    return t && b ? addBias(fx, t, b, call.expr) : t ? native(t) : UNKNOWN;
  },
  reshape: reshapeInput, identity: passThrough, flatten: flattenInput, cast: passThrough, tofloat: passThrough, converttotensor: passThrough,
  dropout,
  softmaxcrossentropywithlogits: withLogits('crossEntropy', false), softmaxcrossentropywithlogitsv2: withLogits('crossEntropy', false),
  sparsesoftmaxcrossentropywithlogits: withLogits('crossEntropy', true), sigmoidcrossentropywithlogits: withLogits('binaryCrossEntropy', false),
  readdatasets: readDataSets,
  sqrt: numeric(Math.sqrt), exp: numeric(Math.exp), log, abs: numeric(Math.abs),
  reducesum: reduce('sum'), reducemean: reduce('mean'), square, pow: square,
  clipbyvalue: clipByValue, clipbyglobalnorm: clipByGlobalNorm, clipbynorm: clipByNorm, l2loss: l2Loss, gradienttape: gradientTape,
  fullyconnected: fullyConnected,
  fromtensorslices: fromTensorSlices,
  numpyinputfn: numpyInputFn,
  estimator: () => native(new EstimatorV()), dnnclassifier: () => native(new EstimatorV()),
  session: () => native(new SessionV()), interactivesession: () => native(new SessionV()),
};

function resolve(path: string): Handler | undefined {
  if (path.startsWith(`${TUTORIAL}.`)) return TUTORIAL_FUNCTIONS[path.slice(TUTORIAL.length + 1)];
  if (!path.startsWith('tensorflow.')) return undefined;
  const name = last(path);
  const n = norm(name);
  const ns = path.slice('tensorflow.'.length, path.length - name.length - 1);
  if (ns === 'layers' && n === 'dense') return layersDense;
  if (n === 'variable' && name !== 'Variable') return undefined;
  if (ns === 'train' && n.endsWith('optimizer')) return (call, fx) => optimizerCall(fx, call, n.replace(/optimizer$/, ''), 'tf1');
  if (ns === 'train' && scheduleHandler(n, true)) return scheduleHandler(n, true);
  if (ns === 'losses' || ns === 'compat.v1.losses') {
    const h = TF1_LOSSES[n];
    const k = kerasLossHandler(name);
    // TF1's tf.losses.* (a scalar); in TF2 tf.losses is keras.losses.
    if (h && k) return (call, fx) => (/compat\.v1/.test(call.written) || /\bplaceholder\s*\(|\bSession\s*\(|compat\.v1/.test(fx.text) ? h(call, fx) : k(call, fx));
    if (h || k) return h ?? k;
  }
  if (n === 'run' && ns === 'app') return runMain;
  if (CONVOLUTIONAL.has(n)) return refuseConv;
  const byName = BY_NAME[n];
  if (byName) return byName;
  if (ACTIVATION_NAMES[n] && n !== 'identity') {
    return (call, fx) => {
      const t = call.args[0];
      if (asTensor(fx, t)) return activate(fx, t, ACTIVATION_NAMES[n], call.expr, call.argExprs[0]);
      return undefined;
    };
  }
  if (ns !== 'keras' && /initializer$/.test(n)) return (call) => initializerObject(call, name, 'tf1-initializer');
  if (ns === 'initializers') return (call) => initializerObject(call, name, 'keras-object');
  return (call, fx) => tensorInitializer(fx, call, name, false);
}

export const tf1: FrameworkModule = {
  id: ID,
  language: 'python-tf1',
  dialects: ['python'],
  aliases: {
    'tensorflow.compat.v1': 'tensorflow', 'tensorflow.compat.v2': 'tensorflow', 'tensorflow.v1': 'tensorflow',
    'tensorflow.contrib.layers.xavier_initializer': 'tensorflow.xavier_initializer',
    'tensorflow.linalg.matmul': 'tensorflow.matmul', 'tensorflow.math': 'tensorflow', 'tensorflow.contrib.slim': 'tensorflow.contrib.layers',
    'tensorflow.contrib.framework': 'tensorflow.contrib.layers',
    // A local copy of the tutorial's mnist.py imported as `import mnist` (fully_connected_feed.py style).
    mnist: TUTORIAL, 'tensorflow.contrib.learn.python.learn.datasets.mnist': 'tensorflow.examples.tutorials.mnist.input_data',
  },
  globals: { python: { tf: 'tensorflow' } },
  resolve,
  unknownMethod(name, _receiver, call, fx) {
    return name === 'next_batch' ? nextBatch(call, fx) : undefined;
  },
  value(path) {
    const v = path.startsWith(`${TUTORIAL}.`) ? TUTORIAL_VALUES[path.slice(TUTORIAL.length + 1)] : undefined;
    return v === undefined ? undefined : { t: 'num', v };
  },
  unknownMember(dotted) {
    const m = /(^|\.)(train|validation|test)\.num_examples$/.exec(dotted);
    if (!m) return undefined;
    return { t: 'num', v: m[2] === 'train' ? 55000 : m[2] === 'validation' ? 5000 : 10000 };
  },
  trainingCalls: ['next_batch', 'run', 'minimize', 'apply_gradients'],
};

/**
 * `tf.reshape(X, [-1, 784])`: the input placeholder reshaped is an input of the new shape (so an image-shaped
 * placeholder flattened before the first layer is not noted as the wrong shape); anything else passes through.
 */
function reshapeInput(call: Call, fx: Fx): Val | undefined {
  const p = nativeOf(call.args[0], PlaceholderV);
  const shape = shapeOf(call.arg(1, 'shape')?.v);
  if (p && shape) return native(new PlaceholderV(shape.map((d) => (d === -1 ? undefined : d)), p.span));
  return passThrough(call, fx);
}

/** `tf.layers.flatten(X)` / `tf.contrib.layers.flatten(X)`: an image-shaped input placeholder flattened to one row per example. */
function flattenInput(call: Call, fx: Fx): Val | undefined {
  const p = nativeOf(call.args[0], PlaceholderV);
  const rest = p?.shape?.slice(1);
  if (p && rest && rest.length > 0 && rest.every((d) => d !== undefined)) {
    return native(new PlaceholderV([p.shape![0], rest.reduce((a, d) => a * d!, 1)], p.span));
  }
  return passThrough(call, fx);
}
