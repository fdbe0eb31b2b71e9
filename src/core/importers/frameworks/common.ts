// Readers shared by the TensorFlow-family modules (tf1, keras, tfjs): activation and initializer names,
// initializer arguments in their several spellings, optimizers, dense-layer configs, and the Keras-style
// model object (`add` / `compile` / `fit`) that Keras and tfjs share.
import type { Initializer, OptimizerSpec, OptimizerType, RegularizerSpec } from '../../spec';
import { type Expr, type Span, dottedName } from '../ast';
import { type Arg, type Call, type Native, type Val, NONE, UNKNOWN, UnboundParamV, native, nativeOf, norm } from '../interpret';
import {
  type Fx, type InitRec, type InitSite, type LayerRec, type ModelRec, ActivationLayerV, CONV_MESSAGE, DataV, InitTensorV, InitializerV, LayerV, LossV,
  OptimizerV, PassLayerV, RNN_MESSAGE, TensorV, asTensor, dropoutOn, noteUnboundSizes, shapeOf,
} from '../model';
import type { InitializerIdiom } from '../types';
import type { Handler } from './api';
import { deviate, programOf } from '../programParts';
import { compileLoss } from './tfLoss';
import { ScheduleV } from './tfUpdate';

export const ACTIVATION_NAMES: Readonly<Record<string, string>> = {
  relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', softmax: 'softmax', linear: 'linear', elu: 'elu', selu: 'selu',
  leakyrelu: 'leakyRelu', identity: 'linear', logsoftmax: 'logSoftmax',
};

export const NAMED_INIT: Readonly<Record<string, Initializer>> = {
  zeros: 'zeros', zero: 'zeros', ones: 'ones', one: 'ones', glorotuniform: 'glorotUniform', glorotnormal: 'glorotNormal',
  henormal: 'heNormal', heuniform: 'heUniform', lecunnormal: 'leCunNormal', lecununiform: 'leCunUniform',
  xavieruniform: 'glorotUniform', xaviernormal: 'glorotNormal',
  zerosinitializer: 'zeros', onesinitializer: 'ones', glorotuniforminitializer: 'glorotUniform', glorotnormalinitializer: 'glorotNormal',
};

export { CONV_MESSAGE, RNN_MESSAGE };

/** The layer classes a Keras-style framework cannot train: convolutions and pooling, recurrent layers (the model
 *  is refused with the message), and others that are noted and left out of the chain. */
export interface UnsupportedLayers {
  readonly convolutional: ReadonlySet<string>;
  readonly recurrent: ReadonlySet<string>;
  readonly ignored: ReadonlySet<string>;
}

/** The handler for layer class `n` (normalised; `name` as written) when it is one of `kinds`, else undefined. */
export function unsupportedLayer(n: string, name: string, kinds: UnsupportedLayers): Handler | undefined {
  if (kinds.convolutional.has(n) || kinds.recurrent.has(n)) {
    const message = kinds.convolutional.has(n) ? CONV_MESSAGE : RNN_MESSAGE;
    return (call, fx) => native(new PassLayerV(n, call.expr, fx.session.refuse(call.expr, message)));
  }
  if (kinds.ignored.has(n)) {
    return (call, fx) => {
      fx.session.looksLikeModel = true;
      fx.note(call.expr, `${name} layers are not supported (Gradient Lens trains dense MLPs): ignored`);
      return native(new PassLayerV(n, call.expr));
    };
  }
  return undefined;
}

/** Code that loads Fashion-MNIST: trained on MNIST unless the data folder points elsewhere. */
export function noteFashion(fx: Fx, at: Span): void {
  fx.note(at, 'this code loads Fashion-MNIST: Gradient Lens trains on MNIST unless gradientLens.dataFolder (editor) or --data (command line) points at Fashion-MNIST IDX files');
}

/** The slope Gradient Lens's leakyRelu has for negative inputs (trainer.ts). */
export const LEAKY_ALPHA = 0.2;

/** A LeakyReLU layer whose negative slope (`alpha`, default `dflt`) is not the trainer's 0.2. */
export function noteLeakySlope(fx: Fx, call: Call, dflt: number): void {
  const a = call.arg(0, 'alpha', 'negativeslope')?.v;
  const alpha = a?.t === 'num' ? a.v : dflt;
  if (Math.abs(alpha - LEAKY_ALPHA) > 1e-12) fx.note(call.expr, `this leaky ReLU has slope ${alpha} below zero; Gradient Lens trains leakyRelu with slope ${LEAKY_ALPHA}`);
}

/** The last segment of a dotted path. */
export const last = (path: string): string => path.slice(path.lastIndexOf('.') + 1);

/** `tf.keras.layers` for `tf.keras.layers.Dense`: the module prefix as written ('' when bare). */
export const writtenPrefix = (call: Call): string => {
  const w = call.written;
  const i = w.lastIndexOf('.');
  return i < 0 ? '' : w.slice(0, i);
};

