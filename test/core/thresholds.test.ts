import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_KINDS } from '../../src/core/metric-names.js';
import { MetricRegistry } from '../../src/core/metric-registry.js';
import { createRegistrySource, matchesScope } from '../../src/core/metric-source.js';
import type { InputProblem } from '../../src/core/sim-error.js';
import {
  editDistance,
  evaluateThreshold,
  parseThreshold,
  type ParsedThreshold,
  type ThresholdResult,
} from '../../src/core/thresholds.js';

const vocabulary = { cohorts: ['chatters', 'lurkers'], kinds: ALL_KINDS };

function parse(metric: string, expression: string): ParsedThreshold | InputProblem[] {
  return parseThreshold(metric, expression, { vocabulary, path: `thresholds["${metric}"][0]` });
}

function parsed(metric: string, expression: string): ParsedThreshold {
  const t = parse(metric, expression);
  if (Array.isArray(t)) assert.fail(`"${metric}: ${expression}" should parse, got ${JSON.stringify(t)}`);
  return t;
}

/** The single problem message of a threshold that must not parse. */
function problem(metric: string, expression: string): string {
  const t = parse(metric, expression);
  if (!Array.isArray(t)) assert.fail(`"${metric}: ${expression}" should be refused`);
  assert.equal(t.length, 1, JSON.stringify(t));
  assert.equal(t[0]!.path, `thresholds["${metric}"][0]`);
  return t[0]!.message;
}

