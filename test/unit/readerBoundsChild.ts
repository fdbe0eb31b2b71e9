// Runs generated growth cases (readerBoundsCases.ts) through importSource in a process of its own, started
// by readerBounds.test.ts with a heap limit: a case that grows past it kills this process, not the test
// runner. Argument: the indexes of the cases to run (JSON). Prints one JSON line per case as it ends.
import { getHeapStatistics } from 'node:v8';
import { importSource } from '../../src/core/importers/index';
import { growthCases } from './readerBoundsCases';

export interface CaseReport {
  index: number;
  /** What importSource gave: `refused` (with the line and message), `read` (the layers' units), `undefined`, or `threw`. */
  outcome: 'refused' | 'read' | 'invalid' | 'undefined' | 'threw';
  line?: number;
  message?: string;
  units?: number[];
  cpuMs: number;
  wallMs: number;
  /** Heap in use after the call minus before it (after a full GC), and the heap's size after it: bytes. */
  heapGrowth: number;
  heapTotal: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function run(indexes: number[]): void {
  const cases = growthCases();
  for (const index of indexes) {
    const c = cases[index];
    gc?.();
    const before = getHeapStatistics().used_heap_size;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let report: Omit<CaseReport, 'cpuMs' | 'wallMs' | 'heapGrowth' | 'heapTotal'>;
    try {
      const r = importSource(c.file, c.text);
      if (!r) report = { index, outcome: 'undefined' };
      else if (r.refused) report = { index, outcome: 'refused', line: r.refused.range.line, message: r.refused.message };
      else if (r.spec.ok) report = { index, outcome: 'read', units: r.spec.spec.layers.map((l) => l.units) };
      else report = { index, outcome: 'invalid', message: r.spec.problems.map((p) => `${p.path}: ${p.message}`).join('; ') };
    } catch (e) {
      report = { index, outcome: 'threw', message: e instanceof Error ? e.stack ?? e.message : String(e) };
    }
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const after = getHeapStatistics();
    process.stdout.write(`${JSON.stringify({ ...report, cpuMs: (cpu.user + cpu.system) / 1000, wallMs, heapGrowth: after.used_heap_size - before, heapTotal: after.total_heap_size })}\n`);
  }
}

if (require.main === module) run(JSON.parse(process.argv[2] ?? '[]') as number[]);
