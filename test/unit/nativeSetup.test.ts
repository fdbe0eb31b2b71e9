// Set Up Native Backend against hostile input (issue 19), without VS Code: the wheel reader
// (scripts/wheelZip.mjs) refuses a wheel whose entries would land outside its folder; a wheel is used
// only when its sha256 is pinned or the user chose it; every child of the set-up has a deadline and is
// killed with its process group on cancel (src/host/childProcess.ts, scripts/nativeBackend.mjs run());
// a FIFO package.json makes the load check time out; a caller's arguments are checked
// (src/host/nativeSetupArgs.ts). The zip files are written here by a small zip writer (and by Python's
// zipfile where python3 is there), real FIFOs by mkfifo, real process trees by sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as zlib from 'node:zlib';
import { checkNativeInstallation, runLogged, type CancelToken } from '../../src/host/childProcess';
import { confirmationOf, parseSetupArgs } from '../../src/host/nativeSetupArgs';
import { repoRoot } from './helpers';

const SCRIPT = join(repoRoot, 'scripts', 'nativeBackend.mjs');
const ZIP = join(repoRoot, 'scripts', 'wheelZip.mjs');
/* eslint-disable @typescript-eslint/no-explicit-any */
const wheelZip = (): Promise<any> => import(pathToFileURL(ZIP).href);
const nativeBackend = (): Promise<any> => import(pathToFileURL(SCRIPT).href);
const temp = (name: string) => mkdtempSync(join(tmpdir(), `gl-native-${name}-`));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PINNED_NAME = 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl';
const OTHER_TAG = 'tensorflow_cpu-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl';
const hasPython = spawnSync('python3', ['-c', 'import zipfile'], { encoding: 'utf8' }).status === 0;
const hasMkfifo = process.platform !== 'win32' && spawnSync('sh', ['-c', 'command -v mkfifo'], { encoding: 'utf8' }).status === 0;

// ---- a small zip writer ---------------------------------------------------------------------------

interface ZipEntry { name: string; data?: string | Buffer; symlink?: string; deflate?: boolean; dir?: boolean }

function makeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const raw = Buffer.from(e.symlink ?? e.data ?? '');
    const body = e.deflate ? zlib.deflateRawSync(raw) : raw;
    const crc = zlib.crc32(raw);
    const mode = e.symlink !== undefined ? 0o120777 : e.dir ? 0o040755 : 0o100644;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix: the high 16 bits of the external attributes are the mode
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** The members a TensorFlow wheel needs to pass extraction: both libraries and one header. */
const WHEEL_BODY: ZipEntry[] = [
  { name: 'tensorflow/', dir: true },
  { name: 'tensorflow/libtensorflow_cc.so.2', data: 'ELF cc '.repeat(2000), deflate: true },
  { name: 'tensorflow/libtensorflow_framework.so.2', data: 'ELF framework' },
  { name: 'tensorflow/include/tensorflow/c/c_api.h', data: '#define TF_CAPI_EXPORT\n', deflate: true },
  { name: 'tensorflow/include/other/skipped.h', data: 'not needed' },
  { name: 'tensorflow_cpu-2.21.0.dist-info/METADATA', data: 'Name: tensorflow-cpu' },
];

