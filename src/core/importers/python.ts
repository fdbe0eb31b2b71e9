// Python front end: @lezer/python's concrete tree lowered into ast.ts. Only the shapes the
// interpreter needs are kept; everything else becomes `other` (expressions) or is skipped (statements).
import { parser } from '@lezer/python';
import type { SyntaxNode } from '@lezer/common';
import { type CompFor, type Expr, type Kwarg, type Param, type Span, type Stmt, MAX_DEPTH, firstSyntaxError } from './ast';

/**
 * @lezer/python reads `0.` / `1.e-3` (a float with nothing after the point) as a member access with a
 * missing name, i.e. a syntax error. The parser gets a copy in which such a `1.` reads `10` — same
 * length, so every offset stays valid; values are always read from the original text.
 */
export function parserText(text: string): string {
  return text.replace(/(?<![\w.])(\d+)\.(?![\d_])/g, (_m, d: string) => `${d}0`);
}

/** `tooDeep`: where the syntax first nests deeper than MAX_DEPTH (what is deeper is not lowered; the file is refused there). */
export function parsePython(text: string): { program: Stmt[]; syntaxErrorAt?: number; tooDeep?: Span } {
  const tree = parser.parse(parserText(text));
  const lower = new PythonLowering(text);
  const program = lower.statements(tree.topNode, 0);
  return { program, syntaxErrorAt: firstSyntaxError(tree), tooDeep: lower.tooDeep };
}

const children = (n: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};

/** Python's identifier normalisation (NFKC); ASCII, nearly every name, is already normal. */
export const nfkc = (name: string): string => (/[^\x00-\x7f]/.test(name) ? name.normalize('NFKC') : name);

const PUNCT = new Set(['(', ')', '[', ']', '{', '}', ',', ':', '.', ';', '⚠', 'Comment']);

