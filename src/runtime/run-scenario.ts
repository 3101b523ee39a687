// One generator's whole run (`simulate run` and the library's runScenario):
// the target (embedded or given), live outputs, the users over one or more
// worker threads, then the merged, judged summary (merge-shards.ts) and the
// results folder. What it derives from the scenario first is in run-plan.ts;
// the live progress line in run-progress.ts.
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { LiveExport } from '../core/live-frame.js';
import type { MetricRegistry } from '../core/metric-registry.js';
import { formatNetworkHint } from '../core/network-errors.js';
import { cutText, redactSecrets, redactUrl } from '../core/redact.js';
import type { Scenario } from '../core/scenario-types.js';
import { computeSubSegment, formatSegment, WHOLE_SEGMENT, type Segment } from '../core/segment.js';
import { SimError } from '../core/sim-error.js';
import type { Summary } from '../core/summary.js';
import type { RunVerdict } from '../core/verdict.js';
import { writeOwnershipFile } from '../output/ownership-file.js';
import { createResultsDir } from '../output/results-dir.js';
import { startEmbeddedTarget, type EmbeddedTarget } from './embedded-target.js';
import { mergeShards } from './merge-shards.js';
import { checkReachable } from './reachability.js';
import { computeConnectUrl, computeDefaultWorkers, computeFixedIdOffsets } from './run-plan.js';
import { createRunProgress, type ProgressOutput } from './run-progress.js';
import { runShard, type LocalShardResult, type ShardHooks, type ShardInput, type ShardResult } from './run-shard.js';

/** How to run a scenario (the options of {@link runScenario}). */
export interface RunScenarioOptions {
  readonly scenario: Scenario;
  /** `--out DIR`; default `results/<stamp>-<name>/`. */
  readonly out?: string;
  readonly resultsBase?: string;
  /** Live progress: on a TTY one line redrawn every second, else a plain line every 10 s. */
  readonly progress?: ProgressOutput;
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
  const progress = createRunProgress(sc, workers, opts.progress, {
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
  const cpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 10;

  // Merge the shards and judge the whole; the live outputs and the files below take what it found.
  const {
    registry,
    summary: judged,
    violations,
    settled,
    layout,
    secrets,
  } = mergeShards(results, {
    scenario: sc,
    segment,
    runTag,
    fixedIdOffsets,
    secret,
    baseUrl,
    embedded: embedded !== undefined,
    leaked,
    aborted,
    startedAtMs,
    endedAtMs,
    cpuPercent,
    workers,
    logger,
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
