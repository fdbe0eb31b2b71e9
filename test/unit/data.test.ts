import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseIdx, DataError } from '../../src/core/idx';
import { loadMnist, defaultMnistDir, MNIST_FILES, batchImages, classShares } from '../../src/core/mnist';
import { runCli } from './helpers';

function idx(rankMagic: number, dims: number[], data: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x0800 | rankMagic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return new Uint8Array(Buffer.concat([header, Buffer.from(data)]));
}

/** A folder with a small valid MNIST-shaped dataset (n train, m test images), optionally gzip-compressed. */
function fakeMnist(n: number, m: number, gz = false): string {
  const dir = mkdtempSync(join(tmpdir(), 'gl-mnist-'));
  const put = (name: string, buf: Uint8Array) => writeFileSync(join(dir, gz ? name + '.gz' : name), gz ? gzipSync(buf) : buf);
  put(MNIST_FILES.trainImages, idx(3, [n, 28, 28], new Uint8Array(n * 784).map((_, i) => i % 256)));
  put(MNIST_FILES.trainLabels, idx(1, [n], new Uint8Array(n).map((_, i) => i % 10)));
  put(MNIST_FILES.testImages, idx(3, [m, 28, 28], new Uint8Array(m * 784)));
  put(MNIST_FILES.testLabels, idx(1, [m], new Uint8Array(m).map((_, i) => (i * 3) % 10)));
  return dir;
}

test('the embedded MNIST has 60,000 training and 10,000 test images with digit labels', () => {
  const d = loadMnist();
  assert.equal(d.train.count, 60000);
  assert.equal(d.test.count, 10000);
  assert.equal(d.train.images.length, 60000 * 784);
  assert.equal(d.source, defaultMnistDir());
  // 0.1135 is the share of digit 1 in the test set: the accuracy of a model that always says 1.
  assert.equal(classShares(d.test.labels)[1], 0.1135);
});

test('a folder of gzip-compressed IDX files loads the same as raw ones', () => {
  const raw = loadMnist(fakeMnist(30, 20));
  const gz = loadMnist(fakeMnist(30, 20, true));
  assert.deepEqual(gz.train.images, raw.train.images);
  assert.deepEqual(gz.test.labels, raw.test.labels);
});

test('batches are scaled to [0, 1] when taken', () => {
  const d = loadMnist(fakeMnist(4, 2));
  const b = batchImages(d.train, [1]);
  assert.equal(b.length, 784);
  assert.equal(b[0], Math.fround((784 % 256) * (1 / 255)));
  assert.ok(b.every((v) => v >= 0 && v <= 1));
});

test('a wrong magic number is an error naming the file, the expected magic and the size (not the file\'s bytes)', () => {
  const buf = idx(1, [3], new Uint8Array(3));
  buf[0] = 0x1f; buf[1] = 0x00;
  assert.throws(() => parseIdx(buf, 'labels.idx', 1), (e: Error) => e instanceof DataError
    && /labels\.idx: not an IDX file of unsigned bytes \(it does not start with the magic number 0x00000801; 11 bytes\)/.test(e.message) && !/1f/.test(e.message));
});

test('a truncated file is an error that says how many bytes are missing', () => {
  const buf = idx(3, [2, 28, 28], new Uint8Array(2 * 784)).subarray(0, 16 + 1000);
  assert.throws(() => parseIdx(buf, 'x', 3), /x: truncated: header promises 2×28×28 = 1568 bytes of data, file has 1000/);
});

test('images of another rank and trailing bytes are rejected', () => {
  assert.throws(() => parseIdx(idx(1, [5], new Uint8Array(5)), 'f', 3), /f: has 1 dimension\(s\).*expected 3/);
  assert.throws(() => parseIdx(idx(1, [5], new Uint8Array(7)), 'f', 1), /2 unexpected trailing bytes/);
});

test('a label count that does not match the images names both files', () => {
  const dir = fakeMnist(10, 5);
  writeFileSync(join(dir, MNIST_FILES.trainLabels), idx(1, [9], new Uint8Array(9)));
  assert.throws(() => loadMnist(dir), (e: Error) => e instanceof DataError && e.message.includes('train-labels-idx1-ubyte: has 9 labels but') && e.message.includes('has 10 images'));
});

test('IDX files with no images are rejected (not a crash later in training)', () => {
  assert.throws(() => loadMnist(fakeMnist(0, 5)), /train-images-idx3-ubyte: contains no images/);
});

test('a missing data folder or file is a clear error', () => {
  assert.throws(() => loadMnist('/nonexistent/mnist'), /\/nonexistent\/mnist: data folder not found/);
  const dir = fakeMnist(2, 2);
  copyFileSync(join(dir, MNIST_FILES.testLabels), join(dir, 'x'));
  writeFileSync(join(dir, MNIST_FILES.testImages), readFileSync(join(dir, MNIST_FILES.testImages)).subarray(0, 100));
  assert.throws(() => loadMnist(dir), /t10k-images-idx3-ubyte: truncated/);
});

test('CLI: a corrupt IDX file exits 2 with one line naming the file', () => {
  const dir = fakeMnist(10, 5);
  const bad = join(dir, MNIST_FILES.trainImages);
  writeFileSync(bad, readFileSync(bad).subarray(0, 3000));
  const r = runCli(['train', '--preset', 'seed-softmax-zeros', '--data', dir, '--steps', '2', '--json']);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: truncated`));
});
