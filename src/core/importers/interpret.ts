// Reads a model out of a lowered program (ast.ts) by abstract interpretation: statements run once, in
// order, over symbolic values (numbers, placeholders, variables with their initializer, tensors that
// know which layer produced them, Keras/tfjs layer and model objects, optimizers). Three idioms share
// it: TF1 dataflow (`tf.matmul(x, W) + b` through `tf.nn.relu`), Keras (`Sequential`, `model.add`,
// functional `Dense(..)(x)`) and tfjs (`tf.sequential`, `tf.layers.dense({...})`, config objects).
// Loops run their body once and multiply the counts of `range(N)` loops around `next_batch(B)`/`fit`.
// Anything not followed becomes a note at its span; nothing throws on odd input.
import type { Initializer, OptimizerSpec, OptimizerType } from '../spec';
import { type Expr, type Kwarg, type Span, type Stmt, dottedName, lastName } from './ast';
import type { InitializerIdiom } from './types';

export type Dialect = 'python' | 'js';

/** Where an initializer is written, so a quick fix can rewrite it in the file's own idiom. */
export interface InitSite {
  span: Span;
  idiom: InitializerIdiom;
  /** Module prefix to reuse (`tf`, `tf.compat.v1`, `tf.keras.initializers`); '' when the name was imported bare. */
  prefix: string;
  /** TF1 tensor initial values: the source span of the shape argument. */
  shape?: Span;
  /** TF2 spelling (`tf.random.uniform`) rather than TF1 (`tf.random_uniform`). */
  v2?: boolean;
  /** Set when the same source expression initialises several layers (a helper function): no edit then. */
  shared?: boolean;
}

export interface InitRec {
  init: Initializer;
  site?: InitSite;
}

export interface LayerRec {
  id: number;
  units?: number;
  /** Kernel shape when written out (TF1): [fanIn, units]. */
  kernelShape?: (number | undefined)[];
  biasShape?: (number | undefined)[];
  activation?: string;
  activationSpan?: Span;
  activationSite?: { span: Span; idiom: 'string' | 'name' };
  kernel?: InitRec;
  bias?: InitRec;
  useBias: boolean;
  /** The expression that creates the kernel (findings anchor here). */
  weightsSpan: Span;
  biasSpan?: Span;
  definition: Span;
  input?: LayerRec | 'input';
  /** Used as logits of a softmax cross-entropy. */
  logits?: boolean;
  kind: 'dataflow' | 'object';
  /** The layer object was placed in a model (so it is not also an orphan). */
  placed?: boolean;
  /** TF1: the kernel is a tf.Variable multiplied in by hand. */
  fromVariable?: boolean;
}

interface ModelRec {
  span: Span;
  layers: LayerRec[];
  optimizer?: OptimizerVal;
  fromLogits?: boolean;
  fitted?: boolean;
  compiled?: boolean;
}

interface OptimizerVal {
  spec: OptimizerSpec;
  span: Span;
  lrSpan?: Span;
}

type Val =
  | { t: 'num'; v: number; span?: Span }
  | { t: 'str'; v: string; span: Span }
  | { t: 'none' }
  | { t: 'bool'; v: boolean }
  | { t: 'list'; items: Val[] }
  | { t: 'dict'; entries: Kwarg[] }
  | { t: 'placeholder'; shape?: (number | undefined)[]; span: Span }
  | { t: 'tensor'; source: LayerRec | 'input'; activated: boolean }
  | { t: 'initTensor'; rec: InitRec; shape?: (number | undefined)[] }
  | { t: 'initializer'; rec: InitRec }
  | { t: 'var'; rec?: InitRec; shape?: (number | undefined)[]; span: Span }
  | { t: 'layer'; layer: LayerRec }
  | { t: 'activationLayer'; activation: string; span: Span; site?: { span: Span; idiom: 'string' | 'name' } }
  | { t: 'passLayer'; what: string; span: Span }
  | { t: 'model'; model: ModelRec }
  | { t: 'optimizer'; opt: OptimizerVal }
  | { t: 'func'; def: Extract<Stmt, { k: 'def' }>; scope: Scope }
  | { t: 'loss'; fromLogits: boolean }
  | { t: 'dataset'; examples: number }
  | { t: 'unknown' };

const UNKNOWN: Val = { t: 'unknown' };

interface Args {
  args: Val[];
  argExprs: Expr[];
  kw: Map<string, { v: Val; expr: Expr; span: Span }>;
}
const NONE: Val = { t: 'none' };

class Scope {
  private readonly vars = new Map<string, Val>();
  constructor(readonly parent?: Scope) {}
  get(name: string): Val | undefined {
    return this.vars.get(name) ?? this.parent?.get(name);
  }
  set(name: string, v: Val): void {
    this.vars.set(name, v);
  }
}

export interface Note {
  span: Span;
  message: string;
}

export interface Interpretation {
  /** The layers of the model, input to output (empty when none was found). */
  layers: LayerRec[];
  modelSpan?: Span;
  optimizer?: OptimizerVal;
  batch?: { value: number; span: Span };
  steps?: { value: number; span: Span };
  fromLogits: boolean;
  notes: Note[];
  /** Whether the file uses TensorFlow / Keras / tfjs constructs at all (else importSource says "not a model file"). */
  looksLikeModel: boolean;
  style: 'tf1' | 'layers';
}

/** Normalised names: `random_uniform`, `randomUniform`, `RandomUniform` → `randomuniform`. */
const norm = (s: string): string => s.replace(/_/g, '').toLowerCase();

const ACTIVATION_NAMES: Record<string, string> = {
  relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', softmax: 'softmax', linear: 'linear', elu: 'elu', selu: 'selu',
  leakyrelu: 'leakyRelu', identity: 'linear',
};

const NAMED_INIT: Record<string, Initializer> = {
  zeros: 'zeros', zero: 'zeros', ones: 'ones', one: 'ones', glorotuniform: 'glorotUniform', glorotnormal: 'glorotNormal',
  henormal: 'heNormal', heuniform: 'heUniform', lecunnormal: 'leCunNormal', lecununiform: 'leCunUniform',
  xavieruniform: 'glorotUniform', xaviernormal: 'glorotNormal',
  zerosinitializer: 'zeros', onesinitializer: 'ones', glorotuniforminitializer: 'glorotUniform', glorotnormalinitializer: 'glorotNormal',
};

const UNSUPPORTED_LAYERS = new Set([
  'conv1d', 'conv2d', 'conv3d', 'maxpooling2d', 'maxpool2d', 'averagepooling2d', 'batchnormalization', 'lstm', 'gru',
  'simplernn', 'embedding', 'layernormalization', 'globalaveragepooling2d', 'separableconv2d', 'conv2dtranspose',
]);

export function interpret(program: Stmt[], dialect: Dialect, text: string): Interpretation {
  return new Interpreter(dialect, text).run(program);
}

class ReturnSignal {
  constructor(readonly value: Val) {}
}

