// "Train this model" above the model definition of any file the importers can read, plus a summary
// lens (architecture, optimizer, steps) so the user sees what will be trained; a file whose model is
// not valid gets a lens that opens the Problems panel instead.
import * as vscode from 'vscode';
import { describeArchitecture } from '../core/spec';
import { type EditorDiagnostics, MODEL_SELECTOR, toRange } from './editorDiagnostics';

/** The extension's command that trains the model of a file (argument: its URI). */
export const TRAIN_FILE_COMMAND = 'gradientLens.trainFile';

export class TrainCodeLens implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly diagnostics: EditorDiagnostics) {}

  refresh(): void {
    this.changed.fire();
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const result = await this.diagnostics.importDocument(doc);
    if (!result) return [];
    const anchor = result.modelRange ?? result.layers[0]?.definition;
    if (!anchor) return [];
    const line = toRange(doc, anchor).start.line;
    const range = new vscode.Range(line, 0, line, 0);
    if (!result.spec.ok) {
      const n = result.spec.problems.length;
      return [new vscode.CodeLens(range, { title: `$(warning) Gradient Lens: cannot train this model (${n} problem${n === 1 ? '' : 's'})`, command: 'workbench.actions.view.problems' })];
    }
    const s = result.spec.spec;
    return [
      new vscode.CodeLens(range, { title: '$(play) Train this model', command: TRAIN_FILE_COMMAND, arguments: [doc.uri], tooltip: 'Train it on MNIST with Gradient Lens; findings land on these lines' }),
      new vscode.CodeLens(range, { title: `${describeArchitecture(s)} · ${s.optimizer.type} ${s.optimizer.learningRate} · batch ${s.batchSize} · ${s.steps} steps`, command: '' }),
    ];
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function registerCodeLens(context: vscode.ExtensionContext, diagnostics: EditorDiagnostics): TrainCodeLens {
  const lens = new TrainCodeLens(diagnostics);
  context.subscriptions.push(lens, vscode.languages.registerCodeLensProvider(MODEL_SELECTOR, lens), diagnostics.onDidUpdate(() => lens.refresh()));
  return lens;
}