/** An activation given as a string, a function (`tf.nn.relu`, `keras.activations.relu`) or None. */
export function activationOf(fx: Fx, v: Val, expr: Expr): { name: string; site?: { span: Span; idiom: 'string' | 'name' } } | undefined {
  if (v.t === 'none') return { name: 'linear' };
  if (v.t === 'str') {
    const a = ACTIVATION_NAMES[norm(v.v)];
    if (a) return { name: a, site: { span: expr, idiom: 'string' } };
  }
  if (v.t === 'ref' || v.t === 'unknown') {
    const n = v.t === 'ref' ? last(v.path) : (dottedName(expr) ?? '').split('.').pop() ?? '';
    const a = ACTIVATION_NAMES[norm(n)];
    if (a) return { name: a, site: { span: expr, idiom: 'name' } };
  }
  const act = nativeOf(v, ActivationLayerV);
  if (act) return { name: act.activation, site: { span: expr, idiom: 'name' } };
  fx.note(expr, `could not read this activation (${fx.src(expr)})`);
  return undefined;
}

// ---- initializers -----------------------------------------------------------------------------

const TENSOR_INITS: Readonly<Record<string, string>> = {
  zeros: 'zeros', ones: 'ones', fill: 'fill', constant: 'constant', randomuniform: 'uniform', randomnormal: 'normal',
  truncatednormal: 'truncated', uniform: 'uniform', normal: 'normal',
};

/**
 * A tensor of initial values (TF1 `tf.zeros(shape)`, `tf.random_uniform(shape, lo, hi)`, `tf.random.normal`,
 * `tf.constant(v, shape=...)`; tfjs `tf.zeros`, `tf.randomNormal(shape, mean, stddev)`): undefined when
 * `name` is not one; UNKNOWN when its arguments cannot be read.
 */
export function tensorInitializer(fx: Fx, call: Call, name: string, js: boolean): Val | undefined {
  const n = norm(name);
  const written = call.written.split('.');
  const prefixParts = written.slice(0, -1);
  const v2 = prefixParts[prefixParts.length - 1] === 'random';
  const root = (v2 ? prefixParts.slice(0, -1) : prefixParts).join('.');
  const kind = TENSOR_INITS[n];
  if (!kind || ((n === 'uniform' || n === 'normal') && !v2) || (n === 'constant' && js)) return undefined;
  const { args, argExprs, kw } = call;
  const shapeExpr = kind === 'constant' ? kw.get('shape')?.expr : argExprs[0] ?? kw.get('shape')?.expr;
  const shapeVal = kind === 'constant' ? kw.get('shape')?.v ?? args[2] : args[0] ?? kw.get('shape')?.v;
  if (kind !== 'constant' && shapeVal === undefined) return undefined;
  const shape = shapeOf(shapeVal);
  if (shapeExpr) noteUnboundSizes(fx, shapeVal, shapeExpr);
  const get = (key: string, pos: number, dflt: number): number | undefined => {
    const v = kw.get(key)?.v ?? args[pos];
    if (v === undefined || v.t === 'none') return dflt;
    return v.t === 'num' ? v.v : undefined;
  };
  let init: Initializer | undefined;
  switch (kind) {
    case 'zeros': init = 'zeros'; break;
    case 'ones': init = 'ones'; break;
    case 'fill': { const v = get('value', 1, NaN); init = v === undefined || Number.isNaN(v) ? undefined : v === 0 ? 'zeros' : { type: 'constant', value: v }; break; }
    case 'constant': { const v = get('value', 0, NaN); init = v === undefined || Number.isNaN(v) ? undefined : v === 0 ? 'zeros' : { type: 'constant', value: v }; break; }
    case 'uniform': { const a = get('minval', 1, 0); const b = get('maxval', 2, 1); init = a === undefined || b === undefined ? undefined : { type: 'randomUniform', minval: a, maxval: b }; break; }
    case 'normal': case 'truncated': {
      const m = get('mean', 1, 0);
      const s = kw.get('stddev') !== undefined || args[2] !== undefined ? get('stddev', 2, 1) : 1;
      init = m === undefined || s === undefined ? undefined : { type: kind === 'normal' ? 'randomNormal' : 'truncatedNormal', mean: m, stddev: s };
      break;
    }
  }
  // Unreadable arguments: unknown (whoever uses the value as weights notes it; tf.constant is used elsewhere too).
  if (!init) return UNKNOWN;
  const idiom: InitializerIdiom = js ? 'tfjs-tensor' : 'tf1';
  return native(new InitTensorV({ init, site: { span: call.expr, idiom, prefix: root, shape: shapeExpr, v2 } }, shape));
}

