// TensorFlow.js (JS / TS): `tf.sequential({layers})`, `model.add(tf.layers.dense({...}))`, the functional
// `tf.model({inputs, outputs})` with `.apply()`, `tf.initializers.*`, `tf.train.*` optimizers, `compile`
// and `fit`; variables with tensor initial values for hand-written models.
import { type Val, UNKNOWN, native, nativeOf, norm } from '../interpret';
import { type Fx, ActivationLayerV, DataV, convTensor, InitTensorV, PassLayerV, TensorV, VarV, activate, asTensor, matmulValues, addBias } from '../model';
import type { FrameworkModule, Handler } from './api';
import {
  ACTIVATION_NAMES, CONV_MESSAGE, type UnsupportedLayers, unsupportedLayer, activationLayer, noteLeakySlope, denseLayer, functionalModel, initializerObject, last, lastModelMethod, optimizerCall, regularizerCall, sequential,
  tensorInitializer,
} from './common';
import { LossFnV, log, lossNameOf, tfLosses } from './tfLoss';
import { TermV } from '../lossValues';
import { RAW_PIXELS, programOf } from '../programParts';

/** `tf.metrics.categoricalCrossentropy(yTrue, yPred)`: tfjs-layers' loss per example. */
const kerasLikeFunction = (name: string): Handler => (call, fx) => new LossFnV(lossNameOf(name)!, false, undefined, 'tfjs', call.expr, false).call(call, fx);

const ID = 'tfjs';

const CONVOLUTIONAL_LAYERS = new Set([
  'conv1d', 'conv2d', 'conv3d', 'separableconv2d', 'conv2dtranspose', 'depthwiseconv2d', 'maxpooling1d', 'maxpooling2d', 'maxpool2d',
  'averagepooling1d', 'averagepooling2d', 'globalaveragepooling1d', 'globalaveragepooling2d', 'globalmaxpooling1d', 'globalmaxpooling2d',
  'zeropadding2d', 'upsampling2d', 'cropping2d',
]);
const RECURRENT_LAYERS = new Set(['lstm', 'gru', 'simplernn', 'rnn', 'bidirectional', 'lstmcell', 'grucell', 'simplernncell']);
const UNSUPPORTED: UnsupportedLayers = { convolutional: CONVOLUTIONAL_LAYERS, recurrent: RECURRENT_LAYERS, ignored: new Set(['embedding', 'batchnormalization', 'layernormalization']) };
const CONV_TENSOR_OPS = new Set(['conv1d', 'conv2d', 'conv3d', 'maxpool', 'avgpool', 'separableconv2d', 'depthwiseconv2d', 'conv2dtranspose']);


function layerHandler(n: string, name: string): Handler | undefined {
  if (n === 'dense') return (call, fx) => native(denseLayer(fx, call, ID, 'tfjs-string'));
  if (n === 'activation') return activationLayer;
  if (['relu', 'softmax', 'leakyrelu', 'elu'].includes(n)) {
    return (call, fx) => {
      fx.session.looksLikeModel = true;
      if (n === 'leakyrelu') noteLeakySlope(fx, call, 0.3);
      return native(new ActivationLayerV(ACTIVATION_NAMES[n], call.expr));
    };
  }
  if (['flatten', 'inputlayer', 'reshape', 'dropout', 'input'].includes(n)) {
    return (call, fx) => {
      fx.session.looksLikeModel = true;
      if (n === 'dropout') {
        const r = call.arg(-1, 'rate')?.v;
        if (r?.t === 'num') return native(new PassLayerV(n, call.expr, undefined, r.v));
        fx.note(call.expr, `could not read the rate of this dropout (${fx.src(call.expr)}): trained without it`);
      }
      return native(new PassLayerV(n, call.expr));
    };
  }
  return unsupportedLayer(n, name, UNSUPPORTED);
}

const variable: Handler = (call, fx) => {
  const a = call.args[0];
  const span = call.expr;
  const t = nativeOf(a, InitTensorV);
  if (t) return native(new VarV(t.rec, t.shape, span, ID, fx.callStack));
  fx.note(call.argExprs[0] ?? call.expr, `could not read the initial value of this variable (${fx.src(call.argExprs[0] ?? call.expr)})`);
  return native(new VarV(undefined, undefined, span, ID, fx.callStack));
};

/**
 * `tf.tensor2d(values, [n, 784])`: data whose values are not read here. Their scale becomes known when the program
 * scales them (`.div(255)`); ten columns are one-hot labels.
 */
const tensorOfValues: Handler = (call, fx) => {
  const shape = call.args[1]?.t === 'list' ? call.args[1].items.map((x) => (x.t === 'num' ? x.v : undefined)) : [];
  const width = shape.length >= 2 ? shape.slice(1).reduce<number | undefined>((p, x) => (p === undefined || x === undefined ? undefined : p * x), 1) : undefined;
  const labels = width === 10;
  // values of a known scale (bytes the program read: frameworks/bytes.ts) keep it; this call is where they load
  const known = nativeOf(call.args[0], DataV)?.info;
  if (known && !known.labels && !known.unknownOrigin && !labels) {
    if (known.bytes) programOf(fx.session).floatPixels.push({ span: call.expr, width });
    return native(new DataV(shape[0], width, { ...known, load: call.expr, train: true, bytes: undefined, madeFloat: known.bytes || known.madeFloat }));
  }
  return native(new DataV(shape[0], width, { scale: RAW_PIXELS, load: call.expr, train: true, unknownOrigin: true, labels, oneHot: labels }));
};

const add: Handler = (call, fx) => {
  const [a, b] = call.args;
  const ta = nativeOf(a, TensorV);
  const vb = nativeOf(b, VarV);
  if (ta && vb) return addBias(fx, ta, vb, call.expr);
  return UNKNOWN;
};

