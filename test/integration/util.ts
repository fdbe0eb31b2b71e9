// Helpers shared by the integration suites (not a suite itself: index.ts loads *.test.js only).

/** Polls `get` every 50 ms until it returns a truthy value; fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, get: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The helpers below need the extension host's `vscode` module.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import type { GradientLensApi } from '../../src/extension';
import type { RunRecord } from '../../src/host/runManager';

/** A diagnostic's code as a string (Gradient Lens sets `{ value, target }`). */
export const codeOf = (d: vscode.Diagnostic): string | undefined =>
  (typeof d.code === 'object' ? String(d.code.value) : d.code === undefined ? undefined : String(d.code));

/** The diagnostics of a document that come from one source ('Gradient Lens' or 'Gradient Lens (training)'). */
export const diagnosticsFrom = (uri: vscode.Uri, source: string): vscode.Diagnostic[] =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.source === source);

/** Quick fixes at a range; retried while another provider (e.g. the JSON language server starting up) cancels the request. */
export async function quickFixes(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      return (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range, vscode.CodeActionKind.QuickFix.value)) ?? [];
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Runs "Train MNIST MLP" and accepts the QuickPick's first item once it is up (accepting earlier does nothing); resolves to the run. */
export async function trainFirstQuickPickItem(api: GradientLensApi): Promise<RunRecord | undefined> {
  const before = api.runs.length;
  const picked = vscode.commands.executeCommand<RunRecord | undefined>('gradientLens.train');
  await waitFor('the QuickPick to accept its first item', () => {
    if (api.runs.length > before) return true;
    void vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    return false;
  }, 30_000);
  return picked;
}

export const EXT_ID = 'gradient-lens.gradient-lens';

/**
 * For a suite that opens copies of fixture files: activates the extension before the suite, gives each `open` a
 * fresh copy (in its own folder of a temp directory, named `name` or as the fixture), shown in an editor, and
 * closes the editors and removes the directory after the suite.
 */
export function fixtureCopies(prefix: string): { api: () => GradientLensApi; open: (fixture: string, name?: string) => Promise<vscode.TextDocument> } {
  let dir: string | undefined;
  let api: GradientLensApi | undefined;
  let copies = 0;
  before(async () => {
    const ext = vscode.extensions.getExtension<GradientLensApi>(EXT_ID);
    if (!ext) throw new Error(`extension ${EXT_ID} is not installed in this extension host`);
    api = await ext.activate();
    dir = mkdtempSync(join(tmpdir(), `gradient-lens-${prefix}-`));
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    api: () => {
      if (!api) throw new Error('the extension is not activated yet (use api() inside a test)');
      return api;
    },
    open: async (fixture, name) => {
      const folder = join(dir!, String(++copies));
      mkdirSync(folder);
      const file = join(folder, name ?? basename(fixture));
      copyFileSync(fixture, file);
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      await vscode.window.showTextDocument(doc);
      return doc;
    },
  };
}

/**
 * The three-line file of issue 19: a list doubled 40 times. Written by the test, not kept in test/fixtures, where
 * the unit tests read every file inline (importFuzz.test.ts) — until the reader is bounded, that takes them down.
 */
export const DOUBLING_SOURCE = 'l = [1]\nfor _ in range(40):\n    l = l + l\n';

/**
 * Issue 19 in the editor: the three-line doubling file (DOUBLING_SOURCE) gets one diagnostic — the
 * reader process stopped on it (`reader-stopped`, first line), or the bounded reader refused it on a line — and a
 * model file opened after it still gets its findings: the extension host, and the extension, carry on.
 */
export async function checkHostileThenModel(api: GradientLensApi, open: (fixture: string) => Promise<vscode.TextDocument>, fixtures: string): Promise<void> {
  const logged = api.logMark();
  const t0 = Date.now();
  const source = join(mkdtempSync(join(tmpdir(), 'gradient-lens-doubling-')), 'doubling_list.py');
  writeFileSync(source, DOUBLING_SOURCE);
  const hostile = await open(source);
  const stop = await waitFor('a diagnostic on the doubling file', () => {
    const d = vscode.languages.getDiagnostics(hostile.uri).filter((x) => x.source === 'Gradient Lens');
    return d.length > 0 ? d : undefined;
  }, 60_000);
  console.log(`      doubling_list.py after ${Date.now() - t0} ms: ${stop.map((d) => `[${codeOf(d)} line ${d.range.start.line + 1}] ${d.message}`).join(' | ')}`);
  if (stop.some((d) => codeOf(d) === 'reader-stopped')) {
    assert.equal(stop.length, 1, 'one diagnostic');
    const [d] = stop;
    assert.match(d.message, /^Gradient Lens stopped reading this file: it needed more than (256 MB of memory|3 s) to follow statically\./);
    assert.equal(d.range.start.line, 0);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);
    assert.ok(typeof d.code === 'object' && d.code.target.path.endsWith('/docs/importers.md') && d.code.target.fragment === 'reader-stopped', 'links docs/importers.md#reader-stopped');
    assert.ok(api.logSince(logged).some((l) => /reader: .*doubling_list\.py/.test(l)), `the log names the file: ${api.logSince(logged).join(' | ')}`);
  } else {
    // The bounded reader (issue 19 item 1) says where it stopped.
    assert.ok(stop.some((d) => /statically|too large/i.test(d.message)), stop.map((d) => d.message).join(' | '));
  }
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', hostile.uri)) ?? [];
  assert.ok(!lenses.some((l) => l.command?.command === 'gradientLens.trainFile'), 'no "Train this model" on the doubling file');

  const t1 = Date.now();
  const model = await open(join(fixtures, 'mnist_mlp_zeros.py'));
  const found = await waitFor('the static findings of mnist_mlp_zeros.py after the doubling file', () => {
    const d = vscode.languages.getDiagnostics(model.uri).filter((x) => x.source === 'Gradient Lens' && x.range.start.line === 8 && (codeOf(x) === 'dead-units' || codeOf(x) === 'symmetric-units'));
    return d.length >= 2 ? d : undefined;
  }, 30_000);
  console.log(`      mnist_mlp_zeros.py after it: ${found.map(codeOf).sort().join(', ')} in ${Date.now() - t1} ms`);
  assert.deepEqual(found.map(codeOf).sort(), ['dead-units', 'symmetric-units']);
}

/** What Set Up Native Backend's confirmation modal shows (src/host/nativeSetup.ts SetupConfirmation). */
export interface Confirmation { message: string; detail: string; button: string }

/**
 * Runs `act` with Set Up Native Backend's confirmation modal answered by `answer` through the extension's
 * test hook (api.native.setConfirmForTests, present only in ExtensionMode.Test): VS Code refuses to show any
 * dialog while it runs extension tests ("DialogService: refused to show dialog in tests"), so the real modal
 * cannot be answered here. Resolves to what the modal would have shown, and act's result.
 */
export async function withConfirm<T>(api: GradientLensApi, answer: boolean, act: () => Thenable<T>): Promise<{ shown: Confirmation[]; result: T }> {
  const hook = api.native.setConfirmForTests;
  if (!hook) throw new Error('api.native.setConfirmForTests is missing: the extension is not running in ExtensionMode.Test');
  const shown: Confirmation[] = [];
  hook((c) => { shown.push(c); return answer; });
  try {
    return { shown, result: await act() };
  } finally {
    hook(undefined);
  }
}
