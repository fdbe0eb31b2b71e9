// PLACEHOLDER until the diagnostics engine lands (issue 3): reports no findings and no histograms.
import type { DiagnosticsEngine, DiagnosticsOptions } from './types';

export function createDiagnosticsEngine(_options: DiagnosticsOptions = {}): DiagnosticsEngine {
  return {
    onProbe: (p) => ({ step: p.step, loss: p.loss, layers: [], findings: [] }),
    onEnd: () => [],
  };
}
