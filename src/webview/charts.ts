// Line charts of the runs (uPlot): training loss per step with an exponentially smoothed line, and
// test accuracy at each evaluation on a fixed [0, 1] axis. Every compared run, overlaid.
import uPlot from 'uplot';
import type { RunState } from '../protocol/webview';
import type { Theme } from './dom';

/** TensorBoard-style smoothing weight of the loss line (debiased EMA). */
export const SMOOTHING = 0.9;

/** Incremental debiased EMA of each run's loss, so 10,000+ points cost O(new points) per update. */
export class SmoothedLoss {
  private readonly cache = new Map<string, { n: number; last: number; weight: number; values: (number | null)[] }>();

  of(run: RunState): (number | null)[] {
    let c = this.cache.get(run.runId);
    if (!c || c.n > run.loss.length) this.cache.set(run.runId, (c = { n: 0, last: 0, weight: 0, values: [] }));
    for (let i = c.n; i < run.loss.length; i++) {
      const v = run.loss[i];
      if (v === null || !Number.isFinite(v)) {
        c.values.push(null);
      } else {
        c.last = c.last * SMOOTHING + (1 - SMOOTHING) * v;
        c.weight = c.weight * SMOOTHING + (1 - SMOOTHING);
        c.values.push(c.last / c.weight);
      }
    }
    c.n = run.loss.length;
    return c.values;
  }

  forget(keep: Set<string>): void {
    for (const id of this.cache.keys()) if (!keep.has(id)) this.cache.delete(id);
  }
}

function axes(theme: Theme, xLabel: string, yLabel: string, yValues?: uPlot.Axis['values']): uPlot.Axis[] {
  const common = { stroke: theme.fg, font: theme.font, labelFont: theme.font, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid, width: 1 } };
  return [{ ...common, label: xLabel }, { ...common, label: yLabel, size: 56, ...(yValues ? { values: yValues } : {}) }];
}

/** Chance level of a 10-class classifier: cross-entropy ln 10 (uniform prediction), accuracy 0.1. */
export const CHANCE = { loss: Math.log(10), accuracy: 0.1 } as const;

/** A run as a chart draws it: its colour and whether the legend hides it. */
export interface ChartRun {
  run: RunState;
  colour: string;
  hidden: boolean;
}

export interface ChartOptions {
  /** Logarithmic y axis (loss only). */
  log?: boolean;
  /** Where the dashed chance line goes (undefined: none, e.g. a loss that is not a mean cross-entropy). */
  chance?: number;
  /** Index in `runs` of the shown run (its points are counted in `points`). */
  shown?: number;
}

/**
 * One uPlot chart of several runs, overlaid: rebuilt only when its shape (runs, colours, theme, size,
 * log scale) changes, else fed new data; hiding a run hides its series. Drag to zoom into steps,
 * double-click to reset; the values under the cursor appear beside it; a dashed line marks chance.
 */
export class RunChart {
  private plot: uPlot | undefined;
  private shape = '';
  private maxStep = 1;
  private runs: ChartRun[] = [];
  private chance: number | undefined;
  private readonly tip: HTMLElement;
  /** The x range is the user's (drag-zoomed) until a double-click resets it. */
  zoomed = false;
  points = 0;
  /** Series drawn, x excluded. */
  seriesCount = 0;
  /** Canvas pixel row of the chance line at the last draw (for tests), or undefined. */
  chancePx: number | undefined;

  constructor(private readonly container: HTMLElement, private readonly kind: 'loss' | 'accuracy', private readonly height = 220) {
    this.tip = document.createElement('div');
    this.tip.className = 'chart-tip';
    this.tip.setAttribute('data-testid', 'chart-tip');
    this.tip.setAttribute('role', 'status');
    this.tip.hidden = true;
  }

