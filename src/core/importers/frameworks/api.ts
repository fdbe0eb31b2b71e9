// The framework-module API: what a module (tf1.ts, keras.ts, tfjs.ts...) implements and registers in
// registry.ts. A module registers the library names it understands by canonical dotted name
// (`keras.layers.Dense`, `tensorflow.matmul`, `tfjs.layers.dense`) and builds layer / optimizer / loop
// records through the session's ModelBuilder (model.ts). Adding a framework = writing a module that
// exports a `FrameworkModule` and adding it to FRAMEWORKS in registry.ts; the interpreter is not touched.
//
// Names reach a module canonicalised: imports are resolved (`import tensorflow.compat.v1 as tf` makes
// `tf.nn.relu` → `tensorflow.nn.relu`; `from keras.layers import Dense as D` makes `D` →
// `keras.layers.Dense`), then every module's `aliases` rewrite prefixes (`tensorflow.keras` → `keras`),
// longest first. Handlers get the evaluated call (interpret.ts `Call`: positional values, keywords by
// normalised name, the callee as written) and the host (notes, loops, the session) and return a value,
// or undefined to let the next module try.
import type { Dialect, BaseClass, Call, Val } from '../interpret';
import type { Expr } from '../ast';
import type { Fx, Interpretation, ModelBuilder } from '../model';
import type { ProgramRead } from '../program';
import type { SourceLanguage } from '../types';

export type Handler = (call: Call, fx: Fx) => Val | undefined;

export interface FrameworkModule {
  /** Short id (`tf1`, `keras`, `tfjs`); layers and models carry it. */
  readonly id: string;
  /** The label of a file whose model this module built (ImportResult.language); none for libraries that build no model. */
  readonly language?: SourceLanguage;
  /** The dialects whose files may use it. */
  readonly dialects: readonly Dialect[];
  /** Imported module names and their canonical root (`@tensorflow/tfjs-node` → `tfjs`). */
  readonly modules?: Readonly<Record<string, string>>;
  /** Prefix rewrites into canonical form (`tensorflow.compat.v1` → `tensorflow`, `tensorflow.keras` → `keras`). */
  readonly aliases?: Readonly<Record<string, string>>;
  /** Names a file may use without importing them, per dialect (`tf` in a browser script → `tfjs`). */
  readonly globals?: Partial<Record<Dialect, Readonly<Record<string, string>>>>;
  /** Callables by canonical dotted name. */
  readonly functions?: Readonly<Record<string, Handler>>;
  /** Callables by pattern (a family such as `keras.layers.Conv*`), tried after every module's `functions`. */
  resolve?(path: string): Handler | undefined;
  /** Values of names that are read, not called (`math.pi`). */
  value?(path: string, fx: Fx): Val | undefined;
  /** Library classes that user classes derive from (`keras.Model`, `nn.Module`), by canonical name. */
  readonly baseClasses?: Readonly<Record<string, BaseClass<ModelBuilder>>>;
  /** Whether its library class `path` derives from the library class `base` (canonical names; undefined: not its classes). */
  isSubclass?(path: string, base: string): boolean | undefined;
  /** `x.name(...)` on a value that is not known (e.g. `model.fit` in a function that receives the model). */
  unknownMethod?(name: string, receiver: Expr, call: Call, fx: Fx, value?: Val): Val | undefined;
  /** `a.b.c` on a value that is not known, by its dotted name (`mnist.train.num_examples`). */
  unknownMember?(dotted: string, fx: Fx): Val | undefined;
  /** Calls that train (normalised last names: `nextbatch`, `fit`, `step`): loops around them are training loops, not unrolled. */
  readonly trainingCalls?: readonly string[];
  /** After the whole file is read, before the model is picked (e.g. read a model class nothing instantiates). */
  afterRun?(fx: Fx): void;
}

/** `prefix.Name` handlers for several prefixes at once: `under(['keras.layers', 'keras'], { Dense: h })`. */
export function under(prefixes: readonly string[], table: Readonly<Record<string, Handler>>): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const p of prefixes) for (const [k, h] of Object.entries(table)) out[`${p}.${k}`] = h;
  return out;
}

/**
 * A module that reads the program's parts beyond the layers (data, objective, update extras, loop) for a model it
 * built: what it read, after the file is interpreted (importers/program.ts folds it into the spec). Optional; kept
 * apart from FrameworkModule so that adding it changes no module that does not read them.
 */
export interface ProgramReader {
  /** The language label of the files it reads the program of. */
  readonly language: SourceLanguage;
  program(session: ModelBuilder, it: Interpretation, text: string): ProgramRead | undefined;
}
