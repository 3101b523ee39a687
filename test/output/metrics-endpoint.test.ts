// The /metrics endpoint: Prometheus text format, a busy port, and the wait for a watching scraper's final scrape.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPromFamily, type PromFamily } from '../../src/core/prom-families.js';
import { SimError } from '../../src/core/sim-error.js';
import { startMetricsEndpoint } from '../../src/output/metrics-endpoint.js';

function figures(completed: number): PromFamily[] {
  return [
    createPromFamily('crosstalk_runs_completed_total', 'counter', 'agent runs that ended with agent_completed', [
      { labels: { scenario: 'a "quoted"\nname', cohort: 'c' }, value: completed },
    ]),
    {
      name: 'crosstalk_run_total_seconds',
      help: 'run total',
      type: 'histogram',
      samples: [
        { name: 'crosstalk_run_total_seconds_bucket', labels: { le: '0.5' }, value: 3 },
        { name: 'crosstalk_run_total_seconds_bucket', labels: { le: '+Inf' }, value: 4 },
        { name: 'crosstalk_run_total_seconds_sum', labels: {}, value: 1.25 },
        { name: 'crosstalk_run_total_seconds_count', labels: {}, value: 4 },
      ],
    },
  ];
}

describe('metrics endpoint', () => {
  test('serves the last figures in Prometheus text format, escaped; other paths are 404', async () => {
    const ep = await startMetricsEndpoint('127.0.0.1', 0);
    ep.update(figures(5));
    const res = await fetch(ep.url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.match(text, /^# HELP crosstalk_runs_completed_total agent runs that ended with agent_completed$/m);
    assert.match(text, /^# TYPE crosstalk_runs_completed_total counter$/m);
    assert.match(text, /^crosstalk_runs_completed_total\{scenario="a \\"quoted\\"\\nname",cohort="c"\} 5$/m);
    assert.match(text, /^# TYPE crosstalk_run_total_seconds histogram$/m);
    assert.match(text, /^crosstalk_run_total_seconds_bucket\{le="\+Inf"\} 4$/m);
    assert.match(text, /^crosstalk_run_total_seconds_sum 1\.25$/m);
    ep.update(figures(9));
    assert.match(
      await (await fetch(ep.url)).text(),
      /^crosstalk_runs_completed_total\{.*\} 9$/m,
      'a scrape reads the latest interval',
    );
    assert.equal((await fetch(ep.url.replace('/metrics', '/nope'))).status, 404);
    const closed = await ep.close(5000);
    assert.equal(closed.scrapes, 2);
  });

  test('a port in use fails as a generator error (exit 4) that says so', async () => {
    const a = await startMetricsEndpoint('127.0.0.1', 0);
    const port = Number(new URL(a.url).port);
    await assert.rejects(
      startMetricsEndpoint('127.0.0.1', port),
      (err: unknown) => err instanceof SimError && err.code === 'GENERATOR' && /EADDRINUSE/.test(err.message),
    );
    await a.close(0);
  });

  test('nobody scraped: closes at once; a scraper was watching: waits for its scrape of the final figures, bounded', async () => {
    const quiet = await startMetricsEndpoint('127.0.0.1', 0);
    quiet.update(figures(1), true);
    const t0 = performance.now();
    assert.equal((await quiet.close(10_000)).finalScraped, false);
    assert.ok(performance.now() - t0 < 500);

    const ep = await startMetricsEndpoint('127.0.0.1', 0);
    ep.update(figures(1));
    // A scraper every 300 ms, as Prometheus would.
    let last = '';
    const reads: Array<Promise<void>> = [];
    const scraper = setInterval(() => {
      reads.push(
        fetch(ep.url)
          .then((r) => r.text())
          .then(
            (t) => {
              last = t;
            },
            () => undefined,
          ),
      );
    }, 300);
    await new Promise((r) => setTimeout(r, 1000));
    ep.update(figures(42), true);
    const closed = await ep.close(10_000);
    clearInterval(scraper);
    await Promise.all(reads);
    assert.equal(closed.finalScraped, true);
    assert.match(last, /^crosstalk_runs_completed_total\{.*\} 42$/m, 'the scraper read the final figures');

    const gone = await startMetricsEndpoint('127.0.0.1', 0);
    await fetch(gone.url);
    await fetch(gone.url);
    gone.update(figures(2), true);
    const t1 = performance.now();
    // The scraper stopped: the wait ends at its bound (1.5 intervals + 1 s, here capped at 800 ms).
    assert.equal((await gone.close(800)).finalScraped, false);
    const waited = performance.now() - t1;
    assert.ok(waited >= 700 && waited < 3000, `waited ${Math.round(waited)} ms`);
  });
});
