// Messages between the extension host and the training process (a forked Node process running
// dist/worker.js). Everything is JSON over Node IPC. Names carry the direction: *Command goes
// host → training process, *Notification goes training process → host. Every inbound message is
// `unknown` until its guard accepts it.
import type { TrainingEvent, BackendRequest } from '../core/events';
import type { ProbeReport } from '../core/diagnostics/types';
import type { Finding } from '../core/findings';
import type { LayerSource } from '../core/importers/types';

export interface TrainOptions {
  backend: BackendRequest;
  /** Folder of MNIST IDX files (raw or .gz); undefined = the embedded copy. */
  dataDir?: string;
  probeEvery: number;
  evalEvery: number;
  /** Detector threshold overrides (gradientLens.thresholds.*). */
  thresholds?: Record<string, number>;
  shuffle?: boolean;
  /** The source file the spec was imported from and its layers' positions: findings get `source`. */
  source?: { file: string; layers: LayerSource[] };
  /** Where @tensorflow/tfjs-node is installed (gradientLens.nativeBackendPath, or the set-up's folder in global storage); undefined: next to the bundle. */
  nativeBackendPath?: string;
  /** TensorFlow intra-op threads (gradientLens.trainingProcess.threads); 0 or undefined: the measured rule. */
  nativeThreads?: number;
}

export interface StartTrainingCommand {
  type: 'startTraining';
  runId: string;
  /** Unvalidated spec; the training process validates it and answers with an error event if bad. */
  spec: unknown;
  options: TrainOptions;
}

export interface StopTrainingCommand {
  type: 'stopTraining';
  runId: string;
}

/**
 * Load ahead (issue 23, latency): a training process forked before anyone asked for a run (host/warmTrainer.ts)
 * starts loading MNIST and the backend these options name, and answers with a `prepared` notification. The run it
 * is later given (startTraining) uses what was loaded when its options name the same data and backend (dataDir,
 * backend, nativeBackendPath, nativeThreads); otherwise it loads anew, as without `prepare`. At most one, and only
 * before startTraining; no runId (no run exists yet).
 */
export interface PrepareCommand {
  type: 'prepare';
  options: TrainOptions;
}

export type HostToTrainerMessage = StartTrainingCommand | StopTrainingCommand | PrepareCommand;

export interface DidEmitEventNotification {
  type: 'event';
  runId: string;
  event: TrainingEvent;
}

export interface DidProbeNotification {
  type: 'probe';
  runId: string;
  report: ProbeReport;
}

export interface DidFinishNotification {
  type: 'finished';
  runId: string;
  /** Final findings (after the last evaluation). */
  findings: Finding[];
}

export type TrainerToHostMessage = DidEmitEventNotification | DidProbeNotification | DidFinishNotification;

/**
 * Start-up progress of the training process (before the `start` event): loading MNIST, loading the
 * backend. Shown in the progress notification only; deliberately outside TrainerToHostMessage, which
 * is what the panel receives.
 */
export interface DidReportStatusNotification {
  type: 'status';
  runId: string;
  phase: 'loadingData' | 'loadingBackend' | 'training';
  message: string;
  /** loadingData / loadingBackend: what a `prepare` loaded ahead is used (already loaded, or still loading and awaited). */
  ahead?: boolean;
}

/**
 * The answer to `prepare`: what it loaded ahead, and how long each part took; or why it could not (the run that
 * comes next then loads anew and reports the error as usual). Outside TrainerProcessMessage: it belongs to no run.
 */
export interface DidPrepareNotification {
  type: 'prepared';
  ok: boolean;
  /** The backend loaded (ok). */
  backend?: string;
  dataMs?: number;
  backendMs?: number;
  /** The throw-away warm-up run after the backend loaded (the first use of each kernel, compiling the trainer). */
  warmUpMs?: number;
  /** Why not (not ok). */
  message?: string;
}

export function isPreparedNotification(m: unknown): m is DidPrepareNotification {
  return isObj(m) && m.type === 'prepared' && typeof m.ok === 'boolean'
    && (m.message === undefined || (typeof m.message === 'string' && m.message.length <= 10_000))
    && (m.backend === undefined || typeof m.backend === 'string')
    && ['dataMs', 'backendMs', 'warmUpMs'].every((k) => m[k] === undefined || typeof m[k] === 'number');
}

/**
 * A warning about the run that is not an error (it goes on): e.g. the spec needs more memory than the
 * backend or the machine has. The host shows it with the figures; outside TrainerToHostMessage too.
 */
export interface DidWarnNotification {
  type: 'warning';
  runId: string;
  /** 'memory' for now. */
  kind: string;
  message: string;
}