const MAX_CALL_DEPTH = 8;
const MAX_WORK = 200_000;

class Interpreter {
  private readonly notes: Note[] = [];
  private readonly noted = new Set<string>();
  private readonly layers: LayerRec[] = [];
  private readonly models: ModelRec[] = [];
  private readonly optimizers: OptimizerVal[] = [];
  private minimized?: OptimizerVal;
  private batch?: { value: number; span: Span };
  private steps?: { value: number; span: Span };
  private readonly loopStack: { count?: number; header: Span }[] = [];
  private callDepth = 0;
  /** Outermost call being inlined: values made inside a helper anchor at its call site. */
  private callSite?: Span;
  private readonly called = new Set<Stmt>();
  private readonly defs: { def: Extract<Stmt, { k: 'def' }>; scope: Scope }[] = [];
  private looksLikeModel = false;
  private work = 0;
  private readonly siteUses = new Map<string, InitSite[]>();

  constructor(private readonly dialect: Dialect, private readonly text: string) {}

  private note(span: Span, message: string): void {
    const key = `${span.from}:${message}`;
    if (this.noted.has(key)) return;
    this.noted.add(key);
    this.notes.push({ span, message });
  }

  private src(span: Span): string {
    const s = this.text.slice(span.from, span.to).replace(/\s+/g, ' ');
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  }

  run(program: Stmt[]): Interpretation {
    const global = new Scope();
    this.runBody(program, global);
    // Functions never called here (`def main(_)` run by tf.app.run, `async function train()`): read their bodies too.
    for (const { def, scope } of this.defs) {
      if (this.called.has(def)) continue;
      const local = new Scope(scope);
      for (const p of def.params) local.set(p.name, p.dflt ? this.eval(p.dflt, scope) : UNKNOWN);
      this.callDepth++;
      try {
        this.runBody(def.body, local);
      } finally {
        this.callDepth--;
      }
    }
    return this.finish();
  }

  // ---- statements ---------------------------------------------------------------------------

  /** Runs statements up to a `return` (whose value it gives). */
  private runBody(stmts: Stmt[], scope: Scope): Val {
    try {
      this.block(stmts, scope);
      return NONE;
    } catch (r) {
      if (r instanceof ReturnSignal) return r.value;
      throw r;
    }
  }

  private block(stmts: Stmt[], scope: Scope): void {
    for (const s of stmts) this.stmt(s, scope);
  }

  private stmt(s: Stmt, scope: Scope): void {
    if (++this.work > MAX_WORK) return;
    switch (s.k) {
      case 'assign': {
        const v = this.eval(s.value, scope);
        for (const t of s.targets) this.bind(t, v, scope);
        return;
      }
      case 'expr':
        this.eval(s.e, scope);
        return;
      case 'def':
        scope.set(s.name, { t: 'func', def: s, scope });
        if (s.name) this.defs.push({ def: s, scope });
        return;
      case 'return':
        throw new ReturnSignal(s.e ? this.eval(s.e, scope) : NONE);
      case 'block':
        if (!s.fnBody) this.block(s.body, scope);
        else this.runBody(s.body, new Scope(scope));
        return;
      case 'loop': {
        let count: number | undefined;
        if (s.count) {
          const n = this.num(s.count, scope);
          const start = s.countStart ? this.num(s.countStart, scope) : 0;
          if (n !== undefined && start !== undefined && Number.isInteger(n) && Number.isInteger(start)) count = Math.max(0, n - start);
        }
        if (s.iter) this.eval(s.iter, scope);
        if (s.target) this.bind(s.target, UNKNOWN, scope);
        this.loopStack.push({ count, header: s.header });
        try {
          this.block(s.body, scope);
        } finally {
          this.loopStack.pop();
        }
        return;
      }
    }
  }

  private bind(target: Expr, v: Val, scope: Scope): void {
    if (target.k === 'name') scope.set(target.id, v);
    else if (target.k === 'member') {
      const d = dottedName(target);
      if (d) scope.set(d, v);
    } else if (target.k === 'list') {
      target.items.forEach((t, i) => this.bind(t, v.t === 'list' ? v.items[i] ?? UNKNOWN : UNKNOWN, scope));
    }
  }

  // ---- expressions --------------------------------------------------------------------------

  private num(e: Expr, scope: Scope): number | undefined {
    const v = this.eval(e, scope);
    return v.t === 'num' ? v.v : undefined;
  }

  private eval(e: Expr, scope: Scope): Val {
    if (++this.work > MAX_WORK) return UNKNOWN;
    switch (e.k) {
      case 'num': return { t: 'num', v: e.v, span: e };
      case 'str': return { t: 'str', v: e.v, span: e };
      case 'const': return e.v === null ? NONE : { t: 'bool', v: e.v };
      case 'name': return scope.get(e.id) ?? UNKNOWN;
      case 'member': {
        const d = dottedName(e);
        const bound = d ? scope.get(d) : undefined;
        if (bound) return bound;
        if (d && /(^|\.)(train|validation)\.num_examples$/.test(d)) return { t: 'num', v: d.includes('validation') ? 5000 : 55000 };
        if (e.prop === 'num_examples') return UNKNOWN;
        const obj = this.eval(e.obj, scope);
        if (obj.t === 'dataset' && e.prop === 'num_examples') return { t: 'num', v: obj.examples };
        return UNKNOWN;
      }
      case 'index': {
        const obj = this.eval(e.obj, scope);
        const i = e.index ? this.eval(e.index, scope) : UNKNOWN;
        if (obj.t === 'list' && i.t === 'num' && Number.isInteger(i.v)) return obj.items[i.v < 0 ? obj.items.length + i.v : i.v] ?? UNKNOWN;
        return UNKNOWN;
      }
      case 'list': return { t: 'list', items: e.items.map((x) => this.eval(x, scope)) };
      case 'object': return { t: 'dict', entries: e.entries };
      case 'unary': {
        const v = this.eval(e.arg, scope);
        if (v.t === 'num' && (e.op === '-' || e.op === '+')) return { t: 'num', v: e.op === '-' ? -v.v : v.v, span: e };
        if (e.op === '-' && v.t === 'tensor') return v;
        return UNKNOWN;
      }
      case 'bin': return this.binary(e, scope);
      case 'call': return this.call(e, scope);
      case 'other': return UNKNOWN;
    }
  }

  private binary(e: Extract<Expr, { k: 'bin' }>, scope: Scope): Val {
    const l = this.eval(e.left, scope);
    const r = this.eval(e.right, scope);
    if (l.t === 'num' && r.t === 'num') {
      const a = l.v;
      const b = r.v;
      let v: number | undefined;
      switch (e.op) {
        case '+': v = a + b; break;
        case '-': v = a - b; break;
        case '*': v = a * b; break;
        case '/': v = b === 0 ? undefined : a / b; break;
        case '//': v = b === 0 ? undefined : Math.floor(a / b); break;
        case '%': v = b === 0 ? undefined : a % b; break;
        case '**': v = a ** b; break;
      }
      return v === undefined || !Number.isFinite(v) ? UNKNOWN : { t: 'num', v, span: e };
    }
    if (e.op === '@') return this.matmul(l, r, e, e);
    if (e.op === '+') {
      if (l.t === 'tensor' && r.t === 'var') return this.addBias(l, r, e);
      if (r.t === 'tensor' && l.t === 'var') return this.addBias(r, l, e);
    }
    return UNKNOWN;
  }

