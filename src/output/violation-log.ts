import { join } from 'node:path';
import { KIND_FACETS } from '../core/metric-names.js';
import type { MetricRegistry } from '../core/metric-registry.js';
import { cutText, redactSecrets } from '../core/redact.js';
import type { Violation, ViolationAmender, ViolationReason, ViolationSink } from '../core/violation.js';
import { writeFileAtomic } from './results-dir.js';

/** Violations as a run finds them: counted in full, kept (redacted) up to a cap per class. */
export interface ViolationCollector {
  readonly sink: ViolationSink;
  /** Adds reasons settled late to a violation already reported (its frame counts once, under each new kind). */
  readonly amend: ViolationAmender;
  /** Kept violations, in the order found, redacted and cut. */
  readonly kept: Violation[];
  /** Violations counted but not kept because their class's cap was reached. */
  cut(): number;
}

/** At most this many isolation lines in violations.jsonl (the counters hold the true totals). */
export const MAX_ISOLATION_LINES = 10_000;
/** At most this many lifecycle lines: a separate cap, so lifecycle noise never crowds out a leak's evidence. */
export const MAX_LIFECYCLE_LINES = 10_000;
const FRAME_BYTES = 2048;

const ISOLATION_FACET = KIND_FACETS['isolation.violations']!;

/**
 * Counts every violation into the registry (an isolation violation once in
 * `isolation.violations{cohort}` and once per kind it shows; a lifecycle one
 * in `lifecycle.violations{cohort, kind}`), and keeps each (tokens and
 * secrets redacted, frame cut to 2 KiB) for violations.jsonl, up to
 * {@link MAX_ISOLATION_LINES} and {@link MAX_LIFECYCLE_LINES}. `seed` are
 * lines kept elsewhere already (other workers): kept and found by id for
 * amendments, not counted again.
 */
export function createViolationCollector(
  registry: MetricRegistry,
  secrets: () => readonly string[],
  seed: readonly Violation[] = [],
): ViolationCollector {
  const kept: Violation[] = [...seed];
  const byId = new Map<string, number>();
  kept.forEach((v, i) => {
    if (v.id !== undefined) byId.set(v.id, i);
  });
  let isolationKept = 0;
  let lifecycleKept = 0;
  let cut = 0;
  const redactReasons = (rs: readonly ViolationReason[]): ViolationReason[] =>
    rs.map((r) => ({ ...r, value: redactSecrets(r.value, secrets()) }));
  const sink: ViolationSink = (v) => {
    if (v.class === 'isolation') {
      registry.counter('isolation.violations', { cohort: v.cohort }).add();
      const seen: string[] = [];
      for (const r of v.kinds) {
        if (seen.includes(r.kind)) continue;
        seen.push(r.kind);
        registry.counter(ISOLATION_FACET, { cohort: v.cohort, kind: r.kind }).add();
      }
      if (isolationKept >= MAX_ISOLATION_LINES) {
        cut++;
        return;
      }
      isolationKept++;
    } else {
      registry.counter('lifecycle.violations', { cohort: v.cohort, kind: v.kind }).add();
      if (lifecycleKept >= MAX_LIFECYCLE_LINES) {
        cut++;
        return;
      }
      lifecycleKept++;
    }
    if (v.id !== undefined) byId.set(v.id, kept.length);
    kept.push({
      ...v,
      kinds: redactReasons(v.kinds),
      ...(v.frame !== undefined ? { frame: cutText(redactSecrets(v.frame, secrets()), FRAME_BYTES) } : {}),
    });
  };
  const amend: ViolationAmender = (id, cohort, reasons, freshKinds) => {
    for (const kind of freshKinds) registry.counter(ISOLATION_FACET, { cohort, kind }).add();
    const at = byId.get(id);
    if (at !== undefined) kept[at] = { ...kept[at]!, kinds: [...kept[at]!.kinds, ...redactReasons(reasons)] };
  };
  return { sink, amend, kept, cut: () => cut };
}

/**
 * The lines violations.jsonl and the report show: sorted by time (so the
 * first leaks of every worker and generator come first, whoever found them),
 * then the first {@link MAX_ISOLATION_LINES} isolation and the first
 * {@link MAX_LIFECYCLE_LINES} lifecycle ones. Returns how many were left out.
 */
export function selectViolationLines(violations: readonly Violation[]): { lines: Violation[]; cut: number } {
  let isolation = 0;
  let lifecycle = 0;
  let cut = 0;
  const lines: Violation[] = [];
  for (const v of [...violations].sort((a, b) => a.atMs - b.atMs)) {
    const ok = v.class === 'isolation' ? isolation++ < MAX_ISOLATION_LINES : lifecycle++ < MAX_LIFECYCLE_LINES;
    if (ok) lines.push(v);
    else cut++;
  }
  return { lines, cut };
}

/** One violations.jsonl line. */
export function formatViolationLine(v: Violation): string {
  const { atMs, ...rest } = v;
  return JSON.stringify({ time: new Date(atMs).toISOString(), ...rest });
}

/**
 * Reads one violations.jsonl line back (also lines written before a leaked
 * frame carried all its reasons: `field` and `value` become its one reason).
 * Undefined when the line is not a violation.
 */
export function parseViolationLine(line: string): Violation | undefined {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  const { time, field, value, ...rest } = o as Record<string, unknown>;
  const v = rest as unknown as Omit<Violation, 'atMs'>;
  if (typeof v.kind !== 'string' || typeof time !== 'string') return undefined;
  const kinds = Array.isArray(v.kinds)
    ? v.kinds
    : [
        {
          kind: v.kind,
          field: typeof field === 'string' ? field : '',
          value: typeof value === 'string' ? value : '',
          ...(typeof v.owner === 'string' ? { owner: v.owner } : {}),
        },
      ];
  return { ...v, kinds, atMs: Date.parse(time) };
}

/** Writes violations.jsonl (lines as {@link selectViolationLines} chose them) atomically. */
export function writeViolationsFile(dir: string, lines: readonly Violation[]): void {
  const text = lines.map(formatViolationLine);
  writeFileAtomic(join(dir, 'violations.jsonl'), text.length ? `${text.join('\n')}\n` : '');
}
