// The parts of the native-backend support that need no tfjs-node: TensorFlow's stderr lines, the thread
// rule, finding an installation by path, and what a failed load is called. (Against the real tfjs-node:
// test/native/.) This part of the suite runs with tfjs-node hidden (scripts/test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensorFlowLogSeverity, TensorFlowStderrFilter } from '../../src/core/tfStderr';
import { BackendLoadError, classifyNativeError, locateTfjsNode, nativeThreadRule, resolveNativeThreads, selectBackend } from '../../src/core/backend';
import { runCli } from './helpers';

// Captured from libtensorflow 2.21.0 under tfjs-node 4.22.0 (TF_CPP_MIN_LOG_LEVEL unset), plus the
// error and fatal forms absl uses.
const ABSL = 'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR';
const ONEDNN = 'I0000 00:00:1796111273.508890   15870 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.';
const CPU = 'I0000 00:00:1796111273.556948   15870 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.';
const CPU2 = 'To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.';
const WARN = 'W1201 07:40:01.123456   15870 cpu_allocator_impl.cc:83] Allocation of 188160000 exceeds 10% of free system memory.';
const ERR = 'E1201 07:40:01.123456   15870 some_op.cc:12] Invalid argument: shapes do not match';
const FATAL = 'F1201 07:40:01.123456   15870 check.cc:99] Check failed: x == y';

test('TensorFlow log lines are recognised with their severity; other stderr lines are not', () => {
  assert.equal(tensorFlowLogSeverity(ABSL), 'info');
  assert.equal(tensorFlowLogSeverity(ONEDNN), 'info');
  assert.equal(tensorFlowLogSeverity(CPU), 'info');
  assert.equal(tensorFlowLogSeverity(CPU2), 'info');
  assert.equal(tensorFlowLogSeverity(WARN), 'warning');
  assert.equal(tensorFlowLogSeverity(ERR), 'error');
  assert.equal(tensorFlowLogSeverity(FATAL), 'fatal');
  for (const line of ['gradient-lens: backend "tensorflow" cannot be used here: boom', 'I am not a log line', 'W1201 is a word',
    'seed-mlp-zeros           ████░░░░ 10/1000 steps', 'Error: Cannot find module', 'training process: ignored a malformed message: {}']) {
    assert.equal(tensorFlowLogSeverity(line), undefined, line);
  }
});

test('the stderr filter removes TensorFlow notices (info, warning) from a stream cut anywhere, passes the rest at once, and keeps errors', () => {
  const stream = `${ABSL}\n${ONEDNN}\n${CPU}\n${CPU2}\n\x1b[?25lseed-mlp  ░░░ 0/10\x1b[1Gseed-mlp  ███ 10/10\n${WARN}\n${ERR}\ngradient-lens: something was wrong\n`;
  for (const cut of [1, 7, 13, 64, 200, stream.length]) {
    const passed: string[] = [];
    const notices: string[] = [];
    const f = new TensorFlowStderrFilter({ pass: (t) => passed.push(t), notice: (l) => notices.push(l) });
    for (let i = 0; i < stream.length; i += cut) f.push(stream.slice(i, i + cut));
    f.end();
    const out = passed.join('');
    // The progress bar's redrawn line is not a TensorFlow line: it passes.
    assert.ok(out.startsWith('\x1b[?25lseed-mlp  ░░░ 0/10\x1b[1Gseed-mlp  ███ 10/10\n'), `cut ${cut}: ${JSON.stringify(out.slice(0, 40))}`);
    assert.ok(out.includes(`${ERR}\n`), 'errors are never filtered');
    assert.ok(out.endsWith('gradient-lens: something was wrong\n'));
    assert.ok(!out.includes('oneDNN') && !out.includes('absl::InitializeLog') && !out.includes('To enable the following') && !out.includes('Allocation of'), `cut ${cut}: ${out}`);
    assert.deepEqual(notices, [ABSL, ONEDNN, CPU, CPU2, WARN], `cut ${cut}`);
  }
  // Text that cannot start a TensorFlow line is not held back.
  const passed: string[] = [];
  const f = new TensorFlowStderrFilter({ pass: (t) => passed.push(t), notice: () => undefined });
  f.push('step 3/10');
  assert.deepEqual(passed, ['step 3/10']);
  f.push('\nI00');
  assert.deepEqual(passed, ['step 3/10', '\n'], 'a partial line that may become a notice waits');
  f.end();
  assert.deepEqual(passed, ['step 3/10', '\n', 'I00'], 'and passes at the end when it did not become one');
});

test('thread rule: half the cores, at least 1, at most 4 intra-op threads; one inter-op thread', () => {
  assert.deepEqual([1, 2, 3, 4, 6, 8, 16, 64].map((c) => nativeThreadRule(c).intraOp), [1, 1, 1, 2, 3, 4, 4, 4]);
  assert.equal(nativeThreadRule(32).interOp, 1);
});

