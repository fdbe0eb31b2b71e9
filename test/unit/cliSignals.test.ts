// Ctrl-C and SIGTERM through the real command line (bin/gradient-lens.js → dist/cli.js, real processes,
// real MNIST, wasm): the CLI ends within 1 s in every phase with 130 / 143, and the training child of a
// delegating CLI never outlives it, not even when the CLI is killed with SIGKILL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './helpers';

const BIN = join(repoRoot, 'bin', 'gradient-lens.js');
/** How long the CLI may take to exit after the signal (the issue's bound). */
const STOP_WITHIN_MS = 1000;
// Test-only switches of the CLI (named so in src/cli): a read that spins as a slow synchronous import
// would, and the filtering child used where tfjs-node cannot load (it is hidden in the unit tests).
const SLOW_READ = 'GRADIENT_LENS_TEST_SLOW_READ_MS';
const FORCE_CHILD = 'GRADIENT_LENS_TEST_FORCE_CHILD';
// The CLI's own variable for a progress bar on a pipe (set for its child when stderr is a terminal):
// here it makes training visible on the stderr pipe, so a signal can be sent while training for sure.
const COLUMNS = 'GRADIENT_LENS_CLI_STDERR_COLUMNS';

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  return { child, stderr: () => stderr, exited };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Sends `signal` and returns how long the process took to exit, and how. */
async function signalAndTime(r: Running, signal: NodeJS.Signals): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }> {
  const t0 = Date.now();
  r.child.kill(signal);
  const e = await Promise.race([r.exited, sleep(10_000).then(() => undefined)]);
  if (!e) {
    r.child.kill('SIGKILL');
    return { ms: Infinity, code: null, signal: null };
  }
  return { ms: e.at - t0, code: e.code, signal: e.signal };
}

