// The values a loss is built of, framework-neutral: an expression of the model output (`y`, `y + 1e-10`,
// `tf.clip_by_value(y, 1e-10, 1.0)`, `1 - y`, `y - y_`), its log, and a loss term at the level the program has
// it — one element per example and class (`y_ * tf.log(y)`, `tf.square(y - y_)`), one per example
// (`softmax_cross_entropy_with_logits`), or a scalar with its reduction. Arithmetic on them follows the program
// (negation, reductions, a constant factor, an L2 penalty added), so the objective read is the one it minimises.
import type { LossInput, LossKind, Reduction } from '../specParts';
import type { Span } from './ast';
import { type Host, type Native, type Val, UNKNOWN, native, nativeOf } from './interpret';
import type { LayerRec } from './model';

/** The model output as a loss uses it: `activated` when the layer's activation is applied to it. */
export interface OutRef {
  layer: LayerRec;
  activated: boolean;
  /** The output expression as written where the loss uses it (`y`, `logits`). */
  span: Span;
  /** The user-function calls active there (a fix may reuse the layer's pre-activation only in the same one). */
  stack?: readonly Span[];
}

/** The activation a loss sees on the output. */
export const seenActivation = (o: OutRef): string => (o.activated ? o.layer.activation ?? 'linear' : 'linear');

/** `y`, `y + eps`, `clip(y, lo, hi)` (a probability), `1 - y` (its complement), `y - labels` (a difference). */
export class OutExprV implements Native {
  readonly kind = 'expression of the model output';
  /** `labels`: the other side of a difference, as written. */
  constructor(readonly out: OutRef, readonly form: 'prob' | 'complement' | 'diff', readonly span: Span, readonly clip?: [number, number], readonly offset?: number, readonly labels?: string) {}
  binary(op: string, other: Val, left: boolean, host: Host, at: Span, otherAt: Span): Val | undefined {
    const k = other.t === 'num' ? other.v : undefined;
    if (this.form !== 'diff' && op === '+' && k !== undefined && k > 0 && k < 1 && this.offset === undefined) return native(new OutExprV(this.out, this.form, at, this.clip, k));
    if (this.form === 'prob' && op === '-' && !left && k === 1 && this.offset === undefined) return native(new OutExprV(this.out, 'complement', at, this.clip));
    if (this.form === 'prob' && op === '-' && k === undefined && this.offset === undefined && !this.clip) return native(new OutExprV(this.out, 'diff', at, undefined, undefined, host.text.slice(otherAt.from, otherAt.to)));
    if (this.form === 'diff' && (op === '**' && left && k === 2)) return native(squared(this, at));
    if (this.form === 'diff' && op === '*' && nativeOf(other, OutExprV)?.form === 'diff') return native(squared(this, at));
    return undefined;
  }
  unary(op: string): Val | undefined {
    return op === '-' && this.form === 'diff' ? native(this) : undefined;
  }
}

export function squared(d: OutExprV, at: Span): TermV {
  return new TermV({ loss: 'meanSquaredError', from: 'probabilities' }, d.out, 'elements', at, { sign: 1, handWritten: true, labels: d.labels });
}

/** `log(p)` of an output expression. */
export class LogV implements Native {
  readonly kind = 'log of the model output';
  constructor(readonly of: OutExprV, readonly span: Span) {}
  binary(op: string, other: Val, _left: boolean, host: Host, at: Span, otherAt: Span): Val | undefined {
    if (op !== '*' || other.t === 'num') return undefined;
    return native(new TermV(this.parts(), this.of.out, 'elements', at, { sign: -1, handWritten: true, complement: this.of.form === 'complement', labels: host.text.slice(otherAt.from, otherAt.to), log: this }));
  }
  parts(): TermParts {
    const p: TermParts = { loss: 'crossEntropy', from: 'probabilities' };
    if (this.of.clip) p.clip = this.of.clip;
    if (this.of.offset !== undefined) p.logOffset = this.of.offset;
    return p;
  }
}

