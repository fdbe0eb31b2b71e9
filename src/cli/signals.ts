// Ctrl-C, SIGTERM and the training child.
// - The handlers exit at once (130 / 143, README "Exit codes"), after putting the cursor back (the
//   progress bar hides it). They run when the event loop turns, so nothing the CLI does blocks it for
//   long: the model file is read in a child process (reader.ts), MNIST is read asynchronously, the
//   training loop yields every 100 ms.
// - Training that may load tfjs-node runs in a child whose stderr this process filters (delegation:
//   libtensorflow writes its start-up lines straight to fd 2). A signal is forwarded to the child, which
//   exits 130 / 143 itself; a child that does not within CHILD_GRACE_MS (busy loading libtensorflow or
//   in one long TensorFlow call) is killed and this process exits with the code for the signal.
// - The child dies with its parent, even when the parent is killed with SIGKILL and can forward
//   nothing: a watcher thread in the child (its own event loop, so it runs however busy the main thread
//   is) sees the parent process change and kills the child.
import { spawn, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { TensorFlowStderrFilter } from '../core/tfStderr';
import { err } from './output';

/** Set in the training child: the parent's pid (the child watches it). */
export const CHILD_ENV = 'GRADIENT_LENS_CLI_TF_FILTERED';
/** Set in the training child when the parent's stderr is a terminal: its width (the child's stderr is a pipe). */
export const STDERR_COLUMNS_ENV = 'GRADIENT_LENS_CLI_STDERR_COLUMNS';
/** How long a child gets to exit on its own after a forwarded signal. */
export const CHILD_GRACE_MS = 500;
/** How often the child's watcher looks at its parent. */
const PARENT_POLL_MS = 100;

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type HandledSignal = keyof typeof EXIT_CODES;

/** Whether stderr is a terminal here, or in the child the parent's terminal. */
export function stderrIsTerminal(): boolean {
  return Boolean(process.stderr.isTTY || Number(process.env[STDERR_COLUMNS_ENV]) > 0);
}

/** The progress bar on screen (it hides the cursor), so a signal handler can put the cursor back. */
let activeBar: { stop(): void } | undefined;
export function setActiveBar(bar: { stop(): void } | undefined): void {
  activeBar = bar;
}
export function isActiveBar(bar: { stop(): void }): boolean {
  return activeBar === bar;
}

/** Takes the progress bar off the screen and shows the cursor again (a signal, a failed write). */
export function restoreTerminal(): void {
  try {
    activeBar?.stop();
    if (stderrIsTerminal()) err('\x1b[?25h');
  } catch {
    // the terminal is gone
  }
}

/** While a child runs the command (runInChild). */
let child: ChildProcess | undefined;
let installed = false;
let stopping = false;

/** Cursor back, one line saying why, exit with the signal's code. */
function stopNow(signal: HandledSignal): never {
  restoreTerminal();
  try {
    err(`\ngradient-lens: ${signal === 'SIGINT' ? 'interrupted' : 'terminated'} (${signal})\n`);
  } catch {
    // the terminal is gone
  }
  process.exit(EXIT_CODES[signal]);
}

function onSignal(signal: HandledSignal): void {
  if (stopping) return; // the second Ctrl-C (the terminal's and the parent's forwarded one) changes nothing
  stopping = true;
  const c = child;
  if (c && c.exitCode === null && c.signalCode === null) {
    c.kill(signal); // it restores the cursor, says so and exits 130 / 143: its code becomes ours
    setTimeout(() => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      c.kill('SIGKILL');
      stopNow(signal);
    }, CHILD_GRACE_MS).unref();
    return;
  }
  stopNow(signal);
}

/** SIGINT / SIGTERM handlers for the CLI's process (main()). Not `once`: a second signal must not kill it half-way. */
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const signal of Object.keys(EXIT_CODES) as HandledSignal[]) {
    // bin/gradient-lens.js's handlers for the time the bundle loads: replaced, ours added first (a signal
    // with no listener left for an instant would lose one that is pending).
    const early = process.listeners(signal);
    process.on(signal, () => onSignal(signal));
    for (const l of early) process.off(signal, l as () => void);
  }
  if (process.env[CHILD_ENV]) watchParent(Number(process.env[CHILD_ENV]));
}

/**
 * In a child of the CLI (training, reading): a thread that kills this process when its parent is gone (the child is
 * re-parented, so process.ppid changes). A thread, not a timer, because the main thread may be inside
 * a long synchronous call (loading libtensorflow) for longer than the parent's death may go unnoticed.
 */
export function watchParent(parentPid: number): void {
  if (!(parentPid > 0)) return;
  if (process.ppid !== parentPid) process.kill(process.pid, 'SIGKILL');
  const watcher = new Worker(
    `const { workerData } = require('node:worker_threads');
     setInterval(() => { if (process.ppid !== workerData.parentPid) process.kill(process.pid, 'SIGKILL'); }, workerData.pollMs);`,
    { eval: true, workerData: { parentPid, pollMs: PARENT_POLL_MS }, resourceLimits: { maxOldGenerationSizeMb: 16 }, stdout: true, stderr: true },
  );
  watcher.unref();
}

/**
 * Runs this same command line in a child process whose stderr is filtered: libtensorflow writes its
 * start-up notices straight to file descriptor 2, where no code in this process can stop them, and they
 * must neither mix with a --json consumer's stderr nor stand beside the one-line error of exit 2.
 * stdout is the child's own (inherited). GRADIENT_LENS_DEBUG=1 lets the notices through.
 */
export function runInChild(argv: string[]): Promise<number> {
  return new Promise((resolvePromise) => {
    const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_ENV]: String(process.pid) };
    if (process.stderr.isTTY) env[STDERR_COLUMNS_ENV] = String(process.stderr.columns || 80);
    const started = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], { stdio: ['inherit', 'inherit', 'pipe'], env });
    child = started;
    const debug = Boolean(process.env.GRADIENT_LENS_DEBUG);
    const filter = new TensorFlowStderrFilter({
      pass: (text) => err(text), // the child escaped what came from user files before writing it
      notice: (line) => { if (debug) err(`${line}\n`); },
    });
    started.stderr!.setEncoding('utf8');
    started.stderr!.on('data', (chunk: string) => filter.push(chunk));
    started.on('error', (e) => {
      err(`gradient-lens: could not start the training child process: ${e.message}\n`);
      resolvePromise(1);
    });
    started.on('close', (code, signal) => {
      filter.end();
      resolvePromise(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1));
    });
  });
}
