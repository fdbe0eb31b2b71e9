// The language core: reads a lowered program (ast.ts) by abstract interpretation, knowing only the
// language — values (numbers, strings, lists, dicts, functions, classes and their instances, ranges),
// scopes, calls with defaults / keywords / *args, `self` and `this` attributes, indexing, `if` with
// known conditions, loops, imports. It knows nothing of TensorFlow, Keras or tfjs: every name that comes
// from a library (an import, or a conventional global such as `tf`) is a `ref` with a canonical dotted
// path, and calling it asks the `Library` (frameworks/registry.ts), which the framework modules fill.
// Framework values (tensors, layers, models...) are `native` values that implement `Native`.
//
// Statements run once, in order. Loops: a loop whose body builds the model (no training call in it,
// see Library.isTrainingCall) and whose length is known and small is unrolled with its real values; any
// other loop runs its body once, and its length — `range(...)`, a list, `len(...)`, a `while i < N` whose
// counter moves by a constant — is on the loop stack, so a training step recorded inside knows how
// many times it runs. Anything not followed becomes a note at its span; nothing throws on odd input.
import { type Expr, type Param, type Span, type Stmt, dottedName, lastName } from './ast';
import { type BudgetStop, Budget, BudgetExceeded, COST, MAX_EVAL_DEPTH, MAX_NATIVES, MAX_VALUE_DEPTH, count } from './budget';

export type Dialect = 'python' | 'js';

/** A framework value (a tensor, a layer, a model, an optimizer...): what it does is up to its module. */
export interface Native {
  /** For messages and debugging: `tensor`, `layer`, `model`... */
  readonly kind: string;
  /** `obj.name` (undefined: not known). */
  attr?(name: string, host: Host, at: Span): Val | undefined;
  /** `obj.name(...)`; undefined when not handled (then `attr` is tried and its value called). */
  method?(name: string, call: Call, host: Host): Val | undefined;
  /** `obj(...)`. */
  call?(call: Call, host: Host): Val;
  /** `obj <op> other` (`left`: obj is the left operand; `otherAt`: the other operand in the source); undefined when not handled. */
  binary?(op: string, other: Val, left: boolean, host: Host, at: Span, otherAt: Span): Val | undefined;
  /** `-obj`, `not obj`... */
  unary?(op: string, host: Host, at: Span): Val | undefined;
  /** `obj[index]`. */
  index?(index: Val, host: Host, at: Span): Val | undefined;
  /** `obj[lo:hi]` (numbers when written and known; `length` when `hi` is written as `lo + n`). */
  slice?(lo: number | undefined, hi: number | undefined, host: Host, length?: number): Val | undefined;
  /** `len(obj)`, and how many times `for x in obj` runs. */
  len?(host: Host): number | undefined;
  /** The value a `for x in obj` loop binds (one representative element). */
  element?(host: Host): Val | undefined;
  /**
   * All its elements in order, when it is a container whose contents are known (a framework's list of
   * layers): `for x in obj` then runs for each of them, and `list(obj)`, `enumerate(obj)`, `f(*obj)`,
   * comprehensions... see them. Undefined: iterated through `len` / `element` only.
   */
  elements?(host: Host): Val[] | undefined;
  /** `obj.name = v`; true when handled (else the assignment binds the dotted name in the scope). */
  setAttr?(name: string, v: Val, host: Host, at: Span): boolean;
  /** `isinstance(obj, C)` for a library class `C` given by canonical path; undefined: not known. */
  instanceOf?(path: string): boolean | undefined;
  /** The canonical path of its exact class (`torch.nn.Linear`): what `type(obj)` and `obj.__class__` give. */
  readonly classPath?: string;
  /** `hasattr(obj, name)` when `attr` gives nothing (undefined: not known). */
  hasAttr?(name: string): boolean | undefined;
}

/** `enumerate(obj)` / `zip`-free iteration over a native: the same length, elements `(i, element)`. */
class EnumerateV implements Native {
  readonly kind = 'enumerate';
  constructor(private readonly inner: Native) {}
  len(host: Host): number | undefined {
    return this.inner.len?.(host);
  }
  element(host: Host): Val {
    return { t: 'list', items: [UNKNOWN, this.inner.element?.(host) ?? UNKNOWN], tuple: true };
  }
}

type SuperLookup = (owner: ClassVal, self: Val, name: string) => Val;

/** `super` inside a method: `super()` uses the method's class and `self`, `super(C, obj)` the ones given. */
class SuperCallV implements Native {
  readonly kind = 'super';
  constructor(private readonly lookup: SuperLookup, private readonly owner: ClassVal, private readonly self: Val) {}
  call(call: Call): Val {
    const [c, obj] = call.args;
    const owner = c?.t === 'class' ? c : this.owner;
    return native(new SuperV(this.lookup, owner, obj ?? this.self));
  }
}

/** The proxy `super()` returns: attributes come from the base classes of `owner`, bound to `self`. */
class SuperV implements Native {
  readonly kind = 'super object';
  constructor(private readonly lookup: SuperLookup, private readonly owner: ClassVal, private readonly self: Val) {}
  attr(name: string): Val {
    return this.lookup(this.owner, this.self, name);
  }
}

export interface FuncVal {
  t: 'func';
  name: string;
  params: Param[];
  body: Stmt[];
  scope: Scope;
  /** The statement (or lambda) it was made from: a function is "called" once any call inlines it. */
  node: Span;
  /** A bound method: the instance passed as `self` (Python) / bound to `this` (JS). */
  self?: Val;
  /** The class whose body defined it (a method): what a zero-argument `super()` in it starts from. */
  owner?: ClassVal;
}

export interface ClassVal {
  t: 'class';
  name: string;
  bases: Val[];
  attrs: Map<string, Val>;
  span: Span;
}

export interface InstanceVal {
  t: 'instance';
  cls: ClassVal;
  attrs: Map<string, Val>;
  /** Per-instance state of the library class it derives from (framework modules key it as they like). */
  data: Map<unknown, unknown>;
  span: Span;
}

export interface DictEntry {
  key: Val;
  value: Val;
  /** The `key: value` entry in the source, when written in a literal. */
  span?: Span;
  valueExpr?: Expr;
}

export type Val =
  | { t: 'num'; v: number; span?: Span }
  | { t: 'str'; v: string; span?: Span }
  | { t: 'none' }
  | { t: 'bool'; v: boolean }
  | { t: 'list'; items: Val[]; tuple?: boolean }
  | { t: 'dict'; entries: Map<string, DictEntry> }
  | { t: 'range'; start: number; stop: number; step: number }
  | FuncVal
  | ClassVal
  | InstanceVal
  /** A language builtin (`range`, `len`, `Math.sqrt`...). */
  | { t: 'builtin'; name: string }
  /** A name from a library: `path` is canonical (Library.canonical), `written` as in the source. */
  | { t: 'ref'; path: string; written: string }
  | { t: 'native'; obj: Native }
  | { t: 'unknown' };

export const UNKNOWN: Val = { t: 'unknown' };
export const NONE: Val = { t: 'none' };

/** An evaluated argument with the expression it came from. */
export interface Arg {
  v: Val;
  expr: Expr;
  /** The whole argument (`units=10`, `units: 10`) — where notes and anchors go. */
  span: Span;
}

/** A call as library handlers and natives see it: arguments evaluated once, in order. */
export interface Call {
  readonly expr: Extract<Expr, { k: 'call' }>;
  /** Canonical dotted name of the callee ('' when it is not a library name). */
  readonly path: string;
  /** The callee as written (`tf.keras.layers.Dense`), '' when it is not a dotted name. */
  readonly written: string;
  readonly args: Val[];
  readonly argExprs: Expr[];
  /** Keywords by normalised name (`kernel_initializer`, `kernelInitializer` → `kernelinitializer`); a JS trailing object literal counts as keywords. */
  readonly kw: Map<string, Arg>;
  /** Keywords as written (user functions bind them by exact name). */
  readonly named: Map<string, Arg>;
  /** Keyword `names` (normalised) first, then the positional argument `pos` (-1: none). */
  arg(pos: number, ...names: string[]): Arg | undefined;
}

/**
 * One enclosing loop: `count` when known; `training` when its body draws batches / takes steps. A branch
 * of an `if` that only some iterations take (`if i % 10 == 0:` in a 1000-step loop) is a frame too,
 * whose `count` is the share of iterations that take it (0.1).
 */
export interface LoopFrame {
  count?: number;
  header: Span;
  training: boolean;
  /** A loop over a range with a name as its target: which values it takes (to count branch shares). */
  range?: { name: string; start: number; step: number; n: number };
  /** This frame is one run of a loop that is unrolled (read once per value, see Interpreter.loop). */
  unrolled?: boolean;
  /** The loop iterates something whose elements are not known: its target is bound to an unknown value. */
  opaque?: boolean;
  /** When `count` is not known: the note that says so (default: "could not tell how many times this loop runs"). */
  unknownCount?: string;
  /** A branch's share frame: which of the (first 20,000) iterations of the loop over a range take it. */
  takes?: Uint8Array;
}

/** What the interpreter offers framework modules. `session` is the per-file state they share. */
export interface Host<S = unknown> {
  readonly dialect: Dialect;
  readonly text: string;
  readonly session: S;
  /** The enclosing loops, outermost first. */
  readonly loops: readonly LoopFrame[];
  /** The user-function calls being inlined, outermost first (a value made inside a helper knows how it was reached). */
  readonly callStack: readonly Span[];
  /** The branches of `if`s with unknown conditions being read (`from:branch`): two records on different branches of one `if` exclude each other. */
  readonly branchPath: readonly string[];
  /**
   * The conditions (test expressions) of the enclosing `if` branches that are read without their
   * condition being known, innermost last: what happens there may or may not happen.
   */
  readonly undecided: readonly Span[];
  /** An information note at `span` (deduplicated). */
  note(span: Span, message: string): void;
  /** The source at `span`, whitespace collapsed, cut at 60 characters (for messages). */
  src(span: Span): string;
  /** Calls any value (a user function, a class, a library name...) from library code (`tf.app.run(main)`). */
  callValue(f: Val, args: Val[], at: Span): Val;
  /** `v.name` with the language's rules (instances, dicts, natives, refs). */
  attr(v: Val, name: string, at: Span): Val;
  /** A module-level name (`main` for `tf.app.run()`). */
  globalValue(name: string): Val | undefined;
}

/**
 * A parameter without a default of a function that nothing in the file calls (`def inference(images,
 * hidden1_units)` in a module, a `model_fn(features, labels, mode)` given to a framework): its value is
 * not known. Attribute and index access, method calls and iteration give the same parameter back
 * (`features['x']`, `for m in net.modules()`), so frameworks can recognise where it flows (e.g. take it
 * for the model input) and name it in notes.
 */
export class UnboundParamV implements Native {
  readonly kind = 'parameter';
  constructor(readonly name: string, readonly fn: string, readonly span: Span) {}
  attr(): Val {
    return { t: 'native', obj: this };
  }
  index(): Val {
    return { t: 'native', obj: this };
  }
  /** "`hidden1_units` (a parameter of inference() with no default; inference() is never called in this file)". */
  describe(): string {
    const fn = this.fn ? `${this.fn}()` : 'a function';
    return `\`${this.name}\` (a parameter of ${fn} with no default value; ${this.fn ? `${fn} is` : 'it is'} never called in this file)`;
  }
}

/** Behaviour of instances of user classes derived from a library class (`keras.Model`, `nn.Module`). */
export interface BaseClass<S = unknown> {
  /** Runs when an instance is created, before the user's `__init__`. */
  create?(inst: InstanceVal, call: Call, host: Host<S>): void;
  /** An attribute that neither the instance nor the user's classes define (`model.compile`). */
  attr?(inst: InstanceVal, name: string, host: Host<S>, at: Span): Val | undefined;
  /** `inst.name(...)` for such attributes; undefined when not handled. */
  method?(inst: InstanceVal, name: string, call: Call, host: Host<S>): Val | undefined;
  /** `inst(...)` when the user's classes define no `__call__` (e.g. it runs `forward` / `call`). */
  call?(inst: InstanceVal, call: Call, host: Host<S>): Val | undefined;
  /** `inst.name = v` was executed. */
  setAttr?(inst: InstanceVal, name: string, v: Val, host: Host<S>): void;
  /** `hasattr(inst, name)` for a name that neither the instance nor the user's classes define (undefined: not known). */
  hasAttr?(inst: InstanceVal, name: string): boolean | undefined;
  /** Runs when an instance is created, after the user's `__init__` (e.g. to read the layers it made). */
  initialized?(inst: InstanceVal, call: Call, host: Host<S>): void;
}

/** The libraries a file may use, as the interpreter sees them (frameworks/registry.ts builds it). */
export interface Library<S = unknown> {
  /** Canonical form of a dotted path (`tensorflow.compat.v1.nn.relu` → `tensorflow.nn.relu`). */
  canonical(path: string): string;
  /** The canonical root of an imported module (`@tensorflow/tfjs` → `tfjs`), undefined: use the name. */
  module(name: string, dialect: Dialect): string | undefined;
  /** The canonical path of a name used without being defined or imported (`tf` in a browser script). */
  global(name: string, dialect: Dialect): string | undefined;
  /** Whether a canonical path names something the library reads (for `from m import *`). */
  knows(path: string): boolean;
  /** Calls a library name; undefined when no module handles it. */
  call(call: Call, host: Host<S>): Val | undefined;
  /** The value of a library name that is not called (`math.pi`); undefined: a ref. */
  value?(path: string, host: Host<S>): Val | undefined;
  /** A library class that user classes derive from. */
  baseClass(path: string): BaseClass<S> | undefined;
  /** Whether the library class `path` derives from the library class `base` (both canonical; undefined: not known). */
  isSubclass?(path: string, base: string): boolean | undefined;
  /** `x.name(...)` on a value the interpreter does not know (`value`: a parameter nothing binds, when that is what it is); undefined: not handled. */
  unknownMethod?(name: string, receiver: Expr, call: Call, host: Host<S>, value?: Val): Val | undefined;
  /** `a.b.c` on a value that is not known, by its dotted name (`mnist.train.num_examples`). */
  unknownMember?(dotted: string, host: Host<S>): Val | undefined;
  /** A call (by the last segment of its name, normalised) that trains: a loop around it is a training loop. */
  isTrainingCall(name: string): boolean;
}

/** Normalised names: `random_uniform`, `randomUniform`, `RandomUniform` → `randomuniform`. */
export const norm = (s: string): string => s.replace(/_/g, '').toLowerCase();

