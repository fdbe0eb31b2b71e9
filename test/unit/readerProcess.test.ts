// The reader process (issue 19, defence in depth): the extension host reads model files through
// ReaderClient (src/host/readerClient.ts), which forks the real dist/reader.js bundle. Its answers are
// importSource's own, unchanged by the trip (structured clone); a file that makes the reader grow without
// bound ends in the reader's refusal or in a "stopped reading" outcome, never in this process dying; a
// deadline kills the process and the next read gets a fresh one; a process killed from outside, or the
// client disposed, answers every waiting read.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importSource } from '../../src/core/importers/index';
import { type ReadOutcome, READER_DEADLINE_MS, READER_MEMORY_MB, ReaderClient } from '../../src/host/readerClient';

const ROOT = resolve(__dirname, '..', '..', '..');
const SCRIPT = join(ROOT, 'dist', 'reader.js');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

/** Grows a list by doubling 40 times: 2^40 elements if followed naively (issue 19). */
const DOUBLING = 'l = [1]\nfor _ in range(40):\n    l = l + l\n';

/** A long but ordinary program (≈ 40,000 characters): reading it takes far longer than 5 ms (≈ 0.1–0.3 s here), far less than 3 s. */
function heavyProgram(): string {
  const base = fixture('mnist_mlp_zeros.py');
  const parts: string[] = [];
  for (let i = 0; parts.join('\n').length + base.length < 40_000; i++) parts.push(`def helper_${i}(x):\n    y = x * ${i} + 1\n    return [y, y + 1, y + 2]\n`);
  return `${parts.join('\n')}\n${base}`;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pid: number, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

const okResult = (o: ReadOutcome) => {
  assert.ok(o.ok, `expected a result, got ${JSON.stringify(o)}`);
  return o.result;
};

describe('reader process (ReaderClient + dist/reader.js)', () => {
  const logs: string[] = [];
  const clients: ReaderClient[] = [];
  const client = (o: ConstructorParameters<typeof ReaderClient>[0] = {}): ReaderClient => {
    const c = new ReaderClient({ script: SCRIPT, log: (level, m) => logs.push(`[${level}] ${m}`), ...o });
    clients.push(c);
    return c;
  };
  after(() => { for (const c of clients) c.dispose(); });

  test('dist/reader.js is built (node scripts/build.mjs)', () => {
    assert.ok(existsSync(SCRIPT), `${SCRIPT} is missing`);
  });

  // Deadlines of 60 s where a test is about something else: this machine's load must not turn a read into a timeout.
  const RELAXED = 60_000;

  test('every fixture model file gives exactly what importSource gives inline (structured clone keeps it intact)', async () => {
    const c = client({ deadlineMs: RELAXED });
    const files = [
      ...readdirSync(FIXTURES).filter((f) => /\.(py|js|ts|json)$/.test(f)),
      ...readdirSync(join(FIXTURES, 'programs')).filter((f) => /\.(py|js|ts|json)$/.test(f)).map((f) => `programs/${f}`),
    ];
    assert.ok(files.length >= 80, `${files.length} fixtures`);
    let models = 0;
    for (const f of files) {
      const text = fixture(f);
      const inline = importSource(f, text);
      const outcome = await c.read(f, text);
      // deepStrictEqual compares prototypes and `undefined`-valued keys too: a class instance or a null-prototype
      // object in the result would arrive as a plain object and fail here.
      assert.deepStrictEqual(okResult(outcome), inline, f);
      if (inline) models++;
    }
    assert.ok(models >= 70, `${models} of ${files.length} fixtures define a model`);
    assert.equal(c.processesStarted, 1, 'one process read them all');
    // Not a model file, and a file name importSource does not read at all.
    assert.equal(okResult(await c.read('notes.py', 'print("hello")\n')), undefined);
    assert.equal(okResult(await c.read('README.md', '# hello\n')), undefined);
  });

  test('the doubling file ends in the reader\'s refusal or a "stopped reading" outcome; this process and the client go on', async () => {
    const c = client();
    const t0 = Date.now();
    const outcome = await c.read('doubling.py', DOUBLING);
    const ms = Date.now() - t0;
    console.log(`      doubling file: ${outcome.ok ? `read (${outcome.result ? `${outcome.result.notes.length} notes, refused: ${outcome.result.refused?.message ?? 'no'}` : 'not a model file'})` : `${outcome.reason}: ${outcome.message}`} in ${ms} ms`);
    if (outcome.ok) {
      // The bounded reader (issue 19 item 1): it stops and says so on a line, or the file is not a model file.
      const r = outcome.result;
      if (r) assert.ok(r.refused || r.notes.some((n) => n.range.line >= 1 && n.message.length > 0), JSON.stringify(r.notes));
    } else {
      assert.ok(outcome.reason === 'memory' || outcome.reason === 'deadline', `${outcome.reason}: ${outcome.message}`);
      assert.match(outcome.message, outcome.reason === 'memory' ? new RegExp(`more than ${READER_MEMORY_MB} MB`) : /more than 3 s/);
      assert.ok(logs.some((l) => l.includes('doubling.py')), `logged: ${logs.join(' | ')}`);
    }
    assert.ok(ms < READER_DEADLINE_MS + 20_000, `${ms} ms: Node's start-up is not counted in the deadline, but this is a hang`);
    const next = okResult(await c.read('mnist_mlp_zeros.py', fixture('mnist_mlp_zeros.py')));
    assert.deepStrictEqual(next, importSource('mnist_mlp_zeros.py', fixture('mnist_mlp_zeros.py')));
    assert.equal(c.processesStarted, outcome.ok ? 1 : 2);
  });

  test('with a small heap the doubling file ends in the reader\'s refusal or "needed more than 24 MB" (V8\'s abort, told apart by its stderr)', async () => {
    const c = client({ memoryMb: 24 });
    const outcome = await c.read('doubling.py', DOUBLING);
    console.log(`      doubling file, 24 MB heap: ${outcome.ok ? 'read' : `${outcome.reason}: ${outcome.message}`} (${Math.round(outcome.ms)} ms)`);
    if (!outcome.ok) {
      assert.equal(outcome.reason, 'memory', outcome.message);
      assert.equal(outcome.message, 'it needed more than 24 MB of memory to follow statically');
      assert.ok(logs.some((l) => /doubling\.py.*(heap out of memory|Fatal).*its heap limit is 24 MB/i.test(l)), logs.join(' | '));
    } else if (outcome.result) {
      assert.ok(outcome.result.refused || outcome.result.notes.length > 0, JSON.stringify(outcome.result.notes));
    }
    assert.equal(okResult(await c.read('mnist_softmax.py', fixture('mnist_softmax.py')))?.layers.length, 1);
  });

  test('a read past its deadline kills the process; the next read gets a fresh one', async () => {
    const c = client();
    const heavy = heavyProgram();
    assert.ok(heavy.length > 35_000, `${heavy.length} characters`);
    okResult(await c.read('warm.py', 'x = 1\n')); // the process is up
    const first = c.pid!;
    const outcome = await c.read('heavy.py', heavy, { deadlineMs: 5 });
    assert.equal(outcome.ok, false, 'the read finished within 5 ms');
    assert.ok(!outcome.ok && outcome.reason === 'deadline', JSON.stringify(outcome));
    assert.match(outcome.message, /^it needed more than 5 ms to follow statically$/);
    assert.ok(await gone(first), `process ${first} still runs`);
    assert.ok(logs.some((l) => /heavy\.py needed more than 5 ms/.test(l)), logs.join(' | '));
    // The same file with the normal deadline: read, by a fresh process.
    const again = okResult(await c.read('heavy.py', heavy, { deadlineMs: RELAXED }));
    assert.deepStrictEqual(again, importSource('heavy.py', heavy));
    assert.equal(c.processesStarted, 2);
    assert.notEqual(c.pid, first);
  });

  test('a process killed from outside answers its read ("stopped reading"); the next read works', async () => {
    const c = client();
    okResult(await c.read('warm.py', 'x = 1\n'));
    const pid = c.pid!;
    const pending = c.read('heavy.py', heavyProgram());
    process.kill(pid, 'SIGKILL');
    const outcome = await pending;
    assert.ok(!outcome.ok && outcome.reason === 'crash', JSON.stringify(outcome));
    assert.match(outcome.message, /the reader failed on it \(signal SIGKILL\)/);
    const r = okResult(await c.read('mnist_softmax.py', fixture('mnist_softmax.py')));
    assert.equal(r?.layers.length, 1);
    assert.equal(c.processesStarted, 2);
  });

  test('requests run one at a time; a waiting request for the same document is replaced by the newer text', async () => {
    const c = client();
    const busy = c.read('heavy.py', heavyProgram(), { key: 'a', deadlineMs: RELAXED });
    const older = c.read('model.py', fixture('mnist_mlp_zeros.py'), { key: 'b' });
    const newer = c.read('model.py', fixture('mnist_softmax.py'), { key: 'b' });
    const other = c.read('model.py', fixture('mnist_mlp_zeros.py'), { key: 'c' });
    const [h, o, n, x] = await Promise.all([busy, older, newer, other]);
    assert.ok(h.ok && o.ok && n.ok && x.ok);
    assert.equal(okResult(o)?.layers.length, 1, 'the waiting request read the newer text (softmax: one layer)');
    assert.strictEqual(okResult(o), okResult(n), 'both callers got the same answer');
    assert.equal(okResult(x)?.layers.length, 2, 'another document keeps its own request');
  });

  test('dispose answers every waiting read and ends the process', async () => {
    const c = client();
    okResult(await c.read('warm.py', 'x = 1\n'));
    const pid = c.pid!;
    const pending = [c.read('heavy.py', heavyProgram()), c.read('b.py', 'x = 2\n')];
    c.dispose();
    for (const o of await Promise.all(pending)) assert.ok(!o.ok && o.reason === 'disposed', JSON.stringify(o));
    assert.ok(await gone(pid), `process ${pid} still runs`);
    const late = await c.read('c.py', 'x = 3\n');
    assert.ok(!late.ok && late.reason === 'disposed');
  });
});
