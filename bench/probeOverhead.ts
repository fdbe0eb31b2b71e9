// What probing + diagnostics cost: trains seed-mlp-uniform (784 → 100 relu → 10, SGD 0.5, batch 100)
// with and without the probe hook + diagnostics engine at the default probe interval and size, on
// the default backend, and prints `probe overhead: X%` with both training times (docs/design.md's
// trainMs: the training loop, probes included, evaluation and start-up excluded).
//
// Runs alternate (without, with, without, with, ...) so load from other processes hits both alike;
// the medians are compared. A plain script, not a test: speed figures belong to benchmarks.
//
//   npx esbuild bench/probeOverhead.ts --bundle --platform=node --packages=external --outfile=out/bench/probeOverhead.js
//   node out/bench/probeOverhead.js [--reps 3] [--steps 1000] [--backend auto|tensorflow|wasm|cpu] [--probe-every 50] [--json]
import { selectBackend } from '../src/core/backend';
import { loadMnist } from '../src/core/mnist';
import { train, DEFAULT_PROBE_EVERY, DEFAULT_PROBE_EXAMPLES } from '../src/core/trainer';
import { findPreset } from '../src/core/presets';
import { createDiagnosticsEngine } from '../src/core/diagnostics/engine';
import type { BackendRequest } from '../src/core/events';
import { median } from './util';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

function positive(name: string, fallback: number): number {
  const v = Number(arg(name, String(fallback)));
  if (!Number.isInteger(v) || v < 1) {
    console.error(`probeOverhead: --${name} must be a positive integer, got ${arg(name, '')}`);
    process.exit(2);
  }
  return v;
}

async function main(): Promise<void> {
  const reps = positive('reps', 3);
  const steps = positive('steps', 1000);
  const probeEvery = positive('probe-every', DEFAULT_PROBE_EVERY);
  const request = arg('backend', 'auto') as BackendRequest;
  const json = process.argv.includes('--json');
  const backend = await selectBackend(request);
  const data = loadMnist();
  const spec = { ...findPreset('seed-mlp-uniform')!.spec, steps };

  const plain: number[] = [];
  const probed: number[] = [];
  const probeMs: number[] = [];
  const engineMs: number[] = [];
  let probes = 0;
  // one untimed warm-up run (wasm compiles kernels on first use)
  await train({ ...spec, steps: Math.min(steps, 50) }, { backend, data });
  for (let r = 0; r < reps; r++) {
    const a = await train(spec, { backend, data });
    plain.push(a.end.trainMs);

    const engine = createDiagnosticsEngine();
    let inEngine = 0;
    probes = 0;
    const b = await train(spec, {
      backend, data, probeEvery,
      onProbe: (p) => {
        const t0 = performance.now();
        engine.onProbe(p);
        inEngine += performance.now() - t0;
        probes++;
      },
    });
    engine.onEnd(b.end, b.finalEval);
    probed.push(b.end.trainMs);
    probeMs.push(b.end.probeMs);
    engineMs.push(inEngine);
  }

  const without = median(plain);
  const withProbe = median(probed);
  // Two estimates. A/B: per pair of runs (without, with), the relative difference of loop times; the
  // median over pairs (catches indirect costs, but other processes' load adds noise). In-run: time
  // spent inside probes / the rest of the same run's loop (the probe is the only extra work, so it is
  // robust to load). The headline is the larger of the two, unless the machine is so busy that the
  // runs without probes vary by more than 10% among themselves: then A/B is noise and in-run counts.
  const abOverhead = median(probed.map((t, i) => (t - plain[i]) / plain[i]));
  const inRun = median(probed.map((t, i) => probeMs[i] / (t - probeMs[i])));
  const mean = plain.reduce((a, b) => a + b, 0) / plain.length;
  const spread = Math.sqrt(plain.reduce((a, b) => a + (b - mean) ** 2, 0) / plain.length) / mean;
  const busy = spread > 0.1;
  const overhead = busy ? inRun : Math.max(abOverhead, inRun);
  const result = {
    backend: backend.info.name, steps, reps, probeEvery, probeExamples: DEFAULT_PROBE_EXAMPLES, probes,
    trainMsWithout: Math.round(without), trainMsWith: Math.round(withProbe), overheadPercent: Number((overhead * 100).toFixed(1)),
    abOverheadPercent: Number((abOverhead * 100).toFixed(1)), inRunOverheadPercent: Number((inRun * 100).toFixed(1)),
    runSpreadPercent: Number((spread * 100).toFixed(1)), busy,
    probeMs: Math.round(median(probeMs)), engineMs: Math.round(median(engineMs)),
    runsWithout: plain.map(Math.round), runsWith: probed.map(Math.round),
  };
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(`seed-mlp-uniform, ${steps} steps, backend ${result.backend}, ${reps} alternating runs each (medians)`);
  console.log(`  without probes: ${result.trainMsWithout} ms   (runs: ${result.runsWithout.join(', ')})`);
  console.log(`  with probes:    ${result.trainMsWith} ms   (runs: ${result.runsWith.join(', ')}; ${probes} probes of ${DEFAULT_PROBE_EXAMPLES} images every ${probeEvery} steps)`);
  console.log(`  inside probes:  ${result.probeMs} ms, of which the diagnostics engine ${result.engineMs} ms`);
  console.log(`  A/B (median over pairs): ${result.abOverheadPercent}%   in-run (probe time / rest of the loop): ${result.inRunOverheadPercent}%`);
  if (busy) console.log(`  (runs without probes vary by ${result.runSpreadPercent}%: the machine is busy, A/B is noise; the headline is the in-run figure)`);
  console.log(`probe overhead: ${result.overheadPercent}%`);
}

main().catch((e: unknown) => {
  console.error(`probeOverhead: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
