// Preloaded (`node --require out/test/support/hideTfjsNode.js`, through NODE_OPTIONS so that child
// processes — the CLI, the training process — inherit it) by scripts/test.mjs for the wasm part of the
// suite, and by the in-VS-Code suite for its training processes: `require('@tensorflow/tfjs-node')`
// then fails exactly as it does where tfjs-node is not installed, so `auto` falls back to wasm even on a
// machine where tfjs-node is installed next to the bundle. An installation loaded by its path (the
// nativeBackendPath setting, --native-backend) is not hidden: that is the configured route under test.
import Module from 'node:module';

const M = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
const original = M._resolveFilename;
M._resolveFilename = function resolveFilename(this: unknown, request: string, ...rest: unknown[]): string {
  if (request === '@tensorflow/tfjs-node' || request.startsWith('@tensorflow/tfjs-node/')) {
    const e = new Error(`Cannot find module '${request}' (hidden by test/support/hideTfjsNode for the wasm tests)`) as NodeJS.ErrnoException;
    e.code = 'MODULE_NOT_FOUND';
    throw e;
  }
  return original.call(this, request, ...rest);
};
