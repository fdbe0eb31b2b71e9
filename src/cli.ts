// The headless command line (DESIGN.md "Command line"): the same core as the extension, no VS Code.
//   gradient-lens train [--preset NAME | --spec FILE | SOURCE_FILE] [--steps N] [--seed N]
//                       [--backend auto|tensorflow|wasm|cpu] [--data DIR] [--json] ...
//   gradient-lens train --compare seed      the seed question's five runs beside its reported numbers
//   gradient-lens check SOURCE_FILE [--json]
// Exit codes: 0 training completed (findings or not), 1 training failed, 2 bad input (one line on stderr).
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { basename } from 'node:path';
import type { BackendRequest, TrainingEvent } from './core/events';
import type { Finding } from './core/findings';
import type { ImportNote, ImportResult } from './core/importers/types';
import { type ModelSpec, validateSpec, describeArchitecture, type SpecProblem, MAX_STEPS, MAX_SEED } from './core/spec';
import { PRESETS, findPreset, type Preset } from './core/presets';
import { DataError } from './core/idx';
import { BACKEND_NAMES } from './core/events';
import { FileReadError, readRegularFile } from './core/files';
import { cut } from './core/untrusted';
import { checkTrainingMemory } from './core/memory';
import { TensorFlowStderrFilter } from './core/tfStderr';
// Characters a model source or spec may have (the importers' limit); bytes read: up to 4 per character.
import { MAX_SOURCE_CHARS } from './core/importers/types';

export class UsageError extends Error {}

/** Longest line the CLI writes to stderr for an error: the offending value is quoted, not echoed whole. */
const MAX_ERROR_LINE = 1000;

const HELP = `Gradient Lens: train small MLPs on MNIST and see why they learn or fail.

Usage:
  gradient-lens train [--preset NAME | --spec FILE | SOURCE_FILE] [options]
  gradient-lens train --compare seed [options]
  gradient-lens check SOURCE_FILE [--json]
  gradient-lens presets

Options for train:
  --preset NAME         a built-in run (see \`gradient-lens presets\`); default seed-mlp-zeros
  --spec FILE           a JSON model spec (DESIGN.md "Model spec")
  SOURCE_FILE           a model defined in TF1-style Python, Keras, PyTorch, tfjs JS/TS or a .json spec
  --compare seed        run the five seed presets and print them beside the seed's numbers
  --steps N             override the spec's step count
  --seed N              override the spec's seed
  --backend B           auto (default) | tensorflow | wasm | cpu
  --data DIR            folder with the MNIST IDX files (raw or .gz); default: the embedded copy
  --probe-every N       probe every N steps (default 50; 0 disables diagnostics)
  --eval-every N        evaluate on the test set every N steps (default: only at the end)
  --shuffle             shuffle each epoch (from the seed) instead of taking batches in order
  --native-backend DIR  where @tensorflow/tfjs-node is installed (default: $GRADIENT_LENS_NATIVE_BACKEND,
                        else next to this CLI; scripts/nativeBackend.mjs provisions one offline)
  --threads N           TensorFlow intra-op threads on the tensorflow backend (default: half the
                        cores, 1 to 4; or TF_NUM_INTRAOP_THREADS)
  --json                print exactly one JSON object on stdout
`;

interface Common {
  json: boolean;
  backend: BackendRequest;
  data?: string;
  steps?: number;
  seed?: number;
  probeEvery?: number;
  evalEvery?: number;
  shuffle: boolean;
  nativePath?: string;
  threads?: number;
  /** The command line, for re-running it in a child with filtered stderr (runFilteringTensorFlow). */
  argv: string[];
}

/** A whole number option: decimal digits only (no "", "1e12", "0x10", " 5"), from min to max. */
function intOption(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const quoted = JSON.stringify(cut(raw, 40));
  if (!/^[0-9]{1,16}$/.test(raw)) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} written in digits, got ${quoted}`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${quoted}`);
  return n;
}

