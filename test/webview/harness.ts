// A page that mimics a VS Code webview for the panel bundle, in headless Debian Chromium
// (playwright-core). What is real: the HTML src/host/panel.ts generates (Content-Security-Policy
// default-src 'none', script by nonce), the built bundle media/webview.js, media/panel.css, uPlot's
// CSS, and the message path (window 'message' events). What is mocked, because VS Code is not there:
// acquireVsCodeApi (records postMessage and setState), the `vscode` module panel.ts runs against
// (fakeVscode.ts), and the theme VS Code injects (a subset of the Dark Modern / Light Modern values).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { realPanelHtml } from './fakeVscode';
import { withEvidenceText } from '../../src/host/findingWords';
import type { Finding } from '../../src/core/findings';
import { type ModelSpec, validateSpec } from '../../src/core/spec';

export const ROOT = join(__dirname, '..', '..', '..');
export const MEDIA = join(ROOT, 'media');
export const OUTPUT = join(ROOT, 'test-output');
const ORIGIN = 'https://webview.test';

export function chromiumPath(): string {
  const p = process.env.CHROMIUM_PATH ?? execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
  if (!p || !existsSync(p)) throw new Error('Debian chromium not found (apt-get install chromium, or set CHROMIUM_PATH)');
  return p;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** The page's globals used from Node (the test side has no DOM types). */
export interface Win {
  __posted: unknown[];
  __state: unknown;
  __csp: string[];
  __pwned?: unknown;
  postMessage(m: unknown, target: string): void;
  requestAnimationFrame(cb: () => void): number;
}

export type ThemeKind = 'dark' | 'light' | 'high-contrast';

const THEMES: Record<ThemeKind, Record<string, string>> = {
  dark: {
    'editor-background': '#1f1f1f', 'editor-foreground': '#cccccc', 'descriptionForeground': '#9d9d9d', 'panel-border': '#2b2b2b',
    'charts-blue': '#3794ff', 'charts-orange': '#d18616', 'charts-red': '#f14c4c', 'charts-green': '#89d185', 'charts-yellow': '#cca700',
    'charts-lines': 'rgba(204, 204, 204, 0.5)', 'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1',
    'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc', 'focusBorder': '#0078d4', 'errorForeground': '#f85149',
    'editorWarning-foreground': '#cca700', 'editorInfo-foreground': '#3794ff', 'textLink-foreground': '#4daafc', 'dropdown-background': '#313131',
    'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c', 'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', 'font-size': '13px',
    'editor-font-family': '"Droid Sans Mono", monospace',
  },
  light: {
    'editor-background': '#ffffff', 'editor-foreground': '#3b3b3b', 'descriptionForeground': '#3b3b3b', 'panel-border': '#e5e5e5',
    'charts-blue': '#1a85ff', 'charts-orange': '#d18616', 'charts-red': '#e51400', 'charts-green': '#388a34', 'charts-yellow': '#bf8803',
    'charts-lines': 'rgba(97, 97, 97, 0.5)', 'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8',
    'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b', 'focusBorder': '#005fb8', 'errorForeground': '#f85149',
    'editorWarning-foreground': '#bf8803', 'editorInfo-foreground': '#1a85ff', 'textLink-foreground': '#005fb8', 'dropdown-background': '#ffffff',
    'dropdown-foreground': '#3b3b3b', 'dropdown-border': '#cecece', 'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', 'font-size': '13px',
    'editor-font-family': '"Droid Sans Mono", monospace',
  },
  'high-contrast': {
    'editor-background': '#000000', 'editor-foreground': '#ffffff', 'descriptionForeground': '#ffffff', 'panel-border': '#6fc3df', 'contrastBorder': '#6fc3df',
    'charts-blue': '#3794ff', 'charts-orange': '#d18616', 'charts-red': '#f48771', 'charts-green': '#89d185', 'charts-yellow': '#ffd700',
    'charts-lines': 'rgba(255, 255, 255, 0.5)', 'button-background': '#000000', 'button-foreground': '#ffffff', 'button-border': '#6fc3df',
    'focusBorder': '#f38518', 'errorForeground': '#f48771', 'font-family': 'system-ui, sans-serif', 'font-size': '13px',
  },
};

export interface PanelPage {
  page: Page;
  /** Messages the webview posted to the (fake) host, in order. */
  posted(): Promise<unknown[]>;
  /** What the webview last saved with setState. */
  state(): Promise<unknown>;
  /** Console warnings and errors of the page. */
  warnings: string[];
  /** Page errors (uncaught exceptions). */
  errors: string[];
  /** Posts host → webview messages (as VS Code does: window 'message' events). */
  send(messages: unknown[]): Promise<void>;
  /** Waits until the coalesced render has run. */
  settle(): Promise<void>;
  cspViolations(): Promise<string[]>;
}

/** Opens the real panel bundle in a page that behaves like a VS Code webview. `state`: what getState() returns (a reload). */
export async function openPanel(browser: Browser, opts: { theme?: ThemeKind; state?: unknown; width?: number } = {}): Promise<PanelPage> {
  const theme = opts.theme ?? 'dark';
  const page = await browser.newPage({ viewport: { width: opts.width ?? 1100, height: 900 }, deviceScaleFactor: 1 });
  const warnings: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') warnings.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  // The exact HTML src/host/panel.ts gives the webview (its CSP, nonce and script tag), with this
  // page's origin as the webview resource origin. VS Code adds the theme: a body class and the
  // --vscode-* variables on <html> (set here the way VS Code does, from script, before the bundle runs).
  const bodyClass = theme === 'light' ? 'vscode-light' : theme === 'dark' ? 'vscode-dark' : 'vscode-high-contrast';
  const html = realPanelHtml(ORIGIN).replace('<body>', `<body class="${bodyClass}">`);
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  await page.addInitScript(({ vars, state }) => {
    // MOCK of VS Code's webview API: records what the panel posts and saves.
    type Doc = {
      documentElement: { style: { setProperty(k: string, v: string): void } } | null;
      addEventListener(t: string, l: (e: { violatedDirective: string; blockedURI: string }) => void): void;
    };
    const w = globalThis as unknown as Win & { acquireVsCodeApi: unknown; document: Doc; MutationObserver: new (cb: () => void) => { observe(n: unknown, o: unknown): void; disconnect(): void } };
    w.__posted = [];
    w.__state = state;
    w.__csp = [];
    w.acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => w.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => w.__state ?? undefined,
      setState: (s: unknown) => { w.__state = JSON.parse(JSON.stringify(s)); },
    });
    w.document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    // <html> does not exist yet when this runs: set the variables as soon as it does.
    const observer = new w.MutationObserver(() => {
      const root = w.document.documentElement;
      if (!root) return;
      observer.disconnect();
      for (const [k, v] of Object.entries(vars)) root.style.setProperty(`--vscode-${k}`, v);
    });
    observer.observe(w.document, { childList: true });
  }, { vars: THEMES[theme], state: opts.state ?? null });
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/index.html') return route.fulfill({ contentType: 'text/html', body: html });
    const m = /^\/ext\/media\/([A-Za-z0-9_.-]+)$/.exec(path);
    if (m && existsSync(join(MEDIA, m[1]))) {
      const type = m[1].endsWith('.js') ? 'text/javascript' : m[1].endsWith('.css') ? 'text/css' : 'application/octet-stream';
      return route.fulfill({ contentType: type, body: readFileSync(join(MEDIA, m[1])) });
    }
    return route.fulfill({ status: 404, body: 'not found' });
  });
  // Anything else (remote content) must never be requested.
  await page.route((url) => !url.href.startsWith(ORIGIN) && !url.href.startsWith('data:'), (route) => {
    errors.push(`unexpected request: ${route.request().url()}`);
    return route.abort();
  });
  await page.goto(`${ORIGIN}/index.html`);
  await page.bringToFront();
  await page.waitForFunction(() => (globalThis as unknown as Win).__posted.length > 0, undefined, { polling: 50, timeout: 10_000 });
  const panel: PanelPage = {
    page, warnings, errors,
    posted: () => page.evaluate(() => (globalThis as unknown as Win).__posted),
    state: () => page.evaluate(() => (globalThis as unknown as Win).__state),
    send: async (messages) => {
      await page.evaluate((ms) => { for (const m of ms) (globalThis as unknown as Win).postMessage(m, '*'); }, messages);
    },
    settle: async () => {
      // Longer than the render fallback timer (250 ms), which runs the render if no animation frame came.
      await page.evaluate(() => new Promise((r) => setTimeout(r, 400)));
    },
    cspViolations: () => page.evaluate(() => (globalThis as unknown as Win).__csp),
  };
  return panel;
}

