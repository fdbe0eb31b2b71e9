// The training panel's webview (browser bundle, built to media/webview.js). It imports only the
// protocol and uPlot. Messages from the host are validated with the protocol's guards; anything else
// is dropped and logged. All run data is rendered as text (textContent / attribute values).
import {
  type HostNotification, type RunState, ExportRunCommand, ReadyCommand, RerunWithFixCommand, RevealSourceCommand,
  SetUpNativeBackendCommand, nativeSetupOffer,
  RunStore, StopTrainingCommand, describeRejected, isRunState, parseHostNotification, persistableRuns,
} from '../protocol/webview';
import { RunChart, SmoothedLoss } from './charts';
import { type Theme, clear, fmt, fmtMs, h, readTheme } from './dom';
import { FindingsView } from './findingsView';
import { LayerViews } from './layerViews';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const store = new RunStore();
const smoothed = new SmoothedLoss();
let theme: Theme = readTheme();
let dropped = 0;
let stopRequested = new Set<string>();

// ---------------------------------------------------------------------------------------------
// Skeleton

const app = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
const runName = h('h1', { class: 'run-name' }, 'Gradient Lens');
const status = h('span', { class: 'status', 'data-testid': 'run-status', role: 'status' });
const meta = h('p', { class: 'meta' });
const runSelect = h('select', { 'aria-label': 'Run to show', class: 'run-select' });
const stopButton = h('button', { type: 'button', 'data-testid': 'stop', title: 'Stop training after the current step' }, 'Stop');
const exportJson = h('button', { type: 'button', 'data-testid': 'export-json', class: 'secondary' }, 'Export JSON');
const exportPng = h('button', { type: 'button', 'data-testid': 'export-png', class: 'secondary' }, 'Export PNG');
const header = h('header', { class: 'header', 'data-testid': 'run-header' },
  h('div', { class: 'title' }, runName, status), meta,
  h('div', { class: 'actions' }, h('label', { class: 'run-pick' }, 'Run ', runSelect), stopButton, exportJson, exportPng));
const message = h('p', { class: 'run-message', role: 'alert' });
const empty = h('p', { class: 'empty intro' }, 'No run yet. Run "Gradient Lens: Train MNIST MLP" from the Command Palette: the loss, accuracy, hidden-unit views and findings appear here as training happens.');
const compareBody = h('tbody');
const compareTable = h('table', { class: 'compare', 'data-testid': 'compare' },
  h('caption', {}, 'Runs'),
  h('thead', {}, h('tr', {}, ...['Run', 'Status', 'Backend', 'Steps', 'Final test accuracy', 'Final test loss', 'Training time', 'Findings'].map((t) => h('th', { scope: 'col' }, t)))),
  compareBody);
const runLegend = h('ul', { class: 'run-legend', 'aria-label': 'Line colours' });
const lossBox = h('div', { class: 'chart' });
const accBox = h('div', { class: 'chart' });
const lossSummary = h('p', { class: 'chart-summary', id: 'loss-summary' });
const accSummary = h('p', { class: 'chart-summary', id: 'acc-summary' });
const lossFigure = h('figure', { 'data-testid': 'loss-chart', 'aria-describedby': 'loss-summary' }, h('figcaption', {}, 'Training loss per step (thin: raw, thick: smoothed)'), lossBox, lossSummary);
const accFigure = h('figure', { 'data-testid': 'accuracy-chart', 'aria-describedby': 'acc-summary' }, h('figcaption', {}, 'Test accuracy at each evaluation'), accBox, accSummary);
const findingsList = h('ul', { class: 'findings', 'data-testid': 'findings', 'aria-label': 'Findings' });
const layersBox = h('div', { class: 'layers' });
const tablesBody = h('div', { class: 'tables-body' });
const tables = h('details', { class: 'tables', 'data-testid': 'data-tables' }, h('summary', {}, 'Chart data as tables (for screen readers)'), tablesBody);
const content = h('div', { class: 'content' },
  compareTable,
  runLegend,
  h('section', { class: 'charts', 'aria-label': 'Charts' }, lossFigure, accFigure),
  h('section', { 'aria-labelledby': 'findings-h' }, h('h2', { id: 'findings-h' }, 'Findings'), findingsList),
  h('section', { 'aria-labelledby': 'layers-h' }, h('h2', { id: 'layers-h' }, 'Hidden layers'), layersBox),
  tables);
