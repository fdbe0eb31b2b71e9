// PyTorch's initialisation semantics (torch.nn.init and nn.Linear.reset_parameters) as model-spec
// initializers, exactly, and the other way round: a structured fix written back in PyTorch's idiom
// (`nn.init.kaiming_normal_(self.fc1.weight, nonlinearity='relu')`, or `w.normal_(0, 0.0505)` where the
// file wrote an in-place tensor method). importers/fixes.ts calls renderTorchInitializer for the `torch-*`
// idioms; both take formatNumber / explicitInitializer from importers/initializers.ts (no import circle).
import type { Initializer } from '../../../spec';
import { explicitInitializer, formatNumber } from '../../initializers';
import type { InitializerSite } from '../../types';

/**
 * nn.Linear's default (reset_parameters): kaiming_uniform_(weight, a=√5) is U(±1/√fan_in), and the
 * bias is U(±1/√fan_in) too, fan_in = in_features.
 */
export function linearDefault(fanIn: number): Initializer {
  const bound = 1 / Math.sqrt(fanIn);
  return { type: 'randomUniform', minval: -bound, maxval: bound };
}

/** torch.nn.init.calculate_gain; undefined for a name it does not know. */
export function calculateGain(nonlinearity: string, param?: number): number | undefined {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': { const s = param ?? 0.01; return Math.sqrt(2 / (1 + s * s)); }
    case 'selu': return 3 / 4;
    default: return undefined;
  }
}

/** What an nn.init call's arguments say (numbers already read; `undefined` = not readable). */
export interface TorchInitArgs {
  /** The function's name without the trailing underscore: `kaiming_normal`, `zeros`... */
  fn: string;
  /** The tensor's fans as PyTorch computes them (2-D [out, in]: fan_in = in, fan_out = out); undefined for a 1-D bias. */
  fanIn?: number;
  fanOut?: number;
  num(name: string, pos: number, dflt: number): number | undefined;
  str(name: string, pos: number, dflt: string): string | undefined;
  /** The input count of the layer in the model spec (named initializers are used only when they compute the same thing). */
  specFanIn?: number;
}

export type TorchInitResult = { init: Initializer } | { problem: string };

const eq = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));

/** The spec initializer an nn.init.* call fills the tensor with. */
export function torchInit(a: TorchInitArgs): TorchInitResult {
  const bad = (what: string): TorchInitResult => ({ problem: `could not read ${what}` });
  const needFans = (): TorchInitResult | undefined => (a.fanIn === undefined || a.fanOut === undefined
    ? { problem: `nn.init.${a.fn}_ needs a 2-D weight (PyTorch cannot compute the fans of a 1-D tensor such as a bias; this call raises an error)` }
    : undefined);
  switch (a.fn) {
    case 'zeros': return { init: 'zeros' };
    case 'ones': return { init: 'ones' };
    case 'constant': {
      const v = a.num('val', 1, NaN);
      if (v === undefined || Number.isNaN(v)) return bad('the value');
      return { init: v === 0 ? 'zeros' : v === 1 ? 'ones' : { type: 'constant', value: v } };
    }
    case 'uniform': {
      const lo = a.num('a', 1, 0);
      const hi = a.num('b', 2, 1);
      if (lo === undefined || hi === undefined) return bad('the bounds');
      if (!(lo < hi)) return { problem: `the bounds ${lo}, ${hi} are not in increasing order` };
      return { init: { type: 'randomUniform', minval: lo, maxval: hi } };
    }
    case 'normal': {
      const mean = a.num('mean', 1, 0);
      const std = a.num('std', 2, 1);
      if (mean === undefined || std === undefined) return bad('the mean or std');
      return { init: std === 0 ? (mean === 0 ? 'zeros' : { type: 'constant', value: mean }) : { type: 'randomNormal', mean, stddev: std } };
    }
    case 'trunc_normal': {
      const mean = a.num('mean', 1, 0);
      const std = a.num('std', 2, 1);
      const lo = a.num('a', 3, -2);
      const hi = a.num('b', 4, 2);
      if (mean === undefined || std === undefined || lo === undefined || hi === undefined) return bad('the arguments');
      if (!(std > 0)) return bad('a positive std');
      const zl = (lo - mean) / std;
      const zh = (hi - mean) / std;
      // PyTorch cuts at the absolute bounds a, b; the spec's truncatedNormal at mean ± 2σ.
      if (eq(zl, -2) && eq(zh, 2)) return { init: { type: 'truncatedNormal', mean, stddev: std } };
      // Bounds beyond ±6σ cut away less than 2e-9 of the mass: that is a normal distribution.
      if (zl <= -6 && zh >= 6) return { init: { type: 'randomNormal', mean, stddev: std } };
      return { problem: `a normal cut at [${lo}, ${hi}] (${formatNumber(zl)}σ, ${formatNumber(zh)}σ) cannot be expressed in the model spec (it cuts at ±2σ)` };
    }
    case 'xavier_uniform': case 'xavier_normal': {
      const missing = needFans();
      if (missing) return missing;
      const gain = a.num('gain', 1, 1);
      if (gain === undefined) return bad('the gain');
      const fanIn = a.fanIn!;
      const fanOut = a.fanOut!;
      const std = gain * Math.sqrt(2 / (fanIn + fanOut));
      if (a.fn === 'xavier_normal') return { init: { type: 'randomNormal', mean: 0, stddev: std } };
      // Glorot uniform is symmetric in the fans: the spec's glorotUniform when the gain is 1.
      if (gain === 1 && a.specFanIn !== undefined && (a.specFanIn === fanIn || a.specFanIn === fanOut)) return { init: 'glorotUniform' };
      const bound = Math.sqrt(3) * std;
      return { init: { type: 'randomUniform', minval: -bound, maxval: bound } };
    }
    case 'kaiming_uniform': case 'kaiming_normal': {
      const missing = needFans();
      if (missing) return missing;
      const slope = a.num('a', 1, 0);
      const mode = a.str('mode', 2, 'fan_in');
      const nl = a.str('nonlinearity', 3, 'leaky_relu');
      if (slope === undefined || mode === undefined || nl === undefined) return bad('the arguments');
      const gain = calculateGain(nl, slope);
      if (gain === undefined) return { problem: `unknown nonlinearity '${nl}'` };
      if (mode !== 'fan_in' && mode !== 'fan_out') return { problem: `unknown mode '${mode}'` };
      const fan = mode === 'fan_in' ? a.fanIn! : a.fanOut!;
      const std = gain / Math.sqrt(fan);
      if (a.fn === 'kaiming_normal') return { init: { type: 'randomNormal', mean: 0, stddev: std } };
      const bound = Math.sqrt(3) * std;
      // heUniform / leCunUniform compute exactly this from the layer's input count.
      if (a.specFanIn === fan && eq(gain * gain, 2)) return { init: 'heUniform' };
      if (a.specFanIn === fan && gain === 1) return { init: 'leCunUniform' };
      return { init: { type: 'randomUniform', minval: -bound, maxval: bound } };
    }
    default:
      return { problem: `nn.init.${a.fn}_ cannot be expressed in the model spec` };
  }
}

