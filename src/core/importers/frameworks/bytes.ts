// Bytes a program reads with its own code (its own `load_mnist()` over the IDX files, a Node `fs.readFileSync`):
// an array whose element type is uint8 holds values 0–255, the raw pixels, so its scale is known from there on
// and follows the program's arithmetic as it does for the known loaders (`mnist.load_data()`). Only where the
// value really is uint8: `np.frombuffer(buf, np.uint8)`, `np.fromfile(f, dtype=np.uint8)`,
// `np.array(..., dtype=np.uint8)`, `tf.io.decode_raw(s, tf.uint8)`, a Node Buffer (`fs.readFileSync(path)` without an
// encoding) and `new Uint8Array(...)`; another dtype, or one not read, leaves the value unknown (as before).
import { type Call, type Val, native, nativeOf } from '../interpret';
import { DataV } from '../model';
import { RAW_PIXELS, isFloatType, isUint8 } from '../programParts';
import type { FrameworkModule, Handler } from './api';

/** Raw bytes read at `call` (its result: `load`, until they become floats). */
export const bytesRead = (call: Call): Val => native(new DataV(undefined, undefined, { scale: RAW_PIXELS, load: call.expr, bytes: true }));

/** `np.frombuffer(buffer, dtype)` / `np.fromfile(file, dtype)`: bytes when the dtype is uint8 (numpy's default is float64). */
const fromBuffer: Handler = (call) => (isUint8(call.arg(1, 'dtype')?.v) ? bytesRead(call) : undefined);

/** `np.array(x, dtype=...)` / `np.asarray(x)`: data stays the data (a float dtype converts it as `.astype` does); uint8 values are bytes. */
const array: Handler = (call) => {
  const dtype = call.arg(1, 'dtype')?.v;
  const d = nativeOf(call.args[0], DataV);
  if (d) return isFloatType(dtype) ? d.toFloat(call.expr) : dtype === undefined || isUint8(dtype) ? native(d) : undefined;
  if (isUint8(dtype)) return bytesRead(call);
  return undefined;
};

/** `tf.io.decode_raw(bytes, tf.uint8)`. */
const decodeRaw: Handler = (call) => (isUint8(call.arg(1, 'outtype')?.v) ? bytesRead(call) : undefined);

const PY: Record<string, Handler> = {
  'numpy.frombuffer': fromBuffer, 'numpy.fromfile': fromBuffer,
  'numpy.array': array, 'numpy.asarray': array, 'numpy.ascontiguousarray': array,
  'tensorflow.io.decode_raw': decodeRaw, 'tensorflow.decode_raw': decodeRaw,
};

/** Node's `fs.readFileSync(path)` (no encoding: a Buffer of bytes); `new Uint8Array(x)`; `Float32Array.from(bytes)` (no map function). */
const JS: Record<string, Handler> = {
  'fs.readFileSync': (call) => (call.args.length === 1 && call.kw.size === 0 ? bytesRead(call) : undefined),
  'Uint8Array': (call) => (nativeOf(call.args[0], DataV) ? call.args[0] : bytesRead(call)),
  'Uint8Array.from': (call) => (call.args.length !== 1 ? undefined : nativeOf(call.args[0], DataV) ? call.args[0] : bytesRead(call)),
  'Float32Array': (call) => (nativeOf(call.args[0], DataV) ? call.args[0] : undefined),
  'Float32Array.from': (call) => (call.args.length === 1 && nativeOf(call.args[0], DataV) ? call.args[0] : undefined),
  'Float64Array.from': (call) => (call.args.length === 1 && nativeOf(call.args[0], DataV) ? call.args[0] : undefined),
};

export const bytes: FrameworkModule = {
  id: 'bytes',
  dialects: ['python', 'js'],
  modules: { fs: 'fs', 'node:fs': 'fs' },
  globals: { js: { Uint8Array: 'Uint8Array', Float32Array: 'Float32Array', Float64Array: 'Float64Array' } },
  functions: { ...PY, ...JS },
};
