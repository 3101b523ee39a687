// Live outputs against a real Prometheus (Debian's package; .ci/run installs it): two generators remote-write and
// serve /metrics while they run the reference target; Prometheus's series equal their summary.json, and every query
// of the Grafana dashboard returns data. Receivers that fail: prometheus-failing-receivers.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrendSummary } from '../../src/core/summary.js';
import { startMadeUpBackend, type MadeUpBackend } from '../helpers/made-up-backend.js';
import { findPrometheus, startPrometheus, type TestPrometheus } from '../helpers/prometheus.js';
import { assertPercentilesInBuckets, assertSameCounts, total } from '../helpers/prometheus-vs-summary.js';
import { envWithout, killCliChildren, ROOT, runCli, type CliResult } from '../helpers/cli.js';
import { findClosedPort, hasSummary, readSummary, removeTempDirs, trendCount, writeScenario } from '../helpers/sim.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';

const PROMETHEUS = findPrometheus();
const SKIP = PROMETHEUS
  ? false
  : 'prometheus is not installed (apt-get install -y prometheus, as .ci/run does, or set PROMETHEUS_BIN)';

/** A short chat load with leaks (the target misroutes) and REST failures, publishing every second. */
const LIVE = `name: prom-live
cohorts:
  chatters:
    users: 4
    duration: 5s
    gracefulStop: 4s
    flow:
      - connect
      - createThread: { title: "Live {{user}}" }
      - repeat:
          duration: 5s
          steps:
            - sendMessage: { content: "Spend for {{user}}?", timeout: 3s }
            - listThreads
            - think: { min: 50ms, max: 150ms }
  lurkers:
    users: 1
    duration: 5s
    flow: [connect, { idle: 4s }]
probes: { crossUserRead: { rate: 5/s } }
outputs:
  interval: 1s
  metricsHost: 127.0.0.1
  labels: { suite: prometheus-test }
`;

