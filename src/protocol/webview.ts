// Messages between the extension host and the training panel's webview, and the run state both
// sides build from them.
//
// Direction is in the name (GitLens style): *Command goes webview → host, *Notification goes
// host → webview. One constant per message, each with an `is()` guard and a `create()` helper.
// Both sides treat every inbound message as `unknown`: a message the guard rejects is dropped and
// logged, never acted on. Strings from messages are only ever rendered as text.
//
// Flow: the webview posts ReadyCommand → the host answers DidSnapshotNotification (every run so far)
// → then deltas (DidStartRun, DidStartTraining, DidStepBatch, DidEval, DidProbe, DidEndRun), at most
// ~8 flushes per second. Host and webview fold the same notifications into the same RunState with
// `RunStore.apply`, so a snapshot is always exactly what the deltas would have built.
import type { BackendInfo, EndEvent } from '../core/events';
import type { Finding, Fix } from '../core/findings';
import type { Histogram, LayerReport, ProbeReport } from '../core/diagnostics/types';
import type { ModelSpec } from '../core/spec';
import type { TrainerToHostMessage } from './training';

// The webview may import only this layer: the core data shapes it renders are re-exported as types.
export type { Histogram, LayerReport, ProbeReport } from '../core/diagnostics/types';
export type { Finding, Fix, Severity } from '../core/findings';
export type { ModelSpec } from '../core/spec';
export type { EndEvent } from '../core/events';

/**
 * A finding as the panel shows it: the host adds its evidence in words (core evidenceText.ts: "100 of 100 units
 * output 0 on all 256 probe images"), since the webview cannot import core. The raw `evidence` keys stay as they
 * are (the JSON export keeps them; it leaves `evidenceText` out).
 */
export type ShownFinding = Finding & { evidenceText?: string[] };
/** The most sentences, and characters per sentence, of a finding's `evidenceText`. */
export const MAX_EVIDENCE_SENTENCES = 100;
export const MAX_EVIDENCE_SENTENCE = 1000;

// ---------------------------------------------------------------------------------------------
// Run state

export type RunStatus = 'pending' | 'running' | 'finished' | 'stopped' | 'error';
export const RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'finished', 'stopped', 'error'];

/** What the trainer's start event says about a run (numbers and names only). */
export interface RunStartInfo {
  backend: BackendInfo;
  totalSteps: number;
  parameterCount: number;
  probeEvery: number;
  evalEvery: number;
  trainExamples: number;
  testExamples: number;
  probeExamples: number;
}

export interface EvalPoint {
  step: number;
  testLoss: number | null;
  testAccuracy: number;
  /** Test images predicted as each class (length 10). */
  predictedCounts: number[];
  final: boolean;
}

/** One layer of one probe, compacted for the history heat-maps (bin edges live in RunState.layerEdges). */
export interface LayerFrame {
  layer: number;
  gradNorm: number[];
  gradZeros: number;
  weights: number[];
  weightZeros: number;
}

export interface ProbeFrame {
  step: number;
  layers: LayerFrame[];
}

export interface LayerEdges {
  layer: number;
  gradNorm: { scale: 'linear' | 'log10'; edges: number[] };
  weights: { scale: 'linear' | 'log10'; edges: number[] };
}

/** Runs started together as one sweep ("Compare initialisations of W1"): each variant is an ordinary run. */
export interface RunGroup {
  /** The same for every run of the sweep. */
  id: string;
  /** "Compare initialisations of W1 (100 relu)". */
  title: string;
  /** This run's variant: "zeros", "as written (heNormal)". */
  variant: string;
  /** 0-based position of this variant, and how many the sweep has. */
  index: number;
  size: number;
  /** What this variant changes from the first ("W1 (100 relu) kernel: zeros → heNormal"), empty for the first. */
  change: string;
}

export interface RunState {
  runId: string;
  label: string;
  compareWithRunId?: string;
  /** Set when the run is one variant of a sweep. */
  group?: RunGroup;
  /** File the model came from (shown, and used to reveal a finding's source). */
  sourceFile?: string;
  /** Where the run differs from the program as written (the reader's deviations, "line 12: …"): shown at the top. */
  warnings?: string[];
  status: RunStatus;
  /** Error or stop reason. */
  message?: string;
  /** The validated spec from the trainer's start event; until then, the spec the run was asked for (unvalidated). */
  spec?: ModelSpec;
  start?: RunStartInfo;
  /** Host clock, epoch ms. */
  startedAt: number;
  /** Host-measured ms since startedAt at the latest update (so the webview's clock never matters). */
  elapsedMs: number;
  /** Parallel arrays, one entry per training step received (null = non-finite loss). */
  steps: number[];
  loss: (number | null)[];
  batchAccuracy: (number | null)[];
  evals: EvalPoint[];
  layerEdges: LayerEdges[];
  probes: ProbeFrame[];
  latestProbe?: ProbeReport;
  /** Findings that hold now; after the end, the final findings. */
  findings: Finding[];
  end?: EndEvent;
}

