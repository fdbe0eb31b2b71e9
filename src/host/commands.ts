// Every command of the extension as a factory of its handler (rust-analyzer's `commands.ts` style);
// extension.ts registers the table in one loop. Handlers take `unknown` arguments: the Command Palette
// passes none, CodeLens / tests / other extensions pass anything, so each one validates what it gets.
import * as vscode from 'vscode';
import { isAbsolute } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PRESETS, findPreset } from '../core/presets';
import { validateSpec } from '../core/spec';
import { cut, own, plainJson, preview } from '../core/untrusted';
import type { Finding } from '../core/findings';
import type { ReadOutcome } from './readerClient';
import type { Config } from './config';
import type { RunManager, RunRecord, RunRequest } from './runManager';
import { choiceFromDocument, pickRun } from './pickRun';
import type { NativeBackend, SetupResult } from './nativeSetup';
import type { ExampleOpener } from './examples';
import { SWEEP_COMMANDS, runSweepCommand } from './sweepCommands';
import { problemsText } from '../core/specText';
import { trainSourceOf } from '../protocol/training';

/** What the editor features (src/host/editorDiagnostics.ts) give back to the extension. */
export interface EditorFeaturesLike {
  showRuntimeFindings(uri: vscode.Uri, findings: Finding[]): void;
  /** A document's model, read in the reader process (cached per version). */
  readDocument(doc: vscode.TextDocument): Promise<ReadOutcome>;
}

export interface Ctx {
  context: vscode.ExtensionContext;
  config: Config;
  runs: RunManager;
  log: vscode.LogOutputChannel;
  editor: EditorFeaturesLike;
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

const MAX_LABEL = 200;

const IF_RUNNING: readonly unknown[] = ['ask', 'replace', 'refuse'];

/**
 * Turns command arguments into a run request, or a message saying what was wrong with them. The
 * arguments can come from anywhere (another extension, a command link), so they are copied into plain
 * JSON data first (bounded depth and size; no getters, functions or cycles) and the spec is validated
 * here, as the panel's messages are: a bad one never starts a run.
 */
export function requestFromArgs(arg: unknown): RunRequest | string {
  const copy = plainJson(arg);
  if (!copy.ok) return `the arguments are not plain data: ${copy.message}`;
  const a = (typeof copy.value === 'string' ? { preset: copy.value } : copy.value) as Record<string, unknown>;
  if (typeof a !== 'object' || a === null || Array.isArray(a)) return 'expected a preset id or { preset | spec, steps?, label?, ifRunning? }';
  const preset = own(a, 'preset');
  const rawSpec = own(a, 'spec');
  const steps = own(a, 'steps');
  const rawLabel = own(a, 'label');
  const ifRunning = own(a, 'ifRunning');
  const unknown = Object.keys(a).filter((k) => !['preset', 'spec', 'steps', 'label', 'ifRunning'].includes(k));
  if (unknown.length) return `unknown argument(s) ${unknown.slice(0, 5).map((k) => JSON.stringify(cut(k, 40))).join(', ')} (expected preset | spec, steps?, label?, ifRunning?)`;
  let spec: unknown;
  let label: string;
  if (preset !== undefined) {
    const p = typeof preset === 'string' ? findPreset(preset) : undefined;
    if (!p) return `unknown preset ${preview(preset)} (expected one of ${presetIds()})`;
    spec = p.spec;
    label = p.id;
  } else if (rawSpec !== undefined) {
    spec = rawSpec;
    const name = typeof rawSpec === 'object' && rawSpec !== null ? own(rawSpec, 'name') : undefined;
    label = typeof name === 'string' && name ? cut(name, MAX_LABEL) : 'custom';
  } else {
    return 'give either "preset" or "spec"';
  }
  if (steps !== undefined) {
    if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1 || steps > 1_000_000) return `"steps" must be a whole number from 1 to 1000000, got ${preview(steps)}`;
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) return 'cannot set "steps" on a spec that is not an object';
    spec = { ...(spec as object), steps };
  }
  if (rawLabel !== undefined) {
    if (typeof rawLabel !== 'string' || !rawLabel.trim() || rawLabel.length > MAX_LABEL) return `"label" must be a non-empty string of at most ${MAX_LABEL} characters`;
    label = rawLabel;
  }
  if (ifRunning !== undefined && !IF_RUNNING.includes(ifRunning)) return '"ifRunning" must be ask, replace or refuse';
  const checked = validateSpec(spec);
  if (!checked.ok) return `invalid model spec: ${cut(problemsText(checked.problems), 1000)}`;
  return { spec: checked.spec, label, ifRunning: ifRunning as RunRequest['ifRunning'] };
}

/** The options argument of gradientLens.trainFile: undefined or { ifRunning? }. */
export function trainFileOptions(opts: unknown): { ifRunning?: RunRequest['ifRunning'] } | string {
  if (opts === undefined) return {};
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) return 'the options must be { ifRunning?: "ask" | "replace" | "refuse" }';
  const ifRunning = own(opts, 'ifRunning');
  if (ifRunning !== undefined && !IF_RUNNING.includes(ifRunning)) return '"ifRunning" must be ask, replace or refuse';
  return { ifRunning: ifRunning as RunRequest['ifRunning'] };
}