/** Every file under `dir` (relative paths), to show nothing new appeared beside the extraction folder. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${n.name}` : n.name;
      out.push(r);
      if (n.isDirectory()) walk(join(d, n.name), r);
    }
  };
  walk(dir, '');
  return out.sort();
}

// ---- zip slip ---------------------------------------------------------------------------------------

test('a wheel with an entry outside its folder is refused as a whole, naming the entry, and nothing is written anywhere', async () => {
  const { extractSafely, UnsafeEntryError } = await wheelZip();
  const { wheelMemberDestination } = await nativeBackend();
  const base = temp('slip');
  const outside = join(base, 'outside');
  mkdirSync(outside);
  const absolute = join(outside, 'absolute-evil');
  const hostile: [string, ZipEntry, RegExp][] = [
    ['../ at the top', { name: '../evil', data: 'x' }, /a "\.\." segment/],
    ['../ inside a header folder (what the old extraction wrote out)', { name: 'tensorflow/include/tensorflow/c/../../../../../evil', data: 'x' }, /a "\.\." segment/],
    ['an absolute path', { name: absolute, data: 'x' }, /an absolute path/],
    ['a drive letter', { name: 'C:/evil', data: 'x' }, /a drive letter/],
    ['a drive-relative name', { name: 'c:evil', data: 'x' }, /a drive letter/],
    ['backslashes', { name: 'tensorflow\\..\\..\\evil', data: 'x' }, /a backslash/],
    ['a symlink pointing out', { name: 'tensorflow/include/tensorflow/c/link', symlink: '../../../../../../outside' }, /a symlink pointing outside/],
    ['a symlink to an absolute path', { name: 'tensorflow/include/tensorflow/c/etc', symlink: '/etc' }, /a symlink to an absolute path/],
    ['a NUL in the name', { name: 'tensorflow/include/tensorflow/c/a\0b.h', data: 'x' }, /a NUL character/],
  ];
  for (const [what, entry, why] of hostile) {
    const wheel = join(base, 'w.whl');
    // The hostile entry comes after a legitimate one: the check covers every entry before the first write.
    writeFileSync(wheel, makeZip([...WHEEL_BODY, entry]));
    const root = join(base, 'cache', 'libtensorflow');
    const before = filesUnder(base);
    await assert.rejects(extractSafely(wheel, root, wheelMemberDestination), (e: Error) => {
      assert.ok(e instanceof UnsafeEntryError, `${what}: ${e.message}`);
      assert.ok(e.message.startsWith(`entry ${JSON.stringify(entry.name)}: `), `${what}: the error names the entry: ${e.message}`);
      assert.match(e.message, why, what);
      return true;
    });
    assert.deepEqual(filesUnder(base), before, `${what}: nothing was written`);
    assert.ok(!existsSync(absolute) && !existsSync(join(base, 'evil')) && !existsSync(join(dirname(base), 'evil')), what);
  }
  rmSync(base, { recursive: true, force: true });
});

test('extraction follows no symlink planted in the target and overwrites nothing; a clean wheel gives the libraries and the chosen headers', async () => {
  const { extractSafely, listEntries, UnsafeEntryError } = await wheelZip();
  const { wheelMemberDestination } = await nativeBackend();
  const base = temp('planted');
  const outside = join(base, 'outside');
  mkdirSync(outside);
  const wheel = join(base, 'w.whl');
  writeFileSync(wheel, makeZip(WHEEL_BODY));
  // lib/ is a symlink to a folder outside: the entry path is lexically fine, its real folder is not.
  const root = join(base, 'root');
  mkdirSync(root);
  symlinkSync(outside, join(root, 'lib'));
  await assert.rejects(extractSafely(wheel, root, wheelMemberDestination), (e: Error) => e instanceof UnsafeEntryError
    && /^entry "tensorflow\/libtensorflow_cc\.so\.2": its folder is really .*outside/.test(e.message));
  assert.deepEqual(readdirSync(outside), [], 'nothing was written through the planted link');
  // A clean extraction: both libraries (one deflated), the header under tensorflow/c, not the rest.
  const clean = join(base, 'clean');
  const written: string[] = await extractSafely(wheel, clean, wheelMemberDestination);
  assert.deepEqual(written.sort(), ['tensorflow/include/tensorflow/c/c_api.h', 'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2']);
  assert.equal(readFileSync(join(clean, 'lib', 'libtensorflow_cc.so.2'), 'utf8'), 'ELF cc '.repeat(2000));
  assert.equal(readFileSync(join(clean, 'include', 'tensorflow', 'c', 'c_api.h'), 'utf8'), '#define TF_CAPI_EXPORT\n');
  assert.deepEqual(filesUnder(clean), ['include', 'include/tensorflow', 'include/tensorflow/c', 'include/tensorflow/c/c_api.h', 'lib', 'lib/libtensorflow_cc.so.2', 'lib/libtensorflow_framework.so.2']);
  // A second extraction into the same folder does not overwrite (files are created exclusively).
  await assert.rejects(extractSafely(wheel, clean, wheelMemberDestination), /EEXIST/);
  // Damaged data: a CRC that does not match, and a file that is not a zip.
  const bad = makeZip(WHEEL_BODY);
  const at = bad.indexOf('ELF framework');
  bad[at] = 'X'.charCodeAt(0);
  writeFileSync(wheel, bad);
  await assert.rejects(extractSafely(wheel, join(base, 'crc'), wheelMemberDestination), /libtensorflow_framework\.so\.2": CRC mismatch/);
  writeFileSync(wheel, 'not a zip');
  assert.throws(() => listEntries(wheel), /not a zip file/);
  rmSync(base, { recursive: true, force: true });
});

test('the script refuses a zip-slip wheel written by Python\'s zipfile, naming the entry, before anything is installed', { skip: !hasPython && 'python3 with zipfile is not available' }, () => {
  const base = temp('pyslip');
  const wheel = join(base, OTHER_TAG);
  const py = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('tensorflow/libtensorflow_cc.so.2', b'ELF')
    z.writestr('tensorflow/libtensorflow_framework.so.2', b'ELF')
    z.writestr(zipfile.ZipInfo('tensorflow/include/tensorflow/c/../../../../../../../evil'), b'owned')
`;
  assert.equal(spawnSync('python3', ['-c', py, wheel], { encoding: 'utf8' }).status, 0);
  const cache = join(base, 'cache');
  const prefix = join(base, 'prefix');
  // --allow-unpinned: the wheel's hash is not pinned; the user chose it (so only the zip check stands in the way).
  const r = spawnSync(process.execPath, [SCRIPT, '--prefix', prefix, '--wheel', wheel, '--wheel-cache', cache, '--allow-unpinned'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 1, r.stderr);
  const last = r.stderr.trim().split('\n').pop() ?? '';
  if (/cannot build the tfjs-node addon/.test(last)) return; // no compiler here: the script stops before the wheel
  assert.equal(last, `native-backend: failed: ${wheel}: refused, an entry "tensorflow/include/tensorflow/c/../../../../../../../evil": a ".." segment (it would leave the folder it is extracted into) (nothing was extracted)`);
  assert.match(r.stderr, /WARNING: tensorflow_cpu-2\.21\.0-cp312-cp312-manylinux_2_27_x86_64\.whl is not a pinned wheel .* chosen by hand/);
  assert.ok(!existsSync(join(base, 'evil')) && !existsSync(join(dirname(base), 'evil')) && !existsSync('/evil'));
  assert.deepEqual(readdirSync(cache), [], 'no partial extraction is left in the cache');
  assert.ok(!existsSync(join(prefix, 'node_modules')), 'nothing was installed');
  rmSync(base, { recursive: true, force: true });
});

// ---- the hash pin -----------------------------------------------------------------------------------

test('a wheel is used only when its sha256 is pinned, or when the user chose the file (then with a warning)', async () => {
  const { checkWheelPin, PINNED_WHEELS } = await nativeBackend();
  const pinned = PINNED_WHEELS[0] as { file: string; sha256: string };
  assert.equal(pinned.file, PINNED_NAME);
  assert.match(pinned.sha256, /^[0-9a-f]{64}$/);
  const other = createHash('sha256').update('another wheel').digest('hex');
  const logs: string[] = [];
  const log = (l: string) => logs.push(l);
  // Pinned hash: used, verified, whatever the file is called.
  assert.deepEqual(checkWheelPin(`/w/${PINNED_NAME}`, pinned.sha256, { log }), { verified: true });
  assert.deepEqual(checkWheelPin(`/w/${OTHER_TAG}`, pinned.sha256, { log }), { verified: true });
  // Another tag and hash: refused, unless the user chose the file.
  assert.throws(() => checkWheelPin(`/w/${OTHER_TAG}`, other, { log }), (e: Error) => e.message === `/w/${OTHER_TAG}: sha256 ${other} is not a pinned wheel's (${PINNED_NAME}); refused. Use ${PINNED_NAME}, or choose the file yourself in the set-up's "Choose a wheel file…" dialog (the script: --allow-unpinned)`);
  assert.deepEqual(logs, []);
  assert.deepEqual(checkWheelPin(`/w/${OTHER_TAG}`, other, { allowUnpinned: true, log }), { verified: false });
  assert.match(logs[0], /^WARNING: tensorflow_cpu-2\.21\.0-cp312.*is not a pinned wheel .*using it unverified because it was chosen by hand \(sha256 [0-9a-f]{64}\)$/);
  // The pinned file's name with another hash is an altered or truncated download: refused even when chosen.
  assert.throws(() => checkWheelPin(`/w/${PINNED_NAME}`, other, { allowUnpinned: true, log }), /is not PyPI's 2b847d21[0-9a-f]+ for tensorflow_cpu-2\.21\.0-cp311.*truncated or altered/);
});

test('the script: a wheel with another tag is refused without --allow-unpinned, before anything is installed', () => {
  const base = temp('pin');
  const wheel = join(base, OTHER_TAG);
  writeFileSync(wheel, makeZip(WHEEL_BODY));
  const prefix = join(base, 'prefix');
  const r = spawnSync(process.execPath, [SCRIPT, '--prefix', prefix, '--wheel', wheel, '--wheel-cache', join(base, 'cache'), '--json'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ok: boolean; reason: string };
  assert.equal(out.ok, false);
  if (!/cannot build the tfjs-node addon/.test(out.reason)) assert.match(out.reason, /is not a pinned wheel's \(tensorflow_cpu-2\.21\.0-cp311-cp311-manylinux_2_27_x86_64\.whl\); refused/);
  assert.ok(!existsSync(join(prefix, 'node_modules')), 'nothing was installed');
  // A cached wheel is held to the pin too (no --allow-unpinned reaches it).
  const cache = join(base, 'cache2');
  mkdirSync(cache);
  writeFileSync(join(cache, OTHER_TAG), makeZip(WHEEL_BODY));
  const c = spawnSync(process.execPath, [SCRIPT, '--prefix', prefix, '--wheel-cache', cache, '--allow-unpinned', '--json'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(c.status, 1, c.stderr);
  const cr = JSON.parse(c.stdout.trim().split('\n').pop()!) as { reason: string };
  if (!/cannot build the tfjs-node addon/.test(cr.reason)) assert.match(cr.reason, /cp312.*is not a pinned wheel's.*refused/);
  rmSync(base, { recursive: true, force: true });
});

const realWheel = [process.env.GRADIENT_LENS_WHEEL_CACHE, join(process.env.XDG_CACHE_HOME || join(process.env.HOME ?? '/root', '.cache'), 'gradient-lens', 'wheels'), '/opt/pypi/files']
  .filter((d): d is string => Boolean(d)).map((d) => join(d, PINNED_NAME)).find((f) => existsSync(f));

test('the pinned sha256 is the real tensorflow-cpu 2.21.0 wheel\'s, and the wheel passes the zip check', { skip: !realWheel && `no ${PINNED_NAME} in the wheel cache here` }, async () => {
  const { checkWheelPin, PINNED_WHEELS } = await nativeBackend();
  const { checkEntries, listEntries } = await wheelZip();
  const hash = createHash('sha256');
  hash.update(readFileSync(realWheel!));
  const digest = hash.digest('hex');
  assert.equal(digest, PINNED_WHEELS[0].sha256);
  assert.deepEqual(checkWheelPin(realWheel, digest), { verified: true });
  const entries = listEntries(realWheel) as unknown[];
  await checkEntries(realWheel, entries, '/nonexistent/extraction-root');
  console.log(`      ${realWheel}: sha256 ${digest}, ${entries.length} entries, none outside the folder`);
});

// ---- deadlines and cancel -------------------------------------------------------------------------

function token(): CancelToken & { cancel(): void } {
  const listeners: (() => void)[] = [];
  const t = {
    isCancellationRequested: false,
    onCancellationRequested: (l: () => void) => { listeners.push(l); return { dispose: () => undefined }; },
    cancel: () => { t.isCancellationRequested = true; for (const l of listeners) l(); },
  };
  return t;
}
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8')); // a zombie is dead
  } catch {
    return false;
  }
};
async function gone(pid: number, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

test('Cancel kills the child and its whole process group (a grandchild too), and one that ignores SIGTERM is killed after the grace period', { skip: process.platform === 'win32' && 'process groups: POSIX' }, async () => {
  const t = token();
  const lines: string[] = [];
  const t0 = Date.now();
  const running = runLogged('sh', ['-c', 'sleep 300 & echo grandchild $!; echo child $$; wait'], { log: (l) => lines.push(l), token: t, timeoutMs: 600_000 });
  while (lines.length < 2 && Date.now() - t0 < 5000) await sleep(20);
  const pid = (what: string) => Number(/\d+/.exec(lines.find((l) => l.startsWith(what)) ?? '')?.[0]);
  const [child, grandchild] = [pid('child'), pid('grandchild')];
  assert.ok(alive(child) && alive(grandchild), lines.join(' | '));
  t.cancel();
  const r = await running;
  assert.equal(r.cancelled, true);
  assert.equal(r.timedOut, false);
  assert.ok(await gone(child) && await gone(grandchild), `still running: ${[child, grandchild].filter(alive).join(', ')}`);
  assert.ok(Date.now() - t0 < 10_000);
  // SIGTERM ignored (inherited by sleep): SIGKILL follows after graceMs.
  const t2 = token();
  const stubborn = runLogged('sh', ['-c', 'trap "" TERM; sleep 300 & echo grandchild $!; wait'], { log: (l) => lines.push(l), token: t2, timeoutMs: 600_000, graceMs: 500 });
  await sleep(300);
  const t1 = Date.now();
  t2.cancel();
  const s = await stubborn;
  assert.equal(s.cancelled, true);
  assert.ok(Date.now() - t1 < 5000, `${Date.now() - t1} ms after cancel`);
  const stubbornGrandchild = Number(/grandchild (\d+)/.exec(lines.filter((l) => l.startsWith('grandchild')).pop()!)![1]);
  assert.ok(await gone(stubbornGrandchild), 'the grandchild that ignores SIGTERM is killed');
});

test('a deadline stops a child that runs too long; a command that cannot start resolves with its error', async () => {
  const t0 = Date.now();
  const r = await runLogged(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { log: () => undefined, timeoutMs: 500 });
  assert.equal(r.timedOut, true);
  assert.ok(r.signal === 'SIGTERM' || r.signal === 'SIGKILL', String(r.signal));
  assert.ok(Date.now() - t0 < 5000);
  const missing = await runLogged('/nonexistent/npm', ['install'], { log: () => undefined, timeoutMs: 5000 });
  assert.match(missing.error ?? '', /ENOENT/);
});

test('the script\'s children: abort kills the process group (scripts/nativeBackend.mjs run())', { skip: process.platform === 'win32' && 'process groups: POSIX' }, async () => {
  const { run } = await nativeBackend();
  const ac = new AbortController();
  const lines: string[] = [];
  const running = run('sh', ['-c', 'sleep 300 & echo grandchild $!; wait'], { signal: ac.signal, onLine: (l: string) => lines.push(l) });
  const t0 = Date.now();
  while (!lines.length && Date.now() - t0 < 5000) await sleep(20);
  const grandchild = Number(/\d+/.exec(lines[0])![0]);
  ac.abort();
  await running;
  assert.ok(await gone(grandchild), 'the grandchild is killed with the group');
  const timed = await run('sh', ['-c', 'sleep 300'], { timeoutMs: 300 });
  assert.equal(timed.timedOut, true);
  assert.match(timed.out, /sh did not finish in 0 s; stopped/);
});

test('the script stopped by SIGTERM (the set-up\'s Cancel) takes its child\'s whole process group with it (a fake python3 whose "pip download" never ends)', { skip: process.platform === 'win32' && 'process groups: POSIX' }, async () => {
  const base = temp('sigterm');
  const bin = join(base, 'bin');
  mkdirSync(bin);
  const pidFile = join(base, 'grandchild.pid');
  writeFileSync(join(bin, 'python3'), `#!/bin/sh\ncase "$*" in *--version*) echo "pip 24.0"; exit 0;; esac\nsleep 300 &\necho $! > ${JSON.stringify(pidFile)}\nwait\n`, { mode: 0o755 });
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [SCRIPT, '--prefix', join(base, 'prefix'), '--wheel-cache', join(base, 'cache')], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const t0 = Date.now();
  while (!existsSync(pidFile) && Date.now() - t0 < 60_000 && child.exitCode === null) await sleep(50);
  if (!existsSync(pidFile)) {
    child.kill('SIGKILL');
    if (/cannot build the tfjs-node addon/.test(stderr)) return; // no compiler here: the script stops before the download
    assert.fail(`the fake pip download never started: ${stderr}`);
  }
  await sleep(200);
  const grandchild = Number(readFileSync(pidFile, 'utf8').trim());
  assert.ok(alive(grandchild));
  child.kill('SIGTERM');
  assert.equal(await exited, 143);
  assert.match(stderr, /native-backend: stopped \(SIGTERM\)/);
  assert.ok(await gone(grandchild), 'the pip download\'s process group outlived the script');
  rmSync(base, { recursive: true, force: true });
});

test('--check-native on a folder whose package.json is a FIFO times out with a clear message instead of hanging (real mkfifo, dist/worker.js)', { skip: (!hasMkfifo && 'mkfifo is not available') || (!existsSync(join(repoRoot, 'dist', 'worker.js')) && 'dist/worker.js is not built') }, async () => {
  const dir = temp('fifo');
  assert.equal(spawnSync('mkfifo', [join(dir, 'package.json')]).status, 0);
  const t0 = Date.now();
  const r = await checkNativeInstallation(repoRoot, dir, { timeoutMs: 3000, log: () => undefined });
  const ms = Date.now() - t0;
  assert.equal(r.ok, false);
  assert.equal(r.timedOut, true);
  assert.equal(r.reason, `loading ${dir} did not finish in 3 s, so the check was stopped (a file it reads blocks: a FIFO or a hung network mount?)`);
  assert.ok(ms >= 3000 && ms < 9000, `${ms} ms`);
  // No check process is left blocked on the FIFO.
  const left = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir); } catch { return false; }
  });
  assert.deepEqual(left, []);
  // Cancel stops it too, at once.
  const t = token();
  setTimeout(() => t.cancel(), 300);
  const c = await checkNativeInstallation(repoRoot, dir, { timeoutMs: 60_000, token: t, log: () => undefined });
  assert.equal(c.cancelled, true);
  // And the script's own load check (spawnSync with a deadline) ends as well.
  const { checkInstallation } = await nativeBackend();
  const s = checkInstallation(dir, { timeoutMs: 2000 }) as { ok: boolean; reason: string };
  assert.equal(s.ok, false);
  assert.equal(s.reason, 'loading it did not finish in 2 s (a file it reads may block); stopped');
  rmSync(dir, { recursive: true, force: true });
});

// ---- a caller's arguments ------------------------------------------------------------------------

test('a caller\'s arguments are checked, and the confirmation shows the path it names', () => {
  assert.deepEqual(parseSetupArgs({ route: 'existing', path: '/opt/tfjs' }), { route: 'existing', path: '/opt/tfjs' });
  assert.deepEqual(parseSetupArgs({ route: 'offline', ask: true }), { route: 'offline', ask: true });
  const bad: [unknown, RegExp][] = [
    [undefined, /expected \{ route/],
    ['existing', /expected \{ route/],
    [{ route: 'curl' }, /unknown route "curl"/],
    [{ route: 'existing' }, /"path" must name a folder/],
    [{ route: 'existing', path: 42 }, /"path" must be a non-empty string, got 42/],
    [{ route: 'existing', path: '/x\n/y' }, /"path" contains a control character/],
    [{ route: 'existing', path: 'x'.repeat(5000) }, /longer than 4096/],
    [{ route: 'npm', path: '/x' }, /"path" is only for the existing route/],
    [{ route: 'existing', wheel: '/w.whl', ask: true }, /"wheel" is only for the offline route/],
    [{ route: 'offline', ask: 'yes' }, /"ask" must be true or false/],
    [{ route: 'existing', path: '/x', exec: 'rm -rf /' }, /unknown argument\(s\) "exec"/],
  ];
  for (const [arg, why] of bad) {
    const r = parseSetupArgs(arg);
    assert.equal(typeof r, 'string', JSON.stringify(arg));
    assert.match(r as string, why);
  }
  const o = { prefix: '/storage/native-backend', tfjsNodeVersion: '4.22.0', wheelName: 'tensorflow-cpu 2.21.0' };
  const existing = confirmationOf({ route: 'existing', path: '/tmp/evil pkg' }, o)!;
  assert.ok(existing.detail.startsWith('/tmp/evil pkg\n'), 'the path comes first in the modal');
  assert.match(existing.detail, /not you, in the Command Palette.*every later training run in every workspace/s);
  assert.ok(confirmationOf({ route: 'offline', wheel: '/w/x.whl' }, o)!.detail.startsWith('/w/x.whl\n'));
  assert.match(confirmationOf({ route: 'npm' }, o)!.detail, /^npm install @tensorflow\/tfjs-node@4\.22\.0 in \/storage\/native-backend/);
  assert.match(confirmationOf({ route: 'offline' }, o)!.detail, /pip's index/);
  // The user chooses everything in the dialogs that follow: nothing to confirm.
  assert.equal(confirmationOf({ route: 'existing', ask: true }, o), undefined);
  assert.equal(confirmationOf({ route: 'offline', ask: true }, o), undefined);
  assert.ok(confirmationOf({ route: 'npm', ask: true }, o), 'npm asks nothing after the route: confirmed');
});