  private call(e: Extract<Expr, { k: 'call' }>, scope: Scope): Val {
    // A layer object applied to a tensor (Keras functional API), or a user function.
    const name = lastName(e.callee);
    const dotted = dottedName(e.callee);
    let calleeEvaluated = false;
    if (e.callee.k === 'call' || (dotted !== undefined && scope.get(dotted) !== undefined) || (e.callee.k === 'name' && scope.get(e.callee.id))) {
      const f = this.eval(e.callee, scope);
      calleeEvaluated = true;
      if (f.t === 'func') return this.invoke(f, e, scope);
      if (f.t === 'layer' || f.t === 'activationLayer' || f.t === 'passLayer') return this.applyLayer(f, e.args[0] ? this.eval(e.args[0], scope) : UNKNOWN, e);
      if (f.t !== 'unknown' && e.callee.k !== 'member') return UNKNOWN;
    }
    if (name === undefined) {
      if (!calleeEvaluated) this.eval(e.callee, scope);
      this.argsOf(e, scope, true);
      return UNKNOWN;
    }
    // Method calls on known objects.
    if (e.callee.k === 'member') {
      const obj = this.eval(e.callee.obj, scope);
      if (obj.t === 'model') return this.modelMethod(obj.model, name, e, scope);
      // `model.fit(...)` in a function that receives the model as a parameter: the file's last model.
      const receiver = lastName(e.callee.obj);
      const lastModel = this.models[this.models.length - 1];
      if (obj.t === 'unknown' && lastModel && (name === 'fit' || name === 'compile') && receiver && /model/i.test(receiver)) {
        return this.modelMethod(lastModel, name, e, scope);
      }
      if (obj.t === 'optimizer' && name === 'minimize') {
        this.minimized = obj.opt;
        this.argsOf(e, scope, true);
        return UNKNOWN;
      }
    }
    return this.builtin(name, dotted ?? '', e, scope);
  }

  /** Arguments as (positional, keyword) where a trailing JS config object counts as keywords. */
  private argsOf(e: Extract<Expr, { k: 'call' }>, scope: Scope, allowConfigObject: boolean): Args {
    const kw = new Map<string, { v: Val; expr: Expr; span: Span }>();
    let argExprs = e.args;
    if (allowConfigObject && this.dialect === 'js' && argExprs.length > 0) {
      const last = argExprs[argExprs.length - 1];
      if (last.k === 'object') {
        argExprs = argExprs.slice(0, -1);
        for (const k of last.entries) kw.set(norm(k.name), { v: this.eval(k.value, scope), expr: k.value, span: k });
      }
    }
    for (const k of e.kwargs) kw.set(norm(k.name), { v: this.eval(k.value, scope), expr: k.value, span: k });
    return { args: argExprs.map((a) => this.eval(a, scope)), argExprs, kw };
  }

  private invoke(f: Extract<Val, { t: 'func' }>, e: Extract<Expr, { k: 'call' }>, scope: Scope): Val {
    this.called.add(f.def);
    if (this.callDepth >= MAX_CALL_DEPTH) {
      this.note(e, `calls nested too deeply to follow (${this.src(e)})`);
      return UNKNOWN;
    }
    const local = new Scope(f.scope);
    const args = e.args.map((a) => this.eval(a, scope));
    f.def.params.forEach((p, i) => {
      const kw = e.kwargs.find((k) => k.name === p.name);
      local.set(p.name, kw ? this.eval(kw.value, scope) : args[i] ?? (p.dflt ? this.eval(p.dflt, f.scope) : UNKNOWN));
    });
    const outer = this.callSite;
    this.callSite = outer ?? e;
    this.callDepth++;
    try {
      return this.runBody(f.def.body, local);
    } finally {
      this.callDepth--;
      this.callSite = outer;
    }
  }

  private anchor(span: Span): Span {
    return this.callSite ?? span;
  }

  private shapeOf(v: Val | undefined): (number | undefined)[] | undefined {
    if (!v || v.t !== 'list') return undefined;
    return v.items.map((x) => (x.t === 'num' && Number.isInteger(x.v) ? x.v : undefined));
  }

