// The diagnostics engine's worker thread (engineThread.ts starts it; bundled as dist/diagnostics.js). It
// owns one engine for one run and answers the training thread's messages in the order they were sent:
// a probe gets its report, the end gets the final findings. Each answer carries the engine's time for it.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createDiagnosticsEngine } from './engine';
import type { DiagnosticsOptions } from './types';
import type { ProbeData } from '../events';
import { LAYER_ARRAYS, type FromEngineThread, type ToEngineThread } from './engineThread';

/** Bytes of probe arrays received since the last collection after which one is made (see `collect`). */
const COLLECT_EVERY_BYTES = 16 * 2 ** 20;

/**
 * This thread allocates little JS besides the probes' arrays, so V8 rarely collects here and their copies (29 MB a
 * probe at 3 × 1024 units) pile up: +160 MB of peak RSS at that size, measured. A collection after every 16 MB
 * received (2–4 ms, beside the loop) keeps about one probe's copy alive. `gc` is V8's, exposed for this thread.
 */
function collector(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

function probeBytes(p: ProbeData): number {
  let n = p.labels?.byteLength ?? 0;
  for (const l of p.layers ?? []) for (const k of LAYER_ARRAYS) n += l[k]?.byteLength ?? 0;
  return n;
}

if (parentPort) {
  const port = parentPort;
  const gc = collector();
  let received = 0;
  const engine = createDiagnosticsEngine((workerData as { options?: DiagnosticsOptions } | undefined)?.options ?? {});
  const answer = (m: FromEngineThread): void => port.postMessage(m);
  port.on('message', (m: ToEngineThread) => {
    const t0 = performance.now();
    try {
      if (m.type === 'probe') {
        const report = engine.onProbe(m.probe);
        received += probeBytes(m.probe);
        if (gc && received >= COLLECT_EVERY_BYTES) {
          received = 0;
          gc();
        }
        answer({ type: 'report', report, ms: performance.now() - t0 });
      }
      else answer({ type: 'findings', findings: engine.onEnd(m.end, m.finalEval), ms: performance.now() - t0 });
    } catch (e) {
      answer({ type: 'error', name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) });
    }
  });
}
