// Runs as a set (issue 23) in the real panel bundle, in headless Debian Chromium: a recorded real sweep
// of three variants of seed-mlp-zeros (the file's zeros, N(0, 1), U(±0.01) on layer 1; real MNIST, the
// real trainer, recorded by recordStream.ts --sweep init) replayed as the host posts it. The VS Code
// webview API is MOCKED (harness.ts: acquireVsCodeApi records what the panel posts and saves).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { type PanelPage, launch, loadStream, openPanel, screenshotPath } from './harness';
import { ExportComparisonCommand, StartSweepCommand } from '../../src/protocol/webview';

let browser: Browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const sweep = loadStream('seed-mlp-zeros-sweep-init');
type N = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ends = new Map<string, N>(sweep.notifications.filter((n: N) => n.type === 'endRun').map((n: N) => [n.runId, n]));
const labels = new Map<string, string>(sweep.notifications.filter((n: N) => n.type === 'startRun').map((n: N) => [n.run.runId, n.run.label]));
const IDS = ['run-1', 'run-2', 'run-3'];

async function feed(p: PanelPage): Promise<void> {
  await p.send([{ type: 'snapshot', runs: [] }]);
  for (let i = 0; i < sweep.notifications.length; i += 8) await p.send(sweep.notifications.slice(i, i + 8));
  await p.settle();
}

const text = async (p: PanelPage, selector: string): Promise<string> => (await p.page.locator(selector).first().textContent())?.trim() ?? '';
const attr = (p: PanelPage, selector: string, name: string) => p.page.locator(selector).getAttribute(name);

/** Pixels of a canvas row (RGBA), read in the page. */
async function canvasRow(p: PanelPage, selector: string, y: number): Promise<number[]> {
  return p.page.locator(selector).evaluate((c, row) => {
    const canvas = c as unknown as { getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } }; width: number };
    return [...canvas.getContext('2d').getImageData(0, row, canvas.width, 1).data];
  }, y);
}

