// The kernel pass of the probe statistics: its branch-free fast path must give exactly what the element-by-element
// checked pass gives, on finite input (bit for bit) and on input with NaN / ±Infinity (where it defers to it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelPass, kernelPassChecked } from '../../src/core/diagnostics/layerStats';
import { Rng } from '../../src/core/rng';

const plain = (k: ReturnType<typeof kernelPass>) => ({ ...k, unitGradSq: Array.from(k.unitGradSq) });

function arrays(seed: number, fanIn: number, units: number, zeroShare: number): { w: Float32Array; g: Float32Array } {
  const rng = Rng.derive(seed, 7);
  const n = fanIn * units;
  const w = Float32Array.from({ length: n }, () => (rng.uniform(0, 1) < zeroShare ? 0 : 0.1 * rng.normal()));
  // gradients: whole zero rows (inputs that are 0 on every probe image) and scattered exact zeros
  const g = Float32Array.from({ length: n }, (_, i) => (Math.floor(i / units) % 5 === 0 || rng.uniform(0, 1) < zeroShare ? 0 : 1e-3 * rng.normal()));
  return { w, g };
}

test('kernel pass: fast path equals the checked pass exactly on finite input', () => {
  for (const [fanIn, units, zeros] of [[784, 100, 0.1], [100, 10, 0.5], [3, 1, 0], [64, 32, 1]] as const) {
    const { w, g } = arrays(fanIn * units, fanIn, units, zeros);
    assert.deepEqual(plain(kernelPass(w, g, fanIn, units)), plain(kernelPassChecked(w, g, fanIn, units)), `${fanIn}×${units}, ${zeros} zeros`);
  }
  // all zero: zero kernel and zero gradient
  const z = new Float32Array(12);
  const k = kernelPass(z, z, 4, 3);
  assert.equal(k.zeroGrad, true);
  assert.equal(k.zeroKernel, true);
  assert.deepEqual(plain(k), plain(kernelPassChecked(z, z, 4, 3)));
  // -0 counts as zero
  const nz = Float32Array.from([-0, 0, -0, 0]);
  assert.equal(kernelPass(nz, nz, 2, 2).zeroGrad, true);
});

test('kernel pass: NaN and ±Infinity in weights or gradients give the checked pass\'s counts and NaN unit norms', () => {
  for (const bad of [Number.NaN, Infinity, -Infinity]) {
    for (const where of ['weights', 'grads', 'both'] as const) {
      const { w, g } = arrays(5, 50, 20, 0.2);
      if (where !== 'grads') w[123] = bad;
      if (where !== 'weights') { g[77] = bad; g[900] = bad; }
      const fast = kernelPass(w, g, 50, 20);
      assert.deepEqual(plain(fast), plain(kernelPassChecked(w, g, 50, 20)), `${bad} in ${where}`);
      assert.equal(fast.badWeights, where === 'grads' ? 0 : 1);
      assert.equal(fast.badGrad, where === 'weights' ? 0 : 2);
      if (where !== 'weights') assert.ok(Number.isNaN(fast.unitGradSq[77 % 20]), 'the unit with a bad gradient has a NaN norm');
    }
  }
});