  private builtin(name: string, dotted: string, e: Extract<Expr, { k: 'call' }>, scope: Scope): Val {
    const n = norm(name);
    // Arguments are evaluated at most once (evaluation has effects: it creates layers and optimizers).
    let memo: Args | undefined;
    const A = (): Args => (memo ??= this.argsOf(e, scope, true));
    const py = this.dialect === 'python';
    const inInitializers = /(^|\.)initializers?\./.test(dotted) || /initializer$/.test(n);
    const capital = /^[A-Z]/.test(name);

    // PyTorch modules (nn.Sequential, nn.Linear, nn.ReLU, optim.SGD) are not Keras: not read.
    if (py && capital && /(^|\.)(nn|torch|optim)\./.test(dotted) && !dotted.startsWith('tf.')) {
      A();
      return UNKNOWN;
    }

    // --- TF1 graph building ---
    if (py && n === 'placeholder') {
      this.looksLikeModel = true;
      const { args, kw } = A();
      return { t: 'placeholder', shape: this.shapeOf(kw.get('shape')?.v ?? args[1]), span: e };
    }
    if (n === 'variable' && (py ? capital : dotted.endsWith('.variable'))) {
      const { args, kw } = A();
      const init = kw.get('initialvalue')?.v ?? args[0];
      return this.makeVar(init, e, e.args[0] ?? e.kwargs.find((k) => norm(k.name) === 'initialvalue')?.value);
    }
    if (py && n === 'getvariable') {
      const { args, kw } = A();
      const shape = this.shapeOf(kw.get('shape')?.v ?? args[1]);
      const initV = kw.get('initializer')?.v ?? args[3];
      if (initV === undefined || initV.t === 'none') return { t: 'var', rec: { init: 'glorotUniform' }, shape, span: this.anchor(e) };
      if (initV.t === 'initializer') return { t: 'var', rec: initV.rec, shape, span: this.anchor(e) };
      if (initV.t === 'initTensor') return { t: 'var', rec: initV.rec, shape: initV.shape ?? shape, span: this.anchor(e) };
      this.note(kw.get('initializer')?.span ?? e, `could not read this initializer (${this.src(kw.get('initializer')?.span ?? e)})`);
      return { t: 'var', shape, span: this.anchor(e) };
    }
    if (n === 'matmul' || n === 'dot') {
      const { args } = A();
      return this.matmul(args[0] ?? UNKNOWN, args[1] ?? UNKNOWN, e, e);
    }
    if (n === 'add' || n === 'biasadd') {
      const { args } = A();
      const [a, b] = args;
      if (a?.t === 'tensor' && b?.t === 'var') return this.addBias(a, b, e);
      if (b?.t === 'tensor' && a?.t === 'var') return this.addBias(b, a, e);
      return UNKNOWN;
    }
    if ((n === 'reshape' || n === 'identity' || n === 'flatten') && !capital && e.args.length > 0) {
      const { args } = A();
      if (args[0]?.t === 'tensor' || args[0]?.t === 'placeholder') return args[0];
    }
    if (n === 'dropout' && !capital && e.args.length > 0) {
      const { args } = A();
      if (args[0]?.t === 'tensor') {
        this.note(e, 'dropout is not part of the model spec: trained without it');
        return args[0];
      }
    }
    if (ACTIVATION_NAMES[n] && !capital && e.args.length > 0 && !(this.dialect === 'js' && dotted.includes('layers'))) {
      const { args } = A();
      const t = args[0];
      if (t?.t === 'tensor' || t?.t === 'placeholder') return this.activate(t, ACTIVATION_NAMES[n], e);
    }
    if (/softmaxcrossentropy/.test(n) || n === 'sparsesoftmaxcrossentropywithlogits') {
      const { args, kw } = A();
      const logits = kw.get('logits')?.v ?? [...args].reverse().find((a) => a.t === 'tensor');
      if (logits?.t === 'tensor' && logits.source !== 'input' && !logits.activated) logits.source.logits = true;
      return UNKNOWN;
    }
    if (n === 'nextbatch') {
      const { args, kw } = A();
      const b = kw.get('batchsize')?.v ?? args[0];
      if (b?.t === 'num' && Number.isInteger(b.v) && b.v > 0) this.batch = { value: b.v, span: b.span ?? e };
      else this.note(e, `could not read the batch size of ${this.src(e)}`);
      this.recordSteps(1, e, true);
      return UNKNOWN;
    }
    if (n === 'readdatasets') return { t: 'dataset', examples: 55000 };

    // --- initializers (tensors in TF1 code, objects or strings in Keras / tfjs) ---
    const init = this.initializerCall(name, n, dotted, e, A, inInitializers || capital);
    if (init) return init;

    // --- optimizers ---
    const opt = this.optimizerCall(n, capital, dotted, e, A);
    if (opt) return opt;

    // --- layers and models ---
    if ((n === 'sequential' && (py ? capital : true))) {
      this.looksLikeModel = true;
      const model: ModelRec = { span: e, layers: [] };
      this.models.push(model);
      const { args, kw } = A();
      const list = kw.get('layers')?.v ?? args[0];
      if (list?.t === 'list') list.items.forEach((item, i) => this.addToModel(model, item, (kw.get('layers')?.expr ?? e.args[0]) as Expr, i));
      return { t: 'model', model };
    }
    if (n === 'dense' && (capital || this.dialect === 'js')) return this.denseLayer(e, A);
    if (n === 'dense' && py) {
      // tf.layers.dense(inputs, units, activation=...) — TF1 layers API: a layer applied at once.
      const layerVal = this.denseLayer(e, A, 1);
      const input = A().args[0];
      if (layerVal.t === 'layer' && input) return this.applyLayer(layerVal, input, e);
      return layerVal;
    }
    if (n === 'activation' && (capital || this.dialect === 'js')) {
      const { args, kw } = A();
      const a = kw.get('activation') ?? (args[0] ? { v: args[0], expr: e.args[0], span: e.args[0] } : undefined);
      const act = a ? this.activationOf(a.v, a.expr) : undefined;
      if (act) return { t: 'activationLayer', activation: act.name, span: e, site: act.site };
      this.note(e, `could not read the activation of ${this.src(e)}`);
      return { t: 'passLayer', what: 'activation', span: e };
    }
    // Activation layers: Keras ReLU() / Softmax() / LeakyReLU() / ELU(), tfjs tf.layers.reLU() / softmax() / ...
    if ((capital || (this.dialect === 'js' && dotted.includes('layers.'))) && ['relu', 'softmax', 'leakyrelu', 'elu'].includes(n)) {
      this.looksLikeModel = true;
      return { t: 'activationLayer', activation: ACTIVATION_NAMES[n], span: e };
    }
    if ((capital || this.dialect === 'js') && ['flatten', 'inputlayer', 'reshape', 'dropout', 'input'].includes(n)) {
      this.looksLikeModel = true;
      if (n === 'input' && !(this.dialect === 'js' && dotted.includes('layers'))) return { t: 'tensor', source: 'input', activated: true };
      if (n === 'dropout') this.note(e, 'dropout is not part of the model spec: trained without it');
      return { t: 'passLayer', what: n, span: e };
    }
    if ((capital || this.dialect === 'js') && UNSUPPORTED_LAYERS.has(n)) {
      this.looksLikeModel = true;
      this.note(e, `${name} layers are not supported (Gradient Lens trains dense MLPs): ignored`);
      return { t: 'passLayer', what: n, span: e };
    }
    if ((n === 'model' && (capital || dotted.startsWith('tf.'))) || (n === 'functional')) {
      const { args, kw } = A();
      const out = kw.get('outputs')?.v ?? args[1];
      if (out?.t === 'tensor' && out.source !== 'input') {
        const model: ModelRec = { span: e, layers: this.chain(out.source) };
        this.models.push(model);
        return { t: 'model', model };
      }
      if (out) this.note(e, `could not follow the model's outputs (${this.src(e)})`);
      return UNKNOWN;
    }
    if (/crossentropy$/.test(n)) {
      const { kw } = A();
      const fl = kw.get('fromlogits')?.v;
      return { t: 'loss', fromLogits: fl?.t === 'bool' && fl.v };
    }
    if (['sqrt', 'abs', 'exp', 'log'].includes(n) && e.args.length === 1) {
      const a = A().args[0];
      if (a?.t !== 'num') return UNKNOWN;
      const v = n === 'sqrt' ? Math.sqrt(a.v) : n === 'abs' ? Math.abs(a.v) : n === 'exp' ? Math.exp(a.v) : Math.log(a.v);
      return Number.isFinite(v) ? { t: 'num', v, span: e } : UNKNOWN;
    }
    if (n === 'int' || n === 'float' || n === 'round' || n === 'floor' || n === 'ceil') {
      const { args } = A();
      const a = args[0];
      if (a?.t !== 'num') return UNKNOWN;
      const f = n === 'int' ? Math.trunc : n === 'float' ? (x: number) => x : n === 'ceil' ? Math.ceil : n === 'floor' ? Math.floor : Math.round;
      return { t: 'num', v: f(a.v), span: e };
    }
    // Unknown call: evaluate arguments for their effects (e.g. an inline optimizer).
    A();
    return UNKNOWN;
  }