/** Bounds that keep a long run's state small enough to post and to keep in webview state. */
export const LIMITS = {
  /** Runs the store keeps (older ended runs are evicted). */
  maxRuns: 8,
  /** Runs a snapshot may carry (above maxRuns: running runs are never evicted). */
  maxSnapshotRuns: 32,
  maxProbeFrames: 400,
  /** State saved with setState (survives a window reload) keeps this many loss points per run. */
  maxPersistedSteps: 4000,
  maxPersistedFrames: 100,
  maxPersistedRuns: 8,
  /** …and all the saved runs together at most this many loss points and probe frames (the size two runs had). */
  maxPersistedTotalSteps: 8000,
  maxPersistedTotalFrames: 200,
  /** An SVG or CSV export larger than this many characters is refused. */
  maxExportChars: 20_000_000,
  /** A PNG export larger than this (as a data: URL) is refused. */
  maxPngChars: 30_000_000,
} as const;

/** A ReLU-family unit active on fewer than this share of probe inputs counts as dead (SageMaker Debugger's DeadRelu rule). */
export const DEAD_ACTIVITY = 0.01;
export const RELU_FAMILY: readonly string[] = ['relu', 'leakyRelu', 'elu', 'selu'];

/** Dead units of a layer report: ReLU-family units with activity below DEAD_ACTIVITY (0 for other activations). */
export function deadUnits(layer: Pick<LayerReport, 'activation' | 'activity'>): number[] {
  if (!RELU_FAMILY.includes(layer.activation)) return [];
  const out: number[] = [];
  layer.activity.forEach((a, i) => { if (a < DEAD_ACTIVITY) out.push(i); });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Validation helpers (no dependencies; shared by both guards)

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max = 10_000): v is string => typeof v === 'string' && v.length <= max;
const isNum = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);
const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** JSON turns NaN and ±Infinity into null, so a loss may arrive as null. */
const isNumOrNull = (v: unknown): v is number | null => v === null || isNum(v);
const isInt = (v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const opt = <T>(v: unknown, g: (x: unknown) => x is T): boolean => v === undefined || g(v);
const arrayOf = (v: unknown, g: (x: unknown) => boolean, max = 2_000_000): v is unknown[] => Array.isArray(v) && v.length <= max && v.every(g);
export const isRunId = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9_.:-]{1,100}$/.test(v);

const isInitializer = (v: unknown): boolean => {
  if (isStr(v, 50)) return true;
  if (!isObj(v) || !isStr(v.type, 50)) return false;
  return Object.entries(v).every(([k, x]) => k === 'type' || isFiniteNum(x));
};

/** A structured fix (src/core/findings.ts Fix), shape only: applyFix checks it against the spec. */
export function isFix(v: unknown): v is Fix {
  if (!isObj(v) || !isStr(v.label, 500)) return false;
  switch (v.kind) {
    case 'initializer': return isInt(v.layer, 0, 64) && (v.target === 'kernel' || v.target === 'bias') && isInitializer(v.value);
    case 'activation': return isInt(v.layer, 0, 64) && isStr(v.value, 50);
    case 'learningRate': return isFiniteNum(v.value) && v.value > 0;
    case 'optimizer': return isObj(v.value) && isStr(v.value.type, 50) && isFiniteNum(v.value.learningRate)
      && Object.entries(v.value).every(([k, x]) => k === 'type' || isFiniteNum(x) || isBool(x));
    case 'stableLoss': case 'zeroGrad': return true; // their edits come from the importer, never from the fix
    case 'data': return isObj(v.value) && Object.keys(v.value).length <= 5 && Object.values(v.value).every((x) => isFiniteNum(x) || isBool(x));
    case 'objective': return isObj(v.value) && isStr(v.value.loss, 50) && isStr(v.value.from, 50) && isStr(v.value.reduction, 50)
      && Object.keys(v.value).length <= 7 && opt(v.outputActivation, (x): x is string => isStr(x, 50))
      && Object.entries(v.value).every(([k, x]) => isStr(x, 50) || isBool(x) || isFiniteNum(x) || (k === 'clip' && arrayOf(x, isFiniteNum, 2)));
    case 'layers': return arrayOf(v.changes, (c) => isObj(c) && isInt(c.layer, 0, 64) && Object.keys(c).length <= 4
      && opt(c.kernelInitializer, (x): x is unknown => isInitializer(x)) && opt(c.biasInitializer, (x): x is unknown => isInitializer(x))
      && opt(c.activation, (x): x is string => isStr(x, 50)), 64);
    default: return false;
  }
}

const isEvidenceValue = (v: unknown): boolean => isNumOrNull(v) || isStr(v, 2000) || isBool(v) || arrayOf(v, isNumOrNull, 100_000);

export function isFinding(v: unknown): v is Finding {
  return isObj(v) && isStr(v.code, 100) && (v.severity === 'error' || v.severity === 'warning' || v.severity === 'info')
    && isInt(v.layer, -1, 64) && isInt(v.firstStep) && opt(v.lastStep, (x): x is number => isInt(x))
    && isStr(v.message, 5000) && opt(v.units, (x): x is number[] => arrayOf(x, (u) => isInt(u), 100_000))
    && isObj(v.evidence) && Object.keys(v.evidence).length <= 100 && Object.values(v.evidence).every(isEvidenceValue)
    && arrayOf(v.fixes, isFix, 50)
    && opt(v.evidenceText, (x): x is string[] => arrayOf(x, (t) => isStr(t, MAX_EVIDENCE_SENTENCE), MAX_EVIDENCE_SENTENCES))
    && opt(v.source, (s): s is Obj => isObj(s) && isStr(s.file, 4096) && isInt(s.line, 1) && isInt(s.column, 1));
}

