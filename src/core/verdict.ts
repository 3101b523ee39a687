import type { ThresholdResult } from './thresholds.js';

/** design.md's exit codes: the CLI sets them, summary.json records the one a run earned. */
export const EXIT_CODE = {
  ok: 0,
  thresholdFailed: 1,
  isolation: 2,
  badInput: 3,
  cannotRun: 4,
  interrupted: 130,
} as const;

/** How a reason that isolation went unchecked starts among a verdict's `untested` lines (the others are operation gaps and a partial merge). */
const ISOLATION_GAP_PREFIX = 'isolation untested: ';

/** A run's overall verdict: `untested` when it could not test what it was for. */
export type RunVerdict = 'pass' | 'fail' | 'untested';

/** The isolation verdict: `untested` when coverage fell below its floor. */
export type IsolationVerdict = 'clean' | 'violated' | 'untested';

/** What the verdict is decided from. */
export interface VerdictInput {
  readonly interrupted: boolean;
  /** Leaked frames and answers. */
  readonly isolationViolations: number;
  readonly isolationByKind: Readonly<Record<string, number>>;
  /** Why isolation is untested (coverage below its floor), one line each, the root one first. */
  readonly isolationGaps: readonly string[];
  /** Operations tried and never once successful, one line each. */
  readonly operationGaps: readonly string[];
  /** A merge that does not cover the scenario once (segments missing or repeated), unless allowed. */
  readonly partial?: string;
  readonly thresholds: readonly ThresholdResult[];
}

/** The verdict, the exit code that says it, and why. */
export interface Judgement {
  readonly exitCode: number;
  readonly verdict: RunVerdict;
  readonly isolation: IsolationVerdict;
  /** Why isolation is untested; absent otherwise. */
  readonly isolationReason?: string;
  /** One line per reason the run did not pass, the one that decided the exit code first. */
  readonly reasons: readonly string[];
  /** Why the run could not test what it was for (isolation, operations, a partial merge); empty when it could. */
  readonly untested: readonly string[];
  /** The thresholds as judged: one on isolation has no data while isolation is untested. */
  readonly thresholds: readonly ThresholdResult[];
}

/**
 * The one rule for every command that judges a run (run, merge, report):
 * interrupted is 130; any isolation violation is 2 (a leak is a leak,
 * whatever else went wrong); a run that could not test what it was for
 * (isolation untested, an operation that never succeeded, a partial merge)
 * is 4; a failed threshold is 1; else 0.
 */
export function computeVerdict(i: VerdictInput): Judgement {
  const isolation: IsolationVerdict =
    i.isolationViolations > 0 ? 'violated' : i.isolationGaps.length ? 'untested' : 'clean';
  // The first gap is the root one (no frames at all explains no runs, no users...): it alone is the one-line reason.
  const isolationGaps = isolation === 'untested' ? i.isolationGaps.map((g) => `${ISOLATION_GAP_PREFIX}${g}`) : [];
  const isolationReason = isolationGaps[0];
  const untested = [...isolationGaps, ...i.operationGaps, ...(i.partial ? [i.partial] : [])];
  const thresholds = markUntestedIsolation(i.thresholds, isolationReason);
  const failed = thresholds.filter((t) => !t.ok);
  const reasons: string[] = [];
  if (i.interrupted) reasons.push('interrupted: the figures cover only the part that ran');
  if (isolation === 'violated') {
    const kinds = Object.entries(i.isolationByKind)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    reasons.push(
      `isolation violated: ${i.isolationViolations} leaked frame${i.isolationViolations === 1 ? '' : 's'} or answer${i.isolationViolations === 1 ? '' : 's'}${kinds ? ` (${kinds})` : ''}`,
    );
  }
  reasons.push(...untested);
  if (failed.length)
    reasons.push(
      `${failed.length} of ${thresholds.length} threshold${thresholds.length === 1 ? '' : 's'} failed: ${failed.map((t) => `${t.metric} ${t.expression}`).join(', ')}`,
    );
  const exitCode = i.interrupted
    ? EXIT_CODE.interrupted
    : isolation === 'violated'
      ? EXIT_CODE.isolation
      : untested.length
        ? EXIT_CODE.cannotRun
        : failed.length
          ? EXIT_CODE.thresholdFailed
          : EXIT_CODE.ok;
  const verdict: RunVerdict =
    exitCode === EXIT_CODE.ok ? 'pass' : exitCode === EXIT_CODE.cannotRun ? 'untested' : 'fail';
  return {
    exitCode,
    verdict,
    isolation,
    ...(isolationReason ? { isolationReason } : {}),
    reasons,
    untested,
    thresholds,
  };
}

/** True for an `untested` line that says why isolation went unchecked. */
export function isIsolationGap(reason: string): boolean {
  return reason.startsWith(ISOLATION_GAP_PREFIX);
}

/** An isolation gap without its prefix, to follow a word such as UNTESTED: `0 frames received`. */
export function formatIsolationGap(reason: string): string {
  return isIsolationGap(reason) ? reason.slice(ISOLATION_GAP_PREFIX.length) : reason;
}

const ISOLATION_THRESHOLD_RE = /^isolation\.violations(\{|$)/;

/**
 * Thresholds on isolation cannot pass when isolation is untested: a
 * `count == 0` on a run that checked nothing holds no information.
 */
function markUntestedIsolation(
  results: readonly ThresholdResult[],
  isolationReason: string | undefined,
): ThresholdResult[] {
  if (!isolationReason) return [...results];
  return results.map((t) =>
    ISOLATION_THRESHOLD_RE.test(t.metric) ? { ...t, ok: false, note: `no data: ${isolationReason}` } : t,
  );
}