  private makeVar(init: Val | undefined, e: Extract<Expr, { k: 'call' }>, initExpr: Expr | undefined): Val {
    const span = this.anchor(e);
    if (init?.t === 'initTensor') return { t: 'var', rec: init.rec, shape: init.shape, span };
    if (init?.t === 'var') return { ...init, span };
    if (init?.t === 'num') return { t: 'var', rec: { init: init.v === 0 ? 'zeros' : { type: 'constant', value: init.v } }, shape: [], span };
    this.note(initExpr ?? e, `could not read the initial value of this variable (${this.src(initExpr ?? e)})`);
    return { t: 'var', span };
  }

  private matmul(a: Val, w: Val, e: Span, def: Span): Val {
    if (w.t === 'tensor' && a.t === 'var') [a, w] = [w, a];
    if (a.t === 'placeholder') a = this.placeholderTensor(a);
    if (a.t !== 'tensor' || w.t !== 'var') {
      if (a.t === 'tensor' || w.t === 'var') {
        this.note(e, `could not follow this product (${this.src(e)}): expected an input or layer output times a tf.Variable`);
      }
      return UNKNOWN;
    }
    this.looksLikeModel = true;
    const layer: LayerRec = {
      id: this.layers.length, kernelShape: w.shape, kernel: w.rec, useBias: false, weightsSpan: w.span, definition: this.anchor(def),
      input: a.source, kind: 'dataflow', fromVariable: true,
    };
    if (w.shape && w.shape.length === 2) layer.units = w.shape[1];
    if (w.rec?.site) this.useSite(w.rec.site);
    this.layers.push(layer);
    return { t: 'tensor', source: layer, activated: false };
  }

  private placeholderTensor(p: Extract<Val, { t: 'placeholder' }>): Val {
    const last = p.shape?.[p.shape.length - 1];
    if (p.shape && last !== 784) {
      this.note(p.span, `this input has shape [${p.shape.map((d) => d ?? 'None').join(', ')}]; MNIST models take 784 inputs (28×28 flattened)`);
    }
    return { t: 'tensor', source: 'input', activated: true };
  }

  private addBias(t: Extract<Val, { t: 'tensor' }>, b: Extract<Val, { t: 'var' }>, e: Span): Val {
    if (t.source === 'input' || t.activated) {
      this.note(e, `a bias is added here to something that is not a layer's product (${this.src(e)})`);
      return UNKNOWN;
    }
    const layer = t.source;
    if (layer.useBias) {
      this.note(e, 'a second bias is added to the same layer: only the first is used');
      return t;
    }
    layer.useBias = true;
    layer.bias = b.rec;
    layer.biasShape = b.shape;
    layer.biasSpan = b.span;
    if (b.rec?.site) this.useSite(b.rec.site);
    if (layer.units === undefined && b.shape?.length === 1) layer.units = b.shape[0];
    return t;
  }

  private activate(t: Val, activation: string, e: Span): Val {
    if (t.t === 'placeholder') t = this.placeholderTensor(t);
    if (t.t !== 'tensor') return UNKNOWN;
    if (t.source === 'input' || t.activated) {
      this.note(e, `${activation} is applied to something that is not a layer's output (${this.src(e)}): ignored`);
      return t;
    }
    t.source.activation = activation;
    t.source.activationSpan = this.anchor(e);
    return { t: 'tensor', source: t.source, activated: true };
  }

  private recordSteps(perIteration: number, e: Span, batchDraw = false): void {
    let steps = perIteration;
    const unknown = this.loopStack.find((l) => l.count === undefined);
    if (unknown) {
      this.note(unknown.header, 'could not tell how many times this loop runs: using 1000 steps (the default of the model spec)');
      return;
    }
    for (const l of this.loopStack) steps *= l.count!;
    if (this.loopStack.length === 0 && batchDraw) {
      this.note(e, 'this batch is not drawn inside a `for _ in range(N)` loop: using 1000 steps (the default of the model spec)');
      return;
    }
    if (steps < 1) {
      this.note(this.loopStack[0]?.header ?? e, `this training loop runs ${steps} times: using 1000 steps (the default of the model spec)`);
      return;
    }
    this.steps = { value: steps, span: this.loopStack[0]?.header ?? e };
  }

  // ---- initializers -----------------------------------------------------------------------

  private useSite(site: InitSite): void {
    const key = `${site.span.from}:${site.span.to}`;
    const uses = this.siteUses.get(key) ?? [];
    uses.push(site);
    this.siteUses.set(key, uses);
    if (uses.length > 1) for (const s of uses) s.shared = true;
  }