describe('parseThreshold', () => {
  test('reads every stat', () => {
    assert.deepEqual(parsed('run.total', 'p(95) < 500ms').stat, { kind: 'p', q: 95 });
    assert.deepEqual(parsed('run.total', 'p(99.9) < 2s').stat, { kind: 'p', q: 99.9 });
    assert.deepEqual(parsed('run.total', 'med < 1s').stat, { kind: 'p', q: 50 });
    assert.deepEqual(parsed('run.total', 'avg < 1s').stat, { kind: 'avg' });
    assert.deepEqual(parsed('run.total', 'min < 1s').stat, { kind: 'min' });
    assert.deepEqual(parsed('run.total', 'max < 1s').stat, { kind: 'max' });
    assert.deepEqual(parsed('run.total', 'count > 10').stat, { kind: 'count' });
    assert.deepEqual(parsed('errors', 'rate < 0.01').stat, { kind: 'rate' });
    assert.deepEqual(parsed('errors', 'count == 0').stat, { kind: 'count' });
  });

  test('reads every operator, with or without spaces', () => {
    assert.equal(parsed('run.total', 'p(95) < 1s').op, '<');
    assert.equal(parsed('run.total', 'p(95)<=1s').op, '<=');
    assert.equal(parsed('run.total', 'p(95) > 1s').op, '>');
    assert.equal(parsed('run.total', 'p(95)>=1s').op, '>=');
    assert.equal(parsed('isolation.violations', 'count == 0').op, '==');
  });

  test('applies units to trends: values are in ms', () => {
    assert.equal(parsed('run.total', 'p(95) < 500ms').value, 500);
    assert.equal(parsed('run.total', 'p(95) < 1.5s').value, 1500);
    assert.equal(parsed('run.total', 'p(95) < 2m').value, 120_000);
    assert.equal(parsed('run.total', 'p(95) < 250us').value, 0.25);
    assert.equal(parsed('run.total', 'p(95) < 2min').value, 120_000, 'min, as in scenario durations');
    assert.equal(parsed('run.total', 'max < 1h').value, 3_600_000);
    assert.equal(parsed('run.total', 'min > 1min').value, 60_000, 'the stat min and the unit min do not clash');
    assert.equal(parsed('run.total', 'p(95) < 300').value, 300); // plain number: ms
    assert.equal(parsed('errors', 'rate < 0.01').value, 0.01);
  });

  test('keeps the scope, the key as written and the long-form options', () => {
    const t = parseThreshold('run.total{cohort:chatters}', 'p(50) < 3s', {
      vocabulary,
      path: 'p',
      abortOnFail: true,
      delayMs: 5000,
    });
    if (Array.isArray(t)) assert.fail(JSON.stringify(t));
    assert.equal(t.metric, 'run.total');
    assert.equal(t.metricKey, 'run.total{cohort:chatters}');
    assert.deepEqual(t.scope, { cohort: 'chatters' });
    assert.equal(t.abortOnFail, true);
    assert.equal(t.delayMs, 5000);
    assert.deepEqual(parsed('errors{cohort:lurkers,kind:timeout}', 'count == 0').scope, {
      cohort: 'lurkers',
      kind: 'timeout',
    });
    assert.deepEqual(parsed('http.get_thread{op:get_thread}', 'p(95) < 1s').scope, { op: 'get_thread' });
  });

  test('an unknown metric is an error with "did you mean"', () => {
    assert.match(problem('run.totl', 'p(95) < 1s'), /no metric named "run\.totl" \(did you mean "run\.total"\?\)/);
    assert.match(problem('wsconnect', 'p(95) < 1s'), /did you mean "ws\.connect"/);
    assert.match(problem('isolation.violation', 'count == 0'), /did you mean "isolation\.violations"/);
    assert.match(problem('Run.Total', 'p(95) < 1s'), /is not a metric name/);
  });

  test('"did you mean" knows every metric', () => {
    assert.match(problem('http.get_thred', 'p(95) < 1s'), /did you mean "http\.get_thread"/);
    assert.match(problem('runs.completd', 'count > 0'), /did you mean "runs\.completed"/);
    assert.match(problem('run.agent_thinkin', 'p(95) < 1s'), /did you mean "run\.agent_thinking"/);
  });

  test('an unknown tag, cohort, kind or op in the scope is an error', () => {
    assert.match(problem('run.total{user:u1}', 'p(95) < 1s'), /unknown tag "user"; expected one of cohort, kind, op/);
    assert.match(
      problem('run.total{cohort:chaters}', 'p(95) < 1s'),
      /no cohort named "chaters"; cohorts are chatters, lurkers/,
    );
    assert.match(problem('errors{kind:bogus}', 'count == 0'), /unknown kind "bogus"/);
    assert.match(problem('http.get_thread{op:fetch}', 'p(95) < 1s'), /unknown op "fetch"/);
    assert.match(problem('run.total{cohort}', 'p(95) < 1s'), /scope "cohort" is not tag:value/);
  });

  test('a stat the metric does not have is an error', () => {
    assert.match(problem('run.total', 'rate < 1'), /"rate" applies to counters; run\.total is a latency trend/);
    assert.match(problem('errors', 'p(95) < 1'), /errors is a counter; expected "count" or "rate", not "p\(95\)"/);
    assert.match(problem('runs.failed', 'avg < 1'), /counter/);
    assert.match(problem('errors', 'count < 5ms'), /takes no time unit/);
    assert.match(problem('run.total', 'count < 5s'), /"count" takes a plain number/);
  });

  test('bad grammar is an error that shows the expected form', () => {
    for (const bad of [
      'p95 < 1s',
      'p(95) ~ 1s',
      'p(95) < ',
      '< 1s',
      'p(95) = 1s',
      'p(95) < 1d',
      'percentile(95) < 1s',
      'p(95) < 1 hour',
      'p(95) < 2mins',
    ]) {
      assert.match(problem('run.total', bad), /is not a threshold; expected "<stat> <op> <value>"/, bad);
    }
  });

  test('a percentile outside (0, 100] is an error', () => {
    assert.match(problem('run.total', 'p(0) < 1s'), /percentile 0 is outside/);
    assert.match(problem('run.total', 'p(101) < 1s'), /percentile 101 is outside/);
    assert.equal(parsed('run.total', 'p(100) < 1s').stat.kind, 'p');
  });

  test('reports the metric and the expression problems together', () => {
    const t = parse('run.totl{cohort:nobody}', 'p95 < 1s');
    assert.ok(Array.isArray(t));
    assert.equal(t.length, 3, JSON.stringify(t));
  });

  test('editDistance is Levenshtein', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('run.totl', 'run.total'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
  });
});

