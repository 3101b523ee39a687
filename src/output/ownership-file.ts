// ownership.json: what a segment of a run leaves for `simulate merge` so the
// ids no single generator could own alone can be settled against everyone's.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PendingObservation } from '../core/pending-observations.js';
import type { LedgerExport } from '../core/ownership-ledger.js';
import { SimError } from '../core/sim-error.js';
import { writeFileAtomic } from './results-dir.js';

/** The file's name in a results folder. */
const OWNERSHIP_FILE = 'ownership.json';

/** How global user numbers map to ids (see UserDirectory): what every generator of a run computes alike. */
export interface DirectoryLayout {
  readonly prefix: string;
  readonly ids?: readonly string[];
  readonly cohorts: readonly string[];
  readonly fixedIdOffsets: readonly number[];
}

/** The ownership facts of one segment (`crosstalk.ownership/1`). */
export interface OwnershipFile {
  readonly schema: 'crosstalk.ownership/1';
  readonly runTag: string;
  readonly segment: string;
  readonly ledger: LedgerExport;
  /** Ids seen and not owned by any user of this segment, evidence redacted and cut like violations.jsonl. */
  readonly unresolved: readonly PendingObservation[];
  readonly directory: DirectoryLayout;
}

/** Writes `<dir>/ownership.json` atomically. */
export function writeOwnershipFile(dir: string, file: OwnershipFile): void {
  writeFileAtomic(join(dir, OWNERSHIP_FILE), JSON.stringify(file));
}

/**
 * Reads `<dir>/ownership.json`; undefined when the folder has none (an
 * unsegmented run writes none). A file that is not JSON or not of this
 * schema is bad input.
 */
export function readOwnershipFile(dir: string): OwnershipFile | undefined {
  const path = join(dir, OWNERSHIP_FILE);
  if (!existsSync(path)) return undefined;
  let ownership: OwnershipFile;
  try {
    ownership = JSON.parse(readFileSync(path, 'utf8')) as OwnershipFile;
  } catch (err) {
    throw new SimError('INPUT', `${path} is not valid JSON (${(err as Error).message})`, {
      hint: 'each segment writes ownership.json beside its summary; pass complete results folders',
    });
  }
  if (
    ownership?.schema !== 'crosstalk.ownership/1' ||
    !ownership.ledger ||
    !Array.isArray(ownership.unresolved) ||
    !ownership.directory
  ) {
    throw new SimError('INPUT', `${path} is not a crosstalk ownership file (schema crosstalk.ownership/1)`);
  }
  return ownership;
}
