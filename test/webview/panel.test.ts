// The real panel bundle (media/webview.js) in headless Debian Chromium, fed recorded message streams
// of real runs (test/fixtures/streams, recorded by recordStream.ts from the real trainer and
// diagnostics engine), inside the exact HTML and CSP src/host/panel.ts generates. The VS Code webview
// API is MOCKED (see harness.ts): acquireVsCodeApi records what the panel posts, and panel.ts runs
// against a fake `vscode` module to produce its HTML. Assertions are about what a person sees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { type PanelPage, type Win, launch, loadStream, openPanel, screenshotPath } from './harness';
import { ExportComparisonCommand, RerunWithFixCommand } from '../../src/protocol/webview';

let browser: Browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const zeros = loadStream('seed-mlp-zeros');
const rerun = loadStream('seed-mlp-zeros-rerun');
type N = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const stepsIn = (ns: N[], runId: string) => ns.filter((n) => n.type === 'steps' && n.runId === runId).reduce((k, n) => k + n.steps.length, 0);
const lastEnd = (ns: N[], runId: string) => ns.filter((n) => n.type === 'endRun' && n.runId === runId).pop();

async function feed(p: PanelPage, notifications: unknown[]): Promise<void> {
  await p.send([{ type: 'snapshot', runs: [] }]);
  // In slices, as the host's 125 ms flushes would deliver them.
  for (let i = 0; i < notifications.length; i += 8) await p.send(notifications.slice(i, i + 8));
  await p.settle();
}

async function text(p: PanelPage, selector: string): Promise<string> {
  return (await p.page.locator(selector).first().textContent())?.trim() ?? '';
}

