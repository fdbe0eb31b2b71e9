// JavaScript / TypeScript front end: @lezer/javascript (with its TS dialect for .ts files) lowered into
// ast.ts. Function declarations become `def`s and function expressions (arrows, IIFEs, callbacks)
// `lambda`s, both inlined by the interpreter when called (and read once at the end when nothing calls
// them). Classes become `class` statements (`constructor` is `__init__`, `this` is a name the
// interpreter binds).
import { parser } from '@lezer/javascript';
import type { SyntaxNode } from '@lezer/common';
import { type Expr, type Kwarg, type Param, type Span, type Stmt, MAX_DEPTH, firstSyntaxError } from './ast';

const jsParser = parser;
const tsParser = parser.configure({ dialect: 'ts' });

/** `tooDeep`: where the syntax first nests deeper than MAX_DEPTH (what is deeper is not lowered; the file is refused there). */
export function parseJavaScript(text: string, typescript: boolean): { program: Stmt[]; syntaxErrorAt?: number; tooDeep?: Span } {
  const tree = (typescript ? tsParser : jsParser).parse(text);
  const lower = new JsLowering(text);
  const program = lower.statements(tree.topNode, 0);
  return { program, syntaxErrorAt: firstSyntaxError(tree), tooDeep: lower.tooDeep };
}

const children = (n: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};
const PUNCT = new Set(['(', ')', '[', ']', '{', '}', ',', ':', '.', ';', '?.', '⚠', 'LineComment', 'BlockComment', 'TypeAnnotation', 'TypeArgList']);
const FUNCTIONS = new Set(['ArrowFunction', 'FunctionExpression']);

