// report.html: pure rendering from an in-process summary, `runReport` on
// files, and a real run opened in headless Chromium (charts drawn, verdict
// visible, a planted hostile frame shown literally, no network at all).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MetricRegistry } from '../../src/core/metric-registry.js';
import { SimError } from '../../src/core/sim-error.js';
import { buildSummaryFigures, judgeSummary, type Summary, type SummaryInput } from '../../src/core/summary.js';
import type { ThresholdResult } from '../../src/core/thresholds.js';
import { readViolationsFile, runReport } from '../../src/cli/report-command.js';
import { escapeHtml, formatHtmlReport } from '../../src/output/html-report.js';
import {
  buildDistributions,
  buildVerdict,
  formatThresholdActual,
  pickViolations,
} from '../../src/output/report-data.js';
import { runCli } from '../helpers/cli.js';

const CHROMIUM = '/usr/bin/chromium';

// The few browser globals the page.evaluate callbacks touch (the build has no DOM lib, on purpose).
interface PageCanvas {
  width: number;
  height: number;
  getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}
interface PageElement {
  getAttribute(n: string): string | null;
  querySelectorAll(sel: string): ArrayLike<PageElement & PageCanvas>;
}
declare const document: {
  documentElement: PageElement & { hasAttribute(n: string): boolean };
  querySelectorAll(sel: string): ArrayLike<PageElement>;
};
const HOSTILE = '<script>alert(1)</script>';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'crosstalk-report-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A summary built and judged the way the engine does it, from a registry with a per-second series; `leaks` are leaked frames by kind. */
function builtSummary(
  over: {
    thresholds?: ThresholdResult[];
    generator?: SummaryInput['generator'];
    leaks?: Record<string, number>;
    framesFloor?: number;
  } = {},
): Summary {
  const r = new MetricRegistry();
  r.gauge('vus.chatters', () => 3);
  for (let sec = 1; sec <= 5; sec++) {
    const total = r.trend('run.total', { cohort: 'chatters' });
    for (let i = 1; i <= 200; i++) total.record(i * 500 * sec);
    r.trend('ws.connect', { cohort: 'chatters' }).record(850);
    r.trend('http.create_thread', { cohort: 'chatters' }).record(12_300);
    r.counter('runs.completed', { cohort: 'chatters' }).add(4);
    r.counter('operations', { cohort: 'chatters' }).add(10);
    r.tick(sec);
  }
  for (const [kind, n] of Object.entries(over.leaks ?? {})) {
    r.counter('isolation.violations', { cohort: 'chatters' }).add(n);
    r.counter('isolation.violations.by_kind', { cohort: 'chatters', kind }).add(n);
  }
  const start = Date.UTC(2025, 4, 6, 7, 8, 9);
  const figures = buildSummaryFigures(r, {
    scenario: { name: 'unit <i>scenario</i>', file: 'scenarios/unit.yaml', sha256: 'cd'.repeat(32) },
    target: { url: 'embedded', embedded: true },
    startedAtMs: start,
    endedAtMs: start + 5000,
    segment: '0/1',
    interrupted: false,
    users: { total: 3, byCohort: { chatters: 3 } },
    generator: over.generator ?? { loopLagP99Ms: 1.2, loopLagMaxMs: 3, cpuPercent: 20, saturated: false },
  });
  const floor = {
    framesChecked: over.framesFloor ?? 0,
    restAnswersChecked: 0,
    runsCompleted: 0,
    usersWithRun: 0,
    probesAnswered: 0,
  };
  return judgeSummary(figures, {
    thresholds: over.thresholds ?? [{ metric: 'run.total', expression: 'p(95) < 1s', actual: 475.1, ok: true }],
    floor,
  });
}

function plantedViolation(time: string): Record<string, unknown> {
  return {
    time,
    class: 'isolation',
    kind: 'foreign_canary',
    cohort: 'chatters',
    receiver: { user: 'u-test-chatters-0', connection: 'conn_planted' },
    owner: 'u-test-chatters-1',
    field: 'canary',
    value: 'zqplanted',
    channel: 'ws',
    frame: `{"type":"agent_thinking","reasoning":"zqplanted ${HOSTILE}"}`,
  };
}

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

