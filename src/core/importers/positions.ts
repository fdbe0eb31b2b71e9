// UTF-16 offsets (lezer, jsonc-parser) to 1-based line/column ranges (what findings and the CLI print;
// VS Code positions are these minus one). Line breaks: \n, \r\n and a lone \r, as VS Code counts them.
import type { Span } from './ast';
import type { SourceRange } from './types';

export class LineMap {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      } else if (c === 10) this.starts.push(i + 1);
    }
  }

  position(offset: number): { line: number; column: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - this.starts[lo] + 1 };
  }

  range(span: Span): SourceRange {
    const a = this.position(span.from);
    const b = this.position(Math.max(span.from, span.to));
    return { line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }

  /** The offset of a 1-based position (clamped into the text). */
  offset(line: number, column: number): number {
    const l = Math.max(1, Math.min(line, this.starts.length));
    return Math.min(this.text.length, this.starts[l - 1] + Math.max(0, column - 1));
  }
}
