// The loss of a TensorFlow-family program (TF1, Keras / tf.keras, tfjs), read as the program computes it:
// `tf.nn.softmax_cross_entropy_with_logits` on whatever it is given, `tf.losses.*`, a hand-written
// `-tf.reduce_sum(y_ * tf.log(y))` with its clip or offset and its reduction, Keras's compile losses as Keras
// computes them with the TensorFlow backend (a softmax or sigmoid output's own logits; otherwise normalised and
// clipped to [1e-7, 1 − 1e-7]), tfjs-layers' (normalised and clipped, always). The loss the optimizer minimises
// becomes the program's objective (programParts.ts), with the cures a finding can offer in the file's idiom.
import type { Activation, ObjectiveSpec } from '../../spec';
import type { Reduction } from '../../specParts';
import type { Span } from '../ast';
import { type Call, type Native, type Val, UNKNOWN, UnboundParamV, native, nativeOf, norm } from '../interpret';
import { type Fx, type LayerRec, type ModelBuilder, type ModelRec, DataV, TensorV, VarV, markLogits } from '../model';
import { type OutRef, type TermParts, GradV, GradsV, L2V, LogV, OutExprV, TermV, seenActivation, squared } from '../lossValues';
import { type LossRec, type PendingFix, type SpanEdit, programOf } from '../programParts';
import type { Handler } from './api';
import { pairingCures } from './tfLossCures';

const EPS = 1e-7;
const KERAS_CLIP: [number, number] = [EPS, 1 - EPS];

/** The output a loss function is given, as a reference (`logits`, `y`), else undefined. */
export function outRefOf(fx: Fx, v: Val | undefined, span: Span): OutRef | undefined {
  const t = nativeOf(v, TensorV);
  if (t && t.source !== 'input') return { layer: t.source, activated: t.activated, span, stack: [...fx.callStack] };
  const e = nativeOf(v, OutExprV);
  if (e && e.form === 'prob' && !e.clip && e.offset === undefined) return e.out;
  return undefined;
}

function exprOf(fx: Fx, v: Val | undefined, span: Span): OutExprV | undefined {
  const e = nativeOf(v, OutExprV);
  if (e) return e;
  const ref = outRefOf(fx, v, span);
  return ref ? new OutExprV(ref, 'prob', span) : undefined;
}

/** The TF module prefix a log call was written with (`tf`, `tf.compat.v1`), for edits. */
const PREFIX = new WeakMap<Native, string>();

/** `tf.log(x)` / `tf.math.log` / `K.log`: of the model output, the start of a hand-written cross-entropy. */
export const log: Handler = (call, fx) => {
  const a = call.args[0];
  if (a?.t === 'num') {
    const v = Math.log(a.v);
    return Number.isFinite(v) ? { t: 'num', v, span: call.expr } : UNKNOWN;
  }
  const e = exprOf(fx, a, call.argExprs[0] ?? call.expr);
  if (!e || e.form === 'diff') return UNKNOWN;
  const prefix = call.path.startsWith('keras.') ? 'tf' : call.written.replace(/\.(math\.)?log$/, '') || 'tf';
  const v = new LogV(e, call.expr);
  PREFIX.set(v, prefix);
  if (e.form === 'prob' && !e.clip && e.offset === undefined && seenActivation(e.out) === 'softmax') {
    fx.session.unstableLoss ??= {
      span: call.expr, construct: fx.src(call.expr), layer: e.out.layer,
      suggestion: `${prefix}.nn.softmax_cross_entropy_with_logits(labels=..., logits=...) on the layer's output before the softmax`,
    };
  }
  return native(v);
};

const isRowAxis = (axis: Val | undefined): boolean => axis !== undefined && ((axis.t === 'num' && (axis.v === 1 || axis.v === -1))
  || (axis.t === 'list' && axis.items.length === 1 && axis.items[0].t === 'num' && (axis.items[0].v === 1 || axis.items[0].v === -1)));

/** `tf.reduce_sum` / `tf.reduce_mean` (also `K.sum`, `K.mean`) of a loss term. */
export const reduce = (kind: 'sum' | 'mean'): Handler => (call) => {
  const t = nativeOf(call.args[0], TermV);
  if (!t) return UNKNOWN;
  const axis = call.arg(1, 'axis', 'reductionindices')?.v;
  return native(t.reduce(kind, isRowAxis(axis), call.expr, call.expr.callee, call.argExprs[0]));
};

/** `tf.square(y - y_)`, `tf.pow(y - y_, 2)`. */
export const square: Handler = (call) => {
  const d = nativeOf(call.args[0], OutExprV);
  const p = call.args[1];
  if (d?.form === 'diff' && (call.args.length === 1 || (p?.t === 'num' && p.v === 2))) return native(squared(d, call.expr));
  return UNKNOWN;
};

