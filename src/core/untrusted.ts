// Helpers for values that come from outside (a user's file, a command's arguments, an IPC message):
// read only their own properties, describe them in bounded text, and turn them into plain JSON data
// with bounded depth and size. Nothing here recurses without a depth limit, so a hostile value can
// neither overflow the stack nor make an error message as large as itself.

/** `obj[key]` only when `key` is obj's own property: a key from input never reaches Object.prototype. */
export function own(obj: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

/** A lookup table without a prototype: `table['constructor']` is undefined, not a function. */
export function table<V>(entries: Record<string, V>): Readonly<Record<string, V>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, V>, entries));
}

/** Longest piece of a value quoted in a message. */
export const PREVIEW_CHARS = 80;

/** `text`, cut to `max` characters with a note of how much was left out. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}… (${text.length} characters)`;
}

/**
 * A short JSON-like rendering of any value for an error message: strings quoted and cut, objects and
 * arrays shown two levels deep and cut to `max` characters. Never throws (getters, proxies, cycles).
 */
export function preview(v: unknown, max = PREVIEW_CHARS): string {
  let out = '';
  const put = (s: string): boolean => {
    out += s;
    return out.length <= max + 1;
  };
  const walk = (x: unknown, depth: number): boolean => {
    if (x === undefined) return put('undefined');
    if (x === null || typeof x === 'boolean') return put(String(x));
    if (typeof x === 'number') return put(Number.isFinite(x) ? String(x) : String(x));
    if (typeof x === 'bigint') return put(`${x}n`);
    if (typeof x === 'string') return put(JSON.stringify(x.length > max ? x.slice(0, max) : x) + (x.length > max ? `… (${x.length} characters)` : ''));
    if (typeof x === 'function') return put('a function');
    if (typeof x === 'symbol') return put('a symbol');
    if (Array.isArray(x)) {
      if (depth >= 2) return put(x.length ? `[… ${x.length} items]` : '[]');
      if (!put('[')) return false;
      for (let i = 0; i < x.length; i++) {
        if (i > 0 && !put(', ')) return false;
        if (!walk(x[i], depth + 1)) return false;
      }
      return put(']');
    }
    let keys: string[];
    try {
      keys = Object.keys(x as object);
    } catch {
      return put('an object');
    }
    if (depth >= 2) return put(keys.length ? '{…}' : '{}');
    if (!put('{')) return false;
    for (let i = 0; i < keys.length; i++) {
      if (i > 0 && !put(', ')) return false;
      let value: unknown;
      try {
        value = (x as Record<string, unknown>)[keys[i]];
      } catch {
        value = '(unreadable)';
      }
      if (!put(`${JSON.stringify(keys[i].length > max ? keys[i].slice(0, max) + '…' : keys[i])}: `) || !walk(value, depth + 1)) return false;
    }
    return put('}');
  };
  try {
    walk(v, 0);
  } catch {
    return 'an unreadable value';
  }
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

export interface PlainJsonLimits {
  /** Deepest nesting of objects and arrays (the value itself is depth 1 when it is an object or array). */
  maxDepth: number;
  /** Objects, arrays and primitives together. */
  maxNodes: number;
  /** Characters of all strings and keys together. */
  maxChars: number;
}

export const DEFAULT_PLAIN_JSON_LIMITS: PlainJsonLimits = { maxDepth: 64, maxNodes: 100_000, maxChars: 1_000_000 };

/**
 * A copy of `v` made only of JSON data (plain objects without a prototype chain of their own, arrays,
 * strings, finite numbers, booleans, null), or a message saying why it is not one: too deep, too big,
 * a function, a non-finite number, a getter that throws (a cycle ends as "too deep"). Iterative: any
 * depth is safe.
 */
export function plainJson(v: unknown, limits: PlainJsonLimits = DEFAULT_PLAIN_JSON_LIMITS): { ok: true; value: unknown } | { ok: false; message: string } {
  let nodes = 0;
  let chars = 0;
  const root: { value: unknown } = { value: undefined };
  // Work list of (source, where to put its copy, depth, path for messages).
  const stack: { src: unknown; set: (x: unknown) => void; depth: number; path: string }[] = [{ src: v, set: (x) => { root.value = x; }, depth: 1, path: '$' }];
  try {
    while (stack.length > 0) {
      const { src, set, depth, path } = stack.pop()!;
      if (++nodes > limits.maxNodes) return { ok: false, message: `more than ${limits.maxNodes} values` };
      if (src === null || typeof src === 'boolean') { set(src); continue; }
      if (typeof src === 'number') {
        if (!Number.isFinite(src)) return { ok: false, message: `${path} is ${src}, which JSON cannot hold` };
        set(src);
        continue;
      }
      if (typeof src === 'string') {
        chars += src.length;
        if (chars > limits.maxChars) return { ok: false, message: `more than ${limits.maxChars} characters of text` };
        set(src);
        continue;
      }
      if (typeof src !== 'object') return { ok: false, message: `${path} is ${src === undefined ? 'undefined' : `a ${typeof src}`}, not JSON data` };
      if (depth > limits.maxDepth) return { ok: false, message: `nested more than ${limits.maxDepth} levels deep (at ${cut(path, 60)})` };
      if (Array.isArray(src)) {
        const copy: unknown[] = new Array(src.length).fill(null);
        set(copy);
        for (let i = 0; i < src.length; i++) {
          if (!(i in src)) return { ok: false, message: `${cut(path, 60)}[${i}] is a hole, not JSON data` };
          const at = i;
          stack.push({ src: src[i], set: (x) => { copy[at] = x; }, depth: depth + 1, path: `${path}[${i}]` });
        }
        continue;
      }
      const copy: Record<string, unknown> = {};
      set(copy);
      for (const key of Object.keys(src)) {
        chars += key.length;
        if (chars > limits.maxChars) return { ok: false, message: `more than ${limits.maxChars} characters of text` };
        const value = (src as Record<string, unknown>)[key];
        if (value === undefined) continue; // as JSON.stringify drops it
        // defineProperty: a key "__proto__" stays an own data property and never sets the prototype.
        // Defined now (in the source's key order), filled in when the work list reaches the value.
        const define = (x: unknown): void => { Object.defineProperty(copy, key, { value: x, enumerable: true, writable: true, configurable: true }); };
        define(null);
        stack.push({ src: value, set: define, depth: depth + 1, path: `${path}.${key}` });
      }
    }
  } catch (e) {
    return { ok: false, message: `it could not be read (${cut(e instanceof Error ? e.message : String(e), 100)})` };
  }
  return { ok: true, value: root.value };
}

// Characters a terminal acts on instead of showing: C0 controls (ESC starts the sequences that set the
// window title, clear the screen or move the cursor; CR overwrites a line; NUL), DEL, the C1 controls
// (0x9b is a one-byte CSI on some terminals), the bidi controls that reorder what follows (U+202A–202E,
// U+2066–2069, U+200E/200F, U+061C: "Trojan Source"), and the line/paragraph separators. Newline and
// tab are kept only when the caller says so.
const UNSAFE_KEEPING_NEWLINE_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const TERMINAL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// The same set minus C0 (JSON.stringify escapes C0 already): what `printableJson` escapes in a JSON text.
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (c: string): string => {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/**
 * `text` safe to print on a terminal: every control or bidi character (see TERMINAL_UNSAFE) is shown as
 * an escape (`\x1b`, `\x00`, `\u202e`) instead of being acted on. `keep: 'newline-tab'` leaves `\n` and
 * `\t` as they are (a block of lines the caller built); by default they are escaped too, so text from a
 * user's file can never start a line of its own that looks like the tool's. Use it on everything printed
 * for a person that may hold text from a user's file: names, messages quoting the file, paths.
 */
export function printable(text: string, keep: 'none' | 'newline-tab' = 'none'): string {
  return text.replace(keep === 'none' ? TERMINAL_UNSAFE : UNSAFE_KEEPING_NEWLINE_TAB, escapeChar);
}

/**
 * `JSON.stringify(value)` with the characters JSON allows raw but a terminal acts on (DEL, C1, bidi
 * controls, U+2028/2029) written as `\u` escapes: the same JSON value, safe to print. (They can only
 * occur inside strings, where `\uXXXX` means the same character.)
 */
export function printableJson(value: unknown): string {
  return JSON.stringify(value).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
