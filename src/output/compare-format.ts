// Text of `simulate compare`: an aligned terminal table and a GitHub
// pull-request comment. Each judged row carries its confidence interval and
// sample counts so a reader sees why it was (not) flagged; inconclusive rows
// say what they lacked.
import type { Caveat, Comparison, ComparisonRow, RowStatus } from '../core/compare-types.js';
import type { SteadyWindow } from '../core/rate-comparison.js';
import { formatDurationMs } from '../core/units.js';

/** The comparison as an aligned terminal table: regressions first (✗), improvements (✓), the rest, inconclusive (?) last. */
export function formatComparisonTable(c: Comparison): string {
  const lines: string[] = [];
  lines.push(
    `compare: baseline ${c.base.scenario} (${c.base.startedAt}) → current ${c.current.scenario} (${c.current.startedAt}), tolerance ${formatPercent(c.tolerance)}, confidence ${formatPercent(c.confidence)}`,
  );
  lines.push('');
  const table: string[][] = [
    ['', 'metric', 'stat', 'baseline', 'current', 'change', `${formatPercent(c.confidence)} interval`, 'n', ''],
  ];
  for (const r of ordered(c.rows)) {
    table.push([
      mark(r),
      r.metric,
      r.stat,
      formatValue(r.base, r.unit),
      formatValue(r.current, r.unit),
      formatChange(r),
      formatInterval(r),
      formatSamples(r),
      rowNote(r),
    ]);
  }
  lines.push(...alignTable(table));
  lines.push('');
  lines.push(`method: ${describeMethod(c)}`);
  for (const n of c.caveats) lines.push(`note: ${formatCaveat(n)}`);
  lines.push('');
  lines.push(verdictLine(c));
  return `${lines.join('\n')}\n`;
}

/**
 * The comparison as a GitHub pull-request comment: a heading with the
 * verdict, a table of what changed beyond tolerance (regressions first), the
 * inconclusive figures with their reasons, and every compared figure in a
 * collapsed section.
 */
export function formatComparisonMarkdown(c: Comparison): string {
  const out: string[] = [];
  const icon = c.verdict === 'regression' ? '❌' : '✅';
  out.push(
    `## ${icon} crosstalk: ${c.verdict === 'regression' ? `${plural(c.regressions, 'regression')} beyond ${formatPercent(c.tolerance)}` : `no regression beyond ${formatPercent(c.tolerance)}`}`,
  );
  out.push('');
  const tally = [
    c.improvements ? plural(c.improvements, 'improvement') : '',
    c.inconclusive ? `${c.inconclusive} inconclusive` : '',
  ]
    .filter(Boolean)
    .join(', ');
  out.push(
    `Baseline **${md(c.base.scenario)}** (${md(c.base.startedAt)}, exit ${c.base.exitCode}) → current **${md(c.current.scenario)}** (${md(c.current.startedAt)}, exit ${c.current.exitCode}); tolerance ${formatPercent(c.tolerance)} at ${formatPercent(c.confidence)} confidence${tally ? `; ${tally}` : ''}.`,
  );
  out.push('');
  const changed = ordered(c.rows).filter((r) => r.status === 'regression' || r.status === 'improvement');
  if (changed.length) out.push(...markdownTable(changed, c), '');
  else out.push('No figure changed beyond the tolerance.', '');
  for (const n of c.caveats) out.push(`> ${md(formatCaveat(n))}`);
  out.push(`> method: ${md(describeMethod(c))}`, '');
  const inconclusive = c.rows.filter((r) => r.status === 'inconclusive');
  if (inconclusive.length) {
    out.push('<details>');
    out.push(`<summary>${plural(inconclusive.length, 'inconclusive figure')} (not judged)</summary>`);
    out.push('');
    out.push('| metric | stat | baseline | current | why |', '|---|---|---:|---:|---|');
    for (const r of inconclusive)
      out.push(
        `| \`${r.metric}\` | ${r.stat} | ${formatValue(r.base, r.unit)} | ${formatValue(r.current, r.unit)} | ${md(formatRowReason(r) ?? '')} |`,
      );
    out.push('', '</details>', '');
  }
  out.push('<details>');
  out.push(`<summary>All ${c.rows.length} compared figures</summary>`);
  out.push('');
  out.push(...markdownTable(ordered(c.rows), c));
  out.push('');
  out.push('</details>');
  return `${out.join('\n')}\n`;
}

