import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { CanaryCodec } from '../core/canary.js';
import { computeClosedPlan } from '../core/closed-model.js';
import { computeGeneratorHealth } from '../core/generator-health.js';
import { IsolationOracle } from '../core/isolation-oracle.js';
import { ALL_KINDS } from '../core/kinds.js';
import { formatNetworkHint } from '../core/network-errors.js';
import { createRegistrySource } from '../core/metric-source.js';
import { MetricRegistry, mergeSeriesPoints, type SeriesPoint } from '../core/metric-registry.js';
import { computeOpenDurationMs } from '../core/open-model.js';
import { OwnershipLedger } from '../core/ownership-ledger.js';
import type { Scenario } from '../core/scenario-types.js';
import { computeSubShare, formatShare, WHOLE, type Share } from '../core/share.js';
import { SimError } from '../core/sim-error.js';
import type { RunVerdict } from '../core/verdict.js';
import { cutText, redactSecrets, redactUrl } from '../core/redact.js';
import { computeDefaultCoverageFloor } from '../core/coverage.js';
import { buildSummaryFigures, judgeSummary, type Summary } from '../core/summary.js';
import { evaluateThreshold, judgeInapplicable, parseThreshold, type ParsedThreshold, type ThresholdResult } from '../core/thresholds.js';
import { UserDirectory } from '../core/user-directory.js';
import { formatProgressLine } from '../output/progress-line.js';
import { createResultsDir, writeFileAtomic } from '../output/results-dir.js';
import { createViolationCollector, formatViolationLine, selectViolationLines, writeViolationsFile } from '../output/violation-log.js';
import { startEmbeddedTarget, type EmbeddedTarget } from './embedded-target.js';
import { checkReachable } from './reachability.js';
import { runShard, type LocalShardResult, type ShardHooks, type ShardInput, type ShardResult } from './run-shard.js';

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
  /** Worker threads; default one per core, capped by users. */
  readonly workers?: number;
  /** `--segment I/N`: this generator's share of the scenario. */
  readonly segment?: Share;
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
}

/** What a run produced. */
export interface RunOutcome {
  readonly summary: Summary;
  /** Where summary.json, report.html, junit.xml, violations.jsonl and run.log were written. */
  readonly resultsDir: string;
  /** design.md's exit code: 0 pass, 1 threshold failed, 2 isolation violated, 4 untested, 130 interrupted. */
  readonly exitCode: number;
  /** `pass`, `fail` or `untested` (the summary's verdict). */
  readonly verdict: RunVerdict;
}

/** The ownership facts a segment leaves for `simulate merge` (ownership.json). */
export interface OwnershipFile {
  readonly schema: 'crosstalk.ownership/1';
  readonly runTag: string;
  readonly segment: string;
  readonly ledger: ReturnType<OwnershipLedger['export']>;
  readonly unresolved: ReturnType<IsolationOracle['finish']>;
  /** How global user numbers map to ids (see UserDirectory). */
  readonly directory: { readonly prefix: string; readonly ids?: readonly string[]; readonly cohorts: readonly string[]; readonly fixedIdOffsets: readonly number[] };
}