/**
 * An initializer object (Keras `HeNormal()`, `RandomUniform(-0.05, 0.05)`, `glorot_uniform()`; TF1
 * `tf.zeros_initializer()`, `tf.random_normal_initializer(0, 0.1)`, `xavier_initializer()`; tfjs
 * `tf.initializers.randomUniform({minval, maxval})`): undefined when `name` is not one.
 */
export function initializerObject(call: Call, name: string, idiom: 'tf1-initializer' | 'keras-object' | 'tfjs-object'): Val | undefined {
  const n = norm(name);
  const base = n.replace(/initializer$/, '');
  const tf1Style = idiom === 'tf1-initializer';
  const { args, kw } = call;
  const get = (keys: string[], pos: number, dflt: number): number | undefined => {
    for (const k of keys) {
      const v = kw.get(k)?.v;
      if (v !== undefined) return v.t === 'num' ? v.v : v.t === 'none' ? dflt : undefined;
    }
    const v = args[pos];
    if (v === undefined || v.t === 'none') return dflt;
    return v.t === 'num' ? v.v : undefined;
  };
  const spread = tf1Style ? 1 : 0.05;
  let init: Initializer | undefined;
  if (NAMED_INIT[n] ?? NAMED_INIT[base]) init = NAMED_INIT[n] ?? NAMED_INIT[base];
  else if (base === 'xavier') {
    const u = kw.get('uniform')?.v;
    init = u?.t === 'bool' && !u.v ? 'glorotNormal' : 'glorotUniform';
  } else if (base === 'constant') { const v = get(['value'], 0, 0); init = v === undefined ? undefined : v === 0 ? 'zeros' : { type: 'constant', value: v }; }
  else if (base === 'randomuniform' || base === 'uniform') {
    const a = get(['minval'], 0, tf1Style ? 0 : -0.05); const b = get(['maxval'], 1, tf1Style ? 1 : 0.05);
    init = a === undefined || b === undefined ? undefined : { type: 'randomUniform', minval: a, maxval: b };
  } else if (base === 'randomnormal' || base === 'normal' || base === 'truncatednormal') {
    const m = get(['mean'], 0, 0); const s = get(['stddev'], 1, spread);
    init = m === undefined || s === undefined ? undefined : { type: base === 'truncatednormal' ? 'truncatedNormal' : 'randomNormal', mean: m, stddev: s };
  } else return undefined; // variance_scaling, orthogonal...: unknown; whoever uses them notes it.
  if (!init) return UNKNOWN;
  return native(new InitializerV({ init, site: { span: call.expr, idiom, prefix: writtenPrefix(call) } }));
}

/** A string, initializer object or initializer function passed as kernel_initializer / kernelInitializer. */
export function initializerArg(fx: Fx, a: Arg, layerCall: Call, stringIdiom: 'keras-string' | 'tfjs-string'): InitRec | undefined {
  const { v, expr } = a;
  const obj = nativeOf(v, InitializerV);
  if (obj) return obj.rec;
  // `tf.keras.layers.Dense` → `tf.keras.initializers` (for a fix that needs an initializer object).
  const calleeName = layerCall.written;
  const prefix = /(^|\.)layers\.[A-Za-z]+$/.test(calleeName) ? calleeName.replace(/(^|\.)layers\.[A-Za-z]+$/, '$1initializers') : '';
  const site: InitSite = { span: expr, idiom: stringIdiom, prefix };
  const named = (s: string): Initializer | undefined => {
    const n = norm(s);
    if (NAMED_INIT[n]) return NAMED_INIT[n];
    if (n === 'randomuniform' || n === 'uniform') return { type: 'randomUniform', minval: -0.05, maxval: 0.05 };
    if (n === 'randomnormal' || n === 'normal') return { type: 'randomNormal', mean: 0, stddev: 0.05 };
    if (n === 'truncatednormal') return { type: 'truncatedNormal', mean: 0, stddev: 0.05 };
    if (n === 'constant') return 'zeros';
    return undefined;
  };
  if (v.t === 'str') {
    const init = named(v.v);
    if (init) return { init, site };
  }
  // The initializer function itself (`from keras.initializers import glorot_normal as init` … `kernel_initializer=init`).
  if (v.t === 'ref') {
    const init = named(last(v.path));
    if (init) return { init, site };
  }
  fx.note(expr, `could not read this initializer (${fx.src(expr)})`);
  return undefined;
}

// ---- optimizers -------------------------------------------------------------------------------

const OPTIMIZER_TYPES: Readonly<Record<string, OptimizerType>> = { gradientdescent: 'sgd', sgd: 'sgd', momentum: 'momentum', adam: 'adam', rmsprop: 'rmsprop' };
const OTHER_OPTIMIZERS = new Set(['adagrad', 'adadelta', 'adamax', 'nadam', 'ftrl', 'adamw', 'proximaladagrad', 'proximalgradientdescent', 'lamb', 'lion']);

