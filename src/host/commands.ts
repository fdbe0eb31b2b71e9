// Every command of the extension as a factory of its handler (rust-analyzer's `commands.ts` style);
// extension.ts registers the table in one loop. Handlers take `unknown` arguments: the Command Palette
// passes none, CodeLens / tests / other extensions pass anything, so each one validates what it gets.
import * as vscode from 'vscode';
import { PRESETS, findPreset } from '../core/presets';
import type { LayerSource } from '../core/importers/types';
import type { Finding } from '../core/findings';
import type { Config } from './config';
import type { RunManager, RunRecord, RunRequest } from './runManager';
import { choiceFromDocument, importDocument, pickRun } from './pickRun';
import type { NativeBackend, SetupResult } from './nativeSetup';
import type { ExampleOpener } from './examples';

/** What the editor features (src/host/editorDiagnostics.ts) give back to the extension. */
export interface EditorFeaturesLike {
  showRuntimeFindings(uri: vscode.Uri, findings: Finding[]): void;
}

export interface Ctx {
  context: vscode.ExtensionContext;
  config: Config;
  runs: RunManager;
  log: vscode.LogOutputChannel;
  editor?: EditorFeaturesLike;
  native?: NativeBackend;
  /** "Open Example" (host/examples.ts); absent: the QuickPick offers no examples. */
  examples?: ExampleOpener;
}

export type CommandFactory = (ctx: Ctx) => (...args: unknown[]) => unknown;

/**
 * Arguments of `gradientLens.train` when it is not run from the palette:
 * a preset id (`'seed-mlp-zeros'`) or `{ preset | spec, steps?, label?, ifRunning? }`.
 */
export interface TrainArgs {
  preset?: string;
  spec?: unknown;
  /** Overrides the spec's step count. */
  steps?: number;
  label?: string;
  ifRunning?: RunRequest['ifRunning'];
}

const presetIds = (): string => PRESETS.map((p) => p.id).join(', ');

/** Turns command arguments into a run request, or a message saying what was wrong with them. */
export function requestFromArgs(arg: unknown): RunRequest | string {
  const a: TrainArgs = typeof arg === 'string' ? { preset: arg } : (arg as TrainArgs);
  if (typeof a !== 'object' || a === null || Array.isArray(a)) return 'expected a preset id or { preset | spec, steps?, label?, ifRunning? }';
  let spec: unknown;
  let label: string;
  if (a.preset !== undefined) {
    const p = typeof a.preset === 'string' ? findPreset(a.preset) : undefined;
    if (!p) return `unknown preset ${JSON.stringify(a.preset)} (expected one of ${presetIds()})`;
    spec = p.spec;
    label = p.id;
  } else if (a.spec !== undefined) {
    spec = a.spec;
    const name = typeof a.spec === 'object' && a.spec !== null ? (a.spec as { name?: unknown }).name : undefined;
    label = typeof name === 'string' && name ? name : 'custom';
  } else {
    return 'give either "preset" or "spec"';
  }
  if (a.steps !== undefined) {
    if (typeof a.steps !== 'number' || !Number.isInteger(a.steps) || a.steps < 1 || a.steps > 1_000_000) return `"steps" must be a whole number from 1 to 1000000, got ${JSON.stringify(a.steps)}`;
    if (typeof spec !== 'object' || spec === null) return 'cannot set "steps" on a spec that is not an object';
    spec = { ...(spec as object), steps: a.steps };
  }
  if (a.label !== undefined) {
    if (typeof a.label !== 'string' || !a.label.trim()) return '"label" must be a non-empty string';
    label = a.label;
  }
  if (a.ifRunning !== undefined && !['ask', 'replace', 'refuse'].includes(a.ifRunning)) return '"ifRunning" must be ask, replace or refuse';
  return { spec, label, ifRunning: a.ifRunning };
}

