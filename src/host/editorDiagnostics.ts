// The editor side of issue 6: the model in the open file is read by the importers (src/core/importers)
// while the user types (debounced), and its static findings, import notes and — after a training run
// of that file — runtime findings become diagnostics on the lines that define each layer, in one
// DiagnosticCollection ('gradient-lens'). Quick fixes (codeActions.ts) and the "Train this model"
// CodeLens (codeLens.ts) read the same cached import; editorFeatures.ts wires them together. Findings
// become diagnostics only here (STYLE.md 8).
//
// The reading itself happens in the reader process (readerClient.ts, issue 19), never on the extension
// host's thread: a file the reader could not finish (out of memory, past its deadline, a crash) gets one
// "stopped reading" diagnostic on its first line, and every other file goes on as before.
import * as vscode from 'vscode';
import type { ImportNote, ImportResult, SourceRange } from '../core/importers/types';
import type { Finding, Severity } from '../core/findings';
import type { ReadOutcome, ReaderClient } from './readerClient';
import { evidenceSentences } from '../core/evidenceText';
import { inCausalOrder } from '../core/findingOrder';
import { withUpstreamLine } from '../core/diagnostics/causes';

export const DIAGNOSTIC_COLLECTION = 'gradient-lens';
/** `Diagnostic.source` of static findings and notes / of findings from a training run. */
export const STATIC_SOURCE = 'Gradient Lens';
export const RUNTIME_SOURCE = 'Gradient Lens (training)';
/** Code of import notes (constructs not followed); findings use their own stable codes. */
export const NOTE_CODE = 'import-note';
/** Code of the diagnostic of a file the reader process could not finish (docs/importers.md#reader-stopped). */
export const READER_STOPPED_CODE = 'reader-stopped';
export const DEBOUNCE_MS = 300;

/** Languages whose documents may define a model (by file extension, importSource decides). */
export const MODEL_SELECTOR: vscode.DocumentFilter[] = ['python', 'javascript', 'typescript', 'javascriptreact', 'typescriptreact', 'json', 'jsonc']
  .flatMap((language) => [{ language, scheme: 'file' }, { language, scheme: 'untitled' }]);

export interface EditorFeatures {
  /** Shows a training run's findings on the lines of their layers; replaces that file's previous run. */
  showRuntimeFindings(uri: vscode.Uri, findings: Finding[]): void;
  /** The model in a document (read once per document version, in the reader process), or undefined when it defines none or could not be read. */
  importDocument(doc: vscode.TextDocument): Promise<ImportResult | undefined>;
  /** The same read, with why it stopped when the reader could not finish it. */
  readDocument(doc: vscode.TextDocument): Promise<ReadOutcome>;
}

export interface EditorDeps {
  /** Trains the model of a file (the extension's gradientLens.trainFile); used by "Fix and re-train". */
  trainDocument(uri: vscode.Uri): Promise<unknown>;
  /** The extension's log (warnings: what a command refused and why). */
  log?(message: string): void;
  /** An open document was read and defines a trainable model (a trigger to prepare a training process ahead). */
  modelSeen?(uri: vscode.Uri): void;
}

const EXT_OF_LANGUAGE: Record<string, string> = {
  python: '.py', javascript: '.js', javascriptreact: '.jsx', typescript: '.ts', typescriptreact: '.tsx', json: '.json', jsonc: '.json',
};

/** The name importSource dispatches on: untitled documents get the extension of their language. */
export function importFileName(doc: vscode.TextDocument): string {
  const name = doc.fileName;
  const base = name.split(/[\\/]/).pop() ?? name;
  if (doc.uri.scheme !== 'file' && !base.includes('.')) return name + (EXT_OF_LANGUAGE[doc.languageId] ?? '');
  return name;
}

/** "Gradient Lens stopped reading mnist.py: it needed more than 256 MB …" — a read that gave no result, for messages. */
export function stoppedMessage(outcome: Extract<ReadOutcome, { ok: false }>, name = 'this file'): string {
  return `Gradient Lens stopped reading ${name}: ${outcome.message}. Nothing in it was run; it gets no findings, quick fixes or CodeLens until it changes.`;
}

/** 1-based importer range → VS Code range, clamped into the document (vscode-eslint style). */
export function toRange(doc: vscode.TextDocument | undefined, r: SourceRange): vscode.Range {
  const range = new vscode.Range(Math.max(0, r.line - 1), Math.max(0, r.column - 1), Math.max(0, r.endLine - 1), Math.max(0, r.endColumn - 1));
  return doc ? doc.validateRange(range) : range;
}

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error, warning: vscode.DiagnosticSeverity.Warning, info: vscode.DiagnosticSeverity.Information,
};


interface RuntimeEntry {
  findings: Finding[];
  /** The spec the run trained (JSON): the findings hold while the file still defines it. */
  specKey: string | undefined;
}

