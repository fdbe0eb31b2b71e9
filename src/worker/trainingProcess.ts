// Entry of the training process (dist/worker.js), forked by the extension host for each run.
//
// Why a forked Node process and not a worker thread or the extension host itself:
// - A crash in native code (@tensorflow/tfjs-node's libtensorflow) or an out-of-memory abort kills
//   only this process; the extension host — and every other extension in it — survives, and the host
//   reports the exit code / signal and the tail of stderr. A worker_thread shares the process, so a
//   native abort or V8 OOM would take the extension host down with it.
// - Its own V8 heap (sized by gradientLens.trainingProcess.maxMemoryMb), outside the extension host's
//   (Electron's pointer-compressed heap is capped at 4 GB and shared with all extensions).
// - Stop always works: cooperative stop between steps first, SIGKILL when that does not land in time.
// - Every run starts from a clean process: no tfjs state or leaked tensors carry over.
//
// Protocol: src/protocol/training.ts over Node IPC (JSON). One startTraining or startSweep per process; the process
// exits when the run (or the sweep) has ended and its last message is flushed. A sweep's variants train in this one
// process, in one loop (core/sweep.ts): each message carries its variant's runId, and a stop of any variant stops
// the whole sweep. Before the start, at most one `prepare` (a spare the host forked ahead, host/warmTrainer.ts) loads
// MNIST and the backend early, for the run or the sweep to use.
import { performance } from 'node:perf_hooks';
import { type RunOptions, attachSources, runWithDiagnostics } from '../core/run';
import { selectBackend, BackendError, type LoadedBackend } from '../core/backend';
import { loadMnistAsync, DataError, type MnistData } from '../core/mnist';
import { validateSpec, type ModelSpec } from '../core/spec';
import { findPreset } from '../core/presets';
import { problemsText } from '../core/specText';
import { ThresholdError } from '../core/diagnostics/thresholds';
import { checkTrainingMemory } from '../core/memory';
import { own, preview } from '../core/untrusted';
import { fixProblem } from '../core/fixes';
import type { TrainingEvent } from '../core/events';
import { runSweepWithDiagnostics } from '../core/sweepRun';
import { whyNotTogether } from '../core/sweep';
import type { SweepVariant } from '../core/sweeps';
import {
  hostToTrainerProblem,
  isRunId,
  loadKey,
  type HostToTrainerMessage,
  type StartSweepCommand,
  type PrepareCommand,
  type StartTrainingCommand,
  type TrainOptions,
  type TrainerProcessMessage,
  type DidPrepareNotification,
} from '../protocol/training';

/** The run going on; a sweep's `runIds` are all its variants' (runId: the first's). */
let current: { runId: string; abort: AbortController; runIds?: readonly string[] } | undefined;
let started = false;
/** What `prepare` is loading or has loaded, for the run whose options have the same loadKey. */
let ahead: { key: string; data: Promise<MnistData>; backend: Promise<LoadedBackend>; warm: Promise<void>; abort: AbortController } | undefined;

function send(msg: TrainerProcessMessage | DidPrepareNotification): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    try {
      process.send(msg, undefined, {}, () => resolve());
    } catch {
      resolve(); // the channel closed under us: nobody to tell
    }
  });
}

const errorEvent = (runId: string, message: string, kind: string, step?: number): Promise<void> =>
  send({ type: 'event', runId, event: { type: 'error', message, kind, ...(step === undefined ? {} : { step }) } });

function errorKind(e: unknown): string {
  if (e instanceof DataError) return 'data';
  if (e instanceof BackendError) return 'backend';
  if (e instanceof ThresholdError) return 'settings';
  return 'training';
}

const isAbort = (e: unknown): boolean => (e as Error)?.name === 'AbortError';

async function finish(code: number): Promise<void> {
  // Flush, then let the host see a clean exit.
  if (process.connected) process.disconnect();
  process.exitCode = code;
}

/**
 * MNIST and the backend a run trains with, announced to the host as they load (status messages); undefined when
 * the run was stopped meanwhile. Shared by every kind of run this process starts.
 */
