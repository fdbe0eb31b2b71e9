// `npm run bench` (section "native", also `npm run bench -- native`): the seed MLP on wasm and on
// tfjs-node per thread count, each paired with the PyTorch reference (1 thread) in the same round,
// rounds alternating, so every ratio compares two runs made seconds apart on the same machine state.
// Runs go through the real CLI (`train --preset seed-mlp-uniform --json`: 1000 steps, probes every 50),
// so they measure what a user gets, TensorFlow's stderr filter included; trainMs excludes start-up.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** The median of a list of numbers (also for bench.mjs and benchHost.mjs). */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One CLI run; { trainMs, testAccuracy, threads, interOpThreads } or { error }. */
function cliRun(root, backend, env = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'gradient-lens.js'), 'train', '--preset', 'seed-mlp-uniform', '--backend', backend, '--json'],
    { encoding: 'utf8', cwd: root, env: { ...process.env, ...env } });
  if (r.status !== 0) return { error: (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`).replace(/^gradient-lens: /, '') };
  const out = JSON.parse(r.stdout);
  return { trainMs: out.trainMs, testAccuracy: out.testAccuracy, threads: out.backendInfo.threads, interOpThreads: out.backendInfo.interOpThreads, version: out.backendInfo.tensorflowVersion };
}

/**
 * Prints the table; returns the figures. `torch()` runs the PyTorch reference once and returns its
 * trainMs (undefined: not available, then only absolute times are printed).
 */
export function benchNative({ root, repeats = 5, torch, log = console.log }) {
  const cores = availableParallelism();
  const { nativeThreadRule } = requireBackend(root);
  const rule = nativeThreadRule(cores);
  const probe = cliRun(root, 'tensorflow', { TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '1' });
  const configs = [{ key: 'wasm', label: 'wasm (SIMD, 1 thread)', backend: 'wasm', env: {} }];
  if (probe.error) {
    log(`\nNative backend: tensorflow unavailable: ${probe.error}\n  (provision it offline with \`node scripts/nativeBackend.mjs\`; only wasm is measured)`);
  } else {
    for (let t = 1; t <= Math.min(cores, 8); t++) {
      configs.push({ key: `tf${t}`, label: `tensorflow ${t} intra-op, 1 inter-op${t === rule.intraOp ? '  (the rule here)' : ''}`, backend: 'tensorflow', env: { TF_NUM_INTRAOP_THREADS: String(t), TF_NUM_INTEROP_THREADS: '1' } });
    }
    // TensorFlow's own default: one thread per core in both pools.
    configs.push({ key: 'tfdefault', label: `tensorflow ${cores} intra-op, ${cores} inter-op (TensorFlow's default)`, backend: 'tensorflow', env: { TF_NUM_INTRAOP_THREADS: String(cores), TF_NUM_INTEROP_THREADS: String(cores) } });
  }
  log(`\nNative backend threads: seed-mlp-uniform, 1000 steps, probes every 50, ${cores} cores, ${repeats} rounds, each round alternating${torch ? ' PyTorch (1 thread) and' : ''} every configuration`);
  if (!probe.error) log(`  libtensorflow ${probe.version}; the rule: ${rule.intraOp} intra-op / ${rule.interOp} inter-op thread(s) on ${cores} cores (half the cores, 1 to 4; one op at a time)`);
  const rows = [];
  for (let i = 0; i < repeats; i++) {
    const round = { torch: torch ? torch() : undefined };
    for (const c of configs) round[c.key] = cliRun(root, c.backend, c.env);
    rows.push(round);
    log(`  round ${i + 1}: ${torch ? `PyTorch ${round.torch} ms, ` : ''}${configs.map((c) => `${c.key} ${round[c.key].error ? 'error' : `${round[c.key].trainMs} ms`}`).join(', ')}`);
  }
  const figures = {};
  log(`\n  ${'configuration'.padEnd(58)} ${'median'.padStart(9)}  ${torch ? 'ours / PyTorch 1 thread: median (pairs)' : ''}`);
  if (torch) log(`  ${'PyTorch 1 thread'.padEnd(58)} ${`${median(rows.map((r) => r.torch))} ms`.padStart(9)}`);
  for (const c of configs) {
    const ok = rows.filter((r) => !r[c.key].error);
    if (!ok.length) {
      log(`  ${c.label.padEnd(58)} error: ${rows[0][c.key].error}`);
      continue;
    }
    const ms = median(ok.map((r) => r[c.key].trainMs));
    const ratios = torch ? ok.map((r) => r[c.key].trainMs / r.torch) : [];
    figures[c.key] = { medianMs: ms, ratio: torch ? median(ratios) : undefined, ratios, accuracy: ok[0][c.key].testAccuracy };
    log(`  ${c.label.padEnd(58)} ${`${ms} ms`.padStart(9)}  ${torch ? `${median(ratios).toFixed(2)}  (${ratios.map((x) => x.toFixed(2)).join(', ')})` : ''}   accuracy ${ok[0][c.key].testAccuracy}`);
  }
  const ruleKey = `tf${rule.intraOp}`;
  const pairs = rows.filter((r) => r[ruleKey] && !r[ruleKey].error && r.tfdefault && !r.tfdefault.error).map((r) => r.tfdefault.trainMs / r[ruleKey].trainMs);
  if (pairs.length) {
    figures.ruleSpeedup = median(pairs);
    log(`  the rule against TensorFlow's default, same rounds: ${median(pairs).toFixed(2)}× faster (pairs ${pairs.map((x) => x.toFixed(2)).join(', ')})`);
  }
  const wasmPairs = rows.filter((r) => r[ruleKey] && !r[ruleKey].error && !r.wasm.error).map((r) => r.wasm.trainMs / r[ruleKey].trainMs);
  if (wasmPairs.length) log(`  tensorflow (the rule) against wasm, same rounds: ${median(wasmPairs).toFixed(2)}× faster (pairs ${wasmPairs.map((x) => x.toFixed(2)).join(', ')})`);
  return figures;
}

function requireBackend(root) {
  // The built core (out/, from `npm run build`): the rule the training process applies.
  return createRequire(join(root, 'package.json'))(join(root, 'out', 'src', 'core', 'backend.js'));
}