test('seed-mlp-zeros stream (mocked acquireVsCodeApi): the panel says ready, then shows 100/100 dead units, dead-units and zero-gradient findings, 1000 loss points', async () => {
  const p = await openPanel(browser, { theme: 'dark' });
  assert.deepEqual((await p.posted())[0], { type: 'ready' }, 'the first message is the ready handshake');
  await feed(p, zeros.notifications);
  const page = p.page;

  assert.equal(await text(p, '[data-testid="run-status"]'), 'finished');
  const header = await text(p, '[data-testid="run-header"]');
  assert.match(header, /seed-mlp-zeros/);
  assert.match(header, new RegExp(`Backend: ${zeros.backend}`));
  assert.match(header, /Step 1000 \/ 1000/);
  // Both clocks, each saying what it measures (issue 23): wall time from the click, the training loop's steps only.
  assert.match(header, /Wall time \d/);
  assert.match(header, /Training loop \d/);
  assert.match((await page.locator('[data-testid="elapsed"]').getAttribute('title')) ?? '', /from the click/);
  assert.match((await page.locator('[data-testid="train-time"]').getAttribute('title')) ?? '', /training steps only/);

  const map = page.locator('[data-testid="unit-map"][data-layer="0"]');
  assert.equal(await map.getAttribute('data-dead'), '100');
  assert.equal(await map.getAttribute('data-units'), '100');
  assert.match((await map.textContent()) ?? '', /100 \/ 100 units dead/);
  assert.equal(await page.locator('[data-testid="unit-map"]').count(), 1, 'one hidden layer, one unit map (the softmax layer has none)');
  // The unit map really is painted in the dead colour (charts-red of the dark theme), not blank.
  const red = await map.locator('canvas').evaluate((c) => {
    const canvas = c as unknown as { getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } }; width: number; height: number };
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 180 && d[i + 1] < 120 && d[i + 2] < 120 && d[i + 3] > 100) n++;
    return n / (d.length / 4);
  });
  assert.ok(red > 0.3, `most of the unit map is dead-red (got ${red})`);
  assert.match(await text(p, '[data-testid="effective-width"][data-layer="0"]'), /1 of 100/);

  const codes = await page.locator('[data-testid="finding"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-code')));
  assert.ok(codes.includes('dead-units'), `findings: ${codes}`);
  assert.ok(codes.includes('zero-gradient'), `findings: ${codes}`);
  const dead = page.locator('[data-testid="finding"][data-code="dead-units"]');
  assert.match((await dead.textContent()) ?? '', /error/);
  assert.match((await dead.textContent()) ?? '', /layer 1 \(100 relu\)/); // people count layers from 1 (layerTitle)
  assert.match((await dead.textContent()) ?? '', /since step 0/);
  // the evidence in words, as the host attaches it (host/findingWords.ts; harness loadStream does what the host does)
  assert.match((await dead.locator('[data-testid="evidence-text"]').textContent()) ?? '', /100 of 100 units output 0 on all 256 probe images/, 'the evidence in words');
  assert.doesNotMatch((await dead.textContent()) ?? '', /deadUnits/, 'not the raw evidence keys');

  const expectedSteps = stepsIn(zeros.notifications, 'run-1');
  assert.equal(expectedSteps, 1000);
  assert.equal(await page.locator('[data-testid="loss-chart"]').getAttribute('data-points'), '1000');
  // uPlot draws raw and smoothed loss, 1000 points each.
  assert.equal(await page.locator('[data-testid="loss-chart"]').getAttribute('data-series'), '2');
  assert.equal(await page.locator('[data-testid="loss-chart"] canvas').count(), 1);
  const evals = zeros.notifications.filter((n: N) => n.type === 'eval').length;
  assert.equal(await page.locator('[data-testid="accuracy-chart"]').getAttribute('data-points'), String(new Set(zeros.notifications.filter((n: N) => n.type === 'eval').map((n: N) => n.eval.step)).size));
  assert.ok(evals > 1);

  const want = lastEnd(zeros.notifications, 'run-1')!.end.testAccuracy as number;
  assert.equal(await text(p, '[data-testid="final-accuracy"][data-run-id="run-1"]'), want.toFixed(4));
  assert.ok(Math.abs(want - 0.1135) < 0.01, `the recorded run predicts one class (${want})`);

  // The text alternative of the charts: tables a screen reader can walk.
  await page.locator('[data-testid="data-tables"] summary').click();
  await p.settle();
  const tables = page.locator('[data-testid="data-tables"] table');
  const captions = await tables.locator('caption').allTextContents();
  const evalTable = tables.filter({ has: page.locator('caption', { hasText: 'test accuracy per evaluation' }) });
  assert.equal(await evalTable.locator('tbody tr').count(), evals, `captions: ${captions.join(' | ')}`);
  const layerTable = tables.filter({ has: page.locator('caption', { hasText: 'layers at probe step 1000' }) });
  // the layer as people (and the source) name it (layerTitle), not its 0-based index
  assert.deepEqual(await layerTable.locator('tbody tr').first().locator('td').allTextContents(), ['layer 1 (100 relu)', '100', 'relu', '100', '1', '0', '0']);
  const lossRows = await tables.filter({ has: page.locator('caption', { hasText: 'training loss' }) }).locator('tbody tr').count();
  assert.ok(lossRows >= 50 && lossRows <= 52, `${lossRows} loss rows`);
  await page.locator('[data-testid="data-tables"] summary').click();

  assert.deepEqual(await p.cspViolations(), [], 'nothing violates the webview CSP');
  assert.deepEqual(p.errors, []);
  await page.screenshot({ path: screenshotPath('panel-seed-mlp-zeros-dark.png'), fullPage: true });
  await page.close();
});

