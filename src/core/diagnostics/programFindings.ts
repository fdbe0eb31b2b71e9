// Findings about the parts of the training program besides the layers (spec.ts: data, objective, loop), from the
// spec alone: pixels fed as 0–255 (unscaled-input), an output that does not fit its loss (output-loss-mismatch), a
// loss summed over the batch (loss-reduction), a log of probabilities that can meet log(0) (unstable-loss), and
// gradients never zeroed (gradient-accumulation). The importer attaches them to the lines ProgramSites names and
// offers the cures it wrote edits for; the engine (engine.ts, programRun.ts) confirms or withdraws them in a run.
import type { Finding, Fix } from '../findings';
import type { ProgramFix, ProgramSites, SourceRange } from '../importers/types';
import { type ModelSpec, type ObjectiveSpec, objectiveOf, pixelTransform } from '../spec';
import { applyFix } from '../fixes';
import { STABLE_RATE, sci } from './fixes';

/** The codes of the program's causes, most fundamental first (a symptom names the first that holds). */
export const PROGRAM_CODES = ['unscaled-input', 'output-loss-mismatch', 'loss-reduction', 'unstable-loss', 'gradient-accumulation'] as const;
export type ProgramCode = (typeof PROGRAM_CODES)[number];

/** Inputs larger than this (in absolute value) reach the first layer unscaled: 20× the [0, 1] range a / 255 gives. */
export const UNSCALED_INPUT_MAX = 20;

/** A cause in the program, before it is placed in a file. */
export interface ProgramCause {
  code: ProgramCode;
  severity: Finding['severity'];
  message: string;
  /** What the cause is, in a few words, for a symptom's "because …". */
  short: string;
  evidence: Finding['evidence'];
  /** The cure as a change of the spec (offered for JSON specs and presets, and run by "Fix and re-train"); none where no change of this part cures. */
  fix?: Fix;
}

const OUTPUT_ACTIVATIONS_FOR: Record<string, string> = {
  logits: 'a linear output (no activation)', probabilities: 'a softmax output', logProbabilities: 'a log-softmax output',
};

/** The framework's cross-entropy from logits on a linear output: the cure for any output the loss does not fit. */
export function logitsCrossEntropyFix(o: ObjectiveSpec): Fix {
  const reduction = o.reduction === 'sum' ? 'sum' : 'mean';
  return {
    kind: 'objective', value: { loss: 'crossEntropy', from: 'logits', reduction }, outputActivation: 'linear',
    label: 'Pass the logits (a linear output) to a cross-entropy from logits',
  };
}