async function runFileRun(ctx: Ctx, doc: vscode.TextDocument, ifRunning?: RunRequest['ifRunning']): Promise<RunRecord | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Gradient Lens: training a model defined in a workspace file needs a trusted workspace (it runs a job the file chooses).');
    return undefined;
  }
  const imported = importDocument(doc);
  const choice = choiceFromDocument(doc, imported);
  if (typeof choice === 'string') {
    void vscode.window.showErrorMessage(`Gradient Lens: ${choice}`);
    return undefined;
  }
  // Training a file again (after a fix, typically) shows the new run beside the file's previous one.
  const previous = [...ctx.runs.allRuns].reverse().find((r) => r.sourceFile === choice.sourceFile && r.status === 'finished');
  return ctx.runs.start({
    ...choice, ifRunning, compareWithRunId: previous?.runId,
    source: imported ? { file: doc.uri.fsPath, layers: imported.layers as LayerSource[] } : undefined,
  });
}

async function documentFromArg(arg: unknown): Promise<vscode.TextDocument | undefined> {
  if (arg instanceof vscode.Uri) return vscode.workspace.openTextDocument(arg);
  if (typeof arg === 'string' && arg) return vscode.workspace.openTextDocument(vscode.Uri.file(arg));
  return vscode.window.activeTextEditor?.document;
}

export const COMMANDS: Record<string, CommandFactory> = {
  /** Palette: QuickPick. Programmatic: see TrainArgs. Resolves to the ended run (undefined if none started). */
  'gradientLens.train': (ctx) => async (arg?: unknown): Promise<RunRecord | undefined> => {
    if (arg === undefined) {
      const examples = ctx.examples;
      const choice = await pickRun(examples && (async (e) => vscode.workspace.openTextDocument(await examples.open(e))));
      if (!choice) return undefined;
      if (choice.sourceFile) {
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(choice.sourceFile));
        return runFileRun(ctx, doc);
      }
      return ctx.runs.start(choice);
    }
    const req = requestFromArgs(arg);
    if (typeof req === 'string') {
      void vscode.window.showErrorMessage(`Gradient Lens: cannot start training: ${req}`);
      return undefined;
    }
    return ctx.runs.start(req);
  },

  /** Trains the model defined in a file (the CodeLens passes its URI; default: the active editor). */
  'gradientLens.trainFile': (ctx) => async (arg?: unknown, opts?: unknown): Promise<RunRecord | undefined> => {
    const doc = await documentFromArg(arg);
    if (!doc) {
      void vscode.window.showErrorMessage('Gradient Lens: open a model file (Python, JS/TS or a JSON spec) to train it.');
      return undefined;
    }
    const ifRunning = (opts as { ifRunning?: RunRequest['ifRunning'] } | undefined)?.ifRunning;
    return runFileRun(ctx, doc, ifRunning);
  },

  'gradientLens.stop': (ctx) => (runId?: unknown): boolean => {
    const stopped = ctx.runs.stopRun(typeof runId === 'string' ? runId : undefined);
    if (!stopped) void vscode.window.showInformationMessage('Gradient Lens: no training is running.');
    return stopped;
  },

  'gradientLens.showPanel': (ctx) => (): void => {
    if (!ctx.runs.showPanel()) void vscode.window.showErrorMessage('Gradient Lens: the panel is not available in this build.');
  },

  'gradientLens.showLog': (ctx) => (): void => ctx.log.show(),

  /** Palette: pick a route. Programmatic: { route: 'npm' | 'offline' | 'existing', path?, wheel? } (nativeSetup.ts SetupArgs). */
  'gradientLens.setUpNativeBackend': (ctx) => async (arg?: unknown): Promise<SetupResult> =>
    ctx.native ? ctx.native.setUp(arg) : { ok: false, reason: 'the native set-up is not available in this build' },
  /** An example program as an editable file (argument: an example id or { example, reset? }); resolves to its URI. */
  'gradientLens.openExample': (ctx) => async (arg?: unknown): Promise<vscode.Uri | undefined> => {
    if (!ctx.examples) return undefined;
    return ctx.examples.run(arg);
  },

  'gradientLens.openSettings': () => (): Thenable<unknown> =>
    vscode.commands.executeCommand('workbench.action.openSettings', '@ext:gradient-lens.gradient-lens'),
};
