// The diagnostics engine beside the training loop. A probe's numbers are taken on the training thread (the
// probe batch's forward and backward passes, read back); measuring them — the kernel statistics, the
// histograms, the symmetry grouping, the detectors — is pure JS that needs nothing from the backend, about
// half a probe's cost and growing with the weights (≈ 13–20 ns per weight). On a machine with a second core
// it runs on a worker thread (engineWorker.ts), so training goes on while a probe is measured; the engine,
// its inputs and its results are the same as inline (the probe's arrays are copied, never shared).
//
// Order is kept: a probe's report reaches `onReport` exactly where the probe happened among the training
// events, as it did when the engine ran inline — events that come after a probe wait until its report has
// been delivered. `end` resolves with the final findings after every report and event before it.
//
// Inline (no worker) when there is one core, for small models (THREAD_MIN_PARAMETERS), when
// GRADIENT_LENS_DIAGNOSTICS_THREAD=0, when the worker script is not found next to the code, or when asked.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { EndEvent, EvalEvent, ProbeData, TrainingEvent } from '../events';
import type { Finding } from '../findings';
import { DiagnosticsInputError, createDiagnosticsEngine } from './engine';
import type { DiagnosticsOptions, ProbeReport } from './types';
import { resolveThresholds } from './thresholds';

export type ToEngineThread =
  | { type: 'probe'; probe: ProbeData }
  | { type: 'end'; end: EndEvent; finalEval: EvalEvent | undefined };

export type FromEngineThread =
  | { type: 'report'; report: ProbeReport; ms: number }
  | { type: 'findings'; findings: Finding[]; ms: number }
  | { type: 'error'; name: string; message: string };

export interface DiagnosticsSinks {
  /** Every training event, in order, with the probe reports in their places. */
  onEvent?: (e: TrainingEvent) => void;
  onReport?: (r: ProbeReport) => void;
}

export interface ThreadedDiagnostics {
  /** True when the engine runs on a worker thread. */
  readonly threaded: boolean;
  /** A training event: delivered now, or after the reports of the probes taken before it. */
  event(e: TrainingEvent): void;
  /** Hands a probe to the engine (inline: measured now, and an engine error is thrown here). */
  probe(p: ProbeData): void;
  /** The run's final findings, once every probe before it has been measured and its report delivered. */
  end(end: EndEvent, finalEval: EvalEvent | undefined): Promise<Finding[]>;
  /** The engine's own time so far (ms), wherever it ran. */
  engineMs(): number;
  /** Stops the worker (after `end`, or when the run failed); events still waiting are delivered. */
  close(): void;
}

export interface ThreadOptions {
  /** Default: a worker thread when the machine has more than one core, the model has at least THREAD_MIN_PARAMETERS
   *  parameters and the script is found. */
  thread?: boolean;
  /** The model's parameter count (spec.ts parameterCount), for the default. */
  parameters?: number;
  /** The worker script (default: found next to this code, dist/diagnostics.js in the bundles). */
  script?: string;
}

/** dist/diagnostics.js beside the bundles; engineWorker.js beside this file in out/ (1:1 transpiled). */
export function engineWorkerScript(): string | undefined {
  const candidates = [
    join(__dirname, 'diagnostics.js'),
    join(__dirname, 'engineWorker.js'),
    join(__dirname, '..', '..', 'src', 'core', 'diagnostics', 'engineWorker.js'),
    join(__dirname, '..', '..', 'dist', 'diagnostics.js'),
  ];
  return candidates.find((c) => existsSync(c));
}

/**
 * Below this many parameters a probe's measurement is a few milliseconds (≈ 2 ms at the seed MLP's 79,510) and the
 * thread does not pay: on the 2-vCPU machine of docs/performance.md the seed MLP on tensorflow trained at 1.27×
 * PyTorch with the engine inline and at 1.33–1.36× with it on a thread (the two vCPUs share a core); from 784-512-512
 * (669,706) up the thread saves 4–8 %.
 */
export const THREAD_MIN_PARAMETERS = 250_000;

function wantsThread(o: ThreadOptions): boolean {
  if (o.thread !== undefined) return o.thread;
  if (process.env.GRADIENT_LENS_DIAGNOSTICS_THREAD === '0') return false;
  if (o.parameters !== undefined && o.parameters < THREAD_MIN_PARAMETERS) return false;
  return availableParallelism() > 1;
}

/** The arrays of a LayerProbe, the part of a probe that is copied to the thread. */
export const LAYER_ARRAYS = ['weights', 'bias', 'weightGrad', 'biasGrad', 'preActivations', 'outputs'] as const;

/**
 * The probe with its arrays copied into buffers of their own, moved to the thread (not cloned): one copy, where a
 * structured clone makes two (its serialisation and the thread's). The probe's own arrays are not moved: on the cpu
 * backend `dataSync` hands out the tensor's storage itself.
 */
