// Reading and importing the model file a person named, in a child process of its own:
// - the static reader is synchronous and may work for long on a hostile file; while it works on the
//   main thread no signal handler runs (Ctrl-C used to be ignored for as long as it took). Off the
//   main thread, Ctrl-C / SIGTERM end the CLI at once (the reader is killed on exit, and watches its
//   parent, so it also goes when the CLI is killed with SIGKILL);
// - its heap is bounded (--max-old-space-size) and it has a deadline: a file that makes the reader grow
//   or loop is refused with exit 2 instead of taking the machine's memory or time. A process and not a
//   worker thread, because a worker's resourceLimits do not catch one large allocation (a list doubled
//   by `l = l + l`): V8 then aborts the whole process, the CLI with it.
// The child is this same script (dist/cli.js in the bundle, this file in out/), told so by READER_ENV.
import { fork, type ChildProcess } from 'node:child_process';
import type { ImportResult } from '../core/importers/types';
import type { ModelSpec } from '../core/spec';
import { FileReadError, readRegularFile } from '../core/files';
import { problemsText } from '../core/specText';
// Characters a model source or spec may have (the importers' limit); bytes read: up to 4 per character.
import { MAX_SOURCE_CHARS } from '../core/importers/types';
import { watchParent } from './signals';

/** Set in the reading child: its parent's pid. */
const READER_ENV = 'GRADIENT_LENS_CLI_READER';
/** Heap of the reading process: a 200,000-character file needs a few MB; more means the reader is growing without bound. */
export const READER_HEAP_MB = 512;
/** Longest the reader may take on one file. */
export const READER_DEADLINE_MS = 30_000;
/** Tests only: the reader first spins this long, as a slow synchronous import would (to test signals during a read). */
export const SLOW_READ_TEST_ENV = 'GRADIENT_LENS_TEST_SLOW_READ_MS';

type Task = { kind: 'spec' | 'import'; file: string; slowMs: number };
type Reply =
  | { ok: true; spec: ModelSpec }
  | { ok: true; imported: ImportResult | undefined }
  | { ok: false; usage: boolean; message: string };

/** Bad input found while reading (exit 2), as opposed to a failure of the reader itself. */
export class ReadError extends Error {}

/** A model source or spec the user named: a regular file (not a FIFO, a device, a folder) of bounded size. */
function readText(file: string): string {
  let text: string;
  try {
    text = readRegularFile(file, 4 * MAX_SOURCE_CHARS).toString('utf8');
  } catch (e) {
    if (e instanceof FileReadError) throw new ReadError(e.message);
    throw e;
  }
  if (text.length > MAX_SOURCE_CHARS) throw new ReadError(`${file}: has ${text.length} characters, more than the ${MAX_SOURCE_CHARS} Gradient Lens reads from a model file`);
  return text;
}

async function loadSpec(file: string): Promise<ModelSpec> {
  // JSON with comments, read as the editor and `train FILE` read *.mlp.json (same nesting limit, same errors).
  const [{ readJson }, { validateSpec }] = await Promise.all([import('../core/importers/json'), import('../core/spec')]);
  const text = readText(file);
  const read = readJson(text, true);
  if (read.errors.length) {
    const e = read.errors[0];
    const before = text.slice(0, e.span.from);
    const line = before.split('\n').length;
    const column = e.span.from - before.lastIndexOf('\n');
    throw new ReadError(`${file}:${line}:${column}: not valid JSON: ${e.message.replace(/^JSON syntax error: /, '')}${read.errors.length > 1 ? ` (and ${read.errors.length - 1} more errors)` : ''}`);
  }
  const r = validateSpec(read.value);
  if (!r.ok) throw new ReadError(`${file}: invalid model spec: ${problemsText(r.problems)}`);
  return r.spec;
}

async function runTask(task: Task): Promise<Reply> {
  try {
    if (task.slowMs > 0) {
      const until = Date.now() + task.slowMs;
      while (Date.now() < until) { /* a slow synchronous read, for the signal tests */ }
    }
    if (task.kind === 'spec') return { ok: true, spec: await loadSpec(task.file) };
    const { importSource } = await import('../core/importers/index');
    return { ok: true, imported: importSource(task.file, readText(task.file)) };
  } catch (e) {
    return { ok: false, usage: e instanceof ReadError, message: e instanceof Error ? e.message : String(e) };
  }
}

// In the reading child: one task from the parent, one answer, then exit.
if (process.env[READER_ENV] && typeof process.send === 'function') {
  watchParent(Number(process.env[READER_ENV]));
  process.once('message', (task: Task) => {
    void runTask(task).then((reply) => process.send!(reply, () => process.exit(0)));
  });
}

/** The reading child while there is one: killed when the CLI exits (a signal's process.exit included). */
let reader: ChildProcess | undefined;

function inChild(task: Task): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [], {
      env: { ...process.env, [READER_ENV]: String(process.pid) },
      execArgv: [...process.execArgv.filter((a) => !a.startsWith('--max-old-space-size')), `--max-old-space-size=${READER_HEAP_MB}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'], // nothing of the reader's (a V8 report) reaches the CLI's output
      serialization: 'advanced',
    });
    reader = child;
    let stderrTail = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderrTail = (stderrTail + c).slice(-2000); });
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (reader === child) reader = undefined;
      f();
    };
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() => resolve({ ok: false, usage: true, message: `${task.file}: too large to follow statically: reading it took longer than ${READER_DEADLINE_MS / 1000} s` }));
    }, READER_DEADLINE_MS);
    child.once('message', (reply: Reply) => settle(() => resolve(reply)));
    child.once('error', (e) => settle(() => reject(e)));
    child.once('exit', (code, signal) => settle(() => {
      if (/heap out of memory|Reached heap limit|invalid size error|Invalid array length/i.test(stderrTail)) {
        resolve({ ok: false, usage: true, message: `${task.file}: too large to follow statically: reading it needed more than ${READER_HEAP_MB} MB of memory` });
      } else {
        reject(new Error(`the process reading ${task.file} ended (${signal ?? `exit ${code}`}) without an answer`));
      }
    }));
    child.send(task);
  });
}

process.on('exit', () => {
  if (reader && reader.exitCode === null && reader.signalCode === null) reader.kill('SIGKILL');
});

const slowMs = (): number => Number(process.env[SLOW_READ_TEST_ENV]) || 0;

function unwrap<T>(reply: Reply, pick: (r: Reply & { ok: true }) => T): T {
  if (!reply.ok) throw reply.usage ? new ReadError(reply.message) : new Error(reply.message);
  return pick(reply);
}

/** The JSON spec in `file`, validated (a ReadError with every problem otherwise). Read in a child process. */
export async function readSpecFile(file: string): Promise<ModelSpec> {
  return unwrap(await inChild({ kind: 'spec', file, slowMs: slowMs() }), (r) => (r as { spec: ModelSpec }).spec);
}

/** The model in `file` as the importers read it (undefined: not a kind of file they read). Read in a child process. */
export async function importModelFile(file: string): Promise<ImportResult | undefined> {
  return unwrap(await inChild({ kind: 'import', file, slowMs: slowMs() }), (r) => (r as { imported: ImportResult | undefined }).imported);
}
