// The commands: train (one run, a source file's model, or the seed comparison), check, presets.
// What they print for a person goes through output.ts (escaped); --json prints one JSON object.
import { basename } from 'node:path';
import type { BackendRequest, TrainingEvent } from '../core/events';
import type { Finding } from '../core/findings';
import type { ImportNote, ImportResult } from '../core/importers/types';
import { type ModelSpec, validateSpec, describeArchitecture, layerLabel } from '../core/spec';
import { evidenceSentences } from '../core/evidenceText';
import { PRESETS, findPreset, type Preset } from '../core/presets';
import { cut, printable } from '../core/untrusted';
import { checkTrainingMemory } from '../core/memory';
import { describeProgram, messageForPeople, problemsText } from '../core/specText';
import { UsageError, nearest } from './args';
import { SWEEP_KINDS, type SweepKind, type SweepVariant, sweepVariants } from '../core/sweeps';
import { out, outJson, outLine, errLine } from './output';
import { CHILD_ENV, STDERR_COLUMNS_ENV, isActiveBar, runInChild, setActiveBar, stderrIsTerminal } from './signals';
import { ReadError, importModelFile, readSpecFile } from './reader';

/** Longest line the CLI writes to stderr for an error: the offending value is quoted, not echoed whole. */
export const MAX_ERROR_LINE = 1000;
/** Tests only: train in the filtering child even where tfjs-node cannot load (tfjs-node is hidden in the unit tests). */
export const FORCE_CHILD_TEST_ENV = 'GRADIENT_LENS_TEST_FORCE_CHILD';

export interface Common {
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
  /** The command line, for re-running it in the filtering child (runInChild). */
  argv: string[];
}

/** Set by main(): this process is the CLI itself (process.argv[1] is the CLI), so it may re-run itself in a child. */
let isEntry = false;
export function markEntry(): void {
  isEntry = true;
}

async function loadSpecFile(file: string): Promise<ModelSpec> {
  try {
    return await readSpecFile(file);
  } catch (e) {
    if (e instanceof ReadError) throw new UsageError(e.message);
    throw e;
  }
}

async function importFile(file: string): Promise<ImportResult> {
  let result: ImportResult | undefined;
  try {
    result = await importModelFile(file);
  } catch (e) {
    if (e instanceof ReadError) throw new UsageError(e.message);
    throw e;
  }
  if (!result) throw new UsageError(`${file}: not a model file Gradient Lens can read (TF1-style Python, Keras, PyTorch, tfjs JS/TS or a JSON spec)`);
  return result;
}

/** The spec with --steps / --seed applied, validated again: an override is held to the spec's limits. */
function withOverrides(spec: ModelSpec, c: Common): ModelSpec {
  const r = validateSpec({ ...spec, steps: c.steps ?? spec.steps, seed: c.seed ?? spec.seed });
  if (!r.ok) {
    const option = (path: string): string | undefined => (path === '$.steps' && c.steps !== undefined ? '--steps' : path === '$.seed' && c.seed !== undefined ? '--seed' : undefined);
    throw new UsageError(`invalid model spec after the command-line overrides: ${problemsText(r.problems, option)}`);
  }
  return r.spec;
}

function noteLine(file: string, n: ImportNote, kind = 'note'): string {
  return `${kind} ${basename(file)}:${n.range.line}:${n.range.column}: ${messageForPeople(n.message)}`;
}


/** A deviation (ImportResult.deviations: where the run differs from the program as written) is a warning. */
function deviationLine(file: string, n: ImportNote): string {
  return `warning ${basename(file)}:${n.range.line}:${n.range.column}: ${messageForPeople(n.message)}`;
}

const fmt = (x: number, d = 4): string => (Number.isFinite(x) ? x.toFixed(d) : String(x));

/** Columns padded to their widest cell; every cell made printable first (a name may come from the user's file). */
function table(rows: string[][]): string {
  const cells = rows.map((r) => r.map((c) => printable(c)));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return `${cells.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n')}\n`;
}

/** A finding for a person: the layer by its name in the source (or "layer 1 (100 relu)"), the message, its evidence in words. */
function findingLines(f: Finding, spec?: ModelSpec): string[] {
  const where = f.layer >= 0 ? (spec ? layerLabel(spec, f.layer) : `layer ${f.layer + 1}`) : 'model';
  const src = f.source ? ` (${basename(f.source.file)}:${f.source.line}:${f.source.column})` : '';
  const evidence = evidenceSentences(f, spec);
  return [`  ${f.severity.padEnd(7)} ${f.code.padEnd(20)} ${where}, from step ${f.firstStep}${src}: ${f.message}`,
    ...(evidence.length ? [`            evidence: ${evidence.join('; ')}`] : [])];
}

