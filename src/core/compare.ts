// Baseline-versus-current comparison of two summaries, for `simulate compare`
// in CI: which figures got worse beyond a tolerance (a regression fails the
// build), which got better, and what changed without being judged. Pure: the
// CLI reads the files, this only does arithmetic and text.
import type { CounterSummary, Summary, TrendSummary } from './summary.js';
import { formatDurationMs } from './units.js';

/** Which way a figure gets worse; `info` figures are shown but never judged. */
export type Direction = 'higher-is-worse' | 'lower-is-worse' | 'info';

/** The verdict on one figure. */
export type RowStatus = 'regression' | 'improvement' | 'unchanged' | 'info';

/** One compared figure: a trend percentile, a counter's rate, the error rate or the isolation count. */
export interface ComparisonRow {
  readonly metric: string;
  /** `p50`, `p95`, `p99` (trends), `rate` (counters, per second), `error rate`, `violations`. */
  readonly stat: string;
  readonly unit: 'ms' | '/s' | 'fraction' | 'count';
  readonly base: number;
  readonly current: number;
  /** (current − base) / base in percent; 0 when both are 0; null when only the base is 0 (no finite percent). */
  readonly changePct: number | null;
  readonly direction: Direction;
  readonly status: RowStatus;
  /** Why a large relative change was not judged, e.g. it is below the noise floor. */
  readonly note?: string;
}

/** What identifies each side in the output. */
export interface ComparedRun {
  readonly scenario: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly exitCode: number;
}

/** The result of {@link computeComparison}. */
export interface Comparison {
  /** Allowed worsening as a fraction (0.1 = 10%). */
  readonly tolerance: number;
  readonly base: ComparedRun;
  readonly current: ComparedRun;
  /** Trends (p50, p95, p99 by name), then counters, then error rate and isolation. */
  readonly rows: readonly ComparisonRow[];
  readonly regressions: number;
  readonly improvements: number;
  readonly verdict: 'regression' | 'ok';
  /** Caveats for the reader: metrics on one side only, changed scenario, saturated generator. */
  readonly notes: readonly string[];
}

// Regression rules. A figure regresses when it is worse than the baseline by
// more than `tolerance` relatively AND by more than its noise floor
// absolutely. From a zero baseline the relative change is infinite, so only
// the floor decides; 0 → 0 is no change. The floors keep run-to-run noise out
// of CI verdicts:
// - latencies: 1 ms (sub-millisecond REST calls on loopback swing by 50%+);
// - counter rates: one event's worth over the shorter run (one stray drop or
//   timeout is noise; two are a trend);
// - error rate: 0.1 percentage point and more than one failed operation;
// - isolation violations: none. Any increase from 0 is a regression whatever
//   the tolerance, since one leak is one too many.
const LATENCY_FLOOR_MS = 1;
const ERROR_RATE_FLOOR = 0.001;
// Float noise: 100 → 110 must be "within 10%", not 10.000000000000014%.
const EPSILON = 1e-9;

const TREND_STATS = ['p50', 'p95', 'p99'] as const;
const LOWER_IS_WORSE: ReadonlySet<string> = new Set(['runs.completed', 'iterations', 'http.requests', 'ws.frames_received']);
const HIGHER_IS_WORSE: ReadonlySet<string> = new Set(['errors', 'dropped', 'runs.failed', 'runs.timed_out', 'isolation.violations', 'lifecycle.violations']);
// The generator's own event-loop lag says how loaded the CI runner was, not how the target behaved.
const INFO_TRENDS: ReadonlySet<string> = new Set(['generator.loop_lag']);

/**
 * Compares `current` against `base`. Trends present in both compare p50, p95
 * and p99; counters compare their rate per second (a counter missing from a
 * summary counts as 0: summaries only list counters that were touched);
 * then the error rate and the isolation violation count. `tolerance` is a
 * fraction (0.1 = 10%).
 */
