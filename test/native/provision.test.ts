// scripts/nativeBackend.mjs, the offline provisioning: idempotent on the installation it made, and
// clear about what is wrong when it cannot work (no wheel, a corrupt wheel, no compiler, a library that
// lacks a C function the binding calls). The failure cases run in throwaway prefixes and stop before
// anything is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../unit/helpers';
import { native, requireNativeWhereDemanded, skip } from './native';

requireNativeWhereDemanded('provision');

const SCRIPT = join(repoRoot, 'scripts', 'nativeBackend.mjs');
const script = (args: string[], env: NodeJS.ProcessEnv = process.env) => {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', env, timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lastLine: r.stderr.trim().split('\n').pop() ?? '' };
};
const prefixOf = (pkg: string) => dirname(dirname(dirname(pkg)));
const marker = (pkg: string) => join(pkg, 'deps', 'gradient-lens-native.json');
const byScript = native.ok && existsSync(marker(native.nativePath!));
const emptyPrefix = () => mkdtempSync(join(tmpdir(), 'gl-provision-'));

test('a second run on the installation it made checks it and changes nothing', { skip: skip || (!byScript && 'this tfjs-node was not installed by scripts/nativeBackend.mjs') }, () => {
  const pkg = native.nativePath!;
  const before = readFileSync(marker(pkg), 'utf8');
  const r = script(['--prefix', prefixOf(pkg), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { ok: boolean; alreadyProvisioned: boolean; tensorflow: string; packageDir: string };
  assert.equal(out.ok, true);
  assert.equal(out.alreadyProvisioned, true);
  assert.equal(realpathSync(out.packageDir), realpathSync(pkg));
  assert.match(r.stderr, /already provisioned/);
  assert.equal(readFileSync(marker(pkg), 'utf8'), before);
  console.log(`      provisioned earlier (${JSON.parse(before).builtAt}); re-run: ${out.tensorflow}, checked only`);
});

test('--check says whether an installation loads as tensorflow, with exit 0 or 1', { skip }, () => {
  const ok = script(['--check', '--json', '--prefix', prefixOf(native.nativePath!)]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as { backend: string }).backend, 'tensorflow');
  const none = script(['--check', '--prefix', emptyPrefix()]);
  assert.equal(none.status, 1);
  assert.match(none.lastLine, /^native-backend: not provisioned: no @tensorflow\/tfjs-node in /);
});

test('a wheel that is not there, or not a wheel, is a clear error before anything is installed', () => {
  const prefix = emptyPrefix();
  const missing = script(['--prefix', prefix, '--wheel', '/nonexistent/tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl']);
  assert.equal(missing.status, 1);
  assert.equal(missing.lastLine, 'native-backend: failed: --wheel /nonexistent/tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl: file not found');
  const dir = mkdtempSync(join(tmpdir(), 'gl-wheel-'));
  const wrongName = join(dir, 'tensorflow-2.21.0.tar.gz');
  writeFileSync(wrongName, 'x');
  assert.match(script(['--prefix', prefix, '--wheel', wrongName]).lastLine, /expected a tensorflow_cpu-2\.21\.0-…-manylinux…_x86_64\.whl/);
  const pinned = join(dir, 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl');
  writeFileSync(pinned, 'not a zip');
  const cache = mkdtempSync(join(tmpdir(), 'gl-wheel-cache-'));
  const altered = script(['--prefix', prefix, '--wheel', pinned, '--wheel-cache', cache]);
  assert.equal(altered.status, 1);
  assert.match(altered.lastLine, /sha256 [0-9a-f]{64} is not PyPI's 2b847d21[0-9a-f]+ for tensorflow_cpu-2\.21\.0-cp311/);
  const other = join(dir, 'tensorflow_cpu-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl');
  writeFileSync(other, 'not a zip either');
  // Another tag: its hash is not pinned, so it is refused unless chosen by hand (--allow-unpinned).
  const unpinned = script(['--prefix', prefix, '--wheel', other, '--wheel-cache', cache]);
  assert.equal(unpinned.status, 1);
  assert.match(unpinned.lastLine, /cp312-cp312-manylinux_2_27_x86_64\.whl: sha256 [0-9a-f]{64} is not a pinned wheel's \(tensorflow_cpu-2\.21\.0-cp311-cp311-manylinux_2_27_x86_64\.whl\); refused/);
  const corrupt = script(['--prefix', prefix, '--wheel', other, '--wheel-cache', cache, '--allow-unpinned']);
  assert.equal(corrupt.status, 1);
  assert.match(corrupt.lastLine, /cp312-cp312-manylinux_2_27_x86_64\.whl: it is not a valid zip file \(truncated download\?\): not a zip file \(no end of central directory record\)$/);
  assert.ok(!existsSync(join(prefix, 'node_modules')), 'nothing was installed');
});

test('no C++ compiler (and no make): a clear error naming what to install', { skip: process.platform !== 'linux' && 'Linux only' }, () => {
  // A PATH with node, npm and python3 only.
  const bin = mkdtempSync(join(tmpdir(), 'gl-nocc-'));
  const which = (c: string) => spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).stdout.trim();
  for (const c of ['npm', 'python3']) if (which(c)) symlinkSync(realpathSync(which(c)), join(bin, c));
  symlinkSync(process.execPath, join(bin, 'node'));
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin };
  delete env.CXX;
  const r = script(['--prefix', emptyPrefix()], env);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.lastLine, /^native-backend: failed: cannot build the tfjs-node addon: no C\+\+ compiler \(looked for c\+\+, g\+\+, clang\+\+ on PATH\); no make\. Install a compiler toolchain \(Debian\/Ubuntu: apt-get install build-essential python3/);
});

test('the symbol check: the 55 C functions the binding calls are all exported, and a library without them is reported by name', { skip: skip || (!byScript && 'needs the headers and libraries the script put in deps/') }, () => {
  const pkg = native.nativePath!;
  const code = `
    import { bindingCFunctions, missingSymbols } from ${JSON.stringify(pathToFileURL(SCRIPT).href)};
    const pkg = ${JSON.stringify(pkg)};
    const wanted = bindingCFunctions(pkg, pkg + '/deps/include');
    const lib = (n) => pkg + '/deps/lib/' + n;
    process.stdout.write(JSON.stringify({ wanted, both: missingSymbols(wanted, [lib('libtensorflow_cc.so.2'), lib('libtensorflow_framework.so.2')]), frameworkOnly: missingSymbols(wanted, [lib('libtensorflow_framework.so.2')]) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { wanted: string[]; both: string[]; frameworkOnly: string[] };
  assert.equal(out.wanted.length, 55);
  assert.ok(out.wanted.includes('TFE_Execute') && out.wanted.includes('TF_Version'));
  assert.deepEqual(out.both, []);
  assert.ok(out.frameworkOnly.includes('TFE_NewContext') && out.frameworkOnly.includes('TFE_Execute'), out.frameworkOnly.join(', '));
});

test('the script runs from another checkout: --help prints its usage, bad options exit 2', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'gl-elsewhere-'));
  mkdirSync(join(cwd, 'x'));
  const help = spawnSync(process.execPath, [SCRIPT, '--help'], { encoding: 'utf8', cwd });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--wheel-cache DIR/);
  const bad = spawnSync(process.execPath, [SCRIPT, '--frobnicate'], { encoding: 'utf8', cwd });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^native-backend: Unknown option '--frobnicate'/);
});