test('a sweep of 3 recorded runs (mocked acquireVsCodeApi): run list, differences table, overlay with a legend that toggles runs, unit maps and findings side by side', async () => {
  const p = await openPanel(browser, { theme: 'dark', width: 1280 });
  await feed(p);
  const page = p.page;
  console.log(`# 3 runs compared: one page update ${await attr(p, '#app', 'data-render-ms')} ms, slowest ${await attr(p, '#app', 'data-max-render-ms')} ms (benchmark figures, not asserted)`);
  // The run list: every run with a checkbox; a sweep's runs are all picked.
  const boxes = page.locator('[data-testid="run-pick"]');
  assert.equal(await boxes.count(), 3);
  assert.deepEqual(await boxes.evaluateAll((els) => els.map((e) => (e as unknown as { checked: boolean }).checked)), [true, true, true]);
  assert.equal(await attr(p, '#app', 'data-compared'), IDS.join(' '));
  assert.match(await text(p, '[data-testid="sweep-note"]'), /Compare initialisations of layer 1 \(100 relu\): 3 variants in one training process \(Stop stops them all\) — 3 of 3 ended/);
  for (const id of IDS) assert.equal(await text(p, `[data-testid="final-accuracy"][data-run-id="${id}"]`), (ends.get(id)!.end.testAccuracy as number).toFixed(4));

  // The differences table: what each variant changes, and how it ended.
  const rows = page.locator('[data-testid="differences"] tbody tr');
  assert.equal(await rows.count(), 3);
  const differs = await page.locator('[data-testid="differences"] [data-testid="differs"]').allTextContents();
  assert.deepEqual(differs, ['baseline', 'layer 1 (100 relu) kernel: zeros → N(0, 1)', 'layer 1 (100 relu) kernel: zeros → U(±0.01)']);
  const row3 = await rows.nth(2).locator('td').allTextContents();
  assert.equal(row3[1], (ends.get('run-3')!.end.testAccuracy as number).toFixed(4));
  assert.equal(row3[3], String(ends.get('run-3')!.findings.length));
  assert.equal((await rows.nth(0).locator('td').allTextContents())[3], String(ends.get('run-1')!.findings.length));

  // Overlaid curves: 3 runs × (raw, smoothed) and 3 accuracy series; the legend names the runs in order.
  assert.equal(await attr(p, '[data-testid="loss-chart"]', 'data-series'), '6');
  assert.equal(await attr(p, '[data-testid="accuracy-chart"]', 'data-series'), '3');
  const toggles = page.locator('[data-testid="legend-toggle"]');
  assert.deepEqual(await toggles.evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id'))), IDS);
  // The legend toggles a run off the charts and back; the run stays in the tables.
  const lossSeriesShown = () => toggles.evaluateAll((els) => els.map((e) => e.getAttribute('aria-pressed')));
  await toggles.nth(1).click();
  await p.settle();
  assert.deepEqual(await lossSeriesShown(), ['true', 'false', 'true']);
  assert.equal(await attr(p, '[data-testid="loss-chart"]', 'data-hidden'), '1');
  assert.equal(await rows.count(), 3, 'a hidden run stays in the differences table');
  await toggles.nth(1).click();
  await p.settle();
  assert.equal(await attr(p, '[data-testid="loss-chart"]', 'data-hidden'), '0');

  // Per-layer views side by side: zeros — 100 of 100 dead; U(±0.01) — alive. Findings in one column per run.
  assert.equal(await page.locator('[data-testid="layer-compare"][data-layer="0"] [data-testid="layer"]').count(), 3);
  assert.equal(await attr(p, '[data-testid="unit-map"][data-run-id="run-1"]', 'data-dead'), '100');
  assert.equal(await attr(p, '[data-testid="unit-map"][data-run-id="run-3"]', 'data-dead'), '0');
  const boxesX = await page.locator('[data-testid="layer-compare"][data-layer="0"] [data-testid="layer"]').evaluateAll((els) =>
    els.map((e) => Math.round((e as unknown as { getBoundingClientRect(): { left: number } }).getBoundingClientRect().left)));
  assert.equal(new Set(boxesX).size, 3, `three columns side by side (left edges ${boxesX})`);
  assert.equal(await page.locator('[data-testid="findings"]').count(), 3);
  assert.equal(await page.locator('[data-testid="findings"][data-run-id="run-1"] [data-testid="finding"][data-code="dead-units"]').count(), 1);
  assert.match(await text(p, '[data-testid="findings"][data-run-id="run-3"]'), /No findings/);
  // A finding offers the sweep of its layer; the header offers all three.
  const before = (await p.posted()).length;
  await page.locator('[data-testid="findings"][data-run-id="run-1"] [data-testid="finding"][data-code="dead-units"] [data-testid="start-sweep"]').click();
  const [msg] = (await p.posted()).slice(before);
  assert.ok(StartSweepCommand.is(msg));
  assert.deepEqual(msg, { type: 'startSweep', runId: 'run-1', kind: 'init', layer: 0 });
  await page.screenshot({ path: screenshotPath('panel-sweep-init-dark.png'), fullPage: true });

  // Unpicking a run removes it from the comparison; the saved state keeps the picks for a reload.
  await boxes.nth(1).uncheck();
  await p.settle();
  assert.equal(await attr(p, '#app', 'data-compared'), 'run-1 run-3');
  assert.equal(await attr(p, '[data-testid="loss-chart"]', 'data-series'), '4');
  const saved = await p.state() as N;
  assert.deepEqual(saved.picked, ['run-1', 'run-3']);
  const p2 = await openPanel(browser, { theme: 'dark', state: saved });
  await p2.settle();
  assert.equal(await attr(p2, '#app', 'data-compared'), 'run-1 run-3');
  assert.equal(await p2.page.locator('[data-testid="unit-map"]').count(), 2);
  assert.deepEqual([...p.errors, ...p2.errors], []);
  assert.deepEqual([...p.warnings, ...p2.warnings].filter((w) => /render failed/.test(w)), []);
  assert.deepEqual(await p.cspViolations(), []);
  await p2.page.close();
  await page.close();
});

test('charts a reader trusts (mocked acquireVsCodeApi): dashed chance lines, log scale, drag-zoom and double-click reset, values at the cursor, heat-maps with axes, colour scale and hover', async () => {
  const p = await openPanel(browser, { theme: 'dark', width: 1280 });
  await feed(p);
  const page = p.page;
  // Chance lines: a dashed row of the muted colour (#9d9d9d) across the plot at ln 10 (loss) and 0.1 (accuracy).
  for (const chart of ['loss-chart', 'accuracy-chart']) {
    const y = Number(await attr(p, `[data-testid="${chart}"]`, 'data-chance-px'));
    assert.ok(y > 0, `${chart}: a chance line was drawn`);
    const row = await canvasRow(p, `[data-testid="${chart}"] canvas`, y);
    const grey = (i: number) => Math.abs(row[i] - 0x9d) < 40 && Math.abs(row[i + 1] - 0x9d) < 40 && Math.abs(row[i + 2] - 0x9d) < 40 && row[i + 3] > 100;
    let runs = 0;
    let on = false;
    for (let i = 0; i < row.length; i += 4) { const g = grey(i); if (g && !on) runs++; on = g; }
    assert.ok(runs >= 20, `${chart}: the line is dashed (${runs} dashes)`);
  }
  assert.match(await text(p, '#loss-summary'), /Chance level: ln 10 = 2\.303/);
  // The loss axis starts at 0, so the zero-init run's flat 2.30 is drawn flat near the chance line, not stretched.
  const [y0, y1] = (await attr(p, '[data-testid="loss-chart"]', 'data-y-range'))!.split(' ').map(Number);
  assert.equal(y0, 0, 'the linear loss axis starts at 0');
  assert.ok(y1 > Math.log(10), `and reaches above chance (${y1})`);

  // Log scale.
  await page.locator('[data-testid="log-scale"]').check();
  await p.settle();
  assert.equal(await attr(p, '[data-testid="loss-chart"]', 'data-log'), 'true');
  assert.match((await page.locator('[data-testid="loss-chart"]').textContent()) ?? '', /log scale/);
  const [l0, l1] = (await attr(p, '[data-testid="loss-chart"]', 'data-y-range'))!.split(' ').map(Number);
  assert.ok(l0 > 0 && l1 / l0 >= 10, `log scale spans decades: ${l0}–${l1}`);
  await page.locator('[data-testid="log-scale"]').uncheck();
  await p.settle();

  // Zoom: drag across steps ~100–200, then double-click back to all 300 steps.
  const over = page.locator('[data-testid="loss-chart"] .u-over');
  const box = (await over.boundingBox())!;
  assert.equal(await attr(p, '[data-testid="loss-chart"]', 'data-x-range'), '0-300');
  await page.mouse.move(box.x + box.width / 3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + (2 * box.width) / 3, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await p.settle();
  assert.equal(await attr(p, '[data-testid="loss-chart"]', 'data-zoomed'), 'true');
  const [lo, hi] = (await attr(p, '[data-testid="loss-chart"]', 'data-x-range'))!.split('-').map(Number);
  assert.ok(lo >= 90 && lo <= 110 && hi >= 190 && hi <= 210, `zoomed to ${lo}–${hi}`);
  assert.equal(await page.locator('[data-testid="reset-zoom"]').isVisible(), true);
  // Values at the cursor: the step and each run's loss there.
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const tip = page.locator('[data-testid="loss-chart"] [data-testid="chart-tip"]');
  await tip.waitFor({ state: 'visible' });
  const tipText = (await tip.textContent()) ?? '';
  assert.match(tipText, /^step 1\d\d/);
  for (const id of IDS) assert.ok(tipText.includes(`${labels.get(id)}: loss `), tipText);
  await over.dblclick({ position: { x: box.width / 2, y: box.height / 2 } });
  await p.settle();
  assert.equal(await attr(p, '[data-testid="loss-chart"]', 'data-zoomed'), 'false');
  assert.equal(await attr(p, '[data-testid="loss-chart"]', 'data-x-range'), '0-300');

  // Heat-maps: step on the y axis, the value (with its scale) on the x axis, a colour scale, values on hover.
  const heat = page.locator('[data-testid="layer"][data-run-id="run-3"] [data-testid="heatmap"][data-kind="weights"]');
  const hb = (await heat.boundingBox())!;
  // Axis labels and ticks are drawn in the margins: text pixels left of the plot (steps) and below it (values, title).
  const inked = await heat.evaluate((c) => {
    const canvas = c as unknown as { getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } }; width: number; height: number };
    const count = (x: number, y: number, w: number, hh: number) => { const d = canvas.getContext('2d').getImageData(x, y, w, hh).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 100) n++; return n; };
    return { left: count(0, 0, 48, canvas.height - 34), bottom: count(52, canvas.height - 30, canvas.width - 120, 30), bar: count(canvas.width - 54, 10, 10, 40) };
  });
  assert.ok(inked.left > 30 && inked.bottom > 100 && inked.bar > 100, `axes, titles and colour scale drawn: ${JSON.stringify(inked)}`);
  await heat.hover({ position: { x: 52 + (hb.width - 116) / 2, y: 8 + 5 } });
  const heatTip = await text(p, '[data-testid="layer"][data-run-id="run-3"] .heat-fig:last-child [data-testid="heat-tip"]');
  assert.match(heatTip, /^step 0: \d+ weights with weight -?[\d.e-]+ to -?[\d.e-]+$/);
  assert.match(await text(p, '[data-testid="layer"][data-run-id="run-3"] .heat-fig:last-child figcaption'), /Weights over training \(rows: \d+ probes, step 0 → 300; colour: weights per bin\)/);
  assert.deepEqual(p.errors, []);
  assert.deepEqual(p.warnings.filter((w) => /render failed/.test(w)), []);
  await page.close();
});