/** Python string literal → value (prefixes, triple quotes, common escapes); undefined for f-strings. */
export function unquotePython(raw: string): string | undefined {
  const m = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(raw);
  if (!m) return undefined;
  const prefix = m[1].toLowerCase();
  if (prefix.includes('f')) return undefined;
  const q = m[2];
  let body = raw.slice(m[0].length);
  if (body.endsWith(q)) body = body.slice(0, body.length - q.length);
  if (prefix.includes('r')) return body;
  return body.replace(/\\(.)/gs, (_, c: string) => ({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[c] ?? c);
}

class PythonLowering {
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

  /** An identifier, NFKC-normalised as Python reads it (PEP 3131: `Ｄｅｎｓｅ` is `Dense`, `ﬁt` is `fit`). */
  private id(n: SyntaxNode): string {
    return nfkc(this.src(n));
  }

  statements(parent: SyntaxNode, depth: number): Stmt[] {
    const out: Stmt[] = [];
    for (const c of children(parent)) this.statement(c, depth, out);
    return out;
  }

  private params(paramList: SyntaxNode | undefined, depth: number): Param[] {
    const params: Param[] = [];
    if (!paramList) return params;
    const ps = children(paramList);
    for (let i = 0; i < ps.length; i++) {
      if (ps[i].name !== 'VariableName') continue;
      const prev = ps[i - 1]?.name;
      const p: Param = { name: this.id(ps[i]) };
      if (prev === '*' || prev === '**') p.rest = prev;
      if (ps[i + 1]?.name === 'TypeDef') i++;
      if (ps[i + 1]?.name === 'AssignOp' && ps[i + 2]) {
        p.dflt = this.expr(ps[i + 2], depth + 1);
        i += 2;
      }
      params.push(p);
    }
    return params;
  }

  private dotted(nodes: SyntaxNode[]): string {
    return nodes.map((c) => (c.name === 'VariableName' ? this.id(c) : c.name === '.' ? '.' : '')).join('');
  }

  private statement(n: SyntaxNode, depth: number, out: Stmt[]): void {
    if (depth > MAX_DEPTH) {
      if (n.name !== 'Comment') this.deep(n);
      return;
    }
    const span = { from: n.from, to: n.to };
    switch (n.name) {
      case 'StatementGroup':
        for (const c of children(n)) this.statement(c, depth, out);
        return;
      case 'ExpressionStatement': {
        const e = children(n).find((c) => !PUNCT.has(c.name));
        if (e) out.push({ k: 'expr', e: this.expr(e, depth + 1), ...span });
        return;
      }
      case 'AssignStatement': {
        // a = b = expr  /  a, b = expr  /  a: int = expr
        const parts = children(n).filter((c) => c.name !== 'TypeDef' && c.name !== ',' && c.name !== 'Comment');
        const groups: SyntaxNode[][] = [[]];
        for (const c of parts) {
          if (c.name === 'AssignOp') groups.push([]);
          else groups[groups.length - 1].push(c);
        }
        if (groups.length < 2) return;
        const valueNodes = groups.pop()!;
        if (valueNodes.length === 0) return;
        const value = valueNodes.length === 1
          ? this.expr(valueNodes[0], depth + 1)
          : { k: 'list' as const, tuple: true, items: valueNodes.map((v) => this.expr(v, depth + 1)), from: valueNodes[0].from, to: valueNodes[valueNodes.length - 1].to };
        const targets: Expr[] = groups.map((g) => (g.length === 1
          ? this.expr(g[0], depth + 1)
          : { k: 'list' as const, tuple: true, items: g.map((t) => this.expr(t, depth + 1)), from: g[0]?.from ?? n.from, to: g[g.length - 1]?.to ?? n.from }));
        out.push({ k: 'assign', targets, value, ...span });
        return;
      }
      case 'UpdateStatement': {
        // x += e  →  x = x + e
        const cs = children(n);
        const op = cs.find((c) => c.name === 'UpdateOp');
        const target = cs[0];
        const valueNode = op ? cs.slice(cs.indexOf(op) + 1).find((c) => !PUNCT.has(c.name)) : undefined;
        if (!target || !op || !valueNode) return;
        const t = this.expr(target, depth + 1);
        const opText = this.src(op).replace(/=$/, '');
        out.push({ k: 'assign', targets: [t], value: { k: 'bin', op: opText, left: t, right: this.expr(valueNode, depth + 1), ...span }, ...span });
        return;
      }
      case 'ImportStatement': {
        const cs = children(n);
        if (cs[0]?.name === 'from') {
          const imp = cs.findIndex((c) => c.name === 'import');
          const module = this.dotted(cs.slice(1, imp < 0 ? cs.length : imp));
          const rest = imp < 0 ? [] : cs.slice(imp + 1);
          if (rest.some((c) => c.name === '*')) {
            out.push({ k: 'import', module, star: true, ...span });
            return;
          }
          const names: { name: string; as: string }[] = [];
          for (let i = 0; i < rest.length; i++) {
            if (rest[i].name !== 'VariableName') continue;
            const name = this.id(rest[i]);
            if (rest[i + 1]?.name === 'as' && rest[i + 2]?.name === 'VariableName') {
              names.push({ name, as: this.id(rest[i + 2]) });
              i += 2;
            } else names.push({ name, as: name });
          }
          out.push({ k: 'import', module, names, ...span });
          return;
        }
        // import a.b.c [as x], d
        let group: SyntaxNode[] = [];
        const flush = () => {
          const as = group.findIndex((c) => c.name === 'as');
          const module = this.dotted(as < 0 ? group : group.slice(0, as));
          const alias = as >= 0 && group[as + 1] ? this.id(group[as + 1]) : undefined;
          if (module) out.push({ k: 'import', module, as: alias, ...span });
          group = [];
        };
        for (const c of cs.slice(1)) {
          if (c.name === ',') flush();
          else group.push(c);
        }
        flush();
        return;
      }
      case 'ForStatement': {
        const cs = children(n);
        const inIdx = cs.findIndex((c) => c.name === 'in');
        const bodies = cs.filter((c) => c.name === 'Body');
        const body = bodies[0];
        const targetNodes = cs.slice(1, inIdx < 0 ? 1 : inIdx).filter((c) => !PUNCT.has(c.name));
        const iterNode = inIdx >= 0 ? cs.slice(inIdx + 1).find((c) => !PUNCT.has(c.name) && c.name !== 'Body') : undefined;
        const iter = iterNode ? this.expr(iterNode, depth + 1) : undefined;
        const target: Expr | undefined = targetNodes.length > 1
          ? { k: 'list', tuple: true, items: targetNodes.map((t) => this.expr(t, depth + 1)), from: targetNodes[0].from, to: targetNodes[targetNodes.length - 1].to }
          : targetNodes[0] ? this.expr(targetNodes[0], depth + 1) : undefined;
        out.push({
          k: 'loop', iter, count: undefined, target,
          body: body ? this.statements(body, depth + 1) : [], header: { from: n.from, to: body ? body.from : n.to }, ...span,
        });
        // for ... else: the else body runs once after the loop.
        if (bodies[1]) out.push({ k: 'block', body: this.statements(bodies[1], depth + 1), from: bodies[1].from, to: bodies[1].to });
        return;
      }
      case 'WhileStatement': {
        const cs = children(n);
        const body = cs.find((c) => c.name === 'Body');
        const testNode = cs.find((c) => c.name !== 'while' && c.name !== 'Body' && !PUNCT.has(c.name));
        out.push({
          k: 'loop', iter: undefined, count: undefined, test: testNode ? this.expr(testNode, depth + 1) : undefined, target: undefined,
          body: body ? this.statements(body, depth + 1) : [], header: { from: n.from, to: body ? body.from : n.to }, ...span,
        });
        return;
      }
      case 'FunctionDefinition': {
        const cs = children(n);
        const nameNode = cs.find((c) => c.name === 'VariableName');
        const body = cs.find((c) => c.name === 'Body');
        out.push({
          k: 'def', name: nameNode ? this.id(nameNode) : '', params: this.params(cs.find((c) => c.name === 'ParamList'), depth),
          body: body ? this.statements(body, depth + 1) : [], ...span,
        });
        return;
      }
      case 'ClassDefinition': {
        const cs = children(n);
        const nameNode = cs.find((c) => c.name === 'VariableName');
        const argList = cs.find((c) => c.name === 'ArgList');
        const body = cs.find((c) => c.name === 'Body');
        const bases = argList ? children(argList).filter((c) => !PUNCT.has(c.name) && c.name !== 'AssignOp').map((c) => this.expr(c, depth + 1)) : [];
        out.push({ k: 'class', name: nameNode ? this.id(nameNode) : '', bases, body: body ? this.statements(body, depth + 1) : [], ...span });
        return;
      }
      case 'ReturnStatement': {
        const vs = children(n).filter((c) => c.name !== 'return' && !PUNCT.has(c.name));
        const e: Expr | undefined = vs.length > 1
          ? { k: 'list', tuple: true, items: vs.map((v) => this.expr(v, depth + 1)), from: vs[0].from, to: vs[vs.length - 1].to }
          : vs[0] ? this.expr(vs[0], depth + 1) : undefined;
        out.push({ k: 'return', e, ...span });
        return;
      }
      case 'IfStatement': {
        const cs = children(n);
        const branches: { test?: Expr; body: Stmt[] }[] = [];
        let test: Expr | undefined;
        let expectTest = false;
        for (const c of cs) {
          if (c.name === 'if' || c.name === 'elif') {
            expectTest = true;
            test = undefined;
          } else if (c.name === 'else') {
            expectTest = false;
            test = undefined;
          } else if (c.name === 'Body') {
            branches.push({ test, body: this.statements(c, depth + 1) });
            expectTest = false;
          } else if (expectTest && !PUNCT.has(c.name)) {
            test = this.expr(c, depth + 1);
            expectTest = false;
          }
        }
        out.push({ k: 'if', branches, ...span });
        return;
      }
      case 'WithStatement': {
        // with A() as a: body — `a` is bound to the value of A() (a session, a name scope...).
        const cs = children(n);
        const body: Stmt[] = [];
        for (let i = 0; i < cs.length; i++) {
          if (cs[i].name === 'as' && cs[i + 1] && cs[i - 1]) {
            body.push({ k: 'assign', targets: [this.expr(cs[i + 1], depth + 1)], value: this.expr(cs[i - 1], depth + 1), from: cs[i - 1].from, to: cs[i + 1].to });
          }
        }
        for (const c of cs) if (c.name === 'Body') body.push(...this.statements(c, depth + 1));
        out.push({ k: 'block', body, ...span });
        return;
      }
      case 'DecoratedStatement':
      case 'TryStatement': {
        const body: Stmt[] = [];
        for (const c of children(n)) {
          if (c.name === 'Body') body.push(...this.statements(c, depth + 1));
          else if (c.name === 'FunctionDefinition' || c.name === 'ClassDefinition') this.statement(c, depth + 1, body);
        }
        out.push({ k: 'block', body, ...span });
        return;
      }
      case 'Body':
        out.push({ k: 'block', body: this.statements(n, depth + 1), ...span });
        return;
      case 'BreakStatement':
        out.push({ k: 'break', ...span });
        return;
      case 'ContinueStatement':
        out.push({ k: 'continue', ...span });
        return;
      default:
        return; // pass, global, comments, errors...
    }
  }

  /** The `for ... in ... if ...` clauses of a comprehension, from `nodes` (children after the element). */
  private compFors(nodes: SyntaxNode[], depth: number): CompFor[] {
    const fors: CompFor[] = [];
    let i = 0;
    while (i < nodes.length) {
      if (nodes[i].name !== 'for') {
        i++;
        continue;
      }
      const targets: SyntaxNode[] = [];
      i++;
      while (i < nodes.length && nodes[i].name !== 'in') {
        if (!PUNCT.has(nodes[i].name)) targets.push(nodes[i]);
        i++;
      }
      i++;
      const iterNode = nodes[i++];
      const ifs: Expr[] = [];
      while (i < nodes.length && nodes[i].name === 'if') {
        if (nodes[i + 1]) ifs.push(this.expr(nodes[i + 1], depth + 1));
        i += 2;
      }
      if (!iterNode || targets.length === 0) break;
      const target: Expr = targets.length === 1 ? this.expr(targets[0], depth + 1)
        : { k: 'list', tuple: true, items: targets.map((t) => this.expr(t, depth + 1)), from: targets[0].from, to: targets[targets.length - 1].to };
      fors.push({ target, iter: this.expr(iterNode, depth + 1), ifs });
    }
    return fors;
  }

  expr(n: SyntaxNode, depth: number): Expr {
    const span: Span = { from: n.from, to: n.to };
    if (depth > MAX_DEPTH) {
      this.deep(n);
      return { k: 'other', what: 'too deeply nested', ...span };
    }
    switch (n.name) {
      case 'Number': {
        const raw = this.src(n).replace(/_/g, '').toLowerCase();
        let v = Number(raw.replace(/[lj]$/, ''));
        if (/^0o/.test(raw)) v = parseInt(raw.slice(2), 8);
        return Number.isFinite(v) ? { k: 'num', v, ...span } : { k: 'other', what: 'number', ...span };
      }
      case 'String': {
        const v = unquotePython(this.src(n));
        return v === undefined ? { k: 'other', what: 'f-string', ...span } : { k: 'str', v, ...span };
      }
      case 'FormatString':
        return { k: 'other', what: 'f-string', ...span };
      case 'ContinuedString': {
        let v = '';
        for (const c of children(n)) {
          const s = c.name === 'String' ? unquotePython(this.src(c)) : undefined;
          if (s === undefined) return { k: 'other', what: 'string', ...span };
          v += s;
        }
        return { k: 'str', v, ...span };
      }
      case 'None':
        return { k: 'const', v: null, ...span };
      case 'Boolean':
        return { k: 'const', v: this.src(n) === 'True', ...span };
      case 'VariableName':
        return { k: 'name', id: this.id(n), ...span };
      case 'ParenthesizedExpression': {
        const inner = children(n).filter((c) => !PUNCT.has(c.name));
        if (inner.some((c) => c.name === 'for')) return { k: 'comp', elt: this.expr(inner[0], depth + 1), fors: this.compFors(inner.slice(1), depth), ...span };
        return inner.length === 1 ? this.expr(inner[0], depth + 1) : { k: 'other', what: 'parenthesized', ...span };
      }
      case 'MemberExpression': {
        const cs = children(n);
        const obj = cs[0] ? this.expr(cs[0], depth + 1) : { k: 'other' as const, what: 'member', ...span };
        const prop = cs.find((c) => c.name === 'PropertyName');
        if (prop) return { k: 'member', obj, prop: this.id(prop), ...span };
        if (cs.some((c) => c.name === '.')) return { k: 'other', what: 'member', ...span };
        // obj[index] / obj[lo:hi:step] / obj[a, b]
        const inner = cs.slice(1);
        const open = inner.findIndex((c) => c.name === '[');
        const parts = inner.slice(open + 1).filter((c) => c.name !== ']');
        if (parts.some((c) => c.name === ':')) {
          const slots: (Expr | undefined)[] = [undefined];
          for (const c of parts) {
            if (c.name === ':') slots.push(undefined);
            else if (c.name !== ',' && !PUNCT.has(c.name)) slots[slots.length - 1] = this.expr(c, depth + 1);
          }
          return { k: 'index', obj, index: { k: 'slice', lo: slots[0], hi: slots[1], step: slots[2], ...span }, ...span };
        }
        const idx = parts.filter((c) => !PUNCT.has(c.name));
        const index: Expr | undefined = idx.length > 1
          ? { k: 'list', tuple: true, items: idx.map((c) => this.expr(c, depth + 1)), from: idx[0].from, to: idx[idx.length - 1].to }
          : idx[0] ? this.expr(idx[0], depth + 1) : undefined;
        return { k: 'index', obj, index, ...span };
      }
      case 'CallExpression': {
        const cs = children(n);
        const callee = cs[0] ? this.expr(cs[0], depth + 1) : { k: 'other' as const, what: 'call', ...span };
        const argList = cs.find((c) => c.name === 'ArgList');
        const args: Expr[] = [];
        const kwargs: Kwarg[] = [];
        if (argList) {
          const as = children(argList).filter((c) => !PUNCT.has(c.name));
          if (as.some((c) => c.name === 'for')) {
            args.push({ k: 'comp', elt: this.expr(as[0], depth + 1), fors: this.compFors(as.slice(1), depth), from: argList.from, to: argList.to });
          } else {
            for (let i = 0; i < as.length; i++) {
              const a = as[i];
              if (a.name === 'VariableName' && as[i + 1]?.name === 'AssignOp' && as[i + 2]) {
                kwargs.push({ name: this.id(a), value: this.expr(as[i + 2], depth + 1), from: a.from, to: as[i + 2].to });
                i += 2;
              } else if (a.name === '*' && as[i + 1]) {
                args.push({ k: 'spread', arg: this.expr(as[i + 1], depth + 1), from: a.from, to: as[i + 1].to });
                i++;
              } else if (a.name === '*' || a.name === '**' || a.name === 'ArithOp') {
                args.push({ k: 'other', what: 'unpacked arguments', from: a.from, to: as[i + 1]?.to ?? a.to });
                i++;
              } else {
                args.push(this.expr(a, depth + 1));
              }
            }
          }
        }
        return { k: 'call', callee, args, kwargs, ...span };
      }
      case 'ArrayExpression':
      case 'TupleExpression':
      case 'SetExpression': {
        const cs = children(n).filter((c) => !PUNCT.has(c.name));
        const items: Expr[] = [];
        for (let i = 0; i < cs.length; i++) {
          // `[a, *rest]`: a spread item
          if (cs[i].name === '*' && cs[i + 1]) {
            items.push({ k: 'spread', arg: this.expr(cs[i + 1], depth + 1), from: cs[i].from, to: cs[i + 1].to });
            i++;
          } else items.push(this.expr(cs[i], depth + 1));
        }
        return { k: 'list', tuple: n.name === 'TupleExpression', items, ...span };
      }
      case 'ArrayComprehensionExpression':
      case 'SetComprehensionExpression': {
        const cs = children(n).filter((c) => !PUNCT.has(c.name));
        if (!cs[0]) return { k: 'other', what: 'comprehension', ...span };
        return { k: 'comp', elt: this.expr(cs[0], depth + 1), fors: this.compFors(cs.slice(1), depth), ...span };
      }
      case 'DictionaryComprehensionExpression': {
        const cs = children(n).filter((c) => c.name !== '{' && c.name !== '}' && c.name !== ',');
        if (!cs[0] || cs[1]?.name !== ':' || !cs[2]) return { k: 'other', what: 'comprehension', ...span };
        return { k: 'comp', key: this.expr(cs[0], depth + 1), elt: this.expr(cs[2], depth + 1), fors: this.compFors(cs.slice(3), depth), dict: true, ...span };
      }
      case 'DictionaryExpression': {
        const cs = children(n).filter((c) => c.name !== '{' && c.name !== '}' && c.name !== ',' && c.name !== 'Comment');
        const entries: Kwarg[] = [];
        for (let i = 0; i < cs.length; i++) {
          if (cs[i].name === '**') {
            i++;
            continue;
          }
          if (cs[i + 1]?.name !== ':' || !cs[i + 2]) continue;
          const key = this.expr(cs[i], depth + 1);
          const value = this.expr(cs[i + 2], depth + 1);
          if (key.k === 'str') entries.push({ name: key.v, value, from: cs[i].from, to: cs[i + 2].to });
          else entries.push({ name: '', key, value, from: cs[i].from, to: cs[i + 2].to });
          i += 2;
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
        if (cs.length < 3) return { k: 'other', what: 'expression', ...span };
        // `x is not None`, `a not in b`: the operator is every token between the operands.
        const op = cs.slice(1, -1).map((c) => this.src(c)).join(' ');
        return { k: 'bin', op, left: this.expr(cs[0], depth + 1), right: this.expr(cs[cs.length - 1], depth + 1), ...span };
      }
      case 'ConditionalExpression': {
        const cs = children(n);
        const ifAt = cs.findIndex((c) => c.name === 'if');
        const elseAt = cs.findIndex((c) => c.name === 'else');
        if (ifAt !== 1 || elseAt < 0 || !cs[elseAt + 1]) return { k: 'other', what: 'conditional', ...span };
        return { k: 'cond', then: this.expr(cs[0], depth + 1), test: this.expr(cs[2], depth + 1), else: this.expr(cs[elseAt + 1], depth + 1), ...span };
      }
      case 'LambdaExpression': {
        const cs = children(n);
        const colon = cs.findIndex((c) => c.name === ':');
        const bodyNode = colon >= 0 ? cs.slice(colon + 1).find((c) => !PUNCT.has(c.name)) : undefined;
        if (!bodyNode) return { k: 'other', what: 'lambda', ...span };
        const body = this.expr(bodyNode, depth + 1);
        return { k: 'lambda', params: this.params(cs.find((c) => c.name === 'ParamList'), depth), body: [{ k: 'return', e: body, from: body.from, to: body.to }], ...span };
      }
      case 'AwaitExpression': {
        const inner = children(n).find((c) => c.name !== 'await');
        return inner ? this.expr(inner, depth + 1) : { k: 'other', what: 'await', ...span };
      }
      default:
        return { k: 'other', what: n.name, ...span };
    }
  }
}