export function screenshotPath(name: string): string {
  mkdirSync(OUTPUT, { recursive: true });
  return join(OUTPUT, name);
}

export interface RecordedStream {
  recordedAt: string;
  preset: string;
  backend: string;
  notes: string;
  notifications: Record<string, unknown>[];
}

export function loadStream(name: string): RecordedStream {
  return hostWords(JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'streams', `${name}.json`), 'utf8')) as RecordedStream);
}

/**
 * A stream recorded before the host put the evidence in words (src/host/findingWords.ts; the recorder does it now):
 * its findings get their `evidenceText` as TrainingPanel attaches it, each run's layers named by its spec.
 */
function hostWords(stream: RecordedStream): RecordedStream {
  const specs = new Map<string, ModelSpec>();
  const valid = (v: unknown): ModelSpec | undefined => {
    const c = validateSpec(v);
    return c.ok ? c.spec : undefined;
  };
  const words = (fs: unknown, runId: string): unknown => (Array.isArray(fs) ? (fs as Finding[]).map((f) => ('evidenceText' in f ? f : withEvidenceText(f, specs.get(runId)))) : fs);
  for (const n of stream.notifications) {
    const runId = String(n.runId ?? '');
    if (n.type === 'startRun') {
      const run = n.run as { runId: string; spec?: unknown };
      const spec = valid(run.spec);
      if (spec) specs.set(run.runId, spec);
    } else if (n.type === 'startTraining') {
      const spec = valid(n.spec);
      if (spec) specs.set(runId, spec);
    } else if (n.type === 'probe') {
      const report = n.report as { findings: unknown };
      report.findings = words(report.findings, runId);
    } else if (n.type === 'endRun' && n.findings) {
      n.findings = words(n.findings, runId);
    }
  }
  return stream;
}
