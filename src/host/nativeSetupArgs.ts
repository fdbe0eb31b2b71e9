// The arguments of gradientLens.setUpNativeBackend when a caller passes them (another extension, a
// command: link, a keybinding) — untrusted input, checked here without `vscode` — and what the modal that
// must confirm them says. The palette and the failure message's buttons do not come through here.
import { own, preview } from '../core/untrusted';

export type SetupRoute = 'npm' | 'offline' | 'existing';
export const SETUP_ROUTES: readonly SetupRoute[] = ['npm', 'offline', 'existing'];

/** Arguments of gradientLens.setUpNativeBackend when it is not run from the palette. */
export interface SetupArgs {
  /** Required from a caller: npm, offline or existing. */
  route: SetupRoute;
  /** existing: the installation's folder (else asked for in a folder dialog when `ask`). */
  path?: string;
  /** offline: a wheel file (must match a pinned sha256); else the wheel cache, else pip (or, with `ask`, the user chooses). */
  wheel?: string;
  /** Ask the user for what is missing (path, wheel source) instead of failing. */
  ask?: boolean;
}

const MAX_PATH_CHARS = 4096;

function pathArg(v: unknown, key: string): string {
  if (typeof v !== 'string' || !v.trim()) throw new Error(`"${key}" must be a non-empty string, got ${preview(v)}`);
  if (v.length > MAX_PATH_CHARS) throw new Error(`"${key}" is longer than ${MAX_PATH_CHARS} characters`);
  if (/[\u0000-\u001f\u007f]/.test(v)) throw new Error(`"${key}" contains a control character`);
  return v;
}

/** A caller's argument as SetupArgs, or a message saying what is wrong with it. */
export function parseSetupArgs(arg: unknown): SetupArgs | string {
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) return `expected { route: "npm" | "offline" | "existing", path?, wheel?, ask? }, got ${preview(arg)}`;
  let keys: string[];
  try {
    keys = Object.keys(arg);
  } catch {
    return 'the argument is not a plain object';
  }
  const unknown = keys.filter((k) => !['route', 'path', 'wheel', 'ask'].includes(k));
  if (unknown.length) return `unknown argument(s) ${unknown.slice(0, 5).map((k) => JSON.stringify(k.slice(0, 40))).join(', ')}`;
  try {
    const route = own(arg, 'route');
    if (typeof route !== 'string' || !SETUP_ROUTES.includes(route as SetupRoute)) return `unknown route ${preview(route)} (expected npm, offline or existing)`;
    const out: SetupArgs = { route: route as SetupRoute };
    const ask = own(arg, 'ask');
    if (ask !== undefined && typeof ask !== 'boolean') return `"ask" must be true or false, got ${preview(ask)}`;
    if (ask) out.ask = true;
    const path = own(arg, 'path');
    const wheel = own(arg, 'wheel');
    if (path !== undefined) {
      if (route !== 'existing') return `"path" is only for the existing route, not ${route}`;
      out.path = pathArg(path, 'path');
    }
    if (wheel !== undefined) {
      if (route !== 'offline') return `"wheel" is only for the offline route, not ${route}`;
      out.wheel = pathArg(wheel, 'wheel');
    }
    if (route === 'existing' && out.path === undefined && !out.ask) return '"path" must name a folder (or pass ask: true to choose one)';
    return out;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * What the caller asks for, as the modal shows it; undefined when the user makes every choice in the
 * dialogs that follow (ask with no path or wheel, except npm, which asks nothing).
 */
export function confirmationOf(a: SetupArgs, o: { prefix: string; tfjsNodeVersion: string; wheelName: string }): { message: string; detail: string; button: string } | undefined {
  const by = 'A command from another extension or a link (not you, in the Command Palette) asked for this.';
  if (a.route === 'existing') {
    if (a.path === undefined) return undefined;
    return {
      message: 'Gradient Lens: load the native TensorFlow backend from this folder?',
      detail: `${a.path}\n\n${by} The native code in this folder is loaded to check it and, if it works, by every later training run in every workspace (user setting gradientLens.nativeBackendPath). Continue only if you installed it there.`,
      button: 'Load and Use This Folder',
    };
  }
  if (a.route === 'offline') {
    if (a.wheel === undefined && a.ask) return undefined;
    return {
      message: 'Gradient Lens: build the native TensorFlow backend from a TensorFlow wheel?',
      detail: a.wheel !== undefined
        ? `${a.wheel}\n\n${by} tfjs-node ${o.tfjsNodeVersion} is built against the libraries of this wheel (used only if its sha256 is a pinned one) into ${o.prefix}, and loaded by later training runs.`
        : `${o.wheelName} from the wheel cache or pip's index\n\n${by} tfjs-node ${o.tfjsNodeVersion} is built against its libraries into ${o.prefix} (npm and pip download from their configured registries), and loaded by later training runs.`,
      button: 'Build It',
    };
  }
  return {
    message: 'Gradient Lens: install the native TensorFlow backend with npm?',
    detail: `npm install @tensorflow/tfjs-node@${o.tfjsNodeVersion} in ${o.prefix}\n\n${by} npm downloads the package, its install step downloads libtensorflow (a few hundred MB), and later training runs load it.`,
    button: 'Install It',
  };
}
