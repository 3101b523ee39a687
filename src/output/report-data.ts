// Pure shaping of a summary (and the first violations) into what the HTML
// report shows: the verdict and its reasons, formatted figures, and the chart
// data the page draws. No I/O and no markup here, so it can be tested alone.
import { computePercentilesMs, decodeHistogram } from '../core/histogram.js';
import { isTrendMetric } from '../core/metric-names.js';
import type { CounterSummary, Summary, TrendSummary } from '../core/summary.js';
import { formatDurationMs } from '../core/units.js';
import { EXIT_CODE } from '../core/verdict.js';
import { describeExitCode, formatVerdictWord } from './verdict-text.js';

/** One line of "why" under the verdict. `fail` lines explain the exit code; `warn` lines do not change it. */
export interface VerdictReason {
  readonly severity: 'fail' | 'warn';
  readonly text: string;
}

/** The verdict as the report states it. */
export interface Verdict {
  readonly pass: boolean;
  /** PASS, FAIL or UNTESTED (the run could not test what it was for). */
  readonly word: 'PASS' | 'FAIL' | 'UNTESTED';
  readonly exitCode: number;
  /** One sentence: what the exit code means for this run. */
  readonly headline: string;
  readonly reasons: readonly VerdictReason[];
}

/** One percentile-distribution chart: x = 1/(1-p) shared by every line, y in ms. */
export interface DistributionChart {
  readonly metric: string;
  readonly count: number;
  /** 1/(1-p) for each point; the last point is the maximum (p = 100%). */
  readonly x: readonly number[];
  readonly lines: readonly { readonly label: string; readonly ms: readonly number[] }[];
}

/** The per-second series as parallel arrays (uPlot's aligned-data form). */
export interface Timeline {
  /** Seconds since the start. */
  readonly t: readonly number[];
  /** p50/p95/p99 per second of the few latencies worth watching over time; null = no sample that second. */
  readonly latency: readonly {
    readonly metric: string;
    readonly p50: readonly (number | null)[];
    readonly p95: readonly (number | null)[];
    readonly p99: readonly (number | null)[];
  }[];
  readonly users: readonly { readonly cohort: string; readonly values: readonly number[] }[];
  /** Per-second counter deltas that are non-zero at least once (runs.completed always). */
  readonly rates: readonly { readonly counter: string; readonly values: readonly number[] }[];
  readonly violations: readonly { readonly counter: string; readonly values: readonly number[] }[];
}

/** What the page's script draws, embedded as JSON. */
export interface ChartData {
  readonly distributions: readonly DistributionChart[];
  readonly timeline: Timeline;
}

/** One finding of a violation: what it is and the field and value that gave it away. */
export interface ViolationFinding {
  readonly kind: string;
  readonly class: string;
  readonly owner: string;
  readonly field: string;
  readonly value: string;
}

/**
 * Violations found in one frame, as the report's table shows them (every
 * field a display string). One leaked frame usually trips several checks
 * (user_id, thread, run, canary); they share one row and one frame.
 */
export interface ViolationGroup {
  readonly time: string;
  /** `+2.49s` after the start, when the time is known. */
  readonly offset: string;
  readonly cohort: string;
  readonly receiver: string;
  readonly connection: string;
  readonly channel: string;
  readonly frame: string;
  readonly findings: readonly ViolationFinding[];
}

