// Baseline-versus-current comparison of two summaries, for `simulate compare`
// in CI: which figures got worse beyond a tolerance (a regression fails the
// build), which got better, which cannot be judged from the samples there
// are, and what changed without being judged. Pure: the CLI reads the files,
// this does the statistics and says why in data (RowReason, Caveat);
// src/output/compare-format.ts writes the text.
//
// This file picks the figures (trends, counters, error rate, isolation), which
// way each gets worse and what the reader should know; compare-rows.ts judges
// each row and keeps run-to-run noise from failing a build; compare-types.ts
// holds the result's types.
import { compareRate, compareTrend, judgeByThreshold, judgeIsolation, type Judge } from './compare-rows.js';
import type {
  Caveat,
  ComparableSummary,
  ComparedRun,
  Comparison,
  ComparisonRow,
  Direction,
  RowStatus,
} from './compare-types.js';
import { computeHostNoiseMs, computeSaturation, HOST_NOISE_FACTOR } from './host-noise.js';
import { computeSteadyWindow, computeWindowCount, type SteadyWindow } from './rate-comparison.js';
import type { CounterSummary, TrendSummary } from './summary.js';

/** Settings of {@link computeComparison} besides the tolerance. */
export interface CompareOptions {
  /** Two-sided confidence of the intervals (0.95 default). */
  readonly confidence?: number;
  /** Bootstrap resamples per percentile and side (2000 default). */
  readonly resamples?: number;
}

/** Default two-sided confidence of the intervals. */
const DEFAULT_CONFIDENCE = 0.95;
/** Default bootstrap resamples: the 2.5% tail of 2000 draws rests on 50 of them. */
const DEFAULT_RESAMPLES = 2000;
// Error rate floor (as before): 0.1 percentage point and more than one failed operation.
const ERROR_RATE_FLOOR = 0.001;
const LOWER_IS_WORSE: ReadonlySet<string> = new Set([
  'runs.completed',
  'iterations',
  'http.requests',
  'ws.frames_received',
]);
const HIGHER_IS_WORSE: ReadonlySet<string> = new Set([
  'errors',
  'dropped',
  'runs.failed',
  'runs.timed_out',
  'isolation.violations',
  'lifecycle.violations',
]);
// What a saturated generator (summary.generator.saturated) cannot measure beside short latencies: it starts
// fewer iterations, drops arrivals and times runs out itself. Failures the target reports (runs.failed,
// errors by rate, leaks, lifecycle) are still judged.
const GENERATOR_BOUND_COUNTERS: ReadonlySet<string> = new Set([...LOWER_IS_WORSE, 'dropped', 'runs.timed_out']);

/**
 * Compares `current` against `base`. Trends present in both compare p50, p95
 * and p99 by bootstrap over their histograms; counters compare their rate per
 * second of steady state (a counter missing from a summary counts as 0:
 * summaries only list counters that were touched); then the error rate and
 * the isolation violation count. `tolerance` is a fraction (0.1 = 10%).
 */
