// Entry of the extension: wiring only. Commands are a table (host/commands.ts) registered in one loop;
// settings live in host/config.ts; runs in host/runManager.ts. TensorFlow.js is never loaded here: it
// runs in the training process (dist/worker.js) that the run manager forks for each run.
import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { Config } from './host/config';
import { COMMANDS, type Ctx } from './host/commands';
import { RunManager, type RunRecord, type RunRequest } from './host/runManager';
import { TrainingPanel } from './host/panel';
import { registerEditorFeatures } from './host/editorFeatures';
import { ReaderClient } from './host/readerClient';
import { NativeBackend, type SetupConfirmation } from './host/nativeSetup';
import { ExampleOpener } from './host/examples';
import { WalkthroughProgress, type WalkthroughKey } from './host/walkthrough';

/** What activate() returns: for tests and other extensions (`vscode.extensions.getExtension(...).exports`). */
export interface GradientLensApi {
  /** Milliseconds spent in activate(). */
  readonly activationMs: number;
  /** Runs of this session, oldest first (the last 50). */
  readonly runs: readonly RunRecord[];
  /** The run that is training now. */
  readonly currentRun: RunRecord | undefined;
  readonly lastRun: RunRecord | undefined;
  /** pid of the current training process (tests kill it to check crash handling). */
  trainingProcessPid(): number | undefined;
  /** The last lines written to the Gradient Lens log (info, warnings, errors), oldest first: what a refused command said, for tests. */
  recentLog(): readonly string[];
  /**
   * How many lines the log has had since activation: a mark to read what came after it with `logSince` (the recent
   * lines are a bounded window, so an index into them moves once it is full).
   */
  logMark(): number;
  /** The lines logged after `mark` (those still in the window of recent lines). */
  logSince(mark: number): readonly string[];
  /** Starts a run without UI; resolves when it has ended (undefined if it never started). */
  startRun(request: RunRequest): Promise<RunRecord | undefined>;
  stopRun(runId?: string): boolean;
  readonly onDidStartRun: vscode.Event<RunRecord>;
  readonly onDidEndRun: vscode.Event<RunRecord>;
  /** Throttled progress of the current run (≈ 4 per second). */
  readonly onDidProgress: vscode.Event<RunRecord>;
  /**
   * The native backend: where the set-up installs, and what a run loads tfjs-node from now.
   * `setConfirmForTests` exists only while the extension runs its own tests (ExtensionMode.Test), where VS
   * Code refuses to show dialogs: it answers the set-up's confirmation modal. Never present otherwise.
   */
  readonly native: {
    readonly prefix: string;
    effectivePath(): string | undefined;
    setConfirmForTests?(answer: ((c: SetupConfirmation) => boolean | Thenable<boolean>) | undefined): void;
  };
  /** Get Started walkthrough events reached in this window (host/walkthrough.ts), in order. */
  readonly walkthroughProgress: readonly WalkthroughKey[];
}

let manager: RunManager | undefined;

