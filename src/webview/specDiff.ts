// What differs between the specs of the compared runs, in words: "layer 1 (100 relu) kernel: zeros →
// heNormal", "learning rate: 0.5 → 0.05", "objective: crossEntropy from logits, mean → …". Pure (no DOM):
// the panel's differences table and the exports use it.
import type { ModelSpec } from '../protocol/webview';
import { layerTitle } from './dom';

type Json = unknown;

/** A value as a short text: initializers as people write them, objects as key value lists. */
export function valueText(v: Json): string {
  if (v === undefined) return '(none)';
  if (v === null) return 'null';
  if (typeof v === 'number') return String(Number(v.toPrecision(6)));
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(valueText).join(', ')}]`;
  const o = v as Record<string, Json>;
  if (o.type === 'randomUniform' && typeof o.minval === 'number' && typeof o.maxval === 'number') {
    return o.minval === -o.maxval ? `U(±${valueText(o.maxval)})` : `U(${valueText(o.minval)}, ${valueText(o.maxval)})`;
  }
  if (o.type === 'randomNormal' && typeof o.mean === 'number') return `N(${valueText(o.mean)}, ${valueText(o.stddev)})`;
  if (o.type === 'truncatedNormal' && typeof o.mean === 'number') return `truncated N(${valueText(o.mean)}, ${valueText(o.stddev)})`;
  if (o.type === 'constant') return `constant(${valueText(o.value)})`;
  const entries = Object.entries(o).filter(([, x]) => x !== undefined);
  const head = typeof o.type === 'string' ? `${o.type}` : '';
  const rest = entries.filter(([k]) => k !== 'type').map(([k, x]) => `${k} ${valueText(x)}`).join(', ');
  return head && rest ? `${head} (${rest})` : head || `{${rest}}`;
}

const same = (a: Json, b: Json): boolean => JSON.stringify(a) === JSON.stringify(b);

const OPTIMIZER_NAMES: Record<string, string> = { type: 'optimizer', learningRate: 'learning rate' };
const TOP_NAMES: Record<string, string> = { batchSize: 'batch size', steps: 'steps', seed: 'seed', data: 'data', objective: 'objective', accumulateGradients: 'accumulate gradients' };
const LAYER_NAMES: Record<string, string> = { kernelInitializer: 'kernel', biasInitializer: 'bias', activation: 'activation', units: 'units', useBias: 'use bias', dropout: 'dropout', kernelRegularizer: 'kernel regularizer' };

export interface SpecChange {
  /** "layer 1 (100 relu) kernel", "learning rate". */
  what: string;
  from: string;
  to: string;
}

/** The changes from spec `a` to spec `b` (the name is not a change). Layers are matched by position. */
export function specChanges(a: ModelSpec, b: ModelSpec): SpecChange[] {
  const out: SpecChange[] = [];
  const run = { spec: a };
  const n = Math.max(a.layers.length, b.layers.length);
  if (a.layers.length !== b.layers.length) {
    const arch = (s: ModelSpec) => `784 → ${s.layers.map((l) => `${l.units} ${l.activation}`).join(' → ')}`;
    out.push({ what: 'layers', from: arch(a), to: arch(b) });
  } else {
    for (let i = 0; i < n; i++) {
      const la = a.layers[i] as unknown as Record<string, Json>;
      const lb = b.layers[i] as unknown as Record<string, Json>;
      for (const k of new Set([...Object.keys(la), ...Object.keys(lb)])) {
        if (k === 'name' || same(la[k], lb[k])) continue;
        out.push({ what: `${layerTitle(run, i)} ${LAYER_NAMES[k] ?? k}`, from: valueText(la[k]), to: valueText(lb[k]) });
      }
    }
  }
  const oa = a.optimizer as unknown as Record<string, Json>;
  const ob = b.optimizer as unknown as Record<string, Json>;
  for (const k of new Set([...Object.keys(oa), ...Object.keys(ob)])) {
    if (!same(oa[k], ob[k])) out.push({ what: OPTIMIZER_NAMES[k] ?? `optimizer ${k}`, from: valueText(oa[k]), to: valueText(ob[k]) });
  }
  const ta = a as unknown as Record<string, Json>;
  const tb = b as unknown as Record<string, Json>;
  for (const k of new Set([...Object.keys(ta), ...Object.keys(tb)])) {
    if (k === 'name' || k === 'layers' || k === 'optimizer' || same(ta[k], tb[k])) continue;
    out.push({ what: TOP_NAMES[k] ?? k, from: valueText(ta[k]), to: valueText(tb[k]) });
  }
  return out;
}

export function changeText(c: SpecChange): string {
  return `${c.what}: ${c.from} → ${c.to}`;
}

/** A one-line summary of a spec for exports: "784 → 100 relu → 10 softmax · kernel zeros, zeros · sgd 0.5 · batch 100 · 1000 steps". */
export function specSummary(s: ModelSpec): string {
  const layers = s.layers.map((l) => `${l.units} ${l.activation}`).join(' → ');
  const inits = s.layers.map((l) => valueText(l.kernelInitializer)).join(', ');
  return `784 → ${layers} · kernels ${inits} · ${s.optimizer.type} ${valueText(s.optimizer.learningRate)} · batch ${s.batchSize} · ${s.steps} steps · seed ${s.seed}`;
}
