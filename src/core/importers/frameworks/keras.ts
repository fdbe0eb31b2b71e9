// Keras (standalone `keras`, `tf.keras`, `tensorflow.python.keras`): Sequential / model.add / the
// functional API / subclassed `keras.Model`, Dense and activation layers, initializer objects and
// names, optimizers, losses, `compile` and `fit`.
import { type BaseClass, type Call, type InstanceVal, type Val, native, nativeOf, norm } from '../interpret';
import { type Fx, type ModelBuilder, type ModelRec, ActivationLayerV, DataV, PassLayerV, TensorV, activate, asTensor } from '../model';
import type { FrameworkModule, Handler } from './api';
import { clipByValue, kerasLossHandler, log, reduce, square } from './tfLoss';
import { scheduleHandler } from './tfUpdate';
import { RAW_PIXELS } from '../programParts';
import {
  ACTIVATION_NAMES, CONV_MESSAGE, type UnsupportedLayers, unsupportedLayer, ModelV, noteFashion, noteLeakySlope, activationLayer, denseLayer, functionalModel, initializerObject, last, lastModelMethod, newModel,
  optimizerCall, regularizerCall, sequential,
} from './common';

const ID = 'keras';

const CONVOLUTIONAL_LAYERS = new Set([
  'conv1d', 'conv2d', 'conv3d', 'convolution1d', 'convolution2d', 'convolution3d', 'separableconv1d', 'separableconv2d', 'conv2dtranspose',
  'conv3dtranspose', 'depthwiseconv2d', 'locallyconnected1d', 'locallyconnected2d', 'maxpooling1d', 'maxpooling2d', 'maxpooling3d', 'maxpool1d',
  'maxpool2d', 'averagepooling1d', 'averagepooling2d', 'avgpool2d', 'globalaveragepooling1d', 'globalaveragepooling2d', 'globalmaxpooling1d',
  'globalmaxpooling2d', 'zeropadding2d', 'upsampling2d', 'cropping2d', 'globalavgpool1d', 'globalavgpool2d', 'globalmaxpool1d', 'globalmaxpool2d',
  'avgpool1d', 'maxpool3d', 'averagepooling3d', 'separableconvolution2d',
]);
const RECURRENT_LAYERS = new Set(['lstm', 'gru', 'simplernn', 'rnn', 'bidirectional', 'convlstm2d', 'lstmcell', 'grucell', 'cudnnlstm', 'cudnngru']);
const UNSUPPORTED: UnsupportedLayers = { convolutional: CONVOLUTIONAL_LAYERS, recurrent: RECURRENT_LAYERS, ignored: new Set(['embedding', 'attention', 'multiheadattention']) };
const NORMALISATION_LAYERS = new Set(['batchnormalization', 'layernormalization', 'gaussiannoise', 'gaussiandropout', 'alphadropout', 'activityregularization']);


/** `mnist.load_data()`: ((x_train, y_train), (x_test, y_test)) with 60,000 and 10,000 examples. */
const loadData: Handler = (call, fx) => {
  if (/fashion/.test(call.path)) noteFashion(fx, call.expr);
  // Raw bytes (0–255) and integer labels, until the program scales them.
  const split = (n: number, train: boolean): Val => ({
    t: 'list', items: [native(new DataV(n, undefined, { scale: RAW_PIXELS, load: call.expr, train })), native(new DataV(n, undefined, { scale: RAW_PIXELS, load: call.expr, train, labels: true }))], tuple: true,
  });
  return { t: 'list', items: [split(60000, true), split(10000, false)], tuple: true };
};

/** `to_categorical(y, 10)`: one-hot label rows. */
const toCategorical: Handler = (call) => {
  const d = nativeOf(call.args[0], DataV);
  return native(new DataV(d?.rows, 10, d?.info ? { ...d.info, labels: true, oneHot: true } : undefined));
};

const input: Handler = (_call, fx) => {
  fx.session.looksLikeModel = true;
  return native(new TensorV('input', true));
};

/** keras.layers.X by normalised name. */
function layerHandler(n: string, name: string): Handler | undefined {
  if (n === 'dense') return (call, fx) => native(denseLayer(fx, call, ID, 'keras-string'));
  if (n === 'activation') return activationLayer;
  if (['relu', 'softmax', 'leakyrelu', 'elu'].includes(n) && /^[A-Z]/.test(name)) {
    return (call, fx) => {
      fx.session.looksLikeModel = true;
      if (n === 'leakyrelu') noteLeakySlope(fx, call, 0.3);
      return native(new ActivationLayerV(ACTIVATION_NAMES[n], call.expr));
    };
  }
  if (n === 'input') return input;
  if (['flatten', 'inputlayer', 'reshape', 'dropout'].includes(n)) {
    return (call, fx) => {
      fx.session.looksLikeModel = true;
      if (n === 'dropout') {
        const r = call.arg(0, 'rate', 'p')?.v;
        if (r?.t === 'num') return native(new PassLayerV(n, call.expr, undefined, r.v));
        fx.note(call.expr, `could not read the rate of this dropout (${fx.src(call.expr)}): trained without it`);
      }
      return native(new PassLayerV(n, call.expr));
    };
  }
  if (NORMALISATION_LAYERS.has(n)) {
    return (call, fx) => {
      fx.session.looksLikeModel = true;
      fx.note(call.expr, `${name} is not part of the model spec: trained without it`);
      return native(new PassLayerV(n, call.expr));
    };
  }
  return unsupportedLayer(n, name, UNSUPPORTED);
}

