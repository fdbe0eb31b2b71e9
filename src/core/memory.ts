// How much memory a spec needs to train, estimated before training from what trainer.ts allocates,
// and whether the backend and the machine have it. A schema-valid spec such as 16 × 4096 units, or a
// batch of 60,000 through wide layers, would otherwise run for minutes and end in wasm's `Aborted()` /
// "memory access out of bounds" (its heap cannot grow past 4 GB) or in the machine swapping.
// The CLI refuses such a spec with the figures; the extension warns with them.
//
// The figures are upper-bound estimates of the peak, in bytes. What the trainer keeps as tensors (in
// the wasm heap, libtensorflow, or JS typed arrays for cpu): the variables (P parameters), one
// gradient each, the optimizer's slots and update temporaries (Adam updates every variable in one
// tidy: ≈ 11 × P temporaries), the backend's own copies (XNNPACK packs each kernel for its matmul),
// the resident training batches (up to one epoch of 60,000 × 784 floats), and a step's activations
// and backward temporaries (batch × (784 + units), a few times over). In JavaScript: MNIST as bytes
// and the probes' copies of weights and gradients (two probes' worth can be alive before a GC, on the training
// thread and again on the diagnostics thread, which gets a copy: src/core/diagnostics/engineThread.ts).
//
// The per-parameter and per-batch-value factors were measured on the wasm backend (heap size after
// short runs of 784-2048-2048-10 with each optimizer, 784-4096×3-10, 784-512-10 at batch 60,000 and
// 784-1024-10 at batch 20,000): SGD 5.4–5.9 × P floats, momentum 9.1, RMSProp 16.9, Adam 20.6, and
// 2.6–3.5 × batch × (784 + units) floats. The factors below are those plus about 20–30 %;
// test/unit/memory.test.ts checks on real runs that the estimate stays above the measured heap and
// within 2.5× of it.
import { totalmem } from 'node:os';
import { type ModelSpec, INPUT_SIZE, parameterCount } from './spec';

const F32 = 4;
/** MNIST kept as bytes (60,000 + 10,000 images of 784 bytes, plus labels), and the IDX file buffers while loading. */
const MNIST_BYTES = 70_000 * (INPUT_SIZE + 1);
/** Node, tfjs and the backend's own start-up allocations (measured: ≈ 60–90 MB; rounded up). */
const BASELINE_BYTES = 128 * 2 ** 20;
const TRAIN_COUNT = 60_000;
const EVAL_CHUNK = 2_000;
const PROBE_EXAMPLES = 256;

/** Largest heap the wasm backend can grow to: 4 GiB minus a page (tfjs-backend-wasm 4.22's getHeapMax()). */
export const WASM_HEAP_MAX_BYTES = 4294901760;
/** Share of that heap a run may plan to use: allocation failed at 3.84 GB of live tensors on this build (fragmentation). */
const WASM_USABLE_SHARE = 0.8;
/** Share of the machine's memory a run may plan to use (the rest: the OS, the editor, other programs). */
const MACHINE_USABLE_SHARE = 0.75;

export interface MemoryPart {
  what: string;
  bytes: number;
}

export interface MemoryEstimate {
  /** Peak bytes held as tensors by the backend. */
  tensorBytes: number;
  /** Peak bytes held by JavaScript (MNIST, probe copies, start-up). */
  jsBytes: number;
  totalBytes: number;
  /** The largest contributions, largest first (for messages). */
  parts: MemoryPart[];
}

export interface EstimateOptions {
  /** Whether probes run (the diagnostics: probeEvery > 0). Default true. */
  probing?: boolean;
  shuffle?: boolean;
}

/** Peak tensor floats per parameter, by optimizer (measured on wasm, plus a margin: see the header). */
const PER_PARAMETER: Readonly<Record<string, number>> = { sgd: 7, momentum: 11, rmsprop: 20, adam: 24 };
/** Extra for Nesterov momentum (two more temporaries per variable). */
const NESTEROV_EXTRA = 2;
/** Peak tensor floats per (example × (784 + units)) of a training step (forward and backward). */
const PER_BATCH_VALUE = 4.5;
/** The wasm heap a run starts with (16 MB), which small runs never outgrow. */
const WASM_START_BYTES = 16 * 2 ** 20;

