// `npm test`: build, type-check, then every suite that exists, in order of cost:
//   unit (plain Node, node --test)  →  webview (headless Chromium)  →  integration (inside real VS Code).
// Exits non-zero if any part fails; prints which integration route ran.
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

const nodeTest = (files) => run(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files]);
if (want('unit')) nodeTest(testFiles('out/test/unit'));
if (want('webview') && testFiles('out/test/webview').length) nodeTest(testFiles('out/test/webview'));
if (want('integration') && existsSync('scripts/integration.mjs')) run(process.execPath, ['scripts/integration.mjs']);
