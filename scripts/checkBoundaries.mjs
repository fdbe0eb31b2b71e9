// Fails (exit 1) when an import crosses the layer boundaries of docs/design.md ("Layout"):
// host -> core, protocol; worker -> core, protocol; webview -> protocol; nothing imports host;
// protocol may only `import type` from core; only src/host and src/extension.ts may import `vscode`.
// tsc enforces the `vscode` rule too (tsconfig.json has `types: ["node"]`); this script also covers
// relative imports between layers, which no tsconfig can forbid. It also fails on an import circle
// among src/ files (value imports; `import type` is erased and does not count).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { builtinModules } from 'node:module';

const root = resolve(new URL('..', import.meta.url).pathname);
const src = join(root, 'src');
const layerOf = (abs) => {
  const rel = relative(src, abs).split(sep);
  if (rel[0] === '..') return 'outside';
  if (rel.length === 1) return rel[0].replace(/\.ts$/, ''); // extension, cli
  return rel[0];
};
const allowed = {
  core: new Set(['core']),
  protocol: new Set(['protocol']),
  worker: new Set(['worker', 'core', 'protocol']),
  webview: new Set(['webview', 'protocol']),
  host: new Set(['host', 'core', 'protocol']),
  extension: new Set(['host', 'core', 'protocol']),
  cli: new Set(['core', 'protocol']),
};
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.(ts|tsx|mts)$/.test(name)) files.push(p);
  }
};
walk(src);
const problems = [];
/** Value imports between src/ files (for the circle check). */
const edges = new Map(files.map((f) => [f, []]));
const fileOf = (p) => [`${p}.ts`, join(p, 'index.ts'), p].find((c) => existsSync(c) && statSync(c).isFile());
const importRe = /(?:^|\n)\s*(import\s+(type\s+)?[^'"]*?from\s*|import\s*|export\s+(type\s+)?[^'"]*?from\s*)['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g;
for (const file of files) {
  const from = layerOf(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(importRe)) {
    const spec = m[4] ?? m[5] ?? m[6];
    const typeOnly = Boolean(m[2] || m[3]);
    const where = relative(root, file);
    if (spec === 'vscode') {
      if (from !== 'host' && from !== 'extension') problems.push(`${where}: imports 'vscode' (only src/host may)`);
      continue;
    }
    if (!spec.startsWith('.')) {
      const bare = spec.replace(/^node:/, '');
      if (from === 'webview' && (builtinModules.includes(bare) || spec.startsWith('node:')))
        problems.push(`${where}: webview imports Node module '${spec}'`);
      continue;
    }
    const target = fileOf(resolve(file, '..', spec));
    if (target && !typeOnly && !/^\s*import\s+type\b/.test(m[0]) && edges.has(target)) edges.get(file).push(target);
    const to = layerOf(resolve(file, '..', spec));
    if (to === from || allowed[from]?.has(to)) continue;
    if (from === 'protocol' && to === 'core' && typeOnly) continue;
    problems.push(`${where}: ${from} may not import ${to} ('${spec}')`);
  }
}
// Import circles: a depth-first search that reports each back edge's circle once.
const state = new Map();
const stack = [];
const visit = (f) => {
  state.set(f, 1);
  stack.push(f);
  for (const g of edges.get(f) ?? []) {
    if (state.get(g) === 1) problems.push(`import circle: ${stack.slice(stack.indexOf(g)).concat(g).map((x) => relative(root, x)).join(' -> ')}`);
    else if (!state.has(g)) visit(g);
  }
  stack.pop();
  state.set(f, 2);
};
for (const f of files) if (!state.has(f)) visit(f);
if (problems.length) {
  console.error('Layer boundaries crossed (see docs/design.md, "Layout"):\n  ' + problems.join('\n  '));
  process.exit(1);
}