async function load(runId: string, options: TrainOptions, signal: AbortSignal): Promise<{ data: MnistData; backend: LoadedBackend } | undefined> {
  const early = ahead && ahead.key === loadKey(options) ? ahead : undefined;
  // Options that differ from what was prepared: loaded anew, as without `prepare` (its status messages have no `ahead`).
  if (early) {
    // Loaded ahead, or still loading (then awaited; a stop aborts that load too). A load that failed ahead is
    // tried again below, so the run reports its own error as it would have without `prepare`.
    signal.addEventListener('abort', () => early.abort.abort(), { once: true });
    const got = async (): Promise<{ data: MnistData; backend: LoadedBackend }> => {
      await send({ type: 'status', runId, phase: 'loadingData', message: 'MNIST (loaded ahead)…', ahead: true });
      const data = await early.data;
      await send({ type: 'status', runId, phase: 'loadingBackend', message: `The TensorFlow.js backend (${options.backend}, loaded ahead)…`, ahead: true });
      const backend = await early.backend;
      await early.warm; // never rejects; a run does not share the backend with the warm-up
      return { data, backend };
    };
    const loaded = await got().catch(() => undefined);
    if (signal.aborted) return undefined;
    if (loaded) return loaded;
  }
  await send({ type: 'status', runId, phase: 'loadingData', message: 'Loading MNIST…' });
  // Asynchronous and abortable: a stop that arrives while the files are read is honoured at once.
  const data = await loadData(options, signal);
  if (signal.aborted) return undefined;
  await send({ type: 'status', runId, phase: 'loadingBackend', message: `Loading the TensorFlow.js backend (${options.backend})…` });
  const backend = await loadBackend(options);
  if (signal.aborted) return undefined;
  return { data, backend };
}

/** The MNIST the options name (their data folder, else the embedded copy): for a run, or ahead of one. */
const loadData = (options: TrainOptions, signal: AbortSignal): Promise<MnistData> => loadMnistAsync(options.dataDir || undefined, signal);
/** The backend the options name: for a run, or ahead of one. */
const loadBackend = (options: TrainOptions): Promise<LoadedBackend> => selectBackend(options.backend, {}, { nativePath: options.nativeBackendPath, threads: options.nativeThreads });

/** The memory estimate of a spec on the loaded backend: a warning with the figures (the run goes on). */
async function warnIfTooBig(runId: string, spec: ModelSpec, backend: LoadedBackend, options: TrainOptions): Promise<void> {
  const mem = checkTrainingMemory(spec, backend.info.name, { probing: options.probeEvery > 0, shuffle: options.shuffle });
  if (!mem.ok) await send({ type: 'warning', runId, kind: 'memory', message: mem.message });
}

/**
 * What ends a run or a sweep that threw: nothing more when it was stopped while loading, else an error event for
 * each of its runs (one loop: what ends it ends every variant) at its last step, and the stack on stderr for
 * anything but bad data, a backend that cannot load or bad thresholds.
 */
async function failed(e: unknown, signal: AbortSignal, runs: readonly { runId: string; step: number }[]): Promise<void> {
  if (isAbort(e) && signal.aborted) return finish(0);
  const message = e instanceof Error ? e.message : String(e);
  for (const { runId, step } of runs) await errorEvent(runId, message, errorKind(e), step || undefined);
  if (!(e instanceof DataError || e instanceof BackendError || e instanceof ThresholdError)) process.stderr.write(`${e instanceof Error ? e.stack : message}\n`);
  return finish(1);
}

