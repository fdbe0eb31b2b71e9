// importSource: read the model defined in a user's file (TF1-style Python, Keras, tfjs JS/TS, or a JSON
// spec) into a validated model spec, the source ranges of each layer, notes for what could not be
// followed, and the static findings anchored at the layers' weight lines. Pure and total: any text
// gives a result or `undefined` (not a model file), never an exception.
import { type ModelSpec, type SpecProblem, type SpecResult, INPUT_SIZE, validateSpec } from '../spec';
import type { Finding } from '../findings';
import { staticFindings } from '../diagnostics/static';
import { mergeProgramFindings, programFindings } from '../diagnostics/programFindings';
import type { Span, Stmt } from './ast';
import { afterRun, buildLibrary, languagesOf, readProgram } from './frameworks/registry';
import { type BudgetStop, MAX_SYNTAX_DEPTH, stopMessage } from './budget';
import { overlayProgram, programResult as torchProgramResult, v1View } from './program';
import { type Dialect, interpret } from './interpret';
import { type InitSite, type Interpretation, ModelBuilder } from './model';
import { pathLocator, readJson } from './json';
import { parseJavaScript } from './javascript';
import { LineMap } from './positions';
import { parsePython } from './python';
import { type ImportNote, type ImportResult, type InitializerSite, type LayerSource, MAX_SOURCE_CHARS, type SourceLanguage, type SourceRange } from './types';
import { problemText } from '../specText';
import { nameLayers } from './layerNames';
import { type ProgramParts, finishProgram } from './programParts';
import { dataFixEdits, frameworkErrors, layerExtras, programResult } from './programResult';
import { finishLoss } from './frameworks/tfLoss';
import { capSteps, stepLimitDeviation } from './stepLimit';
import { type Reading, lostResult, modelLost } from './unfollowed';

// Files larger than MAX_SOURCE_CHARS (types.ts) are not read (a `*.mlp.json` that large gets an error saying so):
// parsing a 440 kB bundle takes ~0.5 s, too long on the extension host for every edit, and learner scripts are far smaller.
export { MAX_SOURCE_CHARS };

/** Time spent placing a JSON spec's problems on their lines, at most (they take well under 1 ms each). */
const LOCATE_BUDGET_MS = 200;

type Kind = 'python' | 'js' | 'ts' | 'json';

export function sourceKind(fileName: string): Kind | undefined {
  const lower = fileName.toLowerCase();
  const ext = lower.slice(lower.lastIndexOf('.') + 1);
  if (lower.lastIndexOf('.') < 0) return undefined;
  if (ext === 'py' || ext === 'pyw') return 'python';
  if (ext === 'js' || ext === 'mjs' || ext === 'cjs' || ext === 'jsx') return 'js';
  if (ext === 'ts' || ext === 'mts' || ext === 'cts' || ext === 'tsx') return lower.endsWith('.d.ts') ? undefined : 'ts';
  if (ext === 'json' || ext === 'jsonc') return 'json';
  return undefined;
}

/** The spec's name: the file's base name without extensions (`mnist_mlp_zeros.py` → `mnist_mlp_zeros`). */
export function specNameOf(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const name = base.replace(/\.mlp\.jsonc?$/i, '').replace(/\.[^.]*$/, '');
  return (name.trim() === '' ? 'model' : name).slice(0, 200);
}

export function importSource(fileName: string, text: string): ImportResult | undefined {
  const kind = sourceKind(fileName);
  if (!kind) return undefined;
  const forceSpec = /\.mlp\.jsonc?$/i.test(fileName);
  if (text.length > MAX_SOURCE_CHARS) return forceSpec ? tooLarge(fileName, text) : undefined;
  try {
    return kind === 'json' ? importJson(fileName, text, forceSpec) : importCode(fileName, text, kind);
  } catch (e) {
    // A bug here must not take the editor down: report it on the first line instead.
    const lines = new LineMap(text);
    return {
      fileName, language: kind === 'json' ? 'json' : kind === 'python' ? 'python-tf1' : 'tfjs',
      spec: { ok: false, problems: [{ path: '$', message: 'the importer failed on this file' }] }, layers: [],
      notes: [{ range: lines.range({ from: 0, to: 0 }), message: `Gradient Lens could not read this file (internal error: ${e instanceof Error ? e.message : String(e)})`, severity: 'info' }],
      staticFindings: [],
    };
  }
}

