// The native backend inside a real VS Code (code-server here): the extension host's training processes
// cannot `require('@tensorflow/tfjs-node')` (index.ts hides it), as for a user who never installed it,
// so runs start on wasm; then "Gradient Lens: Set Up Native Backend" makes tfjs-node available by its
// routes, and a run reports `tensorflow`. The existing installation is the build scripts/nativeBackend.mjs
// provisioned for this checkout (GRADIENT_LENS_NATIVE_BACKEND, else node_modules/@tensorflow/tfjs-node).
// The command is run with arguments, as another extension would, so each request needs the user's
// confirmation (issue 19): VS Code shows no dialogs in extension tests, so the test-only hook answers it.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GradientLensApi } from '../../src/extension';
import type { RunRecord } from '../../src/host/runManager';
import type { SetupResult } from '../../src/host/nativeSetup';
import { findPreset } from '../../src/core/presets';
import { EXT_ID, withConfirm } from './util';

const repo = path.resolve(__dirname, '..', '..', '..');
const provisioned = process.env.GRADIENT_LENS_NATIVE_BACKEND || path.join(repo, 'node_modules', '@tensorflow', 'tfjs-node');
const hasProvisioned = existsSync(path.join(provisioned, 'package.json'));
const wheelCache = process.env.GRADIENT_LENS_WHEEL_CACHE;
const cachedWheel = wheelCache && existsSync(wheelCache) && readdirSync(wheelCache).some((n) => /^tensorflow_cpu-2\.21\.0-.*\.whl$/.test(n));

const cfg = () => vscode.workspace.getConfiguration('gradientLens');
/** The command with a caller's arguments, its confirmation answered yes by the test-only hook. */
const setUpConfirmed = async (api: GradientLensApi, args: { route: string; path?: string }): Promise<SetupResult> => {
  const { shown, result } = await withConfirm(api, true, () => vscode.commands.executeCommand<SetupResult>('gradientLens.setUpNativeBackend', args));
  assert.equal(shown.length, 1, `${args.route}: one confirmation`);
  if (args.path) assert.ok(shown[0].detail.startsWith(`${args.path}\n`), shown[0].detail);
  return result;
};
const train = async (api: GradientLensApi, steps = 30): Promise<RunRecord> => {
  const r = await api.startRun({ spec: { ...findPreset('seed-mlp-uniform')!.spec, steps }, label: `native check (${steps} steps)`, ifRunning: 'replace' });
  assert.ok(r, 'no run');
  assert.equal(r.status, 'finished', `${r.status}: ${r.message}`);
  return r;
};

/** Skips with the reason in the log, or fails when GRADIENT_LENS_REQUIRE_NATIVE=1 (.ci/run) and the native backend is what is missing. */
function skipBecause(ctx: Mocha.Context, reason: string, nativeMissing: boolean): never {
  if (nativeMissing && process.env.GRADIENT_LENS_REQUIRE_NATIVE === '1') assert.fail(`GRADIENT_LENS_REQUIRE_NATIVE=1 but ${reason}`);
  console.log(`      skipped: ${reason}`);
  return ctx.skip();
}

async function reachable(url: string): Promise<boolean> {
  try {
    await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(4000) });
    return true;
  } catch {
    return false;
  }
}

