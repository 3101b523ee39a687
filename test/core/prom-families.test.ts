// Live frames into Prometheus families: names, labels, histogram buckets and per-interval quantiles, worker merging.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeMean, computeTrendStats, createHistogram } from '../../src/core/histogram.js';
import { computeLiveFrame, LiveExporter, LiveFrameMerger } from '../../src/core/live-frame.js';
import { MetricRegistry } from '../../src/core/metric-registry.js';
import { createPromFamily, PromFamilyBuilder, type PromFamily, type PromSample } from '../../src/core/prom-families.js';
import { computePromCounterName, computePromTrendName, LATENCY_BUCKETS_SECONDS } from '../../src/core/prom-naming.js';
import { createRandom } from '../../src/core/random.js';

const CONST = { scenario: 'sc', segment: '0/1', run: 'abc123' };

function family(fs: readonly PromFamily[], name: string): PromFamily {
  const f = fs.find((x) => x.name === name);
  assert.ok(f, `family ${name} among ${fs.map((x) => x.name).join(', ')}`);
  return f;
}

function sample(f: PromFamily, name: string, labels: Record<string, string>): PromSample {
  const s = f.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  assert.ok(s, `${name}${JSON.stringify(labels)} in ${f.name}`);
  return s;
}

/** Latencies in µs, spread over three orders of magnitude like a real run's. */
function latenciesUs(n: number, seed: number, scaleUs: number): number[] {
  const rnd = createRandom(seed);
  return Array.from({ length: n }, () => Math.round(scaleUs * Math.exp(rnd() * 4)));
}

describe('Prometheus names', () => {
  test('design names map mechanically; http.<op> and run.<event> become one metric with a label', () => {
    assert.deepEqual(computePromTrendName('run.total'), {
      family: 'crosstalk_run_total_seconds',
      labels: {},
      help: "send of a message to the run's terminal event",
    });
    assert.equal(computePromTrendName('generator.loop_lag').family, 'crosstalk_generator_loop_lag_seconds');
    assert.deepEqual(computePromTrendName('http.create_thread').labels, { op: 'create_thread' });
    assert.equal(computePromTrendName('http.create_thread').family, 'crosstalk_http_request_seconds');
    assert.deepEqual(computePromTrendName('run.agent_started').labels, { event: 'agent_started' });
    assert.equal(computePromTrendName('run.agent_started').family, 'crosstalk_run_event_seconds');
    assert.equal(computePromCounterName('runs.timed_out').family, 'crosstalk_runs_timed_out_total');
    assert.equal(
      computePromCounterName('isolation.violations.by_kind').family,
      'crosstalk_isolation_violations_by_kind_total',
    );
  });
});

