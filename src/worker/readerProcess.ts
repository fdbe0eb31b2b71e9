// The reader process (bundled as dist/reader.js; host/readerClient.ts forks it with a V8 heap limit and
// answers for it when it dies or overruns its deadline). It runs importSource — the static reader of the
// user's model file — on each request and sends the result back. A hostile file can make the reader grow
// without bound; that ends this process (V8's heap limit aborts it, or the client kills it at the
// deadline), never the extension host. A process, not a worker thread: a worker that hits its
// resourceLimits inside one large allocation (an array doubled by `l = l + l`) aborts the whole process
// it lives in (nodejs/node#47224), which would be the extension host.
import { performance } from 'node:perf_hooks';
import { importSource } from '../core/importers/index';
import { type ReaderToHostMessage, isReadFileCommand } from '../protocol/reader';

const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 500);

const send = (m: ReaderToHostMessage): void => {
  process.send?.(m, undefined, undefined, (e) => {
    if (e) process.exit(1); // the host is gone
  });
};

if (process.send) {
  // The extension host went away (closed, crashed, killed): nothing is waiting for answers.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m: unknown) => {
    if (!isReadFileCommand(m)) return; // only the client talks to this process; anything else is dropped
    const t0 = performance.now();
    let reply: ReaderToHostMessage;
    try {
      reply = { type: 'didReadFile', id: m.id, result: importSource(m.fileName, m.text), ms: performance.now() - t0 };
    } catch (e) {
      reply = { type: 'didFailRead', id: m.id, message: `the reader failed: ${describe(e)}` };
    }
    try {
      send(reply);
    } catch (e) {
      // DataCloneError: something in the result is not plain data (a bug in core; the unit test checks it).
      send({ type: 'didFailRead', id: m.id, message: `the reader's result could not be sent: ${describe(e)}` });
    }
  });
  send({ type: 'didStartReader' });
}
