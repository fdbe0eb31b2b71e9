// Messages between the extension host and the training process (a forked Node process running
// dist/worker.js). Everything is JSON over Node IPC. Names carry the direction: *Command goes
// host → training process, *Notification goes training process → host. Every inbound message is
// `unknown` until its guard accepts it.
import type { TrainingEvent, BackendRequest } from '../core/events';
import type { ProbeReport } from '../core/diagnostics/types';
import type { Finding, Fix } from '../core/findings';
import type { ImportResult, LayerSource, ProgramSites } from '../core/importers/types';
import { isFix } from './webview';

export interface TrainOptions {
  backend: BackendRequest;
  /** Folder of MNIST IDX files (raw or .gz); undefined = the embedded copy. */
  dataDir?: string;
  probeEvery: number;
  evalEvery: number;
  /** Detector threshold overrides (gradientLens.thresholds.*). */
  thresholds?: Record<string, number>;
  shuffle?: boolean;
  /**
   * The source file the spec was imported from and its layers' positions: findings get `source`. With `program`
   * (where the program's parts are written) and `programFixes` (the cures the reader wrote edits for), the run's
   * program findings (unscaled-input, unstable-loss, output-loss-mismatch…) land on the scaling / loss line and
   * offer the program's own fixes instead of spec-level ones.
   */
  source?: TrainSource;
  /** Where @tensorflow/tfjs-node is installed (gradientLens.nativeBackendPath, or the set-up's folder in global storage); undefined: next to the bundle. */
  nativeBackendPath?: string;
  /** TensorFlow intra-op threads (gradientLens.trainingProcess.threads); 0 or undefined: the measured rule. */
  nativeThreads?: number;
}

export interface TrainSource {
  file: string;
  layers: LayerSource[];
  program?: ProgramSites;
  programFixes?: Fix[];
}

/** The most program fixes a run is given (a reader writes a handful). */
export const MAX_PROGRAM_FIXES = 32;

/** What a run of a file is told about its source (the reader's result for `file`): layers, program sites, program fixes. */
export function trainSourceOf(file: string, imported: Pick<ImportResult, 'layers' | 'program' | 'programFixes'>): TrainSource {
  return {
    file, layers: imported.layers,
    ...(imported.program ? { program: imported.program } : {}),
    ...(imported.programFixes ? { programFixes: imported.programFixes.slice(0, MAX_PROGRAM_FIXES).map((p) => p.fix) } : {}),
  };
}
const PROGRAM_SITE_KEYS = ['input', 'loss', 'outputActivation', 'reduction', 'loop', 'optimizer'];

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

/** Most variants one startSweep trains (the editor's sweeps have at most six). */
export const MAX_SWEEP_VARIANTS = 8;

/**
 * Trains the variants of a sweep together, in this one process and one training loop (core/sweep.ts; one after
 * another inside the process where they cannot be batched identically, and the `sweep` notification says why).
 * Every message about a variant carries its own runId, so the host and the panel see ordinary runs. A stopTraining
 * with any of these runIds stops the whole sweep: the variants share one loop.
 */
