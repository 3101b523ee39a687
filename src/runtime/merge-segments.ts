// `simulate merge`'s work without the command line: reads the results of a
// segmented run's generators, adds them into one summary and judges it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PendingObservation } from '../core/pending-observations.js';
import { mergeCoverageFloors, type CoverageFloor } from '../core/coverage.js';
import { ALL_KINDS } from '../core/metric-names.js';
import { MetricRegistry } from '../core/metric-registry.js';
import { parseSegment } from '../core/segment.js';
import { SimError } from '../core/sim-error.js';
import { createSummarySource, mergeSummaries } from '../core/summary-merge.js';
import { judgeSummary, READABLE_SUMMARY_SCHEMAS, upgradeSummary, type Summary } from '../core/summary.js';
import { judgeThreshold, parseThreshold } from '../core/thresholds.js';
import type { Violation } from '../core/violation.js';
import { readOwnershipFile, type OwnershipFile } from '../output/ownership-file.js';
import { writeResultFiles } from '../output/result-files.js';
import { createResultsDir } from '../output/results-dir.js';
import { createViolationCollector, parseViolationLine, selectViolationLines } from '../output/violation-log.js';
import { settleOwnership } from './ownership-settlement.js';

/** How to merge. */
export interface MergeOptions {
  /** The results folder to create (refused when it holds files). */
  readonly out: string;
  /** Judge a merge that does not cover the scenario exactly once instead of calling it untested. */
  readonly allowPartial?: boolean;
  /** Told why a partial merge is judged anyway (`allowPartial`). */
  readonly onWarning?: (text: string) => void;
}

/** What a merge produced. */
export interface MergeResult {
  readonly summary: Summary;
  readonly resultsDir: string;
  readonly exitCode: number;
  /** Summaries merged. */
  readonly segments: number;
  /** Ids no single generator could own alone, settled against everyone's ledgers. */
  readonly settled: number;
  /** Leaked frames found only by settling those ids. */
  readonly newViolations: number;
}

interface SegmentResults {
  readonly dir: string;
  readonly summary: Summary;
  readonly ownership: OwnershipFile | undefined;
  readonly violations: Violation[];
}

/**
 * Adds the summaries of a segmented run's generators into one (histograms
 * merged, not averaged), settles the ids each generator could not own alone
 * against everyone's ledgers (a leak between users of two segments is
 * reported with its kind), evaluates the thresholds on the whole, and writes
 * summary.json, violations.jsonl, junit.xml and report.html. Segments
 * missing or given twice make the verdict untested (exit 4) unless
 * `allowPartial`: a merge that does not cover the scenario once cannot
 * judge it. `files` are summary.json files or the results folders that hold
 * them; bad input throws SimError('INPUT').
 */
export function mergeSegments(files: readonly string[], opts: MergeOptions): MergeResult {
  const parts = files.map(readSegmentResults);
  const sha = parts[0]!.summary.scenario.sha256;
  const other = parts.find((s) => s.summary.scenario.sha256 !== sha);
  if (other)
    throw new SimError(
      'INPUT',
      `${other.dir} ran another scenario (sha256 ${other.summary.scenario.sha256.slice(0, 12)}…, not ${sha.slice(0, 12)}…)`,
      { hint: 'merge only the segments of one run' },
    );
  const gap = checkSegments(parts);
  if (gap && opts.allowPartial) opts.onWarning?.(`simulate: warning: ${gap} (--allow-partial: judged anyway)\n`);

  // Reconcile: every generator's ledger together settles what each left unowned. A frame that was a violation
  // in its segment stays one line (the settled reason is added to it); one that was not becomes one.
  const counts = new MetricRegistry();
  const collector = createViolationCollector(
    counts,
    () => [],
    parts.flatMap((s) => s.violations),
  );
  let settled = 0;
  const own = parts.map((s) => s.ownership).filter((o): o is OwnershipFile => o !== undefined);
  if (own.length) {
    const pending: PendingObservation[] = own.flatMap((o) => o.unresolved);
    const result = settleOwnership({
      directory: own[0]!.directory,
      runTag: own[0]!.runTag,
      ledgers: own.map((o) => o.ledger),
      pending,
      collector,
      idPrefix: 'merge.',
    });
    settled = pending.length - result.unattributed;
  }
  const added = {
    violations: 0,
    byKind: {} as Record<string, number>,
    byCohort: {} as Record<string, number>,
    settled,
  };
  for (const c of counts.allCounters()) {
    if (c.value === 0) continue;
    if (c.name === 'isolation.violations') {
      added.violations += c.value;
      added.byCohort[c.tags.cohort!] = (added.byCohort[c.tags.cohort!] ?? 0) + c.value;
    } else if (c.tags.kind !== undefined) added.byKind[c.tags.kind] = (added.byKind[c.tags.kind] ?? 0) + c.value;
  }
  const merged = mergeSummaries(
    parts.map((s) => s.summary),
    added,
  );

  // summary.json holds thresholds as written; merge has no scenario to take them parsed from.
  const vocabulary = { cohorts: Object.keys(merged.users.byCohort), kinds: ALL_KINDS };
  const source = createSummarySource(merged);
  const thresholds = parts[0]!.summary.thresholds.map((t) => {
    const p = parseThreshold(t.metric, t.expression, { vocabulary, path: `thresholds.${t.metric}` });
    if (Array.isArray(p))
      return {
        metric: t.metric,
        expression: t.expression,
        actual: null,
        ok: false,
        note: p.map((x) => x.message).join('; '),
      };
    return judgeThreshold(p, source, { connectionless: merged.target.connectionless === true });
  });
  const floor = mergeCoverageFloors(
    parts.map((s) => s.summary.coverage?.floor).filter((f): f is CoverageFloor => f !== undefined),
  );
  const summary = judgeSummary(merged, {
    thresholds,
    floor,
    ...(gap && !opts.allowPartial ? { partial: `${gap} (pass --allow-partial to judge a partial merge)` } : {}),
  });
  const resultsDir = createResultsDir({ out: opts.out, name: summary.scenario.name, startedAtMs: Date.now() });
  writeResultFiles(resultsDir, summary, selectViolationLines(collector.kept).lines);
  return {
    summary,
    resultsDir,
    exitCode: summary.exitCode,
    segments: parts.length,
    settled,
    newViolations: added.violations,
  };
}