/** Decodes a PNG's image data (zlib): width × height × (1 filter byte + 4 × width) bytes when it is RGBA 8-bit. */
function pngPixels(png: Buffer): { width: number; height: number; bytes: number } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: Buffer[] = [];
  let width = 0; let height = 0;
  for (let o = 8; o < png.length;) {
    const len = png.readUInt32BE(o);
    const type = png.toString('latin1', o + 4, o + 8);
    if (type === 'IHDR') { width = png.readUInt32BE(o + 8); height = png.readUInt32BE(o + 12); assert.equal(png[o + 16], 8); assert.equal(png[o + 17], 6); }
    if (type === 'IDAT') chunks.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  return { width, height, bytes: inflateSync(Buffer.concat(chunks)).length };
}

test('exports of the comparison (mocked acquireVsCodeApi): SVG with every run\'s spec, accuracy and findings; CSV with every curve; a PNG that decodes', async () => {
  const p = await openPanel(browser, { theme: 'light', width: 1280 });
  await feed(p);
  const page = p.page;
  const exported = async (format: string): Promise<N> => {
    const n = (await p.posted()).length;
    await page.locator(`[data-testid="export-${format}"]`).click();
    const [m] = (await p.posted()).slice(n) as N[];
    assert.ok(ExportComparisonCommand.is(m), `${format}: passes the host's guard`);
    assert.deepEqual(m.runIds, IDS);
    return m;
  };
  const svg = String((await exported('svg')).data);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  for (const id of IDS) {
    const end = ends.get(id)!;
    const label = labels.get(id)!.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    assert.ok(svg.includes(`${label}: test accuracy ${(end.end.testAccuracy as number).toFixed(4)}`), `${id}: label and accuracy`);
    for (const f of end.findings as N[]) assert.ok(svg.includes(f.code), `${id}: finding ${f.code}`);
  }
  assert.match(svg, /spec: 784 → 100 relu → 10 softmax · kernels zeros, zeros · sgd 0\.5 · batch 100 · 300 steps/);
  assert.match(svg, /spec: 784 → 100 relu → 10 softmax · kernels U\(±0\.01\), zeros/);
  assert.match(svg, /differs: layer 1 \(100 relu\) kernel: zeros → U\(±0\.01\)/);
  assert.match(svg, /Compare initialisations of layer 1 \(100 relu\) \(trained in one training process\)/);
  assert.equal((svg.match(/class="chance"/g) ?? []).length, 2, 'both chance lines');
  assert.match(svg, /The model predicts digit 1/, 'finding messages are in');
  assert.equal((svg.match(/<g class="unit-map">/g) ?? []).length, 3, 'one unit map per run');

  const csv = String((await exported('csv')).data).trim().split('\r\n');
  // Fields with a comma are quoted ("seed-mlp-zeros · N(0, 1): loss").
  const cells = (line: string): string[] => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].map((m) => m[1].replace(/^"|"$/g, '').replace(/""/g, '"')).slice(0, -1);
  const header = cells(csv[0]);
  assert.equal(header[0], 'step');
  assert.equal(header.length, 1 + 5 * 3);
  for (const id of IDS) for (const c of ['loss', 'smoothed loss', 'batch accuracy', 'test accuracy', 'test loss']) assert.ok(csv[0].includes(`${labels.get(id)}: ${c}`), `${id} ${c}`);
  const steps = new Set(sweep.notifications.flatMap((n: N) => (n.type === 'steps' ? n.steps : n.type === 'eval' ? [n.eval.step] : [])));
  assert.equal(csv.length - 1, steps.size, 'one row per step that has a training step or an evaluation');
  const row300 = cells(csv.find((l) => l.startsWith('300,'))!);
  assert.equal(Number(row300[4 + 5 * 2]), ends.get('run-3')!.end.testAccuracy, 'the final test accuracy is in the row of step 300');

  const png = pngPixels(Buffer.from(String((await exported('png')).data).split(',')[1], 'base64'));
  assert.equal(png.bytes, png.height * (1 + 4 * png.width), 'the PNG inflates to exactly its pixels');
  assert.ok(png.width >= 900 && png.height >= 1200, `specs, charts, three columns of layer views and findings: ${png.width}×${png.height}`);
  assert.deepEqual(p.errors, []);
  await page.close();
});