const n = formatNumber;

/**
 * `init` written where the file initialises the tensor: an nn.init call (`torch-init`: `prefix` is the
 * module as written, `nn.init`) or an in-place method of the tensor (`torch-method`: `w.normal_(0, s)`).
 * Named initializers become the nn.init function PyTorch users know for them (He normal → kaiming_normal_
 * with nonlinearity='relu', Glorot → xavier_*); the in-place methods only have uniform_ / normal_ / fill_,
 * so there the distribution is written out with the layer's fans.
 */
export function renderTorchInitializer(site: InitializerSite, init: Initializer, fanIn: number, fanOut: number, quote = "'"): string | undefined {
  const w = site.tensor;
  if (w === undefined) return undefined;
  if (site.idiom === 'torch-init') {
    const p = site.prefix ? `${site.prefix}.` : '';
    const q = (s: string) => `${quote}${s}${quote}`;
    if (typeof init === 'string') {
      switch (init) {
        case 'zeros': return `${p}zeros_(${w})`;
        case 'ones': return `${p}ones_(${w})`;
        case 'heNormal': return `${p}kaiming_normal_(${w}, nonlinearity=${q('relu')})`;
        case 'heUniform': return `${p}kaiming_uniform_(${w}, nonlinearity=${q('relu')})`;
        case 'leCunNormal': return `${p}kaiming_normal_(${w}, nonlinearity=${q('linear')})`;
        case 'leCunUniform': return `${p}kaiming_uniform_(${w}, nonlinearity=${q('linear')})`;
        case 'glorotUniform': return `${p}xavier_uniform_(${w})`;
        case 'glorotNormal': return `${p}xavier_normal_(${w})`;
      }
    }
    switch (init.type) {
      case 'constant': return `${p}constant_(${w}, ${n(init.value)})`;
      case 'randomUniform': return `${p}uniform_(${w}, ${n(init.minval)}, ${n(init.maxval)})`;
      case 'randomNormal': return `${p}normal_(${w}, mean=${n(init.mean)}, std=${n(init.stddev)})`;
      case 'truncatedNormal': {
        const { mean, stddev } = init;
        return `${p}trunc_normal_(${w}, mean=${n(mean)}, std=${n(stddev)}, a=${n(mean - 2 * stddev)}, b=${n(mean + 2 * stddev)})`;
      }
    }
    return undefined;
  }
  if (site.idiom === 'torch-method') {
    const e = explicitInitializer(init, fanIn, fanOut);
    if (e === 'zeros') return `${w}.zero_()`;
    if (e === 'ones') return `${w}.fill_(1.0)`;
    switch (e.type) {
      case 'constant': return e.value === 0 ? `${w}.zero_()` : `${w}.fill_(${n(e.value)})`;
      case 'randomUniform': return `${w}.uniform_(${n(e.minval)}, ${n(e.maxval)})`;
      case 'randomNormal': return `${w}.normal_(${n(e.mean)}, ${n(e.stddev)})`;
      case 'truncatedNormal': return `torch.nn.init.trunc_normal_(${w}, mean=${n(e.mean)}, std=${n(e.stddev)}, a=${n(e.mean - 2 * e.stddev)}, b=${n(e.mean + 2 * e.stddev)})`;
    }
  }
  return undefined;
}