export class Scope {
  private readonly vars = new Map<string, Val>();
  constructor(readonly parent?: Scope) {}
  get(name: string): Val | undefined {
    return this.vars.get(name) ?? this.parent?.get(name);
  }
  set(name: string, v: Val): void {
    this.vars.set(name, v);
  }
  has(name: string): boolean {
    return this.vars.has(name) || (this.parent?.has(name) ?? false);
  }
  entries(): IterableIterator<[string, Val]> {
    return this.vars.entries();
  }
}

export interface Note {
  span: Span;
  message: string;
}

/** A call the reader did not follow: a library name no module reads (`path`), or a value not known. */
export interface Unfollowed {
  span: Span;
  /** The library name's canonical path, when it is one. */
  path?: string;
  /** The callee as written (cut for messages). */
  written: string;
  /** A framework value that carries the model's data (the input, a tensor, a layer) is passed to it. */
  takesData: boolean;
  /** Called on, or calling, what another call not followed gave (`model.fit(x)` after `model = load_model(f)`): that call. */
  from?: Unfollowed;
}

export interface InterpretOptions<S> {
  dialect: Dialect;
  text: string;
  library: Library<S>;
  session: S;
  /** The file's budgets (budget.ts); a fresh one when not given. */
  budget?: Budget;
}

/**
 * Runs the program. Everything the framework modules found is in `session`; `notes` (what was not
 * followed) keeps growing while `host` is used afterwards (e.g. to note what picking the model found).
 * `stopped`: a budget ran out there (budget.ts) and the reading stopped: the file is refused.
 */
export function interpret<S>(program: Stmt[], options: InterpretOptions<S>): { notes: Note[]; host: Host<S>; stopped?: BudgetStop; unfollowed: Unfollowed[]; trains?: boolean } {
  const it = new Interpreter(options);
  try {
    it.run(program);
  } catch (e) {
    if (e instanceof BudgetExceeded) return { notes: it.notes, host: it, stopped: e.stop, unfollowed: it.unfollowed };
    // The JS stack ran out after all (the bounds above are meant to make this unreachable): stop on the statement being read.
    if (e instanceof RangeError && /call stack/i.test(e.message)) return { notes: it.notes, host: it, stopped: { span: it.at, what: 'nested too deeply to follow' }, unfollowed: it.unfollowed };
    throw e;
  }
  return { notes: it.notes, host: it, unfollowed: it.unfollowed, trains: it.programTrains };
}

class ReturnSignal {
  constructor(readonly value: Val) {}
}

/** A `break` / `continue` run in an unrolled loop. */
class LoopSignal {
  constructor(readonly kind: 'break' | 'continue') {}
}

const MAX_CALL_DEPTH = 8;
/**
 * Loops that build the model are unrolled up to this many iterations (enough for an init loop over the
 * modules of the largest model the spec allows: 16 layers, each with an activation, a norm and a dropout).
 */
const MAX_UNROLL = 128;
/** Lists longer than this are not materialised from a count (`range(60000)` stays a range, `[0] * 100000` is not followed). */
const MAX_LIST = 10_000;

/** Calls not followed kept per file (the first ones are the ones named). */
const MAX_UNFOLLOWED = 64;
/** Framework values (Native.kind) that carry the model's data: passed to a call not followed, the model is lost there. */
const DATA_KINDS = new Set(['tensor', 'placeholder', 'data', 'MNIST split', 'layer']);

/** Keywords (normalised) that say how many times a callee calls the step function it is given. */
const CALLBACK_COUNTS = new Set(['iterations', 'iters', 'numiterations', 'niter', 'niters', 'steps', 'numsteps', 'nsteps', 'maxsteps', 'trainsteps', 'epochs', 'numepochs', 'nepochs', 'times', 'repeat', 'repeats']);

/** Calls (normalised last names) that run a whole training by themselves (epochs of batches). */
const WHOLE_TRAINING = new Set(['fit', 'fitdataset', 'fitgenerator']);

const PY_BUILTINS = new Set([
  'range', 'xrange', 'len', 'int', 'float', 'round', 'abs', 'min', 'max', 'sum', 'enumerate', 'zip', 'list', 'tuple', 'dict', 'print',
  'super', 'sorted', 'reversed', 'str', 'bool', 'isinstance', 'getattr', 'setattr', 'hasattr', 'type', 'iter', 'next', 'map', 'open',
]);
const JS_BUILTINS = new Set(['require', 'parseInt', 'parseFloat', 'Number', 'Math', 'console', 'super', 'Array', 'Object', 'Promise', 'setTimeout']);

class Interpreter<S> implements Host<S> {
  readonly notes: Note[] = [];
  private readonly noted = new Set<string>();
  readonly dialect: Dialect;
  readonly text: string;
  readonly session: S;
  private readonly lib: Library<S>;
  readonly loops: LoopFrame[] = [];
  private callDepth = 0;
  readonly callStack: Span[] = [];
  readonly branchPath: string[] = [];
  readonly undecided: Span[] = [];
  /** Per run of an unrolled loop: where its undecided conditions start, and those a `break` carried from earlier runs. */
  private readonly iterations = new WeakMap<LoopFrame, { base: number; carried: Span[]; stuck: Span[] }>();
  /** Conditions a `break` / `continue` was read under (kept on `undecided` to the end of the iteration). */
  private readonly sticky = new Set<Span>();
  private readonly called = new Set<Span>();
  private readonly defs: FuncVal[] = [];
  /** Every function / method body in the program by name (to see whether a loop trains through helpers). */
  private readonly defsByName = new Map<string, Stmt[][]>();
  private readonly stars: string[] = [];
  private readonly calledNames = new Set<string>();
  /** The nodes of `defs` (a lambda evaluated again is not read again). */
  private readonly defNodes = new Set<Span>();
  /** The file's budgets: every step and every value built is charged (budget.ts). */
  readonly budget: Budget;
  /** The statement being read last (where a stop without a better place lands). */
  at: Span = { from: 0, to: 0 };
  /** Statements and expressions being evaluated at once (the interpreter's own recursion). */
  private depth = 0;
  /** How deeply each list, tuple and dict built here nests (1: holds no container; absent: 1). */
  private readonly depths = new WeakMap<Val, number>();
  /** Framework values seen so far (each counted once, see `fresh`). */
  private readonly natives = new WeakSet<Native>();
  private nativeCount = 0;
  /** Whether a loop body (or its statements before a `break`) trains: the walk is done once per body. */
  private readonly trainsMemo = new WeakMap<Stmt[], Map<number, boolean>>();
  private readonly global = new Scope();
  /** Set while a library calls back into user code (see callValue). */
  private libraryCall = false;
  /** The default values of the parameters of functions read without a call (run): whether each was read. */
  private readonly defaultsRead = new WeakMap<Val, { used: boolean }>();
  /** Whether the program holds a training call anywhere (Library.isTrainingCall), through its functions too. */
  programTrains = false;
  /** Calls not followed (unfollowedCall), in the order they were read. */
  readonly unfollowed: Unfollowed[] = [];
  /** The values such calls gave, and the call each came from. */
  private readonly origins = new WeakMap<Val, Unfollowed>();
  /** Set while a class nothing instantiates is read (instantiateUncalled): the defaults its constructor reads. */
  private pendingDefaults: { name: string; v: Val; used: boolean }[] | undefined;
  /** Per function being read: the value of a `return` in a branch that only some runs take. */
  private readonly softReturns: (Val | undefined)[] = [];

  constructor(o: InterpretOptions<S>) {
    this.dialect = o.dialect;
    this.text = o.text;
    this.lib = o.library;
    this.session = o.session;
    this.budget = o.budget ?? new Budget();
  }

  private addDef(f: FuncVal): void {
    this.defs.push(f);
    this.defNodes.add(f.node);
  }

  // ---- budgets (budget.ts) ------------------------------------------------------------------

  /**
   * Charges `n` slots of a list or tuple built at `at` (and `values` element objects made for it), before
   * they are built; `size`: the length it has then (for the message).
   */
  private chargeList(at: Span, n: number, values = 0, what = 'a list', size = n): void {
    this.budget.grow(at, n * COST.slot + values * COST.value, () => `${what} of ${count(size)} elements (${this.src(at)})`);
  }

  /** Charges a string of `n` characters built at `at`, before it is built. */
  private chargeStr(at: Span, n: number): void {
    this.budget.grow(at, n * COST.char + COST.value, () => `a string of ${count(n)} characters (${this.src(at)})`);
  }

  /** Charges `n` dict entries added at `at` to a dict of `size` entries then. */
  private chargeDict(at: Span, n: number, size = n): void {
    this.budget.grow(at, n * COST.entry, () => `a dict of ${count(size)} entries (${this.src(at)})`);
  }

  /**
   * A value a framework gave at `at`: a framework value not seen before is counted (MAX_NATIVES) and
   * charged; a list (`model.modules()`, `named_parameters()`) is work in proportion to its length.
   */
  private fresh(v: Val, at: Span): Val {
    if (v.t === 'list') this.budget.step(at, v.items.length);
    if (v.t === 'native' && !this.natives.has(v.obj)) {
      this.natives.add(v.obj);
      if (++this.nativeCount > MAX_NATIVES) {
        this.budget.exceeded(at, `more than ${count(MAX_NATIVES)} framework values (layers, tensors, variables...) built, the last by ${this.src(at)}: the loops and calls that build them repeat too much to follow`);
      }
      this.budget.grow(at, COST.native, () => `${count(this.nativeCount)} framework values (${this.src(at)})`);
    }
    return v;
  }

  /** How deeply a value nests containers (0: not a list, tuple or dict). */
  private depthOf(v: Val): number {
    return v.t === 'list' || v.t === 'dict' ? this.depths.get(v) ?? 1 : 0;
  }

  /** Records a container's nesting, stopping the reader past MAX_VALUE_DEPTH. */
  private nested<V extends Val>(v: V, depth: number, at: Span): V {
    if (depth > MAX_VALUE_DEPTH) {
      this.budget.exceeded(at, `a ${v.t === 'dict' ? 'dict' : v.t === 'list' && v.tuple ? 'tuple' : 'list'} nested more than ${MAX_VALUE_DEPTH} levels deep (${this.src(at)})`);
    }
    if (depth > 1) this.depths.set(v, depth);
    return v;
  }

  /** A new list or tuple of `items` built at `at` (charged: `values` of its elements are new objects). `depth`: when known without a scan. */
  private mkList(items: Val[], at: Span, tuple?: boolean, depth?: number): Extract<Val, { t: 'list' }> {
    this.budget.grow(at, COST.container, () => `a ${tuple ? 'tuple' : 'list'} of ${count(items.length)} elements (${this.src(at)})`);
    let d = depth;
    if (d === undefined) {
      d = 1;
      for (const x of items) if (x.t === 'list' || x.t === 'dict') d = Math.max(d, 1 + this.depthOf(x));
    }
    return this.nested(tuple ? { t: 'list', items, tuple: true } : { t: 'list', items }, d, at);
  }

  /** A new string built at `at` (charged; a long one is charged with chargeStr before it is built); `span`: the value's own. */
  private mkStr(v: string, at: Span, span?: Span): Val {
    this.chargeStr(at, v.length);
    return span ? { t: 'str', v, span } : { t: 'str', v };
  }

  /** A container grew by `added` (an append, an item set): its nesting, if that went deeper. */
  private deepened(container: Val, added: Val, at: Span): void {
    const d = added.t === 'list' || added.t === 'dict' ? 1 + this.depthOf(added) : 1;
    if (d > this.depthOf(container)) this.nested(container, d, at);
  }

  note(span: Span, message: string): void {
    const key = `${span.from}:${message}`;
    if (this.noted.has(key)) return;
    this.noted.add(key);
    this.notes.push({ span, message });
  }

  src(span: Span): string {
    const s = this.text.slice(span.from, span.to).replace(/\s+/g, ' ');
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  }

  run(program: Stmt[]): void {
    this.collectDefs(program, 0);
    this.programTrains = this.trains(program, new Set(), 0);
    this.collectCalls(program, 0, false);
    if (this.dialect === 'python') this.global.set('__name__', { t: 'str', v: '__main__' });
    this.runBody(program, this.global);
    // Functions never called (`def main(_)` run by a framework we do not know, `async function train()`,
    // the tutorial's `inference()` in a module): read their bodies too, parameters at their defaults.
    for (let i = 0; i < this.defs.length; i++) {
      const f = this.defs[i];
      // A function that some other function of the file calls is read when that one is.
      if (this.called.has(f.node)) continue;
      if (f.owner && f.name === '__init__' && this.dialect === 'python') {
        // A class the file never instantiates (a model class for another file to use): one instance is made
        // with the constructor's default values, as a call without arguments would — when every parameter has one;
        // else its sizes are not known, and the framework module that knows the class says which are missing.
        if (f.params.every((p, k) => (k === 0 && (p.name === 'self' || p.name === 'cls')) || p.rest || p.dflt)) this.instantiateUncalled(f.owner);
        continue;
      }
      if (this.calledNames.has(f.name)) continue;
      this.called.add(f.node);
      const local = new Scope(f.scope);
      const defaults: { name: string; v: Val; used: boolean }[] = [];
      f.params.forEach((p, i) => {
        if (i === 0 && f.self === undefined && (p.name === 'self' || p.name === 'cls')) local.set(p.name, UNKNOWN);
        else if (p.rest) local.set(p.name, p.rest === '*' ? { t: 'list', items: [] } : { t: 'dict', entries: new Map() });
        else if (p.dflt) local.set(p.name, this.defaultValue(p.name, p.dflt, f.scope, defaults));
        else local.set(p.name, { t: 'native', obj: new UnboundParamV(p.name, f.name, f.node) });
      });
      const natives = this.nativeCount;
      this.callDepth++;
      try {
        this.runBody(f.body, local);
      } finally {
        this.callDepth--;
      }
      // Said only where the defaults may have shaped the model: the function built framework values.
      if (f.name && this.nativeCount > natives) this.noteDefaults(defaults, f.node, `${f.owner ? `${f.owner.name}.` : ''}${f.name}() is never called in this file: read with the default values of its parameters`);
    }
  }

  /** `Cls()` for a class nothing instantiates: parameters with defaults take them (noted when read), others are not known. */
  private instantiateUncalled(cls: ClassVal): void {
    this.pendingDefaults = [];
    const e: Extract<Expr, { k: 'call' }> = { k: 'call', callee: { k: 'other', what: 'value', from: cls.span.from, to: cls.span.from }, args: [], kwargs: [], from: cls.span.from, to: cls.span.from };
    const call: Call = { expr: e, path: '', written: '', args: [], argExprs: [], kw: new Map(), named: new Map(), arg: () => undefined };
    const defaults = this.pendingDefaults;
    const natives = this.nativeCount;
    this.callDepth++;
    try {
      this.instantiate(cls, call, e);
    } finally {
      this.callDepth--;
      this.pendingDefaults = undefined;
    }
    if (this.nativeCount > natives) this.noteDefaults(defaults, cls.span, `${cls.name} is never instantiated in this file: read with the default values of its constructor's parameters`);
  }