test('native backend absent (mocked acquireVsCodeApi): the header offers the set-up and posts setUpNativeBackend; a tensorflow run shows libtensorflow and no offer', async () => {
  const p = await openPanel(browser, { theme: 'dark' });
  const withBackend = (backend: object, runId: string) => zeros.notifications.map((n) => {
    const m = JSON.parse(JSON.stringify(n).split('"runId":"run-1"').join(`"runId":"${runId}"`)) as N;
    if (m.type === 'startTraining') m.start.backend = backend;
    return m;
  });
  const absent = { name: 'wasm', requested: 'auto', simd: true, threads: 1, skipped: [{ name: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed (its install step needs to download libtensorflow)', kind: 'absent' }] };
  await feed(p, withBackend(absent, 'run-absent').slice(0, 40));
  const offer = p.page.locator('[data-testid="setup-native"]');
  assert.equal(await offer.count(), 1);
  assert.equal((await offer.textContent())?.trim(), 'Set up native backend…');
  assert.match((await offer.getAttribute('title')) ?? '', /not installed: @tensorflow\/tfjs-node is not installed/);
  const before = (await p.posted()).length;
  await offer.click();
  await p.settle();
  assert.deepEqual((await p.posted()).slice(before), [{ type: 'setUpNativeBackend', runId: 'run-absent' }]);
  await p.page.screenshot({ path: screenshotPath('panel-native-offer.png') });

  const p2 = await openPanel(browser, { theme: 'dark' });
  await feed(p2, withBackend({ name: 'tensorflow', requested: 'auto', threads: 1, interOpThreads: 1, tensorflowVersion: '2.21.0', skipped: [] }, 'run-tf').slice(0, 40));
  assert.match(await text(p2, '[data-testid="backend"]'), /Backend: tensorflow \(libtensorflow 2\.21\.0, 1 thread\)/);
  assert.equal(await p2.page.locator('[data-testid="setup-native"]').count(), 0);
});

test('light theme (mocked acquireVsCodeApi): "Re-run with this fix" posts rerunWithFix with the finding\'s fix, from the keyboard too', async () => {
  const p = await openPanel(browser, { theme: 'light' });
  await feed(p, zeros.notifications);
  const page = p.page;
  await page.screenshot({ path: screenshotPath('panel-seed-mlp-zeros-light.png'), fullPage: true });
  const bg = await page.locator('body').evaluate((b) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(b).backgroundColor);
  assert.equal(bg, 'rgb(255, 255, 255)', 'the light theme variables are used');

  const dead = page.locator('[data-testid="finding"][data-code="dead-units"]');
  const button = dead.locator('[data-testid="rerun-fix"]').first();
  assert.equal(await button.getAttribute('data-fix-index'), '0');
  const before = (await p.posted()).length;
  await button.click();
  const posted = (await p.posted()).slice(before);
  assert.equal(posted.length, 1);
  const end = lastEnd(zeros.notifications, 'run-1')!;
  const finding = (end.findings as N[]).find((f) => f.code === 'dead-units')!;
  assert.ok(RerunWithFixCommand.is(posted[0]), 'the posted message passes the host\'s guard');
  assert.deepEqual(posted[0], { type: 'rerunWithFix', runId: 'run-1', fix: finding.fixes[0] });

  // Keyboard: Tab from the top reaches the fix buttons; Enter on the second one posts its fix.
  await page.locator('body').click({ position: { x: 2, y: 2 } });
  let reached = false;
  for (let i = 0; i < 60 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => {
      const el = (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } | null } }).document.activeElement;
      return el?.getAttribute('data-testid') === 'rerun-fix' && el.getAttribute('data-fix-index') === '1';
    });
  }
  assert.ok(reached, 'a "Re-run with this fix" button is reachable with Tab');
  const n = (await p.posted()).length;
  await page.keyboard.press('Enter');
  const last = (await p.posted()).slice(n);
  assert.equal(last.length, 1);
  assert.equal((last[0] as N).type, 'rerunWithFix');
  assert.equal((last[0] as N).fix.kind, 'initializer');
  assert.deepEqual(p.errors, []);
  await page.close();
});

test('re-run stream (mocked acquireVsCodeApi): the two runs side by side, overlaid curves, the fixed run above 0.9', async () => {
  const p = await openPanel(browser, { theme: 'dark' });
  await feed(p, rerun.notifications);
  const page = p.page;
  assert.equal(await text(p, '[data-testid="run-status"]'), 'finished');
  assert.match(await text(p, '[data-testid="run-header"]'), /\+ Initialise layers\[0\]'s weights/);
  const accs = await page.locator('[data-testid="final-accuracy"]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-run-id'), e.textContent]));
  assert.equal(accs.length, 2, 'one final accuracy per run shown');
  const byRun = Object.fromEntries(accs);
  assert.ok(Number(byRun['run-1']) < 0.2, `zero-init run ${byRun['run-1']}`);
  assert.ok(Number(byRun['run-2']) > 0.9, `fixed run ${byRun['run-2']}`);
  assert.equal(byRun['run-2'], (lastEnd(rerun.notifications, 'run-2')!.end.testAccuracy as number).toFixed(4));
  // Both runs' raw and smoothed loss are overlaid (2 × 2 series), accuracy: 2 series; one legend names the runs.
  assert.equal(await page.locator('[data-testid="loss-chart"]').getAttribute('data-series'), '4');
  assert.equal(await page.locator('[data-testid="accuracy-chart"]').getAttribute('data-series'), '2');
  assert.deepEqual(await page.locator('.run-legend li').evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id'))), ['run-1', 'run-2']);
  // Both runs' layer views side by side (issue 23): the zero-init run's units dead, the fixed run's alive; findings per run.
  assert.equal(await page.locator('[data-testid="unit-map"][data-layer="0"][data-run-id="run-2"]').getAttribute('data-dead'), '0');
  assert.equal(await page.locator('[data-testid="unit-map"][data-layer="0"][data-run-id="run-1"]').getAttribute('data-dead'), '100');
  assert.match(await text(p, '[data-testid="findings"][data-run-id="run-2"]'), /No findings/);
  assert.equal(await page.locator('[data-testid="findings"][data-run-id="run-1"] [data-testid="finding"][data-code="dead-units"]').count(), 1);
  // The header's run picker shows the zero-init run's status and steps.
  await page.locator('select.run-select').selectOption('run-1');
  await p.settle();
  assert.equal(await text(p, 'h1.run-name'), 'seed-mlp-zeros');
  await page.locator('select.run-select').selectOption('run-2');
  await p.settle();
  await page.screenshot({ path: screenshotPath('panel-rerun-compare-dark.png'), fullPage: true });
  assert.deepEqual(p.errors, []);
  await page.close();
});

