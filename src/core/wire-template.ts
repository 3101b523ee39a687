/**
 * Templates of an adapter's wire: request paths, queries, bodies and
 * outgoing messages, with `{{name}}` placeholders filled per call. A tree is
 * compiled once per adapter; rendering walks the compiled nodes.
 */

/** Names a wire template may use; `params.<name>` names an adapter parameter. */
const WIRE_NAMES = [
  'user',
  'cohort',
  'iteration',
  'thread',
  'content',
  'messageId',
  'run',
  'title',
  'metadata',
  'limit',
  'offset',
  'history',
  'token',
] as const;

/** Values for one rendering; a missing one renders as nothing (and drops its key when it is the whole value). */
export type WireValues = Readonly<Record<string, unknown>>;

type TextPart = string | { readonly name: string };

/** A compiled template tree. */
export type WireNode =
  | { readonly kind: 'lit'; readonly value: unknown }
  | { readonly kind: 'whole'; readonly name: string }
  | { readonly kind: 'text'; readonly parts: readonly TextPart[] }
  | { readonly kind: 'arr'; readonly items: readonly WireNode[] }
  | { readonly kind: 'obj'; readonly entries: ReadonlyArray<readonly [string, WireNode]> };

const TOKEN_RE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE_RE = /^\{\{\s*([^{}]*?)\s*\}\}$/;

/** True for a name a wire template may use. */
function isWireName(name: string, params: ReadonlySet<string>): boolean {
  if (name.startsWith('params.')) return params.has(name.slice(7));
  return (WIRE_NAMES as readonly string[]).includes(name);
}

/** A problem found while compiling, at a path inside the tree. */
export interface WireProblem {
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}

/** Compiles a JSON-like tree; names that are neither wire names nor declared parameters are problems. */
export function compileWireTemplate(
  value: unknown,
  params: ReadonlySet<string>,
  problems: WireProblem[] = [],
  path: Array<string | number> = [],
): WireNode {
  if (typeof value === 'string') {
    const check = (name: string): void => {
      if (!isWireName(name, params)) {
        const known = [...WIRE_NAMES.map((n) => `{{${n}}}`), ...[...params].map((p) => `{{params.${p}}}`)];
        problems.push({
          path: [...path],
          message: `template "{{${name}}}" names nothing; expected one of ${known.join(', ')}`,
        });
      }
    };
    const whole = WHOLE_RE.exec(value);
    if (whole) {
      check(whole[1]!);
      return { kind: 'whole', name: whole[1]! };
    }
    const parts: TextPart[] = [];
    let last = 0;
    for (const m of value.matchAll(TOKEN_RE)) {
      check(m[1]!);
      if (m.index > last) parts.push(value.slice(last, m.index));
      parts.push({ name: m[1]! });
      last = m.index + m[0].length;
    }
    if (last < value.length) parts.push(value.slice(last));
    const literal = parts.filter((p): p is string => typeof p === 'string').join('');
    if (/\{\{|\}\}/.test(literal)) problems.push({ path: [...path], message: `unbalanced "{{" or "}}" in "${value}"` });
    return parts.length === 1 && typeof parts[0] === 'string' ? { kind: 'lit', value } : { kind: 'text', parts };
  }
  if (Array.isArray(value))
    return { kind: 'arr', items: value.map((v, i) => compileWireTemplate(v, params, problems, [...path, i])) };
  if (value !== null && typeof value === 'object') {
    return {
      kind: 'obj',
      entries: Object.entries(value).map(
        ([key, v]) => [key, compileWireTemplate(v, params, problems, [...path, key])] as const,
      ),
    };
  }
  return { kind: 'lit', value };
}

/** True when a compiled tree uses `name` anywhere. */
export function computeUsesName(node: WireNode, name: string): boolean {
  switch (node.kind) {
    case 'lit':
      return false;
    case 'whole':
      return node.name === name;
    case 'text':
      return node.parts.some((p) => typeof p !== 'string' && p.name === name);
    case 'arr':
      return node.items.some((n) => computeUsesName(n, name));
    case 'obj':
      return node.entries.some(([, n]) => computeUsesName(n, name));
  }
}

/** A value as text inside a string template. */
function asText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** Renders a compiled tree; undefined when the whole value is an absent placeholder. */
export function renderWire(node: WireNode, values: WireValues, encode?: (s: string) => string): unknown {
  switch (node.kind) {
    case 'lit':
      return node.value;
    case 'whole': {
      const v = values[node.name];
      return encode && v !== undefined ? encode(asText(v)) : v;
    }
    case 'text': {
      let s = '';
      for (const p of node.parts)
        s += typeof p === 'string' ? p : encode ? encode(asText(values[p.name])) : asText(values[p.name]);
      return s;
    }
    case 'arr': {
      const out: unknown[] = [];
      for (const item of node.items) {
        const v = renderWire(item, values, encode);
        if (v !== undefined) out.push(v);
      }
      return out;
    }
    case 'obj': {
      const out: Record<string, unknown> = {};
      for (const [key, child] of node.entries) {
        const v = renderWire(child, values, encode);
        if (v !== undefined) out[key] = v;
      }
      return out;
    }
  }
}

/** Renders a compiled string template as text (paths, header values). */
export function renderWireText(node: WireNode, values: WireValues, encode?: (s: string) => string): string {
  return asText(renderWire(node, values, encode));
}

/** Reads a dotted path (`a.b.0.c`; '' is the value itself) from a parsed JSON value. */
export function readPath(value: unknown, path: string): unknown {
  if (path === '') return value;
  let cur = value;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}
