// Reading and importing the model file a person named, on a worker thread: the static reader is
// synchronous and may work for long on a hostile file, and while it works on the main thread no signal
// handler runs (Ctrl-C used to be ignored for as long as it took). On a worker the main thread stays
// free, so Ctrl-C / SIGTERM end the CLI at once (process.exit ends the worker too), and the worker's
// heap is bounded (resourceLimits): a file that makes the reader grow is refused with exit 2 instead of
// taking the machine's memory. The worker is this same script (dist/cli.js in the bundle, this file in
// out/), started with workerData naming the task.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { ImportResult } from '../core/importers/types';
import type { ModelSpec } from '../core/spec';
import { FileReadError, readRegularFile } from '../core/files';
import { cut } from '../core/untrusted';
import { problemsText } from '../core/specText';
// Characters a model source or spec may have (the importers' limit); bytes read: up to 4 per character.
import { MAX_SOURCE_CHARS } from '../core/importers/types';

const TASK = 'gradientLensCliRead';
/** Heap of the reading thread: a 200,000-character file needs a few MB; more means the reader is growing without bound. */
export const READ_WORKER_HEAP_MB = 512;
/** Tests only: the worker first spins this long, as a slow synchronous import would (to test signals during a read). */
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

if (!isMainThread && parentPort && (workerData as Record<string, unknown> | null)?.[TASK]) {
  const port = parentPort;
  void runTask((workerData as Record<string, Task>)[TASK]).then((reply) => port.postMessage(reply));
}

function onWorker(task: Task): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, {
      workerData: { [TASK]: task },
      resourceLimits: { maxOldGenerationSizeMb: READ_WORKER_HEAP_MB },
      stdout: true, // nothing of the reader's reaches the CLI's output
      stderr: true,
    });
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      resolve(reply);
      void worker.terminate();
    });
    worker.once('error', (e: Error & { code?: string }) => {
      if (settled) return;
      settled = true;
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        resolve({ ok: false, usage: true, message: `${task.file}: too large to follow statically: reading it needed more than ${READ_WORKER_HEAP_MB} MB` });
      } else {
        reject(e);
      }
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the thread reading ${cut(task.file, 200)} ended (exit ${code}) without an answer`));
    });
  });
}

const slowMs = (): number => Number(process.env[SLOW_READ_TEST_ENV]) || 0;

function unwrap<T>(reply: Reply, pick: (r: Reply & { ok: true }) => T): T {
  if (!reply.ok) throw reply.usage ? new ReadError(reply.message) : new Error(reply.message);
  return pick(reply);
}

/** The JSON spec in `file`, validated (a ReadError with every problem otherwise). Read on a worker thread. */
export async function readSpecFile(file: string): Promise<ModelSpec> {
  return unwrap(await onWorker({ kind: 'spec', file, slowMs: slowMs() }), (r) => (r as { spec: ModelSpec }).spec);
}

/** The model in `file` as the importers read it (undefined: not a kind of file they read). Read on a worker thread. */
export async function importModelFile(file: string): Promise<ImportResult | undefined> {
  return unwrap(await onWorker({ kind: 'import', file, slowMs: slowMs() }), (r) => (r as { imported: ImportResult | undefined }).imported);
}