/**
 * An optimizer constructor (TF1 `tf.train.AdamOptimizer(lr)`, Keras `SGD(learning_rate=, momentum=)`, tfjs
 * `tf.train.sgd(lr)`); `base` is its normalised name without `optimizer`. Undefined when it is not one.
 */
export function optimizerCall(fx: Fx, call: Call, base: string, flavour: 'tf1' | 'keras' | 'tfjs'): Val | undefined {
  const type = OPTIMIZER_TYPES[base];
  const e = call.expr;
  if (!type) {
    if (OTHER_OPTIMIZERS.has(base)) {
      fx.note(e, `the optimizer ${fx.src(e)} is not supported (sgd, momentum, adam, rmsprop are)`);
      return UNKNOWN;
    }
    return undefined;
  }
  const { args, kw } = call;
  const isKeras = flavour === 'keras';
  const tf1 = flavour === 'tf1';
  const defaults: Record<OptimizerType, number> = { sgd: isKeras ? 0.01 : NaN, momentum: NaN, adam: 0.001, rmsprop: 0.001 };
  const lrEntry = kw.get('learningrate') ?? kw.get('lr');
  const lrVal = lrEntry?.v ?? args[0];
  let lr: number | undefined;
  let lrSpan: Span | undefined;
  const schedule = nativeOf(lrVal, ScheduleV);
  if (schedule) {
    lr = schedule.initial;
    lrSpan = schedule.initialSpan;
  } else if (lrVal === undefined) lr = Number.isNaN(defaults[type]) ? undefined : defaults[type];
  else if (lrVal.t === 'num') {
    lr = lrVal.v;
    const lrExpr = lrEntry?.expr ?? call.argExprs[0];
    if (lrExpr && (lrExpr.k === 'num' || lrExpr.k === 'unary')) lrSpan = lrExpr;
    else if (lrVal.span && fx.text.slice(lrVal.span.from, lrVal.span.to).trim() === String(lrVal.v)) lrSpan = lrVal.span;
  }
  const unbound = nativeOf(lrVal, UnboundParamV);
  if (lr === undefined && unbound) {
    fx.note(e, `the learning rate comes from ${unbound.describe()}: using ${type === 'sgd' || type === 'momentum' ? 0.01 : 0.001}`);
    lr = type === 'sgd' || type === 'momentum' ? 0.01 : 0.001;
  } else if (lr === undefined) {
    fx.note(e, `could not read the learning rate of ${fx.src(e)}`);
    lr = type === 'sgd' || type === 'momentum' ? 0.01 : 0.001;
  }
  const num = (keys: string[], pos: number): number | undefined => {
    for (const k of keys) {
      const v = kw.get(k)?.v;
      if (v?.t === 'num') return v.v;
    }
    const v = pos >= 0 ? args[pos] : undefined;
    return v?.t === 'num' ? v.v : undefined;
  };
  const spec: OptimizerSpec = { type, learningRate: lr };
  if (schedule?.schedule) spec.schedule = schedule.schedule;
  const decay = kw.get('decay');
  if (isKeras && decay?.v.t === 'num' && decay.v.v > 0) deviate(fx.session, decay.span, `this optimizer's learning-rate decay (decay=${decay.v.v}, lr / (1 + decay · step)) is not one Gradient Lens runs: the run keeps the learning rate at ${lr}`);
  if (!tf1) {
    // Keras `clipnorm` / `clipvalue` / `global_clipnorm` (tfjs has none).
    for (const [key, field] of [['clipnorm', 'clipNorm'], ['globalclipnorm', 'globalClipNorm'], ['clipvalue', 'clipValue']] as const) {
      const c = kw.get(key)?.v;
      if (c?.t === 'num' && c.v > 0) spec[field] = c.v;
    }
  }
  if (type === 'sgd' && isKeras) {
    const m = num(['momentum'], 1);
    if (m !== undefined && m > 0) {
      spec.type = 'momentum';
      spec.momentum = m;
      const nest = kw.get('nesterov')?.v;
      if (nest?.t === 'bool') spec.useNesterov = nest.v;
    }
  } else if (type === 'momentum') {
    const m = num(['momentum'], 1);
    if (m === undefined) fx.note(e, `could not read the momentum of ${fx.src(e)}: using 0.9`);
    spec.momentum = m ?? 0.9;
    const nest = kw.get('usenesterov')?.v ?? args[2];
    if (nest?.t === 'bool') spec.useNesterov = nest.v;
  } else if (type === 'adam') {
    const b1 = num(['beta1', 'beta_1'], 1); const b2 = num(['beta2', 'beta_2'], 2); const eps = num(['epsilon'], 3);
    if (b1 !== undefined) spec.beta1 = b1;
    if (b2 !== undefined) spec.beta2 = b2;
    spec.epsilon = eps ?? (tf1 ? 1e-8 : 1e-7);
  } else if (type === 'rmsprop') {
    // TF1's RMSProp `decay` is rho; Keras' `decay` is learning-rate decay (noted above).
    const d = num(isKeras ? ['rho'] : ['rho', 'decay'], 1); const m = num(['momentum'], isKeras ? -1 : 2); const eps = num(['epsilon'], isKeras ? -1 : 3);
    if (d !== undefined) spec.decay = d;
    if (m !== undefined) spec.momentum = m;
    spec.epsilon = eps ?? (tf1 ? 1e-10 : 1e-7);
  }
  return native(new OptimizerV(fx.session.addOptimizer({ spec, span: e, lrSpan })));
}

