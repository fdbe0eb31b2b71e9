// Spec problems in words for a person: the CLI's error lines, `check`, the training process's error
// event. A problem's `path` is a JSON path (`$.layers[0].activation`) and stays one in data (`--json`,
// the importers' notes); a person reads `layers[0].activation: …`, and a problem about the whole model
// (path `$`, e.g. "convolutional model: …") as the message alone, never "$: …".
import type { ModelSpec, SpecProblem } from './spec';

/** `$.layers[0].units` → `layers[0].units`; `$` → '' (the whole spec). */
export function pathForPeople(path: string): string {
  if (path === '$') return '';
  if (path.startsWith('$.')) return path.slice(2);
  if (path.startsWith('$[')) return path.slice(1);
  return path;
}

/** One problem: `layers[0].units: must be …`, or the message alone for the whole spec. */
export function problemText(p: SpecProblem, name: (path: string) => string | undefined = () => undefined): string {
  const where = name(p.path) ?? pathForPeople(p.path);
  return where ? `${where}: ${p.message}` : p.message;
}

/** Every problem on one line, separated by "; ". `name` may give a path another name (`$.steps` → `--steps`). */
export function problemsText(problems: readonly SpecProblem[], name?: (path: string) => string | undefined): string {
  return problems.map((p) => problemText(p, name)).join('; ');
}

/**
 * A message that may start with a problem's JSON path (an importer's note quoting a spec problem:
 * `$.layers[0].activation: must be …`, `$: convolutional model …`), with that prefix in the people form.
 */
export function messageForPeople(message: string): string {
  return message.replace(/^\$((?:\.|\[)[^\s:]*)?: /, (_m, rest: string | undefined) => (rest ? `${pathForPeople(`$${rest}`)}: ` : ''));
}

/**
 * The parts of a training program besides the layers, in words, where they differ from the v1 default (pixels
 * /255, the fused mean softmax cross-entropy, plain updates): "pixels 0–255 (not scaled)", "loss −Σ y·log(output)
 * summed over the batch", "lr schedule exponential ×0.96 every 100 steps", "gradients never zeroed". Empty for a v1 spec.
 */
export function describeProgram(spec: ModelSpec): string[] {
  const out: string[] = [];
  const d = spec.data;
  if (d) {
    const scale = d.divideBy === 1 ? 'pixels 0–255 (not scaled)' : d.divideBy === 255 ? '' : `pixels / ${d.divideBy}`;
    const norm = d.mean !== undefined || d.std !== undefined ? `normalised (x − ${d.mean ?? 0}) / ${d.std ?? 1}` : '';
    const px = [scale, norm].filter(Boolean).join(', then ');
    if (px) out.push(px);
    if (d.shuffle !== undefined) out.push(d.shuffle ? 'shuffled every epoch' : 'batches in order');
    if (d.trainExamples !== undefined) out.push(`the first ${d.trainExamples} training examples`);
  }
  const o = spec.objective;
  if (o) {
    const red = o.reduction === 'sum' ? 'summed over the batch' : o.reduction === 'meanAll' ? 'mean over examples × classes' : 'mean';
    let loss: string;
    if (o.loss === 'crossEntropy') {
      loss = o.from === 'logits' ? 'cross-entropy from logits (log-softmax of the output)'
        : o.from === 'logProbabilities' ? 'negative log-likelihood (−output[label])'
        : o.fused ? 'cross-entropy from the softmax\'s logits (stable)'
        : o.clipFirst
          ? `−log(output clipped to [${o.clip![0]}, ${o.clip![1]}], then normalised${o.logOffset ? ` + ${o.logOffset}` : ''})`
          : `−Σ y·log(${o.normalize ? 'normalised ' : ''}output${o.clip ? ` clipped to [${o.clip[0]}, ${o.clip[1]}]` : ''}${o.logOffset ? ` + ${o.logOffset}` : ''})`;
    } else if (o.loss === 'meanSquaredError') {
      loss = 'mean squared error against one-hot labels';
    } else {
      loss = `binary cross-entropy per class from ${o.from}`;
    }
    out.push(`loss ${loss}, ${red}`);
  }
  const u = spec.optimizer;
  if (u.schedule) {
    const s = u.schedule;
    out.push(s.type === 'exponential' ? `learning rate × ${s.decayRate} every ${s.decaySteps} steps${s.staircase ? ' (staircase)' : ''}`
      : s.type === 'step' ? `learning rate × ${s.gamma} every ${s.stepSize} steps`
      : `learning rate ${s.values.join(' → ')} at steps ${s.boundaries.join(', ')}`);
  }
  if (u.weightDecay) out.push(`weight decay ${u.weightDecay}`);
  if (u.clipValue) out.push(`gradients clipped to ±${u.clipValue}`);
  if (u.clipNorm) out.push(`each gradient clipped to norm ${u.clipNorm}`);
  if (u.globalClipNorm) out.push(`gradients clipped to global norm ${u.globalClipNorm}`);
  spec.layers.forEach((l, i) => {
    if (l.useBias === false) out.push(`layer ${i + 1} has no bias`);
    if (l.kernelRegularizer) out.push(`layer ${i + 1} kernel regularised (${Object.entries(l.kernelRegularizer).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  });
  if (spec.accumulateGradients) out.push('gradients never zeroed (they add up across steps)');
  return out;
}
