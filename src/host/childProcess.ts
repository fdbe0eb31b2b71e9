// The children the native set-up starts (npm, the offline build, the load check), without `vscode`: each
// runs in its own process group with a deadline, and is stopped as a whole (SIGTERM, then SIGKILL) on
// the deadline or on cancellation. Every run resolves: a child that blocks (a FIFO where a file should
// be, a hung mount) or holds its pipes open through a grandchild cannot keep the set-up "running".
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The part of vscode.CancellationToken used here (a vscode token is one). */
export interface CancelToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Every complete output line (stdout and stderr). */
  log: (line: string) => void;
  /** The latest line, for a progress message. */
  onLine?: (line: string) => void;
  token?: CancelToken;
  /** Deadline: the group is stopped when the child is still running then. */
  timeoutMs: number;
  shell?: boolean;
  /** Between SIGTERM and SIGKILL. */
  graceMs?: number;
}

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last 200,000 characters of stdout and stderr, interleaved. */
  out: string;
  stdout: string;
  /** The child could not be started. */
  error?: string;
  timedOut: boolean;
  cancelled: boolean;
  ms: number;
}

/** Runs a command in its own process group (POSIX); resolves when it ended or was stopped. */
export function runLogged(cmd: string, args: string[], o: RunOptions): Promise<ProcResult> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const group = process.platform !== 'win32';
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: group, shell: o.shell });
    let out = '';
    let stdout = '';
    let error: string | undefined;
    let timedOut = false;
    let cancelled = false;
    let settled = false;
    const partial = { stdout: '', stderr: '' };
    const take = (which: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const s = chunk.toString();
      out = (out + s).slice(-200_000);
      if (which === 'stdout') stdout = (stdout + s).slice(-200_000);
      const lines = (partial[which] + s).split(/\r?\n|\r/);
      partial[which] = lines.pop() ?? '';
      for (const l of lines) {
        if (!l.trim()) continue;
        o.log(l);
        o.onLine?.(l);
      }
    };
    child.stdout.on('data', take('stdout'));
    child.stderr.on('data', take('stderr'));
    const send = (sig: NodeJS.Signals): void => {
      try {
        if (group && child.pid) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // already gone
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      send('SIGTERM');
      killTimer ??= setTimeout(() => send('SIGKILL'), o.graceMs ?? 3000);
    };
    const deadline = setTimeout(() => { timedOut = true; stop(); }, o.timeoutMs);
    const onCancel = (): void => { cancelled = true; stop(); };
    const cancel = o.token?.onCancellationRequested(onCancel);
    if (o.token?.isCancellationRequested) onCancel();
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(killTimer);
      cancel?.dispose();
      if (timedOut || cancelled) send('SIGKILL'); // whatever is left of the group
      for (const which of ['stdout', 'stderr'] as const) if (partial[which].trim()) o.log(partial[which]);
      resolve({ code, signal, out, stdout, error, timedOut, cancelled, ms: Date.now() - t0 });
    };
    child.on('error', (e) => {
      error = e.message;
      if (child.pid === undefined) finish(null, null); // never started: no 'exit' follows
    });
    child.on('exit', (code, signal) => {
      // 'close' waits for the pipes, which a grandchild that left the group could hold: 5 s at most.
      setTimeout(() => { child.stdout.destroy(); child.stderr.destroy(); finish(code, signal); }, 5000).unref();
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** What `dist/worker.js --check-native` reports (and the set-up adds when the check itself failed). */
export interface NativeCheck {
  ok: boolean;
  reason?: string;
  kind?: 'absent' | 'broken';
  tensorflowVersion?: string;
  nativePath?: string;
  timedOut?: boolean;
  cancelled?: boolean;
}

const tailOf = (text: string, n = 3): string => text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-n).join(' | ');

/**
 * Loads the installation at `path` (undefined: next to the bundle) as a run would, in a fresh process
 * (`<extensionPath>/dist/worker.js --check-native`), stopped after `timeoutMs` or on cancellation.
 */
export async function checkNativeInstallation(extensionPath: string, path: string | undefined, o: { timeoutMs: number; token?: CancelToken; log: (line: string) => void; runtime?: string }): Promise<NativeCheck> {
  const worker = join(extensionPath, 'dist', 'worker.js');
  const r = await runLogged(o.runtime ?? process.execPath, [worker, '--check-native', ...(path ? [path] : [])], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, log: o.log, token: o.token, timeoutMs: o.timeoutMs, graceMs: 1000,
  });
  const where = path ?? 'the bundled location';
  if (r.cancelled) return { ok: false, cancelled: true, reason: `the check of ${where} was cancelled` };
  if (r.timedOut) {
    return {
      ok: false, kind: 'broken', timedOut: true,
      reason: `loading ${where} did not finish in ${Math.round(o.timeoutMs / 1000)} s, so the check was stopped (a file it reads blocks: a FIFO or a hung network mount?)`,
    };
  }
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as NativeCheck;
  } catch {
    return { ok: false, kind: 'broken', reason: `the check process printed no result (exit ${r.code ?? r.signal}${r.error ? `: ${r.error}` : ''}): ${tailOf(r.out)}` };
  }
}
