import type { CounterSummary, Summary, TrendSummary } from '../core/summary.js';
import { formatDurationMs } from '../core/units.js';
import { formatIsolationGap } from '../core/verdict.js';
import { formatQueueingNotice, formatSaturationFigures } from './generator-health-text.js';
import { formatVerdictWord } from './verdict-text.js';

const PER_COHORT = new Set(['run.total', 'ws.connect', 'run.agent_started']);

/** The end-of-run report for the terminal: latencies, counters, errors, thresholds, verdict. */
export function formatSummary(s: Summary, opts: { color?: boolean } = {}): string {
  const c = opts.color
    ? { ok: '\x1b[32m', bad: '\x1b[31m', dim: '\x1b[2m', bold: '\x1b[1m', off: '\x1b[0m' }
    : { ok: '', bad: '', dim: '', bold: '', off: '' };
  const lines: string[] = [];
  lines.push(
    `${c.bold}${s.scenario.name}${c.off}  ${c.dim}${s.target.embedded ? 'embedded target' : s.target.url}  ${formatDurationMs(s.durationMs)}${s.interrupted ? '  (interrupted)' : ''}${c.off}`,
  );
  lines.push('');
  const rows: string[][] = [['latency', 'count', 'p50', 'p90', 'p95', 'p99', 'max']];
  const trends = Object.entries(s.metrics).filter((e): e is [string, TrendSummary] => e[1].type === 'trend');
  for (const [name, t] of trends) {
    rows.push([name, String(t.count), ...[t.p50, t.p90, t.p95, t.p99, t.max].map(formatDurationMs)]);
    const cohorts = Object.entries(t.byTag).filter(([k]) => k.startsWith('cohort:'));
    if (PER_COHORT.has(name) && cohorts.length > 1) {
      for (const [k, b] of cohorts)
        rows.push([`  {${k}}`, String(b.count), ...[b.p50, b.p90, b.p95, b.p99, b.max].map(formatDurationMs)]);
    }
  }
  if (rows.length > 1) lines.push(...formatTable(rows));
  else lines.push('no latencies were recorded');
  lines.push('');
  const counters = Object.entries(s.metrics).filter(
    (e): e is [string, CounterSummary] => e[1].type === 'counter' && e[0] !== 'errors',
  );
  const cRows: string[][] = [['counter', 'value', 'per second']];
  for (const [name, v] of counters) cRows.push([name, String(v.value), v.ratePerSec.toFixed(2)]);
  lines.push(...formatTable(cRows));
  lines.push('');
  const r = s.runs;
  lines.push(
    `runs: ${r.started} started, ${r.completed} completed, ${r.failed} failed, ${r.timedOut} timed out${r.interrupted ? `, ${r.interrupted} interrupted` : ''}`,
  );
  const kinds = Object.entries(s.errors.byKind).sort((a, b) => b[1] - a[1]);
  lines.push(
    `errors: ${s.errors.count} (${(s.errors.rate * 100).toFixed(2)}% of operations)${kinds.length ? `  ${kinds.map(([k, v]) => `${k}=${v}`).join('  ')}` : ''}`,
  );
  const iso = s.isolation;
  const isoKinds = Object.entries(iso.byKind)
    .map(([k, v]) => `${k}=${v}`)
    .join('  ');
  const isoText =
    iso.verdict === 'untested'
      ? `${c.bad}UNTESTED${c.off} (${formatIsolationGap(iso.reason ?? '')})`
      : iso.violations === 0
        ? `${c.ok}no violations${c.off}`
        : `${c.bad}${iso.violations} leaked frame(s) or answer(s)${c.off}  ${isoKinds}`;
  lines.push(`isolation: ${isoText}${iso.unattributed ? `  (${iso.unattributed} unattributed)` : ''}`);
  if (s.coverage) lines.push(`coverage: ${formatCoverage(s)}`);
  if (s.lifecycle.violations)
    lines.push(
      `lifecycle: ${s.lifecycle.violations} violation(s)  ${Object.entries(s.lifecycle.byKind)
        .map(([k, v]) => `${k}=${v}`)
        .join('  ')}`,
    );
  if (s.aborted)
    lines.push(
      `${c.bad}run stopped early at ${s.aborted.atSec}s: ${s.aborted.metric} ${s.aborted.expression} failed (abortOnFail)${c.off}`,
    );
  if (s.generator.saturated)
    lines.push(
      `${c.bad}generator saturated (${formatSaturationFigures(s.generator)}): latencies are not trustworthy${c.off}`,
    );
  const queueing = formatQueueingNotice(s.generator.queueing);
  if (queueing)
    lines.push(
      `${s.generator.saturated ? c.bad : ''}generator queueing: ${queueing}${s.generator.saturated ? c.off : ''}`,
    );
  // Live outputs never change the verdict, but samples a receiver never got are a gap in someone's dashboard.
  for (const rw of s.outputs?.prometheusRw ?? []) {
    const bad = rw.samplesDropped > 0 ? c.bad : '';
    lines.push(
      `${bad}prometheus-rw ${rw.url}: ${rw.samplesSent} samples sent, ${rw.samplesDropped} dropped${rw.lastError ? ` (last error: ${rw.lastError})` : ''}${bad ? c.off : ''}`,
    );
  }
  if (s.outputs?.metricsEndpoint)
    lines.push(`metrics: ${s.outputs.metricsEndpoint.url} scraped ${s.outputs.metricsEndpoint.scrapes} time(s)`);
  if (s.thresholds.length) {
    lines.push('');
    lines.push('thresholds:');
    for (const t of s.thresholds) {
      const mark = t.ok ? `${c.ok}✓${c.off}` : `${c.bad}✗${c.off}`;
      const actual = t.actual === null ? (t.note ?? 'no data') : formatActual(t.metric, t.expression, t.actual);
      lines.push(
        `  ${mark} ${t.metric}  ${t.expression}  (actual ${actual})${t.note && t.actual !== null ? `  ${t.note}` : ''}`,
      );
    }
  }
  lines.push('');
  const why = s.reasons?.[0];
  const word = formatVerdictWord(s);
  lines.push(
    word === 'PASS'
      ? `${c.ok}${c.bold}${word}${c.off}`
      : `${c.bad}${c.bold}${word}${c.off} (exit ${s.exitCode})${why ? `: ${why}` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

/** One line of what the run exercised: frames and answers checked, runs, probes. */
function formatCoverage(s: Summary): string {
  const v = s.coverage!;
  const parts = [
    `${v.framesChecked} of ${v.framesReceived} frames checked`,
    `${v.restAnswersChecked} REST answers checked`,
    `${v.runsCompleted} of ${v.runsStarted} runs completed by ${v.usersWithRun} user${v.usersWithRun === 1 ? '' : 's'}`,
  ];
  if (v.probesSent) parts.push(`${v.probesAnswered} of ${v.probesSent} probes answered`);
  return parts.join(', ');
}

function formatActual(metric: string, expression: string, actual: number): string {
  if (/^\s*(count|rate)/.test(expression))
    return /^\s*rate/.test(expression) && metric.startsWith('errors')
      ? `${(actual * 100).toFixed(2)}%`
      : String(actual);
  return formatDurationMs(actual);
}

/** Left-aligned first column, right-aligned numbers. */
function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
