// Reading a TensorFlow wheel (a zip file) without trusting it: scripts/nativeBackend.mjs takes the
// libtensorflow libraries and C API headers from the wheel with this, in Node (no Python, so one parser
// decides both what an entry is called and where it goes). A wheel is refused as a whole, before
// anything is written, when any of its entries would land outside the folder it is extracted into:
//   an absolute path (/etc/x), a drive letter (C:x), a backslash (a separator on Windows), a NUL,
//   a `..` segment, or a symlink whose target is absolute or resolves outside the folder.
// Every write is checked again where it happens: the destination resolves inside the folder, its parent's
// real path (symlinks followed) is inside the folder's real path, and the file is created exclusively
// (an existing file or symlink at that name is never followed). An entry inflates to at most its
// declared size; the CRC is checked.
//
//   listEntries(file)                      the central directory: [{ name, method, csize, usize, … }]
//   checkEntries(file, entries, root)      throws UnsafeEntryError naming the first unsafe entry
//   extractSafely(file, root, pick, opts)  checks every entry, then writes those `pick(name)` maps to a
//                                          relative destination under root; resolves to their names
import { closeSync, createReadStream, createWriteStream, fstatSync, mkdirSync, openSync, readSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';

/** An entry that would be written outside the extraction folder (or cannot be named safely). */
export class UnsafeEntryError extends Error {
  constructor(entry, why) {
    super(`entry ${JSON.stringify(entry)}: ${why}`);
    this.name = 'UnsafeEntryError';
    this.entry = entry;
  }
}

/** Not a zip file, or one this reader does not handle (encrypted, an unknown compression method). */
export class ZipFormatError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Bounds on what a wheel may declare (the tensorflow-cpu wheel: 15,632 entries, a 1.6 MB directory). */
const MAX_ENTRIES = 500_000;
const MAX_DIRECTORY_BYTES = 256 * 1024 * 1024;
const MAX_LINK_BYTES = 4096;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

function readAt(fd, position, length) {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}

const u64 = (buf, at) => {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError('a zip64 field is out of range');
  return Number(v);
};

/** The entries of the zip file's central directory (names decoded, zip64 sizes applied). */
export function listEntries(file) {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = readAt(fd, size - tailLength, tailLength);
    let at = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD && i + 22 + tail.readUInt16LE(i + 20) <= tail.length) { at = i; break; }
    }
    if (at < 0) throw new ZipFormatError('not a zip file (no end of central directory record)');
    let count = tail.readUInt16LE(at + 10);
    let dirSize = tail.readUInt32LE(at + 12);
    let dirOffset = tail.readUInt32LE(at + 16);
    if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) {
      const locatorAt = size - tailLength + at - 20;
      const locator = locatorAt >= 0 ? readAt(fd, locatorAt, 20) : Buffer.alloc(0);
      if (locator.length !== 20 || locator.readUInt32LE(0) !== ZIP64_LOCATOR) throw new ZipFormatError('not a zip file (a zip64 directory without its locator)');
      const rec = readAt(fd, u64(locator, 8), 56);
      if (rec.length !== 56 || rec.readUInt32LE(0) !== ZIP64_EOCD) throw new ZipFormatError('not a zip file (no zip64 end of central directory record)');
      count = u64(rec, 32);
      dirSize = u64(rec, 40);
      dirOffset = u64(rec, 48);
    }
    if (count > MAX_ENTRIES) throw new ZipFormatError(`the zip file declares ${count} entries (more than ${MAX_ENTRIES})`);
    if (dirSize > MAX_DIRECTORY_BYTES || dirOffset + dirSize > size) throw new ZipFormatError('not a zip file (its central directory lies outside the file)');
    const dir = readAt(fd, dirOffset, dirSize);
    const entries = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > dir.length || dir.readUInt32LE(p) !== CENTRAL) throw new ZipFormatError(`not a zip file (central directory entry ${i} is damaged)`);
      const madeBy = dir.readUInt16LE(p + 4);
      const flags = dir.readUInt16LE(p + 8);
      const method = dir.readUInt16LE(p + 10);
      const crc = dir.readUInt32LE(p + 16);
      let csize = dir.readUInt32LE(p + 20);
      let usize = dir.readUInt32LE(p + 24);
      const nameLength = dir.readUInt16LE(p + 28);
      const extraLength = dir.readUInt16LE(p + 30);
      const commentLength = dir.readUInt16LE(p + 32);
      const external = dir.readUInt32LE(p + 38);
      let localOffset = dir.readUInt32LE(p + 42);
      const end = p + 46 + nameLength + extraLength + commentLength;
      if (end > dir.length) throw new ZipFormatError(`not a zip file (central directory entry ${i} is damaged)`);
      const rawName = dir.subarray(p + 46, p + 46 + nameLength);
      // Bit 11: UTF-8 names; else IBM 437, whose ASCII half (all that matters for `/`, `\`, `.`, `:`) is latin1's.
      const name = rawName.toString(flags & 0x800 ? 'utf8' : 'latin1');
      const extra = dir.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength);
      for (let e = 0; e + 4 <= extra.length;) {
        const id = extra.readUInt16LE(e);
        const len = extra.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          const next = () => { if (q + 8 > e + 4 + len) throw new ZipFormatError(`entry ${JSON.stringify(name)}: a damaged zip64 field`); const v = u64(extra, q); q += 8; return v; };
          if (usize === 0xffffffff) usize = next();
          if (csize === 0xffffffff) csize = next();
          if (localOffset === 0xffffffff) localOffset = next();
        }
        e += 4 + len;
      }
      const unix = madeBy >> 8 === 3;
      const mode = unix ? external >>> 16 : 0;
      const isSymlink = (mode & S_IFMT) === S_IFLNK;
      const isDir = !isSymlink && (name.endsWith('/') || (mode & S_IFMT) === S_IFDIR || (!unix && (external & 0x10) !== 0));
      entries.push({ name, method, flags, crc, csize, usize, localOffset, mode, isSymlink, isDir });
      p = end;
    }
    return entries;
  } finally {
    closeSync(fd);
  }
}