/** A `*.mlp.json` larger than MAX_SOURCE_CHARS: named as a spec, so it gets an error instead of silence (and is not parsed). */
function tooLarge(fileName: string, text: string): ImportResult {
  const message = `this file has ${text.length} characters, more than the ${MAX_SOURCE_CHARS} a model spec may have (a spec is a few hundred): not read`;
  const start = { line: 1, column: 1, endLine: 1, endColumn: 1 };
  return {
    fileName, language: 'json', spec: { ok: false, problems: [{ path: '$', message }] }, layers: [],
    notes: [{ range: start, message, severity: 'error' }], staticFindings: [], modelRange: start,
  };
}

function siteOf(site: InitSite | undefined, lines: LineMap, text: string): InitializerSite | undefined {
  if (!site || site.shared) return undefined;
  const out: InitializerSite = { range: lines.range(site.span), idiom: site.idiom, prefix: site.prefix };
  if (site.shape) out.shape = text.slice(site.shape.from, site.shape.to);
  if (site.v2) out.v2 = true;
  if (site.tensor) out.tensor = text.slice(site.tensor.from, site.tensor.to);
  return out;
}

function importCode(fileName: string, text: string, kind: 'python' | 'js' | 'ts'): ImportResult | undefined {
  const { program, syntaxErrorAt, tooDeep } = kind === 'python' ? parsePython(text) : parseJavaScript(text, kind === 'ts');
  const dialect: Dialect = kind === 'python' ? 'python' : 'js';
  if (tooDeep) {
    return stopped(fileName, text, dialect === 'python' ? 'keras' : 'tfjs', {
      span: tooDeep, what: `nested more than ${MAX_SYNTAX_DEPTH} levels deep: blocks within blocks, or brackets within brackets`,
    });
  }
  const read_ = read(program, dialect, text);
  if ('stop' in read_) return stopped(fileName, text, read_.language, read_.stop);
  const { it, session } = read_;
  const lost = modelLost(it, text);
  if (lost) {
    // what the reader already said about why it found no layer (a class it could not instantiate) stays beside the refusal
    const refused = lostResult(fileName, text, it.language, lost);
    const lines = new LineMap(text);
    refused.notes.push(...it.notes.map((n): ImportNote => ({ range: lines.range(n.span), message: n.message, severity: 'info' })));
    return refused;
  }
  if (!it.looksLikeModel) return undefined;
  const lines = new LineMap(text);
  const language: SourceLanguage = it.language;
  if (it.refusal) {
    // Not an MLP: one clear note where it shows, nothing to train, no findings, no model range (no CodeLens).
    const range = lines.range(it.refusal.span);
    return {
      fileName, language, layers: [], staticFindings: [],
      spec: { ok: false, problems: [{ path: '$', message: `${it.refusal.message} (line ${range.line})` }] },
      notes: [{ range, message: it.refusal.message, severity: 'info' }],
      refused: { range, message: it.refusal.message },
    };
  }
  const notes: ImportNote[] = it.notes.map((n) => ({ range: lines.range(n.span), message: n.message, severity: 'info' }));
  const note = (span: Span, message: string, severity: ImportNote['severity'] = 'info') => notes.push({ range: lines.range(span), message, severity });
  const fileStart: Span = { from: 0, to: 0 };
  const modelSpan = it.modelSpan ?? fileStart;
  if (syntaxErrorAt !== undefined) {
    // The parser recovered, so what follows may still be read, but the model may be incomplete.
    note({ from: syntaxErrorAt, to: syntaxErrorAt }, 'syntax error here: the parser skipped part of the file, so the model read from it may be incomplete', 'warning');
  }

  const deviations: ImportNote[] = [];
  // The program's parts beyond the layers: PyTorch's read by its framework module (program.ts), the TF family's by
  // programParts.ts (it.parts, with the loss, data and update extras).
  const prog = it.language === 'pytorch' && it.layers.length > 0 ? readProgram(session, it, text) : undefined;
  const raw = buildRawSpec(fileName, prog ? v1View(it, prog) : it, note, modelSpan, language, (span, message) => deviations.push({ range: lines.range(span), message, severity: 'warning' }));
  if (prog) overlayProgram(raw, prog);
  // more steps than a run may take: the first ones are trained, with a deviation that says so
  const programSteps = capSteps(raw);
  const errors = it.parts ? frameworkErrors(it.parts, lines, fileName) : [];
  const spec = errors.length > 0
    ? { ok: false as const, problems: errors.map((e) => ({ path: '$', message: e.message.replace(/\. Gradient Lens does not train.*$/, '') })) }
    : validateSpec(raw);
  const layers: LayerSource[] = it.layers.map((l, i) => {
    const src: LayerSource = { layer: i, weights: lines.range(l.weightsSpan), definition: lines.range(l.definition) };
    if (l.biasSpan) src.bias = lines.range(l.biasSpan);
    if (l.activationSpan) src.activation = lines.range(l.activationSpan);
    const k = siteOf(l.kernel?.site, lines, text);
    const b = siteOf(l.bias?.site, lines, text);
    if (k) src.kernelInitializer = k;
    if (b) src.biasInitializer = b;
    if (l.activationSite?.idiom === 'string') src.activationString = lines.range(l.activationSite.span);
    const via = (l.weightsVia ?? []).filter((s) => s.from !== l.weightsSpan.from || s.to !== l.weightsSpan.to);
    if (via.length) src.via = via.map((s) => lines.range(s));
    if (l.weightsCreated) src.weightsCreated = lines.range(l.weightsCreated);
    return src;
  });
  if (!spec.ok) for (const p of spec.problems) notes.push(problemNote(p, layers, lines.range(modelSpan)));
  const result: ImportResult = {
    fileName, language, spec, layers, notes, staticFindings: [],
    modelRange: it.modelSpan ? lines.range(it.modelSpan) : undefined,
  };
  // the names people gave their layers (W1, self.fc1, Dense(100)), before any finding is worded
  nameLayers(result, text);
  if (prog) Object.assign(result, torchProgramResult(prog, lines));
  if (it.optimizer?.lrSpan) result.learningRate = lines.range(it.optimizer.lrSpan);
  if (it.batch) result.batchSize = lines.range(it.batch.span);
  if (it.steps) result.steps = lines.range(it.steps.span);
  if (spec.ok) result.staticFindings = anchorFindings(staticFindings(spec.spec), result);
  result.staticFindings.push(...errors);
  if (it.parts) programResult(it.parts, lines, result, deviations);
  else if (deviations.length) result.deviations = [...(result.deviations ?? []), ...deviations];
  if (programSteps !== undefined) result.deviations = [...(result.deviations ?? []), stepLimitDeviation(programSteps, lines.range(it.steps?.span ?? modelSpan))];
  if (it.unstableLoss) {
    const u = it.unstableLoss;
    const r = lines.range(u.span);
    const fixes: Finding['fixes'] = [];
    if (u.edit) {
      result.stableLoss = { range: lines.range(u.edit.span), newText: u.edit.newText };
      fixes.push({ kind: 'stableLoss', label: `Use ${u.edit.newText.replace(/\(.*$/s, '')} (stable)` });
    }
    result.staticFindings.push({
      code: 'unstable-loss', severity: 'warning', layer: -1, firstStep: 0,
      message: `This loss takes the log of a softmax output by hand (${u.construct}): in float32 a softmax probability can underflow to exactly 0, `
        + 'log(0) = -inf, and from then on the gradients are NaN and the model stops learning (with the seed\'s program in real TensorFlow, 2 of 10 seeds ended at 0.098 accuracy). '
        + (it.parts?.objective ? 'The run trains this loss as written, so it turns NaN where TensorFlow\'s does. ' : 'Gradient Lens trains with a stable softmax cross-entropy, so a run here will not show it. ')
        + `Use ${u.suggestion}.`,
      evidence: { construct: u.construct, outputActivation: 'softmax', outputLayer: Math.max(0, it.layers.indexOf(u.layer)) },
      fixes,
      source: { file: fileName, line: r.line, column: r.column, endLine: r.endLine, endColumn: r.endColumn },
    });
  }
  // The program's parts (data, objective, loop): on their lines, with the cures the reader wrote edits for.
  if (spec.ok) result.staticFindings = mergeProgramFindings(result.staticFindings, programFindings(spec.spec, result.program, result.programFixes ?? [], fileName).map((f) => (f.source ? f : anchorFindings([f], result)[0])));
  return result;
}

