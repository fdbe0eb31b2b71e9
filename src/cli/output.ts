// Everything the CLI prints goes through here, so that
// - a write that fails (ENOSPC on a full disk, EPIPE when the reader has gone, EIO, EFBIG past a size
//   limit) is an error: a line on stderr (when stderr still works) and exit 1, never a silent 0 with
//   half the output. Files and devices are written with a loop over write(2), because Node's own
//   stream for a file drops the rest of a short write (4,096 of 4,893 bytes on a nearly full disk);
// - text that may come from a user's file reaches a terminal with its control and bidi characters
//   escaped (core/untrusted.ts printable), and JSON with them as \u escapes (printableJson).
// EPIPE is an error too (issue 19): `gradient-lens train --json | head -c 10` exits 1 and says the
// reader closed the pipe, so a script never mistakes a cut-off JSON object for a result.
import { fstatSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { printable, printableJson } from '../core/untrusted';

export type StreamName = 'stdout' | 'stderr';

export interface OutputFailure {
  stream: StreamName;
  code: string;
}

type Sink = (text: string) => void;

// Until installOutput(): through process.stdout / process.stderr, as a test calling runCommand in its own
// process captures them.
const sinks: Record<StreamName, Sink> = {
  stdout: (text) => { process.stdout.write(text); },
  stderr: (text) => { process.stderr.write(text); },
};
let failure: OutputFailure | undefined;
let onFailure: ((f: OutputFailure) => void) | undefined;

export function outputFailure(): OutputFailure | undefined {
  return failure;
}

/** What an errno of a failed write means, for the one line that says so. */
export function describeWriteError(code: string): string {
  switch (code) {
    case 'ENOSPC': return 'no space left on the device';
    case 'EPIPE': return 'the reader closed the pipe (EPIPE)';
    case 'EIO': return 'input/output error (EIO)';
    case 'EFBIG': return 'the file would exceed the size limit (EFBIG)';
    case 'EDQUOT': return 'the disk quota is exhausted (EDQUOT)';
    case 'EAGAIN': return 'the output would not take more (EAGAIN)';
    default: return code;
  }
}

function fail(stream: StreamName, e: unknown): void {
  if (failure) return; // said once
  failure = { stream, code: (e as NodeJS.ErrnoException)?.code ?? 'EIO' };
  if (stream === 'stdout') {
    try {
      sinks.stderr(`gradient-lens: cannot write the output to stdout: ${describeWriteError(failure.code)}\n`);
    } catch {
      // stderr is gone too: the exit code says it
    }
  }
  onFailure?.(failure);
}

/** Writes all of `buf` to `fd`, however many write(2) calls it takes; throws the errno of the one that fails. */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  let waits = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
      waits = 0;
    } catch (e) {
      // A descriptor left non-blocking by another process: wait for room, briefly, a bounded number of times.
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || ++waits > 2000) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

function isFileLike(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFile() || (st.isCharacterDevice() && !isatty(fd)) || st.isBlockDevice();
  } catch {
    return false;
  }
}

/**
 * For the CLI process itself (main()): files and devices are written synchronously and completely,
 * pipes and terminals through Node's streams with their errors caught; any failure calls `then`
 * (main() exits 1 there) after the line on stderr.
 */
export function installOutput(then: (f: OutputFailure) => void): void {
  onFailure = then;
  failure = undefined;
  for (const [name, fd, stream] of [['stdout', 1, process.stdout], ['stderr', 2, process.stderr]] as const) {
    // Also for what is written to the stream directly (the progress bar, a warning of Node's).
    stream.on('error', (e) => fail(name, e));
    if (isFileLike(fd)) {
      sinks[name] = (text) => {
        if (failure?.stream === name) return;
        try {
          writeAll(fd, Buffer.from(text, 'utf8'));
        } catch (e) {
          fail(name, e);
        }
      };
    } else {
      sinks[name] = (text) => {
        if (failure?.stream === name || stream.destroyed) return;
        try {
          stream.write(text, (e) => { if (e) fail(name, e); });
        } catch (e) {
          fail(name, e);
        }
      };
    }
  }
}

/** Waits until what was written has been handed to the OS (or has failed). */
export function drained(): Promise<void> {
  const pending = [process.stdout, process.stderr].filter((s) => !s.destroyed && s.writable && s.writableLength > 0);
  return Promise.all(pending.map((s) => new Promise<void>((resolve) => {
    try {
      s.write('', () => resolve());
    } catch {
      resolve();
    }
  }))).then(() => undefined);
}

/** Text the CLI itself wrote (help, a table whose cells were made printable), as it is. */
export function out(text: string): void {
  sinks.stdout(text);
}

/** One line for a person on stdout: control and bidi characters (newlines too) escaped. */
export function outLine(text = ''): void {
  sinks.stdout(`${printable(text)}\n`);
}

/** A value as one line of JSON on stdout (terminal-acting characters as \u escapes; the same JSON value). */
export function outJson(value: unknown): void {
  sinks.stdout(`${printableJson(value)}\n`);
}

/** Text for stderr as it is (the CLI's own text, or the training child's already escaped output). */
export function err(text: string): void {
  sinks.stderr(text);
}

/** One line for a person on stderr, escaped like outLine. */
export function errLine(text: string): void {
  sinks.stderr(`${printable(text)}\n`);
}
