// Structured fixes (findings.ts Fix) → text edits in the file's own idiom: a TF1 tensor stays a TF1
// tensor (`tf.zeros([784, 100])` → `tf.random_uniform([784, 100], -0.01, 0.01)`), a Keras string stays
// a Keras string (`'zeros'` → `'he_normal'`), tfjs camelCase (`'heNormal'`), JSON a JSON value.
import type { Fix } from '../findings';
import { fixProblem } from '../fixes';
import { table } from '../untrusted';
import { type Initializer, INPUT_SIZE } from '../spec';
import type { ImportResult, InitializerSite, TextEdit } from './types';
import { renderTorchInitializer } from './frameworks/torch/init';
import { explicitInitializer, formatNumber } from './initializers';

export { explicitInitializer, formatNumber };

const KERAS_NAMES: Readonly<Record<string, [snake: string, cls: string]>> = table({
  zeros: ['zeros', 'Zeros'], ones: ['ones', 'Ones'], glorotUniform: ['glorot_uniform', 'GlorotUniform'], glorotNormal: ['glorot_normal', 'GlorotNormal'],
  heNormal: ['he_normal', 'HeNormal'], heUniform: ['he_uniform', 'HeUniform'], leCunNormal: ['lecun_normal', 'LecunNormal'], leCunUniform: ['lecun_uniform', 'LecunUniform'],
});

const join = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);

/** The source text for `init` written at `site` (undefined when the idiom cannot express it). */
export function renderInitializer(site: InitializerSite, init: Initializer, fanIn: number, fanOut: number, quote = "'"): string | undefined {
  const n = formatNumber;
  switch (site.idiom) {
    case 'json':
      return JSON.stringify(init);
    case 'torch-init':
    case 'torch-method':
      return renderTorchInitializer(site, init, fanIn, fanOut, quote);
    case 'keras-string':
    case 'keras-object': {
      const prefix = site.idiom === 'keras-object' ? site.prefix : site.prefix || 'tf.keras.initializers';
      if (typeof init === 'string') {
        const [snake, cls] = KERAS_NAMES[init];
        // A bare `Zeros()` was imported by name: a string needs no import.
        return site.idiom === 'keras-string' || !site.prefix ? `${quote}${snake}${quote}` : `${join(prefix, cls)}()`;
      }
      switch (init.type) {
        case 'constant': return `${join(prefix, 'Constant')}(${n(init.value)})`;
        case 'randomUniform': return `${join(prefix, 'RandomUniform')}(minval=${n(init.minval)}, maxval=${n(init.maxval)})`;
        case 'randomNormal': return `${join(prefix, 'RandomNormal')}(mean=${n(init.mean)}, stddev=${n(init.stddev)})`;
        case 'truncatedNormal': return `${join(prefix, 'TruncatedNormal')}(mean=${n(init.mean)}, stddev=${n(init.stddev)})`;
      }
      return undefined;
    }
    case 'tfjs-string':
    case 'tfjs-object': {
      const prefix = site.idiom === 'tfjs-object' ? site.prefix : site.prefix || 'tf.initializers';
      if (typeof init === 'string') return site.idiom === 'tfjs-string' ? `${quote}${init}${quote}` : `${join(prefix, init)}()`;
      switch (init.type) {
        case 'constant': return `${join(prefix, 'constant')}({ value: ${n(init.value)} })`;
        case 'randomUniform': return `${join(prefix, 'randomUniform')}({ minval: ${n(init.minval)}, maxval: ${n(init.maxval)} })`;
        case 'randomNormal': return `${join(prefix, 'randomNormal')}({ mean: ${n(init.mean)}, stddev: ${n(init.stddev)} })`;
        case 'truncatedNormal': return `${join(prefix, 'truncatedNormal')}({ mean: ${n(init.mean)}, stddev: ${n(init.stddev)} })`;
      }
      return undefined;
    }
    case 'tf1':
    case 'tfjs-tensor': {
      if (site.shape === undefined) return undefined;
      const tf = site.prefix || 'tf';
      const shape = site.shape;
      const e = explicitInitializer(init, fanIn, fanOut);
      const js = site.idiom === 'tfjs-tensor';
      if (e === 'zeros' || e === 'ones') return `${tf}.${e}(${shape})`;
      switch (e.type) {
        case 'constant': return e.value === 0 ? `${tf}.zeros(${shape})` : `${tf}.fill(${shape}, ${n(e.value)})`;
        case 'randomUniform':
          return js ? `${tf}.randomUniform(${shape}, ${n(e.minval)}, ${n(e.maxval)})`
            : `${tf}.${site.v2 ? 'random.uniform' : 'random_uniform'}(${shape}, ${n(e.minval)}, ${n(e.maxval)})`;
        case 'randomNormal':
        case 'truncatedNormal': {
          if (js) return `${tf}.${e.type}(${shape}, ${n(e.mean)}, ${n(e.stddev)})`;
          const fn = e.type === 'randomNormal' ? (site.v2 ? 'random.normal' : 'random_normal') : (site.v2 ? 'random.truncated_normal' : 'truncated_normal');
          return `${tf}.${fn}(${shape}, ${e.mean !== 0 ? `mean=${n(e.mean)}, ` : ''}stddev=${n(e.stddev)})`;
        }
      }
      return undefined;
    }
    case 'tf1-initializer': {
      const tf = site.prefix || 'tf';
      if (typeof init === 'string') {
        if (init === 'zeros' || init === 'ones') return `${tf}.${init}_initializer()`;
        if (init === 'glorotUniform' || init === 'glorotNormal') return `${tf}.${KERAS_NAMES[init][0]}_initializer()`;
        return `${tf}.keras.initializers.${KERAS_NAMES[init][0]}()`;
      }
      switch (init.type) {
        case 'constant': return `${tf}.constant_initializer(${n(init.value)})`;
        case 'randomUniform': return `${tf}.random_uniform_initializer(${n(init.minval)}, ${n(init.maxval)})`;
        case 'randomNormal': return `${tf}.random_normal_initializer(mean=${n(init.mean)}, stddev=${n(init.stddev)})`;
        case 'truncatedNormal': return `${tf}.truncated_normal_initializer(mean=${n(init.mean)}, stddev=${n(init.stddev)})`;
      }
      return undefined;
    }
  }
}