const isHistogram = (v: unknown): v is Histogram => isObj(v) && (v.scale === 'linear' || v.scale === 'log10')
  && arrayOf(v.edges, isNum, 1025) && arrayOf(v.counts, (c) => isInt(c), 1024) && (v.edges as unknown[]).length === (v.counts as unknown[]).length + 1
  && isInt(v.zeros) && isInt(v.nonFinite) && isInt(v.clamped) && isNumOrNull(v.min) && isNumOrNull(v.max);

const isLayerReport = (v: unknown): v is LayerReport => isObj(v) && isInt(v.layer, 0, 64) && isInt(v.units, 1, 100_000)
  && isStr(v.activation, 50) && isHistogram(v.gradNorm) && isHistogram(v.weights)
  && arrayOf(v.activity, isNum, 100_000) && isInt(v.effectiveWidth) && isNumOrNull(v.meanAbsGrad) && isNumOrNull(v.gradNormTotal);

export function isProbeReport(v: unknown): v is ProbeReport {
  return isObj(v) && isInt(v.step) && isNumOrNull(v.loss) && arrayOf(v.layers, isLayerReport, 64) && arrayOf(v.findings, isFinding, 500);
}

const isBackendInfo = (v: unknown): v is BackendInfo => isObj(v) && isStr(v.name, 50) && isStr(v.requested, 50)
  && arrayOf(v.skipped, (s) => isObj(s) && isStr(s.name, 50) && isStr(s.reason, 2000) && (s.kind === undefined || s.kind === 'absent' || s.kind === 'broken'), 10);

/**
 * Whether the panel offers "Set up native backend" for a run: it trains on wasm or cpu because `auto`
 * found tfjs-node missing (`absent`) or not loading (`broken`). The reason is the one the loader gave.
 */
export function nativeSetupOffer(backend: BackendInfo | undefined): { kind: 'absent' | 'broken'; reason: string } | undefined {
  if (!backend || backend.name === 'tensorflow' || backend.requested !== 'auto') return undefined;
  const tf = backend.skipped.find((s) => s.name === 'tensorflow');
  return tf?.kind ? { kind: tf.kind, reason: tf.reason } : undefined;
}

const isStartInfo = (v: unknown): v is RunStartInfo => isObj(v) && isBackendInfo(v.backend)
  && ['totalSteps', 'parameterCount', 'probeEvery', 'evalEvery', 'trainExamples', 'testExamples', 'probeExamples'].every((k) => isInt(v[k]));

const isEvalPoint = (v: unknown): v is EvalPoint => isObj(v) && isInt(v.step) && isNumOrNull(v.testLoss)
  && isFiniteNum(v.testAccuracy) && arrayOf(v.predictedCounts, (c) => isInt(c), 10) && isBool(v.final);

const isEndEvent = (v: unknown): v is EndEvent => isObj(v) && v.type === 'end' && isInt(v.steps) && isBool(v.stopped)
  && isNumOrNull(v.testAccuracy) && isNumOrNull(v.testLoss) && isNum(v.trainMs) && isNum(v.probeMs) && isNum(v.evalMs);

/** Shape check of a model spec as it travels (the host validates specs for real with core's validateSpec). */
const isSpecShape = (v: unknown): v is ModelSpec => isObj(v) && isStr(v.name, 200)
  && arrayOf(v.layers, (l) => isObj(l) && isInt(l.units, 1, 100_000) && isStr(l.activation, 50), 64)
  && isObj(v.optimizer) && isInt(v.batchSize, 1) && isInt(v.steps, 1);

const isGroup = (v: unknown): v is RunGroup => isObj(v) && isRunId(v.id) && isStr(v.title, 500) && isStr(v.variant, 200)
  && isInt(v.index, 0, 64) && isInt(v.size, 1, 64) && (v.index as number) < (v.size as number) && isStr(v.change, 1000);

const isLayerEdges = (v: unknown): v is LayerEdges => isObj(v) && isInt(v.layer, 0, 64)
  && [v.gradNorm, v.weights].every((h) => isObj(h) && (h.scale === 'linear' || h.scale === 'log10') && arrayOf(h.edges, isNum, 1025));

const isLayerFrame = (v: unknown): v is LayerFrame => isObj(v) && isInt(v.layer, 0, 64)
  && arrayOf(v.gradNorm, (c) => isInt(c), 1024) && arrayOf(v.weights, (c) => isInt(c), 1024) && isInt(v.gradZeros) && isInt(v.weightZeros);

