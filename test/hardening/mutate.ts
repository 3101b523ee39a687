// Seeded mutations of valid scenario files, for the property test. Structural
// mutations edit the YAML document (keys, values, nesting) and keep comments
// and layout; textual ones cut, insert and swap bytes and lines. No side
// effects at import time.
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  Scalar,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { Rng } from './prng.js';

/** A valid scenario to start from. */
export interface Source {
  readonly name: string;
  readonly text: string;
}

/** One mutated scenario: how it was made and its text. */
export interface Mutant {
  readonly seed: number;
  readonly source: string;
  readonly ops: readonly string[];
  readonly text: string;
}

/** Values of every type a scalar may be replaced with. */
export const VALUE_POOL: readonly unknown[] = [
  0,
  1,
  7,
  3.5,
  -1,
  -1000,
  -0.5,
  1e308,
  Number.MAX_SAFE_INTEGER + 2,
  2 ** 31,
  Number.POSITIVE_INFINITY,
  Number.NaN,
  'abc',
  '',
  ' ',
  'ünïcødé ✓ 🚀 日本語',
  '\u202egnp.exe',
  'nul\u0000byte',
  '{{usr}}',
  '{{thread}}',
  '{{',
  '}}{{user}',
  '-5s',
  '0s',
  '0ms',
  '1e999s',
  `${'9'.repeat(400)}s`,
  '5/s',
  '0/s',
  '-3/s',
  'p(95) < 1s',
  'p(0) < 1s',
  'rate < 0.01',
  'http://127.0.0.1:1',
  'ftp://x',
  'ws://x',
  'not a url',
  'x'.repeat(5000),
  true,
  false,
  null,
  [],
  [1, 'x'],
  [null],
  [[[]]],
  ['connect'],
  [{ think: '1s' }],
  {},
  { a: 1 },
  { threshold: 'p(95) < 1s', abortOnFail: 'yes' },
  { duration: '1s' },
  { users: 2 },
  { rate: '5/s' },
  { '': 1 },
];

/** Characters that matter to YAML, plus a few that matter to nobody. */
const CHAR_POOL: readonly string[] = [
  ':',
  '-',
  '{',
  '}',
  '[',
  ']',
  ',',
  '#',
  '&',
  '*',
  '!',
  '|',
  '>',
  '%',
  '@',
  '`',
  '"',
  "'",
  '?',
  '\t',
  '\n',
  '\r',
  ' ',
  '\u0000',
  '\u00a0',
  '\ufeff',
  'é',
  '🚀',
  '\\',
  '/',
  '=',
  '0',
  'x',
];

const STRUCTURAL = ['deleteKey', 'renameKey', 'replaceValue', 'duplicateKey', 'nestDeeper'] as const;
const TEXTUAL = ['truncate', 'insertChar', 'swapLines'] as const;

interface Slot {
  /** The map holding the pair, or the list holding the item. */
  readonly parent: YAMLMap | YAMLSeq;
  /** Index in parent.items. */
  readonly index: number;
}

function collectSlots(doc: Document): Slot[] {
  const slots: Slot[] = [];
  const walk = (node: unknown): void => {
    if (isMap(node)) {
      node.items.forEach((pair, index) => {
        slots.push({ parent: node, index });
        walk(pair.value);
      });
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        slots.push({ parent: node, index });
        walk(item);
      });
    }
  };
  walk(doc.contents);
  return slots;
}

/** A plausible typo of `word`. */
export function typo(word: string, rng: Rng): string {
  if (word.length === 0) return 'x';
  const i = rng.int(word.length);
  switch (rng.int(6)) {
    case 0:
      return word.length > 1 ? word.slice(0, i) + word.slice(i + 1) : `${word}x`; // drop a char
    case 1:
      return word.slice(0, i) + word[i] + word.slice(i); // double a char
    case 2: {
      // swap two neighbours
      const j = Math.min(i, word.length - 2);
      return j < 0 ? `${word}s` : word.slice(0, j) + word[j + 1] + word[j] + word.slice(j + 2);
    }
    case 3:
      return word.slice(0, i) + String.fromCharCode(97 + rng.int(26)) + word.slice(i + 1); // change a char
    case 4:
      return word[0]!.toUpperCase() + word.slice(1);
    default:
      return `${word}s`;
  }
}

