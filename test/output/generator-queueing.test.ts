// What console, report and JUnit say about the generator's own queueing, and
// that the loop-lag figure has one name everywhere.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeGeneratorHealth } from '../../src/core/generator-health.js';
import { LOOP_LAG_METRIC } from '../../src/core/generator-queueing.js';
import { MetricRegistry } from '../../src/core/metric-registry.js';
import { buildSummaryFigures, judgeSummary, type Summary, type SummaryInput } from '../../src/core/summary.js';
import { formatSummary } from '../../src/output/console-summary.js';
import { formatHtmlReport } from '../../src/output/html-report.js';
import { formatJunitReport } from '../../src/output/junit-report.js';
import {
  formatQueueingNotice,
  formatQueueingWindow,
  formatSaturationFigures,
} from '../../src/output/generator-health-text.js';

/** A run's summary as the engine writes it, judged with no coverage floor. */
function buildSummary(r: MetricRegistry, input: SummaryInput): Summary {
  return judgeSummary(buildSummaryFigures(r, input), {
    thresholds: [],
    floor: { framesChecked: 0, restAnswersChecked: 0, runsCompleted: 0, usersWithRun: 0, probesAnswered: 0 },
  });
}

/** A 20 s run whose loop lagged `lagMs[t]` in second t (1 ms elsewhere), with ws.connect samples throughout. */
function summaryWithLags(lagMs: Readonly<Record<number, number>>): Summary {
  const r = new MetricRegistry();
  const lag = r.trend(LOOP_LAG_METRIC);
  const connect = r.trend('ws.connect', { cohort: 'c' });
  for (let sec = 0; sec < 20; sec++) {
    for (let k = 0; k < 499; k++) lag.record(300);
    lag.record((lagMs[sec] ?? 1) * 1000);
    for (let k = 0; k < 10; k++) connect.record(4_000);
    r.tick(sec + 1);
  }
  const start = Date.UTC(2026, 1, 2);
  const s = buildSummary(r, {
    scenario: { name: 'q', file: 'q.yaml', sha256: 'ab'.repeat(32) },
    target: { url: 'embedded', embedded: true },
    startedAtMs: start,
    endedAtMs: start + 20_000,
    segment: '0/1',
    interrupted: false,
    users: { total: 1, byCohort: { c: 1 } },
    generator: { loopLagP99Ms: 0, loopLagMaxMs: 0, cpuPercent: 12, saturated: false, workers: 1 },
  });
  return { ...s, generator: computeGeneratorHealth(s, { cpuPercent: 12, workers: 1 }) };
}

describe('queueing windows as people read them', () => {
  test('one window: when, by how much at most, what it means', () => {
    const s = summaryWithLags({ 12: 48, 13: 30 });
    assert.equal(
      formatQueueingWindow(s.generator.queueing!.windows[0]!),
      'between +12 s and +14 s the generator was busy for up to 48.0ms',
    );
    assert.equal(
      formatQueueingNotice(s.generator.queueing),
      'between +12 s and +14 s the generator was busy for up to 48.0ms: latencies recorded then may be over-reported by up to that much (event-loop lag over 20 ms; 2 s in all, 10% of the latency samples)',
    );
  });

  test('many windows: the three worst by lag, in time order, and a count of the rest', () => {
    const s = summaryWithLags({ 1: 25, 4: 90, 7: 22, 10: 60, 16: 70 });
    const text = formatQueueingNotice(s.generator.queueing)!;
    assert.match(
      text,
      /^between \+4 s and \+5 s .* 90\.0ms; between \+10 s and \+11 s .* 60\.0ms; between \+16 s and \+17 s .* 70\.0ms; and 2 more windows:/,
    );
  });

  test('no window, or a summary written before windows existed: nothing to say', () => {
    assert.equal(formatQueueingNotice(summaryWithLags({}).generator.queueing), undefined);
    assert.equal(formatQueueingNotice(undefined), undefined);
  });

  test('console, JUnit system-out and the report banner all say it; a quiet run says nothing', () => {
    const s = summaryWithLags({ 12: 48 });
    const notice = formatQueueingNotice(s.generator.queueing)!;
    assert.ok(formatSummary(s).includes(`generator queueing: ${notice}`));
    assert.ok(formatJunitReport(s).includes(`generator queueing: ${notice}`));
    const html = formatHtmlReport(s, []);
    assert.ok(html.includes(`id="generator-queueing">⚠ ${notice}.</div>`), 'banner by the verdict');
    assert.ok(html.indexOf('id="generator-queueing"') < html.indexOf('id="over-time"'));
    assert.match(html, /queueing \(lag over 20 ms\)<\/td><td class="num">1 s in 1 window</);

    const quiet = summaryWithLags({});
    assert.ok(!formatSummary(quiet).includes('generator queueing'));
    assert.ok(!formatJunitReport(quiet).includes('generator queueing'));
    assert.ok(!formatHtmlReport(quiet, []).includes('id="generator-queueing"'));
  });

  test('saturated by queueing alone: the saturation line gives the share that made it so', () => {
    // 3 seconds of 20 evenly loaded: 15% of the samples timed while queueing; p99 and CPU are fine.
    const s = summaryWithLags({ 5: 45, 6: 45, 9: 30 });
    assert.equal(s.generator.saturated, true);
    const figures = formatSaturationFigures(s.generator);
    assert.match(
      figures,
      /^generator\.loop_lag p99 [\d.]+(µs|ms), CPU 12%, 15% of the latency samples timed while queueing$/,
    );
    assert.ok(formatSummary(s).includes(`generator saturated (${figures}): latencies are not trustworthy`));
    assert.ok(formatJunitReport(s).includes(`generator saturated (${figures})`));
    assert.ok(formatHtmlReport(s, []).includes(`generator saturated: latencies not trustworthy (${figures})`));
  });

  test("one loop-lag figure under one name: the report's generator health shows the generator.loop_lag trend's p99", () => {
    const s = summaryWithLags({ 3: 40 });
    const lag = s.metrics[LOOP_LAG_METRIC];
    assert.ok(lag && lag.type === 'trend');
    assert.equal(s.generator.loopLagP99Ms, lag.p99);
    const html = formatHtmlReport(s, []);
    assert.doesNotMatch(html, /event-loop lag p99/, 'no second name');
    assert.match(html, /<td>generator\.loop_lag p99<\/td>/);
  });
});
