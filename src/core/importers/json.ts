// JSON model spec (`*.mlp.json`, or any JSON object with "layers"): parsed with jsonc-parser so that
// comments and trailing commas are tolerated and every value keeps its source range.
import type { Node, ParseError } from 'jsonc-parser';
import type * as JsoncParser from 'jsonc-parser';
import type { Span } from './ast';
import type { InitSite } from './model';
import { keyPath } from '../spec';

export interface JsonLayer {
  definition: Span;
  kernel?: Span;
  bias?: Span;
  activation?: Span;
  kernelSite?: InitSite;
  biasSite?: InitSite;
}

export interface JsonRead {
  /** Whether the file is a model spec at all. */
  isSpec: boolean;
  value: unknown;
  root?: Node;
  layers: JsonLayer[];
  errors: { span: Span; message: string }[];
  learningRate?: Span;
  batchSize?: Span;
  steps?: Span;
}

// Loaded on first use: jsonc-parser's default (UMD) entry cannot be bundled by esbuild unless the
// bundle prefers its ESM build (`mainFields: ['module', 'main']`); loading it lazily keeps a bundle
// without that setting working for every non-JSON file (and importSource turns the failure into a note).
let jsonc: typeof JsoncParser | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lib = (): typeof JsoncParser => (jsonc ??= require('jsonc-parser') as typeof JsoncParser);

const span = (n: Node): Span => ({ from: n.offset, to: n.offset + n.length });

/** Deepest nesting of objects and arrays a spec document may have (a spec needs 4: root, layers, a layer, an initializer). */
export const MAX_JSON_DEPTH = 64;

/**
 * Where `text` first nests objects / arrays deeper than `limit`, in one linear pass that skips strings
 * and comments; undefined when it does not. jsonc-parser's parser and tree walk are recursive, so a
 * document with thousands of levels would overflow the stack: such a document is refused before.
 */
export function excessiveNesting(text: string, limit = MAX_JSON_DEPTH): { offset: number; depth: number } | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22 || d === 0x0a) break;
      }
    } else if (c === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2f) {
      const nl = text.indexOf('\n', i + 2);
      i = nl < 0 ? text.length : nl;
    } else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a /* * */) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 1;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return { offset: i, depth };
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      if (depth > 0) depth--;
    }
  }
  return undefined;
}

export function readJson(text: string, forceSpec: boolean): JsonRead {
  const { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode } = lib();
  const deep = excessiveNesting(text);
  if (deep) {
    // A spec only if it was named as one (or says "layers" before the deep part): nothing is parsed.
    const isSpec = forceSpec || /"layers"\s*:/.test(text.slice(0, deep.offset));
    return {
      isSpec, value: undefined, layers: [],
      errors: [{ span: { from: deep.offset, to: deep.offset + 1 }, message: `JSON nested more than ${MAX_JSON_DEPTH} levels deep here (a model spec needs 4): not read any further` }],
    };
  }
  const errs: ParseError[] = [];
  const root = parseTree(text, errs, { allowTrailingComma: true, disallowComments: false });
  const errors = errs.map((e) => ({ span: { from: e.offset, to: e.offset + Math.max(1, e.length) }, message: `JSON syntax error: ${printParseErrorCode(e.error)}` }));
  const layersNode = root ? findNodeAtLocation(root, ['layers']) : undefined;
  const isSpec = forceSpec || (root?.type === 'object' && layersNode !== undefined);
  let value: unknown;
  try {
    value = root ? getNodeValue(root) : undefined;
  } catch {
    value = undefined;
  }
  const layers: JsonLayer[] = [];
  if (layersNode?.type === 'array') {
    for (const l of layersNode.children ?? []) {
      const entry: JsonLayer = { definition: span(l) };
      if (l.type === 'object') {
        const k = findNodeAtLocation(l, ['kernelInitializer']);
        const b = findNodeAtLocation(l, ['biasInitializer']);
        const a = findNodeAtLocation(l, ['activation']);
        if (k) {
          entry.kernel = span(k.parent ?? k);
          entry.kernelSite = { span: span(k), idiom: 'json', prefix: '' };
        }
        if (b) {
          entry.bias = span(b.parent ?? b);
          entry.biasSite = { span: span(b), idiom: 'json', prefix: '' };
        }
        if (a) entry.activation = span(a);
      }
      layers.push(entry);
    }
  }
  const at = (path: string[]): Span | undefined => {
    const n = root ? findNodeAtLocation(root, path) : undefined;
    return n && n.type === 'number' ? span(n) : undefined;
  };
  return { isSpec, value, root, layers, errors, learningRate: at(['optimizer', 'learningRate']), batchSize: at(['batchSize']), steps: at(['steps']) };
}

/**
 * Locates spec problems' JSON paths (`$.layers[0].kernelInitializer.stddev`) in the tree: the node the
 * path points at, or its nearest existing parent. The tree is indexed once (linear in its size), so
 * locating every problem of a document costs one lookup each, not one walk of the tree each.
 */
export function pathLocator(root: Node | undefined): (path: string) => Span | undefined {
  const index = new Map<string, Node>();
  if (root) {
    // Iterative: MAX_JSON_DEPTH bounds the depth, but no recursion is needed either way.
    const stack: { node: Node; path: string }[] = [{ node: root, path: '$' }];
    while (stack.length > 0) {
      const { node, path } = stack.pop()!;
      if (!index.has(path)) index.set(path, node);
      if (node.type === 'object') {
        for (const prop of node.children ?? []) {
          const [key, value] = prop.children ?? [];
          if (key?.type === 'string' && value) stack.push({ node: value, path: keyPath(path, String(key.value)) });
        }
      } else if (node.type === 'array') {
        (node.children ?? []).forEach((child, i) => stack.push({ node: child, path: `${path}[${i}]` }));
      }
    }
  }
  return (path: string) => {
    if (!root) return undefined;
    // Shorten the path one segment at a time until it names a node.
    let p = path;
    for (;;) {
      const node = index.get(p);
      if (node) return span(node.parent?.type === 'property' ? node.parent : node);
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      if (cut <= 0) return index.has('$') ? span(root) : undefined;
      p = p.slice(0, cut);
    }
  };
}
