// Messages between the extension host and the reader process (src/worker/readerProcess.ts, bundled as
// dist/reader.js): the static reader (core/importers importSource) runs there, never on the extension
// host's thread, with a heap limit and a deadline (host/readerClient.ts). One request at a time; every
// reply names the request it answers. Node IPC with `serialization: 'advanced'` (V8's structured clone,
// as worker postMessage), not JSON: an ImportResult is plain data (objects, arrays, strings, numbers,
// booleans, `undefined` fields) and arrives as importSource built it (test/unit/readerProcess.test.ts
// checks it).
import type { ImportResult } from '../core/importers/types';

/** host → reader process: read the model in this text (fileName decides the language, as in importSource). */
export interface ReadFileCommand {
  type: 'readFile';
  id: number;
  fileName: string;
  text: string;
}

/** reader process → host, once, when it has loaded and listens (the deadline of the first request starts here). */
export interface DidStartReaderNotification {
  type: 'didStartReader';
}

/** reader process → host: importSource's answer (undefined: not a model file) and the time it took. */
export interface DidReadFileNotification {
  type: 'didReadFile';
  id: number;
  result: ImportResult | undefined;
  ms: number;
}

/** reader process → host: importSource threw (it is total, so a bug) or its result could not be sent. */
export interface DidFailReadNotification {
  type: 'didFailRead';
  id: number;
  message: string;
}

export type ReaderToHostMessage = DidStartReaderNotification | DidReadFileNotification | DidFailReadNotification;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isReadFileCommand(m: unknown): m is ReadFileCommand {
  return isObject(m) && m.type === 'readFile' && Number.isSafeInteger(m.id) && typeof m.fileName === 'string' && typeof m.text === 'string';
}

export function isReaderToHostMessage(m: unknown): m is ReaderToHostMessage {
  if (!isObject(m)) return false;
  if (m.type === 'didStartReader') return true;
  if (!Number.isSafeInteger(m.id)) return false;
  if (m.type === 'didReadFile') return (m.result === undefined || isObject(m.result)) && typeof m.ms === 'number';
  return m.type === 'didFailRead' && typeof m.message === 'string';
}