function setSlot(doc: Document, slot: Slot, value: unknown): void {
  const node = doc.createNode(value) as Node;
  if (isMap(slot.parent)) (slot.parent.items[slot.index] as Pair).value = node;
  else slot.parent.items[slot.index] = node;
}

function getSlot(slot: Slot): unknown {
  const item = slot.parent.items[slot.index];
  return isPair(item) ? item.value : item;
}

function keyOf(slot: Slot): string | undefined {
  const item = slot.parent.items[slot.index];
  return isPair(item) && isScalar(item.key) ? String(item.key.value) : undefined;
}

/** Applies one structural mutation in place; returns its description, or undefined when it did not apply. */
function mutateDoc(doc: Document, op: (typeof STRUCTURAL)[number], rng: Rng): string | undefined {
  const slots = collectSlots(doc);
  if (slots.length === 0) return undefined;
  const inMaps = slots.filter((s) => isMap(s.parent));
  switch (op) {
    case 'deleteKey': {
      if (!inMaps.length) return undefined;
      const s = rng.pick(inMaps);
      const key = keyOf(s);
      s.parent.items.splice(s.index, 1);
      return `deleteKey ${key}`;
    }
    case 'renameKey': {
      const keyed = inMaps.filter((s) => keyOf(s) !== undefined);
      if (!keyed.length) return undefined;
      const s = rng.pick(keyed);
      const pair = s.parent.items[s.index] as Pair;
      const from = keyOf(s)!;
      const to = typo(from, rng);
      pair.key = new Scalar(to);
      return `renameKey ${from} -> ${to}`;
    }
    case 'replaceValue': {
      // Mostly scalars (the brief: "replace a scalar"), sometimes whole collections.
      const scalars = slots.filter((s) => isScalar(getSlot(s)));
      const s = scalars.length && rng.chance(0.85) ? rng.pick(scalars) : rng.pick(slots);
      const value = rng.pick(VALUE_POOL);
      setSlot(doc, s, value);
      return `replaceValue ${keyOf(s) ?? `[${s.index}]`} = ${describe(value)}`;
    }
    case 'duplicateKey': {
      if (!inMaps.length) return undefined;
      const s = rng.pick(inMaps);
      const pair = s.parent.items[s.index] as Pair;
      (s.parent.items as unknown[]).splice(s.index + 1, 0, pair.clone());
      return `duplicateKey ${keyOf(s)}`;
    }
    case 'nestDeeper': {
      const s = rng.pick(slots);
      const inner = getSlot(s);
      const key = keyOf(s) ?? 'value';
      const shapes = [(v: unknown) => ({ [key]: v }), (v: unknown) => [v], (v: unknown) => ({ value: v })];
      const shape = rng.int(shapes.length);
      const plain = inner && typeof (inner as Node).toJSON === 'function' ? (inner as Node).toJSON() : inner;
      setSlot(doc, s, shapes[shape]!(plain));
      return `nestDeeper ${key} (${['{key: v}', '[v]', '{value: v}'][shape]})`;
    }
  }
}

function mutateText(text: string, op: (typeof TEXTUAL)[number], rng: Rng): { text: string; op: string } {
  switch (op) {
    case 'truncate': {
      const bytes = Buffer.from(text, 'utf8');
      const at = rng.int(bytes.length + 1);
      return { text: bytes.subarray(0, at).toString('utf8'), op: `truncate at byte ${at}` };
    }
    case 'insertChar': {
      const at = rng.int(text.length + 1);
      const ch = rng.pick(CHAR_POOL);
      return { text: text.slice(0, at) + ch + text.slice(at), op: `insertChar ${JSON.stringify(ch)} at ${at}` };
    }
    case 'swapLines': {
      const lines = text.split('\n');
      const a = rng.int(lines.length);
      const b = rng.int(lines.length);
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return { text: lines.join('\n'), op: `swapLines ${a + 1} <-> ${b + 1}` };
    }
  }
}

function describe(v: unknown): string {
  const s = typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 40 ? `${s.slice(0, 37)}...(${s.length})` : s;
}

