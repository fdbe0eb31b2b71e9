// The Command Palette's "Compare Initialisations / Learning Rates / Activations": variants of a run that
// differ in one thing, trained together in one training process by the run manager and shown as a set in the panel.
// Arguments (from the palette: none; from code: anything) are validated: `{ runId?, layer? }`.
import * as vscode from 'vscode';
import { type ModelSpec, layerLabel, validateSpec } from '../core/spec';
import { type SweepKind, hiddenLayers } from '../core/sweeps';
import { own, preview } from '../core/untrusted';
import { SWEEP_KIND_NAMES } from '../protocol/webview';
import type { RunManager, RunRecord } from './runManager';

export const SWEEP_COMMANDS: Record<string, SweepKind> = {
  'gradientLens.compareInitialisations': 'init',
  'gradientLens.compareLearningRates': 'learningRate',
  'gradientLens.compareActivations': 'activation',
};

/** `{ runId?, layer? }` or a message saying what is wrong with the argument. */
export function sweepArgs(arg: unknown): { runId?: string; layer?: number } | string {
  if (arg === undefined) return {};
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) return `expected { runId?, layer? }, got ${preview(arg)}`;
  const runId = own(arg, 'runId');
  const layer = own(arg, 'layer');
  const unknown = Object.keys(arg).filter((k) => k !== 'runId' && k !== 'layer');
  if (unknown.length) return `unknown argument(s) ${unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')} (expected runId?, layer?)`;
  if (runId !== undefined && typeof runId !== 'string') return `"runId" must be a string, got ${preview(runId)}`;
  if (layer !== undefined && (typeof layer !== 'number' || !Number.isInteger(layer) || layer < 0 || layer > 63)) return `"layer" must be a layer index from 0 to 63, got ${preview(layer)}`;
  return { ...(runId !== undefined ? { runId } : {}), ...(layer !== undefined ? { layer } : {}) };
}

/**
 * The hidden layer a sweep changes: `given`, else the only hidden layer, else the one the user picks (a quick
 * pick of the layers by name); undefined for a learning-rate sweep; null when the pick is dismissed.
 */
export async function pickSweepLayer(spec: ModelSpec, kind: SweepKind, label: string, given?: number): Promise<number | undefined | null> {
  const hidden = hiddenLayers(spec);
  if (kind === 'learningRate' || given !== undefined || hidden.length <= 1) return given;
  const pick = await vscode.window.showQuickPick(hidden.map((i) => ({ label: layerLabel(spec, i), layer: i })), {
    title: `Compare ${SWEEP_KIND_NAMES[kind]} of which layer of ${label}?`, placeHolder: 'The variants differ only in this layer; they train together in one training process',
  });
  return pick ? pick.layer : null;
}

/** Runs the sweep of `kind` on the given run (default: the window's latest run with a valid spec). */
export async function runSweepCommand(runs: RunManager, log: vscode.LogOutputChannel, kind: SweepKind, arg: unknown): Promise<RunRecord[] | undefined> {
  const args = sweepArgs(arg);
  const what = `Compare ${SWEEP_KIND_NAMES[kind]}`;
  if (typeof args === 'string') {
    log.warn(`${what} refused its arguments: ${args}`);
    void vscode.window.showErrorMessage(`Gradient Lens: ${what}: ${args}`);
    return undefined;
  }
  const all = runs.allRuns;
  const base = args.runId !== undefined ? all.find((r) => r.runId === args.runId) : [...all].reverse().find((r) => validateSpec(r.spec).ok);
  if (!base) {
    void vscode.window.showInformationMessage(args.runId !== undefined
      ? `Gradient Lens: ${what}: no run ${args.runId} in this window.`
      : `Gradient Lens: ${what} compares variants of a run: train a model first (Train MNIST MLP, or Train this model above a model in a file).`);
    return undefined;
  }
  const checked = validateSpec(base.spec);
  if (!checked.ok) {
    void vscode.window.showErrorMessage(`Gradient Lens: ${what}: "${base.label}" has no valid model spec.`);
    return undefined;
  }
  try {
    const layer = await pickSweepLayer(checked.spec, kind, base.label, args.layer);
    if (layer === null) return undefined;
    return await runs.sweepRuns({ runId: base.runId, spec: checked.spec, label: base.label, sourceFile: base.sourceFile }, kind, layer);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    void vscode.window.showErrorMessage(`Gradient Lens: ${what}: ${message}`);
    return undefined;
  }
}
