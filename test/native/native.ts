// Shared by the native tests (not a test itself): is the real @tensorflow/tfjs-node usable here? The
// answer comes from the training process's own check (`dist/worker.js --check-native`), so the tests
// skip (saying why) exactly where a run would fall back to wasm. With GRADIENT_LENS_REQUIRE_NATIVE=1
// (.ci/run) a missing native backend is a failure instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../unit/helpers';

export interface NativeCheck {
  ok: boolean;
  reason?: string;
  kind?: 'absent' | 'broken';
  tensorflowVersion?: string;
  nativePath?: string;
  threads?: number;
}

/** GRADIENT_LENS_NATIVE_BACKEND: an installation elsewhere; else tfjs-node next to dist/ (node_modules). */
export const nativePath: string | undefined = process.env.GRADIENT_LENS_NATIVE_BACKEND || undefined;

export function checkNative(path = nativePath): NativeCheck {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'worker.js'), '--check-native', ...(path ? [path] : [])], { encoding: 'utf8', timeout: 120_000 });
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as NativeCheck;
  } catch {
    return { ok: false, reason: `dist/worker.js --check-native printed no result (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}` };
  }
}

export const native = checkNative();
export const required = process.env.GRADIENT_LENS_REQUIRE_NATIVE === '1';
/** `{ skip }` for node:test: false where tfjs-node works, else why not. */
export const skip: string | false = native.ok ? false
  : `tfjs-node is not usable here (${native.reason}); provision it with \`node scripts/nativeBackend.mjs\``;

/** Registers the test that fails when the native backend is required but missing (CI). */
export function requireNativeWhereDemanded(file: string): void {
  test(`${file}: the native backend is usable${required ? ' (required: GRADIENT_LENS_REQUIRE_NATIVE=1)' : ''}`, { skip: !required && skip }, () => {
    assert.ok(native.ok, `GRADIENT_LENS_REQUIRE_NATIVE=1 but ${native.reason}`);
  });
}

/** --native-backend for CLI runs when the installation is elsewhere. */
export const cliNativeArgs = (): string[] => (nativePath ? ['--native-backend', nativePath] : []);
