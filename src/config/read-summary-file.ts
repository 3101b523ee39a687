// Reads the summary.json files `compare` judges, checking they are crosstalk summaries with the fields it reads.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ComparableSummary } from '../core/compare-types.js';
import { SimError } from '../core/sim-error.js';
import { READABLE_SUMMARY_SCHEMAS } from '../core/summary.js';

/**
 * Reads the summary.json `compare` judges, or the one inside a results folder
 * (CI artifacts are usually whole folders). Unreadable, foreign or truncated
 * files throw SimError('INPUT') naming the file and its role.
 */
export function readSummaryFile(file: string, role: 'baseline' | 'current'): ComparableSummary {
  let path = file;
  let text: string;
  try {
    if (statSync(file).isDirectory()) path = join(file, 'summary.json');
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new SimError('INPUT', `cannot read the ${role} summary ${path}: ${why}`, {
      hint: 'pass the summary.json (or the results folder) that `simulate run` wrote',
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SimError('INPUT', `${path} (${role}) is not JSON: ${(err as Error).message}`);
  }
  const schema = (doc as { schema?: unknown } | null)?.schema;
  if (typeof schema !== 'string' || !READABLE_SUMMARY_SCHEMAS.includes(schema)) {
    const expected = READABLE_SUMMARY_SCHEMAS.map((s) => JSON.stringify(s)).join(' or ');
    throw new SimError(
      'INPUT',
      `${path} (${role}) is not a crosstalk summary: schema is ${schema === undefined ? 'missing' : JSON.stringify(schema)}, expected ${expected}`,
    );
  }
  const missing = missingFields(doc as Record<string, unknown>);
  if (missing.length)
    throw new SimError('INPUT', `${path} (${role}) is an incomplete crosstalk summary: missing ${missing.join(', ')}`);
  return doc as ComparableSummary;
}

// The fields compare reads; checked so a truncated or hand-edited file is an input error, not a crash.
function missingFields(doc: Record<string, unknown>): string[] {
  const at = (p: string): unknown =>
    p
      .split('.')
      .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), doc);
  const wanted: [string, string][] = [
    ['metrics', 'object'],
    ['errors.rate', 'number'],
    ['isolation.violations', 'number'],
    ['durationMs', 'number'],
    ['scenario.name', 'string'],
    ['startedAt', 'string'],
    ['exitCode', 'number'],
    ['generator', 'object'],
    ['target', 'object'],
  ];
  return wanted.filter(([p, type]) => typeof at(p) !== type || at(p) === null).map(([p]) => p);
}
