// What the diagnostics engine hands out at each probe: findings and histograms, numbers only, ready
// to post to the panel (they cross the training-process boundary as JSON).
import type { Finding, Fix } from '../findings';
import type { ProbeData, EndEvent, EvalEvent } from '../events';

export interface Histogram {
  /** How the edges are spaced; log10 edges are still given in linear units. */
  scale: 'linear' | 'log10';
  /** bins + 1 edges, fixed for the whole run so frames are comparable over time. */
  edges: number[];
  counts: number[];
  /** Values that are exactly zero (not counted in any bin when scale is log10). */
  zeros: number;
  /** NaN or ±Infinity values (never counted in a bin). */
  nonFinite: number;
  /** Values outside [edges[0], edges[last]] clamped into the first / last bin. */
  clamped: number;
  min: number;
  max: number;
}

export interface LayerReport {
  layer: number;
  units: number;
  activation: string;
  /** Distribution of per-unit L2 norms of the incoming weight gradient (one value per unit). */
  gradNorm: Histogram;
  /** Distribution of the layer's kernel weights. */
  weights: Histogram;
  /** Per unit: share of probe inputs on which the unit is active (output > 0 for ReLU-family, not saturated for sigmoid/tanh). */
  activity: number[];
  /** Number of distinct units (symmetric units count once). */
  effectiveWidth: number;
  /** Mean |gradient| over the kernel. */
  meanAbsGrad: number;
  /** L2 norm of the kernel gradient. */
  gradNormTotal: number;
}

export interface ProbeReport {
  step: number;
  loss: number;
  layers: LayerReport[];
  /** The findings that hold now (confirmed on two consecutive probes); withdrawn ones are absent. */
  findings: Finding[];
}

export interface DiagnosticsOptions {
  /** Overrides of detector thresholds by name (see thresholds.ts); unknown keys are ignored. */
  thresholds?: Partial<Record<string, number>>;
  /**
   * Share of each class in the test labels (length 10), for collapsed-output's evidence. Without it
   * the test share is reported only when every prediction is one class (it then equals the accuracy).
   */
  testClassPrior?: number[];
  /**
   * The cures the importer wrote edits for (ImportResult.programFixes' fixes): the program's findings offer those
   * that cure them. Absent (a JSON spec, a preset): each offers its spec-level fix.
   */
  programFixes?: Fix[];
}

export interface DiagnosticsEngine {
  /** Called by the trainer's probe hook; returns what to show for this probe. */
  onProbe(probe: ProbeData): ProbeReport;
  /** Called once after the final evaluation; returns the run's final findings. */
  onEnd(end: EndEvent, finalEval: EvalEvent | undefined): Finding[];
}
