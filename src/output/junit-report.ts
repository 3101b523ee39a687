// junit.xml: the run's verdict in the one format every CI system renders
// natively (GitHub Actions test reporters, Jenkins, GitLab). Each threshold is a
// test case and isolation is one more, so a failed SLA or a leak shows up as a
// named failing test with its figures, not just as a red exit code.
import { join } from 'node:path';
import { XMLBuilder } from 'fast-xml-parser';
import { isTrendMetric } from '../core/metric-names.js';
import type { Summary } from '../core/summary.js';
import type { ThresholdResult } from '../core/thresholds.js';
import { isIsolationGap } from '../core/verdict.js';
import { formatQueueingNotice, formatSaturationFigures } from './generator-health-text.js';
import { writeFileAtomic } from './results-dir.js';

/** The file name design.md gives the report inside a results folder. */
const JUNIT_FILE = 'junit.xml';

const THRESHOLD_CLASS = 'crosstalk.thresholds';
const ISOLATION_CLASS = 'crosstalk.isolation';
const COVERAGE_CLASS = 'crosstalk.coverage';

// Characters XML 1.0 cannot carry at all, escaped or not (C0 controls other
// than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF). Escaping is the builder's
// job; this only swaps the unrepresentable ones so the file always parses.
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** One element of the builder's object model (attributes are `@_`-prefixed keys). */
type XmlNode = { [key: string]: string | number | XmlNode | XmlNode[] };

/**
 * Renders the summary as JUnit XML: `<testsuites>` holding one
 * `<testsuite name="crosstalk: <scenario>">`, one `<testcase>` per threshold
 * (`crosstalk.thresholds`, named `metric expression`) and one for isolation
 * (`crosstalk.isolation`). Failures carry the figures in their message.
 */
export function formatJunitReport(summary: Summary): string {
  const cases: XmlNode[] = summary.thresholds.map(thresholdCase);
  cases.push(isolationCase(summary));
  if (summary.coverage) cases.push(coverageCase(summary));
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const errors = cases.filter((c) => c.error !== undefined).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const time = seconds(summary.durationMs);
  const suite: XmlNode = {
    '@_name': clean(`crosstalk: ${summary.scenario.name}`),
    '@_tests': cases.length,
    '@_failures': failures,
    '@_errors': errors,
    '@_skipped': skipped,
    '@_time': time,
    // The JUnit schema's timestamp has no zone; summary times are UTC.
    '@_timestamp': summary.startedAt.slice(0, 19),
    properties: { property: properties(summary) },
    testcase: cases,
    'system-out': clean(runDigest(summary)),
  };
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    textNodeName: '#text',
    format: true,
    indentBy: '  ',
    suppressEmptyNode: true,
    // Its default writes value="true" as a bare `value`, which is HTML, not XML.
    suppressBooleanAttributes: false,
    // processEntities (the default) is what escapes & < > " ' in text and attributes.
    processEntities: true,
  });
  const doc: XmlNode = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    // A <testsuites> root as well: some readers (older Jenkins plugins) want it, none reject it.
    testsuites: {
      '@_name': 'crosstalk',
      '@_tests': cases.length,
      '@_failures': failures,
      '@_errors': errors,
      '@_time': time,
      testsuite: suite,
    },
  };
  return builder.build(doc);
}

/** Writes `junit.xml` into `dir` atomically (readers never see half a file); returns its path. */
export function writeJunitReport(dir: string, summary: Summary): string {
  const path = join(dir, JUNIT_FILE);
  writeFileAtomic(path, formatJunitReport(summary));
  return path;
}

function thresholdCase(t: ThresholdResult): XmlNode {
  const node: XmlNode = { '@_name': clean(`${t.metric} ${t.expression}`), '@_classname': THRESHOLD_CLASS, '@_time': 0 };
  // Held without a figure: the metric cannot apply to this run (a connection metric on plain SSE).
  if (t.ok && t.actual === null) return { ...node, skipped: { '@_message': clean(t.note ?? 'not applicable') } };
  if (t.ok) return node;
  const actual = t.actual === null ? 'no data' : `actual ${formatFigure(t.metric, t.expression, t.actual)}`;
  // The message is one line (XML folds newlines in attributes to spaces); the body has the detail.
  const body = [
    `metric:   ${t.metric}`,
    `expected: ${t.expression}`,
    `actual:   ${t.actual === null ? 'no data' : formatFigure(t.metric, t.expression, t.actual)}`,
    ...(t.note ? [`note:     ${t.note}`] : []),
  ].join('\n');
  node.failure = {
    '@_message': clean(`${actual}; expected ${t.expression}${t.note && t.actual !== null ? ` (${t.note})` : ''}`),
    '@_type': 'threshold',
    '#text': clean(body),
  };
  return node;
}