const fmtCount = (n: number): string => n.toLocaleString('en-US');
const byKindText = (byKind: Readonly<Record<string, number>>): string =>
  Object.entries(byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${fmtCount(v)}`)
    .join(', ');

/**
 * The verdict and why: failed thresholds with actual against expression, and
 * isolation violations by kind. The exit code decides pass or fail (it is
 * what CI saw); warnings (lifecycle, unattributed ids, interruption) never
 * flip it. Generator saturation has its own banner, not a reason.
 */
export function buildVerdict(s: Summary): Verdict {
  const pass = s.exitCode === EXIT_CODE.ok;
  const reasons: VerdictReason[] = [];
  const iso = s.isolation;
  if (iso.violations > 0) {
    const one = iso.violations === 1;
    const what =
      s.schema === 'crosstalk.summary/1'
        ? one
          ? 'isolation violation'
          : 'isolation violations'
        : one
          ? 'leaked frame or answer'
          : 'leaked frames or answers';
    reasons.push({
      severity: 'fail',
      text: `${fmtCount(iso.violations)} ${what}: ${byKindText(iso.byKind) || 'kind not recorded'}`,
    });
  }
  for (const u of s.untested ?? []) reasons.push({ severity: 'fail', text: u });
  for (const t of s.thresholds) {
    // The isolation line above already says it, with kinds.
    if (t.ok || (t.metric === 'isolation.violations' && iso.violations > 0)) continue;
    const actual =
      t.actual === null
        ? (t.note ?? 'no data')
        : `${formatThresholdActual(t.metric, t.expression, t.actual)}${t.note ? ` (${t.note})` : ''}`;
    reasons.push({ severity: 'fail', text: `threshold ${t.metric}: ${t.expression} — actual ${actual}` });
  }
  if (iso.unattributed > 0)
    reasons.push({
      severity: 'warn',
      text: `${fmtCount(iso.unattributed)} id${iso.unattributed === 1 ? '' : 's'} that no simulated user owns (unattributed)`,
    });
  if (s.lifecycle.violations > 0)
    reasons.push({
      severity: 'warn',
      text: `${fmtCount(s.lifecycle.violations)} lifecycle violation${s.lifecycle.violations === 1 ? '' : 's'}: ${byKindText(s.lifecycle.byKind)}`,
    });
  if (s.interrupted) reasons.push({ severity: 'warn', text: 'run interrupted: figures cover only the part that ran' });
  const n = s.thresholds.length;
  const failed = s.thresholds.filter((t) => !t.ok).length;
  let headline = describeExitCode(s.exitCode);
  if (pass)
    headline = `${n === 0 ? 'no thresholds set' : n === 1 ? 'the threshold held' : `all ${n} thresholds held`}, no isolation violation`;
  else if (s.verdict === 'untested' && s.untested?.length) headline = s.untested[0]!;
  else if (s.exitCode === EXIT_CODE.thresholdFailed && failed > 0)
    headline = `${failed} of ${n} threshold${n === 1 ? '' : 's'} failed`;
  return { pass, word: formatVerdictWord(s), exitCode: s.exitCode, headline, reasons };
}

/**
 * Formats a threshold's actual value in the expression's own terms:
 * durations for latency stats (850µs, 12.3ms, 4.20s), a percentage for the
 * errors rate (with the fraction the expression uses), per second for
 * other rates, a plain number for counts.
 */
export function formatThresholdActual(metricKey: string, expression: string, actual: number): string {
  const metric = metricKey.replace(/\{.*\}$/, '');
  const stat = /^\s*(p\(|avg|min|max|med|count|rate)/.exec(expression)?.[1] ?? '';
  // errors' rate is a fraction like the expression's value; the percentage is what people read.
  if (stat === 'rate')
    return metric === 'errors' ? `${trimNumber(actual)} (${(actual * 100).toFixed(2)}%)` : `${trimNumber(actual)}/s`;
  if (stat === 'count' || !isTrendMetric(metric)) return fmtCount(actual);
  return formatDurationMs(actual);
}

function trimNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}

/** Latency metrics that get a distribution chart: what people wait for, not the generator's own lag. */
export function isChartedLatency(name: string): boolean {
  return name === 'ws.connect' || name.startsWith('http.') || name.startsWith('run.');
}

/** Metrics whose distribution also shows one line per cohort (the ones SLAs are usually per cohort). */
const PER_COHORT = new Set(['ws.connect', 'run.agent_started', 'run.total']);

/** Trend metrics of the summary, in report order: ws.connect, http.*, run.*, then the rest. */
export function trendEntries(s: Summary): [string, TrendSummary][] {
  const rank = (n: string): number =>
    n === 'ws.connect' ? 0 : n.startsWith('http.') ? 1 : n.startsWith('run.') ? 2 : 3;
  return Object.entries(s.metrics)
    .filter((e): e is [string, TrendSummary] => e[1].type === 'trend')
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Counter metrics of the summary, by name. */
export function counterEntries(s: Summary): [string, CounterSummary][] {
  return Object.entries(s.metrics)
    .filter((e): e is [string, CounterSummary] => e[1].type === 'counter')
    .sort(([a], [b]) => a.localeCompare(b));
}

/**
 * x positions of the distribution: 10 per decade of 1/(1-p) from p = 0 up
 * to the resolution the sample count allows (beyond 1 - 1/count every
 * percentile is the maximum), at most 99.999%; then the maximum itself.
 */
function distributionX(count: number): number[] {
  const decades = Math.min(5, Math.max(1, Math.ceil(Math.log10(Math.max(count, 2)))));
  const xs: number[] = [];
  for (let i = 0; i < decades * 10; i++) xs.push(10 ** (i / 10));
  xs.push(10 ** decades);
  return xs;
}

/** Percentile (0–100) at position x = 1/(1-p). */
function percentileAt(x: number): number {
  return 100 * (1 - 1 / x);
}

/** Values in ms at each x of {@link distributionX}, the last being the exact max; undefined when the histogram is unreadable. */
function distributionMs(hdr: string, max: number, xs: readonly number[]): number[] | undefined {
  let h;
  try {
    h = decodeHistogram(hdr);
  } catch {
    return undefined;
  }
  if (h.totalCount === 0) return undefined;
  // HDR answers a bucket's upper edge; never draw above the recorded max.
  const ms = computePercentilesMs(h, xs.map(percentileAt));
  return xs.map((_, i) => (i === xs.length - 1 ? max : Math.min(max, ms[i]!)));
}

/** One distribution chart per non-empty charted latency metric, computed from the histograms. */
export function buildDistributions(s: Summary): DistributionChart[] {
  const charts: DistributionChart[] = [];
  for (const [metric, t] of trendEntries(s)) {
    if (!isChartedLatency(metric) || t.count === 0) continue;
    const x = distributionX(t.count);
    const all = distributionMs(t.hdr, t.max, x);
    if (!all) continue;
    const lines = [{ label: 'all', ms: all }];
    const cohorts = Object.entries(t.byTag ?? {}).filter(([k, v]) => k.startsWith('cohort:') && v.count > 0);
    if (PER_COHORT.has(metric) && cohorts.length > 1) {
      for (const [k, v] of cohorts) {
        const ms = distributionMs(v.hdr, v.max, x);
        if (ms) lines.push({ label: k.slice('cohort:'.length), ms });
      }
    }
    charts.push({ metric, count: t.count, x, lines });
  }
  return charts;
}

/** Latencies shown over time, when the series has them. */
const TIMELINE_LATENCIES = ['run.total', 'run.agent_started', 'ws.connect'] as const;
const RATE_COUNTERS = ['runs.completed', 'runs.failed', 'runs.timed_out', 'errors'] as const;
const VIOLATION_COUNTERS = ['isolation.violations', 'lifecycle.violations'] as const;

/** The per-second series reshaped into aligned arrays for uPlot. */
function buildTimeline(s: Summary): Timeline {
  const series = s.series ?? [];
  const t = series.map((p) => p.t);
  const latency = TIMELINE_LATENCIES.filter((m) => series.some((p) => p.trends[m])).map((metric) => ({
    metric,
    p50: series.map((p) => p.trends[metric]?.p50 ?? null),
    p95: series.map((p) => p.trends[metric]?.p95 ?? null),
    p99: series.map((p) => p.trends[metric]?.p99 ?? null),
  }));
  const cohorts = [...new Set(series.flatMap((p) => Object.keys(p.gauges).filter((g) => g.startsWith('vus.'))))];
  const users = cohorts.map((g) => ({ cohort: g.slice('vus.'.length), values: series.map((p) => p.gauges[g] ?? 0) }));
  const deltas = (name: string): number[] => series.map((p) => p.counters[name] ?? 0);
  const rates = RATE_COUNTERS.map((counter) => ({ counter, values: deltas(counter) })).filter(
    (r) => r.counter === 'runs.completed' || r.values.some((v) => v !== 0),
  );
  const anyViolation = VIOLATION_COUNTERS.some((c) => deltas(c).some((v) => v !== 0));
  const violations = anyViolation ? VIOLATION_COUNTERS.map((counter) => ({ counter, values: deltas(counter) })) : [];
  return { t, latency, users, rates, violations };
}

/** Everything the page's script draws. */
export function buildChartData(s: Summary): ChartData {
  return { distributions: buildDistributions(s), timeline: buildTimeline(s) };
}

const str = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);

/** True for a lifecycle violation; anything else (isolation, or no class) counts as a leak. */
export const isLifecycleViolation = (v: Readonly<Record<string, unknown>>): boolean => v.class === 'lifecycle';

/**
 * The violations the report lists, at most `limit` in all: isolation ones
 * first (a leak matters more than a dropped event), then lifecycle ones with
 * what room is left, each in their original order.
 */
export function pickViolations<T extends Readonly<Record<string, unknown>>>(
  violations: readonly T[],
  limit: number,
): { isolation: T[]; lifecycle: T[] } {
  const isolation = violations.filter((v) => !isLifecycleViolation(v)).slice(0, limit);
  const lifecycle = violations.filter(isLifecycleViolation).slice(0, Math.max(0, limit - isolation.length));
  return { isolation, lifecycle };
}

/**
 * Groups violations for the table: consecutive ones with the same time,
 * receiver, connection and frame are one leaked frame. Reads violations as
 * they come: lines of violations.jsonl (`time` ISO) or the engine's
 * in-memory records (`atMs`). Unknown shapes give empty cells, never an
 * exception, since a report must render whatever the log holds.
 */
export function groupViolations(
  violations: readonly Readonly<Record<string, unknown>>[],
  startedAtMs: number,
): ViolationGroup[] {
  const groups: (ViolationGroup & { findings: ViolationFinding[]; rawFrame: string })[] = [];
  for (const v of violations) {
    const receiver = (typeof v.receiver === 'object' && v.receiver !== null ? v.receiver : {}) as Record<
      string,
      unknown
    >;
    const atMs = typeof v.atMs === 'number' ? v.atMs : typeof v.time === 'string' ? Date.parse(v.time) : Number.NaN;
    const known = Number.isFinite(atMs);
    const offsetMs = known && Number.isFinite(startedAtMs) ? atMs - startedAtMs : Number.NaN;
    const head = {
      time: known ? new Date(atMs).toISOString() : str(v.time),
      offset: Number.isFinite(offsetMs) ? `+${formatDurationMs(Math.max(0, offsetMs))}` : '',
      cohort: str(v.cohort),
      receiver: str(receiver.user),
      connection: str(receiver.connection),
      channel: [str(v.channel), str(v.op)].filter(Boolean).join(' '),
      rawFrame: str(v.frame),
    };
    const cls = str(v.class);
    // A line of a leaked frame carries all its reasons; lines written before that carry one each (grouped below).
    const findings: ViolationFinding[] = Array.isArray(v.kinds)
      ? (v.kinds as unknown[]).map((k) => {
          const r = (typeof k === 'object' && k !== null ? k : {}) as Record<string, unknown>;
          return {
            kind: str(r.kind) || '?',
            class: cls,
            owner: str(r.owner),
            field: str(r.field),
            value: str(r.value),
          };
        })
      : [{ kind: str(v.kind) || '?', class: cls, owner: str(v.owner), field: str(v.field), value: str(v.value) }];
    if (Array.isArray(v.kinds)) {
      groups.push({ ...head, frame: prettyFrame(head.rawFrame), findings });
      continue;
    }
    const finding = findings[0]!;
    const last = groups[groups.length - 1];
    if (
      last &&
      head.rawFrame &&
      last.rawFrame === head.rawFrame &&
      last.time === head.time &&
      last.receiver === head.receiver &&
      last.connection === head.connection
    ) {
      last.findings.push(finding);
      continue;
    }
    groups.push({ ...head, frame: prettyFrame(head.rawFrame), findings: [finding] });
  }
  return groups.map(({ rawFrame: _raw, ...g }) => g);
}
/** Frames are JSON text: indent them so the evidence reads; leave anything else (cut frames) as it is. */
function prettyFrame(frame: string): string {
  if (!frame.startsWith('{') && !frame.startsWith('[')) return frame;
  try {
    return JSON.stringify(JSON.parse(frame), null, 2);
  } catch {
    return frame;
  }
}