function describeMethod(c: Comparison): string {
  return (
    `a figure regresses when its whole ${formatPercent(c.confidence)} interval is beyond ${formatPercent(c.tolerance)} worse and it moved more than its floor ` +
    `(1 ms for latencies; a latency change within twice the generator's own loop lag as it was timed is inconclusive); ` +
    `percentiles by bootstrap over the HDR histograms (${c.resamples} resamples), rates by a Poisson test over steady state`
  );
}

const STATUS_ORDER: Record<RowStatus, number> = {
  regression: 0,
  improvement: 1,
  unchanged: 2,
  info: 3,
  inconclusive: 4,
};

// Regressions first, worst first; everything else keeps the computed order.
function ordered(rows: readonly ComparisonRow[]): ComparisonRow[] {
  const severity = (r: ComparisonRow): number => (r.changePct === null ? Infinity : Math.abs(r.changePct));
  return rows
    .map((r, i) => ({ r, i }))
    .sort(
      (x, y) =>
        STATUS_ORDER[x.r.status] - STATUS_ORDER[y.r.status] ||
        (x.r.status === 'regression' ? severity(y.r) - severity(x.r) : 0) ||
        x.i - y.i,
    )
    .map(({ r }) => r);
}

function mark(r: ComparisonRow): string {
  return r.status === 'regression' ? '✗' : r.status === 'improvement' ? '✓' : r.status === 'inconclusive' ? '?' : '';
}

/** Why a row was not judged, or why its change did not count, in words; undefined when it has no reason. */
export function formatRowReason(r: ComparisonRow): string | undefined {
  const why = r.reason;
  if (!why) return undefined;
  switch (why.kind) {
    case 'not-a-number':
      return 'not a number in one summary';
    case 'no-histogram':
      return `no readable histogram in the ${why.side}`;
    case 'generator-stalls':
      return `the ${why.side}'s generator saturated (generator.loop_lag p99 ${why.lagMs} ms, beyond ${round1(why.tolerance * 100)}% of this figure)`;
    case 'generator-paced':
      return `the ${why.side}'s generator saturated: it set the pace`;
    case 'schemas-differ':
      return 'counted differently in /1 and /2';
    case 'few-samples': {
      // `n=12 < 30`, `current n=150 < 200 for p95`.
      const n =
        why.base >= why.need
          ? `current n=${why.current}`
          : why.current >= why.need
            ? `baseline n=${why.base}`
            : why.base === why.current
              ? `n=${why.base}`
              : `n=${why.base}/${why.current}`;
      return `${n} < ${why.need}${why.stat === 'p50' ? '' : ` for ${why.stat}`}`;
    }
    case 'below-floor':
      return `below the ${formatFloor(why.floor, r.unit)} floor`;
    case 'host-noise':
      return `a ${formatFloor(why.change, r.unit)} change is within the host noise (twice the ${formatFloor(why.lag, r.unit)} the generator lagged as these samples were timed)`;
    case 'within-noise':
      return 'within noise';
    case 'new-leak':
      return 'any leak after a clean baseline';
    case 'isolation-untested':
      return `isolation untested in the ${why.sides.join(' and the ')}`;
  }
}

/** A caveat of a comparison, in words. */
export function formatCaveat(c: Caveat): string {
  switch (c.kind) {
    case 'one-side-only':
      return `${c.metric} has samples only in the ${c.side}: not compared`;
    case 'different-scenarios':
      return `different scenarios: baseline "${c.base}", current "${c.current}"`;
    case 'scenario-changed':
      return 'the scenario file changed between the runs (sha256 differs): figures may not be comparable';
    case 'different-targets':
      return `different targets: ${c.base} and ${c.current}`;
    case 'schemas-differ':
      return `the baseline is ${c.base} and the current run ${c.current}: isolation counts are not comparable (/1 counted each reason a frame leaked, /2 counts leaked frames), so only a leak after a clean baseline is judged`;
    case 'untested':
      return `the ${c.side}'s verdict is untested: its figures do not describe a working target`;
    case 'saturated':
      return `the ${c.side}'s generator was saturated (generator.loop_lag p99 ${c.lagMs} ms): its throughput, and latencies its stalls could move beyond the tolerance, are not judged`;
    case 'interrupted':
      return `the ${c.side} was interrupted: its figures cover only part of the scenario`;
    case 'steady-windows':
      return `counter rates are per second of steady state: baseline ${describeWindow(c.base)}, current ${describeWindow(c.current)}`;
  }
}