export function computeComparison(base: Summary, current: Summary, tolerance: number): Comparison {
  const rows: ComparisonRow[] = [];
  const notes: string[] = [];

  const trendNames = sortedUnion(base, current, 'trend');
  for (const name of trendNames) {
    const b = base.metrics[name] as TrendSummary | undefined;
    const c = current.metrics[name] as TrendSummary | undefined;
    if (!b || !c) {
      notes.push(`${name} has samples only in the ${b ? 'baseline' : 'current run'}: not compared`);
      continue;
    }
    const direction: Direction = INFO_TRENDS.has(name) ? 'info' : 'higher-is-worse';
    for (const stat of TREND_STATS) rows.push(judge(name, stat, 'ms', b[stat], c[stat], direction, tolerance, LATENCY_FLOOR_MS));
  }

  const shorterSec = Math.min(base.durationMs, current.durationMs) / 1000;
  const oneEventPerSec = shorterSec > 0 ? 1 / shorterSec : 0;
  for (const name of sortedUnion(base, current, 'counter')) {
    const b = counterRate(base, name);
    const c = counterRate(current, name);
    const direction: Direction = HIGHER_IS_WORSE.has(name) ? 'higher-is-worse' : LOWER_IS_WORSE.has(name) ? 'lower-is-worse' : 'info';
    rows.push(judge(name, 'rate', '/s', b, c, direction, tolerance, oneEventPerSec));
  }

  const ops = counterValue(current, 'operations');
  const errorFloor = Math.max(ERROR_RATE_FLOOR, ops > 0 ? 1 / ops : 0);
  rows.push(judge('errors', 'error rate', 'fraction', base.errors.rate, current.errors.rate, 'higher-is-worse', tolerance, errorFloor));
  rows.push(judgeIsolation(base.isolation.violations, current.isolation.violations, tolerance));

  if (base.scenario.name !== current.scenario.name) notes.push(`different scenarios: baseline "${base.scenario.name}", current "${current.scenario.name}"`);
  else if (base.scenario.sha256 !== current.scenario.sha256) notes.push('the scenario file changed between the runs (sha256 differs): figures may not be comparable');
  if (base.target.url !== current.target.url && !(base.target.embedded && current.target.embedded)) notes.push(`different targets: ${base.target.url} and ${current.target.url}`);
  for (const [side, s] of [['baseline', base], ['current run', current]] as const) {
    if (s.generator.saturated) notes.push(`the ${side}'s generator was saturated (loop lag p99 ${s.generator.loopLagP99Ms} ms): its latencies are not trustworthy`);
    if (s.interrupted) notes.push(`the ${side} was interrupted: its figures cover only part of the scenario`);
  }

  const regressions = rows.filter((r) => r.status === 'regression').length;
  const improvements = rows.filter((r) => r.status === 'improvement').length;
  return {
    tolerance, base: describeRun(base), current: describeRun(current), rows,
    regressions, improvements, verdict: regressions > 0 ? 'regression' : 'ok', notes,
  };
}

/** The comparison as an aligned terminal table, regressions first (✗), then improvements (✓), then the rest. */
export function formatComparisonTable(c: Comparison): string {
  const lines: string[] = [];
  lines.push(`compare: baseline ${c.base.scenario} (${c.base.startedAt}) → current ${c.current.scenario} (${c.current.startedAt}), tolerance ${formatPercent(c.tolerance)}`);
  lines.push('');
  const table: string[][] = [['', 'metric', 'stat', 'baseline', 'current', 'change', '']];
  for (const r of ordered(c.rows)) table.push([mark(r), r.metric, r.stat, formatValue(r.base, r.unit), formatValue(r.current, r.unit), formatChange(r), rowNote(r)]);
  lines.push(...alignTable(table));
  if (c.notes.length) {
    lines.push('');
    for (const n of c.notes) lines.push(`note: ${n}`);
  }
  lines.push('');
  lines.push(verdictLine(c));
  return `${lines.join('\n')}\n`;
}

/**
 * The comparison as a GitHub pull-request comment: a heading with the verdict,
 * a table of what changed beyond tolerance (regressions first), and every
 * compared figure in a collapsed section.
 */
export function formatComparisonMarkdown(c: Comparison): string {
  const out: string[] = [];
  const icon = c.verdict === 'regression' ? '❌' : '✅';
  out.push(`## ${icon} crosstalk: ${c.verdict === 'regression' ? `${plural(c.regressions, 'regression')} beyond ${formatPercent(c.tolerance)}` : `no regression beyond ${formatPercent(c.tolerance)}`}`);
  out.push('');
  out.push(`Baseline **${md(c.base.scenario)}** (${md(c.base.startedAt)}, exit ${c.base.exitCode}) → current **${md(c.current.scenario)}** (${md(c.current.startedAt)}, exit ${c.current.exitCode}); tolerance ${formatPercent(c.tolerance)}${c.improvements ? `; ${plural(c.improvements, 'improvement')}` : ''}.`);
  out.push('');
  const changed = ordered(c.rows).filter((r) => r.status === 'regression' || r.status === 'improvement');
  if (changed.length) out.push(...markdownTable(changed), '');
  else out.push('No figure changed beyond the tolerance.', '');
  if (c.notes.length) {
    for (const n of c.notes) out.push(`> ${md(n)}`);
    out.push('');
  }
  out.push('<details>');
  out.push(`<summary>All ${c.rows.length} compared figures</summary>`);
  out.push('');
  out.push(...markdownTable(ordered(c.rows)));
  out.push('');
  out.push('</details>');
  return `${out.join('\n')}\n`;
}

