// One training process prepared ahead (issue 23, latency): forked and sent `prepare` (src/protocol/training.ts)
// before anyone clicks Train, so MNIST and the backend are loaded by the time a run starts. The run manager asks
// for a spare when a model file is open or the panel is shown (gradientLens.trainingProcess.prepareAhead) and takes
// it for the next run whose options (what `prepare` loaded, loadKey) and heap limit match; a spare that does not
// match is killed and the run forks cold, as without the pool. A taken process is an ordinary TrainerProcess: stop
// and kill work exactly as for one forked at the click. At most one spare: none is prepared while a run trains
// (the run manager's rule), so preparing ahead never doubles the memory of a training run. An idle spare is killed
// after idleMs (10 min) and on dispose; one that died while idle is replaced (at most once a minute) with a log line.
// No `vscode` here: the benchmark (bench/latency.ts) and the unit tests use it as the extension does.
import type { ChildProcess } from 'node:child_process';
import { forkTrainingProcess, stderrToLog } from './trainerProcess';
import { isPreparedNotification, loadKey, type DidPrepareNotification, type PrepareCommand, type TrainOptions } from '../protocol/training';

/** An idle spare is killed after this long (it holds MNIST and a backend: see docs/performance.md#latency). */
export const IDLE_MS = 10 * 60_000;
/** A spare that died while idle is replaced at once at most this often (a process that keeps dying is not re-forked in a loop). */
const REPLACE_EVERY_MS = 60_000;

export interface WarmTrainerOptions {
  workerPath: string;
  log: (line: string, level?: 'info' | 'warning' | 'error') => void;
  idleMs?: number;
}

interface Spare {
  child: ChildProcess;
  key: string;
  options: TrainOptions;
  maxMemoryMb: number;
  /** The answer to `prepare`; undefined when the process exited first. */
  prepared: Promise<DidPrepareNotification | undefined>;
  timer: NodeJS.Timeout;
  /** Removes the pool's listeners (before the process is handed to a TrainerProcess, or after it is gone). */
  detach(): void;
}

export class WarmTrainer {
  private spare: Spare | undefined;
  private disposed = false;
  private lastReplaced = 0;

  constructor(private readonly o: WarmTrainerOptions) {}

  /** pid of the idle spare, if any. */
  get pid(): number | undefined {
    return this.spare?.child.pid;
  }

  /** Resolves with the spare's answer to `prepare` (undefined: no spare, or it exited first). */
  whenPrepared(): Promise<DidPrepareNotification | undefined> {
    return this.spare?.prepared ?? Promise.resolve(undefined);
  }

  /** Makes sure a spare prepared for these options and heap limit exists (one for other options is replaced). */
  prepare(options: TrainOptions, maxMemoryMb: number, reason = 'asked'): void {
    if (this.disposed) return;
    const key = loadKey(options);
    if (this.spare && this.spare.key === key && this.spare.maxMemoryMb === maxMemoryMb) {
      this.spare.timer.refresh(); // still wanted: the idle clock starts again
      return;
    }
    if (this.spare) this.discard(`its options changed (${describe(this.spare.options)} → ${describe(options)})`);
    this.fork(options, maxMemoryMb, reason);
  }

  /**
   * The spare's process, when it was prepared for these options and this heap limit and is alive: the caller hands
   * it to a TrainerProcess at once. Otherwise undefined (a spare that does not match is killed). The pool is empty
   * after; the next spare is prepared at the next trigger.
   */
  take(options: TrainOptions, maxMemoryMb: number): ChildProcess | undefined {
    const s = this.spare;
    if (!s) return undefined;
    if (s.key !== loadKey(options) || s.maxMemoryMb !== maxMemoryMb) {
      this.discard(`the run's options differ (${describe(s.options)}, ${s.maxMemoryMb} MB → ${describe(options)}, ${maxMemoryMb} MB); the run starts its own`);
      return undefined;
    }
    this.spare = undefined;
    clearTimeout(s.timer);
    s.detach();
    if (s.child.exitCode !== null || s.child.signalCode !== null || !s.child.connected) {
      this.o.log(`the training process prepared ahead (pid ${s.child.pid}) is gone; the run starts its own`, 'info');
      return undefined;
    }
    return s.child;
  }

  /** Kills the idle spare, if any (the setting was turned off, a run needs the memory). */
  clear(why: string): void {
    if (this.spare) this.discard(why);
  }