/** An optimizer argument: an optimizer object or a name (`'sgd'`, `'adam'`, `'rmsprop'`). */
export function optimizerArg(fx: Fx, v: Val, expr: Expr) {
  const o = nativeOf(v, OptimizerV);
  if (o) return o.opt;
  if (v.t === 'str') {
    const map: Record<string, OptimizerSpec> = {
      sgd: { type: 'sgd', learningRate: 0.01 }, adam: { type: 'adam', learningRate: 0.001 }, rmsprop: { type: 'rmsprop', learningRate: 0.001 },
    };
    const spec = map[norm(v.v)];
    if (spec) return { spec, span: expr };
  }
  fx.note(expr, `could not read this optimizer (${fx.src(expr)})`);
  return undefined;
}

// ---- layers -----------------------------------------------------------------------------------

/**
 * Dense(units, activation, ...) / tf.layers.dense({units, ...}); `shift` skips leading positional
 * arguments (TF1 `tf.layers.dense(inputs, units)`).
 */
export function denseLayer(fx: Fx, call: Call, framework: string, stringIdiom: 'keras-string' | 'tfjs-string', shift = 0): LayerV {
  fx.session.looksLikeModel = true;
  const { args, argExprs, kw } = call;
  const e = call.expr;
  const via = [...fx.callStack];
  const layer: LayerRec = { id: -1, framework, useBias: true, weightsSpan: e, definition: e, via, weightsVia: via, biasVia: via, kind: 'object' };
  const unitsA = kw.get('units') ?? kw.get('outputdim');
  const unitsV = unitsA?.v ?? args[shift];
  if (unitsV?.t === 'num' && Number.isInteger(unitsV.v)) layer.units = unitsV.v;
  else if (nativeOf(unitsV, UnboundParamV)) noteUnboundSizes(fx, unitsV, unitsA?.span ?? argExprs[shift] ?? e);
  else fx.note(unitsA?.span ?? argExprs[shift] ?? e, `could not read the number of units of ${fx.src(e)}`);
  const actA = kw.get('activation') ?? (args[shift + 1] ? { v: args[shift + 1], expr: argExprs[shift + 1], span: argExprs[shift + 1] } : undefined);
  if (actA) {
    const a = activationOf(fx, actA.v, actA.expr);
    if (a) {
      layer.activation = a.name;
      layer.activationSpan = actA.span;
      layer.activationSite = a.site;
    }
  }
  const nameA = kw.get('name')?.v;
  if (nameA?.t === 'str') layer.name = nameA.v;
  const ub = kw.get('usebias')?.v ?? kw.get('bias')?.v;
  if (ub?.t === 'bool' && !ub.v) layer.useBias = false;
  const k = kw.get('kernelinitializer') ?? kw.get('init');
  if (k && k.v.t !== 'none') {
    layer.kernel = initializerArg(fx, k, call, stringIdiom);
    layer.weightsSpan = k.span;
  } else layer.kernel = { init: 'glorotUniform' };
  const b = kw.get('biasinitializer');
  if (b && b.v.t !== 'none') {
    layer.bias = initializerArg(fx, b, call, stringIdiom);
    layer.biasSpan = b.span;
  } else layer.bias = { init: 'zeros' };
  const inShape = kw.get('inputshape')?.v ?? kw.get('batchinputshape')?.v;
  const inDim = kw.get('inputdim')?.v;
  const dim = inDim?.t === 'num' ? inDim.v : inShape?.t === 'list' ? (shapeOf(inShape) ?? []).reduce<number | undefined>((p, x) => (p === undefined || x === undefined ? undefined : p * x), 1) : undefined;
  if (dim !== undefined) layer.kernelShape = [dim, layer.units];
  const reg = kw.get('kernelregularizer') ?? kw.get('wregularizer');
  if (reg && reg.v.t !== 'none') {
    const r = regularizerOf(reg.v);
    if (r) {
      if (r.l1 || r.l2) layer.kernelRegularizer = r;
    } else deviate(fx.session, reg.span, `could not read this regularizer (${fx.src(reg.span)}): the run trains without it`);
  }
  for (const bad of ['biasregularizer', 'activityregularizer', 'kernelconstraint', 'biasconstraint']) {
    const a = kw.get(bad);
    if (a && a.v.t !== 'none') deviate(fx.session, a.span, `${fx.src(a.span).split(/[=:]/)[0].trim()} is not something Gradient Lens runs (it runs kernel regularisers): the run trains without it`);
  }
  return new LayerV(layer);
}