function describeWindow(w: SteadyWindow): string {
  if (w.source === 'whole run') return `the whole run (${round1(w.seconds)} s; ${w.reason})`;
  return `seconds ${w.fromSec - 1}–${w.toSec} (${w.seconds} s at peak users)`;
}

function formatFloor(floor: number, unit: ComparisonRow['unit']): string {
  switch (unit) {
    case 'ms':
      return `${Number(floor.toPrecision(floor < 10 ? 2 : 3))} ms`;
    case '/s':
      return `${Number(floor.toPrecision(3))}/s`;
    case 'fraction':
      return `${Number((floor * 100).toPrecision(3))} point`;
    default:
      return String(floor);
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function rowNote(r: ComparisonRow): string {
  const why = formatRowReason(r);
  if (r.status === 'inconclusive') return `inconclusive: ${why ?? ''}`;
  if (why) return why;
  if (r.status === 'info') return 'info';
  return '';
}

function formatValue(v: number, unit: ComparisonRow['unit']): string {
  switch (unit) {
    case 'ms':
      return formatDurationMs(v);
    case '/s':
      return `${v.toFixed(2)}/s`;
    case 'fraction':
      return `${(v * 100).toFixed(2)}%`;
    default:
      return String(v);
  }
}

function formatChange(r: ComparisonRow): string {
  if (r.changePct === null) return 'new';
  return formatSignedPct(r.changePct);
}

function formatSignedPct(p: number): string {
  if (p === Infinity) return '+∞';
  if (p === -Infinity) return '-∞';
  const v = Math.abs(p) < 0.05 ? 0 : p;
  return `${v > 0 ? '+' : ''}${v.toFixed(1)}%`;
}

function formatInterval(r: ComparisonRow): string {
  return r.intervalPct ? `[${formatSignedPct(r.intervalPct.low)}, ${formatSignedPct(r.intervalPct.high)}]` : '';
}

function formatSamples(r: ComparisonRow): string {
  return r.samples ? `${r.samples.base}/${r.samples.current}` : '';
}

function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}

function verdictLine(c: Comparison): string {
  const extra = c.inconclusive ? `; ${c.inconclusive} inconclusive (not judged)` : '';
  if (c.verdict === 'ok')
    return `OK: no regression beyond ${formatPercent(c.tolerance)}${c.improvements ? ` (${plural(c.improvements, 'improvement')})` : ''}${extra}`;
  const names = c.rows.filter((r) => r.status === 'regression').map((r) => `${r.metric} ${r.stat}`);
  return `REGRESSION: ${plural(c.regressions, 'figure')} worse beyond ${formatPercent(c.tolerance)}: ${names.join(', ')}${extra}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Left-aligned text columns, right-aligned figures (baseline to n). */
function alignTable(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i >= 3 && i <= 7 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

function markdownTable(rows: readonly ComparisonRow[], c: Comparison): string[] {
  const out = [
    `| | metric | stat | baseline | current | change | ${formatPercent(c.confidence)} interval | n | |`,
    '|---|---|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${mark(r)} | \`${r.metric}\` | ${r.stat} | ${formatValue(r.base, r.unit)} | ${formatValue(r.current, r.unit)} | ${formatChange(r)} | ${formatInterval(r)} | ${formatSamples(r)} | ${md(rowNote(r))} |`,
    );
  }
  return out;
}

// Scenario names and notes are free text: keep them from breaking the table or adding markup.
function md(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (ch) => `\\${ch}`);
}
