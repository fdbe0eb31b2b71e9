// The findings list of the shown run: severity, code, layer, first step, the explanation, the
// evidence in words (the host's `evidenceText`; the raw keys for a finding without it, e.g. a saved older run),
// the source line, and each fix as a "Re-run with this fix" button.
import type { Finding, Fix, RunState, ShownFinding } from '../protocol/webview';
import { clear, fmt, h, layerTitle } from './dom';

const SEVERITY_RANK: Record<string, number> = { error: 0, warning: 1, info: 2 };

function evidenceValue(v: Finding['evidence'][string]): string {
  if (Array.isArray(v)) {
    const shown = v.slice(0, 12).map((x) => fmt(x)).join(', ');
    return v.length > 12 ? `${v.length} values: ${shown}, …` : `[${shown}]`;
  }
  if (typeof v === 'number') return fmt(v);
  if (v === null) return 'non-finite';
  return String(v);
}

function layerText(f: Finding, run: RunState): string {
  return f.layer < 0 ? 'whole model' : layerTitle(run, f.layer);
}

export interface FindingActions {
  /** The fix object as rendered, so a click always sends the fix its button shows. */
  rerun(runId: string, fix: Fix): void;
  reveal(runId: string, findingIndex: number): void;
  /** "Compare initialisations of this layer" (the variants train together in one training process). */
  sweep(runId: string, kind: 'init' | 'activation' | 'learningRate', layer?: number): void;
}

/** Findings a sweep answers: what the unit's initialisation or activation decides, or the learning rate. */
const SWEEP_FOR: Record<string, { kind: 'init' | 'activation' | 'learningRate'; text: string }> = {
  'dead-units': { kind: 'init', text: 'Compare initialisations of this layer' },
  'zero-gradient': { kind: 'init', text: 'Compare initialisations of this layer' },
  'symmetric-units': { kind: 'init', text: 'Compare initialisations of this layer' },
  'saturated-units': { kind: 'activation', text: 'Compare activations of this layer' },
  'vanishing-gradient': { kind: 'activation', text: 'Compare activations of this layer' },
  'exploding-gradient': { kind: 'learningRate', text: 'Compare learning rates' },
  'non-finite': { kind: 'learningRate', text: 'Compare learning rates' },
  'poor-init-scale': { kind: 'init', text: 'Compare initialisations of this layer' },
  'loss-plateau': { kind: 'learningRate', text: 'Compare learning rates' },
};

export class FindingsView {
  private shown: Finding[] | undefined;
  private shownRun = '';

  /** compact: the evidence starts closed (several runs side by side). */
  constructor(private readonly list: HTMLElement, private readonly actions: FindingActions, private readonly compact = false) {}

  update(run: RunState | undefined): void {
    if (run?.findings === this.shown && run?.runId === this.shownRun && this.list.childElementCount > 0) return;
    this.shown = run?.findings;
    this.shownRun = run?.runId ?? '';
    // The list is rebuilt at each probe while training: keep keyboard focus on the same button.
    const focused = document.activeElement instanceof HTMLElement && this.list.contains(document.activeElement) ? document.activeElement : undefined;
    const item = focused?.closest('[data-testid="finding"]');
    const focusKey = item ? `${item.getAttribute('data-code')}|${item.getAttribute('data-layer')}|${focused!.getAttribute('data-testid')}|${focused!.getAttribute('data-fix-index')}` : undefined;
    clear(this.list);
    if (focusKey) queueMicrotask(() => this.refocus(focusKey));
    if (!run) return;
    if (run.findings.length === 0) {
      const ended = run.status !== 'running' && run.status !== 'pending';
      this.list.append(h('li', { class: 'empty' }, ended ? 'No findings: nothing suggests this network fails to learn.' : 'No findings yet (a finding is shown once it holds on two consecutive probes).'));
      return;
    }
    const order = run.findings.map((f, i) => ({ f, i })).sort((a, b) => (SEVERITY_RANK[a.f.severity] ?? 3) - (SEVERITY_RANK[b.f.severity] ?? 3) || a.f.layer - b.f.layer);
    order.forEach(({ f, i }, k) => this.list.append(this.item(run, f, i, !this.compact && k < 2)));
  }

  private refocus(key: string): void {
    const [code, layer, testid, fix] = key.split('|');
    for (const item of this.list.querySelectorAll<HTMLElement>('[data-testid="finding"]')) {
      if (item.getAttribute('data-code') !== code || item.getAttribute('data-layer') !== layer) continue;
      const target = [...item.querySelectorAll<HTMLElement>(`[data-testid="${testid}"]`)].find((b) => (b.getAttribute('data-fix-index') ?? 'null') === fix) ?? item;
      target.focus();
      return;
    }
  }

