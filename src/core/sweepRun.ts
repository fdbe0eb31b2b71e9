// A sweep with diagnostics, summarised per variant as the CLI's `train --sweep KIND --json` prints it: the variants
// trained together (sweep.ts), each fed to its own diagnostics engine, unchanged (the engine sees one run's probes,
// as in run.ts). Shared by the CLI and bench/sweep.ts.
import type { BackendInfo, TrainingEvent } from './events';
import type { ProbeReport } from './diagnostics/types';
import { classShares } from './mnist';
import { parameterCount } from './spec';
import { startDiagnostics, type ThreadedDiagnostics } from './diagnostics/engineThread';
import { DEFAULT_PROBE_EVERY } from './trainer';
import { trainTogether, type SweepLayout } from './sweep';
import type { SweepVariant } from './sweeps';
import { type RunOptions, type RunSummary, attachSources, sortFindings } from './run';

export interface SweepRunOptions extends Omit<RunOptions, 'onEvent' | 'onProbeReport'> {
  onEvent?: (variant: number, e: TrainingEvent) => void;
  onProbeReport?: (variant: number, r: ProbeReport) => void;
  layout?: SweepLayout;
}

export interface SweepSummary {
  /** True: trained in one loop; false: one after another (`reason`). */
  together: boolean;
  reason?: string;
  /** Variants (indices) whose first layers shared one product. */
  groups: number[][];
  backend: BackendInfo['name'];
  backendInfo: BackendInfo;
  /** The whole set's training time (ms): the one loop, or the runs one after another, and the engines' final wait. */
  trainMs: number;
  variants: (RunSummary & { label: string })[];
}

export async function runSweepWithDiagnostics(variants: readonly SweepVariant[], opts: SweepRunOptions): Promise<SweepSummary> {
  const probeEvery = opts.probeEvery ?? DEFAULT_PROBE_EVERY;
  const testClassPrior = classShares(opts.data.test.labels);
  const engines: ThreadedDiagnostics[] = [];
  try {
    for (const [k, v] of variants.entries()) {
      // one engine per variant, on this thread by default: K worker threads would only contend for the cores
      engines.push(startDiagnostics(
        // the program's own cures go to the variant as written: its findings are the file's
        { thresholds: opts.thresholds, testClassPrior, ...(v.asWritten && opts.programFixes ? { programFixes: opts.programFixes } : {}) },
        { onEvent: (e) => opts.onEvent?.(k, e), onReport: (r) => opts.onProbeReport?.(k, r) },
        { thread: probeEvery > 0 ? (opts.diagnosticsThread ?? false) : false, parameters: parameterCount(v.spec) },
      ));
    }
    const result = await trainTogether(variants.map((v) => v.spec), {
      backend: opts.backend, data: opts.data, probeEvery, evalEvery: opts.evalEvery ?? 0, shuffle: opts.shuffle,
      signal: opts.signal, layout: opts.layout,
      onEvent: (k, e) => engines[k].event(e),
      onProbe: (k, p) => engines[k].probe(p),
    });
    const t0 = performance.now();
    const findings = await Promise.all(result.variants.map((r, k) => engines[k].end(r.end, r.finalEval)));
    const drainMs = performance.now() - t0;
    return {
      together: result.together,
      ...(result.reason ? { reason: result.reason } : {}),
      groups: result.groups,
      backend: opts.backend.info.name,
      backendInfo: opts.backend.info,
      trainMs: Math.round(result.trainMs + drainMs),
      variants: result.variants.map((r, k) => ({
        label: variants[k].label,
        spec: variants[k].spec,
        backend: opts.backend.info.name,
        backendInfo: opts.backend.info,
        steps: r.end.steps,
        stopped: r.end.stopped,
        testAccuracy: r.end.testAccuracy,
        testLoss: r.end.testLoss,
        trainMs: Math.round(r.end.trainMs),
        probeMs: Math.round(r.end.probeMs),
        evalMs: Math.round(r.end.evalMs),
        predictedCounts: r.finalEval?.predictedCounts ?? [],
        // only the variant as written is the file's program: the others' findings would describe code that is not there
        findings: sortFindings(attachSources(findings[k], variants[k].asWritten ? opts.source : undefined)),
      })),
    };
  } finally {
    for (const e of engines) e.close();
  }
}
