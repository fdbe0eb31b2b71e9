// `npm run bench -- sweep [--backends tensorflow,wasm[,cpu]] [--repeats N] [--steps N] [--warm-up N] [--no-diagnostics]`:
// K = 1, 2, 4, 6 variants of the seed MLP (the init sweep of seed-mlp-uniform: its own U(±0.01), zeros, N(0, 1),
// U(±0.01), glorotUniform, heNormal; 784-100-10, batch 100, SGD 0.5, 1000 steps, probes every 50 with one
// diagnostics engine per variant) trained together (src/core/sweep.ts), each paired with ONE run of trainer.ts
// (same probes, its engine) in the same process, on every backend that loads here (the JS cpu backend only when
// asked: ≈ 45 s per run). One fresh process per backend; each first trains a run and a six-variant sweep for
// --warm-up steps (default 100) and throws them away, as bench/trainOnce.ts --warm-up does. Printed per K: wall ms
// and CPU ms (user + system of the whole process over the whole call — batch upload and final evaluations
// included —, steadier on a shared machine) of the one run and of the sweep,
// their ratios, where the sweep's time went, and the goal (issue 23: K = 6 in ≤ 2× one run on tensorflow, ≤ 2.5×
// on wasm), for the backend's default layout (src/core/sweep.ts defaultLayout). Also: the six variants in the other
// layouts, and the first layer's two products per call at width 100 and 600, to show where the time goes.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { selectBackend, type LoadedBackend } from '../src/core/backend';
import { loadMnist, classShares, type MnistData } from '../src/core/mnist';
import { findPreset } from '../src/core/presets';
import { parameterCount, type ModelSpec } from '../src/core/spec';
import { train, type PhaseTimes } from '../src/core/trainer';
import { defaultLayout, trainTogether, type SweepLayout } from '../src/core/sweep';
import { SWEEP_INITIALIZERS } from '../src/core/sweeps';
import { startDiagnostics, type ThreadedDiagnostics } from '../src/core/diagnostics/engineThread';
import type { BackendName } from '../src/core/events';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { arg, median } from './util';

const GOAL: Record<BackendName, number | undefined> = { tensorflow: 2, wasm: 2.5, cpu: undefined };
const KS = [1, 2, 4, 6];
const noDiagnostics = process.argv.includes('--no-diagnostics');

