import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { computeClosedPlan } from '../core/closed-model.js';
import { computeGeneratorHealth } from '../core/generator-health.js';
import { formatNetworkHint } from '../core/network-errors.js';
import { createRegistrySource } from '../core/metric-source.js';
import { MetricRegistry, mergeSeriesPoints, type SeriesPoint } from '../core/metric-registry.js';
import { computeOpenDurationMs } from '../core/open-model.js';
import type { Scenario } from '../core/scenario-types.js';
import { computeSubSegment, formatSegment, WHOLE_SEGMENT, type Segment } from '../core/segment.js';
import { SimError } from '../core/sim-error.js';
import type { RunVerdict } from '../core/verdict.js';
import { cutText, redactSecrets, redactUrl } from '../core/redact.js';
import { computeDefaultCoverageFloor } from '../core/coverage.js';
import { buildSummaryFigures, judgeSummary, type Summary } from '../core/summary.js';
import { judgeThreshold, type ThresholdResult } from '../core/thresholds.js';
import { formatProgressLine } from '../output/progress-line.js';
import { writeOwnershipFile, type DirectoryLayout } from '../output/ownership-file.js';
import { createResultsDir } from '../output/results-dir.js';
import { createViolationCollector, selectViolationLines } from '../output/violation-log.js';
import { startEmbeddedTarget, type EmbeddedTarget } from './embedded-target.js';
import { settleOwnership } from './ownership-settlement.js';
import { checkReachable } from './reachability.js';
import { runShard, type LocalShardResult, type ShardHooks, type ShardInput, type ShardResult } from './run-shard.js';
import type { LiveExport } from '../core/live-frame.js';

/** How to run a scenario (the options of {@link runScenario}). */
export interface RunScenarioOptions {
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
  /** Worker threads; default one per core, capped by users. */
  readonly workers?: number;
  /** `--segment I/N`: this generator's segment of the scenario. */
  readonly segment?: Segment;
  /** `--start-at`: when every generator starts its cohorts (epoch ms). */
  readonly startAtEpochMs?: number;
  /** The run's tag (user ids, canaries); generators of one run must share it. */
  readonly runTag?: string;
  /**
   * Called once: when load begins (the first agent run or REST call), or when
   * the users stop if it never did. The CLI lets V8 grow its nursery again
   * here (cli/young-generation.ts); the library itself sets no V8 flags.
   */
  readonly onLoadBegin?: () => void;
  /** Lines for the person watching that are not progress (where /metrics listens). */
  readonly notice?: (text: string) => void;
}

/** What running a scenario produced: its summary, where the results went, and the exit code that says the verdict. */
export interface ScenarioResult {
  readonly summary: Summary;
  /** Where summary.json, report.html, junit.xml, violations.jsonl and run.log were written. */
  readonly resultsDir: string;
  /** design.md's exit code: 0 pass, 1 threshold failed, 2 isolation violated, 4 untested, 130 interrupted. */
  readonly exitCode: number;
  /** `pass`, `fail` or `untested` (the summary's verdict). */
  readonly verdict: RunVerdict;
}

/**
 * Runs a scenario end to end: target (embedded or given), this generator's
 * segment of the users over one or more worker threads, then merges their
 * figures and ownership facts, settles ids no single worker could, evaluates
 * thresholds and writes summary.json, junit.xml and violations.jsonl.
 * Failures of the target are recorded as errors; only a target unreachable
 * at start or bad input throws.
 */
