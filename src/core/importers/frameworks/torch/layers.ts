// Constructors of PyTorch's layers and modules (`nn.Linear`, `nn.Sequential`, `nn.ReLU()`, `nn.Dropout`...)
// and the functional API (`F.relu`, `F.log_softmax`, `F.dropout`, `F.conv2d` refused, `F.cross_entropy`).
import { type Val, UNKNOWN, native, norm } from '../../interpret';
import { type LayerRec, asTensor } from '../../model';
import type { Handler } from '../api';
import { CONV_MESSAGE, newModel } from '../common';
import { LossFnV, lossCall, lossKind, lossSite, oneHot } from './loss';
import { deviate } from './record';
import { linearDefault } from './init';
import { ActModuleV, LinearV, MODULE_DICTS, MODULE_LISTS, NORM_MODULES, PassModuleV, SequentialV, isModule, refusalOf, refuse, traceSequential } from './model';
import { ID, int, num } from './state';
import { activation, dropoutOn, leaky, removal, slopeNote, softmaxOf } from './tensors';

const linear: Handler = (call, fx) => {
  fx.session.looksLikeModel = true;
  const e = call.expr;
  const inA = call.arg(0, 'infeatures');
  const outA = call.arg(1, 'outfeatures');
  const inF = int(inA?.v);
  const outF = int(outA?.v);
  if (inF === undefined) fx.note(inA?.span ?? e, `could not read the number of inputs of ${fx.src(e)}`);
  if (outF === undefined) fx.note(outA?.span ?? e, `could not read the number of units of ${fx.src(e)}`);
  const biasA = call.arg(2, 'bias')?.v;
  const useBias = !(biasA?.t === 'bool' && !biasA.v);
  const layer: LayerRec = {
    id: -1, framework: ID, units: outF, kernelShape: [inF, outF], useBias, weightsSpan: e, definition: e, kind: 'object',
    via: [...fx.callStack], weightsVia: [...fx.callStack],
  };
  if (inF !== undefined && inF > 0) {
    layer.kernel = { init: linearDefault(inF) };
    if (useBias) layer.bias = { init: linearDefault(inF) };
  }
  const lin = new LinearV(layer, inF, e);
  lin.undecidedAt = [...fx.undecided];
  return native(lin);
};

const ACTIVATION_MODULES: Readonly<Record<string, string>> = {
  relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', elu: 'elu', selu: 'selu', leakyrelu: 'leakyRelu', softmax: 'softmax', logsoftmax: 'softmax',
};

/** Activations PyTorch has and the model spec does not. */
export const OTHER_ACTIVATIONS = new Set([
  'gelu', 'silu', 'mish', 'softplus', 'relu6', 'prelu', 'rrelu', 'hardtanh', 'hardswish', 'hardsigmoid', 'celu', 'softsign', 'tanhshrink',
  'logsigmoid', 'threshold', 'glu', 'softmin', 'softshrink', 'hardshrink', 'swish',
]);

const PASS_MODULES = new Set(['flatten', 'identity', 'unflatten']);
const DROPOUT = new Set(['dropout', 'alphadropout', 'dropout1d', 'dropout2d', 'featurealphadropout']);
const REFUSED = new Set([
  'conv1d', 'conv2d', 'conv3d', 'convtranspose1d', 'convtranspose2d', 'maxpool1d', 'maxpool2d', 'avgpool1d', 'avgpool2d', 'adaptiveavgpool2d',
  'adaptivemaxpool2d', 'lstm', 'gru', 'rnn', 'lstmcell', 'grucell', 'rnncell', 'embedding', 'transformer', 'transformerencoder',
  'transformerencoderlayer', 'multiheadattention', 'bilinear',
]);