/**
 * Runs a scenario end to end: target (embedded or given), this generator's
 * share of the users over one or more worker threads, then merges their
 * figures and ownership facts, settles ids no single worker could, evaluates
 * thresholds and writes summary.json, junit.xml and violations.jsonl.
 * Failures of the target are recorded as errors; only a target unreachable
 * at start or bad input throws.
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
  const share = opts.segment ?? WHOLE;
  // A target that is not there at start is exit 4 before anything is written, so a retry can reuse --out.
  if (sc.target.url !== undefined) {
    const reach = await checkReachable(sc.target.url, Math.min(sc.target.connectTimeoutMs, 10_000));
    if (!reach.ok) throw new SimError('UNREACHABLE', `target ${redactUrl(sc.target.url)} is unreachable: ${reach.reason}`, { hint: formatNetworkHint(reach.code) });
  }
  const startedAtMs = Date.now();
  const resultsDir = createResultsDir({ ...(opts.out ? { out: opts.out } : {}), ...(opts.resultsBase ? { baseDir: opts.resultsBase } : {}), name: sc.name, startedAtMs });
  const logPath = join(resultsDir, 'run.log');
  const logger = pino({ level: 'info', base: { run: sc.name }, redact: { paths: ['token', 'secret', '*.token', '*.secret', 'authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' } }, pino.destination({ dest: logPath, sync: true }));

  let embedded: EmbeddedTarget | undefined;
  let baseUrl: string;
  if (sc.target.url === undefined) {
    embedded = await startEmbeddedTarget(sc.target.embedded, logger, undefined, sc.auth.kind === 'jwt' ? { issuer: sc.auth.issuer, audience: sc.auth.audience } : {});
    baseUrl = embedded.url;
    secret = embedded.secret;
  } else {
    baseUrl = sc.target.url;
  }
  const connectUrl = computeConnectUrl(sc, baseUrl);
  const workers = Math.max(1, opts.workers ?? computeDefaultWorkers(sc));
  const runTag = opts.runTag ?? randomBytes(3).toString('hex');
  const fixedIdOffsets = computeFixedIdOffsets(sc);
  // Every worker starts its clock at the same instant: now, or the agreed --start-at.
  const startAtEpochMs = Math.max(opts.startAtEpochMs ?? 0, Date.now());
  const runInfo = { target: redactUrl(baseUrl), connectUrl: redactUrl(connectUrl), api: sc.target.adapter.name, transport: sc.target.transport, embedded: embedded !== undefined, cohorts: sc.cohorts.map((c) => c.name), workers, segment: formatShare(share), runTag };

  const inputs: ShardInput[] = Array.from({ length: workers }, (_, w) => ({
    scenario: sc, share: computeSubShare(share, w, workers), baseUrl, connectUrl, secret, runTag, startAtEpochMs,
    checks: opts.checks ?? true, probes: w === 0, thresholds, fixedIdOffsets,
  }));
  let aborted: ShardResult['aborted'];
  const progress = createProgress(sc, workers, opts.progress, { startAtEpochMs, stopping: () => opts.signal?.aborted === true || aborted !== undefined });
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
      if (!loadBegun && ((point.counters['runs.started'] ?? 0) > 0 || (point.counters['http.requests'] ?? 0) > 0)) beginLoad();
      progress.tick(point, users, p95, shard);
    },
    onAbort: (a) => { aborted ??= a; },
  };
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  let results: Array<ShardResult | LocalShardResult>;
  let leaked: Summary['target']['leaked'];
  try {
    // "run started" once users really start (workers take a moment to load).
    const started = (): void => logger.info(runInfo, 'run started');
    if (workers === 1) started();
    results = workers === 1 ? [await runShard(inputs[0]!, hooks, logger)] : await (await import('./worker-pool.js')).runShardsInWorkers(inputs, hooks, logPath, started);
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
  const directory = new UserDirectory({ prefix: sc.users.prefix, runTag, ...(sc.users.ids ? { ids: sc.users.ids } : {}) }, sc.cohorts.map((c) => c.name), fixedIdOffsets);
  const ledger = new OwnershipLedger(directory);
  for (const r of results) {
    if ('metrics' in r) registry.importSnapshot(r.metrics);
    ledger.import(r.ledger);
  }
  const secrets = (): string[] => [...(secret ? [secret] : []), ...(sc.auth.kind === 'static' ? Object.values(sc.auth.tokens) : [])];
  // Every shard's lines, found by id: an id settled now adds its reason to the frame's line, not a second line.
  const late = createViolationCollector(registry, secrets, results.flatMap((r) => r.violations));
  const oracle = new IsolationOracle(ledger, new CanaryCodec(runTag), late.sink, { idPrefix: `${share.residue}.${share.modulus}.m`, amend: late.amend });
  const unresolved = oracle.finish(results.flatMap((r) => r.pending), results.reduce((n, r) => n + r.pendingDropped, 0));
  if (oracle.unattributed) registry.counter('isolation.unattributed').add(oracle.unattributed);
  const { lines: violations, cut: trimmed } = selectViolationLines(late.kept);
  const cut = results.reduce((n, r) => n + r.violationsCut, 0) + late.cut() + trimmed;
  if (cut) logger.warn({ cut }, 'violations.jsonl reached its cap; the rest were counted, not written');
  aborted ??= results.find((r) => r.aborted)?.aborted;
  const interrupted = results.some((r) => r.interrupted) && !aborted;

  const durationSec = (endedAtMs - startedAtMs) / 1000;
  const source = createRegistrySource(registry, () => durationSec);
  const connectionless = sc.target.adapter.transports[sc.target.transport]?.path === undefined;
  const thresholdResults: ThresholdResult[] = thresholds.map((t) => {
    const na = judgeInapplicable(t, connectionless);
    if (na) return na;
    const r = evaluateThreshold(t, source);
    // The threshold that stopped the run failed, whatever the figure says once stopped.
    if (aborted && t.metricKey === aborted.metric && t.expression === aborted.expression) return { ...r, ok: false, note: `aborted the run at ${aborted.atSec}s (actual then ${aborted.actual})` };
    return r;
  });
  const cpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 10;
  const usersByCohort: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.usersByCohort)) usersByCohort[k] = (usersByCohort[k] ?? 0) + v;
  const figures = buildSummaryFigures(registry, {
    scenario: { name: sc.name, file: sc.file, sha256: sc.sha256, ...(sc.description ? { description: sc.description } : {}) },
    target: {
      url: redactUrl(baseUrl), embedded: embedded !== undefined, ...(embedded && sc.target.embedded.faults ? { faults: sc.target.embedded.faults } : {}), ...(leaked ? { leaked } : {}),
      api: sc.target.adapter.name, transport: sc.target.transport, ...(connectionless ? { connectionless } : {}),
    },
    startedAtMs, endedAtMs, segment: formatShare(share), interrupted,
    ...(aborted ? { aborted } : {}),
    users: { total: Object.values(usersByCohort).reduce((a, b) => a + b, 0), byCohort: usersByCohort },
    // Read from the summary's own figures just below.
    generator: { loopLagP99Ms: 0, loopLagMaxMs: 0, cpuPercent, saturated: false, workers },
  });
  // One loop-lag figure: the generator's health takes it from the summary's generator.loop_lag trend.
  const withHealth = { ...figures, generator: computeGeneratorHealth(figures, { cpuPercent, workers }) };
  const summary = judgeSummary(withHealth, { thresholds: thresholdResults, floor: { ...computeDefaultCoverageFloor(sc, share), ...sc.coverage } });
  const exitCode = summary.exitCode;
  writeViolationsFile(resultsDir, violations);
  if (share.modulus > 1) {
    const own: OwnershipFile = {
      schema: 'crosstalk.ownership/1', runTag, segment: formatShare(share), ledger: ledger.export(),
      // Evidence leaves the process: redacted and cut like violations.jsonl.
      unresolved: unresolved.map((u) => ({ ...u, text: cutText(redactSecrets(u.text, secrets()), 2048) })),
      directory: { prefix: sc.users.prefix, ...(sc.users.ids ? { ids: sc.users.ids } : {}), cohorts: sc.cohorts.map((c) => c.name), fixedIdOffsets },
    };
    writeFileAtomic(join(resultsDir, 'ownership.json'), JSON.stringify(own));
  }
  writeFileAtomic(join(resultsDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  // Loaded only now: the report writers (XML builder, page template) would otherwise sit in memory through the run.
  const [{ writeJunitReport }, { writeHtmlReport }] = await Promise.all([import('../output/junit-report.js'), import('../output/html-report.js')]);
  writeJunitReport(resultsDir, summary);
  writeHtmlReport(resultsDir, summary, violations.map((v) => JSON.parse(formatViolationLine(v)) as Record<string, unknown>));
  logger.info({ exitCode, verdict: summary.verdict, durationMs: summary.durationMs }, 'run finished');
  logger.flush?.();
  return { summary, resultsDir, exitCode, verdict: summary.verdict };
}

/**
 * The run tag (user ids, canaries) every generator of one segmented run
 * derives alike without talking: from the scenario and the agreed start time
 * exactly as written (`--start-at`).
 */