export async function runScenario(opts: RunScenarioOptions): Promise<ScenarioResult> {
  const sc = opts.scenario;
  const env = opts.env ?? process.env;
  let secret: string | undefined;
  if (sc.target.url !== undefined && sc.auth.kind === 'jwt') {
    secret = env[sc.auth.secretEnv];
    if (!secret)
      throw new SimError(
        'INPUT',
        `${sc.file}: auth.secretEnv: the environment variable ${sc.auth.secretEnv} is unset`,
        {
          hint: `export ${sc.auth.secretEnv}=<the backend's JWT secret>, or omit target.url to use the embedded target`,
        },
      );
  }
  const segment = opts.segment ?? WHOLE_SEGMENT;
  // A target that is not there at start is exit 4 before anything is written, so a retry can reuse --out.
  if (sc.target.url !== undefined) {
    const reach = await checkReachable(sc.target.url, Math.min(sc.target.connectTimeoutMs, 10_000));
    if (!reach.ok)
      throw new SimError('UNREACHABLE', `target ${redactUrl(sc.target.url)} is unreachable: ${reach.reason}`, {
        hint: formatNetworkHint(reach.code),
      });
  }
  const workers = Math.max(1, opts.workers ?? computeDefaultWorkers(sc, availableParallelism()));
  const runTag = opts.runTag ?? randomBytes(3).toString('hex');
  const startedAtMs = Date.now();
  // Live outputs bind and read their credentials before anything is written: a busy port fails like an unreachable target.
  const outputsModule = sc.outputs ? await import('./live-publisher.js') : undefined;
  const prepared = outputsModule ? await outputsModule.prepareOutputs(sc.outputs!, sc.file, env) : undefined;
  let resultsDir: string;
  let logPath: string;
  let logger: Logger;
  let embedded: EmbeddedTarget | undefined;
  let baseUrl: string;
  try {
    resultsDir = createResultsDir({
      ...(opts.out ? { out: opts.out } : {}),
      ...(opts.resultsBase ? { baseDir: opts.resultsBase } : {}),
      name: sc.name,
      startedAtMs,
    });
    logPath = join(resultsDir, 'run.log');
    logger = pino(
      {
        level: 'info',
        base: { run: sc.name },
        redact: {
          paths: [
            'token',
            'secret',
            '*.token',
            '*.secret',
            'authorization',
            '*.authorization',
            'headers.authorization',
          ],
          censor: '[redacted]',
        },
      },
      pino.destination({ dest: logPath, sync: true }),
    );
    if (sc.target.url === undefined) {
      embedded = await startEmbeddedTarget(
        sc.target.embedded,
        logger,
        undefined,
        sc.auth.kind === 'jwt' ? { issuer: sc.auth.issuer, audience: sc.auth.audience } : {},
      );
      baseUrl = embedded.url;
      secret = embedded.secret;
    } else {
      baseUrl = sc.target.url;
    }
  } catch (err) {
    await prepared?.close();
    throw err;
  }
  const publisher =
    prepared && outputsModule
      ? outputsModule.startLivePublisher(prepared, {
          workers,
          startedAtMs,
          logger,
          ...(opts.notice ? { notice: opts.notice } : {}),
          labels: { scenario: sc.name, segment: formatSegment(segment), run: runTag },
          info: {
            target: embedded ? 'embedded' : redactUrl(baseUrl),
            api: sc.target.adapter.name,
            transport: sc.target.transport,
          },
        })
      : undefined;
  const connectUrl = computeConnectUrl(sc, baseUrl);
  const fixedIdOffsets = computeFixedIdOffsets(sc);
  // Every worker starts its clock at the same instant: now, or the agreed --start-at.
  const startAtEpochMs = Math.max(opts.startAtEpochMs ?? 0, Date.now());
  const runInfo = {
    target: redactUrl(baseUrl),
    connectUrl: redactUrl(connectUrl),
    api: sc.target.adapter.name,
    transport: sc.target.transport,
    embedded: embedded !== undefined,
    cohorts: sc.cohorts.map((c) => c.name),
    workers,
    segment: formatSegment(segment),
    runTag,
  };

  const inputs: ShardInput[] = Array.from({ length: workers }, (_, w) => ({
    scenario: sc,
    segment: computeSubSegment(segment, w, workers),
    baseUrl,
    connectUrl,
    secret,
    runTag,
    startAtEpochMs,
    checks: opts.checks ?? true,
    probes: w === 0,
    fixedIdOffsets,
    ...(publisher && workers > 1 ? { liveIntervalMs: sc.outputs!.intervalMs } : {}),
  }));
  let aborted: ShardResult['aborted'];
  const progress = createProgress(sc, workers, opts.progress, {
    startAtEpochMs,
    stopping: () => opts.signal?.aborted === true || aborted !== undefined,
  });
  let loadBegun = false;
  const beginLoad = (): void => {
    if (loadBegun) return;
    loadBegun = true;
    opts.onLoadBegin?.();
  };
  const hooks: ShardHooks = {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.hardSignal ? { hardSignal: opts.hardSignal } : {}),
    onTick: (point, users, p95, shard) => {
      // The CLI froze V8's nursery while modules loaded; it stays small while sessions connect, and grows as V8 sees
      // fit once agent runs or REST calls begin (cli/young-generation.ts).
      if (!loadBegun && ((point.counters['runs.started'] ?? 0) > 0 || (point.counters['http.requests'] ?? 0) > 0))
        beginLoad();
      progress.tick(point, users, p95, shard);
    },
    onAbort: (a) => {
      aborted ??= a;
    },
    ...(publisher
      ? {
          onRegistry: (r: MetricRegistry) => publisher.attach(r),
          onLive: (w: number, e: LiveExport) => publisher.accept(w, e),
        }
      : {}),
  };
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  let results: Array<ShardResult | LocalShardResult>;
  let leaked: Summary['target']['leaked'];
  try {
    // "run started" once users really start (workers take a moment to load).
    const started = (): void => logger.info(runInfo, 'run started');
    if (workers === 1) started();
    results =
      workers === 1
        ? [await runShard(inputs[0]!, hooks, logger)]
        : await (await import('./worker-pool.js')).runShardsInWorkers(inputs, hooks, logPath, started);
  } catch (err) {
    await publisher?.abort();
    throw err;
  } finally {
    beginLoad();
    progress.clear();
    // The reference target knows what its faults leaked: the truth the oracle's findings can be held against.
    if (embedded && sc.target.embedded.faults) leaked = await embedded.readLeaks();
    await embedded?.stop();
  }
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = Math.max(1, performance.now() - wallStart);
  const endedAtMs = Date.now();

  // Merge the shards, then settle the ids each could not: an id or canary of a user in another worker.
  // A lone shard in this thread hands over its registry as it is.
  const only = results.length === 1 ? results[0]! : undefined;
  const registry = only && 'registry' in only ? only.registry : new MetricRegistry();
  for (const r of results) if ('metrics' in r) registry.importSnapshot(r.metrics);
  const layout: DirectoryLayout = {
    prefix: sc.users.prefix,
    ...(sc.users.ids ? { ids: sc.users.ids } : {}),
    cohorts: sc.cohorts.map((c) => c.name),
    fixedIdOffsets,
  };
  const secrets = (): string[] => [
    ...(secret ? [secret] : []),
    ...(sc.auth.kind === 'static' ? Object.values(sc.auth.tokens) : []),
  ];
  // Every shard's lines, found by id: an id settled now adds its reason to the frame's line, not a second line.
  const late = createViolationCollector(
    registry,
    secrets,
    results.flatMap((r) => r.violations),
  );
  const settled = settleOwnership({
    directory: layout,
    runTag,
    ledgers: results.map((r) => r.ledger),
    collector: late,
    idPrefix: `${segment.residue}.${segment.modulus}.m`,
    pending: results.flatMap((r) => r.pending),
    pendingDropped: results.reduce((n, r) => n + r.pendingDropped, 0),
  });
  if (settled.unattributed) registry.counter('isolation.unattributed').add(settled.unattributed);
  const { lines: violations, cut: trimmed } = selectViolationLines(late.kept);
  const cut = results.reduce((n, r) => n + r.violationsCut, 0) + late.cut() + trimmed;
  if (cut) logger.warn({ cut }, 'violations.jsonl reached its cap; the rest were counted, not written');
  aborted ??= results.find((r) => r.aborted)?.aborted;
  const interrupted = results.some((r) => r.interrupted) && !aborted;

  const durationSec = (endedAtMs - startedAtMs) / 1000;
  const source = createRegistrySource(registry, () => durationSec);
  const connectionless = sc.target.adapter.transports[sc.target.transport]?.path === undefined;
  const thresholdResults: ThresholdResult[] = sc.thresholds.map((t) =>
    judgeThreshold(t, source, { connectionless, ...(aborted ? { aborted } : {}) }),
  );
  const cpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 10;
  const usersByCohort: Record<string, number> = {};
  for (const r of results)
    for (const [k, v] of Object.entries(r.usersByCohort)) usersByCohort[k] = (usersByCohort[k] ?? 0) + v;
  const figures = buildSummaryFigures(registry, {
    scenario: {
      name: sc.name,
      file: sc.file,
      sha256: sc.sha256,
      ...(sc.description ? { description: sc.description } : {}),
    },
    target: {
      url: redactUrl(baseUrl),
      embedded: embedded !== undefined,
      ...(embedded && sc.target.embedded.faults ? { faults: sc.target.embedded.faults } : {}),
      ...(leaked ? { leaked } : {}),
      api: sc.target.adapter.name,
      transport: sc.target.transport,
      ...(connectionless ? { connectionless } : {}),
    },
    startedAtMs,
    endedAtMs,
    segment: formatSegment(segment),
    interrupted,
    ...(aborted ? { aborted } : {}),
    users: { total: Object.values(usersByCohort).reduce((a, b) => a + b, 0), byCohort: usersByCohort },
    // Read from the summary's own figures just below.
    generator: { loopLagP99Ms: 0, loopLagMaxMs: 0, cpuPercent, saturated: false, workers },
  });
  // One loop-lag figure: the generator's health takes it from the summary's generator.loop_lag trend.
  const withHealth = { ...figures, generator: computeGeneratorHealth(figures, { cpuPercent, workers }) };
  const judged = judgeSummary(withHealth, {
    thresholds: thresholdResults,
    floor: { ...computeDefaultCoverageFloor(sc, segment), ...sc.coverage },
  });
  // The outputs' final figures are the summary's own; what they delivered goes in before the (long) series.
  const outputs = await publisher?.finish(registry, judged.verdict, opts.hardSignal);
  const { series, ...head } = judged;
  const summary: Summary = outputs ? { ...head, outputs, series } : judged;
  const exitCode = summary.exitCode;
  if (segment.modulus > 1) {
    writeOwnershipFile(resultsDir, {
      schema: 'crosstalk.ownership/1',
      runTag,
      segment: formatSegment(segment),
      ledger: settled.ledger.export(),
      // Evidence leaves the process: redacted and cut like violations.jsonl.
      unresolved: settled.unresolved.map((u) => ({ ...u, text: cutText(redactSecrets(u.text, secrets()), 2048) })),
      directory: layout,
    });
  }
  // Loaded only now: the report writers (XML builder, page template) would otherwise sit in memory through the run.
  (await import('../output/result-files.js')).writeResultFiles(resultsDir, summary, violations);
  logger.info({ exitCode, verdict: summary.verdict, durationMs: summary.durationMs }, 'run finished');
  await publisher?.close(
    opts.signal && opts.hardSignal ? AbortSignal.any([opts.signal, opts.hardSignal]) : (opts.signal ?? opts.hardSignal),
  );
  logger.flush?.();
  return { summary, resultsDir, exitCode, verdict: summary.verdict };
}