const KERAS_ACTIVATION: Readonly<Record<string, string>> = table({ leakyRelu: 'leaky_relu' });

/**
 * The text edit that applies a structured fix to the source, in the file's idiom; undefined when the
 * source does not say it in one place that can be rewritten (e.g. a default, or a helper shared by
 * several layers) — the editor then offers only "Fix and re-train" for it.
 */
export function fixToEdit(result: ImportResult, text: string, fix: Fix): TextEdit | undefined {
  // Checked against the fix contract before anything is rendered: only a known activation name, an
  // initializer the spec accepts or a finite number ever becomes source text.
  if (fixProblem(fix, result.layers.length) !== undefined) return undefined;
  const fanInOf = (layer: number): number => (layer === 0 ? INPUT_SIZE : (result.spec.ok ? result.spec.spec.layers[layer - 1]?.units : undefined) ?? INPUT_SIZE);
  const quoteAt = (line: number, column: number): string => {
    const lines = text.split(/\r\n|\r|\n/);
    const c = lines[line - 1]?.[column - 1];
    return c === '"' || c === "'" ? c : "'";
  };
  switch (fix.kind) {
    case 'initializer': {
      const l = result.layers[fix.layer];
      const site = fix.target === 'bias' ? l?.biasInitializer : l?.kernelInitializer;
      if (!l || !site) return undefined;
      const fanOut = result.spec.ok ? result.spec.spec.layers[fix.layer]?.units ?? 1 : 1;
      const newText = renderInitializer(site, fix.value, fanInOf(fix.layer), fanOut, quoteAt(site.range.line, site.range.column));
      return newText === undefined ? undefined : { range: site.range, newText };
    }
    case 'activation': {
      const r = result.layers[fix.layer]?.activationString;
      if (!r) return undefined;
      const q = result.language === 'json' ? '"' : quoteAt(r.line, r.column);
      const name = result.language === 'keras' || result.language === 'python-tf1' ? KERAS_ACTIVATION[fix.value] ?? fix.value : fix.value;
      return { range: r, newText: `${q}${name}${q}` };
    }
    case 'learningRate': {
      if (!result.learningRate) return undefined;
      return { range: result.learningRate, newText: formatNumber(fix.value) };
    }
    case 'stableLoss':
      return result.stableLoss;
    default:
      return undefined;
  }
}