function isolationCase(s: Summary): XmlNode {
  const iso = s.isolation;
  const node: XmlNode = {
    '@_name': "no user received another user's data",
    '@_classname': ISOLATION_CLASS,
    '@_time': 0,
  };
  const kinds = Object.entries(iso.byKind)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (iso.violations > 0) {
    const list = kinds.map(([k, n]) => `${k}=${n}`).join(', ');
    node.failure = {
      '@_message': clean(`${iso.violations} leaked frame(s) or answer(s)${list ? `: ${list}` : ''}`),
      '@_type': 'isolation',
      '#text': clean(
        [
          ...kinds.map(([k, n]) => `${k}: ${n} frame(s)`),
          '',
          'each leaked frame or answer is one line in violations.jsonl (its kinds with field, value and owner, time, receiving user, redacted frame)',
        ].join('\n'),
      ),
    };
  } else if (iso.verdict === 'untested') {
    // Not a pass, and not a failure of the target either: the run could not test isolation (exit 4).
    const why = (s.untested ?? []).filter(isIsolationGap);
    node.error = {
      '@_message': clean(`UNTESTED: ${iso.reason ?? 'isolation untested'}`),
      '@_type': 'untested',
      '#text': clean([...why, '', coverageText(s)].join('\n')),
    };
  }
  // Unattributed ids are not violations (nobody simulated owns them), but a reader of a failing build wants to see them.
  node['system-out'] =
    `unattributed: ${iso.unattributed} (ids in frames or answers that no simulated user owns; not counted as violations)`;
  return node;
}

/** Whether every kind of operation succeeded at least once (and a merge covered the scenario once). */
function coverageCase(s: Summary): XmlNode {
  const node: XmlNode = {
    '@_name': 'every kind of operation succeeded at least once',
    '@_classname': COVERAGE_CLASS,
    '@_time': 0,
  };
  const gaps = (s.untested ?? []).filter((r) => !isIsolationGap(r));
  if (gaps.length)
    node.error = {
      '@_message': clean(`UNTESTED: ${gaps[0]}`),
      '@_type': 'untested',
      '#text': clean([...gaps, '', coverageText(s)].join('\n')),
    };
  return node;
}

/** What the run exercised, for a reader wondering why it is untested. */
function coverageText(s: Summary): string {
  const c = s.coverage;
  if (!c) return '';
  const ops = Object.entries(c.operations).map(([op, o]) => `  ${op}: ${o.succeeded} of ${o.attempted} succeeded`);
  return [
    `frames received ${c.framesReceived}, checked ${c.framesChecked}; REST answers checked ${c.restAnswersChecked}`,
    `runs started ${c.runsStarted}, completed ${c.runsCompleted}; users with a completed run ${c.usersWithRun}`,
    `probes sent ${c.probesSent}, answered ${c.probesAnswered}`,
    `floor: ${Object.entries(c.floor)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    ...(ops.length ? ['operations:', ...ops] : []),
  ].join('\n');
}

function properties(s: Summary): XmlNode[] {
  const props: [string, string | number | boolean][] = [
    ['scenario.file', s.scenario.file],
    ['scenario.sha256', s.scenario.sha256],
    ['target.url', s.target.url],
    ['target.embedded', s.target.embedded],
    ['segment', s.segment],
    ['startedAt', s.startedAt],
    ['endedAt', s.endedAt],
    ['exitCode', s.exitCode],
    ['verdict', s.verdict],
    ['interrupted', s.interrupted],
  ];
  return props.map(([name, value]) => ({ '@_name': name, '@_value': clean(String(value)) }));
}

// Suite-level context a CI reader needs to judge the failures: runs, errors, lifecycle, generator health.
function runDigest(s: Summary): string {
  const r = s.runs;
  const lines = [
    `scenario ${s.scenario.name} (${s.scenario.file}) against ${s.target.embedded ? 'the embedded target' : s.target.url}, ${seconds(s.durationMs)} s, exit ${s.exitCode} (${s.verdict})`,
    `runs: ${r.started} started, ${r.completed} completed, ${r.failed} failed, ${r.timedOut} timed out${r.interrupted ? `, ${r.interrupted} interrupted` : ''}`,
    `errors: ${s.errors.count} (${(s.errors.rate * 100).toFixed(2)}% of operations)${kindList(s.errors.byKind)}`,
    `isolation: ${s.isolation.verdict === 'untested' ? `untested (${s.isolation.reason ?? ''})` : `${s.isolation.violations} leaked frame(s) or answer(s)${kindList(s.isolation.byKind)}`}, ${s.isolation.unattributed} unattributed`,
    `lifecycle: ${s.lifecycle.violations} violation(s)${kindList(s.lifecycle.byKind)}`,
  ];
  if (s.aborted)
    lines.push(
      `stopped early at ${s.aborted.atSec}s: ${s.aborted.metric} ${s.aborted.expression} failed (abortOnFail)`,
    );
  if (s.interrupted) lines.push('interrupted: the figures cover only part of the scenario');
  if (s.generator.saturated)
    lines.push(`generator saturated (${formatSaturationFigures(s.generator)}): latencies are not trustworthy`);
  const queueing = formatQueueingNotice(s.generator.queueing);
  if (queueing) lines.push(`generator queueing: ${queueing}`);
  return lines.join('\n');
}

function kindList(byKind: Readonly<Record<string, number>>): string {
  const parts = Object.entries(byKind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}=${n}`);
  return parts.length ? `  ${parts.join('  ')}` : '';
}

// Figures with their unit, unrounded (a CI failure should show the exact number
// the threshold saw): trends in ms, errors' rate as a fraction and a percent.
function formatFigure(metricKey: string, expression: string, actual: number): string {
  const metric = metricKey.replace(/\{.*$/, '');
  const stat = /^\s*([a-z]+)/.exec(expression)?.[1] ?? '';
  if (stat === 'count') return String(actual);
  if (isTrendMetric(metric)) return `${actual} ms`;
  if (stat === 'rate')
    return metric === 'errors' ? `${actual} (${(actual * 100).toFixed(2)}% of operations)` : `${actual}/s`;
  return String(actual);
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function clean(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}
