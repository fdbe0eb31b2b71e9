// The framework registry: the one place that lists the framework modules (api.ts describes what a
// module is), and the Library the interpreter asks about library names, built from them per dialect.
import type { Dialect, Library } from '../interpret';
import { norm } from '../interpret';
import type { Fx, Interpretation, ModelBuilder } from '../model';
import type { ProgramRead } from '../program';
import type { SourceLanguage } from '../types';
import type { FrameworkModule, Handler, ProgramReader } from './api';
import { bytes } from './bytes';
import { keras } from './keras';
import { labels } from './labels';
import { recurrent } from './recurrent';
import { pythonStdlib } from './stdlib';
import { tf1 } from './tf1';
import { tfjs } from './tfjs';
import { torch } from './torch/index';
import { torchProgram } from './torch/program';

/** `table[key]` for the table's own keys only (a name such as `constructor` in a file is not Object's). */
const own = <T>(table: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
  (table && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined);

/** Every framework module, in the order their handlers are tried. */
export const FRAMEWORKS: readonly FrameworkModule[] = [pythonStdlib, bytes, recurrent, labels, tf1, keras, tfjs, torch];

/** The Library (interpret.ts) made of the modules that apply to `dialect`. */
export function buildLibrary(dialect: Dialect, modules: readonly FrameworkModule[] = FRAMEWORKS): Library<ModelBuilder> {
  const mods = modules.filter((m) => m.dialects.includes(dialect));
  const aliases = mods.flatMap((m) => Object.entries(m.aliases ?? {})).sort((a, b) => b[0].length - a[0].length);
  const training = new Set(mods.flatMap((m) => m.trainingCalls ?? []).map(norm));
  const canonical = (path: string): string => {
    let p = path;
    for (let round = 0; round < 6; round++) {
      const hit = aliases.find(([from]) => p === from || p.startsWith(`${from}.`));
      if (!hit) break;
      const next = hit[1] + p.slice(hit[0].length);
      if (next === p) break;
      p = next;
    }
    return p;
  };
  const handler = (path: string): { h: Handler; m: FrameworkModule } | undefined => {
    for (const m of mods) {
      const h = own(m.functions, path);
      if (h) return { h, m };
    }
    for (const m of mods) {
      const h = m.resolve?.(path);
      if (h) return { h, m };
    }
    return undefined;
  };
  const first = <T>(f: (m: FrameworkModule) => T | undefined): T | undefined => {
    for (const m of mods) {
      const v = f(m);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  return {
    canonical,
    module: (name) => first((m) => own(m.modules, name)),
    global: (name, d) => first((m) => own(m.globals?.[d], name)),
    knows: (path) => handler(path) !== undefined || mods.some((m) => own(m.baseClasses, path) !== undefined),
    call: (call, fx) => {
      const found = handler(call.path);
      if (!found) return undefined;
      const v = found.h(call, fx as Fx);
      if (v !== undefined) (fx as Fx).session.used.add(found.m.id);
      return v;
    },
    value: (path, fx) => first((m) => m.value?.(path, fx as Fx)),
    baseClass: (path) => first((m) => own(m.baseClasses, path)),
    isSubclass: (path, base) => first((m) => m.isSubclass?.(path, base)),
    unknownMethod: (name, receiver, call, fx, value) => first((m) => m.unknownMethod?.(name, receiver, call, fx as Fx, value)),
    unknownMember: (dotted, fx) => first((m) => m.unknownMember?.(dotted, fx as Fx)),
    isTrainingCall: (name) => training.has(name),
  };
}

/** The language labels of the modules (ModelBuilder uses them to label the file). */
export function languagesOf(modules: readonly FrameworkModule[] = FRAMEWORKS): Map<string, SourceLanguage> {
  const out = new Map<string, SourceLanguage>();
  for (const m of modules) if (m.language) out.set(m.id, m.language);
  return out;
}


/** The modules that read a program's parts beyond the layers (api.ts ProgramReader), by the language they label files with. */
export const PROGRAM_READERS: readonly ProgramReader[] = [torchProgram];

/** What the reader of the file's language read of its program (undefined: none reads it, or no model was read). */
export function readProgram(session: ModelBuilder, it: Interpretation, text: string, readers: readonly ProgramReader[] = PROGRAM_READERS): ProgramRead | undefined {
  return readers.find((r) => r.language === it.language)?.program(session, it, text);
}

/** Each module's afterRun hook (api.ts), for the modules of `dialect`, once the file is read. */
export function afterRun(fx: Fx, dialect: Dialect, modules: readonly FrameworkModule[] = FRAMEWORKS): void {
  for (const m of modules) if (m.dialects.includes(dialect)) m.afterRun?.(fx);
}
