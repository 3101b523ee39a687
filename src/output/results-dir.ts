import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { SimError } from '../core/sim-error.js';

/** `yyyymmdd-HHMMSS` in UTC, as design.md names results folders. */
function formatRunStamp(atMs: number): string {
  const d = new Date(atMs);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/**
 * Creates the results folder: `--out DIR` when given (refused if it already
 * holds files, so no run overwrites another), else
 * `results/<stamp>-<name>/`, with `-2`, `-3`... when that exists.
 */
export function createResultsDir(opts: { out?: string; baseDir?: string; name: string; startedAtMs: number }): string {
  if (opts.out) {
    if (existsSync(opts.out) && !statSync(opts.out).isDirectory()) {
      throw new SimError('INPUT', `--out ${opts.out} is a file`, {
        hint: 'name a new or empty folder for the results',
      });
    }
    if (existsSync(opts.out) && readdirSync(opts.out).length > 0) {
      throw new SimError('INPUT', `--out ${opts.out} already holds files`, {
        hint: 'results are never overwritten: name a new or empty folder',
      });
    }
    try {
      mkdirSync(opts.out, { recursive: true });
    } catch (err) {
      throw new SimError(
        'INPUT',
        `--out ${opts.out}: cannot create the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        { hint: 'name a new or empty folder you can write to' },
      );
    }
    return opts.out;
  }
  const base = opts.baseDir ?? 'results';
  const safe = opts.name.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80);
  const stem = join(base, `${formatRunStamp(opts.startedAtMs)}-${safe}`);
  for (let i = 1; ; i++) {
    const dir = i === 1 ? stem : `${stem}-${i}`;
    try {
      mkdirSync(base, { recursive: true });
      mkdirSync(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new SimError('GENERATOR', `cannot create results folder ${dir}: ${(err as Error).message}`);
    }
  }
}

/** Writes a file so that readers see the old state or the whole new one, never half (temp file, then rename). */
export function writeFileAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
