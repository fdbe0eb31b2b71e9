// The program's parts as a PyTorch file writes them, assembled after the file is read (record.ts holds what each
// concern recorded): data (pixel scale and normalisation of the inputs the model is fed in the training loop, the
// training DataLoader's shuffle and subset), objective (the loss that reaches `.backward()`, on the output as
// passed), update extras (schedulers converted to steps, gradient clipping in the loop), loop (`zero_grad` where it
// sits relative to `backward()` and `step()`), the sites, the cures in PyTorch's idiom and the deviations.
import { type Activation, type DataSpec, type ObjectiveSpec, MAX_STEPS } from '../../../spec';
import type { ScheduleSpec, UpdateExtras } from '../../../specParts';
import type { Span } from '../../ast';
import type { LoopFrame } from '../../interpret';
import type { Interpretation, ModelBuilder } from '../../model';
import type { ProgramRead } from '../../program';
import type { ProgramReader } from '../api';
import { type LoopEvent, type LossRecord, type PixelScale, programRecord } from './record';

const MNIST_TRAIN = 60000;

/** The loop statements among a step's frames (not the branch frames of an `if`), innermost last. */
function loopFrames(text: string, loops: readonly LoopFrame[]): LoopFrame[] {
  return loops.filter((l) => /^\s*(async\s+)?(for|while)\b/.test(text.slice(l.header.from, l.header.from + 12)));
}

const within = (e: { loops: readonly LoopFrame[] }, frame: LoopFrame | undefined): boolean => frame !== undefined && e.loops.includes(frame);

/** The start of the line `offset` is on, and its indentation. */
function lineAt(text: string, offset: number): { start: number; indent: string } {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return { start, indent: /^[ \t]*/.exec(text.slice(start))![0] };
}

/** `expr / 255.` written after `span`, in parentheses when a method call or an index follows it. */
function divideEdit(text: string, span: Span): { span: Span; newText: string } {
  const src = text.slice(span.from, span.to);
  const after = text.slice(span.to).match(/^\s*(\S)/)?.[1];
  const wrap = after === '.' || after === '[' || after === '(' || after === '*' || after === '@' || after === '/';
  return { span, newText: wrap ? `(${src} / 255.)` : `${src} / 255.` };
}

function lossCalleeRename(text: string, rec: LossRecord, to: 'ce'): { span: Span; newText: string } | undefined {
  if (!rec.callee) return undefined;
  const callee = text.slice(rec.callee.from, rec.callee.to);
  const m = /^(.*?)(\w+)$/s.exec(callee);
  if (!m) return undefined;
  const name = /^[A-Z]/.test(m[2]) ? 'CrossEntropyLoss' : 'cross_entropy';
  return to === 'ce' ? { span: rec.callee, newText: m[1] + name } : undefined;
}

function schedule(s: NonNullable<LoopEvent['scheduler']>, perStep: boolean, stepsPerEpoch: number, lr: number): ScheduleSpec {
  const k = perStep ? 1 : stepsPerEpoch;
  switch (s.kind) {
    case 'step': return { type: 'step', stepSize: s.stepSize! * k, gamma: s.gamma };
    case 'exponential': return { type: 'exponential', decaySteps: k, decayRate: s.gamma, staircase: true };
    case 'multistep': return { type: 'piecewise', boundaries: s.milestones!.map((m) => m * k), values: [lr, ...s.milestones!.map((_, i) => lr * s.gamma ** (i + 1))] };
  }
}

