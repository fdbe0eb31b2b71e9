// Per hidden layer: the unit map (each unit's activity on the probe batch; dead units obvious), the
// latest gradient-norm and weight histograms (uPlot bars), their history as step × bin heat-maps
// (canvas, in the spirit of TensorBoard's histogram offset view), and the effective width.
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

function drawHeatmap(canvas: HTMLCanvasElement, frames: ProbeFrame[], layer: number, edges: { scale: 'linear' | 'log10'; edges: number[] }, kind: 'gradNorm' | 'weights', theme: Theme, width: number): void {
  const rowsData = frames.map((f) => {
    const l = f.layers.find((x) => x.layer === layer);
    if (!l) return undefined;
    return kind === 'gradNorm' ? binsOf(edges.scale, edges.edges, l.gradNorm, l.gradZeros).counts : binsOf(edges.scale, edges.edges, l.weights, l.weightZeros).counts;
  });
  const cols = Math.max(1, ...rowsData.map((r) => r?.length ?? 0));
  const height = Math.min(160, Math.max(40, rowsData.length * 4));
  const ctx = sizeCanvas(canvas, width, height);
  ctx.clearRect(0, 0, width, height);
  const cw = width / cols;
  const rh = height / Math.max(1, rowsData.length);
  ctx.fillStyle = kind === 'gradNorm' ? theme.series[0] : theme.active;
  rowsData.forEach((row, r) => {
    if (!row) return;
    const max = Math.max(1, ...row);
    row.forEach((c, b) => {
      if (c <= 0) return;
      ctx.globalAlpha = 0.15 + 0.85 * Math.sqrt(c / max);
      ctx.fillRect(b * cw, r * rh, Math.ceil(cw), Math.ceil(rh));
    });
  });
  ctx.globalAlpha = 1;
}

interface LayerView {
  /** How the layer is named to a person ("W1 (100 relu)", "layer 1 (100 relu)"). */
  title: string;
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
  /** The layer report the unit map shows (read by its hover text). */
  holder: { report?: LayerReport };
}

/** The hidden-layer section of the shown run. */
export class LayerViews {
  private views = new Map<number, LayerView>();
  private key = '';
  private fillKey = '';

  constructor(private readonly container: HTMLElement) {}

  update(run: RunState | undefined, theme: Theme): void {
    const report = run?.latestProbe;
    const last = run?.spec ? run.spec.layers.length - 1 : Math.max(-1, ...(report?.layers.map((l) => l.layer) ?? []));
    const hidden = report?.layers.filter((l) => l.layer < last) ?? [];
    const key = `${run?.runId}|${hidden.map((l) => `${l.layer}:${l.units}`).join()}|${theme.key}`;
    if (key !== this.key) {
      this.key = key;
      this.views.clear();
      clear(this.container);
      if (!run || !report) {
        this.container.append(h('p', { class: 'empty' }, run?.spec && run.spec.layers.length < 2 ? 'This model has no hidden layer.' : 'Layer views appear at the first probe.'));
        return;
      }
      if (hidden.length === 0) {
        this.container.append(h('p', { class: 'empty' }, 'This model has no hidden layer (softmax regression): nothing can be dead or symmetric.'));
        return;
      }
      for (const l of hidden) {
        const view = this.createView(l, run);
        this.views.set(l.layer, view);
        this.container.append(view.root);
      }
    }
    if (!run || !report) return;
    // Only a new probe (or a resize / theme change, via the keys) changes what the layer views show.
    const fillKey = `${key}|${report.step}|${run.probes.length}|${this.container.clientWidth}`;
    if (fillKey === this.fillKey) return;
    this.fillKey = fillKey;
    for (const l of hidden) {
      const view = this.views.get(l.layer);
      const edges = run.layerEdges.find((e) => e.layer === l.layer);
      if (view) this.fill(view, l, run, report.step, edges, theme);
    }
  }

  /** Canvases to include in a PNG export, with titles. */
  canvases(): { title: string; canvas: HTMLCanvasElement }[] {
    const out: { title: string; canvas: HTMLCanvasElement }[] = [];
    for (const v of this.views.values()) {
      const name = v.title;
      out.push({ title: `${name}: unit activity`, canvas: v.unitCanvas });
      if (v.gradHist.canvas) out.push({ title: `${name}: per-unit gradient norm`, canvas: v.gradHist.canvas });
      if (v.weightHist.canvas) out.push({ title: `${name}: weights`, canvas: v.weightHist.canvas });
      out.push({ title: `${name}: gradient-norm history`, canvas: v.gradHeat }, { title: `${name}: weight history`, canvas: v.weightHeat });
    }
    return out;
  }