/** JS string literal → value (common escapes). */
export function unquoteJs(raw: string): string | undefined {
  const q = raw[0];
  if ((q !== '"' && q !== "'") || raw.length < 2 || raw[raw.length - 1] !== q) return undefined;
  return raw.slice(1, -1).replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/gs, (_, c: string) => {
    if (c[0] === 'u' && c.length > 1) return String.fromCodePoint(parseInt(c.replace(/[u{}]/g, ''), 16));
    if (c[0] === 'x' && c.length === 3) return String.fromCharCode(parseInt(c.slice(1), 16));
    return ({ n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', f: '\f', v: '\v' } as Record<string, string>)[c] ?? c;
  });
}

class JsLowering {
  /** The first node nested deeper than MAX_DEPTH. */
  tooDeep?: Span;

  constructor(private readonly text: string) {}

  /** Notes that `n` is nested too deeply (the first such node is where the reader stops). */
  private deep(n: SyntaxNode): void {
    this.tooDeep ??= { from: n.from, to: n.to };
  }

  private src(n: SyntaxNode): string {
    return this.text.slice(n.from, n.to);
  }

  statements(parent: SyntaxNode, depth: number): Stmt[] {
    const out: Stmt[] = [];
    for (const c of children(parent)) this.statement(c, depth, out);
    return out;
  }

  private fnDef(name: string, fn: SyntaxNode, depth: number): Stmt | undefined {
    const cs = children(fn);
    const body = cs.find((c) => c.name === 'Block');
    const params: Param[] = [];
    const paramList = cs.find((c) => c.name === 'ParamList');
    if (paramList) {
      const ps = children(paramList);
      for (let i = 0; i < ps.length; i++) {
        if (ps[i].name !== 'VariableDefinition') continue;
        const p: Param = { name: this.src(ps[i]) };
        if (ps[i - 1]?.name === 'Spread') p.rest = '*';
        let j = i + 1;
        if (ps[j]?.name === 'TypeAnnotation') j++;
        if (ps[j]?.name === 'Equals' && ps[j + 1]) p.dflt = this.expr(ps[j + 1], depth + 1);
        params.push(p);
      }
    } else {
      const single = cs.find((c) => c.name === 'VariableDefinition');
      if (single) params.push({ name: this.src(single) });
    }
    let stmts: Stmt[];
    if (body) stmts = this.statements(body, depth + 1);
    else {
      // `(x) => expr`: the expression is the return value.
      const arrow = cs.findIndex((c) => c.name === 'Arrow');
      const e = arrow >= 0 ? cs.slice(arrow + 1).find((c) => !PUNCT.has(c.name)) : undefined;
      if (!e) return undefined;
      stmts = [{ k: 'return', e: this.expr(e, depth + 1), from: e.from, to: e.to }];
    }
    return { k: 'def', name, params, body: stmts, from: fn.from, to: fn.to };
  }

  private statement(n: SyntaxNode, depth: number, out: Stmt[]): void {
    if (depth > MAX_DEPTH) {
      if (n.name !== 'LineComment' && n.name !== 'BlockComment') this.deep(n);
      return;
    }
    const span = { from: n.from, to: n.to };
    switch (n.name) {
      case 'VariableDeclaration': {
        const cs = children(n);
        for (let i = 0; i < cs.length; i++) {
          const target = cs[i];
          if (target.name !== 'VariableDefinition' && target.name !== 'ArrayPattern' && target.name !== 'ObjectPattern') continue;
          let j = i + 1;
          if (cs[j]?.name === 'TypeAnnotation') j++;
          if (cs[j]?.name !== 'Equals' || !cs[j + 1]) continue;
          const valueNode = cs[j + 1];
          if (target.name === 'VariableDefinition' && FUNCTIONS.has(valueNode.name)) {
            const d = this.fnDef(this.src(target), valueNode, depth + 1);
            if (d) out.push(d);
          } else if (target.name === 'VariableDefinition' && valueNode.name === 'ClassExpression') {
            out.push(this.classDef(this.src(target), valueNode, depth + 1));
          } else {
            out.push({ k: 'assign', targets: [this.pattern(target, depth + 1)], value: this.expr(valueNode, depth + 1), from: target.from, to: valueNode.to });
          }
          i = j + 1;
        }
        return;
      }
      case 'ExpressionStatement': {
        const e = children(n).find((c) => !PUNCT.has(c.name));
        if (!e) return;
        if (e.name === 'AssignmentExpression') {
          const cs = children(e);
          const eq = cs.findIndex((c) => c.name === 'Equals');
          if (eq > 0 && cs[eq + 1]) {
            out.push({ k: 'assign', targets: [this.pattern(cs[0], depth + 1)], value: this.expr(cs[eq + 1], depth + 1), ...span });
            return;
          }
          // a += e  →  a = a + e
          const upd = cs.findIndex((c) => c.name === 'UpdateOp');
          if (upd > 0 && cs[upd + 1]) {
            const t = this.expr(cs[0], depth + 1);
            const op = this.src(cs[upd]).replace(/=$/, '');
            out.push({ k: 'assign', targets: [t], value: { k: 'bin', op, left: t, right: this.expr(cs[upd + 1], depth + 1), ...span }, ...span });
          }
          return;
        }
        if (e.name === 'PostfixExpression' || (e.name === 'UnaryExpression' && /^(\+\+|--)/.test(this.src(e)))) {
          // i++ / --i  →  i = i ± 1
          const v = children(e).find((c) => c.name !== 'ArithOp');
          const op = this.src(e).includes('++') ? '+' : '-';
          if (v) {
            const t = this.expr(v, depth + 1);
            out.push({ k: 'assign', targets: [t], value: { k: 'bin', op, left: t, right: { k: 'num', v: 1, ...span }, ...span }, ...span });
          }
          return;
        }
        out.push({ k: 'expr', e: this.expr(e, depth + 1), ...span });
        return;
      }
      case 'FunctionDeclaration': {
        const name = children(n).find((c) => c.name === 'VariableDefinition');
        const d = this.fnDef(name ? this.src(name) : '', n, depth + 1);
        if (d) out.push(d);
        return;
      }
      case 'ReturnStatement': {
        const e = children(n).find((c) => c.name !== 'return' && !PUNCT.has(c.name));
        out.push({ k: 'return', e: e ? this.expr(e, depth + 1) : undefined, ...span });
        return;
      }
      case 'ForStatement':
      case 'WhileStatement':
      case 'DoStatement': {
        const cs = children(n);
        const spec = cs.find((c) => c.name === 'ForSpec');
        const ofSpec = cs.find((c) => c.name === 'ForOfSpec' || c.name === 'ForInSpec');
        const bodyNode = n.name === 'DoStatement' ? cs.find((c) => c.name === 'Block') ?? cs[1] : cs[cs.length - 1];
        let count: Expr | undefined;
        let countStart: Expr | undefined;
        let countStep: Expr | undefined;
        let iter: Expr | undefined;
        let target: Expr | undefined;
        let test: Expr | undefined;
        if (spec) {
          // for (let i = A; i < N; i++ / i += k)
          const ss = children(spec);
          const decl = ss.find((c) => c.name === 'VariableDeclaration');
          const cond = ss.find((c) => c.name === 'BinaryExpression');
          const update = ss.slice(ss.indexOf(cond!) + 1).find((c) => !PUNCT.has(c.name));
          if (decl && cond) {
            const dcs = children(decl);
            const eq = dcs.findIndex((c) => c.name === 'Equals');
            const ccs = children(cond);
            const op = ccs.length === 3 ? this.src(ccs[1]) : '';
            if (eq >= 0 && dcs[eq + 1] && (op === '<' || op === '<=')) {
              const v = dcs.find((c) => c.name === 'VariableDefinition');
              if (v) target = { k: 'name', id: this.src(v), from: v.from, to: v.to };
              countStart = this.expr(dcs[eq + 1], depth + 1);
              count = this.expr(ccs[2], depth + 1);
              if (op === '<=') count = { k: 'bin', op: '+', left: count, right: { k: 'num', v: 1, from: ccs[2].to, to: ccs[2].to }, from: ccs[2].from, to: ccs[2].to };
              if (update?.name === 'AssignmentExpression') {
                const ucs = children(update);
                if (ucs[1] && this.src(ucs[1]) === '+=' && ucs[2]) countStep = this.expr(ucs[2], depth + 1);
                else count = undefined;
              }
            }
          }
        } else if (ofSpec) {
          const os = children(ofSpec).filter((c) => !PUNCT.has(c.name) && c.name !== 'const' && c.name !== 'let' && c.name !== 'var');
          const ofAt = os.findIndex((c) => c.name === 'of' || c.name === 'in');
          if (ofAt > 0 && os[ofAt + 1]) {
            target = this.pattern(os[ofAt - 1], depth + 1);
            iter = this.expr(os[ofAt + 1], depth + 1);
            if (os[ofAt].name === 'in') iter = { k: 'other', what: 'for-in', from: iter.from, to: iter.to };
          }
        } else {
          const t = cs.find((c) => c.name === 'ParenthesizedExpression');
          if (t) test = this.expr(t, depth + 1);
        }
        const body = bodyNode && bodyNode !== spec && bodyNode !== ofSpec ? this.bodyOf(bodyNode, depth + 1) : [];
        out.push({ k: 'loop', iter, count, countStart, countStep, test, target, body, header: { from: n.from, to: bodyNode ? bodyNode.from : n.to }, ...span });
        return;
      }
      case 'ImportDeclaration': {
        const cs = children(n);
        const str = cs.find((c) => c.name === 'String');
        const module = str ? unquoteJs(this.src(str)) : undefined;
        if (module === undefined) return;
        const star = cs.findIndex((c) => c.name === 'Star');
        if (star >= 0) {
          const as = cs.slice(star).find((c) => c.name === 'VariableDefinition');
          if (as) out.push({ k: 'import', module, as: this.src(as), ...span });
          return;
        }
        const dflt = cs.find((c) => c.name === 'VariableDefinition');
        if (dflt) out.push({ k: 'import', module, as: this.src(dflt), ...span });
        const group = cs.find((c) => c.name === 'ImportGroup');
        if (group) {
          const gs = children(group).filter((c) => !PUNCT.has(c.name));
          const names: { name: string; as: string }[] = [];
          for (let i = 0; i < gs.length; i++) {
            const name = this.src(gs[i]);
            if (gs[i + 1]?.name === 'as' && gs[i + 2]) {
              names.push({ name, as: this.src(gs[i + 2]) });
              i += 2;
            } else names.push({ name, as: name });
          }
          out.push({ k: 'import', module, names, ...span });
        }
        return;
      }
      case 'ClassDeclaration': {
        const name = children(n).find((c) => c.name === 'VariableDefinition');
        out.push(this.classDef(name ? this.src(name) : '', n, depth + 1));
        return;
      }
      case 'IfStatement': {
        // if (a) {...} else if (b) {...} else {...}
        const branches: { test?: Expr; body: Stmt[] }[] = [];
        let node: SyntaxNode | undefined = n;
        let guard = 0;
        while (node) {
          if (guard++ >= MAX_DEPTH) {
            // `else if` chained past the bound: the rest of the chain is not read.
            this.deep(node);
            break;
          }
          const cs = children(node);
          const t = cs.find((c) => c.name === 'ParenthesizedExpression');
          const elseAt = cs.findIndex((c) => c.name === 'else');
          const thenNode = cs.slice(t ? cs.indexOf(t) + 1 : 1, elseAt < 0 ? undefined : elseAt).find((c) => !PUNCT.has(c.name));
          branches.push({ test: t ? this.expr(t, depth + 1) : undefined, body: thenNode ? this.bodyOf(thenNode, depth + 1) : [] });
          const elseNode = elseAt >= 0 ? cs.slice(elseAt + 1).find((c) => !PUNCT.has(c.name)) : undefined;
          if (!elseNode) break;
          if (elseNode.name === 'IfStatement') node = elseNode;
          else {
            branches.push({ body: this.bodyOf(elseNode, depth + 1) });
            break;
          }
        }
        out.push({ k: 'if', branches, ...span });
        return;
      }
      case 'Block':
      case 'TryStatement':
      case 'LabeledStatement':
      case 'ExportDeclaration':
      case 'CatchClause':
      case 'FinallyClause': {
        const body: Stmt[] = [];
        for (const c of children(n)) this.statement(c, depth + 1, body);
        out.push({ k: 'block', body, ...span });
        return;
      }
      default:
        return;
    }
  }

  /** `class A extends B { constructor() {...} m() {...} }` (declaration or expression). */
  private classDef(name: string, n: SyntaxNode, depth: number): Stmt {
    const cs = children(n);
    const ext = cs.findIndex((c) => c.name === 'extends');
    const bases = ext >= 0 && cs[ext + 1] ? [this.expr(cs[ext + 1], depth + 1)] : [];
    const body: Stmt[] = [];
    const classBody = cs.find((c) => c.name === 'ClassBody');
    for (const m of classBody ? children(classBody) : []) {
      if (m.name !== 'MethodDeclaration') continue;
      const key = children(m).find((c) => c.name === 'PropertyDefinition' || c.name === 'PrivatePropertyName');
      const methodName = key ? this.src(key) : '';
      const d = this.fnDef(methodName === 'constructor' ? '__init__' : methodName, m, depth + 1);
      if (d) body.push(d);
    }
    return { k: 'class', name, bases, body, from: n.from, to: n.to };
  }

  /** An assignment target: a name, member, `[a, b]` or `{a, b: c}` pattern. */
  private pattern(n: SyntaxNode, depth: number): Expr {
    const span = { from: n.from, to: n.to };
    if (depth > MAX_DEPTH) {
      this.deep(n);
      return { k: 'other', what: 'too deeply nested', ...span };
    }
    if (n.name === 'VariableDefinition') return { k: 'name', id: this.src(n), ...span };
    if (n.name === 'ArrayPattern') return { k: 'list', items: children(n).filter((c) => !PUNCT.has(c.name)).map((c) => this.pattern(c, depth + 1)), ...span };
    if (n.name === 'ObjectPattern') {
      const entries: Kwarg[] = [];
      for (const p of children(n)) {
        if (p.name !== 'PatternProperty') continue;
        const pc = children(p).filter((c) => !PUNCT.has(c.name));
        const key = pc[0];
        if (!key) continue;
        const value = pc.length > 1 ? this.pattern(pc[pc.length - 1], depth + 1) : this.pattern(key, depth + 1);
        entries.push({ name: this.src(key), value, from: p.from, to: p.to });
      }
      return { k: 'object', entries, ...span };
    }
    return this.expr(n, depth);
  }

  private bodyOf(n: SyntaxNode, depth: number): Stmt[] {
    if (n.name === 'Block') return this.statements(n, depth);
    const out: Stmt[] = [];
    this.statement(n, depth, out);
    return out;
  }

  expr(n: SyntaxNode, depth: number): Expr {
    const span = { from: n.from, to: n.to };
    if (depth > MAX_DEPTH) {
      this.deep(n);
      return { k: 'other', what: 'too deeply nested', ...span };
    }
    switch (n.name) {
      case 'Number': {
        const raw = this.src(n).replace(/_/g, '').replace(/n$/, '');
        const v = Number(raw);
        return Number.isFinite(v) ? { k: 'num', v, ...span } : { k: 'other', what: 'number', ...span };
      }
      case 'String': {
        const v = unquoteJs(this.src(n));
        return v === undefined ? { k: 'other', what: 'string', ...span } : { k: 'str', v, ...span };
      }
      case 'TemplateString': {
        const raw = this.src(n);
        if (children(n).some((c) => c.name === 'Interpolation')) return { k: 'other', what: 'template string', ...span };
        return { k: 'str', v: raw.slice(1, raw.endsWith('`') && raw.length > 1 ? -1 : undefined), ...span };
      }
      case 'BooleanLiteral':
        return { k: 'const', v: this.src(n) === 'true', ...span };
      case 'null':
        return { k: 'const', v: null, ...span };
      case 'VariableName':
        return this.src(n) === 'undefined' ? { k: 'const', v: null, ...span } : { k: 'name', id: this.src(n), ...span };
      case 'this':
      case 'super':
        return { k: 'name', id: n.name, ...span };
      case 'ConditionalExpression': {
        const cs = children(n).filter((c) => c.name !== 'LogicOp' && !PUNCT.has(c.name));
        if (cs.length !== 3) return { k: 'other', what: 'conditional', ...span };
        return { k: 'cond', test: this.expr(cs[0], depth + 1), then: this.expr(cs[1], depth + 1), else: this.expr(cs[2], depth + 1), ...span };
      }
      case 'ParenthesizedExpression':
      case 'AsExpression':
      case 'SatisfiesExpression':
      case 'NonNullExpression':
      case 'AwaitExpression': {
        const inner = children(n).filter((c) => !PUNCT.has(c.name) && c.name !== 'await' && c.name !== 'as' && c.name !== 'satisfies' && c.name !== 'LogicOp' && !/^Type|TypeName$/.test(c.name));
        return inner[0] ? this.expr(inner[0], depth + 1) : { k: 'other', what: n.name, ...span };
      }
      case 'MemberExpression': {
        const cs = children(n);
        const obj = cs[0] ? this.expr(cs[0], depth + 1) : { k: 'other' as const, what: 'member', ...span };
        const prop = cs.find((c) => c.name === 'PropertyName' || c.name === 'PrivatePropertyName');
        if (prop) return { k: 'member', obj, prop: this.src(prop), ...span };
        const idx = cs.slice(1).find((c) => !PUNCT.has(c.name));
        const index = idx ? this.expr(idx, depth + 1) : undefined;
        if (index?.k === 'str') return { k: 'member', obj, prop: index.v, ...span };
        return { k: 'index', obj, index, ...span };
      }
      case 'CallExpression':
      case 'NewExpression': {
        const cs = children(n).filter((c) => c.name !== 'new' && c.name !== 'TypeArgList');
        const callee = cs[0] ? this.expr(cs[0], depth + 1) : { k: 'other' as const, what: 'call', ...span };
        const argList = cs.find((c) => c.name === 'ArgList');
        const args: Expr[] = [];
        if (argList) {
          const as = children(argList).filter((c) => !PUNCT.has(c.name));
          for (let i = 0; i < as.length; i++) {
            if (as[i].name === 'Spread') {
              args.push({ k: 'other', what: 'spread arguments', from: as[i].from, to: as[i + 1]?.to ?? as[i].to });
              i++;
            } else args.push(this.expr(as[i], depth + 1));
          }
        }
        return { k: 'call', callee, args, kwargs: [], ...span };
      }
      case 'ArrayExpression':
        return { k: 'list', items: children(n).filter((c) => !PUNCT.has(c.name)).map((c) => this.expr(c, depth + 1)), ...span };
      case 'ObjectExpression': {
        const entries: Kwarg[] = [];
        for (const p of children(n)) {
          if (p.name !== 'Property') continue;
          const pc = children(p);
          const keyNode = pc[0];
          if (!keyNode) continue;
          let key: string | undefined;
          if (keyNode.name === 'PropertyDefinition' || keyNode.name === 'PropertyName') key = this.src(keyNode);
          else if (keyNode.name === 'String') key = unquoteJs(this.src(keyNode));
          else if (keyNode.name === 'Number') key = this.src(keyNode);
          if (key === undefined) continue;
          const colon = pc.findIndex((c) => c.name === ':');
          const valueNode = colon >= 0 ? pc.slice(colon + 1).find((c) => !PUNCT.has(c.name)) : undefined;
          const value: Expr = valueNode
            ? this.expr(valueNode, depth + 1)
            : pc.length === 1 ? { k: 'name', id: key, from: keyNode.from, to: keyNode.to } : { k: 'other', what: 'method', from: p.from, to: p.to };
          entries.push({ name: key, value, from: p.from, to: p.to });
        }
        return { k: 'object', entries, ...span };
      }
      case 'UnaryExpression': {
        const cs = children(n);
        const op = cs[0] ? this.src(cs[0]) : '';
        const arg = cs[1] ? this.expr(cs[1], depth + 1) : { k: 'other' as const, what: 'unary', ...span };
        return { k: 'unary', op, arg, ...span };
      }
      case 'BinaryExpression': {
        const cs = children(n);
        // `x as T` / `x satisfies T` (TypeScript) is x.
        if (cs[0] && (cs[1]?.name === 'as' || cs[1]?.name === 'satisfies')) return this.expr(cs[0], depth + 1);
        if (cs.length !== 3) return { k: 'other', what: 'expression', ...span };
        return { k: 'bin', op: this.src(cs[1]), left: this.expr(cs[0], depth + 1), right: this.expr(cs[2], depth + 1), ...span };
      }
      case 'ArrowFunction':
      case 'FunctionExpression': {
        const d = this.fnDef('', n, depth + 1);
        return d && d.k === 'def' ? { k: 'lambda', params: d.params, body: d.body, ...span } : { k: 'other', what: 'function', ...span };
      }
      default:
        return { k: 'other', what: n.name, ...span };
    }
  }
}
