// `npm run bench` sections for what the tests only bound (issue 15, "tests as benchmarks"):
//   host  the extension host's event-loop delay (p50 / p99 / max) during a full seed-MLP run, measured
//         inside VS Code by the integration suite's responsiveness test (test/integration/extension.test.ts,
//         which asserts only p99 < 100 ms and writes test-output/host-event-loop.json). Runs that one test
//         now through scripts/integration.mjs (code-server when desktop VS Code cannot run, ≈ 40 s); when it
//         cannot run, prints the last measurement with its date.
//   stop  how long a cooperative stop takes (stop message → the training process has sent its final
//         findings and exited), which test/unit/trainingProcess.test.ts bounds by the host's kill grace
//         (3000 ms, STOP_GRACE_MS); paired runs of dist/worker.js, median and max of `repeats`.
import { fork, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median } from './benchNative.mjs';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const f1 = (x) => (typeof x === 'number' ? x.toFixed(1) : '?');

function printEventLoop(file, fresh) {
  const m = JSON.parse(readFileSync(file, 'utf8'));
  console.log(`  ${fresh ? 'measured now' : `last measured ${m.measuredAt}`} in VS Code (${m.appHost}), ${m.run} ${m.steps} steps on ${m.backend}, ${m.samples} samples at ${m.resolutionMs} ms resolution:`);
  console.log(`  event-loop delay   p50 ${f1(m.p50Ms)} ms   p99 ${f1(m.p99Ms)} ms   max ${f1(m.maxMs)} ms   (the test fails at p99 ≥ ${m.boundMs} ms)`);
  console.log(`  host work          ${m.hostMessages} messages, ${Math.round(m.hostMessageMs)} ms handling them; extension-host CPU ${Math.round(m.hostCpuMs)} ms over ${Math.round(m.wallMs)} ms wall (training took ${Math.round(m.trainMs)} ms in its own process)`);
}

function benchEventLoop() {
  console.log('\nExtension host responsiveness during a run (integration suite, one seed-mlp-zeros run of 1000 steps):');
  const file = join(root, 'test-output', 'host-event-loop.json');
  const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  const r = spawnSync(process.execPath, ['scripts/integration.mjs', '--suite-only'], {
    cwd: root, encoding: 'utf8', env: { ...process.env, GRADIENT_LENS_TEST_GREP: 'keeps the extension host responsive' },
  });
  const fresh = existsSync(file) && readFileSync(file, 'utf8') !== before;
  if (fresh) return printEventLoop(file, true);
  const why = (r.stdout + r.stderr).split('\n').filter((l) => /^integration: (FAILED|route)|failures/.test(l)).slice(0, 3).join(' | ') || `exit ${r.status}`;
  console.log(`  not measured now (${why})`);
  if (existsSync(file)) printEventLoop(file, false);
}

/** One cooperative stop: ms from the stop message to the process's exit, and to its `finished` message. */
function stopOnce(worker) {
  return new Promise((resolve, reject) => {
    const child = fork(worker, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    let stderr = '';
    child.stderr.on('data', (c) => { stderr += c; });
    let stopAt;
    let finishedAt;
    const spec = require(join(root, 'out', 'src', 'core', 'presets.js')).findPreset('seed-mlp-uniform').spec;
    child.on('message', (m) => {
      if (stopAt === undefined && m.type === 'event' && m.event.type === 'step' && m.event.step >= 20) {
        stopAt = performance.now();
        child.send({ type: 'stopTraining', runId: 'bench' });
      }
      if (m.type === 'finished' && stopAt !== undefined) finishedAt = performance.now();
    });
    child.on('exit', (code) => {
      if (stopAt === undefined || code !== 0) return reject(new Error(`training process exited ${code} before or without stopping: ${stderr.trim().split('\n').pop()}`));
      resolve({ exitMs: performance.now() - stopAt, finishedMs: finishedAt === undefined ? undefined : finishedAt - stopAt });
    });
    child.send({ type: 'startTraining', runId: 'bench', spec: { ...spec, steps: 100_000 }, options: { backend: 'auto', probeEvery: 50, evalEvery: 200 } });
  });
}

async function benchStop(repeats) {
  console.log(`\nCooperative stop of a run (stop at step 20 of 100,000 → final evaluation, findings, exit; ${repeats} runs):`);
  const worker = join(root, 'dist', 'worker.js');
  const rows = [];
  for (let i = 0; i < repeats; i++) {
    try {
      rows.push(await stopOnce(worker));
    } catch (e) {
      console.log(`  run ${i + 1}: ${e.message}`);
    }
  }
  if (!rows.length) return;
  const exits = rows.map((r) => r.exitMs);
  console.log(`  stop → exit        median ${Math.round(median(exits))} ms, max ${Math.round(Math.max(...exits))} ms (runs: ${exits.map((x) => Math.round(x)).join(', ')}); the host kills after 3000 ms`);
  const fin = rows.map((r) => r.finishedMs).filter((x) => x !== undefined);
  if (fin.length) console.log(`  stop → findings    median ${Math.round(median(fin))} ms`);
}

/** Called by scripts/bench.mjs; `want(section)` says which sections were asked for. */
export async function benchHost({ want, repeats }) {
  if (want('stop')) await benchStop(repeats);
  if (want('host')) benchEventLoop();
}
