// TensorFlow.js (JS / TS): `tf.sequential({layers})`, `model.add(tf.layers.dense({...}))`, the functional
// `tf.model({inputs, outputs})` with `.apply()`, `tf.initializers.*`, `tf.train.*` optimizers, `compile`
// and `fit`; variables with tensor initial values for hand-written models.
import { UNKNOWN, native, nativeOf, norm } from '../interpret';
import { type Fx, ActivationLayerV, InitTensorV, PassLayerV, TensorV, VarV, activate, anchor, asTensor, matmulValues, addBias } from '../model';
import type { FrameworkModule, Handler } from './api';
import {
  ACTIVATION_NAMES, activationLayer, denseLayer, functionalModel, initializerObject, last, lastModelMethod, optimizerCall, sequential,
  tensorInitializer,
} from './common';

const ID = 'tfjs';

const UNSUPPORTED_LAYERS = new Set([
  'conv1d', 'conv2d', 'conv3d', 'maxpooling1d', 'maxpooling2d', 'maxpool2d', 'averagepooling2d', 'batchnormalization', 'lstm', 'gru',
  'simplernn', 'embedding', 'layernormalization', 'globalaveragepooling2d', 'globalmaxpooling2d', 'separableconv2d', 'conv2dtranspose',
  'depthwiseconv2d', 'zeropadding2d', 'upsampling2d',
]);

function layerHandler(n: string, name: string): Handler | undefined {
  if (n === 'dense') return (call, fx) => native(denseLayer(fx, call, ID, 'tfjs-string'));
  if (n === 'activation') return activationLayer;
  if (['relu', 'softmax', 'leakyrelu', 'elu'].includes(n)) {
    return (call, fx) => {
      fx.session.looksLikeModel = true;
      return native(new ActivationLayerV(ACTIVATION_NAMES[n], call.expr));
    };
  }
  if (['flatten', 'inputlayer', 'reshape', 'dropout', 'input'].includes(n)) {
    return (call, fx) => {
      fx.session.looksLikeModel = true;
      if (n === 'dropout') fx.note(call.expr, 'dropout is not part of the model spec: trained without it');
      return native(new PassLayerV(n, call.expr));
    };
  }
  if (UNSUPPORTED_LAYERS.has(n)) {
    return (call, fx) => {
      fx.session.looksLikeModel = true;
      fx.note(call.expr, `${name} layers are not supported (Gradient Lens trains dense MLPs): ignored`);
      return native(new PassLayerV(n, call.expr));
    };
  }
  return undefined;
}

const variable: Handler = (call, fx) => {
  const a = call.args[0];
  const span = anchor(fx, call.expr);
  const t = nativeOf(a, InitTensorV);
  if (t) return native(new VarV(t.rec, t.shape, span, ID));
  fx.note(call.argExprs[0] ?? call.expr, `could not read the initial value of this variable (${fx.src(call.argExprs[0] ?? call.expr)})`);
  return native(new VarV(undefined, undefined, span, ID));
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
    if (ACTIVATION_NAMES[n]) return (call, fx) => (asTensor(fx, call.args[0]) ? activate(fx, call.args[0], ACTIVATION_NAMES[n], call.expr) : undefined);
    return (call) => tensorInitializer(call, name, true);
  }
  if (ns === 'layers') return layerHandler(n, name);
  if (ns === 'train') return (call, fx) => optimizerCall(fx, call, n, 'tfjs');
  if (ns === 'initializers') return (call) => initializerObject(call, name, 'tfjs-object');
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
  unknownMethod: (name, receiver, call, fx: Fx) => lastModelMethod(name, receiver, call, fx, false),
  trainingCalls: ['fit', 'fitDataset', 'trainOnBatch', 'minimize'],
};

