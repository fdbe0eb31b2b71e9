// Shared checks for validating untrusted spec input (spec.ts, specParts.ts): every problem is a JSON path
// and a reason, never a throw.
import { cut, own, preview } from './untrusted';

export interface SpecProblem {
  /** JSON path of the offending value, e.g. `$.layers[0].kernelInitializer.stddev`. */
  path: string;
  message: string;
}

// Every read of the input goes through own(): a key such as "constructor" or "__proto__" in the input
// never reaches Object.prototype, and a string from the input never indexes a table with a prototype.
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const describe = (v: unknown): string => (v === undefined ? 'missing' : `got ${preview(v)}`);
/** -0 → 0: JSON has no −0, so a validated spec stays the same spec after a round trip through JSON. */
export const noNegativeZero = (x: number): number => (x === 0 ? 0 : x);
export const isOneOf = <T extends string>(list: readonly T[], v: unknown): v is T => typeof v === 'string' && (list as readonly string[]).includes(v);
/** JSON path of a key of the object at `path`: `path.name`, or `path["odd key"]` (cut) when the key is not an identifier. */
export const keyPath = (path: string, key: string): string => (/^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(cut(key, 40))}]`);

export function checkKeys(obj: Record<string, unknown>, allowedKeys: readonly string[], path: string, problems: SpecProblem[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowedKeys.includes(key)) problems.push({ path: keyPath(path, key), message: `unknown key (expected one of ${allowedKeys.join(', ')})` });
  }
}

export function positiveInt(v: unknown, path: string, max: number, problems: SpecProblem[]): number | undefined {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    problems.push({ path, message: `must be an integer from 1 to ${max}, ${describe(v)}` });
    return undefined;
  }
  return v;
}


/** A number in [min, max] (or (min, max] with exclusiveMin), or undefined with a problem. */
export function numberIn(v: unknown, path: string, min: number, max: number, problems: SpecProblem[], exclusiveMin = false): number | undefined {
  if (!isFiniteNumber(v) || v < min || v > max || (exclusiveMin && v === min)) {
    problems.push({ path, message: `must be a number ${exclusiveMin ? '>' : '>='} ${min}${max === Infinity ? '' : ` and <= ${max}`}, ${describe(v)}` });
    return undefined;
  }
  return noNegativeZero(v);
}

/** true / false, or undefined with a problem. */
export function bool(v: unknown, path: string, problems: SpecProblem[]): boolean | undefined {
  if (typeof v !== 'boolean') {
    problems.push({ path, message: `must be true or false, ${describe(v)}` });
    return undefined;
  }
  return v;
}
