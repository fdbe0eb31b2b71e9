// `npm run bench -- latency [--backends tensorflow,wasm] [--repeats N] [--modes cold,warm] [--idle-ms N]`:
// from "the click" to the first training step, through the host's own TrainerProcess class and the built
// dist/worker.js (what the extension runs), seed-mlp-zeros on the embedded MNIST. For each backend, N repeats
// (default 5, cold and warm alternating) of:
//   - cold: the process is forked at the click (the path without gradientLens.trainingProcess.prepareAhead);
//   - warm: a spare was prepared ahead by WarmTrainer (src/host/warmTrainer.ts: forked, sent `prepare`, MNIST and
//     the backend loaded) and has been idle --idle-ms (default 1000); the click takes it.
// Times from the click (the moment the host constructs the TrainerProcess; for warm, takes the spare first) to:
// the constructor's return (the fork), each status phase (loadingData, loadingBackend, training), the `start`
// event and the FIRST `step` event; then the run is stopped. Printed: medians and spread (min–max), the RSS of an
// idle prepared spare (what preparing ahead costs in memory while nobody trains), the load average, and the goals
// (issue 23: first step ≤ 2 s on tensorflow, ≤ 3 s on wasm) met or not. Nothing here is asserted in a test.
import { existsSync, readFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TrainerProcess } from '../src/host/trainerProcess';
import { findPreset } from '../src/core/presets';
import type { TrainOptions, TrainerProcessMessage } from '../src/protocol/training';
import type { BackendName } from '../src/core/events';
import { arg, median, root } from './util';

const GOAL_MS: Partial<Record<BackendName, number>> = { tensorflow: 2000, wasm: 3000 };
const MARKS = ['forked', 'loadingData', 'loadingBackend', 'training', 'start', 'firstStep'] as const;
type Mark = (typeof MARKS)[number];
const WORKER = join(root, 'dist', 'worker.js');
const MAX_MEMORY_MB = 2048;

interface Sample { marks: Partial<Record<Mark, number>>; ahead: boolean; backend?: string; error?: string }

