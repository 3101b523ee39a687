// `simulate compare <baseline> <current> [--tolerance 10%] [--confidence 95%] [--format table|markdown]`:
// reads two summary.json files, prints what regressed, and exits 1 on a
// regression so a CI job can gate a merge on "no slower than main".
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { computeComparison } from '../core/compare.js';
import type { ComparableSummary } from '../core/compare-types.js';
import { SimError } from '../core/sim-error.js';
import { READABLE_SUMMARY_SCHEMAS } from '../core/summary.js';
import { parseFraction } from '../core/units.js';
import { EXIT_CODE } from '../core/verdict.js';
import { formatComparisonMarkdown, formatComparisonTable } from '../output/compare-format.js';

/** Flags of `simulate compare`, as commander hands them over. */
export interface CompareFlags {
  /** `10%` or `0.1`; default 10%. */
  tolerance?: string;
  /** Two-sided confidence of the intervals: `95%` or `0.95`; default 95%. */
  confidence?: string;
  /** `table` (default) or `markdown` (a pull-request comment). */
  format?: string;
}

const DEFAULT_TOLERANCE = '10%';
const DEFAULT_CONFIDENCE = '95%';
// Below 80% a gate fails on one run in ten of pure noise; at 99.9% and above the bootstrap's own tails run out of draws.
const MIN_CONFIDENCE = 0.8;
const MAX_CONFIDENCE = 0.999;
const FORMATS = ['table', 'markdown'] as const;

/**
 * Runs `simulate compare`: prints the comparison with `write` and returns the
 * exit code (1 when any figure regressed beyond the tolerance with its whole
 * confidence interval, else 0; inconclusive figures never fail). Bad flags
 * and unreadable or foreign files throw SimError('INPUT') naming them.
 */
export function runCompare(
  baseFile: string,
  currentFile: string,
  opts: CompareFlags,
  write: (s: string) => void,
): number {
  const tolerance = parseTolerance(opts.tolerance ?? DEFAULT_TOLERANCE);
  const confidence = parseConfidence(opts.confidence ?? DEFAULT_CONFIDENCE);
  const format = opts.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new SimError('INPUT', `--format "${format}" is not a format; expected one of ${FORMATS.join(', ')}`);
  }
  // Both files are read before printing anything, so a bad second file does not leave half an output.
  const base = readSummaryFile(baseFile, 'baseline');
  const current = readSummaryFile(currentFile, 'current');
  const comparison = computeComparison(base, current, tolerance, { confidence });
  write(format === 'markdown' ? formatComparisonMarkdown(comparison) : formatComparisonTable(comparison));
  return comparison.verdict === 'regression' ? EXIT_CODE.thresholdFailed : EXIT_CODE.ok;
}

/**
 * Parses `--tolerance`. A plain number above 1 is refused rather than read as
 * a fraction: `--tolerance 10` almost always means 10%, not 1000%, and a
 * silently lax CI gate is the worst outcome.
 */
export function parseTolerance(text: string): number {
  const value = parseFraction(text);
  if (value === undefined || !Number.isFinite(value)) {
    throw new SimError(
      'INPUT',
      `--tolerance "${text}" is not a tolerance; expected a percentage such as 10% or a fraction such as 0.1`,
    );
  }
  if (!text.includes('%') && value > 1) {
    throw new SimError('INPUT', `--tolerance "${text}" is ambiguous`, {
      hint: `write ${text}% for ${text} percent, or ${value / 100} as a fraction`,
    });
  }
  return value;
}

/**
 * Parses `--confidence`, the two-sided confidence of every interval: `95%`
 * or `0.95`, from 80% to 99.9%. A bare `95` is refused like a bare tolerance.
 */
export function parseConfidence(text: string): number {
  const value = parseFraction(text);
  if (value === undefined || !Number.isFinite(value)) {
    throw new SimError(
      'INPUT',
      `--confidence "${text}" is not a confidence; expected a percentage such as 95% or a fraction such as 0.95`,
    );
  }
  if (!text.includes('%') && value > 1) {
    throw new SimError('INPUT', `--confidence "${text}" is ambiguous`, {
      hint: `write ${text}% for ${text} percent, or ${value / 100} as a fraction`,
    });
  }
  if (value < MIN_CONFIDENCE || value > MAX_CONFIDENCE) {
    throw new SimError(
      'INPUT',
      `--confidence "${text}" is out of range; expected ${MIN_CONFIDENCE * 100}% to ${MAX_CONFIDENCE * 100}%`,
    );
  }
  return value;
}

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