function judge(metric: string, stat: string, unit: ComparisonRow['unit'], base: number, current: number, direction: Direction, tolerance: number, floor: number): ComparisonRow {
  const changePct = percentChange(base, current);
  const row = { metric, stat, unit, base, current, changePct, direction };
  if (direction === 'info') return { ...row, status: 'info' };
  // A hand-edited or truncated figure must not slip through as an "improvement" (NaN compares false everywhere).
  if (!Number.isFinite(base) || !Number.isFinite(current)) return { ...row, changePct: null, status: 'info', note: 'not a number in one summary' };
  // `worse` > 0 means the figure moved the bad way, whichever way that is.
  const worse = direction === 'higher-is-worse' ? current - base : base - current;
  if (worse === 0) return { ...row, status: 'unchanged' };
  const relative = base === 0 ? Math.sign(worse) * Infinity : worse / Math.abs(base);
  if (Math.abs(relative) <= tolerance + EPSILON) return { ...row, status: 'unchanged' };
  if (Math.abs(worse) <= floor) return { ...row, status: 'unchanged', note: `below the ${formatValue(floor, unit)} noise floor` };
  return { ...row, status: worse > 0 ? 'regression' : 'improvement' };
}

function judgeIsolation(base: number, current: number, tolerance: number): ComparisonRow {
  if (base === 0 && current > 0) {
    // The one rule tolerance cannot relax: a run that leaked after a clean baseline.
    return { metric: 'isolation', stat: 'violations', unit: 'count', base, current, changePct: null, direction: 'higher-is-worse', status: 'regression', note: 'any leak after a clean baseline' };
  }
  return judge('isolation', 'violations', 'count', base, current, 'higher-is-worse', tolerance, 0);
}

function percentChange(base: number, current: number): number | null {
  if (base === 0) return current === 0 ? 0 : null;
  return ((current - base) / Math.abs(base)) * 100;
}

function sortedUnion(a: Summary, b: Summary, type: 'trend' | 'counter'): string[] {
  const names = new Set<string>();
  for (const s of [a, b]) for (const [name, m] of Object.entries(s.metrics)) if (m.type === type) names.add(name);
  return [...names].sort((x, y) => x.localeCompare(y));
}

function counterRate(s: Summary, name: string): number {
  const m = s.metrics[name] as CounterSummary | undefined;
  return m && m.type === 'counter' ? m.ratePerSec : 0;
}

function counterValue(s: Summary, name: string): number {
  const m = s.metrics[name] as CounterSummary | undefined;
  return m && m.type === 'counter' ? m.value : 0;
}

function describeRun(s: Summary): ComparedRun {
  return { scenario: s.scenario.name, startedAt: s.startedAt, durationMs: s.durationMs, exitCode: s.exitCode };
}

const STATUS_ORDER: Record<RowStatus, number> = { regression: 0, improvement: 1, unchanged: 2, info: 3 };

// Regressions first, worst first; everything else keeps the computed order.
function ordered(rows: readonly ComparisonRow[]): ComparisonRow[] {
  const severity = (r: ComparisonRow): number => (r.changePct === null ? Infinity : Math.abs(r.changePct));
  return rows
    .map((r, i) => ({ r, i }))
    .sort((x, y) => STATUS_ORDER[x.r.status] - STATUS_ORDER[y.r.status]
      || (x.r.status === 'regression' ? severity(y.r) - severity(x.r) : 0)
      || x.i - y.i)
    .map(({ r }) => r);
}

function mark(r: ComparisonRow): string {
  return r.status === 'regression' ? '✗' : r.status === 'improvement' ? '✓' : '';
}

function rowNote(r: ComparisonRow): string {
  if (r.note) return r.note;
  if (r.status === 'info') return 'info';
  return '';
}

function formatValue(v: number, unit: ComparisonRow['unit']): string {
  switch (unit) {
    case 'ms': return formatDurationMs(v);
    case '/s': return `${v.toFixed(2)}/s`;
    case 'fraction': return `${(v * 100).toFixed(2)}%`;
    default: return String(v);
  }
}

function formatChange(r: ComparisonRow): string {
  if (r.changePct === null) return 'new';
  const p = r.changePct;
  return `${p > 0 ? '+' : ''}${(Math.abs(p) < 0.05 ? 0 : p).toFixed(1)}%`;
}

function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}

function verdictLine(c: Comparison): string {
  if (c.verdict === 'ok') return `OK: no regression beyond ${formatPercent(c.tolerance)}${c.improvements ? ` (${plural(c.improvements, 'improvement')})` : ''}`;
  const names = c.rows.filter((r) => r.status === 'regression').map((r) => `${r.metric} ${r.stat}`);
  return `REGRESSION: ${plural(c.regressions, 'figure')} worse beyond ${formatPercent(c.tolerance)}: ${names.join(', ')}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Left-aligned text columns, right-aligned figures (columns 3–5). */
function alignTable(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i >= 3 && i <= 5 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

function markdownTable(rows: readonly ComparisonRow[]): string[] {
  const out = ['| | metric | stat | baseline | current | change | |', '|---|---|---|---:|---:|---:|---|'];
  for (const r of rows) {
    out.push(`| ${mark(r)} | \`${r.metric}\` | ${r.stat} | ${formatValue(r.base, r.unit)} | ${formatValue(r.current, r.unit)} | ${formatChange(r)} | ${md(rowNote(r))} |`);
  }
  return out;
}

// Scenario names and notes are free text: keep them from breaking the table or adding markup.
function md(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (ch) => `\\${ch}`);
}
