// TensorFlow's recurrent cells and the functions that run them (`tf.nn.rnn_cell.BasicLSTMCell`,
// `tf.contrib.rnn.GRUCell`, `tf.nn.dynamic_rnn`, `static_rnn`...): a model built on them is recurrent, not
// something Gradient Lens trains. The refusal names the cell and lands on the line that makes it (not on
// the dense read-out layer after it, whose 128 inputs would otherwise read as "the last layer must have 10
// units"). Tried before tf1.ts, which would read an unknown `tf.*` call as a tensor initializer.
import { type Native, type Val, native, nativeOf } from '../interpret';
import { type Refusal, TensorV } from '../model';
import type { FrameworkModule, Handler } from './api';
import { RNN_MESSAGE, last } from './common';

/** Cells (normalised last names), wrappers that hold a cell, and the functions that unroll one. */
const CELLS = new Set([
  'basiclstmcell', 'lstmcell', 'grucell', 'basicrnncell', 'rnncell', 'layernormbasiclstmcell', 'lstmblockcell', 'grublockcell',
  'grublockcellv2', 'lstmblockfusedcell', 'nascell', 'ugrnncell', 'glstmcell', 'indrnncell', 'indylstmcell', 'convlstmcell',
  'cudnnlstm', 'cudnngru', 'cudnnrnntanh', 'cudnnrnnrelu',
]);
const WRAPPERS = new Set(['multirnncell', 'dropoutwrapper', 'residualwrapper', 'attentioncellwrapper', 'devicewrapper', 'highwaywrapper']);
const RUNNERS = new Set(['dynamicrnn', 'staticrnn', 'bidirectionaldynamicrnn', 'staticbidirectionalrnn', 'rawrnn', 'staticstatesavingrnn', 'stackbidirectionaldynamicrnn']);

/** A recurrent cell: where it is made, and the refusal it carries into whatever runs it. */
class CellV implements Native {
  readonly kind = 'recurrent cell';
  constructor(readonly refusal: Refusal) {}
}

/** The message naming the cell as written (`rnn.BasicLSTMCell`). */
const message = (written: string, fallback: string): string => {
  const name = written || fallback;
  return RNN_MESSAGE.replace(/^recurrent model/, `recurrent model (${name})`);
};

const cell = (name: string): Handler => (call, fx) => native(new CellV(fx.session.refuse(call.expr, message(call.written, name))));

/** `MultiRNNCell([cell] * 2)`, `DropoutWrapper(cell, ...)`: the first cell inside (else this call is the one named). */
const wrapper = (name: string): Handler => (call, fx) => {
  const inner = call.arg(0, 'cells', 'cell')?.v;
  const items = inner?.t === 'list' ? inner.items : inner ? [inner] : [];
  const found = items.map((v) => nativeOf(v, CellV)).find((c) => c !== undefined);
  return native(found ?? new CellV(fx.session.refuse(call.expr, message(call.written, name))));
};

/** `outputs, state = tf.nn.dynamic_rnn(cell, x)`: every output carries the cell's refusal. */
const runner = (name: string): Handler => (call, fx) => {
  const c = nativeOf(call.arg(0, 'cell', 'cellfw')?.v, CellV);
  const refusal = c?.refusal ?? fx.session.refuse(call.expr, message(call.written, name));
  const out = (): Val => native(new TensorV('input', true, refusal));
  // (outputs, state) — outputs indexed or unstacked, the state a tuple (c, h) or a tensor: all recurrent.
  return { t: 'list', items: [out(), out()], tuple: true };
};

function resolve(path: string): Handler | undefined {
  if (!path.startsWith('tensorflow.') || path.startsWith('tensorflow.keras.')) return undefined;
  const name = last(path);
  const n = name.replace(/_/g, '').toLowerCase();
  if (CELLS.has(n)) return cell(name);
  if (WRAPPERS.has(n)) return wrapper(name);
  if (RUNNERS.has(n)) return runner(name);
  return undefined;
}

export const recurrent: FrameworkModule = {
  id: 'tf1-recurrent',
  dialects: ['python'],
  resolve,
};

