// The files every judged run leaves in its results folder, written the same
// way by `simulate run` and `simulate merge`.
import { join } from 'node:path';
import type { Summary } from '../core/summary.js';
import type { Violation } from '../core/violation.js';
import { writeHtmlReport } from './html-report.js';
import { writeJunitReport } from './junit-report.js';
import { writeFileAtomic } from './results-dir.js';
import { formatViolationLine, writeViolationsFile } from './violation-log.js';

/**
 * Writes violations.jsonl (the lines as selectViolationLines chose them),
 * summary.json, junit.xml and report.html into `dir`, each atomically, in
 * that order: a reader that sees summary.json sees the violations it counts.
 */
export function writeResultFiles(dir: string, summary: Summary, violations: readonly Violation[]): void {
  writeViolationsFile(dir, violations);
  writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeJunitReport(dir, summary);
  writeHtmlReport(
    dir,
    summary,
    violations.map((v) => JSON.parse(formatViolationLine(v)) as Record<string, unknown>),
  );
}
