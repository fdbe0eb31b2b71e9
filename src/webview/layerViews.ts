// Per hidden layer and compared run, side by side: the unit map (each unit's activity on the probe batch;
// dead units obvious), the latest gradient-norm and weight histograms (uPlot bars), their history as
// step × value heat-maps with axes, a colour scale and hover values (canvas, in the spirit of
// TensorBoard's histogram offset view), and the effective width.
import { type Histogram, type LayerEdges, type LayerReport, type ProbeFrame, type RunState, DEAD_ACTIVITY, RELU_FAMILY, deadUnits } from '../protocol/webview';
import { HistogramChart } from './charts';
import { type Theme, clear, fmt, h, layerTitle, sizeCanvas } from './dom';

/** Bin labels and counts of a histogram; log10 scales get a leading "= 0" bin (zeros are not in any log bin). */
export function binsOf(scale: 'linear' | 'log10', edges: number[], counts: number[], zeros: number): { labels: string[]; counts: number[] } {
  // Round-off near zero (an edge of 2.8e-17 between -0.1 and 0.1) is shown as 0.
  const span = scale === 'linear' ? Math.max(...edges.map((e) => Math.abs(e)).filter(Number.isFinite), 0) : 0;
  const labels = counts.map((_, i) => fmt(Math.abs(edges[i]) < span * 1e-9 ? 0 : edges[i], 2));
  if (scale === 'log10') return { labels: ['0', ...labels], counts: [zeros, ...counts] };
  return { labels, counts };
}

function histogramBins(hist: Histogram): { labels: string[]; counts: number[] } {
  return binsOf(hist.scale, hist.edges, hist.counts, hist.zeros);
}

function drawUnitMap(canvas: HTMLCanvasElement, layer: LayerReport, dead: Set<number>, theme: Theme, maxWidth: number): void {
  const n = layer.activity.length;
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  const rows = Math.ceil(n / cols);
  const cell = Math.max(4, Math.min(18, Math.floor(maxWidth / cols)));
  const ctx = sizeCanvas(canvas, cols * cell, rows * cell);
  ctx.clearRect(0, 0, cols * cell, rows * cell);
  for (let i = 0; i < n; i++) {
    const x = (i % cols) * cell;
    const y = Math.floor(i / cols) * cell;
    const a = layer.activity[i];
    if (dead.has(i)) {
      ctx.fillStyle = theme.error;
      ctx.globalAlpha = 0.85;
      ctx.fillRect(x + 1, y + 1, cell - 2, cell - 2);
      if (cell >= 8) {
        ctx.globalAlpha = 1;
        ctx.strokeStyle = theme.bg;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(x + 3, y + 3); ctx.lineTo(x + cell - 3, y + cell - 3);
        ctx.moveTo(x + cell - 3, y + 3); ctx.lineTo(x + 3, y + cell - 3);
        ctx.stroke();
      }
    } else {
      ctx.fillStyle = a < DEAD_ACTIVITY ? theme.warning : theme.active;
      ctx.globalAlpha = a < DEAD_ACTIVITY ? 0.85 : 0.2 + 0.8 * Math.min(1, Math.max(0, a));
      ctx.fillRect(x + 1, y + 1, cell - 2, cell - 2);
    }
  }
  ctx.globalAlpha = 1;
}

/** What a heat-map drew, for its hover text: the plot area (CSS px) and the rows and bins it shows. */
export interface HeatGeometry {
  left: number;
  top: number;
  width: number;
  height: number;
  steps: number[];
  labels: string[];
  rows: (number[] | undefined)[];
  max: number;
  what: string;
  unit: string;
}

/** Margins of a heat-map around its plot area: step labels left, value labels below, colour scale right. */
const HEAT = { left: 52, right: 64, top: 8, bottom: 34 } as const;

/** The heat-map colour of a count: more saturated for more, square-root scaled so a few units still show. */
function heatAlpha(c: number, max: number): number {
  return c <= 0 ? 0 : 0.12 + 0.88 * Math.sqrt(c / Math.max(1, max));
}

/**
 * A step × value heat-map (the history of a histogram, as TensorBoard's offset view): rows are probe
 * steps (first at the top), columns the histogram's bins with their values below, colour the count in
 * the bin on one scale for the whole map, drawn at the right.
 */