  update(runs: ChartRun[], smoothed: SmoothedLoss, theme: Theme, opts: ChartOptions = {}): void {
    const width = Math.max(200, this.container.clientWidth || 600);
    const maxStep = Math.max(1, ...runs.map((c) => c.run.start?.totalSteps ?? c.run.spec?.steps ?? c.run.steps[c.run.steps.length - 1] ?? 1));
    const log = this.kind === 'loss' && !!opts.log;
    this.runs = runs;
    this.chance = opts.chance;
    const shape = `${this.kind}|${runs.map((c) => `${c.run.runId}:${c.run.label}:${c.colour}`).join('|')}|${theme.key}|${maxStep}|${width}|${log}|${opts.chance}`;

    let data: uPlot.AlignedData;
    const series: uPlot.Series[] = [{ label: 'step' }];
    const positive = (ys: (number | null)[]) => (log ? ys.map((v) => (v !== null && v > 0 ? v : null)) : ys);
    if (this.kind === 'loss') {
      const tables = runs.map((c) => [c.run.steps, positive(c.run.loss), positive(smoothed.of(c.run))] as uPlot.AlignedData);
      data = tables.length === 1 ? tables[0] : tables.length ? uPlot.join(tables) : [[]];
      for (const c of runs) {
        series.push({ label: `${c.run.label}: loss`, stroke: c.colour, width: 1, alpha: 0.3, points: { show: false }, spanGaps: true, show: !c.hidden });
        series.push({ label: `${c.run.label}: smoothed`, stroke: c.colour, width: 2, points: { show: false }, spanGaps: true, show: !c.hidden });
      }
    } else {
      const tables = runs.map((c) => {
        const evals = [...c.run.evals].sort((a, b) => a.step - b.step).filter((e, i, xs) => i === 0 || xs[i - 1].step !== e.step);
        return [evals.map((e) => e.step), evals.map((e) => e.testAccuracy)] as uPlot.AlignedData;
      });
      data = tables.length === 1 ? tables[0] : tables.length ? uPlot.join(tables) : [[]];
      for (const c of runs) {
        series.push({ label: `${c.run.label}: test accuracy`, stroke: c.colour, width: 2, points: { show: true, size: 6, fill: c.colour }, spanGaps: true, show: !c.hidden });
      }
    }

    this.seriesCount = series.length - 1;
    if (this.plot && shape === this.shape) {
      // Zoomed in: keep the user's range while new steps arrive.
      this.plot.setData(data, !this.zoomed);
      const per = this.kind === 'loss' ? 2 : 1;
      runs.forEach((c, i) => {
        for (let k = 0; k < per; k++) {
          const idx = 1 + i * per + k;
          if (this.plot!.series[idx] && this.plot!.series[idx].show === c.hidden) this.plot!.setSeries(idx, { show: !c.hidden });
        }
      });
    } else {
      this.maxStep = maxStep;
      this.create(width, series, data, theme, shape, log);
    }
    // Points of the shown run (its first series) as uPlot holds them: what is drawn, not what was received.
    const shownSeries = this.kind === 'loss' ? 2 * (opts.shown ?? runs.length - 1) + 1 : (opts.shown ?? runs.length - 1) + 1;
    const ys = runs.length && this.plot ? this.plot.data[shownSeries] : undefined;
    let points = 0;
    if (ys) for (let i = 0; i < ys.length; i++) if (ys[i] !== null && ys[i] !== undefined) points++;
    this.points = points;
  }

  /** The x range shown: [min, max] steps. */
  get xRange(): [number, number] | undefined {
    const s = this.plot?.scales.x;
    return s && typeof s.min === 'number' && typeof s.max === 'number' ? [s.min, s.max] : undefined;
  }

  /** The y range shown. */
  get yRange(): [number, number] | undefined {
    const s = this.plot?.scales.y;
    return s && typeof s.min === 'number' && typeof s.max === 'number' ? [s.min, s.max] : undefined;
  }

  /** Back to every step (what a double-click does). */
  resetZoom(): void {
    this.zoomed = false;
    this.plot?.setScale('x', { min: 0, max: this.maxStep });
  }

  private create(width: number, series: uPlot.Series[], data: uPlot.AlignedData, theme: Theme, shape: string, log: boolean): void {
    this.plot?.destroy();
    this.shape = shape;
    // A new chart (other runs, size or scale) shows every step again.
    this.zoomed = false;
    const yRange: uPlot.Scale['range'] = this.kind === 'accuracy'
      ? [0, 1]
      : log
        ? (_u, min, max) => uPlot.rangeLog(Math.max(min, 1e-6), Math.max(max, (this.chance ?? 0) * 1.2, min * 10), 10, true)
        // Linear loss from 0: a flat line at chance stays flat instead of being stretched to fill the chart.
        : (_u, _min, max) => [0, Math.max(Number.isFinite(max) ? max : 1, (this.chance ?? 0)) * 1.08];
    const opts: uPlot.Options = {
      width, height: this.height,
      scales: {
        x: { time: false, range: (_u, min, max) => (this.zoomed ? [min, max] : [0, this.maxStep]) },
        y: log ? { distr: 3, log: 10, range: yRange } : { range: yRange },
      },
      axes: axes(theme, 'step', this.kind === 'loss' ? `training loss${log ? ' (log scale)' : ''}` : 'test accuracy',
        log ? (_u, splits) => splits.map((v) => (v === null ? '' : fmtTick(v))) : undefined),
      series,
      cursor: {
        drag: { x: true, y: false, setScale: false },
        // Our own double-click (reset to every step), not uPlot's fit-to-data.
        bind: { dblclick: () => null },
      },
      legend: { show: false },
      hooks: {
        setSelect: [(u) => {
          if (u.select.width < 4) return;
          const min = u.posToVal(u.select.left, 'x');
          const max = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          this.zoomed = true;
          u.setScale('x', { min, max });
          this.container.dispatchEvent(new CustomEvent('zoom'));
        }],
        setCursor: [(u) => this.showTip(u)],
        // Scales settle after a draw: tell the page, which shows the ranges (data-x-range, data-y-range).
        setScale: [() => this.container.dispatchEvent(new CustomEvent('scale'))],
        draw: [(u) => { this.drawChance(u, theme); this.container.dispatchEvent(new CustomEvent('scale')); }],
      },
    };
    this.plot = new uPlot(opts, data, this.container);
    this.plot.over.addEventListener('dblclick', () => {
      this.resetZoom();
      this.container.dispatchEvent(new CustomEvent('zoom'));
    });
    this.plot.over.addEventListener('mouseleave', () => { this.tip.hidden = true; });
    this.container.append(this.tip);
  }

