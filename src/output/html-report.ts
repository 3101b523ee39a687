// report.html: one self-contained page (uPlot, styles, script and data all
// inline) that opens from disk with no network. Tables are server-rendered
// HTML so the page reads without JavaScript; only the charts need it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Summary, TrendSummary } from '../core/summary.js';
import { formatDurationMs } from '../core/units.js';
import { formatIsolationGap } from '../core/verdict.js';
import { formatQueueingNotice, formatSaturationFigures } from './generator-health-text.js';
import {
  buildChartData,
  buildVerdict,
  counterEntries,
  formatThresholdActual,
  isChartedLatency,
  groupViolations,
  pickViolations,
  trendEntries,
  type ChartData,
  type ViolationGroup,
} from './report-data.js';
import { REPORT_CSS, REPORT_SCRIPT } from './report-page.js';
import { writeFileAtomic } from './results-dir.js';

/** How many violations the report lists with their evidence (violations.jsonl has them all). */
export const REPORT_VIOLATION_ROWS = 20;

let uplotAssets: { js: string; css: string } | undefined;

/** uPlot's minified script and stylesheet, read once from node_modules (so the report needs no CDN). */
function loadUplot(): { js: string; css: string } {
  if (!uplotAssets) {
    const dir = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
    uplotAssets = {
      js: readFileSync(join(dir, 'uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(join(dir, 'uPlot.min.css'), 'utf8'),
    };
  }
  return uplotAssets;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * JSON that is safe inside `<script type="application/json">`: every `<` is
 * written `\u003c`, so no string in it (a frame, a cohort name) can close
 * the script element or open a comment. JSON.parse reads it back unchanged.
 */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A script body that can be inlined: `</script` inside it would end the element early. */
function inlineScript(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1');
}

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Renders the whole report for a summary and the first violations (lines of
 * violations.jsonl, or the engine's in-memory records). Deterministic: the
 * same input gives the same page.
 */
export function formatHtmlReport(summary: Summary, violations: readonly Record<string, unknown>[]): string {
  const uplot = loadUplot();
  const verdict = buildVerdict(summary);
  const charts = buildChartData(summary);
  const picked = pickViolations(violations, REPORT_VIOLATION_ROWS);
  const uplotJs = inlineScript(uplot.js);
  const appJs = inlineScript(REPORT_SCRIPT);
  // Only the two scripts we inline may run (by hash) and nothing may be
  // fetched: even a frame that slipped past escaping could not execute or call out.
  const csp = `default-src 'none'; script-src ${sha256(uplotJs)} ${sha256(appJs)}; style-src 'unsafe-inline'; img-src data:`;
  const word = verdict.word;
  return `<!doctype html>
<html lang="en" class="no-js">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${word} · ${escapeHtml(summary.scenario.name)} · crosstalk</title>
<style>${uplot.css}</style>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${verdictBlock(summary, verdict)}
${metaBlock(summary)}
<noscript><p class="nojs-note">Charts need JavaScript; every figure below is also in the tables.</p></noscript>
${thresholdsSection(summary)}
${latencySection(summary, charts)}
${overTimeSection(charts)}
${isolationSection(summary, charts, picked)}
${countersSection(summary)}
</main>
<script type="application/json" id="report-data">${jsonForScript(charts)}</script>
<script>${uplotJs}</script>
<script>${appJs}</script>
</body>
</html>
`;
}

/** Renders the report and writes `<dir>/report.html` atomically (the run engine calls this at the end of a run). */
export function writeHtmlReport(dir: string, summary: Summary, violations: readonly Record<string, unknown>[]): string {
  const path = join(dir, 'report.html');
  writeFileAtomic(path, formatHtmlReport(summary, violations));
  return path;
}

function verdictBlock(s: Summary, v: ReturnType<typeof buildVerdict>): string {
  const list = v.reasons.length
    ? `<ul class="reasons">${v.reasons.map((r) => `<li class="${r.severity}">${escapeHtml(r.text)}</li>`).join('')}</ul>`
    : '';
  const g = s.generator;
  const saturated = g.saturated
    ? `<div class="banner" role="alert">⚠ generator saturated: latencies not trustworthy (${escapeHtml(formatSaturationFigures(g))}). Run with fewer users per generator or more workers.</div>`
    : '';
  const queueingText = formatQueueingNotice(g.queueing);
  const queueing = queueingText
    ? `<div class="banner" role="status" id="generator-queueing">⚠ ${escapeHtml(queueingText)}.</div>`
    : '';
  return `<header class="verdict ${v.word.toLowerCase()}" id="verdict">
<div><div class="word">${v.word}</div><div class="exit">exit ${v.exitCode}</div></div>
<div><div class="headline">${escapeHtml(v.headline)}</div>${list}</div>
</header>
${saturated}${queueing}`;
}

function metaBlock(s: Summary): string {
  const byCohort = Object.entries(s.users?.byCohort ?? {})
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
  const items: [string, string][] = [
    ['scenario', s.scenario.name],
    ['target', s.target.embedded ? 'embedded reference target' : s.target.url],
    ['started', s.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')],
    ['duration', formatDurationMs(s.durationMs) + (s.interrupted ? ' (interrupted)' : '')],
    ['users', `${s.users?.total ?? '?'}${byCohort ? ` (${byCohort})` : ''}`],
  ];
  if (s.segment && s.segment !== '0/1') items.push(['segment', s.segment]);
  const about = [s.scenario.description, `${s.scenario.file} (sha256 ${s.scenario.sha256.slice(0, 12)})`]
    .filter(Boolean)
    .join(' · ');
  const nav = [
    ['thresholds', 'Thresholds'],
    ['latency', 'Latency'],
    ['over-time', 'Over time'],
    ['isolation', 'Isolation'],
    ['counters', 'Counters'],
  ]
    .map(([id, label]) => `<a href="#${id}">${label}</a>`)
    .join('');
  return `<dl class="meta">${items.map(([k, v]) => `<div><dt>${k}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>
<p class="about muted">${escapeHtml(about)}</p>
<nav>${nav}</nav>`;
}

function thresholdsSection(s: Summary): string {
  if (!s.thresholds.length)
    return '<h2 id="thresholds">Thresholds</h2><p class="muted">The scenario sets no thresholds.</p>';
  const rows = s.thresholds.map((t) => {
    const actual =
      t.actual === null
        ? (t.note ?? 'no data')
        : `${formatThresholdActual(t.metric, t.expression, t.actual)}${t.note ? ` (${t.note})` : ''}`;
    return `<tr class="${t.ok ? '' : 'bad'}"><td>${t.ok ? '<span class="ok">✓ pass</span>' : '<span class="no">✗ fail</span>'}</td><td><code>${escapeHtml(t.metric)}</code></td><td><code>${escapeHtml(t.expression)}</code></td><td class="num">${escapeHtml(actual)}</td></tr>`;
  });
  const failed = s.thresholds.filter((t) => !t.ok).length;
  return `<h2 id="thresholds">Thresholds <span class="muted">— ${failed ? `${failed} of ${s.thresholds.length} failed` : `all ${s.thresholds.length} held`}</span></h2>
<table><thead><tr><th>result</th><th>metric</th><th>expression</th><th class="num">actual</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const PER_COHORT_ROWS = new Set(['ws.connect', 'run.agent_started', 'run.total']);

function latencySection(s: Summary, charts: ChartData): string {
  const cells = (t: Pick<TrendSummary, 'count' | 'p50' | 'p90' | 'p95' | 'p99' | 'p999' | 'max'>): string =>
    `<td class="num">${t.count.toLocaleString('en-US')}</td>${[t.p50, t.p90, t.p95, t.p99, t.p999, t.max].map((v) => `<td class="num">${formatDurationMs(v)}</td>`).join('')}`;
  const rows: string[] = [];
  for (const [name, t] of trendEntries(s)) {
    rows.push(`<tr><td><code>${escapeHtml(name)}</code></td>${cells(t)}</tr>`);
    const cohorts = Object.entries(t.byTag ?? {}).filter(([k]) => k.startsWith('cohort:'));
    if (PER_COHORT_ROWS.has(name) && cohorts.length > 1) {
      for (const [k, b] of cohorts) rows.push(`<tr class="sub"><td>${escapeHtml(k)}</td>${cells(b)}</tr>`);
    }
  }
  const table = rows.length
    ? `<table><thead><tr><th>metric</th><th class="num">count</th><th class="num">p50</th><th class="num">p90</th><th class="num">p95</th><th class="num">p99</th><th class="num">p99.9</th><th class="num">max</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    : '<p class="muted">No latencies were recorded.</p>';
  const skipped = trendEntries(s)
    .filter(([n, t]) => isChartedLatency(n) && t.count > 0 && !charts.distributions.some((d) => d.metric === n))
    .map(([n]) => n);
  const figs = charts.distributions.map((d, i) =>
    figure('distribution', d.metric, `${d.count.toLocaleString('en-US')} samples`, i),
  );
  return `<h2 id="latency">Latency</h2>
${table}
${figs.length ? `<div class="js-only"><h3>Percentile distributions (log scales: the right edge is the tail)</h3><div class="grid">${figs.join('')}</div></div>` : ''}
${skipped.length ? `<p class="muted">No distribution for ${escapeHtml(skipped.join(', '))}: histogram unreadable.</p>` : ''}`;
}

function figure(kind: string, title: string, note: string, index?: number): string {
  return `<figure class="chart" data-chart="${kind}"${index === undefined ? '' : ` data-index="${index}"`}${kind === 'distribution' ? ` data-metric="${escapeHtml(title)}"` : ''}><figcaption>${escapeHtml(title)} <span>${escapeHtml(note)}</span></figcaption><div class="plot"></div></figure>`;
}

function overTimeSection(charts: ChartData): string {
  const tl = charts.timeline;
  if (!tl.t.length)
    return '<h2 id="over-time">Over time</h2><p class="muted">This summary has no per-second series.</p>';
  const figs = tl.latency.map((m, i) => figure('latency', m.metric, 'p50 / p95 / p99 per second', i));
  if (tl.users.length) figs.push(figure('users', 'Active users', 'per cohort'));
  figs.push(figure('rates', 'Runs and errors', 'per second'));
  return `<section class="js-only"><h2 id="over-time">Over time</h2><div class="grid wide">${figs.join('')}</div></section>`;
}

function isolationSection(s: Summary, charts: ChartData, picked: ReturnType<typeof pickViolations>): string {
  const iso = s.isolation;
  const kindRows = (byKind: Readonly<Record<string, number>>, cls: string): string =>
    Object.entries(byKind)
      .sort((a, b) => b[1] - a[1])
      .map(
        ([k, n]) =>
          `<tr class="${cls}"><td class="kind">${escapeHtml(k)}</td><td class="num">${n.toLocaleString('en-US')}</td></tr>`,
      )
      .join('');
  const none = '<tr><td class="ok">no violations</td><td class="num">0</td></tr>';
  const leaked = `<tr class="bad"><td><b>leaked frames and answers</b></td><td class="num"><b>${iso.violations.toLocaleString('en-US')}</b></td></tr>${kindRows(iso.byKind, 'bad sub')}`;
  const untested = `<tr class="warn"><td>untested: ${escapeHtml(formatIsolationGap(iso.reason ?? ''))}</td><td class="num">–</td></tr>`;
  const isoTable = `<table><thead><tr><th>isolation</th><th class="num">frames</th></tr></thead><tbody>${iso.violations ? leaked : iso.verdict === 'untested' ? untested : none}${iso.unattributed ? `<tr><td class="kind">unattributed ids</td><td class="num">${iso.unattributed}</td></tr>` : ''}</tbody></table>`;
  const lcTable = `<table><thead><tr><th>lifecycle</th><th class="num">count</th></tr></thead><tbody>${s.lifecycle.violations ? kindRows(s.lifecycle.byKind, 'warn') : none}</tbody></table>`;
  const chart = charts.timeline.violations.length ? figure('violations', 'Violations', 'per second') : '';
  const startedMs = Date.parse(s.startedAt);
  const lists = [
    violationTable('isolation', 'First isolation violations', picked.isolation, iso.violations, startedMs),
    violationTable('lifecycle', 'First lifecycle violations', picked.lifecycle, s.lifecycle.violations, startedMs),
  ].join('\n');
  const missing =
    !picked.isolation.length && !picked.lifecycle.length && iso.violations + s.lifecycle.violations > 0
      ? '<p class="muted">violations.jsonl was not found or is empty, so no evidence is listed.</p>'
      : '';
  return `<h2 id="isolation">Isolation and lifecycle</h2><div class="tables">${isoTable}${coverageTable(s)}${lcTable}${chart}</div>\n${lists}${missing}`;
}

/** What the oracle saw, against the floors isolation is judged by; empty for summaries without coverage (/1). */
function coverageTable(s: Summary): string {
  const c = s.coverage;
  if (!c) return '';
  const f = c.floor;
  const row = (label: string, value: string, below: boolean): string =>
    `<tr class="${below ? 'warn' : ''}"><td>${escapeHtml(label)}</td><td class="num">${escapeHtml(value)}</td></tr>`;
  const rows = [
    row(
      'frames checked / received',
      `${c.framesChecked.toLocaleString('en-US')} / ${c.framesReceived.toLocaleString('en-US')}`,
      c.framesChecked < f.framesChecked,
    ),
    row(
      'REST answers checked',
      c.restAnswersChecked.toLocaleString('en-US'),
      c.restAnswersChecked < f.restAnswersChecked,
    ),
    row(
      'runs completed / started',
      `${c.runsCompleted.toLocaleString('en-US')} / ${c.runsStarted.toLocaleString('en-US')}`,
      c.runsCompleted < f.runsCompleted,
    ),
    row('users with a completed run', c.usersWithRun.toLocaleString('en-US'), c.usersWithRun < f.usersWithRun),
    row(
      'probes answered / sent',
      `${c.probesAnswered.toLocaleString('en-US')} / ${c.probesSent.toLocaleString('en-US')}`,
      c.probesAnswered < f.probesAnswered,
    ),
    ...Object.entries(c.operations).map(([op, o]) =>
      row(
        `${op} succeeded / attempted`,
        `${o.succeeded.toLocaleString('en-US')} / ${o.attempted.toLocaleString('en-US')}`,
        o.succeeded === 0,
      ),
    ),
  ];
  return `<table class="coverage"><thead><tr><th>coverage</th><th class="num">count</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A table of violations grouped by frame; empty when there are none to list. */
function violationTable(
  id: string,
  title: string,
  list: readonly Readonly<Record<string, unknown>>[],
  total: number,
  startedMs: number,
): string {
  if (!list.length) return '';
  const shown =
    Math.max(total, list.length) > list.length
      ? ` — ${list.length} of ${total.toLocaleString('en-US')}; violations.jsonl has every one`
      : '';
  let framesOpen = 0;
  const body = groupViolations(list, startedMs)
    .map((g) => violationGroup(g, g.frame !== '' && framesOpen++ < 3))
    .join('');
  return `<h3 id="first-${id}">${escapeHtml(title + shown)}</h3>
<table class="violations"><thead><tr><th>when</th><th>kind</th><th>receiver (user / connection)</th><th>owner</th><th>evidence</th><th>channel</th></tr></thead>${body}</table>`;
}

/** One leaked frame: its findings one per line, then the frame (open for the first few, folded after). */
function violationGroup(g: ViolationGroup, open: boolean): string {
  const lines = (f: (x: ViolationGroup['findings'][number]) => string): string => g.findings.map(f).join('<br>');
  const receiver = `${escapeHtml(g.receiver)}${g.cohort ? ` <span class="muted">(${escapeHtml(g.cohort)})</span>` : ''}${g.connection ? `<br><span class="muted">${escapeHtml(g.connection)}</span>` : ''}`;
  const owners = [...new Set(g.findings.map((f) => f.owner).filter(Boolean))].map(escapeHtml).join('<br>');
  const row = `<tr><td title="${escapeHtml(g.time)}">${escapeHtml(g.offset || g.time)}</td><td>${lines((f) => `<span class="kind ${f.class === 'lifecycle' ? 'lc' : 'no'}">${escapeHtml(f.kind)}</span>`)}</td><td>${receiver}</td><td>${owners}</td><td>${lines((f) => (f.field || f.value ? `<code>${escapeHtml(f.field)}=${escapeHtml(f.value)}</code>` : ''))}</td><td>${escapeHtml(g.channel)}</td></tr>`;
  const values = g.findings.map((f) => f.value);
  const frame = g.frame
    ? `<tr><td class="frame" colspan="6"><details${open ? ' open' : ''}><summary>frame</summary><pre>${highlight(g.frame, values)}</pre></details></td></tr>`
    : '';
  return `<tbody class="vgroup">${row}${frame}</tbody>`;
}

/** The frame, escaped, with every occurrence of the giveaway value marked (each piece escaped on its own). */
function highlight(frame: string, values: readonly string[]): string {
  // Longest first, so a value inside another is not marked twice; short ones would mark noise.
  const marks = [...new Set(values.filter((v) => v.length >= 3))].sort((a, b) => b.length - a.length);
  const mark = (text: string, k: number): string => {
    const v = marks[k];
    if (v === undefined) return escapeHtml(text);
    return text
      .split(v)
      .map((part) => mark(part, k + 1))
      .join(`<mark>${escapeHtml(v)}</mark>`);
  };
  return mark(frame, 0);
}

function countersSection(s: Summary): string {
  const counters = counterEntries(s).map(([name, c]) => {
    const tags = Object.entries(c.byTag ?? {})
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n.toLocaleString('en-US')}`)
      .join(' · ');
    return `<tr><td><code>${escapeHtml(name)}</code></td><td class="num">${c.value.toLocaleString('en-US')}</td><td class="num">${c.ratePerSec.toFixed(2)}</td><td class="muted">${escapeHtml(tags)}</td></tr>`;
  });
  const errors = s.errors ?? { count: 0, rate: 0, byKind: {} };
  const errorRows = Object.entries(errors.byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `<tr><td class="kind">${escapeHtml(k)}</td><td class="num">${n.toLocaleString('en-US')}</td></tr>`)
    .join('');
  const r = s.runs;
  const g = s.generator;
  const kv = (title: string, pairs: [string, string][]): string =>
    `<table><thead><tr><th>${title}</th><th class="num"></th></tr></thead><tbody>${pairs.map(([k, v]) => `<tr><td>${k}</td><td class="num">${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>`;
  const n = (v: number | undefined): string => (v ?? 0).toLocaleString('en-US');
  return `<h2 id="counters">Counters, errors, runs, generator</h2>
<div class="tables">
${kv('runs', [
  ['started', n(r.started)],
  ['completed', n(r.completed)],
  ['failed', n(r.failed)],
  ['timed out', n(r.timedOut)],
  ['interrupted', n(r.interrupted)],
])}
<table><thead><tr><th>errors by kind</th><th class="num">${n(errors.count)} · ${(errors.rate * 100).toFixed(2)}% of operations</th></tr></thead><tbody>${errorRows || '<tr><td class="ok">no errors</td><td class="num">0</td></tr>'}</tbody></table>
${kv('generator health', [
  ['generator.loop_lag p99', formatDurationMs(g.loopLagP99Ms)],
  ['generator.loop_lag max', formatDurationMs(g.loopLagMaxMs ?? 0)],
  ['CPU', `${g.cpuPercent}%`],
  ...(g.queueing
    ? [
        [
          `queueing (lag over ${g.queueing.boundMs} ms)`,
          g.queueing.seconds
            ? `${g.queueing.seconds} s in ${g.queueing.windows.length} window${g.queueing.windows.length === 1 ? '' : 's'}`
            : 'none',
        ] as [string, string],
      ]
    : []),
  ['saturated', g.saturated ? 'YES: latencies not trustworthy' : 'no'],
])}
</div>
<h3>Counters</h3>
<table><thead><tr><th>counter</th><th class="num">value</th><th class="num">per second</th><th>by tag</th></tr></thead><tbody>${counters.join('')}</tbody></table>`;
}
