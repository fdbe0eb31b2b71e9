// A file that is obviously a TensorFlow / Keras / PyTorch / tfjs program but where no model was found
// (no layer, or nothing the reader recognised as a model): instead of "not a model file" or "layers: must be
// a non-empty array … got []", the refusal names the construct that stopped the reader — the first call it
// did not follow that the model's data went into (`module(x)`), else the first call of a framework name no
// module reads (`tf.contrib.learn.SKCompat(...)`), else of a module the file imports that Gradient Lens
// does not know (`hub.Module(...)`), with its line.
import type { Span } from './ast';
import type { Unfollowed } from './interpret';
import type { Interpretation } from './model';
import { LineMap } from './positions';
import type { ImportResult, SourceLanguage } from './types';

/** Canonical roots of the frameworks Gradient Lens reads. */
const FRAMEWORK_ROOTS = /^(tensorflow|keras|torch|torchvision|tfjs)(\.|$)/;
/** Calls (as written, by their last name) that train what they are called on. */
const TRAINING = /(^|\.)(fit|fit_generator|fitDataset|train|train_on_batch|trainOnBatch|minimize|apply_gradients|step)$/;
/** Modules whose calls never make a model (the standard library, plotting, numerical helpers). */
const HARMLESS_ROOTS = /^(os|sys|time|math|random|json|pickle|gzip|argparse|logging|datetime|collections|itertools|functools|pathlib|shutil|subprocess|matplotlib|numpy|pandas|scipy|sklearn|tqdm|PIL|cv2|seaborn|absl|six|urllib|requests|fs|path|console|Math|JSON|process|document|window)(\.|$)/;

export interface Stopper {
  span: Span;
  message: string;
}

/** The construct that stopped the reader, when one can be named; `framework`: the file is a framework program. */
export function stopper(unfollowed: readonly Unfollowed[], src: (s: Span) => string, line: (s: Span) => number): Stopper | undefined {
  const data = unfollowed.find((u) => u.takesData);
  // What a call not followed made, trained (`model = load_model(f)` … `model.fit(...)`, `net.train(...)`).
  const trained = unfollowed.find((u) => u.from && TRAINING.test(u.written));
  const used = data ?? trained;
  if (used) {
    let root = used;
    for (let i = 0; i < 16 && root.from; i++) root = root.from;
    if (root !== used) {
      // The model is what that first call made.
      const what = root.path && FRAMEWORK_ROOTS.test(root.path) ? `a ${root.path.split('.')[0]} call Gradient Lens does not follow`
        : root.path ? `from ${root.path.split('.')[0]}, a module Gradient Lens does not read` : 'a call Gradient Lens does not follow';
      return { span: root.span, message: `no model found: the model comes from ${src(root.span)} (${what}); ${used === data ? 'the data goes into it' : 'it is trained'} on line ${line(used.span)}` };
    }
    if (data) return { span: data.span, message: `no model found: the model's data goes into ${src(data.span)}, a call Gradient Lens does not follow, so the layers after it are not known` };
  }
  const framework = unfollowed.find((u) => u.path && FRAMEWORK_ROOTS.test(u.path));
  if (framework) {
    return { span: framework.span, message: `no model found: ${src(framework.span)} is a ${framework.path!.split('.')[0]} call Gradient Lens does not read, and no layer was found elsewhere` };
  }
  const other = unfollowed.find((u) => u.path && !HARMLESS_ROOTS.test(u.path));
  if (other) {
    return { span: other.span, message: `no model found: ${src(other.span)} comes from ${other.path!.split('.')[0]}, a module Gradient Lens does not read, and no layer was found elsewhere` };
  }
  return undefined;
}

/** What the interpreter saw beside the model: the calls it did not follow, and whether the program trains. */
export interface Reading {
  unfollowed: readonly Unfollowed[];
  trains?: boolean;
}

/**
 * A program in which no model was found (nothing that looks like one, or a model without a layer) though it
 * trains or looked like a model: the construct that stopped the reader, when one can be named.
 */
export function modelLost(it: Interpretation & Reading, text: string): Stopper | undefined {
  if (it.refusal || it.layers.length > 0 || !(it.looksLikeModel || it.trains)) return undefined;
  const src = (s: Span): string => {
    const t = text.slice(s.from, s.to).replace(/\s+/g, ' ');
    return t.length > 60 ? `${t.slice(0, 57)}...` : t;
  };
  const lines = new LineMap(text);
  const s = stopper(it.unfollowed, src, (sp) => lines.range(sp).line);
  // A file that does not look like a model (a utility script that imports a framework) is refused only when
  // the model is clearly lost: the data goes into a call not followed, or what such a call made is trained.
  if (s && !it.looksLikeModel && !it.unfollowed.some((u) => u.takesData || (u.from && TRAINING.test(u.written)))) return undefined;
  return s;
}

/** The result for a program refused at `s` (as a convolutional model is: one note, nothing to train). */
export function lostResult(fileName: string, text: string, language: SourceLanguage, s: Stopper): ImportResult {
  const range = new LineMap(text).range(s.span);
  return {
    fileName, language, layers: [], staticFindings: [],
    spec: { ok: false, problems: [{ path: '$', message: `${s.message} (line ${range.line})` }] },
    notes: [{ range, message: s.message, severity: 'info' }],
    refused: { range, message: s.message },
  };
}
