// Built-in runs: the five seed runs of docs/design.md's seed table (reproduced exactly), healthy modern
// baselines, and a teaching case that shows symmetry without dead units.
import { type ModelSpec, parseSpec } from './spec';

export interface Preset {
  id: string;
  /** One line for the QuickPick and `--help`. */
  description: string;
  /** Part of the seed question's table. */
  seed: boolean;
  /** Test accuracy the seed question reported (seed runs only). */
  reportedAccuracy?: number;
  /** The band our trainer must land in on the full data and step count (seed runs only). */
  band?: [number, number];
  spec: ModelSpec;
}

const sgd = { type: 'sgd', learningRate: 0.5 } as const;

const define = (p: Omit<Preset, 'spec'> & { spec: unknown }): Preset => ({ ...p, spec: parseSpec(p.spec) });

export const PRESETS: readonly Preset[] = [
  define({
    id: 'seed-softmax-zeros', seed: true, reportedAccuracy: 0.92, band: [0.9, 0.93],
    description: 'Softmax regression 784 → 10, weights zero (the TF tutorial): ≈ 0.92',
    spec: { name: 'seed-softmax-zeros', layers: [{ units: 10, activation: 'softmax', kernelInitializer: 'zeros' }], optimizer: sgd },
  }),
  define({
    id: 'seed-softmax-normal', seed: true, reportedAccuracy: 0.88, band: [0.85, 0.9],
    description: 'Softmax regression, W ~ N(0, 1) (tf.random_normal defaults): ≈ 0.88',
    spec: { name: 'seed-softmax-normal', layers: [{ units: 10, activation: 'softmax', kernelInitializer: { type: 'randomNormal', mean: 0, stddev: 1 } }], optimizer: sgd },
  }),
  define({
    id: 'seed-softmax-uniform01', seed: true, reportedAccuracy: 0.91, band: [0.89, 0.925],
    description: 'Softmax regression, W ~ U(0, 1) (tf.random_uniform defaults): ≈ 0.91',
    spec: { name: 'seed-softmax-uniform01', layers: [{ units: 10, activation: 'softmax', kernelInitializer: { type: 'randomUniform', minval: 0, maxval: 1 } }], optimizer: sgd },
  }),
  define({
    id: 'seed-mlp-zeros', seed: true, reportedAccuracy: 0.11, band: [0.1, 0.12],
    description: '784 → 100 ReLU → 10, all weights and biases zero: ≈ 0.11 (dead units)',
    spec: {
      name: 'seed-mlp-zeros',
      layers: [
        { units: 100, activation: 'relu', kernelInitializer: 'zeros', biasInitializer: 'zeros' },
        { units: 10, activation: 'softmax', kernelInitializer: 'zeros' },
      ],
      optimizer: sgd,
    },
  }),
  define({
    id: 'seed-mlp-uniform', seed: true, reportedAccuracy: 0.96, band: [0.945, 0.975],
    description: '784 → 100 ReLU → 10, W ~ U(−0.01, 0.01), b = 0: ≈ 0.96',
    spec: {
      name: 'seed-mlp-uniform',
      layers: [
        { units: 100, activation: 'relu', kernelInitializer: { type: 'randomUniform', minval: -0.01, maxval: 0.01 } },
        { units: 10, activation: 'softmax', kernelInitializer: { type: 'randomUniform', minval: -0.01, maxval: 0.01 } },
      ],
      optimizer: sgd,
    },
  }),
  define({
    id: 'he-relu-adam', seed: false,
    description: 'Healthy: 784 → 128 ReLU (He normal) → 10, Adam 0.001',
    spec: {
      name: 'he-relu-adam',
      layers: [
        { units: 128, activation: 'relu', kernelInitializer: 'heNormal' },
        { units: 10, activation: 'softmax', kernelInitializer: 'glorotUniform' },
      ],
      optimizer: { type: 'adam', learningRate: 0.001 },
    },
  }),
  define({
    id: 'two-hidden-momentum', seed: false,
    description: 'Healthy: 784 → 256 ReLU → 128 ReLU → 10 (He uniform), momentum 0.9, lr 0.05',
    spec: {
      name: 'two-hidden-momentum',
      layers: [
        { units: 256, activation: 'relu', kernelInitializer: 'heUniform' },
        { units: 128, activation: 'relu', kernelInitializer: 'heUniform' },
        { units: 10, activation: 'softmax', kernelInitializer: 'glorotUniform' },
      ],
      optimizer: { type: 'momentum', learningRate: 0.05, momentum: 0.9 },
    },
  }),
  define({
    id: 'sigmoid-zeros', seed: false,
    description: 'Teaching case: 784 → 100 sigmoid → 10, all zeros: symmetric units, not dead',
    spec: {
      name: 'sigmoid-zeros',
      layers: [
        { units: 100, activation: 'sigmoid', kernelInitializer: 'zeros' },
        { units: 10, activation: 'softmax', kernelInitializer: 'zeros' },
      ],
      optimizer: sgd,
    },
  }),
];

export function findPreset(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}