/** Full check of a run state (a snapshot from the host, or state restored after a reload). */
export function isRunState(v: unknown): v is RunState {
  if (!isObj(v)) return false;
  return isRunId(v.runId) && isStr(v.label, 500) && opt(v.compareWithRunId, isRunId) && opt(v.group, isGroup) && opt(v.sourceFile, (x): x is string => isStr(x, 4096))
    && opt(v.warnings, (x): x is string[] => arrayOf(x, (w) => isStr(w, 2000), MAX_RUN_WARNINGS))
    && RUN_STATUSES.includes(v.status as RunStatus) && opt(v.message, (x): x is string => isStr(x, 5000))
    && opt(v.spec, isSpecShape) && opt(v.start, isStartInfo) && isFiniteNum(v.startedAt) && isFiniteNum(v.elapsedMs)
    && arrayOf(v.steps, (s) => isInt(s)) && arrayOf(v.loss, isNumOrNull) && arrayOf(v.batchAccuracy, isNumOrNull)
    && (v.steps as unknown[]).length === (v.loss as unknown[]).length && (v.steps as unknown[]).length === (v.batchAccuracy as unknown[]).length
    && arrayOf(v.evals, isEvalPoint, 100_000) && arrayOf(v.layerEdges, isLayerEdges, 64)
    && arrayOf(v.probes, (p) => isObj(p) && isInt(p.step) && arrayOf(p.layers, isLayerFrame, 64), 100_000)
    && opt(v.latestProbe, isProbeReport) && arrayOf(v.findings, isFinding, 500) && opt(v.end, isEndEvent);
}

// ---------------------------------------------------------------------------------------------
// Message constants

export interface MessageType<T extends string, M extends { type: T }> {
  readonly type: T;
  is(m: unknown): m is M;
  create(fields: Omit<M, 'type'>): M;
}

function messageType<M extends { type: string }>(type: M['type'], check: (m: Obj) => boolean): MessageType<M['type'], M> {
  return {
    type,
    is: (m: unknown): m is M => isObj(m) && m.type === type && check(m),
    create: (fields) => ({ type, ...fields }) as M,
  };
}

// Webview → host ---------------------------------------------------------------------------

/** The webview's script has loaded and listens: the host answers with a snapshot. */
export interface ReadyCommandMessage { type: 'ready' }
export const ReadyCommand = messageType<ReadyCommandMessage>('ready', () => true);

/** The Stop button: stop the run between two steps. */
export interface StopTrainingCommandMessage { type: 'stopTraining'; runId: string }
export const StopTrainingCommand = messageType<StopTrainingCommandMessage>('stopTraining', (m) => isRunId(m.runId));

/** "Re-run with this fix": the host accepts only a fix one of the run's findings offered. */
export interface RerunWithFixCommandMessage { type: 'rerunWithFix'; runId: string; fix: Fix }
export const RerunWithFixCommand = messageType<RerunWithFixCommandMessage>('rerunWithFix', (m) => isRunId(m.runId) && isFix(m.fix));

/** Export a run: JSON of the run state (the host builds it), or PNG of the charts (data: a data:image/png;base64 URL). */
export interface ExportRunCommandMessage { type: 'exportRun'; runId: string; format: 'json' | 'png'; data?: string }
export const ExportRunCommand = messageType<ExportRunCommandMessage>('exportRun', (m) => isRunId(m.runId)
  && (m.format === 'json' ? m.data === undefined
    : m.format === 'png' && typeof m.data === 'string' && m.data.length <= LIMITS.maxPngChars && /^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/.test(m.data)));

/** Open the source line of finding `findingIndex` of the run (the host looks the position up itself). */
export interface RevealSourceCommandMessage { type: 'revealSource'; runId: string; findingIndex: number }
export const RevealSourceCommand = messageType<RevealSourceCommandMessage>('revealSource', (m) => isRunId(m.runId) && isInt(m.findingIndex, 0, 499));

/** The header's "Set up native backend" (offered for runs nativeSetupOffer accepts): the host runs the set-up command. */
export interface SetUpNativeBackendCommandMessage { type: 'setUpNativeBackend'; runId: string }
export const SetUpNativeBackendCommand = messageType<SetUpNativeBackendCommandMessage>('setUpNativeBackend', (m) => isRunId(m.runId));

export type SweepKind = 'init' | 'learningRate' | 'activation';
export const SWEEP_KIND_NAMES: Record<SweepKind, string> = { init: 'initialisations', learningRate: 'learning rates', activation: 'activations' };

/** "Compare initialisations / learning rates / activations" of a run (layer: the hidden layer for init and activation). */
export interface StartSweepCommandMessage { type: 'startSweep'; runId: string; kind: SweepKind; layer?: number }
export const StartSweepCommand = messageType<StartSweepCommandMessage>('startSweep', (m) => isRunId(m.runId)
  && (m.kind === 'init' || m.kind === 'learningRate' || m.kind === 'activation') && opt(m.layer, (x): x is number => isInt(x, 0, 63)));

/**
 * Export the comparison of the picked runs (the webview draws it): a PNG (data: URL), an SVG document or a CSV
 * table of every curve. The host checks the format's signature and size and asks where to save it.
 */
export interface ExportComparisonCommandMessage { type: 'exportComparison'; runIds: string[]; format: 'png' | 'svg' | 'csv'; data: string }
export const ExportComparisonCommand = messageType<ExportComparisonCommandMessage>('exportComparison', (m) =>
  arrayOf(m.runIds, isRunId, LIMITS.maxSnapshotRuns) && (m.runIds as unknown[]).length > 0 && new Set(m.runIds as string[]).size === (m.runIds as unknown[]).length
  && typeof m.data === 'string' && (
    (m.format === 'png' && m.data.length <= LIMITS.maxPngChars && /^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/.test(m.data))
    || (m.format === 'svg' && m.data.length <= LIMITS.maxExportChars && /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/.test(m.data) && !/<script|<foreignObject|<[^>]*\son[a-z]+\s*=/i.test(m.data))
    || (m.format === 'csv' && m.data.length <= LIMITS.maxExportChars)));

