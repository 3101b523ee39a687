import { formatSummary } from '../output/console-summary.js';
import { mergeSegments } from '../runtime/merge-segments.js';

/**
 * `simulate merge`: merges the results of a segmented run's generators into
 * `out` (runtime/merge-segments.ts), prints the merged summary and what the
 * merge settled, and returns the merged verdict's exit code.
 */
export function runMerge(
  files: readonly string[],
  out: string,
  write: (s: string) => void,
  warn: (s: string) => void,
  opts: { allowPartial?: boolean } = {},
): number {
  const result = mergeSegments(files, {
    out,
    onWarning: warn,
    ...(opts.allowPartial !== undefined ? { allowPartial: opts.allowPartial } : {}),
  });
  write(formatSummary(result.summary));
  write(
    `merged ${result.segments} summaries (${result.settled} ids settled across segments, ${result.newViolations} new violations): ${result.resultsDir}\n`,
  );
  return result.exitCode;
}
