import type { Logger } from 'pino';
import { CanaryCodec } from '../core/canary.js';
import { LOOP_LAG_METRIC } from '../core/generator-queueing.js';
import { IsolationOracle } from '../core/isolation-oracle.js';
import type { PendingObservation } from '../core/pending-observations.js';
import { compileLifecycleGrammar } from '../core/lifecycle-grammar.js';
import { LifecycleOracle } from '../core/lifecycle-oracle.js';
import { createRegistrySource } from '../core/metric-source.js';
import { MetricRegistry, type MetricSnapshot, type SeriesPoint } from '../core/metric-registry.js';
import type { LiveExport } from '../core/live-frame.js';
import { OwnershipLedger, type LedgerExport } from '../core/ownership-ledger.js';
import { createRandom } from '../core/random.js';
import type { FlowStep, Scenario } from '../core/scenario-types.js';
import type { Segment } from '../core/segment.js';
import { evaluateThreshold } from '../core/thresholds.js';
import { UserDirectory } from '../core/user-directory.js';
import type { Violation } from '../core/violation.js';
import { createViolationCollector } from '../output/violation-log.js';
import { compileWire } from '../core/compiled-wire.js';
import { compileWireTemplate, renderWireText } from '../core/wire-template.js';
import type { TransportKind } from '../core/adapter.js';
import type { ConnectionFactory } from '../protocol/connection.js';
import { FrameReader } from '../protocol/frame-reader.js';
import { SocketIoSession } from '../protocol/socketio-session.js';
import { WsSession } from '../protocol/ws-session.js';
import { createRestClient } from '../protocol/rest-client.js';
import { createTokenProvider } from '../protocol/token-provider.js';
import { CohortMetrics } from './cohort-metrics.js';
import { runCohort, type CohortRun } from './cohort-runner.js';
import { startLoopLagSampler } from './loop-lag-sampler.js';
import { startProbes } from './probe-runner.js';
import { createErrorNoter, type RunContext } from './run-context.js';
import type { VirtualUser } from './virtual-user.js';

/** What one shard (this process, or one worker thread) runs. */
export interface ShardInput {
  readonly scenario: Scenario;
  readonly segment: Segment;
  readonly baseUrl: string;
  /** Where persistent connections go; '' when the transport has none. */
  readonly connectUrl: string;
  readonly secret: string | undefined;
  /** Shared by every shard of a run: user ids and canaries depend on it. */
  readonly runTag: string;
  /** Epoch ms at which every shard starts its cohorts' clocks. */
  readonly startAtEpochMs: number;
  readonly checks: boolean;
  /** Only one shard of a process runs the probes. */
  readonly probes: boolean;
  /** Offsets into a fixed id list, per cohort. */
  readonly fixedIdOffsets: readonly number[];
  /** A worker thread posts its figures this often for live outputs (absent: it has none). */
  readonly liveIntervalMs?: number;
}

/** Ways to steer a shard while it runs. */
export interface ShardHooks {
  readonly signal?: AbortSignal;
  readonly hardSignal?: AbortSignal;
  /** Each second's figures, for live progress. */
  readonly onTick?: (
    point: SeriesPoint,
    usersByCohort: Readonly<Record<string, number>>,
    runTotalP95Ms: number | undefined,
    shard?: number,
  ) => void;
  /** A threshold with abortOnFail failed here; the caller stops the other shards. */
  readonly onAbort?: (a: ShardResult['aborted']) => void;
  /** The shard's registry, once its gauges are set up and before users start (live outputs read it). */
  readonly onRegistry?: (registry: MetricRegistry) => void;
  /** A worker thread's figures for live outputs, every `liveIntervalMs` (worker pools only). */
  readonly onLive?: (worker: number, e: LiveExport) => void;
}

/** Everything a shard produced, in mergeable form. */
export interface ShardResult {
  readonly metrics: MetricSnapshot;
  readonly ledger: LedgerExport;
  readonly pending: PendingObservation[];
  readonly pendingDropped: number;
  readonly violations: Violation[];
  readonly violationsCut: number;
  readonly usersByCohort: Record<string, number>;
  readonly interrupted: boolean;
  readonly aborted?: { metric: string; expression: string; actual: number | null; atSec: number };
}

/**
 * What runShard hands back in its own thread: the figures as the live
 * registry. A worker posts them as a snapshot ({@link toShardResult}); a run
 * with one shard in the main thread uses the registry as it is, instead of
 * encoding and decoding every histogram.
 */
export interface LocalShardResult extends Omit<ShardResult, 'metrics'> {
  readonly registry: MetricRegistry;
}

/** The result in the form that crosses threads and machines. */
export function toShardResult(r: LocalShardResult): ShardResult {
  const { registry, ...rest } = r;
  return { ...rest, metrics: registry.snapshot() };
}

