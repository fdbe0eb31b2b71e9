// The one entry point of the editor features (issue 6): extension.ts calls registerEditorFeatures once.
// Diagnostics (editorDiagnostics.ts), quick fixes and "Fix and re-train" (codeActions.ts) and the
// "Train this model" CodeLens (codeLens.ts), all owned by `context.subscriptions`. Every file is read in
// the reader process (readerClient.ts) that extension.ts owns.
import * as vscode from 'vscode';
import { type EditorDeps, type EditorFeatures, EditorDiagnostics } from './editorDiagnostics';
import { registerCodeActions } from './codeActions';
import { registerCodeLens } from './codeLens';
import type { ReaderClient } from './readerClient';

export type { EditorDeps, EditorFeatures } from './editorDiagnostics';

export function registerEditorFeatures(context: vscode.ExtensionContext, reader: ReaderClient, deps: EditorDeps): EditorFeatures {
  const docsUri = vscode.Uri.joinPath(context.extensionUri, 'docs', 'findings.md');
  const diagnostics = new EditorDiagnostics(docsUri, reader);
  context.subscriptions.push(diagnostics);
  const seen = deps.modelSeen;
  if (seen) context.subscriptions.push(diagnostics.onDidReadModel((uri) => seen(uri)));
  registerCodeActions(context, diagnostics, deps);
  registerCodeLens(context, diagnostics);
  return {
    showRuntimeFindings: (uri, findings) => diagnostics.showRuntimeFindings(uri, findings),
    importDocument: (doc) => diagnostics.importDocument(doc),
    readDocument: (doc) => diagnostics.readDocument(doc),
  };
}
