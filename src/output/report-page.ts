// The report page's own stylesheet and script, as text to inline. Kept apart
// from the markup so html-report.ts stays readable; the script only draws
// charts (every figure it shows is also in a plain table).

/** The report's stylesheet (uPlot's own CSS is inlined separately). */
export const REPORT_CSS = `
:root { --pass: #137333; --pass-bg: #e6f4ea; --fail: #b3261e; --fail-bg: #fce8e6; --warn: #8a5300; --warn-bg: #fef7e0;
  --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 48px; }
h2 { font-size: 18px; margin: 36px 0 10px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 18px 0 8px; color: var(--muted); font-weight: 600; }
.verdict { display: flex; gap: 28px; align-items: center; padding: 20px 26px; border-radius: 10px; border: 2px solid; }
.verdict.pass { background: var(--pass-bg); border-color: var(--pass); }
.verdict.fail { background: var(--fail-bg); border-color: var(--fail); }
.verdict.untested { background: var(--warn-bg); border-color: var(--warn); }
.verdict .word { font-size: 64px; font-weight: 800; letter-spacing: 2px; line-height: 1; }
.verdict.pass .word { color: var(--pass); } .verdict.fail .word { color: var(--fail); } .verdict.untested .word { color: var(--warn); }
.verdict .exit { font-size: 14px; font-weight: 600; margin-top: 6px; text-align: center; }
.verdict .headline { font-size: 20px; font-weight: 650; margin-bottom: 6px; }
.reasons { margin: 0; padding: 0; list-style: none; font-size: 15px; }
.reasons li { padding: 2px 0 2px 22px; position: relative; }
.reasons li::before { position: absolute; left: 0; font-weight: 700; }
.reasons li.fail::before { content: "✗"; color: var(--fail); } .reasons li.warn::before { content: "!"; color: var(--warn); left: 5px; }
.banner { margin-top: 12px; padding: 10px 16px; border-radius: 8px; font-weight: 600; background: var(--warn-bg); color: var(--warn); border: 1px solid #f0c36d; }
.meta { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 8px 24px; margin: 16px 0 0; }
.meta div { min-width: 0; } .meta dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.meta dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.about { margin: 8px 0 0; font-size: 13px; }
nav { margin-top: 10px; font-size: 13px; } nav a { margin-right: 14px; color: #0b57d0; text-decoration: none; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; font-size: 13px; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.bad td { background: var(--fail-bg); } tr.warn td { background: var(--warn-bg); } tr.sub td:first-child { padding-left: 26px; color: var(--muted); }
.ok { color: var(--pass); font-weight: 700; } .no { color: var(--fail); font-weight: 700; }
.muted { color: var(--muted); } code { font-size: 13px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 16px; }
.grid.wide { grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); }
.tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 20px; align-items: start; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 8px 8px 4px; min-width: 0; }
figure.chart figcaption { font-weight: 600; margin: 0 4px 4px; } figure.chart figcaption span { font-weight: 400; color: var(--muted); }
.plot { min-height: 40px; }
/* Without JavaScript the charts cannot draw: hide their frames and headings, the tables say it all. */
.no-js figure.chart, .no-js .js-only { display: none; }
.nojs-note { padding: 8px 12px; background: var(--soft); border-radius: 6px; }
td.frame { padding: 0 10px 10px 24px; }
tbody.vgroup { border-bottom: 2px solid var(--line); } tbody.vgroup td { border-bottom: 0; }
summary { cursor: pointer; color: var(--muted); font-size: 12px; margin-bottom: 4px; }
.kind.lc { color: var(--warn); font-weight: 700; }
pre { margin: 0; padding: 8px 10px; background: var(--soft); border-radius: 6px; max-height: 260px; overflow: auto; font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
mark { background: #ffd8a8; color: inherit; border-radius: 2px; }
.kind { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
.u-legend { font-size: 12px; } .u-legend .u-series > * { padding: 1px 4px; }
`;

/**
 * The page script: reads the embedded JSON and draws every chart with uPlot
 * (log-log percentile distributions, per-second series). It formats values
 * the way the tables do (850µs, 12.3ms, 4.20s).
 */