async function runFileRun(ctx: Ctx, doc: vscode.TextDocument, ifRunning?: RunRequest['ifRunning'], requestedAt?: number): Promise<RunRecord | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Gradient Lens: training a model defined in a workspace file needs a trusted workspace (it runs a job the file chooses).');
    return undefined;
  }
  const outcome = await ctx.editor.readDocument(doc);
  const imported = outcome.ok ? outcome.result : undefined;
  const choice = choiceFromDocument(doc, outcome);
  if (typeof choice === 'string') {
    void vscode.window.showErrorMessage(`Gradient Lens: ${choice}`);
    return undefined;
  }
  // Training a file again (after a fix, typically) shows the new run beside the file's previous one.
  const previous = [...ctx.runs.allRuns].reverse().find((r) => r.sourceFile === choice.sourceFile && r.status === 'finished');
  return ctx.runs.start({
    ...choice, ifRunning, compareWithRunId: previous?.runId, requestedAt,
    // the run's program findings land on the program's lines and offer its own cures (the reader's edits)
    source: imported ? trainSourceOf(doc.uri.fsPath, imported) : undefined,
  });
}

/** The document a command is about: a file / untitled URI, an absolute path, or (no argument) the active editor's. */
async function documentFromArg(arg: unknown): Promise<vscode.TextDocument | string | undefined> {
  if (arg === undefined || arg === null) return vscode.window.activeTextEditor?.document;
  if (arg instanceof vscode.Uri) {
    if (arg.scheme !== 'file' && arg.scheme !== 'untitled') return `cannot train a model from a ${cut(arg.scheme, 20)}: URI (only files)`;
    return vscode.workspace.openTextDocument(arg);
  }
  if (typeof arg === 'string' && isAbsolute(arg) && arg.length <= 4096) return vscode.workspace.openTextDocument(vscode.Uri.file(arg));
  return `expected a file URI or an absolute path, got ${preview(arg)}`;
}

export const COMMANDS: Record<string, CommandFactory> = {
  /** Palette: QuickPick. Programmatic: see TrainArgs. Resolves to the ended run (undefined if none started). */
  'gradientLens.train': (ctx) => async (arg?: unknown): Promise<RunRecord | undefined> => {
    const requestedAt = performance.now();
    if (arg === undefined) {
      const examples = ctx.examples;
      const choice = await pickRun((doc) => ctx.editor.readDocument(doc), examples && (async (e) => vscode.workspace.openTextDocument(await examples.open(e))));
      if (!choice) return undefined;
      if (choice.sourceFile) {
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(choice.sourceFile));
        return runFileRun(ctx, doc);
      }
      return ctx.runs.start(choice);
    }
    const req = requestFromArgs(arg);
    if (typeof req === 'string') {
      ctx.log.warn(`gradientLens.train refused its arguments: ${req}`);
      void vscode.window.showErrorMessage(`Gradient Lens: cannot start training: ${cut(req, 500)}`);
      return undefined;
    }
    return ctx.runs.start({ ...req, requestedAt });
  },

  /** Trains the model defined in a file (the CodeLens passes its URI; default: the active editor). */
  'gradientLens.trainFile': (ctx) => async (arg?: unknown, opts?: unknown): Promise<RunRecord | undefined> => {
    const requestedAt = performance.now();
    const options = trainFileOptions(opts);
    let doc: vscode.TextDocument | string | undefined;
    try {
      doc = typeof options === 'string' ? options : await documentFromArg(arg);
    } catch (e) {
      doc = `cannot open ${preview(arg)}: ${cut(e instanceof Error ? e.message : String(e), 300)}`;
    }
    if (typeof doc === 'string') {
      ctx.log.warn(`gradientLens.trainFile refused its arguments: ${doc}`);
      void vscode.window.showErrorMessage(`Gradient Lens: cannot train the file: ${doc}`);
      return undefined;
    }
    if (!doc) {
      void vscode.window.showErrorMessage('Gradient Lens: open a model file (Python, JS/TS or a JSON spec) to train it.');
      return undefined;
    }
    return runFileRun(ctx, doc, (options as { ifRunning?: RunRequest['ifRunning'] }).ifRunning, requestedAt);
  },

  'gradientLens.stop': (ctx) => (runId?: unknown): boolean => {
    if (runId !== undefined && !(typeof runId === 'string' && runId.length <= 100)) {
      ctx.log.warn(`gradientLens.stop refused its argument: a run id is a string, got ${preview(runId)}`);
      return false;
    }
    const stopped = ctx.runs.stopRun(runId);
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

  ...Object.fromEntries(Object.entries(SWEEP_COMMANDS).map(([id, kind]) => [id,
    (ctx: Ctx) => (arg?: unknown): Promise<RunRecord[] | undefined> => runSweepCommand(ctx.runs, ctx.log, kind, arg)])),
  'gradientLens.openSettings': () => (): Thenable<unknown> =>
    vscode.commands.executeCommand('workbench.action.openSettings', '@ext:gradient-lens.gradient-lens'),
};