function problemsLine(where: string, problems: SpecProblem[]): string {
  return `${where}: invalid model spec: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
}

/** A model source or spec the user named: a regular file (not a FIFO, a device, a folder) of bounded size. */
function readText(file: string): string {
  let text: string;
  try {
    text = readRegularFile(file, 4 * MAX_SOURCE_CHARS).toString('utf8');
  } catch (e) {
    if (e instanceof FileReadError) throw new UsageError(e.message);
    throw e;
  }
  if (text.length > MAX_SOURCE_CHARS) throw new UsageError(`${file}: has ${text.length} characters, more than the ${MAX_SOURCE_CHARS} Gradient Lens reads from a model file`);
  return text;
}

async function loadSpecFile(file: string): Promise<ModelSpec> {
  // JSON with comments, read as the editor and `train FILE` read *.mlp.json (same nesting limit, same errors).
  const { readJson } = await import('./core/importers/json');
  const text = readText(file);
  const read = readJson(text, true);
  if (read.errors.length) {
    const e = read.errors[0];
    const before = text.slice(0, e.span.from);
    const line = before.split('\n').length;
    const column = e.span.from - before.lastIndexOf('\n');
    throw new UsageError(`${file}:${line}:${column}: not valid JSON: ${e.message.replace(/^JSON syntax error: /, '')}${read.errors.length > 1 ? ` (and ${read.errors.length - 1} more errors)` : ''}`);
  }
  const r = validateSpec(read.value);
  if (!r.ok) throw new UsageError(problemsLine(file, r.problems));
  return r.spec;
}

async function importFile(file: string): Promise<ImportResult> {
  const { importSource } = await import('./core/importers/index');
  const result = importSource(file, readText(file));
  if (!result) throw new UsageError(`${file}: not a model file Gradient Lens can read (TF1-style Python, Keras, PyTorch, tfjs JS/TS or a JSON spec)`);
  return result;
}

/** The spec with --steps / --seed applied, validated again: an override is held to the spec's limits. */
function withOverrides(spec: ModelSpec, c: Common): ModelSpec {
  const r = validateSpec({ ...spec, steps: c.steps ?? spec.steps, seed: c.seed ?? spec.seed });
  if (!r.ok) {
    const option = (p: SpecProblem): string => (p.path === '$.steps' && c.steps !== undefined ? '--steps' : p.path === '$.seed' && c.seed !== undefined ? '--seed' : p.path);
    throw new UsageError(`invalid model spec after the command-line overrides: ${r.problems.map((p) => `${option(p)}: ${p.message}`).join('; ')}`);
  }
  return r.spec;
}

function noteLine(file: string, n: ImportNote): string {
  return `note ${basename(file)}:${n.range.line}:${n.range.column}: ${n.message}`;
}

const fmt = (x: number, d = 4): string => (Number.isFinite(x) ? x.toFixed(d) : String(x));

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

function findingLine(f: Finding): string {
  const where = f.layer >= 0 ? `layer ${f.layer}` : 'model';
  const src = f.source ? ` (${basename(f.source.file)}:${f.source.line}:${f.source.column})` : '';
  return `  ${f.severity.padEnd(7)} ${f.code.padEnd(20)} ${where}, from step ${f.firstStep}${src}: ${f.message}`;
}

/** The progress bar on screen (it hides the cursor), so a signal handler can put the cursor back. */
let activeBar: { stop(): void } | undefined;

/** A progress bar on stderr when it is a terminal; nothing otherwise. */
async function progress(label: string, total: number): Promise<{ update(e: TrainingEvent): void; stop(): void }> {
  // In the child of runFilteringTensorFlow stderr is a pipe to the parent, whose stderr is the terminal.
  const columns = Number(process.env[STDERR_COLUMNS_ENV]);
  if (!process.stderr.isTTY && !(columns > 0)) return { update: () => undefined, stop: () => undefined };
  const stream = process.stderr.isTTY ? process.stderr : { isTTY: true, columns, write: (s: string) => process.stderr.write(s) } as unknown as NodeJS.WriteStream;
  const { SingleBar, Presets } = await import('cli-progress');
  const bar = new SingleBar({
    stream, hideCursor: true, clearOnComplete: true, etaBuffer: 100,
    format: `${cut(label, 40).padEnd(24)} {bar} {value}/{total} steps | loss {loss} | {eta_formatted} left`,
  }, Presets.shades_classic);
  bar.start(total, 0, { loss: '-' });
  const handle = {
    update(e: TrainingEvent) {
      if (e.type === 'step' && (e.step % 10 === 0 || e.step === total)) bar.update(e.step, { loss: fmt(e.loss, 3) });
    },
    stop: () => {
      if (activeBar === handle) activeBar = undefined;
      bar.stop();
    },
  };
  activeBar = handle;
  return handle;
}

async function trainOne(spec: ModelSpec, c: Common, source?: ImportResult & { file: string }) {
  const [{ loadMnist }, { selectBackend }, { runWithDiagnostics }] = await Promise.all([
    import('./core/mnist'), import('./core/backend'), import('./core/run'),
  ]);
  const data = loadMnist(c.data);
  const backend = await selectBackend(c.backend, {}, { nativePath: c.nativePath, threads: c.threads });
  // Before training: a spec this machine cannot train is refused with the figures, instead of
  // running for minutes into wasm's Aborted() or the machine's swap.
  const mem = checkTrainingMemory(spec, backend.info.name, { probing: c.probeEvery !== 0, shuffle: c.shuffle });
  if (!mem.ok) throw new UsageError(mem.message);
  const bar = await progress(spec.name, spec.steps);
  try {
    return await runWithDiagnostics(spec, {
      backend, data, probeEvery: c.probeEvery, evalEvery: c.evalEvery, shuffle: c.shuffle,
      onEvent: (e) => bar.update(e),
      source: source ? { file: source.file, layers: source.layers } : undefined,
    });
  } finally {
    bar.stop();
  }
}

async function cmdTrain(positionals: string[], values: Record<string, string | boolean | undefined>, c: Common): Promise<number> {
  const chosen = [values.preset !== undefined, values.spec !== undefined, positionals.length > 0, values.compare !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('give one of --preset, --spec, SOURCE_FILE or --compare');
  if (positionals.length > 1) throw new UsageError(`one source file at a time, got ${positionals.length}`);

  if (values.compare !== undefined) {
    if (values.compare !== 'seed') throw new UsageError(`--compare takes "seed", got ${JSON.stringify(cut(String(values.compare), 40))}`);
    if (await shouldFilterTensorFlow(c)) return runFilteringTensorFlow(c.argv);
    return compareSeed(c);
  }
  let spec: ModelSpec;
  let source: (ImportResult & { file: string }) | undefined;
  if (typeof values.spec === 'string') {
    spec = await loadSpecFile(values.spec);
  } else if (positionals.length === 1) {
    const file = positionals[0];
    const imported = await importFile(file);
    if (imported.refused) throw new UsageError(`${file}:${imported.refused.range.line}: ${imported.refused.message}`);
    if (!imported.spec.ok) throw new UsageError(problemsLine(file, imported.spec.problems));
    spec = imported.spec.spec;
    source = { ...imported, file };
    // What the importer could not follow and filled in (a default optimizer, an unreadable
    // initializer...): the model trained is not exactly the file's, so say so before training.
    for (const n of imported.notes) process.stderr.write(`${cut(noteLine(file, n), MAX_ERROR_LINE)}\n`);
  } else {
    const id = typeof values.preset === 'string' ? values.preset : 'seed-mlp-zeros';
    const preset = findPreset(id);
    if (!preset) throw new UsageError(`unknown preset ${JSON.stringify(cut(id, 60))} (one of ${PRESETS.map((p) => p.id).join(', ')})`);
    spec = preset.spec;
  }
  spec = withOverrides(spec, c);
  // Only now, with the input checked: bad input gets its one line from this process.
  if (await shouldFilterTensorFlow(c)) return runFilteringTensorFlow(c.argv);
  const summary = await trainOne(spec, c, source);
  if (c.json) {
    process.stdout.write(JSON.stringify(source ? { ...summary, importNotes: source.notes } : summary) + '\n');
    return 0;
  }
  const skipped = summary.backendInfo.skipped.map((s) => `${s.name} skipped: ${s.reason}`).join('; ');
  console.log(table([
    ['run', 'model', 'backend', 'steps', 'test accuracy', 'test loss', 'train time', 'findings'],
    [spec.name, describeArchitecture(spec), summary.backend, String(summary.steps), fmt(summary.testAccuracy), fmt(summary.testLoss),
      `${(summary.trainMs / 1000).toFixed(2)} s`, String(summary.findings.length)],
  ]));
  if (skipped) console.log(`(${skipped})`);
  const b = summary.backendInfo;
  if (b.name === 'tensorflow') console.log(`(libtensorflow ${b.tensorflowVersion ?? '?'}, ${b.threads} intra-op / ${b.interOpThreads} inter-op thread(s), from ${b.nativePath})`);
  if (source?.notes.length) {
    console.log(`\nImport notes (${source.notes.length}; the model above is what was trained):`);
    for (const n of source.notes) console.log(`  ${noteLine(source.file, n)}`);
  }
  if (summary.findings.length) {
    console.log('\nFindings:');
    for (const f of summary.findings) console.log(findingLine(f));
  } else {
    console.log('\nNo findings.');
  }
  return 0;
}

async function compareSeed(c: Common): Promise<number> {
  const seeds = PRESETS.filter((p): p is Preset & { band: [number, number]; reportedAccuracy: number } => p.seed);
  const results = [];
  for (const p of seeds) {
    const s = await trainOne(withOverrides(p.spec, c), c);
    results.push({ preset: p.id, reportedAccuracy: p.reportedAccuracy, band: p.band, inBand: s.testAccuracy >= p.band[0] && s.testAccuracy <= p.band[1], ...s });
  }
  if (c.json) {
    process.stdout.write(JSON.stringify({ compare: 'seed', backend: results[0]?.backend, runs: results }) + '\n');
    return 0;
  }
  console.log(`Seed comparison on the ${results[0]?.backend} backend (batches in order, SGD lr 0.5, batch 100):\n`);
  console.log(table([
    ['run', 'model', 'seed reported', 'ours', 'band', 'in band', 'test loss', 'train time', 'findings'],
    ...results.map((r) => [r.preset, describeArchitecture(r.spec), `≈ ${r.reportedAccuracy}`, fmt(r.testAccuracy), `${r.band[0]}–${r.band[1]}`,
      r.steps === 1000 ? (r.inBand ? 'yes' : 'NO') : 'n/a', fmt(r.testLoss), `${(r.trainMs / 1000).toFixed(2)} s`,
      [...new Set(r.findings.filter((f) => f.severity !== 'info').map((f) => f.code))].join(', ') || '-']),
  ]));
  return 0;
}

async function cmdCheck(positionals: string[], c: Common): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('check takes exactly one SOURCE_FILE');
  const file = positionals[0];
  const r = await importFile(file);
  const findings = attachFile(r.staticFindings, file);
  if (c.json) {
    process.stdout.write(JSON.stringify({
      file, language: r.language, spec: r.spec.ok ? r.spec.spec : undefined, problems: r.spec.ok ? [] : r.spec.problems,
      findings, notes: r.notes, layers: r.layers,
    }) + '\n');
    return r.spec.ok ? 0 : 2;
  }
  if (r.refused) {
    console.log(`${file}:${r.refused.range.line}: ${r.refused.message}`);
    return 2;
  }
  if (!r.spec.ok) {
    console.log(`${file}: could not extract a valid model (${r.language}):`);
    for (const p of r.spec.problems) console.log(`  ${p.path}: ${p.message}`);
  } else {
    const s = r.spec.spec;
    console.log(`${file} (${r.language}): ${describeArchitecture(s)}; ${s.optimizer.type} lr ${s.optimizer.learningRate}, batch ${s.batchSize}, ${s.steps} steps`);
  }
  for (const n of r.notes) console.log(`  ${noteLine(file, n)}`);
  if (findings.length) {
    console.log('Static findings:');
    for (const f of findings) console.log(findingLine(f));
  } else if (r.spec.ok) {
    console.log('No static findings.');
  }
  return r.spec.ok ? 0 : 2;
}

function attachFile(findings: Finding[], file: string): Finding[] {
  return findings.map((f) => (f.source ? { ...f, source: { ...f.source, file } } : f));
}

/** Set when stdout or stderr cannot be written (EPIPE: the reader went away; ENOSPC: a full disk). */
let outputFailure: { stream: string; code: string } | undefined;

function guardStream(stream: NodeJS.WriteStream, name: string): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    const code = e.code ?? 'EIO';
    if (outputFailure) return; // said once
    outputFailure = { stream: name, code };
    // EPIPE (`| head`): the reader has what it wanted; nothing more to say. Anything else (ENOSPC on a
    // full disk, EIO) is a failure to report on the other stream, if that one still works.
    if (code !== 'EPIPE' && name === 'stdout' && !process.stderr.destroyed) {
      try {
        process.stderr.write(`gradient-lens: cannot write the output to stdout: ${code === 'ENOSPC' ? 'no space left on the device' : code}\n`);
      } catch {
        // stderr is gone too
      }
    }
  });
}

/** Waits until what was written to `stream` has been handed to the OS (or failed). */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || !stream.writable) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      stream.write('', () => resolve());
    } catch {
      resolve();
    }
  });
}

let signalsInstalled = false;

/** Ctrl-C / SIGTERM: put the cursor back (the progress bar hides it), say so, exit 130 / 143. */
function installSignalHandlers(): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  const onSignal = (signal: NodeJS.Signals, code: number): void => {
    if (delegating) return; // the child gets the signal, restores the cursor and exits; its code is ours
    try {
      activeBar?.stop();
      // (in the filtering child stderr is a pipe to the terminal: STDERR_COLUMNS_ENV says so)
      if (process.stderr.isTTY || process.env[STDERR_COLUMNS_ENV]) process.stderr.write('\x1b[?25h');
      process.stderr.write(`\ngradient-lens: ${signal === 'SIGINT' ? 'interrupted' : 'terminated'} (${signal})\n`);
    } catch {
      // the terminal is gone
    }
    process.exit(code);
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
}

const FILTERED_ENV = 'GRADIENT_LENS_CLI_TF_FILTERED';
const STDERR_COLUMNS_ENV = 'GRADIENT_LENS_CLI_STDERR_COLUMNS';

/** Set by main(): this process is the CLI itself (process.argv[1] is the CLI), so it may re-run itself in a child. */
let isEntry = false;
/** While a child runs the command (runFilteringTensorFlow): signals are forwarded to it, which exits 130 / 143 itself. */
let delegating = false;

/** Train in a child whose stderr is filtered: the CLI's own process, not yet the child, and tfjs-node may load. */
async function shouldFilterTensorFlow(c: Common): Promise<boolean> {
  return isEntry && !process.env[FILTERED_ENV] && await mayLoadNative(c);
}

/** Would training load tfjs-node (so libtensorflow writes its start-up lines to stderr)? */
async function mayLoadNative(c: Common): Promise<boolean> {
  if (c.backend !== 'auto' && c.backend !== 'tensorflow') return false;
  const { locateTfjsNode } = await import('./core/backend');
  try {
    const where = locateTfjsNode(c.nativePath);
    if (where !== '@tensorflow/tfjs-node') return true;
    require.resolve(where);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs this same command line in a child process whose stderr is filtered: libtensorflow writes its
 * start-up notices straight to file descriptor 2, where no code in this process can stop them, and they
 * must neither mix with a --json consumer's stderr nor stand beside the one-line error of exit 2.
 * stdout is the child's own (inherited). GRADIENT_LENS_DEBUG=1 lets the notices through.
 */
function runFilteringTensorFlow(argv: string[]): Promise<number> {
  delegating = true;
  return new Promise((resolvePromise) => {
    const env: NodeJS.ProcessEnv = { ...process.env, [FILTERED_ENV]: '1' };
    if (process.stderr.isTTY) env[STDERR_COLUMNS_ENV] = String(process.stderr.columns || 80);
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], { stdio: ['inherit', 'inherit', 'pipe'], env });
    const debug = Boolean(process.env.GRADIENT_LENS_DEBUG);
    const filter = new TensorFlowStderrFilter({
      pass: (text) => process.stderr.write(text),
      notice: (line) => { if (debug) process.stderr.write(`${line}\n`); },
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => filter.push(chunk));
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => [sig, forward(sig)] as const);
    for (const [sig, h] of handlers) process.on(sig, h);
    child.on('error', (e) => {
      process.stderr.write(`gradient-lens: could not start the training child process: ${e.message}\n`);
      resolvePromise(1);
    });
    child.on('close', (code, signal) => {
      filter.end();
      for (const [sig, h] of handlers) process.off(sig, h);
      resolvePromise(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1));
    });
  });
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  isEntry = true;
  if (!signalsInstalled) {
    guardStream(process.stdout, 'stdout');
    guardStream(process.stderr, 'stderr');
    installSignalHandlers();
  }
  outputFailure = undefined;
  const code = await runCommand(argv);
  await drained(process.stdout);
  await new Promise((resolve) => setImmediate(resolve)); // a write error is emitted on the next tick
  const failure = outputFailure as { stream: string; code: string } | undefined; // set by the stream guards meanwhile
  if (failure && failure.code !== 'EPIPE') return Math.max(code, 1);
  return code;
}

/** The command itself, without main()'s process-wide set-up (stream guards, signal handlers): tests call it in-process. */
export async function runCommand(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        preset: { type: 'string' }, spec: { type: 'string' }, compare: { type: 'string' },
        steps: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string', default: 'auto' },
        data: { type: 'string' }, 'probe-every': { type: 'string' }, 'eval-every': { type: 'string' },
        shuffle: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
        'native-backend': { type: 'string' }, threads: { type: 'string' },
      },
    });
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === 'help') {
      process.stdout.write(HELP);
      return command === undefined && !values.help ? 2 : 0;
    }
    const backend = values.backend as string;
    if (backend !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(backend)) throw new UsageError(`--backend must be auto, ${BACKEND_NAMES.join(', ')}; got ${JSON.stringify(cut(backend, 40))}`);
    const c: Common = {
      json, backend: backend as BackendRequest, data: values.data,
      steps: intOption('steps', values.steps, 1, MAX_STEPS), seed: intOption('seed', values.seed, 0, MAX_SEED),
      probeEvery: intOption('probe-every', values['probe-every'], 0, MAX_STEPS), evalEvery: intOption('eval-every', values['eval-every'], 0, MAX_STEPS),
      shuffle: values.shuffle ?? false,
      nativePath: values['native-backend'] ?? (process.env.GRADIENT_LENS_NATIVE_BACKEND || undefined),
      threads: intOption('threads', values.threads, 1, 256),
      argv,
    };
    switch (command) {
      case 'train': return await cmdTrain(rest, values, c);
      case 'check': return await cmdCheck(rest, c);
      case 'presets':
        for (const p of PRESETS) console.log(`${p.id.padEnd(24)} ${p.description}`);
        return 0;
      default: throw new UsageError(`unknown command ${JSON.stringify(cut(command, 40))} (train, check, presets)`);
    }
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const usage = e instanceof UsageError || e instanceof DataError || err.name === 'BackendError' || err.name === 'SpecError'
      || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    // One line, cut: a 10 MB value in the input must not become a 10 MB line on the terminal.
    process.stderr.write(`gradient-lens: ${cut(String(err.message).split('\n')[0], MAX_ERROR_LINE)}\n`);
    if (!usage && process.env.GRADIENT_LENS_DEBUG) process.stderr.write(`${err.stack}\n`);
    return usage ? 2 : 1;
  }
}
