// What `simulate compare` produces, as data: one row per compared figure with
// its verdict, why a row was not judged (RowReason), what the reader should
// know (Caveat), and the shape of the summaries it reads. core/compare.ts
// computes a Comparison; output/compare-format.ts words it.
import type { Saturation } from './host-noise.js';
import type { SteadyWindow } from './rate-comparison.js';
import type { Summary } from './summary.js';

/** A summary `compare` reads: `crosstalk.summary/1` (no isolation verdict, no coverage) or `/2`. */
export type ComparableSummary = Omit<Summary, 'isolation'> & {
  readonly isolation: Omit<Summary['isolation'], 'verdict'> & { readonly verdict?: Summary['isolation']['verdict'] };
};

/** Which run of the two a reason or caveat is about. */
export type Side = Saturation['side'];

/**
 * Why a row was not judged (inconclusive), or why a large change did not
 * count. Data, not text: output/compare-format.ts words it.
 */
export type RowReason =
  | { readonly kind: 'not-a-number' }
  | { readonly kind: 'no-histogram'; readonly side: Side }
  /** The generator's stalls (loop lag p99) could move the figure beyond the tolerance on their own. */
  | { readonly kind: 'generator-stalls'; readonly side: Side; readonly lagMs: number; readonly tolerance: number }
  /** A saturated generator set the pace of this counter. */
  | { readonly kind: 'generator-paced'; readonly side: Side }
  | { readonly kind: 'schemas-differ' }
  | {
      readonly kind: 'few-samples';
      readonly base: number;
      readonly current: number;
      readonly need: number;
      readonly stat: string;
    }
  /** The change is within the floor (in the row's unit). */
  | { readonly kind: 'below-floor'; readonly floor: number }
  /** The change (in the row's unit) is within twice the generator's loop lag as the samples were timed. */
  | { readonly kind: 'host-noise'; readonly change: number; readonly lag: number }
  | { readonly kind: 'within-noise' }
  | { readonly kind: 'new-leak' }
  | { readonly kind: 'isolation-untested'; readonly sides: readonly Side[] };

/** Something the reader of a comparison should know; output/compare-format.ts words it. */
export type Caveat =
  | { readonly kind: 'one-side-only'; readonly metric: string; readonly side: Side }
  | { readonly kind: 'different-scenarios'; readonly base: string; readonly current: string }
  | { readonly kind: 'scenario-changed' }
  | { readonly kind: 'different-targets'; readonly base: string; readonly current: string }
  | { readonly kind: 'schemas-differ'; readonly base: string; readonly current: string }
  | { readonly kind: 'untested'; readonly side: Side }
  | { readonly kind: 'saturated'; readonly side: Side; readonly lagMs: number }
  | { readonly kind: 'interrupted'; readonly side: Side }
  | { readonly kind: 'steady-windows'; readonly base: SteadyWindow; readonly current: SteadyWindow };

/** Which way a figure gets worse; `info` figures are shown but never judged. */
export type Direction = 'higher-is-worse' | 'lower-is-worse' | 'info';

/** The verdict on one figure; `inconclusive` is shown with its reason and never fails. */
export type RowStatus = 'regression' | 'improvement' | 'unchanged' | 'inconclusive' | 'info';

/** One compared figure: a trend percentile, a counter's rate, the error rate or the isolation count. */
export interface ComparisonRow {
  readonly metric: string;
  /** `p50`, `p95`, `p99` (trends), `rate` (counters, per second of steady state), `error rate`, `violations`. */
  readonly stat: string;
  readonly unit: 'ms' | '/s' | 'fraction' | 'count';
  readonly base: number;
  readonly current: number;
  /** (current − base) / base in percent; 0 when both are 0; null when only the base is 0 (no finite percent). */
  readonly changePct: number | null;
  readonly direction: Direction;
  readonly status: RowStatus;
  /** The confidence interval of the change in percent (±Infinity when unbounded); only on statistically judged rows. */
  readonly intervalPct?: { readonly low: number; readonly high: number };
  /** Samples (trends) or events in the compared window (counters) on each side. */
  readonly samples?: { readonly base: number; readonly current: number };
  /** Why the row was not judged (inconclusive) or why a large change did not count. */
  readonly reason?: RowReason;
}

/** What identifies each side in the output. */
export interface ComparedRun {
  readonly scenario: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly exitCode: number;
  readonly schema: string;
  /** The window its counter rates were taken over. */
  readonly steady: SteadyWindow;
}

/** The result of `computeComparison` (compare.ts). */
export interface Comparison {
  /** Allowed worsening as a fraction (0.1 = 10%). */
  readonly tolerance: number;
  readonly confidence: number;
  readonly resamples: number;
  readonly base: ComparedRun;
  readonly current: ComparedRun;
  /** Trends (p50, p95, p99 by name), then counters, then error rate and isolation. */
  readonly rows: readonly ComparisonRow[];
  readonly regressions: number;
  readonly improvements: number;
  readonly inconclusive: number;
  readonly verdict: 'regression' | 'ok';
  /** Caveats for the reader: metrics on one side only, changed scenario, saturated generator, schemas. */
  readonly caveats: readonly Caveat[];
}
