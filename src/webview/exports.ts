// The comparison as files: an SVG document and a PNG image of the whole comparison (the runs' specs,
// accuracies, differences, curves with chance lines, unit maps and findings), and a CSV table of every
// curve. Every string from a run is escaped (SVG) or quoted (CSV); nothing is parsed as markup.
import { type RunState, deadUnits } from '../protocol/webview';
import { CHANCE } from './charts';
import { type Theme, fmt, fmtMs, layerTitle } from './dom';
import { specSummary } from './specDiff';

export interface ExportRun {
  run: RunState;
  colour: string;
  smoothed: (number | null)[];
  accuracy: number | undefined;
  loss: number | null | undefined;
  /** What differs from the first compared run ("baseline" for the first). */
  changes: string;
  /** Whether the loss has a chance level (a mean cross-entropy). */
  lossChance: boolean;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
  // Characters XML 1.0 forbids.
  // eslint-disable-next-line no-control-regex
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');

/** Lines of at most `width` characters (words kept whole where they fit). */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (!word) continue;
    if (line && line.length + 1 + word.length > width) { out.push(line); line = ''; }
    let w = word;
    while (w.length > width) { out.push(w.slice(0, width)); w = w.slice(width); }
    line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out;
}

export function runOutcome(e: ExportRun): string {
  const acc = e.accuracy === undefined ? '–' : e.accuracy.toFixed(4);
  const loss = e.loss === undefined ? '–' : e.loss === null ? 'non-finite' : e.loss.toFixed(4);
  const codes = [...new Set(e.run.findings.map((f) => f.code))];
  return `test accuracy ${acc} · test loss ${loss} · ${e.run.findings.length} finding${e.run.findings.length === 1 ? '' : 's'}${codes.length ? ` (${codes.join(', ')})` : ''} · ${e.run.status}`;
}

export function timeText(r: RunState): string {
  return `wall time ${fmtMs(r.elapsedMs)}${r.end ? `, training loop ${fmtMs(r.end.trainMs)}` : ''}`;
}

// ---------------------------------------------------------------------------------------------
// CSV

