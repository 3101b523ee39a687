import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTagKey, MetricRegistry } from '../../src/core/metric-registry.js';
import { createRegistrySource } from '../../src/core/metric-source.js';
import { isKnownMetric, isTrendMetric } from '../../src/core/metric-names.js';

describe('MetricRegistry', () => {
  test('one handle per name and tag set, whatever the tag order', () => {
    const r = new MetricRegistry();
    const a = r.trend('run.total', { cohort: 'a', kind: 'x' });
    assert.equal(r.trend('run.total', { kind: 'x', cohort: 'a' }), a);
    assert.notEqual(r.trend('run.total', { cohort: 'b' }), a);
    assert.equal(r.counter('errors', { cohort: 'a' }), r.counter('errors', { cohort: 'a' }));
    assert.equal(r.allTrends().length, 2);
    assert.equal(r.allCounters().length, 1);
  });

  test('formatTagKey is sorted and stable', () => {
    assert.equal(formatTagKey({ kind: 'timeout', cohort: 'a' }), 'cohort:a,kind:timeout');
    assert.equal(formatTagKey({}), '');
  });

  test('trend samples are whole µs; below 1 µs counts as 1', () => {
    const r = new MetricRegistry();
    const t = r.trend('ws.connect');
    t.record(0);
    t.record(-5);
    t.record(1500.6);
    assert.equal(t.hist.totalCount, 3);
    assert.equal(t.hist.minNonZeroValue, 1);
    assert.equal(t.hist.maxValue, 1501);
  });

  test('counters add, by 1 or by n', () => {
    const r = new MetricRegistry();
    const c = r.counter('http.requests', { cohort: 'a' });
    c.add();
    c.add(4);
    assert.equal(c.value, 5);
  });

  test('tick() snapshots one second per metric name across tag sets, then resets the interval', () => {
    const r = new MetricRegistry();
    let users = 7;
    r.gauge('users.active', () => users);
    r.trend('run.total', { cohort: 'a' }).record(1000);
    r.trend('run.total', { cohort: 'b' }).record(2000);
    r.counter('errors', { cohort: 'a', kind: 'timeout' }).add(2);
    r.counter('errors', { cohort: 'b', kind: 'timeout' }).add(1);
    const p1 = r.tick(1);
    assert.equal(p1.t, 1);
    assert.equal(p1.trends['run.total']?.count, 2);
    assert.equal(p1.trends['run.total']?.max, 2);
    assert.equal(p1.counters['errors'], 3);
    assert.equal(p1.gauges['users.active'], 7);
    users = 3;
    const p2 = r.tick(2);
    assert.deepEqual(p2.trends, {});
    assert.deepEqual(p2.counters, {});
    assert.equal(p2.gauges['users.active'], 3);
    assert.equal(r.series.length, 2);
    // The run-wide figures are untouched by the interval reset.
    assert.equal(r.trend('run.total', { cohort: 'a' }).hist.totalCount, 1);
    assert.equal(r.counter('errors', { cohort: 'a', kind: 'timeout' }).value, 2);
    // Once the series is complete the gauges are let go: a later tick reads none, and the series stays.
    r.stopGauges();
    assert.deepEqual(r.tick(3).gauges, {});
    assert.equal(r.series[1]!.gauges['users.active'], 3);
  });

  test('the registry source merges every series matching the scope', () => {
    const r = new MetricRegistry();
    r.trend('run.total', { cohort: 'a' }).record(1000);
    r.trend('run.total', { cohort: 'b' }).record(2000);
    r.trend('run.gap', { cohort: 'a' }).record(9000);
    const src = createRegistrySource(r, () => 4);
    assert.equal(src.histogram('run.total', {})?.totalCount, 2);
    assert.equal(src.histogram('run.total', { cohort: 'b' })?.maxValue, 2000);
    assert.equal(src.histogram('run.total', { cohort: 'zzz' }), undefined);
    assert.equal(src.histogram('http.login', {}), undefined);
    assert.equal(src.durationSec, 4);
  });
});

describe('metric names', () => {
  test('design.md metrics are known, with the right kind', () => {
    for (const t of [
      'ws.connect',
      'http.create_thread',
      'http.ticket',
      'run.agent_started',
      'run.total',
      'run.gap',
      'generator.loop_lag',
    ]) {
      assert.ok(isKnownMetric(t) && isTrendMetric(t), t);
    }
    for (const c of [
      'runs.started',
      'runs.completed',
      'runs.failed',
      'runs.timed_out',
      'ws.frames_received',
      'http.requests',
      'dropped',
      'errors',
      'isolation.violations',
      'lifecycle.violations',
    ]) {
      assert.ok(isKnownMetric(c) && !isTrendMetric(c), c);
    }
    assert.equal(isKnownMetric('run.totl'), false);
    assert.equal(isKnownMetric('http.fetch'), false);
  });
});
