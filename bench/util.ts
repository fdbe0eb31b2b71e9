// Helpers the TypeScript benchmarks share (ladder.ts, torchParity.ts, probeOverhead.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root (bench/*.ts run from out/bench/). */
export const root = join(__dirname, '..', '..');

/** The value after `--name` on the command line. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The median (NaN for no values). */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The PyTorch reference's Python (.venv, see the README) and whether torch imports there. */
export const torchPython = join(root, '.venv', 'bin', 'python');
export const torchAvailable = (): boolean => existsSync(torchPython) && spawnSync(torchPython, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