function handOver(p: ProbeData): { probe: ProbeData; transfer: ArrayBuffer[] } {
  if (!Array.isArray(p.layers)) return { probe: p, transfer: [] };
  const transfer: ArrayBuffer[] = [];
  const own = <T extends Float32Array | Uint8Array>(a: T): T => {
    if (!ArrayBuffer.isView(a)) return a;
    const c = a.slice() as T;
    transfer.push(c.buffer as ArrayBuffer);
    return c;
  };
  const layers = p.layers.map((l) => {
    const copy = { ...l };
    for (const k of LAYER_ARRAYS) copy[k] = own(l[k]);
    return copy;
  });
  return { probe: { ...p, layers, labels: own(p.labels) }, transfer };
}

type Slot = { kind: 'event'; e: TrainingEvent } | { kind: 'probe'; report?: ProbeReport; settled: boolean };

export function startDiagnostics(options: DiagnosticsOptions, sinks: DiagnosticsSinks, o: ThreadOptions = {}): ThreadedDiagnostics {
  // Bad thresholds are the user's settings, not a failure of the engine: a ThresholdError here, before training.
  resolveThresholds(options.thresholds);
  const script = wantsThread(o) ? (o.script ?? engineWorkerScript()) : undefined;
  return script ? threaded(script, options, sinks) : inline(options, sinks);
}

function inline(options: DiagnosticsOptions, sinks: DiagnosticsSinks): ThreadedDiagnostics {
  const engine = createDiagnosticsEngine(options);
  let ms = 0;
  return {
    threaded: false,
    event: (e) => sinks.onEvent?.(e),
    probe: (p) => {
      const t0 = performance.now();
      const report = engine.onProbe(p);
      ms += performance.now() - t0;
      sinks.onReport?.(report);
    },
    end: (end, finalEval) => {
      const t0 = performance.now();
      try {
        return Promise.resolve(engine.onEnd(end, finalEval));
      } catch (e) {
        return Promise.reject(e);
      } finally {
        ms += performance.now() - t0;
      }
    },
    engineMs: () => ms,
    close: () => undefined,
  };
}

function threaded(script: string, options: DiagnosticsOptions, sinks: DiagnosticsSinks): ThreadedDiagnostics {
  const worker = new Worker(script, { workerData: { options } });
  const queue: Slot[] = [];
  let ms = 0;
  let failure: Error | undefined;
  let closed = false;
  let pendingEnd: { resolve: (f: Finding[]) => void; reject: (e: Error) => void } | undefined;

  const flush = (): void => {
    while (queue.length > 0) {
      const head = queue[0];
      if (head.kind === 'probe' && !head.settled) return;
      queue.shift();
      if (head.kind === 'event') sinks.onEvent?.(head.e);
      else if (head.report) sinks.onReport?.(head.report);
    }
  };
  const fail = (e: Error): void => {
    if (failure) return;
    failure = e;
    // What is waiting is delivered without the reports that will not come; the run ends with the error.
    for (const s of queue) if (s.kind === 'probe') s.settled = true;
    flush();
    pendingEnd?.reject(e);
    pendingEnd = undefined;
  };

  worker.on('message', (m: FromEngineThread) => {
    if (m.type === 'report') {
      ms += m.ms;
      const slot = queue.find((s): s is Extract<Slot, { kind: 'probe' }> => s.kind === 'probe' && !s.settled);
      if (slot) {
        slot.report = m.report;
        slot.settled = true;
      }
      flush();
    } else if (m.type === 'findings') {
      ms += m.ms;
      flush();
      pendingEnd?.resolve(m.findings);
      pendingEnd = undefined;
    } else {
      const e = m.name === 'DiagnosticsInputError' ? new DiagnosticsInputError(m.message.replace(/^diagnostics: /, '')) : new Error(m.message);
      fail(e);
    }
  });
  worker.on('error', (e) => fail(new Error(`the diagnostics thread failed: ${e instanceof Error ? e.message : String(e)}`)));
  worker.on('exit', (code) => {
    if (!closed) fail(new Error(`the diagnostics thread exited unexpectedly (code ${code})`));
  });

  const post = (m: ToEngineThread): void => {
    try {
      if (m.type === 'probe') {
        const { probe, transfer } = handOver(m.probe);
        worker.postMessage({ type: 'probe', probe }, transfer);
      } else {
        worker.postMessage(m);
      }
    } catch (e) {
      fail(new Error(`the diagnostics thread could not be given the probe: ${e instanceof Error ? e.message : String(e)}`));
    }
  };

  return {
    threaded: true,
    event: (e) => {
      if (queue.length === 0) sinks.onEvent?.(e);
      else queue.push({ kind: 'event', e });
    },
    probe: (p) => {
      if (failure) return;
      queue.push({ kind: 'probe', settled: false });
      post({ type: 'probe', probe: p });
    },
    end: (end, finalEval) => {
      if (failure) return Promise.reject(failure);
      return new Promise<Finding[]>((resolve, reject) => {
        pendingEnd = { resolve, reject };
        post({ type: 'end', end, finalEval });
      });
    },
    engineMs: () => ms,
    close: () => {
      if (closed) return;
      closed = true;
      for (const s of queue) if (s.kind === 'probe') s.settled = true;
      flush();
      void worker.terminate();
    },
  };
}