/**
 * A file the reader stopped in (a budget ran out, or the syntax nests too deeply; budget.ts): refused
 * there, with one error on that line — nothing read before it is offered as the model, and nothing after
 * it is dropped silently. Any file, model-like so far or not: what comes after the stop is not known.
 */
function stopped(fileName: string, text: string, language: SourceLanguage, stop: BudgetStop): ImportResult {
  const range = new LineMap(text).range(stop.span);
  const message = stopMessage(range.line, stop.what);
  return {
    fileName, language, layers: [], staticFindings: [],
    spec: { ok: false, problems: [{ path: '$', message }] },
    notes: [{ range, message, severity: 'error' }],
    refused: { range, message },
  };
}

/** Interprets a lowered program with the framework modules of its dialect; `stop` when a budget ran out. */
function read(program: Stmt[], dialect: Dialect, text: string): { it: Interpretation & Reading & { parts?: ProgramParts }; session: ModelBuilder } | { stop: BudgetStop; language: SourceLanguage } {
  const session = new ModelBuilder();
  for (const [id, label] of languagesOf()) session.languages.set(id, label);
  const library = buildLibrary(dialect);
  const fallback: SourceLanguage = dialect === 'python' ? 'keras' : 'tfjs';
  const { notes, host, stopped: stop, unfollowed, trains } = interpret(program, { dialect, text, library, session });
  if (stop) {
    // The framework the file used so far names it (the reading ended midway, so this may find nothing).
    let language: SourceLanguage = fallback;
    try {
      language = session.finish(host, notes, fallback).language;
    } catch {
      // a framework's state left midway by the stop
    }
    return { stop, language };
  }
  afterRun(host, dialect);
  const it = session.finish(host, notes, fallback);
  // The program's other parts: the loss minimised (TF1 / Keras / tfjs), the data fed, the update extras.
  if (it.language !== 'pytorch' && it.layers.length > 0) finishLoss(session, text, it.layers, it.model, it.language, (f, args, at) => host.callValue(f, args, at));
  const parts = it.language !== 'pytorch' && it.layers.length > 0 ? finishProgram(session, it.layers, it.optimizer, text, (d, floats) => dataFixEdits(text, it.language, d, floats)) : undefined;
  // A hand-written Keras loss is read with the model (finishLoss): its unstable log shows only then.
  const unstableLoss = it.unstableLoss ?? (session.unstableLoss && it.layers.includes(session.unstableLoss.layer) ? session.unstableLoss : undefined);
  return { it: { ...it, unstableLoss, parts, unfollowed, trains }, session };
}

