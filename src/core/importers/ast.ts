// A small, language-neutral syntax tree that the Python and JS/TS front ends (lezer) lower into, so
// one interpreter (interpret.ts) reads TF1, Keras and tfjs models. Offsets are UTF-16 indices into
// the source text (what lezer and VS Code use); positions.ts turns them into 1-based line/column.

export interface Span {
  from: number;
  to: number;
}

export interface Kwarg extends Span {
  /** Keyword (Python `name=`) or property key (JS `{name: ...}` when lowered from a config object). */
  name: string;
  value: Expr;
}

export type Expr =
  | (Span & { k: 'num'; v: number })
  | (Span & { k: 'str'; v: string })
  | (Span & { k: 'const'; v: null | boolean })
  | (Span & { k: 'name'; id: string })
  | (Span & { k: 'member'; obj: Expr; prop: string })
  | (Span & { k: 'index'; obj: Expr; index: Expr | undefined })
  | (Span & { k: 'call'; callee: Expr; args: Expr[]; kwargs: Kwarg[] })
  | (Span & { k: 'list'; items: Expr[] })
  | (Span & { k: 'object'; entries: Kwarg[] })
  | (Span & { k: 'bin'; op: string; left: Expr; right: Expr })
  | (Span & { k: 'unary'; op: string; arg: Expr })
  /** Anything the front end does not lower (lambdas, comprehensions, syntax errors...). */
  | (Span & { k: 'other'; what: string });

export type Stmt =
  /** `a = e`, `a, b = e`, `const a = e`; targets are names, members or lists of them. */
  | (Span & { k: 'assign'; targets: Expr[]; value: Expr })
  | (Span & { k: 'expr'; e: Expr })
  /** A loop; `count` is set for `for _ in range(N)` / `for (let i = 0; i < N; i++)`. */
  | (Span & { k: 'loop'; iter: Expr | undefined; count: Expr | undefined; countStart?: Expr; target: Expr | undefined; body: Stmt[]; header: Span })
  | (Span & { k: 'def'; name: string; params: { name: string; dflt?: Expr }[]; body: Stmt[] })
  | (Span & { k: 'return'; e: Expr | undefined })
  /** if/with/try/class/...: bodies whose statements are read in order; `fnBody`: a function body read in place (a `return` ends it). */
  | (Span & { k: 'block'; body: Stmt[]; fnBody?: boolean });

/** Nesting deeper than this is lowered to `other` (fuzzed input must not overflow the stack). */
export const MAX_DEPTH = 120;

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