describe('Native backend (Set Up Native Backend, gradientLens.nativeBackendPath)', function () {
  this.timeout(300_000);
  let api: GradientLensApi;

  before(async () => {
    api = await vscode.extensions.getExtension<GradientLensApi>(EXT_ID)!.activate();
    await cfg().update('nativeBackendPath', undefined, vscode.ConfigurationTarget.Global);
    rmSync(api.native.prefix, { recursive: true, force: true });
  });

  after(async () => {
    // Leave the other suites the user-without-tfjs-node state they expect.
    await cfg().update('nativeBackendPath', undefined, vscode.ConfigurationTarget.Global);
    rmSync(api.native.prefix, { recursive: true, force: true });
  });

  it('without tfjs-node a run trains on wasm and records tensorflow as absent (what the panel offers the set-up for)', async () => {
    assert.equal(api.native.effectivePath(), undefined);
    const r = await train(api, 20);
    assert.equal(r.backend?.name, 'wasm');
    assert.equal(r.backend?.skipped[0]?.name, 'tensorflow');
    assert.equal(r.backend?.skipped[0]?.kind, 'absent');
    console.log(`      backend: wasm (tensorflow skipped: ${r.backend?.skipped[0]?.reason})`);
  });

  it('an existing installation that does not hold tfjs-node is refused, saying why, and the setting stays empty (request confirmed by the test-only hook)', async () => {
    const r = await setUpConfirmed(api, { route: 'existing', path: path.join(repo, 'test') });
    assert.equal(r.ok, false);
    assert.match(r.reason ?? '', /holds no @tensorflow\/tfjs-node/);
    assert.equal(cfg().inspect('nativeBackendPath')?.globalValue ?? '', '');
  });

  it('the npm route, where libtensorflow cannot be downloaded, fails with a message saying so (and installs nothing usable) (request confirmed by the test-only hook)', async function () {
    if (await reachable('https://storage.googleapis.com/')) skipBecause(this, 'storage.googleapis.com is reachable here: the npm route would download libtensorflow (≈ 300 MB)', false);
    const r = await setUpConfirmed(api, { route: 'npm' });
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.match(r.reason ?? '', /^could not install tfjs-node with npm: /);
    console.log(`      npm route: ${r.reason}`);
    assert.equal(api.native.effectivePath(), undefined, 'a failed install is not used');
  });

  it('the offline route builds tfjs-node from the TensorFlow wheel into global storage; the next run reports tensorflow (request confirmed by the test-only hook)', async function () {
    if (!cachedWheel) skipBecause(this, `no tensorflow-cpu 2.21.0 wheel in GRADIENT_LENS_WHEEL_CACHE (${wheelCache ?? 'unset'}); node scripts/nativeBackend.mjs fetches it`, true);
    const r = await setUpConfirmed(api, { route: 'offline' });
    assert.equal(r.ok, true, r.reason);
    assert.ok(r.nativePath?.startsWith(api.native.prefix), `${r.nativePath} is not in ${api.native.prefix}`);
    assert.equal(api.native.effectivePath(), path.join(api.native.prefix, 'node_modules', '@tensorflow', 'tfjs-node'));
    const run = await train(api);
    assert.equal(run.backend?.name, 'tensorflow', JSON.stringify(run.backend));
    assert.equal(run.backend?.nativePath, r.nativePath);
    console.log(`      offline route: backend tensorflow (libtensorflow ${run.backend?.tensorflowVersion}, ${run.backend?.threads} thread(s)) from ${run.backend?.nativePath}`);
    rmSync(api.native.prefix, { recursive: true, force: true });
  });

  it('set-up with the locally provisioned build as the existing installation: the setting is stored, a run reports tensorflow (request confirmed by the test-only hook)', async function () {
    if (!hasProvisioned) skipBecause(this, `no provisioned tfjs-node at ${provisioned} (node scripts/nativeBackend.mjs provisions it)`, true);
    assert.equal(api.native.effectivePath(), undefined);
    const r = await setUpConfirmed(api, { route: 'existing', path: provisioned });
    assert.equal(r.ok, true, r.reason);
    assert.match(r.tensorflowVersion ?? '', /^\d+\.\d+\.\d+/);
    assert.equal(cfg().inspect('nativeBackendPath')?.globalValue, provisioned);
    const run = await train(api, 200);
    assert.equal(run.backend?.name, 'tensorflow', JSON.stringify(run.backend));
    assert.deepEqual(run.backend?.skipped, []);
    assert.equal(run.backend?.tensorflowVersion, r.tensorflowVersion);
    assert.ok(run.end!.testAccuracy > 0.8, `200 steps of seed-mlp-uniform on tensorflow reached only ${run.end!.testAccuracy}`);
    console.log(`      existing installation: backend tensorflow (libtensorflow ${run.backend?.tensorflowVersion}, ${run.backend?.threads} thread(s)) from ${run.backend?.nativePath}; accuracy ${run.end!.testAccuracy} after 200 steps`);
    // gradientLens.trainingProcess.threads reaches the training process.
    await cfg().update('trainingProcess.threads', 2, vscode.ConfigurationTarget.Global);
    try {
      const two = await train(api, 10);
      assert.equal(two.backend?.threads, 2);
    } finally {
      await cfg().update('trainingProcess.threads', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
