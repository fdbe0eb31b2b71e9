// The command line's words: its options, the help, --version, and the checks of what a person typed
// (an unknown option is named with the nearest known one: "unknown option --stpes (did you mean --steps?)").
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cut } from '../core/untrusted';

/** Bad input: one line on stderr, exit 2. */
export class UsageError extends Error {}

export const USAGE = `Usage:
  gradient-lens train [--preset NAME | --spec FILE | SOURCE_FILE] [options]
  gradient-lens train --compare seed [options]
  gradient-lens train [--preset NAME | --spec FILE | SOURCE_FILE] --sweep init|learningRate|activation [options]
  gradient-lens check SOURCE_FILE [--json]
  gradient-lens presets
  gradient-lens --help | --version
`;

export const HELP = `Gradient Lens: train small MLPs on MNIST and see why they learn or fail.

${USAGE}
Options for train:
  --preset NAME         a built-in run (see \`gradient-lens presets\`); default seed-mlp-zeros
  --spec FILE           a JSON model spec (docs/design.md, "Model spec")
  SOURCE_FILE           a model defined in TF1-style Python, Keras, PyTorch, tfjs JS/TS or a .json spec
  --compare seed        run the five seed presets and print them beside the seed's numbers
  --sweep KIND          train variants of the model together and compare them: init (its own kernel
                        initializer, then zeros, N(0, 1), U(±0.01), Glorot uniform, He normal on the
                        hidden layers), learningRate (as written, × 0.1, × 10) or activation (its own,
                        then relu, tanh, sigmoid, leakyRelu, elu on the hidden layers); each variant's
                        numbers are those it gets alone
  --steps N             override the spec's step count
  --seed N              override the spec's seed
  --backend B           auto (default) | tensorflow | wasm | cpu
  --data DIR            folder with the MNIST IDX files (raw or .gz); default: the embedded copy
  --probe-every N       probe every N steps (default 50; 0 disables diagnostics)
  --eval-every N        evaluate on the test set every N steps (default: only at the end)
  --shuffle             shuffle each epoch (from the seed) instead of taking batches in order
  --native-backend DIR  where @tensorflow/tfjs-node is installed (default: $GRADIENT_LENS_NATIVE_BACKEND,
                        else next to this CLI; scripts/nativeBackend.mjs provisions one offline)
  --threads N           TensorFlow intra-op threads on the tensorflow backend (default: half the
                        cores, 1 to 4; or TF_NUM_INTRAOP_THREADS)
  --json                print exactly one JSON object on stdout

Exit codes: 0 done, 1 training failed or the output could not be written, 2 bad input,
130 / 143 interrupted (SIGINT / SIGTERM). The contracts (spec, findings, JSON output, backends):
docs/design.md in the repository.
`;

const OPTIONS = {
  preset: { type: 'string' }, spec: { type: 'string' }, compare: { type: 'string' }, sweep: { type: 'string' },
  steps: { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string', default: 'auto' },
  data: { type: 'string' }, 'probe-every': { type: 'string' }, 'eval-every': { type: 'string' },
  shuffle: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' },
  'native-backend': { type: 'string' }, threads: { type: 'string' },
} as const;

export const COMMANDS = ['train', 'check', 'presets', 'help'] as const;

/**
 * Edit distance with adjacent transpositions (optimal string alignment): "stpes" → "steps" is 1, a
 * swapped pair being the commonest typo.
 */
export function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3 && Math.min(a.length, b.length) > 0) return Math.abs(a.length - b.length);
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The known word nearest to `typed`, when it is near enough to be a typo (at most 2 edits, and fewer than half its letters). */
export function nearest(typed: string, known: readonly string[]): string | undefined {
  if (typed.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(typed.toLowerCase(), k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= 2 && bestDistance < Math.max(2, best.length / 2) ? best : undefined;
}

const unknownOption = (token: string): UsageError => {
  const name = token.replace(/^--?/, '').split('=')[0];
  const guess = token.startsWith('--') ? nearest(name, Object.keys(OPTIONS)) : undefined;
  return new UsageError(`unknown option ${cut(token.split('=')[0], 40)}${guess ? ` (did you mean --${guess}?)` : ''}; see gradient-lens --help`);
};

export type ParsedArgs = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>>;

/** The command line as options and positionals; an unknown option is a UsageError naming the nearest known one. */
export function parseCommandLine(argv: string[]): ParsedArgs {
  // Before parseArgs, whose message for an unknown option is about '--' and positionals.
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a.startsWith('--')) {
      const name = a.slice(2).split('=')[0];
      const known = Object.prototype.hasOwnProperty.call(OPTIONS, name) ? OPTIONS[name as keyof typeof OPTIONS] : undefined;
      if (!known) throw unknownOption(a);
      if (known.type === 'string' && !a.includes('=')) i++; // its value, whatever it looks like
    } else if (a.startsWith('-') && a !== '-' && a !== '-h') {
      throw unknownOption(a);
    }
  }
  return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
}

/** "unknown command "trian" (did you mean train?)". */
export function unknownCommand(command: string): UsageError {
  const guess = nearest(command, COMMANDS.filter((c) => c !== 'help'));
  return new UsageError(`unknown command ${JSON.stringify(cut(command, 40))} (${guess ? `did you mean ${guess}? ` : ''}commands: train, check, presets)`);
}

/** A whole number option: decimal digits only (no "", "1e12", "0x10", " 5"), from min to max. */
export function intOption(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const quoted = JSON.stringify(cut(raw, 40));
  if (!/^[0-9]{1,16}$/.test(raw)) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} written in digits, got ${quoted}`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${quoted}`);
  return n;
}

/** The version in the package.json beside the bundle (dist/cli.js) or the transpiled tree (out/src/cli). */
export function packageVersion(): string {
  for (const file of [join(__dirname, '..', 'package.json'), join(__dirname, '..', '..', '..', 'package.json')]) {
    try {
      if (!existsSync(file)) continue;
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'gradient-lens' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not ours; try the next
    }
  }
  return 'unknown';
}