function read(session: ModelBuilder, it: Interpretation, text: string): ProgramRead | undefined {
  const rec = programRecord({ session });
  const last = it.layers[it.layers.length - 1];
  if (!last) return undefined;
  const prog: ProgramRead = { layers: it.layers.map(() => ({})), sites: {}, fixes: [], deviations: [...rec.deviations] };
  const deviate = (span: Span, message: string) => prog.deviations.push({ span, message });

  // ---- loop: the training step and the loop around it
  const steps = rec.events.filter((e) => e.kind === 'step');
  const stepEv = steps[steps.length - 1];
  const frames = stepEv ? loopFrames(text, stepEv.loops) : [];
  const trainFrame = frames[frames.length - 1];
  const loader = stepEv?.loader;
  if (trainFrame) prog.sites.loop = trainFrame.header;
  if (it.optimizer) prog.sites.optimizer = it.optimizer.span;
  if (stepEv && trainFrame) {
    const inLoop = rec.events.filter((e) => within(e, trainFrame));
    const s = inLoop.lastIndexOf(stepEv);
    const backwards = inLoop.slice(0, s).filter((e) => e.kind === 'backward');
    const b = backwards[backwards.length - 1];
    const zeros = inLoop.filter((e) => e.kind === 'zero');
    if (zeros.length === 0) {
      prog.accumulateGradients = true;
      if (b) {
        const { start, indent } = lineAt(text, b.span.from);
        const opt = stepEv.receiver && /^[\w.]+$/.test(stepEv.receiver) ? stepEv.receiver : 'optimizer';
        prog.fixes.push({
          fix: { kind: 'zeroGrad', label: `Zero the gradients every step (${opt}.zero_grad())` },
          edits: [{ span: { from: start, to: start }, newText: `${indent}${opt}.zero_grad()\n` }],
        });
      }
    } else if (b) {
      const zi = inLoop.indexOf(zeros[zeros.length - 1]);
      const bi = inLoop.indexOf(b);
      if (zi > bi && zi < s) deviate(zeros[zeros.length - 1].span, 'the gradients are zeroed after backward() and before step(), so each step sees zero gradients and the model does not learn; the model spec cannot say that: trained with each batch\'s gradients');
    }
  }

  // ---- objective: the loss that reaches backward() on the model's output
  const losses = rec.losses.filter((l) => l.layer === last);
  const loss = [...losses].reverse().find((l) => l.trained) ?? losses[losses.length - 1];
  const act = (last.activation ?? 'linear') as Activation;
  if (loss) {
    const objective: ObjectiveSpec = loss.objective;
    prog.objective = objective;
    prog.outputActivation = act;
    prog.sites.loss = loss.span;
    if (loss.reductionSpan) prog.sites.reduction = loss.reductionSpan;
    if (last.activationSpan) prog.sites.outputActivation = last.activationSpan;
    const remove = rec.activationEdits.get(last);
    const ce: ObjectiveSpec = { loss: 'crossEntropy', from: 'logits', reduction: objective.reduction };
    const kind = objective.loss === 'crossEntropy' ? objective.from : objective.loss;
    if (kind === 'logits' && act !== 'linear' && act !== 'logSoftmax' && remove) {
      // a softmax (or relu, sigmoid...) before CrossEntropyLoss: return the logits
      prog.fixes.push({ fix: { kind: 'objective', value: ce, outputActivation: 'linear', label: `Remove the ${act} before ${loss.name} (it takes the logits)` }, edits: [remove.remove] });
    } else if (kind === 'logProbabilities' && act === 'linear') {
      const e = lossCalleeRename(text, loss, 'ce');
      if (e) prog.fixes.push({ fix: { kind: 'objective', value: ce, label: `Use ${e.newText} on the logits (${loss.name} takes log-probabilities)` }, edits: [e] });
    } else if (kind === 'logProbabilities' && act === 'softmax' && remove?.callee) {
      const callee = text.slice(remove.callee.from, remove.callee.to);
      const renamed = callee.replace(/Softmax$/, 'LogSoftmax').replace(/softmax$/, 'log_softmax');
      if (renamed !== callee) {
        prog.fixes.push({
          fix: { kind: 'objective', value: { loss: 'crossEntropy', from: 'logProbabilities', reduction: objective.reduction }, outputActivation: 'logSoftmax', label: `Use ${renamed} (${loss.name} takes log-probabilities)` },
          edits: [{ span: remove.callee, newText: renamed }],
        });
      }
    } else if ((objective.loss === 'meanSquaredError' || objective.loss === 'binaryCrossEntropy') && loss.oneHotTarget && (act === 'linear' || remove)) {
      const e = lossCalleeRename(text, loss, 'ce');
      if (e) {
        const edits = [e, loss.oneHotTarget, ...(act !== 'linear' && remove ? [remove.remove] : [])];
        prog.fixes.push({ fix: { kind: 'objective', value: ce, outputActivation: 'linear', label: `Use ${e.newText} on the logits with the class labels (${loss.name} is for one output per class, not for ten classes that exclude each other)` }, edits });
      }
    }
    if (objective.loss === 'binaryCrossEntropy' && loss.crossEntropyEdit && act === 'linear') {
      // a hand-written binary cross-entropy of the logits: the softmax cross-entropy of the logits and the class labels
      prog.fixes.push({ fix: { kind: 'objective', value: { loss: 'crossEntropy', from: 'logits', reduction: 'mean' }, outputActivation: 'linear', label: `Use ${loss.crossEntropyEdit.newText} (a binary cross-entropy per class is not a loss for ten classes that exclude each other)` }, edits: [loss.crossEntropyEdit] });
    }
    if (objective.reduction === 'sum' && loss.reductionSpan && loss.callee) {
      prog.fixes.push({
        fix: { kind: 'objective', value: { ...objective, reduction: 'mean' }, label: "reduction='mean' (a sum over the batch makes each step batch-size times larger)" },
        edits: [{ span: loss.reductionSpan, newText: "reduction='mean'" }],
      });
    }
  }

  // ---- data: the inputs fed to the model in the training loop
  const feeds = rec.feeds.filter((f) => within(f, trainFrame));
  const fed = feeds[feeds.length - 1] ?? rec.feeds[rec.feeds.length - 1];
  // no input fed in a loop read here (d2l's train_ch3, Lightning's fit): the training loader's dataset says
  const pixels: PixelScale | undefined = fed?.pixels ?? (fed?.unknown ? undefined : loader?.dataset?.pixels);
  const data: Partial<DataSpec> = {};
  if (pixels) {
    data.divideBy = pixels.divideBy;
    if (pixels.mean !== undefined) data.mean = pixels.mean;
    if (pixels.std !== undefined) data.std = pixels.std;
    const at = pixels.scaledAt ?? pixels.rawAt ?? fed?.span;
    if (at) prog.sites.input = at;
  } else if (fed) {
    prog.sites.input = fed.unknown ?? fed.span;
    deviate(fed.unknown ?? fed.span, 'could not tell how these pixels are scaled (they come from data this reader does not follow, e.g. a numpy array): trained with pixels / 255, as transforms.ToTensor() gives them');
  }
  if (!loader && feeds.length > 0 && fed?.rows !== undefined) data.shuffle = false; // slices of the data in order
  if (loader) {
    data.shuffle = loader.shuffle;
    const n = loader.dataset?.examples;
    if (n !== undefined && n > 0 && n < MNIST_TRAIN) data.trainExamples = n;
  }
  if (Object.keys(data).length > 0) {
    prog.data = { divideBy: 255, ...data };
    if (pixels && pixels.divideBy === 1 && pixels.mean === undefined && pixels.std === undefined) {
      const value: DataSpec = { ...prog.data, divideBy: 255 };
      if (pixels.pilToTensor) {
        const callee = text.slice(pixels.pilToTensor.callee.from, pixels.pilToTensor.callee.to);
        prog.fixes.push({ fix: { kind: 'data', value, label: 'Use transforms.ToTensor() (pixels in [0, 1])' }, edits: [{ span: pixels.pilToTensor.callee, newText: callee.replace(/PILToTensor$/, 'ToTensor') }] });
      } else if (pixels.rawAt) {
        prog.fixes.push({ fix: { kind: 'data', value, label: 'Scale the pixels to [0, 1] (/ 255.)' }, edits: [divideEdit(text, pixels.rawAt)] });
      }
    }
  }

  // ---- update extras: schedulers and clipping where the loop runs them
  const update: UpdateExtras = {};
  const spe = loader?.len();
  const schedSteps = rec.events.filter((e) => e.kind === 'schedulerStep');
  const sched = schedSteps[schedSteps.length - 1];
  if (sched?.scheduler && it.optimizer) {
    const perStep = within(sched, trainFrame);
    if (!perStep && spe === undefined) deviate(sched.span, 'could not tell how many steps an epoch has, so this schedule is not read: trained with the constant learning rate of the optimizer');
    else update.schedule = schedule(sched.scheduler, perStep, spe ?? 1, it.optimizer.spec.learningRate);
  }
  for (const kind of ['globalClipNorm', 'clipValue'] as const) {
    const clips = rec.events.filter((e) => e.kind === 'clip' && e.clip?.kind === kind);
    const c = clips[clips.length - 1];
    if (c && (within(c, trainFrame) || !trainFrame)) update[kind] = c.clip!.value;
  }
  if (Object.keys(update).length > 0) prog.update = update;

  // ---- loop: more steps than a run may have: the first MAX_STEPS, said
  if (it.steps && it.steps.value > MAX_STEPS) {
    prog.steps = MAX_STEPS;
    deviate(it.steps.span, `this training runs ${it.steps.value.toLocaleString('en-US')} steps${loader ? ` (${loader.len()?.toLocaleString('en-US')} batches of ${loader.batch} per epoch)` : ''}, more than the ${MAX_STEPS.toLocaleString('en-US')} a run may have: Gradient Lens trains the first ${MAX_STEPS.toLocaleString('en-US')}`);
  }

  // ---- model: bias and dropout
  it.layers.forEach((l, i) => {
    if (!l.useBias) prog.layers[i].useBias = false;
    const ds = [...(rec.dropout.get(l)?.values() ?? [])];
    if (ds.length === 0) return;
    if (i === it.layers.length - 1) deviate(ds[0].span, 'dropout on the output layer is not part of the model spec: trained without it');
    else prog.layers[i].dropout = ds.length === 1 ? ds[0].rate : 1 - ds.reduce((keep, d) => keep * (1 - d.rate), 1);
  });
  return prog;
}

export const torchProgram: ProgramReader = { language: 'pytorch', program: read };
