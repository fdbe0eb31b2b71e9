// The training panel's webview (browser bundle, built to media/webview.js). It imports only the
// protocol and uPlot. Messages from the host are validated with the protocol's guards; anything else
// is dropped and logged. All run data is rendered as text (textContent / attribute values).
import {
  type HostNotification, type RunState, type SweepKind, ExportComparisonCommand, ExportRunCommand, LIMITS, ReadyCommand, RerunWithFixCommand, RevealSourceCommand,
  SWEEP_KIND_NAMES, SetUpNativeBackendCommand, StartSweepCommand, nativeSetupOffer,
  RunStore, StopTrainingCommand, describeRejected, parseHostNotification, parsePersistedState, persistableRuns,
} from '../protocol/webview';
import { CHANCE, type ChartRun, RunChart, SmoothedLoss } from './charts';
import { type Theme, TIME_HELP, clear, fmt, fmtMs, h, layerTitle, readTheme, runColour } from './dom';
import { FindingsColumns } from './findingsView';
import { LayerViews } from './layerViews';
import { type ExportRun, comparisonCsv, comparisonPng, comparisonSvg } from './exports';
import { changeText, specChanges } from './specDiff';

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

// The comparison: the runs picked (each with a colour that stays its own while picked), the runs the
// legend hides from the charts, and the loss chart's scale.
const picked = new Map<string, number>();
const hiddenRuns = new Set<string>();
let logScale = false;

function pick(runId: string, on: boolean): void {
  if (!on) { picked.delete(runId); hiddenRuns.delete(runId); return; }
  if (picked.has(runId)) return;
  if (picked.size >= LIMITS.maxRuns) {
    // The oldest pick makes room (never the shown run).
    const oldest = store.runs.find((r) => picked.has(r.runId) && r.runId !== store.active?.runId);
    if (oldest) picked.delete(oldest.runId);
  }
  const used = new Set(picked.values());
  let c = 0;
  while (used.has(c)) c++;
  picked.set(runId, c);
}

/** Runs picked for comparison, in the order they were started. */
function comparedRuns(): RunState[] {
  for (const id of [...picked.keys()]) if (!store.get(id)) picked.delete(id);
  const active = store.active;
  if (picked.size === 0 && active) defaultPicks(active);
  return store.runs.filter((r) => picked.has(r.runId));
}

/** What a new run is compared with: its sweep's runs, the run it re-runs, else what was already picked. */
function defaultPicks(run: RunState): void {
  if (run.group) {
    const sameSweep = [...picked.keys()].some((id) => store.get(id)?.group?.id === run.group!.id);
    if (!sameSweep) picked.clear();
    for (const r of store.runs) if (r.group?.id === run.group.id) pick(r.runId, true);
    return;
  }
  const other = store.get(run.compareWithRunId);
  if (other) {
    picked.clear();
    pick(other.runId, true);
  }
  pick(run.runId, true);
}

const colourOf = (r: RunState): string => runColour(theme, picked.get(r.runId) ?? 0);

// ---------------------------------------------------------------------------------------------
// Skeleton

const app = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
const runName = h('h1', { class: 'run-name' }, 'Gradient Lens');
const status = h('span', { class: 'status', 'data-testid': 'run-status', role: 'status' });
const meta = h('p', { class: 'meta' });
const runSelect = h('select', { 'aria-label': 'Run shown in the header', class: 'run-select' });
const stopButton = h('button', { type: 'button', 'data-testid': 'stop', title: 'Stop training after the current step' }, 'Stop');
const exportPng = h('button', { type: 'button', 'data-testid': 'export-png', class: 'secondary', title: 'The compared runs as one image: their specs, accuracies, differences, curves, unit maps and findings' }, 'Export PNG');
const exportSvg = h('button', { type: 'button', 'data-testid': 'export-svg', class: 'secondary', title: 'The same as an SVG document (text stays text)' }, 'Export SVG');
const exportCsv = h('button', { type: 'button', 'data-testid': 'export-csv', class: 'secondary', title: 'Every curve of the compared runs, one row per step' }, 'Export CSV');
const exportJson = h('button', { type: 'button', 'data-testid': 'export-json', class: 'secondary', title: 'The shown run\'s full state' }, 'Export JSON');
const sweepButtons = (['init', 'learningRate', 'activation'] as SweepKind[]).map((kind) =>
  h('button', { type: 'button', class: 'secondary', 'data-testid': `sweep-${kind}`, title: `Train variants of the shown run that differ only in their ${SWEEP_KIND_NAMES[kind]}, together in one training process, and compare them here` },
    `Compare ${SWEEP_KIND_NAMES[kind]}…`));
