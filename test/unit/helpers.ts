// Shared by the unit tests: run the real CLI (bin/gradient-lens.js → dist/cli.js) as a user would.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseSpec, type Activation, type ModelSpec } from '../../src/core/spec';

export const repoRoot = join(__dirname, '..', '..', '..');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], timeoutMs = 300_000): CliResult {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'gradient-lens.js'), ...args], { encoding: 'utf8', timeout: timeoutMs, cwd: repoRoot });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Parses the single JSON object `--json` prints; fails the test with the CLI's stderr when there is none. */
export function cliJson<T = Record<string, unknown>>(args: string[]): T {
  const r = runCli([...args, '--json']);
  if (r.status !== 0) throw new Error(`gradient-lens ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected exactly one line of JSON, got ${lines.length}: ${r.stdout.slice(0, 500)}`);
  return JSON.parse(lines[0]) as T;
}

/** A small 784-32-16-10 MLP with `activation` in both hidden layers and random (non-symmetric) init. */
export function smallMlp(activation: Activation, extra: Partial<ModelSpec> = {}): ModelSpec {
  return parseSpec({
    name: `t-${activation}`,
    layers: [
      { units: 32, activation, kernelInitializer: 'glorotNormal', biasInitializer: { type: 'randomUniform', minval: -0.1, maxval: 0.1 } },
      { units: 16, activation, kernelInitializer: 'heUniform' },
      { units: 10, activation: 'softmax', kernelInitializer: 'glorotUniform' },
    ],
    optimizer: { type: 'sgd', learningRate: 0.1 },
    steps: 20,
    ...extra,
  });
}

/** mulberry32: a small, fast, reproducible generator of numbers in [0, 1) for the fuzz tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
