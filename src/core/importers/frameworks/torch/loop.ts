// The training loop in PyTorch code: `optimizer.step()` inside `for epoch in range(E): for x, y in loader:`
// is one training step per run of the enclosing loops, with the batch of the DataLoader being iterated.
import type { Span } from '../../ast';
import type { Fx, ModelRec, OptimizerRec } from '../../model';
import { type DataLoaderV, activeLoader, dataState } from './data';
import { loopEvent, programRecord } from './record';
import { ID } from './state';

/** What a step needs of an optimizer (update.ts TorchOptimizerV). */
export interface OptimizerLike {
  readonly opt: OptimizerRec;
  model: ModelRec | undefined;
}

/** `optimizer.step()`: one training step per run of the enclosing loops, with the batch of the DataLoader being iterated. */
export function step(fx: Fx, opt: OptimizerLike | undefined, span: Span): void {
  const st = dataState(fx);
  const model = opt?.model ?? lastModel(fx);
  if (model) {
    model.fitted = true;
    if (opt && !model.optimizer) model.optimizer = opt.opt;
  }
  const loader = activeLoader(fx) ?? st.loaders.filter((l) => l.dataset?.train).pop() ?? st.loaders[st.loaders.length - 1];
  if (loader) setBatch(fx, model, loader);
  else {
    // No DataLoader: a slice of the data fed in this loop (`model(x_train[i:i + 100])`) is the batch.
    const fed = programRecord(fx).feeds.filter((f) => f.rows !== undefined && f.loops.length > 0 && fx.loops.includes(f.loops[f.loops.length - 1])).pop();
    if (fed?.rows && fed.rows < 60000) fx.session.fedBatch(fed.rows, fed.span);
  }
  fx.session.recordSteps(fx, 1, span, 'step', model ?? 'graph');
  const callee = fx.text.slice(span.from, span.to);
  loopEvent(fx, 'step', span, { receiver: /^(.*)\.step\s*\(/s.exec(callee)?.[1], loader });
}

export function setBatch(fx: Fx, model: ModelRec | undefined, loader: DataLoaderV): void {
  const b = { value: loader.batch, span: loader.batchSpan };
  if (model) model.batch = b;
  else fx.session.batch = b;
}

export function lastModel(fx: Fx): ModelRec | undefined {
  return [...fx.session.models].reverse().find((m) => m.framework === ID && m.layers.length > 0);
}