export function computeSegmentRunTag(scenarioSha256: string, startAt: string | undefined): string {
  return createHash('sha256').update(`${scenarioSha256}|${startAt ?? ''}`).digest('hex').slice(0, 6);
}

/** One worker per core, capped by the most users the scenario runs at once. */
function computeDefaultWorkers(sc: Scenario): number {
  let users = 0;
  for (const c of sc.cohorts) users += c.model.kind === 'closed' ? computeClosedPlan(c.model).maxUsers : c.model.maxUsers;
  return Math.max(1, Math.min(availableParallelism(), users));
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

/** Live progress over all shards: each shard's last second, combined. */
function createProgress(sc: Scenario, shards: number, out: RunOptions['progress'], when: { startAtEpochMs: number; stopping: () => boolean }): { tick: NonNullable<ShardHooks['onTick']>; clear(): void } {
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
      for (const e of entries) for (const [k, v] of Object.entries(e.users)) usersByCohort[k] = (usersByCohort[k] ?? 0) + v;
      const p95s = entries.map((e) => e.p95).filter((v): v is number => v !== undefined);
      const line = formatProgressLine({ elapsedMs: performance.now() - startMs, plannedMs, stopping: when.stopping(), usersByCohort, last: merged, runTotalP95Ms: p95s.length ? Math.max(...p95s) : undefined, errors, violations });
      out.write(out.tty ? `\r\x1b[2K${line}` : `${line}\n`);
    },
    clear() {
      if (out?.tty) out.write('\r\x1b[2K');
    },
  };
}

/** Where persistent connections go: the ws(s) URL of a WebSocket transport (`target.wsUrl` wins), the base URL for Socket.IO, none for SSE. */
function computeConnectUrl(sc: Scenario, baseUrl: string): string {
  const t = sc.target.adapter.transports[sc.target.transport];
  if (t?.path === undefined) return '';
  if (sc.target.transport === 'ws') return sc.target.wsUrl ?? `${baseUrl.replace(/^http/, 'ws')}${t.path}`;
  return baseUrl;
}
