// What a program does to its gradients and learning rate besides the optimizer's own rule (specParts.ts
// UpdateExtras, LayerExtras.kernelRegularizer, ModelSpec.accumulateGradients), applied by the trainer between the
// backward pass and the update, in the frameworks' order: regularisers and weight decay join the gradient, the
// gradients accumulate (no zero_grad), then clipping, then the optimizer with the scheduled learning rate.
// A spec without extras never reaches this module (the fast path stays as it was).
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import type { TF } from './backend';
import type { ModelSpec, ScheduleSpec } from './spec';

/** The learning rate at `step` (from 0) under the schedule. */
export function scheduledRate(base: number, s: ScheduleSpec | undefined, step: number): number {
  if (!s) return base;
  switch (s.type) {
    case 'exponential': {
      const p = step / s.decaySteps;
      return base * s.decayRate ** (s.staircase ? Math.floor(p) : p);
    }
    case 'step': return base * s.gamma ** Math.floor(step / s.stepSize);
    case 'piecewise': {
      const i = s.boundaries.findIndex((b) => step < b);
      return s.values[i === -1 ? s.values.length - 1 : i];
    }
  }
}

export function hasGradientExtras(spec: ModelSpec): boolean {
  const o = spec.optimizer;
  return Boolean(spec.accumulateGradients || o.weightDecay || o.clipNorm || o.globalClipNorm || o.clipValue || spec.layers.some((l) => l.kernelRegularizer || l.useBias === false));
}

/** Σ over regularised kernels of l2·Σw² + l1·Σ|w| (added to the reported loss, as Keras adds its regularisation losses). */
export function regularizationLoss(tf: TF, spec: ModelSpec, kernels: Tensor2D[]): number {
  if (!spec.layers.some((l) => l.kernelRegularizer)) return 0;
  return tf.tidy(() => {
    const terms: Tensor[] = [];
    spec.layers.forEach((l, i) => {
      const r = l.kernelRegularizer;
      if (r?.l2) terms.push(tf.mul(tf.sum(tf.square(kernels[i])), r.l2));
      if (r?.l1) terms.push(tf.mul(tf.sum(tf.abs(kernels[i])), r.l1));
    });
    return tf.addN(terms).dataSync()[0];
  });
}

/**
 * Transforms one step's gradients in place of the arrays (disposing what it replaces). `scale` is the factor the
 * gradients already carry (the folded learning rate of plain SGD), so the terms it adds and the clip bounds are
 * scaled the same way.
 */
export class GradientExtras {
  private readonly accumulated: Tensor[] = [];

  constructor(private readonly tf: TF, private readonly spec: ModelSpec) {}

  apply(kernels: Tensor2D[], biases: Tensor[], kernelGrads: Tensor[], biasGrads: Tensor[], scale: number): void {
    const { tf, spec } = this;
    const o = spec.optimizer;
    const replace = (list: Tensor[], i: number, next: Tensor): void => {
      list[i].dispose();
      list[i] = next;
    };
    spec.layers.forEach((layer, i) => {
      // no bias: it stays at zero (its gradient is dropped before anything else sees it)
      if (layer.useBias === false) replace(biasGrads, i, tf.zerosLike(biasGrads[i]));
      const r = layer.kernelRegularizer;
      if (r?.l2 || r?.l1) {
        replace(kernelGrads, i, tf.tidy(() => {
          let g = kernelGrads[i];
          if (r.l2) g = tf.add(g, tf.mul(kernels[i], 2 * r.l2 * scale));
          if (r.l1) g = tf.add(g, tf.mul(tf.sign(kernels[i]), r.l1 * scale));
          return g;
        }));
      }
      if (o.weightDecay) {
        replace(kernelGrads, i, tf.tidy(() => tf.add(kernelGrads[i], tf.mul(kernels[i], o.weightDecay! * scale))));
        if (layer.useBias !== false) replace(biasGrads, i, tf.tidy(() => tf.add(biasGrads[i], tf.mul(biases[i], o.weightDecay! * scale))));
      }
    });
    const all = (): Tensor[] => [...kernelGrads, ...biasGrads];
    const put = (j: number, t: Tensor): void => {
      const L = kernelGrads.length;
      if (j < L) replace(kernelGrads, j, t);
      else replace(biasGrads, j - L, t);
    };
    if (spec.accumulateGradients) {
      all().forEach((g, j) => {
        const prev = this.accumulated[j];
        const sum = prev ? tf.add(prev, g) : tf.clone(g);
        prev?.dispose();
        this.accumulated[j] = sum;
        put(j, tf.clone(sum));
      });
    }
    if (o.clipValue) {
      const v = o.clipValue * scale;
      all().forEach((g, j) => put(j, tf.clipByValue(g, -v, v)));
    }
    if (o.clipNorm) {
      const max = o.clipNorm * scale;
      all().forEach((g, j) => put(j, tf.tidy(() => {
        const norm = tf.norm(g).dataSync()[0];
        return norm > max ? tf.mul(g, max / norm) : tf.clone(g);
      })));
    }
    if (o.globalClipNorm) {
      const max = o.globalClipNorm * scale;
      const norm = Math.sqrt(tf.tidy(() => tf.addN(all().map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
      // tf.clip_by_global_norm and clip_grad_norm_ both scale by max / norm when norm exceeds max (NaN stays NaN)
      if (!(norm <= max)) {
        const factor = max / norm;
        all().forEach((g, j) => put(j, tf.mul(g, factor)));
      }
    }
  }

  dispose(): void {
    this.tf.dispose(this.accumulated);
    this.accumulated.length = 0;
  }
}
