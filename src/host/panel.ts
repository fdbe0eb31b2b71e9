// The training panel: one webview beside the editor that shows every run of the session live.
//
// Protocol (src/protocol/webview.ts): the webview says ready → the host posts a snapshot of every
// run so far → then deltas, flushed at most every 125 ms. Host and webview fold the same
// notifications into the same RunState, so the host always holds what a fresh webview needs: the
// panel does not retain its context when hidden; when shown again the webview reloads, says ready
// and gets a snapshot. The webview keeps a thinned copy with setState, which `revive` receives after
// a window reload: untrusted (parsePersistedState), its runs are shown but never acted on. Every message from the webview is validated before use and fixes are accepted
// only if one of the run's findings offered them.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { type TrainerToHostMessage, isTrainerToHostMessage } from '../protocol/training';
import {
  type HostNotification, type RunGroup, type RunState, type SweepKind, type WebviewCommand, DidSnapshotNotification, NotificationFeed, RunStore,
  SWEEP_KIND_NAMES, describeRejected, isFix, nativeSetupOffer, parsePersistedState, parseWebviewCommand,
} from '../protocol/webview';
import type { Fix } from '../core/findings';
import { type ModelSpec, validateSpec } from '../core/spec';
import { applyFix, fixKey } from '../core/fixes';
import { messageWithEvidenceText, runForExport } from './findingWords';

/** Implemented by the extension's run manager. */
export interface PanelHost {
  /** Start a new run ("Re-run with this fix"); compareWithRunId: the run to show it next to. */
  startRun(spec: unknown, label: string, compareWithRunId?: string): void;
  stopRun(runId: string): void;
  /** The header's "Set up native backend" (the run fell back to wasm because tfjs-node is missing or broken). */
  setUpNativeBackend?(): void;
  /** "Compare initialisations / learning rates / activations" of a run: its variants, trained together in one training process. */
  startSweep?(base: { runId: string; spec: ModelSpec; label: string; sourceFile?: string }, kind: SweepKind, layer?: number): void;
  /** Where the panel logs dropped messages and failures (default: console). */
  log?(message: string): void;
  /** The panel became visible (created, revealed, or its tab brought back): a trigger to prepare a training process ahead. */
  panelShown?(): void;
}

/** Live updates are flushed at most this often (tfjs-layers' yieldEvery default). */
export const FLUSH_MS = 125;

/** A model file's extension at the end of a run's label (`mnist_mlp_zeros.py`): not part of an export's name. */
const MODEL_EXT = /(\.mlp)?\.(py|ipynb|js|mjs|cjs|ts|mts|cts|jsx|tsx|json|jsonc)$/i;

/** The part of a run's label an export's file name starts with: safe characters, no model-file extension. */
export function exportBaseName(label: string): string {
  const first = label.split(' · ')[0].split(' + ')[0].trim();
  return first.replace(MODEL_EXT, '').replace(/[^A-Za-z0-9._ +()-]+/g, '_').replace(/\.\.+/g, '_').replace(/_+/g, '_').replace(/\s+/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '').slice(0, 80) || 'run';
}

/**
 * The default file name of an export: `mnist_mlp_zeros.png` for one run, `mnist_mlp_zeros_initialisations.png`
 * for a sweep, `mnist_mlp_zeros_comparison.png` for other runs compared — never `mnist_mlp_zeros.py.png`.
 */
export function exportFileName(runs: Pick<RunState, 'label' | 'group'>[], ext: string): string {
  const base = exportBaseName(runs[0]?.label ?? 'run');
  if (runs.length <= 1) return `${base}.${ext}`;
  const group = runs[0].group;
  if (group && runs.every((r) => r.group?.id === group.id)) {
    const kind = (Object.keys(SWEEP_KIND_NAMES) as SweepKind[]).find((k) => group.title.startsWith(`Compare ${SWEEP_KIND_NAMES[k]}`));
    return `${base}_${kind ? SWEEP_KIND_NAMES[kind].replace(/\s+/g, '-') : 'sweep'}.${ext}`;
  }
  return `${base}_comparison.${ext}`;
}

