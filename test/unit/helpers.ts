// Shared by the unit tests: run the real CLI (bin/gradient-lens.js → dist/cli.js) as a user would.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

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
