#!/usr/bin/env node
// Offline provisioning of the native TensorFlow backend (@tensorflow/tfjs-node 4.22.0) for machines that
// cannot reach libtensorflow's download (firewalls, CI here). Its install script would download
// libtensorflow 2.9.1 and a prebuilt addon from storage.googleapis.com; instead this script
//   1. installs the package with npm --ignore-scripts (npm registry only),
//   2. takes libtensorflow from the PyPI wheel tensorflow-cpu==2.21.0 (a pip mirror or a wheel file you
//      bring): its libtensorflow_cc.so.2 exports the TF_/TFE_ C API the binding calls,
//   3. checks that every C function the binding calls is exported (nm),
//   4. builds the N-API addon locally with npm's bundled node-gyp against the local Node headers,
//   5. loads it in a fresh Node process: the backend must be `tensorflow` and compute a product.
// Idempotent: a second run checks and returns in a few seconds. Linux x86-64 only (the wheel's platform).
//
//   node scripts/nativeBackend.mjs [--prefix DIR] [--wheel FILE] [--wheel-cache DIR] [--nodedir DIR]
//                                  [--force] [--check] [--json]
//
//   --prefix DIR       install into DIR/node_modules/@tensorflow/tfjs-node (default: this repository, where
//                      npm would have put the optional dependency). A DIR without package.json gets one.
//   --wheel FILE       use this tensorflow_cpu-2.21.0-*-manylinux*_x86_64.whl instead of asking pip; it
//                      must match a pinned sha256 (PINNED_WHEELS) unless --allow-unpinned is given
//   --allow-unpinned   use a --wheel FILE whose hash is not pinned (with a warning): for a file the user
//                      chose themselves (the extension passes it only for a file picked in its dialog)
//   --wheel-cache DIR  where the wheel and the libraries taken from it are kept between runs
//                      (default $GRADIENT_LENS_WHEEL_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/gradient-lens/wheels)
//   --nodedir DIR      Node headers (DIR/include/node/node_api.h); default: next to this Node
//   --force            rebuild the addon and relink the libraries even when already provisioned
//   --check            change nothing: exit 0 when the installation loads as `tensorflow`, else 1
//   --json             print one JSON object with the result on stdout (progress stays on stderr)
//
// Exit codes: 0 ready, 1 failed (the last stderr line says why), 2 bad arguments.
// The wheel is extracted by wheelZip.mjs (beside this file), which refuses a wheel with any entry that
// would land outside its folder. Every child process (npm, pip, node-gyp, nm, the load check) has a
// deadline and runs in its own process group, killed as a whole on a deadline, on cancellation and when
// this script is stopped (SIGTERM, SIGINT, SIGHUP).
// As a module: `provision(options)` and `checkInstallation(packageDir)` (used by the tests).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync, createReadStream, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync,
  rmSync, statSync, symlinkSync, unlinkSync, writeFileSync, lstatSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { UnsafeEntryError, ZipFormatError, extractSafely } from './wheelZip.mjs';

export const TFJS_NODE_VERSION = '4.22.0';
export const TF_VERSION = '2.21.0';
/**
 * The wheels whose libraries this script uses without asking: file name and sha256 (PyPI's, checked
 * against the file pip downloads from the configured mirror). A wheel is used only when its sha256 is one
 * of these, or with --allow-unpinned (a file the user chose). Only their C libraries are used, so the
 * Python tag does not matter; add a wheel here with the hash PyPI publishes for it.
 */
export const PINNED_WHEELS = Object.freeze([
  { file: `tensorflow_cpu-${TF_VERSION}-cp311-cp311-manylinux_2_27_x86_64.whl`, sha256: '2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c' },
]);
/** The wheel pip fetches (Python-independent: only its C libraries are used) and its sha256 on PyPI. */
export const WHEEL = {
  requirement: `tensorflow-cpu==${TF_VERSION}`,
  file: PINNED_WHEELS[0].file,
  sha256: PINNED_WHEELS[0].sha256,
  pattern: new RegExp(`^tensorflow_cpu-${TF_VERSION.replace(/\./g, '\\.')}-cp\\d+-cp\\d+-manylinux[\\w.]*_x86_64\\.whl$`),
};
/** Deadlines of the children (ms): a child still running then is killed with its process group. */
export const TIMEOUTS = Object.freeze({ npm: 15 * 60_000, pip: 30 * 60_000, build: 15 * 60_000, probe: 60_000, nm: 5 * 60_000, check: 120_000 });
/** The N-API version the addon is built for: the highest of tfjs-node's `binary.napi_versions` (node-pre-gyp loads that one). */
const NAPI_BUILD_VERSION = 8;
const MARKER = 'gradient-lens-native.json';
/** Members of the wheel that are needed: the two libraries and the headers c_api.h / eager/c_api.h include. */
const LIBS = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];
const HEADER_DIRS = ['tensorflow/c/', 'tensorflow/core/platform/', 'tsl/platform/', 'xla/tsl/c/'];

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export class ProvisionError extends Error {
  constructor(message, detail) {
    super(message);
    this.name = 'ProvisionError';
    this.detail = detail;
  }
}