/** A spare prepared ahead, if this checkout has the pool (it is absent on main before issue 23 item 4). */
type Warm = { prepare(options: TrainOptions, maxMemoryMb: number): void; whenPrepared(): Promise<unknown>; take(options: TrainOptions, maxMemoryMb: number): unknown; readonly pid: number | undefined; dispose(): void };
function warmPool(): Warm | undefined {
  const file = join(__dirname, '..', 'src', 'host', 'warmTrainer.js');
  if (!existsSync(file)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { WarmTrainer } = require(file) as { WarmTrainer: new (o: unknown) => Warm };
  return new WarmTrainer({ workerPath: WORKER, log: (line: string, level?: string) => { if (level && level !== 'info') process.stderr.write(`  [pool] ${line}\n`); }, idleMs: 600_000 });
}

function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/status`)) return undefined;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function once(backend: BackendName, pool: Warm | undefined): Promise<Sample> {
  const spec = findPreset('seed-mlp-zeros')!.spec;
  const options: TrainOptions = { backend, probeEvery: 50, evalEvery: 200 };
  const marks: Partial<Record<Mark, number>> = {};
  let ahead = false;
  let proc: TrainerProcess | undefined = undefined;
  let t0 = 0;
  let backendName: string | undefined;
  let resolveFirst!: () => void;
  const first = new Promise<void>((r) => { resolveFirst = r; });
  const onMessage = (m: TrainerProcessMessage): void => {
    const at = performance.now() - t0;
    if (m.type === 'status') {
      marks[m.phase] ??= at;
      if ((m as { ahead?: boolean }).ahead) ahead = true;
    } else if (m.type === 'event' && m.event.type === 'start') {
      marks.start ??= at;
      backendName = m.event.backend.name;
    } else if (m.type === 'event' && m.event.type === 'step' && marks.firstStep === undefined) {
      marks.firstStep = at;
      resolveFirst();
      proc?.stop();
    }
  };
  let errors = '';
  const log = (line: string, level?: string): void => { if (level === 'error') errors += `${line}\n`; };
  t0 = performance.now(); // the click
  const child = pool?.take(options, MAX_MEMORY_MB);
  proc = new TrainerProcess({ workerPath: WORKER, runId: 'latency', spec, options, maxMemoryMb: MAX_MEMORY_MB, onMessage, log, ...(child ? { child } : {}) } as ConstructorParameters<typeof TrainerProcess>[0]);
  marks.forked = performance.now() - t0;
  const outcome = await Promise.race([proc.done, first.then(() => proc!.done)]);
  if (marks.firstStep === undefined) return { marks, ahead, error: outcome.status === 'error' ? outcome.message : `ended ${outcome.status} before a step ${errors}` };
  return { marks, ahead, backend: backendName };
}

const fmt = (xs: number[]): string => (xs.length ? `${Math.round(median(xs))} (${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))})` : '—');

async function main(): Promise<void> {
  const backends = (arg('backends') ?? 'tensorflow,wasm').split(',') as BackendName[];
  const repeats = Number(arg('repeats') ?? process.env.BENCH_REPEATS ?? 5);
  const modes = (arg('modes') ?? 'cold,warm').split(',');
  const pool = modes.includes('warm') ? warmPool() : undefined;
  if (modes.includes('warm') && !pool) console.log('(no src/host/warmTrainer.ts in this checkout: warm runs skipped)');
  const la = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`\nLatency: click → first step, seed-mlp-zeros, embedded MNIST, dist/worker.js through TrainerProcess (node ${process.version}, ${cpus().length} cores, ${repeats} repeats, load average ${la()})`);
  console.log('ms from the click: median (min–max)\n');
  const results: { backend: BackendName; mode: string; samples: Sample[]; idleRss?: number[] }[] = [];
  for (const backend of backends) {
    const rows = modes.filter((m) => m !== 'warm' || pool).map((mode) => ({ backend, mode, samples: [] as Sample[], idleRss: [] as number[] }));
    for (let i = 0; i < repeats; i++) {
      for (const row of rows) {
        if (row.mode === 'warm') {
          pool!.prepare({ backend, probeEvery: 50, evalEvery: 200 }, MAX_MEMORY_MB);
          await pool!.whenPrepared();
          await sleep(Number(arg('idle-ms') ?? 1000));
          const rss = rssMb(pool!.pid);
          if (rss !== undefined) row.idleRss.push(rss);
        }
        const s = await once(backend, row.mode === 'warm' ? pool : undefined);
        if (s.error) console.log(`  ${backend} ${row.mode} #${i + 1}: ${s.error}`);
        row.samples.push(s);
        await sleep(300);
      }
    }
    results.push(...rows);
  }
  pool?.dispose();
  const head = ['backend', 'mode', ...MARKS, 'idle RSS MB', 'goal'];
  const table = results.map((r) => {
    const ok = r.samples.filter((s) => !s.error);
    const col = (k: Mark): string => fmt(ok.map((s) => s.marks[k]).filter((x): x is number => x !== undefined));
    const goal = GOAL_MS[r.backend];
    const firstMed = median(ok.map((s) => s.marks.firstStep!));
    const verdict = goal === undefined || !ok.length ? '—' : `≤ ${goal / 1000} s ${firstMed <= goal ? 'met' : 'NOT met'}`;
    const aheadNote = r.mode === 'warm' ? (ok.every((s) => s.ahead) ? '' : ' (some runs loaded anew!)') : '';
    return [r.backend, r.mode + aheadNote, ...MARKS.map(col), r.idleRss?.length ? fmt(r.idleRss) : '—', verdict];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]): string => `  ${cells.map((c, i) => c.padEnd(widths[i])).join('  ')}`;
  console.log(line(head));
  for (const row of table) console.log(line(row));
  console.log(`\n  load average now ${la()}; "forked": the TrainerProcess constructor returned (warm: the spare was taken); phases are the training process's status messages`);
  console.log('  goals (issue 23): first step ≤ 2 s on tensorflow, ≤ 3 s on wasm; the panel (measured inside VS Code: the log line "panel shown N ms after the command") ≤ 1 s');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