  dispose(): void {
    this.disposed = true;
    this.clear('the extension is shutting down');
  }

  private discard(why: string): void {
    const s = this.spare;
    if (!s) return;
    this.spare = undefined;
    clearTimeout(s.timer);
    s.detach();
    this.o.log(`killing the training process prepared ahead (pid ${s.child.pid}): ${why}`, 'info');
    s.child.kill('SIGKILL');
  }

  private fork(options: TrainOptions, maxMemoryMb: number, reason: string): void {
    const child = forkTrainingProcess(this.o.workerPath, maxMemoryMb);
    const onStderr = stderrToLog('training process ahead', this.o.log);
    const onStdout = (chunk: string): void => {
      for (const line of chunk.split('\n')) if (line.trim()) this.o.log(`[training process ahead] ${line}`, 'info');
    };
    let answered: (a: DidPrepareNotification | undefined) => void = () => undefined;
    const prepared = new Promise<DidPrepareNotification | undefined>((resolve) => { answered = resolve; });
    const onMessage = (m: unknown): void => {
      if (!isPreparedNotification(m)) return;
      answered(m);
      if (m.ok) this.o.log(`training process ${child.pid} prepared ahead: MNIST in ${m.dataMs} ms, the ${m.backend} backend in ${m.backendMs} ms, a warm-up in ${m.warmUpMs} ms`, 'info');
      else this.o.log(`training process ${child.pid} could not prepare ahead (a run will load anew and say why): ${m.message}`, 'warning');
    };
    const onError = (e: Error): void => this.o.log(`training process prepared ahead: ${e.message}`, 'warning');
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      answered(undefined);
      if (this.spare?.child !== child) return; // taken or discarded meanwhile
      this.spare = undefined;
      clearTimeout(spare.timer);
      spare.detach();
      const now = Date.now();
      const again = !this.disposed && now - this.lastReplaced >= REPLACE_EVERY_MS;
      this.o.log(`the training process prepared ahead (pid ${child.pid}) ${signal ? `was killed by ${signal}` : `exited with code ${code}`} while idle; ${again ? 'preparing a new one' : 'the next run starts its own'}`, 'warning');
      if (again) {
        this.lastReplaced = now;
        this.fork(options, maxMemoryMb, 'replacing one that died');
      }
    };
    child.stderr?.setEncoding('utf8');
    child.stdout?.setEncoding('utf8');
    child.stderr?.on('data', onStderr);
    child.stdout?.on('data', onStdout);
    child.on('message', onMessage);
    child.on('error', onError);
    child.on('exit', onExit);
    const spare: Spare = {
      child, key: loadKey(options), options, maxMemoryMb, prepared,
      timer: setTimeout(() => this.discard(`idle for ${Math.round((this.o.idleMs ?? IDLE_MS) / 60_000)} min`), this.o.idleMs ?? IDLE_MS),
      detach: () => {
        child.stderr?.off('data', onStderr);
        child.stdout?.off('data', onStdout);
        child.off('message', onMessage);
        child.off('error', onError);
        child.off('exit', onExit);
        answered(undefined);
      },
    };
    spare.timer.unref();
    this.spare = spare;
    const cmd: PrepareCommand = { type: 'prepare', options: loadOptions(options) };
    child.send(cmd, (e) => { if (e) this.o.log(`could not send prepare to training process ${child.pid}: ${e.message}`, 'warning'); });
    this.o.log(`preparing a training process ahead (pid ${child.pid}, ${describe(options)}; ${reason})`, 'info');
  }
}

/** Only what `prepare` loads (the run's own options come with startTraining). */
function loadOptions(o: TrainOptions): TrainOptions {
  return {
    backend: o.backend, probeEvery: o.probeEvery, evalEvery: o.evalEvery,
    ...(o.dataDir ? { dataDir: o.dataDir } : {}), ...(o.nativeBackendPath ? { nativeBackendPath: o.nativeBackendPath } : {}), ...(o.nativeThreads ? { nativeThreads: o.nativeThreads } : {}),
  };
}

function describe(o: TrainOptions): string {
  return `backend ${o.backend}, data ${o.dataDir || 'embedded'}${o.nativeBackendPath ? `, tfjs-node from ${o.nativeBackendPath}` : ''}${o.nativeThreads ? `, ${o.nativeThreads} threads` : ''}`;
}