/** A progress bar on stderr when it is a terminal; nothing otherwise. */
async function progress(label: string, total: number): Promise<{ update(e: TrainingEvent): void; stop(): void }> {
  // In the filtering child stderr is a pipe to the parent, whose stderr is the terminal.
  if (!stderrIsTerminal()) return { update: () => undefined, stop: () => undefined };
  const columns = Number(process.env[STDERR_COLUMNS_ENV]);
  const stream = process.stderr.isTTY ? process.stderr : { isTTY: true, columns, write: (s: string) => process.stderr.write(s) } as unknown as NodeJS.WriteStream;
  const { SingleBar, Presets } = await import('cli-progress');
  const bar = new SingleBar({
    stream, hideCursor: true, clearOnComplete: true, etaBuffer: 100,
    format: `${printable(cut(label, 40)).padEnd(24)} {bar} {value}/{total} steps | loss {loss} | {eta_formatted} left`,
  }, Presets.shades_classic);
  bar.start(total, 0, { loss: '-' });
  const handle = {
    update(e: TrainingEvent) {
      if (e.type === 'step' && (e.step % 10 === 0 || e.step === total)) bar.update(e.step, { loss: fmt(e.loss, 3) });
    },
    stop: () => {
      if (isActiveBar(handle)) setActiveBar(undefined);
      bar.stop();
    },
  };
  setActiveBar(handle);
  return handle;
}