test('mid-run (mocked acquireVsCodeApi): Stop posts stopTraining for the running run, once', async () => {
  const p = await openPanel(browser, { theme: 'dark' });
  const half = zeros.notifications.findIndex((n: N) => n.type === 'steps' && n.steps[n.steps.length - 1] >= 500);
  await feed(p, zeros.notifications.slice(0, half + 1));
  assert.equal(await text(p, '[data-testid="run-status"]'), 'running');
  assert.match(await text(p, '[data-testid="run-header"]'), /Step 5\d\d \/ 1000/);
  await p.page.screenshot({ path: screenshotPath('panel-running-dark.png'), fullPage: true });
  const stop = p.page.locator('[data-testid="stop"]');
  assert.equal(await stop.isEnabled(), true);
  await stop.click();
  await p.settle();
  const posted = await p.posted();
  assert.deepEqual(posted[posted.length - 1], { type: 'stopTraining', runId: 'run-1' });
  assert.equal(await stop.isEnabled(), false, 'Stop is disabled while stopping');
  await p.page.close();
});

test('window reload (mocked acquireVsCodeApi getState): the last run is shown from saved state before the host says anything', async () => {
  const p1 = await openPanel(browser, { theme: 'dark' });
  await feed(p1, zeros.notifications);
  const saved = await p1.state();
  await p1.page.close();
  assert.ok(saved && typeof saved === 'object');
  assert.ok(JSON.stringify(saved).length < 2_000_000, 'saved state stays small');

  const p2 = await openPanel(browser, { theme: 'dark', state: saved });
  await p2.settle();
  assert.deepEqual(await p2.posted(), [{ type: 'ready' }]);
  assert.equal(await text(p2, '[data-testid="run-status"]'), 'finished');
  assert.equal(await p2.page.locator('[data-testid="unit-map"][data-layer="0"]').getAttribute('data-dead'), '100');
  assert.equal(await p2.page.locator('[data-testid="finding"][data-code="dead-units"]').count(), 1);
  assert.equal(await p2.page.locator('[data-testid="loss-chart"]').getAttribute('data-points'), '1000');

  // Corrupted saved state is ignored, not rendered.
  const p3 = await openPanel(browser, { theme: 'dark', state: { runs: [{ runId: '<b>', label: 5 }] } });
  await p3.settle();
  assert.equal(await p3.page.locator('[data-testid="finding"]').count(), 0);
  assert.match(await text(p3, '.intro'), /No run yet/);
  await p2.page.close();
  await p3.page.close();
});

