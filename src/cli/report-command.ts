// `simulate report <summary.json>`: re-renders report.html from a results
// folder, e.g. after an upgrade of the report, or for a merged summary.
import { closeSync, openSync, readSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { SimError } from '../core/sim-error.js';
import { READABLE_SUMMARY_SCHEMAS, upgradeSummary, type Summary } from '../core/summary.js';
import { EXIT_CODE } from '../core/verdict.js';
import { REPORT_VIOLATION_ROWS, writeHtmlReport } from '../output/html-report.js';
import { isLifecycleViolation } from '../output/report-data.js';

/** Fields a summary must have for the report to render (design.md's "at least" list). */
const REQUIRED: readonly [keyof Summary, 'object' | 'string' | 'number'][] = [
  ['scenario', 'object'],
  ['target', 'object'],
  ['startedAt', 'string'],
  ['durationMs', 'number'],
  ['exitCode', 'number'],
  ['metrics', 'object'],
  ['thresholds', 'object'],
  ['isolation', 'object'],
  ['lifecycle', 'object'],
  ['runs', 'object'],
  ['generator', 'object'],
];

/**
 * Reads and checks a summary.json. Throws SimError INPUT naming the file and
 * what is wrong: missing, unreadable, not JSON, not `crosstalk.summary/1`.
 */
function readSummaryFile(file: string): Summary {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SimError(
      'INPUT',
      code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${(err as Error).message})`,
      {
        hint: 'give the summary.json of a results folder, e.g. simulate report results/<run>/summary.json',
      },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SimError('INPUT', `${file}: not JSON (${(err as Error).message})`, {
      hint: 'expected a crosstalk.summary/1 document written by simulate run',
    });
  }
  const o = doc as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || !READABLE_SUMMARY_SCHEMAS.includes(o.schema as string)) {
    const found =
      typeof o === 'object' && o !== null && 'schema' in o ? `schema ${JSON.stringify(o.schema)}` : 'no "schema" field';
    throw new SimError(
      'INPUT',
      `${file}: not a crosstalk summary (expected schema ${READABLE_SUMMARY_SCHEMAS.map((x) => `"${x}"`).join(' or ')}, found ${found})`,
    );
  }
  const bad = REQUIRED.filter(([k, type]) => typeof o[k] !== type || o[k] === null).map(
    ([k, type]) => `${k} (${type})`,
  );
  if (bad.length) throw new SimError('INPUT', `${file}: ${String(o.schema)} without ${bad.join(', ')}`);
  return upgradeSummary(o as unknown as Summary);
}

/**
 * The violations of a violations.jsonl the report can list (the first
 * `limit` isolation ones and the first `limit` lifecycle ones, in file
 * order), or none when the file is absent. Stops reading once it has enough
 * leaks (the log may hold 10,000 lines of 2 KiB frames); the summary's
 * counters hold the totals. Bad lines are skipped.
 */
export function readViolationsFile(file: string, limit = REPORT_VIOLATION_ROWS): Record<string, unknown>[] {
  let fd: number;
  try {
    if (!statSync(file).isFile()) return [];
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  const first: Record<string, unknown>[] = [];
  let leaks = 0;
  let lifecycle = 0;
  const take = (line: string): void => {
    if (!line.trim() || leaks >= limit) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return; /* a cut or corrupt line: not shown */
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return;
    const rec = v as Record<string, unknown>;
    if (isLifecycleViolation(rec)) {
      if (lifecycle++ < limit) first.push(rec);
    } else {
      leaks++;
      first.push(rec);
    }
  };
  try {
    // The decoder keeps a character split across chunks whole.
    const decoder = new StringDecoder('utf8');
    const buf = Buffer.alloc(1 << 16);
    let rest = '';
    for (let n = readSync(fd, buf); n > 0 && leaks < limit; n = readSync(fd, buf)) {
      const lines = (rest + decoder.write(buf.subarray(0, n))).split('\n');
      rest = lines.pop() ?? '';
      lines.forEach(take);
    }
    take(rest + decoder.end());
  } finally {
    closeSync(fd);
  }
  return first;
}

/**
 * Re-renders report.html next to `summaryFile` (with violations.jsonl beside
 * it when present), atomically. Returns the exit code 0; bad input throws
 * SimError INPUT.
 */
export function runReport(summaryFile: string): number {
  const summary = readSummaryFile(summaryFile);
  const dir = dirname(summaryFile);
  writeHtmlReport(dir, summary, readViolationsFile(join(dir, 'violations.jsonl')));
  return EXIT_CODE.ok;
}
