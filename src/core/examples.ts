// The example programs "Gradient Lens: Open Example" opens as editable files (the files themselves are
// in examples/ at the extension's root; test/unit/examples.test.ts checks that the importers read
// each one as the model its entry names). Adding an example is one more file in examples/ and one more
// entry here.
import type { SourceLanguage } from './importers/types';

export interface Example {
  /** Stable id: the command's argument (`gradientLens.openExample` with `"tf1-mlp-zeros"`). */
  id: string;
  /** QuickPick label. */
  title: string;
  /** One line: what the program is and what it reaches. */
  description: string;
  /** File name under examples/ (and of the copy the user edits). */
  fileName: string;
  /** VS Code language id of the file. */
  languageId: 'python' | 'javascript' | 'typescript' | 'json';
  /** What the importers read it as. */
  language: SourceLanguage;
  /** The built-in preset whose model (layers, initializers, optimizer, batch size) the program defines. */
  preset: string;
  /** The example that is this one with its problem fixed. */
  fixedBy?: string;
}

export const EXAMPLES: readonly Example[] = [
  {
    id: 'tf1-mlp-zeros', title: 'Seed question (TF1): hidden layer initialised with zeros', fileName: 'mnist_mlp_zeros.py',
    description: '784 → 100 ReLU → 10, every weight zero, as in the question: ≈ 0.11 (dead units)',
    languageId: 'python', language: 'python-tf1', preset: 'seed-mlp-zeros', fixedBy: 'tf1-mlp-fixed',
  },
  {
    id: 'tf1-mlp-fixed', title: 'Seed question, fixed (TF1): small random weights', fileName: 'mnist_mlp_fixed.py',
    description: 'The same model with W ~ U(−0.01, 0.01): ≈ 0.96',
    languageId: 'python', language: 'python-tf1', preset: 'seed-mlp-uniform',
  },
  {
    id: 'tf1-softmax-zeros', title: 'Tutorial softmax regression (TF1): zeros are fine here', fileName: 'mnist_softmax.py',
    description: '784 → 10 softmax, every weight zero, where the question starts: ≈ 0.92',
    languageId: 'python', language: 'python-tf1', preset: 'seed-softmax-zeros',
  },
  {
    id: 'keras-mlp-zeros', title: 'Seed model in Keras', fileName: 'keras_mlp_zeros.py',
    description: 'Sequential Dense(100, relu) → Dense(10, softmax), kernel_initializer="zeros": ≈ 0.11',
    languageId: 'python', language: 'keras', preset: 'seed-mlp-zeros',
  },
  {
    id: 'torch-mlp-zeros', title: 'Seed model in PyTorch', fileName: 'torch_mlp_zeros.py',
    description: 'nn.Linear(784, 100) → ReLU → nn.Linear(100, 10), nn.init.zeros_ on every weight and bias: ≈ 0.11',
    languageId: 'python', language: 'pytorch', preset: 'seed-mlp-zeros',
  },
  {
    id: 'tfjs-mlp-zeros', title: 'Seed model in TensorFlow.js', fileName: 'tfjs_mlp_zeros.js',
    description: "tf.sequential() with kernelInitializer: 'zeros': ≈ 0.11",
    languageId: 'javascript', language: 'tfjs', preset: 'seed-mlp-zeros',
  },
];

/** The example the walkthrough opens: the seed question's program. */
export const SEED_EXAMPLE_ID = 'tf1-mlp-zeros';

/** Folder of the example files, relative to the extension's root. */
export const EXAMPLES_FOLDER = 'examples';

export function findExample(id: string): Example | undefined {
  return EXAMPLES.find((e) => e.id === id);
}
