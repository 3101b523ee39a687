import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CanaryCodec } from '../core/canary.js';
import { IsolationOracle, type PendingObservation } from '../core/isolation-oracle.js';
import { ALL_KINDS } from '../core/kinds.js';
import { OwnershipLedger } from '../core/ownership-ledger.js';
import { parseSegment } from '../core/share.js';
import { SimError } from '../core/sim-error.js';
import { createSummarySource, mergeSummaries } from '../core/summary-merge.js';
import type { Summary } from '../core/summary.js';
import { evaluateThreshold, parseThreshold } from '../core/thresholds.js';
import { UserDirectory } from '../core/user-directory.js';
import type { Violation } from '../core/violation.js';
import { formatSummary } from '../output/console-summary.js';
import { writeHtmlReport } from '../output/html-report.js';
import { writeJunitReport } from '../output/junit-report.js';
import { createResultsDir, writeFileAtomic } from '../output/results-dir.js';
import { formatViolationLine, writeViolationsFile } from '../output/violation-log.js';
import type { OwnershipFile } from '../runtime/run-scenario.js';

interface Shard {
  readonly dir: string;
  readonly summary: Summary;
  readonly ownership: OwnershipFile | undefined;
  readonly violations: Violation[];
}

/**
 * `simulate merge`: adds the summaries of a segmented run's generators into
 * one (histograms merged, not averaged), settles the ids each generator
 * could not own alone against everyone's ledgers (a leak between users of
 * two segments is reported with its kind), evaluates the thresholds on the
 * whole, and writes summary.json, violations.jsonl, junit.xml and report.html.
 */
export function runMerge(files: readonly string[], out: string, write: (s: string) => void, warn: (s: string) => void): number {
  const shards = files.map(readShard);
  const sha = shards[0]!.summary.scenario.sha256;
  const other = shards.find((s) => s.summary.scenario.sha256 !== sha);
  if (other) throw new SimError('INPUT', `${other.dir} ran another scenario (sha256 ${other.summary.scenario.sha256.slice(0, 12)}…, not ${sha.slice(0, 12)}…)`, { hint: 'merge only the segments of one run' });
  checkSegments(shards, warn);

  // Reconcile: every generator's ledger together settles what each left unowned.
  const own = shards.map((s) => s.ownership).filter((o): o is OwnershipFile => o !== undefined);
  const added: Violation[] = [];
  let settled = 0;
  if (own.length) {
    const d = own[0]!.directory;
    const ledger = new OwnershipLedger(new UserDirectory({ prefix: d.prefix, runTag: own[0]!.runTag, ...(d.ids ? { ids: d.ids } : {}) }, d.cohorts, d.fixedIdOffsets));
    for (const o of own) ledger.import(o.ledger);
    const pending: PendingObservation[] = own.flatMap((o) => o.unresolved);
    const oracle = new IsolationOracle(ledger, new CanaryCodec(own[0]!.runTag), (v) => added.push(v));
    oracle.finish(pending);
    settled = pending.length - oracle.unattributed;
  }
  const byKind: Record<string, number> = {};
  const byCohort: Record<string, number> = {};
  for (const v of added) { byKind[v.kind] = (byKind[v.kind] ?? 0) + 1; byCohort[v.cohort] = (byCohort[v.cohort] ?? 0) + 1; }
  const merged = mergeSummaries(shards.map((s) => s.summary), { byKind, byCohort, settled });

  const vocabulary = { cohorts: Object.keys(merged.users.byCohort), kinds: ALL_KINDS };
  const source = createSummarySource(merged);
  const thresholds = shards[0]!.summary.thresholds.map((t) => {
    const p = parseThreshold(t.metric, t.expression, { vocabulary, path: `thresholds.${t.metric}` });
    return Array.isArray(p) ? { metric: t.metric, expression: t.expression, actual: null, ok: false, note: p.map((x) => x.message).join('; ') } : evaluateThreshold(p, source);
  });
  const exitCode = merged.interrupted ? 130 : merged.isolation.violations > 0 ? 2 : thresholds.some((t) => !t.ok) ? 1 : 0;
  const summary: Summary = { ...merged, thresholds, exitCode, verdict: exitCode === 0 ? 'pass' : 'fail' };
  const dir = createResultsDir({ out, name: summary.scenario.name, startedAtMs: Date.now() });
  const violations = [...shards.flatMap((s) => s.violations), ...added];
  writeViolationsFile(dir, violations);
  writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeJunitReport(dir, summary);
  writeHtmlReport(dir, summary, violations.map((v) => JSON.parse(formatViolationLine(v)) as Record<string, unknown>));
  write(formatSummary(summary));
  write(`merged ${shards.length} summaries (${settled} ids settled across segments, ${added.length} new violations): ${dir}\n`);
  return exitCode;
}