  private initializerCall(name: string, n: string, dotted: string, e: Extract<Expr, { k: 'call' }>, A: () => Args, objectStyle: boolean): Val | undefined {
    const js = this.dialect === 'js';
    const parts = dotted.split('.');
    const prefixParts = parts.slice(0, -1);
    const v2 = prefixParts[prefixParts.length - 1] === 'random';
    const root = (v2 ? prefixParts.slice(0, -1) : prefixParts).join('.');
    const tensorNames: Record<string, string> = {
      zeros: 'zeros', ones: 'ones', fill: 'fill', constant: 'constant', randomuniform: 'uniform', randomnormal: 'normal',
      truncatednormal: 'truncated', uniform: 'uniform', normal: 'normal',
    };
    // TF1 tensors: tf.zeros(shape), tf.random_uniform(shape, lo, hi), tf.random.normal(...), tf.constant(v, shape=...)
    if (!objectStyle && tensorNames[n] && (n !== 'uniform' && n !== 'normal' || v2) && !(n === 'constant' && js)) {
      const { args, argExprs, kw } = A();
      const kind = tensorNames[n];
      const shapeIdx = kind === 'constant' ? -1 : 0;
      const shapeExpr = kind === 'constant' ? kw.get('shape')?.expr : argExprs[0] ?? kw.get('shape')?.expr;
      const shapeVal = kind === 'constant' ? kw.get('shape')?.v ?? args[2] : args[0] ?? kw.get('shape')?.v;
      if (shapeIdx === 0 && shapeVal === undefined) return undefined;
      const shape = this.shapeOf(shapeVal);
      const get = (key: string, pos: number, dflt: number): number | undefined => {
        const v = kw.get(key)?.v ?? args[pos];
        if (v === undefined || v.t === 'none') return dflt;
        return v.t === 'num' ? v.v : undefined;
      };
      let init: Initializer | undefined;
      switch (kind) {
        case 'zeros': init = 'zeros'; break;
        case 'ones': init = 'ones'; break;
        case 'fill': { const v = get('value', 1, NaN); init = v === undefined || Number.isNaN(v) ? undefined : v === 0 ? 'zeros' : { type: 'constant', value: v }; break; }
        case 'constant': { const v = get('value', 0, NaN); init = v === undefined || Number.isNaN(v) ? undefined : v === 0 ? 'zeros' : { type: 'constant', value: v }; break; }
        case 'uniform': { const a = get('minval', 1, 0); const b = get('maxval', 2, 1); init = a === undefined || b === undefined ? undefined : { type: 'randomUniform', minval: a, maxval: b }; break; }
        case 'normal': case 'truncated': {
          const m = get('mean', 1, 0);
          const s = kw.get('stddev') !== undefined || args[2] !== undefined ? get('stddev', 2, 1) : 1;
          init = m === undefined || s === undefined ? undefined : { type: kind === 'normal' ? 'randomNormal' : 'truncatedNormal', mean: m, stddev: s };
          break;
        }
      }
      // Unreadable arguments: unknown (whoever uses the value as weights notes it; tf.constant is used elsewhere too).
      if (!init) return { t: 'unknown' };
      const idiom: InitializerIdiom = js ? 'tfjs-tensor' : 'tf1';
      return { t: 'initTensor', rec: { init, site: { span: e, idiom, prefix: root, shape: shapeExpr, v2 } }, shape };
    }
    if (!objectStyle) return undefined;
    // Initializer objects: Keras classes and functions, TF1 *_initializer(), tfjs tf.initializers.*({...}).
    const base = n.replace(/initializer$/, '');
    const tf1Style = /initializer$/.test(n) && !dotted.includes('keras');
    const { args, kw } = A();
    const get = (keys: string[], pos: number, dflt: number): number | undefined => {
      for (const k of keys) {
        const v = kw.get(k)?.v;
        if (v !== undefined) return v.t === 'num' ? v.v : v.t === 'none' ? dflt : undefined;
      }
      const v = args[pos];
      if (v === undefined || v.t === 'none') return dflt;
      return v.t === 'num' ? v.v : undefined;
    };
    const spread = tf1Style ? 1 : 0.05;
    let init: Initializer | undefined;
    let known = true;
    if (NAMED_INIT[n] ?? NAMED_INIT[base]) init = NAMED_INIT[n] ?? NAMED_INIT[base];
    else if (base === 'xavier') init = (kw.get('uniform')?.v.t === 'bool' && !(kw.get('uniform')?.v as { v: boolean }).v) ? 'glorotNormal' : 'glorotUniform';
    else if (base === 'constant') { const v = get(['value'], 0, 0); init = v === undefined ? undefined : v === 0 ? 'zeros' : { type: 'constant', value: v }; }
    else if (base === 'randomuniform' || base === 'uniform') {
      const a = get(['minval'], 0, tf1Style ? 0 : -0.05); const b = get(['maxval'], 1, tf1Style ? 1 : 0.05);
      init = a === undefined || b === undefined ? undefined : { type: 'randomUniform', minval: a, maxval: b };
    } else if (base === 'randomnormal' || base === 'normal' || base === 'truncatednormal') {
      const m = get(['mean'], 0, 0); const s = get(['stddev'], 1, spread);
      init = m === undefined || s === undefined ? undefined : { type: base === 'truncatednormal' ? 'truncatedNormal' : 'randomNormal', mean: m, stddev: s };
    } else known = false;
    // Unknown initializers (variance_scaling, orthogonal...) read as unknown; whoever uses them notes it.
    if (!known) return undefined;
    if (!init) return { t: 'unknown' };
    const idiom: InitializerIdiom = js ? 'tfjs-object' : tf1Style ? 'tf1-initializer' : 'keras-object';
    return { t: 'initializer', rec: { init, site: { span: e, idiom, prefix: prefixParts.join('.') } } };
  }

  /** A string or object passed as kernel_initializer / kernelInitializer. */
  private initializerArg(v: Val, expr: Expr, layerCallee: Expr): InitRec | undefined {
    if (v.t === 'initializer') return v.rec;
    if (v.t === 'str') {
      const n = norm(v.v);
      const named = NAMED_INIT[n];
      const idiom: InitializerIdiom = this.dialect === 'js' ? 'tfjs-string' : 'keras-string';
      // `tf.keras.layers.Dense` → `tf.keras.initializers` (for a fix that needs an initializer object).
      const calleeName = dottedName(layerCallee) ?? '';
      const prefix = /(^|\.)layers\.[A-Za-z]+$/.test(calleeName) ? calleeName.replace(/(^|\.)layers\.[A-Za-z]+$/, '$1initializers') : '';
      const site: InitSite = { span: expr, idiom, prefix };
      if (named) return { init: named, site };
      if (n === 'randomuniform' || n === 'uniform') return { init: { type: 'randomUniform', minval: -0.05, maxval: 0.05 }, site };
      if (n === 'randomnormal' || n === 'normal') return { init: { type: 'randomNormal', mean: 0, stddev: 0.05 }, site };
      if (n === 'truncatednormal') return { init: { type: 'truncatedNormal', mean: 0, stddev: 0.05 }, site };
      if (n === 'constant') return { init: 'zeros', site };
    }
    this.note(expr, `could not read this initializer (${this.src(expr)})`);
    return undefined;
  }

  // ---- optimizers -------------------------------------------------------------------------