test('hostile and malformed host messages are dropped and logged, never executed or injected (mocked acquireVsCodeApi)', async () => {
  const p = await openPanel(browser, { theme: 'dark' });
  await feed(p, zeros.notifications);
  const page = p.page;
  const pointsBefore = await page.locator('[data-testid="loss-chart"]').getAttribute('data-points');
  const warningsBefore = p.warnings.length;
  const malformed: unknown[] = [
    null, 'snapshot', 42, [], { type: 'snapshot', runs: 'all' }, { type: 'definitelyNotAMessage', runId: 'run-1' },
    { type: 'steps', runId: 'run-1', steps: [1001], loss: ['<script>window.__pwned = 1</script>'], batchAccuracy: [0], elapsedMs: 1 },
    { type: 'steps', runId: 'run-1', steps: [1001, 1002], loss: [1], batchAccuracy: [0], elapsedMs: 1 },
    { type: 'endRun', runId: '"><img src=x onerror="window.__pwned=2">', status: 'finished', elapsedMs: 1 },
    { type: 'endRun', runId: 'run-1', status: 'exploded', elapsedMs: 1 },
    { type: 'probe', runId: 'run-1', report: { step: 5, loss: 1, layers: [{ layer: 0, units: 1e9 }], findings: [] } },
    { type: 'probe', runId: 'run-1', report: { step: 5, loss: 1, layers: [], findings: [{ code: 'x', severity: '<img src=x onerror=alert(1)>', layer: 0, firstStep: 0, message: 'm', evidence: {}, fixes: [] }] } },
    { type: 'probe', runId: 'run-1', report: { step: 5, loss: 1, layers: [], findings: [{ code: 'x', severity: 'info', layer: 0, firstStep: 0, message: 'm', evidence: {}, fixes: [], evidenceText: ['ok', 42] }] } },
    { type: 'probe', runId: 'run-1', report: { step: 5, loss: 1, layers: [], findings: [{ code: 'x', severity: 'info', layer: 0, firstStep: 0, message: 'm', evidence: {}, fixes: [], evidenceText: ['x'.repeat(1001)] }] } },
    JSON.parse('{"type":"snapshot","runs":[],"__proto__":{"polluted":true},"activeRunId":{"toString":"x"}}'),
  ];
  await p.send(malformed);
  await p.settle();
  const dropped = p.warnings.slice(warningsBefore).filter((w) => /dropped a malformed message/.test(w));
  assert.equal(dropped.length, malformed.length, `every malformed message is logged once: ${p.warnings.slice(warningsBefore).join(' | ')}`);
  assert.equal(await page.locator('#app').getAttribute('data-dropped-messages'), String(malformed.length));
  assert.equal(await page.locator('[data-testid="loss-chart"]').getAttribute('data-points'), pointsBefore, 'state unchanged');
  assert.equal(await text(p, '[data-testid="run-status"]'), 'finished');

  // Well-formed messages whose strings carry markup: shown as text, never parsed.
  const label = '<img src=x onerror="window.__pwned=3"><script>window.__pwned=4</script>';
  const start = structuredClone(zeros.notifications[0]) as N;
  start.run.runId = 'evil-1';
  start.run.label = label;
  const finding = { code: '<b>bold</b>', severity: 'error', layer: 0, firstStep: 0, message: '<iframe src="https://example.com"></iframe>', evidence: { '<i>k</i>': '<svg onload=alert(1)>' }, fixes: [{ kind: 'learningRate', value: 0.1, label: '<a href="javascript:alert(1)">x</a>' }] };
  const worded = { ...finding, code: 'worded', evidenceText: ['<img src=x onerror="window.__pwned=6">', '<b>not bold</b>'] };
  await p.send([start, { type: 'endRun', runId: 'evil-1', status: 'error', message: '<img src=x onerror="window.__pwned=5">', elapsedMs: 3, findings: [finding, worded] }]);
  await p.settle();
  assert.equal(await text(p, 'h1.run-name'), label);
  assert.match(await text(p, '[data-testid="findings"][data-run-id="evil-1"] [data-testid="finding"]'), /<iframe src=/);
  assert.match(await text(p, '[data-testid="findings"][data-run-id="evil-1"] [data-code="worded"] [data-testid="evidence-text"]'), /<img src=x onerror="window.__pwned=6">\s*<b>not bold<\/b>/);
  const injected = await page.evaluate(() => {
    const d = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document;
    return d.querySelectorAll('#app img, #app iframe, #app svg, #app a, #app b, #app i, #app script').length;
  });
  assert.equal(injected, 0, 'no element was created from message text');
  assert.equal(await page.evaluate(() => (globalThis as unknown as Win).__pwned), undefined);
  assert.equal(await page.evaluate(() => ({} as Record<string, unknown>).polluted), undefined, 'no prototype pollution');
  assert.deepEqual(await p.cspViolations(), []);
  assert.deepEqual(p.errors, []);
  await page.close();
});