export function activate(context: vscode.ExtensionContext): GradientLensApi {
  const t0 = performance.now();
  const channel = vscode.window.createOutputChannel('Gradient Lens', { log: true });
  context.subscriptions.push(channel);
  const recent: string[] = [];
  const logged = { total: 0 };
  const log = teeLog(channel, recent, logged);
  const config = new Config();
  const native = new NativeBackend({ extensionPath: context.extensionUri.fsPath, storagePath: context.globalStorageUri.fsPath, config, log });
  const runs = new RunManager({
    workerPath: vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath,
    config,
    log,
    nativeBackendPath: () => native.effectivePath(),
    openView: (host) => TrainingPanel.createOrShow(context.extensionUri, host),
    currentView: () => TrainingPanel.currentPanel,
  });
  manager = runs;
  context.subscriptions.push(runs, { dispose: () => TrainingPanel.currentPanel?.dispose() });
  // After a window reload VS Code restores the panel and activates us (onWebviewPanel:…) to fill it.
  context.subscriptions.push(vscode.window.registerWebviewPanelSerializer(TrainingPanel.viewType, {
    deserializeWebviewPanel: async (panel, state) => { TrainingPanel.revive(panel, context.extensionUri, state, runs); },
  }));

  // Model files are read in a process of their own (dist/reader.js), never on this thread (issue 19).
  const reader = new ReaderClient({ script: vscode.Uri.joinPath(context.extensionUri, 'dist', 'reader.js').fsPath, log: (level, message) => log[level](message) });
  context.subscriptions.push(reader);
  const editor = registerEditorFeatures(context, reader, {
    trainDocument: async (uri) => vscode.commands.executeCommand('gradientLens.trainFile', uri),
    log: (message) => log.warn(message),
    // A model file is open: its run (trainFile, which needs a trusted workspace) will likely follow.
    modelSeen: () => { if (vscode.workspace.isTrusted) runs.prepareAhead('a model file is open'); },
  });
  const walkthrough = new WalkthroughProgress({ runs, importDocument: (doc) => editor.importDocument(doc) });
  const examples = new ExampleOpener({
    extensionUri: context.extensionUri, globalStorageUri: context.globalStorageUri, log,
    onDidOpen: () => walkthrough.reach('exampleOpened'),
  });
  context.subscriptions.push(walkthrough);
  const ctx: Ctx = { context, config, runs, log, editor, native, examples };
  for (const [id, factory] of Object.entries(COMMANDS)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, factory(ctx)));
  }
  // Runtime findings of a file's run land on its layers' lines: live, whenever the set of findings
  // changes during the run, and once more with the final findings when it ends.
  const shown = new Map<string, string>();
  const showFindings = (r: RunRecord, final: boolean): void => {
    if (!r.sourceFile) return;
    const key = r.findings.map((f) => `${f.code}@${f.layer}:${f.severity}`).join(',');
    if (!final && shown.get(r.runId) === key) return;
    shown.set(r.runId, key);
    editor.showRuntimeFindings(vscode.Uri.file(r.sourceFile), r.findings);
    if (final) shown.delete(r.runId);
  };
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => { if (Config.affectsTraining(e)) runs.settingsChanged(); }));
  context.subscriptions.push(
    runs.onDidProgress((r) => showFindings(r, false)),
    runs.onDidEndRun((r) => showFindings(r, true)),
  );

  const activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms (extension host ${process.version}, ${vscode.env.appHost})`);
  return {
    activationMs,
    get runs() { return runs.allRuns; },
    get currentRun() { return runs.currentRun; },
    get lastRun() { return runs.allRuns[runs.allRuns.length - 1]; },
    trainingProcessPid: () => runs.trainingProcessPid,
    recentLog: () => [...recent],
    logMark: () => logged.total,
    logSince: (mark) => recent.slice(Math.max(0, recent.length - (logged.total - mark))),
    startRun: (request) => runs.start(request),
    stopRun: (runId) => runs.stopRun(runId),
    onDidStartRun: runs.onDidStartRun,
    onDidEndRun: runs.onDidEndRun,
    onDidProgress: runs.onDidProgress,
    native: {
      prefix: native.prefix,
      effectivePath: () => native.effectivePath(),
      ...(context.extensionMode === vscode.ExtensionMode.Test ? { setConfirmForTests: (answer: Parameters<NativeBackend['setConfirmForTests']>[0]) => native.setConfirmForTests(answer) } : {}),
    },
    get walkthroughProgress() { return walkthrough.progress; },
  };
}

const RECENT_LOG_LINES = 200;

/** The log channel, with every line also kept in `recent` (the last RECENT_LOG_LINES). */
function teeLog(channel: vscode.LogOutputChannel, recent: string[], logged: { total: number }): vscode.LogOutputChannel {
  const levels = new Set<PropertyKey>(['trace', 'debug', 'info', 'warn', 'error']);
  return new Proxy(channel, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!levels.has(prop)) return (value as (...a: unknown[]) => unknown).bind(target);
      return (message: unknown, ...args: unknown[]) => {
        recent.push(`[${String(prop)}] ${message instanceof Error ? message.message : String(message)}`);
        logged.total++;
        if (recent.length > RECENT_LOG_LINES) recent.splice(0, recent.length - RECENT_LOG_LINES);
        return (value as (...a: unknown[]) => unknown).call(target, message, ...args);
      };
    },
  });
}

export function deactivate(): void {
  manager?.dispose();
  manager = undefined;
}
