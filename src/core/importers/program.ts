// The program parts a framework module reads beyond the layers (data, objective, update extras, loop), the sites
// where they are written, the cures it can write for them and the places where the run will differ from the
// program (FrameworkModule.program, api.ts), and how importSource folds them into the spec and the ImportResult.
//
// buildRawSpec (index.ts) writes a v1 spec (softmax output, a bias on every layer) and notes each healthy default
// it puts in; for a file whose module read the program, it is given the v1 view of the layers (v1View) so that it
// notes nothing it does not replace, and the parts read are laid over its result (overlayProgram).
import type { Activation, DataSpec, ObjectiveSpec } from '../spec';
import type { UpdateExtras } from '../specParts';
import type { Fix } from '../findings';
import type { Span } from './ast';
import type { Interpretation, LayerRec } from './model';
import type { LineMap } from './positions';
import type { ImportNote, ImportResult, ProgramSites } from './types';

export interface ProgramRead {
  /** Per layer of the model read (Interpretation.layers' order): what the v1 spec cannot say. */
  layers: { useBias?: false; dropout?: number }[];
  /** The output layer's activation as written (set with `objective`). */
  outputActivation?: Activation;
  data?: DataSpec;
  objective?: ObjectiveSpec;
  update?: UpdateExtras;
  accumulateGradients?: boolean;
  /** The step count to train when the program's is more than the spec allows (the first steps; a deviation says so). */
  steps?: number;
  sites: { [K in keyof ProgramSites]?: Span };
  fixes: { fix: Fix; edits: { span: Span; newText: string }[] }[];
  deviations: { span: Span; message: string }[];
}

/** The layers as buildRawSpec's v1 rules see them: a bias on each, and (when the objective is read) a softmax output. */
export function v1View(it: Interpretation, prog: ProgramRead): Interpretation {
  const n = it.layers.length;
  const layers = it.layers.map((l, i): LayerRec => {
    const v: LayerRec = { ...l };
    if (!l.useBias) {
      v.useBias = true;
      v.bias = { init: 'zeros' };
    }
    if (i === n - 1 && prog.objective) v.activation = 'softmax';
    return v;
  });
  return { ...it, layers };
}

/** The parts read, laid over buildRawSpec's v1 spec. */
export function overlayProgram(raw: Record<string, unknown>, prog: ProgramRead): void {
  const layers = raw.layers as Record<string, unknown>[];
  prog.layers.forEach((l, i) => {
    const r = layers[i];
    if (!r) return;
    if (l.useBias === false) {
      r.useBias = false;
      delete r.biasInitializer;
    }
    if (l.dropout) r.dropout = l.dropout;
  });
  if (prog.objective) {
    raw.objective = prog.objective;
    const last = layers[layers.length - 1];
    if (last && prog.outputActivation) last.activation = prog.outputActivation;
  }
  if (prog.data) raw.data = prog.data;
  if (prog.update && raw.optimizer && Object.keys(prog.update).length > 0) raw.optimizer = { ...(raw.optimizer as object), ...prog.update };
  if (prog.accumulateGradients) raw.accumulateGradients = true;
  if (prog.steps !== undefined) raw.steps = prog.steps;
}

/** ImportResult.program / programFixes / deviations from what was read. */
export function programResult(prog: ProgramRead, lines: LineMap): Pick<ImportResult, 'program' | 'programFixes' | 'deviations'> {
  const program: ProgramSites = {};
  for (const [k, s] of Object.entries(prog.sites) as [keyof ProgramSites, Span | undefined][]) if (s) program[k] = lines.range(s);
  return {
    program,
    programFixes: prog.fixes.map((f) => ({ fix: f.fix, edits: f.edits.map((e) => ({ range: lines.range(e.span), newText: e.newText })) })),
    deviations: prog.deviations.map((d): ImportNote => ({ range: lines.range(d.span), message: d.message, severity: 'warning' })),
  };
}
