// Source importers: read a model from the user's own code (TF1 Python, Keras, tfjs, JSON spec) into a
// model spec plus the source ranges of each layer, so findings can land on the right lines.
import type { SpecResult } from '../spec';
import type { Finding } from '../findings';

/** A range in the source, 1-based lines and columns (end exclusive). */
export interface SourceRange {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export type SourceLanguage = 'python-tf1' | 'keras' | 'tfjs' | 'json';

export interface LayerSource {
  layer: number;
  /** The expression that creates the kernel (e.g. `tf.Variable(tf.zeros([784, 100]))`) — findings anchor here. */
  weights?: SourceRange;
  bias?: SourceRange;
  activation?: SourceRange;
  /** The whole definition (a Dense(...) call, or the weight line for TF1 code). */
  definition: SourceRange;
}

/** Something in the source that could not be followed; shown as an information diagnostic. */
export interface ImportNote {
  range: SourceRange;
  message: string;
}

export interface TextEdit {
  range: SourceRange;
  newText: string;
}

export interface ImportResult {
  language: SourceLanguage;
  /** The extracted spec, validated (problems carry the spec's JSON paths). */
  spec: SpecResult;
  layers: LayerSource[];
  notes: ImportNote[];
  /** Where the model is defined (for a "Train this model" CodeLens). */
  modelRange?: SourceRange;
  /** Static findings (no training) with `source` set. */
  staticFindings: Finding[];
}
