// Spec problems in words for a person: the CLI's error lines, `check`, the training process's error
// event. A problem's `path` is a JSON path (`$.layers[0].activation`) and stays one in data (`--json`,
// the importers' notes); a person reads `layers[0].activation: …`, and a problem about the whole model
// (path `$`, e.g. "convolutional model: …") as the message alone, never "$: …".
import type { SpecProblem } from './spec';

/** `$.layers[0].units` → `layers[0].units`; `$` → '' (the whole spec). */
export function pathForPeople(path: string): string {
  if (path === '$') return '';
  if (path.startsWith('$.')) return path.slice(2);
  if (path.startsWith('$[')) return path.slice(1);
  return path;
}

/** One problem: `layers[0].units: must be …`, or the message alone for the whole spec. */
export function problemText(p: SpecProblem, name: (path: string) => string | undefined = () => undefined): string {
  const where = name(p.path) ?? pathForPeople(p.path);
  return where ? `${where}: ${p.message}` : p.message;
}

/** Every problem on one line, separated by "; ". `name` may give a path another name (`$.steps` → `--steps`). */
export function problemsText(problems: readonly SpecProblem[], name?: (path: string) => string | undefined): string {
  return problems.map((p) => problemText(p, name)).join('; ');
}

/**
 * A message that may start with a problem's JSON path (an importer's note quoting a spec problem:
 * `$.layers[0].activation: must be …`, `$: convolutional model …`), with that prefix in the people form.
 */
export function messageForPeople(message: string): string {
  return message.replace(/^\$((?:\.|\[)[^\s:]*)?: /, (_m, rest: string | undefined) => (rest ? `${pathForPeople(`$${rest}`)}: ` : ''));
}
