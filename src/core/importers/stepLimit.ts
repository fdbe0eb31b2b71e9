// A program that takes more training steps than a run may (MAX_STEPS: a DataLoader with PyTorch's default
// batch of 1 over 1000 epochs is 60,000,000 steps) is trained for its first MAX_STEPS steps, with a
// deviation (ImportResult.deviations) that says so, rather than refused as an invalid spec.
import { MAX_STEPS } from '../spec';
import type { ImportNote, SourceRange } from './types';

/** Caps `raw.steps` at MAX_STEPS; the program's own count when it was capped, else undefined. */
export function capSteps(raw: Record<string, unknown>): number | undefined {
  const steps = raw.steps;
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps <= MAX_STEPS) return undefined;
  raw.steps = MAX_STEPS;
  return steps;
}

/** The warning for a capped step count, at the loop (or `fit`) the count comes from. */
export function stepLimitDeviation(programSteps: number, range: SourceRange): ImportNote {
  const n = (x: number): string => x.toLocaleString('en-US');
  const share = (100 * MAX_STEPS) / programSteps;
  const pct = share >= 10 ? share.toFixed(0) : share >= 0.1 ? share.toFixed(1) : share.toPrecision(1);
  return {
    range, severity: 'warning',
    message: `this program takes ${n(programSteps)} training steps, more than the ${n(MAX_STEPS)} a run may take: the first ${n(MAX_STEPS)} are trained (${pct} % of them)`,
  };
}
