// The native TensorFlow backend for extension users ("Gradient Lens: Set Up Native Backend"). The VSIX
// cannot ship @tensorflow/tfjs-node (a native addon plus ≈ 800 MB of libtensorflow, per platform), so
// the set-up gets it onto the machine, into the extension's global storage, by one of three routes:
//   npm       `npm install @tensorflow/tfjs-node@4.22.0` (its install step downloads libtensorflow);
//   offline   dist/nativeBackend.mjs (= scripts/nativeBackend.mjs): builds tfjs-node against the
//             libtensorflow of the tensorflow-cpu wheel, from pip's index/mirror or a wheel file;
//   existing  a folder that already holds tfjs-node becomes gradientLens.nativeBackendPath.
// Every route ends with the training process's own check (dist/worker.js --check-native): the
// installation counts only if it loads as `tensorflow` and computes. Long steps run under a cancellable
// progress notification, their output goes to the log channel, and a failure says what to do instead.
// Every child (npm, the build, the check) has a deadline and is stopped with its process group on Cancel
// (childProcess.ts), so the set-up always ends and can be run again.
// Arguments from a caller (another extension, a command: link) are untrusted (nativeSetupArgs.ts): refused
// in an untrusted workspace, and elsewhere used only after the user confirms them in a modal that shows
// the path. The palette (no arguments) asks for everything in its own dialogs.
import * as vscode from 'vscode';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Config } from './config';
import { checkNativeInstallation, runLogged, type NativeCheck } from './childProcess';
import { confirmationOf, parseSetupArgs, type SetupArgs, type SetupRoute } from './nativeSetupArgs';

export type { NativeCheck } from './childProcess';
export type { SetupArgs, SetupRoute } from './nativeSetupArgs';

export const TFJS_NODE_VERSION = '4.22.0';
export const TF_WHEEL = 'tensorflow-cpu 2.21.0';

export interface SetupResult {
  ok: boolean;
  route?: SetupRoute;
  /** The @tensorflow/tfjs-node folder a run now loads. */
  nativePath?: string;
  tensorflowVersion?: string;
  reason?: string;
  cancelled?: boolean;
  /** Refused without running anything (untrusted workspace, bad arguments, not confirmed). */
  refused?: boolean;
}

/** Deadlines (ms) of the set-up's children. */
export interface SetupTimeouts {
  /** dist/worker.js --check-native (loading libtensorflow takes a few seconds). */
  check: number;
  npm: number;
  /** The whole offline build (pip download ≈ 270 MB, npm, node-gyp). */
  offline: number;
}

/** GRADIENT_LENS_NATIVE_CHECK_TIMEOUT_MS shortens the check's deadline (the integration suite's FIFO test). */
function defaultTimeouts(): SetupTimeouts {
  const env = Number(process.env.GRADIENT_LENS_NATIVE_CHECK_TIMEOUT_MS);
  return { check: Number.isInteger(env) && env >= 1000 ? env : 120_000, npm: 20 * 60_000, offline: 60 * 60_000 };
}

export interface NativeBackendOptions {
  /** The extension's folder (dist/worker.js, dist/nativeBackend.mjs). */
  extensionPath: string;
  /** context.globalStorageUri.fsPath */
  storagePath: string;
  config: Config;
  log: vscode.LogOutputChannel;
  timeouts?: Partial<SetupTimeouts>;
}

