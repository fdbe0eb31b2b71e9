// What every concern of the PyTorch reader shares: the module id, per-file state (each concern keeps its
// own, keyed by the file's ModelBuilder, so no file of torch/ needs another's state), the trace counter
// of the model being read, and small readers of argument values.
import type { Expr, Span } from '../../ast';
import type { Val } from '../../interpret';
import type { Fx, ModelBuilder } from '../../model';

export const ID = 'torch';

/** Per-file state of one concern: `perFile(() => ({ ... }))` gives `(fx) => state`, made on first use. */
export function perFile<T>(make: () => T): (fx: Pick<Fx, 'session'>) => T {
  const states = new WeakMap<ModelBuilder, T>();
  return (fx) => {
    let s = states.get(fx.session);
    if (s === undefined) {
      s = make();
      states.set(fx.session, s);
    }
    return s;
  };
}

interface TraceState {
  /** Incremented for each top-level trace (a Sequential built, a module's forward read). */
  trace: number;
  depth: number;
  /** Traces that met a layer Gradient Lens does not train (see model.ts refuse()). */
  refused: Map<number, { what: string; span: Span }>;
}

export const traceState = perFile<TraceState>(() => ({ trace: 0, depth: 0, refused: new Map() }));

/** Runs `f` as one trace (nested traces share the outer one's id). */
export function traced<T>(fx: Fx, f: () => T): T {
  const s = traceState(fx);
  if (s.depth === 0) s.trace++;
  s.depth++;
  try {
    return f();
  } finally {
    s.depth--;
  }
}

export const num = (v: Val | undefined): number | undefined => (v?.t === 'num' ? v.v : v?.t === 'bool' ? Number(v.v) : undefined);
export const int = (v: Val | undefined): number | undefined => (v?.t === 'num' && Number.isInteger(v.v) ? v.v : undefined);

/** The span of a number literal an argument comes from (for learning-rate / batch-size anchors). */
export function literalSpan(fx: Fx, a: { v: Val; expr: Expr } | undefined): Span | undefined {
  if (!a || a.v.t !== 'num') return undefined;
  if (a.expr.k === 'num' || (a.expr.k === 'unary' && a.expr.arg.k === 'num')) return a.expr;
  const s = a.v.span;
  if (s && fx.text.slice(s.from, s.to).trim() === String(a.v.v)) return s;
  return undefined;
}

/** The 1-based line of a span (for notes that name another line). */
export function lineOf(fx: Fx, span: Span): number {
  let n = 1;
  for (let i = fx.text.indexOf('\n'); i >= 0 && i < span.from; i = fx.text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Methods of a tensor that pass it on unchanged for the model (device moves, casts, reshapes). */
export const PASS_METHODS = new Set([
  'to', 'cuda', 'cpu', 'float', 'double', 'half', 'detach', 'contiguous', 'clone', 'requires_grad_', 'type', 'squeeze', 'unsqueeze', 'view_as',
  'reshape_as', 'flatten', 'view', 'reshape', 'permute', 'transpose', 'data',
]);
