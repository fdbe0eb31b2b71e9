// A FAKE of the small part of the `vscode` API that src/host/panel.ts uses (createWebviewPanel,
// postMessage, onDidReceiveMessage, view state, save dialog, workspace.fs), installed under the module
// name 'vscode' so the real panel.ts can run in plain Node. Used where VS Code itself cannot be driven:
// the host-side panel tests, and the browser tests, which load the exact HTML panel.ts generates.
import Module from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainerToHostMessage } from '../../src/protocol/training';

type Listener<T> = (e: T) => void;
export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (l: Listener<T>) => { this.listeners.push(l); return { dispose: () => { this.listeners = this.listeners.filter((x) => x !== l); } }; };
  fire(e: T): void { for (const l of [...this.listeners]) l(e); }
  dispose(): void { this.listeners = []; }
}
export class Uri {
  constructor(readonly fsPath: string) {}
  get path(): string { return this.fsPath; }
  toString(): string { return `file://${this.fsPath}`; }
  static file(p: string): Uri { return new Uri(p); }
  static joinPath(u: Uri, ...parts: string[]): Uri { return new Uri(join(u.fsPath, ...parts)); }
}
export interface FakePanel {
  posted: unknown[];
  html: string;
  title: string;
  visible: boolean;
  options: Record<string, unknown>;
  receive(m: unknown): void;
  setVisible(v: boolean): void;
  disposed: boolean;
}
export const fake = {
  /** The webview's resource origin (its cspSource; asWebviewUri maps a file path under it). */
  resourceOrigin: 'https://file+.vscode-resource.test',
  panels: [] as FakePanel[],
  logs: [] as string[],
  infos: [] as string[],
  errors: [] as string[],
  saveTo: undefined as Uri | undefined,
  /** The options of every save dialog shown (its title and default file). */
  saveDialogs: [] as { title?: string; defaultUri?: Uri; filters?: Record<string, string[]> }[],
};
export const vscodeFake = {
  Uri, EventEmitter,
  ViewColumn: { One: 1, Beside: -2 },
  Position: class { constructor(readonly line: number, readonly character: number) {} },
  Range: class { constructor(readonly start: unknown, readonly end: unknown) {} },
  window: {
    createWebviewPanel: (_viewType: string, title: string, _show: unknown, options: Record<string, unknown>) => {
      const receive = new EventEmitter<unknown>();
      const dispose = new EventEmitter<void>();
      const viewState = new EventEmitter<unknown>();
      const posted: unknown[] = [];
      const panel = {
        title, visible: true, iconPath: undefined as unknown, disposed: false,
        webview: {
          html: '', options, cspSource: fake.resourceOrigin,
          asWebviewUri: (u: Uri) => ({ toString: () => `${fake.resourceOrigin}${u.fsPath}` }),
          postMessage: async (m: unknown) => { posted.push(JSON.parse(JSON.stringify(m))); return true; },
          onDidReceiveMessage: receive.event,
        },
        reveal: () => undefined,
        onDidDispose: dispose.event,
        onDidChangeViewState: viewState.event,
        dispose: () => { if (!panel.disposed) { panel.disposed = true; dispose.fire(); } },
      };
      const handle: FakePanel = {
        posted,
        get html() { return panel.webview.html; },
        get title() { return panel.title; },
        get visible() { return panel.visible; },
        get disposed() { return panel.disposed; },
        options,
        receive: (m) => receive.fire(m),
        setVisible: (v) => { panel.visible = v; viewState.fire({ webviewPanel: panel }); },
      };
      fake.panels.push(handle);
      return panel;
    },
    showSaveDialog: async (o: { title?: string; defaultUri?: Uri; filters?: Record<string, string[]> }) => { fake.saveDialogs.push(o); return fake.saveTo; },
    showInformationMessage: async (m: string) => { fake.infos.push(m); },
    showErrorMessage: async (m: string) => { fake.errors.push(m); },
  },
  workspace: {
    workspaceFolders: undefined as { uri: Uri }[] | undefined,
    fs: { writeFile: async (u: Uri, bytes: Uint8Array) => { writeFileSync(u.fsPath, bytes); } },
  },
};
const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
const resolve = M._resolveFilename;
M._resolveFilename = (req, ...rest) => (req === 'vscode' ? 'vscode' : resolve(req, ...rest));
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscodeFake } as unknown as NodeJS.Module;

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { TrainingPanel, FLUSH_MS, exportFileName } = require('../../src/host/panel') as {
  FLUSH_MS: number;
  exportFileName(runs: { label: string; group?: { id: string; title: string } }[], ext: string): string;
  TrainingPanel: {
    currentPanel: { dispose(): void } | undefined;
    createOrShow(uri: Uri, host: unknown): TPanel;
    revive(panel: unknown, uri: Uri, state: unknown, host: unknown): TPanel;
  };
};
export interface TPanel {
  beginRun(run: { runId: string; label: string; spec: unknown; compareWithRunId?: string; sourceFile?: string; group?: { id: string; title: string; variant: string; index: number; size: number; change: string } }): void;
  handleTrainerMessage(m: TrainerToHostMessage): void;
  endRun(runId: string, o: { status: 'finished' | 'stopped' | 'error'; message?: string }): void;
  runState(runId: string): unknown;
  whenReady(): Promise<void>;
  dispose(): void;
}


/** The HTML panel.ts gives its webview, with `origin` as the webview's resource origin (media/ served under it). */
export function realPanelHtml(origin: string): string {
  const before = fake.resourceOrigin;
  fake.resourceOrigin = origin;
  try {
    const panel = TrainingPanel.createOrShow(new Uri('/ext'), { startRun: () => undefined, stopRun: () => undefined, log: () => undefined });
    const html = fake.panels[fake.panels.length - 1].html;
    panel.dispose();
    return html;
  } finally {
    fake.resourceOrigin = before;
  }
}
