import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino, type Logger } from 'pino';
import { computeClosedPlan } from '../core/closed-model.js';
import { ALL_KINDS } from '../core/kinds.js';
import { createRegistrySource } from '../core/metric-source.js';
import { MetricRegistry } from '../core/metric-registry.js';
import { computeOpenDurationMs } from '../core/open-model.js';
import { createRandom } from '../core/random.js';
import type { Scenario } from '../core/scenario-types.js';
import { SimError } from '../core/sim-error.js';
import { buildSummary, type GeneratorHealth, type Summary } from '../core/summary.js';
import { evaluateThreshold, parseThreshold, type ParsedThreshold, type ThresholdResult } from '../core/thresholds.js';
import { computeUserId } from '../core/user-ids.js';
import { CanaryCodec } from '../core/canary.js';
import { IsolationOracle } from '../core/isolation-oracle.js';
import { DEFAULT_LIFECYCLE_RULES, LifecycleOracle, type LifecycleRules } from '../core/lifecycle-oracle.js';
import { OwnershipLedger } from '../core/ownership-ledger.js';
import { createViolationLog } from '../output/violation-log.js';
import { writeJunitReport } from '../output/junit-report.js';
import { startProbes } from './probe-runner.js';
import { formatProgressLine } from '../output/progress-line.js';
import { createResultsDir, writeFileAtomic } from '../output/results-dir.js';
import { FrameReader } from '../protocol/frame-reader.js';
import { createRestClient } from '../protocol/rest-client.js';
import { createTokenProvider } from '../protocol/token-provider.js';
import { CohortMetrics } from './cohort-metrics.js';
import { runCohort, type CohortRun } from './cohort-runner.js';
import { startEmbeddedTarget, type EmbeddedTarget } from './embedded-target.js';
import { checkReachable } from './reachability.js';
import { createErrorNoter, type RunContext } from './run-context.js';
import type { VirtualUser } from './virtual-user.js';

/** How to run a scenario. */
export interface RunOptions {
  readonly scenario: Scenario;
  /** `--out DIR`; default `results/<stamp>-<name>/`. */
  readonly out?: string;
  readonly resultsBase?: string;
  /** Live progress: on a TTY one line redrawn every second, else a plain line every 10 s. */
  readonly progress?: { readonly write: (text: string) => void; readonly tty: boolean };
  /** First interruption: stop gracefully. */
  readonly signal?: AbortSignal;
  /** Second interruption: stop at once. */
  readonly hardSignal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
  /** false turns the isolation and lifecycle oracles off (benchmarks of their cost only). */
  readonly checks?: boolean;
}

/** What a run produced. */
export interface RunOutcome {
  readonly summary: Summary;
  readonly resultsDir: string;
  readonly exitCode: number;
}

const SWEEP_MS = 100;
const INTERRUPT_GRACE_MS = 5000;

/**
 * Runs a scenario end to end: target (embedded or given), users by cohort,
 * metrics, thresholds, summary.json. Failures of the target are recorded as
 * errors; only a target unreachable at start or bad input throws.
 */
