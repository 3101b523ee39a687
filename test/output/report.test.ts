// report.html as pure rendering from an in-process summary: the page formatHtmlReport writes (verdict,
// tables, embedded chart data, nothing fetched, hostile text kept text) and the report data behind it.
// runReport on files: report-command.test.ts; a real run in a browser: report-browser.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from '../../src/core/summary.js';
import { readViolationsFile } from '../../src/cli/report-command.js';
import { escapeHtml, formatHtmlReport } from '../../src/output/html-report.js';
import {
  buildDistributions,
  buildVerdict,
  formatThresholdActual,
  pickViolations,
} from '../../src/output/report-data.js';
import { builtSummary, HOSTILE, plantedViolation } from '../helpers/report-fixtures.js';
import { makeTempDir, removeTempDirs } from '../helpers/sim.js';

const tempDir = (): string => makeTempDir('crosstalk-report-');
after(removeTempDirs);

/** The embedded chart data, read back as the page reads it. */
function chartData(html: string): { distributions: { metric: string }[] } {
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'report-data script present');
  return JSON.parse(m[1]!) as { distributions: { metric: string }[] };
}

describe('formatHtmlReport', () => {
  test('a passing run: verdict, tables, charts data, nothing fetched', () => {
    const html = formatHtmlReport(builtSummary(), []);
    assert.match(html, /<title>PASS · unit &lt;i&gt;scenario&lt;\/i&gt; · crosstalk<\/title>/);
    assert.match(html, /class="verdict pass"[\s\S]*?>PASS</);
    assert.doesNotMatch(html, /generator saturated/);
    assert.deepEqual(
      chartData(html).distributions.map((d) => d.metric),
      ['ws.connect', 'http.create_thread', 'run.total'],
    );
    // Self-contained: no external script, stylesheet, image or font.
    assert.doesNotMatch(html, /<script[^>]+src=|<link\b|<img\b|url\(\s*['"]?https?:/i);
    assert.match(html, /Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;sha256-/);
    assert.match(html, /<td class="num">850µs<\/td>/);
  });

  test('a failing run lists why, and a hostile frame stays text', () => {
    const withLeak = builtSummary({
      thresholds: [
        { metric: 'run.total', expression: 'p(95) < 100ms', actual: 475.1, ok: false },
        { metric: 'isolation.violations', expression: 'count == 0', actual: 1, ok: false },
      ],
      generator: { loopLagP99Ms: 80, loopLagMaxMs: 120, cpuPercent: 97, saturated: true },
      leaks: { foreign_canary: 1 },
    });
    const html = formatHtmlReport(withLeak, [plantedViolation('2025-05-06T07:08:11.500Z')]);
    assert.match(html, /class="verdict fail"[\s\S]*?>FAIL<[\s\S]*?exit 2/);
    assert.match(html, /1 leaked frame or answer: foreign_canary 1/);
    assert.match(html, /threshold run\.total: p\(95\) &lt; 100ms — actual 475ms/);
    assert.match(html, /generator saturated: latencies not trustworthy/);
    assert.ok(!html.includes(HOSTILE), 'the raw frame text must never reach the page');
    assert.ok(html.includes(escapeHtml(HOSTILE)), 'the frame is shown escaped');
    assert.match(html, /\+2\.50s/);
    assert.equal(html.match(/<script\b/g)?.length, 3, 'only the data, uPlot and the page script');
  });

  test('an element-closing string in the data cannot end the JSON script', () => {
    const s = builtSummary();
    const hostile: Summary = {
      ...s,
      series: s.series.map((p) => ({ ...p, gauges: { ...p.gauges, 'vus.</script><script>alert(1)</script>': 1 } })),
    };
    const html = formatHtmlReport(hostile, []);
    const json = /id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    assert.ok(!json.includes('</'), 'no "</" inside the JSON script');
    const data = JSON.parse(json) as { timeline: { users: { cohort: string }[] } };
    assert.ok(
      data.timeline.users.some((u) => u.cohort === '</script><script>alert(1)</script>'),
      'the JSON reads back unchanged',
    );
  });
});

describe('report data', () => {
  test("actual values read in the expression's terms", () => {
    assert.equal(formatThresholdActual('ws.connect', 'p(95) < 2s', 0.85), '850µs');
    assert.equal(formatThresholdActual('run.total{cohort:chatters}', 'p(50) < 5s', 12.34), '12.3ms');
    assert.equal(formatThresholdActual('run.total', 'avg < 5s', 4200), '4.20s');
    assert.equal(formatThresholdActual('errors', 'rate < 0.01', 0.0123), '0.0123 (1.23%)');
    assert.equal(formatThresholdActual('errors{kind:timeout}', 'rate < 0.01', 0), '0 (0.00%)');
    assert.equal(formatThresholdActual('runs.completed', 'rate > 2', 2.34567), '2.35/s');
    assert.equal(formatThresholdActual('run.total', 'count > 10', 1234), '1,234');
    assert.equal(formatThresholdActual('isolation.violations', 'count == 0', 38), '38');
  });

  test('a threshold failure says which, with actual against expression', () => {
    const v = buildVerdict(
      builtSummary({
        thresholds: [
          { metric: 'ws.connect', expression: 'p(95) < 2s', actual: 11.1, ok: true },
          { metric: 'run.total', expression: 'p(99) < 10s', actual: 12_345, ok: false },
          { metric: 'run.agent_started', expression: 'p(95) < 500ms', actual: null, ok: false, note: 'no data' },
        ],
      }),
    );
    assert.equal(v.pass, false);
    assert.equal(v.headline, '2 of 3 thresholds failed');
    assert.deepEqual(v.reasons, [
      { severity: 'fail', text: 'threshold run.total: p(99) < 10s — actual 12.35s' },
      { severity: 'fail', text: 'threshold run.agent_started: p(95) < 500ms — actual no data' },
    ]);
    assert.equal(buildVerdict(builtSummary()).headline, 'the threshold held, no isolation violation');
  });

  test('an untested run: UNTESTED in the banner and the title, the reason as the headline, never PASS', () => {
    const s = builtSummary({
      framesFloor: 1,
      thresholds: [{ metric: 'isolation.violations', expression: 'count == 0', actual: 0, ok: true }],
    });
    assert.equal(s.exitCode, 4);
    const v = buildVerdict(s);
    assert.equal(v.word, 'UNTESTED');
    assert.equal(v.headline, 'isolation untested: 0 frames received');
    const html = formatHtmlReport(s, []);
    assert.match(html, /<title>UNTESTED · /);
    assert.match(
      html,
      /class="verdict untested"[\s\S]*?>UNTESTED<[\s\S]*?exit 4[\s\S]*?isolation untested: 0 frames received/,
    );
    assert.match(html, /untested: 0 frames received/, 'the isolation table says untested, not "no violations"');
    assert.match(html, /no data: isolation untested/, 'the isolation threshold did not pass');
    assert.doesNotMatch(html, />PASS</);
  });

  test('leaks are listed before lifecycle findings, 20 in all', () => {
    const dir = tempDir();
    const lc = (i: number): Record<string, unknown> => ({
      class: 'lifecycle',
      kind: 'missing_event',
      time: `2025-05-06T07:08:1${i % 10}.000Z`,
      n: i,
    });
    const lines = [
      ...Array.from({ length: 30 }, (_, i) => lc(i)),
      plantedViolation('2025-05-06T07:09:00.000Z'),
      lc(99),
    ];
    writeFileSync(join(dir, 'violations.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const read = readViolationsFile(join(dir, 'violations.jsonl'));
    assert.equal(read.length, 21, '20 lifecycle and the one leak');
    const picked = pickViolations(read, 20);
    assert.equal(picked.isolation.length, 1);
    assert.equal(picked.lifecycle.length, 19);
    assert.deepEqual(readViolationsFile(join(dir, 'absent.jsonl')), []);
  });

  test('distributions start at the minimum, never fall, and end at the exact max', () => {
    const s = builtSummary();
    const d = buildDistributions(s).find((c) => c.metric === 'run.total')!;
    const t = s.metrics['run.total'] as { min: number; max: number; count: number };
    assert.equal(d.x[0], 1);
    assert.equal(d.x.at(-1), 1000, '1000 samples resolve up to 99.9%');
    const ms = d.lines[0]!.ms;
    assert.ok(Math.abs(ms[0]! - t.min) / t.min < 0.01, `starts at the min (${ms[0]} vs ${t.min})`);
    assert.equal(ms.at(-1), t.max);
    for (let i = 1; i < ms.length; i++) assert.ok(ms[i]! >= ms[i - 1]!, `non-decreasing at ${i}`);
  });
});
