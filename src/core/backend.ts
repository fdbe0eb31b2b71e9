// Backend selection: tfjs-node ('tensorflow') when it loads, else wasm, else the plain JS 'cpu'
// backend (docs/design.md, "Backends"). The trainer receives the `tf` namespace from here instead of
// importing one: @tensorflow/tfjs-node brings its own copy of tfjs-core (an external module, not in our
// bundle), and its backend is registered on that copy's engine.
//
// tfjs-node is looked for where BackendOptions.nativePath says (the extension's setting or its global
// storage, the CLI's --native-backend), else through Node's module resolution from this bundle
// (node_modules, where npm or scripts/nativeBackend.mjs put it). Its thread pools are sized before
// libtensorflow starts (nativeThreadRule; docs/performance.md "Native backend: threads").
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';
import type { BackendInfo, BackendName, BackendRequest, SkippedBackend } from './events';
import { BACKEND_NAMES } from './events';

export type TF = typeof TfCore;

export interface LoadedBackend {
  tf: TF;
  info: BackendInfo;
}

export class BackendError extends Error {
  constructor(message: string, readonly skipped: BackendInfo['skipped'] = []) {
    super(message);
    this.name = 'BackendError';
  }
}

/** A loader failure that says whether the backend is missing or present but broken. */
export class BackendLoadError extends Error {
  constructor(message: string, readonly kind: 'absent' | 'broken') {
    super(message);
    this.name = 'BackendLoadError';
  }
}

export interface BackendOptions {
  /**
   * Where @tensorflow/tfjs-node is installed: its package folder, a node_modules folder holding it, or a
   * prefix with node_modules/@tensorflow/tfjs-node. Undefined: Node's module resolution from this bundle.
   */
  nativePath?: string;
  /** TensorFlow intra-op threads; undefined or 0: TF_NUM_INTRAOP_THREADS if set, else nativeThreadRule. */
  threads?: number;
}

/** Each loader returns a tf namespace whose active backend is the named one, or throws why it cannot. */
export interface BackendLoaders {
  tensorflow(options?: BackendOptions): Promise<TF>;
  wasm(): Promise<TF>;
  cpu(): Promise<TF>;
}

const prod = (tf: TF): void => {
  // Production mode: no per-kernel debug checks, no deprecation / re-registration warnings in the
  // CLI's output.
  tf.env().set('PROD', true);
};

function wasmDir(): string {
  const candidates = [__dirname, join(__dirname, '..', 'dist')];
  try {
    candidates.push(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
  } catch {
    // bundled without node_modules: the .wasm files sit next to the bundle
  }
  const found = candidates.find((d) => existsSync(join(d, 'tfjs-backend-wasm-simd.wasm')));
  if (!found) throw new Error(`tfjs wasm binaries not found (looked in ${candidates.join(', ')})`);
  return found;
}

export interface NativeThreads {
  /** TF_NUM_INTRAOP_THREADS: threads one operation (a matMul) may use. */
  intraOp: number;
  /** TF_NUM_INTEROP_THREADS: operations that may run at the same time. */
  interOp: number;
  /** Where intraOp came from. */
  source: 'option' | 'environment' | 'rule';
}

/**
 * The default thread rule for tfjs-node, measured on the seed MLP (docs/performance.md): half the cores,
 * at least 1, at most 4, for one operation; one operation at a time. On 2 cores 1 intra-op thread trains
 * ≈ 1.5× faster than 2 (TensorFlow's default, one per core): the eager loop's own thread needs a core,
 * and the extension host needs room. The products of a small MLP do not scale past a few threads.
 */
export function nativeThreadRule(cores = availableParallelism()): { intraOp: number; interOp: number } {
  return { intraOp: Math.max(1, Math.min(4, Math.floor(cores / 2))), interOp: 1 };
}

const positiveInt = (v: string | undefined): number | undefined => {
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v);
  return n >= 1 && n <= 1024 ? n : undefined;
};

/** The thread counts a tfjs-node load will use: the option, else the TF_* variables, else the rule. */
export function resolveNativeThreads(threads?: number, env: NodeJS.ProcessEnv = process.env, cores?: number): NativeThreads {
  const rule = nativeThreadRule(cores);
  const envIntra = positiveInt(env.TF_NUM_INTRAOP_THREADS);
  const interOp = positiveInt(env.TF_NUM_INTEROP_THREADS) ?? rule.interOp;
  if (threads !== undefined && Number.isInteger(threads) && threads > 0) return { intraOp: threads, interOp, source: 'option' };
  if (envIntra !== undefined) return { intraOp: envIntra, interOp, source: 'environment' };
  return { intraOp: rule.intraOp, interOp, source: 'rule' };
}

const TFJS_NODE = '@tensorflow/tfjs-node';

/**
 * The folder of the @tensorflow/tfjs-node installation `nativePath` names, or the bare module id when no
 * path is given (Node's resolution). A path that holds no tfjs-node is a BackendLoadError ('absent').
 */