async function run(cmd: StartTrainingCommand): Promise<void> {
  const { runId, options } = cmd;
  const abort = new AbortController();
  current = { runId, abort };
  let lastStep = 0;
  try {
    // Inside the handler: whatever the spec holds, a bad one is an error event, never a dead process.
    const parsed = validateSpec(cmd.spec);
    if (!parsed.ok) {
      await errorEvent(runId, `invalid model spec: ${problemsText(parsed.problems)}`, 'spec');
      return finish(0);
    }
    const spec = parsed.spec;
    // The program's cures were shape-checked by the guard; here they meet the spec they are for.
    const programFixes = options.source?.programFixes;
    const badFix = programFixes?.map((f, i) => ({ i, problem: fixProblem(f, spec.layers.length) })).find((x) => x.problem !== undefined);
    if (badFix) {
      await errorEvent(runId, `the training process rejected a message from the host: options.source.programFixes[${badFix.i}] is not a fix for this model: ${badFix.problem}`, 'protocol');
      return finish(0);
    }
    const loaded = await load(runId, options, abort.signal);
    if (!loaded) return finish(0);
    const { data, backend } = loaded;
    await warnIfTooBig(runId, spec, backend, options);
    await send({ type: 'status', runId, phase: 'training', message: `Training on ${backend.info.name}…` });
    const summary = await runWithDiagnostics(spec, {
      ...runOptionsOf(options, data, backend, abort.signal),
      ...(programFixes ? { programFixes } : {}),
      // the first step at once: in-order batches are uploaded as the loop first needs them (outside its clock)
      uploadAhead: false,
      onEvent: (event: TrainingEvent) => {
        if (event.type === 'step') lastStep = event.step;
        void send({ type: 'event', runId, event });
      },
      onProbeReport: (report) => {
        void send({ type: 'probe', runId, report: { ...report, findings: attachSources(report.findings, options.source) } });
      },
    });
    await send({ type: 'finished', runId, findings: summary.findings });
    return finish(0);
  } catch (e) {
    return failed(e, abort.signal, [{ runId, step: lastStep }]);
  }
}

/** What a run and a sweep take alike from the host's options. */
function runOptionsOf(options: TrainOptions, data: MnistData, backend: LoadedBackend, signal: AbortSignal): Pick<RunOptions, 'backend' | 'data' | 'probeEvery' | 'evalEvery' | 'shuffle' | 'thresholds' | 'signal' | 'source'> {
  return { backend, data, probeEvery: options.probeEvery, evalEvery: options.evalEvery, shuffle: options.shuffle, thresholds: options.thresholds, signal, source: options.source };
}

/**
 * A sweep (startSweep): its variants validated one by one (a bad spec is that variant's error event), MNIST and
 * the backend loaded once, then every valid variant trained in one loop with one diagnostics engine each
 * (core/sweepRun.ts) — or one after another in this process where they cannot be batched identically, which the
 * `sweep` notification says with the reason. Only the variant as written gets `options.source` on its findings.
 * Stopping any variant stops them all: they share one loop.
 */
async function runSweep(cmd: StartSweepCommand): Promise<void> {
  const { options } = cmd;
  const abort = new AbortController();
  current = { runId: cmd.runIds[0], runIds: cmd.runIds, abort };
  const lastStep = new Map<string, number>();
  const trained: { runId: string; variant: SweepVariant }[] = [];
  try {
    for (const [k, raw] of cmd.specs.entries()) {
      const parsed = validateSpec(raw);
      if (!parsed.ok) await errorEvent(cmd.runIds[k], `invalid model spec: ${problemsText(parsed.problems)}`, 'spec');
      else trained.push({ runId: cmd.runIds[k], variant: { label: cmd.labels[k], change: '', asWritten: k === cmd.asWritten, spec: parsed.spec } });
    }
    if (trained.length === 0) return finish(0);
    const ids = trained.map((t) => t.runId);
    current = { runId: ids[0], runIds: cmd.runIds, abort };
    const loaded = await load(ids[0], options, abort.signal);
    if (!loaded) return finish(0);
    const { data, backend } = loaded;
    for (const { runId, variant } of trained) await warnIfTooBig(runId, variant.spec, backend, options);
    const specs = trained.map((t) => t.variant.spec);
    const reason = whyNotTogether(specs, specs[0].data?.shuffle ?? options.shuffle ?? false);
    await send({ type: 'sweep', runId: ids[0], runIds: ids, together: !reason, ...(reason ? { reason } : {}) });
    await send({ type: 'status', runId: ids[0], phase: 'training', message: `Training ${ids.length} variant${ids.length > 1 ? 's' : ''} ${reason ? 'one after another' : 'together'} on ${backend.info.name}…` });
    // The program's cures, for the variant as written (its findings are the file's); those that do not fit it are left out.
    const own = trained.find((t) => t.variant.asWritten)?.variant.spec;
    const programFixes = own ? options.source?.programFixes?.filter((f) => fixProblem(f, own.layers.length) === undefined) : undefined;
    const summary = await runSweepWithDiagnostics(trained.map((t) => t.variant), {
      ...runOptionsOf(options, data, backend, abort.signal),
      ...(programFixes?.length ? { programFixes } : {}),
      onEvent: (k, event: TrainingEvent) => {
        if (event.type === 'step') lastStep.set(ids[k], event.step);
        void send({ type: 'event', runId: ids[k], event });
      },
      onProbeReport: (k, report) => {
        const findings = trained[k].variant.asWritten ? attachSources(report.findings, options.source) : report.findings;
        void send({ type: 'probe', runId: ids[k], report: { ...report, findings } });
      },
    });
    await send({ type: 'sweep', runId: ids[0], runIds: ids, together: summary.together, ...(summary.reason ? { reason: summary.reason } : {}), groups: summary.groups });
    for (const [k, v] of summary.variants.entries()) await send({ type: 'finished', runId: ids[k], findings: v.findings });
    return finish(0);
  } catch (e) {
    return failed(e, abort.signal, trained.map(({ runId }) => ({ runId, step: lastStep.get(runId) ?? 0 })));
  }
}

