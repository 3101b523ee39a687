// `simulate compare <baseline> <current> [--tolerance 10%] [--confidence 95%] [--format table|markdown]`:
// reads two summary.json files, prints what regressed, and exits 1 on a
// regression so a CI job can gate a merge on "no slower than main".
import { readSummaryFile } from '../config/read-summary-file.js';
import { computeComparison } from '../core/compare.js';
import { parseConfidence, parseTolerance } from '../core/compare-options.js';
import { SimError } from '../core/sim-error.js';
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
