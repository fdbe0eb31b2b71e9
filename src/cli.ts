// The headless command line (DESIGN.md "Command line"): the same core as the extension, no VS Code.
//   gradient-lens train [--preset NAME | --spec FILE | SOURCE_FILE] [--steps N] [--seed N]
//                       [--backend auto|tensorflow|wasm|cpu] [--data DIR] [--json] ...
//   gradient-lens train --compare seed      the seed question's five runs beside its reported numbers
//   gradient-lens check SOURCE_FILE [--json]
// Exit codes: 0 training completed (findings or not), 1 training failed, 2 bad input (one line on stderr).
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { basename } from 'node:path';
import type { BackendRequest, TrainingEvent } from './core/events';
import type { Finding } from './core/findings';
import type { ImportResult } from './core/importers/types';
import { type ModelSpec, validateSpec, describeArchitecture, type SpecProblem } from './core/spec';
import { PRESETS, findPreset, type Preset } from './core/presets';
import { DataError } from './core/idx';
import { BACKEND_NAMES } from './core/events';
import { TensorFlowStderrFilter } from './core/tfStderr';

export class UsageError extends Error {}

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
}

function intOption(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

function problemsLine(where: string, problems: SpecProblem[]): string {
  return `${where}: invalid model spec: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message}`);
  }
}

function loadSpecFile(file: string): ModelSpec {
  // JSON with comments, as the editor and `train FILE` accept for *.mlp.json.
  const errors: ParseError[] = [];
  const raw: unknown = parseJsonc(readText(file), errors, { allowTrailingComma: true });
  if (errors.length) {
    const e = errors[0];
    throw new UsageError(`${file}: not valid JSON (${printParseErrorCode(e.error)} at offset ${e.offset})`);
  }
  const r = validateSpec(raw);
  if (!r.ok) throw new UsageError(problemsLine(file, r.problems));
  return r.spec;
}

async function importFile(file: string): Promise<ImportResult> {
  const { importSource } = await import('./core/importers/index');
  const result = importSource(file, readText(file));
  if (!result) throw new UsageError(`${file}: not a model file Gradient Lens can read (TF1-style Python, Keras, PyTorch, tfjs JS/TS or a JSON spec)`);
  return result;
}

function withOverrides(spec: ModelSpec, c: Common): ModelSpec {
  return { ...spec, steps: c.steps ?? spec.steps, seed: c.seed ?? spec.seed };
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

/** A progress bar on stderr when it is a terminal; nothing otherwise. */
async function progress(label: string, total: number): Promise<{ update(e: TrainingEvent): void; stop(): void }> {
  // In the child of runFilteringTensorFlow stderr is a pipe to the parent, whose stderr is the terminal.
  const columns = Number(process.env[STDERR_COLUMNS_ENV]);
  if (!process.stderr.isTTY && !(columns > 0)) return { update: () => undefined, stop: () => undefined };
  const stream = process.stderr.isTTY ? process.stderr : { isTTY: true, columns, write: (s: string) => process.stderr.write(s) } as unknown as NodeJS.WriteStream;
  const { SingleBar, Presets } = await import('cli-progress');
  const bar = new SingleBar({
    stream, hideCursor: true, clearOnComplete: true, etaBuffer: 100,
    format: `${label.padEnd(24)} {bar} {value}/{total} steps | loss {loss} | {eta_formatted} left`,
  }, Presets.shades_classic);
  bar.start(total, 0, { loss: '-' });
  return {
    update(e) {
      if (e.type === 'step' && (e.step % 10 === 0 || e.step === total)) bar.update(e.step, { loss: fmt(e.loss, 3) });
    },
    stop: () => bar.stop(),
  };
}

async function trainOne(spec: ModelSpec, c: Common, source?: ImportResult & { file: string }) {
  const [{ loadMnist }, { selectBackend }, { runWithDiagnostics }] = await Promise.all([
    import('./core/mnist'), import('./core/backend'), import('./core/run'),
  ]);
  const data = loadMnist(c.data);
  const backend = await selectBackend(c.backend, {}, { nativePath: c.nativePath, threads: c.threads });
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
    if (values.compare !== 'seed') throw new UsageError(`--compare takes "seed", got "${String(values.compare)}"`);
    return compareSeed(c);
  }
  let spec: ModelSpec;
  let source: (ImportResult & { file: string }) | undefined;
  if (typeof values.spec === 'string') {
    spec = loadSpecFile(values.spec);
  } else if (positionals.length === 1) {
    const file = positionals[0];
    const imported = await importFile(file);
    if (imported.refused) throw new UsageError(`${file}:${imported.refused.range.line}: ${imported.refused.message}`);
    if (!imported.spec.ok) throw new UsageError(problemsLine(file, imported.spec.problems));
    spec = imported.spec.spec;
    source = { ...imported, file };
  } else {
    const id = typeof values.preset === 'string' ? values.preset : 'seed-mlp-zeros';
    const preset = findPreset(id);
    if (!preset) throw new UsageError(`unknown preset "${id}" (one of ${PRESETS.map((p) => p.id).join(', ')})`);
    spec = preset.spec;
  }
  spec = withOverrides(spec, c);
  const summary = await trainOne(spec, c, source);
  if (c.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
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
  for (const n of r.notes) console.log(`  note ${basename(file)}:${n.range.line}:${n.range.column}: ${n.message}`);
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

const FILTERED_ENV = 'GRADIENT_LENS_CLI_TF_FILTERED';
const STDERR_COLUMNS_ENV = 'GRADIENT_LENS_CLI_STDERR_COLUMNS';

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
    if (backend !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(backend)) throw new UsageError(`--backend must be auto, ${BACKEND_NAMES.join(', ')}; got "${backend}"`);
    const c: Common = {
      json, backend: backend as BackendRequest, data: values.data,
      steps: intOption('steps', values.steps, 1), seed: intOption('seed', values.seed, 0),
      probeEvery: intOption('probe-every', values['probe-every'], 0), evalEvery: intOption('eval-every', values['eval-every'], 0),
      shuffle: values.shuffle ?? false,
      nativePath: values['native-backend'] ?? (process.env.GRADIENT_LENS_NATIVE_BACKEND || undefined),
      threads: intOption('threads', values.threads, 1),
    };
    if (command === 'train' && !process.env[FILTERED_ENV] && await mayLoadNative(c)) return await runFilteringTensorFlow(argv);
    switch (command) {
      case 'train': return await cmdTrain(rest, values, c);
      case 'check': return await cmdCheck(rest, c);
      case 'presets':
        for (const p of PRESETS) console.log(`${p.id.padEnd(24)} ${p.description}`);
        return 0;
      default: throw new UsageError(`unknown command "${command}" (train, check, presets)`);
    }
  } catch (e) {
    const err = e as Error;
    const usage = e instanceof UsageError || e instanceof DataError || err.name === 'BackendError' || err.name === 'SpecError'
      || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`gradient-lens: ${err.message.split('\n')[0]}\n`);
    if (!usage && process.env.GRADIENT_LENS_DEBUG) process.stderr.write(`${err.stack}\n`);
    return usage ? 2 : 1;
  }
}