/** One segment's summary.json with the ownership.json and violations.jsonl beside it. */
function readSegmentResults(file: string): SegmentResults {
  const path = existsSync(file) && statSync(file).isDirectory() ? join(file, 'summary.json') : file;
  let summary: Summary;
  try {
    summary = JSON.parse(readFileSync(path, 'utf8')) as Summary;
  } catch (err) {
    throw new SimError(
      'INPUT',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      { hint: 'pass the summary.json (or results folder) of each segment' },
    );
  }
  if (!READABLE_SUMMARY_SCHEMAS.includes(summary?.schema))
    throw new SimError('INPUT', `${path} is not a crosstalk summary (schema ${READABLE_SUMMARY_SCHEMAS.join(' or ')})`);
  for (const field of [
    'scenario',
    'metrics',
    'thresholds',
    'isolation',
    'lifecycle',
    'runs',
    'errors',
    'users',
    'generator',
    'series',
    'segment',
    'startedAt',
    'endedAt',
  ] as const) {
    if (summary[field] === undefined || summary[field] === null)
      throw new SimError('INPUT', `${path} has no "${field}"; expected a complete ${summary.schema} document`);
  }
  const dir = dirname(path);
  const ownership = readOwnershipFile(dir);
  const vPath = join(dir, 'violations.jsonl');
  const violations = existsSync(vPath)
    ? readFileSync(vPath, 'utf8')
        .split('\n')
        .map((l, i) => ({ l, i }))
        .filter(({ l }) => l.trim())
        .map(({ l, i }) => {
          const v = parseViolationLine(l);
          if (!v)
            throw new SimError(
              'INPUT',
              `${vPath}:${i + 1}: not a violation line; expected one JSON violation per line`,
            );
          return v;
        })
    : [];
  return { dir, summary: upgradeSummary(summary), ownership, violations };
}

/**
 * What keeps the segments from covering the scenario exactly once: different
 * segment counts, a segment given twice (its users counted twice), or
 * segments missing. Undefined when they cover it once.
 */
function checkSegments(parts: readonly SegmentResults[]): string | undefined {
  const segs = parts.flatMap((s) => s.summary.segment.split(',')).map((t) => parseSegment(t));
  const parsed = segs.filter((s): s is { residue: number; modulus: number } => !('message' in s));
  const n = parsed[0]?.modulus ?? 1;
  if (parsed.some((s) => s.modulus !== n))
    return `the summaries come from different segment counts (${[...new Set(parsed.map((s) => s.modulus))].join(', ')})`;
  const counts = new Map<number, number>();
  for (const s of parsed) counts.set(s.residue, (counts.get(s.residue) ?? 0) + 1);
  const repeated = [...counts].filter(([, c]) => c > 1).map(([r]) => `${r}/${n}`);
  const missing = Array.from({ length: n }, (_, i) => i)
    .filter((i) => !counts.has(i))
    .map((i) => `${i}/${n}`);
  const problems = [
    ...(missing.length
      ? [
          `segment${missing.length === 1 ? '' : 's'} ${missing.join(', ')} missing: the merge covers part of the scenario`,
        ]
      : []),
    ...(repeated.length
      ? [
          `segment${repeated.length === 1 ? '' : 's'} ${repeated.join(', ')} given more than once: ${repeated.length === 1 ? 'its' : 'their'} users would count twice`,
        ]
      : []),
  ];
  return problems.length ? problems.join('; ') : undefined;
}