describe('runReport', () => {
  test('a missing file is bad input', () => {
    const file = join(tempDir(), 'nope', 'summary.json');
    assert.throws(
      () => runReport(file),
      (e: unknown) =>
        e instanceof SimError && e.code === 'INPUT' && e.message.includes(file) && /no such file/.test(e.message),
    );
  });

  test('JSON that is not a crosstalk summary is bad input', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.json'), '{"schema":"k6/1"}');
    writeFileSync(join(dir, 'b.json'), '{ not json');
    writeFileSync(join(dir, 'c.json'), '{"schema":"crosstalk.summary/1"}');
    assert.throws(
      () => runReport(join(dir, 'a.json')),
      (e: unknown) =>
        e instanceof SimError &&
        e.code === 'INPUT' &&
        /expected schema "crosstalk.summary\/1" or "crosstalk.summary\/2", found schema "k6\/1"/.test(e.message),
    );
    assert.throws(
      () => runReport(join(dir, 'b.json')),
      (e: unknown) => e instanceof SimError && e.code === 'INPUT' && /not JSON/.test(e.message),
    );
    assert.throws(
      () => runReport(join(dir, 'c.json')),
      (e: unknown) => e instanceof SimError && e.code === 'INPUT' && /without scenario/.test(e.message),
    );
    assert.equal(existsSync(join(dir, 'report.html')), false);
  });

  test('writes report.html beside the summary, with violations.jsonl evidence, atomically', () => {
    const dir = tempDir();
    const s = builtSummary({ leaks: { foreign_canary: 1 } });
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(s));
    writeFileSync(
      join(dir, 'violations.jsonl'),
      `${JSON.stringify(plantedViolation('2025-05-06T07:08:10.000Z'))}\n{cut line\n`,
    );
    assert.equal(runReport(join(dir, 'summary.json')), 0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    assert.match(html, />FAIL</);
    assert.match(html, /conn_planted/);
    assert.ok(
      html.includes(`zqplanted</mark> ${escapeHtml(HOSTILE)}`),
      'the evidence value is marked and the rest escaped',
    );
    assert.deepEqual(readdirSync(dir).sort(), ['report.html', 'summary.json', 'violations.jsonl'], 'no temp file left');
  });
});

/** Runs `node bin/simulate <args>` from the repository root. */
async function simulate(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  const r = await runCli(args, { timeoutMs, env: process.env });
  return { code: r.code, stderr: r.stderr };
}

// Small but shaped like the flagship: chatters on a fast agent, idle lurkers,
// misrouted events so there are leaks to show, a threshold that fails.
const SCENARIO = `name: report-e2e
description: Three seconds of chatters and lurkers with misrouted events.
target:
  embedded: { agent: fast, seed: 11, faults: "misroute=0.05" }
auth: { kind: jwt, delivery: subprotocol }
cohorts:
  chatters:
    model: closed
    stages: [{ duration: 1s, users: 4 }, { duration: 2s, users: 4 }]
    gracefulStop: 5s
    flow:
      - connect
      - createThread: { title: "Report {{user}}" }
      - repeat:
          times: 3
          steps:
            - sendMessage: { content: "Summarise spend for {{user}}", await: agent_completed, timeout: 10s }
            - think: { min: 50ms, max: 100ms }
      - listThreads
      - disconnect
  lurkers:
    model: closed
    users: 2
    duration: 3s
    flow: [connect, { idle: 3s }]
thresholds:
  ws.connect: ["p(95) < 2s"]
  run.total: ["p(99) < 1ms"]
  errors: ["rate < 0.5"]
  isolation.violations: ["count == 0"]
`;

/** Charts the page should draw for a summary, counted independently of the report's own code. */
function expectedCharts(s: Summary): {
  distribution: number;
  latency: number;
  users: number;
  rates: number;
  violations: number;
} {
  const dist = Object.entries(s.metrics).filter(
    ([n, m]) =>
      m.type === 'trend' && m.count > 0 && (n === 'ws.connect' || n.startsWith('http.') || n.startsWith('run.')),
  ).length;
  const latency = ['run.total', 'run.agent_started', 'ws.connect'].filter((m) =>
    s.series.some((p) => p.trends[m]),
  ).length;
  const users = s.series.some((p) => Object.keys(p.gauges).some((g) => g.startsWith('vus.'))) ? 1 : 0;
  const violations = s.series.some((p) => p.counters['isolation.violations'] || p.counters['lifecycle.violations'])
    ? 1
    : 0;
  return { distribution: dist, latency, users, rates: s.series.length ? 1 : 0, violations };
}