/** `tf.clip_by_value(y, lo, hi)` of the output (a clipped probability) or of gradients (clipValue). */
export const clipByValue: Handler = (call, fx) => {
  const [x, lo, hi] = [call.args[0], call.arg(1, 'clipvaluemin')?.v, call.arg(2, 'clipvaluemax')?.v];
  const g = nativeOf(x, GradV) ?? nativeOf(x, GradsV);
  if (g) {
    if (lo?.t === 'num' && hi?.t === 'num' && lo.v === -hi.v && hi.v > 0) setClip(fx, 'clipValue', hi.v, call.expr);
    else programOf(fx.session).deviations.push({ span: call.expr, message: 'these gradients are clipped to bounds that are not symmetric: the run clips nothing' });
    return x;
  }
  const e = exprOf(fx, x, call.argExprs[0] ?? call.expr);
  if (!e || e.form === 'diff' || lo?.t !== 'num' || hi?.t !== 'num') return UNKNOWN;
  if (!(lo.v >= 0 && lo.v < hi.v && hi.v <= 1)) return UNKNOWN;
  return native(new OutExprV(e.out, e.form, call.expr, [lo.v, hi.v], e.offset));
};

/** `tf.nn.l2_loss(W)`: ½Σw² of the kernel W (of the layer that multiplies it in). */
export const l2Loss: Handler = (call, fx) => {
  const v = nativeOf(call.args[0], VarV);
  if (!v) return UNKNOWN;
  return native(new L2V(fx.session.layers.find((l) => l.kernelVar === v), 1, call.expr));
};

// ---- framework loss functions ------------------------------------------------------------------

function labelsOf(v: Val | undefined): boolean | undefined {
  const d = nativeOf(v, DataV);
  return d?.info?.labels ? !!d.info.oneHot : undefined;
}

const textOf = (fx: Fx, a: { expr: Span } | undefined): string | undefined => (a ? fx.src(a.expr).trim() : undefined);

/** `tf.nn.(sparse_)softmax_cross_entropy_with_logits(labels=, logits=)`, `tf.nn.sigmoid_cross_entropy_with_logits`. */
export const withLogits = (loss: 'crossEntropy' | 'binaryCrossEntropy', sparse: boolean): Handler => (call, fx) => {
  const lg = call.kw.get('logits');
  if (lg?.v.t === 'list' && lg.v.items.some((x) => nativeOf(x, TensorV))) {
    // `logits = tf.matmul(x, W), b` (a trailing comma): a tuple, not a tensor.
    programOf(fx.session).errors.push({ span: lg.expr, message: `these logits are a tuple (${fx.src(lg.expr)} holds ${lg.v.items.length} values, e.g. \`tf.matmul(x, W), b\` with a comma instead of +): TensorFlow raises a ValueError converting it to one tensor` });
  }
  const logits = lg?.v ?? [...call.args].reverse().find((a) => nativeOf(a, TensorV) || nativeOf(a, OutExprV));
  markLogits(logits);
  if (!lg && !call.kw.get('labels') && call.args.length > 0 && isTf1File(fx, call)) {
    // TF 1.x: a `_sentinel` first parameter makes positional calls raise. TF 2's compat.v1 takes them as (labels, logits).
    const modelFirst = !!(nativeOf(call.args[0], TensorV) || nativeOf(call.args[0], OutExprV));
    programOf(fx.session).errors.push({
      span: call.expr,
      message: `${call.written}(...) takes only named arguments (labels=..., logits=...): TensorFlow 1.x raises a ValueError here ("Only call \`${call.written.split('.').pop()}\` with named arguments")`
        + (modelFirst ? ', and TensorFlow 2\'s tf.compat.v1 reads them as (labels, logits), so the model\'s output becomes the labels, which get no gradient: nothing trains' : ''),
    });
  }
  const at = lg?.expr ?? call.argExprs[call.args.indexOf(logits as Val)] ?? call.expr;
  const out = outRefOf(fx, logits, at);
  if (!out) return UNKNOWN;
  const labelsA = call.kw.get('labels') ?? (call.args.length >= 2 ? { v: call.args[0], expr: call.argExprs[0], span: call.argExprs[0] } : undefined);
  const oneHot = labelsOf(labelsA?.v);
  if (sparse && oneHot === true) {
    programOf(fx.session).errors.push({ span: labelsA!.expr, message: `${call.written}(...) takes class indices as labels, but these labels are one-hot rows: TensorFlow raises an error here (the labels' rank must be the logits' rank minus one)` });
  }
  return native(new TermV({ loss, from: 'logits' }, out, loss === 'crossEntropy' ? 'examples' : 'elements', call.expr, { sign: 1, labels: textOf(fx, labelsA) }));
};