export const REPORT_SCRIPT = `
(function () {
  'use strict';
  document.documentElement.classList.remove('no-js');
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var COLORS = ['#1a73e8', '#e8710a', '#188038', '#a142f4', '#d01884', '#12b5cb', '#5f6368'];
  var PCT = { p50: '#1a73e8', p95: '#e8710a', p99: '#c5221f' };
  var plots = [];

  function fmtMs(ms) {
    if (ms == null || !isFinite(ms)) return '--';
    if (Math.round(ms * 1000) < 1000) return Math.round(ms * 1000) + 'µs';
    if (ms < 9.995) return ms.toFixed(2) + 'ms';
    if (ms < 99.95) return ms.toFixed(1) + 'ms';
    if (Math.round(ms) < 1000) return Math.round(ms) + 'ms';
    if (Math.round(ms / 10) < 6000) return (ms / 1000).toFixed(2) + 's';
    var s = Math.round(ms / 1000);
    return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
  }
  // Axis labels: no trailing zeros (1ms, 2.5ms, 500µs), 0 as 0; uPlot passes null for ticks it leaves unlabelled.
  function axisMs(u, s) {
    return s.map(function (v) {
      if (v == null) return '';
      if (v === 0) return '0';
      var m = /^([0-9.]+)(.*)$/.exec(fmtMs(v));
      return m ? String(parseFloat(m[1])) + m[2] : fmtMs(v);
    });
  }
  function fmtSec(t) { return t < 60 ? t + 's' : Math.floor(t / 60) + 'm' + (t % 60 ? String(t % 60).padStart(2, '0') + 's' : ''); }
  function fmtPct(x, precise) {
    var p = 100 * (1 - 1 / x);
    if (x <= 1) return '0%';
    var digits = precise ? Math.max(1, Math.ceil(Math.log10(x)) + 1) : Math.max(0, Math.round(Math.log10(x)) - 1);
    return (+p.toFixed(Math.min(digits, 6))) + '%';
  }
  function fmtNum(v) { return v == null ? '--' : (Math.round(v * 100) / 100).toLocaleString('en-US'); }
  function alpha(hex, a) { var n = parseInt(hex.slice(1), 16); return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')'; }

  function draw(fig, opts, aligned) {
    var el = fig.querySelector('.plot');
    opts.width = Math.max(280, el.clientWidth);
    opts.height = opts.height || 240;
    // Static legends: '--' placeholders until hover are noise; exact figures are in the tables.
    if (!opts.legend) opts.legend = { live: false };
    var u = new uPlot(opts, aligned, el);
    plots.push([u, el]);
  }
  function timeAxis() { return { values: function (u, s) { return s.map(function (t) { return t == null ? '' : fmtSec(t); }); } }; }
  function timeSeries0() { return { label: 'second', value: function (u, v) { return v == null ? '--' : fmtSec(v); } }; }
  function line(label, color, fmt, extra) {
    var s = { label: label, stroke: color, width: 1.5, value: function (u, v) { return fmt(v); }, spanGaps: true };
    for (var k in extra) s[k] = extra[k];
    return s;
  }

  // Percentile distributions: x = 1/(1-p) on log10, y = latency on log10.
  data.distributions.forEach(function (d, i) {
    var fig = document.querySelector('[data-chart="distribution"][data-index="' + i + '"]');
    if (!fig) return;
    var xmax = d.x[d.x.length - 1];
    var decades = []; for (var x = 1; x <= xmax; x *= 10) decades.push(x);
    var series = [{ label: 'percentile', value: function (u, v) { return v == null ? '--' : (v === xmax ? 'max' : fmtPct(v, true)); } }];
    d.lines.forEach(function (l, j) { series.push(line(l.label, COLORS[j % COLORS.length], fmtMs, { width: j === 0 ? 2.5 : 1.5, points: { show: false } })); });
    draw(fig, {
      height: 230,
      scales: { x: { time: false, distr: 3, log: 10, range: [1, xmax] }, y: { distr: 3, log: 10 } },
      axes: [
        { splits: function () { return decades; }, values: function (u, s) { return s.map(function (v) { return fmtPct(v, false); }); } },
        { size: 60, values: axisMs },
      ],
      series: series,
      legend: d.lines.length > 1 ? { live: false } : { show: false },
    }, [d.x].concat(d.lines.map(function (l) { return l.ms; })));
  });

  var tl = data.timeline;
  tl.latency.forEach(function (m, i) {
    var fig = document.querySelector('[data-chart="latency"][data-index="' + i + '"]');
    if (!fig) return;
    draw(fig, {
      scales: { x: { time: false } },
      axes: [timeAxis(), { size: 60, values: axisMs }],
      series: [timeSeries0(), line('p50', PCT.p50, fmtMs), line('p95', PCT.p95, fmtMs), line('p99', PCT.p99, fmtMs)],
    }, [tl.t, m.p50, m.p95, m.p99]);
  });

  function counts(kind, list, labelOf, colorOf, stepped) {
    var fig = document.querySelector('[data-chart="' + kind + '"]');
    if (!fig || !list.length) return;
    var series = [timeSeries0()];
    list.forEach(function (s, j) {
      var c = colorOf(s, j);
      series.push(line(labelOf(s), c, fmtNum, stepped ? { paths: uPlot.paths.stepped({ align: 1 }), fill: list.length === 1 || kind === 'violations' ? alpha(c, 0.15) : undefined } : {}));
    });
    draw(fig, {
      scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } },
      axes: [timeAxis(), { size: 56 }],
      series: series,
    }, [tl.t].concat(list.map(function (s) { return s.values; })));
  }
  counts('users', tl.users, function (s) { return s.cohort; }, function (s, j) { return COLORS[j % COLORS.length]; }, true);
  var RATE_LABELS = { 'runs.completed': 'runs completed', 'runs.failed': 'runs failed', 'runs.timed_out': 'runs timed out', errors: 'errors' };
  var RATE_COLORS = { 'runs.completed': '#188038', 'runs.failed': '#c5221f', 'runs.timed_out': '#e8710a', errors: '#a142f4' };
  counts('rates', tl.rates, function (s) { return RATE_LABELS[s.counter] || s.counter; }, function (s) { return RATE_COLORS[s.counter] || '#5f6368'; }, false);
  var VIOLATION_COLORS = { 'isolation.violations': '#c5221f', 'lifecycle.violations': '#e8710a' };
  counts('violations', tl.violations, function (s) { return s.counter.split('.')[0]; }, function (s) { return VIOLATION_COLORS[s.counter]; }, true);

  var pending = 0;
  window.addEventListener('resize', function () {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(function () {
      plots.forEach(function (p) { p[0].setSize({ width: Math.max(280, p[1].clientWidth), height: p[0].height }); });
    });
  });
  document.documentElement.setAttribute('data-charts-drawn', String(plots.length));
})();
`;
