// The reader's budgets, one set per file: how much it may do (work) and how much it may build (memory),
// and how deeply what it reads may nest. Every value the interpreter builds — a list, a tuple, a dict, a
// string — is charged where it is built or grows (`+`, `+=`, `*`, `append`, `extend`, `insert`, dict
// updates, comprehensions, slices, spreads, `*args`...), before it is built, so no file can make the
// reader allocate more than MAX_MEMORY (estimated bytes, counted cumulatively: what is freed again is
// not given back) or run more than MAX_WORK steps. Past a budget the reader stops, and the file is
// refused on the line where it stopped ("too large to follow statically: line N (...)"): nothing after
// it is dropped silently. Together with MAX_SOURCE_CHARS (types.ts) they keep any file the editor opens
// to ≤ 2 s and ≤ 256 MB of heap (test/unit/readerBounds.test.ts measures that on generated files).
import type { Span } from './ast';

/**
 * Steps of reading per file: each statement and expression evaluated, each element scanned (`in`,
 * `sorted`, `sum`...), each AST node walked by an analysis (a loop's "does it train?"), each probe of a
 * loop condition. Real model files take a few thousand; 2,000,000 is read in well under a second.
 */
export const MAX_WORK = 2_000_000;

/**
 * Estimated bytes of the values built per file, cumulative. Real model files build a few kilobytes (a
 * 10,000-element list is 80 kB); the bound is far from the 256 MB the reader may use in all.
 */
export const MAX_MEMORY = 48 * 1024 * 1024;

/**
 * CPU time one reading may take, checked every few thousand steps: a backstop for work the steps do not
 * see one by one (a framework module that searches its records on each call). The budgets above stop
 * every generated file well before it (test/unit/readerBounds.test.ts).
 */
export const MAX_CPU_MS = 1500;

/** Steps between two looks at the CPU time. */
const CLOCK_EVERY = 256;

/**
 * Framework values (layers, tensors, variables, models...) one file may build. The framework modules
 * keep and search them (a layer's input, the chain from the input to the output), so their number is
 * bounded too; a real model file builds a few hundred.
 */
export const MAX_NATIVES = 5000;

/** Lists, tuples and dicts nested deeper than this (a list in a list in a list...) stop the reader. */
export const MAX_VALUE_DEPTH = 100;

/**
 * Syntax nested deeper than this (blocks in blocks, brackets in brackets: each level is one step of a
 * recursive walk) stops the reader at the line where it goes deeper. Kept well inside the JS stack.
 */
export const MAX_SYNTAX_DEPTH = 120;

/**
 * Expression evaluations and statements in progress at once, all calls included (8 user calls deep,
 * each with up to MAX_SYNTAX_DEPTH levels of syntax): what the interpreter's own recursion may reach.
 */
export const MAX_EVAL_DEPTH = 1200;

/** Estimated costs in bytes. */
export const COST = {
  /**
   * One slot of a list or tuple: a pointer, and a share of the value it holds (a number or a tuple an
   * expression made: values are only charged when they are kept in a container).
   */
  slot: 48,
  /** A list, tuple or dict object itself. */
  container: 64,
  /** One value object made for an element (a number of a range, an `(i, x)` pair of enumerate). */
  value: 48,
  /** One dict entry (the map's entry, its record and its key). */
  entry: 96,
  /** One character of a string (two-byte strings are two bytes a character). */
  char: 2,
  /** One framework value (a layer or tensor record, its shape, the calls that led to it). */
  native: 512,
} as const;

/** What stopped the reader, and where. */
export interface BudgetStop {
  span: Span;
  /** What grew, for the message: `a list of 1,048,576 elements (l + l)`. */
  what: string;
}

/** Thrown to unwind the interpreter when a budget runs out (interpret() catches it). */
export class BudgetExceeded extends Error {
  constructor(readonly stop: BudgetStop) {
    super(`too large to follow statically (${stop.what})`);
  }
}

/** CPU time of this process so far, in milliseconds (0 where there is no `process`: the reader runs anywhere). */
function cpuMs(): number {
  const p = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process;
  const u = p?.cpuUsage?.();
  return u ? (u.user + u.system) / 1000 : 0;
}

/** `1,048,576`. */
export const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** `48 MB`. */
const mb = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MB`;

/** The message of a stop, on its line: what `check`, `train FILE` and the editor show. */
export function stopMessage(line: number, what: string): string {
  return `too large to follow statically: line ${line} (${what}); Gradient Lens stopped reading the file here, so no model is read from it`;
}

/**
 * One file's budgets. `step` and `grow` throw BudgetExceeded past a bound; once stopped, every later
 * call throws again at once (code that goes on after the stop — a framework's own bookkeeping — ends too).
 */
export class Budget {
  work = 0;
  memory = 0;
  stopped?: BudgetStop;
  private readonly cpuStart = cpuMs();
  private nextClock = CLOCK_EVERY;

  constructor(readonly maxWork = MAX_WORK, readonly maxMemory = MAX_MEMORY, readonly maxCpuMs = MAX_CPU_MS) {}

  /** `n` steps of work at `at`. */
  step(at: Span, n = 1): void {
    this.work += n;
    if (this.work > this.maxWork || this.stopped) {
      this.stop(at, `reading the file takes more than ${count(this.maxWork)} steps: the loops and calls that lead here repeat too much to follow`);
    }
    if (this.work >= this.nextClock) {
      this.nextClock = this.work + CLOCK_EVERY;
      if (cpuMs() - this.cpuStart > this.maxCpuMs) {
        this.stop(at, `reading the file takes more than ${(this.maxCpuMs / 1000).toFixed(1)} s: the loops and calls that lead here repeat too much to follow`);
      }
    }
  }

  /**
   * `bytes` more of values built at `at`; `what()` describes the value that grew (only called past the
   * budget): `a list of 1,048,576 elements`.
   */
  grow(at: Span, bytes: number, what: () => string): void {
    this.memory += bytes;
    if (this.memory > this.maxMemory || this.stopped) this.stop(at, `${what()}: the values built by then pass the reader's ${mb(this.maxMemory)} budget`);
  }

  /** Another bound (nesting, framework values...) passed at `at`: `what` says which. */
  exceeded(at: Span, what: string): never {
    return this.stop(at, what);
  }

  private stop(at: Span, what: string): never {
    this.stopped ??= { span: at, what };
    throw new BudgetExceeded(this.stopped);
  }
}