export async function runScenario(opts: RunOptions): Promise<RunOutcome> {
  const sc = opts.scenario;
  const env = opts.env ?? process.env;
  let secret: string | undefined;
  if (sc.target.url !== undefined && sc.auth.kind === 'jwt') {
    secret = env[sc.auth.secretEnv];
    if (!secret) throw new SimError('INPUT', `${sc.file}: auth.secretEnv: the environment variable ${sc.auth.secretEnv} is unset`, { hint: `export ${sc.auth.secretEnv}=<the backend's JWT secret>, or omit target.url to use the embedded target` });
  }
  const thresholds = parseThresholds(sc);
  const startedAtMs = Date.now();
  const resultsDir = createResultsDir({ ...(opts.out ? { out: opts.out } : {}), ...(opts.resultsBase ? { baseDir: opts.resultsBase } : {}), name: sc.name, startedAtMs });
  const logger = pino({ level: 'info', base: { run: sc.name }, redact: { paths: ['token', 'secret', '*.token', '*.secret', 'authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' } }, pino.destination({ dest: join(resultsDir, 'run.log'), sync: true }));

  let embedded: EmbeddedTarget | undefined;
  let baseUrl: string;
  if (sc.target.url === undefined) {
    embedded = await startEmbeddedTarget(sc.target.embedded, logger);
    baseUrl = embedded.url;
    secret = embedded.secret;
  } else {
    baseUrl = sc.target.url;
    const reach = await checkReachable(baseUrl, Math.min(sc.target.connectTimeoutMs, 10_000));
    if (!reach.ok) {
      logger.error({ url: baseUrl, reason: reach.reason }, 'target unreachable');
      throw new SimError('UNREACHABLE', `target ${baseUrl} is unreachable: ${reach.reason}`, { hint: 'start the backend (or `simulate serve`), or check target.url / --target' });
    }
  }
  const wsUrl = sc.target.wsUrl ?? `${baseUrl.replace(/^http/, 'ws')}${sc.target.wsPath}`;
  logger.info({ target: baseUrl, wsUrl, embedded: embedded !== undefined, cohorts: sc.cohorts.map((c) => c.name) }, 'run started');

  const registry = new MetricRegistry();
  // Present in every summary, zero or not, so scripts can rely on them.
  for (const name of ['errors', 'operations', 'isolation.violations', 'lifecycle.violations', 'isolation.unattributed', 'runs.started', 'runs.completed', 'runs.failed', 'runs.timed_out', 'dropped']) registry.counter(name);
  const rest = createRestClient(baseUrl, { requestTimeoutMs: sc.target.requestTimeoutMs });
  const cohortMetrics = new Map(sc.cohorts.map((c) => [c.name, new CohortMetrics(registry, c.name)]));
  const tokens = createTokenProvider(sc.auth, { ...(secret ? { secret } : {}), baseUrl, requestTimeoutMs: sc.target.requestTimeoutMs, loginTrend: registry.trend('http.login') });
  const runTag = randomBytes(3).toString('hex');
  const secrets = (): string[] => [...(secret ? [secret] : []), ...(sc.auth.kind === 'static' ? Object.values(sc.auth.tokens) : [])];
  const violations = createViolationLog(resultsDir, registry, secrets);
  const ledger = new OwnershipLedger();
  const canaries = new CanaryCodec(runTag);
  const lifecycleRules: LifecycleRules = {
    required: sc.target.profile.requiredEvents,
    knownTypes: new Set([...DEFAULT_LIFECYCLE_RULES.knownTypes, ...sc.target.profile.ignoreTypes]),
  };
  const ctx: RunContext = {
    scenario: sc, baseUrl, wsUrl, tokens, rest, reader: new FrameReader(sc.target.profile), rand: createRandom(sc.seed),
    logger, runTag, maxPayloadBytes: 16 * 1024 * 1024, noteError: createErrorNoter(logger), checks: opts.checks ?? true,
    ledger, canaries, isolation: new IsolationOracle(ledger, canaries, violations.sink), lifecycle: new LifecycleOracle(lifecycleRules, violations.sink), lifecycleRules,
  };

  const allUsers = new Set<VirtualUser>();
  const runStartMs = performance.now();
  const plannedMs = computePlannedMs(sc);
  const usersSeen: Record<string, number> = {};
  let offset = 0;
  const runs: CohortRun[] = [];
  for (const cohort of sc.cohorts) {
    const m = cohortMetrics.get(cohort.name)!;
    const cohortOffset = offset;
    offset += cohort.model.kind === 'closed' ? computeClosedPlan(cohort.model).maxUsers : 0;
    usersSeen[cohort.name] = 0;
    const seen = new Set<number>();
    const run = runCohort(cohort, {
      ctx, metrics: m, allUsers, runStartMs,
      userId: (n) => { if (!seen.has(n)) { seen.add(n); usersSeen[cohort.name]!++; } return computeUserId({ prefix: sc.users.prefix, runTag, ...(sc.users.ids ? { ids: sc.users.ids } : {}) }, cohort.name, n, cohortOffset); },
    });
    registry.gauge(`vus.${cohort.name}`, () => run.active.size);
    runs.push(run);
  }
  registry.gauge('runs.in_flight', () => { let n = 0; for (const u of allUsers) n += u.tracker.openCount; return n; });

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  // The per-second monitor feeds the series; this one, never reset, judges the whole run.
  const loopDelayRun = monitorEventLoopDelay({ resolution: 10 });
  loopDelayRun.enable();
  const lagTrend = registry.trend('generator.loop_lag');
  const cpuStart = process.cpuUsage();
  const sweeper = setInterval(() => { const now = Math.round(performance.now() * 1000); for (const u of allUsers) u.sweep(now); }, SWEEP_MS);
  let second = 0;
  const source = createRegistrySource(registry, () => (performance.now() - runStartMs) / 1000);
  const ticker = setInterval(() => {
    lagTrend.record(Math.max(0, loopDelay.max - 10e6) / 1000);
    loopDelay.reset();
    const point = registry.tick(++second);
    checkAbort();
    const progress = opts.progress;
    if (progress && (progress.tty || second % 10 === 0)) {
      const runTotal = source.histogram('run.total', {});
      const line = formatProgressLine({
        elapsedMs: performance.now() - runStartMs, plannedMs,
        usersByCohort: Object.fromEntries(runs.map((r, i) => [sc.cohorts[i]!.name, r.active.size])),
        last: point, runTotalP95Ms: runTotal && runTotal.totalCount ? runTotal.getValueAtPercentile(95) / 1000 : undefined,
        errors: source.counter('errors', {}), violations: source.counter('isolation.violations', {}),
      });
      progress.write(progress.tty ? `\r\x1b[2K${line}` : `${line}\n`);
    }
  }, 1000);

  const probes = startProbes(sc.probes, ctx, allUsers, secret, registry.counter('probes.sent'));
  let interrupted = false;
  let aborted: { metric: string; expression: string; actual: number | null; atSec: number } | undefined;
  const abortable = thresholds.filter((t) => t.abortOnFail);
  // abortOnFail thresholds are judged every second once their delay has passed.
  const checkAbort = (): void => {
    if (aborted || interrupted || abortable.length === 0) return;
    const elapsedMs = performance.now() - runStartMs;
    for (const t of abortable) {
      if (elapsedMs < t.delayMs) continue;
      const r = evaluateThreshold(t, source);
      if (r.ok || r.actual === null) continue;
      aborted = { metric: t.metricKey, expression: t.expression, actual: r.actual, atSec: Math.round(elapsedMs / 1000) };
      logger.warn(aborted, 'threshold with abortOnFail failed: stopping the run');
      for (const run of runs) run.stop(INTERRUPT_GRACE_MS);
      return;
    }
  };
  const onSignal = (): void => {
    interrupted = true;
    logger.warn('interrupted: stopping users');
    for (const r of runs) r.stop(INTERRUPT_GRACE_MS);
  };
  const onHard = (): void => {
    interrupted = true;
    logger.warn('interrupted again: stopping at once');
    for (const r of runs) r.stop(0);
    for (const u of allUsers) u.abort();
  };
  opts.signal?.addEventListener('abort', onSignal, { once: true });
  opts.hardSignal?.addEventListener('abort', onHard, { once: true });
  if (opts.signal?.aborted) onSignal();

  try {
    await Promise.all(runs.map((r) => r.done));
  } finally {
    await probes.stop();
    clearInterval(sweeper);
    clearInterval(ticker);
    loopDelay.disable();
    loopDelayRun.disable();
    opts.signal?.removeEventListener('abort', onSignal);
    opts.hardSignal?.removeEventListener('abort', onHard);
    await rest.close().catch(() => undefined);
    await embedded?.stop();
  }
  // Ids nobody owned when seen are settled now that every user has claimed its own.
  ctx.isolation.finish();
  if (ctx.isolation.unattributed) registry.counter('isolation.unattributed').add(ctx.isolation.unattributed);
  await violations.close();
  if (violations.cut()) logger.warn({ cut: violations.cut() }, 'violations.jsonl reached its cap; the rest were counted, not written');
  const endedAtMs = Date.now();
  registry.tick(++second);
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = Math.max(1, performance.now() - runStartMs);
  const lag = source.histogram('generator.loop_lag', {});
  // monitorEventLoopDelay reports the timer resolution itself as delay; only what exceeds it is lag.
  const loopLagP99Ms = Math.round(Math.max(0, loopDelayRun.percentile(99) - 10e6) / 1e3) / 1e3;
  const cpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 10;
  const generator: GeneratorHealth = { loopLagP99Ms, loopLagMaxMs: lag && lag.totalCount ? lag.maxValue / 1000 : 0, cpuPercent, saturated: loopLagP99Ms > 50 || cpuPercent > 90 };

  if (opts.progress?.tty) opts.progress.write('\r\x1b[2K');
  const results: ThresholdResult[] = thresholds.map((t) => {
    const r = evaluateThreshold(t, source);
    // The threshold that stopped the run failed, whatever the figure says once stopped.
    if (aborted && t.metricKey === aborted.metric && t.expression === aborted.expression) return { ...r, ok: false, note: `aborted the run at ${aborted.atSec}s (actual then ${aborted.actual})` };
    return r;
  });
  const isolation = source.counter('isolation.violations', {});
  const exitCode = interrupted ? 130 : isolation > 0 ? 2 : results.some((r) => !r.ok) ? 1 : 0;
  const summary = buildSummary(registry, {
    scenario: { name: sc.name, file: sc.file, sha256: sc.sha256, ...(sc.description ? { description: sc.description } : {}) },
    target: { url: baseUrl, embedded: embedded !== undefined },
    startedAtMs, endedAtMs, segment: '0/1', exitCode, interrupted, thresholds: results,
    ...(aborted ? { aborted } : {}),
    users: { total: Object.values(usersSeen).reduce((a, b) => a + b, 0), byCohort: usersSeen },
    generator,
  });
  writeFileAtomic(join(resultsDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeJunitReport(resultsDir, summary);
  logger.info({ exitCode, verdict: summary.verdict, durationMs: summary.durationMs }, 'run finished');
  logger.flush?.();
  return { summary, resultsDir, exitCode };
}

function parseThresholds(sc: Scenario): ParsedThreshold[] {
  const vocabulary = { cohorts: sc.cohorts.map((c) => c.name), kinds: ALL_KINDS };
  return sc.thresholds.map((t) => {
    const p = parseThreshold(t.metric, t.expression, { vocabulary, path: `thresholds.${t.metric}`, abortOnFail: t.abortOnFail, delayMs: t.delayMs });
    if (Array.isArray(p)) throw new SimError('INPUT', `${sc.file}: bad threshold ${t.metric}: ${p.map((x) => x.message).join('; ')}`);
    return p;
  });
}

/** Longest cohort end (start offset + stages), for progress. */
function computePlannedMs(sc: Scenario): number {
  let max = 0;
  for (const c of sc.cohorts) {
    const d = c.model.kind === 'closed' ? computeClosedPlan(c.model).durationMs : computeOpenDurationMs(c.model);
    max = Math.max(max, c.startAfterMs + d);
  }
  return max;
}

export type { Logger };