  private optimizerCall(n: string, capital: boolean, dotted: string, e: Extract<Expr, { k: 'call' }>, A: () => Args): Val | undefined {
    const js = this.dialect === 'js';
    const tf1 = !js && /optimizer$/.test(n);
    const base = n.replace(/optimizer$/, '');
    const isKeras = !js && !tf1 && capital;
    const isTfjs = js && /(^|\.)train\./.test(dotted);
    if (!tf1 && !isKeras && !isTfjs) return undefined;
    const map: Record<string, OptimizerType> = { gradientdescent: 'sgd', sgd: 'sgd', momentum: 'momentum', adam: 'adam', rmsprop: 'rmsprop' };
    const type = map[base];
    if (!type) {
      if (tf1 || isTfjs || ['adagrad', 'adadelta', 'adamax', 'nadam', 'ftrl', 'adamw'].includes(base)) {
        this.note(e, `the optimizer ${this.src(e)} is not supported (sgd, momentum, adam, rmsprop are)`);
        return { t: 'unknown' };
      }
      return undefined;
    }
    const { args, kw } = A();
    const defaults: Record<OptimizerType, number> = { sgd: isKeras ? 0.01 : NaN, momentum: NaN, adam: 0.001, rmsprop: 0.001 };
    const lrEntry = kw.get('learningrate') ?? kw.get('lr');
    const lrVal = lrEntry?.v ?? args[0];
    let lr: number | undefined;
    let lrSpan: Span | undefined;
    if (lrVal === undefined) lr = Number.isNaN(defaults[type]) ? undefined : defaults[type];
    else if (lrVal.t === 'num') {
      lr = lrVal.v;
      const lrExpr = lrEntry?.expr ?? e.args[0];
      if (lrExpr && (lrExpr.k === 'num' || lrExpr.k === 'unary')) lrSpan = lrExpr;
      else if (lrVal.span && this.text.slice(lrVal.span.from, lrVal.span.to).trim() === String(lrVal.v)) lrSpan = lrVal.span;
    }
    if (lr === undefined) {
      this.note(e, `could not read the learning rate of ${this.src(e)}`);
      lr = type === 'sgd' || type === 'momentum' ? 0.01 : 0.001;
    }
    const num = (keys: string[], pos: number): number | undefined => {
      for (const k of keys) {
        const v = kw.get(k)?.v;
        if (v?.t === 'num') return v.v;
      }
      const v = pos >= 0 ? args[pos] : undefined;
      return v?.t === 'num' ? v.v : undefined;
    };
    const spec: OptimizerSpec = { type, learningRate: lr };
    if (type === 'sgd' && isKeras) {
      const m = num(['momentum'], 1);
      if (m !== undefined && m > 0) {
        spec.type = 'momentum';
        spec.momentum = m;
        const nest = kw.get('nesterov')?.v;
        if (nest?.t === 'bool') spec.useNesterov = nest.v;
      }
    } else if (type === 'momentum') {
      const m = num(['momentum'], 1);
      if (m === undefined) this.note(e, `could not read the momentum of ${this.src(e)}: using 0.9`);
      spec.momentum = m ?? 0.9;
      const nest = kw.get('usenesterov')?.v ?? args[2];
      if (nest?.t === 'bool') spec.useNesterov = nest.v;
    } else if (type === 'adam') {
      const b1 = num(['beta1'], 1); const b2 = num(['beta2'], 2); const eps = num(['epsilon'], 3);
      if (b1 !== undefined) spec.beta1 = b1;
      if (b2 !== undefined) spec.beta2 = b2;
      spec.epsilon = eps ?? (tf1 ? 1e-8 : 1e-7);
    } else if (type === 'rmsprop') {
      const d = num(['rho', 'decay'], 1); const m = num(['momentum'], 2); const eps = num(['epsilon'], 3);
      if (d !== undefined) spec.decay = d;
      if (m !== undefined) spec.momentum = m;
      spec.epsilon = eps ?? (tf1 ? 1e-10 : 1e-7);
    }
    const opt: OptimizerVal = { spec, span: e, lrSpan };
    this.optimizers.push(opt);
    return { t: 'optimizer', opt };
  }

  private optimizerArg(v: Val, expr: Expr): OptimizerVal | undefined {
    if (v.t === 'optimizer') return v.opt;
    if (v.t === 'str') {
      const map: Record<string, OptimizerSpec> = {
        sgd: { type: 'sgd', learningRate: 0.01 }, adam: { type: 'adam', learningRate: 0.001 }, rmsprop: { type: 'rmsprop', learningRate: 0.001 },
      };
      const spec = map[norm(v.v)];
      if (spec) return { spec, span: expr };
    }
    this.note(expr, `could not read this optimizer (${this.src(expr)})`);
    return undefined;
  }

  // ---- Keras / tfjs layers and models -------------------------------------------------------

  private activationOf(v: Val, expr: Expr): { name: string; site?: { span: Span; idiom: 'string' | 'name' } } | undefined {
    if (v.t === 'none') return { name: 'linear' };
    if (v.t === 'str') {
      const a = ACTIVATION_NAMES[norm(v.v)];
      if (a) return { name: a, site: { span: expr, idiom: 'string' } };
    }
    const last = lastName(expr);
    if (v.t === 'unknown' && last && ACTIVATION_NAMES[norm(last)]) return { name: ACTIVATION_NAMES[norm(last)], site: { span: expr, idiom: 'name' } };
    this.note(expr, `could not read this activation (${this.src(expr)})`);
    return undefined;
  }

  /** Dense(units, activation, ...) / tf.layers.dense({units, ...}); `shift` skips leading positional args (TF1 tf.layers.dense(inputs, units)). */
  private denseLayer(e: Extract<Expr, { k: 'call' }>, A: () => Args, shift = 0): Val {
    this.looksLikeModel = true;
    const { args, argExprs, kw } = A();
    const layer: LayerRec = { id: -1, useBias: true, weightsSpan: this.anchor(e), definition: this.anchor(e), kind: 'object' };
    const unitsV = kw.get('units')?.v ?? args[shift];
    if (unitsV?.t === 'num' && Number.isInteger(unitsV.v)) layer.units = unitsV.v;
    else this.note(kw.get('units')?.span ?? argExprs[shift] ?? e, `could not read the number of units of ${this.src(e)}`);
    const act = kw.get('activation') ?? (args[shift + 1] ? { v: args[shift + 1], expr: argExprs[shift + 1], span: argExprs[shift + 1] } : undefined);
    if (act) {
      const a = this.activationOf(act.v, act.expr);
      if (a) {
        layer.activation = a.name;
        layer.activationSpan = act.span;
        layer.activationSite = a.site;
      }
    }
    const ub = kw.get('usebias')?.v;
    if (ub?.t === 'bool' && !ub.v) layer.useBias = false;
    const k = kw.get('kernelinitializer');
    if (k && k.v.t !== 'none') {
      layer.kernel = this.initializerArg(k.v, k.expr, e.callee);
      layer.weightsSpan = this.callSite ?? k.span;
    } else layer.kernel = { init: 'glorotUniform' };
    const b = kw.get('biasinitializer');
    if (b && b.v.t !== 'none') {
      layer.bias = this.initializerArg(b.v, b.expr, e.callee);
      layer.biasSpan = this.callSite ?? b.span;
    } else layer.bias = { init: 'zeros' };
    const inShape = kw.get('inputshape')?.v ?? kw.get('batchinputshape')?.v;
    const inDim = kw.get('inputdim')?.v;
    const dim = inDim?.t === 'num' ? inDim.v : inShape?.t === 'list' ? (this.shapeOf(inShape) ?? []).reduce<number | undefined>((p, x) => (p === undefined || x === undefined ? undefined : p * x), 1) : undefined;
    if (dim !== undefined) layer.kernelShape = [dim, layer.units];
    for (const bad of ['kernelregularizer', 'kernelconstraint']) if (kw.has(bad)) this.note(kw.get(bad)!.span, 'regularizers and constraints are not part of the model spec: trained without them');
    return { t: 'layer', layer };
  }

  private applyLayer(f: Val, arg: Val, e: Span): Val {
    let t = arg.t === 'placeholder' ? this.placeholderTensor(arg) : arg;
    if (t.t === 'list' && t.items.length === 1) t = t.items[0];
    if (t.t !== 'tensor') {
      if (f.t === 'layer') this.note(e, `could not follow the input of this layer (${this.src(e)})`);
      return UNKNOWN;
    }
    if (f.t === 'passLayer') return t;
    if (f.t === 'activationLayer') return this.activate(t, f.activation, e);
    if (f.t !== 'layer') return UNKNOWN;
    const layer: LayerRec = { ...f.layer, id: this.layers.length, input: t.source, kind: 'dataflow', definition: this.anchor(e) };
    if (layer.kernel?.site) this.useSite(layer.kernel.site);
    f.layer.placed = true;
    this.layers.push(layer);
    const activated = layer.activation !== undefined && layer.activation !== 'linear';
    return { t: 'tensor', source: layer, activated };
  }

