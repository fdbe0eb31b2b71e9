// The names people gave their layers, read off the source (docs/importers.md "Layer names"): what a finding,
// a hover, a quick fix or the panel calls a layer instead of `layers[0]`.
//  - the variable or attribute the layer's weights or module are assigned to (`W1 = tf.Variable(...)`,
//    `self.fc1 = nn.Linear(...)`, `hidden1 = tf.layers.dense(...)`), when no other layer is assigned to the same name
//    (the functional API's `x = Dense(64)(x)` names every layer `x`);
//  - else the call that makes it, cut short: `Dense(100)`, `tf.layers.dense` (where it is written, the editor and the
//    CLI show beside it: the name itself carries no line, so an edit above the layer does not change the spec).
import type { ImportResult, SourceRange } from './types';

const MAX_NAME = 60;

function lineText(text: string, line: number): string {
  let at = 0;
  for (let i = 1; i < line; i++) {
    const next = text.indexOf('\n', at);
    if (next < 0) return '';
    at = next + 1;
  }
  const end = text.indexOf('\n', at);
  return text.slice(at, end < 0 ? text.length : end);
}

/** The source text of a range on one line (a multi-line range: its first line from its column). */
function rangeText(text: string, r: SourceRange): string {
  const line = lineText(text, r.line);
  return r.endLine === r.line ? line.slice(r.column - 1, r.endColumn - 1) : line.slice(r.column - 1);
}

/** `name = <the range>` on the range's line: the assigned name. */
function assignedName(text: string, r: SourceRange): string | undefined {
  const line = lineText(text, r.line);
  const m = /^\s*(?:(?:const|let|var)\s+)?([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*(?::\s*[\w.[\]<> ]+)?=(?!=)/.exec(line);
  if (!m) return undefined;
  // the assignment must hold the layer's own expression, not merely share its line
  return r.column - 1 >= m[0].length ? m[1] : undefined;
}

/** `Dense(100)`, `nn.Linear(784, 100)`, `tf.layers.dense`: the call head and its first argument, cut short. */
function callName(text: string, r: SourceRange): string {
  const src = rangeText(text, r).replace(/\s+/g, ' ').trim();
  const m = /^([A-Za-z_$][\w$.]*)\s*\(\s*([^,()]*?)\s*[,)]/.exec(src);
  if (m) {
    const head = m[1].replace(/^(?:tf\.keras\.layers|keras\.layers|layers|torch\.nn)\./, '');
    const arg = m[2].startsWith('{') || m[2] === '' ? '' : m[2];
    return arg && arg.length <= 20 ? `${head}(${arg})` : head;
  }
  return src.length > 30 ? `${src.slice(0, 27)}…` : src;
}

/**
 * A name for each layer of `result`, from the source `text`; undefined where none could be read (the caller then
 * says "layer N"). Names are unique: a name two layers share is replaced by their call and line.
 */
export function layerNamesFromSource(result: Pick<ImportResult, 'layers'>, text: string): (string | undefined)[] {
  // where a helper makes the weights (weightsCreated), `weights` is the helper's call site: the name is there
  const assigned = result.layers.map((l) => {
    const r = l.weights ?? l.definition;
    return r ? assignedName(text, r) ?? (l.definition ? assignedName(text, l.definition) : undefined) : undefined;
  });
  const count = (names: (string | undefined)[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const a of names) if (a) m.set(a, (m.get(a) ?? 0) + 1);
    return m;
  };
  const counts = count(assigned);
  const names = result.layers.map((l, i) => {
    const a = assigned[i];
    if (a && counts.get(a) === 1) return a;
    // the call alone, not its line: a name that an edit above it would change would make the same model another spec
    const site = l.weightsCreated && l.weights ? l.weights : l.definition;
    return site ? callName(text, site) : undefined;
  });
  // one line that makes several layers (a loop, a helper called in a loop): their position tells them apart
  const again = count(names);
  return names.map((name, i) => {
    const unique = name && again.get(name)! > 1 ? `${name} (layer ${result.layers[i].layer + 1})` : name;
    return unique && unique.length > MAX_NAME ? `${unique.slice(0, MAX_NAME - 1)}…` : unique;
  });
}

/** Sets `name` on the spec's layers that have none, from the source (see layerNamesFromSource). */
export function nameLayers(result: ImportResult, text: string): void {
  if (!result.spec.ok) return;
  const names = layerNamesFromSource(result, text);
  result.layers.forEach((l, i) => {
    const layer = result.spec.ok ? result.spec.spec.layers[l.layer] : undefined;
    if (layer && !layer.name && names[i]) layer.name = names[i];
  });
}