/** Everything the training process may send. */
export type TrainerProcessMessage = TrainerToHostMessage | DidReportStatusNotification | DidWarnNotification;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isRunId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 100;
const own = (o: Record<string, unknown>, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
const isCount = (v: unknown, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
const isPath = (v: unknown): boolean => typeof v === 'string' && v.length <= 4096;
const BACKEND_REQUESTS: readonly unknown[] = ['auto', 'tensorflow', 'wasm', 'cpu'];
/** Largest probeEvery / evalEvery (the spec's step limit). */
const MAX_EVERY = 1_000_000;

const isRange = (v: unknown): boolean => isObj(v) && ['line', 'column', 'endLine', 'endColumn'].every((k) => isCount(own(v, k), 10_000_000));
const isLayerSource = (v: unknown): boolean => isObj(v) && isCount(own(v, 'layer'), 64) && isRange(own(v, 'definition'))
  && ['weights', 'bias', 'activation'].every((k) => own(v, k) === undefined || isRange(own(v, k)));

/**
 * Why `m` is not a HostToTrainerMessage (a short reason for the error event the training process
 * answers it with), or undefined when it is one. Never throws.
 */
export function hostToTrainerProblem(m: unknown): string | undefined {
  if (!isObj(m)) return `a message must be an object, got ${m === null ? 'null' : Array.isArray(m) ? 'an array' : typeof m}`;
  const type = own(m, 'type');
  if (type === 'prepare') {
    const o = own(m, 'options');
    return isObj(o) ? optionsProblem(o) : 'prepare needs an options object';
  }
  if (type !== 'startTraining' && type !== 'stopTraining') return 'unknown message type (expected startTraining, stopTraining or prepare)';
  if (!isRunId(own(m, 'runId'))) return 'runId must be a string of 1 to 100 characters';
  if (type === 'stopTraining') return undefined;
  const o = own(m, 'options');
  if (!isObj(o)) return 'startTraining needs an options object';
  return optionsProblem(o);
}

/** Why `o` is not a TrainOptions (startTraining's and prepare's options), or undefined. */
function optionsProblem(o: Record<string, unknown>): string | undefined {
  if (!BACKEND_REQUESTS.includes(own(o, 'backend'))) return 'options.backend must be auto, tensorflow, wasm or cpu';
  if (!isCount(own(o, 'probeEvery'), MAX_EVERY)) return `options.probeEvery must be a whole number from 0 to ${MAX_EVERY}`;
  if (!isCount(own(o, 'evalEvery'), MAX_EVERY)) return `options.evalEvery must be a whole number from 0 to ${MAX_EVERY}`;
  const dataDir = own(o, 'dataDir');
  if (dataDir !== undefined && !isPath(dataDir)) return 'options.dataDir must be a path (a string of at most 4096 characters)';
  const shuffle = own(o, 'shuffle');
  if (shuffle !== undefined && typeof shuffle !== 'boolean') return 'options.shuffle must be true or false';
  const source = own(o, 'source');
  if (source !== undefined) {
    const layers = isObj(source) ? own(source, 'layers') : undefined;
    if (!isObj(source) || !isPath(own(source, 'file')) || !Array.isArray(layers) || layers.length > 64 || !layers.every(isLayerSource)) {
      return 'options.source must be { file, layers } with at most 64 layer positions';
    }
  }
  const nativeBackendPath = own(o, 'nativeBackendPath');
  if (nativeBackendPath !== undefined && !isPath(nativeBackendPath)) return 'options.nativeBackendPath must be a path (a string of at most 4096 characters)';
  const nativeThreads = own(o, 'nativeThreads');
  if (nativeThreads !== undefined && !isCount(nativeThreads, 256)) return 'options.nativeThreads must be a whole number from 0 to 256';
  const thresholds = own(o, 'thresholds');
  if (thresholds !== undefined) {
    if (!isObj(thresholds)) return 'options.thresholds must be an object of numbers';
    const keys = Object.keys(thresholds);
    if (keys.length > 100 || !keys.every((k) => k.length <= 100 && typeof thresholds[k] === 'number' && Number.isFinite(thresholds[k]))) {
      return 'options.thresholds must map at most 100 names to finite numbers';
    }
  }
  return undefined;
}

/** The options that decide what `prepare` loads: a run with the same key can use it. */
export function loadKey(o: TrainOptions): string {
  return JSON.stringify([o.backend, o.dataDir || null, o.nativeBackendPath || null, o.nativeThreads || 0]);
}

export function isHostToTrainerMessage(m: unknown): m is HostToTrainerMessage {
  return hostToTrainerProblem(m) === undefined;
}

const STATUS_PHASES: readonly unknown[] = ['loadingData', 'loadingBackend', 'training'];

export function isTrainerProcessMessage(m: unknown): m is TrainerProcessMessage {
  if (isObj(m) && m.type === 'status') return isRunId(m.runId) && STATUS_PHASES.includes(m.phase) && typeof m.message === 'string' && (m.ahead === undefined || typeof m.ahead === 'boolean');
  if (isObj(m) && m.type === 'warning') return isRunId(m.runId) && typeof m.kind === 'string' && typeof m.message === 'string' && m.message.length <= 10_000;
  return isTrainerToHostMessage(m);
}

export function isTrainerToHostMessage(m: unknown): m is TrainerToHostMessage {
  if (!isObj(m) || !isRunId(m.runId)) return false;
  switch (m.type) {
    case 'event': return isObj(m.event) && typeof m.event.type === 'string';
    case 'probe': return isObj(m.report) && typeof m.report.step === 'number' && Array.isArray(m.report.layers) && Array.isArray(m.report.findings);
    case 'finished': return Array.isArray(m.findings);
    default: return false;
  }
}