export function defaultWheelCache() {
  if (process.env.GRADIENT_LENS_WHEEL_CACHE) return resolve(process.env.GRADIENT_LENS_WHEEL_CACHE);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'gradient-lens', 'wheels');
}

export const packageDirOf = (prefix) => join(prefix, 'node_modules', '@tensorflow', 'tfjs-node');

// ---------------------------------------------------------------- small helpers

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch { /* not here */ }
  }
  return undefined;
}

const tail = (text, n = 12) => text.split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(-n).join('\n');

/** Children running now (their process groups are killed when this script is stopped). */
const live = new Set();

/** Kills a child's whole process group (POSIX; on Windows the child): SIGTERM, then SIGKILL after `graceMs`. */
function killGroup(child, graceMs = 3000) {
  const send = (sig) => {
    try {
      if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch { /* already gone */ }
  };
  send('SIGTERM');
  const t = setTimeout(() => send('SIGKILL'), graceMs);
  t.unref();
  child.once('exit', () => { clearTimeout(t); send('SIGKILL'); }); // stragglers in the group
}

/** Stops every live child's process group at once, with SIGKILL (this script is about to exit: no timer would run). */
export function killChildren() {
  for (const child of live) {
    try {
      if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch { /* already gone */ }
  }
}

/**
 * Runs a command in its own process group, collecting its output; streams each line to `onLine`.
 * `timeoutMs` (default: none) and `signal` kill the group. Resolves { code, signal, out, timedOut }.
 */
export function run(cmd, args, { cwd, env, onLine, signal, timeoutMs } = {}) {
  return new Promise((resolvePromise) => {
    let out = '';
    let child;
    try {
      child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    } catch (e) {
      resolvePromise({ code: -1, out: String(e.message), timedOut: false });
      return;
    }
    live.add(child);
    let timedOut = false;
    let settled = false;
    const onAbort = () => killGroup(child);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    const timer = timeoutMs ? setTimeout(() => { timedOut = true; out += `\n${basename(cmd)} did not finish in ${Math.round(timeoutMs / 1000)} s; stopped`; killGroup(child); }, timeoutMs) : undefined;
    let partial = '';
    const take = (chunk) => {
      const s = chunk.toString();
      out += s;
      if (out.length > 400_000) out = out.slice(-200_000);
      partial += s;
      const lines = partial.split(/\r?\n/);
      partial = lines.pop();
      for (const l of lines) if (l.trim()) onLine?.(l);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const finish = (code, sig) => {
      if (settled) return;
      settled = true;
      live.delete(child);
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (partial.trim()) onLine?.(partial);
      resolvePromise({ code: code ?? (sig ? 128 : -1), signal: sig, out, timedOut });
    };
    child.on('error', (e) => { out += `\n${e.message}`; if (child.pid === undefined) finish(-1, null); });
    // 'close' waits for the pipes, which a grandchild outside the group could hold open: after 'exit', 5 s at most.
    child.on('exit', (code, sig) => { setTimeout(() => { child.stdout.destroy(); child.stderr.destroy(); finish(code, sig); }, 5000).unref(); });
    child.on('close', finish);
  });
}

function sha256(file) {
  return new Promise((resolvePromise, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolvePromise(h.digest('hex')));
  });
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Hard link (no extra disk: libtensorflow_cc.so.2 is 788 MB), else copy. Replaces `dest`. */
function linkOrCopy(src, dest) {
  try {
    const a = statSync(src);
    const b = statSync(dest);
    if (a.ino === b.ino && a.dev === b.dev) return 'kept';
  } catch { /* dest missing */ }
  rmSync(dest, { force: true });
  try {
    linkSync(src, dest);
    return 'linked';
  } catch {
    copyFileSync(src, dest);
    return 'copied';
  }
}

function relink(target, name, dir) {
  const p = join(dir, name);
  try {
    lstatSync(p);
    unlinkSync(p);
  } catch { /* absent */ }
  symlinkSync(target, p);
}

// ---------------------------------------------------------------- preflight

/** The tools a build needs, or a ProvisionError naming what is missing and how to get it. */
export function findToolchain({ nodedir } = {}) {
  const problems = [];
  const python = which('python3') ?? which('python');
  if (!python) problems.push('no python3 (node-gyp needs it)');
  const cxx = process.env.CXX ? (which(process.env.CXX) ?? (existsSync(process.env.CXX) ? process.env.CXX : undefined)) : (which('c++') ?? which('g++') ?? which('clang++'));
  if (!cxx) problems.push(`no C++ compiler (looked for ${process.env.CXX ? `CXX=${process.env.CXX}` : 'c++, g++, clang++'} on PATH)`);
  const make = which('make');
  if (!make) problems.push('no make');
  if (problems.length) {
    throw new ProvisionError(`cannot build the tfjs-node addon: ${problems.join('; ')}. Install a compiler toolchain (Debian/Ubuntu: apt-get install build-essential python3; Fedora: dnf install gcc-c++ make python3)`);
  }
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) throw new ProvisionError('node-gyp not found: it ships with npm (…/npm/node_modules/node-gyp); install npm, or put node-gyp on the module path');
  const headers = nodedir ?? dirname(dirname(process.execPath));
  const hasHeaders = existsSync(join(headers, 'include', 'node', 'node_api.h')) && existsSync(join(headers, 'include', 'node', 'common.gypi'));
  if (nodedir && !hasHeaders) throw new ProvisionError(`--nodedir ${nodedir}: no include/node/node_api.h and common.gypi there`);
  return { python, cxx, make, nodeGyp, nodedir: hasHeaders ? headers : undefined, nm: which('nm') };
}

function findNodeGyp() {
  const candidates = [];
  const fromNpmCli = (cli) => join(dirname(cli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath)) candidates.push(fromNpmCli(process.env.npm_execpath));
  const npm = which('npm');
  if (npm) {
    try { candidates.push(fromNpmCli(realpathSync(npm))); } catch { /* broken link */ }
  }
  candidates.push(join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => existsSync(c));
}

// ---------------------------------------------------------------- the steps

async function installPackage(prefix, log, signal) {
  const pkgDir = packageDirOf(prefix);
  const pkg = readJson(join(pkgDir, 'package.json'));
  const depsResolvable = ['@tensorflow/tfjs', '@mapbox/node-pre-gyp'].every((d) => {
    try {
      // Resolve as tfjs-node's own require would, from inside its folder.
      return Boolean(spawnSync(process.execPath, ['-e', `require.resolve(${JSON.stringify(`${d}/package.json`)})`], { cwd: pkgDir, encoding: 'utf8', timeout: TIMEOUTS.probe, killSignal: 'SIGKILL' }).status === 0);
    } catch {
      return false;
    }
  });
  if (pkg?.version === TFJS_NODE_VERSION && depsResolvable) {
    log(`@tensorflow/tfjs-node ${TFJS_NODE_VERSION} is installed in ${pkgDir}`);
    return { pkgDir, installed: false };
  }
  const npm = which('npm');
  if (!npm) throw new ProvisionError('npm is not on PATH (needed to install @tensorflow/tfjs-node from the npm registry)');
  mkdirSync(prefix, { recursive: true });
  const hasPackageJson = existsSync(join(prefix, 'package.json'));
  if (!hasPackageJson) {
    // Without one npm would walk up and install into whatever project encloses DIR.
    writeFileSync(join(prefix, 'package.json'), JSON.stringify({
      name: 'gradient-lens-native-backend', private: true,
      description: 'The native TensorFlow backend of Gradient Lens (written by scripts/nativeBackend.mjs)',
      dependencies: { '@tensorflow/tfjs-node': TFJS_NODE_VERSION },
    }, null, 2) + '\n');
  }
  // --ignore-scripts: tfjs-node's install script would download libtensorflow 2.9.1 (steps 2-4 replace it).
  // In a project, --no-save leaves its package.json and lockfile alone (tfjs-node is an optional dependency there).
  const args = ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier', ...(hasPackageJson ? ['--no-save', `@tensorflow/tfjs-node@${TFJS_NODE_VERSION}`] : [])];
  log(`npm ${args.join(' ')}   (in ${prefix})`);
  const r = await run(npm, args, { cwd: prefix, signal, timeoutMs: TIMEOUTS.npm, onLine: (l) => log(`  npm: ${l}`, 'verbose') });
  if (signal?.aborted) throw new ProvisionError('cancelled');
  if (r.timedOut) throw new ProvisionError(`npm install @tensorflow/tfjs-node@${TFJS_NODE_VERSION} did not finish in ${TIMEOUTS.npm / 60_000} minutes; it was stopped`, tail(r.out));
  if (r.code !== 0) throw new ProvisionError(`npm install @tensorflow/tfjs-node@${TFJS_NODE_VERSION} failed (exit ${r.code}); is the npm registry reachable?`, tail(r.out));
  if (readJson(join(pkgDir, 'package.json'))?.version !== TFJS_NODE_VERSION) throw new ProvisionError(`npm finished but ${pkgDir} does not hold @tensorflow/tfjs-node ${TFJS_NODE_VERSION}`, tail(r.out));
  return { pkgDir, installed: true };
}

function findCachedWheel(cacheDir) {
  if (!existsSync(cacheDir)) return undefined;
  const names = readdirSync(cacheDir).filter((n) => WHEEL.pattern.test(n));
  const pinned = (n) => PINNED_WHEELS.some((w) => w.file === n);
  names.sort((a, b) => (pinned(a) === pinned(b) ? a.localeCompare(b) : pinned(a) ? -1 : 1));
  return names.length ? join(cacheDir, names[0]) : undefined;
}

async function obtainWheel({ wheel, cacheDir, python, pipTimeout, pipRetries }, log, signal) {
  if (wheel) {
    if (!existsSync(wheel)) throw new ProvisionError(`--wheel ${wheel}: file not found`);
    if (!WHEEL.pattern.test(basename(wheel))) throw new ProvisionError(`--wheel ${wheel}: expected a tensorflow_cpu-${TF_VERSION}-…-manylinux…_x86_64.whl (the Linux x86-64 wheel of ${WHEEL.requirement})`);
    return resolve(wheel);
  }
  const cached = findCachedWheel(cacheDir);
  if (cached) {
    log(`wheel: ${cached} (cached)`);
    return cached;
  }
  if (!python) throw new ProvisionError(`no ${WHEEL.file} in ${cacheDir} and no python3 to download it: put the wheel there, or pass --wheel FILE`);
  const pipOk = spawnSync(python, ['-m', 'pip', '--version'], { encoding: 'utf8', timeout: TIMEOUTS.probe, killSignal: 'SIGKILL' }).status === 0;
  if (!pipOk) throw new ProvisionError(`no ${WHEEL.file} in ${cacheDir} and pip is not available (${python} -m pip): install pip, or download the wheel elsewhere and pass --wheel FILE`);
  mkdirSync(cacheDir, { recursive: true });
  const partial = join(cacheDir, `.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  // --python-version/--platform pick the Linux x86-64 wheel whatever the local Python is. A short timeout
  // and few retries: where the default index is unreachable and a mirror is configured, pip would
  // otherwise wait out its default timeout several times before trying the mirror.
  const args = ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--python-version', '311',
    '--platform', 'manylinux_2_27_x86_64', '--implementation', 'cp', '--abi', 'cp311',
    '--timeout', String(pipTimeout), '--retries', String(pipRetries), '--progress-bar', 'off', '--disable-pip-version-check',
    WHEEL.requirement, '-d', partial];
  log(`downloading ${WHEEL.requirement} (≈ 270 MB) with pip into ${cacheDir}`);
  const t0 = Date.now();
  const r = await run(python, args, { signal, timeoutMs: TIMEOUTS.pip, onLine: (l) => log(`  pip: ${l}`, /^ERROR/.test(l) ? 'info' : 'verbose') });
  try {
    if (signal?.aborted) throw new ProvisionError('cancelled');
    if (r.timedOut) throw new ProvisionError(`pip did not download ${WHEEL.requirement} in ${TIMEOUTS.pip / 60_000} minutes; it was stopped. Download ${WHEEL.file} elsewhere and pass --wheel FILE`, tail(r.out));
    const got = readdirSync(partial).find((n) => WHEEL.pattern.test(n));
    if (r.code !== 0 || !got) {
      const why = /No matching distribution|Could not find a version/i.test(r.out) ? `no index pip can reach offers ${WHEEL.requirement} for manylinux x86-64`
        : /Max retries|ConnectTimeout|NewConnectionError|Temporary failure in name resolution|Network is unreachable/i.test(r.out) ? 'pip could not reach its package index'
          : `pip exited with ${r.code}`;
      throw new ProvisionError(`could not download ${WHEEL.requirement}: ${why}. Configure a reachable index (pip config set global.index-url URL) or download ${WHEEL.file} on another machine and pass --wheel FILE`, tail(r.out));
    }
    const dest = join(cacheDir, got);
    renameSync(join(partial, got), dest);
    log(`downloaded ${got} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return dest;
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

/**
 * Whether the wheel may be used: its sha256 is pinned (PINNED_WHEELS), or `allowUnpinned` (a file the
 * user chose) and it does not carry a pinned wheel's name with another hash. Returns { verified } or throws.
 */
export function checkWheelPin(wheelPath, digest, { allowUnpinned = false, log = () => undefined } = {}) {
  const name = basename(wheelPath);
  if (PINNED_WHEELS.some((w) => w.sha256 === digest)) return { verified: true };
  const sameName = PINNED_WHEELS.find((w) => w.file === name);
  if (sameName) throw new ProvisionError(`${wheelPath}: sha256 ${digest} is not PyPI's ${sameName.sha256} for ${sameName.file} (a truncated or altered download: delete it and run again)`);
  const pins = PINNED_WHEELS.map((w) => w.file).join(', ');
  if (!allowUnpinned) {
    throw new ProvisionError(`${wheelPath}: sha256 ${digest} is not a pinned wheel's (${pins}); refused. Use ${WHEEL.file}, or choose the file yourself in the set-up's "Choose a wheel file…" dialog (the script: --allow-unpinned)`);
  }
  log(`WARNING: ${name} is not a pinned wheel (${pins}); using it unverified because it was chosen by hand (sha256 ${digest})`);
  return { verified: false };
}

/** The wheel's members that are needed, mapped to where they go under the extraction folder. */
export function wheelMemberDestination(name) {
  const lib = LIBS.find((l) => name === `tensorflow/${l}`);
  if (lib) return `lib/${lib}`;
  if (!name.startsWith('tensorflow/include/')) return undefined;
  const rel = name.slice('tensorflow/include/'.length);
  return HEADER_DIRS.some((d) => rel.startsWith(d)) ? `include/${rel}` : undefined;
}

/**
 * Extracts the libraries and headers from the wheel once into the cache; returns that folder. The wheel
 * must be pinned (or allowed unpinned); one entry anywhere in it that would land outside the folder
 * refuses the whole wheel before anything is written.
 */
export async function extractWheel(wheelPath, cacheDir, log, signal, { allowUnpinned = false } = {}) {
  const digest = await sha256(wheelPath);
  const { verified } = checkWheelPin(wheelPath, digest, { allowUnpinned, log });
  const dir = join(cacheDir, `libtensorflow-${TF_VERSION}-${digest.slice(0, 12)}`);
  const done = readJson(join(dir, '.complete'));
  if (done?.sha256 === digest && LIBS.every((l) => existsSync(join(dir, 'lib', l))) && existsSync(join(dir, 'include', 'tensorflow', 'c', 'c_api.h'))) {
    log(`libtensorflow ${TF_VERSION}: ${dir} (extracted earlier)`);
    return { dir, sha256: digest, verified };
  }
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${dir}.partial-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  log(`extracting ${LIBS.join(', ')} and the C API headers from ${basename(wheelPath)}`);
  let written;
  try {
    written = await extractSafely(wheelPath, tmp, wheelMemberDestination, { signal });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (signal?.aborted) throw new ProvisionError('cancelled');
    if (e instanceof UnsafeEntryError) throw new ProvisionError(`${wheelPath}: refused, an ${e.message} (nothing was extracted)`);
    if (e instanceof ZipFormatError) throw new ProvisionError(`${wheelPath}: it is not a valid zip file (truncated download?): ${e.message}`);
    throw new ProvisionError(`${wheelPath}: extraction failed: ${e.message}`);
  }
  const missing = LIBS.filter((l) => !written.includes(`tensorflow/${l}`));
  if (missing.length) {
    rmSync(tmp, { recursive: true, force: true });
    throw new ProvisionError(`${wheelPath}: it does not contain libtensorflow (no ${missing.map((l) => `tensorflow/${l}`).join(', ')})`);
  }
  writeFileSync(join(tmp, '.complete'), JSON.stringify({ wheel: basename(wheelPath), sha256: digest, extractedAt: new Date().toISOString() }) + '\n');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  log(`extracted into ${dir} (${written.length - LIBS.length} headers)`);
  return { dir, sha256: digest, verified };
}

/** The C functions the binding calls (names in binding/*.cc declared TF_CAPI_EXPORT in the headers). */
export function bindingCFunctions(pkgDir, includeDir) {
  const src = readdirSync(join(pkgDir, 'binding')).filter((f) => /\.(cc|h)$/.test(f)).map((f) => readFileSync(join(pkgDir, 'binding', f), 'utf8')).join('\n');
  const used = [...new Set([...src.matchAll(/\b(TFE?_[A-Za-z0-9_]+)\s*\(/g)].map((m) => m[1]))];
  const headers = [];
  const walk = (d) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.h')) headers.push(readFileSync(p, 'utf8'));
    }
  };
  walk(join(includeDir, 'tensorflow', 'c'));
  const text = headers.join('\n');
  return used.filter((name) => new RegExp(`TF_CAPI_EXPORT[^;{}]*?\\b${name}\\s*\\(`).test(text)).sort();
}

/** Which of `wanted` none of the shared libraries `libFiles` exports (nm -D). */
export function missingSymbols(wanted, libFiles, nm = which('nm')) {
  if (!nm) throw new ProvisionError('nm not found (binutils)');
  const exported = new Set();
  for (const file of libFiles) {
    const r = spawnSync(nm, ['-D', '--defined-only', file], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: TIMEOUTS.nm, killSignal: 'SIGKILL' });
    if (r.status !== 0) throw new ProvisionError(`nm -D ${file} failed: ${r.error ? r.error.message : tail(r.stderr, 3)}`);
    for (const line of r.stdout.split('\n')) {
      const m = /\s[TWiV]\s+(TFE?_\w+)(@@?[\w.]+)?$/.exec(line); // versioned: TF_Version@@tensorflow
      if (m) exported.add(m[1]);
    }
  }
  return wanted.filter((f) => !exported.has(f));
}

function checkSymbols(pkgDir, libDir, nm, log) {
  const wanted = bindingCFunctions(pkgDir, join(libDir, 'include'));
  if (!nm) {
    log(`note: nm not found; skipped the check that ${LIBS[0]} exports the ${wanted.length} C functions the binding calls`);
    return { checked: 0, wanted: wanted.length };
  }
  const missing = missingSymbols(wanted, LIBS.map((l) => join(libDir, 'lib', l)), nm);
  if (missing.length) {
    throw new ProvisionError(`libtensorflow ${TF_VERSION} from the wheel does not export ${missing.length} of the ${wanted.length} C API functions tfjs-node ${TFJS_NODE_VERSION} calls: ${missing.join(', ')}`);
  }
  log(`symbols: all ${wanted.length} C API functions the binding calls are exported by ${LIBS[0]}`);
  return { checked: wanted.length, wanted: wanted.length };
}

function placeLibraries(pkgDir, libDir, log) {
  const lib = join(pkgDir, 'deps', 'lib');
  const inc = join(pkgDir, 'deps', 'include');
  mkdirSync(lib, { recursive: true });
  const how = LIBS.map((l) => `${l} ${linkOrCopy(join(libDir, 'lib', l), join(lib, l))}`);
  // The names binding.gyp links against (-ltensorflow -ltensorflow_framework), the soname the addon
  // records, and the file tfjs-node's own install script checks before it would wipe deps/ and download.
  relink('libtensorflow_cc.so.2', 'libtensorflow.so.2', lib);
  relink('libtensorflow.so.2', 'libtensorflow.so', lib);
  relink('libtensorflow_framework.so.2', 'libtensorflow_framework.so', lib);
  relink('libtensorflow_cc.so.2', 'libtensorflow.so.2.9.1', lib);
  rmSync(inc, { recursive: true, force: true });
  const copyTree = (from, to) => {
    mkdirSync(to, { recursive: true });
    for (const n of readdirSync(from)) {
      const a = join(from, n);
      const b = join(to, n);
      if (statSync(a).isDirectory()) copyTree(a, b);
      else copyFileSync(a, b);
    }
  };
  copyTree(join(libDir, 'include'), inc);
  log(`libraries in ${lib}: ${how.join(', ')}`);
}

/**
 * Builds lib/napi-v8/tfjs_binding.node, or copies the one built earlier against the same libtensorflow
 * (kept in the wheel cache: N-API addons do not depend on the Node version). `force` always builds.
 */
async function buildAddon(pkgDir, libDir, tools, log, signal, force) {
  const modulePath = join(pkgDir, 'lib', `napi-v${NAPI_BUILD_VERSION}`);
  const cached = join(libDir, 'addon', `tfjs-node-${TFJS_NODE_VERSION}-napi-v${NAPI_BUILD_VERSION}`, 'tfjs_binding.node');
  if (!force && existsSync(cached)) {
    mkdirSync(modulePath, { recursive: true });
    copyFileSync(cached, join(modulePath, 'tfjs_binding.node'));
    log(`addon: the one built earlier against this libtensorflow (${cached})`);
    return { addon: join(modulePath, 'tfjs_binding.node'), built: false };
  }
  const args = [tools.nodeGyp, 'rebuild', ...(tools.nodedir ? [`--nodedir=${tools.nodedir}`] : []),
    '--module_name=tfjs_binding', `--module_path=${modulePath}`, `--napi_build_version=${NAPI_BUILD_VERSION}`, `--python=${tools.python}`];
  log(`building the N-API addon with node-gyp (${tools.nodedir ? `Node headers from ${tools.nodedir}` : 'Node headers: node-gyp downloads them'})`);
  const env = { ...process.env, npm_config_update_notifier: 'false', ...(process.env.CXX ? {} : { CXX: tools.cxx }) };
  const t0 = Date.now();
  const r = await run(process.execPath, args, { cwd: pkgDir, env, signal, timeoutMs: TIMEOUTS.build, onLine: (l) => log(`  node-gyp: ${l}`, 'verbose') });
  if (signal?.aborted) throw new ProvisionError('cancelled');
  if (r.timedOut) throw new ProvisionError(`building the tfjs-node addon did not finish in ${TIMEOUTS.build / 60_000} minutes; node-gyp was stopped`, tail(r.out, 20));
  const addon = join(modulePath, 'tfjs_binding.node');
  if (r.code !== 0 || !existsSync(addon)) {
    const headers = !tools.nodedir && /gyp ERR!.*(download|ENOTFOUND|ETIMEDOUT|ECONNREFUSED|headers)/i.test(r.out);
    throw new ProvisionError(headers
      ? `node-gyp could not get the Node.js headers (none next to ${process.execPath}, and no download): install them (they ship with Node in <prefix>/include/node; Debian: apt-get install libnode-dev) or pass --nodedir DIR`
      : `building the tfjs-node addon failed (node-gyp exit ${r.code})`, tail(r.out, 20));
  }
  rmSync(join(pkgDir, 'build'), { recursive: true, force: true }); // object files; the addon is in lib/
  log(`addon built in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${addon}`);
  return { addon, built: true, cache: cached };
}

/**
 * Loads the installation in a fresh Node process (as the training process will) and checks that the
 * backend is `tensorflow` and computes [1 2]·[3 4]ᵀ = 11. Never throws: { ok, reason?, ... }.
 */
export function checkInstallation(pkgDir, { timeoutMs = TIMEOUTS.check } = {}) {
  const code = `
    const tf = require(${JSON.stringify(pkgDir)});
    (async () => {
      await tf.ready();
      const b = tf.getBackend();
      const v = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])).dataSync()[0];
      const binding = tf.backend().binding;
      process.stdout.write(JSON.stringify({ backend: b, product: v, tensorflow: binding && binding.TF_Version, tfjsNode: tf.version && tf.version['tfjs-node'] }));
    })().catch((e) => { process.stderr.write('CHECK-ERROR ' + e.message); process.exit(3); });`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  const ms = Date.now() - t0;
  const stderrLines = (r.stderr || '').split('\n').filter((l) => l.trim() && !l.startsWith('CHECK-ERROR'));
  if (r.status !== 0) {
    const m = /CHECK-ERROR (.*)/.exec(r.stderr || '') ?? /Error: (.*)/.exec(r.stderr || '');
    const why = r.error?.code === 'ETIMEDOUT' ? `loading it did not finish in ${Math.round(timeoutMs / 1000)} s (a file it reads may block); stopped`
      : r.error ? r.error.message : m ? m[1] : tail(r.stderr || `exit ${r.status ?? r.signal}`, 2);
    const undef = /undefined symbol: (\S+)/.exec(r.stderr || '');
    return { ok: false, reason: undef ? `the addon needs a symbol libtensorflow does not export: ${undef[1]}` : why.split('\n')[0], ms, stderrLines };
  }
  let out;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    return { ok: false, reason: `unexpected output: ${r.stdout.slice(0, 200)}`, ms, stderrLines };
  }
  if (out.backend !== 'tensorflow') return { ok: false, reason: `loaded, but the backend is ${out.backend}`, ms, stderrLines, ...out };
  if (out.product !== 11) return { ok: false, reason: `loaded, but [1 2]·[3 4]ᵀ gave ${out.product}`, ms, stderrLines, ...out };
  return { ok: true, ms, stderrLines, ...out };
}

function preflightPlatform() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new ProvisionError(`the offline route uses the Linux x86-64 TensorFlow wheel; this is ${process.platform}-${process.arch}. With internet access, \`npm install @tensorflow/tfjs-node@${TFJS_NODE_VERSION}\` downloads a build for this platform`);
  }
}

