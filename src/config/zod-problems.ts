import type { z } from 'zod';
import { didYouMean, type PathParts } from './flow-parser.js';
import { REQUIRED } from './field-schemas.js';

/** Reports a problem at a YAML path (the loader turns it into file:line:column). */
export type At = (path: PathParts, message: string, atKey?: boolean) => void;

/** The value at a zod issue path inside parsed YAML. */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur = value;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** A short description of a YAML value for messages. */
function describeValue(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'a mapping';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The keys an object schema accepts at `path` inside `schema`, for "did you mean". */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let cur: unknown = schema;
  const unwrap = (s: unknown): unknown => {
    for (let i = 0; i < 8; i++) {
      const def = (s as { def?: { type?: string; innerType?: unknown; in?: unknown; options?: unknown[] } }).def;
      if (!def) return s;
      if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default') s = def.innerType;
      else if (def.type === 'pipe') s = def.in;
      else if (def.type === 'union')
        s = def.options?.find((o) => (o as { def?: { type?: string } }).def?.type === 'object') ?? s;
      else return s;
      if (def.type === 'union') return s;
    }
    return s;
  };
  for (const part of [...path, undefined]) {
    cur = unwrap(cur);
    const def = (
      cur as { def?: { type?: string; shape?: Record<string, unknown>; element?: unknown; valueType?: unknown } }
    ).def;
    if (part === undefined) return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
    if (def?.type === 'object' && def.shape) cur = def.shape[String(part)];
    else if (def?.type === 'array') cur = def.element;
    else if (def?.type === 'record') cur = def.valueType;
    else return undefined;
    if (cur === undefined) return undefined;
  }
  return undefined;
}

/** Runs a zod schema, turning its issues into located problems; undefined on failure. `knownKeys` feeds "did you mean" where the schema cannot tell. */
export function parseWith<T extends z.ZodType>(
  schema: T,
  value: unknown,
  base: PathParts,
  at: At,
  knownKeys: readonly string[],
): z.infer<T> | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const path = [...base, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    if (issue.code === 'unrecognized_keys') {
      const candidates = keysAt(schema, issue.path) ?? knownKeys;
      for (const key of issue.keys) at([...path, key], `unknown key "${key}"${didYouMean(key, candidates)}`, true);
    } else if (
      issue.message === REQUIRED ||
      (issue.code === 'invalid_type' && valueAt(value, issue.path) === undefined)
    ) {
      at(path, `"${String(path[path.length - 1])}" is required`);
    } else if (issue.code === 'invalid_type') {
      const expected =
        issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`;
      at(path, `expected ${expected}, got ${describeValue(valueAt(value, issue.path))}`);
    } else if (issue.code === 'invalid_union') {
      at(path, 'expected an expression such as "p(95) < 500ms", a list of them, or { threshold, abortOnFail, delay }');
    } else {
      at(path, issue.message);
    }
  }
  return undefined;
}