export function locateTfjsNode(nativePath?: string): string {
  if (nativePath === undefined || nativePath.trim() === '') return TFJS_NODE;
  const p = resolve(nativePath.trim());
  const candidates = [p, join(p, '@tensorflow', 'tfjs-node'), join(p, 'node_modules', '@tensorflow', 'tfjs-node')];
  for (const c of candidates) {
    try {
      const pkg = JSON.parse(readFileSync(join(c, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === TFJS_NODE) return c;
    } catch {
      // not this one
    }
  }
  const why = existsSync(p) ? 'holds no @tensorflow/tfjs-node' : 'does not exist';
  throw new BackendLoadError(`${p} ${why} (expected the package folder, or a folder with node_modules/@tensorflow/tfjs-node)`, 'absent');
}

/** Why tfjs-node did not load, for people, and whether it is missing or broken. */
export function classifyNativeError(e: unknown, where: string): BackendLoadError {
  if (e instanceof BackendLoadError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const first = reason(e);
  if (code === 'MODULE_NOT_FOUND' && msg.includes(`'${where}'`)) {
    return new BackendLoadError(`${TFJS_NODE} is not installed (its install step needs to download libtensorflow)`, 'absent');
  }
  if (/tfjs_binding\.node\) can not be found/.test(msg)) {
    return new BackendLoadError(`${TFJS_NODE} is installed${where === TFJS_NODE ? '' : ` in ${where}`} but has no native addon (tfjs_binding.node): its install step did not complete`, 'broken');
  }
  if (code === 'MODULE_NOT_FOUND') return new BackendLoadError(`${TFJS_NODE}${where === TFJS_NODE ? '' : ` in ${where}`} is incomplete: ${first}`, 'broken');
  return new BackendLoadError(`${TFJS_NODE}${where === TFJS_NODE ? '' : ` in ${where}`} does not load: ${first}`, 'broken');
}

/** What the first tfjs-node load of this process used (libtensorflow reads the thread variables once). */
let nativeLoad: { threads: NativeThreads; version?: string; path: string } | undefined;

/** Thread counts, libtensorflow version and location of the tfjs-node loaded in this process, if any. */
export function nativeLoadInfo(): typeof nativeLoad {
  return nativeLoad;
}

export const defaultLoaders: BackendLoaders = {
  async tensorflow(options: BackendOptions = {}) {
    const where = locateTfjsNode(options.nativePath);
    const threads = nativeLoad?.threads ?? resolveNativeThreads(options.threads);
    // libtensorflow reads these when its eager context is created, i.e. while tfjs-node loads: set them
    // first (process.env assignments reach the C environment). TF_CPP_MIN_LOG_LEVEL 2 drops its INFO
    // and WARNING lines (errors stay); two start-up lines come through anyway (absl, oneDNN), which the
    // CLI and the extension filter from stderr (core/tfStderr.ts).
    process.env.TF_NUM_INTRAOP_THREADS = String(threads.intraOp);
    process.env.TF_NUM_INTEROP_THREADS = String(threads.interOp);
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    let tf: TF;
    try {
      // External at bundle time (never bundled): a package folder or the bare id, resolved at run time.
      tf = require(where) as TF;
    } catch (e) {
      throw classifyNativeError(e, where);
    }
    await tf.setBackend('tensorflow');
    await tf.ready();
    if (tf.getBackend() !== 'tensorflow') throw new BackendLoadError(`tfjs-node loaded but the active backend is ${tf.getBackend()}`, 'broken');
    prod(tf);
    if (!nativeLoad) {
      const binding = (tf.backend() as unknown as { binding?: { TF_Version?: unknown } }).binding;
      let path = where;
      try {
        path = dirname(require.resolve(`${where}/package.json`));
      } catch {
        // keep the id
      }
      nativeLoad = { threads, version: typeof binding?.TF_Version === 'string' ? binding.TF_Version : undefined, path };
    }
    return tf;
  },
  async wasm() {
    const tf = require('@tensorflow/tfjs-core') as TF;
    prod(tf);
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDir() + '/');
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
    await tf.ready();
    return tf;
  },
  async cpu() {
    const tf = require('@tensorflow/tfjs-core') as TF;
    prod(tf);
    require('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
    await tf.ready();
    return tf;
  },
};

function reason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 300);
}

/**
 * Loads the requested backend; `auto` tries tensorflow, wasm, cpu in that order and records why each
 * earlier one was skipped. A forced backend that cannot load is a BackendError.
 */
export async function selectBackend(request: BackendRequest, loaders: Partial<BackendLoaders> = {}, options: BackendOptions = {}): Promise<LoadedBackend> {
  const all: BackendLoaders = { ...defaultLoaders, ...loaders };
  if (request !== 'auto' && !BACKEND_NAMES.includes(request)) {
    throw new BackendError(`unknown backend "${String(request)}" (expected auto, ${BACKEND_NAMES.join(', ')})`);
  }
  const order: BackendName[] = request === 'auto' ? [...BACKEND_NAMES] : [request];
  const skipped: SkippedBackend[] = [];
  for (const name of order) {
    try {
      const tf = name === 'tensorflow' ? await all.tensorflow(options) : await all[name]();
      const info: BackendInfo = { name, requested: request, skipped };
      if (name === 'wasm') {
        info.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
        info.threads = 1;
      }
      const native = nativeLoadInfo();
      if (name === 'tensorflow' && native) {
        info.threads = native.threads.intraOp;
        info.interOpThreads = native.threads.interOp;
        if (native.version) info.tensorflowVersion = native.version;
        info.nativePath = native.path;
      }
      return { tf, info };
    } catch (e) {
      const entry: SkippedBackend = { name, reason: reason(e) };
      if (name === 'tensorflow') entry.kind = e instanceof BackendLoadError ? e.kind : 'broken';
      skipped.push(entry);
    }
  }
  if (request === 'auto') throw new BackendError(`no TensorFlow.js backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`, skipped);
  throw new BackendError(`backend "${request}" cannot be used here: ${skipped[0].reason}`, skipped);
}