export type WebviewCommand = ReadyCommandMessage | StopTrainingCommandMessage | RerunWithFixCommandMessage | ExportRunCommandMessage | RevealSourceCommandMessage
  | SetUpNativeBackendCommandMessage | StartSweepCommandMessage | ExportComparisonCommandMessage;
const COMMANDS = [ReadyCommand, StopTrainingCommand, RerunWithFixCommand, ExportRunCommand, RevealSourceCommand, SetUpNativeBackendCommand,
  StartSweepCommand, ExportComparisonCommand] as const;

/** The command a webview message is, or undefined (drop and log it). */
export function parseWebviewCommand(m: unknown): WebviewCommand | undefined {
  for (const c of COMMANDS) if (c.is(m)) return m as WebviewCommand;
  return undefined;
}

// Host → webview ---------------------------------------------------------------------------

/** Every run so far (replaces the webview's state), and the run to show. */
export interface DidSnapshotNotificationMessage { type: 'snapshot'; runs: RunState[]; activeRunId?: string }
export const DidSnapshotNotification = messageType<DidSnapshotNotificationMessage>('snapshot',
  (m) => arrayOf(m.runs, isRunState, LIMITS.maxSnapshotRuns) && opt(m.activeRunId, isRunId));

/** A run was started (before its process reports anything). It becomes the shown run. */
export interface DidStartRunNotificationMessage { type: 'startRun'; run: RunState }
export const DidStartRunNotification = messageType<DidStartRunNotificationMessage>('startRun', (m) => isRunState(m.run));

/** The training process validated the spec, loaded data and backend, and starts stepping. */
export interface DidStartTrainingNotificationMessage { type: 'startTraining'; runId: string; spec: ModelSpec; start: RunStartInfo }
export const DidStartTrainingNotification = messageType<DidStartTrainingNotificationMessage>('startTraining',
  (m) => isRunId(m.runId) && isSpecShape(m.spec) && isStartInfo(m.start));

/** Steps since the previous batch (throttled: ~8 batches per second). */
export interface DidStepBatchNotificationMessage {
  type: 'steps'; runId: string; steps: number[]; loss: (number | null)[]; batchAccuracy: (number | null)[]; elapsedMs: number;
}
export const DidStepBatchNotification = messageType<DidStepBatchNotificationMessage>('steps', (m) => isRunId(m.runId)
  && arrayOf(m.steps, (s) => isInt(s), 1_000_000) && arrayOf(m.loss, isNumOrNull, 1_000_000) && arrayOf(m.batchAccuracy, isNumOrNull, 1_000_000)
  && (m.steps as unknown[]).length === (m.loss as unknown[]).length && (m.steps as unknown[]).length === (m.batchAccuracy as unknown[]).length
  && isFiniteNum(m.elapsedMs));

/** A test-set evaluation. */
export interface DidEvalNotificationMessage { type: 'eval'; runId: string; eval: EvalPoint }
export const DidEvalNotification = messageType<DidEvalNotificationMessage>('eval', (m) => isRunId(m.runId) && isEvalPoint(m.eval));

/** A diagnostics probe: histograms, unit activity and the findings that hold now. */
export interface DidProbeNotificationMessage { type: 'probe'; runId: string; report: ProbeReport }
export const DidProbeNotification = messageType<DidProbeNotificationMessage>('probe', (m) => isRunId(m.runId) && isProbeReport(m.report));

/** The run ended: final numbers and final findings (each optional: a run can fail before it has them). */
export interface DidEndRunNotificationMessage {
  type: 'endRun'; runId: string; status: Exclude<RunStatus, 'pending' | 'running'>; message?: string;
  end?: EndEvent; findings?: Finding[]; elapsedMs: number;
}
export const DidEndRunNotification = messageType<DidEndRunNotificationMessage>('endRun', (m) => isRunId(m.runId)
  && (m.status === 'finished' || m.status === 'stopped' || m.status === 'error') && opt(m.message, (x): x is string => isStr(x, 5000))
  && opt(m.end, isEndEvent) && opt(m.findings, (f): f is Finding[] => arrayOf(f, isFinding, 500)) && isFiniteNum(m.elapsedMs));

export type HostNotification =
  | DidSnapshotNotificationMessage | DidStartRunNotificationMessage | DidStartTrainingNotificationMessage
  | DidStepBatchNotificationMessage | DidEvalNotificationMessage | DidProbeNotificationMessage | DidEndRunNotificationMessage;
const NOTIFICATIONS = [DidSnapshotNotification, DidStartRunNotification, DidStartTrainingNotification, DidStepBatchNotification,
  DidEvalNotification, DidProbeNotification, DidEndRunNotification] as const;

/** The notification a host message is, or undefined (drop and log it). */
export function parseHostNotification(m: unknown): HostNotification | undefined {
  for (const n of NOTIFICATIONS) if (n.is(m)) return m as HostNotification;
  return undefined;
}

/** A short, safe description of a rejected message for logs (never the message itself). */
export function describeRejected(m: unknown): string {
  if (!isObj(m)) return `not an object (${Array.isArray(m) ? 'array' : typeof m})`;
  const type = typeof m.type === 'string' ? JSON.stringify(m.type.slice(0, 40)) : typeof m.type;
  return `type ${type}, keys ${Object.keys(m).slice(0, 10).map((k) => k.slice(0, 30)).join(',')}`;
}