/** `pid`'s state from /proc: undefined once it is gone; 'Z' once it is dead but not reaped (its parent was killed). */
function stateOf(pid: number): string | undefined {
  try {
    return /^\d+ \(.*\) (\S)/s.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
const alive = (pid: number): boolean => {
  const s = stateOf(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
};

/** The pids whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const m = /^\d+ \(.*\) \S (\d+)/s.exec(readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (m && Number(m[1]) === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const MODEL = [
  'import tensorflow as tf',
  'model = tf.keras.Sequential([',
  "    tf.keras.layers.Dense(32, activation='relu', input_shape=(784,)),",
  "    tf.keras.layers.Dense(10, activation='softmax'),",
  '])',
  "model.compile(optimizer='sgd', loss='sparse_categorical_crossentropy')",
  '',
].join('\n');

test('Ctrl-C and SIGTERM while a model file is being read (a slow synchronous read, made slow by a test-only variable): exit 130 / 143 within 1 s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-signals-'));
  writeFileSync(join(dir, 'model.py'), MODEL);
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({ layers: [{ units: 10, activation: 'softmax' }] }));
  for (const [args, signal, expected] of [
    [['check', join(dir, 'model.py')], 'SIGINT', 130],
    [['train', join(dir, 'model.py'), '--backend', 'wasm'], 'SIGTERM', 143],
    [['train', '--spec', join(dir, 'spec.json'), '--backend', 'wasm'], 'SIGINT', 130],
  ] as const) {
    const r = start([...args], { [SLOW_READ]: '60000' });
    await sleep(1500); // started, and spinning in the read
    const e = await signalAndTime(r, signal);
    const label = `${args.join(' ')} ${signal}`;
    assert.equal(e.code, expected, `${label}: ${e.code} / ${e.signal}: ${r.stderr()}`);
    assert.ok(e.ms <= STOP_WITHIN_MS, `${label}: ${e.ms} ms`);
    assert.match(r.stderr(), signal === 'SIGINT' ? /gradient-lens: interrupted \(SIGINT\)\n$/ : /gradient-lens: terminated \(SIGTERM\)\n$/, label);
    // the reading process went with it
    await sleep(300);
    assert.deepEqual(childrenOf(r.child.pid!).filter(alive), [], label);
  }
});

test('check on a three-line file that doubles a list 40 times: Ctrl-C ends it within 1 s while the reader grows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-signals-'));
  writeFileSync(join(dir, 'grow.py'), 'l = [1]\nfor _ in range(40):\n    l = l + l\n');
  const r = start(['check', join(dir, 'grow.py')]);
  await sleep(1500);
  const done = await Promise.race([r.exited, sleep(0).then(() => undefined)]);
  if (done) {
    // a reader that refuses such a file at once (issue 19, item 1) answers before there is anything to interrupt
    assert.equal(done.code, 2, r.stderr());
    return;
  }
  const e = await signalAndTime(r, 'SIGINT');
  assert.equal(e.code, 130, r.stderr());
  assert.ok(e.ms <= STOP_WITHIN_MS, `${e.ms} ms`);
});

test('SIGINT at moments across a training run (start-up, data, backend, training): every time exit 130 within 1 s', async () => {
  const timings: string[] = [];
  for (const after of [150, 500, 1000, 2000, 3500]) {
    const r = start(['train', '--preset', 'seed-mlp-uniform', '--steps', '100000', '--backend', 'wasm']);
    await sleep(after);
    const e = await signalAndTime(r, 'SIGINT');
    timings.push(`${after} ms: ${e.ms} ms${e.signal ? ` (${e.signal})` : ''}`);
    // Before any JavaScript runs (Node itself starting, which takes long on a loaded machine) the signal
    // kills the process the default way: the shell sees 130 then too. From bin/gradient-lens.js on, exit 130.
    assert.ok(e.code === 130 || (e.code === null && e.signal === 'SIGINT'), `signal at ${after} ms: ${e.code} / ${e.signal}: ${r.stderr()}`);
    assert.ok(e.ms <= STOP_WITHIN_MS, `signal at ${after} ms: exited after ${e.ms} ms`);
  }
  console.log(`SIGINT → exit: ${timings.join(', ')}`);
});

test('SIGTERM during training (seen on the progress bar): exit 143 within 1 s, the cursor shown again', async () => {
  const r = start(['train', '--preset', 'seed-mlp-uniform', '--steps', '100000', '--backend', 'wasm'], { [COLUMNS]: '100' });
  await waitFor('the progress bar', () => / \d+\/100000 steps/.test(r.stderr()));
  const e = await signalAndTime(r, 'SIGTERM');
  assert.equal(e.code, 143, r.stderr());
  assert.ok(e.ms <= STOP_WITHIN_MS, `${e.ms} ms`);
  const out = r.stderr();
  assert.ok(out.lastIndexOf('\x1b[?25h') > out.lastIndexOf('\x1b[?25l'), 'the cursor is still hidden');
  assert.match(out, /terminated \(SIGTERM\)\n$/);
});

test('delegating CLI (the filtering child forced by a test-only variable) killed with SIGKILL: its training child is gone within 1 s', async () => {
  const r = start(['train', '--preset', 'seed-mlp-uniform', '--steps', '100000', '--backend', 'wasm'], { [FORCE_CHILD]: '1', [COLUMNS]: '100' });
  // the child's progress bar comes through the parent's filter: the child is training
  await waitFor('the child training', () => / \d+\/100000 steps/.test(r.stderr()));
  const kids = childrenOf(r.child.pid!).filter(alive);
  assert.equal(kids.length, 1, `children of the CLI: ${kids}`);
  const [kid] = kids;
  r.child.kill('SIGKILL');
  await r.exited;
  const t0 = Date.now();
  while (alive(kid) && Date.now() - t0 < 5000) await sleep(20);
  const ms = Date.now() - t0;
  assert.ok(!alive(kid), `the training child ${kid} is still ${stateOf(kid)} after ${ms} ms`);
  assert.ok(ms <= STOP_WITHIN_MS, `the child took ${ms} ms to go`);
});

test('delegating CLI (forced by a test-only variable): SIGINT ends parent and child with 130 within 1 s; a child that cannot act on it (stopped) is killed', async () => {
  for (const stopChild of [false, true]) {
    const r = start(['train', '--preset', 'seed-mlp-uniform', '--steps', '100000', '--backend', 'wasm'], { [FORCE_CHILD]: '1', [COLUMNS]: '100' });
    await waitFor('the child training', () => / \d+\/100000 steps/.test(r.stderr()));
    const [kid] = childrenOf(r.child.pid!).filter(alive);
    assert.ok(kid, 'a training child');
    // SIGSTOP: the child's handler cannot run, as when it is inside one long synchronous call
    if (stopChild) process.kill(kid, 'SIGSTOP');
    const e = await signalAndTime(r, 'SIGINT');
    const label = stopChild ? 'stopped child' : 'child';
    assert.equal(e.code, 130, `${label}: ${e.code} / ${e.signal}: ${r.stderr()}`);
    assert.ok(e.ms <= STOP_WITHIN_MS, `${label}: ${e.ms} ms`);
    assert.match(r.stderr(), /interrupted \(SIGINT\)\n$/, label);
    const t0 = Date.now();
    while (alive(kid) && Date.now() - t0 < 3000) await sleep(20);
    assert.ok(!alive(kid), `${label}: the child ${kid} is still ${stateOf(kid)}`);
  }
});
