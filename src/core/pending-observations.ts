/**
 * Ids seen before anyone claimed them: how the isolation oracle keeps them
 * (tied to their frame, with as much of it as evidence needs, up to a cap),
 * and how they are judged once every user has claimed what is theirs, here
 * or after a merge across workers or generators.
 */
import type { Receiver } from './isolation-types.js';
import { reasonWithOwner, shortPrefix } from './isolation-evidence.js';
import type { OwnershipLedger } from './ownership-ledger.js';
import { cutText } from './redact.js';
import { computeDistinctKinds, type ViolationReason } from './violation.js';

/** An id seen before anyone claimed it, settled when every user has finished. */
export interface PendingObservation {
  /**
   * The frame or answer it was seen in (unique within a run): however many of
   * a frame's ids settle as foreign, the frame is one violation. Absent in
   * ownership files written before frames were counted as one.
   */
  readonly frameId?: string;
  /** Kinds the frame was reported with already; absent while it is no violation. */
  readonly reported?: readonly string[];
  /** `foreign_reference`: a run-shaped token in a text, unclaimed when seen; dropped, not unattributed, if nobody claims it. */
  readonly kind: 'foreign_thread' | 'foreign_run' | 'rest_foreign_listing' | 'foreign_reference';
  readonly id: string;
  readonly shortened: boolean;
  readonly rx: Receiver;
  readonly atMs: number;
  readonly channel: 'ws' | 'rest';
  readonly op?: string;
  readonly text: string;
}

/** An unclaimed id of the frame being checked, before the frame is settled (it has no frame id yet). */
export type DeferredObservation = Omit<PendingObservation, 'frameId' | 'reported'>;

const PENDING_MAX = 10_000;
const EVIDENCE_CHARS = 2048;

/**
 * Keeps a settled frame's unclaimed ids in `pending`, tied to `frameId` and
 * to the kinds it was reported with (none when `reasons` is undefined).
 * Returns how many were dropped at the cap and count as unattributed.
 */
export function keepPending(
  pending: PendingObservation[],
  deferred: readonly DeferredObservation[],
  frameId: string,
  reasons: readonly ViolationReason[] | undefined,
  op: string | undefined,
  text: string,
): number {
  let dropped = 0;
  const reported = reasons ? computeDistinctKinds(reasons) : undefined;
  // Kept until the end: only as much of the frame as evidence needs, once for all its ids.
  const kept = text.length > EVIDENCE_CHARS ? cutText(text, EVIDENCE_CHARS) : text;
  for (const d of deferred) {
    if (pending.length >= PENDING_MAX) {
      // A dropped run-shaped token was never shown to be an id: not unattributed.
      if (d.kind !== 'foreign_reference') dropped++;
      continue;
    }
    pending.push({
      ...d,
      frameId,
      ...(reported ? { reported } : {}),
      ...(op !== undefined ? { op } : {}),
      text: kept,
    });
  }
  return dropped;
}

/**
 * Observations grouped by the frame they were seen in, in order of first
 * appearance; each one without a frame id (older ownership files) alone.
 */
export function groupByFrame(observations: readonly PendingObservation[]): Map<string, PendingObservation[]> {
  const groups = new Map<string, PendingObservation[]>();
  let legacy = 0;
  for (const p of observations) {
    const key = p.frameId ?? `legacy:${legacy++}`;
    const g = groups.get(key);
    if (g) g.push(p);
    else groups.set(key, [p]);
  }
  return groups;
}

/**
 * Judges one frame's observations against a ledger every user has claimed
 * its own in: returns a reason per id that belongs to another user, and
 * pushes those still unowned to `open`. A run-shaped token nobody claimed was
 * just text: dropped, neither a reason nor open.
 */
export function judgePendingFrame(
  ledger: OwnershipLedger,
  group: readonly PendingObservation[],
  open: PendingObservation[],
): ViolationReason[] | undefined {
  let reasons: ViolationReason[] | undefined;
  for (const p of group) {
    if (p.kind === 'foreign_reference') {
      const owner = ledger.runOwner(p.id);
      if (owner !== undefined && !ledger.isUser(owner, p.rx.userIndex, p.rx.userId))
        (reasons ??= []).push(reasonWithOwner(ledger, 'foreign_reference', 'run', p.id, owner));
      continue;
    }
    const what = p.kind === 'foreign_run' ? 'run' : 'thread';
    const owner = p.shortened
      ? ledger.ownerByPrefix(what, shortPrefix(p.id)!, p.rx.userIndex)
      : what === 'thread'
        ? ledger.threadOwner(p.id)
        : ledger.runOwner(p.id);
    if (owner === undefined) open.push(p);
    else if (!ledger.isUser(owner, p.rx.userIndex, p.rx.userId))
      (reasons ??= []).push(
        reasonWithOwner(ledger, p.kind, p.kind === 'rest_foreign_listing' ? 'id' : `${what}_id`, p.id, owner),
      );
  }
  return reasons;
}