function drawHeatmap(canvas: HTMLCanvasElement, frames: ProbeFrame[], layer: number, edges: { scale: 'linear' | 'log10'; edges: number[] }, kind: 'gradNorm' | 'weights', theme: Theme, width: number, colour: string): HeatGeometry {
  const steps: number[] = [];
  let labels: string[] = [];
  const rowsData = frames.map((f) => {
    steps.push(f.step);
    const l = f.layers.find((x) => x.layer === layer);
    if (!l) return undefined;
    const b = kind === 'gradNorm' ? binsOf(edges.scale, edges.edges, l.gradNorm, l.gradZeros) : binsOf(edges.scale, edges.edges, l.weights, l.weightZeros);
    if (b.labels.length > labels.length) labels = b.labels;
    return b.counts;
  });
  const cols = Math.max(1, ...rowsData.map((r) => r?.length ?? 0));
  const plotW = Math.max(60, width - HEAT.left - HEAT.right);
  const plotH = Math.min(160, Math.max(48, rowsData.length * 4));
  const height = HEAT.top + plotH + HEAT.bottom;
  const ctx = sizeCanvas(canvas, width, height);
  ctx.clearRect(0, 0, width, height);
  const max = Math.max(1, ...rowsData.map((r) => (r ? Math.max(0, ...r) : 0)));
  const cw = plotW / cols;
  const rh = plotH / Math.max(1, rowsData.length);
  ctx.fillStyle = colour;
  rowsData.forEach((row, r) => {
    if (!row) return;
    row.forEach((c, b) => {
      if (c <= 0) return;
      ctx.globalAlpha = heatAlpha(c, max);
      ctx.fillRect(HEAT.left + b * cw, HEAT.top + r * rh, Math.ceil(cw), Math.ceil(rh));
    });
  });
  ctx.globalAlpha = 1;
  // Frame and axes.
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.strokeRect(HEAT.left + 0.5, HEAT.top + 0.5, plotW, plotH);
  ctx.fillStyle = theme.fg;
  ctx.font = theme.font;
  // y: probe steps (first, middle, last).
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  const yTicks = [...new Set([0, Math.floor((rowsData.length - 1) / 2), rowsData.length - 1])].filter((i) => i >= 0 && i < steps.length);
  for (const i of yTicks) {
    const y = HEAT.top + (i + 0.5) * rh;
    ctx.fillText(String(steps[i]), HEAT.left - 6, y);
    ctx.fillRect(HEAT.left - 3, Math.round(y), 3, 1);
  }
  ctx.save();
  ctx.translate(10, HEAT.top + plotH / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText('step', 0, 0);
  ctx.restore();
  // x: the bins' lower edges (a few), then the axis title with the scale.
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  const xTicks = [...new Set([0, Math.floor(cols / 3), Math.floor((2 * cols) / 3), cols - 1])].filter((i) => i >= 0 && i < labels.length);
  for (const i of xTicks) {
    const x = HEAT.left + i * cw + (edges.scale === 'log10' && i === 0 ? cw / 2 : 0);
    ctx.fillText(edges.scale === 'log10' && i === 0 ? '0' : labels[i], Math.max(HEAT.left + 8, Math.min(HEAT.left + plotW - 8, x)), HEAT.top + plotH + 3);
    ctx.fillRect(Math.round(x), HEAT.top + plotH, 1, 3);
  }
  const what = kind === 'gradNorm' ? 'per-unit gradient norm' : 'weight';
  ctx.fillText(`${what} (${edges.scale === 'log10' ? 'log scale; first column = exactly 0' : 'linear scale'})`, HEAT.left + plotW / 2, HEAT.top + plotH + 17);
  // Colour scale: 0 (bottom) → the map's largest count (top).
  const barX = HEAT.left + plotW + 10;
  const barW = 10;
  for (let k = 0; k < plotH; k++) {
    const c = max * (1 - k / plotH);
    ctx.fillStyle = colour;
    ctx.globalAlpha = heatAlpha(c, max);
    ctx.fillRect(barX, HEAT.top + k, barW, 1);
  }
  ctx.globalAlpha = 1;
  ctx.strokeStyle = theme.grid;
  ctx.strokeRect(barX + 0.5, HEAT.top + 0.5, barW, plotH);
  ctx.fillStyle = theme.fg;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.fillText(String(max), barX + barW + 3, HEAT.top + 4);
  ctx.fillText('0', barX + barW + 3, HEAT.top + plotH - 4);
  ctx.textBaseline = 'top';
  ctx.fillText(kind === 'gradNorm' ? 'units' : 'weights', barX - 2, HEAT.top + plotH + 3);
  return { left: HEAT.left, top: HEAT.top, width: plotW, height: plotH, steps, labels, rows: rowsData, max, what, unit: kind === 'gradNorm' ? 'units' : 'weights' };
}

/** The hover text of a heat-map cell: its step, the bin's value range and the count. */
export function heatCellText(g: HeatGeometry, x: number, y: number, scale: 'linear' | 'log10', edges: number[]): string {
  if (x < g.left || y < g.top || x >= g.left + g.width || y >= g.top + g.height || g.rows.length === 0) return '';
  const r = Math.min(g.rows.length - 1, Math.floor(((y - g.top) / g.height) * g.rows.length));
  const cols = Math.max(1, g.labels.length);
  const b = Math.min(cols - 1, Math.floor(((x - g.left) / g.width) * cols));
  const row = g.rows[r];
  if (!row) return `step ${g.steps[r]}: no data for this layer`;
  const c = row[b] ?? 0;
  const k = scale === 'log10' ? b - 1 : b;
  const range = scale === 'log10' && b === 0 ? 'exactly 0' : `${fmt(edges[k], 3)} to ${fmt(edges[k + 1], 3)}`;
  return `step ${g.steps[r]}: ${c} ${g.unit} with ${g.what} ${range}`;
}

/** One layer of one run. */
interface LayerView {
  /** How the layer is named to a person ("W1 (100 relu)", "layer 1 (100 relu)"). */
  title: string;
  runLabel: string;
  root: HTMLElement;
  unitMap: HTMLElement;
  unitCanvas: HTMLCanvasElement;
  unitSummary: HTMLElement;
  width: HTMLElement;
  gradSummary: HTMLElement;
  gradHist: HistogramChart;
  weightHist: HistogramChart;
  gradHeat: HTMLCanvasElement;
  weightHeat: HTMLCanvasElement;
  heatCaption: HTMLElement[];
  /** The layer report the unit map shows, and what the heat-maps drew (read by the hover texts). */
  holder: { report?: LayerReport; heat: (HeatGeometry | undefined)[]; edges?: LayerEdges };
  fillKey: string;
}

export interface LayerRun {
  run: RunState;
  colour: string;
}

/** The hidden-layer section: for each hidden layer, one column per compared run, side by side. */
export class LayerViews {
  private views = new Map<string, LayerView>();
  private key = '';

  constructor(private readonly container: HTMLElement) {}

  update(runs: LayerRun[], theme: Theme): void {
    const hiddenOf = (run: RunState): LayerReport[] => {
      const report = run.latestProbe;
      const last = run.spec ? run.spec.layers.length - 1 : Math.max(-1, ...(report?.layers.map((l) => l.layer) ?? []));
      return report?.layers.filter((l) => l.layer < last) ?? [];
    };
    const withProbe = runs.filter((c) => c.run.latestProbe);
    const layers = [...new Set(withProbe.flatMap((c) => hiddenOf(c.run).map((l) => l.layer)))].sort((a, b) => a - b);
    const key = `${runs.map((c) => `${c.run.runId}:${c.colour}:${hiddenOf(c.run).map((l) => `${l.layer}.${l.units}`).join('.')}`).join('|')}|${theme.key}`;
    if (key !== this.key) {
      this.key = key;
      this.views.clear();
      clear(this.container);
      if (withProbe.length === 0) {
        const only = runs[runs.length - 1]?.run;
        this.container.append(h('p', { class: 'empty' }, only?.spec && only.spec.layers.length < 2 ? 'This model has no hidden layer.' : 'Layer views appear at the first probe.'));
        return;
      }
      if (layers.length === 0) {
        this.container.append(h('p', { class: 'empty' }, `${runs.length > 1 ? 'These models have' : 'This model has'} no hidden layer (softmax regression): nothing can be dead or symmetric.`));
        return;
      }
      for (const layer of layers) {
        const first = withProbe.find((c) => hiddenOf(c.run).some((l) => l.layer === layer))!.run;
        const row = h('div', { class: `layer-row${runs.length > 1 ? ' side-by-side' : ''}` });
        const group = h('section', { class: 'layer-compare', 'data-testid': 'layer-compare', 'data-layer': layer, 'aria-label': `Hidden layer: ${layerTitle(first, layer)}` },
          runs.length > 1 ? h('h3', {}, `${layerTitle(first, layer)}: ${runs.length} runs side by side`) : null, row);
        for (const c of runs) {
          const l = hiddenOf(c.run).find((x) => x.layer === layer);
          if (!l) {
            row.append(h('section', { class: 'layer missing', 'data-run-id': c.run.runId }, h('h4', {}, c.run.label), h('p', { class: 'empty' }, c.run.latestProbe ? 'No such hidden layer in this run.' : 'Appears at the first probe.')));
            continue;
          }
          const view = this.createView(l, c, runs.length > 1);
          this.views.set(`${c.run.runId}|${layer}`, view);
          row.append(view.root);
        }
        this.container.append(group);
      }
    }
    // Only a new probe (or a resize / theme change, via the keys) changes what a layer view shows.
    for (const c of withProbe) {
      const report = c.run.latestProbe!;
      for (const l of hiddenOf(c.run)) {
        const view = this.views.get(`${c.run.runId}|${l.layer}`);
        if (!view) continue;
        const fillKey = `${report.step}|${c.run.probes.length}|${view.root.clientWidth}`;
        if (fillKey === view.fillKey) continue;
        view.fillKey = fillKey;
        this.fill(view, l, c, report.step, c.run.layerEdges.find((e) => e.layer === l.layer), theme);
      }
    }
  }

  /** Per hidden layer, each compared run's canvases with titles (the PNG export lays them side by side). */
  exportColumns(): { layer: number; columns: { title: string; canvas: HTMLCanvasElement }[][] }[] {
    const out: { layer: number; columns: { title: string; canvas: HTMLCanvasElement }[][] }[] = [];
    for (const [k, v] of this.views) {
      const layer = Number(k.slice(k.lastIndexOf('|') + 1));
      let g = out.find((x) => x.layer === layer);
      if (!g) out.push((g = { layer, columns: [] }));
      const name = `${v.runLabel} — ${v.title}`;
      g.columns.push([
        { title: `${name}: ${v.unitSummary.textContent ?? ''}`, canvas: v.unitCanvas },
        { title: 'gradient-norm history', canvas: v.gradHeat },
        { title: 'weight history', canvas: v.weightHeat },
      ].filter((p) => p.canvas.width > 0 && p.canvas.height > 0));
    }
    return out;
  }

  /** Canvases to include in a PNG export, with titles, grouped by layer (one entry per run). */
  canvases(): { title: string; canvas: HTMLCanvasElement }[] {
    const out: { title: string; canvas: HTMLCanvasElement }[] = [];
    for (const v of this.views.values()) {
      const name = `${v.runLabel} — ${v.title}`;
      out.push({ title: `${name}: unit activity (${v.unitSummary.textContent ?? ''})`, canvas: v.unitCanvas });
      if (v.gradHist.canvas) out.push({ title: `${name}: per-unit gradient norm`, canvas: v.gradHist.canvas });
      if (v.weightHist.canvas) out.push({ title: `${name}: weights`, canvas: v.weightHist.canvas });
      out.push({ title: `${name}: gradient-norm history`, canvas: v.gradHeat }, { title: `${name}: weight history`, canvas: v.weightHeat });
    }
    return out;
  }

  private createView(l: LayerReport, c: LayerRun, compared: boolean): LayerView {
    const run = c.run;
    const fanIn = l.layer === 0 ? 784 : run.spec?.layers[l.layer - 1]?.units;
    const unitCanvas = h('canvas', { role: 'img', class: 'unit-canvas' });
    // Hover: which unit, and how often it is active (from the latest probe of this run).
    const holder: LayerView['holder'] = { heat: [] };
    unitCanvas.addEventListener('mousemove', (e) => {
      const report = holder.report;
      if (!report) return;
      const n = report.activity.length;
      const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
      const cell = unitCanvas.clientWidth / cols;
      const unit = Math.floor(e.offsetY / cell) * cols + Math.floor(e.offsetX / cell);
      const a = report.activity[unit];
      unitCanvas.title = a === undefined ? '' : `unit ${unit}: active on ${(a * 100).toFixed(1)}% of probe inputs${deadUnits(report).includes(unit) ? ' (dead)' : ''}`;
    });
    const unitSummary = h('p', { class: 'unit-summary' });
    const unitMap = h('div', { 'data-testid': 'unit-map', 'data-layer': l.layer, 'data-run-id': run.runId, class: 'unit-map' }, unitCanvas, unitSummary);
    const gradBox = h('div', { class: 'hist' });
    const weightBox = h('div', { class: 'hist' });
    const heatTip = (i: number, canvas: HTMLCanvasElement, kind: 'gradNorm' | 'weights') => {
      const tip = h('p', { class: 'heat-tip', 'data-testid': 'heat-tip', role: 'status' });
      canvas.addEventListener('mousemove', (e) => {
        const g = holder.heat[i];
        const edges = holder.edges?.[kind];
        // The canvas may be shown narrower than drawn (max-width: 100%): back to drawing coordinates.
        const ratio = window.devicePixelRatio || 1;
        const sx = canvas.clientWidth ? canvas.width / ratio / canvas.clientWidth : 1;
        const sy = canvas.clientHeight ? canvas.height / ratio / canvas.clientHeight : 1;
        const text = g && edges ? heatCellText(g, e.offsetX * sx, e.offsetY * sy, edges.scale, edges.edges) : '';
        tip.textContent = text || '\u00a0';
        canvas.title = text;
      });
      canvas.addEventListener('mouseleave', () => { tip.textContent = '\u00a0'; });
      tip.textContent = '\u00a0';
      return tip;
    };
    const gradHeat = h('canvas', { role: 'img', class: 'heat', 'data-testid': 'heatmap', 'data-kind': 'gradNorm' });
    const weightHeat = h('canvas', { role: 'img', class: 'heat', 'data-testid': 'heatmap', 'data-kind': 'weights' });
    const heatCaption = [h('figcaption', {}), h('figcaption', {})];
    const width = h('p', { class: 'effective-width', 'data-testid': 'effective-width', 'data-layer': l.layer, 'data-run-id': run.runId });
    const gradSummary = h('p', { class: 'grad-summary' });
    const legend = h('p', { class: 'legend' },
      h('span', { class: 'swatch swatch-dead' }), ' dead (active on < 1% of probe inputs)  ',
      h('span', { class: 'swatch swatch-active' }), ' active (stronger colour = active on more inputs)  ',
      h('span', { class: 'swatch swatch-saturated' }), ' saturated');
    const title = layerTitle(run, l.layer);
    const swatch = h('span', { class: 'line-swatch', 'aria-hidden': 'true' });
    swatch.style.background = c.colour;
    const heading = compared
      ? h('h4', {}, swatch, run.label, h('span', { class: 'layer-sub' }, ` — ${title}${fanIn ? `, fan-in ${fanIn}` : ''}`))
      : h('h3', {}, title, fanIn ? ` (fan-in ${fanIn})` : '');
    const root = h('section', { class: 'layer', 'data-testid': 'layer', 'data-layer': l.layer, 'data-run-id': run.runId, 'aria-label': `${run.label}: ${title}` },
      heading,
      width, gradSummary,
      h('div', { class: 'layer-grid' },
        h('figure', { class: 'unit-fig' }, h('figcaption', {}, 'Unit activity on the probe batch'), unitMap, legend),
        h('figure', {}, h('figcaption', {}, 'Per-unit gradient norm ‖∂L/∂W‖ (latest probe)'), gradBox),
        h('figure', {}, h('figcaption', {}, 'Weights (latest probe)'), weightBox),
        h('figure', { class: 'heat-fig' }, heatCaption[0], gradHeat, heatTip(0, gradHeat, 'gradNorm')),
        h('figure', { class: 'heat-fig' }, heatCaption[1], weightHeat, heatTip(1, weightHeat, 'weights'))));
    return { title, runLabel: run.label, root, unitMap, unitCanvas, unitSummary, width, gradSummary, gradHist: new HistogramChart(gradBox), weightHist: new HistogramChart(weightBox), gradHeat, weightHeat, heatCaption, holder, fillKey: '' };
  }

  private fill(v: LayerView, l: LayerReport, c: LayerRun, step: number, edges: LayerEdges | undefined, theme: Theme): void {
    const run = c.run;
    v.holder.report = l;
    v.holder.edges = edges;
    const dead = deadUnits(l);
    const relu = RELU_FAMILY.includes(l.activation);
    const saturated = relu ? 0 : l.activity.filter((a) => a < DEAD_ACTIVITY).length;
    v.unitMap.setAttribute('data-dead', String(dead.length));
    v.unitMap.setAttribute('data-units', String(l.units));
    const probeN = run.start?.probeExamples;
    const summary = relu
      ? `${dead.length} / ${l.units} units dead at step ${step}` + (probeN ? ` (active on < 1% of ${probeN} probe inputs)` : '')
      : `${saturated} / ${l.units} units saturated at step ${step}` + (probeN ? ` (on ≥ 99% of ${probeN} probe inputs)` : '');
    v.unitSummary.textContent = summary;
    v.unitCanvas.setAttribute('aria-label', `Unit map of ${v.title} in ${run.label}: ${summary}`);
    const colWidth = v.root.clientWidth || this.container.clientWidth || 600;
    drawUnitMap(v.unitCanvas, l, new Set(dead), theme, Math.min(360, Math.max(120, colWidth / 3)));

    v.width.textContent = l.effectiveWidth < l.units
      ? `Effective width: ${l.effectiveWidth} of ${l.units} units are distinct — the others are copies (symmetric units), so the layer acts as ${l.effectiveWidth} unit${l.effectiveWidth === 1 ? '' : 's'}.`
      : `Effective width: ${l.effectiveWidth} of ${l.units} (all units distinct).`;
    v.width.setAttribute('data-effective-width', String(l.effectiveWidth));
    v.gradSummary.textContent = l.gradNormTotal === 0
      ? `Weight gradient: exactly zero (‖∂L/∂W‖ = 0, mean |∂L/∂W| = 0) — this layer's weights cannot change.`
      : `Weight gradient: ‖∂L/∂W‖ = ${fmt(l.gradNormTotal)}, mean |∂L/∂W| = ${fmt(l.meanAbsGrad)}.`;

    const g = histogramBins(l.gradNorm);
    v.gradHist.update(g.labels, g.counts, theme, theme.series[0], l.gradNorm.scale === 'log10' ? 'norm (log bins; first bar = exactly 0)' : 'norm');
    const w = histogramBins(l.weights);
    v.weightHist.update(w.labels, w.counts, theme, theme.active, 'weight');

    const width = Math.max(220, Math.min(520, colWidth - 8));
    if (edges) {
      v.holder.heat[0] = drawHeatmap(v.gradHeat, run.probes, l.layer, edges.gradNorm, 'gradNorm', theme, width, theme.series[0]);
      v.holder.heat[1] = drawHeatmap(v.weightHeat, run.probes, l.layer, edges.weights, 'weights', theme, width, theme.active);
    }
    const first = run.probes[0]?.step ?? 0;
    const lastStep = run.probes[run.probes.length - 1]?.step ?? step;
    v.heatCaption[0].textContent = `Per-unit gradient norm over training (rows: ${run.probes.length} probes, step ${first} → ${lastStep}; colour: units per bin)`;
    v.heatCaption[1].textContent = `Weights over training (rows: ${run.probes.length} probes, step ${first} → ${lastStep}; colour: weights per bin)`;
    v.gradHeat.setAttribute('aria-label', `Heat-map of per-unit gradient norms of ${v.title} in ${run.label} over ${run.probes.length} probes`);
    v.weightHeat.setAttribute('aria-label', `Heat-map of the weights of ${v.title} in ${run.label} over ${run.probes.length} probes`);
  }
}
