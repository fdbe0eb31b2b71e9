// The memory estimate (src/core/memory.ts) against what real training takes: short real runs on the
// wasm backend, each in a fresh process (the wasm heap only grows, so its size after the run is the
// run's peak). The estimate must stay above the measured heap — it is used to refuse specs — and
// within 2.5× of it plus the 16 MB the heap starts with, or it would refuse specs that train fine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseSpec, type ModelSpec } from '../../src/core/spec';
import { estimateTrainingMemory, formatBytes } from '../../src/core/memory';
import { repoRoot } from './helpers';

const MEASURE = `
const { selectBackend } = require('./out/src/core/backend');
const { loadMnist } = require('./out/src/core/mnist');
const { runWithDiagnostics } = require('./out/src/core/run');
(async () => {
  const spec = JSON.parse(process.argv[1]);
  const backend = await selectBackend('wasm');
  const data = loadMnist();
  await runWithDiagnostics(spec, { backend, data, probeEvery: 2 });
  process.stdout.write(String(backend.tf.backend().wasm.HEAPU8.length));
})().catch((e) => { console.error(e); process.exit(1); });`;

function measuredHeap(spec: ModelSpec): number {
  const r = spawnSync(process.execPath, ['-e', MEASURE, JSON.stringify(spec)], { cwd: repoRoot, encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, r.stderr);
  return Number(r.stdout);
}

const mlp = (name: string, hidden: number[], optimizer: object, batchSize: number, steps: number): ModelSpec => parseSpec({
  name, layers: [...hidden.map((units) => ({ units, activation: 'relu', kernelInitializer: 'heNormal' })), { units: 10, activation: 'softmax' }],
  optimizer, batchSize, steps,
});

// Parameter-heavy with each optimizer state, and batch-heavy: the two terms of the estimate.
const CASES: ModelSpec[] = [
  mlp('wide-sgd', [2048, 2048], { type: 'sgd', learningRate: 0.01 }, 100, 4),
  mlp('wide-adam', [2048, 2048], { type: 'adam', learningRate: 0.001 }, 100, 4),
  mlp('wide-rmsprop', [1536, 1536], { type: 'rmsprop', learningRate: 0.001 }, 100, 4),
  mlp('wide-momentum', [2048, 1024], { type: 'momentum', learningRate: 0.01, useNesterov: true }, 100, 4),
  mlp('big-batch', [512], { type: 'sgd', learningRate: 0.01 }, 30_000, 2),
];

test(`the estimate bounds the real wasm heap from above, within 2.5× (${CASES.length} real runs: each optimizer's state, a batch of 30,000)`, () => {
  for (const spec of CASES) {
    const heap = measuredHeap(spec);
    const est = estimateTrainingMemory(spec, { probing: true }).tensorBytes;
    console.log(`${spec.name}: wasm heap ${formatBytes(heap)}, estimate ${formatBytes(est)} (${(est / heap).toFixed(2)}×)`);
    assert.ok(est >= heap, `${spec.name}: estimate ${formatBytes(est)} below the measured ${formatBytes(heap)}`);
    assert.ok(est <= 2.5 * heap + 16 * 2 ** 20, `${spec.name}: estimate ${formatBytes(est)} more than 2.5× the measured ${formatBytes(heap)}`);
  }
});
