// The end of one generator's run: its shards' figures merged into one
// registry, the ids no single shard could own settled against every shard's
// ledger, violations.jsonl's lines chosen, thresholds judged and the summary
// built and judged. runScenario then writes it (merge-segments.ts does the
// same across the generators of a segmented run).
import type { Logger } from 'pino';
import { computeDefaultCoverageFloor } from '../core/coverage.js';
import { computeGeneratorHealth } from '../core/generator-health.js';
import { createRegistrySource } from '../core/metric-source.js';
import { MetricRegistry } from '../core/metric-registry.js';
import { redactUrl } from '../core/redact.js';
import type { Scenario } from '../core/scenario-types.js';
import { formatSegment, type Segment } from '../core/segment.js';
import { buildSummaryFigures, judgeSummary, type Summary } from '../core/summary.js';
import { judgeThreshold, type ThresholdResult } from '../core/thresholds.js';
import type { Violation } from '../core/violation.js';
import type { DirectoryLayout } from '../output/ownership-file.js';
import { createViolationCollector, selectViolationLines } from '../output/violation-log.js';
import { settleOwnership, type Settlement } from './ownership-settlement.js';
import type { LocalShardResult, ShardResult } from './run-shard.js';

/** What the run around the shards knows that the summary and the settling need. */
export interface ShardMergeContext {
  readonly scenario: Scenario;
  /** This generator's segment of the scenario. */
  readonly segment: Segment;
  readonly runTag: string;
  /** Where each cohort starts in a fixed id list (run-plan.ts). */
  readonly fixedIdOffsets: number[];
  /** The JWT secret, kept out of the evidence that leaves the process. */
  readonly secret: string | undefined;
  /** The target's base URL (redacted before it is written). */
  readonly baseUrl: string;
  /** True when the run started its own reference target. */
  readonly embedded: boolean;
  /** What the embedded target's faults leaked, by its own count. */
  readonly leaked: Summary['target']['leaked'];
  /** The abortOnFail threshold that stopped the run, when a hook heard of it first. */
  readonly aborted: ShardResult['aborted'];
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  /** The generator's CPU time over its wall time, in percent of one core. */
  readonly cpuPercent: number;
  readonly workers: number;
  readonly logger: Logger;
}

/** One generator's shards as one judged run. */
export interface MergedShards {
  /** Every shard's metrics (the live outputs read their final figures from it). */
  readonly registry: MetricRegistry;
  /** The judged summary, before the live outputs add what they delivered. */
  readonly summary: Summary;
  /** The lines of violations.jsonl, capped. */
  readonly violations: Violation[];
  /** The merged ledger and the ids still unowned, for ownership.json. */
  readonly settled: Settlement;
  /** The user directory the ledger's ids are read against, for ownership.json. */
  readonly layout: DirectoryLayout;
  /** The secrets redacted from evidence that leaves the process. */
  readonly secrets: () => string[];
}

/**
 * Merges one generator's shard results into a judged summary: metrics,
 * ownership settled across shards (an id or canary of a user in another
 * worker becomes a violation), violation lines, thresholds and verdict.
 * Adds `isolation.unattributed` to the merged registry.
 */
export function mergeShards(
  results: ReadonlyArray<ShardResult | LocalShardResult>,
  ctx: ShardMergeContext,
): MergedShards {
  const { scenario: sc, segment, runTag, fixedIdOffsets, secret, baseUrl, embedded, leaked, logger } = ctx;
  const { startedAtMs, endedAtMs, cpuPercent, workers } = ctx;
  let aborted = ctx.aborted;
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
      embedded,
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
  return { registry, summary: judged, violations, settled, layout, secrets };
}
