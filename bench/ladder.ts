// `npm run bench -- ladder`: how the cost of a run grows with the model, against PyTorch on the same machine.
//
// Three rungs (the seed MLP, a 512-wide and a 1024-wide MLP) × every backend that loads here. For each rung and
// backend, PAIRS pairs of runs alternate: ours with diagnostics (a probe every 50 steps, the engine fed), the
// PyTorch reference (bench/torch_reference.py, 1 thread, same spec) and ours with probes off; the order flips every
// pair so slow drift hits every kind alike. Every run is a fresh process (bench/trainOnce.ts), so peak RSS and
// start-up are per run. Reported per rung and backend: median training times, the ratio ours / PyTorch per pair and
// its median, where our time went (forward / backward / update / probe / eval, medians over the probed runs), the
// probe overhead (time inside probes over the rest of the loop, and the paired on/off difference) and the peak RSS.
//
// Timing rule, the same on both sides: the PyTorch reference trains 20 throwaway steps of the spec before its clock
// starts (model creation + loop inside the clock); ours does the same in its process (trainOnce --warm-up 20: same
// probes, its own diagnostics engine), so one-time costs — TensorFlow's first run of each op shape, V8 compiling
// the trainer and the diagnostics — stay outside both clocks. --cold measures ours without it (a user's first run).
// The tensorflow backend runs with TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1, as PyTorch runs on one thread.
// The plain JS cpu backend is left out unless asked for (--backends cpu): it is the last resort, and the wide rungs
// would take it hours.
//
//   node out/bench/ladder.js [--rungs 1,2,3] [--backends tensorflow,wasm] [--pairs 3] [--steps N] [--no-off] [--no-torch] [--cold] [--json FILE]
// --steps overrides every rung's step count (short profiling runs); the default is each rung's own.
// The diagnostics engine runs as in `gradient-lens train`: on a worker thread where there is a second core, so
// `probe ms` (the training thread's share: the probe batch's passes, reading back, handing over) and `engine ms`
// (the engine's own time, beside the loop) are apart, and the on/off ratio is what diagnostics cost the run.
// GRADIENT_LENS_DIAGNOSTICS_THREAD=0 runs the engine inline (its time then inside `probe ms`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseSpec, type ModelSpec } from '../src/core/spec';
import { findPreset } from '../src/core/presets';
import { defaultMnistDir } from '../src/core/mnist';
import type { BackendName } from '../src/core/events';
import { arg, median, root, torchAvailable, torchPython } from './util';

export interface Rung {
  id: number;
  label: string;
  spec: ModelSpec;
}

const he = (units: number) => ({ units, activation: 'relu', kernelInitializer: 'heNormal' });
const out = { units: 10, activation: 'softmax', kernelInitializer: 'glorotUniform' };

export const RUNGS: Rung[] = [
  { id: 1, label: 'seed MLP 784-100-10, SGD 0.5, batch 100, 1000 steps', spec: findPreset('seed-mlp-uniform')!.spec },
  {
    id: 2, label: '784-512-512-10 relu, Adam 1e-3, batch 128, 500 steps',
    spec: parseSpec({ name: 'ladder-2', layers: [he(512), he(512), out], optimizer: { type: 'adam', learningRate: 1e-3 }, batchSize: 128, steps: 500 }),
  },
  {
    id: 3, label: '784-1024-1024-1024-10 relu, Adam 1e-3, batch 256, 150 steps',
    spec: parseSpec({ name: 'ladder-3', layers: [he(1024), he(1024), he(1024), out], optimizer: { type: 'adam', learningRate: 1e-3 }, batchSize: 256, steps: 150 }),
  },
];

const PROBE_EVERY = 50;

interface OursRun {
  backend: BackendName;
  steps: number;
  probes: number;
  trainMs: number;
  probeMs: number;
  engineMs: number;
  engineThread?: boolean;
  phases: { forwardMs: number; backwardMs: number; updateMs: number; probeMs: number; evalMs: number };
  testAccuracy: number;
  maxRssMB: number;
}

interface TorchRun {
  trainMs: number;
  testAccuracy: number;
  maxRssMB: number;
}

const trainOnce = join(root, 'out', 'bench', 'trainOnce.js');
const torchScript = join(root, 'bench', 'torch_reference.py');

function envFor(backend: BackendName): NodeJS.ProcessEnv {
  if (backend !== 'tensorflow') return process.env;
  return { TF_CPP_MIN_LOG_LEVEL: '3', ...process.env, TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '1' };
}

