import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend, defaultLoaders, BackendError } from '../../src/core/backend';
import { runCli } from './helpers';

let tfjsNodeInstalled = true;
try {
  require.resolve('@tensorflow/tfjs-node');
} catch {
  tfjsNodeInstalled = false;
}

test('auto picks tfjs-node when it loads, else wasm, and records why tensorflow was skipped (real loaders)', async () => {
  const b = await selectBackend('auto');
  if (tfjsNodeInstalled) {
    assert.equal(b.info.name, 'tensorflow');
    assert.deepEqual(b.info.skipped, []);
  } else {
    assert.equal(b.info.name, 'wasm');
    assert.equal(b.info.skipped.length, 1);
    assert.equal(b.info.skipped[0].name, 'tensorflow');
    assert.match(b.info.skipped[0].reason, /tfjs-node is not installed/);
  }
  assert.equal(b.tf.getBackend(), b.info.name);
});

test('tfjs-node "present" branch, through an injected loader standing in for tfjs-node: auto uses it first', async () => {
  let wasmTried = false;
  const b = await selectBackend('auto', {
    tensorflow: defaultLoaders.cpu, // a working backend under the tensorflow name
    wasm: async () => { wasmTried = true; throw new Error('must not be tried'); },
  });
  assert.equal(b.info.name, 'tensorflow');
  assert.deepEqual(b.info.skipped, []);
  assert.equal(wasmTried, false);
});

test('auto falls through to cpu when tensorflow and wasm fail (injected failing loaders), listing both reasons', async () => {
  const b = await selectBackend('auto', {
    tensorflow: async () => { throw new Error("Cannot find module '@tensorflow/tfjs-node'"); },
    wasm: async () => { throw new Error('no WebAssembly here'); },
  });
  assert.equal(b.info.name, 'cpu');
  assert.equal(b.tf.getBackend(), 'cpu');
  assert.deepEqual(b.info.skipped.map((s) => s.name), ['tensorflow', 'wasm']);
  assert.equal(b.info.skipped[1].reason, 'no WebAssembly here');
});

test('a forced backend that cannot load is a BackendError, with no silent fallback', async () => {
  await assert.rejects(selectBackend('wasm', { wasm: async () => { throw new Error('boom'); } }), (e: Error) => e instanceof BackendError && e.message === 'backend "wasm" cannot be used here: boom');
  await assert.rejects(selectBackend('gpu' as 'cpu'), /unknown backend "gpu"/);
});

test('forced wasm and cpu load for real and report themselves', async () => {
  const w = await selectBackend('wasm');
  assert.equal(w.info.name, 'wasm');
  assert.equal(w.info.simd, true);
  const c = await selectBackend('cpu');
  assert.equal(c.info.name, 'cpu');
  assert.equal(c.tf.getBackend(), 'cpu');
});

test('CLI: --backend tensorflow where tfjs-node cannot load exits 2 with the reason', { skip: tfjsNodeInstalled && 'tfjs-node is installed here' }, () => {
  const r = runCli(['train', '--preset', 'seed-softmax-zeros', '--steps', '1', '--backend', 'tensorflow', '--json']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^gradient-lens: backend "tensorflow" cannot be used here: @tensorflow\/tfjs-node is not installed/);
});

test('CLI: the backend in use and the skipped ones are in the JSON', () => {
  const r = runCli(['train', '--preset', 'seed-softmax-zeros', '--steps', '3', '--backend', 'cpu', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.backend, 'cpu');
  assert.deepEqual(out.backendInfo, { name: 'cpu', requested: 'cpu', skipped: [] });
});