  private addToModel(model: ModelRec, item: Val, expr: Expr | undefined, index?: number): void {
    const at: Span = expr?.k === 'list' && index !== undefined ? expr.items[index] ?? expr : expr ?? model.span;
    if (item.t === 'layer') {
      if (item.layer.placed) {
        this.note(at, 'this layer object is used twice: only its first use is read');
        return;
      }
      item.layer.placed = true;
      item.layer.id = this.layers.length;
      if (item.layer.kernel?.site) this.useSite(item.layer.kernel.site);
      this.layers.push(item.layer);
      model.layers.push(item.layer);
    } else if (item.t === 'activationLayer') {
      const prev = model.layers[model.layers.length - 1];
      if (!prev) this.note(at, 'an activation before the first dense layer: ignored');
      else if (prev.activation && prev.activation !== 'linear') this.note(at, `a second activation after ${prev.activation}: ignored`);
      else {
        prev.activation = item.activation;
        prev.activationSpan = item.span;
        prev.activationSite = item.site;
      }
    } else if (item.t === 'passLayer' || item.t === 'tensor') {
      // Flatten / InputLayer / Dropout (already noted): nothing to train.
    } else {
      this.note(at, `could not follow this layer (${this.src(at)})`);
    }
  }

  private modelMethod(model: ModelRec, name: string, e: Extract<Expr, { k: 'call' }>, scope: Scope): Val {
    const n = norm(name);
    const { args, argExprs, kw } = this.argsOf(e, scope, true);
    if (n === 'add') {
      const layerExpr = argExprs[0] ?? kw.get('layer')?.expr;
      this.addToModel(model, args[0] ?? kw.get('layer')?.v ?? UNKNOWN, layerExpr ?? e);
      return NONE;
    }
    if (n === 'compile') {
      model.compiled = true;
      const o = kw.get('optimizer') ?? (args[0] ? { v: args[0], expr: argExprs[0], span: argExprs[0] } : undefined);
      if (o) model.optimizer = this.optimizerArg(o.v, o.expr);
      const loss = kw.get('loss') ?? (args[1] ? { v: args[1], expr: argExprs[1], span: argExprs[1] } : undefined);
      if (loss?.v.t === 'loss') model.fromLogits = loss.v.fromLogits;
      else if (loss && !(loss.v.t === 'str' && /crossentropy$/.test(norm(loss.v.v)))) this.note(loss.span, `Gradient Lens always trains with softmax cross-entropy; this loss (${this.src(loss.span)}) is not read`);
      return NONE;
    }
    if (n === 'fit') {
      model.fitted = true;
      const py = this.dialect === 'python';
      const bs = kw.get('batchsize') ?? (py && args[2] ? { v: args[2], expr: argExprs[2], span: argExprs[2] } : undefined);
      const ep = kw.get('epochs') ?? (py && args[3] ? { v: args[3], expr: argExprs[3], span: argExprs[3] } : undefined);
      const spe = kw.get('stepsperepoch');
      const vs = kw.get('validationsplit')?.v;
      let batch = 32;
      if (bs) {
        if (bs.v.t === 'num' && Number.isInteger(bs.v.v) && bs.v.v > 0) batch = bs.v.v;
        else this.note(bs.span, `could not read the batch size (${this.src(bs.span)}): using 32, the Keras default`);
      }
      let epochs = 1;
      if (ep) {
        if (ep.v.t === 'num' && Number.isInteger(ep.v.v) && ep.v.v > 0) epochs = ep.v.v;
        else this.note(ep.span, `could not read the number of epochs (${this.src(ep.span)}): using 1`);
      }
      const examples = vs?.t === 'num' && vs.v > 0 && vs.v < 1 ? Math.floor(60000 * (1 - vs.v)) : 60000;
      const perEpoch = spe?.v.t === 'num' && Number.isInteger(spe.v.v) && spe.v.v > 0 ? spe.v.v : Math.ceil(examples / batch);
      this.batch = { value: batch, span: bs?.span ?? e };
      this.recordSteps(epochs * perEpoch, ep?.span ?? e);
      return UNKNOWN;
    }
    return UNKNOWN;
  }

  // ---- result -------------------------------------------------------------------------------

  private chain(last: LayerRec): LayerRec[] {
    const out: LayerRec[] = [];
    const seen = new Set<LayerRec>();
    for (let l: LayerRec | 'input' | undefined = last; l && l !== 'input' && !seen.has(l); l = l.input) {
      seen.add(l);
      out.unshift(l);
    }
    return out;
  }

  private finish(): Interpretation {
    const model = [...this.models].reverse().find((m) => m.fitted) ?? [...this.models].reverse().find((m) => m.compiled) ?? this.models[this.models.length - 1];
    let layers: LayerRec[] = [];
    let modelSpan: Span | undefined;
    let optimizer: OptimizerVal | undefined;
    let fromLogits = false;
    let style: 'tf1' | 'layers' = 'layers';
    if (model && model.layers.length > 0) {
      layers = model.layers;
      modelSpan = model.span;
      optimizer = model.optimizer;
      fromLogits = model.fromLogits ?? false;
      if (!model.compiled) this.note(model.span, 'this model is never compiled: using SGD with learning rate 0.5 (the default of the model spec)');
    } else {
      const dataflow = this.layers.filter((l) => l.kind === 'dataflow');
      const last = dataflow[dataflow.length - 1];
      if (last) {
        style = dataflow.some((l) => l.fromVariable) ? 'tf1' : 'layers';
        layers = this.chain(last);
        for (const l of dataflow) if (!layers.includes(l)) this.note(l.definition, 'this layer is not on the path from the input to the model output: ignored');
        const first = layers[0];
        if (first && first.input !== 'input') this.note(first.definition, 'could not trace this layer back to the model input');
        modelSpan = { from: Math.min(...layers.map((l) => Math.min(l.definition.from, l.weightsSpan.from))), to: Math.max(...layers.map((l) => l.definition.to)) };
        optimizer = this.minimized ?? this.optimizers[this.optimizers.length - 1];
        fromLogits = layers[layers.length - 1]?.logits ?? false;
        if (this.models.length > 0) optimizer = this.models[this.models.length - 1].optimizer ?? optimizer;
      } else if (model) {
        modelSpan = model.span;
        this.note(model.span, 'this model has no dense layers');
      }
    }
    if (this.optimizers.length > 1 && style === 'tf1' && !this.minimized) this.note(this.optimizers[0].span, 'several optimizers and none is minimized: using the last one');
    return {
      layers, modelSpan, optimizer, batch: this.batch, steps: this.steps, fromLogits,
      notes: this.notes, looksLikeModel: this.looksLikeModel || layers.length > 0, style,
    };
  }
}