/** Starts loading MNIST, then the backend, for a run that has not been asked for yet; says when done. */
function prepare(cmd: PrepareCommand): void {
  const { options } = cmd;
  const abort = new AbortController();
  const t0 = performance.now();
  let dataMs = 0;
  const data = loadData(options, abort.signal).then((d) => { dataMs = performance.now() - t0; return d; });
  const backend = data.then(() => loadBackend(options));
  let backendMs = 0;
  const warm = backend.then(async (b) => {
    backendMs = performance.now() - t0 - dataMs;
    await warmUp(b, await data, abort.signal);
  }).catch(() => undefined); // a failed load is reported by `prepared` below and by the run; a failed warm-up only costs time
  ahead = { key: loadKey(options), data, backend, warm, abort };
  Promise.all([backend, warm]).then(
    ([b]) => send({ type: 'prepared', ok: true, backend: b.info.name, dataMs: Math.round(dataMs), backendMs: Math.round(backendMs), warmUpMs: Math.round(performance.now() - t0 - dataMs - backendMs) }),
    // handled here (an unhandled rejection would end the process); the run retries and reports it
    (e: unknown) => send({ type: 'prepared', ok: false, message: e instanceof Error ? e.message : String(e) }),
  );
}

/**
 * Pays a process's one-time costs of the first run ahead (the first use of each kernel, compiling the trainer's and
 * the diagnostics' code): two steps of the seed MLP on 200 training images, with a probe after each, its results
 * thrown away. Measured (docs/performance.md#latency): without it the first step of a run in a fresh process comes
 * ≈ 1 s (tensorflow) to ≈ 1.6 s (wasm) later than in a process that has trained before. Every tensor is disposed;
 * a run's results do not depend on it (test/unit/prepareAhead.test.ts compares them with a cold process's).
 */
async function warmUp(backend: LoadedBackend, data: MnistData, signal: AbortSignal): Promise<void> {
  const parsed = validateSpec({ ...findPreset('seed-mlp-uniform')!.spec, name: 'warm-up', steps: 2, data: { trainExamples: 200 } });
  if (!parsed.ok) return;
  const spec: ModelSpec = parsed.spec;
  await runWithDiagnostics(spec, { backend, data, probeEvery: 1, evalEvery: 0, signal, diagnosticsThread: false });
}

/** The runId to answer a rejected message with: its own (a sweep's first) when it has a usable one, else the current run's. */
function replyRunId(m: unknown): string {
  const id = typeof m === 'object' && m !== null ? own(m, 'runId') : undefined;
  const ids = typeof m === 'object' && m !== null ? own(m, 'runIds') : undefined;
  const first: unknown = Array.isArray(ids) ? ids[0] : undefined;
  return isRunId(id) ? id : isRunId(first) ? first : current?.runId ?? 'unknown';
}