/** A kernel regulariser (`regularizers.l2(0.01)`, `L1L2(l1=…, l2=…)`, tfjs `tf.regularizers.l2({l2: 0.01})`). */
export class RegularizerV implements Native {
  readonly kind = 'regularizer';
  constructor(readonly value: RegularizerSpec) {}
}

/** The regularizer object or name (`'l2'`: 0.01), else undefined. */
export function regularizerOf(v: Val): RegularizerSpec | undefined {
  const r = nativeOf(v, RegularizerV);
  if (r) return r.value;
  if (v.t === 'str') {
    const n = norm(v.v);
    if (n === 'l2') return { l2: 0.01 };
    if (n === 'l1') return { l1: 0.01 };
    if (n === 'l1l2') return { l1: 0.01, l2: 0.01 };
  }
  return undefined;
}

/** `l2(0.01)` / `L2(l2=0.01)` / `l1_l2(l1=…, l2=…)` (Keras) and `tf.regularizers.l2({l2})` (tfjs, config object). */
export function regularizerCall(call: Call, name: string, js: boolean): Val | undefined {
  const n = norm(name);
  if (!['l1', 'l2', 'l1l2'].includes(n)) return undefined;
  const cfg = js && call.args[0]?.t === 'dict' ? call.args[0] : undefined;
  const get = (key: 'l1' | 'l2', pos: number, dflt: number): number | undefined => {
    const v = cfg ? cfg.entries.get(`s:${key}`)?.value : call.kw.get(key)?.v ?? (pos >= 0 ? call.args[pos] : undefined);
    if (v === undefined || v.t === 'none') return dflt;
    return v.t === 'num' && v.v >= 0 ? v.v : undefined;
  };
  // Keras: l1(0.01), l2(0.01), L1L2 / l1_l2 (0, 0); tfjs: 0.01 each.
  const dflt = js || n !== 'l1l2' ? 0.01 : 0;
  const out: RegularizerSpec = {};
  if (n === 'l1' || n === 'l1l2') out.l1 = get('l1', 0, dflt);
  if (n === 'l2' || n === 'l1l2') out.l2 = get('l2', n === 'l2' ? 0 : 1, dflt);
  if (out.l1 === undefined && n !== 'l2') return UNKNOWN;
  if (out.l2 === undefined && n !== 'l1') return UNKNOWN;
  if (!out.l1) delete out.l1;
  if (!out.l2) delete out.l2;
  return native(new RegularizerV(out));
}

/** `Activation('relu')` / `tf.layers.activation({activation: 'relu'})`. */
export function activationLayer(call: Call, fx: Fx): Val {
  fx.session.looksLikeModel = true;
  const a = call.arg(0, 'activation');
  const act = a ? activationOf(fx, a.v, a.expr) : undefined;
  if (act) return native(new ActivationLayerV(act.name, call.expr, act.site));
  fx.note(call.expr, `could not read the activation of ${fx.src(call.expr)}`);
  return native(new PassLayerV('activation', call.expr));
}

/** `(from_logits=True)` on a loss object / function. */
export function lossObject(call: Call): Val {
  const fl = call.kw.get('fromlogits')?.v;
  return native(new LossV(fl?.t === 'bool' && fl.v));
}

// ---- models -----------------------------------------------------------------------------------

/** A Keras / tfjs model object: `add`, `compile`, `fit` (positional Python arguments when `python`). */
export class ModelV implements Native {
  readonly kind = 'model';
  constructor(readonly model: ModelRec, readonly python: boolean) {}

  method(name: string, call: Call, fx: Fx): Val | undefined {
    return modelMethod(fx, this.model, name, call, this.python);
  }

  /** `model(x)` in a custom loop: the output of its last layer (activated as the layer is). */
  call(call: Call, fx: Fx): Val {
    const last = this.model.layers[this.model.layers.length - 1];
    if (!last || !asTensor(fx, call.args[0])) return UNKNOWN;
    return native(new TensorV(last, last.activation !== undefined && last.activation !== 'linear'));
  }

  attr(name: string): Val | undefined {
    if (name === 'layers') return { t: 'list', items: this.model.layers.map((l) => native(new LayerV(l))) };
    return undefined;
  }
}