/** Owns the collection, the per-document import cache and the runtime findings of each file. */
export class EditorDiagnostics implements vscode.Disposable, EditorFeatures {
  readonly collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_COLLECTION);
  private readonly cache = new Map<string, { version: number; outcome: Promise<ReadOutcome> }>();
  private readonly runtime = new Map<string, RuntimeEntry>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after a document's diagnostics were recomputed (CodeLens refresh, tests). */
  readonly onDidUpdate = this.changed.event;
  private readonly modelRead = new vscode.EventEmitter<vscode.Uri>();
  /** Fires when an open document's current text was read and defines a trainable model. */
  readonly onDidReadModel = this.modelRead.event;
  private readonly disposables: vscode.Disposable[] = [this.collection, this.changed, this.modelRead];

  constructor(private readonly docsUri: vscode.Uri, private readonly reader: ReaderClient) {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => void this.update(d)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) this.schedule(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)),
    );
    for (const d of vscode.workspace.textDocuments) void this.update(d);
  }

  readDocument(doc: vscode.TextDocument): Promise<ReadOutcome> {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit.outcome;
    const outcome = this.reader.read(importFileName(doc), doc.getText(), { key });
    this.cache.set(key, { version: doc.version, outcome });
    return outcome;
  }

  async importDocument(doc: vscode.TextDocument): Promise<ImportResult | undefined> {
    const outcome = await this.readDocument(doc);
    return outcome.ok ? outcome.result : undefined;
  }

  /** Runtime findings of a file, as the code actions need them. */
  runtimeFindings(uri: vscode.Uri): Finding[] {
    return this.runtime.get(uri.toString())?.findings ?? [];
  }

  showRuntimeFindings(uri: vscode.Uri, findings: Finding[]): void {
    const key = uri.toString();
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    // The spec they hold for is the one the file defines now: update() takes it from the current read.
    this.runtime.set(key, { findings, specKey: undefined });
    if (doc) void this.update(doc);
    else this.collection.set(uri, findings.map((f) => this.findingDiagnostic(f, undefined, undefined, uri, true)));
  }

  private schedule(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      void this.update(doc);
    }, DEBOUNCE_MS));
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.cache.delete(key);
    this.runtime.delete(key);
    this.collection.delete(uri);
  }

  /** Recomputes a document's diagnostics (once the reader has read its current text). */
  async update(doc: vscode.TextDocument): Promise<void> {
    if (doc.isClosed || !vscode.languages.match(MODEL_SELECTOR, doc)) return;
    const key = doc.uri.toString();
    const version = doc.version;
    const outcome = await this.readDocument(doc);
    // Closed or edited meanwhile: the close cleared it, the edit schedules its own update.
    if (doc.isClosed || doc.version !== version || outcome.ok === false && outcome.reason === 'disposed') return;
    const result = outcome.ok ? outcome.result : undefined;
    const run = this.runtime.get(key);
    // Findings shown while the file was closed or during a run: the spec they hold for is the one it defines now.
    if (run && run.specKey === undefined && result?.spec.ok) run.specKey = JSON.stringify(result.spec.spec);
    // A change that alters the model invalidates the last run's findings; other edits re-anchor them.
    if (run && (!result?.spec.ok || (run.specKey !== undefined && JSON.stringify(result.spec.spec) !== run.specKey))) this.runtime.delete(key);
    const diagnostics: vscode.Diagnostic[] = [];
    if (!outcome.ok) diagnostics.push(this.stoppedDiagnostic(outcome, doc));
    if (result) {
      // One diagnostic per finding: a static finding and the run's with the same code on the same line are one, the
      // run's (its measured evidence replaces the prediction). Root causes first, so the hover leads with them.
      const runtime = (this.runtime.get(key)?.findings ?? []).map((f) => ({ f, d: this.findingDiagnostic(f, result, doc, doc.uri, true) }));
      const measured = new Set(runtime.map(({ f, d }) => `${f.code}|${d.range.start.line}`));
      const predicted = result.staticFindings.map((f) => ({ f, d: this.findingDiagnostic(f, result, doc, doc.uri, false) }))
        .filter(({ f, d }) => !measured.has(`${f.code}|${d.range.start.line}`));
      const ordered = inCausalOrder([...runtime, ...predicted].map(({ f, d }) => Object.assign({}, f, { diagnostic: d })));
      for (const f of ordered) diagnostics.push(f.diagnostic);
      // where the run differs from the program as written: warnings, never silent
      for (const n of result.deviations ?? []) diagnostics.push(this.noteDiagnostic({ ...n, severity: n.severity ?? 'warning' }, doc));
      for (const n of result.notes) diagnostics.push(this.noteDiagnostic(n, doc));
    }
    this.collection.set(doc.uri, diagnostics);
    this.changed.fire(doc.uri);
    if (result?.spec.ok) this.modelRead.fire(doc.uri);
  }

  private codeFor(code: string, page: 'findings' | 'importers'): { value: string; target: vscode.Uri } {
    const target = page === 'findings' ? this.docsUri : vscode.Uri.joinPath(this.docsUri, '..', 'importers.md');
    return { value: code, target: target.with({ fragment: code }) };
  }

  /** One diagnostic for a file the reader could not finish: on its first line (where it stopped is not known). */
  private stoppedDiagnostic(outcome: Extract<ReadOutcome, { ok: false }>, doc: vscode.TextDocument): vscode.Diagnostic {
    const d = new vscode.Diagnostic(doc.lineAt(0).range, stoppedMessage(outcome), vscode.DiagnosticSeverity.Warning);
    d.source = STATIC_SOURCE;
    d.code = this.codeFor(READER_STOPPED_CODE, 'importers');
    return d;
  }

  private noteDiagnostic(n: ImportNote, doc: vscode.TextDocument): vscode.Diagnostic {
    const d = new vscode.Diagnostic(toRange(doc, n.range), `Gradient Lens: ${n.message}`, SEVERITY[n.severity ?? 'info']);
    d.source = STATIC_SOURCE;
    d.code = this.codeFor(NOTE_CODE, 'importers');
    return d;
  }

  /** Where a finding lands: its layer's weights in the current text, else the position it carries. */
  private findingRange(f: Finding, result: ImportResult | undefined, doc: vscode.TextDocument | undefined, runtime = false): vscode.Range {
    const carried = (s: NonNullable<Finding['source']>): vscode.Range =>
      toRange(doc, { line: s.line, column: s.column, endLine: s.endLine ?? s.line, endColumn: s.endColumn ?? s.column + 1 });
    // A static whole-model finding with its own place (unstable-loss: the loss line) is recomputed with the text.
    if (!runtime && f.layer < 0 && f.source) return carried(f.source);
    // The run's whole-model finding about a program part lands where the code shows that part (the static twin's place).
    if (runtime && f.layer < 0) {
      const twin = result?.staticFindings.find((g) => g.code === f.code && g.layer < 0 && g.source);
      if (twin?.source) return carried(twin.source);
      // no static twin: the program site the run itself carries (the run is given the program's sites)
      if (f.source) return carried(f.source);
    }
    const layer = result && f.layer >= 0 ? result.layers[f.layer] : undefined;
    const r = layer ? layer.weights ?? layer.definition : f.layer < 0 && result?.modelRange ? result.modelRange : undefined;
    if (r) return toRange(doc, r);
    if (f.source) return carried(f.source);
    return toRange(doc, { line: 1, column: 1, endLine: 1, endColumn: 1 });
  }

  findingDiagnostic(f: Finding, result: ImportResult | undefined, doc: vscode.TextDocument | undefined, uri: vscode.Uri, runtime: boolean): vscode.Diagnostic {
    const range = this.findingRange(f, result, doc, runtime);
    const when = runtime ? (f.firstStep === 0 ? ' (training run: from the start)' : ` (training run: from step ${f.firstStep})`) : '';
    // Caused upstream: the causing layer's line as the file reads now, and a link to it.
    const upstream = result && typeof f.evidence.upstreamLayer === 'number' ? result.layers[f.evidence.upstreamLayer] : undefined;
    const upstreamRange = upstream ? upstream.weights ?? upstream.definition : undefined;
    const message = upstreamRange ? withUpstreamLine(f.message, upstreamRange.line) : f.message;
    const d = new vscode.Diagnostic(range, `${message}${when}`, SEVERITY[f.severity] ?? vscode.DiagnosticSeverity.Information);
    d.source = runtime ? RUNTIME_SOURCE : STATIC_SOURCE;
    d.code = this.codeFor(f.code, 'findings');
    const related: vscode.DiagnosticRelatedInformation[] = [];
    const layer = result && f.layer >= 0 ? result.layers[f.layer] : undefined;
    if (upstreamRange) related.push(new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(doc, upstreamRange)), `the cause: this layer outputs ${f.evidence.upstreamOutputs === 'constant' ? 'the same values for every image' : 'only zeros'} (its findings carry the fix)`));
    for (const e of evidenceSentences(f, result?.spec.ok ? result.spec.spec : undefined)) related.push(new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, range), `evidence: ${e}`));
    if (layer?.activation) related.push(new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(doc, layer.activation)), "this layer's activation"));
    if (layer?.bias) related.push(new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(doc, layer.bias)), "this layer's bias"));
    // The weights are set apart from the layer (PyTorch's nn.init.zeros_(self.fc1.weight)): the layer itself too.
    if (layer?.weights && layer.definition.line !== layer.weights.line) {
      related.push(new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(doc, layer.definition)), 'this layer'));
    }
    // Weights made by a helper: where they are created, and the calls that lead there.
    if (layer?.weightsCreated) related.push(new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(doc, layer.weightsCreated)), 'the weights are created here (by a helper several layers share)'));
    for (const c of layer?.via ?? []) related.push(new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(doc, c)), "called from here (on the way to this layer's weights)"));
    if (related.length) d.relatedInformation = related;
    return d;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const d of this.disposables) d.dispose();
  }
}
