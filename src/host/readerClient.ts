// The extension host's way to the static reader (issue 19, defence in depth): importSource never runs on
// the extension host's thread. One ReaderClient owns one reader process (dist/reader.js, from
// src/worker/readerProcess.ts), forked with a V8 heap limit (READER_MEMORY_MB), and gives each request a
// deadline (READER_DEADLINE_MS). A process that runs out of memory, crashes or overruns the deadline is
// dropped (killed) and its request answered with a "stopped reading" outcome; the next request gets a
// fresh process. Requests run one at a time, in order; a request for a key (a document) that is still
// waiting is replaced by a newer one for the same key — latest text wins, and every caller waiting on that
// key gets the newest text's outcome.
//
// A process, not a worker thread with `resourceLimits`: measured here (Node 20), the three-line doubling
// file in a worker with maxOldGenerationSizeMb 256 ended with "FATAL ERROR: Reached heap limit" and
// SIGABRT of the whole process — the worker's limit is only enforced between allocations, and one large
// array allocation past it aborts the process the worker lives in (nodejs/node#47224). In a process of its
// own, that abort ends only the reader.
//
// No `vscode` here: the unit test drives this class in plain Node (test/unit/readerProcess.test.ts).
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ImportResult } from '../core/importers/types';
import { type ReadFileCommand, isReaderToHostMessage } from '../protocol/reader';

/** The reader process's V8 heap (old generation, MB). Reading a model file needs a few MB. */
export const READER_MEMORY_MB = 256;
/** How long one file may take to read (ms, from when the process listens); a model file takes milliseconds. */
export const READER_DEADLINE_MS = 3000;

/** Why a read gave no result: out of memory, past the deadline, the process died otherwise, or the client was disposed. */
export type ReadStopReason = 'memory' | 'deadline' | 'crash' | 'disposed';

export type ReadOutcome =
  | { ok: true; result: ImportResult | undefined; ms: number }
  /** `message` completes "Gradient Lens stopped reading this file: …". */
  | { ok: false; reason: ReadStopReason; message: string; ms: number };

export interface ReaderOptions {
  /** The reader process's script (default: found next to this code; the extension passes dist/reader.js). */
  script?: string;
  /** Per-request deadline (ms); default READER_DEADLINE_MS. */
  deadlineMs?: number;
  /** Heap limit (MB); default READER_MEMORY_MB. */
  memoryMb?: number;
  /** The extension's log (the Gradient Lens output channel). */
  log?: (level: 'info' | 'warn', message: string) => void;
}