function resolve(path: string): Handler | undefined {
  if (!path.startsWith('keras.')) return undefined;
  const name = last(path);
  const n = norm(name);
  const ns = path.slice('keras.'.length, path.length - name.length - 1);
  if (ns === '' || ns === 'models') {
    if (n === 'sequential') return (call, fx) => sequential(fx, call, ID, true);
    if (n === 'model') return (call, fx) => functionalModel(fx, call, ID, true);
    if (n === 'input') return input;
  }
  if (ns === 'layers') return layerHandler(n, name);
  if (ns === 'optimizers') return (call, fx) => optimizerCall(fx, call, n, 'keras');
  if (ns === 'initializers') return (call) => initializerObject(call, name, 'keras-object');
  if (ns === 'losses') return kerasLossHandler(name);
  if (ns === 'regularizers') return (call) => regularizerCall(call, name, false);
  if (ns === 'optimizers.schedules') return scheduleHandler(n, false);
  if ((ns === 'utils' || ns.startsWith('utils.')) && n === 'tocategorical') return toCategorical;
  if (ns.startsWith('datasets') && n === 'loaddata') return loadData;
  // A pretrained network (ResNet50, VGG16, MobileNet...) is convolutional.
  if (ns === 'applications' || ns.startsWith('applications.')) {
    return (call, fx) => native(new ModelV({ span: call.expr, framework: ID, layers: [], conv: fx.session.refuse(call.expr, CONV_MESSAGE) }, true));
  }
  if (ns === 'backend' || ns === 'ops') {
    if (n === 'log') return log;
    if (n === 'sum') return reduce('sum');
    if (n === 'mean') return reduce('mean');
    if (n === 'square') return square;
    if (n === 'clip') return clipByValue;
  }
  if (ns === 'activations' && ACTIVATION_NAMES[n]) {
    return (call, fx) => (asTensor(fx, call.args[0]) ? activate(fx, call.args[0], ACTIVATION_NAMES[n], call.expr) : undefined);
  }
  return undefined;
}

const MODEL_KEY = Symbol('keras model');

/** A user class deriving from `keras.Model`: its layers are the chain its `call()` builds from an input. */
const subclassedModel: BaseClass<ModelBuilder> = {
  create(inst, call, fx) {
    inst.data.set(MODEL_KEY, newModel(fx, call.expr, ID));
  },
  method(inst, name, call, fx) {
    const model = inst.data.get(MODEL_KEY) as ModelRec | undefined;
    if (!model) return undefined;
    if ((norm(name) === 'compile' || norm(name) === 'fit') && model.layers.length === 0) trace(inst, model, call, fx);
    return new ModelV(model, true).method(name, call, fx);
  },
  call(inst, call, fx) {
    const f = fx.attr(inst, 'call', call.expr);
    return f.t === 'func' ? fx.callValue(f, call.args, call.expr) : undefined;
  },
};

function trace(inst: InstanceVal, model: ModelRec, call: Call, fx: Fx): void {
  const f = fx.attr(inst, 'call', call.expr);
  if (f.t !== 'func') {
    fx.note(model.span, 'this model class has no call() method: its layers cannot be read');
    return;
  }
  const out = fx.callValue(f, [native(new TensorV('input', true))], model.span);
  const t = nativeOf(out, TensorV);
  if (t && t.source !== 'input') model.layers.push(...fx.session.chain(t.source));
  else fx.note(model.span, "could not follow this model's call() from its input to its output");
}

const GLOBALS: Record<string, string> = { keras: 'keras' };
for (const n of ['Dense', 'Dropout', 'Activation', 'Flatten', 'Input', 'InputLayer', 'Reshape', 'Conv2D', 'MaxPooling2D']) GLOBALS[n] = `keras.layers.${n}`;
for (const n of ['Sequential']) GLOBALS[n] = `keras.models.${n}`;
for (const n of ['SGD', 'Adam', 'RMSprop']) GLOBALS[n] = `keras.optimizers.${n}`;

export const keras: FrameworkModule = {
  id: ID,
  language: 'keras',
  dialects: ['python'],
  aliases: {
    'tensorflow.keras': 'keras', 'tensorflow.python.keras': 'keras', 'tensorflow.contrib.keras': 'keras', 'tf_keras': 'keras',
    'keras.api._v2.keras': 'keras', 'keras.src': 'keras', 'tensorflow.optimizers': 'keras.optimizers', 'tensorflow.losses.Loss': 'keras.losses.Loss',
    'keras.layers.core': 'keras.layers', 'keras.layers.advanced_activations': 'keras.layers', 'keras.layers.convolutional': 'keras.layers',
    'keras.layers.pooling': 'keras.layers', 'keras.layers.normalization': 'keras.layers', 'keras.optimizers.legacy': 'keras.optimizers',
    'keras.optimizer_v2': 'keras.optimizers', 'keras.engine.sequential': 'keras.models', 'keras.engine.training': 'keras.models',
  },
  globals: { python: GLOBALS },
  resolve,
  baseClasses: { 'keras.Model': subclassedModel, 'keras.models.Model': subclassedModel },
  unknownMethod: (name, receiver, call, fx) => lastModelMethod(name, receiver, call, fx, true),
  trainingCalls: ['fit', 'fit_generator', 'train_on_batch'],
};