describe('PromFamilyBuilder', () => {
  test('a trend is a cumulative histogram whose buckets, count and sum match the samples', () => {
    const r = new MetricRegistry();
    const t = r.trend('run.total', { cohort: 'chatters' });
    const xs = latenciesUs(5000, 7, 800);
    for (const x of xs) t.record(x);
    const fs = new PromFamilyBuilder(CONST).build(computeLiveFrame(r));
    const h = family(fs, 'crosstalk_run_total_seconds');
    assert.equal(h.type, 'histogram');
    const labels = { ...CONST, cohort: 'chatters' };
    for (const le of LATENCY_BUCKETS_SECONDS) {
      const exact = xs.filter((x) => x <= le * 1e6).length;
      const got = sample(h, 'crosstalk_run_total_seconds_bucket', { ...labels, le: String(le) }).value;
      // HdrHistogram keeps 3 significant digits: only values within 0.1% of a bound can land on the other side.
      const near = xs.filter((x) => Math.abs(x - le * 1e6) <= le * 1e6 * 0.001).length;
      assert.ok(
        Math.abs(got - exact) <= near,
        `le=${le}: ${got} vs exactly ${exact} (${near} samples within 0.1% of the bound)`,
      );
    }
    assert.equal(sample(h, 'crosstalk_run_total_seconds_bucket', { le: '+Inf' }).value, xs.length);
    assert.equal(sample(h, 'crosstalk_run_total_seconds_count', labels).value, xs.length);
    const exactSumSec = xs.reduce((a, x) => a + x, 0) / 1e6;
    const sum = sample(h, 'crosstalk_run_total_seconds_sum', labels).value;
    assert.ok(Math.abs(sum - exactSumSec) / exactSumSec < 0.001, `sum ${sum} vs exactly ${exactSumSec}`);
    // The library's own figure: the mean of bucket midpoints, times the count.
    const libSumSec = (computeMean(t.hist) * xs.length) / 1e6;
    assert.ok(Math.abs(sum - libSumSec) <= libSumSec * 1e-12, `sum ${sum} vs HdrHistogram's ${libSumSec}`);
    const buckets = h.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.value);
    assert.deepEqual(
      buckets,
      [...buckets].sort((a, b) => a - b),
      'bucket counts never decrease',
    );
  });

  test('interval quantiles are those of what was recorded since the last build, as summary.json computes them', () => {
    const r = new MetricRegistry();
    const t = r.trend('run.agent_started', { cohort: 'a' });
    const b = new PromFamilyBuilder(CONST);
    for (const [seed, scale] of [
      [1, 2000],
      [2, 40_000],
      [3, 300],
    ] as const) {
      const xs = latenciesUs(3000, seed, scale);
      const alone = createHistogram();
      for (const x of xs) {
        t.record(x);
        alone.recordValue(x);
      }
      const stats = computeTrendStats(alone);
      const g = family(b.build(computeLiveFrame(r)), 'crosstalk_run_event_interval_seconds');
      const q = (quantile: string): number =>
        sample(g, g.name, { event: 'agent_started', cohort: 'a', quantile }).value * 1000;
      // The summary rounds ms to 3 decimals; the gauge keeps µs.
      for (const [quantile, ms] of [
        ['0.5', stats.p50],
        ['0.9', stats.p90],
        ['0.95', stats.p95],
        ['0.99', stats.p99],
      ] as const) {
        assert.ok(
          Math.abs(q(quantile) - ms) <= 0.0005 + ms * 0.001,
          `interval of seed ${seed}: q${quantile} ${q(quantile)} ms vs ${ms} ms`,
        );
      }
      assert.ok(Math.abs(q('1') - stats.max) <= stats.max * 0.001 + 0.0005, `max ${q('1')} vs ${stats.max}`);
    }
    // Nothing new: no interval gauge for the series, the histogram stays.
    const quiet = b.build(computeLiveFrame(r));
    assert.equal(
      quiet.find((f) => f.name === 'crosstalk_run_event_interval_seconds'),
      undefined,
    );
    assert.equal(
      sample(family(quiet, 'crosstalk_run_event_seconds'), 'crosstalk_run_event_seconds_count', {}).value,
      9000,
    );
  });

  test('counters, gauges and extra families carry the constant labels; a gauge that stops reporting reads 0', () => {
    const r = new MetricRegistry();
    r.counter('errors', { cohort: 'a', kind: 'timeout' }).add(3);
    r.counter('runs.completed', { cohort: 'a' }).add(7);
    r.gauge('vus.a', () => 4);
    const b = new PromFamilyBuilder({ ...CONST, env: 'ci' });
    const first = b.build(computeLiveFrame(r), [
      createPromFamily('crosstalk_generator_workers', 'gauge', 'workers', [{ value: 2 }]),
    ]);
    assert.equal(
      sample(family(first, 'crosstalk_errors_total'), 'crosstalk_errors_total', {
        ...CONST,
        env: 'ci',
        cohort: 'a',
        kind: 'timeout',
      }).value,
      3,
    );
    assert.equal(family(first, 'crosstalk_errors_total').type, 'counter');
    assert.equal(
      sample(family(first, 'crosstalk_runs_completed_total'), 'crosstalk_runs_completed_total', { cohort: 'a' }).value,
      7,
    );
    assert.equal(
      sample(family(first, 'crosstalk_users_active'), 'crosstalk_users_active', { ...CONST, cohort: 'a' }).value,
      4,
    );
    assert.equal(sample(family(first, 'crosstalk_generator_workers'), 'crosstalk_generator_workers', CONST).value, 2);
    r.stopGauges();
    const last = b.build(computeLiveFrame(r, false));
    assert.equal(sample(family(last, 'crosstalk_users_active'), 'crosstalk_users_active', { cohort: 'a' }).value, 0);
  });
});

describe('LiveFrameMerger', () => {
  test('workers add up to what one registry holding everything says; only changed trends are sent again', () => {
    const whole = new MetricRegistry();
    const parts = [new MetricRegistry(), new MetricRegistry()];
    const exporters = parts.map((p) => new LiveExporter(p));
    const merger = new LiveFrameMerger();
    parts.forEach((p, i) => p.gauge('vus.a', () => i + 1));
    const feed = (round: number): void => {
      parts.forEach((p, i) => {
        const xs = latenciesUs(500, round * 10 + i, 1000);
        for (const x of xs) {
          p.trend('run.total', { cohort: 'a' }).record(x);
          whole.trend('run.total', { cohort: 'a' }).record(x);
        }
        if (i === 1)
          for (const x of xs) {
            p.trend('ws.connect', { cohort: 'b' }).record(x);
            whole.trend('ws.connect', { cohort: 'b' }).record(x);
          }
        p.counter('runs.started', { cohort: 'a' }).add(round + i);
        whole.counter('runs.started', { cohort: 'a' }).add(round + i);
      });
    };
    feed(1);
    parts.forEach((p, i) => merger.accept(i, exporters[i]!.next()));
    feed(2);
    parts.forEach((p, i) => merger.accept(i, exporters[i]!.next()));
    const frame = merger.frame();
    const stats = (name: string, fr = frame): ReturnType<typeof computeTrendStats> =>
      computeTrendStats(fr.trends.find((t) => t.name === name)!.hist);
    const expect = computeLiveFrame(whole);
    // Exact, but for the max: an added histogram knows it only to its bucket (3 significant digits).
    const same = (a: ReturnType<typeof stats>, b: ReturnType<typeof stats>): void => {
      assert.deepEqual({ ...a, max: 0 }, { ...b, max: 0 });
      assert.ok(Math.abs(a.max - b.max) <= b.max * 0.001, `max ${a.max} vs ${b.max}`);
    };
    same(stats('run.total'), stats('run.total', expect));
    same(stats('ws.connect'), stats('ws.connect', expect));
    assert.equal(
      frame.counters.find((c) => c.name === 'runs.started')!.value,
      whole.counter('runs.started', { cohort: 'a' }).value,
    );
    assert.equal(frame.gauges['vus.a'], 3);
    // Nothing recorded since: no histogram crosses threads again, and the frame is unchanged.
    assert.equal(exporters[0]!.next().trends.length, 0);
    parts.forEach((p, i) => merger.accept(i, exporters[i]!.next()));
    same(stats('run.total', merger.frame()), stats('run.total', expect));
  });
});
