// Builds every bundle with esbuild (type-checking is separate: `npm run typecheck`).
//   dist/extension.js  extension host entry (vscode and @tensorflow/tfjs-node external)
//   dist/worker.js     training process (forked by the host)
//   dist/cli.js        headless CLI (bin/gradient-lens.js loads it)
//   dist/diagnostics.js  the diagnostics engine's worker thread (started by the training process and the CLI)
//   dist/reader.js     the static reader's process (forked by the extension host, which reads model files there: host/readerClient.ts)
//   dist/*.wasm        tfjs wasm binaries, found next to the bundles at run time
//   dist/nativeBackend.mjs  scripts/nativeBackend.mjs (+ wheelZip.mjs, its wheel reader), run by the
//                      extension's offline native set-up
//   media/webview.js   browser bundle for the panel
//   out/               every src/ and test/ file transpiled 1:1, for the test runners
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
execFileSync(process.execPath, ['scripts/checkBoundaries.mjs'], { stdio: 'inherit' });

const node = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: !production,
  minify: production, external: ['vscode', '@tensorflow/tfjs-node'], logLevel: 'warning',
  // jsonc-parser's CommonJS entry is a UMD wrapper whose relative requires esbuild cannot follow.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
};
const entries = [
  { in: 'src/extension.ts', out: 'dist/extension.js', ...node },
  { in: 'src/worker/trainingProcess.ts', out: 'dist/worker.js', ...node },
  { in: 'src/cli.ts', out: 'dist/cli.js', ...node },
  { in: 'src/core/diagnostics/engineWorker.ts', out: 'dist/diagnostics.js', ...node },
  { in: 'src/worker/readerProcess.ts', out: 'dist/reader.js', ...node },
  { in: 'src/webview/main.ts', out: 'media/webview.js', bundle: true, platform: 'browser', target: 'es2022',
    format: 'iife', sourcemap: !production, minify: production, logLevel: 'warning' },
].filter((e) => existsSync(e.in));

const walk = (dir, acc = []) => {
  if (!existsSync(dir)) return acc;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, acc);
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) acc.push(p);
  }
  return acc;
};

const contexts = [];
for (const e of entries) {
  const { in: entry, out, ...opts } = e;
  contexts.push(await esbuild.context({ entryPoints: [entry], outfile: out, ...opts }));
}
// Tests that need tfjs-core's ES-module-only side effects (its gradient registry) are bundled.
const bundledTests = ['test/unit/gradients.test.ts', 'test/unit/objectiveGradients.test.ts'];
contexts.push(await esbuild.context({
  entryPoints: bundledTests, outdir: 'out/test/unit', bundle: true, platform: 'node', target: 'node20', format: 'cjs',
  mainFields: ['module', 'main'], // one tfjs-core copy: the ES-module one the gradient registry extends
  external: ['@tensorflow/tfjs-node', 'vscode'], sourcemap: true, logLevel: 'warning',
}));
contexts.push(await esbuild.context({
  entryPoints: [...walk('src').filter((f) => !f.startsWith('src/webview')), ...walk('test').filter((f) => !bundledTests.includes(f)), ...walk('bench')],
  outdir: 'out', outbase: '.', bundle: false, platform: 'node', target: 'node20', format: 'cjs',
  sourcemap: true, logLevel: 'warning',
}));

const require = createRequire(import.meta.url);
const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
mkdirSync('dist', { recursive: true });
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join('dist', f));
for (const f of ['nativeBackend.mjs', 'wheelZip.mjs']) copyFileSync(join('scripts', f), join('dist', f));
// The panel's chart library CSS sits next to the webview bundle (the webview may load only media/).
mkdirSync('media', { recursive: true });
copyFileSync(join(dirname(require.resolve('uplot/package.json')), 'dist', 'uPlot.min.css'), join('media', 'uPlot.min.css'));

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching');
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