/** `model.getLayer('hidden1')`: its `.output` is that layer's output (for sub-models built from it). */
class LayerRefV implements Native {
  readonly kind = 'layer of a model';
  constructor(readonly layer: LayerRec | undefined) {}
  attr(name: string): Val | undefined {
    if (name === 'output' && this.layer) return native(new TensorV(this.layer, this.layer.activation !== undefined && this.layer.activation !== 'linear'));
    return undefined;
  }
}

export function newModel(fx: Fx, span: Span, framework: string): ModelRec {
  fx.session.looksLikeModel = true;
  const model: ModelRec = { span, framework, layers: [] };
  fx.session.models.push(model);
  return model;
}

export function addToModel(fx: Fx, model: ModelRec, item: Val, at: Span): void {
  const inner = nativeOf(item, ModelV);
  if (inner) {
    // A model used as a layer (`Sequential([model, Softmax()])`): its layers, shared, not placed again.
    model.layers.push(...inner.model.layers);
    model.conv ??= inner.model.conv;
    (model.inherited ??= new Set()).add(inner.model.layers[inner.model.layers.length - 1]);
    return;
  }
  const lv = nativeOf(item, LayerV);
  if (lv) {
    if (lv.layer.placed) {
      fx.note(at, 'this layer object is used twice: only its first use is read');
      return;
    }
    lv.layer.placed = true;
    fx.session.addLayer(lv.layer);
    lv.layer.kind = 'object';
    model.layers.push(lv.layer);
    return;
  }
  const act = nativeOf(item, ActivationLayerV);
  if (act) {
    const prev = model.layers[model.layers.length - 1];
    if (prev && model.inherited?.has(prev)) return; // an activation on top of another model's output (a prediction wrapper)
    if (!prev) fx.note(at, 'an activation before the first dense layer: ignored');
    else if (prev.activation && prev.activation !== 'linear') fx.note(at, `a second activation after ${prev.activation}: ignored`);
    else {
      prev.activation = act.activation;
      prev.activationSpan = act.span;
      prev.activationSite = act.site;
    }
    return;
  }
  const pass = nativeOf(item, PassLayerV);
  if (pass?.conv) {
    model.conv ??= pass.conv;
    return;
  }
  if (pass?.rate !== undefined) {
    const prev = model.layers[model.layers.length - 1];
    dropoutOn(fx, new TensorV(prev ?? 'input', true), pass.rate, pass.span);
    return;
  }
  if (pass || nativeOf(item, TensorV)) return; // Flatten / InputLayer / Dropout (already noted): nothing to train.
  fx.note(at, `could not follow this layer (${fx.src(at)})`);
}

/** `Sequential([...])` / `tf.sequential({layers: [...]})`. */
export function sequential(fx: Fx, call: Call, framework: string, python: boolean): Val {
  const model = newModel(fx, call.expr, framework);
  const listArg = call.arg(0, 'layers');
  if (listArg?.v.t === 'list') {
    const items = listArg.v.items;
    items.forEach((item, i) => addToModel(fx, model, item, listArg.expr.k === 'list' ? listArg.expr.items[i] ?? listArg.expr : listArg.expr));
  }
  return native(new ModelV(model, python));
}

/** `Model(inputs, outputs)` / `tf.model({inputs, outputs})`: the chain that ends at `outputs`. */
export function functionalModel(fx: Fx, call: Call, framework: string, python: boolean): Val {
  const out = call.arg(1, 'outputs', 'output');
  let o = out?.v;
  if (o?.t === 'list' && o.items.length === 1) o = o.items[0];
  const t = nativeOf(o, TensorV);
  if (t && t.source !== 'input') {
    const model = newModel(fx, call.expr, framework);
    model.layers.push(...fx.session.chain(t.source));
    return native(new ModelV(model, python));
  }
  if (out) fx.note(call.expr, `could not follow the model's outputs (${fx.src(call.expr)})`);
  return UNKNOWN;
}