app.append(header, message, empty, content);

const lossChart = new RunChart(lossBox, 'loss');
const accChart = new RunChart(accBox, 'accuracy', 180);
const findingsView = new FindingsView(findingsList, {
  rerun: (runId, fix) => vscode.postMessage(RerunWithFixCommand.create({ runId, fix })),
  reveal: (runId, findingIndex) => vscode.postMessage(RevealSourceCommand.create({ runId, findingIndex })),
});
const layerViews = new LayerViews(layersBox);

// ---------------------------------------------------------------------------------------------
// Rendering (coalesced: at most once per animation frame)

let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  const run = () => { if (renderQueued) { renderQueued = false; safeRender(); } };
  requestAnimationFrame(run);
  setTimeout(run, 250); // rAF does not fire in a background page
}

function shownRuns(): RunState[] {
  const run = store.active;
  if (!run) return [];
  const other = store.get(run.compareWithRunId);
  return other ? [other, run] : [run];
}

function finalAccuracy(r: RunState): number | undefined {
  if (r.end && typeof r.end.testAccuracy === 'number') return r.end.testAccuracy;
  const fin = r.evals.find((e) => e.final);
  return fin?.testAccuracy;
}

function finalLoss(r: RunState): number | null | undefined {
  if (r.end) return r.end.testLoss;
  return r.evals.find((e) => e.final)?.testLoss;
}

function lastStep(r: RunState): number {
  return r.steps.length ? r.steps[r.steps.length - 1] : 0;
}

function backendText(r: RunState): string {
  const b = r.start?.backend;
  if (!b) return 'starting…';
  const threads = b.threads ? `${b.threads} thread${b.threads === 1 ? '' : 's'}` : '';
  const extra = b.name === 'wasm' ? ` (${b.simd ? 'SIMD' : 'no SIMD'}${threads ? `, ${threads}` : ''})`
    : b.name === 'tensorflow' ? ` (${[b.tensorflowVersion ? `libtensorflow ${b.tensorflowVersion}` : '', threads].filter(Boolean).join(', ')})` : '';
  return `${b.name}${extra === ' ()' ? '' : extra}`;
}

/** "Set up native backend" beside the backend, when the run fell back because tfjs-node is missing or broken. */
function nativeOfferButton(run: RunState): HTMLButtonElement | null {
  const offer = nativeSetupOffer(run.start?.backend);
  if (!offer) return null;
  const b = h('button', {
    type: 'button', class: 'link', 'data-testid': 'setup-native', 'data-kind': offer.kind,
    title: `${offer.kind === 'absent' ? 'The native TensorFlow backend (tfjs-node) is not installed' : 'The native TensorFlow backend (tfjs-node) does not load'}: ${offer.reason}. It trains several times faster than wasm.`,
  }, offer.kind === 'absent' ? 'Set up native backend…' : 'Repair native backend…');
  b.addEventListener('click', () => vscode.postMessage(SetUpNativeBackendCommand.create({ runId: run.runId })));
  return b;
}

