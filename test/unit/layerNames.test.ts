// The names people gave their layers, read off the source (src/core/importers/layerNames.ts), and how a layer is
// named to a person when it has none (spec.ts layerLabel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importSource } from '../../src/core/importers/index';
import { layerNamesFromSource } from '../../src/core/importers/layerNames';
import { layerLabel, parseSpec } from '../../src/core/spec';
import { PRESETS } from '../../src/core/presets';
import { repoRoot } from './helpers';

const names = (file: string): (string | undefined)[] => {
  const path = join(repoRoot, 'test', 'fixtures', file);
  const text = readFileSync(path, 'utf8');
  const r = importSource(path, text);
  assert.ok(r, file);
  return layerNamesFromSource(r, text);
};

test('layer names: the variable or attribute a layer is assigned to (TF1 W1, PyTorch self.fc1, a dict entry)', () => {
  assert.deepEqual(names('mnist_mlp_zeros.py'), ['W1', 'W2']);
  assert.deepEqual(names('programs/torch_double_softmax.py'), ['self.fc1', 'self.fc2']);
  assert.deepEqual(names('programs/tf1_layer_dicts.py'), ['hidden_1_layer', 'hidden_2_layer', 'hidden_3_layer', 'output_layer']);
});

test('layer names: otherwise the call that makes it (Keras Dense(100)), with no line (an edit above must not change the spec); never the same name twice', () => {
  assert.deepEqual(names('keras_mlp_zeros.py'), ['Dense(100)', 'Dense(10)']);
  assert.deepEqual(names('tfjs_mlp_zeros.js'), ['tf.layers.dense (layer 1)', 'tf.layers.dense (layer 2)']);
  // the functional API assigns every layer to `x`: not a name
  const loop = names('programs/keras_loop_layers.py');
  assert.equal(new Set(loop).size, loop.length, loop.join(', '));
  assert.match(loop[0]!, /^Dense\(units\) \(layer 1\)$/);
});

test('layerLabel: the source name with its shape, or "layer N (100 relu)" (1-based) for presets and JSON specs', () => {
  const seed = PRESETS.find((p) => p.spec.name === 'seed-mlp-zeros')!.spec;
  assert.equal(layerLabel(seed, 0), 'layer 1 (100 relu)');
  assert.equal(layerLabel(seed, 1), 'layer 2 (10 softmax)');
  const named = parseSpec({ layers: [{ name: 'W1', units: 100, activation: 'relu' }, { units: 10, activation: 'softmax' }] });
  assert.equal(layerLabel(named, 0), 'W1 (100 relu)');
  assert.equal(layerLabel(named, -1), 'the model');
});
