// TensorFlow 1 graph code (and the TF1 style through `tf.compat.v1`): placeholders, variables and
// their initial values, `tf.matmul(x, W) + b` through `tf.nn.*` activations, `tf.layers.dense`, the
// tutorial's `input_data.read_data_sets` and `next_batch`, `tf.train.*Optimizer(...).minimize(loss)`.
import { type Call, type Native, type Val, NONE, UNKNOWN, native, nativeOf, norm } from '../interpret';
import type { Span } from '../ast';
import {
  type Fx, type LayerRec, DataV, InitTensorV, InitializerV, OptimizerV, PlaceholderV, TensorV, TrainOpV, VarV, runTrainOp, activate, addBias, applyLayer, asTensor, convTensor, markLogits, matmulValues, shapeOf,
} from '../model';
import type { FrameworkModule, Handler } from './api';
import { ACTIVATION_NAMES, CONV_MESSAGE, denseLayer, initializerObject, last, noteFashion, optimizerCall, tensorInitializer } from './common';
import { runMain } from './stdlib';

const ID = 'tf1';

/** The tutorial's `read_data_sets(...)`: `.train` / `.validation` / `.test` splits of known sizes. */
class MnistDataV implements Native {
  readonly kind = 'MNIST data sets';
  attr(name: string): Val | undefined {
    const n = { train: 55000, validation: 5000, test: 10000 }[name];
    return n === undefined ? undefined : native(new MnistSplitV(n));
  }
}