test('a long run stays responsive (mocked acquireVsCodeApi): 20,000 steps render as 20,000 loss points', async () => {
  const p = await openPanel(browser, { theme: 'dark' });
  const start = structuredClone(zeros.notifications[0]) as N;
  const training = structuredClone(zeros.notifications.find((n: N) => n.type === 'startTraining')) as N;
  training.start.totalSteps = 20_000;
  const batches: N[] = [];
  for (let s = 1; s <= 20_000; s += 250) {
    const steps = Array.from({ length: 250 }, (_, i) => s + i);
    batches.push({ type: 'steps', runId: 'run-1', steps, loss: steps.map((k) => 2.3 * Math.exp(-k / 4000) + 0.05 * Math.sin(k)), batchAccuracy: steps.map(() => 0.5), elapsedMs: s });
  }
  await p.send([{ type: 'snapshot', runs: [] }, start, training]);
  const t0 = Date.now();
  for (const b of batches) await p.send([b]);
  await p.settle();
  const ms = Date.now() - t0;
  assert.equal(await p.page.locator('[data-testid="loss-chart"]').getAttribute('data-points'), '20000');
  assert.match(await text(p, '[data-testid="run-header"]'), /Step 20000 \/ 20000/);
  const maxRender = await p.page.locator('#app').getAttribute('data-max-render-ms');
  const lastRender = await p.page.locator('#app').getAttribute('data-render-ms');
  console.log(`# 80 batches, 20,000 steps delivered and rendered in ${ms} ms; one page update: ${lastRender} ms at 20,000 points, slowest ${maxRender} ms (benchmark figures, not asserted)`);
  assert.deepEqual(p.errors, []);
  await p.page.close();
});

test('exports (mocked acquireVsCodeApi): Export JSON asks the host for the run, Export PNG posts a real PNG of the comparison', async () => {
  const p = await openPanel(browser, { theme: 'dark' });
  await feed(p, zeros.notifications);
  const page = p.page;
  let n = (await p.posted()).length;
  await page.locator('[data-testid="export-json"]').click();
  assert.deepEqual((await p.posted()).slice(n), [{ type: 'exportRun', runId: 'run-1', format: 'json' }]);
  n = (await p.posted()).length;
  await page.locator('[data-testid="export-png"]').click();
  const [msg] = (await p.posted()).slice(n) as N[];
  assert.ok(ExportComparisonCommand.is(msg), 'the PNG export passes the host\'s guard');
  assert.equal(msg.format, 'png');
  assert.deepEqual(msg.runIds, ['run-1']);
  const png = Buffer.from(String(msg.data).split(',')[1], 'base64');
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  assert.ok(width >= 400 && height >= 600, `loss, accuracy and layer charts stacked: ${width}×${height}`);
  assert.deepEqual(p.errors, []);
  await page.close();
});

test('high-contrast theme (mocked acquireVsCodeApi): theme colours come from the --vscode-* variables', async () => {
  const p = await openPanel(browser, { theme: 'high-contrast' });
  await feed(p, zeros.notifications);
  const page = p.page;
  const colours = await page.locator('body').evaluate((b) => {
    const g = globalThis as unknown as { getComputedStyle(e: unknown): { color: string; backgroundColor: string } };
    return { fg: g.getComputedStyle(b).color, bg: g.getComputedStyle(b).backgroundColor };
  });
  assert.deepEqual(colours, { fg: 'rgb(255, 255, 255)', bg: 'rgb(0, 0, 0)' });
  const border = await page.locator('[data-testid="finding"]').first().evaluate((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { borderTopColor: string } }).getComputedStyle(e).borderTopColor);
  assert.equal(border, 'rgb(111, 195, 223)', 'contrast borders in high contrast');
  await page.screenshot({ path: screenshotPath('panel-seed-mlp-zeros-high-contrast.png'), fullPage: true });
  await page.close();
});

test('theme switch while open (mocked acquireVsCodeApi): canvases are repainted with the new --vscode-* colours', async () => {
  const p = await openPanel(browser, { theme: 'dark' });
  await feed(p, zeros.notifications);
  const page = p.page;
  const share = (r: number, g: number, b: number) => page.locator('[data-testid="unit-map"][data-layer="0"] canvas').evaluate((c, rgb) => {
    const canvas = c as unknown as { getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } }; width: number; height: number };
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - rgb[0]) < 40 && Math.abs(d[i + 1] - rgb[1]) < 40 && Math.abs(d[i + 2] - rgb[2]) < 40 && d[i + 3] > 100) n++;
    return n / (d.length / 4);
  }, [r, g, b]);
  assert.ok((await share(0, 200, 255)) < 0.05);
  // What VS Code does on a theme change: new variable values on <html>.
  await page.evaluate(() => {
    const d = (globalThis as unknown as { document: { documentElement: { style: { setProperty(k: string, v: string): void } } } }).document;
    d.documentElement.style.setProperty('--vscode-charts-red', '#00c8ff');
  });
  await p.settle();
  assert.ok((await share(0, 200, 255)) > 0.3, 'dead units are now painted in the new colour');
  assert.deepEqual(p.errors, []);
  await page.close();
});