interface Timed {
  /** The training loop's wall time (trainMs: probes in, evaluations out) and the engines' final wait. */
  wallMs: number;
  /** CPU time (user + system, every thread of the process) of the whole call: batch upload, loop, final evaluations. */
  cpuMs: number;
  phases: PhaseTimes;
  accuracies: number[];
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function withEngines<T>(specs: ModelSpec[], data: MnistData, f: (engines: ThreadedDiagnostics[]) => Promise<T>): Promise<{ r: T }> {
  const testClassPrior = classShares(data.test.labels);
  // as src/core/sweepRun.ts: one engine per variant, on this thread (the seed MLP is below the thread threshold anyway)
  const engines = specs.map((s): ThreadedDiagnostics => (noDiagnostics
    ? { threaded: false, event: () => undefined, probe: () => undefined, end: async () => [], engineMs: () => 0, close: () => undefined }
    : startDiagnostics({ testClassPrior }, {}, { thread: false, parameters: parameterCount(s) })));
  try {
    const r = await f(engines);
    return { r };
  } finally {
    for (const e of engines) e.close();
  }
}

async function oneRun(backend: LoadedBackend, data: MnistData, spec: ModelSpec): Promise<Timed> {
  const c0 = cpuNow();
  let drain = 0;
  const { r } = await withEngines([spec], data, async ([engine]) => {
    const res = await train(spec, { backend, data, probeEvery: 50, onEvent: (e) => engine.event(e), onProbe: (p) => engine.probe(p) });
    const t0 = performance.now();
    await engine.end(res.end, res.finalEval);
    drain = performance.now() - t0;
    return res;
  });
  return { wallMs: r.end.trainMs + drain, cpuMs: cpuNow() - c0, phases: r.phases, accuracies: [r.end.testAccuracy] };
}

async function sweepRun(backend: LoadedBackend, data: MnistData, specs: ModelSpec[], layout: SweepLayout): Promise<Timed & { together: boolean; groups: number }> {
  const c0 = cpuNow();
  let drain = 0;
  const { r } = await withEngines(specs, data, async (engines) => {
    const res = await trainTogether(specs, { backend, data, probeEvery: 50, layout, onEvent: (k, e) => engines[k].event(e), onProbe: (k, p) => engines[k].probe(p) });
    const t0 = performance.now();
    await Promise.all(res.variants.map((v, k) => engines[k].end(v.end, v.finalEval)));
    drain = performance.now() - t0;
    return res;
  });
  return {
    wallMs: r.trainMs + drain, cpuMs: cpuNow() - c0, phases: r.phases,
    accuracies: r.variants.map((v) => v.end.testAccuracy), together: r.together, groups: r.groups.length,
  };
}

/** ms per call (wall, median of 5 batches of `n`) of the first layer's forward and weight-gradient products at `width`. */
function products(backend: LoadedBackend, width: number, n = 30): { forward: number; weightGrad: number; split: number } {
  const { tf, info } = backend;
  const x = tf.randomUniform([100, 784]) as Tensor2D;
  const w = tf.randomNormal([784, width], 0, 0.05) as Tensor2D;
  const b = tf.randomNormal([width]);
  const dz = tf.randomNormal([100, width]) as Tensor2D;
  const fwd = (): Tensor2D => (info.name === 'tensorflow' ? tf.tidy(() => tf.relu(tf.add(tf.matMul(x, w), b))) : tf.fused.matMul({ a: x, b: w, bias: b, activation: 'relu' })) as Tensor2D;
  const grad = (): Tensor2D => tf.tidy(() => (info.name === 'wasm' ? tf.matMul(tf.transpose(x), dz) : tf.matMul(x, dz, true, false)));
  const time = (f: () => unknown): number => {
    const runs: number[] = [];
    for (let rep = 0; rep < 5; rep++) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) tf.dispose(f() as Tensor2D);
      runs.push((performance.now() - t0) / n);
    }
    return median(runs);
  };
  const r = { forward: time(fwd), weightGrad: time(grad), split: width > 100 ? time(() => tf.split(dz, width / 100, 1)) : 0 };
  tf.dispose([x, w, b, dz]);
  return r;
}

