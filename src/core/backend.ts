// Backend selection: tfjs-node ('tensorflow') when it loads, else wasm, else the plain JS 'cpu'
// backend (DESIGN.md "Backends"). The trainer receives the `tf` namespace from here instead of
// importing one: @tensorflow/tfjs-node brings its own copy of tfjs-core (an external module, not in our
// bundle), and its backend is registered on that copy's engine.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';
import type { BackendInfo, BackendName, BackendRequest } from './events';
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

/** Each loader returns a tf namespace whose active backend is the named one, or throws why it cannot. */
export interface BackendLoaders {
  tensorflow(): Promise<TF>;
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

export const defaultLoaders: BackendLoaders = {
  async tensorflow() {
    // External at bundle time; absent where its install script could not download libtensorflow.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tf = require('@tensorflow/tfjs-node') as TF;
    await tf.setBackend('tensorflow');
    await tf.ready();
    if (tf.getBackend() !== 'tensorflow') throw new Error(`tfjs-node loaded but the active backend is ${tf.getBackend()}`);
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
  if (/Cannot find module '@tensorflow\/tfjs-node'/.test(msg)) return '@tensorflow/tfjs-node is not installed (its install step needs to download libtensorflow)';
  return msg.split('\n')[0].slice(0, 300);
}

/**
 * Loads the requested backend; `auto` tries tensorflow, wasm, cpu in that order and records why each
 * earlier one was skipped. A forced backend that cannot load is a BackendError.
 */
export async function selectBackend(request: BackendRequest, loaders: Partial<BackendLoaders> = {}): Promise<LoadedBackend> {
  const all: BackendLoaders = { ...defaultLoaders, ...loaders };
  if (request !== 'auto' && !BACKEND_NAMES.includes(request)) {
    throw new BackendError(`unknown backend "${String(request)}" (expected auto, ${BACKEND_NAMES.join(', ')})`);
  }
  const order: BackendName[] = request === 'auto' ? [...BACKEND_NAMES] : [request];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    try {
      const tf = await all[name]();
      const info: BackendInfo = { name, requested: request, skipped };
      if (name === 'wasm') {
        info.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
        info.threads = 1;
      }
      return { tf, info };
    } catch (e) {
      skipped.push({ name, reason: reason(e) });
    }
  }
  if (request === 'auto') throw new BackendError(`no TensorFlow.js backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`, skipped);
  throw new BackendError(`backend "${request}" cannot be used here: ${skipped[0].reason}`, skipped);
}
