// Clean output of the CLI on the native backend: libtensorflow writes start-up lines to stderr on its
// own (shown first, without the CLI); through the CLI they never reach stdout, never break --json, and
// never stand beside the one-line error of exit 2. GRADIENT_LENS_DEBUG=1 lets them through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tensorFlowLogSeverity } from '../../src/core/tfStderr';
import { repoRoot } from '../unit/helpers';
import { cliNativeArgs, native, requireNativeWhereDemanded, skip } from './native';

requireNativeWhereDemanded('cliOutput');

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'gradient-lens.js'), ...args, ...cliNativeArgs()], { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('without the CLI, loading tfjs-node prints TensorFlow start-up lines on stderr (what there is to filter)', { skip }, () => {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(native.nativePath)})`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const tfLines = r.stderr.split('\n').filter((l) => tensorFlowLogSeverity(l));
  assert.ok(tfLines.length >= 1, `stderr: ${r.stderr}`);
});

test('--json on tensorflow: exactly one JSON line on stdout, nothing on stderr', { skip }, () => {
  const r = cli(['train', '--preset', 'seed-softmax-zeros', '--steps', '20', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, 1);
  const out = JSON.parse(lines[0]) as { backend: string; backendInfo: { threads: number } };
  assert.equal(out.backend, 'tensorflow');
});

test('the table on tensorflow names libtensorflow and the threads; stdout holds no TensorFlow line', { skip }, () => {
  const r = cli(['train', '--preset', 'seed-softmax-zeros', '--steps', '20', '--threads', '2']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /seed-softmax-zeros\s+784 → 10 softmax\s+tensorflow\s+20/);
  assert.match(r.stdout, /\(libtensorflow \d+\.\d+\.\d+, 2 intra-op \/ 1 inter-op thread\(s\), from \S+\)/);
  assert.ok(r.stdout.split('\n').every((l) => !tensorFlowLogSeverity(l)));
  assert.equal(r.stderr, '');
});

test('exit 2 where tfjs-node would load: the one line on stderr is the error', { skip }, () => {
  for (const args of [['train', '--preset', 'no-such-preset', '--json'], ['train', '--spec', '/nonexistent/spec.json', '--backend', 'tensorflow']]) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^gradient-lens: /);
  }
});

test('GRADIENT_LENS_DEBUG=1 lets the start-up lines through (so the filter is what removes them)', { skip }, () => {
  const r = cli(['train', '--preset', 'seed-softmax-zeros', '--steps', '2', '--json'], { GRADIENT_LENS_DEBUG: '1' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stderr.split('\n').some((l) => tensorFlowLogSeverity(l)), `stderr: ${r.stderr}`);
  assert.equal(r.stdout.split('\n').filter(Boolean).length, 1);
});

/** `pid` is running (not gone, not a zombie whose parent was killed). */
const running = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
const childrenOf = (pid: number): number[] => readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((n) => {
  try {
    return Number(/^\d+ \(.*\) \S (\d+)/s.exec(readFileSync(`/proc/${n}/stat`, 'utf8'))?.[1]) === pid;
  } catch {
    return false;
  }
}).map(Number);

test('the CLI killed with SIGKILL while its filtering child trains on tensorflow: the child is gone within 1 s; SIGINT: exit 130', { skip }, async () => {
  for (const how of ['SIGKILL', 'SIGINT'] as const) {
    const cliProcess = spawn(process.execPath, [join(repoRoot, 'bin', 'gradient-lens.js'), 'train', '--preset', 'seed-mlp-uniform', '--steps', '1000000', ...cliNativeArgs()], {
      cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GRADIENT_LENS_CLI_STDERR_COLUMNS: '100' },
    });
    let stderr = '';
    cliProcess.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    const exited = new Promise<number | null>((resolve) => cliProcess.on('exit', (c) => resolve(c)));
    const t0 = Date.now();
    while (!/ \d+\/1000000 steps/.test(stderr) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 50));
    const kids = childrenOf(cliProcess.pid!).filter(running);
    assert.equal(kids.length, 1, `${how}: the training child (stderr: ${stderr.slice(-300)})`);
    const t1 = Date.now();
    cliProcess.kill(how);
    const code = await exited;
    while (running(kids[0]) && Date.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 20));
    assert.ok(!running(kids[0]), `${how}: the child is still running`);
    assert.ok(Date.now() - t1 <= 1000, `${how}: ${Date.now() - t1} ms`);
    if (how === 'SIGINT') assert.equal(code, 130, stderr.slice(-300));
  }
});