/**
 * Provisions tfjs-node in `prefix` (see the header). Returns { ok, packageDir, ... } or throws a
 * ProvisionError. `log(line, level)` receives progress ('info' | 'verbose').
 */
export async function provision(options = {}) {
  const t0 = Date.now();
  const prefix = resolve(options.prefix ?? repoRoot);
  const cacheDir = resolve(options.wheelCache ?? defaultWheelCache());
  const log = options.log ?? (() => undefined);
  const signal = options.signal;
  const pkgDir = packageDirOf(prefix);
  const steps = {};
  const step = async (name, fn) => {
    const s = Date.now();
    const v = await fn();
    steps[name] = Date.now() - s;
    return v;
  };
  preflightPlatform();
  const marker = readJson(join(pkgDir, 'deps', MARKER));
  const addonFile = join(pkgDir, 'lib', `napi-v${NAPI_BUILD_VERSION}`, 'tfjs_binding.node');
  if (!options.force && marker?.tensorflow === TF_VERSION && marker?.tfjsNode === TFJS_NODE_VERSION && existsSync(addonFile)) {
    const check = await step('check', () => checkInstallation(pkgDir));
    if (check.ok) {
      log(`already provisioned: ${pkgDir} (tensorflow ${check.tensorflow}); checked in ${(check.ms / 1000).toFixed(1)} s`);
      return { ok: true, alreadyProvisioned: true, packageDir: pkgDir, prefix, tensorflow: check.tensorflow, wheelVerified: marker.wheelVerified ?? false, wheelSha256: marker.wheelSha256, ms: Date.now() - t0, steps, tensorflowStderr: check.stderrLines };
    }
    log(`an earlier provisioning no longer loads (${check.reason}); provisioning again`);
  }
  const tools = findToolchain({ nodedir: options.nodedir });
  // The wheel first: a wrong or missing wheel fails before anything is installed.
  const wheelPath = await step('wheel', () => obtainWheel({ wheel: options.wheel, cacheDir, python: tools.python, pipTimeout: options.pipTimeout ?? 20, pipRetries: options.pipRetries ?? 1 }, log, signal));
  // --allow-unpinned applies to a --wheel FILE only: a cached or downloaded wheel must be pinned.
  const lib = await step('extract', () => extractWheel(wheelPath, cacheDir, log, signal, { allowUnpinned: Boolean(options.wheel && options.allowUnpinned) }));
  const { installed } = await step('npm', () => installPackage(prefix, log, signal));
  const symbols = await step('symbols', () => checkSymbols(pkgDir, lib.dir, tools.nm, log));
  await step('link', () => placeLibraries(pkgDir, lib.dir, log));
  const addon = await step('build', () => buildAddon(pkgDir, lib.dir, tools, log, signal, options.force));
  const check = await step('check', () => checkInstallation(pkgDir));
  if (!check.ok) throw new ProvisionError(`the built tfjs-node does not work: ${check.reason}`, check.stderrLines.join('\n'));
  if (addon.built) {
    // Only an addon that loaded and computed is reused by later provisionings.
    mkdirSync(dirname(addon.cache), { recursive: true });
    copyFileSync(addon.addon, `${addon.cache}.${process.pid}`);
    renameSync(`${addon.cache}.${process.pid}`, addon.cache);
  }
  writeFileSync(join(pkgDir, 'deps', MARKER), JSON.stringify({
    tfjsNode: TFJS_NODE_VERSION, tensorflow: TF_VERSION, wheel: basename(wheelPath), wheelSha256: lib.sha256, wheelVerified: lib.verified ?? false,
    napiBuildVersion: NAPI_BUILD_VERSION, node: process.version, builtAt: new Date().toISOString(), by: 'scripts/nativeBackend.mjs',
  }, null, 2) + '\n');
  const ms = Date.now() - t0;
  log(`ready: ${pkgDir} loads as the tensorflow backend (libtensorflow ${check.tensorflow}) — ${(ms / 1000).toFixed(1)} s`);
  return { ok: true, alreadyProvisioned: false, packageDir: pkgDir, prefix, tensorflow: check.tensorflow, npmInstalled: installed, wheel: wheelPath, wheelSha256: lib.sha256, wheelVerified: lib.verified, symbolsChecked: symbols.checked, addonBuilt: addon.built, ms, steps, tensorflowStderr: check.stderrLines };
}

