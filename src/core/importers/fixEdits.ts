// Every kind of fix the findings offer → the edits that write it into the file (a quick fix's WorkspaceEdit, the
// edit "Fix and re-train" applies): a program fix (`data`, `objective`, `zeroGrad`, `stableLoss`…) → the edits the
// reader wrote for it in the file's idiom (ImportResult.programFixes); a `layers` fix → every layer's edit, all or
// nothing; any other fix → its one edit (fixes.ts fixToEdit). Pure.
import type { Fix, LayerChange } from '../findings';
import { fixKey, fixProblem } from '../fixes';
import { fixToEdit } from './fixes';
import { LineMap } from './positions';
import type { ImportResult, SourceRange, TextEdit } from './types';

/** The single-layer fixes a `layers` fix's change of one layer is made of (kernel, bias, activation). */
function changeFixes(c: LayerChange, label: string): Fix[] {
  const out: Fix[] = [];
  if (c.kernelInitializer !== undefined) out.push({ kind: 'initializer', layer: c.layer, target: 'kernel', value: c.kernelInitializer, label });
  if (c.biasInitializer !== undefined) out.push({ kind: 'initializer', layer: c.layer, target: 'bias', value: c.biasInitializer, label });
  if (c.activation !== undefined) out.push({ kind: 'activation', layer: c.layer, value: c.activation, label });
  return out;
}

const before = (a: SourceRange, line: number, column: number): boolean => a.endLine < line || (a.endLine === line && a.endColumn <= column);
const startsBefore = (a: SourceRange, b: SourceRange): boolean => a.line < b.line || (a.line === b.line && a.column < b.column);

/** An edit's identity: its range and its text (two fixes that write the same edit are one quick fix). */
export const editKey = (e: TextEdit): string => `${e.range.line}:${e.range.column}:${e.range.endLine}:${e.range.endColumn}:${e.newText}`;

/**
 * The edits sorted by position, identical ones once; undefined when two of them overlap (one edit would rewrite
 * what another writes: the text cannot take both, so the fix is not offered as an edit).
 */
export function disjointEdits(edits: readonly TextEdit[]): TextEdit[] | undefined {
  const seen = new Set<string>();
  const unique = edits.filter((e) => {
    const k = editKey(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const sorted = [...unique].sort((a, b) => (startsBefore(a.range, b.range) ? -1 : startsBefore(b.range, a.range) ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1].range;
    if (!before(prev, sorted[i].range.line, sorted[i].range.column)) return undefined;
  }
  return sorted.map((e) => ({ range: { ...e.range }, newText: e.newText }));
}

/**
 * The edits that write `fix` into `text` (the file `result` was read from), or undefined when the file cannot say
 * it: a fix outside the contract, a layer whose initializer is a default or a shared helper's, overlapping edits.
 * A program fix is matched by its identity (fixKey) against the reader's own cures. A `layers` fix is all or
 * nothing: every changed layer's edit, or undefined when one of them cannot be written.
 */
export function fixToEdits(result: ImportResult, text: string, fix: Fix): TextEdit[] | undefined {
  if (fixProblem(fix, result.layers.length) !== undefined) return undefined;
  const key = fixKey(fix);
  const program = result.programFixes?.find((p) => fixKey(p.fix) === key);
  if (program && program.edits.length > 0) return disjointEdits(program.edits);
  if (fix.kind === 'layers') {
    const edits: TextEdit[] = [];
    for (const c of fix.changes) {
      for (const f of changeFixes(c, fix.label)) {
        const e = fixToEdit(result, text, f);
        if (!e) return undefined;
        edits.push(e);
      }
    }
    return edits.length > 0 ? disjointEdits(edits) : undefined;
  }
  const one = fixToEdit(result, text, fix);
  return one ? [{ range: { ...one.range }, newText: one.newText }] : undefined;
}

/** `text` with disjoint `edits` applied (from the last to the first, so earlier ranges stay valid). Throws on overlap. */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = disjointEdits(edits);
  if (!sorted) throw new Error('the edits overlap');
  const lines = new LineMap(text);
  let out = text;
  for (const e of [...sorted].reverse()) {
    out = out.slice(0, lines.offset(e.range.line, e.range.column)) + e.newText + out.slice(lines.offset(e.range.endLine, e.range.endColumn));
  }
  return out;
}
