// Argument and input validation of the commands, in the extension host (these modules import `vscode`).
import * as assert from 'node:assert/strict';
import { requestFromArgs } from '../../src/host/commands';
import { parseHiddenSizes, parseLearningRate } from '../../src/host/pickRun';
import { findPreset } from '../../src/core/presets';

describe('Gradient Lens command arguments and Custom… inputs', () => {
  it('accepts a preset id, a preset object with steps, or a spec', () => {
    const byId = requestFromArgs('seed-mlp-zeros');
    assert.ok(typeof byId !== 'string');
    assert.equal(byId.label, 'seed-mlp-zeros');
    assert.deepEqual(byId.spec, findPreset('seed-mlp-zeros')!.spec);
    const withSteps = requestFromArgs({ preset: 'seed-mlp-uniform', steps: 25, ifRunning: 'refuse' });
    assert.ok(typeof withSteps !== 'string');
    assert.equal((withSteps.spec as { steps: number }).steps, 25);
    assert.equal(withSteps.ifRunning, 'refuse');
    const spec = requestFromArgs({ spec: { name: 'mine', layers: [{ units: 10, activation: 'softmax' }] } });
    assert.ok(typeof spec !== 'string');
    assert.equal(spec.label, 'mine');
  });

  it('names what is wrong with bad arguments', () => {
    assert.match(requestFromArgs('nope') as string, /unknown preset "nope" \(expected one of seed-softmax-zeros/);
    assert.match(requestFromArgs({}) as string, /either "preset" or "spec"/);
    assert.match(requestFromArgs({ preset: 'seed-mlp-zeros', steps: 0 }) as string, /"steps" must be a whole number/);
    assert.match(requestFromArgs({ preset: 'seed-mlp-zeros', ifRunning: 'later' }) as string, /"ifRunning"/);
    assert.match(requestFromArgs(42) as string, /expected a preset id/);
  });

  it('validates the Custom… input boxes', () => {
    assert.deepEqual(parseHiddenSizes(''), []);
    assert.deepEqual(parseHiddenSizes('256, 128'), [256, 128]);
    assert.deepEqual(parseHiddenSizes(' 100 '), [100]);
    assert.match(parseHiddenSizes('100, abc') as string, /"abc" is not a layer size/);
    assert.match(parseHiddenSizes('0') as string, /"0" is not a layer size/);
    assert.match(parseHiddenSizes('70000') as string, /"70000"/); // above MAX_UNITS (65,536)
    assert.equal(parseLearningRate('0.5'), 0.5);
    assert.equal(parseLearningRate('1e-3'), 0.001);
    assert.equal(typeof parseLearningRate('0'), 'string');
    assert.equal(typeof parseLearningRate('-1'), 'string');
    assert.equal(typeof parseLearningRate(''), 'string');
  });
});
