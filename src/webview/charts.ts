// Line charts of the runs (uPlot): training loss per step with an exponentially smoothed line, and
// test accuracy at each evaluation on a fixed [0, 1] axis. One or two runs, overlaid.
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

/** One uPlot chart that is rebuilt only when its shape (runs shown, theme) changes, else fed new data. */
export class RunChart {
  private plot: uPlot | undefined;
  private shape = '';
  points = 0;
  /** Series drawn, x excluded. */
  seriesCount = 0;

  constructor(private readonly container: HTMLElement, private readonly kind: 'loss' | 'accuracy', private readonly height = 220) {}

  /** runs: [shown] or [compared-with, shown]; colour index 0 is the shown run. */
  update(runs: RunState[], smoothed: SmoothedLoss, theme: Theme): void {
    const width = Math.max(200, this.container.clientWidth || 600);
    const maxStep = Math.max(1, ...runs.map((r) => r.start?.totalSteps ?? r.spec?.steps ?? r.steps[r.steps.length - 1] ?? 1));
    const colour = (i: number) => (i === runs.length - 1 ? 0 : 1);
    // Short series names (the run names are in the panel's legend); the hover readout shows their values.
    const who = (i: number) => (runs.length === 1 ? '' : i === runs.length - 1 ? 'this run: ' : 'compared: ');
    const shape = `${this.kind}|${runs.map((r) => r.runId + ':' + r.label).join('|')}|${theme.key}|${maxStep}|${width}`;

    let data: uPlot.AlignedData;
    const series: uPlot.Series[] = [{ label: 'step', value: (_u, v) => (v === null ? '–' : String(v)) }];
    if (this.kind === 'loss') {
      const tables = runs.map((r) => [r.steps, r.loss, smoothed.of(r)] as uPlot.AlignedData);
      data = tables.length === 1 ? tables[0] : tables.length ? uPlot.join(tables) : [[]];
      runs.forEach((r, i) => {
        series.push({ label: `${who(i)}loss`, stroke: theme.series[colour(i)], width: 1, alpha: 0.3, points: { show: false }, spanGaps: true });
        series.push({ label: `${who(i)}smoothed`, stroke: theme.smoothed[colour(i)], width: 2, points: { show: false }, spanGaps: true });
      });
    } else {
      const tables = runs.map((r) => {
        const evals = [...r.evals].sort((a, b) => a.step - b.step).filter((e, i, xs) => i === 0 || xs[i - 1].step !== e.step);
        return [evals.map((e) => e.step), evals.map((e) => e.testAccuracy)] as uPlot.AlignedData;
      });
      data = tables.length === 1 ? tables[0] : tables.length ? uPlot.join(tables) : [[]];
      runs.forEach((r, i) => {
        series.push({ label: `${who(i)}test accuracy`, stroke: theme.series[colour(i)], width: 2, points: { show: true, size: 6, fill: theme.series[colour(i)] }, spanGaps: true });
      });
    }

    this.seriesCount = series.length - 1;
    if (this.plot && shape === this.shape) {
      this.plot.setData(data, true);
    } else {
      this.create(width, maxStep, series, data, theme, shape);
    }
    // Points of the shown run (its first series) as uPlot holds them: what is drawn, not what was received.
    const shownSeries = this.kind === 'loss' ? 2 * (runs.length - 1) + 1 : runs.length;
    const ys = runs.length && this.plot ? this.plot.data[shownSeries] : undefined;
    let points = 0;
    if (ys) for (let i = 0; i < ys.length; i++) if (ys[i] !== null && ys[i] !== undefined) points++;
    this.points = points;
  }

  private create(width: number, maxStep: number, series: uPlot.Series[], data: uPlot.AlignedData, theme: Theme, shape: string): void {
    this.plot?.destroy();
    this.shape = shape;
    const opts: uPlot.Options = {
      width, height: this.height,
      scales: {
        x: { time: false, range: () => [0, maxStep] },
        y: this.kind === 'accuracy' ? { range: [0, 1] } : { auto: true },
      },
      axes: axes(theme, 'step', this.kind === 'loss' ? 'cross-entropy' : 'test accuracy'),
      series,
      cursor: { drag: { x: false, y: false } },
      legend: { show: true, live: true },
    };
    this.plot = new uPlot(opts, data, this.container);
  }

  get canvas(): HTMLCanvasElement | undefined {
    return this.plot?.ctx.canvas;
  }
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