const csvCell = (v: string | number | null | undefined): string => {
  if (v === undefined || v === null) return '';
  let s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  // A spreadsheet must not read a run's label as a formula.
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Every curve of every run, one row per step: loss, smoothed loss, batch accuracy, test accuracy, test loss. */
export function comparisonCsv(runs: ExportRun[]): string {
  const header = ['step'];
  const cols: ((step: number) => number | null | undefined)[] = [];
  for (const e of runs) {
    const r = e.run;
    const at = new Map<number, number>();
    r.steps.forEach((s, i) => at.set(s, i));
    const evals = new Map(r.evals.map((x) => [x.step, x] as const));
    const name = r.label;
    header.push(`${name}: loss`, `${name}: smoothed loss`, `${name}: batch accuracy`, `${name}: test accuracy`, `${name}: test loss`);
    cols.push(
      (s) => { const i = at.get(s); return i === undefined ? undefined : r.loss[i]; },
      (s) => { const i = at.get(s); return i === undefined ? undefined : e.smoothed[i]; },
      (s) => { const i = at.get(s); return i === undefined ? undefined : r.batchAccuracy[i]; },
      (s) => evals.get(s)?.testAccuracy,
      (s) => evals.get(s)?.testLoss,
    );
  }
  const steps = [...new Set(runs.flatMap((e) => [...e.run.steps, ...e.run.evals.map((x) => x.step)]))].sort((a, b) => a - b);
  const lines = [header.map(csvCell).join(',')];
  for (const s of steps) lines.push([s, ...cols.map((c) => c(s))].map(csvCell).join(','));
  return lines.join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------------------------------------
// SVG

interface Box { x: number; y: number; w: number; h: number }

function downsample(xs: number[], ys: (number | null)[], max = 800): [number, number | null][] {
  const every = Math.max(1, Math.ceil(xs.length / max));
  const out: [number, number | null][] = [];
  for (let i = 0; i < xs.length; i += every) out.push([xs[i], ys[i]]);
  if (xs.length && (xs.length - 1) % every !== 0) out.push([xs[xs.length - 1], ys[ys.length - 1]]);
  return out;
}

function polyline(points: [number, number | null][], sx: (v: number) => number, sy: (v: number) => number, attrs: string): string {
  const parts: string[] = [];
  let cur: string[] = [];
  for (const [x, y] of points) {
    if (y === null || !Number.isFinite(y)) { if (cur.length) parts.push(cur.join(' ')); cur = []; continue; }
    cur.push(`${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
  }
  if (cur.length) parts.push(cur.join(' '));
  return parts.map((p) => `<polyline fill="none" points="${p}" ${attrs}/>`).join('');
}

function chartSvg(box: Box, theme: Theme, title: string, yLabel: string, maxStep: number, yMax: number, series: { colour: string; points: [number, number | null][]; width: number; opacity: number; dots?: boolean }[], chance: { value: number; text: string } | undefined): string {
  const pad = { l: 52, r: 12, t: 22, b: 30 };
  const pw = box.w - pad.l - pad.r;
  const ph = box.h - pad.t - pad.b;
  const sx = (v: number) => box.x + pad.l + (v / maxStep) * pw;
  const sy = (v: number) => box.y + pad.t + ph - (Math.min(Math.max(v, 0), yMax) / yMax) * ph;
  const out: string[] = [`<g class="chart"><text x="${box.x}" y="${box.y + 12}" font-weight="600">${esc(title)}</text>`];
  out.push(`<rect x="${box.x + pad.l}" y="${box.y + pad.t}" width="${pw}" height="${ph}" fill="none" stroke="${esc(theme.grid)}"/>`);
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    out.push(`<text x="${box.x + pad.l - 4}" y="${sy(v) + 4}" text-anchor="end">${esc(fmt(v, 3))}</text>`);
    const s = Math.round((maxStep * k) / 4);
    out.push(`<text x="${sx(s)}" y="${box.y + pad.t + ph + 14}" text-anchor="middle">${s}</text>`);
  }
  out.push(`<text x="${box.x + pad.l + pw / 2}" y="${box.y + box.h - 2}" text-anchor="middle">step</text>`);
  out.push(`<text transform="translate(${box.x + 10},${box.y + pad.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  if (chance && chance.value <= yMax) {
    const y = sy(chance.value).toFixed(1);
    out.push(`<line class="chance" x1="${box.x + pad.l}" x2="${box.x + pad.l + pw}" y1="${y}" y2="${y}" stroke="${esc(theme.muted)}" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${box.x + pad.l + pw - 4}" y="${Number(y) - 3}" text-anchor="end" fill="${esc(theme.muted)}">${esc(chance.text)}</text>`);
  }
  for (const s of series) {
    out.push(polyline(s.points, sx, sy, `stroke="${esc(s.colour)}" stroke-width="${s.width}" stroke-opacity="${s.opacity}"`));
    if (s.dots) for (const [x, y] of s.points) if (y !== null) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${esc(s.colour)}"/>`);
  }
  out.push('</g>');
  return out.join('');
}

/** The whole comparison as one SVG document (text is text: searchable, and legible at any size). */
export function comparisonSvg(runs: ExportRun[], theme: Theme, when: Date): string {
  const W = 1000;
  const body: string[] = [];
  let y = 28;
  const line = (text: string, opts: { x?: number; weight?: string; fill?: string; cls?: string } = {}) => {
    body.push(`<text x="${opts.x ?? 16}" y="${y}"${opts.weight ? ` font-weight="${opts.weight}"` : ''}${opts.fill ? ` fill="${esc(opts.fill)}"` : ''}${opts.cls ? ` class="${opts.cls}"` : ''}>${esc(text)}</text>`);
    y += 16;
  };
  line(`Gradient Lens — ${runs.length === 1 ? runs[0].run.label : `comparison of ${runs.length} runs`}`, { weight: '600' });
  const group = runs[0]?.run.group;
  if (group && runs.every((e) => e.run.group?.id === group.id)) line(`${group.title} (trained in one training process)`, { fill: theme.muted });
  line(`exported ${when.toISOString()}`, { fill: theme.muted });
  y += 6;
  for (const e of runs) {
    body.push(`<rect x="16" y="${y - 10}" width="12" height="12" fill="${esc(e.colour)}"/>`);
    line(`${e.run.label}: ${runOutcome(e)}`, { x: 34, weight: '600', cls: 'run' });
    if (e.run.spec) for (const l of wrap(`spec: ${specSummary(e.run.spec)}`, 140)) line(l, { x: 34, cls: 'spec' });
    line(`${e.changes === 'baseline' ? 'baseline of the comparison' : `differs: ${e.changes}`} · ${timeText(e.run)}`, { x: 34, fill: theme.muted, cls: 'diff' });
    y += 4;
  }
  const maxStep = Math.max(1, ...runs.map((e) => e.run.start?.totalSteps ?? e.run.spec?.steps ?? e.run.steps[e.run.steps.length - 1] ?? 1));
  const lossMax = Math.max(CHANCE.loss, ...runs.flatMap((e) => e.smoothed.filter((v): v is number => v !== null && Number.isFinite(v)))) * 1.08;
  const withChance = runs.every((e) => e.lossChance);
  body.push(chartSvg({ x: 16, y, w: W - 32, h: 240 }, theme, 'Training loss per step (thin: raw, thick: smoothed)', 'training loss', maxStep, lossMax,
    runs.flatMap((e) => {
      const raw = downsample(e.run.steps, e.run.loss);
      const sm = downsample(e.run.steps, e.smoothed);
      return [{ colour: e.colour, points: raw, width: 1, opacity: 0.3 }, { colour: e.colour, points: sm, width: 2, opacity: 1 }];
    }), withChance ? { value: CHANCE.loss, text: `chance: ln 10 = ${CHANCE.loss.toFixed(3)}` } : undefined));
  y += 250;
  body.push(chartSvg({ x: 16, y, w: W - 32, h: 200 }, theme, 'Test accuracy at each evaluation', 'test accuracy', maxStep, 1,
    runs.map((e) => {
      const evals = [...e.run.evals].sort((a, b) => a.step - b.step);
      return { colour: e.colour, points: evals.map((x) => [x.step, x.testAccuracy] as [number, number]), width: 2, opacity: 1, dots: true };
    }), { value: CHANCE.accuracy, text: 'chance: 0.1' }));
  y += 216;
  // Unit maps: per hidden layer, the runs side by side.
  const layers = [...new Set(runs.flatMap((e) => (e.run.latestProbe?.layers ?? []).filter((l) => l.layer < (e.run.spec?.layers.length ?? 0) - 1).map((l) => l.layer)))].sort((a, b) => a - b);
  for (const layer of layers) {
    line(`Unit activity on the probe batch, ${layerTitle(runs.find((e) => e.run.spec)?.run ?? {}, layer)} (red ✕: dead; green: active, stronger = active on more inputs)`, { weight: '600' });
    const colW = Math.floor((W - 32) / Math.max(1, runs.length));
    let maxH = 0;
    runs.forEach((e, i) => {
      const l = e.run.latestProbe?.layers.find((x) => x.layer === layer);
      const x0 = 16 + i * colW;
      body.push(`<text x="${x0}" y="${y}" fill="${esc(e.colour)}">${esc(e.run.label.slice(0, 40))}</text>`);
      if (!l) return;
      const dead = new Set(deadUnits(l));
      const cols = Math.ceil(Math.sqrt(l.activity.length));
      const cell = Math.max(3, Math.min(12, Math.floor((colW - 12) / cols)));
      const cells: string[] = [];
      l.activity.forEach((a, u) => {
        const cx = x0 + (u % cols) * cell;
        const cy = y + 6 + Math.floor(u / cols) * cell;
        cells.push(dead.has(u)
          ? `<rect x="${cx}" y="${cy}" width="${cell - 1}" height="${cell - 1}" fill="${esc(theme.error)}"/>`
          : `<rect x="${cx}" y="${cy}" width="${cell - 1}" height="${cell - 1}" fill="${esc(theme.active)}" fill-opacity="${(0.2 + 0.8 * Math.min(1, Math.max(0, a))).toFixed(2)}"/>`);
      });
      body.push(`<g class="unit-map">${cells.join('')}</g>`);
      const h = 6 + Math.ceil(l.activity.length / cols) * cell;
      body.push(`<text x="${x0}" y="${y + h + 14}">${esc(`${dead.size} / ${l.units} dead`)}</text>`);
      maxH = Math.max(maxH, h + 18);
    });
    y += maxH + 12;
  }
  // Findings of each run.
  line('Findings', { weight: '600' });
  for (const e of runs) {
    line(`${e.run.label}: ${e.run.findings.length ? '' : 'no findings'}`, { fill: e.colour, weight: '600' });
    for (const f of e.run.findings) {
      const where = f.layer < 0 ? 'whole model' : layerTitle(e.run, f.layer);
      const text = `${f.severity} ${f.code} — ${where}, since step ${f.firstStep}: ${f.message}`;
      for (const l of wrap(text, 150)) line(l, { x: 34, cls: 'finding' });
    }
    y += 4;
  }
  const H = y + 8;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11" fill="${esc(theme.fg)}">`
    + `<rect width="100%" height="100%" fill="${esc(theme.bg)}"/>${body.join('')}</svg>\n`;
}

// ---------------------------------------------------------------------------------------------
// PNG

export interface PngPart { title: string; canvas: HTMLCanvasElement }

/**
 * The comparison as one PNG: the text of the SVG export's head (runs, outcomes, specs, differences),
 * the live charts (with a legend), the per-layer canvases side by side per layer, and the findings.
 */
export function comparisonPng(runs: ExportRun[], theme: Theme, charts: PngPart[], layerColumns: { layer: number; columns: PngPart[][] }[]): string {
  const ratio = window.devicePixelRatio || 1;
  const pad = Math.round(12 * ratio);
  const lineH = Math.round(16 * ratio);
  const width = Math.max(Math.round(900 * ratio), ...charts.map((c) => c.canvas.width + 2 * pad));
  const chars = Math.floor(width / (6.2 * ratio));
  type Op = { h: number; draw(ctx: CanvasRenderingContext2D, y: number): void };
  const ops: Op[] = [];
  const text = (t: string, opts: { bold?: boolean; colour?: string; indent?: number } = {}) => ops.push({
    h: lineH,
    draw: (ctx, y) => {
      ctx.font = `${opts.bold ? '600 ' : ''}${Math.round(12 * ratio)}px sans-serif`;
      ctx.fillStyle = opts.colour ?? theme.fg;
      ctx.fillText(t, pad + (opts.indent ?? 0) * ratio, y + 2 * ratio);
    },
  });
  text(`Gradient Lens — ${runs.length === 1 ? runs[0].run.label : `comparison of ${runs.length} runs`}`, { bold: true });
  const group = runs[0]?.run.group;
  if (group && runs.every((e) => e.run.group?.id === group.id)) text(`${group.title} (trained in one training process)`, { colour: theme.muted });
  for (const e of runs) {
    ops.push({ h: 0, draw: (ctx, y) => { ctx.fillStyle = e.colour; ctx.fillRect(pad, y + 3 * ratio, 10 * ratio, 10 * ratio); } });
    text(`${e.run.label}: ${runOutcome(e)}`, { bold: true, indent: 16 });
    if (e.run.spec) for (const l of wrap(`spec: ${specSummary(e.run.spec)}`, chars - 4)) text(l, { indent: 16 });
    text(`${e.changes === 'baseline' ? 'baseline of the comparison' : `differs: ${e.changes}`} · ${timeText(e.run)}`, { indent: 16, colour: theme.muted });
  }
  const canvasOp = (p: PngPart, x = 0) => ({
    h: lineH + p.canvas.height + pad,
    draw: (ctx: CanvasRenderingContext2D, y: number) => {
      ctx.font = `${Math.round(12 * ratio)}px sans-serif`;
      ctx.fillStyle = theme.fg;
      ctx.fillText(p.title, pad + x, y + 2 * ratio);
      ctx.drawImage(p.canvas, pad + x, y + lineH);
    },
  });
  for (const c of charts) ops.push(canvasOp(c));
  for (const group of layerColumns) {
    const colW = Math.floor((width - 2 * pad) / Math.max(1, group.columns.length));
    const heights = group.columns.map((col) => col.reduce((n, p) => n + lineH + Math.min(p.canvas.height, 400 * ratio) + pad, 0));
    ops.push({
      h: Math.max(0, ...heights),
      draw: (ctx, y) => {
        group.columns.forEach((col, i) => {
          let yy = y;
          for (const p of col) {
            const scale = Math.min(1, (colW - pad) / Math.max(1, p.canvas.width), (400 * ratio) / Math.max(1, p.canvas.height));
            ctx.font = `${Math.round(11 * ratio)}px sans-serif`;
            ctx.fillStyle = theme.fg;
            ctx.fillText(p.title.length > colW / (5.5 * ratio) ? `${p.title.slice(0, Math.floor(colW / (5.5 * ratio)) - 1)}…` : p.title, pad + i * colW, yy + 2 * ratio);
            ctx.drawImage(p.canvas, pad + i * colW, yy + lineH, p.canvas.width * scale, p.canvas.height * scale);
            yy += lineH + p.canvas.height * scale + pad;
          }
        });
      },
    });
  }
  text('Findings', { bold: true });
  for (const e of runs) {
    text(`${e.run.label}: ${e.run.findings.length ? '' : 'no findings'}`, { bold: true, colour: e.colour });
    for (const f of e.run.findings) {
      for (const l of wrap(`${f.severity} ${f.code} — ${f.layer < 0 ? 'whole model' : layerTitle(e.run, f.layer)}, since step ${f.firstStep}: ${f.message}`, chars - 4)) text(l, { indent: 16 });
    }
  }
  const height = ops.reduce((n, o) => n + o.h, 2 * pad);
  const out = document.createElement('canvas');
  out.width = width;
  out.height = Math.min(height, 32_000);
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.textBaseline = 'top';
  let y = pad;
  for (const o of ops) { o.draw(ctx, y); y += o.h; }
  return out.toDataURL('image/png');
}
