// IDX file reader (the MNIST format: http://yann.lecun.com/exdb/mnist/), raw or gzip-compressed.
// Checks the magic number, the dimensions and the file size; every error names the file.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { basename } from 'node:path';

export class DataError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DataError';
  }
}

export interface IdxArray {
  /** Sizes of each dimension, e.g. [60000, 28, 28]. */
  dims: number[];
  /** The values, unsigned bytes (the only element type MNIST uses). */
  data: Uint8Array;
}

const UBYTE = 0x08;

/** Parses an IDX buffer of unsigned bytes with `expectedRank` dimensions. `file` is only used in messages. */
export function parseIdx(buf: Uint8Array, file: string, expectedRank: number): IdxArray {
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new DataError(file, `corrupt gzip data (${(e as Error).message})`);
    }
  }
  if (buf.length < 4) throw new DataError(file, `too short for an IDX header (${buf.length} bytes)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0);
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new DataError(file, `not an IDX file (magic number 0x${magic.toString(16).padStart(8, '0')}; expected 0x0000080${expectedRank})`);
  }
  if (buf[2] !== UBYTE) throw new DataError(file, `element type 0x${buf[2].toString(16)} is not unsigned byte (0x08)`);
  const rank = buf[3];
  if (rank !== expectedRank) {
    throw new DataError(file, `has ${rank} dimension(s) (magic 0x${magic.toString(16).padStart(8, '0')}), expected ${expectedRank} (0x0000080${expectedRank})`);
  }
  const headerBytes = 4 + 4 * rank;
  if (buf.length < headerBytes) throw new DataError(file, `truncated header: ${buf.length} bytes, need ${headerBytes}`);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const have = buf.length - headerBytes;
  if (have < count) throw new DataError(file, `truncated: header promises ${dims.join('×')} = ${count} bytes of data, file has ${have}`);
  if (have > count) throw new DataError(file, `${have - count} unexpected trailing bytes after ${dims.join('×')} values`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + headerBytes, count) };
}

export function readIdxFile(path: string, expectedRank: number): IdxArray {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(path, code === 'ENOENT' ? 'file not found' : `cannot read (${(e as Error).message})`);
  }
  return parseIdx(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path, expectedRank);
}

export const idxName = (path: string): string => basename(path);
