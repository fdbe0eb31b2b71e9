// Renders the marketplace icon (media/icon.png, 256 × 256; the marketplace refuses SVG icons) from the
// SVG below with Debian's chromium through playwright-core. Run after changing the drawing:
//   node scripts/renderIcon.mjs            (writes media/icon.png)
// The drawing: a lens over a layer's gradient histogram — most bars alive, one flat at zero.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'media', 'icon.png');
const SIZE = 256;

const bars = [0.35, 0.62, 0.9, 0.74, 0.48, 0.04, 0.56, 0.3];
const barW = 13;
const gap = 5;
const x0 = 128 - (bars.length * barW + (bars.length - 1) * gap) / 2 - 14;
const base = 150;
const barSvg = bars.map((h, i) => {
  const height = Math.max(3, Math.round(h * 68));
  const x = x0 + i * (barW + gap);
  const dead = h < 0.1;
  return `<rect x="${x}" y="${base - height}" width="${barW}" height="${height}" rx="2.5" fill="${dead ? '#f14c4c' : 'url(#bar)'}"/>`;
}).join('');

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 256 256">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#23304a"/><stop offset="1" stop-color="#111826"/></linearGradient>
    <linearGradient id="bar" x1="0" y1="1" x2="0" y2="0"><stop offset="0" stop-color="#3794ff"/><stop offset="1" stop-color="#75e0c5"/></linearGradient>
    <clipPath id="lens"><circle cx="114" cy="114" r="70"/></clipPath>
  </defs>
  <rect x="8" y="8" width="240" height="240" rx="48" fill="url(#bg)"/>
  <circle cx="114" cy="114" r="70" fill="#0b1220"/>
  <g clip-path="url(#lens)">
    <line x1="44" y1="150.5" x2="184" y2="150.5" stroke="#51607a" stroke-width="2"/>
    ${barSvg}
    <path d="M52 92 C 80 70, 100 120, 128 96 S 170 80, 184 88" fill="none" stroke="#ffcc66" stroke-width="5" stroke-linecap="round"/>
  </g>
  <circle cx="114" cy="114" r="70" fill="none" stroke="#dfe7f5" stroke-width="12"/>
  <path d="M166 166 L212 212" stroke="#dfe7f5" stroke-width="22" stroke-linecap="round"/>
</svg>`;

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const executablePath = process.env.CHROMIUM_PATH || spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).stdout.trim();
if (!executablePath) throw new Error('chromium not found (apt-get install chromium, or set CHROMIUM_PATH)');
const profile = mkdtempSync(join(tmpdir(), 'gradient-lens-icon-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath, headless: true, viewport: { width: SIZE, height: SIZE }, deviceScaleFactor: 1,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
});
try {
  const page = browser.pages()[0] ?? await browser.newPage();
  await page.setContent(`<!DOCTYPE html><html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: out, omitBackground: true });
  console.log(`renderIcon: ${out}`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
