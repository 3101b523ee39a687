// `simulate compare <baseline> <current> [--tolerance 10%] [--format table|markdown]`:
// reads two summary.json files, prints what regressed, and exits 1 on a
// regression so a CI job can gate a merge on "no slower than main".
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { computeComparison, formatComparisonMarkdown, formatComparisonTable } from '../core/compare.js';
import { SimError } from '../core/sim-error.js';
import { READABLE_SUMMARY_SCHEMAS, type Summary } from '../core/summary.js';
import { parseFraction } from '../core/units.js';
import { EXIT } from './exit-codes.js';

/** Flags of `simulate compare`, as commander hands them over. */
export interface CompareFlags {
  /** `10%` or `0.1`; default 10%. */
  tolerance?: string;
  /** `table` (default) or `markdown` (a pull-request comment). */
  format?: string;
}

const DEFAULT_TOLERANCE = '10%';
const FORMATS = ['table', 'markdown'] as const;

/**
 * Runs `simulate compare`: prints the comparison with `write` and returns the
 * exit code (1 when any figure regressed beyond the tolerance, else 0). Bad
 * flags and unreadable or foreign files throw SimError('INPUT') naming them.
 */
export function runCompare(baseFile: string, currentFile: string, opts: CompareFlags, write: (s: string) => void): number {
  const tolerance = parseTolerance(opts.tolerance ?? DEFAULT_TOLERANCE);
  const format = opts.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new SimError('INPUT', `--format "${format}" is not a format; expected one of ${FORMATS.join(', ')}`);
  }
  // Both files are read before printing anything, so a bad second file does not leave half an output.
  const base = readSummaryFile(baseFile, 'baseline');
  const current = readSummaryFile(currentFile, 'current');
  const comparison = computeComparison(base, current, tolerance);
  write(format === 'markdown' ? formatComparisonMarkdown(comparison) : formatComparisonTable(comparison));
  return comparison.verdict === 'regression' ? EXIT.thresholdFailed : EXIT.ok;
}

/**
 * Parses `--tolerance`. A plain number above 1 is refused rather than read as
 * a fraction: `--tolerance 10` almost always means 10%, not 1000%, and a
 * silently lax CI gate is the worst outcome.
 */
export function parseTolerance(text: string): number {
  const value = parseFraction(text);
  if (value === undefined || !Number.isFinite(value)) {
    throw new SimError('INPUT', `--tolerance "${text}" is not a tolerance; expected a percentage such as 10% or a fraction such as 0.1`);
  }
  if (!text.includes('%') && value > 1) {
    throw new SimError('INPUT', `--tolerance "${text}" is ambiguous`, { hint: `write ${text}% for ${text} percent, or ${value / 100} as a fraction` });
  }
  return value;
}

// Accepts a results folder as well as the file inside it, since CI artifacts are usually whole folders.
function readSummaryFile(file: string, role: 'baseline' | 'current'): Summary {
  let path = file;
  let text: string;
  try {
    if (statSync(file).isDirectory()) path = join(file, 'summary.json');
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new SimError('INPUT', `cannot read the ${role} summary ${path}: ${why}`, { hint: 'pass the summary.json (or the results folder) that `simulate run` wrote' });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SimError('INPUT', `${path} (${role}) is not JSON: ${(err as Error).message}`);
  }
  const schema = (doc as { schema?: unknown } | null)?.schema;
  if (!READABLE_SUMMARY_SCHEMAS.includes(schema as string)) {
    throw new SimError('INPUT', `${path} (${role}) is not a crosstalk summary: schema is ${schema === undefined ? 'missing' : JSON.stringify(schema)}, expected ${READABLE_SUMMARY_SCHEMAS.map((x) => `"${x}"`).join(' or ')}`);
  }
  const missing = missingFields(doc as Record<string, unknown>);
  if (missing.length) throw new SimError('INPUT', `${path} (${role}) is an incomplete crosstalk summary: missing ${missing.join(', ')}`);
  return doc as Summary;
}

// The fields compare reads; checked so a truncated or hand-edited file is an input error, not a crash.
function missingFields(doc: Record<string, unknown>): string[] {
  const at = (p: string): unknown => p.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), doc);
  const wanted: [string, string][] = [
    ['metrics', 'object'], ['errors.rate', 'number'], ['isolation.violations', 'number'], ['durationMs', 'number'],
    ['scenario.name', 'string'], ['startedAt', 'string'], ['exitCode', 'number'], ['generator', 'object'], ['target', 'object'],
  ];
  return wanted.filter(([p, type]) => typeof at(p) !== type || at(p) === null).map(([p]) => p);
}