function onPath(cmd: string): string | undefined {
  const names = process.platform === 'win32' ? [`${cmd}.cmd`, `${cmd}.exe`, cmd] : [cmd];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const n of names) {
      const p = join(dir, n);
      try {
        if (dir && statSync(p).isFile()) return p;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

const tailOf = (text: string, n = 3): string => text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-n).join(' | ');

/** The modal that confirms a caller's request (nativeSetupArgs.ts confirmationOf). */
export interface SetupConfirmation { message: string; detail: string; button: string }

export class NativeBackend {
  private busy = false;
  private readonly timeouts: SetupTimeouts;
  /** Set only by the extension's own tests (ExtensionMode.Test: VS Code refuses to show dialogs there). */
  private testConfirm: ((c: SetupConfirmation) => boolean | Thenable<boolean>) | undefined;

  constructor(private readonly o: NativeBackendOptions) {
    this.timeouts = { ...defaultTimeouts(), ...o.timeouts };
  }

  /** Where the set-up installs: <global storage>/native-backend/node_modules/@tensorflow/tfjs-node. */
  get prefix(): string {
    return join(this.o.storagePath, 'native-backend');
  }

  /** The set-up's own installation, when it is there (package and addon). */
  installedPath(): string | undefined {
    const pkg = join(this.prefix, 'node_modules', '@tensorflow', 'tfjs-node');
    return existsSync(join(pkg, 'package.json')) && existsSync(join(pkg, 'lib')) ? pkg : undefined;
  }

  /** What a run loads tfjs-node from: the setting, else the set-up's installation, else undefined (next to the bundle). */
  effectivePath(): string | undefined {
    return this.o.config.nativeBackendPath ?? this.installedPath();
  }

  /**
   * Loads the installation as a run would, in a fresh process (dist/worker.js --check-native), under a
   * cancellable notification; stopped after the check's deadline.
   */
  check(path: string | undefined): Thenable<NativeCheck> {
    return this.withProgress('checking the native backend', (progress, token) => {
      progress.report({ message: `loading ${path ?? 'tfjs-node'}…` });
      return checkNativeInstallation(this.o.extensionPath, path, { timeoutMs: this.timeouts.check, token, log: (l) => this.o.log.info(`[check] ${l}`) });
    });
  }

  /**
   * For the extension's integration tests only (extension.ts exposes it in ExtensionMode.Test, never
   * otherwise): VS Code refuses to show a dialog while it runs extension tests, so a test answers the
   * confirmation modal with this; it still receives exactly what the modal would show.
   */
  setConfirmForTests(answer: ((c: SetupConfirmation) => boolean | Thenable<boolean>) | undefined): void {
    this.testConfirm = answer;
  }

  /** The modal (showWarningMessage { modal: true, detail }); true only when the user pressed `button`. */
  private async confirmed(c: SetupConfirmation): Promise<boolean> {
    try {
      if (this.testConfirm) return (await this.testConfirm(c)) === true;
      return (await vscode.window.showWarningMessage(c.message, { modal: true, detail: c.detail }, c.button)) === c.button;
    } catch (e) {
      this.o.log.warn(`native set-up: the confirmation dialog could not be shown (${e instanceof Error ? e.message : String(e)}); treated as not confirmed`);
      return false;
    }
  }

  /**
   * The command. Without an argument (the palette, the panel's button): the user picks the route and
   * its inputs. With one (another extension, a command: link): untrusted, see nativeSetupArgs.ts.
   */
  async setUp(arg?: unknown): Promise<SetupResult> {
    if (arg === undefined) return this.run(undefined);
    // The notification never quotes the caller's values (a notification renders links); the log does.
    const refuse = (why: string, shown: string): SetupResult => {
      this.o.log.warn(`gradientLens.setUpNativeBackend refused its arguments: ${why}`);
      void vscode.window.showWarningMessage(`Gradient Lens: Set Up Native Backend refused a request from another extension or a link: ${shown}.`, 'Show Log')
        .then((pick) => { if (pick === 'Show Log') this.o.log.show(true); });
      return { ok: false, refused: true, reason: why };
    };
    if (!vscode.workspace.isTrusted) {
      const why = 'the workspace is not trusted (run Gradient Lens: Set Up Native Backend from the Command Palette instead)';
      return refuse(why, why);
    }
    const args = parseSetupArgs(arg);
    if (typeof args === 'string') return refuse(args, 'its arguments are malformed (the log says how)');
    return this.run(args);
  }

  /** `args`: from a caller (checked; confirmed here) or the failure message's buttons (`fromUser`). */
  private async run(args: SetupArgs | undefined, fromUser = false): Promise<SetupResult> {
    if (this.busy) {
      void vscode.window.showInformationMessage('Gradient Lens: the native backend set-up is already running.');
      return { ok: false, reason: 'already running' };
    }
    this.busy = true;
    try {
      const confirm = args && !fromUser ? confirmationOf(args, { prefix: this.prefix, tfjsNodeVersion: TFJS_NODE_VERSION, wheelName: TF_WHEEL }) : undefined;
      if (confirm) {
        this.o.log.info(`native set-up: a caller asks for route ${args!.route}${args!.path ? ` with ${args!.path}` : args!.wheel ? ` with ${args!.wheel}` : ''}; asking the user to confirm`);
        if (!await this.confirmed(confirm)) {
          this.o.log.info('native set-up: the caller\'s request was not confirmed; nothing was loaded or changed');
          return { ok: false, cancelled: true, refused: true, reason: 'not confirmed' };
        }
      }
      const interactive = args === undefined || args.ask === true;
      const route = args?.route ?? await this.pickRoute();
      if (!route) return { ok: false, cancelled: true };
      this.o.log.info(`native set-up: route ${route}`);
      const result = route === 'npm' ? await this.viaNpm()
        : route === 'offline' ? await this.viaOffline(args?.wheel, interactive)
          : await this.viaExisting(args?.path, interactive);
      return await this.report({ ...result, route });
    } finally {
      this.busy = false;
    }
  }

  private async pickRoute(): Promise<SetupRoute | undefined> {
    const npm = onPath('npm');
    const current = this.effectivePath();
    const items: (vscode.QuickPickItem & { route: SetupRoute })[] = [
      {
        route: 'npm', label: '$(cloud-download) Download and install with npm',
        description: npm ? `npm install @tensorflow/tfjs-node@${TFJS_NODE_VERSION}` : 'npm was not found on PATH',
        detail: 'Needs internet access: the npm registry and libtensorflow\'s download (storage.googleapis.com). Installs into the extension\'s storage.',
      },
      {
        route: 'offline', label: '$(package) Build offline from a TensorFlow wheel',
        description: `${TF_WHEEL} from pip's index or mirror, or a wheel file`,
        detail: 'For machines that cannot reach libtensorflow\'s download. Needs Linux x86-64, npm, Python 3 and a C++ compiler (≈ 1 minute).',
      },
      {
        route: 'existing', label: '$(folder-opened) Use an existing installation…',
        description: 'a folder holding @tensorflow/tfjs-node',
        detail: 'Sets gradientLens.nativeBackendPath (user settings) after checking that it loads.',
      },
    ];
    const pick = await vscode.window.showQuickPick(items, {
      title: 'Gradient Lens: Set Up Native Backend (tfjs-node)',
      placeHolder: current ? `Now: ${current}` : 'The native TensorFlow backend trains several times faster than wasm',
    });
    return pick?.route;
  }

  private withProgress<T>(title: string, task: (progress: vscode.Progress<{ message?: string }>, token: vscode.CancellationToken) => Promise<T>): Thenable<T> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Gradient Lens: ${title}`, cancellable: true }, task);
  }

  private async viaNpm(): Promise<SetupResult> {
    const npm = onPath('npm');
    if (!npm) return { ok: false, reason: 'npm was not found on PATH (it comes with Node.js: https://nodejs.org); or build offline, or use an existing installation' };
    mkdirSync(this.prefix, { recursive: true });
    // A package.json of its own, so npm installs here and not into some enclosing project; allowScripts
    // lets npm's install-script policy (npm ≥ 11) run tfjs-node's install step, which fetches libtensorflow.
    writeFileSync(join(this.prefix, 'package.json'), JSON.stringify({
      name: 'gradient-lens-native-backend', private: true, description: 'The native TensorFlow backend of Gradient Lens',
      dependencies: { '@tensorflow/tfjs-node': TFJS_NODE_VERSION }, allowScripts: { [`@tensorflow/tfjs-node@${TFJS_NODE_VERSION}`]: true },
    }, null, 2) + '\n');
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
    delete env.ELECTRON_RUN_AS_NODE;
    const r = await this.withProgress('installing tfjs-node with npm', (progress, token) => {
      progress.report({ message: `npm install @tensorflow/tfjs-node@${TFJS_NODE_VERSION} (downloads libtensorflow, a few hundred MB)…` });
      return runLogged(npm, ['install', '--foreground-scripts', '--no-audit', '--no-fund'], {
        cwd: this.prefix, env, token, shell: process.platform === 'win32', timeoutMs: this.timeouts.npm,
        log: (l) => this.o.log.info(`[npm] ${l}`), onLine: (l) => progress.report({ message: l.slice(0, 120) }),
      }).then((p) => ({ p, cancelled: p.cancelled || token.isCancellationRequested }));
    });
    if (r.cancelled) return { ok: false, cancelled: true };
    if (r.p.code !== 0 || r.p.timedOut) {
      const out = r.p.out;
      const why = r.p.timedOut ? `npm did not finish in ${Math.round(this.timeouts.npm / 60_000)} minutes and was stopped`
        : r.p.error ? `npm could not start: ${r.p.error}`
        : /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ECONNRESET|getaddrinfo|network|socket hang up/i.test(out)
          ? (/scripts\/install\.js|libtensorflow|storage\.googleapis/i.test(out) ? 'tfjs-node\'s install step could not download libtensorflow (no route to storage.googleapis.com?)' : 'the npm registry could not be reached')
          : /scripts\/install\.js|tfjs-node.*install/i.test(out) ? 'tfjs-node\'s install step failed (it downloads libtensorflow and a prebuilt addon)'
            : `npm exited with ${r.p.code ?? r.p.signal}`;
      return { ok: false, reason: `could not install tfjs-node with npm: ${why}` };
    }
    return this.checked(this.installedPath() ?? join(this.prefix, 'node_modules', '@tensorflow', 'tfjs-node'));
  }

  private async viaOffline(wheelArg: string | undefined, interactive: boolean): Promise<SetupResult> {
    let wheel = wheelArg;
    let chosenByUser = false;
    if (wheel === undefined && interactive) {
      const pip = { label: '$(cloud-download) Download the wheel with pip', description: 'python3 -m pip, with pip\'s configured index or mirror', file: false };
      const file = { label: '$(file) Choose a wheel file…', description: 'tensorflow_cpu-2.21.0-…-manylinux…_x86_64.whl', file: true };
      const pick = await vscode.window.showQuickPick([pip, file], { title: `Gradient Lens: where does the ${TF_WHEEL} wheel come from?` });
      if (!pick) return { ok: false, cancelled: true };
      if (pick.file) {
        const uris = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectMany: false, filters: { 'Python wheel': ['whl'] }, openLabel: 'Use This Wheel' });
        if (!uris?.length) return { ok: false, cancelled: true };
        wheel = uris[0].fsPath;
        chosenByUser = true;
      }
    }
    const script = join(this.o.extensionPath, 'dist', 'nativeBackend.mjs');
    if (!existsSync(script)) return { ok: false, reason: `${script} is missing from this installation of the extension` };
    // A Node on PATH has its headers beside it (node-gyp needs them offline); the extension host's own
    // runtime (Electron in desktop VS Code) does not, so it is only the fallback.
    const node = onPath('node');
    const env: NodeJS.ProcessEnv = { ...process.env, ...(node ? {} : { ELECTRON_RUN_AS_NODE: '1' }) };
    if (node) delete env.ELECTRON_RUN_AS_NODE;
    // A wheel must match a pinned sha256, unless the user chose the file in the dialog above.
    const args = [script, '--prefix', this.prefix, '--json', ...(wheel ? ['--wheel', wheel] : []), ...(chosenByUser ? ['--allow-unpinned'] : [])];
    const r = await this.withProgress('building tfjs-node from a TensorFlow wheel', (progress, token) => {
      progress.report({ message: 'starting…' });
      return runLogged(node ?? process.execPath, args, {
        env, token, timeoutMs: this.timeouts.offline, log: (l) => this.o.log.info(`[offline] ${l}`),
        onLine: (l) => { if (l.startsWith('native-backend: ')) progress.report({ message: l.slice('native-backend: '.length, 140) }); },
      }).then((p) => ({ p, cancelled: p.cancelled || token.isCancellationRequested }));
    });
    if (r.cancelled) return { ok: false, cancelled: true };
    if (r.p.timedOut) return { ok: false, reason: `the offline build did not finish in ${Math.round(this.timeouts.offline / 60_000)} minutes and was stopped (see the log)` };
    let res: { ok?: boolean; reason?: string; packageDir?: string; wheelVerified?: boolean; wheelSha256?: string } = {};
    try {
      res = JSON.parse(r.p.stdout.trim().split('\n').pop() ?? '') as typeof res;
    } catch {
      res = { ok: false, reason: r.p.error ?? `the build script ended without a result (exit ${r.p.code ?? r.p.signal}): ${tailOf(r.p.out)}` };
    }
    if (!res.ok || !res.packageDir) return { ok: false, reason: `the offline build failed: ${res.reason ?? 'no result'}` };
    if (res.wheelVerified === false) {
      const note = `the native backend was built from a wheel chosen by hand whose sha256 is not pinned (${wheel ?? `sha256 ${res.wheelSha256 ?? '?'}, an earlier build`}): it was used unverified`;
      this.o.log.warn(`native set-up: ${note}`);
      void vscode.window.showWarningMessage(`Gradient Lens: ${note}.`);
    }
    return this.checked(res.packageDir);
  }

  private async viaExisting(pathArg: string | undefined, interactive: boolean): Promise<SetupResult> {
    let path = pathArg;
    if (path === undefined && interactive) {
      const uris = await vscode.window.showOpenDialog({
        canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use This Installation',
        title: 'Folder of an @tensorflow/tfjs-node installation (the package folder, a node_modules folder, or a project holding it)',
      });
      if (!uris?.length) return { ok: false, cancelled: true };
      path = uris[0].fsPath;
    }
    if (typeof path !== 'string' || !path.trim()) return { ok: false, reason: '"path" must name a folder' };
    const c = await this.check(path);
    if (c.cancelled) return { ok: false, cancelled: true };
    if (!c.ok) return { ok: false, reason: `${path}: ${c.reason}` };
    await vscode.workspace.getConfiguration('gradientLens').update('nativeBackendPath', path, vscode.ConfigurationTarget.Global);
    return { ok: true, nativePath: c.nativePath ?? path, tensorflowVersion: c.tensorflowVersion };
  }

  /** The set-up's own installation counts only once it loads; a setting pointing elsewhere would hide it. */
  private async checked(pkg: string): Promise<SetupResult> {
    const c = await this.check(pkg);
    if (c.cancelled) return { ok: false, cancelled: true };
    if (!c.ok) return { ok: false, reason: `the installed tfjs-node does not load: ${c.reason}` };
    const setting = this.o.config.nativeBackendPath;
    if (setting) {
      // Not awaited: the set-up is done either way, and a notification may wait for its answer forever.
      void vscode.window.showWarningMessage(
        `Gradient Lens: gradientLens.nativeBackendPath points to ${setting}, which runs use instead of the installation just made.`, 'Use the New Installation', 'Keep the Setting',
      ).then((pick) => {
        if (pick === 'Use the New Installation') void vscode.workspace.getConfiguration('gradientLens').update('nativeBackendPath', undefined, vscode.ConfigurationTarget.Global);
      });
    }
    return { ok: true, nativePath: c.nativePath ?? pkg, tensorflowVersion: c.tensorflowVersion };
  }

  private async report(r: SetupResult): Promise<SetupResult> {
    if (r.cancelled) {
      this.o.log.info('native set-up: cancelled');
      void vscode.window.showInformationMessage('Gradient Lens: the native backend set-up was cancelled.');
      return r;
    }
    if (!r.ok) return this.fail(r);
    this.o.log.info(`native set-up: ready — libtensorflow ${r.tensorflowVersion ?? '?'} from ${r.nativePath}`);
    const backend = this.o.config.backend;
    const note = backend === 'wasm' || backend === 'cpu' ? ` (gradientLens.backend is "${backend}": set it to "auto" to use it)` : '';
    void vscode.window.showInformationMessage(`Gradient Lens: native backend ready — TensorFlow ${r.tensorflowVersion ?? ''} from ${r.nativePath}. The next run trains on it${note}.`);
    return r;
  }

  private fail(r: SetupResult): SetupResult {
    this.o.log.error(`native set-up failed: ${r.reason}`);
    const alternatives = r.route === 'npm' ? ['Build Offline…', 'Use Existing…'] : r.route === 'offline' ? ['Use Existing…'] : [];
    void vscode.window.showErrorMessage(`Gradient Lens: ${r.reason}`, ...alternatives, 'Show Log').then((pick) => {
      if (pick === 'Show Log') this.o.log.show(true);
      // The user's own choice: no caller arguments, so no confirmation (and allowed in Restricted Mode).
      else if (pick === 'Build Offline…') void this.run({ route: 'offline', ask: true }, true);
      else if (pick === 'Use Existing…') void this.run({ route: 'existing', ask: true }, true);
    });
    return r;
  }
}
