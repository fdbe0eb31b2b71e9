// Fuzz target over model specs and training-process IPC messages (issue 14): seeded, so a failure is
// reproducible from the printed case number. Specs are generated from valid ones by mutation (wrong
// types, Object.prototype names, huge / tiny / non-finite numbers, long strings, deep nesting, extra
// keys, arrays for objects, holes) and must each give a result — never an exception, never a hang
// (no case may take more than a second), never an unbounded message — and every accepted spec must
// satisfy the spec's invariants. IPC messages are fuzzed through the guards in this process and, for
// real, through one training process, which must answer every rejected message with an error event
// and stay alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { validateSpec, MAX_PROBLEMS, MAX_UNITS, MAX_LAYERS, MAX_STEPS, MAX_BATCH_SIZE, MAX_SEED, ACTIVATIONS, OPTIMIZERS, type ModelSpec } from '../../src/core/spec';
import { checkTrainingMemory } from '../../src/core/memory';
import { importSource } from '../../src/core/importers/index';
import { fixToEdit } from '../../src/core/importers/fixes';
import { applyFix, fixProblem, FixError } from '../../src/core/fixes';
import { hostToTrainerProblem, isTrainerProcessMessage, isTrainerToHostMessage, type TrainerProcessMessage } from '../../src/protocol/training';
import { isFix } from '../../src/protocol/webview';
import type { Fix } from '../../src/core/findings';
import { plainJson, preview } from '../../src/core/untrusted';
import { PRESETS } from '../../src/core/presets';
import { prng, repoRoot } from './helpers';

const SEED = 0x14_0000 + 14;
const SPEC_CASES = 12_000;
const IMPORT_EVERY = 6; // every 6th spec also goes through the *.mlp.json importer as text
const IPC_GUARD_CASES = 12_000;
const IPC_PROCESS_CASES = 1_500;
const FIX_CASES = 3_000;
const HANG_MS = 1_000;

const PROTO_NAMES = [...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'prototype'];
const WEIRD_NUMBERS = [0, -0, -1, 1, 0.5, 1e-320, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 32, 2 ** 53 + 2, 4096, 4097, 60_000, 60_001, 1e6, 1e6 + 1, 1.5, Number.NaN, Infinity, -Infinity];
const WEIRD_STRINGS = ['', ' ', 'relu', 'softmax', 'sgd', 'zeros', 'x'.repeat(300), 'y'.repeat(20_000), '\u0000', '\uD800', '"', '\\', '<img src=x>', "'); import os; os.system('x') #", ...PROTO_NAMES];

/** A random value of any JSON-ish (and some non-JSON) kind. */
function anything(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * 12);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  switch (k) {
    case 0: return pick(WEIRD_NUMBERS);
    case 1: return pick(WEIRD_STRINGS);
    case 2: return r() < 0.5;
    case 3: return null;
    case 4: return undefined;
    case 5: return depth > 2 ? [] : Array.from({ length: Math.floor(r() * 4) }, () => anything(r, depth + 1));
    case 6: {
      if (depth > 2) return {};
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) Object.defineProperty(o, r() < 0.3 ? pick(PROTO_NAMES) : pick(['type', 'value', 'units', 'a', 'learningRate']), { value: anything(r, depth + 1), enumerable: true, writable: true, configurable: true });
      return o;
    }
    case 7: { // deep
      let v: unknown = 1;
      const n = pick([10, 100, 1000, 20_000]);
      for (let i = 0; i < n; i++) v = r() < 0.5 ? [v] : { a: v };
      return v;
    }
    case 8: return Math.floor(r() * 5000) - 100;
    case 9: return r() * 10 - 5;
    case 10: return pick(PROTO_NAMES);
    default: return pick([...ACTIVATIONS, ...OPTIMIZERS, 'glorotUniform', 'heNormal', { type: 'constant', value: 0 }, { type: 'randomUniform', minval: -1, maxval: 1 }]);
  }
}