function readShard(file: string): Shard {
  const path = existsSync(file) && statSync(file).isDirectory() ? join(file, 'summary.json') : file;
  let summary: Summary;
  try {
    summary = JSON.parse(readFileSync(path, 'utf8')) as Summary;
  } catch (err) {
    throw new SimError('INPUT', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { hint: 'pass the summary.json (or results folder) of each segment' });
  }
  if (summary?.schema !== 'crosstalk.summary/1') throw new SimError('INPUT', `${path} is not a crosstalk summary (schema crosstalk.summary/1)`);
  for (const field of ['scenario', 'metrics', 'thresholds', 'isolation', 'lifecycle', 'runs', 'errors', 'users', 'generator', 'series', 'segment', 'startedAt', 'endedAt'] as const) {
    if (summary[field] === undefined || summary[field] === null) throw new SimError('INPUT', `${path} has no "${field}"; expected a complete crosstalk.summary/1 document`);
  }
  const dir = dirname(path);
  const ownPath = join(dir, 'ownership.json');
  let ownership: OwnershipFile | undefined;
  if (existsSync(ownPath)) {
    try {
      ownership = JSON.parse(readFileSync(ownPath, 'utf8')) as OwnershipFile;
    } catch (err) {
      throw new SimError('INPUT', `${ownPath} is not valid JSON (${(err as Error).message})`, { hint: 'each segment writes ownership.json beside its summary; pass complete results folders' });
    }
    if (ownership?.schema !== 'crosstalk.ownership/1' || !ownership.ledger || !Array.isArray(ownership.unresolved) || !ownership.directory) {
      throw new SimError('INPUT', `${ownPath} is not a crosstalk ownership file (schema crosstalk.ownership/1)`);
    }
  }
  const vPath = join(dir, 'violations.jsonl');
  const violations = existsSync(vPath)
    ? readFileSync(vPath, 'utf8').split('\n').map((l, i) => ({ l, i })).filter(({ l }) => l.trim()).map(({ l, i }) => {
      let parsed: { time: string } & Omit<Violation, 'atMs'>;
      try {
        parsed = JSON.parse(l) as { time: string } & Omit<Violation, 'atMs'>;
      } catch {
        throw new SimError('INPUT', `${vPath}:${i + 1}: not a JSON line; expected one violation per line`);
      }
      const { time, ...rest } = parsed;
      return { ...rest, atMs: Date.parse(time) } as Violation;
    })
    : [];
  return { dir, summary, ownership, violations };
}

function checkSegments(shards: readonly Shard[], warn: (s: string) => void): void {
  const segs = shards.flatMap((s) => s.summary.segment.split(',')).map((t) => parseSegment(t));
  const parsed = segs.filter((s): s is { residue: number; modulus: number } => !('message' in s));
  const n = parsed[0]?.modulus ?? 1;
  if (parsed.some((s) => s.modulus !== n)) { warn('simulate: warning: the summaries come from different segment counts\n'); return; }
  const seen = new Set(parsed.map((s) => s.residue));
  if (seen.size !== parsed.length) warn('simulate: warning: a segment appears more than once; its users are counted twice\n');
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) warn(`simulate: warning: segments ${missing.map((i) => `${i}/${n}`).join(', ')} are missing; the merge covers part of the scenario\n`);
}