function onMessage(m: unknown): void {
  const problem = hostToTrainerProblem(m);
  if (problem !== undefined) {
    // Every rejected message gets an answer: the host learns why nothing happens.
    process.stderr.write(`training process: rejected a malformed message (${problem}): ${preview(m, 200)}\n`);
    const runId = replyRunId(m);
    const sent = errorEvent(runId, `the training process rejected a message from the host: ${problem}`, 'protocol');
    // A malformed start of the one run this process was forked for ends it, as a bad spec does.
    const type = typeof m === 'object' && m !== null ? own(m, 'type') : undefined;
    if (!started && (type === 'startTraining' || type === 'startSweep') && runId !== 'unknown') {
      started = true;
      void sent.then(() => finish(0));
    }
    return;
  }
  const msg = m as HostToTrainerMessage;
  if (msg.type === 'prepare') {
    if (started || ahead) {
      process.stderr.write(`training process: ignored prepare (${started ? 'a run has started' : 'already prepared'})\n`);
      return;
    }
    prepare(msg);
    return;
  }
  if (msg.type === 'stopTraining') {
    if (current && (current.runId === msg.runId || current.runIds?.includes(msg.runId))) current.abort.abort();
    else if (!started) process.exit(0); // stopped before it started: nothing to flush
    else void errorEvent(msg.runId, `the training process is running ${current?.runId ?? 'another run'}, not ${msg.runId}: stop ignored`, 'protocol');
    return;
  }
  const startId = msg.type === 'startSweep' ? msg.runIds[0] : msg.runId;
  if (started) {
    process.stderr.write(`training process: already running ${current?.runId}; ignored ${msg.type} ${startId}\n`);
    void errorEvent(startId, `the training process already runs ${current?.runId ?? 'a run'} (one run per process): ${msg.type} ${startId} ignored`, 'protocol');
    return;
  }
  started = true;
  if (msg.type === 'startSweep') void runSweep(msg);
  else void run(msg);
}

process.on('message', (m: unknown) => {
  try {
    onMessage(m);
  } catch (e) {
    process.stderr.write(`training process: failed on a message: ${e instanceof Error ? e.stack : String(e)}\n`);
  }
});

// A bug that escapes every handler still ends with an error event, not a silent death.
const fatal = (e: unknown): void => {
  process.stderr.write(`training process: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
  const ids = current?.runIds ?? (current ? [current.runId] : []);
  const done = Promise.all(ids.map((runId) => errorEvent(runId, `internal error in the training process: ${e instanceof Error ? e.message : String(e)}`, 'internal')));
  void done.finally(() => process.exit(1));
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

// The host went away (window closed, extension host restarted): never train for nobody.
process.on('disconnect', () => {
  if (current && !current.abort.signal.aborted) current.abort.abort();
  ahead?.abort.abort();
  setTimeout(() => process.exit(0), 2000).unref();
});

/**
 * `node dist/worker.js --check-native [PATH]`: loads tfjs-node exactly as a run would (from PATH, else
 * next to the bundle), computes one product, and prints one JSON line: { ok, backend, tensorflowVersion,
 * nativePath, threads } or { ok: false, reason, kind }. The set-up command checks an installation with it.
 */
async function checkNative(path: string | undefined): Promise<number> {
  try {
    const { tf, info } = await selectBackend('tensorflow', {}, { nativePath: path });
    const product = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0]);
    if (product !== 11) throw new Error(`[1 2]·[3 4]ᵀ gave ${product}`);
    process.stdout.write(JSON.stringify({ ok: true, backend: info.name, tensorflowVersion: info.tensorflowVersion, nativePath: info.nativePath, threads: info.threads }) + '\n');
    return 0;
  } catch (e) {
    const skipped = e instanceof BackendError ? e.skipped[0] : undefined;
    process.stdout.write(JSON.stringify({ ok: false, reason: skipped?.reason ?? (e instanceof Error ? e.message : String(e)), kind: skipped?.kind ?? 'broken' }) + '\n');
    return 1;
  }
}

if (process.argv[2] === '--check-native') {
  void checkNative(process.argv[3]).then((code) => { process.exitCode = code; });
} else if (!process.send) {
  process.stderr.write('dist/worker.js is the training process of the Gradient Lens extension; it must be forked with an IPC channel\n');
  process.exit(2);
}
