// junit.xml as CI systems read it: parsed back with fast-xml-parser, one
// testcase per threshold plus isolation, failures carrying their figures, and
// awkward characters surviving the round trip.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { MetricRegistry } from '../../src/core/metric-registry.js';
import { buildSummaryFigures, judgeSummary, type Summary } from '../../src/core/summary.js';
import type { ThresholdResult } from '../../src/core/thresholds.js';
import { formatJunitReport, writeJunitReport } from '../../src/output/junit-report.js';

const START = Date.UTC(2025, 0, 2, 3, 4, 5);

/** A real Summary (built and judged as a run's is, so it tracks the type) with the thresholds and leaked frames by kind given. */
function summaryWith(opts: {
  name?: string;
  thresholds: ThresholdResult[];
  violations?: Record<string, number>;
  unattributed?: number;
  framesFloor?: number;
  neverConnected?: boolean;
}): Summary {
  const r = new MetricRegistry();
  const t = r.trend('run.total', { cohort: 'chatters' });
  for (let ms = 1; ms <= 100; ms++) t.record(ms * 1000);
  r.counter('operations').add(100);
  for (const [kind, n] of Object.entries(opts.violations ?? {})) {
    r.counter('isolation.violations').add(n);
    r.counter('isolation.violations.by_kind', { kind }).add(n);
  }
  if (opts.unattributed) r.counter('isolation.unattributed').add(opts.unattributed);
  if (opts.neverConnected) {
    r.counter('operations', { op: 'connect' }).add(5);
    r.counter('errors', { kind: 'upgrade_failed' }).add(5);
  }
  const figures = buildSummaryFigures(r, {
    scenario: { name: opts.name ?? 'smoke', file: 'scenarios/smoke.yaml', sha256: 'ab'.repeat(32) },
    target: { url: 'embedded', embedded: true },
    startedAtMs: START,
    endedAtMs: START + 12_345,
    segment: '0/1',
    interrupted: false,
    users: { total: 2, byCohort: { chatters: 2 } },
    generator: { loopLagP99Ms: 2, loopLagMaxMs: 3, cpuPercent: 10, saturated: false },
  });
  const floor = {
    framesChecked: opts.framesFloor ?? 0,
    restAnswersChecked: 0,
    runsCompleted: 0,
    usersWithRun: 0,
    probesAnswered: 0,
  };
  return judgeSummary(figures, { thresholds: opts.thresholds, floor });
}

interface Failure {
  '@_message': string;
  '@_type'?: string;
  '#text'?: string;
}
interface TestCase {
  '@_name': string;
  '@_classname': string;
  failure?: Failure;
  error?: Failure;
  'system-out'?: string;
}
interface Suite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  '@_time': string;
  testcase: TestCase[];
  'system-out'?: string;
}

function parse(xml: string): Suite {
  // Structural validity first: a parser that tolerates broken XML would hide escaping bugs.
  assert.equal(XMLValidator.validate(xml), true, `junit.xml is well-formed XML:\n${xml}`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    isArray: (name) => name === 'testcase' || name === 'testsuite' || name === 'property',
  });
  const doc = parser.parse(xml) as { testsuites: { testsuite: Suite[] } };
  assert.equal(doc.testsuites.testsuite.length, 1, 'one testsuite');
  return doc.testsuites.testsuite[0]!;
}

const PASSING: ThresholdResult[] = [
  { metric: 'ws.connect', expression: 'p(95) < 2s', actual: 19.1, ok: true },
  { metric: 'run.total{cohort:chatters}', expression: 'p(50) < 5s', actual: 61, ok: true },
  { metric: 'errors', expression: 'rate < 0.01', actual: 0, ok: true },
];