async function trainOne(spec: ModelSpec, c: Common, source?: ImportResult & { file: string }) {
  const [{ loadMnistAsync }, { selectBackend }, { runWithDiagnostics }] = await Promise.all([
    import('../core/mnist'), import('../core/backend'), import('../core/run'),
  ]);
  // Asynchronously, so Ctrl-C is seen while the files are read and gunzipped.
  const data = await loadMnistAsync(c.data);
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

export async function cmdTrain(positionals: string[], values: { preset?: string; spec?: string; compare?: string; sweep?: string }, c: Common): Promise<number> {
  const chosen = [values.preset !== undefined, values.spec !== undefined, positionals.length > 0, values.compare !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('give one of --preset, --spec, SOURCE_FILE or --compare');
  if (values.sweep !== undefined && values.compare !== undefined) throw new UsageError('--sweep varies one model: give it with --preset, --spec or SOURCE_FILE, not --compare');
  const sweep = values.sweep === undefined ? undefined : sweepKind(values.sweep);
  if (positionals.length > 1) throw new UsageError(`one source file at a time, got ${positionals.length}`);

  if (values.compare !== undefined) {
    if (values.compare !== 'seed') throw new UsageError(`--compare takes "seed", got ${JSON.stringify(cut(String(values.compare), 40))}`);
    if (await shouldRunInChild(c)) return runInChild(c.argv);
    return compareSeed(c);
  }
  let spec: ModelSpec;
  let source: (ImportResult & { file: string }) | undefined;
  if (typeof values.spec === 'string') {
    spec = await loadSpecFile(values.spec);
  } else if (positionals.length === 1) {
    const file = positionals[0];
    const imported = await importFile(file);
    if (imported.refused) throw new UsageError(`${file}:${imported.refused.range.line}: ${messageForPeople(imported.refused.message)}`);
    if (!imported.spec.ok) throw new UsageError(`${file}: invalid model spec: ${problemsText(imported.spec.problems)}`);
    spec = imported.spec.spec;
    source = { ...imported, file };
  } else {
    const id = typeof values.preset === 'string' ? values.preset : 'seed-mlp-zeros';
    const preset = findPreset(id);
    if (!preset) throw new UsageError(`unknown preset ${JSON.stringify(cut(id, 60))} (one of ${PRESETS.map((p) => p.id).join(', ')})`);
    spec = preset.spec;
  }
  spec = withOverrides(spec, c);
  const variants = sweep ? sweepVariantsOrUsage(spec, sweep) : undefined;
  // Only now, with the input checked: bad input gets its one line from this process.
  if (await shouldRunInChild(c)) return runInChild(c.argv);
  if (source) {
    // What the importer could not follow and filled in (a default optimizer, an unreadable initializer...) and
    // where the run differs from the program: the model trained is not exactly the file's, so say so before
    // training — here, in the process that trains (the parent of a child run says nothing: it would be said twice).
    for (const n of source.deviations ?? []) errLine(cut(deviationLine(source.file, n), MAX_ERROR_LINE));
    for (const n of source.notes) errLine(cut(noteLine(source.file, n), MAX_ERROR_LINE));
  }
  if (sweep && variants) return trainSweep(spec, sweep, variants, c, source);
  const summary = await trainOne(spec, c, source);
  if (c.json) {
    // the static findings and the deviations are part of the run's output (what the code shows, how the run differs)
    outJson(source ? { ...summary, importNotes: source.notes, deviations: source.deviations ?? [], staticFindings: attachFile(source.staticFindings, source.file) } : summary);
    return 0;
  }
  const skipped = summary.backendInfo.skipped.map((s) => `${s.name} skipped: ${s.reason}`).join('; ');
  out(table([
    ['run', 'model', 'backend', 'steps', 'test accuracy', 'test loss', 'train time', 'findings'],
    [spec.name, describeArchitecture(spec), summary.backend, String(summary.steps), fmt(summary.testAccuracy), fmt(summary.testLoss),
      `${(summary.trainMs / 1000).toFixed(2)} s`, String(summary.findings.length)],
  ]));
  if (skipped) outLine(`(${skipped})`);
  const program = describeProgram(spec);
  if (program.length) outLine(`(as the program trains: ${program.join('; ')})`);
  const b = summary.backendInfo;
  if (b.name === 'tensorflow') outLine(`(libtensorflow ${b.tensorflowVersion ?? '?'}, ${b.threads} intra-op / ${b.interOpThreads} inter-op thread(s), from ${b.nativePath})`);
  if (source?.deviations?.length) {
    outLine();
    outLine(`Where this run differs from the program (${source.deviations.length}):`);
    for (const n of source.deviations) outLine(`  ${deviationLine(source.file, n)}`);
  }
  if (source?.notes.length) {
    outLine();
    outLine(`Import notes (${source.notes.length}; the model above is what was trained):`);
    for (const n of source.notes) outLine(`  ${noteLine(source.file, n)}`);
  }
  if (source?.staticFindings.length) {
    outLine();
    outLine('Static findings (from the code, before training):');
    for (const f of attachFile(source.staticFindings, source.file)) for (const line of findingLines(f, spec)) outLine(line);
  }
  outLine();
  if (summary.findings.length) {
    outLine('Findings:');
    for (const f of summary.findings) for (const line of findingLines(f, spec)) outLine(line);
  } else {
    outLine('No findings.');
  }
  return 0;
}

function sweepKind(raw: string): SweepKind {
  const kind = SWEEP_KINDS.find((k) => k === raw);
  if (kind) return kind;
  const guess = nearest(raw, SWEEP_KINDS);
  throw new UsageError(`--sweep takes ${SWEEP_KINDS.join(', ')}; got ${JSON.stringify(cut(raw, 40))}${guess ? ` (did you mean ${guess}?)` : ''}`);
}

function sweepVariantsOrUsage(spec: ModelSpec, kind: SweepKind): SweepVariant[] {
  try {
    return sweepVariants(spec, kind);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(`--sweep ${kind}: ${e.message}`);
    throw e;
  }
}

/** `train … --sweep KIND`: the variants trained together (core/sweep.ts), a table per variant or one JSON object. */
async function trainSweep(spec: ModelSpec, kind: SweepKind, variants: SweepVariant[], c: Common, source?: ImportResult & { file: string }): Promise<number> {
  const [{ loadMnistAsync }, { selectBackend }, { runSweepWithDiagnostics }] = await Promise.all([
    import('../core/mnist'), import('../core/backend'), import('../core/sweepRun'),
  ]);
  const data = await loadMnistAsync(c.data);
  const backend = await selectBackend(c.backend, {}, { nativePath: c.nativePath, threads: c.threads });
  for (const v of variants) {
    const mem = checkTrainingMemory(v.spec, backend.info.name, { probing: c.probeEvery !== 0, shuffle: c.shuffle });
    if (!mem.ok) throw new UsageError(mem.message);
  }
  const bar = await progress(`${spec.name} × ${variants.length}`, spec.steps);
  let summary: Awaited<ReturnType<typeof runSweepWithDiagnostics>>;
  try {
    summary = await runSweepWithDiagnostics(variants, {
      backend, data, probeEvery: c.probeEvery, evalEvery: c.evalEvery, shuffle: c.shuffle,
      // one bar for the set: variant 0's steps (together, every variant is at the same step)
      onEvent: (k, e) => { if (k === 0) bar.update(e); },
      source: source ? { file: source.file, layers: source.layers } : undefined,
    });
  } finally {
    bar.stop();
  }
  if (c.json) {
    outJson({ sweep: kind, spec, ...summary, ...(source ? { importNotes: source.notes, deviations: source.deviations ?? [] } : {}) });
    return 0;
  }
  const how = summary.together
    ? `trained together (${summary.groups.length === variants.length ? 'in lockstep' : `first layers in ${summary.groups.length} shared product${summary.groups.length > 1 ? 's' : ''}`})`
    : `trained one after another: ${summary.reason}`;
  outLine(`Sweep of ${kind} on ${spec.name} (${describeArchitecture(spec)}), ${variants.length} variants on the ${summary.backend} backend, ${how}, ${(summary.trainMs / 1000).toFixed(2)} s:`);
  outLine();
  out(table([
    ['variant', 'test accuracy', 'test loss', 'findings'],
    ...summary.variants.map((v) => [v.label, fmt(v.testAccuracy), fmt(v.testLoss),
      [...new Set(v.findings.filter((f) => f.severity !== 'info').map((f) => f.code))].join(', ') || '-']),
  ]));
  if (source?.notes.length) {
    outLine();
    outLine(`Import notes (${source.notes.length}; the models above are what was trained):`);
    for (const n of source.notes) outLine(`  ${noteLine(source.file, n)}`);
  }
  if (source?.deviations?.length) {
    outLine();
    outLine(`Where these runs differ from the program (${source.deviations.length}):`);
    for (const n of source.deviations) outLine(`  ${deviationLine(source.file, n)}`);
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
    outJson({ compare: 'seed', backend: results[0]?.backend, runs: results });
    return 0;
  }
  outLine(`Seed comparison on the ${results[0]?.backend} backend (batches in order, SGD lr 0.5, batch 100):`);
  outLine();
  out(table([
    ['run', 'model', 'seed reported', 'ours', 'band', 'in band', 'test loss', 'train time', 'findings'],
    ...results.map((r) => [r.preset, describeArchitecture(r.spec), `≈ ${r.reportedAccuracy}`, fmt(r.testAccuracy), `${r.band[0]}–${r.band[1]}`,
      r.steps === 1000 ? (r.inBand ? 'yes' : 'NO') : 'n/a', fmt(r.testLoss), `${(r.trainMs / 1000).toFixed(2)} s`,
      [...new Set(r.findings.filter((f) => f.severity !== 'info').map((f) => f.code))].join(', ') || '-']),
  ]));
  return 0;
}

export async function cmdCheck(positionals: string[], c: Common): Promise<number> {
  if (positionals.length !== 1) throw new UsageError('check takes exactly one SOURCE_FILE');
  const file = positionals[0];
  const r = await importFile(file);
  const findings = attachFile(r.staticFindings, file);
  if (c.json) {
    // Data: problems keep their JSON paths, notes their messages as the importer wrote them.
    outJson({
      file, language: r.language, spec: r.spec.ok ? r.spec.spec : undefined, problems: r.spec.ok ? [] : r.spec.problems,
      findings, notes: r.notes, deviations: r.deviations ?? [], layers: r.layers,
    });
    return r.spec.ok ? 0 : 2;
  }
  if (r.refused) {
    outLine(`${file}:${r.refused.range.line}: ${messageForPeople(r.refused.message)}`);
    return 2;
  }
  if (!r.spec.ok) {
    outLine(`${file}: could not extract a valid model (${r.language}):`);
    for (const p of r.spec.problems) outLine(`  ${problemsText([p])}`);
  } else {
    const s = r.spec.spec;
    outLine(`${file} (${r.language}): ${describeArchitecture(s)}; ${s.optimizer.type} lr ${s.optimizer.learningRate}, batch ${s.batchSize}, ${s.steps} steps`);
    for (const line of describeProgram(s)) outLine(`  ${line}`);
  }
  for (const n of r.deviations ?? []) outLine(`  ${deviationLine(file, n)}`);
  for (const n of r.notes) outLine(`  ${noteLine(file, n)}`);
  if (findings.length) {
    outLine('Static findings:');
    for (const f of findings) for (const line of findingLines(f, r.spec.ok ? r.spec.spec : undefined)) outLine(line);
  } else if (r.spec.ok) {
    outLine('No static findings.');
  }
  return r.spec.ok ? 0 : 2;
}

export function cmdPresets(c: Common): number {
  if (c.json) {
    outJson(PRESETS.map((p) => ({ id: p.id, description: p.description, spec: p.spec })));
    return 0;
  }
  for (const p of PRESETS) outLine(`${p.id.padEnd(24)} ${p.description}`);
  return 0;
}

function attachFile(findings: Finding[], file: string): Finding[] {
  return findings.map((f) => (f.source ? { ...f, source: { ...f.source, file } } : f));
}

/** Train in a child whose stderr is filtered: the CLI's own process, not yet the child, and tfjs-node may load. */
async function shouldRunInChild(c: Common): Promise<boolean> {
  if (!isEntry || process.env[CHILD_ENV]) return false;
  return Boolean(process.env[FORCE_CHILD_TEST_ENV]) || mayLoadNative(c);
}

/** Would training load tfjs-node (so libtensorflow writes its start-up lines to stderr)? */
async function mayLoadNative(c: Common): Promise<boolean> {
  if (c.backend !== 'auto' && c.backend !== 'tensorflow') return false;
  const { locateTfjsNode } = await import('../core/backend');
  try {
    const where = locateTfjsNode(c.nativePath);
    if (where !== '@tensorflow/tfjs-node') return true;
    require.resolve(where);
    return true;
  } catch {
    return false;
  }
}