const SWEEP_MS = 100;
const INTERRUPT_GRACE_MS = 5000;

/** Counters present in every summary, zero or not, so scripts can rely on them. */
const ALWAYS_COUNTERS = [
  'errors',
  'operations',
  'isolation.violations',
  'lifecycle.violations',
  'isolation.unattributed',
  'runs.started',
  'runs.completed',
  'runs.failed',
  'runs.timed_out',
  'dropped',
  'probes.sent',
  'probes.answered',
];

/**
 * Runs this shard's segment of every cohort against a target that is already
 * up, and returns its figures, ownership facts and the ids it could not
 * settle alone. Used in-process for one worker and inside each worker thread.
 */
export async function runShard(input: ShardInput, hooks: ShardHooks, logger: Logger): Promise<LocalShardResult> {
  const sc = input.scenario;
  const registry = new MetricRegistry();
  for (const name of ALWAYS_COUNTERS) registry.counter(name);
  const adapter = sc.target.adapter;
  const wire = compileWire(adapter, sc.target.transport);
  const authValue = compileWireTemplate(adapter.auth.value, new Set());
  const rest = createRestClient(input.baseUrl, {
    requestTimeoutMs: sc.target.requestTimeoutMs,
    auth: { header: adapter.auth.header, value: (token) => renderWireText(authValue, { token }) },
  });
  const tokens = createTokenProvider(sc.auth, {
    ...(input.secret ? { secret: input.secret } : {}),
    baseUrl: input.baseUrl,
    requestTimeoutMs: sc.target.requestTimeoutMs,
    loginTrend: registry.trend('http.login'),
  });
  const secrets = (): string[] => [
    ...(input.secret ? [input.secret] : []),
    ...(sc.auth.kind === 'static' ? Object.values(sc.auth.tokens) : []),
  ];
  const violations = createViolationCollector(registry, secrets);
  const directory = new UserDirectory(
    { prefix: sc.users.prefix, runTag: input.runTag, ...(sc.users.ids ? { ids: sc.users.ids } : {}) },
    sc.cohorts.map((c) => c.name),
    input.fixedIdOffsets,
  );
  const ledger = new OwnershipLedger(directory);
  const canaries = new CanaryCodec(input.runTag);
  const lifecycleGrammar = compileLifecycleGrammar(adapter.events.lifecycle);
  const reader = new FrameReader(adapter.events, wire.transport.typeFrom);
  const ctx: RunContext = {
    scenario: sc,
    baseUrl: input.baseUrl,
    connectUrl: input.connectUrl,
    wire,
    connect: createConnectionFactory(sc.target.transport, reader),
    tokens,
    rest,
    reader,
    rand: createRandom(sc.seed + input.segment.residue),
    logger,
    runTag: input.runTag,
    maxPayloadBytes: 16 * 1024 * 1024,
    noteError: createErrorNoter(logger),
    checks: input.checks,
    ledger,
    canaries,
    // Violation ids start with the segment, unique across the workers and generators of a run.
    isolation: new IsolationOracle(ledger, canaries, violations.sink, {
      idPrefix: `${input.segment.residue}.${input.segment.modulus}.`,
      amend: violations.amend,
    }),
    lifecycle: new LifecycleOracle(lifecycleGrammar, violations.sink),
    lifecycleGrammar,
    usersWithRun: new Set(),
  };

  if (input.probes || usesRest(sc)) await rest.warm();
  // Every shard starts its clocks at the same wall time, so stages line up across workers and machines.
  const waitMs = input.startAtEpochMs - Date.now();
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  const allUsers = new Set<VirtualUser>();
  const runStartMs = performance.now();
  const usersByCohort: Record<string, number> = {};
  const runs: CohortRun[] = [];
  sc.cohorts.forEach((cohort, c) => {
    usersByCohort[cohort.name] = 0;
    const seen = new Set<number>();
    const run = runCohort(cohort, {
      ctx,
      metrics: new CohortMetrics(registry, cohort.name),
      allUsers,
      runStartMs,
      segment: input.segment,
      user: (n) => {
        if (!seen.has(n)) {
          seen.add(n);
          usersByCohort[cohort.name]!++;
        }
        return { id: directory.userId(c, n), num: directory.numberOf(c, n) };
      },
    });
    registry.gauge(`vus.${cohort.name}`, () => run.active.size);
    runs.push(run);
  });
  registry.gauge('runs.in_flight', () => {
    let n = 0;
    for (const u of allUsers) n += u.tracker.openCount;
    return n;
  });
  hooks.onRegistry?.(registry);

  const sweeper = setInterval(() => {
    const now = Math.round(performance.now() * 1000);
    for (const u of allUsers) u.sweep(now);
  }, SWEEP_MS);
  const source = createRegistrySource(registry, () => (performance.now() - runStartMs) / 1000);
  const probes = input.probes
    ? startProbes(sc.probes, ctx, allUsers, input.secret, {
        sent: registry.counter('probes.sent'),
        answered: registry.counter('probes.answered'),
      })
    : undefined;

  let interrupted = false;
  let aborted: ShardResult['aborted'];
  const abortable = input.scenario.thresholds.filter((t) => t.abortOnFail);
  const stopAll = (graceMs: number): void => {
    for (const r of runs) r.stop(graceMs);
  };
  // abortOnFail thresholds are judged every second, on this shard's figures, once their delay has passed.
  const checkAbort = (): void => {
    if (aborted || interrupted || abortable.length === 0) return;
    const elapsedMs = performance.now() - runStartMs;
    for (const t of abortable) {
      if (elapsedMs < t.delayMs) continue;
      const r = evaluateThreshold(t, source);
      if (r.ok || r.actual === null) continue;
      aborted = {
        metric: t.metricKey,
        expression: t.expression,
        actual: r.actual,
        atSec: Math.round(elapsedMs / 1000),
      };
      logger.warn(aborted, 'threshold with abortOnFail failed: stopping the run');
      stopAll(INTERRUPT_GRACE_MS);
      hooks.onAbort?.(aborted);
      return;
    }
  };
  let second = 0;
  // The second closes on the lag sampler's own timer, right after its sample: a lag and the latencies timed during
  // it fall in the same second of the series, which is what flags that second as queueing (generator-queueing.ts).
  // Seconds count from runStartMs, not from the last tick, so the series does not drift over a long run.
  const tick = (nowMs: number): void => {
    if (nowMs - runStartMs < (second + 1) * 1000) return;
    const point = registry.tick(++second);
    checkAbort();
    if (hooks.onTick) {
      const h = source.histogram('run.total', {});
      hooks.onTick(
        point,
        Object.fromEntries(runs.map((r, i) => [sc.cohorts[i]!.name, r.active.size])),
        h && h.totalCount ? h.getValueAtPercentile(95) / 1000 : undefined,
      );
    }
  };
  const sampler = startLoopLagSampler(registry.trend(LOOP_LAG_METRIC), tick);

  const onSignal = (): void => {
    interrupted = true;
    logger.warn('interrupted: stopping users');
    stopAll(INTERRUPT_GRACE_MS);
  };
  const onHard = (): void => {
    interrupted = true;
    logger.warn('interrupted again: stopping at once');
    stopAll(0);
    for (const u of allUsers) u.abort();
  };
  hooks.signal?.addEventListener('abort', onSignal, { once: true });
  hooks.hardSignal?.addEventListener('abort', onHard, { once: true });
  if (hooks.signal?.aborted) onSignal();
  if (hooks.hardSignal?.aborted) onHard();

  try {
    await Promise.all(runs.map((r) => r.done));
  } finally {
    await probes?.stop();
    clearInterval(sweeper);
    sampler.stop();
    hooks.signal?.removeEventListener('abort', onSignal);
    hooks.hardSignal?.removeEventListener('abort', onHard);
    await rest.close().catch(() => undefined);
  }
  registry.tick(++second);
  registry.stopGauges();
  const { pending, dropped } = ctx.isolation.takePending();
  return {
    registry,
    ledger: ledger.export(),
    pending,
    pendingDropped: dropped,
    violations: violations.kept,
    violationsCut: violations.cut(),
    usersByCohort,
    interrupted,
    ...(aborted ? { aborted } : {}),
  };
}

const WS_ONLY_STEPS: ReadonlySet<FlowStep['kind']> = new Set([
  'connect',
  'disconnect',
  'reconnect',
  'sendMessage',
  'stopAgent',
  'think',
  'idle',
  'repeat',
]);

/** True when some user of the scenario makes a REST call (a step, a login, a ticket). */
function usesRest(sc: Scenario): boolean {
  if (sc.auth.kind === 'login' || sc.auth.delivery === 'ticket') return true;
  const any = (steps: readonly FlowStep[]): boolean =>
    steps.some((s) => (s.kind === 'repeat' ? any(s.steps) : !WS_ONLY_STEPS.has(s.kind)));
  return sc.cohorts.some((c) => any(c.flow));
}

/** The persistent connection of a transport: a WebSocket, a Socket.IO socket, or none (SSE: each run streams its own answer). */
function createConnectionFactory(kind: TransportKind, reader: FrameReader): ConnectionFactory | undefined {
  if (kind === 'ws') return (i, handler) => new WsSession(i, reader, handler);
  if (kind === 'socketio') return (i, handler) => new SocketIoSession(i, reader, handler);
  return undefined;
}