describe(
  'report.html in a browser',
  { skip: existsSync(CHROMIUM) ? false : 'chromium not installed (apt-get install chromium)' },
  () => {
    test('a real run renders every chart, shows the verdict and makes no request', { timeout: 90_000 }, async () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'scenario.yaml'), SCENARIO);
      const out = join(dir, 'results');
      const run = await simulate(['run', join(dir, 'scenario.yaml'), '--out', out, '--no-progress', '--quiet'], 60_000);
      assert.ok(
        run.code === 1 || run.code === 2,
        `the run fails a threshold or leaks (exit ${run.code}): ${run.stderr}`,
      );
      // Plant a hostile frame as the first violation: the page must show it as text.
      const planted = plantedViolation(new Date().toISOString());
      const log = join(out, 'violations.jsonl');
      const existing = existsSync(log) ? readFileSync(log, 'utf8') : '';
      writeFileSync(log, `${JSON.stringify(planted)}\n`);
      appendFileSync(log, existing);
      assert.equal(runReport(join(out, 'summary.json')), 0);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
      const expected = expectedCharts(summary);
      assert.ok(
        expected.distribution >= 3 && expected.latency >= 2,
        `the run recorded latencies: ${JSON.stringify(expected)}`,
      );

      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const url = pathToFileURL(join(out, 'report.html')).href;
        const requests: string[] = [];
        const problems: string[] = [];
        const dialogs: string[] = [];
        page.on('request', (r) => requests.push(r.url()));
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
        });
        page.on('dialog', (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        await page.route('**/*', (route) =>
          route.request().url().startsWith('file:') ? route.continue() : route.abort(),
        );
        await page.goto(url, { waitUntil: 'load' });
        await page
          .waitForFunction(() => document.documentElement.hasAttribute('data-charts-drawn'), undefined, {
            timeout: 10_000,
          })
          .catch((err: Error) => {
            throw new Error(`charts never finished drawing: ${err.message}; ${problems.join('; ')}`);
          });

        // The verdict: in the first screenful, in big type.
        const word = page.locator('.verdict .word');
        assert.equal(await word.textContent(), 'FAIL');
        assert.ok(await word.isVisible());
        const box = (await word.boundingBox())!;
        assert.ok(box.y < 200 && box.height >= 48, `verdict at the top, large: ${JSON.stringify(box)}`);
        assert.match((await page.locator('.verdict .exit').textContent())!, new RegExp(`exit ${summary.exitCode}`));

        // Every expected chart is drawn: one .uplot per figure, with painted pixels.
        const drawn = await page.evaluate(() =>
          Array.from(document.querySelectorAll('figure.chart')).map((f) => {
            const canvases = Array.from(f.querySelectorAll('.uplot canvas'));
            const painted = canvases.some((c) => {
              if (!c.width || !c.height) return false;
              const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
              return false;
            });
            return { kind: f.getAttribute('data-chart')!, plots: f.querySelectorAll('.uplot').length, painted };
          }),
        );
        const byKind: Record<string, number> = {};
        for (const d of drawn) {
          assert.equal(d.plots, 1, `one plot in each ${d.kind} figure`);
          assert.ok(d.painted, `${d.kind} chart has a painted canvas`);
          byKind[d.kind] = (byKind[d.kind] ?? 0) + 1;
        }
        assert.deepEqual(byKind, Object.fromEntries(Object.entries(expected).filter(([, n]) => n > 0)));
        assert.equal(await page.locator('.uplot').count(), drawn.length);

        // The planted frame reads literally and ran nothing.
        const pre = page.locator('pre', { hasText: 'zqplanted' }).first();
        assert.ok((await pre.textContent())!.includes(HOSTILE));
        assert.equal(await page.locator('script').count(), 3);
        assert.deepEqual(dialogs, []);

        assert.deepEqual(requests, [url], 'the page fetched nothing but itself');
        assert.deepEqual(problems, []);

        const shot = process.env.CROSSTALK_REPORT_SCREENSHOT;
        if (shot) await page.screenshot({ path: shot });
      } finally {
        await browser.close();
      }
    });
  },
);
