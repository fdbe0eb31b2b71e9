// IDX file reader (the MNIST format: http://yann.lecun.com/exdb/mnist/), raw or gzip-compressed.
// Checks the magic number, the dimensions and the file size; every error names the file and never
// quotes its bytes (a foreign file's first bytes are its contents: `/etc/passwd` starts with "root").
// Reads regular files only, at most MAX_IDX_BYTES, and gunzips at most MAX_IDX_BYTES (a gzip bomb
// stops there instead of filling memory).
import { createGunzip, gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { basename } from 'node:path';
import { FileReadError, readRegularFile, readRegularFileAsync } from './files';

export class DataError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DataError';
  }
}

/**
 * Largest IDX file, raw or after gunzip: 256 MB (MNIST's training images are 47 MB raw, 10 MB
 * gzipped; a 240,000-image EMNIST digits file is 188 MB).
 */
export const MAX_IDX_BYTES = 256 * 2 ** 20;

export interface IdxArray {
  /** Sizes of each dimension, e.g. [60000, 28, 28]. */
  dims: number[];
  /** The values, unsigned bytes (the only element type MNIST uses). */
  data: Uint8Array;
}

const UBYTE = 0x08;

const isGzip = (buf: Uint8Array): boolean => buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;

function gunzipError(file: string, e: unknown): DataError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
    return new DataError(file, `decompresses to more than ${MAX_IDX_BYTES / 2 ** 20} MB, more than an IDX file Gradient Lens reads (not a dataset, or a gzip bomb)`);
  }
  return new DataError(file, `corrupt gzip data (${code ?? (e as Error)?.name ?? 'error'})`);
}

/**
 * Streaming gunzip that stops at MAX_IDX_BYTES and between chunks when `signal` aborts (a stop while
 * a large gzip file is being decompressed ends it within a chunk, not after the whole file).
 */
async function gunzipBounded(compressed: Buffer, file: string, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  let overflow = false;
  const SLICE = 1 << 20;
  async function* slices(): AsyncGenerator<Buffer> {
    for (let i = 0; i < compressed.length; i += SLICE) yield compressed.subarray(i, i + SLICE);
  }
  try {
    await pipeline(Readable.from(slices()), createGunzip(), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        signal?.throwIfAborted();
        total += chunk.length;
        if (total > MAX_IDX_BYTES) {
          overflow = true;
          throw Object.assign(new RangeError('too large'), { code: 'ERR_BUFFER_TOO_LARGE' });
        }
        chunks.push(chunk);
      }
    }, signal ? { signal } : {});
  } catch (e) {
    // (pipeline may report the destroyed source's AbortError instead of the sink's own error)
    if (overflow) throw gunzipError(file, Object.assign(new RangeError('too large'), { code: 'ERR_BUFFER_TOO_LARGE' }));
    if (signal?.aborted) throw signal.reason ?? e;
    throw gunzipError(file, e);
  }
  return Buffer.concat(chunks, total);
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** Parses an IDX buffer of unsigned bytes with `expectedRank` dimensions. `file` is only used in messages. */
export function parseIdx(buf: Uint8Array, file: string, expectedRank: number): IdxArray {
  if (isGzip(buf)) {
    try {
      buf = gunzipSync(buf, { maxOutputLength: MAX_IDX_BYTES });
    } catch (e) {
      throw gunzipError(file, e);
    }
  }
  return parseRawIdx(buf, file, expectedRank);
}

function parseRawIdx(buf: Uint8Array, file: string, expectedRank: number): IdxArray {
  const expected = hex(0x800 + expectedRank);
  const size = `${buf.length} bytes`;
  if (buf.length < 4) throw new DataError(file, `not an IDX file: ${size}, too short for the 4-byte magic number ${expected}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf[0] !== 0 || buf[1] !== 0 || buf[2] !== UBYTE) {
    // Only what was expected and the size: the first bytes of a foreign file are its contents.
    throw new DataError(file, `not an IDX file of unsigned bytes (it does not start with the magic number ${expected}; ${size})`);
  }
  const rank = buf[3];
  if (rank !== expectedRank) {
    throw new DataError(file, `has ${rank} dimension(s) (magic ${hex(0x800 + rank)}), expected ${expectedRank} (${expected})`);
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

const asDataError = (e: unknown, path: string): unknown => (e instanceof FileReadError ? new DataError(path, e.problem) : e);

export function readIdxFile(path: string, expectedRank: number): IdxArray {
  let buf: Buffer;
  try {
    buf = readRegularFile(path, MAX_IDX_BYTES);
  } catch (e) {
    throw asDataError(e, path);
  }
  return parseIdx(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path, expectedRank);
}

/** readIdxFile that reads and gunzips off the event loop and stops when `signal` aborts. */
export async function readIdxFileAsync(path: string, expectedRank: number, signal?: AbortSignal): Promise<IdxArray> {
  let buf: Buffer;
  try {
    buf = await readRegularFileAsync(path, MAX_IDX_BYTES, signal);
  } catch (e) {
    throw asDataError(e, path);
  }
  if (isGzip(buf)) buf = await gunzipBounded(buf, path, signal);
  return parseRawIdx(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path, expectedRank);
}

export const idxName = (path: string): string => basename(path);