function renderHeader(run: RunState | undefined): void {
  const shownStatus = run ? (run.status === 'pending' ? 'running' : run.status) : '';
  runName.textContent = run ? run.label : 'Gradient Lens';
  status.textContent = shownStatus;
  status.className = `status status-${shownStatus || 'none'}`;
  clear(meta);
  if (run) {
    const total = run.start?.totalSteps ?? run.spec?.steps;
    const b = run.start?.backend;
    meta.append(...[
      h('span', { 'data-testid': 'backend', title: b?.skipped.length ? `skipped: ${b.skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}` : undefined }, 'Backend: ', backendText(run)),
      nativeOfferButton(run),
      h('span', { 'data-testid': 'step' }, `Step ${lastStep(run)} / ${total ?? '?'}`),
      h('span', { 'data-testid': 'elapsed' }, `Elapsed ${fmtMs(run.elapsedMs)}`),
      run.start ? h('span', {}, `${run.start.parameterCount.toLocaleString('en-US')} parameters`) : null,
      run.sourceFile ? h('span', { title: run.sourceFile }, `From ${run.sourceFile.split(/[\\/]/).pop()}`) : null,
    ].filter((x): x is HTMLSpanElement | HTMLButtonElement => x !== null));
  }
  const running = !!run && (run.status === 'running' || run.status === 'pending');
  stopButton.disabled = !running || stopRequested.has(run?.runId ?? '');
  stopButton.textContent = running && stopRequested.has(run!.runId) ? 'Stopping…' : 'Stop';
  exportJson.disabled = !run;
  exportPng.disabled = !run;
  message.textContent = run?.message ? `${run.status === 'error' ? 'Error' : 'Note'}: ${run.message}` : '';
  message.hidden = !run?.message;

  // Run picker: every run of the session, newest last.
  const ids = store.runs.map((r) => `${r.runId}:${r.label}:${r.status}`).join('|');
  if (runSelect.dataset.ids !== ids || runSelect.value !== (run?.runId ?? '')) {
    runSelect.dataset.ids = ids;
    clear(runSelect);
    for (const r of store.runs) runSelect.append(h('option', { value: r.runId, selected: r.runId === run?.runId }, `${r.label} (${r.status})`));
    runSelect.value = run?.runId ?? '';
  }
  runSelect.disabled = store.runs.length < 2;
}

function renderCompare(runs: RunState[]): void {
  clear(compareBody);
  for (const r of runs) {
    const acc = finalAccuracy(r);
    const loss = finalLoss(r);
    compareBody.append(h('tr', { 'data-run-id': r.runId },
      h('th', { scope: 'row' }, r.label),
      h('td', {}, r.status === 'pending' ? 'running' : r.status),
      h('td', {}, r.start?.backend.name ?? '–'),
      h('td', {}, `${lastStep(r)}${r.start ? ` / ${r.start.totalSteps}` : ''}`),
      h('td', { 'data-testid': 'final-accuracy', 'data-run-id': r.runId }, acc === undefined ? '–' : acc.toFixed(4)),
      h('td', { 'data-testid': 'final-loss', 'data-run-id': r.runId }, loss === undefined ? '–' : loss === null ? 'non-finite' : loss.toFixed(4)),
      h('td', {}, r.end ? fmtMs(r.end.trainMs) : fmtMs(r.elapsedMs)),
      h('td', {}, [...new Set(r.findings.map((f) => f.code))].join(', ') || (r.status === 'finished' ? 'none' : '–'))));
  }
  compareTable.hidden = runs.length === 0;
}

function renderLegend(runs: RunState[]): void {
  clear(runLegend);
  runs.forEach((r, i) => {
    const swatch = h('span', { class: 'line-swatch', 'aria-hidden': 'true' });
    swatch.style.background = theme.series[i === runs.length - 1 ? 0 : 1];
    runLegend.append(h('li', { 'data-run-id': r.runId }, swatch, r.label, h('span', { class: 'legend-role' }, i === runs.length - 1 ? (runs.length > 1 ? ' (this run)' : '') : ' (compared with)')));
  });
  runLegend.hidden = runs.length === 0;
}

function renderSummaries(runs: RunState[]): void {
  const parts = runs.map((r) => {
    const s = smoothed.of(r);
    const last = r.loss.length ? r.loss[r.loss.length - 1] : undefined;
    const first = r.loss.find((v) => v !== null);
    return `${r.label}: ${r.loss.length} steps; loss ${fmt(first)} at the first step, ${last === undefined ? '–' : fmt(last)} at the latest (smoothed ${fmt(s[s.length - 1])}).`;
  });
  lossSummary.textContent = parts.join(' ');
  lossFigure.setAttribute('data-points', String(lossChart.points));
  lossFigure.setAttribute('data-series', String(lossChart.seriesCount));
  accSummary.textContent = runs.map((r) => {
    const acc = r.evals.filter((e) => !e.final || !r.evals.some((x) => x.step === e.step && x !== e));
    const last = acc[acc.length - 1];
    return `${r.label}: ${r.evals.length} evaluation${r.evals.length === 1 ? '' : 's'}${last ? `, latest test accuracy ${last.testAccuracy.toFixed(4)} at step ${last.step}` : ''}.`;
  }).join(' ');
  const main = runs[runs.length - 1];
  if (main && main.start && main.start.evalEvery === 0 && (main.status === 'running' || main.status === 'pending')) {
    accSummary.textContent += ' Test accuracy is measured once, at the end (set gradientLens.evalEvery to see it during training).';
  }
  accFigure.setAttribute('data-points', String(accChart.points));
  accFigure.setAttribute('data-series', String(accChart.seriesCount));
}