function buildRawSpec(fileName: string, it: Interpretation & { parts?: ProgramParts }, note: (s: Span, m: string, sev?: ImportNote['severity']) => void, modelSpan: Span, language: SourceLanguage,
  deviation: (s: Span, m: string) => void): Record<string, unknown> {
  const parts = it.parts;
  const rawLayers = it.layers.map((l, i) => {
    const last = i === it.layers.length - 1;
    const expectedIn = i === 0 ? INPUT_SIZE : it.layers[i - 1].units;
    const rows = l.kernelShape?.[0];
    if (rows !== undefined && expectedIn !== undefined && rows !== expectedIn) {
      note(l.weightsSpan, `this layer's weights take ${rows} inputs, but it receives ${expectedIn} (${i === 0 ? 'the 784 pixels' : `the ${expectedIn} units of the layer before`})`, 'warning');
    }
    if (l.biasShape?.length === 1 && l.units !== undefined && l.biasShape[0] !== undefined && l.biasShape[0] !== l.units) {
      note(l.biasSpan ?? l.definition, `this bias has ${l.biasShape[0]} entries, but the layer has ${l.units} units`, 'warning');
    }
    let activation = l.activation;
    if (last && parts?.objective) {
      // The output as the loss sees it (the objective read says which).
      activation = parts.outputActivation;
    } else if (last && activation !== undefined && activation !== 'linear' && activation !== 'softmax') {
      note(l.activationSpan ?? l.definition, `the output layer's activation is ${activation}: Gradient Lens's output layer is always softmax (trained with softmax cross-entropy), so it is trained as softmax`);
      activation = 'softmax';
    }
    if (last && !parts?.objective && (activation === undefined || activation === 'linear')) {
      if (!(it.fromLogits || l.logits)) {
        note(l.definition, 'the output layer has no softmax: Gradient Lens trains with softmax cross-entropy, so these outputs are treated as logits (softmax)');
      }
      activation = 'softmax';
    }
    if (activation === undefined) activation = 'linear';
    let kernel = l.kernel?.init;
    if (kernel === undefined) {
      note(l.weightsSpan, "this layer's initial weights could not be read: the model spec uses glorotUniform (the Keras default) instead");
      kernel = 'glorotUniform';
    }
    let bias = l.bias?.init;
    if (!l.useBias) bias = 'zeros';
    else if (bias === undefined) {
      note(l.biasSpan ?? l.definition, "this layer's initial bias could not be read: the model spec uses zeros instead");
      bias = 'zeros';
    }
    return { units: l.units, activation, kernelInitializer: kernel, biasInitializer: bias, ...layerExtras(l, last, deviation) };
  });
  if (it.layers.length === 0) note(modelSpan, 'no layer found: Gradient Lens reads `tf.matmul(x, W) + b` (TF1), Dense layers (Keras), tf.layers.dense (tfjs) and nn.Linear (PyTorch)');
  const raw: Record<string, unknown> = { name: specNameOf(fileName), layers: rawLayers };
  if (parts?.data) raw.data = parts.data;
  if (parts?.objective) raw.objective = parts.objective;
  if (it.optimizer) raw.optimizer = parts && Object.keys(parts.extras).length ? { ...it.optimizer.spec, ...parts.extras } : it.optimizer.spec;
  else if (it.layers.length > 0 && !it.notes.some((n) => /never compiled/.test(n.message))) note(modelSpan, 'no optimizer found: using SGD with learning rate 0.5 (the default of the model spec)');
  // What the reading already said about the batch size and the step count (a `next_batch(FLAGS.batch)` whose size
  // is not known, a loop whose count is not): the notes below would contradict it ("no `next_batch(B)` found").
  const said = (re: RegExp): boolean => it.notes.some((n) => re.test(n.message));
  const batchSaid = said(/\bbatch size\b/);
  const stepsSaid = said(/how many times|this training loop runs|not drawn inside|using 1000 steps/);
  if (it.batch) raw.batchSize = it.batch.value;
  else if (it.layers.length > 0 && !batchSaid) {
    note(modelSpan, language === 'python-tf1' ? 'no `next_batch(B)` found: using batch size 100 (the default)'
      : language === 'pytorch' ? 'no `DataLoader(..., batch_size=B)` iterated around `optimizer.step()` found: using batch size 100 (the default)'
        : 'no `fit(...)` found: using batch size 100 and 1000 steps (the defaults)');
  }
  if (it.steps) raw.steps = it.steps.value;
  else if (it.layers.length > 0 && (language === 'python-tf1' || language === 'pytorch') && !it.batch && !stepsSaid) note(modelSpan, 'no training loop found: using 1000 steps (the default)');
  return raw;
}

