// The program parts read from a file (programParts.ts) as the importer's result: the spec's `data`, `objective`
// and update extras, the layer extras (bias, dropout, kernel regulariser), the sites findings land on, the cures
// with their edits as ranges, the deviations as warnings, and the framework errors as `framework-error` findings.
import type { Finding } from '../findings';
import type { Span } from './ast';
import type { Interpretation, LayerRec } from './model';
import { type ProgramParts, type SpanEdit, type TrainData } from './programParts';
import type { LineMap } from './positions';
import type { ImportNote, ImportResult, ProgramFix, ProgramSites, SourceLanguage } from './types';

/**
 * Edits that scale the pixels to [0, 1] in the file's idiom, where they are loaded (else where they are fed). Bytes the
 * program read itself are scaled wherever they become float pixels of the training images' width (`floatPixels`: the
 * test images too, which the program would otherwise test raw).
 */
export function dataFixEdits(text: string, language: SourceLanguage, d: TrainData, floatPixels: readonly { span: Span; width?: number }[] = []): SpanEdit[] | undefined {
  if (d.info.madeFloat) {
    const width = floatPixels.find((f) => f.span.from === d.info.load.from && f.span.to === d.info.load.to)?.width;
    const spans = [d.info.load, ...floatPixels.filter((f) => f.width === width && !(f.span.from === d.info.load.from && f.span.to === d.info.load.to)).map((f) => f.span)];
    const seen = new Set<number>();
    const edits: SpanEdit[] = [];
    for (const span of spans.sort((a, b) => a.from - b.from)) {
      if (seen.has(span.from) || edits.some((e) => span.from < e.span.to && e.span.from < span.to)) continue;
      seen.add(span.from);
      const e = scaleEdit(text, language, span);
      if (!e) return undefined;
      edits.push(e);
    }
    return edits;
  }
  return loadOrFedEdits(text, language, d);
}

function loadOrFedEdits(text: string, language: SourceLanguage, d: TrainData): SpanEdit[] | undefined {
  const load = d.info.load;
  const lineStart = text.lastIndexOf('\n', load.from - 1) + 1;
  let lineEnd = text.indexOf('\n', load.to);
  if (lineEnd < 0) lineEnd = text.length;
  const line = text.slice(lineStart, lineEnd);
  // `(x_train, y_train), (x_test, y_test) = mnist.load_data()`: both splits scaled on the next line.
  const m = /^(\s*)\(\s*([A-Za-z_]\w*)\s*,\s*[A-Za-z_]\w*\s*\)\s*,\s*\(\s*([A-Za-z_]\w*)\s*,\s*[A-Za-z_]\w*\s*\)\s*=.*load_data\s*\(/.exec(line);
  if (m && language !== 'tfjs') {
    const [, indent, xtr, xte] = m;
    return [{ span: { from: lineEnd, to: lineEnd }, newText: `\n${indent}${xtr}, ${xte} = ${xtr} / 255.0, ${xte} / 255.0` }];
  }
  const e = scaleEdit(text, language, d.fed);
  return e ? [e] : undefined;
}

/** `expr` divided by 255 in the file's idiom (tfjs `.div(255)`; Python `/ 255.0`, parenthesised where needed). */
function scaleEdit(text: string, language: SourceLanguage, span: Span): SpanEdit | undefined {
  const fed = text.slice(span.from, span.to);
  if (!fed.trim()) return undefined;
  if (language === 'tfjs') return { span, newText: /^[\w.$\]\[)]+$/.test(fed) ? `${fed}.div(255)` : `(${fed}).div(255)` };
  // a division followed by `.reshape(…)`, `[i]` or a call is wrapped whole
  const after = text.slice(span.to).match(/^\s*(\S)/)?.[1];
  const simple = /^[\w.\]\[]+$/.test(fed) || /^[\w.]+(\([^()]*\))?(\.\w+\([^()]*\))*$/.test(fed);
  const divided = simple ? `${fed} / 255.0` : `(${fed}) / 255.0`;
  return { span, newText: after === '.' || after === '[' || after === '(' ? `(${divided})` : divided };
}

/** The raw layer extras of `l` (spec keys), and the deviation when the last layer has dropout. */
export function layerExtras(l: LayerRec, last: boolean, deviation: (span: Span, message: string) => void): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!l.useBias) out.useBias = false;
  if (l.dropout) {
    if (last) deviation(l.dropout.span, 'dropout on the output layer\'s output is not something Gradient Lens runs: the run trains without it');
    else out.dropout = Number(l.dropout.rate.toPrecision(12));
  }
  if (l.kernelRegularizer && (l.kernelRegularizer.l1 || l.kernelRegularizer.l2)) out.kernelRegularizer = { ...l.kernelRegularizer };
  return out;
}

/** Fills `result.program`, `programFixes` and `deviations` from the parts read. */
export function programResult(parts: ProgramParts, lines: LineMap, result: ImportResult, extraDeviations: ImportNote[]): void {
  const sites: ProgramSites = {};
  for (const [k, s] of Object.entries(parts.sites) as [keyof ProgramSites, Span | undefined][]) if (s) sites[k] = lines.range(s);
  result.program = sites;
  result.programFixes = parts.fixes.map((f): ProgramFix => ({ fix: f.fix, edits: f.edits.map((e) => ({ range: lines.range(e.span), newText: e.newText })) }));
  result.deviations = [...parts.deviations.map((d): ImportNote => ({ range: lines.range(d.span), message: d.message, severity: 'warning' })), ...extraDeviations];
}

/** `framework-error` findings: lines that raise in TensorFlow (the file is not trained). */
export function frameworkErrors(parts: ProgramParts, lines: LineMap, fileName: string): Finding[] {
  return parts.errors.map((e) => {
    const r = lines.range(e.span);
    return {
      code: 'framework-error', severity: 'error', layer: -1, firstStep: 0,
      message: `line ${r.line} raises in TensorFlow: ${e.message}. Gradient Lens does not train a program that fails before its first step.`,
      evidence: { line: r.line }, fixes: [],
      source: { file: fileName, line: r.line, column: r.column, endLine: r.endLine, endColumn: r.endColumn },
    };
  });
}

export type { Interpretation };
