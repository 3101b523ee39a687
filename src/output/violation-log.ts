import { createWriteStream, renameSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { MetricRegistry } from '../core/metric-registry.js';
import { cutText, redactSecrets } from '../core/redact.js';
import type { Violation, ViolationSink } from '../core/violation.js';

/** violations.jsonl while a run goes on. */
export interface ViolationLog {
  readonly sink: ViolationSink;
  /** The first violations, for the console and report. */
  readonly first: Violation[];
  /** Lines not written because the file reached its cap (still counted). */
  readonly cut: () => number;
  /** Finishes the file and moves it into place. */
  close(): Promise<void>;
}

const MAX_LINES = 10_000;
const FRAME_BYTES = 2048;
const FIRST_KEPT = 20;

/**
 * Counts every violation by class, kind and cohort, and writes one JSON line
 * each (redacted, frame cut to 2 KiB) to violations.jsonl. The file is
 * written under a temporary name and renamed when closed, and holds at most
 * 10,000 lines; the counters hold the true totals.
 */
export function createViolationLog(dir: string, registry: MetricRegistry, secrets: () => readonly string[]): ViolationLog {
  const finalPath = join(dir, 'violations.jsonl');
  const tmpPath = `${finalPath}.tmp-${process.pid}`;
  const out: WriteStream = createWriteStream(tmpPath, { flags: 'w' });
  const first: Violation[] = [];
  let written = 0;
  let cut = 0;
  const sink: ViolationSink = (v) => {
    registry.counter(v.class === 'isolation' ? 'isolation.violations' : 'lifecycle.violations', { cohort: v.cohort, kind: v.kind }).add();
    const clean: Violation = { ...v, ...(v.frame !== undefined ? { frame: cutText(redactSecrets(v.frame, secrets()), FRAME_BYTES) } : {}), ...(v.value !== undefined ? { value: redactSecrets(v.value, secrets()) } : {}) };
    if (first.length < FIRST_KEPT) first.push(clean);
    if (written >= MAX_LINES) { cut++; return; }
    written++;
    const { atMs, ...rest } = clean;
    out.write(`${JSON.stringify({ time: new Date(atMs).toISOString(), ...rest })}\n`);
  };
  return {
    sink,
    first,
    cut: () => cut,
    close() {
      return new Promise((resolve, reject) => {
        out.end(() => {
          try { renameSync(tmpPath, finalPath); resolve(); } catch (err) { reject(err as Error); }
        });
      });
    },
  };
}