// ---------------------------------------------------------------- command line

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        prefix: { type: 'string' }, wheel: { type: 'string' }, 'wheel-cache': { type: 'string' }, nodedir: { type: 'string' }, 'allow-unpinned': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false }, check: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    process.stderr.write(`native-backend: ${e.message}\n`);
    return 2;
  }
  if (values.help) {
    const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1).filter((l) => l.startsWith('//')).map((l) => l.slice(3));
    process.stdout.write(text.slice(0, text.findIndex((l) => l.startsWith('As a module'))).join('\n') + '\n');
    return 0;
  }
  const prefix = resolve(values.prefix ?? repoRoot);
  const out = (o) => { if (values.json) process.stdout.write(JSON.stringify(o) + '\n'); };
  const log = (line, level = 'info') => { if (level === 'info' || values.verbose) process.stderr.write(`native-backend: ${line}\n`); };
  if (values.check) {
    const pkgDir = packageDirOf(prefix);
    if (!existsSync(join(pkgDir, 'package.json'))) {
      log(`not provisioned: no @tensorflow/tfjs-node in ${join(prefix, 'node_modules')}`);
      out({ ok: false, packageDir: pkgDir, reason: 'not installed' });
      return 1;
    }
    const r = checkInstallation(pkgDir);
    log(r.ok ? `ok: ${pkgDir} loads as the tensorflow backend (libtensorflow ${r.tensorflow}, ${r.ms} ms)` : `not usable: ${pkgDir}: ${r.reason}`);
    out({ packageDir: pkgDir, ...r });
    return r.ok ? 0 : 1;
  }
  try {
    const r = await provision({ prefix, wheel: values.wheel, allowUnpinned: values['allow-unpinned'], wheelCache: values['wheel-cache'], nodedir: values.nodedir, force: values.force, log });
    out(r);
    return 0;
  } catch (e) {
    if (!(e instanceof ProvisionError)) throw e;
    if (e.detail) process.stderr.write(`${e.detail.split('\n').map((l) => `  | ${l}`).join('\n')}\n`);
    process.stderr.write(`native-backend: failed: ${e.message}\n`);
    out({ ok: false, reason: e.message });
    return 1;
  }
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  // Stopped (the set-up's Cancel or deadline, Ctrl-C, a closed terminal): the children's groups go too.
  for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]]) {
    process.on(sig, () => { killChildren(); process.stderr.write(`native-backend: stopped (${sig})\n`); process.exit(code); });
  }
  main().then((code) => { process.exitCode = code; }, (e) => { process.stderr.write(`native-backend: internal error: ${e.stack}\n`); process.exitCode = 1; });
}
