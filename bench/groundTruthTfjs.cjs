// Runs a tfjs fixture program (test/fixtures/faithful/tfjs/*.js) in real TensorFlow.js under Node, for
// bench/groundTruth.py: `require('@tensorflow/tfjs')` gets what that package's core part is — @tensorflow/tfjs-core
// with its gradients and chained ops registered (this repository has tfjs-core and its backends, not the umbrella
// package, whose layers API the fixtures do not use) — with the wasm backend initialised before the program loads,
// as tfjs-node would be (GROUND_TRUTH_TFJS_BACKEND=cpu for the plain JavaScript one). tfjs-core's own Node build
// registers neither the gradients nor the chained ops, so they are bundled from its ES modules with esbuild, once,
// into out/bench/groundTruthTfjs.bundle.cjs.
//   node bench/groundTruthTfjs.cjs PROGRAM.js
const Module = require('node:module');
const path = require('node:path');
const fs = require('node:fs');

const root = path.join(__dirname, '..');
const fromRoot = Module.createRequire(path.join(root, 'package.json'));
const bundle = path.join(root, 'out', 'bench', 'groundTruthTfjs.bundle.cjs');

function build() {
  const entry = [
    "export * from '@tensorflow/tfjs-core';",
    "import '@tensorflow/tfjs-core/dist/register_all_gradients';",
    "import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';",
    "import '@tensorflow/tfjs-backend-cpu';",
    "export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';",
  ].join('\n');
  fs.mkdirSync(path.dirname(bundle), { recursive: true });
  fromRoot('esbuild').buildSync({
    stdin: { contents: entry, resolveDir: root, loader: 'js' }, bundle: true, platform: 'node', format: 'cjs',
    mainFields: ['module', 'main'], outfile: bundle, logLevel: 'error',
  });
}

async function main() {
  const program = process.argv[2];
  if (!program) throw new Error('usage: node bench/groundTruthTfjs.cjs PROGRAM.js');
  if (!fs.existsSync(bundle) || process.env.GROUND_TRUTH_TFJS_REBUILD) build();
  const tf = require(bundle);
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === '@tensorflow/tfjs') return bundle;
    return resolve.call(this, request, ...rest);
  };
  const backend = process.env.GROUND_TRUTH_TFJS_BACKEND || 'wasm';
  if (backend === 'wasm') tf.setWasmPaths(path.join(path.dirname(fromRoot.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
  process.argv = [process.argv[0], program];
  require(path.resolve(program));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