function problemNote(p: SpecProblem, layers: LayerSource[], model: SourceRange): ImportNote {
  const m = /^\$\.layers\[(\d+)\]/.exec(p.path);
  const layer = m ? layers[Number(m[1])] : undefined;
  const range = layer ? (/Initializer/.test(p.path) ? layer.weights ?? layer.definition : layer.definition) : model;
  return { range, message: `the model read from this file is not valid: ${problemText(p)}`, severity: 'warning' };
}

/** Attaches `source` (the layer's weights range; the model for whole-model findings) to findings. */
export function anchorFindings(findings: Finding[], result: ImportResult): Finding[] {
  return findings.map((f) => {
    const l = f.layer >= 0 ? result.layers[f.layer] : undefined;
    const r = l ? l.weights ?? l.definition : result.modelRange;
    if (!r) return f;
    return { ...f, source: { file: result.fileName, line: r.line, column: r.column, endLine: r.endLine, endColumn: r.endColumn } };
  });
}

function importJson(fileName: string, text: string, forceSpec: boolean): ImportResult | undefined {
  const read = readJson(text, forceSpec);
  if (!read.isSpec) return undefined;
  const lines = new LineMap(text);
  const notes: ImportNote[] = read.errors.map((e) => ({ range: lines.range(e.span), message: e.message, severity: 'error' }));
  const value = read.value && typeof read.value === 'object' && !Array.isArray(read.value) && (read.value as Record<string, unknown>).name === undefined
    ? { ...(read.value as Record<string, unknown>), name: specNameOf(fileName) }
    : read.value;
  // A syntax error makes the file an invalid spec (as `--spec` refuses it): what jsonc-parser recovered
  // from a truncated file, `NaN` or trailing garbage is not what the user wrote. The notes say where.
  const spec: SpecResult = read.errors.length > 0
    ? { ok: false, problems: read.errors.slice(0, 5).map((e) => { const r = lines.range(e.span); return { path: '$', message: `${e.message} at line ${r.line}, column ${r.column}` }; }) }
    : validateSpec(value);
  const rootSpan: Span = read.root ? { from: read.root.offset, to: read.root.offset + read.root.length } : { from: 0, to: 0 };
  const layers: LayerSource[] = read.layers.map((l, i) => {
    const src: LayerSource = { layer: i, definition: lines.range(l.definition), weights: lines.range(l.kernel ?? l.definition) };
    if (l.bias) src.bias = lines.range(l.bias);
    if (l.activation) src.activation = lines.range(l.activation);
    if (l.kernelSite) src.kernelInitializer = { range: lines.range(l.kernelSite.span), idiom: 'json', prefix: '' };
    if (l.biasSite) src.biasInitializer = { range: lines.range(l.biasSite.span), idiom: 'json', prefix: '' };
    if (l.activation && text[l.activation.from] === '"') src.activationString = lines.range(l.activation);
    return src;
  });
  if (!spec.ok && read.errors.length === 0) {
    // Linear in the document, at most MAX_PROBLEMS + 1 problems, and a time budget on top: whatever the
    // text, reading it never holds the extension host for long (past the budget, problems point at the root).
    const locate = pathLocator(read.root);
    const deadline = Date.now() + LOCATE_BUDGET_MS;
    for (const p of spec.problems) {
      const s = (Date.now() <= deadline ? locate(p.path) : undefined) ?? rootSpan;
      notes.push({ range: lines.range(s), message: `${p.path}: ${p.message}`, severity: 'error' });
    }
  }
  const result: ImportResult = { fileName, language: 'json', spec, layers, notes, staticFindings: [], modelRange: lines.range(rootSpan) };
  if (read.learningRate) result.learningRate = lines.range(read.learningRate);
  if (read.batchSize) result.batchSize = lines.range(read.batchSize);
  if (read.steps) result.steps = lines.range(read.steps);
  if (spec.ok) result.staticFindings = anchorFindings(staticFindings(spec.spec as ModelSpec), result);
  // A spec's program parts: the spec-level fixes (no edits to choose from), at the spec's root.
  if (spec.ok) result.staticFindings = mergeProgramFindings(result.staticFindings, anchorFindings(programFindings(spec.spec as ModelSpec), result));
  return result;
}
