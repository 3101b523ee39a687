import { join } from 'node:path';
import type { MetricRegistry } from '../core/metric-registry.js';
import { cutText, redactSecrets } from '../core/redact.js';
import type { Violation, ViolationSink } from '../core/violation.js';
import { writeFileAtomic } from './results-dir.js';

/** Violations as a run finds them: counted in full, kept (redacted) up to a cap. */
export interface ViolationCollector {
  readonly sink: ViolationSink;
  /** Kept violations, in the order found, redacted and cut. */
  readonly kept: Violation[];
  /** Violations counted but not kept because the cap was reached. */
  cut(): number;
}

/** At most this many lines in violations.jsonl; the counters hold the true totals. */
export const MAX_VIOLATION_LINES = 10_000;
const FRAME_BYTES = 2048;

/**
 * Counts every violation by class, kind and cohort into the registry, and
 * keeps each (tokens and secrets redacted, frame cut to 2 KiB) for
 * violations.jsonl, up to {@link MAX_VIOLATION_LINES}.
 */
export function createViolationCollector(registry: MetricRegistry, secrets: () => readonly string[]): ViolationCollector {
  const kept: Violation[] = [];
  let cut = 0;
  const sink: ViolationSink = (v) => {
    registry.counter(v.class === 'isolation' ? 'isolation.violations' : 'lifecycle.violations', { cohort: v.cohort, kind: v.kind }).add();
    if (kept.length >= MAX_VIOLATION_LINES) { cut++; return; }
    kept.push({ ...v, ...(v.frame !== undefined ? { frame: cutText(redactSecrets(v.frame, secrets()), FRAME_BYTES) } : {}), ...(v.value !== undefined ? { value: redactSecrets(v.value, secrets()) } : {}) });
  };
  return { sink, kept, cut: () => cut };
}

/** One violations.jsonl line. */
export function formatViolationLine(v: Violation): string {
  const { atMs, ...rest } = v;
  return JSON.stringify({ time: new Date(atMs).toISOString(), ...rest });
}

/** Writes violations.jsonl (sorted by time, capped) atomically. */
export function writeViolationsFile(dir: string, violations: readonly Violation[]): void {
  const lines = [...violations].sort((a, b) => a.atMs - b.atMs).slice(0, MAX_VIOLATION_LINES).map(formatViolationLine);
  writeFileAtomic(join(dir, 'violations.jsonl'), lines.length ? `${lines.join('\n')}\n` : '');
}