  private createView(l: LayerReport, run: RunState): LayerView {
    const fanIn = l.layer === 0 ? 784 : run.spec?.layers[l.layer - 1]?.units;
    const unitCanvas = h('canvas', { role: 'img', class: 'unit-canvas' });
    // Hover: which unit, and how often it is active (from the latest probe of the shown run).
    const holder: { report?: LayerReport } = {};
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
    const unitMap = h('div', { 'data-testid': 'unit-map', 'data-layer': l.layer, class: 'unit-map' }, unitCanvas, unitSummary);
    const gradBox = h('div', { class: 'hist' });
    const weightBox = h('div', { class: 'hist' });
    const gradHeat = h('canvas', { role: 'img', class: 'heat' });
    const weightHeat = h('canvas', { role: 'img', class: 'heat' });
    const heatCaption = [h('figcaption', {}), h('figcaption', {})];
    const width = h('p', { class: 'effective-width', 'data-testid': 'effective-width', 'data-layer': l.layer });
    const gradSummary = h('p', { class: 'grad-summary' });
    const legend = h('p', { class: 'legend' },
      h('span', { class: 'swatch swatch-dead' }), ' dead (active on < 1% of probe inputs)  ',
      h('span', { class: 'swatch swatch-active' }), ' active (stronger colour = active on more inputs)  ',
      h('span', { class: 'swatch swatch-saturated' }), ' saturated');
    const title = layerTitle(run, l.layer);
    const root = h('section', { class: 'layer', 'data-testid': 'layer', 'data-layer': l.layer, 'aria-label': title },
      h('h3', {}, title, fanIn ? ` (fan-in ${fanIn})` : ''),
      width, gradSummary,
      h('div', { class: 'layer-grid' },
        h('figure', { class: 'unit-fig' }, h('figcaption', {}, 'Unit activity on the probe batch'), unitMap, legend),
        h('figure', {}, h('figcaption', {}, 'Per-unit gradient norm ‖∂L/∂W‖ (latest probe)'), gradBox),
        h('figure', {}, h('figcaption', {}, 'Weights (latest probe)'), weightBox),
        h('figure', {}, heatCaption[0], gradHeat),
        h('figure', {}, heatCaption[1], weightHeat)));
    return { title, root, unitMap, unitCanvas, unitSummary, width, gradSummary, gradHist: new HistogramChart(gradBox), weightHist: new HistogramChart(weightBox), gradHeat, weightHeat, heatCaption, holder };
  }

  private fill(v: LayerView, l: LayerReport, run: RunState, step: number, edges: LayerEdges | undefined, theme: Theme): void {
    v.holder.report = l;
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
    v.unitCanvas.setAttribute('aria-label', `Unit map of ${v.title}: ${summary}`);
    drawUnitMap(v.unitCanvas, l, new Set(dead), theme, Math.min(360, Math.max(120, this.container.clientWidth / 3)));

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

    const width = Math.max(160, Math.min(480, (this.container.clientWidth || 600) / 2 - 24));
    if (edges) {
      drawHeatmap(v.gradHeat, run.probes, l.layer, edges.gradNorm, 'gradNorm', theme, width);
      drawHeatmap(v.weightHeat, run.probes, l.layer, edges.weights, 'weights', theme, width);
    }
    const first = run.probes[0]?.step ?? 0;
    const lastStep = run.probes[run.probes.length - 1]?.step ?? step;
    v.heatCaption[0].textContent = `Gradient-norm history: probe step ${first} (top) → ${lastStep} (bottom) × bin`;
    v.heatCaption[1].textContent = `Weight history: probe step ${first} (top) → ${lastStep} (bottom) × bin`;
    v.gradHeat.setAttribute('aria-label', `Heat-map of per-unit gradient norms of ${v.title} over ${run.probes.length} probes`);
    v.weightHeat.setAttribute('aria-label', `Heat-map of the weights of ${v.title} over ${run.probes.length} probes`);
  }
}
