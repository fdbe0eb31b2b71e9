// A small, language-neutral syntax tree that the Python and JS/TS front ends (lezer) lower into, so
// one interpreter (interpret.ts) reads every file. Offsets are UTF-16 indices into the source text
// (what lezer and VS Code use); positions.ts turns them into 1-based line/column.
import { MAX_SYNTAX_DEPTH } from './budget';

export interface Span {
  from: number;
  to: number;
}

export interface Kwarg extends Span {
  /** Keyword (Python `name=`), property key (JS `{name: ...}`) or string key of a dict literal; '' when `key` is set. */
  name: string;
  value: Expr;
  /** A dict key that is not a string literal (`{1: ..., n: ...}`): evaluated. */
  key?: Expr;
}

/** A function parameter; `rest` marks `*args` / `**kwargs` / JS `...rest`. */
export interface Param {
  name: string;
  dflt?: Expr;
  rest?: '*' | '**';
}

/** One `for target in iter` clause of a comprehension, with its `if` filters. */
export interface CompFor {
  target: Expr;
  iter: Expr;
  ifs: Expr[];
}

export type Expr =
  | (Span & { k: 'num'; v: number })
  | (Span & { k: 'str'; v: string })
  | (Span & { k: 'const'; v: null | boolean })
  | (Span & { k: 'name'; id: string })
  | (Span & { k: 'member'; obj: Expr; prop: string })
  | (Span & { k: 'index'; obj: Expr; index: Expr | undefined })
  /** `a[lo:hi:step]` inside an index. */
  | (Span & { k: 'slice'; lo?: Expr; hi?: Expr; step?: Expr })
  | (Span & { k: 'call'; callee: Expr; args: Expr[]; kwargs: Kwarg[] })
  /** List or tuple literal (also `a, b` on either side of `=`). */
  | (Span & { k: 'list'; items: Expr[]; tuple?: boolean })
  /** Dict literal (Python) or object literal (JS). */
  | (Span & { k: 'object'; entries: Kwarg[] })
  /** Arithmetic, comparison (`<`, `==`, `in`, `is`...) and boolean (`and`, `or`, `&&`, `||`) operators. */
  | (Span & { k: 'bin'; op: string; left: Expr; right: Expr })
  | (Span & { k: 'unary'; op: string; arg: Expr })
  /** `a if test else b` / `test ? a : b`. */
  | (Span & { k: 'cond'; test: Expr; then: Expr; else: Expr })
  | (Span & { k: 'lambda'; params: Param[]; body: Stmt[] })
  /** `[elt for ...]`, `{key: elt for ...}`, `(elt for ...)`. */
  | (Span & { k: 'comp'; elt: Expr; key?: Expr; fors: CompFor[]; dict?: boolean })
  /** `*xs` as a call argument (Python `f(*layers)`, JS `f(...xs)`): the items of `arg` as positional arguments. */
  | (Span & { k: 'spread'; arg: Expr })
  /** Anything the front end does not lower (comprehension oddities, syntax errors...). */
  | (Span & { k: 'other'; what: string });

export type Stmt =
  /** `a = e`, `a, b = e`, `const a = e`; targets are names, members, indexes or lists of them. */
  | (Span & { k: 'assign'; targets: Expr[]; value: Expr })
  | (Span & { k: 'expr'; e: Expr })
  /**
   * A loop. Python `for target in iter`; `while test`; JS `for (let i = countStart; i < count; i += countStep)`
   * (its count is known to the front end), `for (const target of iter)`.
   */
  | (Span & {
    k: 'loop'; iter: Expr | undefined; count: Expr | undefined; countStart?: Expr; countStep?: Expr; test?: Expr;
    target: Expr | undefined; body: Stmt[]; header: Span;
  })
  | (Span & { k: 'def'; name: string; params: Param[]; body: Stmt[] })
  | (Span & { k: 'class'; name: string; bases: Expr[]; body: Stmt[] })
  | (Span & { k: 'return'; e: Expr | undefined })
  /**
   * `import m` (binds the first segment), `import m.n as a`, `from m import x as y, z`, `from m import *`;
   * JS `import * as tf from 'm'`, `import tf from 'm'`, `import {a as b} from 'm'`.
   */
  | (Span & { k: 'import'; module: string; as?: string; names?: { name: string; as: string }[]; star?: boolean })
  /** if / elif / else: `test` is absent for the else branch. */
  | (Span & { k: 'if'; branches: { test?: Expr; body: Stmt[] }[] })
  /** with/try/...: bodies whose statements are read in order; `fnBody`: a function body read in place (a `return` ends it). */
  | (Span & { k: 'block'; body: Stmt[]; fnBody?: boolean })
  /**
   * `break` / `continue` (Python): a loop read once counts its iterations up to the first whose `if` condition
   * holds (see Interpreter.breakAt); an unrolled loop runs them.
   */
  | (Span & { k: 'break' })
  | (Span & { k: 'continue' });

/**
 * Nesting deeper than this is not lowered (fuzzed input must not overflow the stack): the front ends
 * report where it first happens and the file is refused there (budget.ts).
 */
export const MAX_DEPTH = MAX_SYNTAX_DEPTH;

/** `tf.keras.layers.Dense` for a callee made of names and members, else undefined. */
export function dottedName(e: Expr): string | undefined {
  if (e.k === 'name') return e.id;
  if (e.k === 'member') {
    const o = dottedName(e.obj);
    return o === undefined ? undefined : `${o}.${e.prop}`;
  }
  return undefined;
}

/** The last segment of a callee: `Dense` for `tf.keras.layers.Dense`, `minimize` for `opt.minimize`. */
export function lastName(e: Expr): string | undefined {
  if (e.k === 'name') return e.id;
  if (e.k === 'member') return e.prop;
  return undefined;
}

/** Offset of the first syntax error lezer recovered from (an error node), if any. */
export function firstSyntaxError(tree: { iterate(spec: { enter(node: { type: { isError: boolean }; from: number }): boolean | void }): void }): number | undefined {
  let at: number | undefined;
  tree.iterate({
    enter(node) {
      if (at !== undefined) return false;
      if (node.type.isError) at = node.from;
      return undefined;
    },
  });
  return at;
}