/** What an output activation does to the values a loss receives, or undefined when it fits the loss. */
function mismatch(act: string, o: ObjectiveSpec): { severity: Finding['severity']; what: string; why: string } | undefined {
  if (o.fused) return undefined; // a fused cross-entropy takes the softmax's logits (validated: the output is softmax)
  if (o.loss === 'crossEntropy' && o.from === 'logits') {
    if (act === 'linear' || act === 'logSoftmax') return undefined; // log-softmax is unchanged by a second log-softmax
    if (act === 'softmax') return { severity: 'warning', what: 'probabilities into a loss that expects logits (a double softmax)', why: 'the loss applies a softmax again to values in [0, 1], so its probabilities stay within a factor e ≈ 2.7 of each other: the loss cannot fall far below ln 10, its gradients stay small, and learning is slow and stalls early' };
    if (act === 'relu') return { severity: 'warning', what: 'a ReLU on the logits', why: 'every logit below 0 is cut to 0 and passes no gradient, so a class whose logit went negative for an image can no longer be pushed up or down there; units die and the model learns slowly or stalls' };
    if (act === 'sigmoid' || act === 'tanh') return { severity: 'warning', what: `${act} on the logits`, why: `the logits are squashed into ${act === 'sigmoid' ? '(0, 1)' : '(−1, 1)'}, so the softmax the loss applies stays close to uniform: the loss cannot fall far below ln 10 and its gradients fade as the ${act} saturates` };
    return { severity: 'warning', what: `${act} on the logits`, why: 'the loss expects the raw scores of a linear output; an activation there bends them and slows learning' };
  }
  if (o.loss === 'crossEntropy' && o.from === 'probabilities') {
    if (act === 'softmax') return undefined;
    if (act === 'sigmoid') return { severity: 'warning', what: 'sigmoid outputs into a categorical cross-entropy', why: `ten independent sigmoids do not sum to 1, so ${o.normalize ? 'after the division by their sum the model learns from ratios of saturating units and learns slowly' : 'the loss can push every output towards 1 at once and the model does not learn to choose one digit'}` };
    if (act === 'relu') return { severity: 'error', what: 'ReLU outputs into a loss that takes their log', why: `a ReLU outputs exactly 0 for every negative score, ${o.clip || o.logOffset ? 'which the clip or offset turns into a huge loss with no gradient' : 'log(0) = −∞, and the loss and every gradient turn NaN'}` };
    return { severity: 'error', what: 'logits into a loss that expects probabilities', why: `the outputs are not probabilities: they are negative for some classes, ${o.clip ? 'where the clip holds them at its bound and passes no gradient, so the model stalls' : 'and the log of a negative number is NaN, which spreads to every weight at the first step'}` };
  }
  if (o.loss === 'crossEntropy' && o.from === 'logProbabilities') {
    if (act === 'logSoftmax') return undefined;
    if (act === 'linear') return { severity: 'error', what: 'a log-softmax missing before the negative log-likelihood (NLLLoss)', why: 'the loss is −output[label] on raw scores, which has no lower bound: the step only ever raises the label\'s score, the scores grow without limit and the loss diverges' };
    if (act === 'softmax') return { severity: 'warning', what: 'probabilities into a negative log-likelihood (NLLLoss) that expects log-probabilities', why: 'the loss becomes −p[label], whose gradient vanishes as soon as a softmax saturates, so the model learns slowly and stalls' };
    return { severity: 'warning', what: `${act} outputs into a negative log-likelihood (NLLLoss)`, why: 'the loss expects log-probabilities (a log-softmax); −output[label] on other values is not a likelihood and trains badly' };
  }
  if (o.loss === 'meanSquaredError') {
    return { severity: 'warning', what: `a mean squared error on ${act === 'linear' ? 'a linear output' : `a ${act} output`} for ten classes`, why: 'squared error against one-hot labels gives small, shrinking gradients once the outputs near 0 and 1, and does not make the classes compete: the model learns far more slowly than with a cross-entropy' };
  }
  // binaryCrossEntropy
  if (o.from === 'probabilities' && act !== 'sigmoid' && act !== 'softmax') {
    return { severity: 'error', what: `${act} outputs into a binary cross-entropy that takes their log`, why: 'the outputs are not probabilities: the log of a negative number (or of 0) is NaN (or −∞), which spreads to every weight' };
  }
  return { severity: 'warning', what: 'a binary cross-entropy for ten classes', why: 'it treats the ten digits as ten independent yes/no questions, so nothing makes the model choose one digit: the 9 "no" answers dominate the loss and it learns more slowly than with a categorical cross-entropy' };
}

/** Where each program finding lands, in order of preference among the ProgramSites ranges. */
const SITES: Readonly<Record<ProgramCode, (keyof ProgramSites)[]>> = {
  'unscaled-input': ['input'], 'output-loss-mismatch': ['loss', 'outputActivation'], 'loss-reduction': ['reduction', 'loss'],
  'unstable-loss': ['loss'], 'gradient-accumulation': ['loop', 'optimizer'],
};

/** The range a program finding (by code) lands on, or undefined (not a program code, or no such site). */
export function programSite(code: string, sites: ProgramSites | undefined): SourceRange | undefined {
  if (!sites || !Object.prototype.hasOwnProperty.call(SITES, code)) return undefined;
  return SITES[code as ProgramCode].map((k) => sites[k]).find((x) => x !== undefined);
}