describe('formatJunitReport', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('a passing run: one testcase per threshold plus isolation and coverage, no failures', () => {
    const suite = parse(formatJunitReport(summaryWith({ thresholds: PASSING })));
    assert.equal(suite['@_name'], 'crosstalk: smoke');
    assert.equal(suite['@_tests'], '5');
    assert.equal(suite['@_failures'], '0');
    assert.equal(suite['@_errors'], '0');
    assert.equal(suite['@_time'], '12.345');
    assert.equal(suite.testcase.length, PASSING.length + 2);
    assert.equal(suite.testcase[4]!['@_classname'], 'crosstalk.coverage');
    assert.deepEqual(
      suite.testcase.slice(0, 3).map((c) => [c['@_name'], c['@_classname']]),
      PASSING.map((t) => [`${t.metric} ${t.expression}`, 'crosstalk.thresholds']),
    );
    const iso = suite.testcase[3]!;
    assert.equal(iso['@_classname'], 'crosstalk.isolation');
    assert.ok(
      suite.testcase.every((c) => c.failure === undefined && c.error === undefined),
      'no failure or error elements',
    );
    assert.match(iso['system-out'] ?? '', /unattributed: 0\b/);
  });

  test('failed thresholds carry actual and expected; no data says so; isolation lists leaked frames by kind', () => {
    const thresholds: ThresholdResult[] = [
      { metric: 'run.agent_started', expression: 'p(95) < 500ms', actual: 1234.5, ok: false },
      { metric: 'errors', expression: 'rate < 0.01', actual: 0.0375, ok: false },
      { metric: 'run.tool_completed', expression: 'p(99) < 1s', actual: null, ok: false, note: 'no data' },
      { metric: 'isolation.violations', expression: 'count == 0', actual: 7, ok: false },
      { metric: 'ws.connect', expression: 'p(95) < 2s', actual: 12, ok: true },
    ];
    const s = summaryWith({ thresholds, violations: { foreign_user_id: 4, foreign_canary: 3 }, unattributed: 2 });
    const suite = parse(formatJunitReport(s));
    assert.equal(suite['@_tests'], '7');
    assert.equal(suite['@_failures'], '5', 'four thresholds and isolation');

    const byName = new Map(suite.testcase.map((c) => [c['@_name'], c]));
    const slow = byName.get('run.agent_started p(95) < 500ms')?.failure;
    assert.ok(slow, 'the slow threshold failed');
    assert.match(slow['@_message'], /actual 1234\.5 ms; expected p\(95\) < 500ms/);
    assert.match(slow['#text'] ?? '', /expected: p\(95\) < 500ms/);
    assert.match(
      byName.get('errors rate < 0.01')?.failure?.['@_message'] ?? '',
      /actual 0\.0375 \(3\.75% of operations\)/,
    );
    assert.match(
      byName.get('run.tool_completed p(99) < 1s')?.failure?.['@_message'] ?? '',
      /^no data; expected p\(99\) < 1s$/,
    );
    assert.match(
      byName.get('isolation.violations count == 0')?.failure?.['@_message'] ?? '',
      /actual 7; expected count == 0/,
    );
    assert.equal(byName.get('ws.connect p(95) < 2s')?.failure, undefined, 'a held threshold has no failure');

    const iso = suite.testcase.find((c) => c['@_classname'] === 'crosstalk.isolation');
    assert.ok(iso?.failure, 'isolation failed');
    assert.match(iso.failure['@_message'], /^7 leaked frame\(s\) or answer\(s\): foreign_user_id=4, foreign_canary=3$/);
    assert.match(iso.failure['#text'] ?? '', /foreign_user_id: 4 frame\(s\)\nforeign_canary: 3 frame\(s\)/);
    assert.match(iso['system-out'] ?? '', /unattributed: 2\b/);
    assert.match(suite['system-out'] ?? '', /isolation: 7 leaked frame/);
  });

  test('an untested run: isolation and coverage are errors saying UNTESTED and why, never passes', () => {
    const thresholds: ThresholdResult[] = [
      { metric: 'isolation.violations', expression: 'count == 0', actual: 0, ok: true },
    ];
    const s = summaryWith({ thresholds, framesFloor: 1, neverConnected: true });
    assert.equal(s.exitCode, 4);
    const suite = parse(formatJunitReport(s));
    assert.equal(suite['@_errors'], '2', 'isolation and coverage');
    assert.equal(suite['@_failures'], '1', 'the isolation threshold has no data');
    const iso = suite.testcase.find((c) => c['@_classname'] === 'crosstalk.isolation');
    assert.equal(iso?.failure, undefined);
    assert.equal(iso?.error?.['@_message'], 'UNTESTED: isolation untested: 0 frames received');
    assert.equal(iso?.error?.['@_type'], 'untested');
    const cov = suite.testcase.find((c) => c['@_classname'] === 'crosstalk.coverage');
    assert.match(cov?.error?.['@_message'] ?? '', /^UNTESTED: no connect ever succeeded \(5 attempted\)$/);
    assert.match(suite.testcase[0]!.failure?.['@_message'] ?? '', /no data: isolation untested: 0 frames received/);
    assert.match(suite['system-out'] ?? '', /exit 4 \(untested\)/);
  });

  test('<, &, quotes and control characters in scenario names and expressions survive a parse round trip', () => {
    const name = `a<b> & "c" 'd' </testsuite>`;
    const thresholds: ThresholdResult[] = [
      { metric: 'run.total{cohort:x&y}', expression: 'p(95) < 1s', actual: 2000, ok: false, note: 'say "hi" & <bye>' },
      { metric: 'ws.connect', expression: 'p(99) <= 250ms', actual: 3, ok: true },
    ];
    const xml = formatJunitReport(summaryWith({ name: `${name}\u0001`, thresholds }));
    assert.doesNotMatch(xml, /<\/testsuite> &/, 'no raw markup from the name');
    const suite = parse(xml);
    assert.equal(
      suite['@_name'],
      `crosstalk: ${name}\uFFFD`,
      'the name round-trips; the unrepresentable control character is replaced',
    );
    assert.equal(suite.testcase[0]!['@_name'], 'run.total{cohort:x&y} p(95) < 1s');
    assert.equal(suite.testcase[1]!['@_name'], 'ws.connect p(99) <= 250ms');
    assert.match(suite.testcase[0]!.failure?.['@_message'] ?? '', /expected p\(95\) < 1s \(say "hi" & <bye>\)$/);
    assert.match(suite.testcase[0]!.failure?.['#text'] ?? '', /note: {5}say "hi" & <bye>/);
    // true attribute values stay name="value" pairs (the builder's default would write a bare attribute).
    assert.match(xml, /<property name="target.embedded" value="true"\/>/);
  });

  test('writeJunitReport writes junit.xml atomically, leaving no temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crosstalk-junit-'));
    dirs.push(dir);
    const s = summaryWith({ thresholds: PASSING });
    const path = writeJunitReport(dir, s);
    assert.equal(path, join(dir, 'junit.xml'));
    assert.deepEqual(readdirSync(dir), ['junit.xml']);
    assert.equal(readFileSync(path, 'utf8'), formatJunitReport(s));
  });
});
