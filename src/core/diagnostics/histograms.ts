// Histograms with bin edges fixed for a whole run, so the panel can compare frames over time.
// Gradient norms span many orders of magnitude: log10 bins, exact zeros counted apart (a dead or
// frozen unit has a gradient of exactly 0, which a log axis cannot show). Weights: linear bins.
import type { Histogram } from './types';

/** Per-unit gradient norms: 10^-10 … 10^4, four bins per decade (56 bins), the same for every run and layer. */
export const GRAD_NORM_LOG10_MIN = -10;
export const GRAD_NORM_LOG10_MAX = 4;
export const GRAD_NORM_BINS_PER_DECADE = 4;
export const WEIGHT_BINS = 48;

export function gradNormEdges(): number[] {
  const n = (GRAD_NORM_LOG10_MAX - GRAD_NORM_LOG10_MIN) * GRAD_NORM_BINS_PER_DECADE;
  return Array.from({ length: n + 1 }, (_, i) => 10 ** (GRAD_NORM_LOG10_MIN + i / GRAD_NORM_BINS_PER_DECADE));
}

/** Rounds up to 1, 2 or 5 × a power of ten. */
export function niceCeil(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/**
 * Symmetric linear edges [-R, R] for a layer's weights, chosen once per run from the initial
 * weights: R covers 1.5 × the largest initial |w| and 4 × the Glorot std for the layer (so a
 * zero-initialised layer still gets a useful range as it starts to learn).
 */
export function weightEdges(initialMaxAbs: number, glorotStd: number, bins = WEIGHT_BINS): number[] {
  const r = niceCeil(Math.max(1.5 * (Number.isFinite(initialMaxAbs) ? initialMaxAbs : 0), 4 * glorotStd));
  return Array.from({ length: bins + 1 }, (_, i) => ((2 * i - bins) * r) / bins);
}

function emptyHistogram(scale: Histogram['scale'], edges: number[]): Histogram {
  return { scale, edges, counts: new Array<number>(edges.length - 1).fill(0), zeros: 0, nonFinite: 0, clamped: 0, min: Infinity, max: -Infinity };
}

function track(h: Histogram, v: number): void {
  if (v < h.min) h.min = v;
  if (v > h.max) h.max = v;
}

/** min / max stay JSON-safe numbers: 0 when there was no finite value. */
function finish(h: Histogram): Histogram {
  if (h.min > h.max) { h.min = 0; h.max = 0; }
  return h;
}

/** Log10-binned histogram of non-negative values (norms); zeros and non-finite values are counted apart. */
export function logHistogram(values: ArrayLike<number>, edges: number[]): Histogram {
  const h = emptyHistogram('log10', edges);
  const bins = edges.length - 1;
  const lo = Math.log10(edges[0]);
  const perBin = (Math.log10(edges[bins]) - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) { h.nonFinite++; continue; }
    track(h, v);
    if (v === 0) { h.zeros++; continue; }
    let b = Math.floor((Math.log10(Math.abs(v)) - lo) / perBin);
    if (b < 0 || b >= bins) {
      h.clamped++;
      b = b < 0 ? 0 : bins - 1;
    }
    h.counts[b]++;
  }
  return finish(h);
}

/** Linear histogram; exact zeros are counted in their bin and also in `zeros`. One tight pass: it runs on every kernel at every probe. */
export function linearHistogram(values: ArrayLike<number>, edges: number[]): Histogram {
  const bins = edges.length - 1;
  const lo = edges[0];
  const hi = edges[bins];
  const perUnit = bins / (hi - lo);
  const hiTolerance = 1e-9 / perUnit;
  const counts = new Float64Array(bins);
  let zeros = 0;
  let nonFinite = 0;
  let clamped = 0;
  let min = Infinity;
  let max = -Infinity;
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v - v !== 0) { nonFinite++; continue; } // NaN or ±Infinity
    if (v < min) min = v;
    if (v > max) max = v;
    if (v === 0) zeros++;
    // [a, b) bins; the nudge keeps a value sitting on an edge (0 in a symmetric range) out of round-off's reach
    let b = Math.floor((v - lo) * perUnit + 1e-9);
    if (b < 0) { b = 0; clamped++; } else if (b >= bins) {
      // the top edge itself belongs to the last bin
      if (!(b === bins && v <= hi + hiTolerance)) clamped++;
      b = bins - 1;
    }
    counts[b]++;
  }
  return finish({ scale: 'linear', edges, counts: Array.from(counts), zeros, nonFinite, clamped, min, max });
}