export function computeComparison(
  base: ComparableSummary,
  current: ComparableSummary,
  tolerance: number,
  options: CompareOptions = {},
): Comparison {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const saturated = computeSaturation(base, current);
  const judge: Judge = { tolerance, confidence, resamples };
  const rows: ComparisonRow[] = [];
  const caveats: Caveat[] = [];
  const mixedSchemas = base.schema !== current.schema;

  for (const name of sortedUnion(base, current, 'trend')) {
    const b = base.metrics[name] as TrendSummary | undefined;
    const c = current.metrics[name] as TrendSummary | undefined;
    if (!b || !c) {
      caveats.push({ kind: 'one-side-only', metric: name, side: b ? 'baseline' : 'current run' });
      continue;
    }
    const hostNoiseMs = (q: number): number =>
      HOST_NOISE_FACTOR * Math.max(computeHostNoiseMs(base, name, q), computeHostNoiseMs(current, name, q));
    rows.push(...compareTrend(name, b, c, hostNoiseMs, judge, saturated));
  }

  const steadyBase = computeSteadyWindow(base.series ?? [], base.durationMs);
  const steadyCurrent = computeSteadyWindow(current.series ?? [], current.durationMs);
  for (const name of sortedUnion(base, current, 'counter')) {
    const wb = computeWindowCount(base.series ?? [], name, steadyBase, counterValue(base, name));
    const wc = computeWindowCount(current.series ?? [], name, steadyCurrent, counterValue(current, name));
    const direction: Direction = HIGHER_IS_WORSE.has(name)
      ? 'higher-is-worse'
      : LOWER_IS_WORSE.has(name)
        ? 'lower-is-worse'
        : 'info';
    const row =
      saturated !== undefined && GENERATOR_BOUND_COUNTERS.has(name)
        ? {
            ...compareRate(name, wb, wc, 'info', judge),
            direction,
            status: 'inconclusive' as const,
            reason: { kind: 'generator-paced', side: saturated.side } as const,
          }
        : compareRate(name, wb, wc, direction, judge);
    rows.push(
      mixedSchemas && name === 'isolation.violations' && row.status !== 'info'
        ? { ...row, status: 'info', reason: { kind: 'schemas-differ' } }
        : row,
    );
  }

  const ops = counterValue(current, 'operations');
  const errorFloor = Math.max(ERROR_RATE_FLOOR, ops > 0 ? 1 / ops : 0);
  rows.push(
    judgeByThreshold(
      'errors',
      'error rate',
      'fraction',
      base.errors.rate,
      current.errors.rate,
      'higher-is-worse',
      tolerance,
      errorFloor,
    ),
  );
  rows.push(judgeIsolation(base, current, tolerance, mixedSchemas));

  caveats.push(...collectCaveats(base, current, steadyBase, steadyCurrent));

  const count = (s: RowStatus): number => rows.filter((r) => r.status === s).length;
  const regressions = count('regression');
  return {
    tolerance,
    confidence,
    resamples,
    base: describeRun(base, steadyBase),
    current: describeRun(current, steadyCurrent),
    rows,
    regressions,
    improvements: count('improvement'),
    inconclusive: count('inconclusive'),
    verdict: regressions > 0 ? 'regression' : 'ok',
    caveats,
  };
}

function collectCaveats(
  base: ComparableSummary,
  current: ComparableSummary,
  steadyBase: SteadyWindow,
  steadyCurrent: SteadyWindow,
): Caveat[] {
  const caveats: Caveat[] = [];
  if (base.scenario.name !== current.scenario.name)
    caveats.push({ kind: 'different-scenarios', base: base.scenario.name, current: current.scenario.name });
  else if (base.scenario.sha256 !== current.scenario.sha256) caveats.push({ kind: 'scenario-changed' });
  if (base.target.url !== current.target.url && !(base.target.embedded && current.target.embedded))
    caveats.push({ kind: 'different-targets', base: base.target.url, current: current.target.url });
  if (base.schema !== current.schema)
    caveats.push({ kind: 'schemas-differ', base: base.schema, current: current.schema });
  for (const [side, s] of [
    ['baseline', base],
    ['current run', current],
  ] as const) {
    if (s.verdict === 'untested') caveats.push({ kind: 'untested', side });
    if (s.generator.saturated) caveats.push({ kind: 'saturated', side, lagMs: s.generator.loopLagP99Ms });
    if (s.interrupted) caveats.push({ kind: 'interrupted', side });
  }
  caveats.push({ kind: 'steady-windows', base: steadyBase, current: steadyCurrent });
  return caveats;
}

function sortedUnion(a: ComparableSummary, b: ComparableSummary, type: 'trend' | 'counter'): string[] {
  const names = new Set<string>();
  for (const s of [a, b]) for (const [name, m] of Object.entries(s.metrics)) if (m.type === type) names.add(name);
  return [...names].sort((x, y) => x.localeCompare(y));
}

function counterValue(s: ComparableSummary, name: string): number {
  const m = s.metrics[name] as CounterSummary | undefined;
  return m && m.type === 'counter' ? m.value : 0;
}

function describeRun(s: ComparableSummary, steady: SteadyWindow): ComparedRun {
  return {
    scenario: s.scenario.name,
    startedAt: s.startedAt,
    durationMs: s.durationMs,
    exitCode: s.exitCode,
    schema: s.schema,
    steady,
  };
}