/** Mutates a valid spec (deep-copied) at 1–4 random places. */
function mutateSpec(r: () => number): unknown {
  const base = JSON.parse(JSON.stringify(PRESETS[Math.floor(r() * PRESETS.length)].spec)) as Record<string, any>;
  const edits = 1 + Math.floor(r() * 4);
  for (let e = 0; e < edits; e++) {
    const where = Math.floor(r() * 12);
    const layer = base.layers?.[Math.floor(r() * (base.layers?.length ?? 1))];
    switch (where) {
      case 0: base.name = anything(r); break;
      case 1: base.optimizer = r() < 0.5 ? anything(r) : { ...base.optimizer, type: anything(r) }; break;
      case 2: if (base.optimizer && typeof base.optimizer === 'object') base.optimizer[['learningRate', 'momentum', 'beta1', 'beta2', 'epsilon', 'decay', 'useNesterov', 'x'][Math.floor(r() * 8)]] = anything(r); break;
      case 3: base.batchSize = anything(r); break;
      case 4: base.steps = anything(r); break;
      case 5: base.seed = anything(r); break;
      case 6: if (layer && typeof layer === 'object') layer[['units', 'activation', 'kernelInitializer', 'biasInitializer', 'name', 'bogus'][Math.floor(r() * 6)]] = anything(r); break;
      case 7: if (Array.isArray(base.layers)) base.layers.splice(Math.floor(r() * (base.layers.length + 1)), 0, anything(r)); break;
      case 8: base.layers = anything(r); break;
      case 9: Object.defineProperty(base, PROTO_NAMES[Math.floor(r() * PROTO_NAMES.length)], { value: anything(r), enumerable: true, writable: true, configurable: true }); break;
      case 10: if (Array.isArray(base.layers)) base.layers.length = Math.floor(r() * 20); break; // holes / fewer layers
      default: if (layer && typeof layer === 'object') layer.units = [10, 4096, 4097, 0, 1, 100, 2.5][Math.floor(r() * 7)]; break;
    }
  }
  return r() < 0.05 ? anything(r) : base;
}

/** What every accepted spec must satisfy. */
function checkInvariants(s: ModelSpec): void {
  assert.ok(typeof s.name === 'string' && s.name.length >= 1 && s.name.length <= 200);
  assert.ok(s.layers.length >= 1 && s.layers.length <= MAX_LAYERS);
  s.layers.forEach((l, i) => {
    assert.ok(Number.isInteger(l.units) && l.units >= 1 && l.units <= MAX_UNITS);
    assert.ok((ACTIVATIONS as readonly string[]).includes(l.activation));
    assert.equal(i === s.layers.length - 1, l.activation === 'softmax');
  });
  assert.equal(s.layers[s.layers.length - 1].units, 10);
  assert.ok((OPTIMIZERS as readonly string[]).includes(s.optimizer.type) && Number.isFinite(s.optimizer.learningRate) && s.optimizer.learningRate > 0);
  assert.ok(Number.isInteger(s.batchSize) && s.batchSize >= 1 && s.batchSize <= MAX_BATCH_SIZE);
  assert.ok(Number.isInteger(s.steps) && s.steps >= 1 && s.steps <= MAX_STEPS);
  assert.ok(Number.isInteger(s.seed) && s.seed >= 0 && s.seed <= MAX_SEED);
  // accepted specs are fixed points and plain JSON
  assert.deepEqual(validateSpec(JSON.parse(JSON.stringify(s))), { ok: true, spec: s });
}

const rangesInside = (r: { range: { line: number; column: number } }[], lines: number): boolean => r.every((x) => x.range.line >= 1 && x.range.line <= lines + 1 && x.range.column >= 1);

