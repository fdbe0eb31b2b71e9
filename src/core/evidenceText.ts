// A finding's evidence as a person reads it: sentences with units ("100 of 100 units output 0 on all 256 probe
// images"), not its JSON keys (which stay as they are in the CLI's --json). Used by the hover, the Problems view's
// related information, the panel and the CLI table.
import type { Finding } from './findings';
import type { ModelSpec } from './spec';
import { layerLabel } from './spec';

type Evidence = Finding['evidence'];

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** 4 significant digits, no exponent for everyday sizes. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) return String(Number(x.toPrecision(4)));
  return x.toExponential(2);
}
const pct = (x: number): string => `${formatNumber(x * 100)} %`;
const value = (v: unknown): string => (typeof v === 'number' ? formatNumber(v) : Array.isArray(v) ? v.map(value).join(', ') : String(v));

/** camelCase → "camel case" (the fallback for keys without a sentence). */
function words(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
}

/** Sentences for the keys a code's detectors write; the keys they consume are removed from `rest`. */
function sentences(f: Finding, e: Evidence, rest: Set<string>, spec: ModelSpec | undefined): string[] {
  const out: string[] = [];
  const use = (...keys: string[]): unknown[] => keys.map((k) => {
    rest.delete(k);
    return e[k];
  });
  const probes = num(e.probeExamples) ?? num(e.examples) ?? 256;
  rest.delete('probeExamples');
  switch (f.code) {
    case 'dead-units': {
      const [dead, units, share] = use('deadUnits', 'units', 'share');
      if (num(dead) !== undefined && num(units) !== undefined) {
        out.push(e.predicted === true ? `${dead} of ${units} units will output 0 for every image (predicted from the code)`
          : `${dead} of ${units} units output 0 on ${num(share) === 1 ? 'all' : 'almost all'} ${probes} probe images`);
      }
      const [k, b] = use('kernelConstant', 'biasConstant');
      if (num(k) !== undefined) out.push(`every weight starts at ${formatNumber(k as number)}${num(b) !== undefined ? ` and every bias at ${formatNumber(b as number)}` : ''}`);
      const [expected] = use('expectedDeadShare');
      if (num(expected) !== undefined) out.push(`about ${pct(expected as number)} of the units are expected to be dead from the start`);
      const [fromStart, threshold, activity] = use('deadFromStart', 'activeShareThreshold', 'meanActivityOfDead');
      if (fromStart === true) out.push('dead from step 0');
      else if (fromStart === false) out.push('alive at step 0: they died during training');
      if (num(threshold) !== undefined) out.push(`a unit counts as dead when it outputs more than 0 on fewer than ${pct(threshold as number)} of the probe images`);
      if (num(activity) !== undefined && (activity as number) > 0) out.push(`the dead units' mean output: ${formatNumber(activity as number)}`);
      break;
    }
    case 'zero-gradient': {
      const [weights, nonZero] = use('weights', 'nonZeroGradients', 'meanAbsGrad');
      if (num(weights) !== undefined) out.push(`${num(nonZero) ?? 0} of ${weights} weight gradients are non-zero`);
      const [bias] = use('biasGradientZero');
      if (bias === true) out.push('the bias gradient is exactly 0 too');
      const [cause, died] = use('cause', 'diedInTraining');
      const why: Record<string, string> = {
        'relu-inactive': 'every pre-activation is ≤ 0, where relu passes no gradient',
        'inputs-zero': 'its inputs are all 0',
        'next-weights-zero': "the next layer's weights are all 0, so no error reaches it",
      };
      if (typeof cause === 'string' && why[cause]) out.push(`why: ${why[cause]}`);
      if (died === true) out.push('it became 0 during training');
      break;
    }
    case 'symmetric-units': {
      const [width, units] = use('effectiveWidth', 'units');
      if (num(width) !== undefined && num(units) !== undefined) out.push(`the ${units} units act as ${width}: ${num(width) === 1 ? 'every unit has the same weights' : 'several units have identical weights'}`);
      const [k, b, next] = use('kernelConstant', 'biasConstant', 'nextKernelConstant');
      if (num(k) !== undefined) out.push(`every weight starts at ${formatNumber(k as number)}${num(b) !== undefined ? ` and every bias at ${formatNumber(b as number)}` : ''}`);
      if (next === true) out.push("the next layer's weights start constant too, so nothing tells the units apart");
      const [groups, largest, fromStart, tolerance, scale, gradsZero] = use('duplicateGroups', 'largestGroup', 'symmetricFromStart', 'relTolerance', 'weightScale', 'gradientsZero');
      if (num(groups) !== undefined && num(largest) !== undefined) out.push(`${groups} group${groups === 1 ? '' : 's'} of identical units, the largest of ${largest}`);
      if (fromStart === true) out.push('identical from step 0');
      if (gradsZero === true) out.push('their gradients are all 0, so they stay identical');
      if (num(tolerance) !== undefined) out.push(`units count as identical when their weights differ by less than ${formatNumber(tolerance as number)} × the layer's weight scale${num(scale) !== undefined ? ` (${formatNumber(scale as number)})` : ''}`);
      break;
    }
    case 'collapsed-output': {
      const [cls, share, prior, testShare] = use('class', 'predictedShare', 'trainPrior', 'testShare', 'predictions');
      if (num(cls) !== undefined && num(share) !== undefined) out.push(`digit ${cls} is predicted for ${pct(share as number)} of the images`);
      if (num(testShare) !== undefined) out.push(`${pct(testShare as number)} of the test set is digit ${cls}: that is the accuracy of always answering ${cls}`);
      else if (num(prior) !== undefined) out.push(`${pct(prior as number)} of the training set is digit ${cls}`);
      break;
    }
    case 'saturated-units': {
      const [sat, units, share] = use('saturatedUnits', 'units', 'share');
      if (num(sat) !== undefined && num(units) !== undefined) out.push(`${sat} of ${units} units (${pct(num(share) ?? (sat as number) / (units as number))}) sit in the flat part of their activation`);
      break;
    }
    case 'vanishing-gradient': {
      const [mean, ratio] = use('meanAbsGrad', 'ratioToOutput');
      if (num(mean) !== undefined) out.push(`mean |gradient| ${formatNumber(mean as number)}${num(ratio) !== undefined ? `, ${formatNumber(ratio as number)} × the output layer's` : ''}`);
      break;
    }
    case 'exploding-gradient': {
      const [norm, threshold] = use('gradNorm', 'threshold');
      if (num(norm) !== undefined) out.push(`gradient norm ${formatNumber(norm as number)}${num(threshold) !== undefined ? ` (above ${formatNumber(threshold as number)})` : ''}`);
      break;
    }
    case 'loss-plateau': {
      const [w, m1, m2] = use('window', 'firstHalfMean', 'secondHalfMean', 'relativeDecrease');
      if (num(m1) !== undefined && num(m2) !== undefined) out.push(`the loss went from ${formatNumber(m1 as number)} to ${formatNumber(m2 as number)} over ${w ?? 'the last'} steps (chance level: ${formatNumber(Math.LN10)})`);
      break;
    }
    case 'loss-reduction': {
      const [batch, factor, lr, eff] = use('batchSize', 'stepFactor', 'learningRate', 'effectiveLearningRate', 'reduction');
      if (num(factor) !== undefined) out.push(`the loss is summed over ${batch ?? 'the'} examples: each step is ${formatNumber(factor as number)}× larger, as if the learning rate were ${formatNumber(num(eff) ?? (num(lr) ?? 0) * (factor as number))} instead of ${formatNumber(num(lr) ?? 0)}`);
      break;
    }
    case 'unstable-loss': {
      const [construct, act, layer] = use('construct', 'outputActivation', 'outputLayer');
      if (typeof construct === 'string') out.push(`the loss takes ${construct} of the ${act ?? 'softmax'} output${num(layer) !== undefined && spec ? ` of ${layerLabel(spec, layer as number)}` : ''}`);
      break;
    }
    case 'unscaled-input': {
      const [div, largest] = use('divideBy', 'largestInput', 'mean', 'std');
      if (num(div) === 1 || num(largest) !== undefined) out.push(`pixels reach the first layer as ${num(largest) !== undefined ? `values up to ${formatNumber(largest as number)}` : 'bytes 0–255'}, not in [0, 1]`);
      break;
    }
  }
  const [layer] = use('upstreamLayer', 'causedBy', 'upstreamOutputs');
  if (num(layer) !== undefined && spec) out.push(`the cause is upstream: ${layerLabel(spec, layer as number)}`);
  const [predicted] = use('predicted');
  if (predicted === true && !out.some((s) => s.includes('predicted'))) out.push('predicted from the code, before training');
  return out;
}

/** The finding's evidence as sentences, then every other key as "key words: value". */
export function evidenceSentences(f: Finding, spec?: ModelSpec): string[] {
  const rest = new Set(Object.keys(f.evidence));
  const out = sentences(f, f.evidence, rest, spec);
  for (const k of rest) {
    const v = f.evidence[k];
    if (typeof v === 'boolean') out.push(v ? words(k) : `not ${words(k)}`);
    else out.push(`${words(k)}: ${value(v)}`);
  }
  return out;
}
