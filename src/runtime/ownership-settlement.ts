import { CanaryCodec } from '../core/canary.js';
import { IsolationOracle } from '../core/isolation-oracle.js';
import type { PendingObservation } from '../core/pending-observations.js';
import { OwnershipLedger, type LedgerExport } from '../core/ownership-ledger.js';
import { UserDirectory } from '../core/user-directory.js';
import type { DirectoryLayout } from '../output/ownership-file.js';
import type { ViolationCollector } from '../output/violation-log.js';

/** What settling ownership across workers or generators takes. */
export interface SettlementInput {
  readonly directory: DirectoryLayout;
  readonly runTag: string;
  /** Every worker's (or generator's) ledger: together they know every owner. */
  readonly ledgers: readonly LedgerExport[];
  /** Ids each saw and could not own alone. */
  readonly pending: readonly PendingObservation[];
  /** Pending ids dropped at a worker's cap: counted as unattributed. */
  readonly pendingDropped?: number;
  /** Holds every line found so far; a settled id amends its frame's line or adds one. */
  readonly collector: ViolationCollector;
  /** Starts the ids of violations found now, unique within the run. */
  readonly idPrefix: string;
}

/** What settling found. */
export interface Settlement {
  readonly ledger: OwnershipLedger;
  /** Ids still unowned, for a later merge with other generators. */
  readonly unresolved: PendingObservation[];
  /** Ids no simulated user owns (dropped ones included). */
  readonly unattributed: number;
}

/**
 * Settles the ids no single worker or generator could own alone against
 * everyone's ledgers: a frame whose id belongs to another user becomes an
 * isolation violation (one line, the settled reason added to it when it was
 * one already). `simulate run` settles across its workers, `simulate merge`
 * across the segments of a run.
 */
export function settleOwnership(input: SettlementInput): Settlement {
  const d = input.directory;
  const directory = new UserDirectory(
    { prefix: d.prefix, runTag: input.runTag, ...(d.ids ? { ids: d.ids } : {}) },
    d.cohorts,
    d.fixedIdOffsets,
  );
  const ledger = new OwnershipLedger(directory);
  for (const e of input.ledgers) ledger.import(e);
  const oracle = new IsolationOracle(ledger, new CanaryCodec(input.runTag), input.collector.sink, {
    idPrefix: input.idPrefix,
    amend: input.collector.amend,
  });
  const unresolved = oracle.finish(input.pending, input.pendingDropped ?? 0);
  return { ledger, unresolved, unattributed: oracle.unattributed };
}
