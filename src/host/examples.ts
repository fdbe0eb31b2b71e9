// "Gradient Lens: Open Example": one of the example programs (src/core/examples.ts) as an editable file
// on disk — in `gradient-lens-examples/` of the first workspace folder when a trusted folder is open,
// else in the extension's global storage — so everything a user's own file gets works on it:
// diagnostics, quick fixes, "Train this model", findings on its lines. An existing copy is opened as
// the user left it (with an offer to restore the original), never overwritten silently.
import * as vscode from 'vscode';
import { EXAMPLES, EXAMPLES_FOLDER, type Example, findExample } from '../core/examples';

/** Folder, inside the workspace folder, that receives the copies. */
export const WORKSPACE_EXAMPLES_FOLDER = 'gradient-lens-examples';

/** `gradientLens.openExample` arguments: an example id, or `{ example, reset? }` (reset: replace an edited copy). */
export interface OpenExampleArgs {
  example: string;
  reset?: boolean;
}

export interface ExampleOpenerDeps {
  extensionUri: vscode.Uri;
  globalStorageUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  /** Called after an example was opened in an editor (the walkthrough's first step). */
  onDidOpen?: (example: Example, uri: vscode.Uri) => void;
}

export const exampleItems = (): (vscode.QuickPickItem & { example: Example })[] =>
  EXAMPLES.map((e) => ({ label: e.title, description: e.fileName, detail: e.description, example: e }));

/** Parses the command's argument; a string says what was wrong with it. */
export function exampleArgs(arg: unknown): OpenExampleArgs | string | undefined {
  if (arg === undefined) return undefined;
  const a = typeof arg === 'string' ? { example: arg } : arg;
  const known = EXAMPLES.map((e) => e.id).join(', ');
  if (typeof a !== 'object' || a === null || Array.isArray(a)) return `expected an example id or { example, reset? } (examples: ${known})`;
  const { example, reset } = a as { example?: unknown; reset?: unknown };
  if (typeof example !== 'string' || !findExample(example)) return `unknown example ${JSON.stringify(example)} (expected one of ${known})`;
  if (reset !== undefined && typeof reset !== 'boolean') return '"reset" must be true or false';
  return { example, reset: reset === true };
}

export class ExampleOpener {
  constructor(private readonly deps: ExampleOpenerDeps) {}

  /** Where the editable copy of an example lives. */
  targetFolder(): vscode.Uri {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder && folder.uri.scheme === 'file' && vscode.workspace.isTrusted) return vscode.Uri.joinPath(folder.uri, WORKSPACE_EXAMPLES_FOLDER);
    return vscode.Uri.joinPath(this.deps.globalStorageUri, 'examples');
  }

  /** QuickPick of the examples; undefined when dismissed. */
  async pick(): Promise<Example | undefined> {
    const picked = await vscode.window.showQuickPick(exampleItems(), {
      title: 'Gradient Lens: Open Example', placeHolder: 'The seed question’s programs, as editable files', matchOnDetail: true,
    });
    return picked?.example;
  }

  /** The command: asks which example when none is given; resolves to the opened file's URI. */
  async run(arg?: unknown): Promise<vscode.Uri | undefined> {
    const args = exampleArgs(arg);
    if (typeof args === 'string') {
      void vscode.window.showErrorMessage(`Gradient Lens: cannot open the example: ${args}`);
      return undefined;
    }
    const example = args ? findExample(args.example) : await this.pick();
    if (!example) return undefined;
    try {
      return await this.open(example, args?.reset === true);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.deps.log.error(`open example ${example.id}: ${message}`);
      void vscode.window.showErrorMessage(`Gradient Lens: could not open the example ${example.fileName}: ${message}`);
      return undefined;
    }
  }

  /** Writes the example's copy when there is none (or `reset`), opens it in the active editor group. */
  async open(example: Example, reset = false): Promise<vscode.Uri> {
    const original = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(this.deps.extensionUri, EXAMPLES_FOLDER, example.fileName));
    const folder = this.targetFolder();
    const uri = vscode.Uri.joinPath(folder, example.fileName);
    const existing = await vscode.workspace.fs.readFile(uri).then((b) => b, () => undefined);
    const edited = existing !== undefined && Buffer.compare(Buffer.from(existing), Buffer.from(original)) !== 0;
    if (existing === undefined || (edited && reset)) {
      await vscode.workspace.fs.createDirectory(folder);
      await vscode.workspace.fs.writeFile(uri, original);
      this.deps.log.info(`example ${example.id} written to ${uri.fsPath}`);
    }
    // An open editor with unsaved changes shows the user's buffer: restoring means replacing its text too.
    let doc = await vscode.workspace.openTextDocument(uri);
    if (reset && doc.getText() !== Buffer.from(original).toString('utf8')) {
      const all = new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
      const we = new vscode.WorkspaceEdit();
      we.replace(uri, all, Buffer.from(original).toString('utf8'));
      await vscode.workspace.applyEdit(we);
      await doc.save();
      doc = await vscode.workspace.openTextDocument(uri);
    }
    if (doc.languageId !== example.languageId) doc = await vscode.languages.setTextDocumentLanguage(doc, example.languageId);
    await vscode.window.showTextDocument(doc, { preview: false });
    this.deps.onDidOpen?.(example, uri);
    if (edited && !reset) {
      const restore = 'Restore Original';
      void vscode.window.showInformationMessage(`Gradient Lens: opened your edited copy of ${example.fileName}.`, restore).then((pick) => {
        if (pick === restore) void this.open(example, true);
      });
    }
    return uri;
  }
}
