// One training run in a fresh process, for scripts/bench.mjs: prints one JSON line with the run's
// figures and this process's peak RSS. Usage: node out/bench/trainOnce.js PRESET BACKEND PROBE_EVERY [STEPS]
import { loadMnist } from '../src/core/mnist';
import { selectBackend } from '../src/core/backend';
import { runWithDiagnostics } from '../src/core/run';
import { findPreset } from '../src/core/presets';
import type { BackendRequest } from '../src/core/events';

async function main(): Promise<void> {
  const [presetId = 'seed-mlp-uniform', backendName = 'auto', probeEvery = '50', steps] = process.argv.slice(2);
  const preset = findPreset(presetId);
  if (!preset) throw new Error(`unknown preset ${presetId}`);
  const data = loadMnist();
  const backend = await selectBackend(backendName as BackendRequest);
  const spec = { ...preset.spec, steps: steps ? Number(steps) : preset.spec.steps };
  const s = await runWithDiagnostics(spec, { backend, data, probeEvery: Number(probeEvery) });
  process.stdout.write(JSON.stringify({
    preset: presetId, backend: s.backend, steps: s.steps, trainMs: s.trainMs, probeMs: s.probeMs,
    testAccuracy: s.testAccuracy, findings: s.findings.map((f) => f.code), maxRssMB: process.resourceUsage().maxRSS / 1024,
  }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
