// Records the panel's message stream of a real run into test/fixtures/streams/<preset>.json: real
// MNIST, the real trainer and diagnostics engine, and the host's NotificationFeed, flushed every
// 125 ms exactly as TrainingPanel does. The webview tests replay these files into the real bundle.
//
//   node out/test/webview/recordStream.js [PRESET] [--fix CODE] [--evalEvery N] [--out FILE]
//
// --fix CODE records a second run: PRESET with the first fix of the first finding of that code
// applied (core's applyFix), begun with compareWithRunId = the first run, as "Re-run with this fix" does.
// --sweep KIND [--variants N] [--steps S] records a sweep instead (core/sweeps.ts, as "Compare
// initialisations" starts it): the first N variants of PRESET (S steps each), one after another, each
// begun with its RunGroup, into <preset>-sweep-<kind>.json.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { loadMnist } from '../../src/core/mnist';
import { selectBackend } from '../../src/core/backend';
import { runWithDiagnostics } from '../../src/core/run';
import { findPreset } from '../../src/core/presets';
import { applyFix } from '../../src/core/fixes';
import type { ModelSpec } from '../../src/core/spec';
import { type SweepKind, sweepOf } from '../../src/core/sweeps';
import type { Finding } from '../../src/core/findings';
import type { TrainerToHostMessage } from '../../src/protocol/training';
import { type HostNotification, NotificationFeed } from '../../src/protocol/webview';
import { messageWithEvidenceText } from '../../src/host/findingWords';

export interface RecordedStream {
  recordedAt: string;
  preset: string;
  backend: string;
  notes: string;
  /** Exactly what the host posts to the webview, in order (after the webview's ready + empty snapshot). */
  notifications: HostNotification[];
}

const FLUSH_MS = 125;

async function recordRun(spec: ModelSpec, runId: string, label: string, feed: NotificationFeed, out: HostNotification[],
  ctx: { backend: Awaited<ReturnType<typeof selectBackend>>; data: ReturnType<typeof loadMnist>; evalEvery: number }, compareWithRunId?: string,
  group?: Parameters<NotificationFeed['beginRun']>[0]['group']): Promise<Finding[]> {
  out.push(...feed.beginRun({ runId, label, spec, compareWithRunId, ...(group ? { group } : {}) }));
  // as TrainingPanel posts it: the findings' evidence in words (host/findingWords.ts)
  const send = (m: TrainerToHostMessage) => out.push(...feed.trainerMessage(messageWithEvidenceText(JSON.parse(JSON.stringify(m)) as TrainerToHostMessage, spec)));
  const timer = setInterval(() => out.push(...feed.flushSteps()), FLUSH_MS);
  try {
    const summary = await runWithDiagnostics(spec, {
      backend: ctx.backend, data: ctx.data, probeEvery: 50, evalEvery: ctx.evalEvery,
      onEvent: (event) => send({ type: 'event', runId, event }),
      onProbeReport: (report) => send({ type: 'probe', runId, report }),
    });
    send({ type: 'finished', runId, findings: summary.findings });
    out.push(...feed.endRun(runId, { status: summary.stopped ? 'stopped' : 'finished' }));
    return summary.findings;
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : undefined; };
  const fixCode = flag('--fix');
  const sweepKind = flag('--sweep') as SweepKind | undefined;
  const variants = Number(flag('--variants') ?? 6);
  const steps = flag('--steps');
  const evalEvery = Number(flag('--evalEvery') ?? 100);
  const presetId = args[0] ?? 'seed-mlp-zeros';
  const outFile = flag('--out') ?? join('test', 'fixtures', 'streams', `${presetId}${fixCode ? '-rerun' : ''}${sweepKind ? `-sweep-${sweepKind}` : ''}.json`);
  const preset = findPreset(presetId);
  if (!preset) throw new Error(`unknown preset ${presetId}`);
  const backend = await selectBackend('auto');
  const data = loadMnist();
  const feed = new NotificationFeed();
  const notifications: HostNotification[] = [];
  const ctx = { backend, data, evalEvery };
  if (sweepKind) {
    const base: ModelSpec = { ...preset.spec, ...(steps ? { steps: Number(steps) } : {}) };
    const sweep = sweepOf(base, sweepKind);
    const chosen = sweep.variants.slice(0, variants);
    const notes: string[] = [];
    for (const [index, v] of chosen.entries()) {
      const group = { id: 'sweep-1', title: sweep.title, variant: v.label, index, size: chosen.length, change: v.change };
      const found = await recordRun(v.spec, `run-${index + 1}`, `${preset.id} · ${v.label}`, feed, notifications, ctx, undefined, group);
      notes.push(`${v.label}: ${found.map((f) => `${f.code}@${f.layer}`).join(', ') || 'no findings'}`);
    }
    const stream: RecordedStream = { recordedAt: new Date().toISOString(), preset: preset.id, backend: backend.info.name, notes: `${sweep.title}, ${chosen.length} variants of ${base.steps} steps, one after another: ${notes.join('; ')}`, notifications };
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, JSON.stringify(stream) + '\n');
    console.log(`${outFile}: ${notifications.length} notifications (${stream.notes})`);
    return;
  }
  const findings = await recordRun(preset.spec, 'run-1', preset.id, feed, notifications, ctx);
  let notes = `${preset.id}: ${findings.map((f) => `${f.code}@${f.layer}`).join(', ') || 'no findings'}`;
  if (fixCode) {
    const finding = findings.find((f) => f.code === fixCode && f.fixes.length > 0);
    if (!finding) throw new Error(`no ${fixCode} finding with a fix in ${presetId}`);
    const spec = applyFix(preset.spec, finding.fixes[0]);
    await recordRun(spec, 'run-2', spec.name, feed, notifications, ctx, 'run-1');
    notes += `; re-run with "${finding.fixes[0].label}"`;
  }
  const stream: RecordedStream = { recordedAt: new Date().toISOString(), preset: preset.id, backend: backend.info.name, notes, notifications };
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify(stream) + '\n');
  console.log(`${outFile}: ${notifications.length} notifications (${notes})`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  });
}