  /** Notes, at `at`, which default values were read in place of arguments. */
  private noteDefaults(defaults: { name: string; v: Val; used: boolean }[], at: Span, what: string): void {
    const used = defaults.filter((d) => d.used);
    if (used.length === 0) return;
    const shown = (v: Val): string => (v.t === 'num' ? String(v.v) : v.t === 'str' ? JSON.stringify(v.v.slice(0, 30))
      : v.t === 'bool' ? (this.dialect === 'python' ? (v.v ? 'True' : 'False') : String(v.v)) : '?');
    this.note(at, `${what} (${used.map((d) => `${d.name}=${shown(d.v)}`).join(', ')})`);
  }

  /** A parameter's default value as read for a call that does not pass it; tracked (see lookup) while `pendingDefaults` is set. */
  private defaultValue(name: string, dflt: Expr, scope: Scope, track: { name: string; v: Val; used: boolean }[] | undefined): Val {
    const d = this.eval(dflt, scope);
    if (!track || (d.t !== 'num' && d.t !== 'str' && d.t !== 'bool')) return d;
    const v: Val = { ...d };
    const rec = { name, v, used: false };
    track.push(rec);
    this.defaultsRead.set(v, rec);
    return v;
  }

  /** Names called somewhere inside a function body (a function called by another one is not a root to read alone). */
  private collectCalls(stmts: Stmt[], depth: number, inDef: boolean): void {
    if (depth > 40) return;
    const expr = (e: Expr | undefined, d: number): void => {
      if (!e || d > 200) return;
      switch (e.k) {
        case 'call': {
          const n = lastName(e.callee);
          if (n && inDef) this.calledNames.add(n);
          expr(e.callee, d + 1);
          e.args.forEach((a) => expr(a, d + 1));
          e.kwargs.forEach((k) => expr(k.value, d + 1));
          return;
        }
        case 'member': expr(e.obj, d + 1); return;
        case 'index': expr(e.obj, d + 1); expr(e.index, d + 1); return;
        case 'list': e.items.forEach((x) => expr(x, d + 1)); return;
        case 'object': e.entries.forEach((x) => expr(x.value, d + 1)); return;
        case 'bin': expr(e.left, d + 1); expr(e.right, d + 1); return;
        case 'unary': expr(e.arg, d + 1); return;
        case 'cond': expr(e.test, d + 1); expr(e.then, d + 1); expr(e.else, d + 1); return;
        case 'comp': expr(e.elt, d + 1); e.fors.forEach((f) => expr(f.iter, d + 1)); return;
        case 'lambda': this.collectCalls(e.body, depth + 1, true); return;
        default: return;
      }
    };
    for (const s of stmts) {
      switch (s.k) {
        case 'assign': expr(s.value, 0); break;
        case 'expr': expr(s.e, 0); break;
        case 'return': expr(s.e, 0); break;
        case 'def': this.collectCalls(s.body, depth + 1, true); break;
        case 'class': this.collectCalls(s.body, depth + 1, inDef); break;
        case 'loop': expr(s.iter, 0); this.collectCalls(s.body, depth + 1, inDef); break;
        case 'block': this.collectCalls(s.body, depth + 1, inDef || !!s.fnBody); break;
        case 'if': s.branches.forEach((b) => { expr(b.test, 0); this.collectCalls(b.body, depth + 1, inDef); }); break;
        default: break;
      }
    }
  }

  private collectDefs(stmts: Stmt[], depth: number): void {
    if (depth > 40) return;
    for (const s of stmts) {
      if (s.k === 'def') {
        const list = this.defsByName.get(s.name) ?? [];
        list.push(s.body);
        this.defsByName.set(s.name, list);
        this.collectDefs(s.body, depth + 1);
      } else if (s.k === 'class' || s.k === 'block' || s.k === 'loop') this.collectDefs(s.body, depth + 1);
      else if (s.k === 'if') for (const b of s.branches) this.collectDefs(b.body, depth + 1);
    }
  }

  // ---- statements ---------------------------------------------------------------------------

  /** Runs statements up to a `return` (whose value it gives). */
  private runBody(stmts: Stmt[], scope: Scope): Val {
    this.softReturns.push(undefined);
    try {
      this.block(stmts, scope);
      return this.softReturns[this.softReturns.length - 1] ?? NONE;
    } catch (r) {
      if (r instanceof ReturnSignal) return r.value;
      throw r;
    } finally {
      this.softReturns.pop();
    }
  }

  /** A branch taken only in some runs: its `return` is remembered (the first one) and reading goes on. */
  private softBlock(stmts: Stmt[], scope: Scope): void {
    try {
      this.block(stmts, scope);
    } catch (r) {
      if (!(r instanceof ReturnSignal)) throw r;
      const top = this.softReturns.length - 1;
      if (top >= 0 && this.softReturns[top] === undefined && r.value.t !== 'none') this.softReturns[top] = r.value;
    }
  }

  private block(stmts: Stmt[], scope: Scope): void {
    for (const s of stmts) this.stmt(s, scope);
  }

  private stmt(s: Stmt, scope: Scope): void {
    this.budget.step(s);
    this.at = s;
    if (++this.depth > MAX_EVAL_DEPTH) this.tooDeep(s);
    try {
      this.exec(s, scope);
    } finally {
      this.depth--;
    }
  }

  /** The interpreter's own recursion went too deep here (calls within deeply nested code). */
  private tooDeep(at: Span): never {
    return this.budget.exceeded(at, `statements, expressions and calls nested more than ${MAX_EVAL_DEPTH} levels deep in all (${this.src(at)})`);
  }

  private exec(s: Stmt, scope: Scope): void {
    switch (s.k) {
      case 'assign': {
        const v = this.eval(s.value, scope);
        for (const t of s.targets) this.bind(t, v, scope);
        return;
      }
      case 'expr':
        this.eval(s.e, scope);
        return;
      case 'def': {
        const f: FuncVal = { t: 'func', name: s.name, params: s.params, body: s.body, scope, node: s };
        scope.set(s.name, f);
        if (s.name) this.addDef(f);
        return;
      }
      case 'class':
        scope.set(s.name, this.classDef(s, scope));
        return;
      case 'return':
        throw new ReturnSignal(s.e ? this.eval(s.e, scope) : NONE);
      case 'import':
        this.importStmt(s, scope);
        return;
      case 'if': {
        const shares = this.branchShares(s, scope);
        if (shares) {
          s.branches.forEach((b, i) => {
            if (shares.counts[i] === 0) return;
            this.loops.push({ count: shares.counts[i], header: b.body[0] ?? s, training: true, takes: shares.takes[i] });
            try {
              this.softBlock(b.body, scope);
            } finally {
              this.loops.pop();
            }
          });
          return;
        }
        // The conditions not known so far in this chain: every later branch depends on them too.
        const before = this.undecided.length;
        try {
          // A branch reached when the undecided conditions before it are false excludes the branches read under
          // them: it is on a branch path of its own (two training steps, one per branch, are one step per run).
          const last = (b: (typeof s.branches)[number]): void => {
            const path = this.undecided.length > before;
            if (path) this.branchPath.push(`${s.from}:${s.branches.indexOf(b)}`);
            try {
              this.block(b.body, scope);
            } finally {
              if (path) this.branchPath.pop();
            }
          };
          for (const b of s.branches) {
            if (!b.test) {
              last(b);
              return;
            }
            const t = this.truthy(this.eval(b.test, scope));
            if (t === true) {
              last(b);
              return;
            }
            // Unknown condition: both ways happen in some run, read this branch and go on (a `return` in it
            // is one possible result of the function, not the end of the reading).
            if (t === undefined) {
              this.branchPath.push(`${s.from}:${s.branches.indexOf(b)}`);
              this.undecided.push(b.test);
              try {
                this.softBlock(b.body, scope);
              } finally {
                this.branchPath.pop();
              }
            }
          }
        } finally {
          // A `break` / `continue` under one of these conditions keeps it for the rest of the iteration.
          const keep = this.undecided.slice(before).filter((c) => this.sticky.has(c));
          this.undecided.length = before;
          this.undecided.push(...keep);
        }
        return;
      }
      case 'block':
        if (!s.fnBody) this.block(s.body, scope);
        else this.runBody(s.body, new Scope(scope));
        return;
      case 'loop':
        this.loop(s, scope);
        return;
      case 'break': case 'continue': {
        // In a loop read once, a break is read by breakAt when the loop starts; in an unrolled one it runs.
        const frame = this.loops[this.loops.length - 1];
        const it = frame?.unrolled ? this.iterations.get(frame) : undefined;
        if (!it) return;
        const conds = this.undecided.slice(it.base + it.carried.length);
        if (conds.length === 0) throw new LoopSignal(s.k);
        // Under a condition not known: it may or may not happen, so what follows in this iteration (and, for a
        // break, in every later one) is read as depending on that condition.
        const cond = conds[conds.length - 1];
        this.note(cond, s.k === 'break'
          ? `could not tell when this \`break\` happens (${this.src(cond)}): the loop's full count is used`
          : `could not tell when this \`continue\` happens (${this.src(cond)}): the rest of the loop body is read in every iteration, as depending on that condition`);
        for (const c of conds) {
          this.sticky.add(c);
          it.stuck.push(c);
        }
        if (s.k === 'break') for (const c of conds) if (!it.carried.includes(c)) it.carried.push(c);
        return;
      }
    }
  }

  /**
   * Inside a training loop over a range, an `if` whose conditions depend on the loop variable: the share
   * of iterations that take each branch (evaluated for the loop's values; the first 20,000 of them).
   */
  private branchShares(s: Extract<Stmt, { k: 'if' }>, scope: Scope): { counts: number[]; takes: Uint8Array[] } | undefined {
    // The loop over a range, and the branches of such `if`s between it and here (`if i % 10 == 0: … else:
    // if i % 100 == 99: …`): a nested branch's share is of the iterations that reach it.
    let k = this.loops.length - 1;
    const outer: Uint8Array[] = [];
    while (k >= 0 && !this.loops[k].range && this.loops[k].takes) outer.push(this.loops[k--].takes!);
    const frame = this.loops[k];
    const r = frame?.range;
    if (!r || !frame.training || r.n === 0) return undefined;
    if (s.branches.some((b) => b.test && !this.mentions(b.test, r.name, 0))) return undefined;
    const probe = new Scope(scope);
    const n = Math.min(r.n, 20_000);
    const counts = s.branches.map(() => 0);
    const takes = s.branches.map(() => new Uint8Array(n));
    let reached = 0;
    for (let i = 0; i < n; i++) {
      if (outer.some((o) => !o[i])) continue;
      reached++;
      probe.set(r.name, { t: 'num', v: r.start + i * r.step });
      let taken = -1;
      for (let j = 0; j < s.branches.length && taken < 0; j++) {
        const test = s.branches[j].test;
        const t = test ? this.truthy(this.eval(test, probe)) : true;
        if (t === undefined) return undefined;
        if (t) taken = j;
      }
      if (taken >= 0) {
        counts[taken]++;
        takes[taken][i] = 1;
      }
    }
    return { counts: counts.map((c) => (reached === 0 ? 0 : c / reached)), takes };
  }

  /** Whether `e` reads the name `id` (and calls nothing, so evaluating it has no effect). */
  private mentions(e: Expr, id: string, d: number): boolean {
    if (d > 50) return false;
    const pure = (x: Expr): boolean => x.k === 'num' || x.k === 'str' || x.k === 'const' || x.k === 'name' || (x.k === 'member' && pure(x.obj))
      || (x.k === 'bin' && pure(x.left) && pure(x.right)) || (x.k === 'unary' && pure(x.arg));
    const has = (x: Expr): boolean => (x.k === 'name' && x.id === id) || (x.k === 'bin' && (has(x.left) || has(x.right))) || (x.k === 'unary' && has(x.arg));
    return pure(e) && has(e);
  }

  private importStmt(s: Extract<Stmt, { k: 'import' }>, scope: Scope): void {
    const root = (name: string): string => this.lib.canonical(this.lib.module(name, this.dialect) ?? name);
    if (s.star) {
      this.stars.push(root(s.module));
      return;
    }
    if (s.names) {
      for (const n of s.names) {
        const path = this.lib.canonical(`${root(s.module)}.${n.name}`);
        scope.set(n.as, { t: 'ref', path, written: n.as });
      }
      return;
    }
    if (s.as) scope.set(s.as, { t: 'ref', path: root(s.module), written: s.as });
    else {
      // `import a.b.c` binds `a`.
      const first = s.module.split('.')[0];
      scope.set(first, { t: 'ref', path: root(first), written: first });
    }
  }

  private classDef(s: Extract<Stmt, { k: 'class' }>, scope: Scope): ClassVal {
    const bases = s.bases.map((b) => this.eval(b, scope));
    const body = new Scope(scope);
    const before = this.defs.length;
    this.block(s.body, body);
    for (const f of this.defs.splice(before)) this.defNodes.delete(f.node);
    const attrs = new Map<string, Val>();
    const cls: ClassVal = { t: 'class', name: s.name, bases, attrs, span: s };
    for (const [k, v] of body.entries()) {
      // Methods close over the enclosing scope, not the class body (Python's rule).
      attrs.set(k, v.t === 'func' ? { ...v, scope, owner: cls } : v);
    }
    // A method is "called" only when something calls it; the class statement itself calls nothing.
    for (const v of attrs.values()) if (v.t === 'func') this.addDef(v);
    return cls;
  }

  /**
   * `super().name` / `super(C, self).name` in a method of `owner`: the first base class (depth first)
   * that defines `name`, bound to `self`. A library base (`nn.Module.__init__`) has nothing to run.
   */
  private superAttr(owner: ClassVal, self: Val, name: string): Val {
    for (const b of owner.bases) {
      if (b.t === 'class') {
        const v = this.classAttr(b, name, 0);
        if (v) return v.t === 'func' ? { ...v, self } : v;
      }
    }
    return { t: 'builtin', name: `super.${name}` };
  }