/** A TF1 file (`tf.compat.v1`, placeholders, sessions): the TF1 signatures apply. */
function isTf1File(fx: Fx, call: Call): boolean {
  return /compat\.v1/.test(call.written) || /\bplaceholder\s*\(|\bSession\s*\(|compat\.v1|tensorflow\.examples\.tutorials/.test(fx.text);
}

function reductionOf(v: Val | undefined): Reduction | undefined {
  if (!v) return undefined;
  const name = v.t === 'str' ? v.v : v.t === 'ref' ? v.path.slice(v.path.lastIndexOf('.') + 1) : undefined;
  if (name === undefined) return undefined;
  const n = norm(name);
  if (n === 'sum') return 'sum';
  if (n === 'sumoverbatchsize' || n === 'auto' || n === 'mean' || n === 'sumbynonzeroweights' || n === 'sumovernonzeroweights') return 'mean';
  return undefined;
}

/** TF1 `tf.losses.*` (and tfjs `tf.losses.*`): a scalar, averaged unless `reduction` says otherwise. */
export const tfLosses = (parts: TermParts, labelsKey: string[], outKey: string[], reductionAt = -1): Handler => (call, fx) => {
  const labels = call.arg(0, ...labelsKey);
  const pred = call.arg(1, ...outKey);
  if (parts.from === 'logits') markLogits(pred?.v);
  const out = pred ? outRefOf(fx, pred.v, pred.expr) : undefined;
  if (!out) return UNKNOWN;
  const red = call.arg(reductionAt, 'reduction');
  const reduction = reductionOf(red?.v) ?? (red?.v.t === 'num' ? ([undefined, 'mean', 'sum', 'mean'] as const)[red.v.v] : undefined) ?? 'mean';
  return native(new TermV(parts, out, 'scalar', call.expr, { sign: 1, reduction, reductionSpan: red?.span ?? call.expr, labels: textOf(fx, labels) }));
};

/** Which loss a Keras / tfjs loss name, function or class is. */
export type LossName = 'crossEntropy' | 'sparseCrossEntropy' | 'binaryCrossEntropy' | 'meanSquaredError';
export function lossNameOf(name: string): LossName | undefined {
  const n = norm(name);
  if (n === 'categoricalcrossentropy') return 'crossEntropy';
  if (n === 'sparsecategoricalcrossentropy') return 'sparseCrossEntropy';
  if (n === 'binarycrossentropy') return 'binaryCrossEntropy';
  if (n === 'mse' || n === 'meansquarederror') return 'meanSquaredError';
  return undefined;
}

/** A Keras / tfjs loss object or function (`CategoricalCrossentropy(from_logits=True)`, `keras.losses.mse`). */
export class LossFnV implements Native {
  readonly kind = 'loss function';
  /** `object`: a loss object (its call reduces); else the function (per example). */
  constructor(readonly name: LossName, readonly fromLogits: boolean, readonly reduction: Reduction | undefined, readonly framework: 'keras' | 'tfjs', readonly span: Span, readonly object: boolean,
    readonly reductionSpan?: Span, readonly written = '') {}
  call(call: Call, fx: Fx): Val {
    const pred = call.arg(1, 'ypred', 'output');
    const out = pred ? outRefOf(fx, pred.v, pred.expr) : undefined;
    if (!out) return UNKNOWN;
    const { parts, activated } = frameworkParts(this.name, this.fromLogits, out, this.framework);
    const o: OutRef = { ...out, activated };
    if (this.object) return native(new TermV(parts, o, 'scalar', call.expr, { sign: 1, reduction: this.reduction ?? 'mean', reductionSpan: this.reductionSpan ?? this.span, labels: textOf(fx, call.arg(0, 'ytrue')) }));
    return native(new TermV(parts, o, this.name === 'meanSquaredError' || this.name === 'binaryCrossEntropy' ? 'examples' : 'examples', call.expr, { sign: 1, labels: textOf(fx, call.arg(0, 'ytrue')), rowMean: this.name === 'meanSquaredError' || this.name === 'binaryCrossEntropy' }));
  }
}

/** `keras.losses.CategoricalCrossentropy(from_logits=..., reduction=...)` and the function names. */
export const kerasLossHandler = (name: string): Handler | undefined => {
  const loss = lossNameOf(name);
  if (!loss) return undefined;
  const object = /^[A-Z]/.test(name) && name !== 'MSE';
  return (call, fx) => {
    if (!object) return new LossFnV(loss, fromLogitsOf(call), undefined, 'keras', call.expr, false, undefined, call.written).call(call, fx);
    const red = call.kw.get('reduction');
    return native(new LossFnV(loss, fromLogitsOf(call), reductionOf(red?.v) ?? 'mean', 'keras', call.expr, true, red?.span, call.written));
  };
};

function fromLogitsOf(call: Call): boolean {
  const fl = call.kw.get('fromlogits')?.v;
  return fl?.t === 'bool' && fl.v;
}

/**
 * The objective a Keras or tfjs loss computes on `out`. Keras with the TensorFlow backend (keras/src/backend/
 * tensorflow/nn.py `_get_logits`) takes a softmax or sigmoid output's own logits, whatever `from_logits` says;
 * otherwise from probabilities it normalises (categorical) and clips to [1e-7, 1 − 1e-7]. tfjs-layers
 * normalises and clips always (losses.ts), and its binary cross-entropy clips.
 */
export function frameworkParts(name: LossName, fromLogits: boolean, out: OutRef, framework: 'keras' | 'tfjs'): { parts: TermParts; activated: boolean } {
  const act = seenActivation(out);
  const keras = framework === 'keras' && out.layer.framework === 'keras';
  const activated = out.activated;
  if (name === 'meanSquaredError') return { parts: { loss: 'meanSquaredError', from: 'probabilities' }, activated };
  if (name === 'binaryCrossEntropy') {
    if (keras && (act === 'sigmoid' || act === 'softmax')) return { parts: { loss: 'binaryCrossEntropy', from: 'logits' }, activated: false };
    if (fromLogits) return { parts: { loss: 'binaryCrossEntropy', from: 'logits' }, activated };
    return { parts: { loss: 'binaryCrossEntropy', from: 'probabilities', clip: KERAS_CLIP }, activated };
  }
  if (keras && act === 'softmax') return { parts: { loss: 'crossEntropy', from: 'probabilities', fused: true }, activated };
  if (keras && act === 'sigmoid') return { parts: { loss: 'crossEntropy', from: 'logits' }, activated: false };
  if (fromLogits) return { parts: { loss: 'crossEntropy', from: 'logits' }, activated };
  // Keras's sparse form clips, then normalises (log, then the softmax cross-entropy of the logs); the categorical form
  // and tfjs-layers (which one-hot encodes the sparse labels) normalise, then clip.
  if (keras && name === 'sparseCrossEntropy') return { parts: { loss: 'crossEntropy', from: 'probabilities', normalize: true, clip: KERAS_CLIP, clipFirst: true }, activated };
  return { parts: { loss: 'crossEntropy', from: 'probabilities', normalize: true, clip: KERAS_CLIP }, activated };
}

// ---- gradients (custom steps) ----------------------------------------------------------------------

/** `tf.GradientTape()`: `tape.gradient(loss, vars)` differentiates the loss (a vector: its sum). */
class TapeV implements Native {
  readonly kind = 'gradient tape';
  method(name: string, call: Call, fx: Fx): Val | undefined {
    if (name !== 'gradient') return name === 'watch' || name === 'reset' ? UNKNOWN : undefined;
    const loss = call.arg(0, 'target');
    if (loss) programOf(fx.session).minimized = { value: loss.v, span: loss.expr };
    return native(new GradsV(false));
  }
}
export const gradientTape: Handler = (_call, fx) => {
  fx.session.looksLikeModel = true;
  return native(new TapeV());
};

function setClip(fx: Fx, key: 'clipNorm' | 'globalClipNorm' | 'clipValue', v: number, at: Span): void {
  const p = programOf(fx.session);
  p.clip[key] = v;
  p.clipSpan = at;
}

/** `tf.clip_by_global_norm(grads, c)` → (clipped, norm); `tf.clip_by_norm(g, c)`. */
export const clipByGlobalNorm: Handler = (call, fx) => {
  const g = call.args[0];
  const c = call.arg(1, 'clipnorm')?.v;
  if (!nativeOf(g, GradsV) && g?.t !== 'list') return undefined;
  if (c?.t === 'num' && c.v > 0) setClip(fx, 'globalClipNorm', c.v, call.expr);
  return { t: 'list', items: [nativeOf(g, GradsV) ? g : native(new GradsV(false)), UNKNOWN], tuple: true };
};
export const clipByNorm: Handler = (call, fx) => {
  const g = call.args[0];
  if (!nativeOf(g, GradV) && !nativeOf(g, GradsV)) return undefined;
  const c = call.arg(1, 'clipnorm')?.v;
  if (c?.t === 'num' && c.v > 0) setClip(fx, 'clipNorm', c.v, call.expr);
  return g;
};

// ---- the objective ----------------------------------------------------------------------------------

/** The model whose compile loss counts, and its loss argument (common.ts `compile`). */
export function compileLoss(fx: Fx, model: ModelRec, loss: { v: Val; expr: Span; span: Span }): void {
  programOf(fx.session).compiled.push({ model, value: loss.v, span: loss.span, expr: loss.expr });
}

/** Reads the loss the program minimises (the compiled model's, else the optimizer's) into programOf(session).loss. */
export function finishLoss(session: ModelBuilder, text: string, layers: readonly LayerRec[], model: ModelRec | undefined, framework: string, callFn: (f: Val, args: Val[], at: Span) => Val): void {
  const p = programOf(session);
  const last = layers[layers.length - 1];
  if (!last) return;
  const js = framework === 'tfjs';
  const c = [...p.compiled].reverse().find((x) => x.model === model);
  if (model && c) {
    const out: OutRef = { layer: last, activated: last.activation !== undefined && last.activation !== 'linear', span: c.expr };
    let v = c.value as Val;
    const name = v.t === 'str' ? v.v : v.t === 'ref' ? v.path.slice(v.path.lastIndexOf('.') + 1) : undefined;
    const lossName = name ? lossNameOf(name) : undefined;
    if (lossName) v = native(new LossFnV(lossName, false, 'mean', js ? 'tfjs' : 'keras', c.expr, true, undefined, name));
    const fn = nativeOf(v, LossFnV);
    let term: TermV | undefined;
    if (fn) {
      const { parts, activated } = frameworkParts(fn.name, fn.fromLogits, out, fn.framework);
      term = new TermV(parts, { ...out, activated }, 'scalar', c.expr, { sign: 1, reduction: fn.reduction ?? 'mean', reductionSpan: fn.reductionSpan ?? c.expr });
    } else if (v.t === 'ref' && js && /softmaxcrossentropy$/.test(norm(v.path))) {
      term = new TermV({ loss: 'crossEntropy', from: 'logits' }, out, 'scalar', c.expr, { sign: 1, reduction: 'mean' });
    } else if (v.t === 'ref' && js && /meansquarederror$/.test(norm(v.path))) {
      term = new TermV({ loss: 'meanSquaredError', from: 'probabilities' }, out, 'scalar', c.expr, { sign: 1, reduction: 'mean' });
    } else if (v.t === 'func') {
      // A loss written by hand, called as Keras calls it: loss(y_true, y_pred) on the model's output; a per-example result is averaged.
      const before = session.unstableLoss;
      const r = callFn(v, [UNKNOWN, native(new TensorV(last, out.activated))], c.span);
      term = nativeOf(r, TermV);
      const u = session.unstableLoss;
      if (u && u !== before && u.layer === last) {
        // Keras's own loss never takes log(0) of a softmax layer (it uses the layer's logits).
        u.edit = { span: c.expr, newText: "'categorical_crossentropy'" };
        u.suggestion = "Keras's own loss='categorical_crossentropy' (or a linear output layer with tf.keras.losses.CategoricalCrossentropy(from_logits=True))";
      }
      if (term && term.level !== 'scalar') term = term.reduce('mean', false, term.span, term.span, undefined);
    }
    // One-hot labels given to a sparse cross-entropy: Keras raises on the first batch.
    if (lossName === 'sparseCrossEntropy' && p.fitLabels?.oneHot && !js) {
      p.errors.push({ span: p.fitLabels.span, message: `these labels are one-hot rows, but loss='${name}' takes class indices: Keras raises a ValueError on the first batch (the labels' shape must be the output's without its last axis); use 'categorical_crossentropy'` });
    }
    if (!term) {
      p.deviations.push({ span: c.span, message: `this loss (${text.slice(c.span.from, c.span.to)}) is not one Gradient Lens can train as written: the run trains a mean softmax cross-entropy on a softmax output instead` });
      return;
    }
    p.loss = lossRecOf(session, text, term, { framework: js ? 'tfjs' : 'keras', compiled: c, model });
    return;
  }
  const m = p.minimized;
  if (!m) return;
  const term = nativeOf(m.value as Val, TermV);
  if (!term && (m.value as Val).t === 'native' && !nativeOf(m.value as Val, UnboundParamV)) {
    p.deviations.push({ span: m.span, message: `the loss minimised here (${text.slice(m.span.from, m.span.to).trim()}) is not one Gradient Lens can train as written: the run trains a mean softmax cross-entropy on a softmax output instead` });
    return;
  }
  if (term) p.loss = lossRecOf(session, text, term, { framework: js ? 'tfjs' : 'tf1', minimizedAt: m.span });
}

interface LossContext {
  framework: 'tf1' | 'keras' | 'tfjs';
  compiled?: { span: Span; expr: Span; value: unknown };
  model?: ModelRec;
  /** Where a TF optimizer / tape is given the loss (a vector there is summed). */
  minimizedAt?: Span;
}

const N_CLASSES = 10;

function lossRecOf(session: ModelBuilder, text: string, t: TermV, ctx: LossContext): LossRec {
  const src = (s: Span) => text.slice(s.from, s.to).trim();
  const deviations: LossRec['deviations'] = [];
  let reduction: Reduction;
  let factor = t.opts.scale ?? 1;
  if (t.level === 'scalar') reduction = t.opts.reduction ?? 'mean';
  else {
    // TensorFlow differentiates a vector loss as its sum.
    reduction = 'sum';
    if (t.opts.rowMean && t.parts.loss !== 'crossEntropy') factor /= N_CLASSES;
  }
  if (t.parts.loss !== 'crossEntropy') {
    // Per-example sums over the classes, then averaged: 10× the spec's mean over every element.
    if (t.opts.rowSum && reduction === 'mean') factor *= N_CLASSES;
    if (t.opts.rowMean && reduction === 'sum' && t.level === 'scalar') factor /= N_CLASSES;
  } else if (t.opts.rowMean && reduction === 'sum' && t.level === 'scalar') factor /= N_CLASSES;
  // `tf.reduce_sum(loss) / batch_size`: the mean.
  const batch = session.batch?.value;
  if (reduction === 'sum' && batch && Math.abs(factor * batch - 1) < 1e-9) {
    reduction = 'mean';
    factor = 1;
  }
  const objective: ObjectiveSpec = { ...t.parts, reduction } as ObjectiveSpec;
  const activation = seenActivation(t.out);
  const layer = t.out.layer;
  const rec: LossRec = {
    objective, layer, activation, span: t.opts.handWritten ? (t.opts.reduceCall ?? t.span) : t.span, fixes: [], deviations,
    reductionSpan: t.opts.reductionSpan ?? (t.level !== 'scalar' ? ctx.minimizedAt : undefined),
  };
  // The activation the loss sees; for Keras and tfjs, the output layer's activation as written (a sigmoid whose logits Keras uses).
  if ((t.out.activated || ctx.framework !== 'tf1') && layer.activationSpan) rec.activationSpan = layer.activationSpan;
  if (ctx.compiled) rec.span = ctx.compiled.span;
  if (t.opts.sign < 0) deviations.push({ span: rec.span, message: 'this loss is the negative of a cross-entropy (the minus sign is missing): minimising it makes the model worse, and the run trains the cross-entropy instead' });
  if (Math.abs(factor - 1) > 1e-9) {
    rec.scale = factor;
    deviations.push({ span: t.span, message: `this loss is ${fmt(factor)}× the ${reduction === 'sum' ? 'sum' : 'mean'} Gradient Lens trains: the run trains it without that factor (with plain SGD the same as a learning rate ${fmt(factor)}× larger)` });
  }
  for (const r of t.opts.l2 ?? []) {
    if (r.kernel) r.kernel.kernelRegularizer = { ...r.kernel.kernelRegularizer, l2: (r.kernel.kernelRegularizer?.l2 ?? 0) + r.l2 };
    else deviations.push({ span: r.span, message: 'this L2 penalty is not on a layer\'s kernel (a bias?): the run trains without it' });
  }
  rec.fixes = fixesFor(session, text, t, rec, ctx, src);
  return rec;
}

const fmt = (x: number): string => String(Number(x.toPrecision(4)));

// ---- cures in the file's idiom --------------------------------------------------------------------

function sameStack(a: readonly Span[] | undefined, b: readonly Span[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((s, i) => s.from === y[i].from && s.to === y[i].to);
}

/** The logits as written where the loss is: the layer's pre-activation when the loss sees its activation, else the output. */
function logitsText(text: string, out: OutRef): string | undefined {
  if (!out.activated) return text.slice(out.span.from, out.span.to).trim();
  const pre = out.layer.preActivation;
  if (!pre || !sameStack(pre.via, out.stack)) return undefined;
  return text.slice(pre.span.from, pre.span.to).trim();
}

/** The TF prefix to write new calls with (`tf`, `tf.compat.v1`). */
function tfPrefix(t: TermV, text: string): string {
  const p = t.opts.log ? PREFIX.get(t.opts.log) : undefined;
  if (p) return p;
  const callee = t.opts.reduceCallee ? text.slice(t.opts.reduceCallee.from, t.opts.reduceCallee.to) : '';
  const m = /^(.*)\.(math\.)?reduce_(sum|mean)$/.exec(callee);
  return m ? m[1] : /\bimport tensorflow\.compat\.v1 as tf\b|\bimport tensorflow as tf\b/.test(text) ? 'tf' : 'tf';
}

function fixesFor(session: ModelBuilder, text: string, t: TermV, rec: LossRec, ctx: LossContext, src: (s: Span) => string): PendingFix[] {
  const fixes: PendingFix[] = [];
  const o = rec.objective;
  if (ctx.framework === 'tf1') tf1Fixes(session, text, t, rec, ctx, src, fixes);
  else kerasFixes(text, t, rec, ctx, fixes);
  fixes.push(...pairingCures(text, t, rec, ctx.framework, !!ctx.compiled, tfPrefix(t, text), fixes));
  // tfjs core API: `tf.Reduction.SUM` given to a tf.losses function.
  if (ctx.framework === 'tfjs' && !ctx.compiled && o.reduction === 'sum' && t.opts.reductionSpan) {
    const s = t.opts.reductionSpan;
    const m = /Reduction\.SUM$/.exec(text.slice(s.from, s.to));
    if (m) {
      const at = s.to - 'SUM'.length;
      fixes.push({ fix: { kind: 'objective', value: { ...o, reduction: 'mean' }, outputActivation: rec.activation as Activation, label: 'Average the loss over the batch (tf.Reduction.MEAN)' }, edits: [{ span: { from: at, to: s.to }, newText: 'MEAN' }] });
    }
  }
  void o;
  return fixes;
}

function tf1Fixes(session: ModelBuilder, text: string, t: TermV, rec: LossRec, ctx: LossContext, src: (s: Span) => string, fixes: PendingFix[]): void {
  const o = rec.objective;
  const tf = tfPrefix(t, text);
  const logits = logitsText(text, t.out);
  const labels = t.opts.labels;
  // The stable cross-entropy for a hand-written log of the output: the `unstable-loss` edit on a softmax, an objective cure otherwise.
  const neg = t.opts.negated;
  if (t.opts.handWritten && o.loss === 'crossEntropy' && neg && logits && labels) {
    const ce = `${tf}.nn.softmax_cross_entropy_with_logits(labels=${labels}, logits=${logits})`;
    const edit: SpanEdit = { span: neg.span, newText: neg.perExample ? ce : `${tf}.reduce_sum(${ce})` };
    const u = session.unstableLoss;
    if (rec.activation === 'softmax' && u && u.layer === t.out.layer) u.edit ??= edit;
    else if (rec.activation !== 'softmax') {
      fixes.push({ fix: { kind: 'objective', value: { loss: 'crossEntropy', from: 'logits', reduction: o.reduction }, outputActivation: 'linear', label: 'Compute the cross-entropy from the logits (softmax_cross_entropy_with_logits)' }, edits: [edit] });
    }
  }
  // A cross-entropy "with logits" given an activated output (a double softmax, a ReLU on the logits): pass the pre-activation.
  if (o.from === 'logits' && t.out.activated && rec.activation !== 'linear' && logits && !t.opts.handWritten) {
    fixes.push({ fix: { kind: 'objective', value: o, outputActivation: 'linear', label: `Pass the logits (before the ${rec.activation}) to the loss` }, edits: [{ span: t.out.span, newText: logits }] });
  }
  // MSE on ten classes: the softmax cross-entropy from the logits.
  if (o.loss === 'meanSquaredError' && logits && labels) {
    const whole = t.opts.reduceCall ?? t.span;
    fixes.push({
      fix: { kind: 'objective', value: { loss: 'crossEntropy', from: 'logits', reduction: 'mean' }, outputActivation: 'linear', label: 'Use the softmax cross-entropy for the ten classes' },
      edits: [{ span: whole, newText: `${tf}.reduce_mean(${tf}.nn.softmax_cross_entropy_with_logits(labels=${labels}, logits=${logits}))` }],
    });
  }
  // A sum over the batch: the mean.
  if (o.reduction === 'sum') {
    const value: ObjectiveSpec = { ...o, reduction: 'mean' };
    const label = 'Average the loss over the batch (reduce_mean)';
    if (t.level !== 'scalar' && ctx.minimizedAt) {
      fixes.push({ fix: { kind: 'objective', value, outputActivation: rec.activation as Activation, label }, edits: [{ span: ctx.minimizedAt, newText: `${tf}.reduce_mean(${src(ctx.minimizedAt)})` }] });
    } else if (t.opts.reduceCallee && t.opts.reduceCall && t.opts.reduceArg) {
      const callee = text.slice(t.opts.reduceCallee.from, t.opts.reduceCallee.to);
      const perElementCe = o.loss === 'crossEntropy' && !text.slice(t.opts.reduceCall.from, t.opts.reduceCall.to).includes(',') && t.opts.handWritten;
      const edits: SpanEdit[] = perElementCe
        ? [{ span: t.opts.reduceCall, newText: `${callee.replace(/reduce_sum$/, 'reduce_mean')}(${callee}(${src(t.opts.reduceArg)}, axis=1))` }]
        : [{ span: t.opts.reduceCallee, newText: callee.replace(/reduce_sum$/, 'reduce_mean') }];
      if (/reduce_sum$/.test(callee)) fixes.push({ fix: { kind: 'objective', value, outputActivation: rec.activation as Activation, label }, edits });
    }
  }
}

function kerasFixes(text: string, t: TermV, rec: LossRec, ctx: LossContext, fixes: PendingFix[]): void {
  const o = rec.objective;
  const c = ctx.compiled;
  const layer = t.out.layer;
  if (!c) return;
  const js = ctx.framework === 'tfjs';
  const quote = text[c.expr.from] === '"' ? '"' : "'";
  const lossText = text.slice(c.expr.from, c.expr.to);
  const isString = /^['"`]/.test(lossText);
  const written = layer.activation ?? 'linear';
  // Makes the output layer softmax: its activation string rewritten, or one added to the Dense call / tfjs config.
  const softmaxEdit = (): SpanEdit | undefined => {
    const site = layer.activationSite;
    if (site?.idiom === 'string') return { span: site.span, newText: `${quote}softmax${quote}` };
    if (layer.activation !== undefined && layer.activation !== 'linear') return undefined;
    const def = text.slice(layer.definition.from, layer.definition.to);
    if (js) {
      const brace = def.lastIndexOf('}');
      if (brace < 0 || /activation\s*:/.test(def)) return undefined;
      const before = def.slice(0, brace).trimEnd();
      const at = layer.definition.from + before.length;
      return { span: { from: at, to: at }, newText: `${before.endsWith(',') ? '' : ','} activation: ${quote}softmax${quote}` };
    }
    if (!def.endsWith(')') || /activation\s*=/.test(def)) return undefined;
    const at = layer.definition.to - 1;
    return { span: { from: at, to: at }, newText: `, activation=${quote}softmax${quote}` };
  };
  const ceName = js ? 'categoricalCrossentropy' : 'categorical_crossentropy';
  const sparse = isString && /sparse/i.test(lossText);
  if (o.loss === 'crossEntropy' && !o.fused && o.from === 'probabilities' && rec.activation !== 'softmax') {
    // Probabilities expected, something else given: logits (from_logits=True) or a softmax output.
    if (!js && written === 'linear' && isString) {
      const prefix = /\bfrom tensorflow import keras\b|^import keras\b/m.test(text) && !/\bimport tensorflow as tf\b/.test(text) ? 'keras' : 'tf.keras';
      fixes.push({
        fix: { kind: 'objective', value: { loss: 'crossEntropy', from: 'logits', reduction: o.reduction }, outputActivation: 'linear', label: 'Tell the loss these are logits (from_logits=True)' },
        edits: [{ span: c.expr, newText: `${prefix}.losses.${sparse ? 'Sparse' : ''}CategoricalCrossentropy(from_logits=True)` }],
      });
    } else if (!js && written === 'linear' && /\)$/.test(lossText) && !/from_logits/.test(lossText)) {
      const at = c.expr.to - 1;
      fixes.push({
        fix: { kind: 'objective', value: { loss: 'crossEntropy', from: 'logits', reduction: o.reduction }, outputActivation: 'linear', label: 'Tell the loss these are logits (from_logits=True)' },
        edits: [{ span: { from: at, to: at }, newText: `${text[at - 1] === '(' ? '' : ', '}from_logits=True` }],
      });
    } else {
      const e = softmaxEdit();
      const value: ObjectiveSpec = js ? { ...o } : { loss: 'crossEntropy', from: 'probabilities', fused: true, reduction: o.reduction };
      if (e) fixes.push({ fix: { kind: 'objective', value, outputActivation: 'softmax', label: 'Make the output layer softmax' }, edits: [e] });
    }
  }
  if (o.loss === 'meanSquaredError' || (o.loss === 'binaryCrossEntropy')) {
    const edits: SpanEdit[] = [{ span: c.expr, newText: `${quote}${ceName}${quote}` }];
    if (written !== 'softmax') {
      const e = softmaxEdit();
      if (e) edits.push(e);
      else return;
    }
    const value: ObjectiveSpec = js ? { loss: 'crossEntropy', from: 'probabilities', normalize: true, clip: KERAS_CLIP, reduction: 'mean' } : { loss: 'crossEntropy', from: 'probabilities', fused: true, reduction: 'mean' };
    fixes.push({ fix: { kind: 'objective', value, outputActivation: 'softmax', label: `Use ${ceName} on a softmax output` }, edits });
  }
  if (o.reduction === 'sum' && t.opts.reductionSpan && /^['"]sum['"]$/.test(text.slice(t.opts.reductionSpan.from, t.opts.reductionSpan.to).replace(/^reduction\s*=\s*/, ''))) {
    const s = t.opts.reductionSpan;
    const m = /['"]sum['"]/.exec(text.slice(s.from, s.to))!;
    const at = s.from + m.index;
    fixes.push({ fix: { kind: 'objective', value: { ...o, reduction: 'mean' }, outputActivation: rec.activation as Activation, label: 'Average the loss over the batch' }, edits: [{ span: { from: at, to: at + m[0].length }, newText: `${quote}sum_over_batch_size${quote}` }] });
  }
}