test('thread counts: an explicit count beats TF_NUM_INTRAOP_THREADS, which beats the rule; bad values are ignored', () => {
  assert.deepEqual(resolveNativeThreads(3, { TF_NUM_INTRAOP_THREADS: '2' }, 8), { intraOp: 3, interOp: 1, source: 'option' });
  assert.deepEqual(resolveNativeThreads(0, { TF_NUM_INTRAOP_THREADS: '2', TF_NUM_INTEROP_THREADS: '2' }, 8), { intraOp: 2, interOp: 2, source: 'environment' });
  assert.deepEqual(resolveNativeThreads(undefined, { TF_NUM_INTRAOP_THREADS: 'many' }, 8), { intraOp: 4, interOp: 1, source: 'rule' });
  assert.deepEqual(resolveNativeThreads(undefined, { TF_NUM_INTRAOP_THREADS: '0' }, 2), { intraOp: 1, interOp: 1, source: 'rule' });
});

test('an installation is found from its package folder, its node_modules folder or its prefix; anything else is "absent"', () => {
  const prefix = mkdtempSync(join(tmpdir(), 'gl-native-locate-'));
  const pkg = join(prefix, 'node_modules', '@tensorflow', 'tfjs-node');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node', version: '4.22.0' }));
  for (const p of [pkg, join(prefix, 'node_modules'), prefix, `${prefix}/`]) assert.equal(locateTfjsNode(p), pkg, p);
  assert.equal(locateTfjsNode(undefined), '@tensorflow/tfjs-node');
  assert.equal(locateTfjsNode('  '), '@tensorflow/tfjs-node');
  const other = mkdtempSync(join(tmpdir(), 'gl-native-other-'));
  writeFileSync(join(other, 'package.json'), JSON.stringify({ name: 'something-else' }));
  assert.throws(() => locateTfjsNode(other), (e: Error) => e instanceof BackendLoadError && e.kind === 'absent' && e.message.startsWith(`${other} holds no @tensorflow/tfjs-node`));
  assert.throws(() => locateTfjsNode('/nonexistent/tfjs'), /\/nonexistent\/tfjs does not exist/);
});

test('a failed tfjs-node load is "absent" when the package is missing and "broken" when it is there but does not work', () => {
  const notFound = Object.assign(new Error("Cannot find module '@tensorflow/tfjs-node'\nRequire stack: …"), { code: 'MODULE_NOT_FOUND' });
  assert.deepEqual([classifyNativeError(notFound, '@tensorflow/tfjs-node').kind, classifyNativeError(notFound, '@tensorflow/tfjs-node').message],
    ['absent', '@tensorflow/tfjs-node is not installed (its install step needs to download libtensorflow)']);
  const noAddon = new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/lib/napi-v8/tfjs_binding.node. \nPlease run command …');
  assert.equal(classifyNativeError(noAddon, '/x').kind, 'broken');
  assert.match(classifyNativeError(noAddon, '/x').message, /installed in \/x but has no native addon/);
  const dlopen = new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');
  assert.equal(classifyNativeError(dlopen, '@tensorflow/tfjs-node').kind, 'broken');
  const dep = Object.assign(new Error("Cannot find module '@tensorflow/tfjs'"), { code: 'MODULE_NOT_FOUND' });
  assert.match(classifyNativeError(dep, '/x').message, /in \/x is incomplete/);
});

test('auto with a native path that holds nothing falls back to wasm (real loader), recording the path as "absent"', async () => {
  const b = await selectBackend('auto', {}, { nativePath: '/nonexistent/native' });
  assert.equal(b.info.name, 'wasm');
  assert.equal(b.info.skipped[0].name, 'tensorflow');
  assert.equal(b.info.skipped[0].kind, 'absent');
  assert.match(b.info.skipped[0].reason, /\/nonexistent\/native does not exist/);
});

test('auto with tfjs-node hidden records it as "absent" (what the panel offers the set-up for)', async () => {
  const b = await selectBackend('auto');
  if (b.info.name === 'tensorflow') return; // run outside scripts/test.mjs with tfjs-node installed: nothing hidden
  assert.equal(b.info.skipped[0].kind, 'absent');
  assert.match(b.info.skipped[0].reason, /not installed/);
});

test('CLI: --native-backend naming no installation with --backend tensorflow exits 2 with one line naming the folder', () => {
  const r = runCli(['train', '--preset', 'seed-softmax-zeros', '--steps', '1', '--backend', 'tensorflow', '--native-backend', '/nonexistent/native', '--json']);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.deepEqual(r.stderr.trim().split('\n'), ['gradient-lens: backend "tensorflow" cannot be used here: /nonexistent/native does not exist (expected the package folder, or a folder with node_modules/@tensorflow/tfjs-node)']);
  const t = runCli(['train', '--preset', 'seed-softmax-zeros', '--threads', '0', '--json']);
  assert.equal(t.status, 2);
  assert.match(t.stderr, /^gradient-lens: --threads must be an integer >= 1, got "0"\n$/);
});