export function nnHandler(name: string): Handler | undefined {
  const n = norm(name);
  if (n === 'linear') return linear;
  if (n === 'lazylinear') return (call, fx) => {
    fx.session.looksLikeModel = true;
    const outA = call.arg(0, 'outfeatures');
    const outF = int(outA?.v);
    if (outF === undefined) fx.note(outA?.span ?? call.expr, `could not read the number of units of ${fx.src(call.expr)}`);
    const biasA = call.arg(1, 'bias')?.v;
    const useBias = !(biasA?.t === 'bool' && !biasA.v);
    const layer: LayerRec = {
      id: -1, framework: ID, units: outF, kernelShape: [undefined, outF], useBias, weightsSpan: call.expr, definition: call.expr, kind: 'object',
      via: [...fx.callStack], weightsVia: [...fx.callStack],
    };
    const lin = new LinearV(layer, undefined, call.expr);
    lin.lazy = true;
    lin.undecidedAt = [...fx.undecided];
    return native(lin);
  };
  if (n === 'sequential') return (call, fx) => {
    fx.session.looksLikeModel = true;
    const items: { name: string; v: Val }[] = [];
    const a0 = call.args[0];
    if (call.args.length === 1 && a0?.t === 'dict') {
      for (const en of a0.entries.values()) items.push({ name: en.key.t === 'str' ? en.key.v : String(items.length), v: en.value });
    } else call.args.forEach((v, i) => items.push({ name: String(i), v }));
    call.args.forEach((v, i) => {
      if (v.t === 'unknown' || (v.t !== 'dict' && !isModule(v))) fx.note(call.argExprs[i] ?? call.expr, `could not follow this module (${fx.src(call.argExprs[i] ?? call.expr)})`);
    });
    const model = newModel(fx, call.expr, ID);
    model.compiled = true;
    const seq = new SequentialV(items, model, call.expr);
    if (!(call.args.length === 1 && a0?.t === 'dict')) seq.exprs = call.argExprs;
    traceSequential(fx, seq);
    return native(seq);
  };
  if (n === 'modulelist') return (call) => {
    const a = call.args[0];
    const list: Val = a?.t === 'list' ? { t: 'list', items: [...a.items] } : { t: 'list', items: [] };
    MODULE_LISTS.add(list);
    return list;
  };
  if (n === 'moduledict') return (call) => {
    const a = call.args[0];
    const dict: Val = a?.t === 'dict' ? { t: 'dict', entries: new Map(a.entries) } : { t: 'dict', entries: new Map() };
    MODULE_DICTS.add(dict);
    return dict;
  };
  if (ACTIVATION_MODULES[n]) return (call, fx) => {
    fx.session.looksLikeModel = true;
    if (n === 'leakyrelu') {
      const a = call.arg(0, 'negativeslope');
      slopeNote(fx, a ? num(a.v) : 0.01, a?.span ?? call.expr);
    }
    if (n === 'elu') {
      const a = num(call.arg(0, 'alpha')?.v);
      if (a !== undefined && a !== 1) deviate(fx, call.expr, `the model spec's elu has alpha 1; this one has ${a}: trained with 1`);
    }
    const act = new ActModuleV(ACTIVATION_MODULES[n], call.expr, n === 'logsoftmax', name);
    act.callee = call.expr.callee;
    return native(act);
  };
  if (OTHER_ACTIVATIONS.has(n)) return (call, fx) => {
    fx.session.looksLikeModel = true;
    deviate(fx, call.expr, `${name} is not an activation the model spec has (relu, sigmoid, tanh, elu, selu, leakyRelu): the layer before it is trained without an activation`);
    return native(new PassModuleV(name, call.expr));
  };
  if (PASS_MODULES.has(n) || DROPOUT.has(n) || NORM_MODULES.has(n) || REFUSED.has(n)) return (call, fx) => {
    fx.session.looksLikeModel = true;
    if (NORM_MODULES.has(n)) deviate(fx, call.expr, `${name} (normalisation) is not part of the model spec: trained without it`);
    const pass = new PassModuleV(name, call.expr, REFUSED.has(n) ? refusalOf(n) : undefined);
    if (DROPOUT.has(n)) {
      const p = call.arg(0, 'p');
      pass.dropout = { rate: p ? num(p.v) : 0.5, kind: n };
    }
    return native(pass);
  };
  if (/loss$/.test(n)) return (call, fx) => native(new LossFnV(lossSite(fx, lossKind(n), `nn.${name}`, call), fx));
  return undefined;
}

export function functional(name: string): Handler | undefined {
  const n = norm(name).replace(/_$/, '');
  const act = ({ relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', elu: 'elu', selu: 'selu' } as Record<string, string>)[n.replace(/_$/, '')];
  if (act) return (call, fx) => (asTensor(fx, call.args[0]) ? activation(fx, call.args[0], act, call.expr, removal(fx, call)) : undefined);
  if (n === 'leakyrelu') return (call, fx) => (asTensor(fx, call.args[0]) ? leaky(fx, call.args[0], call, 1, call.expr) : undefined);
  if (n === 'softmax' || n === 'logsoftmax') return (call, fx) => (asTensor(fx, call.args[0]) ? softmaxOf(fx, call.args[0], n === 'logsoftmax', call.expr, removal(fx, call)) : undefined);
  if (OTHER_ACTIVATIONS.has(n)) return (call, fx) => {
    if (!asTensor(fx, call.args[0])) return undefined;
    deviate(fx, call.expr, `${name} is not an activation the model spec has (relu, sigmoid, tanh, elu, selu, leakyRelu): the layer before it is trained without an activation`);
    return call.args[0];
  };
  if (DROPOUT.has(n)) return (call, fx) => {
    if (!asTensor(fx, call.args[0])) return UNKNOWN;
    const p = call.arg(1, 'p');
    const training = call.arg(2, 'training');
    if (training?.v.t === 'bool' && !training.v.v) return call.args[0];
    dropoutOn(fx, call.args[0], p ? num(p.v) : 0.5, call.expr, n);
    if (!training || !/training/.test(fx.text.slice(training.expr.from, training.expr.to))) {
      deviate(fx, call.expr, `F.${name} without training=self.training drops units when the model is evaluated too (its default is training=True); Gradient Lens drops them in training only`);
    }
    return call.args[0];
  };
  if (n === 'onehot') return oneHot;
  if (/^(conv(transpose)?[123]d|(max|avg|adaptiveavg|adaptivemax)pool[123]d)$/.test(n)) return (call, fx) => {
    fx.session.looksLikeModel = true;
    refuse(fx, CONV_MESSAGE, call.expr);
    return call.args[0] ?? UNKNOWN;
  };
  if (n === 'crossentropy' || n === 'binarycrossentropy' || n === 'binarycrossentropywithlogits' || /loss$/.test(n)) {
    return (call, fx) => {
      const target = call.arg(1, 'target');
      return lossCall(fx, lossSite(fx, lossKind(n), `F.${name}`, call), call.args[0], target && { v: target.v, expr: target.expr }, call.expr);
    };
  }
  return undefined;
}

/** torch.* names (not nn / optim / utils). */
