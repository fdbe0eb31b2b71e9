// Host side of one training process (dist/worker.js, see src/worker/trainingProcess.ts for why it is a
// forked process). Forks it, validates every message it sends, keeps the tail of its stderr, and turns
// its exit into one outcome: finished, stopped, or error (with the exit code / signal and stderr tail).
import { fork, type ChildProcess } from 'node:child_process';
import type { Finding } from '../core/findings';
import { preview } from '../core/untrusted';
import { tensorFlowLogSeverity } from '../core/tfStderr';
import {
  isPreparedNotification,
  isTrainerProcessMessage,
  type StartSweepCommand,
  type StartTrainingCommand,
  type StopTrainingCommand,
  type TrainOptions,
  type TrainerProcessMessage,
} from '../protocol/training';

/** How long a cooperative stop may take before the process is killed. */
export const STOP_GRACE_MS = 3000;
const STDERR_TAIL_CHARS = 4000;

export type ProcessOutcome =
  | { status: 'finished'; findings: Finding[] }
  | { status: 'stopped'; killed: boolean; findings?: Finding[] }
  | { status: 'error'; message: string; kind: string; exitCode: number | null; signal: NodeJS.Signals | null; stderrTail: string };

export interface TrainerProcessOptions {
  workerPath: string;
  /** The run's id; for a sweep, its first variant's (sweep.runIds[0]). */
  runId: string;
  /**
   * A sweep: its variants train together in this one process (startSweep instead of startTraining; `spec` is
   * unused). The messages of any of its runIds are this process's; `variantOutcome` gives each its outcome.
   */
  sweep?: Omit<StartSweepCommand, 'type' | 'options'>;
  spec: unknown;
  options: TrainOptions;
  maxMemoryMb: number;
  onMessage: (msg: TrainerProcessMessage) => void;
  /**
   * Diagnostics of the process itself (stderr lines, malformed messages). libtensorflow's own log lines
   * (its start-up notices) arrive as `[tensorflow] …` at their severity; everything else as a warning.
   */
  log: (line: string, level?: 'info' | 'warning' | 'error') => void;
  /**
   * An already-forked training process to run in (a spare warmTrainer.ts prepared ahead with forkTrainingProcess
   * and the same maxMemoryMb; alive, not yet started); undefined: fork one now. Stop and kill are the same either way.
   */
  child?: ChildProcess;
}

