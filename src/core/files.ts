// Reading a file a user named (a data folder's IDX file, a model source, a spec): regular files only,
// never more than a given size, and errors that say what the path really is. A FIFO is opened without
// blocking and refused, so `check fifo.mlp.json` cannot hang; `/dev/zero` is a device, not a file,
// so a link to it cannot fill memory; a symlink loop or a permission problem is named as such.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

export class FileReadError extends Error {
  constructor(readonly file: string, readonly problem: string, readonly code?: string) {
    super(`${file}: ${problem}`);
    this.name = 'FileReadError';
  }
}

/** What an errno means for a path the user gave, in words. */
export function describeFsError(e: unknown): { problem: string; code?: string } {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT': return { problem: 'file not found', code };
    case 'ELOOP': return { problem: 'symbolic link loop (too many levels of symbolic links)', code };
    case 'EACCES': case 'EPERM': return { problem: 'permission denied', code };
    case 'ENOTDIR': return { problem: 'a part of the path is not a folder', code };
    case 'EISDIR': return { problem: 'is a folder, not a file', code };
    case 'ENAMETOOLONG': return { problem: 'the path is too long', code };
    case 'EMFILE': case 'ENFILE': return { problem: 'too many open files', code };
    default: return { problem: `cannot read (${code ?? (e instanceof Error ? e.name : 'unknown error')})`, code };
  }
}

/** "a FIFO (named pipe)", "a character device", …: what a non-regular file is. */
export function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. (Not defined on Windows,
// where FIFOs cannot be opened like this anyway.)
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

const sizeText = (n: number): string => (n >= 10 * 2 ** 20 ? `${(n / 2 ** 20).toFixed(0)} MB` : n >= 2 ** 10 ? `${(n / 2 ** 10).toFixed(0)} kB` : `${n} bytes`);

function tooLarge(file: string, size: number, maxBytes: number): FileReadError {
  return new FileReadError(file, `is ${sizeText(size)}, more than the ${sizeText(maxBytes)} Gradient Lens reads from such a file`, 'ETOOLARGE');
}

function checkStat(file: string, st: Stats, maxBytes: number): void {
  if (!st.isFile()) throw new FileReadError(file, `is ${kindOf(st)}, not a regular file`, 'ENOTREG');
  if (st.size > maxBytes) throw tooLarge(file, st.size, maxBytes);
}

/** The bytes of the regular file `file`, at most `maxBytes` of them (else a FileReadError). */
export function readRegularFile(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch (e) {
    const d = describeFsError(e);
    throw new FileReadError(file, d.problem, d.code);
  }
  try {
    checkStat(file, fstatSync(fd), maxBytes);
    // Read to the end (a file may be longer than its stat said, as in /proc), never past maxBytes + 1.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) throw tooLarge(file, total, maxBytes);
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof FileReadError) throw e;
    const d = describeFsError(e);
    throw new FileReadError(file, d.problem, d.code);
  } finally {
    closeSync(fd);
  }
}

/** readRegularFile without blocking the event loop (the training process reads MNIST this way, so a stop gets through). */
export async function readRegularFileAsync(file: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  let fh;
  try {
    fh = await open(file, OPEN_FLAGS);
  } catch (e) {
    const d = describeFsError(e);
    throw new FileReadError(file, d.problem, d.code);
  }
  try {
    checkStat(file, await fh.stat(), maxBytes);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      signal?.throwIfAborted();
      const chunk = Buffer.allocUnsafe(Math.min(4 << 20, maxBytes + 1 - total));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) throw tooLarge(file, total, maxBytes);
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof FileReadError || (e as Error)?.name === 'AbortError') throw e;
    const d = describeFsError(e);
    throw new FileReadError(file, d.problem, d.code);
  } finally {
    await fh.close();
  }
}
