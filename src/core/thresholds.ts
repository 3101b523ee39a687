import type { InputProblem } from './sim-error.js';
import {
  COUNTER_METRICS,
  isKnownMetric,
  isTrendMetric,
  TAG_NAMES,
  TREND_METRICS,
  HTTP_OPS,
  OPERATIONS,
} from './metric-names.js';
import { computeMean, type Histogram } from './histogram.js';
import type { Tags } from './metric-registry.js';
import { DURATION_UNIT_MS, DURATION_UNIT_PATTERN } from './units.js';

/** A stat of design.md's threshold grammar. */
export type ThresholdStat =
  { readonly kind: 'p'; readonly q: number } | { readonly kind: 'avg' | 'min' | 'max' | 'count' | 'rate' };
/** A comparison of the grammar. */
export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==';

/** A parsed threshold: `p(95) < 500ms` on `run.total{cohort:chatters}`. */
export interface ParsedThreshold {
  readonly metricKey: string;
  readonly metric: string;
  readonly scope: Tags;
  readonly expression: string;
  readonly stat: ThresholdStat;
  readonly op: ThresholdOp;
  /** In ms for trends (units applied), plain otherwise. */
  readonly value: number;
  readonly abortOnFail: boolean;
  readonly delayMs: number;
}

/** The outcome of one threshold, as summary.json lists it. */
export interface ThresholdResult {
  readonly metric: string;
  readonly expression: string;
  /** null when the metric has no samples to judge. */
  readonly actual: number | null;
  readonly ok: boolean;
  readonly note?: string;
}

/** Where thresholds read figures from: the live registry, or merged summaries. */
export interface MetricSource {
  /** Merged histogram (µs) of every series of `name` whose tags include `scope`. */
  histogram(name: string, scope: Tags): Histogram | undefined;
  /** Sum of every series of counter `name` whose tags include `scope`. */
  counter(name: string, scope: Tags): number;
  /** Seconds the run has lasted so far. */
  readonly durationSec: number;
}

/** Values a scope's `op` tag may take: REST operations (http.<op> trends) and every kind of operation (operations counters). */
const SCOPE_OPS: readonly string[] = [...new Set([...HTTP_OPS, ...OPERATIONS])];

const METRIC_KEY_RE = /^([a-z][a-z0-9_.]*)(?:\{([^}]*)\})?$/;
// Values take the same units as durations in the scenario (units.ts).
const EXPR_RE = new RegExp(
  `^\\s*(p\\(\\s*(\\d+(?:\\.\\d+)?)\\s*\\)|avg|min|max|count|rate|med)\\s*(<=|>=|==|<|>)\\s*(-?\\d+(?:\\.\\d+)?)\\s*(${DURATION_UNIT_PATTERN})?\\s*$`,
);

/** What a scope's tag values may be checked against. */
export interface ScopeVocabulary {
  readonly cohorts: readonly string[];
  readonly kinds: readonly string[];
}

/**
 * Parses a metric key such as `run.total{cohort:chatters}` and one expression
 * on it. Problems (unknown metric or tag, bad grammar, a stat the metric does
 * not have) are returned, not thrown, so every one can be reported at once.
 */
export function parseThreshold(
  metricKey: string,
  expression: string,
  opts: { abortOnFail?: boolean; delayMs?: number; vocabulary: ScopeVocabulary; path: string },
): ParsedThreshold | InputProblem[] {
  const problems: InputProblem[] = [];
  const km = METRIC_KEY_RE.exec(metricKey.trim());
  let metric = '';
  const scope: Record<string, string> = {};
  if (!km) {
    problems.push({
      path: opts.path,
      message: `"${metricKey}" is not a metric name; expected e.g. run.total or run.total{cohort:chatters}`,
    });
  } else {
    metric = km[1]!;
    if (!isKnownMetric(metric))
      problems.push({ path: opts.path, message: `no metric named "${metric}"${suggest(metric)}` });
    if (km[2] !== undefined) {
      for (const part of km[2].split(',')) {
        const m = /^\s*([a-z]+)\s*:\s*([^:]+?)\s*$/.exec(part);
        if (!m) {
          problems.push({ path: opts.path, message: `scope "${part}" is not tag:value` });
          continue;
        }
        const [, tag, value] = m as unknown as [string, string, string];
        if (!(TAG_NAMES as readonly string[]).includes(tag))
          problems.push({ path: opts.path, message: `unknown tag "${tag}"; expected one of ${TAG_NAMES.join(', ')}` });
        else if (tag === 'cohort' && !opts.vocabulary.cohorts.includes(value))
          problems.push({
            path: opts.path,
            message: `no cohort named "${value}"; cohorts are ${opts.vocabulary.cohorts.join(', ')}`,
          });
        else if (tag === 'kind' && !opts.vocabulary.kinds.includes(value))
          problems.push({
            path: opts.path,
            message: `unknown kind "${value}"; expected one of ${opts.vocabulary.kinds.join(', ')}`,
          });
        else if (tag === 'op' && !SCOPE_OPS.includes(value))
          problems.push({ path: opts.path, message: `unknown op "${value}"; expected one of ${SCOPE_OPS.join(', ')}` });
        scope[tag] = value;
      }
    }
  }
  const em = EXPR_RE.exec(expression);
  if (!em) {
    problems.push({
      path: opts.path,
      message: `"${expression}" is not a threshold; expected "<stat> <op> <value>" such as "p(95) < 500ms" (stat: p(N), avg, min, max, count, rate; op: < <= > >= ==)`,
    });
    return problems;
  }
  const statText = em[1]!;
  const stat: ThresholdStat = statText.startsWith('p(')
    ? { kind: 'p', q: Number(em[2]) }
    : statText === 'med'
      ? { kind: 'p', q: 50 }
      : { kind: statText as 'avg' };
  if (stat.kind === 'p' && (stat.q <= 0 || stat.q > 100))
    problems.push({ path: opts.path, message: `percentile ${stat.q} is outside (0, 100]` });
  const unit = em[5];
  let value = Number(em[4]);
  if (metric && isKnownMetric(metric)) {
    const trend = isTrendMetric(metric);
    if (trend && stat.kind === 'rate')
      problems.push({
        path: opts.path,
        message: `"rate" applies to counters; ${metric} is a latency trend (use p(N), avg, min, max or count)`,
      });
    if (!trend && stat.kind !== 'count' && stat.kind !== 'rate')
      problems.push({
        path: opts.path,
        message: `${metric} is a counter; expected "count" or "rate", not "${statText}"`,
      });
    if (!trend && unit)
      problems.push({ path: opts.path, message: `${metric} is a counter; its value takes no time unit` });
    if (trend && unit && stat.kind !== 'count') value *= DURATION_UNIT_MS[unit]!;
    if (trend && stat.kind === 'count' && unit)
      problems.push({ path: opts.path, message: '"count" takes a plain number, not a duration' });
  }
  if (problems.length) return problems;
  return {
    metricKey,
    metric,
    scope,
    expression,
    stat,
    op: em[3] as ThresholdOp,
    value,
    abortOnFail: opts.abortOnFail ?? false,
    delayMs: opts.delayMs ?? 0,
  };
}

