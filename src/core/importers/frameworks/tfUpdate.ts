// The update extras of TensorFlow-family programs: learning-rate schedules (`tf.train.exponential_decay`,
// `tf.train.piecewise_constant`, Keras `optimizers.schedules.ExponentialDecay / PiecewiseConstantDecay`) read
// with their initial value and decay, and the schedules the spec cannot say (inverse-time, cosine, polynomial),
// which train with their initial value and a deviation that says so.
import type { ScheduleSpec } from '../../spec';
import type { Span } from '../ast';
import { type Call, type Native, type Val, UNKNOWN, native } from '../interpret';
import type { Fx } from '../model';
import { deviate } from '../programParts';
import type { Handler } from './api';

/** A learning rate that changes with the step: its value at step 0 and the schedule (undefined: one the spec cannot say). */
export class ScheduleV implements Native {
  readonly kind = 'learning-rate schedule';
  constructor(readonly initial: number, readonly schedule: ScheduleSpec | undefined, readonly span: Span, readonly initialSpan?: Span) {}
}

const num = (v: Val | undefined): number | undefined => (v?.t === 'num' ? v.v : undefined);
const nums = (v: Val | undefined): number[] | undefined => {
  if (v?.t !== 'list') return undefined;
  const out = v.items.map(num);
  return out.every((x) => x !== undefined) ? (out as number[]) : undefined;
};
const bool = (v: Val | undefined): boolean => v?.t === 'bool' && v.v;

/** `tf.train.exponential_decay(lr, global_step, decay_steps, decay_rate, staircase)` (TF1: the step is the second argument). */
export const exponentialDecay = (tf1: boolean): Handler => (call, fx) => {
  const lrA = call.arg(0, 'learningrate', 'initiallearningrate');
  const lr = num(lrA?.v);
  const steps = num(call.arg(tf1 ? 2 : 1, 'decaysteps')?.v);
  const rate = num(call.arg(tf1 ? 3 : 2, 'decayrate')?.v);
  const staircase = bool(call.arg(tf1 ? 4 : 3, 'staircase')?.v);
  if (lr === undefined || lr <= 0) return unreadable(call, fx);
  if (steps === undefined || rate === undefined || !Number.isInteger(steps) || steps < 1 || rate <= 0) {
    deviate(fx.session, call.expr, `could not read this schedule's decay: the run keeps the learning rate at ${lr}`);
    return native(new ScheduleV(lr, undefined, call.expr, lrSpan(lrA)));
  }
  return native(new ScheduleV(lr, { type: 'exponential', decaySteps: steps, decayRate: rate, ...(staircase ? { staircase } : {}) }, call.expr, lrSpan(lrA)));
};

/** `tf.train.piecewise_constant(global_step, boundaries, values)`, Keras `PiecewiseConstantDecay(boundaries, values)`. */
export const piecewise = (tf1: boolean): Handler => (call, fx) => {
  const b = nums(call.arg(tf1 ? 1 : 0, 'boundaries')?.v);
  const v = nums(call.arg(tf1 ? 2 : 1, 'values')?.v);
  if (!b || !v || v.length !== b.length + 1 || v.some((x) => x <= 0) || b.some((x, i) => !Number.isInteger(x) || x < 0 || (i > 0 && x <= b[i - 1]))) return unreadable(call, fx);
  return native(new ScheduleV(v[0], { type: 'piecewise', boundaries: b, values: v }, call.expr));
};

/** A schedule the spec cannot say: its initial learning rate, with a deviation. */
export const otherSchedule: Handler = (call, fx) => {
  const lrA = call.arg(0, 'learningrate', 'initiallearningrate');
  const lr = num(lrA?.v);
  if (lr === undefined || lr <= 0) return unreadable(call, fx);
  deviate(fx.session, call.expr, `this schedule (${call.written.split('.').pop()}) is not one Gradient Lens runs: the run keeps the learning rate at its initial ${lr}`);
  return native(new ScheduleV(lr, undefined, call.expr, lrSpan(lrA)));
};

function unreadable(call: Call, fx: Fx): Val {
  fx.note(call.expr, `could not read this learning-rate schedule (${fx.src(call.expr)})`);
  return UNKNOWN;
}

const lrSpan = (a: { v: Val; expr: { k: string } & Span } | undefined): Span | undefined => (a && a.expr.k === 'num' ? a.expr : undefined);

/** The schedule handlers by normalised name (TF1 `tf.train.*` when `tf1`, else Keras `optimizers.schedules.*`). */
export function scheduleHandler(n: string, tf1: boolean): Handler | undefined {
  if (n === 'exponentialdecay') return exponentialDecay(tf1);
  if (n === 'piecewiseconstant' || n === 'piecewiseconstantdecay') return piecewise(tf1);
  if (['inversetimedecay', 'polynomialdecay', 'cosinedecay', 'cosinedecayrestarts', 'naturalexpdecay', 'noisylinearcosinedecay', 'lineardecay'].includes(n)) return otherSchedule;
  return undefined;
}