  private loop(s: Extract<Stmt, { k: 'loop' }>, scope: Scope): void {
    let count: number | undefined;
    let items: Val[] | undefined;
    /** A counted loop or a range of at most MAX_LIST values: its values, made only when the loop is unrolled. */
    let ranged: { start: number; step: number } | undefined;
    let element: Val = UNKNOWN;
    if (s.count) {
      const n = this.num(s.count, scope);
      const start = s.countStart ? this.num(s.countStart, scope) : 0;
      const step = s.countStep ? this.num(s.countStep, scope) : 1;
      if (n !== undefined && start !== undefined && step !== undefined && step > 0 && Number.isFinite(n - start)) {
        count = Math.max(0, Math.ceil((n - start) / step));
        if (count <= MAX_LIST) ranged = { start, step };
      }
    } else if (s.iter) {
      const it = this.eval(s.iter, scope);
      count = this.len(it);
      if (it.t === 'range') {
        if (count !== undefined && count <= MAX_LIST) ranged = { start: it.start, step: it.step };
      } else items = this.items(it);
      if (it.t === 'native') element = it.obj instanceof UnboundParamV ? it : it.obj.element?.(this) ?? UNKNOWN;
    } else if (s.test) {
      count = this.whileCount(s.test, s.body, scope);
    }
    const training = this.trainsOnce(s.body, 0, () => this.trains(s.body, new Set(), 0));
    const unrolls = (n: number | undefined) => !training && n !== undefined && (items !== undefined || ranged !== undefined) && n <= MAX_UNROLL;
    if (!unrolls(count)) {
      // A loop read once: a `break` sets its count (an unrolled loop runs its breaks for real).
      const stop = this.breakAt(s, scope, count);
      if (stop !== undefined) {
        count = count === undefined ? stop : Math.min(count, stop);
        if (items) items = items.slice(0, count);
      }
    }
    if (unrolls(count) && !items && ranged && count !== undefined) {
      const { start, step } = ranged;
      this.chargeList(s.header, count, count, 'the values of a loop');
      items = Array.from({ length: count }, (_, i) => ({ t: 'num', v: start + i * step }));
    }
    if (unrolls(count) && items) {
      // A loop that builds the model: run it for real, `break` and `continue` included.
      const carried: Span[] = []; // conditions of a `break` not known: every later iteration depends on them
      for (const item of items) {
        if (s.target) this.bind(s.target, item, scope);
        const frame: LoopFrame = { count: 1, header: s.header, training: false, unrolled: true };
        const base = this.undecided.length;
        this.undecided.push(...carried);
        const run = { base, carried, stuck: [] as Span[] };
        this.iterations.set(frame, run);
        this.loops.push(frame);
        try {
          this.block(s.body, scope);
        } catch (sig) {
          if (!(sig instanceof LoopSignal)) throw sig;
          if (sig.kind === 'break') return;
        } finally {
          this.loops.pop();
          this.iterations.delete(frame);
          this.undecided.length = base;
          for (const c of run.stuck) this.sticky.delete(c);
        }
      }
      return;
    }
    if (s.target) {
      // A training loop over a list of values (a sweep): read with its first value.
      const listed = items ?? (ranged && !s.count && count ? [{ t: 'num', v: ranged.start } as Val] : undefined);
      const first = listed && listed.length > 0 && s.iter && !s.count && !(s.iter.k === 'call' && /^x?range$/.test(lastName(s.iter.callee) ?? '')) ? listed[0] : element;
      this.bind(s.target, first, scope);
    }
    let range: LoopFrame['range'];
    if (training && s.target?.k === 'name') {
      const it = s.iter ? this.rangeOf(s.iter, scope) : undefined;
      if (it) range = { name: s.target.id, ...it };
      else if (s.count && count !== undefined) {
        const start = s.countStart ? this.num(s.countStart, scope) : 0;
        const step = s.countStep ? this.num(s.countStep, scope) : 1;
        if (start !== undefined && step !== undefined) range = { name: s.target.id, start, step, n: count };
      }
    }
    // Iterating a value whose elements are not known (a name from another file, an unknown call's result).
    const opaque = !!s.iter && !s.count && items === undefined && ranged === undefined && element.t === 'unknown' ? true : undefined;
    this.loops.push({ count, header: s.header, training, range, opaque });
    try {
      this.block(s.body, scope);
    } finally {
      this.loops.pop();
    }
  }

  /** `range(...)` written as a loop's iterable, without evaluating anything else. */
  /**
   * `if <cond>: break` at the top of a loop body, where `cond` depends on the loop's index (`for i in
   * range(...)`, `for i, x in enumerate(...)`) or on a counter the body moves by a constant (`step += 1`):
   * the number of iterations whose statements before that `if` run — the iteration that breaks counts
   * when a training call comes before the `if`. A condition known false (`if args.dry_run:` with its
   * default) changes nothing; one that cannot be read is noted.
   */
  private breakAt(s: Extract<Stmt, { k: 'loop' }>, scope: Scope, count: number | undefined): number | undefined {
    const body = s.body;
    let index: { name: string; start: number; step: number } | undefined;
    if (s.target && s.iter?.k === 'call' && s.iter.callee.k === 'name') {
      const r = this.rangeOf(s.iter, scope);
      if (r && s.target.k === 'name') index = { name: s.target.id, start: r.start, step: r.step };
      else if (s.iter.callee.id === 'enumerate' && s.target.k === 'list' && s.target.items[0]?.k === 'name') {
        const start = s.iter.args[1] ? this.num(s.iter.args[1], scope) : 0;
        if (start !== undefined) index = { name: s.target.items[0].id, start, step: 1 };
      }
    }
    // Counters the body moves by a constant at its top level: `n += 1`.
    const counters: { name: string; start: number; step: number; at: number }[] = [];
    body.forEach((st, i) => {
      if (st.k !== 'assign' || st.targets.length !== 1 || st.targets[0].k !== 'name') return;
      const id = st.targets[0].id;
      const v = st.value;
      if (v.k !== 'bin' || (v.op !== '+' && v.op !== '-') || v.left.k !== 'name' || v.left.id !== id) return;
      const k = this.num(v.right, scope);
      const start = scope.get(id);
      if (k === undefined || k === 0 || start?.t !== 'num') return;
      counters.push({ name: id, start: start.v, step: v.op === '-' ? -k : k, at: i });
    });
    for (let at = 0; at < body.length; at++) {
      const st = body[at];
      if (st.k !== 'if' || st.branches.length !== 1 || !st.branches[0].test || !st.branches[0].body.some((x) => x.k === 'break')) continue;
      const test = st.branches[0].test;
      const stepsBefore = this.trainsOnce(body, at + 1, () => this.trains(body.slice(0, at), new Set(), 0));
      const names = new Set<string>();
      const walk = (e: Expr): void => {
        if (e.k === 'name') names.add(e.id);
        else if (e.k === 'bin') { walk(e.left); walk(e.right); }
        else if (e.k === 'unary') walk(e.arg);
        else if (e.k === 'call') e.args.forEach(walk);
      };
      walk(test);
      const moving = [...(index && names.has(index.name) ? [index.name] : []), ...counters.filter((c) => names.has(c.name)).map((c) => c.name)];
      const holds = (j: number): boolean | undefined => {
        const probe = new Scope(scope);
        if (index) probe.set(index.name, { t: 'num', v: index.start + j * index.step });
        for (const c of counters) probe.set(c.name, { t: 'num', v: c.start + c.step * (j + (c.at < at ? 1 : 0)) });
        return this.truthy(this.eval(test, probe));
      };
      if (moving.length === 0) {
        // A name the loop changes some other way (in a nested loop, a helper): not known here.
        const changed = [...names].some((n) => assigns(body, n));
        const t = changed ? undefined : this.truthy(this.eval(test, scope));
        if (t === true) return stepsBefore ? 1 : 0;
        if (t === undefined) this.note(st, `could not tell when this \`break\` happens (${this.src(test)}): the loop's full count is used`);
        continue;
      }
      // The first iteration at which the condition holds (conditions on a moving counter are monotone, or an equality).
      const limit = count ?? 1e9;
      let found: number | undefined;
      for (let j = 0; j < Math.min(limit, 256); j++) {
        const h = holds(j);
        if (h === undefined) break;
        if (h) { found = j; break; }
      }
      if (found === undefined && limit > 256 && holds(255) === false) {
        let lo = 255;
        let hi = 256;
        while (hi < limit && holds(hi) === false) { lo = hi; hi = Math.min(limit, hi * 2); }
        if (hi < limit && holds(hi) === true) {
          while (hi - lo > 1) {
            const mid = Math.floor((lo + hi) / 2);
            if (holds(mid) === true) hi = mid;
            else lo = mid;
          }
          found = hi;
        }
      }
      if (found === undefined) {
        if (holds(0) === undefined) this.note(st, `could not tell when this \`break\` happens (${this.src(test)}): the loop's full count is used`);
        continue;
      }
      return stepsBefore ? found + 1 : found;
    }
    return undefined;
  }

  private rangeOf(e: Expr, scope: Scope): { start: number; step: number; n: number } | undefined {
    if (e.k !== 'call' || e.callee.k !== 'name' || (e.callee.id !== 'range' && e.callee.id !== 'xrange')) return undefined;
    const bound = scope.get(e.callee.id);
    if (bound && !(bound.t === 'ref' && /(^|\.)x?range$/.test(bound.path))) return undefined; // a user's own range()
    const xs = e.args.map((a) => this.num(a, scope));
    if (xs.length === 0 || xs.length > 3 || xs.some((x) => x === undefined || !Number.isInteger(x))) return undefined;
    const [start, stop, step] = xs.length === 1 ? [0, xs[0]!, 1] : [xs[0]!, xs[1]!, xs[2] ?? 1];
    if (step === 0) return undefined;
    return { start, step, n: Math.max(0, Math.ceil((stop - start) / step)) };
  }

  /** `trains` of a loop body (`key` 0) or of its first statements (`key` = how many + 1), walked once per body. */
  private trainsOnce(body: Stmt[], key: number, walk: () => boolean): boolean {
    let m = this.trainsMemo.get(body);
    if (!m) this.trainsMemo.set(body, (m = new Map()));
    let v = m.get(key);
    if (v === undefined) m.set(key, (v = walk()));
    return v;
  }

  /** Whether statements (or the functions they call, by name) contain a training call. */
  private trains(stmts: Stmt[], seen: Set<string>, depth: number): boolean {
    if (depth > 12) return false;
    this.budget.step(stmts[0] ?? this.at, stmts.length);
    const inExpr = (e: Expr | undefined, d: number): boolean => {
      if (!e || d > 200) return false;
      this.budget.step(e);
      switch (e.k) {
        case 'call': {
          const n = lastName(e.callee);
          if (n !== undefined) {
            if (this.lib.isTrainingCall(norm(n))) return true;
            const bodies = this.defsByName.get(n);
            if (bodies && !seen.has(n)) {
              seen.add(n);
              if (bodies.some((b) => this.trains(b, seen, depth + 1))) return true;
            }
          }
          return inExpr(e.callee, d + 1) || e.args.some((a) => inExpr(a, d + 1)) || e.kwargs.some((k) => inExpr(k.value, d + 1));
        }
        case 'member': return inExpr(e.obj, d + 1);
        case 'index': return inExpr(e.obj, d + 1) || inExpr(e.index, d + 1);
        case 'list': return e.items.some((x) => inExpr(x, d + 1));
        case 'object': return e.entries.some((x) => inExpr(x.value, d + 1));
        case 'bin': return inExpr(e.left, d + 1) || inExpr(e.right, d + 1);
        case 'unary': case 'spread': return inExpr(e.arg, d + 1);
        case 'cond': return inExpr(e.test, d + 1) || inExpr(e.then, d + 1) || inExpr(e.else, d + 1);
        case 'comp': return inExpr(e.elt, d + 1) || e.fors.some((f) => inExpr(f.iter, d + 1));
        default: return false;
      }
    };
    for (const s of stmts) {
      switch (s.k) {
        case 'assign': if (inExpr(s.value, 0)) return true; break;
        case 'expr': if (inExpr(s.e, 0)) return true; break;
        case 'return': if (inExpr(s.e, 0)) return true; break;
        case 'loop': if (inExpr(s.iter, 0) || this.trains(s.body, seen, depth + 1)) return true; break;
        case 'block': if (this.trains(s.body, seen, depth + 1)) return true; break;
        case 'if': if (s.branches.some((b) => this.trains(b.body, seen, depth + 1))) return true; break;
        default: break;
      }
    }
    return false;
  }

  /** Whether statements (or the functions they call, by name) hold a loop that trains, or a `fit(...)`: a whole training, not one step. */
  private trainsWhole(stmts: Stmt[], seen: Set<string>, depth: number): boolean {
    if (depth > 12) return false;
    this.budget.step(stmts[0] ?? this.at, stmts.length);
    let found = false;
    const inExpr = (e: Expr | undefined, d: number): void => {
      if (!e || d > 200 || found) return;
      if (e.k === 'call') {
        const n = lastName(e.callee);
        if (n !== undefined && WHOLE_TRAINING.has(norm(n))) { found = true; return; }
        const bodies = n !== undefined ? this.defsByName.get(n) : undefined;
        if (n !== undefined && bodies && !seen.has(n)) {
          seen.add(n);
          if (bodies.some((b) => this.trainsWhole(b, seen, depth + 1))) { found = true; return; }
        }
        inExpr(e.callee, d + 1);
        e.args.forEach((a) => inExpr(a, d + 1));
        e.kwargs.forEach((k) => inExpr(k.value, d + 1));
      } else if (e.k === 'member') inExpr(e.obj, d + 1);
      else if (e.k === 'bin') { inExpr(e.left, d + 1); inExpr(e.right, d + 1); }
      else if (e.k === 'unary' || e.k === 'spread') inExpr(e.arg, d + 1);
    };
    for (const s of stmts) {
      if (found) return true;
      switch (s.k) {
        case 'assign': inExpr(s.value, 0); break;
        case 'expr': inExpr(s.e, 0); break;
        case 'return': inExpr(s.e, 0); break;
        case 'loop': if (this.trainsOnce(s.body, 0, () => this.trains(s.body, new Set(), 0))) return true; break;
        case 'block': if (this.trainsWhole(s.body, seen, depth + 1)) return true; break;
        case 'if': if (s.branches.some((b) => this.trainsWhole(b.body, seen, depth + 1))) return true; break;
        default: break;
      }
    }
    return found;
  }

