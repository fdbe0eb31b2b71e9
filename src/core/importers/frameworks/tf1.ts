// TensorFlow 1 graph code (and the TF1 style through `tf.compat.v1`): placeholders, variables and
// their initial values, `tf.matmul(x, W) + b` through `tf.nn.*` activations, `tf.layers.dense`, the
// tutorial's `input_data.read_data_sets` and `next_batch`, `tf.train.*Optimizer(...).minimize(loss)`.
import { type Call, type Native, type Val, NONE, UNKNOWN, native, nativeOf, norm } from '../interpret';
import {
  type Fx, InitTensorV, InitializerV, PlaceholderV, TensorV, VarV, activate, addBias, anchor, applyLayer, asTensor, matmulValues, shapeOf,
} from '../model';
import type { FrameworkModule, Handler } from './api';
import { ACTIVATION_NAMES, denseLayer, initializerObject, last, optimizerCall, tensorInitializer } from './common';

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
    return undefined;
  }
  method(name: string, call: Call, fx: Fx): Val | undefined {
    return name === 'next_batch' ? nextBatch(call, fx) : undefined;
  }
}

function nextBatch(call: Call, fx: Fx): Val {
  const b = call.arg(0, 'batchsize')?.v;
  if (b?.t === 'num' && Number.isInteger(b.v) && b.v > 0) fx.session.batch = { value: b.v, span: b.span ?? call.expr };
  else fx.note(call.expr, `could not read the batch size of ${fx.src(call.expr)}`);
  fx.session.recordSteps(fx, 1, call.expr, true);
  return { t: 'list', items: [UNKNOWN, UNKNOWN], tuple: true };
}

function makeVar(fx: Fx, init: Val | undefined, call: Call, initExpr: Call['argExprs'][number] | undefined): Val {
  const span = anchor(fx, call.expr);
  const t = nativeOf(init, InitTensorV);
  if (t) return native(new VarV(t.rec, t.shape, span, ID));
  const v = nativeOf(init, VarV);
  if (v) return native(new VarV(v.rec, v.shape, span, ID));
  if (init?.t === 'num') return native(new VarV({ init: init.v === 0 ? 'zeros' : { type: 'constant', value: init.v } }, [], span, ID));
  fx.note(initExpr ?? call.expr, `could not read the initial value of this variable (${fx.src(initExpr ?? call.expr)})`);
  return native(new VarV(undefined, undefined, span, ID));
}

const variable: Handler = (call, fx) => {
  const a = call.arg(0, 'initialvalue');
  return makeVar(fx, a?.v, call, a?.expr);
};

const getVariable: Handler = (call, fx) => {
  const shape = shapeOf(call.arg(1, 'shape')?.v);
  const initA = call.arg(3, 'initializer');
  const initV = initA?.v;
  const span = anchor(fx, call.expr);
  if (initV === undefined || initV.t === 'none') return native(new VarV({ init: 'glorotUniform' }, shape, span, ID));
  const obj = nativeOf(initV, InitializerV);
  if (obj) return native(new VarV(obj.rec, shape, span, ID));
  const t = nativeOf(initV, InitTensorV);
  if (t) return native(new VarV(t.rec, t.shape ?? shape, span, ID));
  const at = initA?.span ?? call.expr;
  fx.note(at, `could not read this initializer (${fx.src(at)})`);
  return native(new VarV(undefined, shape, span, ID));
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
  const t = nativeOf(logits, TensorV);
  if (t && t.source !== 'input' && !t.activated) t.source.logits = true;
  return UNKNOWN;
};

/** `tf.layers.dense(inputs, units, activation=...)`: a layer applied at once. */
const layersDense: Handler = (call, fx) => {
  const layer = denseLayer(fx, call, ID, 'keras-string', 1);
  const input = call.arg(0, 'inputs')?.v;
  return input ? applyLayer(fx, native(layer), input, call.expr) : native(layer);
};

const readDataSets: Handler = () => native(new MnistDataV());

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
  reshape: passThrough, identity: passThrough, flatten: passThrough,
  dropout,
  softmaxcrossentropywithlogits: softmaxCrossEntropy, softmaxcrossentropywithlogitsv2: softmaxCrossEntropy,
  sparsesoftmaxcrossentropywithlogits: softmaxCrossEntropy, softmaxcrossentropy: softmaxCrossEntropy, sparsesoftmaxcrossentropy: softmaxCrossEntropy,
  readdatasets: readDataSets,
  sqrt: numeric(Math.sqrt), exp: numeric(Math.exp), log: numeric(Math.log), abs: numeric(Math.abs),
};

function resolve(path: string): Handler | undefined {
  if (!path.startsWith('tensorflow.')) return undefined;
  const name = last(path);
  const n = norm(name);
  const ns = path.slice('tensorflow.'.length, path.length - name.length - 1);
  if (ns === 'layers' && n === 'dense') return layersDense;
  if (n === 'variable' && name !== 'Variable') return undefined;
  if (ns === 'train' && n.endsWith('optimizer')) return (call, fx) => optimizerCall(fx, call, n.replace(/optimizer$/, ''), 'tf1');
  if (n === 'run' && ns === 'app') return (call, fx) => {
    const main = call.arg(0, 'main')?.v;
    if (main && (main.t === 'func' || main.t === 'ref')) fx.callValue(main, [UNKNOWN], call.expr);
    return NONE;
  };
  const byName = BY_NAME[n];
  if (byName) return byName;
  if (ACTIVATION_NAMES[n] && n !== 'identity') {
    return (call, fx) => {
      const t = call.args[0];
      if (asTensor(fx, t)) return activate(fx, t, ACTIVATION_NAMES[n], call.expr);
      return undefined;
    };
  }
  if (ns !== 'keras' && /initializer$/.test(n)) return (call) => initializerObject(call, name, 'tf1-initializer');
  if (ns === 'initializers') return (call) => initializerObject(call, name, 'keras-object');
  return (call) => tensorInitializer(call, name, false);
}

export const tf1: FrameworkModule = {
  id: ID,
  language: 'python-tf1',
  dialects: ['python'],
  aliases: {
    'tensorflow.compat.v1': 'tensorflow', 'tensorflow.compat.v2': 'tensorflow', 'tensorflow.v1': 'tensorflow',
    'tensorflow.contrib.layers.xavier_initializer': 'tensorflow.xavier_initializer',
    'tensorflow.linalg.matmul': 'tensorflow.matmul', 'tensorflow.math': 'tensorflow',
  },
  globals: { python: { tf: 'tensorflow' } },
  resolve,
  unknownMethod(name, _receiver, call, fx) {
    return name === 'next_batch' ? nextBatch(call, fx) : undefined;
  },
  unknownMember(dotted) {
    const m = /(^|\.)(train|validation|test)\.num_examples$/.exec(dotted);
    if (!m) return undefined;
    return { t: 'num', v: m[2] === 'train' ? 55000 : m[2] === 'validation' ? 5000 : 10000 };
  },
  trainingCalls: ['next_batch', 'run', 'minimize', 'apply_gradients'],
};
