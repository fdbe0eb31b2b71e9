// DOM, formatting and theme helpers for the panel. Everything from a message is set as text or as an
// attribute value, never parsed as HTML.

type Child = Node | string | number | null | undefined | false;

/** Creates an element; attrs are set with setAttribute (values are text), children appended as nodes or text. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

/** 4 significant digits, exponent form for tiny or huge values, "non-finite" for null. */
export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return 'non-finite';
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(2);
  return String(Number(v.toPrecision(digits)));
}

export function fmtMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export interface Theme {
  kind: 'light' | 'dark' | 'high-contrast';
  /** Changes whenever any colour does: views repaint when it changes. */
  key: string;
  fg: string;
  muted: string;
  bg: string;
  grid: string;
  font: string;
  /** Series colours: the shown run, the run it is compared with. */
  series: [string, string];
  smoothed: [string, string];
  /** One colour per compared run, in the order they are picked (runColour wraps around). */
  runs: string[];
  error: string;
  warning: string;
  active: string;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

/** Colours from VS Code's --vscode-* theme variables (with readable fallbacks outside VS Code). */
export function readTheme(): Theme {
  const body = document.body;
  const kind = body.classList.contains('vscode-high-contrast') || body.classList.contains('vscode-high-contrast-light') ? 'high-contrast'
    : body.classList.contains('vscode-light') ? 'light' : 'dark';
  const s = getComputedStyle(body);
  const dark = kind !== 'light';
  const fg = cssVar(s, '--vscode-editor-foreground', dark ? '#cccccc' : '#333333');
  const theme: Omit<Theme, 'key'> = {
    kind,
    fg,
    muted: cssVar(s, '--vscode-descriptionForeground', dark ? '#9d9d9d' : '#717171'),
    bg: cssVar(s, '--vscode-editor-background', dark ? '#1e1e1e' : '#ffffff'),
    grid: cssVar(s, '--vscode-charts-lines', dark ? 'rgba(128,128,128,0.35)' : 'rgba(128,128,128,0.3)'),
    font: `11px ${s.fontFamily || 'sans-serif'}`,
    series: [cssVar(s, '--vscode-charts-blue', '#3794ff'), cssVar(s, '--vscode-charts-orange', '#d18616')],
    smoothed: [cssVar(s, '--vscode-charts-blue', '#3794ff'), cssVar(s, '--vscode-charts-orange', '#d18616')],
    runs: [
      cssVar(s, '--vscode-charts-blue', '#3794ff'), cssVar(s, '--vscode-charts-orange', '#d18616'), cssVar(s, '--vscode-charts-green', '#89d185'),
      cssVar(s, '--vscode-charts-purple', '#b180d7'), cssVar(s, '--vscode-charts-yellow', '#cca700'), cssVar(s, '--vscode-charts-red', '#f14c4c'),
      dark ? '#4ec9b0' : '#16825d', dark ? '#d7ba7d' : '#795e26',
    ],
    error: cssVar(s, '--vscode-charts-red', cssVar(s, '--vscode-errorForeground', '#f14c4c')),
    warning: cssVar(s, '--vscode-charts-yellow', '#cca700'),
    active: cssVar(s, '--vscode-charts-green', '#89d185'),
  };
  return { ...theme, key: JSON.stringify(theme) };
}

/** Sets up a canvas for crisp drawing at the device pixel ratio; returns its 2D context in CSS pixels. */
export function sizeCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(width * ratio));
  canvas.height = Math.max(1, Math.round(height * ratio));
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

/**
 * A layer as a person reads it: its name in the source (`W1`, `self.fc1`) or, for presets and JSON specs, its 1-based
 * position, with its shape — "W1 (100 relu)", "layer 1 (100 relu)". The webview's copy of core's spec.ts layerLabel
 * (the webview imports protocol only).
 */
export function layerTitle(run: { spec?: { layers: { name?: string; units: number; activation: string }[] } }, layer: number): string {
  const l = run.spec?.layers[layer];
  if (!l) return `layer ${layer + 1}`;
  return `${l.name ?? `layer ${layer + 1}`} (${l.units} ${l.activation})`;
}

/** The colour of the i-th compared run. */
export function runColour(theme: Theme, i: number): string {
  return theme.runs[((i % theme.runs.length) + theme.runs.length) % theme.runs.length];
}

/** Elapsed is wall-clock time from the click; the training loop's time is only its steps. Shown as tooltips. */
export const TIME_HELP = {
  wall: 'Wall time: from the click that started the run to now (or to its end), as the extension host measured it: it includes starting the training process, loading the backend and MNIST, the probes and evaluations.',
  loop: 'Training loop: the time the trainer spent in training steps only (forward, backward, update), measured inside the training process; start-up, data loading, probes and evaluations are not included.',
} as const;