function table(caption: string, head: string[], rows: (string | number)[][]): HTMLElement {
  return h('table', {}, h('caption', {}, caption), h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, String(c)))))));
}

function renderTables(runs: RunState[]): void {
  if (!tables.open) return;
  clear(tablesBody);
  for (const r of runs) {
    tablesBody.append(table(`${r.label}: test accuracy per evaluation`, ['step', 'test accuracy', 'test loss', 'final'],
      r.evals.map((e) => [e.step, e.testAccuracy.toFixed(4), fmt(e.testLoss), e.final ? 'yes' : ''])));
    const s = smoothed.of(r);
    const every = Math.max(1, Math.ceil(r.steps.length / 50));
    const rows: (string | number)[][] = [];
    for (let i = 0; i < r.steps.length; i += every) rows.push([r.steps[i], fmt(r.loss[i]), fmt(s[i])]);
    if (r.steps.length && (r.steps.length - 1) % every !== 0) { const i = r.steps.length - 1; rows.push([r.steps[i], fmt(r.loss[i]), fmt(s[i])]); }
    tablesBody.append(table(`${r.label}: training loss (every ${every} step${every === 1 ? '' : 's'})`, ['step', 'loss', 'smoothed'], rows));
    const report = r.latestProbe;
    if (report) {
      tablesBody.append(table(`${r.label}: layers at probe step ${report.step}`, ['layer', 'units', 'activation', 'dead or saturated units', 'effective width', '‖∂L/∂W‖', 'mean |∂L/∂W|'],
        report.layers.map((l) => [l.layer, l.units, l.activation, l.activity.filter((a) => a < 0.01).length, l.effectiveWidth, fmt(l.gradNormTotal), fmt(l.meanAbsGrad)])));
      for (const l of report.layers) {
        const g = l.gradNorm;
        tablesBody.append(table(`${r.label}: layer ${l.layer} per-unit gradient norm histogram (exactly zero: ${g.zeros}, non-finite: ${g.nonFinite})`, ['from', 'to', 'units'],
          g.counts.map((c, i) => [fmt(g.edges[i]), fmt(g.edges[i + 1]), c]).filter((row) => row[2] !== 0)));
      }
    }
  }
}