const inside = (root, p) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * `rel` as a path under `root`, or an UnsafeEntryError naming `entry`: no absolute path, drive letter,
 * backslash, NUL or `..` segment, and the resolved path must lie inside root.
 */
export function destinationOf(root, rel, entry = rel) {
  if (typeof rel !== 'string' || rel === '') throw new UnsafeEntryError(entry, 'an empty name');
  if (rel.includes('\0')) throw new UnsafeEntryError(entry, 'a NUL character in the name');
  if (rel.includes('\\')) throw new UnsafeEntryError(entry, 'a backslash in the name (a path separator on Windows)');
  if (/^[A-Za-z]:/.test(rel)) throw new UnsafeEntryError(entry, 'a drive letter (an absolute path on Windows)');
  if (rel.startsWith('/')) throw new UnsafeEntryError(entry, 'an absolute path');
  if (rel.split('/').includes('..')) throw new UnsafeEntryError(entry, 'a ".." segment (it would leave the folder it is extracted into)');
  const dest = resolve(root, rel);
  if (!inside(resolve(root), dest)) throw new UnsafeEntryError(entry, `it resolves to ${dest}, outside ${resolve(root)}`);
  return dest;
}

/** Where a symlink entry at `dest` points, when that is inside root; else an UnsafeEntryError. */
function linkTargetOf(root, dest, target, entry) {
  if (target === '' || target.includes('\0')) throw new UnsafeEntryError(entry, 'a symlink with an empty or NUL target');
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target) || target.includes('\\')) throw new UnsafeEntryError(entry, `a symlink to an absolute path (${JSON.stringify(target)})`);
  const to = resolve(dirname(dest), target);
  if (!inside(resolve(root), to)) throw new UnsafeEntryError(entry, `a symlink pointing outside the folder (${JSON.stringify(target)} → ${to})`);
  return to;
}

async function dataStart(fd, entry) {
  const head = readAt(fd, entry.localOffset, 30);
  if (head.length !== 30 || head.readUInt32LE(0) !== LOCAL) throw new ZipFormatError(`entry ${JSON.stringify(entry.name)}: its local header is missing (a damaged zip file)`);
  return entry.localOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
}

