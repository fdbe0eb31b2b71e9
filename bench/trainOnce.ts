// One training run in a fresh process, for scripts/bench.mjs and bench/ladder.ts: prints one JSON line with
// the run's figures, where its time went (PhaseTimes) and this process's peak RSS.
//   node out/bench/trainOnce.js PRESET|SPEC.json BACKEND PROBE_EVERY [STEPS] [--warm-up N]
//   node out/bench/trainOnce.js --check BACKEND      (prints {"backend", "ok", "reason"?}: can it load here?)
// The diagnostics engine is fed every probe, as in `gradient-lens train` (src/core/run.ts); PROBE_EVERY 0 runs
// without probes and without the engine. --warm-up N first trains the same spec for N steps (same probes, its own
// engine) and throws the result away, as bench/torch_reference.py does before its clock: the one-time costs of a
// process (TensorFlow's first run of each op shape, the JIT compiling the trainer and the diagnostics) are then
// paid outside the timed run. Without it the run is a user's first run in a fresh process.
import { readFileSync } from 'node:fs';
import { loadMnist, classShares } from '../src/core/mnist';
import { selectBackend } from '../src/core/backend';
import { train } from '../src/core/trainer';
import { findPreset } from '../src/core/presets';
import { parameterCount, parseSpec } from '../src/core/spec';
import { startDiagnostics } from '../src/core/diagnostics/engineThread';
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
  const w = args.indexOf('--warm-up');
  const warmUp = w >= 0 ? Number(args.splice(w, 2)[1]) : 0;
  const [what = 'seed-mlp-uniform', backendName = 'auto', probeEveryArg = '50', steps] = args;
  const base = what.endsWith('.json') ? parseSpec(JSON.parse(readFileSync(what, 'utf8'))) : findPreset(what)?.spec;
  if (!base) throw new Error(`unknown preset ${what}`);
  const spec = { ...base, steps: steps ? Number(steps) : base.steps };
  const probeEvery = Number(probeEveryArg);
  const data = loadMnist();
  // GRADIENT_LENS_NATIVE_BACKEND: a tfjs-node installation elsewhere, as the native tests name it
  const backend = await selectBackend(backendName as BackendRequest, {}, { nativePath: process.env.GRADIENT_LENS_NATIVE_BACKEND || undefined });
  const options = { testClassPrior: classShares(data.test.labels) };
  // The engine as `gradient-lens train` runs it (src/core/run.ts): beside the loop, on a worker thread where
  // there is a second core and the model is not small (GRADIENT_LENS_DIAGNOSTICS_THREAD=0: inline).
  const withEngine = async (s: typeof spec) => {
    let probes = 0;
    // no probes (the off runs): no thread beside the loop either
    const diagnostics = startDiagnostics(options, {}, { thread: probeEvery > 0 ? undefined : false, parameters: parameterCount(s) });
    try {
      const r = await train(s, { backend, data, probeEvery, onEvent: (e) => diagnostics.event(e), onProbe: probeEvery > 0 ? (p) => { probes++; diagnostics.probe(p); } : undefined });
      // The wait, after the loop and its final evaluation, for the engine to finish the last probes: counted in
      // the training time below, so work moved off the training thread cannot leave the clock.
      const t0 = performance.now();
      const findings = probeEvery > 0 ? (await diagnostics.end(r.end, r.finalEval)).map((f) => f.code) : [];
      return { r, probes, findings, drainMs: performance.now() - t0, engineMs: diagnostics.engineMs(), threaded: diagnostics.threaded };
    } finally {
      diagnostics.close();
    }
  };
  if (warmUp > 0) await withEngine({ ...spec, steps: Math.min(warmUp, spec.steps) });
  const { r, probes, findings, drainMs, engineMs, threaded } = await withEngine(spec);
  const round = (x: number): number => Math.round(x * 10) / 10;
  process.stdout.write(JSON.stringify({
    preset: what, name: spec.name, backend: backend.info.name, steps: r.end.steps, probeEvery, probes, warmUpSteps: Math.min(warmUp, spec.steps),
    trainMs: round(r.end.trainMs + drainMs), probeMs: round(r.end.probeMs), engineMs: round(engineMs), engineThread: threaded, drainMs: round(drainMs),
    phases: Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, round(v)])),
    testAccuracy: r.end.testAccuracy, findings, maxRssMB: round(process.resourceUsage().maxRSS / 1024),
  }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
