// The order a person reads findings in (the editor's hover, the Problems view, the CLI): what is wrong before
// what it causes. Severity first; then root causes before findings whose evidence names a cause (an upstream layer,
// a program part); then the mechanism before its consequences (a dead layer before its symmetric units, before the
// collapsed output it leads to).
import type { Finding } from './findings';
import { SEVERITY_ORDER } from './findings';

/** Codes from cause to consequence; unknown codes after these. */
const CAUSAL_RANK: readonly string[] = [
  'framework-error', 'unscaled-input', 'output-loss-mismatch', 'loss-reduction', 'unstable-loss', 'gradient-accumulation',
  'dead-units', 'zero-gradient', 'symmetric-units', 'saturated-units', 'vanishing-gradient', 'exploding-gradient', 'non-finite',
  'collapsed-output', 'loss-plateau', 'poor-init-scale',
];

const rank = (code: string): number => {
  const i = CAUSAL_RANK.indexOf(code);
  return i < 0 ? CAUSAL_RANK.length : i;
};

/** A finding that names its cause elsewhere (evidence `cause` / `upstreamLayer`) is a symptom. */
export function isSymptom(f: Finding): boolean {
  return f.evidence.upstreamLayer !== undefined || (typeof f.evidence.cause === 'string' && f.evidence.cause !== '');
}

export function inCausalOrder<T extends Finding>(findings: readonly T[]): T[] {
  return [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]
    || Number(isSymptom(a)) - Number(isSymptom(b))
    || rank(a.code) - rank(b.code)
    || a.layer - b.layer);
}
