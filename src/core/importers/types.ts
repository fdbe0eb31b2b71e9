// Source importers: read a model from the user's own code (TF1 Python, Keras, tfjs, JSON spec) into a
// model spec plus the source ranges of each layer, so findings can land on the right lines.
import type { SpecResult } from '../spec';
import type { Finding, Fix } from '../findings';

/** The most characters Gradient Lens reads from a model file (the editor, `check` and `train FILE` alike). */
export const MAX_SOURCE_CHARS = 200_000;

/** A range in the source, 1-based lines and columns (end exclusive). */
export interface SourceRange {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** The idiom a file is read as (a framework module's `language`; see frameworks/api.ts). */
export type SourceLanguage = 'python-tf1' | 'keras' | 'tfjs' | 'pytorch' | 'json';

/**
 * How an initializer is written, so a quick fix can rewrite it in the same idiom:
 * `tf1` a TF1 tensor (`tf.zeros([784, 100])`), `tf1-initializer` (`tf.zeros_initializer()`),
 * `keras-string` (`'zeros'`), `keras-object` (`tf.keras.initializers.Zeros()`), `tfjs-string` (`'zeros'`),
 * `tfjs-object` (`tf.initializers.zeros()`), `tfjs-tensor` (`tf.zeros([784, 100])` in tf.variable), `json`,
 * `torch-init` (`nn.init.zeros_(self.fc1.weight)`), `torch-method` (`self.fc1.weight.data.fill_(0)`).
 */
export type InitializerIdiom = 'tf1' | 'tf1-initializer' | 'keras-string' | 'keras-object' | 'tfjs-string' | 'tfjs-object' | 'tfjs-tensor' | 'torch-init' | 'torch-method' | 'json';

/** Where a layer's initializer is written in the source: the expression a quick fix replaces. */
export interface InitializerSite {
  range: SourceRange;
  idiom: InitializerIdiom;
  /** Module prefix written in the source (`tf`, `tf.compat.v1`, `tf.keras.initializers`); '' if none. */
  prefix: string;
  /** TF1 tensors: the shape argument as written (`[784, 100]`, `[n_in, n_hidden]`). */
  shape?: string;
  /** TF2 spelling (`tf.random.uniform`) rather than TF1 (`tf.random_uniform`). */
  v2?: boolean;
  /** PyTorch: the parameter tensor as written (`self.fc1.weight`, `m.weight.data`). */
  tensor?: string;
}

export interface LayerSource {
  layer: number;
  /** The expression that creates the kernel (e.g. `tf.Variable(tf.zeros([784, 100]))`) — findings anchor here. */
  weights?: SourceRange;
  bias?: SourceRange;
  activation?: SourceRange;
  /** The whole definition (a Dense(...) call, or the weight line for TF1 code). */
  definition: SourceRange;
  /** Where the kernel / bias initializer is written, when a fix can rewrite it (absent for defaults and shared helpers). */
  kernelInitializer?: InitializerSite;
  biasInitializer?: InitializerSite;
  /** Where the activation is written as a string (`'relu'`, `"relu"`), when a fix can rewrite it. */
  activationString?: SourceRange;
  /**
   * The calls of the user's own functions that led to the weights, outermost first (`main()`,
   * `nn_layer(x, 784, 500)`): the editor shows them as related information.
   */
  via?: SourceRange[];
  /** Where the weights are created, when `weights` is a call site instead (a helper shared by several layers). */
  weightsCreated?: SourceRange;
}

/** Something in the source that could not be followed; shown as an information diagnostic. */
export interface ImportNote {
  range: SourceRange;
  message: string;
  /** `info` (default): a construct not followed; `warning`: the extracted model is invalid here (spec problem). */
  severity?: 'info' | 'warning' | 'error';
}

export interface TextEdit {
  range: SourceRange;
  newText: string;
}

/**
 * Where the parts of the training program are written (spec.ts: data, objective, update, loop), so the findings
 * about a part (unscaled-input, output-loss-mismatch, loss-reduction, unstable-loss, gradient-accumulation) land
 * on its line.
 */
export interface ProgramSites {
  /** Where the pixels are scaled or normalised, or, when they are not, where they are fed (`x_train` in `fit(x_train, …)`, the placeholder, the DataLoader's dataset). */
  input?: SourceRange;
  /** The loss: its call, or the hand-written formula. */
  loss?: SourceRange;
  /** The output layer's activation as written (`activation='softmax'`, `tf.nn.softmax(...)`, `F.log_softmax(...)`). */
  outputActivation?: SourceRange;
  /** The reduction over the batch (`tf.reduce_sum` around the loss, `reduction='sum'`). */
  reduction?: SourceRange;
  /** The training loop (`for …:` whose body steps the optimizer) — where `zero_grad` is missing. */
  loop?: SourceRange;
  /** Where the optimizer is made (schedule, weight decay, clipping are read around it). */
  optimizer?: SourceRange;
}

/** A fix of a program part with its edits in the file's idiom (`/ 255.0`, `from_logits=True`, `optimizer.zero_grad()`). */
export interface ProgramFix {
  fix: Fix;
  edits: TextEdit[];
}

export interface ImportResult {
  /** The file name importSource was given (findings' `source.file`). */
  fileName: string;
  language: SourceLanguage;
  /** The extracted spec, validated (problems carry the spec's JSON paths). */
  spec: SpecResult;
  layers: LayerSource[];
  notes: ImportNote[];
  /** Where the model is defined (for a "Train this model" CodeLens). */
  modelRange?: SourceRange;
  /** Static findings (no training) with `source` set. */
  staticFindings: Finding[];
  /** Where the learning rate is written as a number literal (for learning-rate fixes). */
  learningRate?: SourceRange;
  /** Where the batch size and the step count (loop / epochs) come from. */
  batchSize?: SourceRange;
  steps?: SourceRange;
  /**
   * Set when the file is something Gradient Lens does not train (a convolutional model): why, and where.
   * The spec is then invalid, `notes` holds this one note, and there are no layers, findings or model range.
   */
  refused?: { range: SourceRange; message: string };
  /** The edit behind an `unstable-loss` finding's `stableLoss` fix (the stable cross-entropy, in the file's idiom). */
  stableLoss?: TextEdit;
  /** Where the program's parts are written (findings about them land there). */
  program?: ProgramSites;
  /** The cures the reader can write for the program's parts (a finding offers one only where its edits exist). */
  programFixes?: ProgramFix[];
  /**
   * Where the run will differ from the program as written (a construct read but not run as written): warnings
   * shown in `check`, `train`, the editor and the panel. Never silent.
   */
  deviations?: ImportNote[];
}