export interface TermParts {
  loss: LossKind;
  from: LossInput;
  fused?: boolean;
  normalize?: boolean;
  clip?: [number, number];
  clipFirst?: boolean;
  logOffset?: number;
}

export interface TermOpts {
  /** +1: the loss; −1: its negative (`y_ * tf.log(y)` before the minus). */
  sign: number;
  reduction?: Reduction;
  reductionSpan?: Span;
  /** The reduce call whose name a fix replaces (`tf.reduce_sum` → `tf.reduce_mean`). */
  reduceCallee?: Span;
  /** The whole reduce call and its argument (a fix that rewrites it). */
  reduceCall?: Span;
  reduceArg?: Span;
  /** A constant factor on the loss (`0.5 * …`, `… / batch_size`). */
  scale?: number;
  handWritten?: boolean;
  /** `(1 - y_) * log(1 - y)`: the other half of a hand-written binary cross-entropy. */
  complement?: boolean;
  labels?: string;
  log?: LogV;
  /** Per example, over the classes: summed (MSE / BCE summed per row) or averaged (CE averaged per row). */
  rowSum?: boolean;
  rowMean?: boolean;
  /** The negated hand-written cross-entropy, per example or summed (what a stable loss replaces). */
  negated?: { span: Span; perExample: boolean };
  /** `tf.nn.l2_loss(W) * beta` added: the layers' L2 factors, and where. */
  l2?: { kernel: LayerRec | undefined; l2: number; span: Span }[];
}

/** A loss term at its level: elements (example × class), examples, or a scalar with its reduction. */
export class TermV implements Native {
  readonly kind = 'loss';
  constructor(readonly parts: TermParts, readonly out: OutRef, readonly level: 'elements' | 'examples' | 'scalar', readonly span: Span, readonly opts: TermOpts) {}
  with(level: TermV['level'], span: Span, opts: Partial<TermOpts>, parts: TermParts = this.parts): TermV {
    return new TermV(parts, this.out, level, span, { ...this.opts, ...opts });
  }
  unary(op: string, _host: Host, at: Span): Val | undefined {
    if (op !== '-') return undefined;
    const sign = -this.opts.sign;
    // `-tf.reduce_sum(y_ * tf.log(y), axis=1)`: the expression a stable cross-entropy replaces.
    const negated = sign === 1 && this.opts.handWritten && this.parts.loss === 'crossEntropy' && (this.level === 'examples' || this.opts.reduction === 'sum')
      ? { span: at, perExample: this.level === 'examples' } : this.opts.negated;
    return native(this.with(this.level, at, { sign, negated }));
  }
  binary(op: string, other: Val, left: boolean, _host: Host, at: Span): Val | undefined {
    if (other.t === 'num') {
      if (op === '*' && other.v !== 0) return native(this.with(this.level, at, { scale: (this.opts.scale ?? 1) * Math.abs(other.v), sign: this.opts.sign * Math.sign(other.v) }));
      if (op === '/' && left && other.v !== 0) return native(this.with(this.level, at, { scale: (this.opts.scale ?? 1) / Math.abs(other.v), sign: this.opts.sign * Math.sign(other.v) }));
      if (op === '+' || op === '-') return native(this);
      return undefined;
    }
    const regs = nativeOf(other, L2SumV)?.terms ?? (nativeOf(other, L2V) ? [nativeOf(other, L2V)!] : undefined);
    if (regs && op === '+') {
      return native(this.with(this.level, this.span, { l2: [...(this.opts.l2 ?? []), ...regs.map((r) => ({ kernel: r.layer, l2: r.factor / 2, span: r.span }))] }));
    }
    const t = nativeOf(other, TermV);
    if (t && op === '+' && t.out.layer === this.out.layer && this.level === 'elements' && t.level === 'elements' && this.opts.handWritten && t.opts.handWritten
      && this.parts.loss === 'crossEntropy' && t.parts.loss === 'crossEntropy' && !!this.opts.complement !== !!t.opts.complement && this.opts.sign === t.opts.sign) {
      // y·log(p) + (1 − y)·log(1 − p): a binary cross-entropy per class.
      const parts: TermParts = { ...this.parts, ...t.parts, loss: 'binaryCrossEntropy' };
      return native(new TermV(parts, this.out, 'elements', at, { ...this.opts, complement: false }));
    }
    return undefined;
  }
  /** tfjs chains: `loss.mean()`, `.sum(1)`, `.neg()`, `.mul(0.5)`, `.div(n)`. */
  method(name: string, call: { args: Val[]; expr: Span }, host: Host): Val | undefined {
    const a = call.args[0];
    const perRow = a?.t === 'num' && (a.v === 1 || a.v === -1);
    if (name === 'mean' || name === 'sum') return native(this.reduce(name, perRow, call.expr, call.expr, undefined));
    if (name === 'neg') return this.unary('-', host, call.expr);
    if ((name === 'mul' || name === 'div') && a) return this.binary(name === 'mul' ? '*' : '/', a, true, host, call.expr);
    if (name === 'add' && a) return this.binary('+', a, true, host, call.expr);
    return undefined;
  }
  /** `reduce_sum` / `reduce_mean` over everything (`axis` undefined) or over the classes of each example. */
  reduce(kind: 'sum' | 'mean', perRow: boolean, call: Span, callee: Span, arg: Span | undefined): TermV {
    const at = { reductionSpan: call, reduceCallee: callee, reduceCall: call, reduceArg: arg };
    const ce = this.parts.loss === 'crossEntropy';
    if (this.level === 'elements') {
      if (perRow) return this.with('examples', call, kind === 'sum' ? { rowSum: !ce } : { rowMean: true });
      if (kind === 'sum') return this.with('scalar', call, { ...at, reduction: 'sum' });
      return this.with('scalar', call, { ...at, reduction: ce ? 'meanAll' : 'mean' });
    }
    if (this.level === 'examples') {
      if (kind === 'sum') return this.with('scalar', call, { ...at, reduction: 'sum' });
      return this.with('scalar', call, { ...at, reduction: ce && this.opts.rowMean ? 'meanAll' : 'mean' });
    }
    return this;
  }
}

