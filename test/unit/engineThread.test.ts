// The diagnostics engine beside the training loop (src/core/diagnostics/engineThread.ts), on a real worker
// thread: the same reports and findings as inline, in the same places among the training events, and an
// engine that fails or a thread that dies ends the run with an error that says so (nothing hangs).
import { test, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend, type LoadedBackend } from '../../src/core/backend';
import { loadMnist, classShares, type MnistData } from '../../src/core/mnist';
import { runWithDiagnostics } from '../../src/core/run';
import { findPreset } from '../../src/core/presets';
import { train } from '../../src/core/trainer';
import { THREAD_MIN_PARAMETERS, engineWorkerScript, startDiagnostics } from '../../src/core/diagnostics/engineThread';
import type { ProbeReport } from '../../src/core/diagnostics/types';
import type { ProbeData, TrainingEvent } from '../../src/core/events';
import { type ModelSpec, parameterCount } from '../../src/core/spec';

let backend: LoadedBackend;
let data: MnistData;
before(async () => {
  backend = await selectBackend('wasm');
  data = loadMnist();
});

const preset = (name: string, steps: number): ModelSpec => ({ ...findPreset(name)!.spec, steps });

/** One run, with the order of everything delivered: `e:<type>:<step>` for events, `r:<step>` for reports. */
async function record(spec: ModelSpec, thread: boolean) {
  const order: string[] = [];
  const reports: ProbeReport[] = [];
  const r = await runWithDiagnostics(spec, {
    backend, data, probeEvery: 10, evalEvery: 40, diagnosticsThread: thread,
    onEvent: (e: TrainingEvent) => order.push(`e:${e.type}:${'step' in e ? e.step : ''}`),
    onProbeReport: (p) => {
      order.push(`r:${p.step}`);
      reports.push(p);
    },
  });
  return { order, reports, findings: r.findings };
}

describe('the diagnostics engine on a worker thread', () => {
  test('the worker script is found next to the code (out/ here, dist/diagnostics.js in the bundles)', () => {
    assert.ok(engineWorkerScript(), 'no engineWorker.js / diagnostics.js found');
  });

  for (const name of ['seed-mlp-zeros', 'seed-mlp-uniform']) {
    test(`${name}: the same reports, findings and order of events as the engine inline (real wasm training)`, async () => {
      const spec = preset(name, 120);
      const inline = await record(spec, false);
      const threaded = await record(spec, true);
      assert.equal(inline.reports.length, 13, 'probes at steps 0, 10, …, 120');
      assert.deepEqual(threaded.order, inline.order);
      assert.deepEqual(JSON.parse(JSON.stringify(threaded.reports)), JSON.parse(JSON.stringify(inline.reports)));
      assert.deepEqual(threaded.findings, inline.findings);
      if (name === 'seed-mlp-zeros') assert.ok(threaded.findings.some((f) => f.code === 'dead-units'), 'the seed run is diagnosed');
      // every report comes right after the step it was taken at, as inline
      for (const r of threaded.reports.filter((x) => x.step > 0)) {
        const i = threaded.order.indexOf(`r:${r.step}`);
        assert.equal(threaded.order[i - 1], `e:step:${r.step}`);
      }
    });
  }

  test('an engine error (a malformed probe) ends the run with that error; the events before it are delivered', async () => {
    const events: string[] = [];
    const d = startDiagnostics({ testClassPrior: classShares(data.test.labels) }, { onEvent: (e) => events.push(e.type), onReport: () => assert.fail('no report expected') }, { thread: true });
    try {
      assert.equal(d.threaded, true);
      d.probe({ step: 0, layers: [] } as unknown as ProbeData);
      d.event({ type: 'step', step: 1, loss: 2.3, batchAccuracy: 0.1 });
      await assert.rejects(d.end({ type: 'end', steps: 1, stopped: false, testAccuracy: 0.1, testLoss: 2.3, trainMs: 1, probeMs: 0, evalMs: 0 }, undefined), (e: Error) => {
        assert.equal(e.name, 'DiagnosticsInputError');
        assert.match(e.message, /probe has no layers/);
        return true;
      });
      assert.deepEqual(events, ['step']);
    } finally {
      d.close();
    }
  });

  test('a diagnostics thread that dies ends the run with an error naming it, training is not left waiting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-engine-'));
    const script = join(dir, 'crash.js');
    writeFileSync(script, "require('node:worker_threads').parentPort.on('message', () => process.exit(7));\n");
    const d = startDiagnostics({}, {}, { thread: true, script });
    try {
      const spec = preset('seed-mlp-uniform', 20);
      const r = await train(spec, { backend, data, probeEvery: 10, onEvent: (e) => d.event(e), onProbe: (p) => d.probe(p) });
      assert.equal(r.end.steps, 20);
      await assert.rejects(d.end(r.end, r.finalEval), /diagnostics thread exited unexpectedly \(code 7\)/);
    } finally {
      d.close();
    }
  });

  test('bad thresholds are a ThresholdError before training starts (the user\'s settings), on the thread route too', async () => {
    assert.throws(() => startDiagnostics({ thresholds: { deadActiveShare: -1 } }, {}, { thread: true }), (e: Error) => e.name === 'ThresholdError' && /deadActiveShare/.test(e.message));
    await assert.rejects(
      runWithDiagnostics(preset('seed-mlp-uniform', 5), { backend, data, thresholds: { saturationDerivativeShare: Number.NaN }, diagnosticsThread: true }),
      (e: Error) => e.name === 'ThresholdError' && /saturationDerivativeShare/.test(e.message),
    );
  });

  test('by default the thread is for models that are not small (the seed MLP measures its probes inline)', () => {
    const small = startDiagnostics({}, {}, { parameters: parameterCount(preset('seed-mlp-uniform', 1)) });
    assert.equal(small.threaded, false, `${parameterCount(preset('seed-mlp-uniform', 1))} parameters`);
    small.close();
    const wide = startDiagnostics({}, {}, { parameters: THREAD_MIN_PARAMETERS });
    assert.equal(wide.threaded, availableParallelism() > 1);
    wide.close();
  });

  test('GRADIENT_LENS_DIAGNOSTICS_THREAD=0 and thread: false run the engine inline', () => {
    const saved = process.env.GRADIENT_LENS_DIAGNOSTICS_THREAD;
    process.env.GRADIENT_LENS_DIAGNOSTICS_THREAD = '0';
    try {
      const a = startDiagnostics({}, {});
      assert.equal(a.threaded, false);
      a.close();
    } finally {
      if (saved === undefined) delete process.env.GRADIENT_LENS_DIAGNOSTICS_THREAD;
      else process.env.GRADIENT_LENS_DIAGNOSTICS_THREAD = saved;
    }
    const b = startDiagnostics({}, {}, { thread: false });
    assert.equal(b.threaded, false);
    b.close();
  });
});
