// Cures (edits in the file's idiom) for a TensorFlow-family loss that is paired with the wrong output, where
// tfLoss.ts's own cures cannot write one: the activation on the logits removed where it is written (a Keras /
// tfjs layer's `activation` option, a tfjs `.relu()` / TF `tf.nn.relu(...)` around the logits), tfjs's
// `tf.losses.meanSquaredError` on a linear output → `tf.losses.softmaxCrossEntropy`, a hand-written binary
// cross-entropy on a linear output → the softmax cross-entropy from those logits, and a hand-written log of a Keras
// softmax layer's output → a linear layer and the stable cross-entropy, and a tfjs hand-written cross-entropy →
// tf.losses.softmaxCrossEntropy of the logits. Each edit rewrites only what it names;
// an edit that cannot be written exactly is not offered.
import type { Activation, ObjectiveSpec } from '../../spec';
import type { Span } from '../ast';
import type { LayerRec } from '../model';
import type { TermV } from '../lossValues';
import type { LossRec, PendingFix, SpanEdit } from '../programParts';

/** The edit that drops `layer`'s activation where it is written: `, activation="relu"` in a Dense call / tfjs config, or `act(pre)` → `pre`. */
export function removeActivationEdit(text: string, layer: LayerRec): SpanEdit | undefined {
  const site = layer.activationSite;
  if (site?.idiom === 'string' && site.span.from >= layer.definition.from && site.span.to <= layer.definition.to) {
    const before = text.slice(layer.definition.from, site.span.from);
    const m = /,\s*activation\s*[=:]\s*$/.exec(before);
    if (m) return { span: { from: layer.definition.from + m.index, to: site.span.to }, newText: '' };
    return undefined;
  }
  const act = layer.activationSpan;
  const pre = layer.preActivation;
  if (act && pre && pre.span.from >= act.from && pre.span.to <= act.to && (pre.span.from > act.from || pre.span.to < act.to)) {
    return { span: act, newText: text.slice(pre.span.from, pre.span.to) };
  }
  return undefined;
}

const src = (text: string, s: Span): string => text.slice(s.from, s.to).trim();

/** Cures tfLoss.ts's fixesFor adds for a loss `t` read as `rec` (none when it already wrote one of the same kind). */
export function pairingCures(text: string, t: TermV, rec: LossRec, framework: 'tf1' | 'keras' | 'tfjs', compiled: boolean, tf: string, have: readonly PendingFix[]): PendingFix[] {
  const out: PendingFix[] = [];
  const o = rec.objective;
  const layer = t.out.layer;
  const act = rec.activation;
  // A loss that takes logits given an activated output (ReLU or softmax on the logits): remove that activation.
  if (o.loss === 'crossEntropy' && o.from === 'logits' && act !== 'linear' && !t.opts.handWritten && have.length === 0) {
    const e = removeActivationEdit(text, layer);
    if (e) out.push({ fix: { kind: 'objective', value: o, outputActivation: 'linear', label: `Remove the ${act} on the logits (the loss takes the logits)` }, edits: [e] });
  }
  // tfjs `tf.losses.meanSquaredError(labels, out)` on a linear output: the softmax cross-entropy of those logits.
  if (framework === 'tfjs' && !compiled && o.loss === 'meanSquaredError' && act === 'linear') {
    const call = text.slice(t.span.from, t.span.to);
    const m = /^([\w.$]*?)meanSquaredError(\s*\()/.exec(call);
    if (m) {
      const at = t.span.from + m[1].length;
      out.push({
        fix: { kind: 'objective', value: { loss: 'crossEntropy', from: 'logits', reduction: 'mean' }, outputActivation: 'linear', label: 'Use the softmax cross-entropy for the ten classes (tf.losses.softmaxCrossEntropy)' },
        edits: [{ span: { from: at, to: at + 'meanSquaredError'.length }, newText: 'softmaxCrossEntropy' }],
      });
    }
  }
  // TF1 / a GradientTape step: a hand-written binary cross-entropy of a linear output (log of a negative number).
  const whole = src(text, t.span);
  if (framework === 'tf1' && o.loss === 'binaryCrossEntropy' && t.opts.handWritten && act === 'linear' && t.opts.labels && whole.startsWith('-') && t.level === 'scalar' && o.reduction === 'mean') {
    const logits = src(text, t.out.span);
    if (/^[\w.]+$/.test(logits)) {
      out.push({
        fix: { kind: 'objective', value: { loss: 'crossEntropy', from: 'logits', reduction: 'mean' }, outputActivation: 'linear', label: 'Use the softmax cross-entropy of the logits for the ten classes (softmax_cross_entropy_with_logits)' },
        edits: [{ span: t.span, newText: `${tf}.reduce_mean(${tf}.nn.softmax_cross_entropy_with_logits(labels=${t.opts.labels}, logits=${logits}))` }],
      });
    }
  }
  // A GradientTape step's hand-written log of a Keras softmax layer's output: a linear layer, and the stable loss of its logits.
  const neg = t.opts.negated;
  if (framework === 'tf1' && t.opts.handWritten && o.loss === 'crossEntropy' && act === 'softmax' && neg && t.opts.labels && layer.activationSite?.idiom === 'string' && have.length === 0) {
    const e = removeActivationEdit(text, layer);
    const logits = src(text, t.out.span);
    if (e && /^[\w.]+$/.test(logits)) {
      const ce = `${tf}.nn.softmax_cross_entropy_with_logits(labels=${t.opts.labels}, logits=${logits})`;
      const value: ObjectiveSpec = { loss: 'crossEntropy', from: 'logits', reduction: o.reduction };
      out.push({
        fix: { kind: 'objective', value, outputActivation: 'linear' as Activation, label: 'Compute the cross-entropy from the logits (a linear output layer and softmax_cross_entropy_with_logits)' },
        edits: [e, { span: neg.span, newText: neg.perExample ? ce : `${tf}.reduce_sum(${ce})` }],
      });
    }
  }
  // tfjs core API: a hand-written cross-entropy of the output's probabilities (`tf.mean(tf.sum(labels.mul(out.log()), 1).neg())`)
  // → tf.losses.softmaxCrossEntropy of the logits, with a softmax or sigmoid on them removed where it is written.
  if (framework === 'tfjs' && !compiled && t.opts.handWritten && o.loss === 'crossEntropy' && o.from === 'probabilities' && o.reduction === 'mean'
    && t.level === 'scalar' && neg?.perExample && t.opts.labels && !o.clip && o.logOffset === undefined) {
    const outText = src(text, t.out.span);
    const e = act === 'linear' ? undefined : removeActivationEdit(text, layer);
    if (/^[\w.$]+$/.test(outText) && /^[\w.$]+$/.test(t.opts.labels) && (act === 'linear' || e)) {
      const tf = /^([\w$]+)\./.exec(src(text, t.span))?.[1] ?? 'tf';
      out.push({
        fix: { kind: 'objective', value: { loss: 'crossEntropy', from: 'logits', reduction: 'mean' }, outputActivation: 'linear', label: 'Compute the cross-entropy from the logits (tf.losses.softmaxCrossEntropy)' },
        edits: [...(e ? [e] : []), { span: t.span, newText: `${tf}.losses.softmaxCrossEntropy(${t.opts.labels}, ${outText})` }],
      });
    }
  }
  return out;
}