/** `tf.nn.l2_loss(W)` (½Σw²) of a layer's kernel, times `factor`. */
export class L2V implements Native {
  readonly kind = 'L2 penalty';
  constructor(readonly layer: LayerRec | undefined, readonly factor: number, readonly span: Span) {}
  binary(op: string, other: Val, _left: boolean, _host: Host, at: Span): Val | undefined {
    if (op === '*' && other.t === 'num') return native(new L2V(this.layer, this.factor * other.v, at));
    const o = nativeOf(other, L2V);
    if (op === '+' && o) return native(new L2SumV([this, o]));
    return undefined;
  }
}

/** Several L2 penalties added together (`tf.nn.l2_loss(W1) + tf.nn.l2_loss(W2)`), before the factor. */
export class L2SumV implements Native {
  readonly kind = 'L2 penalties';
  constructor(readonly terms: L2V[]) {}
  binary(op: string, other: Val, _left: boolean, _host: Host, at: Span): Val | undefined {
    if (op === '*' && other.t === 'num') return native(new L2SumV(this.terms.map((t) => new L2V(t.layer, t.factor * other.v, at))));
    const o = nativeOf(other, L2V);
    if (op === '+' && o) return native(new L2SumV([...this.terms, o]));
    return undefined;
  }
}

/** Gradients of the loss (`tape.gradient(loss, vars)`, `opt.compute_gradients(loss)`). */
export class GradsV implements Native {
  readonly kind = 'gradients';
  constructor(readonly pairs: boolean) {}
  element(): Val {
    return this.pairs ? { t: 'list', items: [native(new GradV()), UNKNOWN], tuple: true } : native(new GradV());
  }
  index(): Val {
    return native(new GradV());
  }
  /** One representative element: a comprehension over the gradients (`[tf.clip_by_norm(g, 1.) for g in grads]`) runs once. */
  elements(): Val[] {
    return [this.element()];
  }
}
/** One gradient tensor of them. */
export class GradV implements Native {
  readonly kind = 'gradient';
}