class MnistSplitV implements Native {
  readonly kind = 'MNIST split';
  constructor(readonly examples: number) {}
  attr(name: string): Val | undefined {
    if (name === 'num_examples') return { t: 'num', v: this.examples };
    if (name === 'images') return native(new DataV(this.examples, 784));
    if (name === 'labels') return native(new DataV(this.examples, 10));
    return undefined;
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    return name === 'next_batch' ? nextBatch(call, fx) : undefined;
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
  if (nativeOf(a, TensorV) || nativeOf(a, PlaceholderV)) return a;
  return undefined;
};

const dropout: Handler = (call, fx) => {
  const a = call.args[0];
  if (!nativeOf(a, TensorV) && !nativeOf(a, PlaceholderV)) return UNKNOWN;
  fx.note(call.expr, 'dropout is not part of the model spec: trained without it');
  return a;
};

const softmaxCrossEntropy: Handler = (call) => {
  const logits = call.kw.get('logits')?.v ?? [...call.args].reverse().find((a) => nativeOf(a, TensorV));
  markLogits(logits);
  return UNKNOWN;
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
  return native(new MnistDataV());
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

/** tf.data pipelines: `from_tensor_slices(...).shuffle(...).batch(B)`, `.take(N)`, iterated by a training loop. */
class TfDataV implements Native {
  readonly kind = 'dataset';
  constructor(readonly examples: number | undefined, readonly batch: number | undefined, readonly repeat: boolean, readonly taken?: number) {}
  method(name: string, call: Call, fx: Fx): Val | undefined {
    const n = norm(name);
    const a = call.args[0];
    const k = a?.t === 'num' && Number.isInteger(a.v) && a.v > 0 ? a.v : undefined;
    if (n === 'batch') {
      if (k !== undefined) fx.session.batch = { value: k, span: call.argExprs[0] ?? call.expr };
      return native(new TfDataV(this.examples, k, this.repeat, this.taken));
    }
    if (n === 'repeat') return native(new TfDataV(this.examples, this.batch, call.args.length === 0 || a?.t === 'none', this.taken));
    if (n === 'take') return native(new TfDataV(this.examples, this.batch, this.repeat, k));
    if (['shuffle', 'prefetch', 'map', 'cache', 'filter', 'apply'].includes(n)) return native(this);
    if (n === 'makeoneshotiterator' || n === 'makeinitializableiterator' || n === 'asnumpyiterator') return native(this);
    if (n === 'getnext') return { t: 'list', items: [native(new TensorV('input', true)), UNKNOWN], tuple: true };
    return undefined;
  }
  len(): number | undefined {
    if (this.taken !== undefined) return this.taken;
    if (this.repeat || this.examples === undefined) return undefined;
    return this.batch === undefined ? this.examples : Math.ceil(this.examples / this.batch);
  }
  element(): Val {
    return { t: 'list', items: [native(new TensorV('input', true)), UNKNOWN], tuple: true };
  }
}

const fromTensorSlices: Handler = (call) => {
  let a = call.args[0];
  if (a?.t === 'list') a = a.items[0];
  const d = nativeOf(a, DataV);
  return native(new TfDataV(d?.rows, undefined, false));
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

/** `tf.log(y)` of a softmax output: the seed's unstable cross-entropy. */
class LogSoftmaxV implements Native {
  readonly kind = 'log of a softmax';
  constructor(readonly layer: LayerRec, readonly span: Span, readonly prefix: string) {}
  binary(op: string, _other: Val, _left: boolean, host: Fx, at: Span, otherAt: Span): Val | undefined {
    if (op !== '*') return undefined;
    return native(new LabelledLogV(this, at, host.text.slice(otherAt.from, otherAt.to)));
  }
}

/** `y_ * tf.log(y)`. */
class LabelledLogV implements Native {
  readonly kind = 'labels × log';
  constructor(readonly log: LogSoftmaxV, readonly span: Span, readonly labels: string) {}
}

/** `tf.reduce_sum(y_ * tf.log(y), axis)`, possibly negated. */
class LogSumV implements Native {
  readonly kind = 'sum of labels × log';
  constructor(readonly inner: LabelledLogV, readonly span: Span, readonly perExample: boolean, readonly negated: boolean) {}
  unary(op: string, host: Fx, at: Span): Val | undefined {
    if (op !== '-') return undefined;
    const v = new LogSumV(this.inner, at, this.perExample, !this.negated);
    recordUnstable(host, v);
    return native(v);
  }
}

/** `tf.log(x)` (also Keras backend `K.log`): of a softmax output it is the start of an unstable cross-entropy. */
export const log: Handler = (call, fx) => {
  const a = call.args[0];
  if (a?.t === 'num') {
    const v = Math.log(a.v);
    return Number.isFinite(v) ? { t: 'num', v, span: call.expr } : UNKNOWN;
  }
  const t = nativeOf(a, TensorV);
  if (!t || t.source === 'input' || t.source.activation !== 'softmax' || !t.activated) return UNKNOWN;
  const prefix = call.path.startsWith('keras.') ? 'tf' : call.written.replace(/\.(math\.)?log$/, '') || 'tf';
  const v = new LogSoftmaxV(t.source, call.expr, prefix);
  fx.session.unstableLoss ??= {
    span: call.expr, construct: fx.src(call.expr), layer: t.source,
    suggestion: `${prefix}.nn.softmax_cross_entropy_with_logits(labels=..., logits=...) on the layer's output before the softmax`,
  };
  return native(v);
};

/** `tf.reduce_sum(...)` (also `K.sum`): the sum of `labels * log(softmax)`. */
export const reduceSum: Handler = (call) => {
  const inner = nativeOf(call.args[0], LabelledLogV);
  if (!inner) return UNKNOWN;
  const axis = call.arg(1, 'axis', 'reductionindices')?.v;
  const perExample = axis !== undefined && ((axis.t === 'num' && (axis.v === 1 || axis.v === -1)) || (axis.t === 'list' && axis.items.length === 1 && axis.items[0].t === 'num' && (axis.items[0].v === 1 || axis.items[0].v === -1)));
  return native(new LogSumV(inner, call.expr, perExample, false));
};

/** Offers the stable replacement for `-tf.reduce_sum(y_ * tf.log(y), axis=1)` when the logits are written where the loss can see them. */
function recordUnstable(fx: Fx, v: LogSumV): void {
  const u = fx.session.unstableLoss;
  const layer = v.inner.log.layer;
  if (!u || u.layer !== layer || u.edit || !v.negated) return;
  const pre = layer.preActivation;
  if (!pre || !sameStack(pre.via, fx.callStack)) return;
  const tf = v.inner.log.prefix;
  const ce = `${tf}.nn.softmax_cross_entropy_with_logits(labels=${v.inner.labels.trim()}, logits=${fx.text.slice(pre.span.from, pre.span.to).trim()})`;
  u.edit = { span: v.span, newText: v.perExample ? ce : `${tf}.reduce_sum(${ce})` };
}

const sameStack = (a: readonly Span[], b: readonly Span[]): boolean => a.length === b.length && a.every((s, i) => s.from === b[i].from && s.to === b[i].to);

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
  loss: (call) => {
    markLogits(call.arg(0, 'logits')?.v);
    return UNKNOWN;
  },
  training: (call, fx) => {
    const lr = call.arg(1, 'learningrate');
    const opt = nativeOf(optimizerCall(fx, { ...call, args: lr ? [lr.v] : [], argExprs: lr ? [lr.expr] : [], kw: new Map() }, 'gradientdescent', 'tf1'), OptimizerV);
    return opt ? native(new TrainOpV(opt.opt)) : UNKNOWN;
  },
  evaluation: () => UNKNOWN,
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
  reshape: reshapeInput, identity: passThrough, flatten: flattenInput,
  dropout,
  softmaxcrossentropywithlogits: softmaxCrossEntropy, softmaxcrossentropywithlogitsv2: softmaxCrossEntropy,
  sparsesoftmaxcrossentropywithlogits: softmaxCrossEntropy, softmaxcrossentropy: softmaxCrossEntropy, sparsesoftmaxcrossentropy: softmaxCrossEntropy,
  readdatasets: readDataSets,
  sqrt: numeric(Math.sqrt), exp: numeric(Math.exp), log, abs: numeric(Math.abs),
  reducesum: reduceSum,
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