async function child(backendName: BackendName): Promise<void> {
  const repeats = Number(arg('repeats') ?? 1);
  const steps = Number(arg('steps') ?? 1000);
  const warmUp = Number(arg('warm-up') ?? 100);
  const data = loadMnist();
  const backend = await selectBackend(backendName, {}, { nativePath: process.env.GRADIENT_LENS_NATIVE_BACKEND || undefined });
  const base = { ...findPreset('seed-mlp-uniform')!.spec, steps };
  // its own U(±0.01) and all five initialisers of an init sweep (the sweep itself skips the repeated U(±0.01)): K up to 6
  const variants = [base, ...SWEEP_INITIALIZERS.map(({ init }) => ({ ...base, layers: base.layers.map((l, i) => (i === 0 ? { ...l, kernelInitializer: init } : l)) }))];
  const f0 = (x: number): string => x.toFixed(0);
  const f2 = (x: number): string => x.toFixed(2);
  const threads = backend.info.name === 'tensorflow' ? `, ${backend.info.threads} intra-op thread(s)` : '';
  console.log(`\n${backend.info.name}${threads}: seed MLP, ${steps} steps, probes every 50${noDiagnostics ? ' (no diagnostics engine)' : ', one diagnostics engine per variant'}, ${repeats} pair(s) per K, load average ${loadavg().map(f2).join(' ')}`);
  if (warmUp > 0) {
    await oneRun(backend, data, { ...base, steps: warmUp });
    await sweepRun(backend, data, variants.map((s) => ({ ...s, steps: warmUp })), 'concat');
  }
  const p1 = products(backend, 100);
  const p6 = products(backend, 600);
  console.log(`  first layer per call (wall ms): forward X·W ${f2(p1.forward)} at width 100, ${f2(p6.forward)} at 600 (${f2(p6.forward / p1.forward)}×); weight gradient Xᵀ·dZ ${f2(p1.weightGrad)} / ${f2(p6.weightGrad)} (${f2(p6.weightGrad / p1.weightGrad)}×); split [100, 600] in 6: ${f2(p6.split)}`);
  console.log('  K  layout    one run ms (cpu)   together ms (cpu)   ratio wall (cpu)   together: forward / backward / update / probe ms   accuracies');
  const rows: { k: number; layout: SweepLayout; ratio: number; cpuRatio: number }[] = [];
  // K = 1, 2, 4, 6 in the backend's default layout (what a user gets), then K = 6 in the others
  const layout0 = defaultLayout(backend.info.name, base.layers.length);
  const others = (['stacked', 'concat', 'lockstep'] as const).filter((l) => l !== layout0 && !(l === 'stacked' && backend.info.name === 'wasm'));
  const cases: [number, SweepLayout][] = [...KS.map((k): [number, SweepLayout] => [k, layout0]), ...others.map((l): [number, SweepLayout] => [6, l])];
  for (const [k, layout] of cases) {
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (let rep = 0; rep < repeats; rep++) {
      // the order flips every pair, so a drift in the machine's load does not favour one side
      const first = rep % 2 === 0;
      const a = first ? await oneRun(backend, data, base) : undefined;
      const s = await sweepRun(backend, data, variants.slice(0, k), layout);
      const one = a ?? await oneRun(backend, data, base);
      ratios.push(s.wallMs / one.wallMs);
      cpuRatios.push(s.cpuMs / one.cpuMs);
      const ph = s.phases;
      console.log(`  ${String(k).padEnd(2)} ${layout.padEnd(9)} ${`${f0(one.wallMs)} (${f0(one.cpuMs)})`.padEnd(18)} ${`${f0(s.wallMs)} (${f0(s.cpuMs)})`.padEnd(19)} ${`${f2(s.wallMs / one.wallMs)} (${f2(s.cpuMs / one.cpuMs)})`.padEnd(18)} ${`${f0(ph.forwardMs)} / ${f0(ph.backwardMs)} / ${f0(ph.updateMs)} / ${f0(ph.probeMs)}`.padEnd(49)} ${s.accuracies.map((x) => x.toFixed(4)).join(' ')}${s.together ? '' : ' (NOT together)'}`);
    }
    rows.push({ k, layout, ratio: median(ratios), cpuRatio: median(cpuRatios) });
  }
  const goal = GOAL[backend.info.name];
  const six = rows.find((r) => r.k === 6 && r.layout === layout0)!;
  console.log(`  medians: ${rows.map((r) => `K=${r.k}${r.layout === layout0 ? '' : ` ${r.layout}`} ${f2(r.ratio)}× (cpu ${f2(r.cpuRatio)}×)`).join(', ')}`);
  if (goal !== undefined) {
    const verdict = (x: number): string => (x <= goal ? 'met' : 'NOT met');
    console.log(`  goal: K = 6 in ≤ ${goal}× one run on ${backend.info.name} (${layout0}, the default): wall ${f2(six.ratio)}× ${verdict(six.ratio)}, CPU ${f2(six.cpuRatio)}× ${verdict(six.cpuRatio)} (six runs one after another: 6×)`);
  }
  console.log(`  load average at the end ${loadavg().map(f2).join(' ')}`);
}

function main(): void {
  const backendArg = arg('backend');
  if (backendArg) {
    child(backendArg as BackendName).catch((e) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    });
    return;
  }
  const backends = (arg('backends') ?? 'tensorflow,wasm').split(',');
  const rest = process.argv.slice(2).filter((a, i, all) => a !== '--backends' && all[i - 1] !== '--backends');
  console.log(`Sweeps trained together (issue 23): K variants of the seed MLP against one run, paired, in one process per backend (node ${process.version})`);
  let failed = false;
  for (const b of backends) {
    const check = spawnSync(process.execPath, [`${__dirname}/trainOnce.js`, '--check', b], { encoding: 'utf8' });
    const ok = (() => { try { return JSON.parse(check.stdout.trim().split('\n').pop() ?? '{}') as { ok?: boolean; reason?: string }; } catch { return { ok: false, reason: check.stderr.trim() }; } })();
    if (!ok.ok) {
      console.log(`\n${b}: unavailable (${ok.reason})`);
      continue;
    }
    const r = spawnSync(process.execPath, [__filename, '--backend', b, ...rest], { stdio: 'inherit', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' } });
    if (r.status !== 0) failed = true;
  }
  if (failed) process.exitCode = 1;
}

main();
