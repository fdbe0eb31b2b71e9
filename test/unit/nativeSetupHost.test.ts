// src/host/nativeSetup.ts (the command's NativeBackend) in plain Node with a FAKE `vscode` module: the
// in-VS-Code tests (test/integration/hostileCommands.test.ts, restricted.untrusted.test.ts) cannot show
// the confirmation modal (VS Code refuses dialogs in extension tests), so here the fake records exactly how
// the modal is asked for (showWarningMessage with { modal: true, detail }) and answers it. The checks
// are real: dist/worker.js --check-native in a real process, a real FIFO, a real fake package.
import { test, beforeEach } from 'node:test';
import Module from 'node:module';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './helpers';

// ---- the FAKE vscode module --------------------------------------------------------------------------
interface Modal { message: string; options: { modal?: boolean; detail?: string }; items: string[] }
const fake = {
  trusted: true,
  /** The button the "user" presses in the next modal (undefined: dismissed); 'throw': the dialog fails. */
  answer: undefined as string | undefined,
  modals: [] as Modal[],
  notices: [] as string[],
  updates: [] as { key: string; value: unknown }[],
  logs: [] as string[],
};
const vscodeFake = {
  ConfigurationTarget: { Global: 1 },
  ProgressLocation: { Notification: 15 },
  window: {
    showWarningMessage: async (message: string, ...rest: unknown[]) => {
      const options = typeof rest[0] === 'object' && rest[0] !== null ? rest.shift() as Modal['options'] : {};
      if (options.modal) {
        fake.modals.push({ message, options, items: rest as string[] });
        if (fake.answer === 'throw') throw new Error('DialogService: refused to show dialog');
        return fake.answer;
      }
      fake.notices.push(message);
      return undefined;
    },
    showInformationMessage: async (m: string) => { fake.notices.push(m); return undefined; },
    showErrorMessage: async (m: string) => { fake.notices.push(m); return undefined; },
    showQuickPick: async () => undefined,
    showOpenDialog: async () => undefined,
    withProgress: (_o: unknown, task: (p: { report(): void }, t: unknown) => Promise<unknown>) =>
      task({ report: () => undefined }, { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) }),
  },
  workspace: {
    get isTrusted() { return fake.trusted; },
    getConfiguration: () => ({ update: async (key: string, value: unknown) => { fake.updates.push({ key, value }); } }),
  },
  commands: { executeCommand: async () => undefined },
};
const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
const resolveFilename = M._resolveFilename;
M._resolveFilename = (req, ...rest) => (req === 'vscode' ? 'vscode' : resolveFilename(req, ...rest));
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscodeFake } as unknown as NodeJS.Module;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { NativeBackend } = require('../../src/host/nativeSetup') as typeof import('../../src/host/nativeSetup');

