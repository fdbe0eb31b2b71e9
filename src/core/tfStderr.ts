// libtensorflow (under @tensorflow/tfjs-node) writes log lines straight to file descriptor 2 — at
// start-up even with TF_CPP_MIN_LOG_LEVEL=2 or 3:
//   WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
//   I0000 00:00:1796111115.259222   14219 port.cc:153] oneDNN custom operations are on. …
// Native writes cannot be intercepted inside the process, so whoever reads a process's stderr sorts
// them out: the CLI (which runs native training in a child whose stderr it filters) and the extension
// host (which logs them to the log channel, outside the error tail of a crashed run).

/** Severity of a TensorFlow log line: I(nfo), W(arning), E(rror), F(atal); absl's preamble is info. */
export type TfLogSeverity = 'info' | 'warning' | 'error' | 'fatal';

const ABSL_PREAMBLE = /^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR\s*$/;
// absl / glog format: <severity><MMDD> <hh:mm:ss.micros> <thread id> <file>:<line>] <message>
const ABSL_LINE = /^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w.+-]+:\d+\] /; // seconds: absl counts from 0 before its clock is set
// The second line of cpu_feature_guard's notice (printed as two lines).
const CPU_FEATURE_CONTINUATION = /^To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\.\s*$/;
const SEVERITY: Record<string, TfLogSeverity> = { I: 'info', W: 'warning', E: 'error', F: 'fatal' };

/** The severity when `line` is a log line of libtensorflow, else undefined. */
export function tensorFlowLogSeverity(line: string): TfLogSeverity | undefined {
  if (ABSL_PREAMBLE.test(line) || CPU_FEATURE_CONTINUATION.test(line)) return 'info';
  const m = ABSL_LINE.exec(line);
  return m ? SEVERITY[m[1]] : undefined;
}

const LINE_STARTS = ['WARNING: All log messages before absl::InitializeLog()', 'To enable the following instructions:'];

/** Could `partial` (a line still being written) become a TensorFlow line? Then it is held back. */
function mayBecomeTensorFlowLine(partial: string): boolean {
  if (/^[IWEF](\d|$)/.test(partial)) return true;
  return LINE_STARTS.some((start) => start.startsWith(partial) || partial.startsWith(start));
}

/**
 * Splits a stderr byte stream into what passes through and TensorFlow's notices. Text that cannot be
 * part of a TensorFlow line is passed on at once, unfinished lines included (a progress bar redraws
 * without newlines); only a partial line that may still become one is held until it is complete.
 */
export class TensorFlowStderrFilter {
  private held = '';

  constructor(private readonly out: { pass(text: string): void; notice(line: string, severity: TfLogSeverity): void }) {}

  push(chunk: string): void {
    const text = this.held + chunk;
    this.held = '';
    const lines = text.split('\n');
    const last = lines.pop() ?? '';
    let passed = '';
    for (const line of lines) {
      const sev = tensorFlowLogSeverity(line);
      if (sev === 'info' || sev === 'warning') {
        if (passed) this.out.pass(passed);
        passed = '';
        this.out.notice(line, sev);
      } else {
        passed += `${line}\n`;
      }
    }
    if (last && mayBecomeTensorFlowLine(last)) this.held = last;
    else passed += last;
    if (passed) this.out.pass(passed);
  }

  /** At the end of the stream: whatever is held was not a TensorFlow line after all. */
  end(): void {
    if (!this.held) return;
    const sev = tensorFlowLogSeverity(this.held);
    if (sev === 'info' || sev === 'warning') this.out.notice(this.held, sev);
    else this.out.pass(this.held);
    this.held = '';
  }
}