// ---------------------------------------------------------------------------------------------
// The reducer both sides run

/** Warnings a run state carries at most (a file's deviations, each a line). */
export const MAX_RUN_WARNINGS = 50;

export function newRunState(fields: { runId: string; label: string; compareWithRunId?: string; group?: RunGroup; sourceFile?: string; warnings?: string[]; spec?: ModelSpec; startedAt: number }): RunState {
  const run: RunState = {
    runId: fields.runId, label: fields.label, status: 'pending', startedAt: fields.startedAt, elapsedMs: 0,
    steps: [], loss: [], batchAccuracy: [], evals: [], layerEdges: [], probes: [], findings: [],
  };
  if (fields.compareWithRunId !== undefined) run.compareWithRunId = fields.compareWithRunId;
  if (fields.group !== undefined) run.group = fields.group;
  if (fields.sourceFile !== undefined) run.sourceFile = fields.sourceFile;
  if (fields.warnings?.length) run.warnings = fields.warnings.slice(0, MAX_RUN_WARNINGS).map((w) => w.slice(0, 2000));
  if (fields.spec !== undefined) run.spec = fields.spec;
  return run;
}

export function frameOf(report: ProbeReport): ProbeFrame {
  return {
    step: report.step,
    layers: report.layers.map((l) => ({ layer: l.layer, gradNorm: l.gradNorm.counts, gradZeros: l.gradNorm.zeros, weights: l.weights.counts, weightZeros: l.weights.zeros })),
  };
}

/** Halve a history by dropping every other entry (keeps the first and the latest). */
function thin<T>(xs: T[]): T[] {
  return xs.filter((_, i) => i % 2 === 0 || i === xs.length - 1);
}

export class RunStore {
  runs: RunState[] = [];
  activeRunId: string | undefined;

  get(runId: string | undefined): RunState | undefined {
    return runId === undefined ? undefined : this.runs.find((r) => r.runId === runId);
  }

  get active(): RunState | undefined {
    return this.get(this.activeRunId) ?? this.runs[this.runs.length - 1];
  }

  /** Folds one notification into the state. Returns false when it refers to an unknown run (ignored). */
  apply(n: HostNotification): boolean {
    // Runs are copied in: the store mutates its runs, and the notification may still be queued for posting.
    if (n.type === 'snapshot') {
      this.runs = structuredClone(n.runs);
      this.activeRunId = n.activeRunId ?? n.runs[n.runs.length - 1]?.runId;
      return true;
    }
    if (n.type === 'startRun') {
      this.runs = this.runs.filter((r) => r.runId !== n.run.runId);
      this.runs.push(structuredClone(n.run));
      this.activeRunId = n.run.runId;
      this.evict();
      return true;
    }
    const run = this.get(n.runId);
    if (!run) return false;
    switch (n.type) {
      case 'startTraining':
        run.spec = n.spec;
        run.start = n.start;
        if (run.status === 'pending') run.status = 'running';
        break;
      case 'steps':
        for (let i = 0; i < n.steps.length; i++) {
          run.steps.push(n.steps[i]);
          run.loss.push(n.loss[i]);
          run.batchAccuracy.push(n.batchAccuracy[i]);
        }
        run.elapsedMs = n.elapsedMs;
        if (run.status === 'pending') run.status = 'running';
        break;
      case 'eval':
        run.evals = run.evals.filter((e) => e.step !== n.eval.step || e.final !== n.eval.final);
        run.evals.push(n.eval);
        break;
      case 'probe': {
        const r = n.report;
        for (const l of r.layers) {
          if (!run.layerEdges.some((e) => e.layer === l.layer)) {
            run.layerEdges.push({ layer: l.layer, gradNorm: { scale: l.gradNorm.scale, edges: l.gradNorm.edges }, weights: { scale: l.weights.scale, edges: l.weights.edges } });
          }
        }
        run.probes.push(frameOf(r));
        if (run.probes.length > LIMITS.maxProbeFrames) run.probes = thin(run.probes);
        run.latestProbe = r;
        run.findings = r.findings;
        break;
      }
      case 'endRun':
        run.status = n.status;
        if (n.message !== undefined) run.message = n.message;
        if (n.end) run.end = n.end;
        if (n.findings) run.findings = n.findings;
        run.elapsedMs = n.elapsedMs;
        break;
    }
    return true;
  }

  /** Drops the oldest ended runs beyond LIMITS.maxRuns, keeping the active run, the run it compares with and its sweep. */
  private evict(): void {
    while (this.runs.length > LIMITS.maxRuns) {
      const group = this.active?.group?.id;
      const keep = new Set([this.activeRunId, this.active?.compareWithRunId, ...this.runs.filter((r) => group !== undefined && r.group?.id === group).map((r) => r.runId)]);
      const i = this.runs.findIndex((r) => !keep.has(r.runId) && r.status !== 'running' && r.status !== 'pending');
      if (i < 0) break;
      this.runs.splice(i, 1);
    }
  }
}

/**
 * The state worth keeping across a window reload: the runs picked for comparison (else the shown run and
 * the one it compares with), at most LIMITS.maxPersistedRuns, thinned so that all of them together keep
 * at most LIMITS.maxPersistedTotalSteps loss points and maxPersistedTotalFrames probe frames.
 */
