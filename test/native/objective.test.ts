// The program parts the trainer runs (test/unit/objectiveChecks.ts: every objective head, pixel transforms, dropout,
// regularisers, weight decay, clipping, a missing bias, accumulation, schedules) against tf.grads on the REAL
// tfjs-node, whose backward takes its own kernels (BatchMatMulV2, ReluGrad, BiasAddGrad). Skipped, saying why, where
// tfjs-node is not usable (test/native/native.ts).
import { selectBackend } from '../../src/core/backend';
import { loadMnist } from '../../src/core/mnist';
import { objectiveChecks } from '../unit/objectiveChecks';
import { nativePath, requireNativeWhereDemanded, skip } from './native';

requireNativeWhereDemanded('objective');

let loaded: Promise<{ backend: Awaited<ReturnType<typeof selectBackend>>; data: ReturnType<typeof loadMnist> }> | undefined;
objectiveChecks('tensorflow', () => (loaded ??= (async () => ({ backend: await selectBackend('tensorflow', {}, { nativePath }), data: loadMnist() }))()), skip);