  /**
   * `while i < N` (also `i * k < N`, `i <= N`, `N > i`) where the body moves `i` by a constant
   * (`i += 1`, `i = i + k`) and `i` has a known start: how many times the body runs.
   */
  private whileCount(test: Expr, body: Stmt[], scope: Scope): number | undefined {
    if (!/^(<|<=|>|>=|!=)$/.test(test.k === 'bin' ? test.op : '')) return undefined;
    const names = new Set<string>();
    let pure = true;
    const walk = (e: Expr): void => {
      if (e.k === 'name') names.add(e.id);
      else if (e.k === 'bin') { walk(e.left); walk(e.right); }
      else if (e.k === 'unary') walk(e.arg);
      else if (e.k === 'member') { const d = dottedName(e); if (!d) pure = false; }
      else if (e.k === 'call') { if (!['int', 'float', 'len'].includes(lastName(e.callee) ?? '')) pure = false; else e.args.forEach(walk); }
      else if (e.k !== 'num') pure = false;
    };
    walk(test);
    if (!pure) return undefined;
    let counter: string | undefined;
    let step: number | undefined;
    for (const s of body) {
      if (s.k !== 'assign' || s.targets.length !== 1 || s.targets[0].k !== 'name' || !names.has(s.targets[0].id)) continue;
      const id = s.targets[0].id;
      const v = s.value;
      if (v.k === 'bin' && (v.op === '+' || v.op === '-') && v.left.k === 'name' && v.left.id === id) {
        const k = this.num(v.right, scope);
        if (k === undefined || k === 0) return undefined;
        counter = id;
        step = v.op === '-' ? -k : k;
      }
    }
    if (counter === undefined || step === undefined) return undefined;
    const start = scope.get(counter);
    if (start?.t !== 'num') return undefined;
    const probe = new Scope(scope);
    const holds = (i: number): boolean | undefined => {
      probe.set(counter!, { t: 'num', v: start.v + i * step! });
      return this.truthy(this.eval(test, probe));
    };
    const first = holds(0);
    if (first === undefined) return undefined;
    if (!first) return 0;
    // The condition is monotone in the counter for these shapes: find the first iteration where it fails.
    let lo = 0;
    let hi = 1;
    while (holds(hi) === true) {
      lo = hi;
      hi *= 2;
      if (hi > 1e10) return undefined;
    }
    if (holds(hi) === undefined) return undefined;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (holds(mid) === true) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  private bind(target: Expr, v: Val, scope: Scope): void {
    switch (target.k) {
      case 'name':
        scope.set(target.id, v);
        return;
      case 'member': {
        const obj = this.eval(target.obj, scope);
        if (obj.t === 'instance') {
          obj.attrs.set(target.prop, v);
          for (const b of this.nativeBases(obj.cls)) b.setAttr?.(obj, target.prop, v, this);
          return;
        }
        if (obj.t === 'dict') {
          this.setEntry(obj, `s:${target.prop}`, { key: { t: 'str', v: target.prop }, value: v }, target);
          return;
        }
        if (obj.t === 'native' && obj.obj.setAttr?.(target.prop, v, this, target)) return;
        const d = dottedName(target);
        if (d) scope.set(d, v);
        return;
      }
      case 'index': {
        const obj = this.eval(target.obj, scope);
        const i = target.index ? this.eval(target.index, scope) : UNKNOWN;
        const key = keyOf(i);
        if (obj.t === 'dict' && key) this.setEntry(obj, key, { key: i, value: v, span: target }, target);
        else if (obj.t === 'list' && i.t === 'num' && Number.isInteger(i.v)) {
          const at = i.v < 0 ? obj.items.length + i.v : i.v;
          if (at >= 0 && at < obj.items.length) {
            this.deepened(obj, v, target);
            obj.items[at] = v;
          }
        }
        return;
      }
      case 'list': {
        const items = this.items(v);
        target.items.forEach((t, i) => this.bind(t, items?.[i] ?? (v.t === 'native' ? v.obj.index?.({ t: 'num', v: i }, this, t) ?? UNKNOWN : UNKNOWN), scope));
        return;
      }
      case 'object': {
        // JS destructuring: const { a, b: c } = v
        for (const e of target.entries) this.bind(e.value, this.attr(v, e.name, e), scope);
        return;
      }
      default:
        return;
    }
  }

  /** `d[key] = v` (charged when the key is new). */
  private setEntry(d: Extract<Val, { t: 'dict' }>, key: string, entry: DictEntry, at: Span): void {
    if (!d.entries.has(key)) this.chargeDict(at, 1, d.entries.size + 1);
    this.deepened(d, entry.value, at);
    d.entries.set(key, entry);
  }

  // ---- values -------------------------------------------------------------------------------

  /** `true` / `false` when known. */
  truthy(v: Val): boolean | undefined {
    switch (v.t) {
      case 'num': return v.v !== 0;
      case 'str': return v.v !== '';
      case 'bool': return v.v;
      case 'none': return false;
      case 'list': return v.items.length > 0;
      case 'dict': return v.entries.size > 0;
      case 'range': return rangeLen(v) > 0;
      case 'func': case 'class': case 'instance': case 'builtin': return true;
      default: return undefined;
    }
  }

  len(v: Val): number | undefined {
    switch (v.t) {
      case 'list': return v.items.length;
      case 'dict': return v.entries.size;
      case 'str': return v.v.length;
      case 'range': return rangeLen(v);
      case 'native': return v.obj.len?.(this);
      default: return undefined;
    }
  }

  /** The elements of an iterable, when known and not huge (new ones charged at `at`). */
  private items(v: Val, at: Span = this.at): Val[] | undefined {
    switch (v.t) {
      case 'list': return v.items;
      case 'dict':
        this.chargeList(at, v.entries.size, 0, 'the keys of a dict');
        return [...v.entries.values()].map((e) => e.key);
      case 'range': {
        const n = rangeLen(v);
        if (n > MAX_LIST) return undefined;
        this.chargeList(at, n, n, 'a range');
        return Array.from({ length: n }, (_, i) => ({ t: 'num', v: v.start + i * v.step }));
      }
      case 'str':
        if (v.v.length > MAX_LIST) return undefined;
        this.chargeList(at, v.v.length, v.v.length, 'the characters of a string');
        return [...v.v].map((c) => ({ t: 'str', v: c }));
      case 'native': {
        const xs = v.obj.elements?.(this);
        if (xs) this.budget.step(at, xs.length);
        return xs;
      }
      default: return undefined;
    }
  }

  private num(e: Expr, scope: Scope): number | undefined {
    const v = this.eval(e, scope);
    return v.t === 'num' ? v.v : v.t === 'bool' ? Number(v.v) : undefined;
  }

  // ---- expressions --------------------------------------------------------------------------

  eval(e: Expr, scope: Scope): Val {
    this.budget.step(e);
    if (++this.depth > MAX_EVAL_DEPTH) this.tooDeep(e);
    try {
      return this.evalIn(e, scope);
    } finally {
      this.depth--;
    }
  }

  private evalIn(e: Expr, scope: Scope): Val {
    switch (e.k) {
      case 'num': return { t: 'num', v: e.v, span: e };
      case 'str': return { t: 'str', v: e.v, span: e };
      case 'const': return e.v === null ? NONE : { t: 'bool', v: e.v };
      case 'name': return this.lookup(e.id, scope);
      case 'member': {
        const d = dottedName(e);
        const bound = d && d.includes('.') ? scope.get(d) : undefined;
        if (bound) return bound;
        const obj = this.eval(e.obj, scope);
        if (obj.t === 'unknown') return (d ? this.lib.unknownMember?.(d, this) : undefined) ?? UNKNOWN;
        return this.attr(obj, e.prop, e);
      }
      case 'index': {
        const obj = this.eval(e.obj, scope);
        if (e.index?.k === 'slice') return this.slice(obj, e.index, scope);
        const i = e.index ? this.eval(e.index, scope) : UNKNOWN;
        return this.index(obj, i, e);
      }
      case 'slice': return UNKNOWN;
      case 'list': {
        const items: Val[] = [];
        let spread = 0;
        for (const x of e.items) {
          if (x.k !== 'spread') items.push(this.eval(x, scope));
          else {
            const v = this.eval(x.arg, scope);
            const inner = v.t === 'list' || v.t === 'range' || v.t === 'native' ? this.items(v, x) : undefined;
            if (!inner) return UNKNOWN; // its length is not known
            this.chargeList(e, inner.length, 0, e.tuple ? 'a tuple' : 'a list', items.length + inner.length);
            spread += inner.length;
            for (const y of inner) items.push(y);
          }
        }
        this.chargeList(e, items.length - spread, 0, e.tuple ? 'a tuple' : 'a list');
        return this.mkList(items, e, e.tuple);
      }
      case 'object': {
        const entries = new Map<string, DictEntry>();
        const d: Extract<Val, { t: 'dict' }> = { t: 'dict', entries };
        this.budget.grow(e, COST.container, () => `a dict (${this.src(e)})`);
        for (const en of e.entries) {
          const key: Val = en.key ? this.eval(en.key, scope) : { t: 'str', v: en.name };
          const value = this.eval(en.value, scope);
          const k = keyOf(key);
          if (k) this.setEntry(d, k, { key, value, span: en, valueExpr: en.value }, e);
        }
        return d;
      }
      case 'unary': {
        const v = this.eval(e.arg, scope);
        if (v.t === 'num' && (e.op === '-' || e.op === '+')) return { t: 'num', v: e.op === '-' ? -v.v : v.v, span: e };
        if (e.op === 'not' || e.op === '!') {
          const t = this.truthy(v);
          return t === undefined ? UNKNOWN : { t: 'bool', v: !t };
        }
        if (v.t === 'native') return this.fresh(v.obj.unary?.(e.op, this, e) ?? UNKNOWN, e);
        return UNKNOWN;
      }
      case 'bin': return this.binary(e, scope);
      case 'cond': {
        const t = this.truthy(this.eval(e.test, scope));
        if (t === true) return this.eval(e.then, scope);
        if (t === false) return this.eval(e.else, scope);
        const a = this.eval(e.then, scope);
        this.eval(e.else, scope);
        return a;
      }
      case 'lambda': {
        const f: FuncVal = { t: 'func', name: '', params: e.params, body: e.body, scope, node: e };
        // A function value nothing calls (a callback, an event handler) is read once at the end.
        if (!this.defNodes.has(e)) this.addDef(f);
        return f;
      }
      case 'comp': return this.comprehension(e, scope);
      case 'call': return this.call(e, scope);
      case 'spread': case 'other': return UNKNOWN;
    }
  }

  private lookup(id: string, scope: Scope): Val {
    const v = scope.get(id);
    if (v) {
      const d = this.defaultsRead.get(v);
      if (d) d.used = true;
      return v;
    }
    if (this.dialect === 'python' ? PY_BUILTINS.has(id) : JS_BUILTINS.has(id)) return { t: 'builtin', name: id };
    if (this.dialect === 'js' && (id === 'this' || id === 'self')) return UNKNOWN;
    for (const m of this.stars) {
      const path = this.lib.canonical(`${m}.${id}`);
      if (this.lib.knows(path)) return { t: 'ref', path, written: id };
    }
    const g = this.lib.global(id, this.dialect);
    if (g) return { t: 'ref', path: this.lib.canonical(g), written: id };
    return UNKNOWN;
  }

  attr(obj: Val, name: string, at: Span): Val {
    switch (obj.t) {
      case 'ref': {
        if (name === '__name__') return { t: 'str', v: obj.path.slice(obj.path.lastIndexOf('.') + 1) };
        const path = this.lib.canonical(`${obj.path}.${name}`);
        return this.lib.value?.(path, this) ?? { t: 'ref', path, written: `${obj.written}.${name}` };
      }
      case 'instance': {
        const own = obj.attrs.get(name);
        if (own) return own;
        const m = this.classAttr(obj.cls, name, 0);
        if (m) return m.t === 'func' ? { ...m, self: obj } : m;
        if (name === '__class__') return obj.cls;
        for (const b of this.nativeBases(obj.cls)) {
          const v = b.attr?.(obj, name, this, at);
          if (v) return v;
        }
        return UNKNOWN;
      }
      case 'class': return this.classAttr(obj, name, 0) ?? (name === '__name__' ? { t: 'str', v: obj.name } : UNKNOWN);
      case 'dict': {
        const v = obj.entries.get(`s:${name}`);
        return v ? v.value : UNKNOWN;
      }
      case 'native':
        if (name === '__class__') return obj.obj.attr?.(name, this, at) ?? this.typeOf(obj);
        return this.fresh(obj.obj.attr?.(name, this, at) ?? UNKNOWN, at);
      case 'builtin':
        if (name === '__name__') return { t: 'str', v: obj.name };
        return { t: 'builtin', name: `${obj.name}.${name}` };
      case 'list':
        if (name === 'length' && this.dialect === 'js') return { t: 'num', v: obj.items.length };
        return UNKNOWN;
      case 'str':
        if (name === 'length' && this.dialect === 'js') return { t: 'num', v: obj.v.length };
        return UNKNOWN;
      default: return UNKNOWN;
    }
  }

  private classAttr(cls: ClassVal, name: string, depth: number): Val | undefined {
    if (depth > 20) return undefined;
    const own = cls.attrs.get(name);
    if (own) return own;
    for (const b of cls.bases) if (b.t === 'class') {
      const v = this.classAttr(b, name, depth + 1);
      if (v) return v;
    }
    return undefined;
  }

  /** The library classes a user class derives from (directly or through other user classes). */
  private nativeBases(cls: ClassVal, depth = 0): BaseClass<S>[] {
    if (depth > 20) return [];
    const out: BaseClass<S>[] = [];
    for (const b of cls.bases) {
      if (b.t === 'class') out.push(...this.nativeBases(b, depth + 1));
      else if (b.t === 'ref') {
        const bc = this.lib.baseClass(b.path);
        if (bc) out.push(bc);
      }
    }
    return out;
  }

  private index(obj: Val, i: Val, at: Span): Val {
    if (obj.t === 'list' && i.t === 'num' && Number.isInteger(i.v)) return obj.items[i.v < 0 ? obj.items.length + i.v : i.v] ?? UNKNOWN;
    if (obj.t === 'dict') {
      const k = keyOf(i);
      return (k && obj.entries.get(k)?.value) || UNKNOWN;
    }
    if (obj.t === 'range' && i.t === 'num' && Number.isInteger(i.v)) {
      const n = rangeLen(obj);
      const j = i.v < 0 ? n + i.v : i.v;
      return j >= 0 && j < n ? { t: 'num', v: obj.start + j * obj.step } : UNKNOWN;
    }
    if (obj.t === 'native') return obj.obj.index?.(i, this, at) ?? UNKNOWN;
    return UNKNOWN;
  }

  private slice(obj: Val, s: Extract<Expr, { k: 'slice' }>, scope: Scope): Val {
    const lo = s.lo ? this.num(s.lo, scope) : undefined;
    const hi = s.hi ? this.num(s.hi, scope) : undefined;
    const step = s.step ? this.num(s.step, scope) : 1;
    if (obj.t === 'native') {
      // `a[i:i + n]` has n elements whatever i is.
      let length: number | undefined;
      if (s.lo && s.hi?.k === 'bin' && s.hi.op === '+' && this.text.slice(s.hi.left.from, s.hi.left.to) === this.text.slice(s.lo.from, s.lo.to)) {
        length = this.num(s.hi.right, scope);
      }
      return obj.obj.slice?.(lo, hi, this, length) ?? obj;
    }
    if ((s.lo && lo === undefined) || (s.hi && hi === undefined) || step !== 1) return UNKNOWN;
    if (obj.t === 'list') {
      const n = obj.items.length;
      const a = lo === undefined ? 0 : lo < 0 ? Math.max(0, n + lo) : Math.min(n, lo);
      const b = hi === undefined ? n : hi < 0 ? Math.max(0, n + hi) : Math.min(n, hi);
      this.chargeList(s, Math.max(0, b - a), 0, obj.tuple ? 'a slice of a tuple' : 'a slice of a list');
      return this.mkList(obj.items.slice(a, Math.max(a, b)), s, obj.tuple, this.depthOf(obj));
    }
    return UNKNOWN;
  }

  private comprehension(e: Extract<Expr, { k: 'comp' }>, scope: Scope): Val {
    const local = new Scope(scope);
    const out: Val[] = [];
    const entries = new Map<string, DictEntry>();
    let complete = true;
    const dict: Extract<Val, { t: 'dict' }> = { t: 'dict', entries };
    let depth = 1;
    const go = (i: number): void => {
      if (i === e.fors.length) {
        const v = this.eval(e.elt, local);
        if (e.dict && e.key) {
          const key = this.eval(e.key, local);
          const k = keyOf(key);
          if (k) this.setEntry(dict, k, { key, value: v }, e);
        } else {
          this.chargeList(e, 1, 0, 'a list', out.length + 1);
          if (v.t === 'list' || v.t === 'dict') depth = Math.max(depth, 1 + this.depthOf(v));
          out.push(v);
        }
        return;
      }
      const f = e.fors[i];
      const it = this.eval(f.iter, local);
      const items = (it.t === 'range' && rangeLen(it) > MAX_UNROLL) || (it.t === 'str' && it.v.length > MAX_UNROLL) ? undefined : this.items(it, f.iter);
      if (!items || items.length > MAX_UNROLL) {
        complete = false;
        this.bind(f.target, UNKNOWN, local);
        for (const c of f.ifs) this.eval(c, local);
        go(i + 1);
        return;
      }
      for (const item of items) {
        this.bind(f.target, item, local);
        if (f.ifs.some((c) => this.truthy(this.eval(c, local)) === false)) continue;
        go(i + 1);
      }
    };
    go(0);
    if (!complete) return UNKNOWN;
    return e.dict ? dict : this.mkList(out, e, false, depth);
  }

  private binary(e: Extract<Expr, { k: 'bin' }>, scope: Scope): Val {
    const l = this.eval(e.left, scope);
    if (e.op === 'and' || e.op === '&&' || e.op === 'or' || e.op === '||' || e.op === '??') {
      const t = e.op === '??' ? (l.t === 'none' ? false : l.t === 'unknown' ? undefined : true) : this.truthy(l);
      const isAnd = e.op === 'and' || e.op === '&&';
      if (t === undefined) {
        this.eval(e.right, scope);
        return UNKNOWN;
      }
      if (isAnd) return t ? this.eval(e.right, scope) : l;
      return t ? l : this.eval(e.right, scope);
    }
    const r = this.eval(e.right, scope);
    const nl = l.t === 'bool' ? Number(l.v) : l.t === 'num' ? l.v : undefined;
    const nr = r.t === 'bool' ? Number(r.v) : r.t === 'num' ? r.v : undefined;
    if (nl !== undefined && nr !== undefined) {
      const a = nl;
      const b = nr;
      let v: number | boolean | undefined;
      switch (e.op) {
        case '+': v = a + b; break;
        case '-': v = a - b; break;
        case '*': v = a * b; break;
        case '/': v = b === 0 ? undefined : a / b; break;
        case '//': v = b === 0 ? undefined : Math.floor(a / b); break;
        case '%': v = b === 0 ? undefined : ((a % b) + b) % b; break;
        case '**': v = a ** b; break;
        case '<': v = a < b; break;
        case '<=': v = a <= b; break;
        case '>': v = a > b; break;
        case '>=': v = a >= b; break;
        case '==': case '===': case 'is': v = a === b; break;
        case '!=': case '!==': case 'is not': v = a !== b; break;
      }
      if (typeof v === 'boolean') return { t: 'bool', v };
      return v === undefined || !Number.isFinite(v) ? UNKNOWN : { t: 'num', v, span: e };
    }
    if (l.t === 'str' && r.t === 'str') {
      switch (e.op) {
        case '+':
          this.chargeStr(e, l.v.length + r.v.length);
          return { t: 'str', v: l.v + r.v, span: e };
        case '==': case '===': case 'is':
          this.budget.step(e, scanCost(l.v.length));
          return { t: 'bool', v: l.v === r.v };
        case '!=': case '!==': case 'is not':
          this.budget.step(e, scanCost(l.v.length));
          return { t: 'bool', v: l.v !== r.v };
        case 'in':
          this.budget.step(e, scanCost(r.v.length));
          return { t: 'bool', v: r.v.includes(l.v) };
        default: return UNKNOWN;
      }
    }
    const negated = e.op === '!=' || e.op === '!==' || e.op === 'is not';
    if (negated || e.op === '==' || e.op === '===' || e.op === 'is') {
      // Classes and types: `type(m) == nn.Linear`, `m.__class__ is Net`.
      const same = sameType(l, r);
      if (same !== undefined) return { t: 'bool', v: negated ? !same : same };
    }
    if ((e.op === 'is' || e.op === 'is not') && (l.t === 'instance' || r.t === 'instance')) {
      // Identity: an instance of a class of this file is itself, and never a framework value or a plain value.
      const other = l.t === 'instance' ? r : l;
      if (other.t !== 'unknown' && !(other.t === 'native' && other.obj instanceof UnboundParamV)) {
        const same = l === r;
        return { t: 'bool', v: e.op === 'is' ? same : !same };
      }
    }
    if ((e.op === '==' || e.op === '===' || e.op === 'is' || e.op === '!=' || e.op === '!==' || e.op === 'is not') && (l.t === 'none' || r.t === 'none')) {
      // A framework value is an object, never None (a parameter nothing binds may be anything).
      const known = (v: Val) => v.t !== 'unknown' && v.t !== 'ref' && !(v.t === 'native' && v.obj instanceof UnboundParamV);
      if (known(l) && known(r)) {
        const same = l.t === r.t;
        return { t: 'bool', v: e.op.includes('!') || e.op === 'is not' ? !same : same };
      }
    }
    if (e.op === '+' && l.t === 'list' && r.t === 'list') {
      const n = l.items.length + r.items.length;
      this.chargeList(e, n, 0, l.tuple ? 'a tuple' : 'a list');
      return this.mkList(l.items.concat(r.items), e, false, Math.max(this.depthOf(l), this.depthOf(r)));
    }
    if (e.op === '*' && l.t === 'list' && r.t === 'num' && Number.isInteger(r.v) && r.v >= 0 && l.items.length * r.v <= MAX_LIST) {
      this.chargeList(e, l.items.length * r.v, 0, l.tuple ? 'a tuple' : 'a list');
      const out: Val[] = [];
      for (let i = 0; i < r.v; i++) for (const x of l.items) out.push(x);
      return this.mkList(out, e, false, this.depthOf(l));
    }
    if ((e.op === 'in' || e.op === 'not in') && (r.t === 'list' || r.t === 'dict')) {
      const k = keyOf(l);
      if (k) {
        if (r.t === 'list') this.budget.step(e, 2 * r.items.length);
        const has = r.t === 'dict' ? r.entries.has(k) : r.items.some((x) => keyOf(x) === k);
        if (r.t === 'dict' || r.items.every((x) => keyOf(x) !== undefined)) return { t: 'bool', v: e.op === 'in' ? has : !has };
      }
      return UNKNOWN;
    }
    if (l.t === 'native') {
      const v = l.obj.binary?.(e.op, r, true, this, e, e.right);
      if (v) return this.fresh(v, e);
    }
    if (r.t === 'native') {
      const v = r.obj.binary?.(e.op, l, false, this, e, e.left);
      if (v) return this.fresh(v, e);
    }
    return UNKNOWN;
  }

  // ---- calls --------------------------------------------------------------------------------

  private makeCall(e: Extract<Expr, { k: 'call' }>, scope: Scope, path: string, written: string): Call {
    const kw = new Map<string, Arg>();
    const named = new Map<string, Arg>();
    let argExprs: Expr[] = [];
    const args: Val[] = [];
    for (const a of e.args) {
      if (a.k === 'spread') {
        // `f(*xs)`: the items of a list we know become positional arguments; otherwise one unknown.
        const v = this.eval(a.arg, scope);
        const items = v.t === 'list' || v.t === 'range' || v.t === 'native' ? this.items(v, a) : undefined;
        if (items) this.chargeList(a, items.length, 0, 'the arguments of a call', args.length + items.length);
        for (const item of items ?? [UNKNOWN]) {
          args.push(item);
          argExprs.push(a);
        }
      } else {
        args.push(this.eval(a, scope));
        argExprs.push(a);
      }
    }
    if (this.dialect === 'js' && argExprs.length > 0) {
      // A trailing config object literal: its properties are the keyword arguments.
      const last = argExprs[argExprs.length - 1];
      const lastV = args[args.length - 1];
      if (last.k === 'object' && lastV.t === 'dict') {
        for (const en of last.entries) {
          const d = lastV.entries.get(en.key ? keyOf(this.eval(en.key, scope)) ?? '' : `s:${en.name}`);
          if (!d) continue;
          const a: Arg = { v: d.value, expr: en.value, span: en };
          kw.set(norm(en.name), a);
          named.set(en.name, a);
        }
        argExprs = argExprs.slice(0, -1);
        args.pop();
      }
    }
    for (const k of e.kwargs) {
      const a: Arg = { v: this.eval(k.value, scope), expr: k.value, span: k };
      kw.set(norm(k.name), a);
      named.set(k.name, a);
    }
    return {
      expr: e, path, written, args, argExprs, kw, named,
      arg(pos: number, ...names: string[]): Arg | undefined {
        for (const n of names) {
          const a = kw.get(n);
          if (a) return a;
        }
        if (pos >= 0 && pos < args.length) return { v: args[pos], expr: argExprs[pos], span: argExprs[pos] };
        return undefined;
      },
    };
  }

  private call(e: Extract<Expr, { k: 'call' }>, scope: Scope): Val {
    const written = dottedName(e.callee) ?? '';
    if (e.callee.k === 'member') {
      const bound = written && scope.get(written);
      if (!bound) {
        const recv = this.eval(e.callee.obj, scope);
        return this.methodCall(recv, e.callee.prop, e, scope, written);
      }
    }
    const f = this.eval(e.callee, scope);
    return this.callWith(f, this.makeCall(e, scope, f.t === 'ref' ? f.path : '', written), e);
  }

  private methodCall(recv: Val, name: string, e: Extract<Expr, { k: 'call' }>, scope: Scope, written: string): Val {
    switch (recv.t) {
      case 'ref': {
        const f = this.attr(recv, name, e.callee);
        return this.callWith(f, this.makeCall(e, scope, f.t === 'ref' ? f.path : '', written), e);
      }
      case 'native': {
        const call = this.makeCall(e, scope, '', written);
        if (recv.obj instanceof UnboundParamV) {
          // Like its attributes, what its methods give is that same unknown parameter (`net.modules()`).
          return this.lib.unknownMethod?.(name, e.callee.k === 'member' ? e.callee.obj : e.callee, call, this, recv) ?? recv;
        }
        const v = recv.obj.method?.(name, call, this);
        if (v) return this.fresh(v, e);
        const f = recv.obj.attr?.(name, this, e.callee);
        return f ? this.callWith(f, call, e) : UNKNOWN;
      }
      case 'instance': {
        const own = recv.attrs.get(name);
        const m = own ?? this.classAttr(recv.cls, name, 0);
        if (m) return this.callWith(m.t === 'func' && !own ? { ...m, self: recv } : m, this.makeCall(e, scope, m.t === 'ref' ? m.path : '', written), e);
        const call = this.makeCall(e, scope, '', written);
        for (const b of this.nativeBases(recv.cls)) {
          const v = b.method?.(recv, name, call, this);
          if (v) return this.fresh(v, e);
          const a = b.attr?.(recv, name, this, e.callee);
          if (a) return this.callWith(a, call, e);
        }
        return UNKNOWN;
      }
      case 'list': case 'dict': case 'str': case 'builtin': case 'class': {
        const call = this.makeCall(e, scope, '', written);
        if (recv.t === 'class') {
          const m = this.classAttr(recv, name, 0);
          return m ? this.callWith(m, call, e) : UNKNOWN;
        }
        if (recv.t === 'builtin') return this.builtin(`${recv.name}.${name}`, call, e);
        return this.valueMethod(recv, name, call);
      }
      case 'unknown': {
        const call = this.makeCall(e, scope, '', written);
        const v = this.lib.unknownMethod?.(name, e.callee.k === 'member' ? e.callee.obj : e.callee, call, this);
        if (v === undefined) {
          const u = this.unfollowedCall(call, e, recv);
          this.callbacks(call, e);
          return u;
        }
        return this.fresh(v, e);
      }
      default:
        this.makeCall(e, scope, '', written);
        return UNKNOWN;
    }
  }

  callValue(f: Val, args: Val[], at: Span): Val {
    const e: Extract<Expr, { k: 'call' }> = { k: 'call', callee: { k: 'other', what: 'value', ...at }, args: args.map(() => ({ k: 'other', what: 'argument', ...at })), kwargs: [], ...at };
    const call: Call = {
      expr: e, path: f.t === 'ref' ? f.path : '', written: '', args, argExprs: e.args, kw: new Map(), named: new Map(),
      arg: (pos: number) => (pos >= 0 && pos < args.length ? { v: args[pos], expr: e.args[pos], span: at } : undefined),
    };
    // Library code calling a user function (`tf.app.run(main)`) is not a helper call on the call stack.
    this.libraryCall = true;
    try {
      return this.callWith(f, call, e);
    } finally {
      this.libraryCall = false;
    }
  }

  globalValue(name: string): Val | undefined {
    return this.global.get(name);
  }

  private callWith(f: Val, call: Call, e: Extract<Expr, { k: 'call' }>): Val {
    switch (f.t) {
      case 'func': return this.invoke(f, call, e);
      case 'builtin': return this.builtin(f.name, call, e);
      case 'class': return this.instantiate(f, call, e);
      case 'instance': {
        const m = this.classAttr(f.cls, '__call__', 0);
        if (m?.t === 'func') return this.invoke({ ...m, self: f }, call, e);
        for (const b of this.nativeBases(f.cls)) {
          const v = b.call?.(f, call, this);
          if (v) return this.fresh(v, e);
        }
        return UNKNOWN;
      }
      case 'ref': {
        const v = this.lib.call({ ...call, path: f.path }, this);
        if (v === undefined) {
          const u = this.unfollowedCall(call, e, undefined, f.path);
          this.callbacks(call, e);
          return u;
        }
        return this.fresh(v, e);
      }
      case 'native': return this.fresh(f.obj.call?.(call, this) ?? UNKNOWN, e);
      case 'unknown': {
        const u = this.unfollowedCall(call, e, f);
        this.callbacks(call, e);
        return u;
      }
      default: return UNKNOWN;
    }
  }

  /**
   * A call of a library name no framework module reads, or of a value not known (`hub.Module(url)`,
   * `module(x)`): kept (the first MAX_UNFOLLOWED) so that a file where no model is found can say which
   * construct stopped the reader. `takesData`: a framework value (the input, a tensor, a layer) is passed.
   */
  private unfollowedCall(call: Call, e: Extract<Expr, { k: 'call' }>, on?: Val, path?: string): Val {
    if (this.unfollowed.length >= MAX_UNFOLLOWED) return UNKNOWN;
    const takesData = [...call.args, ...[...call.kw.values()].map((a) => a.v)].some((v) => v.t === 'native' && DATA_KINDS.has(v.obj.kind));
    const u: Unfollowed = { span: { from: e.from, to: e.to }, path, written: this.src(e.callee), takesData };
    // Called on (or calling) the result of another call not followed (`model = load_model(f)` … `model.fit(x)`): where that came from.
    const from = on && this.origins.get(on);
    if (from) u.from = from;
    this.unfollowed.push(u);
    // Its result is a value of its own, so that what is later done with it can name this call.
    const v: Val = { t: 'unknown' };
    this.origins.set(v, u);
    return v;
  }

  /**
   * A call that is not followed (a helper of another module, a library function no framework module reads)
   * given a function of the file that trains (`datavis.animate(training_step, iterations=10000 + 1)`,
   * `utils.run(step)`): that function is the step of a loop run by the callee, as many times as its
   * `iterations=` / `steps=` / `epochs=` (…) argument says — or an unknown number of times, which the step count's
   * note then says. Read here, once, inside that loop.
   */
  private callbacks(call: Call, e: Extract<Expr, { k: 'call' }>): void {
    if (this.libraryCall) return;
    const given = [...call.args, ...[...call.kw.values()].map((a) => a.v)];
    const fns = given.filter((v): v is FuncVal => v.t === 'func' && !this.called.has(v.node));
    if (fns.length === 0) return;
    let times: number | undefined;
    for (const [name, a] of call.kw) {
      if (!CALLBACK_COUNTS.has(name) || a.v.t !== 'num') continue;
      if (Number.isInteger(a.v.v) && a.v.v > 0) times = a.v.v;
    }
    const callee = this.src(e.callee);
    for (const f of new Set(fns)) {
      if (this.called.has(f.node) || !this.trainsOnce(f.body, 0, () => this.trains(f.body, new Set(), 0))) continue;
      // Without a count, a function that runs a whole training (its own loop, a `fit`) is an entry point
      // (`addEventListener('load', run)`, `Thread(target=train)`): read once, where it is read anyway.
      if (times === undefined && this.trainsWhole(f.body, new Set(), 0)) continue;
      const unknownCount = `could not tell how many times ${callee}(...) calls ${f.name || 'the function it is given'}() (the training step): using 1000 steps (the default of the model spec)`;
      this.loops.push({ count: times, header: e, training: true, unknownCount });
      try {
        this.callValue(f, [], e);
      } finally {
        this.loops.pop();
      }
    }
  }

  private instantiate(cls: ClassVal, call: Call, e: Extract<Expr, { k: 'call' }>): Val {
    const inst: InstanceVal = { t: 'instance', cls, attrs: new Map(), data: new Map(), span: e };
    for (const b of this.nativeBases(cls)) b.create?.(inst, call, this);
    const init = this.classAttr(cls, '__init__', 0);
    if (init?.t === 'func') this.invoke({ ...init, self: inst }, call, e);
    for (const b of this.nativeBases(cls)) b.initialized?.(inst, call, this);
    return inst;
  }

  private invoke(f: FuncVal, call: Call, e: Extract<Expr, { k: 'call' }>): Val {
    this.called.add(f.node);
    if (this.callDepth >= MAX_CALL_DEPTH) {
      this.note(e, `calls nested too deeply to follow (${this.src(e)})`);
      return UNKNOWN;
    }
    const local = new Scope(f.scope);
    const positional = [...call.args];
    let params = f.params;
    if (f.self) {
      if (this.dialect === 'js') local.set('this', f.self);
      else if (params[0] && !params[0].rest) {
        local.set(params[0].name, f.self);
        params = params.slice(1);
      }
    }
    const used = new Set<string>();
    params.forEach((p, i) => {
      if (p.rest === '*') {
        const rest = positional.slice(i);
        this.chargeList(e, rest.length, 0, 'a tuple');
        local.set(p.name, this.mkList(rest, e, true));
        return;
      }
      if (p.rest === '**') {
        const d: Extract<Val, { t: 'dict' }> = { t: 'dict', entries: new Map() };
        for (const [k, a] of call.named) if (!used.has(k)) this.setEntry(d, `s:${k}`, { key: { t: 'str', v: k }, value: a.v }, e);
        local.set(p.name, d);
        return;
      }
      const kw = call.named.get(p.name);
      if (kw) used.add(p.name);
      const track = f.name === '__init__' ? this.pendingDefaults : undefined;
      local.set(p.name, kw ? kw.v : i < positional.length ? positional[i] : p.dflt ? this.defaultValue(p.name, p.dflt, f.scope, track) : UNKNOWN);
    });
    if (f.owner && this.dialect === 'python') {
      // Python's zero-argument super() reads the method's class and first argument.
      const selfV = f.self ?? (f.params[0] && !f.params[0].rest ? local.get(f.params[0].name) : undefined) ?? UNKNOWN;
      const owner = f.owner;
      local.set('super', native(new SuperCallV((cls, self, name) => this.superAttr(cls, self, name), owner, selfV)));
    }
    const pushed = !this.libraryCall;
    if (pushed) this.callStack.push({ from: e.from, to: e.to });
    this.libraryCall = false;
    this.callDepth++;
    try {
      return this.runBody(f.body, local);
    } finally {
      this.callDepth--;
      if (pushed) this.callStack.pop();
    }
  }

  // ---- types (language level) ---------------------------------------------------------------

  /** `type(v)` / `v.__class__`: a user instance's class, a framework value's library class, a builtin type. */
  private typeOf(v: Val): Val {
    switch (v.t) {
      case 'instance': return v.cls;
      case 'native': {
        const path = v.obj.classPath;
        return path ? { t: 'ref', path, written: path.slice(path.lastIndexOf('.') + 1) } : UNKNOWN;
      }
      case 'str': return { t: 'builtin', name: 'str' };
      case 'bool': return { t: 'builtin', name: 'bool' };
      case 'list': return { t: 'builtin', name: v.tuple ? 'tuple' : 'list' };
      case 'dict': return { t: 'builtin', name: 'dict' };
      default: return UNKNOWN;
    }
  }

  /** `isinstance(v, c)` for one class `c` (a user class, a library class, a builtin type); undefined: not known. */
  private isInstance(v: Val, c: Val): boolean | undefined {
    if (v.t === 'native' && v.obj instanceof UnboundParamV) return undefined;
    if (c.t === 'class') {
      if (v.t === 'instance') return this.derives(v.cls, c, undefined, 0);
      // A library value or a plain value is never an instance of a class of this file.
      return v.t === 'unknown' ? undefined : false;
    }
    if (c.t === 'ref') {
      if (v.t === 'native') return v.obj.instanceOf?.(c.path);
      if (v.t === 'instance') return this.derives(v.cls, undefined, c.path, 0);
      return undefined;
    }
    if (c.t === 'builtin') {
      // Numbers do not say whether they are ints or floats (3 / 1 is a float in Python 3): not known.
      if (v.t === 'num') return c.name === 'int' || c.name === 'float' ? (Number.isInteger(v.v) ? undefined : c.name === 'float') : false;
      const of: Partial<Record<Val['t'], string>> = { str: 'str', bool: 'bool', dict: 'dict' };
      if (v.t === 'list') return c.name === (v.tuple ? 'tuple' : 'list');
      const name = of[v.t];
      if (name) return c.name === name || (v.t === 'bool' && c.name === 'int');
      return v.t === 'none' || v.t === 'func' ? false : undefined;
    }
    return undefined;
  }

  /**
   * Whether a user class is, or derives from, the user class `cls` or the library class `path`
   * (through user classes and the library's own class tree); undefined: not known.
   */
  private derives(from: ClassVal, cls: ClassVal | undefined, path: string | undefined, depth: number): boolean | undefined {
    if (depth > 20) return undefined;
    if (cls && from === cls) return true;
    let unknown = false;
    for (const b of from.bases) {
      let r: boolean | undefined;
      if (b.t === 'class') r = this.derives(b, cls, path, depth + 1);
      else if (b.t === 'ref') r = path === undefined ? false : b.path === path ? true : this.lib.isSubclass?.(b.path, path);
      else r = undefined;
      if (r === true) return true;
      if (r === undefined) unknown = true;
    }
    return unknown ? undefined : false;
  }

  /** `hasattr(v, name)`; undefined: not known. */
  private hasAttr(v: Val, name: string): boolean | undefined {
    switch (v.t) {
      case 'instance': {
        if (v.attrs.has(name) || this.classAttr(v.cls, name, 0)) return true;
        const bases = this.nativeBases(v.cls);
        if (bases.length === 0) return false;
        const answers = bases.map((b) => b.hasAttr?.(v, name));
        if (answers.some((x) => x === true)) return true;
        return answers.every((x) => x === false) ? false : undefined;
      }
      case 'native': {
        if (v.obj instanceof UnboundParamV) return undefined;
        const got = v.obj.attr?.(name, this, { from: 0, to: 0 });
        if (got && got.t !== 'unknown') return true;
        return v.obj.hasAttr?.(name);
      }
      case 'dict': return this.dialect === 'js' ? v.entries.has(`s:${name}`) : undefined;
      case 'class': return this.classAttr(v, name, 0) ? true : undefined;
      default: return undefined;
    }
  }

  // ---- builtins (language level) ------------------------------------------------------------

  private valueMethod(recv: Val, name: string, call: Call): Val {
    const a0 = call.args[0];
    const at = call.expr;
    if (recv.t === 'list') {
      const grow = (n: number) => this.chargeList(at, n, 0, recv.tuple ? 'a tuple' : 'a list', recv.items.length + n);
      switch (name) {
        case 'append': case 'push':
          if (a0) {
            grow(1);
            this.deepened(recv, a0, at);
            recv.items.push(a0);
          }
          return NONE;
        case 'extend': {
          const more = a0 ? this.items(a0, at) : undefined;
          if (more) {
            grow(more.length);
            if (a0) this.deepened(recv, a0, at);
            // `l.extend(l)`: the items it had.
            const n = more.length;
            for (let i = 0; i < n; i++) recv.items.push(more[i]);
          }
          return NONE;
        }
        case 'insert': {
          const i = a0?.t === 'num' ? a0.v : undefined;
          const x = call.args[1];
          if (i !== undefined && x) {
            grow(1);
            this.budget.step(at, recv.items.length);
            this.deepened(recv, x, at);
            recv.items.splice(i, 0, x);
          }
          return NONE;
        }
        case 'pop': return recv.items.pop() ?? UNKNOWN;
        case 'index': return UNKNOWN;
        case 'copy': case 'slice':
          this.chargeList(at, recv.items.length, 0, 'a copy of a list');
          return this.mkList(recv.items.slice(), at, false, this.depthOf(recv));
        default: return UNKNOWN;
      }
    }
    if (recv.t === 'dict') {
      const n = recv.entries.size;
      const depth = this.depthOf(recv);
      switch (name) {
        case 'items':
          this.chargeList(at, 3 * n, n, 'the items of a dict', n);
          return this.mkList([...recv.entries.values()].map((en) => this.mkList([en.key, en.value], at, true)), at);
        case 'keys':
          this.chargeList(at, n, 0, 'the keys of a dict');
          return this.mkList([...recv.entries.values()].map((en) => en.key), at);
        case 'values':
          this.chargeList(at, n, 0, 'the values of a dict');
          return this.mkList([...recv.entries.values()].map((en) => en.value), at, false, depth);
        case 'get': { const k = a0 ? keyOf(a0) : undefined; return (k && recv.entries.get(k)?.value) || call.args[1] || NONE; }
        case 'setdefault': {
          const k = a0 ? keyOf(a0) : undefined;
          if (!k || !a0) return UNKNOWN;
          const have = recv.entries.get(k);
          if (have) return have.value;
          const v = call.args[1] ?? NONE;
          this.setEntry(recv, k, { key: a0, value: v }, at);
          return v;
        }
        case 'update': {
          if (a0?.t === 'dict') for (const [k, en] of a0.entries) this.setEntry(recv, k, en, at);
          for (const [k, a] of call.named) this.setEntry(recv, `s:${k}`, { key: { t: 'str', v: k }, value: a.v }, at);
          return NONE;
        }
        case 'copy': {
          this.chargeDict(at, n);
          const copy: Val = { t: 'dict', entries: new Map(recv.entries) };
          return this.nested(copy, depth, at);
        }
        default: return UNKNOWN;
      }
    }
    if (recv.t === 'str') {
      const str = recv.v;
      if (name === 'lower' || name === 'toLowerCase') return this.mkStr(str.toLowerCase(), at);
      if (name === 'upper' || name === 'toUpperCase') return this.mkStr(str.toUpperCase(), at);
      if (name === 'strip' || name === 'trim') return this.mkStr(str.trim(), at);
      // Tests on names (`classname.find('Linear') != -1`, `name.endswith('.weight')`, `name.split('.')[-1]`).
      const strs = (v: Val | undefined): string[] | undefined =>
        v?.t === 'str' ? [v.v] : v?.t === 'list' && v.items.every((x) => x.t === 'str') ? v.items.map((x) => (x as { v: string }).v) : undefined;
      const s0 = a0?.t === 'str' ? a0.v : undefined;
      this.budget.step(at, scanCost(str.length));
      switch (name) {
        case 'find': case 'indexOf': return s0 === undefined || call.args.length > 1 ? UNKNOWN : { t: 'num', v: str.indexOf(s0) };
        case 'rfind': case 'lastIndexOf': return s0 === undefined || call.args.length > 1 ? UNKNOWN : { t: 'num', v: str.lastIndexOf(s0) };
        case 'includes': return s0 === undefined ? UNKNOWN : { t: 'bool', v: str.includes(s0) };
        case 'count': return s0 === undefined || s0 === '' || call.args.length > 1 ? UNKNOWN : { t: 'num', v: occurrences(str, s0) };
        case 'startswith': case 'endswith': case 'startsWith': case 'endsWith': {
          const xs = strs(a0);
          if (!xs || call.args.length > 1) return UNKNOWN;
          const start = name.startsWith('start');
          return { t: 'bool', v: xs.some((x) => (start ? str.startsWith(x) : str.endsWith(x))) };
        }
        case 'split': case 'rsplit': {
          if (call.args.length > 1 || call.kw.size > 0) return UNKNOWN;
          const bare = a0 === undefined || a0.t === 'none';
          const sep = s0 !== undefined && s0 !== '';
          if (!sep && !bare) return UNKNOWN;
          // Counted before it is split (a long string of separators is many parts); Python's split() at most one a character pair.
          const n = sep ? occurrences(str, s0) + 1 : this.dialect === 'js' ? 1 : Math.ceil((str.length + 1) / 2);
          this.chargeList(at, n, 2 * n, 'the parts of a split string');
          const parts = sep ? str.split(s0) : this.dialect === 'js' ? [str] : str.trim().split(/\s+/).filter((x) => x !== '');
          return this.mkList(parts.map((x) => ({ t: 'str', v: x })), at, false, 1);
        }
        case 'replace': case 'replaceAll': {
          const b = call.args[1];
          if (s0 === undefined || s0 === '' || b?.t !== 'str' || call.args.length > 2) return UNKNOWN;
          // JS's replace changes the first occurrence only.
          const k = this.dialect === 'js' && name === 'replace' ? (str.includes(s0) ? 1 : 0) : occurrences(str, s0);
          this.chargeStr(at, str.length + k * (b.v.length - s0.length));
          if (this.dialect === 'js' && name === 'replace') return { t: 'str', v: str.replace(s0, () => b.v) };
          return { t: 'str', v: str.split(s0).join(b.v) };
        }
        default: return UNKNOWN;
      }
    }
    return UNKNOWN;
  }

  private builtin(name: string, call: Call, e: Extract<Expr, { k: 'call' }>): Val {
    const a = call.args;
    const n0 = a[0]?.t === 'num' ? a[0].v : a[0]?.t === 'bool' ? Number(a[0].v) : undefined;
    const nums = (): number[] | undefined => {
      const src = a.length === 1 ? this.items(a[0], e) : a;
      if (!src || src.length === 0) return undefined;
      this.budget.step(e, src.length);
      const out: number[] = [];
      for (const x of src) {
        if (x.t !== 'num') return undefined;
        out.push(x.v);
      }
      return out;
    };
    const num = (v: number | undefined): Val => (v === undefined || !Number.isFinite(v) ? UNKNOWN : { t: 'num', v, span: e });
    switch (name) {
      case 'range': case 'xrange': {
        const xs = a.map((x) => (x.t === 'num' && Number.isInteger(x.v) ? x.v : undefined));
        if (call.kw.size > 0 || xs.length === 0 || xs.length > 3 || xs.some((x) => x === undefined)) return UNKNOWN;
        const [start, stop, step] = xs.length === 1 ? [0, xs[0]!, 1] : [xs[0]!, xs[1]!, xs[2] ?? 1];
        return step === 0 ? UNKNOWN : { t: 'range', start, stop, step };
      }
      case 'len': {
        const n = a[0] ? this.len(a[0]) : undefined;
        return n === undefined ? UNKNOWN : { t: 'num', v: n, span: e };
      }
      case 'int': case 'parseInt':
        if (a[0]?.t === 'str') return num(Number.parseInt(a[0].v, 10));
        return num(n0 === undefined ? undefined : Math.trunc(n0));
      case 'float': case 'Number': case 'parseFloat':
        if (a[0]?.t === 'str') return num(Number(a[0].v));
        return num(n0);
      case 'bool': { const t = a[0] ? this.truthy(a[0]) : false; return t === undefined ? UNKNOWN : { t: 'bool', v: t }; }
      case 'round': {
        const digits = a[1]?.t === 'num' ? a[1].v : undefined;
        if (n0 === undefined || (a[1] && (digits === undefined || !Number.isInteger(digits)))) return UNKNOWN;
        if (digits === undefined) return num(Math.round(n0));
        // toFixed takes 0 to 100 digits; a float has no more than 17 significant ones.
        return num(digits >= 0 ? Number(n0.toFixed(Math.min(digits, 100))) : Math.round(n0 / 10 ** -digits) * 10 ** -digits);
      }
      case 'abs': case 'Math.abs': return num(n0 === undefined ? undefined : Math.abs(n0));
      case 'min': case 'Math.min': { const xs = nums(); return num(xs ? xs.reduce((p, x) => Math.min(p, x), Infinity) : undefined); }
      case 'max': case 'Math.max': { const xs = nums(); return num(xs ? xs.reduce((p, x) => Math.max(p, x), -Infinity) : undefined); }
      case 'sum': { const xs = nums(); return num(xs ? xs.reduce((p, x) => p + x, 0) : undefined); }
      case 'Math.sqrt': return num(n0 === undefined ? undefined : Math.sqrt(n0));
      case 'Math.floor': return num(n0 === undefined ? undefined : Math.floor(n0));
      case 'Math.ceil': return num(n0 === undefined ? undefined : Math.ceil(n0));
      case 'Math.round': return num(n0 === undefined ? undefined : Math.round(n0));
      case 'Math.pow': return num(n0 === undefined || a[1]?.t !== 'num' ? undefined : n0 ** a[1].v);
      case 'Math.exp': return num(n0 === undefined ? undefined : Math.exp(n0));
      case 'Math.log': return num(n0 === undefined ? undefined : Math.log(n0));
      case 'enumerate': {
        const items = a[0] ? this.items(a[0], e) : undefined;
        if (!items) return a[0]?.t === 'native' ? { t: 'native', obj: new EnumerateV(a[0].obj) } : UNKNOWN;
        this.chargeList(e, 3 * items.length, 2 * items.length, 'an enumerate', items.length);
        return this.mkList(items.map((x, i) => this.mkList([{ t: 'num', v: i }, x], e, true)), e);
      }
      case 'zip': {
        const lists = a.map((x) => this.items(x, e));
        if (lists.length === 0 || lists.some((l) => !l)) return UNKNOWN;
        const n = lists.reduce((m, l) => Math.min(m, l!.length), Infinity);
        this.chargeList(e, n * (1 + lists.length), n, 'a zip', n);
        return this.mkList(Array.from({ length: n }, (_, i) => this.mkList(lists.map((l) => l![i]), e, true)), e);
      }
      case 'list': case 'tuple': case 'sorted': case 'Array.from': {
        if (!a[0]) return { t: 'list', items: [] };
        const items = this.items(a[0], e);
        if (!items) return a[0].t === 'native' ? a[0] : UNKNOWN;
        this.chargeList(e, items.length, 0, name === 'tuple' ? 'a tuple' : 'a list');
        const copy = items.slice();
        if (name === 'sorted' && copy.every((x) => x.t === 'num')) {
          this.budget.step(e, copy.length * Math.ceil(Math.log2(copy.length + 1)));
          copy.sort((x, y) => (x as { v: number }).v - (y as { v: number }).v);
        }
        return this.mkList(copy, e, name === 'tuple', a[0].t === 'list' ? this.depthOf(a[0]) : undefined);
      }
      case 'reversed': {
        const items = a[0] ? this.items(a[0], e) : undefined;
        if (!items) return UNKNOWN;
        this.chargeList(e, items.length);
        return this.mkList(items.slice().reverse(), e, false, a[0].t === 'list' ? this.depthOf(a[0]) : undefined);
      }
      case 'dict': {
        const d: Extract<Val, { t: 'dict' }> = { t: 'dict', entries: new Map() };
        if (a[0]?.t === 'dict') for (const [k, en] of a[0].entries) this.setEntry(d, k, en, e);
        else if (a[0]?.t === 'list') {
          // dict([(key, value), ...]), in order
          this.budget.step(e, a[0].items.length);
          for (const pair of a[0].items) {
            const k = pair.t === 'list' && pair.items.length === 2 ? keyOf(pair.items[0]) : undefined;
            if (k && pair.t === 'list') this.setEntry(d, k, { key: pair.items[0], value: pair.items[1] }, e);
          }
        }
        for (const [k, arg] of call.named) this.setEntry(d, `s:${k}`, { key: { t: 'str', v: k }, value: arg.v, span: arg.span, valueExpr: arg.expr }, e);
        return d;
      }
      case 'str': return a[0]?.t === 'str' ? a[0] : a[0]?.t === 'num' ? this.mkStr(String(a[0].v), e) : UNKNOWN;
      case 'getattr': {
        if (!a[0] || a[1]?.t !== 'str') return UNKNOWN;
        // getattr(obj, 'bias', None): the default when obj is known not to have it.
        if (a.length > 2 && this.hasAttr(a[0], a[1].v) === false) return a[2];
        return this.attr(a[0], a[1].v, e);
      }
      case 'hasattr': {
        const h = a[0] && a[1]?.t === 'str' ? this.hasAttr(a[0], a[1].v) : undefined;
        return h === undefined ? UNKNOWN : { t: 'bool', v: h };
      }
      case 'type': return a.length === 1 && a[0] ? this.typeOf(a[0]) : UNKNOWN;
      case 'isinstance': {
        const classes = a[1]?.t === 'list' ? a[1].items : a[1] ? [a[1]] : [];
        if (!a[0] || classes.length === 0) return UNKNOWN;
        const obj = a[0];
        const answers = classes.map((c) => this.isInstance(obj, c));
        if (answers.some((x) => x === true)) return { t: 'bool', v: true };
        return answers.every((x) => x === false) ? { t: 'bool', v: false } : UNKNOWN;
      }
      // iter(xs) is xs; next(it) its first element (a loop's representative element for a framework value).
      case 'iter': return a[0] ?? UNKNOWN;
      case 'next': {
        const it = a[0];
        if (!it) return UNKNOWN;
        if (it.t === 'native') return it.obj.element?.(this) ?? a[1] ?? UNKNOWN;
        const items = this.items(it);
        return items?.[0] ?? a[1] ?? UNKNOWN;
      }
      case 'super': return UNKNOWN;
      case 'require': {
        if (a[0]?.t !== 'str') return UNKNOWN;
        const root = this.lib.module(a[0].v, this.dialect);
        return root ? { t: 'ref', path: this.lib.canonical(root), written: '' } : UNKNOWN;
      }
      default:
        return UNKNOWN; // print, console.log, isinstance, open...
    }
  }
}

/** Whether `name` is assigned anywhere in `stmts` (nested blocks, loops and branches included). */
function assigns(stmts: Stmt[], name: string, depth = 0): boolean {
  if (depth > 40) return false;
  const target = (e: Expr): boolean => (e.k === 'name' ? e.id === name : e.k === 'list' ? e.items.some(target) : false);
  return stmts.some((s) => {
    switch (s.k) {
      case 'assign': return s.targets.some(target);
      case 'loop': return (s.target ? target(s.target) : false) || assigns(s.body, name, depth + 1);
      case 'block': return assigns(s.body, name, depth + 1);
      case 'if': return s.branches.some((b) => assigns(b.body, name, depth + 1));
      default: return false;
    }
  });
}

/** Whether two values are the same class or type (user classes by identity, library classes by canonical path); undefined: not both types. */
function sameType(a: Val, b: Val): boolean | undefined {
  const isType = (v: Val) => v.t === 'class' || v.t === 'ref' || (v.t === 'builtin' && PY_TYPES.has(v.name));
  if (!isType(a) || !isType(b)) return undefined;
  if (a.t === 'class' || b.t === 'class') return a === b;
  if (a.t === 'ref' && b.t === 'ref') return a.path === b.path;
  if (a.t === 'builtin' && b.t === 'builtin') return a.name === b.name;
  return false;
}

const PY_TYPES = new Set(['int', 'float', 'str', 'bool', 'list', 'tuple', 'dict']);

/** How many times `sub` (not empty) occurs in `s`, without overlaps (as `s.split(sub).length - 1`, without splitting). */
function occurrences(s: string, sub: string): number {
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

/** Work of scanning a string of `chars` characters (native code: 64 characters a step). */
const scanCost = (chars: number): number => 1 + Math.floor(chars / 64);

function rangeLen(r: { start: number; stop: number; step: number }): number {
  return Math.max(0, Math.ceil((r.stop - r.start) / r.step));
}

/** A dict key for a value (strings, numbers, tuples of them; objects by identity), undefined when it cannot be a key we follow. */
const identities = new WeakMap<object, number>();
let nextIdentity = 0;

export function keyOf(v: Val): string | undefined {
  return keyIn(v, { left: MAX_KEY_PARTS });
}

/** The most values one key is made of (a tuple of tuples...: the walk is bounded, whatever nests in what). */
const MAX_KEY_PARTS = 64;

function keyIn(v: Val, parts: { left: number }): string | undefined {
  if (--parts.left < 0) return undefined;
  if (v.t === 'native' || v.t === 'instance' || v.t === 'func' || v.t === 'class') {
    // Objects are keys by identity (a feed_dict keyed by placeholders).
    const o = v.t === 'native' ? v.obj : v;
    let id = identities.get(o);
    if (id === undefined) identities.set(o, (id = nextIdentity++));
    return `o:${id}`;
  }
  if (v.t === 'str') return `s:${v.v}`;
  if (v.t === 'num') return `n:${v.v}`;
  if (v.t === 'ref') return `r:${v.path}`;
  if (v.t === 'bool') return `n:${Number(v.v)}`;
  if (v.t === 'list' && v.items.length <= 8) {
    const keys: string[] = [];
    for (const x of v.items) {
      const k = keyIn(x, parts);
      if (k === undefined) return undefined;
      keys.push(k);
    }
    return `t:${keys.join(',')}`;
  }
  return undefined;
}

/** `v.obj` when `v` is a native of class `cls`. */
export function nativeOf<T extends Native>(v: Val | undefined, cls: abstract new (...args: never[]) => T): T | undefined {
  return v?.t === 'native' && v.obj instanceof cls ? v.obj : undefined;
}

/** Wraps a native object as a value. */
export const native = (obj: Native): Val => ({ t: 'native', obj });

