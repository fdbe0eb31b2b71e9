// `npm run bench -- parity`: the PyTorch importer's default init, checked against PyTorch itself.
//
// A PyTorch program with nothing written about initialisation (test/fixtures/programs/torch_net_default_init.py:
// 784 → 100 ReLU → 10, SGD 0.1, DataLoader batch 100, 2 epochs = 1200 steps) is read by our importer, which
// expresses nn.Linear's default exactly as U(±1/√fan_in) for every weight and bias. Our trainer trains that spec;
// PyTorch (bench/torch_parity.py, on top of bench/torch_reference.py) trains the same architecture the same way —
// nn.Linear's own default initialisation (nothing re-drawn), the same optimizer, mean softmax cross-entropy,
// batches in order — for the same seeds. The test accuracies must agree within 0.01 (mean over the seeds; each
// pair is shown). Different random draws on the two sides make the per-seed figures differ by a few 0.001.
//
//   node out/bench/torchParity.js [FILE] [--seeds 1,2,3] [--backend auto|tensorflow|wasm|cpu]
// Exit 0: within 0.01; 1: not; 2: cannot run (no .venv with torch, or the file's spec is not nn.Linear's default).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { importSource } from '../src/core/importers/index';
import { defaultMnistDir, loadMnist } from '../src/core/mnist';
import { selectBackend } from '../src/core/backend';
import { runWithDiagnostics } from '../src/core/run';
import { describeArchitecture, describeInitializer } from '../src/core/spec';
import type { BackendRequest } from '../src/core/events';
import { arg, root, torchAvailable, torchPython } from './util';

const TOLERANCE = 0.01;

async function main(): Promise<number> {
  const file = process.argv.slice(2).find((a, i, xs) => !a.startsWith('--') && !(xs[i - 1] ?? '').startsWith('--'))
    ?? join(root, 'test', 'fixtures', 'programs', 'torch_net_default_init.py');
  const seeds = (arg('seeds') ?? '1,2,3').split(',').map(Number);
  if (!torchAvailable()) {
    console.error('parity: .venv with torch is needed (python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 numpy)');
    return 2;
  }
  const r = importSource(file, readFileSync(file, 'utf8'));
  if (!r?.spec.ok) {
    console.error(`parity: ${file} gives no valid spec`);
    return 2;
  }
  const spec = r.spec.spec;
  console.log(`\nPyTorch parity: ${relative(root, file)} (${r.language}) → ${describeArchitecture(spec)}; ${spec.optimizer.type} lr ${spec.optimizer.learningRate}, batch ${spec.batchSize}, ${spec.steps} steps`);
  spec.layers.forEach((l, i) => console.log(`  layers[${i}]: kernel ${describeInitializer(l.kernelInitializer)}, bias ${describeInitializer(l.biasInitializer)}`));

  const data = loadMnist();
  const backend = await selectBackend((arg('backend') ?? 'auto') as BackendRequest);
  const ours: number[] = [];
  for (const seed of seeds) {
    const s = await runWithDiagnostics({ ...spec, seed }, { backend, data });
    ours.push(s.testAccuracy);
  }
  const py = spawnSync(torchPython, [join(root, 'bench', 'torch_parity.py'), '--data', defaultMnistDir(), '--spec', '-', '--seeds', seeds.join(',')], {
    input: JSON.stringify(spec), encoding: 'utf8', maxBuffer: 1 << 24,
  });
  if (py.status !== 0) {
    console.error(`parity: PyTorch side failed: ${py.stderr.trim()}`);
    return 2;
  }
  const torch = JSON.parse(py.stdout) as { runs: { seed: number; testAccuracy: number }[]; torch: string };
  console.log(`\n  seed  ours (${backend.info.name})  PyTorch ${torch.torch}  difference`);
  seeds.forEach((seed, i) => {
    const t = torch.runs[i].testAccuracy;
    console.log(`  ${String(seed).padEnd(4)}  ${ours[i].toFixed(4).padEnd(13)}  ${t.toFixed(4).padEnd(13)}  ${(ours[i] - t >= 0 ? '+' : '') + (ours[i] - t).toFixed(4)}`);
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const mo = mean(ours);
  const mt = mean(torch.runs.map((x) => x.testAccuracy));
  const ok = Math.abs(mo - mt) <= TOLERANCE;
  console.log(`  mean  ${mo.toFixed(4).padEnd(13)}  ${mt.toFixed(4).padEnd(13)}  ${(mo - mt >= 0 ? '+' : '') + (mo - mt).toFixed(4)}  → ${ok ? 'within' : 'NOT within'} ${TOLERANCE}`);
  process.stdout.write(`${JSON.stringify({ file: relative(root, file), backend: backend.info.name, steps: spec.steps, seeds, ours, torch: torch.runs.map((x) => x.testAccuracy), meanOurs: mo, meanTorch: mt, within: ok })}\n`);
  return ok ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  console.error(`parity: ${(e as Error).message}`);
  process.exitCode = 2;
});