function resolve(path: string): Handler | undefined {
  if (!path.startsWith('tfjs.')) return undefined;
  const name = last(path);
  const n = norm(name);
  const ns = path.slice('tfjs.'.length, path.length - name.length - 1);
  if (ns === '') {
    if (n === 'sequential') return (call, fx) => sequential(fx, call, ID, false);
    if (n === 'model') return (call, fx) => functionalModel(fx, call, ID, false);
    if (n === 'input') return (_call, fx) => {
      fx.session.looksLikeModel = true;
      return native(new TensorV('input', true));
    };
    if (n === 'variable') return variable;
    if (n === 'matmul') return (call, fx) => matmulValues(fx, call.args[0] ?? UNKNOWN, call.args[1] ?? UNKNOWN, call.expr);
    if (n === 'add') return add;
    if (n === 'tidy') return (call, fx) => {
      const f = call.args.find((a) => a.t === 'func');
      return f ? fx.callValue(f, [], call.expr) : UNKNOWN;
    };
    if (CONV_TENSOR_OPS.has(n)) return (call, fx) => convTensor(fx, call.expr, CONV_MESSAGE, call.args[0]);
    if (ACTIVATION_NAMES[n]) return (call, fx) => (asTensor(fx, call.args[0]) ? activate(fx, call.args[0], ACTIVATION_NAMES[n], call.expr) : undefined);
    if (['tensor', 'tensor2d', 'tensor4d', 'tensor3d'].includes(n)) return tensorOfValues;
    // a hand-written loss: `tf.log(out)`, `tf.sum(term, 1)`, `tf.mean(term)`, `tf.neg(term)` (lossValues.ts TermV)
    if (n === 'log') return (call, fx) => (nativeOf(call.args[0], TensorV) ? log(call, fx) : tensorInitializer(fx, call, name, true));
    if (n === 'sum' || n === 'mean' || n === 'neg') {
      return (call, fx) => {
        const t = nativeOf(call.args[0], TermV);
        if (!t) return tensorInitializer(fx, call, name, true);
        return t.method(n, { args: call.args.slice(1), expr: call.expr }, fx) ?? UNKNOWN;
      };
    }
    if (n === 'onehot') return (call) => native(new DataV(undefined, 10, { scale: RAW_PIXELS, load: call.expr, train: true, labels: true, oneHot: true }));
    return (call, fx) => tensorInitializer(fx, call, name, true);
  }
  if (ns === 'layers') return layerHandler(n, name);
  if (ns === 'train') return (call, fx) => optimizerCall(fx, call, n, 'tfjs');
  if (ns === 'initializers') return (call) => initializerObject(call, name, 'tfjs-object');
  if (ns === 'losses') {
    // tf.losses.softmaxCrossEntropy(onehotLabels, logits, weights, labelSmoothing, reduction): averaged by default.
    if (n === 'softmaxcrossentropy') return tfLosses({ loss: 'crossEntropy', from: 'logits' }, ['onehotlabels'], ['logits'], 4);
    if (n === 'sigmoidcrossentropy') return tfLosses({ loss: 'binaryCrossEntropy', from: 'logits' }, ['multiclasslabels'], ['logits'], 4);
    if (n === 'meansquarederror') return tfLosses({ loss: 'meanSquaredError', from: 'probabilities' }, ['labels'], ['predictions'], 3);
    if (n === 'logloss') return tfLosses({ loss: 'binaryCrossEntropy', from: 'probabilities', logOffset: 1e-7 }, ['labels'], ['predictions'], 4);
  }
  if (ns === 'regularizers') return (call) => regularizerCall(call, name, true);
  if (ns === 'metrics' && lossNameOf(name)) return kerasLikeFunction(name);
  return undefined;
}

const MODULES: Record<string, string> = {};
for (const m of ['@tensorflow/tfjs', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers']) MODULES[m] = 'tfjs';

export const tfjs: FrameworkModule = {
  id: ID,
  language: 'tfjs',
  dialects: ['js'],
  modules: MODULES,
  globals: { js: { tf: 'tfjs' } },
  resolve,
  unknownMethod: (name, receiver, call, fx: Fx) => {
    // `x.conv2d(w, ...)`, `x.maxPool(...)`: the chained core API of a convolutional model.
    if (CONV_TENSOR_OPS.has(norm(name))) return convTensor(fx, call.expr, CONV_MESSAGE);
    // The tfjs examples' data helper: `data.nextTrainBatch(BATCH_SIZE)`, one batch per training step.
    // Inside a training loop it draws one batch per step; outside, it fetches a data set for fit().
    if (name === 'nextTrainBatch') {
      const b = call.args[0];
      const n = b?.t === 'num' && Number.isInteger(b.v) && b.v > 0 ? b.v : undefined;
      if (fx.loops.some((l) => l.training)) {
        if (n !== undefined) fx.session.drawBatch(n, b?.t === 'num' && b.span ? b.span : call.expr);
        else fx.note(call.expr, `could not read the batch size of ${fx.src(call.expr)}`);
        fx.session.recordSteps(fx, 1, call.expr, 'batch');
      }
      const data = (): Val => native(new DataV(n));
      return { t: 'dict', entries: new Map([['s:xs', { key: { t: 'str', v: 'xs' }, value: data() }], ['s:labels', { key: { t: 'str', v: 'labels' }, value: data() }]]) };
    }
    return lastModelMethod(name, receiver, call, fx, false);
  },
  trainingCalls: ['fit', 'fitDataset', 'trainOnBatch', 'minimize', 'nextTrainBatch', 'applyGradients'],
};