describe('evaluateThreshold against a real MetricRegistry', () => {
  // chatters: run.total 1..1000 ms (recorded in µs); lurkers: ten runs of 5 s.
  // operations 200 + 100; errors 3 (chatters, timeout) + 1 (lurkers, agent_error); 10 s run.
  const registry = new MetricRegistry();
  const chatters = registry.trend('run.total', { cohort: 'chatters' });
  for (let ms = 1; ms <= 1000; ms++) chatters.record(ms * 1000);
  const lurkers = registry.trend('run.total', { cohort: 'lurkers' });
  for (let i = 0; i < 10; i++) lurkers.record(5_000_000);
  registry.trend('run.agent_started', { cohort: 'chatters' }); // registered, never recorded
  registry.counter('operations', { cohort: 'chatters' }).add(200);
  registry.counter('operations', { cohort: 'lurkers' }).add(100);
  registry.counter('errors', { cohort: 'chatters', kind: 'timeout' }).add(3);
  registry.counter('errors', { cohort: 'lurkers', kind: 'agent_error' }).add(1);
  registry.counter('runs.started', { cohort: 'chatters' }).add(50);
  registry.counter('isolation.violations', { cohort: 'lurkers', kind: 'foreign_thread' });
  const source = createRegistrySource(registry, () => 10);

  function evaluate(metric: string, expression: string): ThresholdResult {
    return evaluateThreshold(parsed(metric, expression), source);
  }
  function near(r: ThresholdResult, expected: number, relative = 0.001): void {
    assert.ok(
      r.actual !== null && Math.abs(r.actual - expected) <= expected * relative,
      `${r.metric} ${r.expression}: actual ${r.actual}, expected about ${expected}`,
    );
  }

  test('percentiles: pass just above, fail just below (HDR precision 0.1%)', () => {
    const pass = evaluate('run.total{cohort:chatters}', 'p(95) < 952ms');
    near(pass, 950);
    assert.equal(pass.ok, true);
    assert.equal(evaluate('run.total{cohort:chatters}', 'p(95) < 948ms').ok, false);
    assert.equal(evaluate('run.total{cohort:chatters}', 'p(95) > 948ms').ok, true);
    assert.equal(evaluate('run.total{cohort:chatters}', 'p(95) >= 952ms').ok, false);
    near(evaluate('run.total{cohort:chatters}', 'p(99) < 1s'), 990);
    near(evaluate('run.total{cohort:chatters}', 'med < 1s'), 500);
    assert.equal(evaluate('run.total{cohort:chatters}', 'med <= 0.502s').ok, true);
    assert.equal(evaluate('run.total{cohort:chatters}', 'med <= 0.498s').ok, false);
  });

  test('avg, min and max', () => {
    near(evaluate('run.total{cohort:chatters}', 'avg < 1s'), 500.5);
    assert.equal(evaluate('run.total{cohort:chatters}', 'avg < 502ms').ok, true);
    assert.equal(evaluate('run.total{cohort:chatters}', 'avg < 499ms').ok, false);
    const min = evaluate('run.total{cohort:chatters}', 'min == 1');
    assert.equal(min.actual, 1);
    assert.equal(min.ok, true);
    assert.equal(evaluate('run.total{cohort:chatters}', 'min > 1ms').ok, false);
    const max = evaluate('run.total{cohort:chatters}', 'max <= 1s');
    assert.equal(max.actual, 1000);
    assert.equal(max.ok, true);
    assert.equal(evaluate('run.total{cohort:chatters}', 'max < 1s').ok, false);
  });

  test('count on a trend is the number of samples', () => {
    const all = evaluate('run.total', 'count == 1010');
    assert.equal(all.actual, 1010);
    assert.equal(all.ok, true);
    assert.equal(evaluate('run.total', 'count > 1010').ok, false);
    assert.equal(evaluate('run.total{cohort:lurkers}', 'count == 10').ok, true);
  });

  test('a scope only counts that cohort', () => {
    assert.equal(evaluate('run.total{cohort:lurkers}', 'max == 5s').actual, 5000);
    assert.equal(evaluate('run.total{cohort:chatters}', 'max == 5s').ok, false);
    // Unscoped, the lurkers' 5 s runs are in: the max is theirs.
    assert.equal(evaluate('run.total', 'max == 5s').ok, true);
    assert.equal(evaluate('errors{cohort:chatters}', 'count == 3').ok, true);
    assert.equal(evaluate('errors{cohort:lurkers}', 'count == 1').ok, true);
    assert.equal(evaluate('errors{kind:timeout}', 'count == 3').ok, true);
  });

  test('errors rate = errors / operations (a fraction), per scope', () => {
    const all = evaluate('errors', 'rate < 0.02');
    assert.equal(all.actual, 0.013333); // 4 / 300, rounded to 6 decimals
    assert.equal(all.ok, true);
    assert.equal(evaluate('errors', 'rate < 0.01').ok, false);
    assert.equal(evaluate('errors{cohort:chatters}', 'rate == 0.015').ok, true); // 3 / 200
    assert.equal(evaluate('errors{cohort:lurkers}', 'rate == 0.01').ok, true); // 1 / 100
    // {kind:...} narrows the errors, not the operations: 3 timeouts of 300 operations.
    assert.equal(evaluate('errors{kind:timeout}', 'rate == 0.01').ok, true);
  });

  test('an errors rate with no operation at all is no data, not a 0% pass', () => {
    const t = parseThreshold('errors', 'rate < 0.01', {
      vocabulary: { cohorts: ['chatters'], kinds: ALL_KINDS },
      path: 'thresholds.errors',
    });
    assert.ok(!Array.isArray(t));
    const r = evaluateThreshold(
      t,
      createRegistrySource(new MetricRegistry(), () => 10),
    );
    assert.deepEqual(r, { metric: 'errors', expression: 'rate < 0.01', actual: null, ok: false, note: 'no data' });
  });

  test('a scope {kind:...} on isolation.violations counts the leaked frames that showed that kind', () => {
    const r = new MetricRegistry();
    r.counter('isolation.violations', { cohort: 'chatters' }).add(3);
    r.counter('isolation.violations.by_kind', { cohort: 'chatters', kind: 'foreign_canary' }).add(3);
    r.counter('isolation.violations.by_kind', { cohort: 'chatters', kind: 'foreign_thread' }).add(1);
    const src = createRegistrySource(r, () => 10);
    const judge = (key: string, expr: string): number | null => {
      const t = parseThreshold(key, expr, { vocabulary: { cohorts: ['chatters'], kinds: ALL_KINDS }, path: 'x' });
      assert.ok(!Array.isArray(t));
      return evaluateThreshold(t, src).actual;
    };
    assert.equal(judge('isolation.violations', 'count == 0'), 3);
    assert.equal(judge('isolation.violations{kind:foreign_thread}', 'count == 0'), 1);
    assert.equal(judge('isolation.violations{kind:foreign_canary}', 'count == 0'), 3);
  });

  test('rate on another counter is per second of the run', () => {
    const r = evaluate('runs.started', 'rate >= 5');
    assert.equal(r.actual, 5); // 50 over 10 s
    assert.equal(r.ok, true);
    assert.equal(evaluate('operations', 'rate > 30').ok, false);
  });

  test('a counter with nothing counted is 0, and "count == 0" holds', () => {
    const r = evaluate('isolation.violations', 'count == 0');
    assert.equal(r.actual, 0);
    assert.equal(r.ok, true);
    assert.equal(evaluate('dropped', 'count == 0').ok, true); // never registered at all
    assert.equal(evaluate('runs.failed', 'count > 0').ok, false);
  });

  test('a trend with no samples fails with "no data", but its count is 0', () => {
    const r = evaluate('run.agent_started', 'p(95) < 1s');
    assert.equal(r.actual, null);
    assert.equal(r.ok, false);
    assert.equal(r.note, 'no data');
    assert.equal(evaluate('run.agent_completed', 'avg < 1s').actual, null); // never registered
    const c = evaluate('run.agent_started', 'count == 0');
    assert.equal(c.actual, 0);
    assert.equal(c.ok, true);
  });

  test('the result names the metric key and the expression as written', () => {
    const r = evaluate('run.total{cohort:chatters}', 'p(95) < 952ms');
    assert.equal(r.metric, 'run.total{cohort:chatters}');
    assert.equal(r.expression, 'p(95) < 952ms');
  });

  test('a percentile never exceeds the max, as in summary.json', () => {
    const reg = new MetricRegistry();
    const t = reg.trend('run.total', {});
    for (let i = 0; i < 100; i++) t.record(1_000_000);
    const src = createRegistrySource(reg, () => 1);
    const r = evaluateThreshold(parsed('run.total', 'p(95) <= 1s'), src);
    assert.equal(r.actual, 1000);
    assert.equal(r.ok, true);
    assert.equal(evaluateThreshold(parsed('run.total', 'p(100) <= 1s'), src).ok, true);
  });
});

describe('matchesScope', () => {
  test('every scope tag must be present with the same value', () => {
    assert.equal(matchesScope({ cohort: 'a', kind: 'timeout' }, { cohort: 'a' }), true);
    assert.equal(matchesScope({ cohort: 'a' }, {}), true);
    assert.equal(matchesScope({ cohort: 'a' }, { cohort: 'b' }), false);
    assert.equal(matchesScope({ cohort: 'a' }, { cohort: 'a', kind: 'timeout' }), false);
  });
});