function available(backend: BackendName): { ok: boolean; reason?: string } {
  const r = spawnSync(process.execPath, [trainOnce, '--check', backend], { encoding: 'utf8', env: envFor(backend) });
  if (r.status !== 0) return { ok: false, reason: r.stderr.trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const WARM_UP_STEPS = 20;
const cold = process.argv.includes('--cold');

function ours(specFile: string, backend: BackendName, probeEvery: number, steps: number): OursRun {
  const warm = cold ? [] : ['--warm-up', String(WARM_UP_STEPS)];
  const r = spawnSync(process.execPath, [trainOnce, specFile, backend, String(probeEvery), String(steps), ...warm], { encoding: 'utf8', env: envFor(backend), maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`ours (${backend}) failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function torch(specFile: string, steps: number): TorchRun {
  const r = spawnSync(torchPython, [torchScript, '--data', defaultMnistDir(), '--spec', specFile, '--threads', '1', '--steps', String(steps)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch reference failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

interface Cell {
  rung: number;
  backend: BackendName;
  steps: number;
  pairs: number;
  oursMs: number;
  oursOffMs?: number;
  torchMs?: number;
  ratio?: number;
  ratios: number[];
  ratioOff?: number;
  phases: OursRun['phases'];
  perStepMs: { forward: number; backward: number; update: number };
  probes: number;
  engineMs: number;
  /** The diagnostics engine ran on a worker thread (src/core/diagnostics/engineThread.ts). */
  engineThread?: boolean;
  probeOverheadInRun: number;
  probeOverheadPaired?: number;
  maxRssMB: number;
  maxRssOffMB?: number;
  torchMaxRssMB?: number;
  accuracy: number;
  torchAccuracy?: number;
  runs: { on: number[]; off: number[]; torch: number[] };
}

function main(): void {
  const rungIds = (arg('rungs') ?? '1,2,3').split(',').map(Number);
  const requested = (arg('backends') ?? 'tensorflow,wasm').split(',') as BackendName[];
  const pairs = Number(arg('pairs') ?? 3);
  const stepsOverride = arg('steps') ? Number(arg('steps')) : undefined;
  const withOff = !process.argv.includes('--no-off');
  const withTorch = !process.argv.includes('--no-torch') && torchAvailable();
  const jsonFile = arg('json') ?? join(root, 'test-output', 'ladder.json');

  const backends: BackendName[] = [];
  for (const b of requested) {
    const a = available(b);
    if (a.ok) backends.push(b);
    else console.log(`${b}: unavailable (${a.reason})`);
  }
  if (!requested.includes('cpu')) console.log('cpu: left out (the last-resort backend; --backends cpu to include it)');
  if (!withTorch) console.log('PyTorch reference: not run (set up with: python3 -m venv .venv && .venv/bin/pip install torch==2.13.0 numpy)');
  const dir = mkdtempSync(join(tmpdir(), 'gl-ladder-'));
  const cells: Cell[] = [];
  try {
    for (const id of rungIds) {
      const rung = RUNGS.find((r) => r.id === id);
      if (!rung) throw new Error(`no rung ${id} (rungs: ${RUNGS.map((r) => r.id).join(', ')})`);
      const steps = stepsOverride ?? rung.spec.steps;
      const specFile = join(dir, `rung${id}.json`);
      writeFileSync(specFile, JSON.stringify({ ...rung.spec, steps }));
      console.log(`\nrung ${id}: ${rung.label}${stepsOverride ? ` (${steps} steps)` : ''}`);
      for (const backend of backends) {
        const on: OursRun[] = [];
        const off: OursRun[] = [];
        const ref: TorchRun[] = [];
        // one untimed run first (page cache) so the first pair is not special
        ours(specFile, backend, 0, Math.min(steps, 20));
        for (let p = 0; p < pairs; p++) {
          const order = p % 2 === 0 ? ['on', 'torch', 'off'] : ['off', 'torch', 'on'];
          for (const kind of order) {
            if (kind === 'on') on.push(ours(specFile, backend, PROBE_EVERY, steps));
            else if (kind === 'off' && withOff) off.push(ours(specFile, backend, 0, steps));
            else if (kind === 'torch' && withTorch) ref.push(torch(specFile, steps));
          }
          const last = on[on.length - 1];
          console.log(`  ${backend} pair ${p + 1}: ours ${last.trainMs.toFixed(0)} ms (probes ${last.probeMs.toFixed(0)} ms)` +
            (withOff ? `, probes off ${off[off.length - 1].trainMs.toFixed(0)} ms` : '') +
            (withTorch ? `, PyTorch ${ref[ref.length - 1].trainMs.toFixed(0)} ms, ratio ${(last.trainMs / ref[ref.length - 1].trainMs).toFixed(2)}` : ''));
        }
        const ph = (k: keyof OursRun['phases']): number => median(on.map((r) => r.phases[k]));
        const phases = { forwardMs: ph('forwardMs'), backwardMs: ph('backwardMs'), updateMs: ph('updateMs'), probeMs: ph('probeMs'), evalMs: ph('evalMs') };
        const ratios = withTorch ? on.map((r, i) => r.trainMs / ref[i].trainMs) : [];
        const cell: Cell = {
          rung: id, backend, steps, pairs,
          oursMs: median(on.map((r) => r.trainMs)),
          oursOffMs: withOff ? median(off.map((r) => r.trainMs)) : undefined,
          torchMs: withTorch ? median(ref.map((r) => r.trainMs)) : undefined,
          ratio: withTorch ? median(ratios) : undefined,
          ratios,
          ratioOff: withTorch && withOff ? median(off.map((r, i) => r.trainMs / ref[i].trainMs)) : undefined,
          phases,
          perStepMs: { forward: phases.forwardMs / steps, backward: phases.backwardMs / steps, update: phases.updateMs / steps },
          probes: on[0].probes,
          engineMs: median(on.map((r) => r.engineMs)),
          engineThread: on.some((r) => r.engineThread),
          probeOverheadInRun: median(on.map((r) => r.probeMs / (r.trainMs - r.probeMs))),
          probeOverheadPaired: withOff ? median(on.map((r, i) => r.trainMs / off[i].trainMs - 1)) : undefined,
          maxRssMB: Math.max(...on.map((r) => r.maxRssMB)),
          maxRssOffMB: withOff ? Math.max(...off.map((r) => r.maxRssMB)) : undefined,
          torchMaxRssMB: withTorch ? Math.max(...ref.map((r) => r.maxRssMB)) : undefined,
          accuracy: median(on.map((r) => r.testAccuracy)),
          torchAccuracy: withTorch ? median(ref.map((r) => r.testAccuracy)) : undefined,
          runs: { on: on.map((r) => r.trainMs), off: off.map((r) => r.trainMs), torch: ref.map((r) => r.trainMs) },
        };
        cells.push(cell);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const f = (x: number | undefined, d = 0): string => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
  const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(x * 100).toFixed(1)} %`);
  console.log(`\nLadder (medians of ${pairs} pairs; ratio = ours with diagnostics / PyTorch 1 thread, per pair then median; ${cold ? 'ours cold: a first run in a fresh process' : `both warmed up by ${WARM_UP_STEPS} throwaway steps`})\n`);
  const header = ['rung', 'backend', 'ours ms', 'PyTorch ms', 'ratio', 'pairs', 'off ratio', 'fwd ms', 'bwd ms', 'upd ms', 'probe ms', 'engine ms', 'eval ms', 'probe % (in-run)', 'probe % (on/off)', 'peak RSS MB', 'accuracy ours / torch'];
  const rows = cells.map((c) => [
    String(c.rung), c.backend, f(c.oursMs), f(c.torchMs), f(c.ratio, 2), c.ratios.map((r) => r.toFixed(2)).join(' '), f(c.ratioOff, 2),
    f(c.phases.forwardMs), f(c.phases.backwardMs), f(c.phases.updateMs), f(c.phases.probeMs), `${f(c.engineMs)}${c.engineThread ? ' (thread)' : ''}`, f(c.phases.evalMs),
    pct(c.probeOverheadInRun), pct(c.probeOverheadPaired), f(c.maxRssMB), `${c.accuracy.toFixed(4)} / ${f(c.torchAccuracy === undefined ? undefined : c.torchAccuracy, 4)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cols: string[]): string => `| ${cols.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  mkdirSync(dirname(jsonFile), { recursive: true });
  writeFileSync(jsonFile, JSON.stringify({ date: new Date().toISOString(), node: process.version, pairs, warmUpSteps: cold ? 0 : WARM_UP_STEPS, cells }, null, 2));
  console.log(`\n(figures also in ${jsonFile})`);
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(`ladder: ${(e as Error).message}`);
    process.exit(1);
  }
}
