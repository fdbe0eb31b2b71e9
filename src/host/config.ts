// gradientLens.* settings behind typed getters (one place that knows the keys, their defaults and their
// limits; package.json `contributes.configuration` documents them for users).
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { BackendRequest } from '../core/events';

const SECTION = 'gradientLens';
const BACKENDS: readonly BackendRequest[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export class Config {
  private get cfg(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  /** Settings that only apply to the next run. */
  static affectsTraining(e: vscode.ConfigurationChangeEvent): boolean {
    return e.affectsConfiguration(SECTION);
  }

  get backend(): BackendRequest {
    const v = this.cfg.get<string>('backend', 'auto');
    return (BACKENDS as readonly string[]).includes(v) ? (v as BackendRequest) : 'auto';
  }

  /**
   * Folder of MNIST IDX files, or undefined for the embedded copy. Restricted in untrusted workspaces
   * (package.json `capabilities.untrustedWorkspaces.restrictedConfigurations`): there VS Code returns
   * only the user's value, never the workspace's.
   */
  get dataFolder(): string | undefined {
    const v = this.cfg.get<string>('dataFolder', '').trim();
    if (!v) return undefined;
    if (v === '~' || v.startsWith('~/')) return join(homedir(), v.slice(1));
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return isAbsolute(v) || !folder ? v : resolve(folder, v);
  }

  /**
   * A setting that decides what the diagnostics see (thresholds, probe / evaluation intervals,
   * shuffling): in an untrusted workspace only the user's value counts, never the workspace's or a
   * folder's, so a repository cannot hide findings (say `deadActiveShare: 0`) from whoever opens it.
   * package.json also declares them restricted; this makes it hold on any VS Code.
   */
  private userOnly<T>(key: string, fallback: T): unknown {
    if (vscode.workspace.isTrusted) return this.cfg.get<T>(key, fallback);
    const i = this.cfg.inspect<T>(key);
    return i?.globalValue ?? i?.defaultValue ?? fallback;
  }

  get probeEvery(): number {
    return clampInt(this.userOnly('probeEvery', 50), 1, 100_000, 50);
  }

  get evalEvery(): number {
    return clampInt(this.userOnly('evalEvery', 200), 0, 1_000_000, 200);
  }

  /** Detector threshold overrides that are numbers (the training process checks their ranges). */
  get thresholds(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.rawThresholds())) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    return out;
  }

  /** Names in gradientLens.thresholds whose value is not a finite number (left out of `thresholds`). */
  get nonNumericThresholds(): string[] {
    return Object.entries(this.rawThresholds()).filter(([, v]) => typeof v !== 'number' || !Number.isFinite(v)).map(([k]) => k);
  }

  private rawThresholds(): Record<string, unknown> {
    const raw = this.userOnly<unknown>('thresholds', {});
    return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  }

  get shuffle(): boolean {
    return this.userOnly('shuffle', false) === true;
  }

  get openPanelOnStart(): boolean {
    return this.cfg.get<boolean>('openPanelOnStart', true) !== false;
  }

  /**
   * gradientLens.nativeBackendPath: an existing @tensorflow/tfjs-node installation (its package folder, a
   * node_modules folder holding it, or a prefix). `machine` scope — only user settings can set it, never
   * a workspace (the training process loads native code from it). `~` is the home folder; a relative
   * path is taken from the home folder too. Undefined when empty.
   */
  get nativeBackendPath(): string | undefined {
    const v = this.cfg.get<string>('nativeBackendPath', '');
    if (typeof v !== 'string' || !v.trim()) return undefined;
    const t = v.trim();
    if (t === '~' || t.startsWith('~/')) return join(homedir(), t.slice(1));
    return isAbsolute(t) ? t : resolve(homedir(), t);
  }

  /** TensorFlow intra-op threads of the training process on tfjs-node; 0 = the measured rule (core/backend.ts nativeThreadRule). */
  get nativeThreads(): number {
    return clampInt(this.cfg.get<number>('trainingProcess.threads', 0), 0, 256, 0);
  }

  /**
   * gradientLens.trainingProcess.prepareAhead: fork a training process and load MNIST and the backend before a run is
   * asked for (host/warmTrainer.ts). In an untrusted workspace only the user's value counts.
   */
  get prepareAhead(): boolean {
    return this.userOnly('trainingProcess.prepareAhead', true) !== false;
  }

  /**
   * Whether the workspace or a folder sets what a training process loads (data folder, backend, tfjs-node path,
   * threads, heap limit). In Restricted Mode nothing is prepared ahead then: VS Code ignores those values there,
   * and a process is forked for them only when a person asks for a run.
   */
  get workspaceSetsTrainingProcess(): boolean {
    return ['dataFolder', 'backend', 'nativeBackendPath', 'trainingProcess.threads', 'trainingProcess.maxMemoryMb'].some((k) => {
      const i = this.cfg.inspect(k);
      return i?.workspaceValue !== undefined || i?.workspaceFolderValue !== undefined;
    });
  }

  /** V8 heap limit of the training process, in MB. */
  get maxMemoryMb(): number {
    return clampInt(this.cfg.get<number>('trainingProcess.maxMemoryMb', 2048), 256, 65_536, 2048);
  }
}

function clampInt(v: unknown, min: number, max: number, fallback: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  return Math.min(max, Math.max(min, Math.round(v)));
}
