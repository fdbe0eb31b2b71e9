// The diagnostics engine's worker thread (engineThread.ts starts it; bundled as dist/diagnostics.js). It
// owns one engine for one run and answers the training thread's messages in the order they were sent:
// a probe gets its report, the end gets the final findings. Each answer carries the engine's time for it.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { createDiagnosticsEngine } from './engine';
import type { DiagnosticsOptions } from './types';
import type { FromEngineThread, ToEngineThread } from './engineThread';

if (parentPort) {
  const port = parentPort;
  const engine = createDiagnosticsEngine((workerData as { options?: DiagnosticsOptions } | undefined)?.options ?? {});
  const answer = (m: FromEngineThread): void => port.postMessage(m);
  port.on('message', (m: ToEngineThread) => {
    const t0 = performance.now();
    try {
      if (m.type === 'probe') answer({ type: 'report', report: engine.onProbe(m.probe), ms: performance.now() - t0 });
      else answer({ type: 'findings', findings: engine.onEnd(m.end, m.finalEval), ms: performance.now() - t0 });
    } catch (e) {
      answer({ type: 'error', name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) });
    }
  });
}