export function persistableRuns(store: RunStore, picked?: readonly string[]): { runs: RunState[]; activeRunId?: string; picked?: string[] } {
  const active = store.active;
  if (!active) return { runs: [] };
  const ids = new Set(picked?.filter((id) => store.get(id)) ?? []);
  if (ids.size === 0) {
    const other = store.get(active.compareWithRunId);
    if (other) ids.add(other.runId);
  }
  ids.add(active.runId);
  let chosen = store.runs.filter((r) => ids.has(r.runId));
  if (chosen.length > LIMITS.maxPersistedRuns) chosen = [...chosen.filter((r) => r !== active).slice(-(LIMITS.maxPersistedRuns - 1)), active];
  const maxSteps = Math.min(LIMITS.maxPersistedSteps, Math.floor(LIMITS.maxPersistedTotalSteps / chosen.length));
  const maxFrames = Math.min(LIMITS.maxPersistedFrames, Math.floor(LIMITS.maxPersistedTotalFrames / chosen.length));
  const runs = chosen.map((r) => {
    const copy: RunState = { ...r };
    if (r.steps.length > maxSteps) {
      // Every `every`-th point and the latest: at most maxSteps points (the latest one may add one).
      const every = Math.ceil(r.steps.length / (maxSteps - 1));
      const keep = (_: unknown, i: number) => i % every === 0 || i === r.steps.length - 1;
      copy.steps = r.steps.filter(keep);
      copy.loss = r.loss.filter(keep);
      copy.batchAccuracy = r.batchAccuracy.filter(keep);
    }
    let probes = r.probes;
    while (probes.length > maxFrames) probes = thin(probes);
    copy.probes = probes;
    return copy;
  });
  const out: { runs: RunState[]; activeRunId?: string; picked?: string[] } = { runs, activeRunId: active.runId };
  if (picked) out.picked = runs.map((r) => r.runId).filter((id) => picked.includes(id));
  return out;
}

/** The version of the state the webview saves with setState (main.ts). */
export const PERSISTED_STATE_VERSION = 1;

/** What `revive` may take from the webview's saved state. */
export interface PersistedPanelState { runs: RunState[]; activeRunId?: string; picked?: string[] }

/**
 * The webview's saved state (setState → revive after a window reload) is untrusted: it is whatever the
 * webview stored. Accepted: `{ version?: 1, runs: RunState[], activeRunId?, picked? }` with at most
 * LIMITS.maxPersistedRuns runs, each a valid RunState within the persisted limits (persistableRuns) and
 * with its own runId, all of them within the total limits; an activeRunId that names one of them; picked: the
 * run ids picked for comparison (ids that name none of the runs are dropped). What fails is dropped, and `dropped` says
 * what (for the log). Runs still going when saved are marked interrupted. Never throws; bounded work.
 */
export function parsePersistedState(state: unknown): { state: PersistedPanelState; dropped: string[] } {
  const empty = (why?: string) => ({ state: { runs: [] }, dropped: why ? [why] : [] });
  if (state === undefined || state === null) return empty();
  try {
    if (!isObj(state)) return empty('the saved panel state is not an object');
    const version = state.version;
    if (version !== undefined && version !== PERSISTED_STATE_VERSION) return empty(`the saved panel state has version ${typeof version === 'number' ? version : typeof version}, not ${PERSISTED_STATE_VERSION}`);
    if (state.runs === undefined) return empty();
    if (!Array.isArray(state.runs)) return empty('the saved panel state\'s runs are not a list');
    const dropped: string[] = [];
    const saved = state.runs as unknown[];
    if (saved.length > LIMITS.maxPersistedRuns) dropped.push(`${saved.length - LIMITS.maxPersistedRuns} run(s) beyond the ${LIMITS.maxPersistedRuns} a saved state holds`);
    const runs: RunState[] = [];
    let invalid = 0;
    for (const r of saved.slice(0, LIMITS.maxPersistedRuns)) {
      const ok = isRunState(r) && r.steps.length <= LIMITS.maxPersistedSteps + 1 && r.probes.length <= LIMITS.maxPersistedFrames
        && !runs.some((k) => k.runId === r.runId);
      if (ok) runs.push(r);
      else invalid++;
    }
    if (invalid) dropped.push(`${invalid} invalid run(s)`);
    // All the runs together stay within the totals persistableRuns keeps (the latest runs are kept).
    while (runs.length > 0 && (runs.reduce((n, r) => n + r.steps.length, 0) > LIMITS.maxPersistedTotalSteps + runs.length
      || runs.reduce((n, r) => n + r.probes.length, 0) > LIMITS.maxPersistedTotalFrames)) {
      runs.shift();
      dropped.push('a run beyond the total loss points or probe frames a saved state holds');
    }
    const active = state.activeRunId;
    const activeOk = typeof active === 'string' && runs.some((r) => r.runId === active);
    if (active !== undefined && !activeOk) dropped.push('an activeRunId that names none of its runs');
    let picked: string[] | undefined;
    if (state.picked !== undefined) {
      if (!Array.isArray(state.picked) || state.picked.length > LIMITS.maxPersistedRuns) dropped.push('picked runs that are not a short list');
      else picked = (state.picked as unknown[]).filter((id): id is string => typeof id === 'string' && runs.some((r) => r.runId === id));
    }
    return { state: { runs: markInterrupted(runs), ...(activeOk ? { activeRunId: active } : {}), ...(picked ? { picked } : {}) }, dropped };
  } catch {
    return empty('the saved panel state could not be read');
  }
}

