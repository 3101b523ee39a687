// Loading an adapter: finding it (a built-in by name, or a file relative to
// the scenario), reading its YAML with problems located by line and path,
// merging what it `extends`, then validating it and compiling it
// (compile-adapter.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import type { Adapter } from '../core/adapter.js';
import { SimError, type InputProblem } from '../core/sim-error.js';
import { adapterSchema, ADAPTER_KEYS } from './adapter-schema.js';
import { compileAdapter, type AdapterParamsSource } from './compile-adapter.js';
import { locate } from './yaml-locator.js';
import { parseWith, type At } from './zod-problems.js';

/** The folder of built-in adapters (`adapters/` of this installation), found upward from this file (dist/src/config or dist/bundle). */
function findBuiltinDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'adapters', 'crosstalk.yaml'))) return join(dir, 'adapters');
  }
  return undefined;
}

/** Names of the built-in adapters (`api: <name>`). */
function listBuiltinAdapters(): string[] {
  const dir = findBuiltinDir();
  return dir
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => f.slice(0, -5))
        .sort()
    : [];
}

/** True when `api` names a built-in adapter rather than a file. */
function isBuiltinName(api: string): boolean {
  return /^[a-z][a-z0-9-]*$/.test(api);
}

/** The file an `api` value names: a built-in by name, or a path relative to `fromDir`. */
function resolveAdapterFile(api: string, fromDir: string): string | undefined {
  if (isBuiltinName(api)) {
    const dir = findBuiltinDir();
    const f = dir ? join(dir, `${api}.yaml`) : undefined;
    return f && existsSync(f) ? f : undefined;
  }
  const f = resolve(fromDir, api);
  return existsSync(f) ? f : undefined;
}

/** An adapter document read from disk, `extends` already merged. */
interface AdapterDocument {
  readonly file: string;
  readonly value: Record<string, unknown>;
  readonly at: At;
}

/** Objects merge key by key (the child's win); lists and scalars are replaced. */
function merge(base: unknown, over: unknown): unknown {
  if (
    base &&
    over &&
    typeof base === 'object' &&
    typeof over === 'object' &&
    !Array.isArray(base) &&
    !Array.isArray(over)
  ) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
    return out;
  }
  return over;
}

/** Reads an adapter file and, through `extends`, its bases (`seen`: the files that extend it, to catch a circle). */
function readAdapterDocument(
  file: string,
  problems: InputProblem[],
  seen: readonly string[] = [],
): AdapterDocument | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    problems.push({ file, message: 'cannot read adapter file' });
    return undefined;
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  for (const e of doc.errors) {
    const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
    problems.push({
      file,
      ...(pos ? { line: pos.line, column: pos.col } : {}),
      message: `YAML syntax: ${e.message.split('\n')[0]}`,
    });
  }
  if (doc.errors.length) return undefined;
  const at: At = (path, message, atKey = false) => {
    problems.push(locate(doc, lc, file, path, message, atKey));
  };
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push({
      file,
      line: 1,
      column: 1,
      message: 'expected an adapter: a mapping with at least "adapter" (its name) and "transports"',
    });
    return undefined;
  }
  const obj = value as Record<string, unknown>;
  const ext = obj.extends;
  if (ext === undefined) return { file, value: obj, at };
  if (typeof ext !== 'string' || ext === '') {
    at(['extends'], 'expected the name of a built-in adapter or the path of an adapter file');
    return undefined;
  }
  const baseFile = resolveAdapterFile(ext, dirname(file));
  if (!baseFile) {
    at(
      ['extends'],
      `no adapter "${ext}": expected a built-in (${listBuiltinAdapters().join(', ')}) or an adapter file relative to ${dirname(file)}`,
    );
    return undefined;
  }
  if (seen.includes(baseFile) || baseFile === file) {
    at(['extends'], `adapters extend each other in a circle (${[...seen, file, baseFile].join(' → ')})`);
    return undefined;
  }
  const base = readAdapterDocument(baseFile, problems, [...seen, file]);
  if (!base) return undefined;
  const { extends: _dropped, ...own } = obj;
  const { extends: _baseExt, ...baseValue } = base.value;
  return { file, value: merge(baseValue, own) as Record<string, unknown>, at };
}

/**
 * Reads, validates and compiles an adapter (`api`: a built-in name or a file
 * relative to `fromDir`). Adapter problems are thrown at once as a
 * SimError('INPUT') naming the adapter file, line and path; problems with
 * the scenario's parameters are reported through `params.at`.
 */
export function loadAdapter(api: string, fromDir: string, params?: AdapterParamsSource): Adapter {
  const file = resolveAdapterFile(api, fromDir);
  if (!file) {
    throw new SimError('INPUT', `no adapter "${api}"`, {
      hint: `target.api is a built-in adapter (${listBuiltinAdapters().join(', ')}) or the path of an adapter YAML file, relative to the scenario`,
    });
  }
  return loadAdapterFile(file, isBuiltinName(api) ? 'built-in' : file, params);
}

/** Like {@link loadAdapter} for a file path (`simulate validate adapter.yaml`). */
export function loadAdapterFile(file: string, source: string = file, params?: AdapterParamsSource): Adapter {
  const problems: InputProblem[] = [];
  const doc = readAdapterDocument(file, problems);
  const raw = doc ? parseWith(adapterSchema, doc.value, [], doc.at, ADAPTER_KEYS) : undefined;
  const adapter = raw && doc ? compileAdapter(raw, source, doc.at, params) : undefined;
  if (problems.length || !adapter)
    throw new SimError('INPUT', `invalid adapter ${file}`, {
      problems,
      hint: 'see README "Testing your own backend" for what an adapter holds',
    });
  return adapter;
}
