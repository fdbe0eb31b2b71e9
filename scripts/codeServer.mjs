// code-server (VS Code's server + web workbench, from npm) as the "real VS Code" of machines that cannot
// download desktop VS Code. Recipe and its reasons: ../shared notes "vscode-in-ci.md".
//
//   node scripts/codeServer.mjs install      install code-server@4.100.3 into .cache/code-server (reused when present)
//   node scripts/codeServer.mjs path         print the code-server entry script
//
// As a module: ensureCodeServer(), startCodeServer({...}) -> { url, port, stop() }, installExtension(...).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';
const root = new URL('..', import.meta.url).pathname;
export const cacheDir = process.env.GRADIENT_LENS_CODE_SERVER_DIR || join(root, '.cache', 'code-server');
const installDir = join(cacheDir, CODE_SERVER_VERSION);
const entry = join(installDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const marker = join(installDir, '.installed');

const log = (...a) => console.log('[code-server]', ...a);

/** Installs code-server once (≈ 80 s of native compilation); later calls return at once. */
export function ensureCodeServer() {
  if (existsSync(marker) && existsSync(entry)) return entry;
  const rg = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim();
  if (!rg) throw new Error('code-server install needs ripgrep (apt-get install ripgrep)');
  mkdirSync(installDir, { recursive: true });
  // @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache holds the tarball: seed it with Debian's rg.
  const tmp = join(cacheDir, 'tmp');
  const rgCache = join(tmp, 'vscode-ripgrep-cache-1.15.11');
  mkdirSync(rgCache, { recursive: true });
  const tarball = join(rgCache, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz');
  if (!existsSync(tarball)) {
    const r = spawnSync('tar', ['czf', tarball, '-C', dirname(rg), 'rg'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('could not create the ripgrep cache tarball');
  }
  // Own package.json so the install does not touch the project's dependencies.
  writeFileSync(join(installDir, 'package.json'), JSON.stringify({ name: 'gradient-lens-code-server', private: true }, null, 2));
  log(`installing code-server@${CODE_SERVER_VERSION} into ${installDir} (native modules compile; a few minutes)`);
  const env = {
    ...process.env,
    TMPDIR: tmp,
    npm_config_yes: 'true', // node-pty's postinstall runs `npx node-gyp`
    // npm 11 blocks dependency install scripts by default. code-server's postinstall runs nested
    // `npm install`s (lib/vscode) that only see config from the environment, so allow them there.
    npm_config_dangerously_allow_all_scripts: 'true',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
  };
  const r = spawnSync('npm', ['install', '--unsafe-perm', '--no-save', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`],
    { cwd: installDir, env, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(entry)) throw new Error(`npm install code-server@${CODE_SERVER_VERSION} failed (exit ${r.status})`);
  // Smoke test: --version must run (it exercises the native modules' loading).
  const home = join(tmp, 'home-version');
  mkdirSync(home, { recursive: true });
  const v = spawnSync(process.execPath, [entry, '--version'], { env: isolatedEnv(home), encoding: 'utf8', timeout: 60_000 });
  if (v.status !== 0) throw new Error(`code-server --version failed: ${v.stderr || v.stdout}`);
  log('installed:', v.stdout.trim().split('\n').pop());
  writeFileSync(marker, new Date().toISOString() + '\n');
  return entry;
}

/** code-server writes under HOME and XDG folders even for --version: keep it in a throwaway folder. */
export function isolatedEnv(home) {
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache') };
  delete env.VSCODE_IPC_HOOK_CLI;
  delete env.ELECTRON_RUN_AS_NODE;
  return env;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function profileArgs(profile) {
  return ['--user-data-dir', join(profile, 'user-data'), '--extensions-dir', join(profile, 'extensions')];
}

function writeUserSettings(profile) {
  const userDir = join(profile, 'user-data', 'User');
  mkdirSync(userDir, { recursive: true });
  writeFileSync(join(userDir, 'settings.json'), JSON.stringify({
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'workbench.startupEditor': 'none',
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'chat.disableAIFeatures': true,
    'workbench.tips.enabled': false,
    'git.openRepositoryInParentFolders': 'never',
    'extensions.ignoreRecommendations': true,
  }, null, 2));
}

/** `code-server --install-extension file.vsix` into a profile (works offline, ≈ 1 s). */
export function installExtension(profile, vsix) {
  const e = ensureCodeServer();
  mkdirSync(profile, { recursive: true });
  writeUserSettings(profile);
  const r = spawnSync(process.execPath, [e, ...profileArgs(profile), '--install-extension', vsix, '--force'],
    { env: isolatedEnv(join(profile, 'home')), encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`--install-extension ${vsix} failed (exit ${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `code-server --list-extensions --show-versions` of a profile: ["publisher.name@version", …]. */
export function listExtensions(profile) {
  const e = ensureCodeServer();
  const r = spawnSync(process.execPath, [e, ...profileArgs(profile), '--list-extensions', '--show-versions'],
    { env: isolatedEnv(join(profile, 'home')), encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`--list-extensions failed (exit ${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^[\w-]+\.[\w-]+@/.test(l));
}

/**
 * Starts code-server in its own process group on a free port with a fresh profile.
 * Returns { url, port, stop() }; stop() kills the whole group (server + extension hosts).
 */
export async function startCodeServer({ profile, folder, logFile, env: extraEnv = {} }) {
  const e = ensureCodeServer();
  mkdirSync(profile, { recursive: true });
  writeUserSettings(profile);
  const port = await freePort();
  const home = join(profile, 'home');
  mkdirSync(home, { recursive: true });
  const args = [e, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened', ...profileArgs(profile), folder];
  const { openSync } = await import('node:fs');
  const out = logFile ? openSync(logFile, 'a') : 'ignore';
  const child = spawn(process.execPath, args, { env: { ...isolatedEnv(home), ...extraEnv }, detached: true, stdio: ['ignore', out, out] });
  let exited = false;
  child.once('exit', () => { exited = true; });
  const stop = () => {
    if (exited) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
    const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 3000);
    t.unref();
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`code-server exited during start-up (see ${logFile ?? 'its output'})`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return { url, port, pid: child.pid, stop, stopped: () => new Promise((res) => exited ? res() : child.once('exit', res)) };
    } catch { /* not yet listening */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  stop();
  throw new Error('code-server did not answer /healthz within 60 s');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cmd = process.argv[2] ?? 'install';
  try {
    if (cmd === 'install') ensureCodeServer();
    else if (cmd === 'path') console.log(ensureCodeServer());
    else { console.error(`usage: node scripts/codeServer.mjs install|path`); process.exit(2); }
  } catch (err) {
    console.error(`codeServer: ${err.message}`);
    process.exit(1);
  }
}
