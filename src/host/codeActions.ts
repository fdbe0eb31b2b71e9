// Quick fixes for Gradient Lens diagnostics (code-actions-sample style): context.diagnostics is
// filtered by our source and codes, each finding's structured fixes become edits in the file's own
// idiom (core/importers/fixEdits.ts: a program fix its reader-written edits, a `layers` fix every layer's edit, in
// one WorkspaceEdit), `action.diagnostics` links them, and exactly one action — the
// first fix that has an edit — is preferred. Each diagnostic also gets "Fix and re-train", which
// applies that fix and trains the file again.
import * as vscode from 'vscode';
import { applyFix, fixKey, fixProblem } from '../core/fixes';
import { preview } from '../core/untrusted';
import type { Finding, Fix } from '../core/findings';
import { editKey, fixToEdits } from '../core/importers/fixEdits';
import type { ImportResult, TextEdit } from '../core/importers/types';
import { type EditorDeps, type EditorDiagnostics, MODEL_SELECTOR, RUNTIME_SOURCE, STATIC_SOURCE, toRange } from './editorDiagnostics';

export const FIX_AND_RETRAIN_COMMAND = 'gradientLens.fixAndRetrain';

const codeOf = (d: vscode.Diagnostic): string | undefined => {
  const c = d.code;
  if (c === undefined) return undefined;
  return typeof c === 'object' ? String(c.value) : String(c);
};

/** One WorkspaceEdit with every edit of a fix (fixToEdits has checked that they do not overlap). */
function toWorkspaceEdit(doc: vscode.TextDocument, edits: readonly TextEdit[]): vscode.WorkspaceEdit {
  const we = new vscode.WorkspaceEdit();
  for (const edit of edits) we.replace(doc.uri, toRange(doc, edit.range), edit.newText);
  return we;
}

const editsKey = (edits: readonly TextEdit[]): string => edits.map(editKey).join('\u0000');

export class GradientLensCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(private readonly diagnostics: EditorDiagnostics) {}

  /** The finding a diagnostic shows: same code, on the same line (static findings, then the last run's). */
  private findingFor(d: vscode.Diagnostic, doc: vscode.TextDocument, result: ImportResult): Finding | undefined {
    const code = codeOf(d);
    const pool = d.source === RUNTIME_SOURCE ? this.diagnostics.runtimeFindings(doc.uri) : result.staticFindings;
    // where editorDiagnostics puts it: the layer's weights; a whole-model finding on its program site (the static
    // twin's, or the one it carries), else on the model
    const onLine = (f: Finding): boolean => {
      const l = f.layer >= 0 ? result.layers[f.layer] : undefined;
      if (l) return (l.weights ?? l.definition).line - 1 === d.range.start.line;
      const twin = result.staticFindings.find((g) => g.code === f.code && g.layer < 0 && g.source);
      return [twin?.source?.line, f.source?.line, result.modelRange?.line].some((line) => line !== undefined && line - 1 === d.range.start.line);
    };
    const same = pool.filter((f) => f.code === code);
    return same.find(onLine) ?? (same.length === 1 ? same[0] : undefined);
  }

  async provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    if (context.only && !context.only.contains(vscode.CodeActionKind.QuickFix) && !vscode.CodeActionKind.QuickFix.contains(context.only)) return [];
    const ours = context.diagnostics.filter((d) => (d.source === STATIC_SOURCE || d.source === RUNTIME_SOURCE) && codeOf(d) !== undefined);
    if (ours.length === 0) return [];
    const version = doc.version;
    const result = await this.diagnostics.importDocument(doc);
    // Edited while it was read: the edits would be computed against other text; VS Code asks again.
    if (!result || doc.version !== version) return [];
    const text = doc.getText();
    const byEdit = new Map<string, vscode.CodeAction>();
    const retrain: vscode.CodeAction[] = [];
    let preferred = false;
    for (const d of ours) {
      const finding = this.findingFor(d, doc, result);
      if (!finding) continue;
      let retrainFix: Fix | undefined;
      for (const fix of finding.fixes) {
        const edits = fixToEdits(result, text, fix);
        if (!edits) continue;
        retrainFix ??= fix;
        const key = editsKey(edits);
        const existing = byEdit.get(key);
        if (existing) {
          existing.diagnostics = [...(existing.diagnostics ?? []), d];
          continue;
        }
        const action = new vscode.CodeAction(fix.label, vscode.CodeActionKind.QuickFix);
        action.edit = toWorkspaceEdit(doc, edits);
        action.diagnostics = [d];
        if (!preferred) {
          action.isPreferred = true;
          preferred = true;
        }
        byEdit.set(key, action);
      }
      retrainFix ??= finding.fixes[0];
      if (retrainFix && !retrain.some((a) => a.title.endsWith(retrainFix!.label))) {
        const action = new vscode.CodeAction(`Fix and re-train: ${retrainFix.label}`, vscode.CodeActionKind.QuickFix);
        action.command = { command: FIX_AND_RETRAIN_COMMAND, title: action.title, arguments: [doc.uri, retrainFix] };
        action.diagnostics = [d];
        retrain.push(action);
      }
    }
    return [...byEdit.values(), ...retrain];
  }
}

