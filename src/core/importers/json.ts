// JSON model spec (`*.mlp.json`, or any JSON object with "layers"): parsed with jsonc-parser so that
// comments and trailing commas are tolerated and every value keeps its source range.
import type { Node, ParseError } from 'jsonc-parser';
import type * as JsoncParser from 'jsonc-parser';
import type { Span } from './ast';
import type { InitSite } from './model';

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

export function readJson(text: string, forceSpec: boolean): JsonRead {
  const { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode } = lib();
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

/** The node a spec problem's JSON path (`$.layers[0].kernelInitializer.stddev`) points at, or its nearest existing parent. */
export function spanOfPath(root: Node | undefined, path: string): Span | undefined {
  if (!root) return undefined;
  const { findNodeAtLocation } = lib();
  const segs: (string | number)[] = [];
  for (const m of path.replace(/^\$/, '').matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) segs.push(m[1] !== undefined ? m[1] : Number(m[2]));
  for (let n = segs.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, segs.slice(0, n));
    if (node) {
      // Point at the property (key and value) when the path ends on an object member.
      const target = node.parent?.type === 'property' ? node.parent : node;
      return span(target);
    }
  }
  return undefined;
}