/** Forks dist/worker.js as a training process (heap limit maxMemoryMb); the one place that knows how. */
export function forkTrainingProcess(workerPath: string, maxMemoryMb: number): ChildProcess {
  return fork(workerPath, [], {
    execArgv: [`--max-old-space-size=${maxMemoryMb}`],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
    // The extension host of desktop VS Code is Electron with ELECTRON_RUN_AS_NODE=1, which fork
    // inherits, so process.execPath runs as plain Node there as well.
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
}

export class TrainerProcess {
  readonly done: Promise<ProcessOutcome>;
  private readonly child: ChildProcess;
  private stderrTail = '';
  private finished: Finding[] | undefined;
  private trainerError: { message: string; kind: string } | undefined;
  private protocolError: { message: string; kind: string } | undefined;
  private stopRequested = false;
  private killedForStop = false;
  private exited = false;
  private killTimer: NodeJS.Timeout | undefined;
  /** Per runId (a sweep's variants; a single run's too): its finished findings, its error event. */
  private readonly finishedBy = new Map<string, Finding[]>();
  private readonly errorBy = new Map<string, { message: string; kind: string }>();

  constructor(private readonly o: TrainerProcessOptions) {
    this.child = o.child ?? forkTrainingProcess(o.workerPath, o.maxMemoryMb);
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => this.onStderr(chunk));
    this.child.stderr?.on('end', () => this.onStderr('\n'));
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) o.log(`[training process] ${line}`);
    });
    this.child.on('message', (m: unknown) => this.onMessage(m));
    this.done = new Promise<ProcessOutcome>((resolve) => {
      let spawnError: Error | undefined;
      // `on`, not `once`: a second 'error' without a listener would throw in the extension host.
      this.child.on('error', (e) => {
        o.log(`training process error: ${e.message}`);
        spawnError ??= e;
        // 'exit' may never come when the spawn itself failed.
        if (this.child.pid === undefined) finish(null, null);
      });
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.exited) return;
        this.exited = true;
        clearTimeout(this.killTimer);
        resolve(this.outcome(code, signal, spawnError));
      };
      this.child.once('exit', (code, signal) => finish(code, signal));
    });
    const start: StartTrainingCommand | StartSweepCommand = o.sweep
      ? { type: 'startSweep', ...o.sweep, options: o.options }
      : { type: 'startTraining', runId: o.runId, spec: o.spec, options: o.options };
    try {
      this.child.send(start, (e) => { if (e) o.log(`could not send ${start.type}: ${e.message}`); });
    } catch (e) {
      // Not serialisable (a cycle, a BigInt, too deep for JSON): the run cannot start.
      this.protocolError = { message: `the run could not be sent to the training process: ${e instanceof Error ? e.message : String(e)}`, kind: 'spec' };
      this.child.kill('SIGKILL');
    }
  }

  get pid(): number | undefined {
    return this.exited ? undefined : this.child.pid;
  }

  /** Cooperative stop; SIGKILL if the process has not exited after STOP_GRACE_MS. */
  stop(graceMs = STOP_GRACE_MS): void {
    if (this.exited || this.stopRequested) return;
    this.stopRequested = true;
    const msg: StopTrainingCommand = { type: 'stopTraining', runId: this.o.runId };
    if (this.child.connected) this.child.send(msg, () => undefined);
    this.killTimer = setTimeout(() => {
      if (this.exited) return;
      this.killedForStop = true;
      this.o.log(`training process ${this.child.pid} did not stop within ${graceMs} ms; killing it`);
      this.child.kill('SIGKILL');
    }, graceMs);
  }

  /** Immediate kill (extension deactivation). */
  kill(): void {
    this.stopRequested = true; // the outcome is "stopped", not a crash
    if (!this.exited) this.child.kill('SIGKILL');
  }

  /**
   * The outcome of one variant of a sweep (or of the run) once the process has ended, given what `done` resolved
   * with (`whole`): its own error event, else stopped (a stop stops every variant: they share one loop), else
   * finished, else what ended the process before this variant finished.
   */
  variantOutcome(runId: string, whole: ProcessOutcome): ProcessOutcome {
    const base = whole.status === 'error' ? { exitCode: whole.exitCode, signal: whole.signal, stderrTail: whole.stderrTail } : { exitCode: 0, signal: null, stderrTail: '' };
    const own = this.errorBy.get(runId);
    if (own) return { status: 'error', ...own, ...base };
    if (whole.status === 'error' && whole.kind === 'process' && this.child.pid === undefined) return whole; // never started
    const findings = this.finishedBy.get(runId);
    if (this.stopRequested) return { status: 'stopped', killed: this.killedForStop, ...(findings ? { findings } : {}) };
    if (findings) return { status: 'finished', findings };
    // Another variant's error is not this one's: say what ended the process before this variant did.
    if (whole.status === 'error' && this.errorBy.size === 0) return whole;
    const how = base.signal ? `was killed by ${base.signal}` : `exited with code ${base.exitCode}`;
    return { status: 'error', kind: 'process', message: `the training process ${how} before this variant ended`, ...base };
  }

  /**
   * Whole lines only. TensorFlow's info/warning lines go to the log and stay out of the tail that error
   * messages quote (a crash report should name the crash, not the oneDNN notice); its errors stay in.
   */
  private readonly onStderr = stderrToLog('training process', (line, level) => this.o.log(line, level), (line) => {
    this.stderrTail = (this.stderrTail + line + '\n').slice(-STDERR_TAIL_CHARS);
  });

  private onMessage(m: unknown): void {
    if (isPreparedNotification(m)) return; // a spare's answer to `prepare` that arrived after it was taken
    if (!isTrainerProcessMessage(m) || (m.runId !== this.o.runId && !this.o.sweep?.runIds.includes(m.runId))) {
      this.o.log(`ignored a malformed message from the training process: ${preview(m, 200)}`);
      return;
    }
    if (m.type === 'finished') this.finishedBy.set(m.runId, m.findings);
    if (m.type === 'event' && m.event.type === 'error' && m.event.kind !== 'protocol') this.errorBy.set(m.runId, { message: m.event.message, kind: m.event.kind });
    if (m.type === 'finished') this.finished = m.findings;
    if (m.type === 'event' && m.event.type === 'error') {
      // A message of ours the process rejected ('protocol'): it says why, and is this run's error only
      // if the process then ends without finishing (a rejected start); otherwise the run goes on.
      if (m.event.kind === 'protocol') {
        this.o.log(`the training process rejected a message: ${m.event.message}`);
        this.protocolError ??= { message: m.event.message, kind: m.event.kind };
      } else {
        this.trainerError = { message: m.event.message, kind: m.event.kind };
      }
    }
    this.o.onMessage(m);
  }

  private outcome(code: number | null, signal: NodeJS.Signals | null, spawnError: Error | undefined): ProcessOutcome {
    const base = { exitCode: code, signal, stderrTail: this.stderrTail.trim() };
    if (spawnError && this.child.pid === undefined) {
      return { status: 'error', kind: 'process', message: `could not start the training process: ${spawnError.message}`, ...base };
    }
    if (this.trainerError) return { status: 'error', ...this.trainerError, ...base };
    if (this.stopRequested) return { status: 'stopped', killed: this.killedForStop, findings: this.finished };
    if (this.finished) return { status: 'finished', findings: this.finished };
    if (this.protocolError) return { status: 'error', ...this.protocolError, ...base };
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const oom = /heap out of memory|Allocation failed/i.test(this.stderrTail) ? ' (out of memory: raise gradientLens.trainingProcess.maxMemoryMb)' : '';
    const tail = this.stderrTail ? `: ${lastLines(this.stderrTail, 3)}` : '';
    return { status: 'error', kind: 'process', message: `the training process ${how} before the run ended${oom}${tail}`, ...base };
  }
}

function lastLines(text: string, n: number): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-n).join(' | ');
}

/**
 * A training process's stderr, in whole lines, into the log: TensorFlow's own info and warning lines as
 * `[tensorflow] …` at their severity, its errors as `[tensorflow] …` errors, anything else as `[<name>] …` warnings.
 * `kept` gets every line but TensorFlow's info and warnings (what an error message may quote).
 */
export function stderrToLog(name: string, log: (line: string, level: 'info' | 'warning' | 'error') => void, kept?: (line: string) => void): (chunk: string) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      const sev = tensorFlowLogSeverity(line);
      if (sev === 'info' || sev === 'warning') {
        log(`[tensorflow] ${line}`, sev);
        continue;
      }
      kept?.(line);
      log(sev ? `[tensorflow] ${line}` : `[${name}] ${line}`, sev ? 'error' : 'warning');
    }
  };
}
