// Python front end: @lezer/python's concrete tree lowered into ast.ts. Only the shapes the model
// interpreter needs are kept; everything else becomes `other` (expressions) or is skipped (statements).
import { parser } from '@lezer/python';
import type { SyntaxNode } from '@lezer/common';
import { type Expr, type Kwarg, type Stmt, MAX_DEPTH, firstSyntaxError } from './ast';

export function parsePython(text: string): { program: Stmt[]; syntaxErrorAt?: number } {
  const tree = parser.parse(text);
  const lower = new PythonLowering(text);
  return { program: lower.statements(tree.topNode, 0), syntaxErrorAt: firstSyntaxError(tree) };
}

const children = (n: SyntaxNode): SyntaxNode[] => {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) out.push(c);
  return out;
};

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
  constructor(private readonly text: string) {}

  private src(n: SyntaxNode): string {
    return this.text.slice(n.from, n.to);
  }

  statements(parent: SyntaxNode, depth: number): Stmt[] {
    const out: Stmt[] = [];
    for (const c of children(parent)) this.statement(c, depth, out);
    return out;
  }

  private statement(n: SyntaxNode, depth: number, out: Stmt[]): void {
    if (depth > MAX_DEPTH) return;
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
          : { k: 'list' as const, items: valueNodes.map((v) => this.expr(v, depth + 1)), from: valueNodes[0].from, to: valueNodes[valueNodes.length - 1].to };
        const targets: Expr[] = groups.map((g) => (g.length === 1
          ? this.expr(g[0], depth + 1)
          : { k: 'list' as const, items: g.map((t) => this.expr(t, depth + 1)), from: g[0]?.from ?? n.from, to: g[g.length - 1]?.to ?? n.from }));
        out.push({ k: 'assign', targets, value, ...span });
        return;
      }
      case 'ForStatement': {
        const cs = children(n);
        const inIdx = cs.findIndex((c) => c.name === 'in');
        const body = cs.find((c) => c.name === 'Body');
        const targetNode = cs.slice(1, inIdx < 0 ? 1 : inIdx).filter((c) => !PUNCT.has(c.name));
        const iterNode = inIdx >= 0 ? cs.slice(inIdx + 1).find((c) => !PUNCT.has(c.name) && c.name !== 'Body') : undefined;
        const iter = iterNode ? this.expr(iterNode, depth + 1) : undefined;
        let count: Expr | undefined;
        let countStart: Expr | undefined;
        if (iter?.k === 'call' && iter.callee.k === 'name' && iter.callee.id === 'range' && iter.kwargs.length === 0) {
          if (iter.args.length === 1) count = iter.args[0];
          else if (iter.args.length === 2) [countStart, count] = iter.args;
        }
        out.push({
          k: 'loop', iter, count, countStart, target: targetNode[0] ? this.expr(targetNode[0], depth + 1) : undefined,
          body: body ? this.statements(body, depth + 1) : [], header: { from: n.from, to: body ? body.from : n.to }, ...span,
        });
        return;
      }
      case 'WhileStatement': {
        const body = children(n).find((c) => c.name === 'Body');
        out.push({ k: 'loop', iter: undefined, count: undefined, target: undefined, body: body ? this.statements(body, depth + 1) : [], header: { from: n.from, to: body ? body.from : n.to }, ...span });
        return;
      }
      case 'FunctionDefinition': {
        const cs = children(n);
        const nameNode = cs.find((c) => c.name === 'VariableName');
        const paramList = cs.find((c) => c.name === 'ParamList');
        const body = cs.find((c) => c.name === 'Body');
        const params: { name: string; dflt?: Expr }[] = [];
        if (paramList) {
          const ps = children(paramList);
          for (let i = 0; i < ps.length; i++) {
            if (ps[i].name !== 'VariableName') continue;
            const p: { name: string; dflt?: Expr } = { name: this.src(ps[i]) };
            if (ps[i + 1]?.name === 'TypeDef') i++;
            if (ps[i + 1]?.name === 'AssignOp' && ps[i + 2]) {
              p.dflt = this.expr(ps[i + 2], depth + 1);
              i += 2;
            }
            params.push(p);
          }
        }
        out.push({ k: 'def', name: nameNode ? this.src(nameNode) : '', params, body: body ? this.statements(body, depth + 1) : [], ...span });
        return;
      }
      case 'ReturnStatement': {
        const e = children(n).find((c) => c.name !== 'return' && !PUNCT.has(c.name));
        out.push({ k: 'return', e: e ? this.expr(e, depth + 1) : undefined, ...span });
        return;
      }
      case 'DecoratedStatement':
      case 'IfStatement':
      case 'WithStatement':
      case 'TryStatement':
      case 'ClassDefinition': {
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
      default:
        return; // imports, pass, comments, errors...
    }
  }

  expr(n: SyntaxNode, depth: number): Expr {
    const span = { from: n.from, to: n.to };
    if (depth > MAX_DEPTH) return { k: 'other', what: 'too deeply nested', ...span };
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
        return { k: 'name', id: this.src(n), ...span };
      case 'ParenthesizedExpression': {
        const inner = children(n).filter((c) => !PUNCT.has(c.name));
        return inner.length === 1 ? this.expr(inner[0], depth + 1) : { k: 'other', what: 'parenthesized', ...span };
      }
      case 'MemberExpression': {
        const cs = children(n);
        const obj = cs[0] ? this.expr(cs[0], depth + 1) : { k: 'other' as const, what: 'member', ...span };
        const prop = cs.find((c) => c.name === 'PropertyName');
        if (prop) return { k: 'member', obj, prop: this.src(prop), ...span };
        const idx = cs.slice(1).find((c) => !PUNCT.has(c.name));
        return { k: 'index', obj, index: idx ? this.expr(idx, depth + 1) : undefined, ...span };
      }
      case 'CallExpression': {
        const cs = children(n);
        const callee = cs[0] ? this.expr(cs[0], depth + 1) : { k: 'other' as const, what: 'call', ...span };
        const argList = cs.find((c) => c.name === 'ArgList');
        const args: Expr[] = [];
        const kwargs: Kwarg[] = [];
        if (argList) {
          const as = children(argList).filter((c) => !PUNCT.has(c.name));
          for (let i = 0; i < as.length; i++) {
            const a = as[i];
            if (a.name === 'VariableName' && as[i + 1]?.name === 'AssignOp' && as[i + 2]) {
              kwargs.push({ name: this.src(a), value: this.expr(as[i + 2], depth + 1), from: a.from, to: as[i + 2].to });
              i += 2;
            } else if (a.name === '*' || a.name === '**' || a.name === 'ArithOp') {
              args.push({ k: 'other', what: 'unpacked arguments', from: a.from, to: as[i + 1]?.to ?? a.to });
              i++;
            } else {
              args.push(this.expr(a, depth + 1));
            }
          }
        }
        return { k: 'call', callee, args, kwargs, ...span };
      }
      case 'ArrayExpression':
      case 'TupleExpression':
        return { k: 'list', items: children(n).filter((c) => !PUNCT.has(c.name)).map((c) => this.expr(c, depth + 1)), ...span };
      case 'DictionaryExpression': {
        const cs = children(n).filter((c) => !PUNCT.has(c.name));
        const entries: Kwarg[] = [];
        for (let i = 0; i + 1 < cs.length; i += 2) {
          const key = this.expr(cs[i], depth + 1);
          if (key.k === 'str') entries.push({ name: key.v, value: this.expr(cs[i + 1], depth + 1), from: cs[i].from, to: cs[i + 1].to });
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
        if (cs.length !== 3) return { k: 'other', what: 'expression', ...span };
        return { k: 'bin', op: this.src(cs[1]), left: this.expr(cs[0], depth + 1), right: this.expr(cs[2], depth + 1), ...span };
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