/** The peak memory training `spec` needs (see the header for what is counted). */
export function estimateTrainingMemory(spec: ModelSpec, opts: EstimateOptions = {}): MemoryEstimate {
  const probing = opts.probing ?? true;
  const B = spec.batchSize;
  const P = parameterCount(spec);
  const units = spec.layers.reduce((a, l) => a + l.units, 0);
  const resident = !opts.shuffle && TRAIN_COUNT % B === 0;
  const residentFloats = resident ? Math.min(spec.steps, TRAIN_COUNT / B) * B * INPUT_SIZE : 0;
  const o = spec.optimizer;
  const perParameter = (PER_PARAMETER[o.type] ?? PER_PARAMETER.adam) + (o.type === 'momentum' && o.useNesterov ? NESTEROV_EXTRA : 0);
  // The largest pass over a batch: a training step or a probe (forward and backward), or an
  // evaluation chunk (forward only: its outputs and input, once each, plus a margin).
  const width = INPUT_SIZE + units;
  const stepFloats = PER_BATCH_VALUE * Math.max(B, probing ? PROBE_EXAMPLES : 0) * width;
  const evalFloats = 1.5 * EVAL_CHUNK * width;
  const parts: MemoryPart[] = [
    { what: `${o.type} training of ${P.toLocaleString('en-US')} parameters`, bytes: perParameter * P * F32 },
    stepFloats >= evalFloats
      ? { what: `activations of a batch of ${B}`, bytes: stepFloats * F32 }
      : { what: `activations of a test-set chunk of ${EVAL_CHUNK}`, bytes: evalFloats * F32 },
  ];
  if (residentFloats > 0) parts.push({ what: 'training batches kept as tensors', bytes: residentFloats * F32 });
  const tensorBytes = WASM_START_BYTES + parts.reduce((a, p) => a + p.bytes, 0) + (probing ? PROBE_EXAMPLES * INPUT_SIZE * F32 : 0);
  const probeCopies = probing ? 2 * 2 * (2 * P + 2 * PROBE_EXAMPLES * units) * F32 : 0;
  if (probeCopies > 0) parts.push({ what: 'probe copies of weights and gradients', bytes: probeCopies });
  const jsBytes = BASELINE_BYTES + MNIST_BYTES + probeCopies + 2 * B * INPUT_SIZE * F32;
  parts.sort((a, b) => b.bytes - a.bytes);
  return { tensorBytes, jsBytes, totalBytes: tensorBytes + jsBytes, parts };
}

/** "1.2 GB", "340 MB" (powers of 1024, as memory is counted). */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GB`;
  if (n >= 2 ** 20) return `${Math.round(n / 2 ** 20)} MB`;
  return `${Math.max(1, Math.round(n / 2 ** 10))} kB`;
}

export interface MemoryCheck {
  ok: boolean;
  estimate: MemoryEstimate;
  /** The limit that applies (bytes) and what it is. */
  limitBytes: number;
  limit: string;
  /** One line with the figures (also when ok). */
  message: string;
}

/**
 * Whether training `spec` on `backend` fits: on wasm the tensors must fit in its heap, and on every
 * backend the whole run must fit in the machine's memory. `machineBytes` is injectable for tests.
 */
export function checkTrainingMemory(spec: ModelSpec, backend: string, opts: EstimateOptions & { machineBytes?: number } = {}): MemoryCheck {
  const estimate = estimateTrainingMemory(spec, opts);
  const machine = opts.machineBytes ?? totalmem();
  const machineLimit = MACHINE_USABLE_SHARE * machine;
  const wasmLimit = WASM_USABLE_SHARE * WASM_HEAP_MAX_BYTES;
  const top = estimate.parts.slice(0, 3).map((p) => `${p.what} ${formatBytes(p.bytes)}`).join(', ');
  const needs = `training "${spec.name}" needs about ${formatBytes(estimate.totalBytes)} of memory (${top})`;
  if (backend === 'wasm' && estimate.tensorBytes > wasmLimit) {
    return {
      ok: false, estimate, limitBytes: wasmLimit, limit: 'wasm heap',
      message: `${needs}; its ${formatBytes(estimate.tensorBytes)} of tensors do not fit in the wasm backend's heap, which cannot grow past ${formatBytes(WASM_HEAP_MAX_BYTES)} (at most ${formatBytes(wasmLimit)} usable). Use fewer or narrower layers or a smaller batch (or the tensorflow backend).`,
    };
  }
  if (estimate.totalBytes > machineLimit) {
    return {
      ok: false, estimate, limitBytes: machineLimit, limit: 'machine memory',
      message: `${needs}, more than ${Math.round(MACHINE_USABLE_SHARE * 100)}% of this machine's ${formatBytes(machine)}. Use fewer or narrower layers or a smaller batch.`,
    };
  }
  return { ok: true, estimate, limitBytes: backend === 'wasm' ? Math.min(wasmLimit, machineLimit) : machineLimit, limit: backend === 'wasm' ? 'wasm heap' : 'machine memory', message: needs };
}