/** The fixes a document's current findings offer: its static findings and the last run's on it. */
function offeredFixes(diagnostics: EditorDiagnostics, uri: vscode.Uri, result: ImportResult): Set<string> {
  const out = new Set<string>();
  for (const f of [...result.staticFindings, ...diagnostics.runtimeFindings(uri)]) for (const fix of f.fixes) out.add(fixKey(fix));
  return out;
}

/**
 * `gradientLens.fixAndRetrain(uri, fix)`: writes the fix into the file when it can be written there
 * and trains the file; a fix the source cannot express (e.g. a default initializer) trains the
 * file's spec with the fix applied instead. Its arguments can come from anywhere (another extension,
 * a crafted command link), so before anything is edited: the workspace must be trusted, the file a
 * file (or untitled) document, the fix valid under the fix contract, and one that a current finding
 * or diagnostic of that file offers. Anything else changes nothing and says why (message + log).
 */
export async function fixAndRetrain(diagnostics: EditorDiagnostics, deps: EditorDeps, uriArg: unknown, fixArg: unknown): Promise<unknown> {
  const refuse = (why: string, shown = why): undefined => {
    deps.log?.(`"Fix and re-train" refused: ${why}`);
    void vscode.window.showErrorMessage(`Gradient Lens: "Fix and re-train" ${shown}`);
    return undefined;
  };
  if (!(uriArg instanceof vscode.Uri) || (uriArg.scheme !== 'file' && uriArg.scheme !== 'untitled')) {
    return refuse(`the first argument is not a file URI (got ${preview(uriArg)})`, 'needs a file and a fix (run it from a quick fix).');
  }
  if (!vscode.workspace.isTrusted) {
    return refuse('the workspace is not trusted (it edits and trains a workspace file)', 'needs a trusted workspace: it edits the file and trains the model it defines.');
  }
  const doc = await vscode.workspace.openTextDocument(uriArg);
  const version = doc.version;
  const outcome = await diagnostics.readDocument(doc);
  if (!outcome.ok) return refuse(`${vscode.workspace.asRelativePath(doc.uri)} could not be read: ${outcome.message}`, `: ${vscode.workspace.asRelativePath(doc.uri)} could not be read (${outcome.message}); nothing was changed.`);
  if (doc.version !== version) return refuse(`${vscode.workspace.asRelativePath(doc.uri)} changed while it was read`, ': the file changed meanwhile; nothing was changed (run the quick fix again).');
  const result = outcome.result;
  if (!result) return refuse(`${vscode.workspace.asRelativePath(doc.uri)} no longer defines a model`, `: ${vscode.workspace.asRelativePath(doc.uri)} no longer defines a model.`);
  const problem = fixProblem(fixArg, result.layers.length);
  if (problem !== undefined) {
    return refuse(`not a valid fix for ${vscode.workspace.asRelativePath(doc.uri)}: ${problem} (${preview(fixArg, 200)})`, 'was given an invalid fix; nothing was changed (see the log).');
  }
  const fix = fixArg as Fix;
  if (!offeredFixes(diagnostics, doc.uri, result).has(fixKey(fix))) {
    return refuse(`no current finding of ${vscode.workspace.asRelativePath(doc.uri)} offers the fix ${preview(fixArg, 200)}`, 'was given a fix that no current finding of this file offers; nothing was changed (see the log).');
  }
  const edits = fixToEdits(result, doc.getText(), fix);
  if (edits) {
    const applied = await vscode.workspace.applyEdit(toWorkspaceEdit(doc, edits));
    if (!applied) {
      void vscode.window.showErrorMessage('Gradient Lens: the fix could not be applied to the file.');
      return undefined;
    }
    return deps.trainDocument(doc.uri);
  }
  if (!result.spec.ok) {
    void vscode.window.showErrorMessage('Gradient Lens: the model in this file cannot be trained (see the Problems panel).');
    return undefined;
  }
  try {
    const spec = applyFix(result.spec.spec, fix);
    return await vscode.commands.executeCommand('gradientLens.train', { spec, label: spec.name });
  } catch (e) {
    void vscode.window.showErrorMessage(`Gradient Lens: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

export function registerCodeActions(context: vscode.ExtensionContext, diagnostics: EditorDiagnostics, deps: EditorDeps): void {
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider(MODEL_SELECTOR, new GradientLensCodeActions(diagnostics), GradientLensCodeActions.metadata),
    vscode.commands.registerCommand(FIX_AND_RETRAIN_COMMAND, (uri: unknown, fix: unknown) => fixAndRetrain(diagnostics, deps, uri, fix)),
  );
}