/**
 * Makes one mutant from `sources` with `seed`: one to three mutations,
 * structural ones first (they need parseable YAML), then textual ones.
 */
export function makeMutant(sources: readonly Source[], seed: number): Mutant {
  const rng = new Rng(seed);
  const source = rng.pick(sources);
  const n = 1 + (rng.chance(0.6) ? 0 : rng.int(3));
  const wanted = Array.from({ length: n }, () => (rng.chance(0.7) ? rng.pick(STRUCTURAL) : rng.pick(TEXTUAL)));
  const structural = wanted.filter((o): o is (typeof STRUCTURAL)[number] =>
    (STRUCTURAL as readonly string[]).includes(o),
  );
  const textual = wanted.filter((o): o is (typeof TEXTUAL)[number] => (TEXTUAL as readonly string[]).includes(o));
  const ops: string[] = [];
  let text = source.text;
  if (structural.length) {
    const doc = parseDocument(text);
    for (const op of structural) {
      const d = mutateDoc(doc, op, rng);
      if (d) ops.push(d);
    }
    try {
      text = doc.toString();
    } catch (err) {
      // The mutator's own limit, not the loader's: fall back to the source text.
      ops.push(`(structural edits dropped: ${(err as Error).message})`);
    }
  }
  for (const op of textual) {
    const r = mutateText(text, op, rng);
    text = r.text;
    ops.push(r.op);
  }
  return { seed, source: source.name, ops, text };
}

/** Command-line overrides for one case: `--set` specs and maybe `--target`. */
export interface OverrideCase {
  readonly seed: number;
  readonly source: string;
  readonly text: string;
  readonly set: readonly string[];
  readonly targetUrl?: string;
}

const TARGET_URLS: readonly string[] = [
  'http://127.0.0.1:1',
  'https://example.com/api/',
  'ftp://x',
  'ws://x',
  '',
  'not a url',
  'http://',
  'http://[::1]:99999',
];
const SET_NOISE: readonly string[] = ['\\', '"', '[', ']', '.', '=', '{', '}', ' ', '\\u', '\\x', '0', '-1', 'é', ''];

function pathsOf(doc: Document): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const walk = (node: unknown, path: Array<string | number>): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        out.push([...path, key]);
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        out.push([...path, i]);
        walk(item, [...path, i]);
      });
    }
  };
  walk(doc.contents, []);
  return out;
}

/** Formats path parts the way `--set` reads them: `a.b[2]["run.total"]`. */
export function formatSetPath(parts: ReadonlyArray<string | number>): string {
  let s = '';
  for (const p of parts) {
    if (typeof p === 'number') s += `[${p}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(p)) s += `${s ? '.' : ''}${p}`;
    else s += `[${JSON.stringify(p)}]`;
  }
  return s;
}

/**
 * Makes `--set` overrides (and sometimes `--target`) for a valid source: real
 * paths, typoed paths, paths with noise characters, and values of every type.
 */
export function makeOverrideCase(sources: readonly Source[], seed: number): OverrideCase {
  const rng = new Rng(seed);
  const source = rng.pick(sources);
  const paths = pathsOf(parseDocument(source.text));
  const set: string[] = [];
  const n = 1 + rng.int(3);
  for (let k = 0; k < n; k++) {
    const parts = [...rng.pick(paths)];
    if (rng.chance(0.3)) parts.push(rng.chance(0.5) ? rng.int(5) : typo(String(rng.pick(paths).at(-1)), rng));
    let path = formatSetPath(parts);
    if (rng.chance(0.3)) {
      const at = rng.int(path.length + 1);
      path = path.slice(0, at) + rng.pick(SET_NOISE) + path.slice(at);
    }
    const v = rng.pick(VALUE_POOL);
    const value = rng.chance(0.2) ? rng.pick(SET_NOISE) : typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null');
    set.push(rng.chance(0.05) ? path : `${path}=${value}`);
  }
  return {
    seed,
    source: source.name,
    text: source.text,
    set,
    ...(rng.chance(0.3) ? { targetUrl: rng.pick(TARGET_URLS) } : {}),
  };
}