  private item(run: RunState, f: Finding, index: number, open: boolean): HTMLElement {
    const when = f.lastStep !== undefined && f.lastStep !== f.firstStep ? `since step ${f.firstStep}, still at step ${f.lastStep}` : `since step ${f.firstStep}`;
    const words = (f as ShownFinding).evidenceText;
    let evidence: HTMLElement;
    if (words && words.length > 0) {
      evidence = h('ul', { class: 'evidence evidence-text', 'data-testid': 'evidence-text' });
      for (const sentence of words) evidence.append(h('li', {}, sentence));
    } else {
      evidence = h('dl', { class: 'evidence' });
      for (const [k, v] of Object.entries(f.evidence)) evidence.append(h('dt', {}, k), h('dd', {}, evidenceValue(v)));
    }
    const fixes = h('div', { class: 'fixes' });
    f.fixes.forEach((fix, j) => {
      const b = h('button', { type: 'button', 'data-testid': 'rerun-fix', 'data-fix-index': j, 'data-finding-index': index, title: `Start a new run with this change and compare it with ${run.label}` },
        `Re-run with this fix: ${fix.label}`);
      b.addEventListener('click', () => this.actions.rerun(run.runId, fix));
      fixes.append(b);
    });
    const sweep = SWEEP_FOR[f.code];
    const lastLayer = (run.spec?.layers.length ?? 0) - 1;
    if (sweep && (sweep.kind === 'learningRate' || (f.layer >= 0 && f.layer < lastLayer))) {
      const b = h('button', { type: 'button', class: 'secondary', 'data-testid': 'start-sweep', 'data-kind': sweep.kind,
        title: 'Train variants of this run that differ only in this, together in one training process, and compare them here' }, `${sweep.text}…`);
      b.addEventListener('click', () => this.actions.sweep(run.runId, sweep.kind, sweep.kind === 'learningRate' ? undefined : f.layer));
      fixes.append(b);
    }
    const source = f.source
      ? (() => {
        const name = f.source.file.split(/[\\/]/).pop() ?? f.source.file;
        const b = h('button', { type: 'button', class: 'link', 'data-testid': 'reveal-source', title: `Open ${f.source.file} at line ${f.source.line}` }, `${name}:${f.source.line}`);
        b.addEventListener('click', () => this.actions.reveal(run.runId, index));
        return b;
      })()
      : null;
    return h('li', { class: `finding severity-${f.severity}`, 'data-testid': 'finding', 'data-code': f.code, 'data-severity': f.severity, 'data-layer': f.layer, tabindex: -1 },
      h('div', { class: 'finding-head' },
        h('span', { class: 'severity' }, f.severity),
        h('code', { class: 'code' }, f.code),
        h('span', { class: 'where' }, layerText(f, run)),
        h('span', { class: 'when' }, when),
        source),
      h('p', { class: 'message' }, f.message),
      Object.keys(f.evidence).length || words?.length ? h('details', { class: 'evidence-box', open: open }, h('summary', {}, 'Evidence'), evidence) : null,
      f.units && f.units.length ? h('p', { class: 'units' }, `Units: ${f.units.length <= 20 ? f.units.join(', ') : `${f.units.slice(0, 20).join(', ')}, … (${f.units.length} in all)`}`) : null,
      fixes.childElementCount ? fixes : null);
  }
}

/** The findings of every compared run, side by side: one column (a FindingsView) per run. */
export class FindingsColumns {
  private views = new Map<string, FindingsView>();
  private key = '';

  constructor(private readonly container: HTMLElement, private readonly actions: FindingActions) {}

  update(runs: { run: RunState; colour: string }[]): void {
    const key = runs.map((c) => `${c.run.runId}:${c.colour}:${c.run.label}`).join('|');
    if (key !== this.key) {
      this.key = key;
      this.views.clear();
      clear(this.container);
      this.container.className = `findings-columns${runs.length > 1 ? ' side-by-side' : ''}`;
      for (const c of runs) {
        const list = h('ul', { class: 'findings', 'data-testid': 'findings', 'data-run-id': c.run.runId, 'aria-label': `Findings of ${c.run.label}` });
        const swatch = h('span', { class: 'line-swatch', 'aria-hidden': 'true' });
        swatch.style.background = c.colour;
        const count = h('span', { class: 'findings-count', 'data-testid': 'findings-count' });
        this.container.append(runs.length > 1
          ? h('div', { class: 'findings-column', 'data-run-id': c.run.runId }, h('h3', {}, swatch, c.run.label, count), list)
          : list);
        this.views.set(c.run.runId, new FindingsView(list, this.actions, runs.length > 1));
      }
    }
    for (const c of runs) {
      this.views.get(c.run.runId)?.update(c.run);
      const count = this.container.querySelector(`.findings-column[data-run-id="${CSS.escape(c.run.runId)}"] .findings-count`);
      if (count) count.textContent = ` (${c.run.findings.length})`;
    }
  }
}