const header = h('header', { class: 'header', 'data-testid': 'run-header' },
  h('div', { class: 'title' }, runName, status), meta,
  h('div', { class: 'actions' }, h('label', { class: 'run-pick' }, 'Run ', runSelect), stopButton, exportPng, exportSvg, exportCsv, exportJson));
// Not in the sticky header: it stays short in a narrow panel.
const sweepBar = h('div', { class: 'actions sweeps' }, h('span', { class: 'hint' }, 'Variants of the shown run, trained together in one training process:'), ...sweepButtons);
const message = h('p', { class: 'run-message', role: 'alert' });
// Where the run differs from the program as written: never silent (the reader's deviations).
const warnings = h('div', { class: 'run-warnings', 'data-testid': 'run-warnings', role: 'note' });
const empty = h('p', { class: 'empty intro' }, 'No run yet. Run "Gradient Lens: Train MNIST MLP" from the Command Palette: the loss, accuracy, hidden-unit views and findings appear here as training happens.');
const runsBody = h('tbody');
const runsTable = h('table', { class: 'compare run-list', 'data-testid': 'compare' },
  h('caption', {}, 'Runs of this window — tick the runs to compare'),
  h('thead', {}, h('tr', {}, ...['Compare', 'Run', 'Status', 'Backend', 'Steps', 'Final test accuracy', 'Final test loss', 'Wall time', 'Training loop', 'Findings']
    .map((t) => h('th', { scope: 'col', title: t === 'Wall time' ? TIME_HELP.wall : t === 'Training loop' ? TIME_HELP.loop : undefined }, t)))),
  runsBody);
const sweepNote = h('p', { class: 'sweep-note', 'data-testid': 'sweep-note' });
const timeNote = h('p', { class: 'time-note' }, TIME_HELP.wall, ' ', TIME_HELP.loop);
const diffBody = h('tbody');
const diffBaseline = h('span');
const diffTable = h('table', { class: 'differences', 'data-testid': 'differences' },
  h('caption', {}, 'What differs, and how it ended'),
  h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Run'), h('th', { scope: 'col' }, 'Differs from ', diffBaseline),
    ...['Final test accuracy', 'Final test loss', 'Findings'].map((t) => h('th', { scope: 'col' }, t)))),
  diffBody);
const runLegend = h('ul', { class: 'run-legend', 'data-testid': 'legend', 'aria-label': 'Runs in the charts (click to hide or show)' });
const logToggle = h('input', { type: 'checkbox', 'data-testid': 'log-scale' });
const resetZoom = h('button', { type: 'button', class: 'secondary', 'data-testid': 'reset-zoom' }, 'Reset zoom');
const chartTools = h('div', { class: 'chart-tools' },
  h('label', {}, logToggle, ' Log scale (loss)'), resetZoom,
  h('span', { class: 'hint' }, 'Drag across a chart to zoom into steps, double-click to reset. Dashed: chance level (a uniform guess over 10 digits).'));
const lossBox = h('div', { class: 'chart' });
const accBox = h('div', { class: 'chart' });
const lossSummary = h('p', { class: 'chart-summary', id: 'loss-summary' });
const accSummary = h('p', { class: 'chart-summary', id: 'acc-summary' });
const lossCaption = h('figcaption', {}, 'Training loss per step (thin: raw, thick: smoothed)');
const lossFigure = h('figure', { 'data-testid': 'loss-chart', 'aria-describedby': 'loss-summary' }, lossCaption, lossBox, lossSummary);
const accFigure = h('figure', { 'data-testid': 'accuracy-chart', 'aria-describedby': 'acc-summary' }, h('figcaption', {}, 'Test accuracy at each evaluation'), accBox, accSummary);
const findingsBox = h('div', { class: 'findings-columns' });
const layersBox = h('div', { class: 'layers' });
const tablesBody = h('div', { class: 'tables-body' });
const tables = h('details', { class: 'tables', 'data-testid': 'data-tables' }, h('summary', {}, 'Chart data as tables (for screen readers)'), tablesBody);
const content = h('div', { class: 'content' },
  sweepBar, runsTable, sweepNote, timeNote,
  diffTable,
  runLegend, chartTools,
  h('section', { class: 'charts', 'aria-label': 'Charts' }, lossFigure, accFigure),
  h('section', { 'aria-labelledby': 'findings-h' }, h('h2', { id: 'findings-h' }, 'Findings'), findingsBox),
  h('section', { 'aria-labelledby': 'layers-h' }, h('h2', { id: 'layers-h' }, 'Hidden layers'), layersBox),
  tables);
