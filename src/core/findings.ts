// Findings: plain data produced by src/core (docs/design.md, "Findings"). host/ maps them to VS Code
// diagnostics, the panel lists them, the CLI prints them. Codes are stable: tests, settings and
// quick fixes key on them.
import type { Activation, DataSpec, Initializer, ObjectiveSpec, OptimizerSpec } from './spec';

export const FINDING_CODES = [
  'symmetric-units', 'dead-units', 'zero-gradient', 'vanishing-gradient', 'exploding-gradient',
  'non-finite', 'saturated-units', 'collapsed-output', 'loss-plateau', 'poor-init-scale', 'unstable-loss',
  'unscaled-input', 'output-loss-mismatch', 'loss-reduction', 'gradient-accumulation',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];
export type Severity = 'error' | 'warning' | 'info';

/** A structured fix: the panel re-runs with it applied; the editor turns it into a quick fix. */
export type Fix =
  | { kind: 'initializer'; layer: number; target: 'kernel' | 'bias'; value: Initializer; label: string }
  | { kind: 'activation'; layer: number; value: string; label: string }
  | { kind: 'learningRate'; value: number; label: string }
  | { kind: 'optimizer'; value: OptimizerSpec; label: string }
  /** Replace a hand-written log of a softmax by the framework's stable cross-entropy (the importer's edit; the run: a fused cross-entropy, same reduction). */
  | { kind: 'stableLoss'; label: string }
  /** How the pixels reach the first layer (e.g. `{ divideBy: 255 }` for `/ 255.`). */
  | { kind: 'data'; value: DataSpec; label: string }
  /** The loss on the output, and the output layer's activation with it when the cure changes both (remove the softmax before CrossEntropyLoss). */
  | { kind: 'objective'; value: ObjectiveSpec; outputActivation?: Activation; label: string }
  /** Zero the gradients every step (`optimizer.zero_grad()`). */
  | { kind: 'zeroGrad'; label: string }
  /** One cure that spans several layers (three zero-initialised tanh layers, six vanishing sigmoid layers): every change together. */
  | { kind: 'layers'; changes: LayerChange[]; label: string };

/** What a `layers` fix changes in one layer (at least one of the three). */
export interface LayerChange {
  layer: number;
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
  activation?: Activation;
}

/** Where a finding's layer is defined in the user's source (1-based, as the CLI prints it: docs/design.md). */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

export interface Finding {
  code: FindingCode | string;
  severity: Severity;
  /** Index into spec.layers; -1 for whole-model findings (loss, output). */
  layer: number;
  /** Units concerned, when the finding is about some units of a layer. */
  units?: number[];
  /** Training step at which the finding first held (0 = at initialisation, before training). */
  firstStep: number;
  /** Step of the latest probe at which it still held. */
  lastStep?: number;
  message: string;
  evidence: Record<string, number | string | boolean | number[]>;
  fixes: Fix[];
  source?: SourcePosition;
}

export const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