/** A rendering bug must not stop the panel from taking the next message. */
let maxRenderMs = 0;
function safeRender(): void {
  try {
    const t0 = performance.now();
    render();
    // Exposed for the benchmarks (not asserted by tests): how long one full update of the page takes.
    const ms = performance.now() - t0;
    maxRenderMs = Math.max(maxRenderMs, ms);
    app.setAttribute('data-render-ms', ms.toFixed(1));
    app.setAttribute('data-max-render-ms', maxRenderMs.toFixed(1));
  } catch (e) {
    console.error(`[gradient-lens] render failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  }
}

function render(): void {
  const run = store.active;
  const runs = shownRuns();
  empty.hidden = !!run;
  content.hidden = !run;
  renderHeader(run);
  renderCompare(runs);
  lossChart.update(runs, smoothed, theme);
  accChart.update(runs, smoothed, theme);
  renderLegend(runs);
  renderSummaries(runs);
  findingsView.update(run);
  layerViews.update(run, theme);
  renderTables(runs);
  smoothed.forget(new Set(store.runs.map((r) => r.runId)));
  app.setAttribute('data-dropped-messages', String(dropped));
}

// ---------------------------------------------------------------------------------------------
// State kept across hide/show and window reloads

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function saveState(now = false): void {
  const save = () => { saveTimer = undefined; vscode.setState({ version: 1, ...persistableRuns(store) }); };
  if (now) { if (saveTimer) clearTimeout(saveTimer); save(); return; }
  if (!saveTimer) saveTimer = setTimeout(save, 1000);
}

function restoreState(): void {
  const s = vscode.getState() as { runs?: unknown; activeRunId?: unknown } | undefined;
  if (!s || !Array.isArray(s.runs)) return;
  const runs = s.runs.filter((r): r is RunState => isRunState(r));
  if (runs.length === 0) return;
  store.apply({ type: 'snapshot', runs, ...(typeof s.activeRunId === 'string' && runs.some((r) => r.runId === s.activeRunId) ? { activeRunId: s.activeRunId } : {}) });
}

// ---------------------------------------------------------------------------------------------
// Messages

function onNotification(n: HostNotification): void {
  if (!store.apply(n)) {
    console.warn(`[gradient-lens] ignored ${n.type} for an unknown run`);
    return;
  }
  if (n.type === 'snapshot') stopRequested = new Set();
  saveState(n.type === 'endRun' || n.type === 'snapshot');
  scheduleRender();
}

window.addEventListener('message', (event: MessageEvent) => {
  const n = parseHostNotification(event.data);
  if (!n) {
    dropped++;
    console.warn(`[gradient-lens] dropped a malformed message from the host: ${describeRejected(event.data)}`);
    app.setAttribute('data-dropped-messages', String(dropped));
    return;
  }
  onNotification(n);
});

stopButton.addEventListener('click', () => {
  const run = store.active;
  if (!run || (run.status !== 'running' && run.status !== 'pending')) return;
  stopRequested.add(run.runId);
  vscode.postMessage(StopTrainingCommand.create({ runId: run.runId }));
  scheduleRender();
});

runSelect.addEventListener('change', () => {
  if (store.get(runSelect.value)) {
    store.activeRunId = runSelect.value;
    saveState(true);
    scheduleRender();
  }
});

exportJson.addEventListener('click', () => {
  const run = store.active;
  if (run) vscode.postMessage(ExportRunCommand.create({ runId: run.runId, format: 'json' }));
});

/** All charts of the shown run stacked on one canvas with titles, on the theme's background. */
function chartsPng(): string {
  const items = [
    { title: 'Training loss per step', canvas: lossChart.canvas },
    { title: 'Test accuracy', canvas: accChart.canvas },
    ...layerViews.canvases(),
  ].filter((x): x is { title: string; canvas: HTMLCanvasElement } => !!x.canvas && x.canvas.width > 0 && x.canvas.height > 0);
  const ratio = window.devicePixelRatio || 1;
  const pad = Math.round(12 * ratio);
  const titleH = Math.round(18 * ratio);
  const width = Math.max(...items.map((x) => x.canvas.width), Math.round(400 * ratio)) + 2 * pad;
  const height = items.reduce((n, x) => n + titleH + x.canvas.height + pad, pad + titleH);
  const out = document.createElement('canvas');
  out.width = width;
  out.height = height;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = theme.fg;
  ctx.font = `${Math.round(13 * ratio)}px sans-serif`;
  ctx.textBaseline = 'top';
  const run = store.active;
  ctx.fillText(`${run?.label ?? ''} — ${run ? backendText(run) : ''}`, pad, pad);
  let y = pad + titleH;
  for (const x of items) {
    ctx.fillStyle = theme.fg;
    ctx.fillText(x.title, pad, y);
    y += titleH;
    ctx.drawImage(x.canvas, pad, y);
    y += x.canvas.height + pad;
  }
  return out.toDataURL('image/png');
}

exportPng.addEventListener('click', () => {
  const run = store.active;
  if (run) vscode.postMessage(ExportRunCommand.create({ runId: run.runId, format: 'png', data: chartsPng() }));
});

tables.addEventListener('toggle', () => renderTables(shownRuns()));

// Theme changes: VS Code swaps the body's vscode-light / vscode-dark / vscode-high-contrast class.
// Switching between two dark themes keeps the class and changes the variables VS Code sets on <html>.
const themeObserver = new MutationObserver(() => { theme = readTheme(); scheduleRender(); });
themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['class', 'style'] });
new ResizeObserver(() => scheduleRender()).observe(app);

restoreState();
vscode.postMessage(ReadyCommand.create({}));
safeRender();