/** The causes the spec shows (in PROGRAM_CODES order). */
export function programCauses(spec: ModelSpec): ProgramCause[] {
  const out: ProgramCause[] = [];
  const o = objectiveOf(spec);
  const act = spec.layers[spec.layers.length - 1].activation;
  const lr = spec.optimizer.learningRate;
  const adaptive = spec.optimizer.type === 'adam' || spec.optimizer.type === 'rmsprop';

  const px = pixelTransform(spec);
  const largest = Math.max(Math.abs((255 / px.divideBy - px.mean) / px.std), Math.abs(px.mean / px.std));
  if (largest > UNSCALED_INPUT_MAX) {
    const scale = largest / 1;
    out.push({
      code: 'unscaled-input', severity: 'warning',
      short: `the pixels reach the first layer unscaled (up to ${sci(largest)} instead of 1)`,
      message: `The pixels reach the first layer as ${px.divideBy === 1 && px.mean === 0 && px.std === 1 ? 'raw bytes 0–255 (no `/ 255`)' : `values up to ${sci(largest)}`}: the initial weights are scaled for inputs around 1, so the first layer's pre-activations start about ${sci(scale)}× too large. With ${spec.optimizer.type === 'sgd' || spec.optimizer.type === 'momentum' ? 'SGD the gradients of the first layer are as much larger, so the first steps overshoot: the loss blows up, units saturate or die, and the model can end at chance' : `${spec.optimizer.type} the step size is normalised, but the first layer still starts saturated or overconfident`}. Divide the pixels by 255.`,
      evidence: { divideBy: px.divideBy, mean: px.mean, std: px.std, largestInput: largest, predicted: true },
      fix: { kind: 'data', value: { ...(spec.data ?? {}), divideBy: 255 }, label: 'Divide the pixels by 255' },
    });
  }

  if (spec.objective) {
    const m = mismatch(act, o);
    if (m) {
      const wants = o.loss === 'crossEntropy' ? OUTPUT_ACTIVATIONS_FOR[o.from] : 'a softmax output and a categorical cross-entropy';
      out.push({
        code: 'output-loss-mismatch', severity: m.severity,
        short: `the output does not fit the loss (${m.what})`,
        message: `The output does not fit the loss: ${m.what}. The output layer's activation is ${act} and the loss is ${describeObjective(o)}, which expects ${wants}: ${m.why}.`,
        evidence: { outputActivation: act, loss: o.loss, lossInput: o.from, ...(o.fused ? { fused: true } : {}), predicted: true },
        fix: logitsCrossEntropyFix(o),
      });
    }
    if (o.reduction === 'sum') {
      const perExample = o.loss === 'crossEntropy';
      const factor = perExample ? spec.batchSize : spec.batchSize * 10;
      // a sum whose effective rate stays within 10× the stable one (lr 0.01 summed over 100: 1.0) trains like a larger
      // mean-rate: a mean at the written rate is then the slower run (0.874 → 0.245 on tf1_compat_seed), not a cure
      const tame = !adaptive && lr * factor <= 10 * (STABLE_RATE[spec.optimizer.type] ?? Infinity);
      out.push({
        code: 'loss-reduction', severity: adaptive || tame ? 'info' : 'warning',
        short: `the loss is summed over the batch, so each step is ${factor}× larger than the learning rate ${lr} suggests`,
        message: `The loss is summed over the batch instead of averaged: its gradient, and so each ${spec.optimizer.type} step, is ${factor}× (${perExample ? `the batch size ${spec.batchSize}` : `${spec.batchSize} examples × 10 classes`}) larger than the written learning rate ${lr} suggests — an effective learning rate of ${sci(lr * factor)}. ${adaptive ? `${spec.optimizer.type} divides each step by the gradient's own scale, so here the sum changes little.` : 'Steps that large overshoot: the loss blows up or turns NaN, and units die or saturate.'} Average the loss over the batch (a mean).`,
        evidence: { reduction: 'sum', batchSize: spec.batchSize, stepFactor: factor, learningRate: lr, effectiveLearningRate: lr * factor, predicted: true },
        fix: tame ? undefined : { kind: 'objective', value: { ...o, reduction: 'mean' }, label: 'Average the loss over the batch (mean instead of sum)' },
      });
    }
    const logsProbabilities = (o.loss === 'crossEntropy' || o.loss === 'binaryCrossEntropy') && o.from === 'probabilities' && !o.fused;
    if (logsProbabilities && (act === 'softmax' || act === 'sigmoid') && o.clip === undefined && !(o.logOffset! > 0)) {
      out.push({
        code: 'unstable-loss', severity: 'warning',
        short: `the loss takes log(${act} output) with no clip or offset, and log(0) = −∞`,
        message: `This loss takes the log of ${act === 'softmax' ? 'a softmax' : 'a sigmoid'} output by hand, with no clip and no offset: in float32 a probability can underflow to exactly 0 once the model is confident, log(0) = −∞, and from then on the loss and the gradients are NaN and the model stops learning (with the seed's program in real TensorFlow, 2 of 10 seeds ended at 0.098 accuracy). The run trains this loss as written, so it turns NaN where TensorFlow's does. Use the framework's cross-entropy on the logits.`,
        evidence: { outputActivation: act, loss: o.loss, reduction: o.reduction, predicted: true },
        fix: act === 'softmax' && o.loss === 'crossEntropy'
          ? { kind: 'stableLoss', label: 'Use the stable softmax cross-entropy' }
          : { kind: 'objective', value: { loss: 'binaryCrossEntropy', from: 'logits', reduction: o.reduction }, outputActivation: 'linear', label: 'Use the binary cross-entropy from logits' },
      });
    }
  }

  // A log of probabilities summed over the batch (the seed's `-tf.reduce_sum(y_ * tf.log(y))`) under SGD: neither cure
  // alone makes it train (a mean still meets log(0); a stable sum still takes B× steps), so both offer the two together.
  const unstable = out.find((c) => c.code === 'unstable-loss');
  const summed = out.find((c) => c.code === 'loss-reduction' && c.severity !== 'info');
  if (unstable && summed) {
    const both: Fix = o.loss === 'crossEntropy'
      ? { kind: 'objective', value: { loss: 'crossEntropy', from: 'probabilities', fused: true, reduction: 'mean' }, label: 'Use the stable softmax cross-entropy, averaged over the batch' }
      : { kind: 'objective', value: { loss: 'binaryCrossEntropy', from: 'logits', reduction: 'mean' }, outputActivation: 'linear', label: 'Use the binary cross-entropy from logits, averaged over the batch' };
    unstable.fix = both;
    summed.fix = both;
  }

  if (spec.accumulateGradients) {
    out.push({
      code: 'gradient-accumulation', severity: 'warning',
      short: 'the gradients are never zeroed, so every step applies the sum of all gradients so far',
      message: `The gradients are never zeroed (no \`optimizer.zero_grad()\` in the loop): each backward pass adds to the gradients of every step before it, so step k applies the sum of k gradients. The steps grow with every batch${spec.optimizer.type === 'sgd' ? ' until they overshoot' : ''}, and the update follows stale directions. Zero the gradients before every backward pass.`,
      evidence: { accumulateGradients: true, optimizer: spec.optimizer.type, learningRate: lr, predicted: true },
      fix: { kind: 'zeroGrad', label: 'Zero the gradients every step (optimizer.zero_grad())' },
    });
  }
  return out;
}

