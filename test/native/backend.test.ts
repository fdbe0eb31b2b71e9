// Backend selection against the REAL @tensorflow/tfjs-node (no injected loader): the "present" branch of
// `auto`, the configured-path route, and the thread rule reaching libtensorflow. Skipped, saying why,
// where tfjs-node is not usable (test/native/native.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { realpathSync } from 'node:fs';
import { locateTfjsNode, resolveNativeThreads, selectBackend } from '../../src/core/backend';
import { repoRoot } from '../unit/helpers';
import { checkNative, native, nativePath, requireNativeWhereDemanded, skip } from './native';

requireNativeWhereDemanded('backend');

const envBefore = { ...process.env };

test('auto loads the real tfjs-node first: backend tensorflow, nothing skipped, threads set by the rule before libtensorflow started', { skip }, async () => {
  const b = await selectBackend('auto', {}, { nativePath });
  assert.equal(b.info.name, 'tensorflow');
  assert.deepEqual(b.info.skipped, []);
  assert.equal(b.tf.getBackend(), 'tensorflow');
  const expected = resolveNativeThreads(undefined, envBefore);
  assert.equal(b.info.threads, expected.intraOp);
  assert.equal(b.info.interOpThreads, expected.interOp);
  assert.equal(process.env.TF_NUM_INTRAOP_THREADS, String(expected.intraOp));
  assert.match(b.info.tensorflowVersion ?? '', /^\d+\.\d+\.\d+/);
  assert.equal(b.info.nativePath, native.nativePath);
  console.log(`      tensorflow: libtensorflow ${b.info.tensorflowVersion}, ${b.info.threads} intra-op thread(s), from ${b.info.nativePath}`);
});

test('tensorflow computes what the cpu backend computes (a 100×784 · 784×100 product and a softmax)', { skip }, async () => {
  const x = Float32Array.from({ length: 100 * 784 }, (_, i) => Math.sin(i * 0.37) * 0.5 + 0.5);
  const w = Float32Array.from({ length: 784 * 100 }, (_, i) => Math.cos(i * 0.11) * 0.05);
  const compute = async (name: 'tensorflow' | 'cpu'): Promise<Float32Array> => {
    const { tf } = await selectBackend(name, {}, { nativePath });
    return tf.tidy(() => tf.softmax(tf.matMul(tf.tensor2d(x, [100, 784]), tf.tensor2d(w, [784, 100]))).dataSync() as Float32Array);
  };
  const a = await compute('tensorflow');
  const c = await compute('cpu');
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - c[i]));
  assert.ok(maxDiff < 1e-5, `max |tensorflow − cpu| = ${maxDiff}`);
  assert.ok(a.some((v, i) => v !== c[i]) || maxDiff === 0); // two real computations, not one value twice
});

test('configured path: the package folder, its node_modules folder and its prefix all name the same installation', { skip }, () => {
  const pkg = native.nativePath!;
  const nodeModules = dirname(dirname(pkg));
  for (const p of [pkg, nodeModules, dirname(nodeModules)]) assert.equal(realpathSync(locateTfjsNode(p)), realpathSync(pkg), p);
});

test('the training process loads tfjs-node by its path (the extension setting\'s route) and reports where from', { skip }, () => {
  const pkg = native.nativePath!;
  const r = checkNative(dirname(dirname(pkg)));
  assert.ok(r.ok, r.reason);
  assert.equal(realpathSync(r.nativePath!), realpathSync(pkg));
  const absent = checkNative(join(repoRoot, 'test'));
  assert.equal(absent.ok, false);
  assert.equal(absent.kind, 'absent');
  assert.match(absent.reason ?? '', /holds no @tensorflow\/tfjs-node/);
});

/** Threads of a fresh process that loaded tfjs-node with `threads` intra-op threads and ran 20 products. */
function threadCount(threads: number): number {
  const code = `
    const { selectBackend } = require(${JSON.stringify(join(repoRoot, 'out', 'src', 'core', 'backend.js'))});
    const fs = require('fs');
    selectBackend('tensorflow', {}, { nativePath: ${JSON.stringify(nativePath ?? null)} ?? undefined, threads: ${threads} }).then(({ tf, info }) => {
      const a = tf.randomNormal([400, 400]);
      for (let i = 0; i < 20; i++) tf.matMul(a, a).dataSync();
      process.stdout.write(JSON.stringify({ threads: info.threads, tasks: fs.readdirSync('/proc/self/task').length }));
    });`;
  const env = { ...process.env };
  delete env.TF_NUM_INTRAOP_THREADS;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { threads: number; tasks: number };
  assert.equal(out.threads, threads);
  return out.tasks;
}

test('the thread count reaches libtensorflow: 3 intra-op threads run 2 more OS threads than 1', { skip: skip || (process.platform !== 'linux' && 'counts /proc/self/task (Linux)') }, () => {
  const one = threadCount(1);
  const three = threadCount(3);
  assert.equal(three - one, 2, `threads of the process: ${one} with 1 intra-op thread, ${three} with 3`);
});