const log = {
  info: (m: string) => fake.logs.push(`info ${m}`), warn: (m: string) => fake.logs.push(`warn ${m}`),
  error: (m: string) => fake.logs.push(`error ${m}`), show: () => undefined,
};
const backend = (checkMs = 120_000) => new NativeBackend({
  extensionPath: repoRoot, storagePath: mkdtempSync(join(tmpdir(), 'gl-native-storage-')),
  config: { nativeBackendPath: undefined, backend: 'auto' } as never, log: log as never, timeouts: { check: checkMs },
});
function fakePackage(): { pkg: string; marker: string } {
  const pkg = mkdtempSync(join(tmpdir(), 'gl-fake-tfjs-node-'));
  const marker = join(pkg, 'LOADED');
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0', main: 'index.js' }));
  writeFileSync(join(pkg, 'index.js'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'loaded'); throw new Error('this is not tfjs-node');\n`);
  return { pkg, marker };
}
const built = existsSync(join(repoRoot, 'dist', 'worker.js'));

beforeEach(() => {
  fake.trusted = true;
  fake.answer = undefined;
  fake.modals.length = 0;
  fake.notices.length = 0;
  fake.updates.length = 0;
  fake.logs.length = 0;
});

test('FAKE vscode: in an untrusted workspace a caller\'s arguments are refused with a message and a log line, without a modal; nothing is loaded', async () => {
  fake.trusted = false;
  const { pkg, marker } = fakePackage();
  for (const args of [{ route: 'existing', path: pkg }, { route: 'offline', wheel: join(pkg, 'x.whl') }, { route: 'npm' }, { route: 'existing', ask: true }]) {
    const r = await backend().setUp(args);
    assert.equal(r.ok, false);
    assert.equal(r.refused, true);
  }
  assert.equal(fake.modals.length, 0);
  assert.ok(!existsSync(marker));
  assert.deepEqual(fake.updates, []);
  assert.equal(fake.logs.filter((l) => /^warn gradientLens\.setUpNativeBackend refused its arguments: the workspace is not trusted/.test(l)).length, 4, fake.logs.join('\n'));
  assert.ok(fake.notices.every((n) => /refused a request from another extension or a link: the workspace is not trusted/.test(n)), fake.notices.join('\n'));
});

test('FAKE vscode: a caller\'s path is loaded only after the modal ({ modal: true, detail: path }) is answered with its button', { skip: !built && 'dist/worker.js is not built' }, async () => {
  const { pkg, marker } = fakePackage();
  const b = backend();
  // Dismissed.
  const no = await b.setUp({ route: 'existing', path: pkg });
  assert.deepEqual(no, { ok: false, cancelled: true, refused: true, reason: 'not confirmed' });
  assert.equal(fake.modals.length, 1);
  const m = fake.modals[0];
  assert.equal(m.options.modal, true);
  assert.ok(m.options.detail?.startsWith(`${pkg}\n`), `the modal's detail starts with the path: ${m.options.detail}`);
  assert.deepEqual(m.items, ['Load and Use This Folder']);
  assert.ok(!existsSync(marker), 'nothing was loaded');
  assert.deepEqual(fake.updates, []);
  // A dialog that cannot be shown counts as "no".
  fake.answer = 'throw';
  assert.equal((await b.setUp({ route: 'existing', path: pkg })).reason, 'not confirmed');
  assert.ok(fake.logs.some((l) => /the confirmation dialog could not be shown .* treated as not confirmed/.test(l)));
  assert.ok(!existsSync(marker));
  // Confirmed: the check loads it (the fake package is not tfjs-node: refused, no setting).
  fake.answer = 'Load and Use This Folder';
  const yes = await b.setUp({ route: 'existing', path: pkg });
  assert.equal(yes.ok, false);
  assert.ok(existsSync(marker), 'confirmed: the check loaded the package');
  assert.match(yes.reason ?? '', /does not load: this is not tfjs-node/);
  assert.deepEqual(fake.updates, []);
  // The palette (no argument) asks no confirmation: the user picks (here: dismisses the QuickPick).
  fake.modals.length = 0;
  assert.deepEqual(await b.setUp(), { ok: false, cancelled: true });
  assert.equal(fake.modals.length, 0);
  // The test-only hook sees what the modal shows, instead of the modal.
  const seen: string[] = [];
  b.setConfirmForTests((c) => { seen.push(c.detail); return false; });
  await b.setUp({ route: 'npm' });
  assert.equal(fake.modals.length, 0);
  assert.match(seen[0], /^npm install @tensorflow\/tfjs-node@4\.22\.0 in /);
});

test('FAKE vscode: a FIFO package.json makes the confirmed check time out with a clear message, and the command works again at once', { skip: (!built && 'dist/worker.js is not built') || (process.platform === 'win32' && 'mkfifo: POSIX') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-fifo-host-'));
  const fifo = join(dir, 'pkg');
  mkdirSync(fifo);
  assert.equal(spawnSync('mkfifo', [join(fifo, 'package.json')]).status, 0);
  const b = backend(2000);
  fake.answer = 'Load and Use This Folder';
  const t0 = Date.now();
  const r = await b.setUp({ route: 'existing', path: fifo });
  assert.equal(r.reason, `${fifo}: loading ${fifo} did not finish in 2 s, so the check was stopped (a file it reads blocks: a FIFO or a hung network mount?)`);
  assert.ok(Date.now() - t0 < 8000, `${Date.now() - t0} ms`);
  const again = await b.setUp({ route: 'existing', path: join(dir, 'missing') });
  assert.notEqual(again.reason, 'already running');
  assert.match(again.reason ?? '', /missing does not exist/);
  // While one set-up is running, a second one says so (and the first still ends).
  const first = b.setUp({ route: 'existing', path: fifo });
  const second = await b.setUp({ route: 'existing', path: fifo });
  assert.equal(second.reason, 'already running');
  assert.match((await first).reason ?? '', /did not finish in 2 s/);
  assert.notEqual((await b.setUp({ route: 'existing', path: join(dir, 'missing') })).reason, 'already running');
});