/** "a cross-entropy from probabilities (sum over the batch)" */
export function describeObjective(o: ObjectiveSpec): string {
  const loss = o.loss === 'crossEntropy' ? 'a cross-entropy' : o.loss === 'meanSquaredError' ? 'a mean squared error' : 'a binary cross-entropy';
  const from = o.loss === 'meanSquaredError' ? '' : o.fused ? ' computed from the softmax\'s logits' : ` from ${o.from === 'logProbabilities' ? 'log-probabilities' : o.from}`;
  return `${loss}${from}`;
}

/** Whether applying `fix` to `spec` removes the cause `code` (a program fix that does not cure it is not offered for it). */
export function cures(spec: ModelSpec, fix: Fix, code: ProgramCode): boolean {
  try {
    return !programCauses(applyFix(spec, fix)).some((c) => c.code === code);
  } catch {
    return false;
  }
}

/** The fixes a cause offers: the importer's cures that remove it (their edits exist), or — without an importer (JSON spec, preset) — its spec-level fix. */
export function causeFixes(spec: ModelSpec, cause: ProgramCause, programFixes?: readonly ProgramFix[] | readonly Fix[]): Fix[] {
  const own = cause.fix;
  if (!own) return [];
  if (programFixes === undefined) return [own];
  const fixes = programFixes.map((p) => ('fix' in p ? p.fix : p));
  return fixes.filter((f) => (f.kind === own.kind || (f.kind === 'objective' && own.kind === 'stableLoss') || (f.kind === 'stableLoss' && own.kind === 'objective')) && cures(spec, f, cause.code));
}

/**
 * The program's findings for a spec: each on the line its ProgramSites range names (`source`, with `file`), offering
 * only the fixes the importer wrote edits for (`programFixes` that cure it) or, for a JSON spec or preset (no
 * `programFixes`), the spec-level fix. Pure.
 */
export function programFindings(spec: ModelSpec, sites?: ProgramSites, programFixes?: readonly ProgramFix[], file = ''): Finding[] {
  return programCauses(spec).map((c) => {
    const f: Finding = { code: c.code, severity: c.severity, layer: -1, firstStep: 0, message: c.message, evidence: c.evidence, fixes: causeFixes(spec, c, programFixes) };
    const r = programSite(c.code, sites);
    if (r) f.source = { file, line: r.line, column: r.column, endLine: r.endLine, endColumn: r.endColumn };
    return f;
  });
}

/**
 * The importer's static findings with the program's added: a program finding replaces an importer's whole-model
 * finding with the same code (today's hand-written-log `unstable-loss`), keeping that one's fixes when it offers
 * none of its own, and that one's place: it points at the construct itself (the `tf.log(y)` inside a hand-written
 * loss function), where the program's site is the whole loss (the `compile(loss=…)` that passes it).
 */
export function mergeProgramFindings(existing: Finding[], program: Finding[]): Finding[] {
  const out = [...existing];
  for (const p of program) {
    const i = out.findIndex((f) => f.code === p.code && f.layer === -1);
    if (i < 0) {
      out.push(p);
      continue;
    }
    const old = out[i];
    out[i] = { ...p, fixes: p.fixes.length > 0 ? p.fixes : old.fixes, ...(old.source ?? p.source ? { source: old.source ?? p.source } : {}), evidence: { ...old.evidence, ...p.evidence } };
  }
  return out;
}
