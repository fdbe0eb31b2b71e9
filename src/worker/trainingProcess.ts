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
// Protocol: src/protocol/training.ts over Node IPC (JSON). One startTraining per process; the process
// exits when the run has ended and its last message is flushed.
import { attachSources, runWithDiagnostics } from '../core/run';
import { selectBackend, BackendError } from '../core/backend';
import { loadMnist, DataError } from '../core/mnist';
import { validateSpec } from '../core/spec';
import { ThresholdError } from '../core/diagnostics/thresholds';
import type { TrainingEvent } from '../core/events';
import {
  isHostToTrainerMessage,
  type StartTrainingCommand,
  type TrainerProcessMessage,
} from '../protocol/training';

let current: { runId: string; abort: AbortController } | undefined;
let started = false;

function send(msg: TrainerProcessMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

function errorKind(e: unknown): string {
  if (e instanceof DataError) return 'data';
  if (e instanceof BackendError) return 'backend';
  if (e instanceof ThresholdError) return 'settings';
  return 'training';
}

async function finish(code: number): Promise<void> {
  // Flush, then let the host see a clean exit.
  if (process.connected) process.disconnect();
  process.exitCode = code;
}

async function run(cmd: StartTrainingCommand): Promise<void> {
  const { runId, options } = cmd;
  const abort = new AbortController();
  current = { runId, abort };
  const emitError = (message: string, kind: string, step?: number): Promise<void> =>
    send({ type: 'event', runId, event: { type: 'error', message, kind, ...(step === undefined ? {} : { step }) } });

  const parsed = validateSpec(cmd.spec);
  if (!parsed.ok) {
    await emitError(`invalid model spec: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, 'spec');
    return finish(0);
  }
  const spec = parsed.spec;
  let lastStep = 0;
  try {
    await send({ type: 'status', runId, phase: 'loadingData', message: 'Loading MNIST…' });
    const data = loadMnist(options.dataDir || undefined);
    if (abort.signal.aborted) return finish(0);
    await send({ type: 'status', runId, phase: 'loadingBackend', message: `Loading the TensorFlow.js backend (${options.backend})…` });
    const backend = await selectBackend(options.backend, {}, { nativePath: options.nativeBackendPath, threads: options.nativeThreads });
    if (abort.signal.aborted) return finish(0);
    await send({ type: 'status', runId, phase: 'training', message: `Training on ${backend.info.name}…` });
    const summary = await runWithDiagnostics(spec, {
      backend,
      data,
      probeEvery: options.probeEvery,
      evalEvery: options.evalEvery,
      shuffle: options.shuffle,
      thresholds: options.thresholds,
      signal: abort.signal,
      source: options.source,
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
    const message = e instanceof Error ? e.message : String(e);
    await emitError(message, errorKind(e), lastStep || undefined);
    if (!(e instanceof DataError || e instanceof BackendError || e instanceof ThresholdError)) process.stderr.write(`${e instanceof Error ? e.stack : message}\n`);
    return finish(1);
  }
}

process.on('message', (m: unknown) => {
  if (!isHostToTrainerMessage(m)) {
    process.stderr.write(`training process: ignored a malformed message: ${JSON.stringify(m)?.slice(0, 200)}\n`);
    return;
  }
  if (m.type === 'stopTraining') {
    if (current && current.runId === m.runId) current.abort.abort();
    else if (!started) process.exit(0); // stopped before it started: nothing to flush
    return;
  }
  if (started) {
    process.stderr.write(`training process: already running ${current?.runId}; ignored startTraining ${m.runId}\n`);
    return;
  }
  started = true;
  void run(m);
});

// The host went away (window closed, extension host restarted): never train for nobody.
process.on('disconnect', () => {
  if (current && !current.abort.signal.aborted) current.abort.abort();
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