function modelMethod(fx: Fx, model: ModelRec, name: string, call: Call, python: boolean): Val | undefined {
  const n = norm(name);
  const e = call.expr;
  if (n === 'getlayer') {
    const key = call.arg(0, 'name', 'index')?.v;
    const layer = key?.t === 'str' ? model.layers.find((l) => l.name === key.v) : key?.t === 'num' ? model.layers[key.v] : undefined;
    return native(new LayerRefV(layer));
  }
  if (n === 'add') {
    const a = call.arg(0, 'layer');
    addToModel(fx, model, a?.v ?? UNKNOWN, a?.expr ?? e);
    return NONE;
  }
  if (n === 'compile') {
    model.compiled = true;
    const o = call.arg(0, 'optimizer');
    if (o) model.optimizer = optimizerArg(fx, o.v, o.expr);
    const loss = call.arg(1, 'loss');
    const lv = nativeOf(loss?.v, LossV);
    if (lv) model.fromLogits = lv.fromLogits;
    // Read when the model is known (tfLoss.finishLoss): Keras's and tfjs's own losses as they compute them, or a hand-written one.
    if (loss) compileLoss(fx, model, { v: loss.v, expr: loss.expr, span: loss.span });
    return NONE;
  }
  if (n === 'fit') {
    model.fitted = true;
    const bs = call.arg(python ? 2 : -1, 'batchsize');
    const ep = call.arg(python ? 3 : -1, 'epochs', 'nbepoch');
    const spe = call.kw.get('stepsperepoch');
    const vs = call.kw.get('validationsplit')?.v;
    let batch = 32;
    let bsDataset: Span | undefined;
    if (bs) {
      if (bs.v.t === 'num' && Number.isInteger(bs.v.v) && bs.v.v > 0) batch = bs.v.v;
      else fx.note(bs.span, `could not read the batch size (${fx.src(bs.span)}): using 32, the Keras default`);
    }
    let epochs = 1;
    if (ep) {
      if (ep.v.t === 'num' && Number.isInteger(ep.v.v) && ep.v.v > 0) epochs = ep.v.v;
      else fx.note(ep.span, `could not read the number of epochs (${fx.src(ep.span)}): using 1`);
    }
    const xArg = call.arg(0, 'x');
    // A tf.data pipeline given to fit: the pixels of its elements (fit shuffles arrays, not datasets).
    const element = xArg?.v.t === 'native' && !nativeOf(xArg.v, DataV) ? xArg.v.obj.element?.(fx) : undefined;
    const fromDataset = element?.t === 'list' ? nativeOf(element.items[0], DataV) : undefined;
    const xData = nativeOf(xArg?.v, DataV);
    const rows = xData?.rows;
    const shuffleA = call.kw.get('shuffle')?.v;
    const fitShuffles = !(shuffleA?.t === 'bool' && !shuffleA.v);
    const all = rows !== undefined && rows > 0 ? rows : 60000;
    // A batched dataset: its length is the batches per epoch, its batch the one `.batch(B)` set.
    const datasetBatches = element && xArg?.v.t === 'native' ? xArg.v.obj.len?.(fx) : undefined;
    if (datasetBatches !== undefined && datasetBatches > 0 && !bs && fx.session.batch) {
      batch = fx.session.batch.value;
      bsDataset = fx.session.batch.span;
    }
    if ((rows === undefined || rows <= 0) && !spe && datasetBatches === undefined) {
      fx.note(e, 'the number of training examples given to fit() is not known here: the step count assumes the 60,000 MNIST training images');
    }
    const examples = vs?.t === 'num' && vs.v > 0 && vs.v < 1 ? Math.floor(all * (1 - vs.v)) : all;
    const yArg = call.arg(python ? 1 : 1, 'y');
    const yData = nativeOf(yArg?.v, DataV);
    if (yData?.info?.labels && yArg) programOf(fx.session).fitLabels = { oneHot: !!yData.info.oneHot, span: yArg.expr };
    if (xData?.info && !xData.info.labels && xArg) {
      // Keras and tfjs shuffle every epoch unless shuffle=False; validation_split holds out the last examples.
      const info = examples < all ? { ...xData.info, total: xData.info.total ?? all } : xData.info;
      programOf(fx.session).data = { info, rows: examples, fed: xArg.expr, shuffle: fitShuffles };
    } else if (fromDataset?.info && !fromDataset.info.labels && xArg) {
      programOf(fx.session).data = { info: fromDataset.info, fed: xArg.expr, shuffle: !!fromDataset.info.shuffled };
    }
    const perEpoch = spe?.v.t === 'num' && Number.isInteger(spe.v.v) && spe.v.v > 0 ? spe.v.v : datasetBatches !== undefined && datasetBatches > 0 ? datasetBatches : Math.ceil(examples / batch);
    model.batch = { value: batch, span: bs?.span ?? bsDataset ?? e };
    fx.session.batch = model.batch;
    fx.session.recordSteps(fx, epochs * perEpoch, ep?.span ?? e, 'step', model);
    return UNKNOWN;
  }
  return UNKNOWN;
}

/** `model.fit(...)` / `model.compile(...)` on a parameter named like a model: the file's last model. */
export function lastModelMethod(name: string, receiver: Expr, call: Call, fx: Fx, python: boolean): Val | undefined {
  const n = norm(name);
  if (n !== 'fit' && n !== 'compile') return undefined;
  const recv = receiver.k === 'name' ? receiver.id : receiver.k === 'member' ? receiver.prop : undefined;
  const lastModel = fx.session.models[fx.session.models.length - 1];
  if (!lastModel || !recv || !/model/i.test(recv)) return undefined;
  return modelMethod(fx, lastModel, name, call, python);
}
