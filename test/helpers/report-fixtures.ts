// Fixtures of the report.html tests: a summary built and judged the way the engine does it, and a
// planted isolation violation whose frame carries a hostile string the page must show as text.
// No I/O, no side effects at import time.
import { MetricRegistry } from '../../src/core/metric-registry.js';
import { buildSummaryFigures, judgeSummary, type Summary, type SummaryInput } from '../../src/core/summary.js';
import type { ThresholdResult } from '../../src/core/thresholds.js';

/** Markup that would run if the report ever put frame text into the page unescaped. */
export const HOSTILE = '<script>alert(1)</script>';

/** A summary built and judged the way the engine does it, from a registry with a per-second series; `leaks` are leaked frames by kind. */
export function builtSummary(
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

/** One `foreign_canary` line of violations.jsonl at `time`, its frame holding the canary and {@link HOSTILE}. */
export function plantedViolation(time: string): Record<string, unknown> {
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
