/**
 * What the isolation oracle is told about a frame or answer: who received it,
 * the owner fields the frame reader found in it, and the ids of the
 * receiver's run already shown to be its own. Shared by both oracles and the
 * runtime's per-frame path.
 */

/** The simulated user a frame or answer reached. */
export interface Receiver {
  readonly userId: string;
  readonly userIndex: number;
  readonly cohort: string;
  readonly connection?: string;
}

/** The owner fields of a frame, as the frame reader found them. */
export interface OwnerFields {
  readonly type: string;
  readonly userId: string | undefined;
  readonly threadId: string | undefined;
  readonly runId: string | undefined;
  readonly messageId: string | undefined;
}

/**
 * Ids of one run that the ledger showed to be its user's own (a RunRecord
 * carries them). Ownership is first-claim-wins and never changes hands, so
 * the same id on a later frame of the same run needs no second look-up.
 */
export interface VerifiedIds {
  verifiedThread: string | undefined;
  verifiedRun: string | undefined;
}
