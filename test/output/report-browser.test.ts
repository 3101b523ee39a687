// report.html of a real run opened in headless Chromium: every chart drawn, the verdict visible, a planted
// hostile frame shown literally, and no network at all. Skipped where Chromium is not installed.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Summary } from '../../src/core/summary.js';
import { runReport } from '../../src/cli/report-command.js';
import { runCli } from '../helpers/cli.js';
import { HOSTILE, plantedViolation } from '../helpers/report-fixtures.js';
import { makeTempDir, removeTempDirs } from '../helpers/sim.js';

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

const tempDir = (): string => makeTempDir('crosstalk-report-');
after(removeTempDirs);

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