/** After a window reload the training processes are gone: runs that were still going are marked stopped. */
export function markInterrupted(runs: RunState[]): RunState[] {
  return runs.map((r) => (r.status === 'running' || r.status === 'pending'
    ? { ...r, status: 'stopped', message: 'interrupted: the window was reloaded while training' }
    : r));
}

// ---------------------------------------------------------------------------------------------
// Host side: turning the training process's messages into notifications

/**
 * Translates what the training process reports (src/protocol/training.ts) into panel notifications.
 * Steps are held back and released as one DidStepBatch by `flushSteps()` (the panel calls it every
 * 125 ms); any other notification of a run first releases that run's held steps, so order is kept.
 * Pure apart from the injected clock: the panel uses it, and so does the stream recorder of the tests.
 */
export class NotificationFeed {
  private readonly pending = new Map<string, { steps: number[]; loss: (number | null)[]; batchAccuracy: (number | null)[] }>();
  private readonly startedAt = new Map<string, number>();
  private readonly ends = new Map<string, { end?: EndEvent; findings?: Finding[] }>();

  constructor(private readonly clock: () => number = Date.now) {}

  beginRun(run: { runId: string; label: string; spec?: ModelSpec; compareWithRunId?: string; group?: RunGroup; sourceFile?: string; warnings?: string[] }): HostNotification[] {
    const startedAt = this.clock();
    this.startedAt.set(run.runId, startedAt);
    return [DidStartRunNotification.create({ run: newRunState({ ...run, startedAt }) })];
  }

  /** Notifications for one message of the training process (none for steps: they wait for flushSteps). */
  trainerMessage(msg: TrainerToHostMessage): HostNotification[] {
    const runId = msg.runId;
    if (!this.startedAt.has(runId)) return [];
    if (msg.type === 'event' && msg.event.type === 'step') {
      const e = msg.event;
      let p = this.pending.get(runId);
      if (!p) this.pending.set(runId, (p = { steps: [], loss: [], batchAccuracy: [] }));
      p.steps.push(e.step);
      p.loss.push(Number.isFinite(e.loss) ? e.loss : null);
      p.batchAccuracy.push(Number.isFinite(e.batchAccuracy) ? e.batchAccuracy : null);
      return [];
    }
    const out = this.flushSteps(runId);
    if (msg.type === 'probe') {
      out.push(DidProbeNotification.create({ runId, report: msg.report }));
    } else if (msg.type === 'finished') {
      const end = this.ends.get(runId)?.end;
      this.ends.set(runId, { end, findings: msg.findings });
      out.push(this.endNotification(runId, end?.stopped ? 'stopped' : 'finished'));
    } else {
      const e = msg.event;
      switch (e.type) {
        case 'start': {
          const { backend, totalSteps, parameterCount, probeEvery, evalEvery, trainExamples, testExamples, probeExamples } = e;
          out.push(DidStartTrainingNotification.create({ runId, spec: e.spec, start: { backend, totalSteps, parameterCount, probeEvery, evalEvery, trainExamples, testExamples, probeExamples } }));
          break;
        }
        case 'eval':
          out.push(DidEvalNotification.create({
            runId, eval: { step: e.step, testLoss: Number.isFinite(e.testLoss) ? e.testLoss : null, testAccuracy: e.testAccuracy, predictedCounts: e.predictedCounts, final: e.final },
          }));
          break;
        case 'end':
          this.ends.set(runId, { ...this.ends.get(runId), end: e });
          break;
        case 'error':
          out.push(this.endNotification(runId, 'error', e.message));
          break;
      }
    }
    return out;
  }

  /** The run is over (the training process exited, was stopped or failed). */
  endRun(runId: string, outcome: { status: 'finished' | 'stopped' | 'error'; message?: string }): HostNotification[] {
    if (!this.startedAt.has(runId)) return [];
    return [...this.flushSteps(runId), this.endNotification(runId, outcome.status, outcome.message)];
  }

  /** Held steps as DidStepBatch notifications: of one run, or of every run. */
  flushSteps(runId?: string): HostNotification[] {
    const out: HostNotification[] = [];
    for (const [id, p] of this.pending) {
      if (runId !== undefined && id !== runId) continue;
      this.pending.delete(id);
      if (p.steps.length > 0) out.push(DidStepBatchNotification.create({ runId: id, ...p, elapsedMs: this.elapsed(id) }));
    }
    return out;
  }

  get hasPendingSteps(): boolean {
    return this.pending.size > 0;
  }

  private elapsed(runId: string): number {
    return Math.max(0, this.clock() - (this.startedAt.get(runId) ?? this.clock()));
  }

  private endNotification(runId: string, status: 'finished' | 'stopped' | 'error', message?: string): HostNotification {
    const { end, findings } = this.ends.get(runId) ?? {};
    const n = DidEndRunNotification.create({ runId, status, elapsedMs: this.elapsed(runId) });
    if (message !== undefined) n.message = message.slice(0, 5000);
    if (end) n.end = end;
    if (findings) n.findings = findings;
    return n;
  }
}