function safeFileName(label: string, ext: string): string {
  return exportFileName([{ label }], ext);
}

export class TrainingPanel {
  static readonly viewType = 'gradientLens.trainingPanel';
  static currentPanel: TrainingPanel | undefined;

  private readonly store = new RunStore();
  private readonly feed = new NotificationFeed();
  private readonly offeredFixes = new Map<string, Set<string>>();
  /** Runs shown from the webview's saved state (revive): displayed only, never acted on. */
  private readonly restored = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly didDispose = new vscode.EventEmitter<void>();
  readonly onDidDispose: vscode.Event<void> = this.didDispose.event;
  private queue: HostNotification[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** The webview's script has said ready since it was (re)loaded. */
  private ready = false;
  /** whenReady() callers waiting for the webview to say ready (or to show again, retained). */
  private readyWaiters: (() => void)[] = [];
  private disposed = false;

  /** Opens the panel beside the editor (or reveals it) without taking focus. */
  static createOrShow(extensionUri: vscode.Uri, host: PanelHost): TrainingPanel {
    const existing = TrainingPanel.currentPanel;
    if (existing) {
      existing.host = host;
      existing.panel.reveal(vscode.ViewColumn.Beside, true);
      host.panelShown?.();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(TrainingPanel.viewType, 'Gradient Lens',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, TrainingPanel.webviewOptions(extensionUri));
    TrainingPanel.currentPanel = new TrainingPanel(panel, extensionUri, host, undefined);
    host.panelShown?.();
    return TrainingPanel.currentPanel;
  }

  /** For the WebviewPanelSerializer: `state` is what the webview last saved with setState (untrusted). */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, state: unknown, host: PanelHost): TrainingPanel {
    TrainingPanel.currentPanel?.dispose();
    panel.webview.options = TrainingPanel.webviewOptions(extensionUri);
    TrainingPanel.currentPanel = new TrainingPanel(panel, extensionUri, host, state);
    if (panel.visible) host.panelShown?.();
    return TrainingPanel.currentPanel;
  }

  private static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')],
      retainContextWhenHidden: false,
    };
  }

  private wasVisible: boolean;

  private constructor(private readonly panel: vscode.WebviewPanel, private readonly extensionUri: vscode.Uri, private host: PanelHost, state: unknown) {
    this.wasVisible = panel.visible;
    this.restore(state);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      panel.onDidChangeViewState(() => {
        // Focus moving between the editor and a visible panel also fires this: only a hidden → visible
        // change needs a snapshot (a full one can be megabytes on long runs).
        if (panel.visible === this.wasVisible) return;
        this.wasVisible = panel.visible;
        if (panel.visible) {
          // A retained webview would not say ready again, so it gets a snapshot and deltas now; a reloading
          // one may miss them, but it says ready when its script runs and gets a complete snapshot then.
          this.postSnapshot();
          this.ready = true;
          this.resolveReady();
          this.host.panelShown?.();
        } else {
          // Hidden: the content is torn down; nothing is posted until it says ready again.
          this.ready = false;
          this.queue = [];
        }
      }),
    );
  }

  beginRun(run: { runId: string; label: string; spec: unknown; compareWithRunId?: string; group?: RunGroup; sourceFile?: string; warnings?: string[] }): void {
    const checked = validateSpec(run.spec);
    this.restored.delete(run.runId);
    this.emit(this.feed.beginRun({
      runId: run.runId, label: run.label, compareWithRunId: run.compareWithRunId, sourceFile: run.sourceFile, warnings: run.warnings,
      spec: checked.ok ? checked.spec : undefined, ...(run.group ? { group: run.group } : {}),
    }));
    this.panel.title = `Gradient Lens: ${run.label}`;
  }

  /** Every message of the training process for a run begun with beginRun, as it arrives. */
  handleTrainerMessage(msg: TrainerToHostMessage): void {
    if (!isTrainerToHostMessage(msg)) {
      this.log(`dropped a malformed training-process message (${describeRejected(msg)})`);
      return;
    }
    if (msg.type === 'probe') this.rememberFixes(msg.runId, msg.report.findings.flatMap((f) => f.fixes));
    if (msg.type === 'finished') this.rememberFixes(msg.runId, msg.findings.flatMap((f) => f.fixes));
    // the evidence in words (the webview cannot import core), the layers named as the run's spec names them
    const words = msg.type === 'probe' || msg.type === 'finished' ? messageWithEvidenceText(msg, this.validSpec(msg.runId)) : msg;
    this.emit(this.feed.trainerMessage(words));
  }

  endRun(runId: string, outcome: { status: 'finished' | 'stopped' | 'error'; message?: string }): void {
    this.emit(this.feed.endRun(runId, outcome));
  }

  /** The run state as exported to JSON (undefined for an unknown run). */
  runState(runId: string): RunState | undefined {
    return this.store.get(runId);
  }

  /**
   * Resolves when the panel shows its content: at once when its webview has said ready and is visible, else when it
   * says ready (its script ran and it got the snapshot with every run begun so far). Never rejects; a panel disposed
   * first leaves it pending.
   */
  whenReady(): Promise<void> {
    if (this.ready && this.panel.visible) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private resolveReady(): void {
    for (const w of this.readyWaiters.splice(0)) w();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.readyWaiters = [];
    if (TrainingPanel.currentPanel === this) TrainingPanel.currentPanel = undefined;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.didDispose.fire();
    this.didDispose.dispose();
  }

  // -------------------------------------------------------------------------------------------

  /**
   * The webview's saved state, after a window reload: untrusted (parsePersistedState drops what is not
   * a valid run). Its runs are shown, but nothing in them grants anything: their findings' fixes are not
   * remembered as offered (a re-run with a fix needs a finding this host received from a training
   * process) and their source files are not opened.
   */
  private restore(state: unknown): void {
    const { state: saved, dropped } = parsePersistedState(state);
    if (dropped.length) this.log(`revive: dropped ${dropped.join('; ')} from the saved panel state`);
    this.store.apply(DidSnapshotNotification.create(saved));
    for (const r of this.store.runs) this.restored.add(r.runId);
  }

  /** The run's spec when it is a valid one (the start event's; before it, the one asked for, if valid). */
  private validSpec(runId: string): ModelSpec | undefined {
    const spec = this.store.get(runId)?.spec;
    if (!spec) return undefined;
    const checked = validateSpec(spec);
    return checked.ok ? checked.spec : undefined;
  }

  private rememberFixes(runId: string, fixes: Fix[]): void {
    let set = this.offeredFixes.get(runId);
    if (!set) this.offeredFixes.set(runId, (set = new Set()));
    for (const f of fixes) set.add(fixKey(f));
  }

  private emit(notifications: HostNotification[]): void {
    for (const n of notifications) {
      this.store.apply(n);
      if (this.ready && this.panel.visible) this.queue.push(n);
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.disposed) return;
    if (this.queue.length === 0 && !this.feed.hasPendingSteps) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, FLUSH_MS);
  }

  private flush(): void {
    if (this.disposed) return;
    this.emit(this.feed.flushSteps());
    const batch = this.queue;
    this.queue = [];
    for (const n of batch) void this.panel.webview.postMessage(n);
  }

  private postSnapshot(): void {
    // Held steps go into the store first, so the snapshot is complete and nothing older follows it.
    for (const n of this.feed.flushSteps()) this.store.apply(n);
    this.queue = [];
    void this.panel.webview.postMessage(DidSnapshotNotification.create({ runs: this.store.runs, activeRunId: this.store.active?.runId }));
  }

  private onMessage(m: unknown): void {
    const cmd = parseWebviewCommand(m);
    if (!cmd) {
      this.log(`dropped a malformed message from the panel webview (${describeRejected(m)})`);
      return;
    }
    this.handleCommand(cmd).catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      this.log(`panel command ${cmd.type} failed: ${message}`);
      void vscode.window.showErrorMessage(`Gradient Lens: ${message}`);
    });
  }

  private async handleCommand(cmd: WebviewCommand): Promise<void> {
    if (cmd.type === 'ready') {
      this.ready = true;
      this.postSnapshot();
      this.resolveReady();
      return;
    }
    if (cmd.type === 'exportComparison') {
      const runs = cmd.runIds.map((id) => this.store.get(id));
      if (runs.some((r) => !r)) {
        this.log(`dropped exportComparison: unknown run ${cmd.runIds.find((id) => !this.store.get(id))}`);
        return;
      }
      return this.exportComparison(runs as RunState[], cmd.format, cmd.data);
    }
    const run = this.store.get(cmd.runId);
    if (!run) {
      this.log(`dropped ${cmd.type}: unknown run ${cmd.runId}`);
      return;
    }
    switch (cmd.type) {
      case 'stopTraining':
        if (run.status === 'running' || run.status === 'pending') this.host.stopRun(run.runId);
        return;
      case 'rerunWithFix':
        return this.rerunWithFix(run, cmd.fix);
      case 'exportRun':
        this.emit(this.feed.flushSteps(run.runId)); // the export includes steps still held for the next flush
        return cmd.format === 'json' ? this.exportJson(run) : this.exportPng(run, cmd.data ?? '');
      case 'revealSource':
        return this.revealSource(run, cmd.findingIndex);
      case 'startSweep':
        return this.startSweep(run, cmd.kind, cmd.layer);
      case 'setUpNativeBackend':
        if (!nativeSetupOffer(run.start?.backend)) {
          this.log(`dropped setUpNativeBackend for ${run.runId}: that run was not offered the native set-up`);
          return;
        }
        this.host.setUpNativeBackend?.();
        return;
    }
  }

  private rerunWithFix(run: RunState, fix: Fix): void {
    if (this.restored.has(run.runId)) {
      this.log(`dropped rerunWithFix for ${run.runId}: the run was restored from the panel's saved state, whose fixes are not trusted`);
      // Nothing from the saved state goes into the message (a notification renders links).
      void vscode.window.showInformationMessage('Gradient Lens: this run was restored after a window reload; train it again to re-run it with a fix.');
      return;
    }
    if (!isFix(fix) || !this.offeredFixes.get(run.runId)?.has(fixKey(fix))) {
      this.log(`dropped rerunWithFix for ${run.runId}: that fix was not offered by any finding of the run`);
      return;
    }
    const checked = validateSpec(run.spec);
    if (!checked.ok) throw new Error(`run "${run.label}" has no valid model spec to re-run`);
    const spec: ModelSpec = applyFix(checked.spec, fix);
    this.host.startRun(spec, spec.name, run.runId);
  }

  private startSweep(run: RunState, kind: SweepKind, layer?: number): void {
    if (this.restored.has(run.runId)) {
      this.log(`dropped startSweep for ${run.runId}: the run was restored from the panel's saved state`);
      void vscode.window.showInformationMessage('Gradient Lens: this run was restored after a window reload; train it again to compare its variants.');
      return;
    }
    const checked = validateSpec(run.spec);
    if (!checked.ok) throw new Error(`run "${run.label}" has no valid model spec to compare variants of`);
    if (!this.host.startSweep) {
      this.log('dropped startSweep: this host cannot start sweeps');
      return;
    }
    // A sweep of a sweep's variant compares variants of that variant: name it after the variant.
    this.host.startSweep({ runId: run.runId, spec: checked.spec, label: run.label, sourceFile: run.sourceFile }, kind, layer);
  }

  private async exportComparison(runs: RunState[], format: 'png' | 'svg' | 'csv', data: string): Promise<void> {
    let bytes: Buffer;
    if (format === 'png') {
      bytes = Buffer.from(data.slice(data.indexOf(',') + 1), 'base64');
      const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
      if (bytes.length < 8 || signature.some((b, i) => bytes[i] !== b)) {
        this.log('dropped exportComparison png: the data is not a PNG image');
        return;
      }
    } else {
      bytes = Buffer.from(data, 'utf8');
    }
    const what = runs.length === 1 ? runs[0].label : `the comparison of ${runs.length} runs`;
    const filters: Record<string, string[]> = format === 'png' ? { 'PNG image': ['png'] } : format === 'svg' ? { 'SVG image': ['svg'] } : { 'CSV table': ['csv'] };
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = await vscode.window.showSaveDialog({
      title: format === 'csv' ? `Export every curve of ${what} as CSV` : `Export ${what} as ${format.toUpperCase()}`,
      filters, defaultUri: folder ? vscode.Uri.joinPath(folder, exportFileName(runs, format)) : undefined,
    });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, bytes);
    void vscode.window.showInformationMessage(`Gradient Lens: saved ${what} to ${uri.fsPath}`);
  }

  private async exportJson(run: RunState): Promise<void> {
    const uri = await vscode.window.showSaveDialog({
      title: 'Export run as JSON', filters: { JSON: ['json'] }, defaultUri: this.defaultExportUri(run, 'json'),
    });
    if (!uri) return;
    // the raw evidence keys, as the CLI's --json has them (the sentences are the panel's)
    const body = { exportedBy: 'Gradient Lens', version: 1, exportedAt: new Date().toISOString(), run: runForExport(run) };
    await vscode.workspace.fs.writeFile(uri, Buffer.from(JSON.stringify(body, null, 2) + '\n', 'utf8'));
    void vscode.window.showInformationMessage(`Gradient Lens: exported ${run.label} to ${uri.fsPath}`);
  }

  private async exportPng(run: RunState, dataUrl: string): Promise<void> {
    const bytes = Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
    const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
    if (bytes.length < 8 || signature.some((b, i) => bytes[i] !== b)) {
      this.log('dropped exportRun png: the data is not a PNG image');
      return;
    }
    const uri = await vscode.window.showSaveDialog({
      title: 'Export charts as PNG', filters: { 'PNG image': ['png'] }, defaultUri: this.defaultExportUri(run, 'png'),
    });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, bytes);
    void vscode.window.showInformationMessage(`Gradient Lens: saved the charts of ${run.label} to ${uri.fsPath}`);
  }

  private defaultExportUri(run: RunState, ext: string): vscode.Uri | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    return folder ? vscode.Uri.joinPath(folder, safeFileName(run.label, ext)) : undefined;
  }

  private async revealSource(run: RunState, findingIndex: number): Promise<void> {
    const source = run.findings[findingIndex]?.source;
    if (!source) return;
    if (this.restored.has(run.runId)) {
      this.log(`revealSource: run ${run.runId} was restored from the panel's saved state; its file is not opened`);
      void vscode.window.showInformationMessage('Gradient Lens: this run was restored after a window reload; open its file yourself, or train it again.');
      return;
    }
    // Only the file this run was trained from: the position comes from our own findings, not from the webview.
    if (run.sourceFile === undefined || source.file !== run.sourceFile) {
      this.log(`revealSource: ${source.file} is not the source of run ${run.runId}`);
      return;
    }
    await fs.access(source.file);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(source.file));
    const pos = new vscode.Position(Math.max(0, source.line - 1), Math.max(0, source.column - 1));
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(pos, pos) });
  }

  private log(message: string): void {
    if (this.host.log) this.host.log(`[panel] ${message}`);
    else console.warn(`[gradient-lens panel] ${message}`);
  }

  private html(): string {
    const webview = this.panel.webview;
    const media = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', name)).toString();
    const nonce = randomBytes(16).toString('base64');
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `img-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    // Nothing from a run is interpolated here: every run arrives later by postMessage and is rendered as text.
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${media('uPlot.min.css')}">
<link rel="stylesheet" href="${media('panel.css')}">
<title>Gradient Lens</title>
</head>
<body>
<main id="app" aria-live="off"></main>
<script nonce="${nonce}" src="${media('webview.js')}"></script>
</body>
</html>`;
  }
}
