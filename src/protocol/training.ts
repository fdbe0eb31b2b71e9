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

export type HostToTrainerMessage = StartTrainingCommand | StopTrainingCommand;

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
}

/** Everything the training process may send. */
export type TrainerProcessMessage = TrainerToHostMessage | DidReportStatusNotification;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRunId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 100;

export function isHostToTrainerMessage(m: unknown): m is HostToTrainerMessage {
  if (!isObj(m) || !isRunId(m.runId)) return false;
  if (m.type === 'stopTraining') return true;
  if (m.type !== 'startTraining' || !isObj(m.options)) return false;
  const o = m.options;
  return typeof o.backend === 'string' && ['auto', 'tensorflow', 'wasm', 'cpu'].includes(o.backend)
    && typeof o.probeEvery === 'number' && typeof o.evalEvery === 'number'
    && (o.dataDir === undefined || typeof o.dataDir === 'string')
    && (o.shuffle === undefined || typeof o.shuffle === 'boolean')
    && (o.source === undefined || (isObj(o.source) && typeof o.source.file === 'string' && Array.isArray(o.source.layers)))
    && (o.nativeBackendPath === undefined || (typeof o.nativeBackendPath === 'string' && o.nativeBackendPath.length <= 4096))
    && (o.nativeThreads === undefined || (Number.isInteger(o.nativeThreads) && (o.nativeThreads as number) >= 0 && (o.nativeThreads as number) <= 256))
    && (o.thresholds === undefined || (isObj(o.thresholds) && Object.values(o.thresholds).every((v) => typeof v === 'number' && Number.isFinite(v))));
}

const STATUS_PHASES: readonly unknown[] = ['loadingData', 'loadingBackend', 'training'];

export function isTrainerProcessMessage(m: unknown): m is TrainerProcessMessage {
  if (isObj(m) && m.type === 'status') return isRunId(m.runId) && STATUS_PHASES.includes(m.phase) && typeof m.message === 'string';
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
