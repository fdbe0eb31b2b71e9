// The headless command line (docs/design.md, "Command line"): the same core as the extension, no VS Code.
//   gradient-lens train [--preset NAME | --spec FILE | SOURCE_FILE] [--steps N] [--seed N]
//                       [--backend auto|tensorflow|wasm|cpu] [--data DIR] [--json] ...
//   gradient-lens train --compare seed      the seed question's five runs beside its reported numbers
//   gradient-lens check SOURCE_FILE [--json]
// Exit codes: 0 done (findings or not), 1 training failed or the output could not be written, 2 bad input
// (one line on stderr), 130 / 143 interrupted by SIGINT / SIGTERM.
// This file is the entry (dist/cli.js, loaded by bin/gradient-lens.js); the parts are in cli/: args.ts
// (options, help, did-you-mean), output.ts (every write, escaped, failures are errors), signals.ts
// (Ctrl-C, SIGTERM, the filtering child), reader.ts (the model file read in a child process),
// commands.ts (train, check, presets).
import type { BackendRequest } from './core/events';
import { MAX_STEPS, MAX_SEED } from './core/spec';
import { DataError } from './core/idx';
import { BACKEND_NAMES } from './core/events';
import { cut } from './core/untrusted';
import { HELP, USAGE, UsageError, intOption, packageVersion, parseCommandLine, unknownCommand } from './cli/args';
import { drained, err, errLine, installOutput, out, outLine, outputFailure } from './cli/output';
import { installSignalHandlers, restoreTerminal } from './cli/signals';
import { MAX_ERROR_LINE, cmdCheck, cmdPresets, cmdTrain, markEntry, type Common } from './cli/commands';

export { UsageError } from './cli/args';

let installed = false;

/** Runs the CLI in this process as its entry (bin/gradient-lens.js); resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  markEntry();
  if (!installed) {
    installed = true;
    installOutput(() => {
      // A write failed (output.ts said so on stderr if it could): nothing more can be delivered.
      restoreTerminal();
      process.exit(1);
    });
    installSignalHandlers();
  }
  const code = await runCommand(argv);
  await drained();
  await new Promise((resolve) => setImmediate(resolve)); // a write error is emitted on the next tick
  return outputFailure() ? Math.max(code, 1) : code;
}

/** The command itself, without main()'s process-wide set-up (output, signal handlers): tests call it in-process. */
export async function runCommand(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    if (argv.length === 0) {
      err(`gradient-lens: no command given\n${USAGE}Run gradient-lens --help for the options.\n`);
      return 2;
    }
    const { values, positionals } = parseCommandLine(argv);
    const [command, ...rest] = positionals;
    if (values.version) {
      outLine(packageVersion());
      return 0;
    }
    if (values.help || command === 'help') {
      out(HELP);
      return 0;
    }
    if (command === undefined) throw new UsageError('no command given (train, check, presets); see gradient-lens --help');
    const backend = values.backend as string;
    if (backend !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(backend)) throw new UsageError(`--backend must be auto, ${BACKEND_NAMES.join(', ')}; got ${JSON.stringify(cut(backend, 40))}`);
    const c: Common = {
      json, backend: backend as BackendRequest, data: values.data,
      steps: intOption('steps', values.steps, 1, MAX_STEPS), seed: intOption('seed', values.seed, 0, MAX_SEED),
      probeEvery: intOption('probe-every', values['probe-every'], 0, MAX_STEPS), evalEvery: intOption('eval-every', values['eval-every'], 0, MAX_STEPS),
      shuffle: values.shuffle ?? false,
      nativePath: values['native-backend'] ?? (process.env.GRADIENT_LENS_NATIVE_BACKEND || undefined),
      threads: intOption('threads', values.threads, 1, 256),
      argv,
    };
    switch (command) {
      case 'train': return await cmdTrain(rest, values, c);
      case 'check': return await cmdCheck(rest, c);
      case 'presets': return cmdPresets(c);
      default: throw unknownCommand(command);
    }
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    const usage = e instanceof UsageError || e instanceof DataError || error.name === 'BackendError' || error.name === 'SpecError'
      || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    // One line, cut and escaped: a 10 MB value or an escape sequence in the input must not reach the terminal as it is.
    // (parseArgs's own messages span lines that belong together: joined)
    const message = usage && !(e instanceof UsageError) && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') ? error.message.split('\n').join(' ') : String(error.message).split('\n')[0];
    errLine(`gradient-lens: ${cut(message, MAX_ERROR_LINE)}`);
    if (!usage && process.env.GRADIENT_LENS_DEBUG) err(`${error.stack}\n`);
    return usage ? 2 : 1;
  }
}