function checkReadable(entry) {
  if (entry.flags & 0x1) throw new ZipFormatError(`entry ${JSON.stringify(entry.name)} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) throw new ZipFormatError(`entry ${JSON.stringify(entry.name)}: compression method ${entry.method} is not supported (stored or deflated only)`);
}

/** A stream of the entry's uncompressed bytes: at most its declared size, CRC-checked at the end. */
async function entryStream(file, entry) {
  checkReadable(entry);
  const fd = openSync(file, 'r');
  let start;
  try {
    start = await dataStart(fd, entry);
  } finally {
    closeSync(fd);
  }
  const empty = entry.csize === 0;
  let count = 0;
  let crc = 0;
  const hasCrc = typeof zlib.crc32 === 'function';
  const guard = new Transform({
    transform(chunk, _enc, done) {
      count += chunk.length;
      if (count > entry.usize) { done(new ZipFormatError(`entry ${JSON.stringify(entry.name)} inflates to more than its declared ${entry.usize} bytes`)); return; }
      if (hasCrc) crc = zlib.crc32(chunk, crc);
      done(null, chunk);
    },
    flush(done) {
      if (count !== entry.usize) done(new ZipFormatError(`entry ${JSON.stringify(entry.name)}: ${count} bytes, not the declared ${entry.usize} (a damaged zip file)`));
      else if (hasCrc && crc >>> 0 !== entry.crc) done(new ZipFormatError(`entry ${JSON.stringify(entry.name)}: CRC mismatch (a damaged zip file)`));
      else done();
    },
  });
  if (empty) return [[], guard];
  return [createReadStream(file, { start, end: start + entry.csize - 1 }), ...(entry.method === 8 ? [zlib.createInflateRaw()] : []), guard];
}

async function readSmall(file, entry, limit) {
  if (entry.usize > limit) throw new UnsafeEntryError(entry.name, `a symlink whose target is ${entry.usize} bytes long`);
  const chunks = [];
  const stages = await entryStream(file, entry);
  await pipeline(...stages, async function* (src) { for await (const c of src) chunks.push(c); });
  return Buffer.concat(chunks).toString('utf8');
}

/** Checks every entry as if all were extracted into root (names, and symlink targets); throws UnsafeEntryError. */
export async function checkEntries(file, entries, root) {
  for (const e of entries) {
    const dest = destinationOf(root, e.name.endsWith('/') ? e.name.slice(0, -1) || e.name : e.name, e.name);
    if (e.isSymlink) linkTargetOf(root, dest, await readSmall(file, e, MAX_LINK_BYTES), e.name);
  }
}

/**
 * Extracts from `file` into `root` the entries `pick(name)` maps to a relative destination (undefined:
 * skipped), after checking every entry of the file. Directories are made as needed; a symlink entry is
 * made only when it points inside root. `signal` aborts. Resolves to the names written.
 */
export async function extractSafely(file, root, pick, { signal } = {}) {
  const entries = listEntries(file);
  await checkEntries(file, entries, root);
  mkdirSync(root, { recursive: true });
  const realRoot = realpathSync(root);
  const written = [];
  for (const e of entries) {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    if (e.isDir) continue;
    const rel = pick(e.name);
    if (rel === undefined) continue;
    const dest = destinationOf(root, rel, e.name);
    mkdirSync(dirname(dest), { recursive: true });
    const parent = realpathSync(dirname(dest));
    if (!inside(realRoot, parent)) throw new UnsafeEntryError(e.name, `its folder is really ${parent}, outside ${realRoot}`);
    if (e.isSymlink) {
      const target = await readSmall(file, e, MAX_LINK_BYTES);
      linkTargetOf(root, dest, target, e.name); // where it is written, which `pick` may have moved
      symlinkSync(target, dest);
    } else {
      // 'wx': created here, never an existing file or a symlink planted at that name.
      const out = createWriteStream(dest, { flags: 'wx', mode: 0o644 });
      await pipeline(...await entryStream(file, e), out, { signal });
    }
    written.push(e.name);
  }
  return written;
}