  private drawChance(u: uPlot, theme: Theme): void {
    this.chancePx = undefined;
    if (this.chance === undefined) return;
    const y = Math.round(u.valToPos(this.chance, 'y', true));
    if (!(y >= u.bbox.top && y <= u.bbox.top + u.bbox.height)) return;
    const ctx = u.ctx;
    const ratio = window.devicePixelRatio || 1;
    ctx.save();
    ctx.strokeStyle = theme.muted;
    ctx.lineWidth = Math.max(1, ratio);
    ctx.setLineDash([6 * ratio, 4 * ratio]);
    ctx.beginPath();
    ctx.moveTo(u.bbox.left, y + 0.5);
    ctx.lineTo(u.bbox.left + u.bbox.width, y + 0.5);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = theme.muted;
    ctx.font = `${Math.round(10 * ratio)}px sans-serif`;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    const text = this.kind === 'loss' ? `chance: ln 10 = ${CHANCE.loss.toFixed(3)}` : 'chance: 0.1';
    ctx.fillText(text, u.bbox.left + u.bbox.width - 4 * ratio, y - 2 * ratio);
    ctx.restore();
    this.chancePx = y;
  }

  /** Values under the cursor, beside it: the step and each visible run's value there. */
  private showTip(u: uPlot): void {
    const idx = u.cursor.idx;
    const left = u.cursor.left ?? -1;
    if (idx === null || idx === undefined || left < 0) { this.tip.hidden = true; return; }
    const step = u.data[0][idx];
    const lines: string[] = [`step ${step}`];
    const per = this.kind === 'loss' ? 2 : 1;
    this.runs.forEach((c, i) => {
      if (c.hidden) return;
      const v = u.data[1 + i * per]?.[idx];
      if (this.kind === 'loss') {
        const sm = u.data[2 + i * per]?.[idx];
        if (v === null || v === undefined) return;
        lines.push(`${c.run.label}: loss ${fmtTick(v)} (smoothed ${sm === null || sm === undefined ? '–' : fmtTick(sm)})`);
      } else if (v !== null && v !== undefined) {
        lines.push(`${c.run.label}: test accuracy ${v.toFixed(4)}`);
      }
    });
    this.tip.textContent = lines.join('\n');
    this.tip.hidden = false;
    const w = this.container.clientWidth;
    const x = u.bbox.left / (window.devicePixelRatio || 1) + left;
    this.tip.style.left = `${Math.min(Math.max(0, x + 14), Math.max(0, w - 260))}px`;
    this.tip.style.top = `${Math.max(0, (u.cursor.top ?? 0) + 8)}px`;
  }

  get canvas(): HTMLCanvasElement | undefined {
    return this.plot?.ctx.canvas;
  }
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** Latest-frame histogram of one layer as bars (uPlot). Bin 0 is "exactly zero" on log10 scales. */
export class HistogramChart {
  private plot: uPlot | undefined;
  private shape = '';

  constructor(private readonly container: HTMLElement, private readonly height = 170) {}

  update(labels: string[], counts: number[], theme: Theme, colour: string, title: string): void {
    const width = Math.max(160, this.container.clientWidth || 300);
    const xs = counts.map((_, i) => i);
    const data: uPlot.AlignedData = [xs, counts];
    const shape = `${labels.join()}|${theme.key}|${colour}|${width}`;
    if (this.plot && shape === this.shape) {
      this.plot.setData(data, true);
      return;
    }
    this.plot?.destroy();
    this.shape = shape;
    const n = counts.length;
    const ticks = [...new Set([0, Math.floor(n / 4), Math.floor(n / 2), Math.floor((3 * n) / 4), n - 1])].filter((i) => i >= 0 && i < n);
    const a = axes(theme, title, 'count', (_u, splits) => splits.map((v) => (v >= 10_000 ? `${Math.round(v / 1000)}k` : String(Math.round(v)))));
    a[0] = { ...a[0], splits: () => ticks, values: (_u, splits) => splits.map((i) => labels[i] ?? '') };
    this.plot = new uPlot({
      width, height: this.height,
      scales: { x: { time: false, range: () => [-0.5, n - 0.5] }, y: { auto: true, range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] } },
      axes: a,
      series: [{ label: 'bin' }, { label: 'count', stroke: colour, fill: colour, alpha: 0.85, paths: uPlot.paths.bars!({ size: [0.9, 40], align: 0 }), points: { show: false } }],
      cursor: { drag: { x: false, y: false } },
      legend: { show: false },
    }, data, this.container);
  }

  get canvas(): HTMLCanvasElement | undefined {
    return this.plot?.ctx.canvas;
  }
}
