// One training run in a fresh process, for scripts/bench.mjs and bench/ladder.ts: prints one JSON line with
// the run's figures, where its time went (PhaseTimes) and this process's peak RSS.
//   node out/bench/trainOnce.js PRESET|SPEC.json BACKEND PROBE_EVERY [STEPS]
//   node out/bench/trainOnce.js --check BACKEND      (prints {"backend", "ok", "reason"?}: can it load here?)
// The diagnostics engine is fed every probe, as in `gradient-lens train` (src/core/run.ts); PROBE_EVERY 0 runs
// without probes and without the engine.
import { readFileSync } from 'node:fs';
import { loadMnist, classShares } from '../src/core/mnist';
import { selectBackend } from '../src/core/backend';
import { train } from '../src/core/trainer';
import { findPreset } from '../src/core/presets';
import { parseSpec } from '../src/core/spec';
import { createDiagnosticsEngine } from '../src/core/diagnostics/engine';
import type { BackendRequest } from '../src/core/events';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--check') {
    try {
      const b = await selectBackend(args[1] as BackendRequest);
      process.stdout.write(JSON.stringify({ backend: b.info.name, ok: true }) + '\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ backend: args[1], ok: false, reason: (e as Error).message.split('\n')[0] }) + '\n');
    }
    return;
  }
  const [what = 'seed-mlp-uniform', backendName = 'auto', probeEveryArg = '50', steps] = args;
  const base = what.endsWith('.json') ? parseSpec(JSON.parse(readFileSync(what, 'utf8'))) : findPreset(what)?.spec;
  if (!base) throw new Error(`unknown preset ${what}`);
  const spec = { ...base, steps: steps ? Number(steps) : base.steps };
  const probeEvery = Number(probeEveryArg);
  const data = loadMnist();
  const backend = await selectBackend(backendName as BackendRequest);
  const engine = createDiagnosticsEngine({ testClassPrior: classShares(data.test.labels) });
  let engineMs = 0;
  let probes = 0;
  const r = await train(spec, {
    backend, data, probeEvery,
    onProbe: probeEvery > 0 ? (p) => {
      const t0 = performance.now();
      engine.onProbe(p);
      engineMs += performance.now() - t0;
      probes++;
    } : undefined,
  });
  const findings = probeEvery > 0 ? engine.onEnd(r.end, r.finalEval).map((f) => f.code) : [];
  const round = (x: number): number => Math.round(x * 10) / 10;
  process.stdout.write(JSON.stringify({
    preset: what, name: spec.name, backend: backend.info.name, steps: r.end.steps, probeEvery, probes,
    trainMs: round(r.end.trainMs), probeMs: round(r.end.probeMs), engineMs: round(engineMs),
    phases: Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, round(v)])),
    testAccuracy: r.end.testAccuracy, findings, maxRssMB: round(process.resourceUsage().maxRSS / 1024),
  }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