export interface StartSweepCommand {
  type: 'startSweep';
  /** One distinct runId per variant, 1 to MAX_SWEEP_VARIANTS. */
  runIds: string[];
  /** Unvalidated specs, one per runId; a bad one is an error event of its variant, the others train. */
  specs: unknown[];
  /** What each variant changes, for people ("as written (zeros)", "He normal"), one per runId. */
  labels: string[];
  /** Index of the variant as written: only its findings get `options.source`; -1 or absent: none. */
  asWritten?: number;
  options: TrainOptions;
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

export type HostToTrainerMessage = StartTrainingCommand | StopTrainingCommand | StartSweepCommand | PrepareCommand;

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

/**
 * How a startSweep trains its variants: sent before the first step (`together`, `reason`) and again when the loop
 * has ended (with `groups`). Carries the first variant's runId; outside TrainerToHostMessage (not for the panel).
 */
export interface DidSweepNotification {
  type: 'sweep';
  runId: string;
  /** The sweep's variants that train (a variant with a bad spec ended with its error event). */
  runIds: string[];
  /** True: one loop for every variant; false: one after another in this process (`reason` says why). */
  together: boolean;
  reason?: string;
  /** Indices (into runIds) of the variants whose first layers shared one product; once the loop has ended. */
  groups?: number[][];
}

/** Everything the training process may send. */
export type TrainerProcessMessage = TrainerToHostMessage | DidReportStatusNotification | DidWarnNotification | DidSweepNotification;

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

/** Why options.source's `program` and `programFixes` (optional) are not program sites and fixes, bounded; undefined when they are. */
function programSourceProblem(source: Record<string, unknown>): string | undefined {
  const program = own(source, 'program');
  if (program !== undefined) {
    if (!isObj(program)) return 'options.source.program must be an object of source ranges';
    const extra = Object.keys(program).find((k) => !PROGRAM_SITE_KEYS.includes(k));
    if (extra !== undefined) return `options.source.program has an unknown key "${extra.slice(0, 50)}" (expected ${PROGRAM_SITE_KEYS.join(', ')})`;
    const bad = PROGRAM_SITE_KEYS.find((k) => own(program, k) !== undefined && !isRange(own(program, k)));
    if (bad !== undefined) return `options.source.program.${bad} must be a source range { line, column, endLine, endColumn }`;
  }
  const fixes = own(source, 'programFixes');
  if (fixes !== undefined) {
    if (!Array.isArray(fixes) || fixes.length > MAX_PROGRAM_FIXES) return `options.source.programFixes must be a list of at most ${MAX_PROGRAM_FIXES} fixes`;
    const i = fixes.findIndex((f) => !isFix(f));
    if (i >= 0) return `options.source.programFixes[${i}] is not a fix`;
  }
  return undefined;
}

/**
 * Why `m` is not a HostToTrainerMessage (a short reason for the error event the training process
 * answers it with), or undefined when it is one. Never throws.
 */
export function hostToTrainerProblem(m: unknown): string | undefined {
  if (!isObj(m)) return `a message must be an object, got ${m === null ? 'null' : Array.isArray(m) ? 'an array' : typeof m}`;
  const type = own(m, 'type');
  if (type === 'startSweep') return startSweepProblem(m);
  if (type === 'prepare') {
    const o = own(m, 'options');
    return isObj(o) ? optionsProblem(o) : 'prepare needs an options object';
  }
  if (type !== 'startTraining' && type !== 'stopTraining') return 'unknown message type (expected startTraining, startSweep, stopTraining or prepare)';
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
    const problem = programSourceProblem(source);
    if (problem !== undefined) return problem;
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

/** Why `m` (type startSweep) is not a StartSweepCommand; its options are checked as startTraining's are. */
function startSweepProblem(m: Record<string, unknown>): string | undefined {
  const runIds = own(m, 'runIds');
  if (!Array.isArray(runIds) || runIds.length < 1 || runIds.length > MAX_SWEEP_VARIANTS) return `startSweep needs runIds: an array of 1 to ${MAX_SWEEP_VARIANTS} runIds`;
  if (!runIds.every(isRunId)) return 'startSweep: every runId must be a string of 1 to 100 characters';
  if (new Set(runIds).size !== runIds.length) return 'startSweep: the runIds must be distinct';
  const specs = own(m, 'specs');
  if (!Array.isArray(specs) || specs.length !== runIds.length) return `startSweep needs specs: an array of one spec per runId (${runIds.length})`;
  const labels = own(m, 'labels');
  if (!Array.isArray(labels) || labels.length !== runIds.length || !labels.every((l) => typeof l === 'string' && l.length <= 200)) {
    return `startSweep needs labels: an array of one string of at most 200 characters per runId (${runIds.length})`;
  }
  const asWritten = own(m, 'asWritten');
  if (asWritten !== undefined && !(asWritten === -1 || isCount(asWritten, runIds.length - 1))) return `startSweep: asWritten must be -1 or a variant's index (0 to ${runIds.length - 1})`;
  // The options are a run's: the same checks, and the same reasons, as startTraining's.
  const problem = hostToTrainerProblem({ type: 'startTraining', runId: runIds[0], spec: null, options: own(m, 'options') });
  return problem?.replace(/^startTraining needs/, 'startSweep needs');
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
  if (isObj(m) && m.type === 'sweep') {
    return isRunId(m.runId) && Array.isArray(m.runIds) && m.runIds.length <= MAX_SWEEP_VARIANTS && m.runIds.every(isRunId) && typeof m.together === 'boolean'
      && (m.reason === undefined || (typeof m.reason === 'string' && m.reason.length <= 10_000))
      && (m.groups === undefined || (Array.isArray(m.groups) && m.groups.length <= MAX_SWEEP_VARIANTS
        && m.groups.every((g) => Array.isArray(g) && g.length <= MAX_SWEEP_VARIANTS && g.every((k) => isCount(k, MAX_SWEEP_VARIANTS - 1)))));
  }
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
