// What the real command line prints (bin/gradient-lens.js → dist/cli.js, real processes): output that
// cannot be written is an error (exit 1 and a line), text from a user's file never reaches a terminal
// as control or bidi characters, and the words a person types or reads: --version, did-you-mean, usage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runCli } from './helpers';
import { printable, printableJson } from '../../src/core/untrusted';
import { messageForPeople, problemsText } from '../../src/core/specText';
import { editDistance, nearest } from '../../src/cli/args';

const BIN = join(repoRoot, 'bin', 'gradient-lens.js');
const tmp = (): string => mkdtempSync(join(tmpdir(), 'gl-output-'));
const sh = (script: string) => spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 120_000, cwd: repoRoot });
const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const cliSh = (args: string[]): string => `${q(process.execPath)} ${q(BIN)} ${args.map(q).join(' ')}`;
const SMALL_TRAIN = ['train', '--preset', 'seed-softmax-zeros', '--steps', '2', '--probe-every', '0', '--backend', 'wasm', '--json'];

/** Control, C1, DEL, NUL and bidi characters a terminal acts on. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

// ---------------------------------------------------------------------------------------------
test('stdout on /dev/full: train --json, presets --json and check exit 1 with one line saying so', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'm.mlp.json'), JSON.stringify({ layers: [{ units: 10, activation: 'softmax' }] }));
  for (const args of [SMALL_TRAIN, ['presets', '--json'], ['check', join(dir, 'm.mlp.json')]]) {
    const r = sh(`${cliSh(args)} > /dev/full`);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, 'gradient-lens: cannot write the output to stdout: no space left on the device\n', args.join(' '));
  }
});

test('a short write (a file size limit cuts the output part-way, as a nearly full disk does): exit 1 and the line, not a silent 0', () => {
  const dir = tmp();
  const full = runCli(['presets', '--json']);
  assert.equal(full.status, 0, full.stderr);
  const bytes = Buffer.byteLength(full.stdout);
  assert.ok(bytes > 2048, `presets --json is ${bytes} bytes`);
  // bash's ulimit -f is in 1024-byte blocks; SIGXFSZ ignored, so write(2) returns the short count, then EFBIG
  const out = join(dir, 'out.json');
  const r = sh(`trap '' XFSZ; ulimit -f 2; exec ${cliSh(['presets', '--json'])} > ${q(out)}`);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, 'gradient-lens: cannot write the output to stdout: the file would exceed the size limit (EFBIG)\n');
  assert.equal(statSync(out).size, 2048, 'the first write was cut at the limit');
  assert.deepEqual(readFileSync(out), Buffer.from(full.stdout).subarray(0, 2048));
});

test('a closed pipe (EPIPE) under train --json: exit 1 and the line on stderr', async () => {
  const child = spawn(process.execPath, [BIN, ...SMALL_TRAIN], { stdio: ['ignore', 'pipe', 'pipe'], cwd: repoRoot });
  child.stdout.destroy(); // the reader is gone before the JSON comes
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 1, stderr);
  assert.equal(stderr, 'gradient-lens: cannot write the output to stdout: the reader closed the pipe (EPIPE)\n');
});

test('stderr that cannot be written: exit 1 anyway (an error line to /dev/full; stdout and stderr both on /dev/full)', () => {
  for (const [script, what] of [
    [`${cliSh(['train', '--preset', 'no-such-preset'])} 2> /dev/full`, 'an error line to a full stderr'],
    [`${cliSh(['presets'])} > /dev/full 2> /dev/full`, 'both full'],
    [`${cliSh(['presets'])} 2> /dev/full`, 'stdout fine, stderr never written'],
  ] as const) {
    const r = sh(script);
    assert.equal(r.status, what === 'stdout fine, stderr never written' ? 0 : 1, what);
  }
});

// ---------------------------------------------------------------------------------------------
const PWNED = '\x1b]0;PWNED\x07\x1b[2Jrelu';

test('check on a file with an escape sequence as an activation and U+202E / NUL in a layer name: escaped on the terminal, the same values in --json', () => {
  const dir = tmp();
  const file = join(dir, 'model.py');
  writeFileSync(file, [
    'import tensorflow as tf',
    'model = tf.keras.Sequential([',
    `    tf.keras.layers.Dense(100, activation="${PWNED}", input_shape=(784,), name="hid\u202eden\u0000"),`,
    '    tf.keras.layers.Dense(10, activation="softmax"),',
    '])',
    'model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")',
    '',
  ].join('\n'));
  const r = runCli(['check', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, UNSAFE);
  assert.ok(r.stdout.includes('\\x1b]0;PWNED\\x07\\x1b[2Jrelu'), r.stdout);
  const j = runCli(['check', file, '--json']);
  assert.equal(j.status, 0, j.stderr);
  assert.doesNotMatch(j.stdout, UNSAFE);
  const parsed = JSON.parse(j.stdout) as { notes: { message: string }[] };
  assert.ok(parsed.notes.some((n) => n.message.includes(PWNED)), 'the JSON value is the file\'s, unchanged');
});

test('a spec whose name and activation hold escape sequences, bidi and NUL: the error line, check and the run\'s table show them escaped', () => {
  const dir = tmp();
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ layers: [{ units: 10, activation: `soft${PWNED}\u202e` }] }));
  const e = runCli(['train', '--spec', bad, '--backend', 'wasm']);
  assert.equal(e.status, 2);
  assert.doesNotMatch(e.stderr, UNSAFE);
  assert.match(e.stderr, /^gradient-lens: .*bad\.json: invalid model spec: layers\[0\]\.activation: must be one of/);
  const named = join(dir, 'named.mlp.json');
  writeFileSync(named, JSON.stringify({ name: `evil\u202e\u2066${PWNED}\u0000\u009b`, layers: [{ units: 10, activation: 'softmax' }], steps: 2 }));
  const c = runCli(['check', named]);
  assert.equal(c.status, 0, c.stderr);
  assert.doesNotMatch(c.stdout, UNSAFE);
  const t = runCli(['train', named, '--probe-every', '0', '--backend', 'wasm']);
  assert.equal(t.status, 0, t.stderr);
  assert.doesNotMatch(t.stdout + t.stderr, UNSAFE);
  assert.ok(t.stdout.includes('evil\\u202e\\u2066\\x1b]0;PWNED\\x07\\x1b[2Jrelu\\x00\\x9b'), t.stdout);
  // --json: valid JSON, the same name, no raw bidi or C1 character in the text
  const tj = runCli(['train', named, '--probe-every', '0', '--backend', 'wasm', '--json']);
  assert.equal(tj.status, 0, tj.stderr);
  assert.doesNotMatch(tj.stdout, UNSAFE);
  assert.equal((JSON.parse(tj.stdout) as { spec: { name: string } }).spec.name, `evil\u202e\u2066${PWNED}\u0000\u009b`);
  // a path with control characters in an error line
  const p = runCli(['check', join(dir, 'no\x1b[2Jsuch.py')]);
  assert.equal(p.status, 2);
  assert.doesNotMatch(p.stderr, UNSAFE);
  assert.match(p.stderr, /no\\x1b\[2Jsuch\.py: file not found/);
});

test('printable / printableJson: every class escaped, text kept, JSON value unchanged', () => {
  assert.equal(printable('a\x1b[2Jb\x07\x00\x7f\x9b\r\n\tz'), 'a\\x1b[2Jb\\x07\\x00\\x7f\\x9b\\x0d\\x0a\\x09z');
  assert.equal(printable('line\n\tindented\r', 'newline-tab'), 'line\n\tindented\\x0d');
  assert.equal(printable('\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u2028\u2029'),
    '\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c\\u2028\\u2029');
  assert.equal(printable('784 → 100 relu · naïve 日本 ✓'), '784 → 100 relu · naïve 日本 ✓');
  for (const v of [{ s: `x\u202e\u0085\x7f${PWNED}` }, ['\u2066', 1, null], 'plain']) {
    const text = printableJson(v);
    assert.doesNotMatch(text, UNSAFE);
    assert.deepEqual(JSON.parse(text), v);
  }
});

// ---------------------------------------------------------------------------------------------
test('spec problems for people: no "$" prefix ("$: convolutional model" reads "convolutional model"), paths as keys', () => {
  assert.equal(problemsText([{ path: '$', message: 'convolutional model: Gradient Lens trains fully-connected networks' }]), 'convolutional model: Gradient Lens trains fully-connected networks');
  assert.equal(problemsText([{ path: '$.layers[0].units', message: 'must be a whole number' }, { path: '$.steps', message: 'too many' }], (p) => (p === '$.steps' ? '--steps' : undefined)),
    'layers[0].units: must be a whole number; --steps: too many');
  assert.equal(messageForPeople('$.layers[0].activation: must be one of relu'), 'layers[0].activation: must be one of relu');
  assert.equal(messageForPeople('$: convolutional model'), 'convolutional model');
  assert.equal(messageForPeople('costs $5: fine'), 'costs $5: fine');
});

test('a convolutional model through check and train: the construct and its line, no "$:"', () => {
  const dir = tmp();
  const file = join(dir, 'conv.py');
  writeFileSync(file, [
    'import tensorflow as tf',
    'model = tf.keras.Sequential([',
    '    tf.keras.layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),',
    '    tf.keras.layers.Flatten(),',
    '    tf.keras.layers.Dense(10, activation="softmax"),',
    '])',
    '',
  ].join('\n'));
  const c = runCli(['check', file]);
  assert.equal(c.status, 2);
  assert.match(c.stdout, /conv\.py:3: convolutional model/);
  const t = runCli(['train', file]);
  assert.equal(t.status, 2);
  assert.match(t.stderr, /^gradient-lens: .*conv\.py:3: convolutional model/);
  assert.doesNotMatch(c.stdout + t.stderr, /\$[.:[]/);
});

// ---------------------------------------------------------------------------------------------
test('--version prints the package version', () => {
  const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const r = runCli(['--version']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${version}\n`);
  assert.equal(r.stderr, '');
});

test('a mistyped option or command: exit 2, "did you mean" the nearest; an unrelated one gets no guess', () => {
  for (const [args, line] of [
    [['train', '--stpes', '3'], 'gradient-lens: unknown option --stpes (did you mean --steps?); see gradient-lens --help'],
    [['train', '--jsno'], 'gradient-lens: unknown option --jsno (did you mean --json?); see gradient-lens --help'],
    [['train', '--probe-evry=5'], 'gradient-lens: unknown option --probe-evry (did you mean --probe-every?); see gradient-lens --help'],
    [['train', '--backnd', 'wasm'], 'gradient-lens: unknown option --backnd (did you mean --backend?); see gradient-lens --help'],
    [['train', '--frobnicate'], 'gradient-lens: unknown option --frobnicate; see gradient-lens --help'],
    [['train', '-x'], 'gradient-lens: unknown option -x; see gradient-lens --help'],
    [['trian'], 'gradient-lens: unknown command "trian" (did you mean train? commands: train, check, presets)'],
  ] as const) {
    const r = runCli([...args]);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr, `${line}\n`, args.join(' '));
    assert.equal(r.stdout, '');
  }
  // the value of an option is not taken for an option: parseArgs's question, on one line
  const v = runCli(['train', '--preset', '--stpes']);
  assert.equal(v.status, 2);
  assert.match(v.stderr, /^gradient-lens: Option '--preset' argument is ambiguous\. .*'--preset=-XYZ'\.\n$/);
  assert.equal(editDistance('stpes', 'steps'), 1);
  assert.equal(nearest('seeed', ['steps', 'seed', 'spec']), 'seed');
  assert.equal(nearest('x', ['steps', 'seed']), undefined);
});

test('no arguments: the usage on stderr, exit 2, nothing on stdout; --help on stdout, exit 0', () => {
  const r = runCli([]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^gradient-lens: no command given\nUsage:\n {2}gradient-lens train /);
  assert.match(r.stderr, /--help/);
  const h = runCli(['--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /Usage:/);
  assert.match(h.stdout, /docs\/design\.md/);
  assert.equal(h.stderr, '');
});

test('--data naming a regular file: says it is a file, not a folder of MNIST IDX files', () => {
  const r = runCli(['train', '--data', join(repoRoot, 'package.json'), '--backend', 'wasm']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^gradient-lens: \S+package\.json: is a file, not a folder of MNIST IDX files \(give the folder that holds train-images-idx3-ubyte, /);
});