test(`fuzz: ${SPEC_CASES} generated specs through the validator, the memory estimate and (every ${IMPORT_EVERY}th) the *.mlp.json importer: 0 crashes, 0 hangs`, () => {
  const r = prng(SEED);
  let accepted = 0;
  let rejected = 0;
  let imported = 0;
  let slowest = 0;
  const t0 = performance.now();
  for (let c = 0; c < SPEC_CASES; c++) {
    const input = mutateSpec(r);
    const c0 = performance.now();
    let result: ReturnType<typeof validateSpec>;
    try {
      result = validateSpec(input);
    } catch (e) {
      assert.fail(`case ${c}: validateSpec threw ${(e as Error).message} on ${preview(input, 300)}`);
    }
    if (result.ok) {
      accepted++;
      checkInvariants(result.spec);
      const m = checkTrainingMemory(result.spec, c % 2 ? 'wasm' : 'cpu');
      assert.ok(Number.isFinite(m.estimate.totalBytes) && m.estimate.totalBytes > 0 && m.message.length < 1000, `case ${c}`);
    } else {
      rejected++;
      assert.ok(result.problems.length >= 1 && result.problems.length <= MAX_PROBLEMS + 1, `case ${c}`);
      for (const p of result.problems) assert.ok(p.path.startsWith('$') && p.path.length < 200 && p.message.length < 600, `case ${c}: ${p.path} ${p.message.length}`);
    }
    if (c % IMPORT_EVERY === 0) {
      const json = plainJson(input, { maxDepth: 1_000_000, maxNodes: 1_000_000, maxChars: 10_000_000 });
      let text: string;
      try {
        text = json.ok ? JSON.stringify(json.value, null, c % 2 ? 2 : undefined) ?? 'null' : String(input);
      } catch {
        // too deep for JSON.stringify itself (V8 recurses): the same shape, written out
        text = `{"layers": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
      }
      const imp = importSource('fuzz.mlp.json', text);
      assert.ok(imp, `case ${c}: a *.mlp.json always gets a result`);
      assert.ok(imp.notes.every((n) => !/internal error/.test(n.message)), `case ${c}: ${imp.notes.map((n) => n.message).join(' | ')}`);
      assert.ok(rangesInside(imp.notes, text.split('\n').length), `case ${c}`);
      if (result.ok && text.length <= 200_000 && json.ok) assert.equal(imp.spec.ok, true, `case ${c}: the importer refused a spec the validator accepts: ${imp.spec.ok ? '' : imp.spec.problems[0].message}`);
      imported++;
    }
    slowest = Math.max(slowest, performance.now() - c0);
    assert.ok(performance.now() - c0 < HANG_MS, `case ${c} took ${(performance.now() - c0).toFixed(0)} ms`);
  }
  const ms = performance.now() - t0;
  console.log(`fuzz specs: ${SPEC_CASES} cases (${accepted} accepted, ${rejected} rejected, ${imported} imported as text) in ${(ms / 1000).toFixed(1)} s; slowest case ${slowest.toFixed(0)} ms; 0 crashes, 0 hangs`);
  assert.ok(accepted > 300 && rejected > 3000, `${accepted} accepted, ${rejected} rejected: the generator should produce both`);
});

/** A generated fix: valid ones from the contract, and hostile ones (code in values, wrong kinds, layers out of range). */
function anyFix(r: () => number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const layer = pick([0, 1, 2, -1, 1.5, 64, '0', undefined]);
  switch (Math.floor(r() * 5)) {
    case 0: return { kind: 'activation', layer, value: r() < 0.4 ? pick(ACTIVATIONS) : pick(WEIRD_STRINGS), label: 'a' };
    case 1: return { kind: 'initializer', layer, target: pick(['kernel', 'bias', 'both', undefined]), value: r() < 0.4 ? pick(['heNormal', 'zeros', { type: 'randomNormal', mean: 0, stddev: 0.05 }]) : anything(r), label: 'i' };
    case 2: return { kind: 'learningRate', value: r() < 0.4 ? 0.01 : pick(WEIRD_NUMBERS), label: 'l' };
    case 3: return { kind: 'optimizer', value: r() < 0.4 ? { type: 'adam', learningRate: 0.001 } : anything(r), label: 'o' };
    default: return { kind: pick(['eval', 'constructor', '__proto__', 'activation']), layer, value: anything(r), label: pick(['', 'x', 'y'.repeat(600), 3]) };
  }
}

test(`fuzz: ${FIX_CASES} generated fixes through fixProblem, applyFix and fixToEdit on real imported sources: only valid values ever become text`, async () => {
  const { readFileSync } = await import('node:fs');
  const fixtures = ['mnist_mlp_zeros.py', 'keras_mlp_zeros.py', 'tfjs_mlp_zeros.js', 'seed-mlp-zeros.mlp.json'].map((f) => {
    const text = readFileSync(join(repoRoot, 'test', 'fixtures', f), 'utf8');
    return { f, text, result: importSource(f, text)! };
  });
  const r = prng(SEED + 1);
  let edits = 0;
  let refused = 0;
  for (let c = 0; c < FIX_CASES; c++) {
    const fix = anyFix(r);
    const { f, text, result } = fixtures[c % fixtures.length];
    const problem = fixProblem(fix, result.layers.length);
    // the shape guard of the panel protocol is looser; what passes fixProblem passes it too
    if (problem === undefined) assert.ok(isFix(fix), `case ${c}: ${preview(fix)}`);
    let edit;
    try {
      edit = fixToEdit(result, text, fix as Fix);
    } catch (e) {
      assert.fail(`case ${c} (${f}): fixToEdit threw ${(e as Error).message} on ${preview(fix)}`);
    }
    if (problem !== undefined) {
      assert.equal(edit, undefined, `case ${c} (${f}): an invalid fix (${problem}) became an edit: ${edit?.newText}`);
      refused++;
    } else if (edit) {
      edits++;
      const f2 = fix as Fix;
      if (f2.kind === 'activation') assert.match(edit.newText, /^(["'])(relu|sigmoid|tanh|linear|softmax|elu|selu|leakyRelu|leaky_relu)\1$/, `case ${c}`);
      if (f2.kind === 'learningRate') assert.match(edit.newText, /^[0-9.e+-]+$/, `case ${c}`);
      assert.ok(!/import|system|<img|\\u0000/.test(edit.newText), `case ${c}: ${edit.newText}`);
    }
    if (result.spec.ok) {
      try {
        const next = applyFix(result.spec.spec, fix as Fix);
        assert.equal(problem, undefined, `case ${c}: applyFix accepted an invalid fix`);
        assert.ok(validateSpec(next).ok);
      } catch (e) {
        assert.ok(e instanceof FixError, `case ${c}: applyFix threw ${(e as Error).name}: ${(e as Error).message}`);
      }
    }
  }
  console.log(`fuzz fixes: ${FIX_CASES} cases, ${refused} refused by the contract, ${edits} valid edits; 0 crashes`);
  assert.ok(edits > 50 && refused > 1000);
});

/** A generated host → training process message (mostly malformed, some valid stops for other runs). */
function anyMessage(r: () => number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const runId = pick(['r1', 'r2', '', 'x'.repeat(101), 7, null, undefined, '__proto__']);
  const options = r() < 0.5 ? anything(r) : {
    backend: pick(['auto', 'wasm', 'gpu', 3, undefined]), probeEvery: pick([0, 50, -1, 1.5, 1e7, '50', Number.NaN]), evalEvery: pick([0, 10, -5, undefined]),
    dataDir: pick([undefined, '/tmp', 5, 'd'.repeat(5000)]), shuffle: pick([undefined, true, 'yes']),
    thresholds: pick([undefined, { deadActiveShare: 0.1 }, { deadActiveShare: 'x' }, [1], { ['__proto__']: 1 }]),
    source: pick([undefined, { file: 'f', layers: [] }, { file: 1, layers: [] }, { file: 'f', layers: [{ layer: 99 }] }]),
  };
  switch (Math.floor(r() * 6)) {
    case 0: return anything(r);
    case 1: return { type: pick(['startTraining', 'stopTraining', 'dance', '__proto__', 'constructor']), runId };
    case 2: return { type: 'startTraining', runId, spec: anything(r), options };
    case 3: return { type: 'stopTraining', runId: pick(['r2', 'other', 'x']) };
    case 4: return { type: pick(['event', 'probe', 'finished', 'status', 'warning']), runId, event: anything(r), report: anything(r), findings: anything(r) };
    default: return pick([[], 'startTraining', 42, { runId: 'r1' }, { type: 'startTraining' }]);
  }
}

test(`fuzz: ${IPC_GUARD_CASES} generated IPC messages through the guards of both directions: 0 crashes, a reason for every rejection`, () => {
  const r = prng(SEED + 2);
  let rejected = 0;
  for (let c = 0; c < IPC_GUARD_CASES; c++) {
    const m = anyMessage(r);
    let problem: string | undefined;
    try {
      problem = hostToTrainerProblem(m);
      isTrainerProcessMessage(m);
      isTrainerToHostMessage(m);
    } catch (e) {
      assert.fail(`case ${c}: a guard threw ${(e as Error).message} on ${preview(m, 300)}`);
    }
    if (problem !== undefined) {
      rejected++;
      assert.ok(problem.length > 10 && problem.length < 200, `case ${c}: ${problem}`);
    }
  }
  console.log(`fuzz IPC guards: ${IPC_GUARD_CASES} cases, ${rejected} rejected with a reason; 0 crashes`);
  assert.ok(rejected > IPC_GUARD_CASES / 2);
});

test(`fuzz: ${IPC_PROCESS_CASES} generated malformed messages sent to one real training process: one error event each, the process stays up, then a stop ends it`, async () => {
  const r = prng(SEED + 3);
  // Messages that would legitimately start or end the process (a valid start, a malformed start with a
  // usable runId, a stop before any start) are left out: every other one must be answered and survived.
  const messages: unknown[] = [];
  while (messages.length < IPC_PROCESS_CASES) {
    const m = anyMessage(r);
    const problem = hostToTrainerProblem(m);
    const o = typeof m === 'object' && m !== null && !Array.isArray(m) ? m as Record<string, unknown> : undefined;
    if (problem === undefined) continue;
    if (o && o.type === 'startTraining') continue;
    // IPC serialises as JSON: what JSON cannot carry (undefined at the top) is skipped
    let json: string | undefined;
    try {
      json = JSON.stringify(m);
    } catch {
      json = undefined;
    }
    if (json === undefined) continue;
    messages.push(m);
  }
  const child = fork(join(repoRoot, 'dist', 'worker.js'), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s.slice(0, 2000); });
  const received: TrainerProcessMessage[] = [];
  let resolveAll: () => void = () => undefined;
  const all = new Promise<void>((resolve) => { resolveAll = resolve; });
  child.on('message', (m: unknown) => {
    assert.ok(isTrainerProcessMessage(m), `the training process sent a message its own guard rejects: ${preview(m, 200)}`);
    received.push(m);
    if (received.length >= messages.length) resolveAll();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const t0 = performance.now();
  for (const m of messages) child.send(m as object);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([all, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`only ${received.length} of ${messages.length} answers after 60 s; stderr: ${stderr}`)), 60_000); })]);
  clearTimeout(timer);
  const ms = performance.now() - t0;
  assert.equal(received.length, messages.length);
  assert.ok(received.every((m) => m.type === 'event' && m.event.type === 'error' && m.event.kind === 'protocol'), 'each answer is a protocol error event');
  assert.equal(child.exitCode, null, 'the process is still running');
  // still usable: a stop before any run ends it cleanly
  child.send({ type: 'stopTraining', runId: 'r1' });
  assert.equal(await exited, 0);
  console.log(`fuzz IPC process: ${messages.length} malformed messages, ${received.length} error events in ${(ms / 1000).toFixed(1)} s; 0 crashes, 0 hangs`);
});
