// One training run with diagnostics, summarised as the CLI's --json result (docs/design.md, "Command line"). Shared by the CLI and the
// benchmarks (the extension's training process drives the same pieces and streams them instead).
import type { LoadedBackend } from './backend';
import type { BackendInfo, EndEvent, TrainingEvent } from './events';
import type { Finding, Fix } from './findings';
import { type MnistData, classShares } from './mnist';
import { type ModelSpec, parameterCount } from './spec';
import type { ProbeReport } from './diagnostics/types';
import type { LayerSource, ProgramSites } from './importers/types';
import { programSite } from './diagnostics/programFindings';
import { withUpstreamLine } from './diagnostics/causes';
import { startDiagnostics } from './diagnostics/engineThread';
import { train, DEFAULT_PROBE_EVERY } from './trainer';
import { SEVERITY_ORDER } from './findings';

export interface RunOptions {
  backend: LoadedBackend;
  data: MnistData;
  probeEvery?: number;
  evalEvery?: number;
  shuffle?: boolean;
  thresholds?: Record<string, number>;
  signal?: AbortSignal;
  onEvent?: (e: TrainingEvent) => void;
  onProbeReport?: (r: ProbeReport) => void;
  /** Source file the spec came from and its layers' positions: findings about a layer get `source`. */
  source?: { file: string; layers: LayerSource[]; program?: ProgramSites };
  /** The diagnostics engine on a worker thread (default: a second core and a model that is not small; engineThread.ts). */
  diagnosticsThread?: boolean;
  /** The cures the importer wrote edits for (ImportResult.programFixes' fixes): the program's findings offer those (DiagnosticsOptions.programFixes). */
  programFixes?: Fix[];
  /** TrainerOptions.uploadAhead (false: in-order batches uploaded at first use, for a sooner first step). */
  uploadAhead?: boolean;
}

/** The CLI's `--json` object (docs/design.md, "Command line"): the end event's figures (times rounded to ms) plus spec, backend and findings. */
export interface RunSummary extends Pick<EndEvent, 'steps' | 'stopped' | 'testAccuracy' | 'testLoss' | 'trainMs' | 'probeMs' | 'evalMs'> {
  spec: ModelSpec;
  backend: BackendInfo['name'];
  backendInfo: BackendInfo;
  /** Final test-set predictions per class. */
  predictedCounts: number[];
  findings: Finding[];
}

export function attachSources(findings: Finding[], source: RunOptions['source']): Finding[] {
  if (!source) return findings;
  return findings.map((f) => {
    const layer = source.layers.find((s) => s.layer === f.layer);
    const range = layer ? (layer.weights ?? layer.definition) : f.layer < 0 ? programSite(f.code, source.program) : undefined;
    const upstream = typeof f.evidence.upstreamLayer === 'number' ? source.layers.find((s) => s.layer === f.evidence.upstreamLayer) : undefined;
    const g = upstream ? { ...f, message: withUpstreamLine(f.message, (upstream.weights ?? upstream.definition).line) } : f;
    if (!range) return g;
    return { ...g, source: { file: source.file, line: range.line, column: range.column, endLine: range.endLine, endColumn: range.endColumn } };
  });
}

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.layer - b.layer || a.code.localeCompare(b.code));
}

export async function runWithDiagnostics(spec: ModelSpec, opts: RunOptions): Promise<RunSummary> {
  // The engine measures each probe beside the training loop (a worker thread where there is a second core and the
  // model is not small; none without probes); events and probe reports still arrive in the order the training
  // produced them.
  const probeEvery = opts.probeEvery ?? DEFAULT_PROBE_EVERY;
  const diagnostics = startDiagnostics(
    { thresholds: opts.thresholds, testClassPrior: classShares(opts.data.test.labels), ...(opts.programFixes ? { programFixes: opts.programFixes } : {}) },
    { onEvent: opts.onEvent, onReport: opts.onProbeReport },
    { thread: probeEvery > 0 ? opts.diagnosticsThread : false, parameters: parameterCount(spec) },
  );
  let result: Awaited<ReturnType<typeof train>>;
  let finalFindings: Finding[];
  try {
    result = await train(spec, {
      backend: opts.backend,
      data: opts.data,
      probeEvery,
      evalEvery: opts.evalEvery ?? 0,
      shuffle: opts.shuffle,
      signal: opts.signal,
      ...(opts.uploadAhead === false ? { uploadAhead: false } : {}),
      onEvent: (e) => diagnostics.event(e),
      onProbe: (p) => diagnostics.probe(p),
    });
    finalFindings = await diagnostics.end(result.end, result.finalEval);
  } finally {
    diagnostics.close();
  }
  const findings = sortFindings(attachSources(finalFindings, opts.source));
  return {
    spec,
    backend: opts.backend.info.name,
    backendInfo: opts.backend.info,
    steps: result.end.steps,
    stopped: result.end.stopped,
    testAccuracy: result.end.testAccuracy,
    testLoss: result.end.testLoss,
    trainMs: Math.round(result.end.trainMs),
    probeMs: Math.round(result.end.probeMs),
    evalMs: Math.round(result.end.evalMs),
    predictedCounts: result.finalEval?.predictedCounts ?? [],
    findings,
  };
}