describe('live outputs against a real Prometheus', { skip: SKIP }, () => {
  let prom: TestPrometheus;
  let target: TestTarget;
  let parley: MadeUpBackend;
  const metricsPorts: number[] = [];
  let firstRunStartSec = 0;
  const secret = randomBytes(32).toString('base64url');
  const env = { ...envWithout('SIM_JWT_SECRET'), SIM_JWT_SECRET: secret };

  before(async () => {
    metricsPorts.push(await findClosedPort());
    do metricsPorts[1] = await findClosedPort();
    while (metricsPorts[1] === metricsPorts[0]);
    [prom, target, parley] = await Promise.all([
      startPrometheus(
        PROMETHEUS as string,
        metricsPorts.map((p) => `127.0.0.1:${p}`),
      ),
      startTestTarget({ secret, faults: { misroute: 0.03, http_500: 0.1 } }),
      startMadeUpBackend({ secret }),
    ]);
  });
  after(async () => {
    killCliChildren();
    await Promise.all([prom?.close(), target?.close(), parley?.close()]);
    removeTempDirs();
  });

  test('two generators (one with two worker threads) remote-write and serve /metrics: Prometheus holds what their summary.json say', async () => {
    const startAt = new Date(Date.now() + 2500).toISOString();
    firstRunStartSec = Date.now() / 1000;
    const f = writeScenario(LIVE);
    const outs = [join(f.dir, 'seg0'), join(f.dir, 'seg1')];
    const runs = await Promise.all(
      [0, 1].map((i) =>
        runCli(
          [
            'run',
            f.file,
            '--target',
            target.url,
            '--segment',
            `${i}/2`,
            '--start-at',
            startAt,
            '--workers',
            i === 0 ? '2' : '1',
            '--publish',
            `prometheus-rw=${prom.writeUrl}`,
            '--metrics-port',
            String(metricsPorts[i]),
            '--out',
            outs[i]!,
            '--no-progress',
          ],
          { env, timeoutMs: 60_000 },
        ),
      ),
    );
    runs.forEach((r: CliResult, i) =>
      assert.ok(hasSummary(outs[i]!), `segment ${i} wrote no summary.json (exit ${r.code}); stderr: ${r.stderr}`),
    );
    const summaries = outs.map((o) => readSummary(o));
    runs.forEach((r: CliResult, i) => {
      assert.equal(r.code, summaries[i]!.exitCode, `segment ${i}: exit code is the summary's; stderr: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`^metrics: http://127\\.0\\.0\\.1:${metricsPorts[i]}/metrics$`, 'm'),
        'says where /metrics listens',
      );
      assert.match(
        r.stdout,
        /^prometheus-rw http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write: \d+ samples sent, 0 dropped$/m,
        'the console reports what was delivered',
      );
    });
    for (const s of summaries) {
      const rw = s.outputs?.prometheusRw[0];
      assert.ok(
        rw && rw.samplesSent > 0 && rw.samplesDropped === 0 && rw.failedRequests === 0,
        `${s.segment}: ${JSON.stringify(s.outputs)}; prometheus log: ${prom.log()}`,
      );
      assert.ok(
        (s.outputs?.metricsEndpoint?.scrapes ?? 0) > 0,
        `${s.segment}: Prometheus scraped /metrics: ${JSON.stringify(s.outputs)}`,
      );
      assert.ok(s.runs.completed > 0, `${s.segment}: ${JSON.stringify(s.runs)}`);
    }
    // The figures compared below are not all zeros: the target leaked and failed requests.
    assert.ok(
      summaries.some((s) => s.isolation.violations > 0) && summaries.some((s) => s.errors.count > 0),
      summaries.map((s) => JSON.stringify({ isolation: s.isolation, errors: s.errors })).join('\n'),
    );
    // Both generators publish under the one run they share, each under its own segment.
    const run = await prom.labelValues('run', 'crosstalk_run_info{scenario="prom-live"}');
    assert.equal(run.length, 1, `one run: ${run.join(', ')}`);
    assert.deepEqual((await prom.labelValues('segment', 'crosstalk_run_info{scenario="prom-live"}')).sort(), [
      '0/2',
      '1/2',
    ]);
    assert.ok(
      (await prom.query('crosstalk_runs_started_total{suite="prometheus-test"}')).length > 0,
      'outputs.labels are on every series',
    );

    for (const s of summaries) {
      const rw = `scenario="prom-live", segment="${s.segment}", job=""`;
      const scraped = `scenario="prom-live", segment="${s.segment}", job="crosstalk"`;
      await assertSameCounts(prom, s, rw, 'remote write');
      // The endpoint waited for a scrape of the final figures: the scrape ends on the same totals.
      await assertSameCounts(prom, s, scraped, '/metrics');
      const runTotal = s.metrics['run.total'] as TrendSummary;
      await assertPercentilesInBuckets(prom, runTotal, 'crosstalk_run_total_seconds', rw, `${s.segment} run.total`);
      await assertPercentilesInBuckets(
        prom,
        s.metrics['run.agent_started'] as TrendSummary,
        'crosstalk_run_event_seconds',
        `${rw}, event="agent_started"`,
        `${s.segment} run.agent_started`,
      );
      // Every interval was written: the whole run's percentile lies between the intervals' lowest and highest.
      const chat = runTotal.byTag['cohort:chatters']!;
      for (const [quantile, ms] of [
        ['0.5', chat.p50],
        ['0.95', chat.p95],
        ['0.99', chat.p99],
      ] as const) {
        const sel = `${rw}, cohort="chatters", quantile="${quantile}"`;
        const [lo] = await prom.query(`min_over_time(crosstalk_run_total_interval_seconds{${sel}}[5m])`);
        const [hi] = await prom.query(`max_over_time(crosstalk_run_total_interval_seconds{${sel}}[5m])`);
        assert.ok(
          lo && hi && lo.value <= ms / 1000 + 1e-6 && ms / 1000 <= hi.value * 1.001 + 1e-6,
          `${s.segment} run.total p${quantile}: ${ms / 1000}s within intervals [${lo?.value}, ${hi?.value}]`,
        );
      }
      const [max] = await prom.query(
        `max_over_time(crosstalk_run_total_interval_seconds{${rw}, cohort="chatters", quantile="1"}[5m])`,
      );
      assert.ok(
        max && Math.abs(max.value - chat.max / 1000) <= (chat.max / 1000) * 0.001 + 1e-6,
        `${s.segment} run.total max ${max?.value} vs ${chat.max / 1000}`,
      );
      const [verdict] = await prom.query(`max_over_time(crosstalk_run_verdict{${rw}, verdict="${s.verdict}"}[5m])`);
      assert.equal(verdict?.value, 1, `${s.segment}: the verdict ${s.verdict} is published`);
    }
    // N generators sum: over segments, the totals are the two summaries' added.
    assert.equal(
      await total(prom, 'crosstalk_runs_completed_total', 'scenario="prom-live", job=""'),
      summaries[0]!.runs.completed + summaries[1]!.runs.completed,
    );
    assert.equal(
      await total(prom, 'crosstalk_isolation_violations_total', 'scenario="prom-live", job=""'),
      summaries[0]!.isolation.violations + summaries[1]!.isolation.violations,
    );
  });

  test('an adapter-driven backend streaming content over SSE: time to first token reaches Prometheus', async () => {
    const f = writeScenario(`name: prom-parley
target: { api: ${join(ROOT, 'test', 'fixtures', 'adapters', 'parley.yaml')} }
auth: { kind: jwt, delivery: header }
cohorts:
  chatters:
    users: 3
    duration: 4s
    flow:
      - connect
      - createThread: { title: "TTFT {{user}}" }
      - repeat: { duration: 4s, steps: [{ sendMessage: { content: "Summarise spend", await: agent_completed, timeout: 10s } }, { think: { min: 100ms, max: 200ms } }] }
outputs: { interval: 1s }
`);
    const r = await runCli(
      [
        'run',
        f.file,
        '--target',
        parley.url,
        '--publish',
        `prometheus-rw=${prom.writeUrl}`,
        '--out',
        f.out,
        '--no-progress',
      ],
      { env, timeoutMs: 60_000 },
    );
    const s = readSummary(f.out);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(trendCount(s, 'run.first_content') > 0);
    assert.equal(
      await total(prom, 'crosstalk_run_first_content_seconds_count', 'scenario="prom-parley"'),
      trendCount(s, 'run.first_content'),
    );
  });

  test('every query of deploy/grafana/crosstalk.json returns data after those runs', async () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'crosstalk.json'), 'utf8')) as {
      panels: unknown[];
      templating: { list: Array<{ name: string; type: string; query?: unknown }> };
    };
    const exprs: Array<{ where: string; expr: string }> = [];
    const walk = (x: unknown, where: string): void => {
      if (Array.isArray(x)) {
        x.forEach((y) => walk(y, where));
        return;
      }
      if (!x || typeof x !== 'object') return;
      const o = x as Record<string, unknown>;
      const here = typeof o.title === 'string' ? o.title : where;
      if (typeof o.expr === 'string')
        exprs.push({ where: `${here} ${typeof o.refId === 'string' ? o.refId : ''}`, expr: o.expr });
      for (const v of Object.values(o)) walk(v, here);
    };
    walk(dashboard.panels, 'dashboard');
    assert.ok(exprs.length >= 25, `the dashboard's queries (${exprs.length})`);
    // What Grafana would substitute: both test scenarios, every run and cohort, a rate window of 5 publishing intervals.
    const substitute = (e: string): string =>
      e
        .replaceAll('$scenario', '(prom-live|prom-parley)')
        .replaceAll('$run', '.*')
        .replaceAll('$cohort', '.*')
        .replaceAll('$__rate_interval', '5s');
    const end = Date.now() / 1000;
    const empty: string[] = [];
    for (const { where, expr } of exprs) {
      const q = substitute(expr);
      assert.doesNotMatch(q, /\$/, `${where}: a variable the test does not know`);
      const rows = await prom.queryRange(q, firstRunStartSec - 5, end);
      if (!rows.some((r) => r.values.some((v) => Number.isFinite(v)))) empty.push(`${where}: ${q}`);
    }
    assert.deepEqual(empty, [], 'queries that returned no data');
    // The variables' own queries (label_values) list what the runs published.
    for (const v of dashboard.templating.list.filter((t) => t.type === 'query')) {
      const text = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(text);
      assert.ok(m, `${v.name}: ${text}`);
      const values = await prom.labelValues(m[2]!, substitute(m[1]!));
      assert.ok(values.length > 0, `variable ${v.name} (${text}) lists values`);
    }
  });
});