app.append(header, warnings, message, empty, content);

const lossChart = new RunChart(lossBox, 'loss');
const accChart = new RunChart(accBox, 'accuracy', 180);
const findingsView = new FindingsColumns(findingsBox, {
  rerun: (runId, fix) => vscode.postMessage(RerunWithFixCommand.create({ runId, fix })),
  reveal: (runId, findingIndex) => vscode.postMessage(RevealSourceCommand.create({ runId, findingIndex })),
  sweep: (runId, kind, layer) => vscode.postMessage(StartSweepCommand.create(layer === undefined ? { runId, kind } : { runId, kind, layer })),
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

/** A mean cross-entropy (the v1 default or a spec's own) has a chance level of ln 10. */
function lossHasChance(r: RunState): boolean {
  const o = r.spec?.objective;
  return !o || (o.loss === 'crossEntropy' && o.reduction === 'mean');
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

function renderHeader(run: RunState | undefined, compared: RunState[]): void {
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
      h('span', { 'data-testid': 'elapsed', class: 'explained', title: TIME_HELP.wall }, `Wall time ${fmtMs(run.elapsedMs)}`),
      run.end ? h('span', { 'data-testid': 'train-time', class: 'explained', title: TIME_HELP.loop }, `Training loop ${fmtMs(run.end.trainMs)}`) : null,
      run.start ? h('span', {}, `${run.start.parameterCount.toLocaleString('en-US')} parameters`) : null,
      run.sourceFile ? h('span', { title: run.sourceFile }, `From ${run.sourceFile.split(/[\\/]/).pop()}`) : null,
    ].filter((x): x is HTMLSpanElement | HTMLButtonElement => x !== null));
  }
  const running = !!run && (run.status === 'running' || run.status === 'pending');
  stopButton.disabled = !running || stopRequested.has(run?.runId ?? '');
  stopButton.textContent = running && stopRequested.has(run!.runId) ? 'Stopping…' : 'Stop';
  exportJson.disabled = !run;
  for (const b of [exportPng, exportSvg, exportCsv]) b.disabled = compared.length === 0;
  for (const b of sweepButtons) b.disabled = !run?.spec;
  message.textContent = run?.message ? `${run.status === 'error' ? 'Error' : 'Note'}: ${run.message}` : '';
  message.hidden = !run?.message;
  const shownWarnings = run?.warnings ?? [];
  if (warnings.dataset.key !== `${run?.runId}|${shownWarnings.length}`) {
    warnings.dataset.key = `${run?.runId}|${shownWarnings.length}`;
    clear(warnings);
    if (shownWarnings.length) warnings.append(h('p', { class: 'warnings-title' }, `This run differs from the program as written (${shownWarnings.length}):`), h('ul', {}, ...shownWarnings.map((w) => h('li', {}, w))));
  }
  warnings.hidden = shownWarnings.length === 0;

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

function swatchOf(r: RunState): HTMLElement {
  const swatch = h('span', { class: 'line-swatch', 'aria-hidden': 'true' });
  if (picked.has(r.runId)) swatch.style.background = colourOf(r);
  return swatch;
}

/** Every run of the window, with a checkbox to compare it. */
function renderRunList(): void {
  const focused = document.activeElement instanceof HTMLInputElement && runsBody.contains(document.activeElement) ? document.activeElement.getAttribute('data-run-id') : undefined;
  clear(runsBody);
  for (const r of store.runs) {
    const acc = finalAccuracy(r);
    const loss = finalLoss(r);
    const box = h('input', { type: 'checkbox', 'data-testid': 'run-pick', 'data-run-id': r.runId, 'aria-label': `Compare ${r.label}`, checked: picked.has(r.runId) });
    box.addEventListener('change', () => {
      pick(r.runId, box.checked);
      saveState(true);
      scheduleRender();
    });
    runsBody.append(h('tr', { 'data-run-id': r.runId, class: picked.has(r.runId) ? 'picked' : undefined },
      h('td', {}, box),
      h('th', { scope: 'row' }, swatchOf(r), r.label),
      h('td', {}, r.status === 'pending' ? 'running' : r.status),
      h('td', {}, r.start?.backend.name ?? '–'),
      h('td', {}, `${lastStep(r)}${r.start ? ` / ${r.start.totalSteps}` : ''}`),
      h('td', { 'data-testid': 'final-accuracy', 'data-run-id': r.runId }, acc === undefined ? '–' : acc.toFixed(4)),
      h('td', { 'data-testid': 'final-loss', 'data-run-id': r.runId }, loss === undefined ? '–' : loss === null ? 'non-finite' : loss.toFixed(4)),
      h('td', { title: TIME_HELP.wall }, fmtMs(r.elapsedMs)),
      h('td', { title: TIME_HELP.loop }, r.end ? fmtMs(r.end.trainMs) : '–'),
      h('td', {}, [...new Set(r.findings.map((f) => f.code))].join(', ') || (r.status === 'finished' ? 'none' : '–'))));
  }
  if (focused) runsBody.querySelector<HTMLInputElement>(`input[data-run-id="${CSS.escape(focused)}"]`)?.focus();
  runsTable.hidden = store.runs.length === 0;
  // A sweep: its variants train at once, in one training process (one loop; Stop stops them all).
  const sweep = [...store.runs].reverse().find((r) => r.group);
  const going = sweep && store.runs.some((r) => r.group?.id === sweep.group!.id && (r.status === 'running' || r.status === 'pending'));
  if (sweep?.group) {
    const g = sweep.group;
    const done = store.runs.filter((r) => r.group?.id === g.id && r.status !== 'running' && r.status !== 'pending').length;
    sweepNote.textContent = `${g.title}: ${g.size} variants in one training process (Stop stops them all) — ${going ? `${g.size - done} of ${g.size} still training` : `${done} of ${g.size} ended`}.`;
  }
  sweepNote.hidden = !sweep;
}

/** The compared runs against the first: what differs in the spec, and the outcome. */
function renderDifferences(runs: RunState[]): void {
  clear(diffBody);
  diffTable.hidden = runs.length < 2;
  if (runs.length < 2) return;
  const base = runs[0];
  diffBaseline.textContent = base.label;
  for (const r of runs) {
    const acc = finalAccuracy(r);
    const loss = finalLoss(r);
    let differs: string;
    if (r === base) differs = 'baseline';
    else if (!r.spec || !base.spec) differs = 'spec not known yet';
    else differs = specChanges(base.spec, r.spec).map(changeText).join('; ') || 'same spec';
    diffBody.append(h('tr', { 'data-run-id': r.runId },
      h('th', { scope: 'row' }, swatchOf(r), r.label),
      h('td', { 'data-testid': 'differs' }, differs),
      h('td', {}, acc === undefined ? '–' : acc.toFixed(4)),
      h('td', {}, loss === undefined ? '–' : loss === null ? 'non-finite' : loss.toFixed(4)),
      h('td', { 'data-testid': 'findings-count' }, String(r.findings.length))));
  }
}

function renderLegend(runs: RunState[]): void {
  clear(runLegend);
  for (const r of runs) {
    const shown = !hiddenRuns.has(r.runId);
    const b = h('button', { type: 'button', class: 'legend-toggle', 'data-testid': 'legend-toggle', 'data-run-id': r.runId, 'aria-pressed': shown ? 'true' : 'false',
      title: shown ? `Hide ${r.label} in the charts` : `Show ${r.label} in the charts` }, swatchOf(r), r.label);
    if (!shown) b.classList.add('off');
    b.addEventListener('click', () => {
      if (hiddenRuns.has(r.runId)) hiddenRuns.delete(r.runId);
      else hiddenRuns.add(r.runId);
      scheduleRender();
    });
    runLegend.append(h('li', { 'data-run-id': r.runId }, b));
  }
  runLegend.hidden = runs.length === 0;
}

function renderSummaries(runs: RunState[]): void {
  const parts = runs.map((r) => {
    const s = smoothed.of(r);
    const last = r.loss.length ? r.loss[r.loss.length - 1] : undefined;
    const first = r.loss.find((v) => v !== null);
    return `${r.label}: ${r.loss.length} steps; loss ${fmt(first)} at the first step, ${last === undefined ? '–' : fmt(last)} at the latest (smoothed ${fmt(s[s.length - 1])}).`;
  });
  lossSummary.textContent = parts.join(' ') + (runs.length && runs.every(lossHasChance) ? ` Chance level: ln 10 = ${CHANCE.loss.toFixed(3)}.` : '');
  lossFigure.setAttribute('data-points', String(lossChart.points));
  lossFigure.setAttribute('data-series', String(lossChart.seriesCount));
  lossFigure.setAttribute('data-hidden', String(runs.filter((r) => hiddenRuns.has(r.runId)).length));
  lossFigure.setAttribute('data-log', String(logScale));
  lossCaption.textContent = `Training loss per step (thin: raw, thick: smoothed${logScale ? '; log scale' : ''})`;
  accSummary.textContent = runs.map((r) => {
    const acc = r.evals.filter((e) => !e.final || !r.evals.some((x) => x.step === e.step && x !== e));
    const last = acc[acc.length - 1];
    return `${r.label}: ${r.evals.length} evaluation${r.evals.length === 1 ? '' : 's'}${last ? `, latest test accuracy ${last.testAccuracy.toFixed(4)} at step ${last.step}` : ''}.`;
  }).join(' ') + (runs.length ? ' Chance level: 0.1.' : '');
  const main = store.active;
  if (main && main.start && main.start.evalEvery === 0 && (main.status === 'running' || main.status === 'pending')) {
    accSummary.textContent += ' Test accuracy is measured once, at the end (set gradientLens.evalEvery to see it during training).';
  }
  accFigure.setAttribute('data-points', String(accChart.points));
  accFigure.setAttribute('data-series', String(accChart.seriesCount));
  chartState();
}

/** What the charts show now, as attributes (read by tests and assistive tooling) and the Reset zoom button. */
function chartState(): void {
  for (const [fig, chart] of [[lossFigure, lossChart], [accFigure, accChart]] as const) {
    fig.setAttribute('data-zoomed', String(chart.zoomed));
    const x = chart.xRange;
    if (x) fig.setAttribute('data-x-range', `${Math.round(x[0])}-${Math.round(x[1])}`);
    const y = chart.yRange;
    if (y) fig.setAttribute('data-y-range', `${Number(y[0].toPrecision(3))} ${Number(y[1].toPrecision(3))}`);
    if (chart.chancePx === undefined) fig.removeAttribute('data-chance-px');
    else fig.setAttribute('data-chance-px', String(chart.chancePx));
  }
  resetZoom.hidden = !lossChart.zoomed && !accChart.zoomed;
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
        report.layers.map((l) => [layerTitle(r, l.layer), l.units, l.activation, l.activity.filter((a) => a < 0.01).length, l.effectiveWidth, fmt(l.gradNormTotal), fmt(l.meanAbsGrad)])));
      for (const l of report.layers) {
        const g = l.gradNorm;
        tablesBody.append(table(`${r.label}: ${layerTitle(r, l.layer)} per-unit gradient norm histogram (exactly zero: ${g.zeros}, non-finite: ${g.nonFinite})`, ['from', 'to', 'units'],
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

function chartRuns(runs: RunState[]): ChartRun[] {
  return runs.map((run) => ({ run, colour: colourOf(run), hidden: hiddenRuns.has(run.runId) }));
}

function render(): void {
  const run = store.active;
  const runs = comparedRuns();
  empty.hidden = !!run;
  content.hidden = !run;
  renderHeader(run, runs);
  renderRunList();
  renderDifferences(runs);
  const shown = Math.max(0, runs.findIndex((r) => r.runId === run?.runId));
  const cr = chartRuns(runs);
  lossChart.update(cr, smoothed, theme, { log: logScale, chance: runs.length && runs.every(lossHasChance) ? CHANCE.loss : undefined, shown });
  accChart.update(cr, smoothed, theme, { chance: CHANCE.accuracy, shown });
  renderLegend(runs);
  renderSummaries(runs);
  findingsView.update(cr);
  layerViews.update(cr, theme);
  renderTables(runs);
  smoothed.forget(new Set(store.runs.map((r) => r.runId)));
  app.setAttribute('data-dropped-messages', String(dropped));
  app.setAttribute('data-compared', runs.map((r) => r.runId).join(' '));
}

// ---------------------------------------------------------------------------------------------
// State kept across hide/show and window reloads

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function saveState(now = false): void {
  const save = () => { saveTimer = undefined; vscode.setState({ version: 1, ...persistableRuns(store, [...picked.keys()]) }); };
  if (now) { if (saveTimer) clearTimeout(saveTimer); save(); return; }
  if (!saveTimer) saveTimer = setTimeout(save, 1000);
}

/** Picks saved with the state: re-applied after the host's snapshot, for the runs it still has. */
let savedPicks: string[] = [];

function restoreState(): void {
  // Untrusted like anything else the webview did not just receive: the same check the host's revive uses.
  const { state, dropped: why } = parsePersistedState(vscode.getState());
  if (why.length) console.warn(`[gradient-lens] ignored part of the saved panel state: ${why.join('; ')}`);
  if (state.runs.length === 0) return;
  store.apply({ type: 'snapshot', runs: state.runs, ...(state.activeRunId ? { activeRunId: state.activeRunId } : {}) });
  savedPicks = state.picked ?? [];
  for (const id of savedPicks) pick(id, true);
}

// ---------------------------------------------------------------------------------------------
// Messages

function onNotification(n: HostNotification): void {
  if (!store.apply(n)) {
    console.warn(`[gradient-lens] ignored ${n.type} for an unknown run`);
    return;
  }
  if (n.type === 'snapshot') {
    stopRequested = new Set();
    const keep = [...picked.keys(), ...savedPicks].filter((id) => store.get(id));
    picked.clear();
    for (const id of keep) pick(id, true);
  }
  if (n.type === 'startRun') defaultPicks(store.get(n.run.runId)!);
  saveState(n.type === 'endRun' || n.type === 'snapshot' || n.type === 'startRun');
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
    pick(runSelect.value, true);
    saveState(true);
    scheduleRender();
  }
});

for (const b of sweepButtons) {
  b.addEventListener('click', () => {
    const run = store.active;
    const kind = b.getAttribute('data-testid')!.slice('sweep-'.length) as SweepKind;
    if (run) vscode.postMessage(StartSweepCommand.create({ runId: run.runId, kind }));
  });
}

logToggle.addEventListener('change', () => { logScale = logToggle.checked; scheduleRender(); });
resetZoom.addEventListener('click', () => { lossChart.resetZoom(); accChart.resetZoom(); scheduleRender(); });
for (const box of [lossBox, accBox]) {
  box.addEventListener('zoom', () => scheduleRender());
  box.addEventListener('scale', () => chartState());
}

exportJson.addEventListener('click', () => {
  const run = store.active;
  if (run) vscode.postMessage(ExportRunCommand.create({ runId: run.runId, format: 'json' }));
});

function exportRuns(): ExportRun[] {
  const runs = comparedRuns();
  const base = runs[0];
  return runs.map((run) => ({
    run, colour: colourOf(run), smoothed: smoothed.of(run), accuracy: finalAccuracy(run), loss: finalLoss(run), lossChance: lossHasChance(run),
    changes: run === base ? 'baseline' : run.spec && base?.spec ? specChanges(base.spec, run.spec).map(changeText).join('; ') || 'same spec' : 'spec not known',
  }));
}

function postExport(format: 'png' | 'svg' | 'csv'): void {
  const runs = exportRuns();
  if (runs.length === 0) return;
  let data: string;
  if (format === 'csv') data = comparisonCsv(runs);
  else if (format === 'svg') data = comparisonSvg(runs, theme, new Date());
  else {
    const charts = [{ title: 'Training loss per step', canvas: lossChart.canvas }, { title: 'Test accuracy at each evaluation', canvas: accChart.canvas }]
      .filter((x): x is { title: string; canvas: HTMLCanvasElement } => !!x.canvas && x.canvas.width > 0);
    data = comparisonPng(runs, theme, charts, layerViews.exportColumns());
  }
  vscode.postMessage(ExportComparisonCommand.create({ runIds: runs.map((e) => e.run.runId), format, data }));
}

exportPng.addEventListener('click', () => postExport('png'));
exportSvg.addEventListener('click', () => postExport('svg'));
exportCsv.addEventListener('click', () => postExport('csv'));

tables.addEventListener('toggle', () => renderTables(comparedRuns()));

// Theme changes: VS Code swaps the body's vscode-light / vscode-dark / vscode-high-contrast class.
// Switching between two dark themes keeps the class and changes the variables VS Code sets on <html>.
const themeObserver = new MutationObserver(() => { theme = readTheme(); scheduleRender(); });
themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['class', 'style'] });
new ResizeObserver(() => scheduleRender()).observe(app);

restoreState();
vscode.postMessage(ReadyCommand.create({}));
safeRender();