/**
 * The run tag (user ids, canaries) every generator of one segmented run
 * derives alike without talking: from the scenario and the agreed start time
 * exactly as written (`--start-at`).
 */
export function computeSegmentRunTag(scenarioSha256: string, startAt: string | undefined): string {
  return createHash('sha256')
    .update(`${scenarioSha256}|${startAt ?? ''}`)
    .digest('hex')
    .slice(0, 6);
}

/** One worker per core (`cores`, read by the caller), capped by the most users the scenario runs at once. */
function computeDefaultWorkers(sc: Scenario, cores: number): number {
  let users = 0;
  for (const c of sc.cohorts)
    users += c.model.kind === 'closed' ? computeClosedPlan(c.model).maxUsers : c.model.maxUsers;
  return Math.max(1, Math.min(cores, users));
}

/** Where each cohort starts in a fixed id list (cohorts take consecutive entries). */
function computeFixedIdOffsets(sc: Scenario): number[] {
  let offset = 0;
  return sc.cohorts.map((c) => {
    const o = offset;
    offset += c.model.kind === 'closed' ? computeClosedPlan(c.model).maxUsers : c.model.maxUsers;
    return o;
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

/** Live progress over all shards: each shard's last second, combined. */
function createProgress(
  sc: Scenario,
  shards: number,
  out: RunScenarioOptions['progress'],
  when: { startAtEpochMs: number; stopping: () => boolean },
): { tick: NonNullable<ShardHooks['onTick']>; clear(): void } {
  const plannedMs = computePlannedMs(sc);
  // Elapsed counts from when the cohorts start (--start-at may be ahead), not from now.
  const startMs = performance.now() + Math.max(0, when.startAtEpochMs - Date.now());
  const last = new Map<number, { point: SeriesPoint; users: Record<string, number>; p95: number | undefined }>();
  let errors = 0;
  let violations = 0;
  let shown = -1;
  return {
    tick(point, users, p95, shard = 0) {
      if (!out) return;
      last.set(shard, { point, users, p95 });
      errors += point.counters.errors ?? 0;
      violations += point.counters['isolation.violations'] ?? 0;
      const t = point.t;
      // Show a second once the last shard has reported it.
      if (t === shown || last.size < shards || (!out.tty && t % 10 !== 0)) return;
      shown = t;
      const entries = [...last.values()];
      const merged = entries.map((e) => e.point).reduce(mergeSeriesPoints);
      const usersByCohort: Record<string, number> = {};
      for (const e of entries)
        for (const [k, v] of Object.entries(e.users)) usersByCohort[k] = (usersByCohort[k] ?? 0) + v;
      const p95s = entries.map((e) => e.p95).filter((v): v is number => v !== undefined);
      const line = formatProgressLine({
        elapsedMs: performance.now() - startMs,
        plannedMs,
        stopping: when.stopping(),
        usersByCohort,
        last: merged,
        runTotalP95Ms: p95s.length ? Math.max(...p95s) : undefined,
        errors,
        violations,
      });
      out.write(out.tty ? `\r\x1b[2K${line}` : `${line}\n`);
    },
    clear() {
      if (out?.tty) out.write('\r\x1b[2K');
    },
  };
}

export type { Logger };

/** Where persistent connections go: the ws(s) URL of a WebSocket transport (`target.wsUrl` wins), the base URL for Socket.IO, none for SSE. */
function computeConnectUrl(sc: Scenario, baseUrl: string): string {
  const t = sc.target.adapter.transports[sc.target.transport];
  if (t?.path === undefined) return '';
  if (sc.target.transport === 'ws') return sc.target.wsUrl ?? `${baseUrl.replace(/^http/, 'ws')}${t.path}`;
  return baseUrl;
}
