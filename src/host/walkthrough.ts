// The Get Started walkthrough (package.json `contributes.walkthroughs`, texts and images in
// media/walkthrough/): VS Code ticks a step when one of its `completionEvents` happens. Buttons give
// `onCommand:` events, but only for commands run through the workbench; the events that matter here —
// the example is open, its warning is on screen, a run ended, two runs are compared — can happen
// through any route (Command Palette, QuickPick, CodeLens, the panel), so this module turns each into
// a context key that the steps complete on (`onContext:`). A key is set once per window and never
// cleared: VS Code keeps a step's completion itself.
import * as vscode from 'vscode';
import type { RunManager, RunRecord } from './runManager';
import { RUNTIME_SOURCE, STATIC_SOURCE } from './editorDiagnostics';
import type { ImportResult } from '../core/importers/types';

/** `workbench.action.openWalkthrough` argument: `<publisher>.<name>#<walkthrough id>`. */
export const WALKTHROUGH_ID = 'gradient-lens.gradient-lens#firstSteps';

/** Context keys the walkthrough's steps complete on (package.json `completionEvents`, in order). */
export const WALKTHROUGH_KEYS = {
  exampleOpened: 'gradientLens.walkthrough.exampleOpened',
  hiddenLayerWarningShown: 'gradientLens.walkthrough.hiddenLayerWarningShown',
  runEnded: 'gradientLens.walkthrough.runEnded',
  runsCompared: 'gradientLens.walkthrough.runsCompared',
} as const;

export type WalkthroughKey = keyof typeof WALKTHROUGH_KEYS;

export interface WalkthroughDeps {
  runs: Pick<RunManager, 'onDidEndRun'>;
  importDocument(doc: vscode.TextDocument): Promise<ImportResult | undefined>;
}

/** Whether a diagnostic of ours (warning or error) sits on the line of a hidden layer's weights. */
export function onHiddenLayerLine(d: vscode.Diagnostic, imported: ImportResult): boolean {
  if (d.source !== STATIC_SOURCE && d.source !== RUNTIME_SOURCE) return false;
  if (d.severity !== vscode.DiagnosticSeverity.Error && d.severity !== vscode.DiagnosticSeverity.Warning) return false;
  const hidden = imported.layers.slice(0, -1);
  return hidden.some((l) => (l.weights ?? l.definition).line - 1 === d.range.start.line);
}

export class WalkthroughProgress implements vscode.Disposable {
  private readonly reached = new Set<WalkthroughKey>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: WalkthroughDeps) {
    this.disposables.push(
      vscode.languages.onDidChangeDiagnostics(() => void this.checkVisibleWarnings()),
      vscode.window.onDidChangeVisibleTextEditors(() => void this.checkVisibleWarnings()),
      deps.runs.onDidEndRun((r) => this.onRunEnded(r)),
    );
    void this.checkVisibleWarnings();
  }

  /** What has happened in this window so far (tests, and the log). */
  get progress(): readonly WalkthroughKey[] {
    return [...this.reached];
  }

  reach(key: WalkthroughKey): void {
    if (this.reached.has(key)) return;
    this.reached.add(key);
    void vscode.commands.executeCommand('setContext', WALKTHROUGH_KEYS[key], true);
  }

  private onRunEnded(r: RunRecord): void {
    if (r.status !== 'finished') return;
    this.reach('runEnded');
    // The panel shows a run begun with compareWithRunId beside that run, and a sweep's variants as a set.
    if (r.compareWithRunId || (r.group && r.group.index > 0)) this.reach('runsCompared');
  }

  private async checkVisibleWarnings(): Promise<void> {
    if (this.reached.has('hiddenLayerWarningShown')) return;
    for (const editor of vscode.window.visibleTextEditors) {
      const ours = vscode.languages.getDiagnostics(editor.document.uri).filter((d) => d.source === STATIC_SOURCE || d.source === RUNTIME_SOURCE);
      if (ours.length === 0) continue;
      const imported = await this.deps.importDocument(editor.document);
      if (this.reached.has('hiddenLayerWarningShown')) return;
      if (imported && ours.some((d) => onHiddenLayerLine(d, imported))) {
        this.reach('hiddenLayerWarningShown');
        return;
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