/** dist/reader.js beside the bundles; out/src/worker/readerProcess.js beside out/src/host (1:1 transpiled, tests). */
export function readerScript(): string {
  const candidates = [join(__dirname, 'reader.js'), join(__dirname, '..', 'worker', 'readerProcess.js')];
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

/** What V8 prints on stderr when a heap limit ends a process (FatalProcessOutOfMemory, invalid array / string sizes). */
const OUT_OF_MEMORY = /heap out of memory|Reached heap limit|Allocation failed|invalid size error|invalid table size|invalid array length/i;
const STDERR_TAIL_CHARS = 8000;

export interface ReadOptions {
  /** What the request is about (a document's URI): a waiting request with the same key is replaced. Default: fileName. */
  key?: string;
  /** This request's deadline (ms); default: the client's. */
  deadlineMs?: number;
}

interface Job {
  key: string;
  fileName: string;
  text: string;
  deadlineMs: number;
  waiters: ((o: ReadOutcome) => void)[];
}

interface Reader {
  child: ChildProcess;
  /** It has loaded and listens (didStartReader). */
  listening: boolean;
  stderrTail: string;
}

interface Running {
  job: Job;
  id: number;
  reader: Reader;
  /** performance.now() when the deadline was armed (the process listens and has the request). */
  t0: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

const duration = (ms: number): string => (ms >= 1000 ? `${+(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

export class ReaderClient {
  private readonly script: string;
  private readonly deadlineMs: number;
  private readonly memoryMb: number;
  private reader: Reader | undefined;
  /** Requests not started yet, oldest first, at most one per key. */
  private readonly waiting = new Map<string, Job>();
  private running: Running | undefined;
  private nextId = 1;
  private disposed = false;
  private started = 0;

  constructor(private readonly options: ReaderOptions = {}) {
    this.script = options.script ?? readerScript();
    this.deadlineMs = options.deadlineMs ?? READER_DEADLINE_MS;
    this.memoryMb = options.memoryMb ?? READER_MEMORY_MB;
  }

  /** Reader processes started so far (a fresh one after each that was lost). */
  get processesStarted(): number {
    return this.started;
  }

  /** pid of the reader process now, if one runs (tests). */
  get pid(): number | undefined {
    return this.reader?.child.pid;
  }

  /** The model in `text` as importSource reads it (`fileName` decides the language), or why the reader stopped. */
  read(fileName: string, text: string, options: ReadOptions = {}): Promise<ReadOutcome> {
    if (this.disposed) return Promise.resolve(this.stopped('disposed', 0, 0));
    const key = options.key ?? fileName;
    const deadlineMs = options.deadlineMs ?? this.deadlineMs;
    return new Promise<ReadOutcome>((resolve) => {
      const queued = this.waiting.get(key);
      if (queued) {
        // Latest text wins: the waiting request reads the newer text, for everyone waiting on it.
        Object.assign(queued, { fileName, text, deadlineMs });
        queued.waiters.push(resolve);
      } else {
        this.waiting.set(key, { key, fileName, text, deadlineMs, waiters: [resolve] });
      }
      this.pump();
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const outcome = this.stopped('disposed', 0, 0);
    const jobs = [...(this.running ? [this.running.job] : []), ...this.waiting.values()];
    if (this.running) clearTimeout(this.running.timer);
    this.running = undefined;
    this.waiting.clear();
    this.drop();
    for (const j of jobs) for (const w of j.waiters) w(outcome);
  }

  private pump(): void {
    if (this.running || this.disposed) return;
    const next = this.waiting.values().next();
    if (next.done) return;
    const job = next.value;
    this.waiting.delete(job.key);
    let reader: Reader;
    try {
      reader = this.reader ?? this.start();
    } catch (e) {
      // fork itself failed (no process could be made): this request is answered, the next one tries again.
      const detail = `the reader process could not be started: ${e instanceof Error ? e.message : String(e)}`;
      this.log('warn', `reader: ${detail}`);
      for (const w of job.waiters) w(this.stopped('crash', 0, job.deadlineMs, detail));
      this.pump();
      return;
    }
    const run: Running = { job, id: this.nextId++, reader, t0: undefined, timer: undefined };
    this.running = run;
    const command: ReadFileCommand = { type: 'readFile', id: run.id, fileName: job.fileName, text: job.text };
    try {
      reader.child.send(command, (e) => { if (e) this.lost(reader, 'crash', `the request could not be sent: ${e.message}`); });
    } catch (e) {
      this.lost(reader, 'crash', `the request could not be sent: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (reader.listening) this.arm(run);
  }

  /** Starts the deadline of the running request once its process listens (starting Node is not reading). */
  private arm(run: Running): void {
    if (run.timer || this.running !== run) return;
    run.t0 = performance.now();
    const deadline = run.job.deadlineMs;
    run.timer = setTimeout(() => {
      if (this.running !== run) return;
      this.log('warn', `reader: ${run.job.fileName} needed more than ${duration(deadline)}; the reader process was stopped and a fresh one reads the next file`);
      this.drop();
      this.finish(run, this.stopped('deadline', deadline, deadline));
      this.standBy();
    }, deadline);
  }

  private start(): Reader {
    const child = fork(this.script, [], {
      execArgv: [`--max-old-space-size=${this.memoryMb}`, '--max-semi-space-size=16'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      // Desktop VS Code's extension host is Electron with ELECTRON_RUN_AS_NODE=1 (as trainerProcess.ts).
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    const reader: Reader = { child, listening: false, stderrTail: '' };
    this.reader = reader;
    this.started++;
    if (this.started > 1) this.log('info', `reader: process #${this.started} started (pid ${child.pid})`);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => { reader.stderrTail = (reader.stderrTail + chunk).slice(-STDERR_TAIL_CHARS); });
    child.on('message', (m: unknown) => {
      if (reader !== this.reader) return;
      if (!isReaderToHostMessage(m)) {
        this.log('warn', 'reader: the reader process sent a message that is not in its protocol; ignored');
        return;
      }
      if (m.type === 'didStartReader') {
        reader.listening = true;
        if (this.running?.reader === reader) this.arm(this.running);
        return;
      }
      const run = this.running;
      if (!run || run.reader !== reader || m.id !== run.id) return;
      if (m.type === 'didReadFile') this.finish(run, { ok: true, result: m.result, ms: m.ms });
      else this.lost(reader, 'crash', m.message);
    });
    // `on`, not `once`: a second 'error' without a listener would throw in the extension host.
    child.on('error', (e) => this.lost(reader, 'crash', `the reader process failed: ${e.message}`));
    // 'close': after 'exit' and after stderr has ended, so the tail holds V8's last words.
    child.on('close', (code, signal) => {
      const memory = OUT_OF_MEMORY.test(reader.stderrTail);
      const lines = reader.stderrTail.split('\n').map((l) => l.trim()).filter(Boolean);
      const last = lines.find((l) => /fatal/i.test(l)) ?? lines.pop();
      this.lost(reader, memory ? 'memory' : 'crash', `${signal ? `signal ${signal}` : `exit code ${code}`}${last ? `: ${last.slice(0, 300)}` : ''}`);
    });
    return reader;
  }

  /** The process died (or said it failed): its request, if any, is answered, and the next one gets a fresh process. */
  private lost(reader: Reader, reason: 'memory' | 'crash', detail: string): void {
    if (reader !== this.reader) return; // already dropped (deadline, dispose, an earlier event)
    const run = this.running?.reader === reader ? this.running : undefined;
    const ms = run?.t0 !== undefined ? performance.now() - run.t0 : 0;
    this.log('warn', `reader: the reader process stopped${run ? ` while reading ${run.job.fileName} (after ${duration(ms)})` : ' while idle'}: ${detail}${reason === 'memory' ? ` (its heap limit is ${this.memoryMb} MB)` : ''}; a fresh one reads the next file`);
    this.drop();
    if (run) {
      this.finish(run, this.stopped(reason, ms, run.job.deadlineMs, detail));
      this.standBy();
    } else {
      this.pump(); // died while idle: a new process only when a request comes (no restart loop)
    }
  }

  /** After a process was lost on a file, the next one starts now, so the next file does not wait for Node to start. */
  private standBy(): void {
    if (this.reader || this.disposed) return;
    try {
      this.start();
    } catch {
      // the next request tries again and says why
    }
  }

  private finish(run: Running, outcome: ReadOutcome): void {
    if (this.running !== run) return;
    clearTimeout(run.timer);
    this.running = undefined;
    for (const w of run.job.waiters) w(outcome);
    this.pump();
  }

  /** Forgets the current process and kills it (its late events are ignored). */
  private drop(): void {
    const r = this.reader;
    this.reader = undefined;
    if (r && r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  }

  private stopped(reason: ReadStopReason, ms: number, deadlineMs: number, detail?: string): ReadOutcome {
    const message = reason === 'memory' ? `it needed more than ${this.memoryMb} MB of memory to follow statically`
      : reason === 'deadline' ? `it needed more than ${duration(deadlineMs)} to follow statically`
      : reason === 'crash' ? `the reader failed on it (${detail ?? 'unknown error'})`
      : 'the extension is shutting down';
    return { ok: false, reason, message, ms };
  }

  private log(level: 'info' | 'warn', message: string): void {
    this.options.log?.(level, message);
  }
}