/** Metrics only a persistent connection records: on a transport with none (plain SSE) they cannot have data. */
const CONNECTION_METRICS: ReadonlySet<string> = new Set(['ws.connect', 'http.ticket', 'ws.connections']);

/**
 * A threshold on a metric the run's transport can never record (`ws.connect`
 * with no persistent connection) is not applicable: it holds, saying why,
 * instead of failing with "no data" as a metric that should have had data does.
 */
function judgeInapplicable(t: ParsedThreshold, connectionless: boolean): ThresholdResult | undefined {
  if (!connectionless || !CONNECTION_METRICS.has(t.metric)) return undefined;
  return {
    metric: t.metricKey,
    expression: t.expression,
    actual: null,
    ok: true,
    note: 'not applicable: the transport has no persistent connection',
  };
}

/** The threshold that stopped a run early (abortOnFail), as summary.json records it. */
export interface AbortingThreshold {
  readonly metric: string;
  readonly expression: string;
  readonly actual: number | null;
  readonly atSec: number;
}

/**
 * A threshold's result on a run's (or a merge's) whole figures, as
 * summary.json lists it: not applicable to the transport, the one that
 * stopped the run (failed, whatever the figure says once stopped), or
 * evaluated on the figures. The one rule for `run` and `merge`.
 */
export function judgeThreshold(
  t: ParsedThreshold,
  src: MetricSource,
  run: { readonly connectionless: boolean; readonly aborted?: AbortingThreshold },
): ThresholdResult {
  const na = judgeInapplicable(t, run.connectionless);
  if (na) return na;
  const r = evaluateThreshold(t, src);
  const a = run.aborted;
  if (a && t.metricKey === a.metric && t.expression === a.expression)
    return { ...r, ok: false, note: `aborted the run at ${a.atSec}s (actual then ${a.actual})` };
  return r;
}

/** Evaluates one parsed threshold against the figures so far. */
export function evaluateThreshold(t: ParsedThreshold, src: MetricSource): ThresholdResult {
  let actual: number | null;
  if (isTrendMetric(t.metric)) {
    const h = src.histogram(t.metric, t.scope);
    if (!h || h.totalCount === 0) {
      actual = t.stat.kind === 'count' ? 0 : null;
    } else {
      switch (t.stat.kind) {
        case 'p':
          actual = Math.min(h.getValueAtPercentile(t.stat.q), h.maxValue) / 1000;
          break;
        case 'avg':
          actual = Math.min(computeMean(h), h.maxValue) / 1000;
          break;
        case 'min':
          actual = h.minNonZeroValue / 1000;
          break;
        case 'max':
          actual = h.maxValue / 1000;
          break;
        default:
          actual = h.totalCount;
          break;
      }
    }
  } else if (t.stat.kind === 'rate') {
    if (t.metric === 'errors') {
      // errors' rate is the failed share of all operations (a fraction, 0..1).
      // No operation at all is no data, not a 0% error rate.
      const ops = src.counter('operations', withoutKind(t.scope));
      actual = ops === 0 ? null : Math.min(1, src.counter('errors', t.scope) / ops);
    } else {
      actual = src.durationSec > 0 ? src.counter(t.metric, t.scope) / src.durationSec : 0;
    }
  } else {
    actual = src.counter(t.metric, t.scope);
  }
  if (actual === null)
    return { metric: t.metricKey, expression: t.expression, actual: null, ok: false, note: 'no data' };
  actual = Math.round(actual * 1e6) / 1e6;
  return { metric: t.metricKey, expression: t.expression, actual, ok: compare(actual, t.op, t.value) };
}

function compare(a: number, op: ThresholdOp, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    default:
      return a === b;
  }
}

function withoutKind(scope: Tags): Tags {
  if (!('kind' in scope)) return scope;
  const { kind: _k, ...rest } = scope;
  return rest;
}

function suggest(name: string): string {
  const all = [...TREND_METRICS, ...COUNTER_METRICS];
  let best = '';
  let bestD = 4;
  for (const c of all) {
    const d = editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
