// `npm test`: build, type-check, then every suite that exists, in order of cost:
//   unit (plain Node, node --test, on wasm: tfjs-node hidden)  →  native (plain Node, on the real
//   tfjs-node: skipped with the reason where it is not provisioned, a failure with
//   GRADIENT_LENS_REQUIRE_NATIVE=1)  →  webview (headless Chromium)  →  integration (inside real VS Code).
// Exits non-zero if any part fails; prints the backend each part runs on and which integration route ran.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const run = (cmd, args, opts = {}) => {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`\nnpm test: "${cmd} ${args.join(' ')}" failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
};
const testFiles = (dir) => {
  const out = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.test.js')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
};

const only = process.argv.slice(2); // e.g. `npm test -- unit`
const want = (s) => only.length === 0 || only.includes(s);

run(process.execPath, ['scripts/build.mjs']);
run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
if (existsSync('src/extension.ts')) run('npx', ['tsc', '-p', 'tsconfig.host.json', '--noEmit']);
if (existsSync('src/webview')) run('npx', ['tsc', '-p', 'tsconfig.webview.json', '--noEmit']);

const nodeTest = (files, opts) => run(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], opts);
// The unit part runs with @tensorflow/tfjs-node hidden (in this process tree: NODE_OPTIONS reaches the
// CLI and training processes the tests start), so every `auto` run there is the wasm fallback, on any
// machine; the native part runs where tfjs-node is, against the real thing.
const hide = join(root, 'out', 'test', 'support', 'hideTfjsNode.js');
const hidden = { env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(hide)}`.trim() } };
if (want('unit')) {
  console.log('\nnpm test: unit tests on wasm (@tensorflow/tfjs-node hidden by test/support/hideTfjsNode.ts; `auto` falls back to wasm)');
  nodeTest(testFiles('out/test/unit'), hidden);
}
if (want('native') && testFiles('out/test/native').length) {
  // The same check the extension's set-up runs: load tfjs-node as a run would and compute one product.
  const where = process.env.GRADIENT_LENS_NATIVE_BACKEND;
  const r = spawnSync(process.execPath, ['dist/worker.js', '--check-native', ...(where ? [where] : [])], { encoding: 'utf8' });
  let check;
  try { check = JSON.parse(r.stdout.trim().split('\n').pop()); } catch { check = { ok: false, reason: `dist/worker.js --check-native failed: ${r.stderr.trim().split('\n').pop()}` }; }
  if (check.ok) {
    console.log(`\nnpm test: native tests on tensorflow (tfjs-node at ${check.nativePath}, libtensorflow ${check.tensorflowVersion})`);
  } else {
    const required = process.env.GRADIENT_LENS_REQUIRE_NATIVE === '1';
    console.log(`\nnpm test: native tests ${required ? 'REQUIRED but' : 'will be SKIPPED:'} tfjs-node is not usable here: ${check.reason}` +
      ' (provision it offline with `node scripts/nativeBackend.mjs`, or set GRADIENT_LENS_NATIVE_BACKEND=DIR)');
  }
  nodeTest(testFiles('out/test/native'));
}
if (want('webview') && testFiles('out/test/webview').length) nodeTest(testFiles('out/test/webview'));
if (want('integration') && existsSync('scripts/integration.mjs')) run(process.execPath, ['scripts/integration.mjs']);
