// Text of `simulate compare`: an aligned terminal table and a GitHub
// pull-request comment. Each judged row carries its confidence interval and
// sample counts so a reader sees why it was (not) flagged; inconclusive rows
// say what they lacked.
import type { Comparison, ComparisonRow, RowStatus } from '../core/compare.js';
import { formatDurationMs } from '../core/units.js';

/** The comparison as an aligned terminal table: regressions first (✗), improvements (✓), the rest, inconclusive (?) last. */
export function formatComparisonTable(c: Comparison): string {
  const lines: string[] = [];
  lines.push(`compare: baseline ${c.base.scenario} (${c.base.startedAt}) → current ${c.current.scenario} (${c.current.startedAt}), tolerance ${formatPercent(c.tolerance)}, confidence ${formatPercent(c.confidence)}`);
  lines.push('');
  const table: string[][] = [['', 'metric', 'stat', 'baseline', 'current', 'change', `${formatPercent(c.confidence)} interval`, 'n', '']];
  for (const r of ordered(c.rows)) {
    table.push([mark(r), r.metric, r.stat, formatValue(r.base, r.unit), formatValue(r.current, r.unit), formatChange(r), formatInterval(r), formatSamples(r), rowNote(r)]);
  }
  lines.push(...alignTable(table));
  lines.push('');
  lines.push(`method: ${describeMethod(c)}`);
  for (const n of c.notes) lines.push(`note: ${n}`);
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
  out.push(`## ${icon} crosstalk: ${c.verdict === 'regression' ? `${plural(c.regressions, 'regression')} beyond ${formatPercent(c.tolerance)}` : `no regression beyond ${formatPercent(c.tolerance)}`}`);
  out.push('');
  const tally = [
    c.improvements ? plural(c.improvements, 'improvement') : '',
    c.inconclusive ? `${c.inconclusive} inconclusive` : '',
  ].filter(Boolean).join(', ');
  out.push(`Baseline **${md(c.base.scenario)}** (${md(c.base.startedAt)}, exit ${c.base.exitCode}) → current **${md(c.current.scenario)}** (${md(c.current.startedAt)}, exit ${c.current.exitCode}); tolerance ${formatPercent(c.tolerance)} at ${formatPercent(c.confidence)} confidence${tally ? `; ${tally}` : ''}.`);
  out.push('');
  const changed = ordered(c.rows).filter((r) => r.status === 'regression' || r.status === 'improvement');
  if (changed.length) out.push(...markdownTable(changed, c), '');
  else out.push('No figure changed beyond the tolerance.', '');
  for (const n of c.notes) out.push(`> ${md(n)}`);
  out.push(`> method: ${md(describeMethod(c))}`, '');
  const inconclusive = c.rows.filter((r) => r.status === 'inconclusive');
  if (inconclusive.length) {
    out.push('<details>');
    out.push(`<summary>${plural(inconclusive.length, 'inconclusive figure')} (not judged)</summary>`);
    out.push('');
    out.push('| metric | stat | baseline | current | why |', '|---|---|---:|---:|---|');
    for (const r of inconclusive) out.push(`| \`${r.metric}\` | ${r.stat} | ${formatValue(r.base, r.unit)} | ${formatValue(r.current, r.unit)} | ${md(r.note ?? '')} |`);
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
  return `a figure regresses when its whole ${formatPercent(c.confidence)} interval is beyond ${formatPercent(c.tolerance)} worse and it moved more than its floor `
    + `(1 ms for latencies; a latency change within twice the generator's own loop lag as it was timed is inconclusive); `
    + `percentiles by bootstrap over the HDR histograms (${c.resamples} resamples), rates by a Poisson test over steady state`;
}

const STATUS_ORDER: Record<RowStatus, number> = { regression: 0, improvement: 1, unchanged: 2, info: 3, inconclusive: 4 };

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
  return r.status === 'regression' ? '✗' : r.status === 'improvement' ? '✓' : r.status === 'inconclusive' ? '?' : '';
}

function rowNote(r: ComparisonRow): string {
  if (r.status === 'inconclusive') return `inconclusive: ${r.note ?? ''}`;
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
  if (c.verdict === 'ok') return `OK: no regression beyond ${formatPercent(c.tolerance)}${c.improvements ? ` (${plural(c.improvements, 'improvement')})` : ''}${extra}`;
  const names = c.rows.filter((r) => r.status === 'regression').map((r) => `${r.metric} ${r.stat}`);
  return `REGRESSION: ${plural(c.regressions, 'figure')} worse beyond ${formatPercent(c.tolerance)}: ${names.join(', ')}${extra}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Left-aligned text columns, right-aligned figures (baseline to n). */
function alignTable(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i >= 3 && i <= 7 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

function markdownTable(rows: readonly ComparisonRow[], c: Comparison): string[] {
  const out = [`| | metric | stat | baseline | current | change | ${formatPercent(c.confidence)} interval | n | |`, '|---|---|---|---:|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    out.push(`| ${mark(r)} | \`${r.metric}\` | ${r.stat} | ${formatValue(r.base, r.unit)} | ${formatValue(r.current, r.unit)} | ${formatChange(r)} | ${formatInterval(r)} | ${formatSamples(r)} | ${md(rowNote(r))} |`);
  }
  return out;
}

// Scenario names and notes are free text: keep them from breaking the table or adding markup.
function md(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (ch) => `\\${ch}`);
}
