// What the PyTorch reader records about the program's parts while it reads (program.ts assembles them into the
// spec's data / objective / update / loop, the program sites, the cures and the deviations): the pixel scale a
// tensor carries, the inputs fed to the model, the losses, the loop's events in order (zero_grad, backward,
// step, scheduler steps, gradient clipping), dropout, and the places where the run will differ from the program.
// Every concern writes here; it imports nothing of theirs.
import type { Activation, ObjectiveSpec } from '../../../spec';
import type { Span } from '../../ast';
import type { LoopFrame } from '../../interpret';
import type { Fx, LayerRec } from '../../model';
import { perFile } from './state';

/**
 * How a tensor's values come from the pixel bytes: `(byte / divideBy − mean) / std`. `rawAt`: the expression that
 * made float pixels without scaling them (where `/ 255.` goes); `scaledAt`: where they are scaled / normalised.
 */
export interface PixelScale {
  divideBy: number;
  mean?: number;
  std?: number;
  rawAt?: Span;
  scaledAt?: Span;
  /** `transforms.PILToTensor()`: its call (a cure writes `transforms.ToTensor()` there). */
  pilToTensor?: { span: Span; callee: Span };
}

/** A source edit (offsets; program.ts turns them into ranges). */
export interface SpanEdit {
  span: Span;
  newText: string;
}

/** The edit that removes the output activation where it is applied (`F.softmax(x, dim=1)` → `x`), and its callee. */
export interface ActivationEdit {
  remove: SpanEdit;
  /** The callee as written (`F.softmax`, `nn.Softmax`, `x.softmax`'s `softmax`) for a rename (softmax → log_softmax). */
  callee?: Span;
}

export interface LossRecord {
  objective: ObjectiveSpec;
  /** What was read: `CrossEntropyLoss`, `F.nll_loss`, `hand-written`... (for messages). */
  name: string;
  /** The loss as written: its constructor (a module) or the call / formula. */
  span: Span;
  /** Where it is applied to the output (`criterion(output, target)`). */
  applied: Span;
  /** The callee to rename for another loss (`nn.MSELoss` in `nn.MSELoss()`, `F.nll_loss`). */
  callee?: Span;
  reductionSpan?: Span;
  layer: LayerRec;
  /** The output activation when the loss was applied. */
  outputActivation: Activation;
  /** The target as passed, when it is `F.one_hot(labels, 10)...`: the edit that passes the labels instead. */
  oneHotTarget?: SpanEdit;
  /** The target is not one-hot (class indices) where the loss needs one-hot targets. */
  indexTarget?: boolean;
  /** A hand-written binary cross-entropy of the logits: the edit that writes `F.cross_entropy(out, labels)` over it. */
  crossEntropyEdit?: SpanEdit;
  /** Its value reached `.backward()`. */
  trained: boolean;
}

export type LoopEventKind = 'zero' | 'backward' | 'step' | 'schedulerStep' | 'clip';

export interface LoopEvent {
  kind: LoopEventKind;
  loops: readonly LoopFrame[];
  span: Span;
  /** step: the optimizer's name as written (`optimizer` in `optimizer.step()`). */
  receiver?: string;
  /** schedulerStep: the scheduler; clip: what it sets. */
  scheduler?: SchedulerRecord;
  clip?: { kind: 'globalClipNorm' | 'clipValue'; value: number };
  /** step: the DataLoader it iterates (data.ts DataLoaderV). */
  loader?: { len(): number | undefined; readonly batch: number; readonly shuffle: boolean; readonly dataset?: { readonly examples: number | undefined; readonly pixels?: PixelScale } };
}

export interface SchedulerRecord {
  kind: 'step' | 'exponential' | 'multistep';
  span: Span;
  stepSize?: number;
  gamma: number;
  milestones?: number[];
}

interface ProgramRecord {
  /** Input tensors given to the model (`rows`: the batch when a slice of the data is fed, `x_train[i:i + 100]`). */
  feeds: { pixels: PixelScale | undefined; unknown?: Span; rows?: number; loops: readonly LoopFrame[]; span: Span }[];
  losses: LossRecord[];
  events: LoopEvent[];
  /** Dropout on each layer's output, by the statement that applies it (two in a row drop 1 − (1 − a)(1 − b)). */
  dropout: Map<LayerRec, Map<string, { rate: number; span: Span }>>;
  /** The latest edit that removes each layer's activation where it is applied. */
  activationEdits: Map<LayerRec, ActivationEdit>;
  deviations: { span: Span; message: string }[];
}

export const programRecord = perFile<ProgramRecord>(() => ({ feeds: [], losses: [], events: [], dropout: new Map(), activationEdits: new Map(), deviations: [] }));

/** Where the run will differ from the program as written (a warning, never silent); once per place and message. */
export function deviate(fx: Fx, span: Span, message: string): void {
  const d = programRecord(fx).deviations;
  if (!d.some((x) => x.span.from === span.from && x.span.to === span.to && x.message === message)) d.push({ span, message });
}

export function loopEvent(fx: Fx, kind: LoopEventKind, span: Span, extra: Partial<LoopEvent> = {}): void {
  programRecord(fx).events.push({ kind, loops: [...fx.loops], span, ...extra });
}

/** The pixel scale after `op k` on the values (`x / 255`, `x - 0.1307`, `x.div(255)`); undefined when it cannot say. */
export function scalePixels(p: PixelScale, op: string, k: number, at: Span): PixelScale | undefined {
  if (!Number.isFinite(k)) return undefined;
  const out: PixelScale = { ...p, scaledAt: at };
  const normalised = p.mean !== undefined || p.std !== undefined;
  switch (op) {
    case '/':
      if (k === 0) return undefined;
      if (normalised) out.std = (p.std ?? 1) * k;
      else out.divideBy = p.divideBy * k;
      return out;
    case '*':
      if (k === 0) return undefined;
      if (normalised) out.std = (p.std ?? 1) / k;
      else out.divideBy = p.divideBy / k;
      return out;
    case '-': out.mean = (p.mean ?? 0) + k * (p.std ?? 1); return out;
    case '+': out.mean = (p.mean ?? 0) - k * (p.std ?? 1); return out;
    default: return undefined;
  }
}
