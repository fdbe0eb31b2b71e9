// The program's causes in a run (programFindings.ts says what the spec shows): each is confirmed by what the run
// measures (the first layer's pre-activations, a symptom it explains: a loss blow-up, NaN, units that die or
// saturate, a collapsed output), or withdrawn to info when the run trains well anyway. Symptoms a cause explains
// name it ("… because the loss is summed over the batch") and offer its cure instead of their own.
import type { Finding, Fix } from '../findings';
import type { ModelSpec } from '../spec';
import type { LayerStats } from './layerStats';
import type { Thresholds } from './thresholds';
import { type ProgramCause, type ProgramCode, PROGRAM_CODES, causeFixes, programCauses } from './programFindings';
import { dedupeFixes, pct, sci } from './fixes';

/** The first layer's pre-activation RMS at step 0 above which unscaled pixels are measured, not only predicted (≈ 0.6 with / 255, ≈ 150 without). */
export const UNSCALED_PRE_ACTIVATION_RMS = 10;

const PROGRAM = new Set<string>(PROGRAM_CODES);

/** A symptom's own advice (the learning rate, the initial scale), which its cause makes wrong: dropped when a cause is named. */
const OWN_ADVICE = /\s*(Usually the learning rate is too large\.|Lower the learning rate(; a loss that is stuck after this is the blow-up's doing, not steps that are too small)?\.|The updates are too large: lower the learning rate\.|Scale them to the fan-in\.)/g;
const withoutOwnAdvice = (m: string): string => m.replace(OWN_ADVICE, '');
export const isProgramCode = (code: string): code is ProgramCode => PROGRAM.has(code);

/** Whether a symptom that holds is one `cause` explains (symptoms present from the very start are the initialisation's, except the first layer's under unscaled input). */
function explains(code: ProgramCode, f: Finding): boolean {
  if (code === 'unstable-loss') return f.code === 'non-finite';
  switch (f.code) {
    case 'non-finite': case 'exploding-gradient': case 'collapsed-output': case 'loss-plateau':
      return true;
    case 'dead-units':
      return f.evidence.deadFromStart === false || (code === 'unscaled-input' && f.layer === 0);
    case 'saturated-units':
      return f.evidence.saturatedFromStart === false || (code === 'unscaled-input' && f.layer === 0);
    case 'zero-gradient':
      return f.evidence.diedInTraining === true;
    default:
      return false;
  }
}

/** Symptoms a confirmed cause accounts for besides the ones that confirm it (they follow from the blow-up it caused). */
const FOLLOWS = new Set(['vanishing-gradient', 'poor-init-scale']);

interface CauseState {
  cause: ProgramCause;
  fixes: Fix[];
  /** The symptom that confirmed it and the step it held from. */
  confirmedBy?: { code: string; step: number };
  /** unscaled-input: the first layer's pre-activation RMS at the first probe. */
  firstLayerRms?: number;
}

export interface ProgramTracker {
  /** Feed one probe: its step, the layers' stats, every training loss so far, and the symptoms that hold now. */
  observe(step: number, stats: LayerStats[], losses: readonly number[], symptoms: readonly Finding[]): void;
  /** The program's findings now; with the final evaluation, withdrawn (info) where the run trained well. */
  findings(lastStep: number, final?: { testAccuracy: number; testLoss: number }): Finding[];
  /** The symptoms, each naming the causes that explain it and offering their cures instead of its own. */
  attribute(fs: Finding[]): Finding[];
  /** Whether the run trained well (the final evaluation reached trainsWellAccuracy with a finite loss). */
  trainsWell(final: { testAccuracy: number; testLoss: number } | undefined): boolean;
}

export function createProgramTracker(spec: ModelSpec, t: Thresholds, programFixes?: readonly Fix[]): ProgramTracker {
  const states: CauseState[] = programCauses(spec).map((cause) => ({ cause, fixes: causeFixes(spec, cause, programFixes) }));
  let firstNonFinite: number | undefined;
  let seenLosses = 0;
  /** The latest probe (before the loss turned non-finite) at which output probabilities were exactly 0. */
  let zeroProbabilities: { step: number; count: number; of: number } | undefined;
  let withdrawn = false;

  const trainsWell = (final: { testAccuracy: number; testLoss: number } | undefined): boolean =>
    final !== undefined && Number.isFinite(final.testLoss) && final.testAccuracy >= t.trainsWellAccuracy;

  /** Causes that can explain a symptom now: not info, not withdrawn. */
  const active = (): CauseState[] => (withdrawn ? [] : states.filter((s) => s.cause.severity !== 'info'));

  const observe: ProgramTracker['observe'] = (step, stats, losses, symptoms) => {
    for (; seenLosses < losses.length; seenLosses++) {
      if (firstNonFinite === undefined && !Number.isFinite(losses[seenLosses])) firstNonFinite = seenLosses + 1;
    }
    const out = stats[stats.length - 1];
    if (firstNonFinite === undefined && out && out.nonFinite.activations === 0 && out.zeroOutputs > 0) zeroProbabilities = { step, count: out.zeroOutputs, of: out.units };
    for (const s of states) {
      if (s.cause.code === 'unscaled-input' && s.firstLayerRms === undefined && stats[0] && !stats[0].anyNonFinite) s.firstLayerRms = stats[0].preActivationRms;
      if (s.confirmedBy || s.cause.severity === 'info') continue;
      if (s.cause.code === 'unstable-loss') {
        if (firstNonFinite !== undefined) s.confirmedBy = { code: 'non-finite', step: firstNonFinite };
        continue;
      }
      const f = symptoms.find((x) => explains(s.cause.code, x));
      if (f) s.confirmedBy = { code: f.code, step: f.code === 'non-finite' && firstNonFinite !== undefined ? firstNonFinite : step };
    }
  };

  const findings: ProgramTracker['findings'] = (lastStep, final) => {
    withdrawn = trainsWell(final);
    return states.map((s) => {
      const c = s.cause;
      const evidence: Finding['evidence'] = { ...c.evidence, predicted: s.confirmedBy === undefined };
      let severity = c.severity;
      let note = '';
      if (s.firstLayerRms !== undefined) {
        evidence.firstLayerPreActivationRms = s.firstLayerRms;
        if (s.firstLayerRms > UNSCALED_PRE_ACTIVATION_RMS) {
          evidence.predicted = false;
          note += ` Measured: the first layer's pre-activations have RMS ${sci(s.firstLayerRms)} on the probe images at the first probe (about 0.5–1 with the pixels divided by 255).`;
        }
      }
      if (c.code === 'unstable-loss' && firstNonFinite !== undefined) {
        evidence.nonFiniteStep = firstNonFinite;
        const z = zeroProbabilities;
        if (z) Object.assign(evidence, { zeroProbabilities: z.count, zeroProbabilitiesStep: z.step });
        note += ` In this run the loss turned non-finite at step ${firstNonFinite}${z ? ` (at step ${z.step}, ${z.count} of the probe batch's output probabilities were already exactly 0, where log gives −∞)` : ''}.`;
      } else if (s.confirmedBy) {
        evidence.confirmedBy = s.confirmedBy.code;
        evidence.confirmedStep = s.confirmedBy.step;
        note += ` In this run it shows: ${s.confirmedBy.code} from step ${s.confirmedBy.step} (see that finding).`;
      }
      if (s.confirmedBy && c.severity !== 'info') severity = 'error';
      if (final) evidence.testAccuracy = final.testAccuracy;
      if (withdrawn && c.code !== 'unstable-loss') {
        severity = 'info';
        note += ` This run trained well anyway (test accuracy ${pct(final!.testAccuracy, 1)}), so it is not what holds the model back here; it is still how the program differs from the usual one.`;
      } else if (final && c.code === 'unstable-loss' && firstNonFinite === undefined) {
        note += ' This run stayed finite, but whether a probability underflows depends on the seed and the batches: other runs of the same program turn NaN.';
      }
      return { code: c.code, severity, layer: -1, firstStep: 0, lastStep, message: c.message + note, evidence, fixes: s.fixes };
    });
  };

  const attribute: ProgramTracker['attribute'] = (fs) => {
    const causes = active();
    if (causes.length === 0) return fs;
    return fs.map((f) => {
      if (isProgramCode(f.code) || f.evidence.causedBy === 'upstream') return f;
      const by = causes.filter((s) => explains(s.cause.code, f) || (s.confirmedBy !== undefined && s.cause.code !== 'unstable-loss' && FOLLOWS.has(f.code)));
      if (by.length === 0) return f;
      const because = by.map((s) => s.cause.short).join('; and ');
      const codes = by.map((s) => s.cause.code).join(', ');
      const fixes = dedupeFixes(by.flatMap((s) => s.fixes));
      const direct = by.some((s) => explains(s.cause.code, f));
      const offered = fixes.length > 0 ? ` The fix offered is that cause's.` : '';
      return {
        ...f,
        severity: f.code === 'poor-init-scale' ? 'info' : f.severity,
        message: direct
          ? `${withoutOwnAdvice(f.message)} This is because ${because} (see ${codes}).${offered}`
          : `${withoutOwnAdvice(f.message)} In this run it comes second: what fails is that ${because} (see ${codes}).${offered}`,
        evidence: { ...f.evidence, causedBy: codes },
        fixes,
      };
    });
  };

  return { observe, findings, attribute, trainsWell };
}
