/**
 * The isolation oracle: decides for every frame and REST answer a simulated
 * user receives whether it carries another user's data, and reports what
 * probes got at. Evidence is read and worded in isolation-evidence.ts; ids
 * nobody owned yet are kept and settled as pending-observations.ts says.
 */
import type { CanaryCodec } from './canary.js';
import type { OwnerFields, Receiver, VerifiedIds } from './isolation-types.js';
import {
  computeIsolationViolation,
  reasonWithOwner,
  scanCanaries,
  scanReferences,
  shortPrefix,
  type ReferenceKeeper,
} from './isolation-evidence.js';
import type { OwnershipLedger } from './ownership-ledger.js';
import {
  groupByFrame,
  judgePendingFrame,
  keepPending,
  type DeferredObservation,
  type PendingObservation,
} from './pending-observations.js';
import { computeDistinctKinds, type ViolationAmender, type ViolationReason, type ViolationSink } from './violation.js';

/** How the oracle names what it reports, and where reasons settled late go. */
export interface IsolationOracleOptions {
  /** Starts every violation id, so ids of workers and generators never collide (e.g. the segment `3/8` → `3.8.`). */
  readonly idPrefix?: string;
  /** Receives reasons settled at the end for a frame that is a violation already. */
  readonly amend?: ViolationAmender;
}

/** Run-shaped tokens kept at most (a backend's frames may carry many ids of its own that no user claims). */
const REFERENCES_MAX = 5_000;
const RUN_EVENT_RE = /^(agent_|tool_)/;

/**
 * Decides, for every frame and REST answer a simulated user receives, whether
 * it carries another user's data (protocol.md "What counts as reaching the
 * wrong user"). A leaked frame or answer is one violation carrying every
 * reason found in it. Ids nobody owns yet are kept and settled at the end,
 * when every user has claimed what is theirs; those still unowned are
 * counted as `unattributed`, not as leaks.
 */
export class IsolationOracle implements ReferenceKeeper {
  private readonly pending: PendingObservation[] = [];
  private pendingDropped = 0;
  private seq = 0;
  private readonly idPrefix: string;
  private readonly amend: ViolationAmender | undefined;
  /** Ids of this frame not claimed by anyone yet (rare: reset per frame, allocated only when one is seen). */
  private deferred: DeferredObservation[] | undefined;
  private referencesKept = 0;
  unattributed = 0;

  constructor(
    private readonly ledger: OwnershipLedger,
    private readonly codec: CanaryCodec,
    private readonly sink: ViolationSink,
    opts: IsolationOracleOptions = {},
  ) {
    this.idPrefix = opts.idPrefix ?? '';
    this.amend = opts.amend;
  }

  /**
   * Checks one WebSocket frame; returns 1 when it is a violation, else 0.
   * `ownRun` is the receiver's run it was correlated to, if any; `hasSent`
   * whether the receiver ever sent a message (a user that never did is a
   * sentinel: any run event reaching it is a leak). A thread or run id the
   * ledger has shown to be the receiver's once is not looked up again for
   * the same run's later frames. `op` names a probe whose answer it is.
   */
  checkFrame(
    rx: Receiver,
    f: OwnerFields,
    text: string,
    ownRun: VerifiedIds | undefined,
    hasSent: boolean,
    atMs: number,
    op?: string,
  ): number {
    let reasons: ViolationReason[] | undefined;
    if (f.userId !== undefined && f.userId !== rx.userId) {
      const prefix = shortPrefix(f.userId);
      if (prefix === undefined || !rx.userId.startsWith(prefix)) {
        const owner = prefix === undefined ? f.userId : (this.ledger.userByPrefix(prefix) ?? f.userId);
        (reasons ??= []).push({ kind: 'foreign_user_id', field: 'user_id', value: f.userId, owner });
      }
    }
    if (f.threadId !== undefined && f.threadId !== ownRun?.verifiedThread) {
      const owner = this.checkId('foreign_thread', 'thread', f.threadId, rx, atMs, 'ws', text);
      if (owner === OWN_VERIFIED) {
        if (ownRun) ownRun.verifiedThread = f.threadId;
      } else if (owner >= 0)
        (reasons ??= []).push(reasonWithOwner(this.ledger, 'foreign_thread', 'thread_id', f.threadId, owner));
    }
    if (f.runId !== undefined && f.runId !== ownRun?.verifiedRun) {
      const owner = this.checkId('foreign_run', 'run', f.runId, rx, atMs, 'ws', text);
      if (owner === OWN_VERIFIED) {
        if (ownRun) ownRun.verifiedRun = f.runId;
      } else if (owner >= 0)
        (reasons ??= []).push(reasonWithOwner(this.ledger, 'foreign_run', 'run_id', f.runId, owner));
    }
    if (f.messageId !== undefined && !ownRun) {
      const owner = this.ledger.messageOwner(f.messageId);
      if (owner !== undefined && !this.ledger.isUser(owner, rx.userIndex, rx.userId))
        (reasons ??= []).push(reasonWithOwner(this.ledger, 'foreign_run', 'message_id', f.messageId, owner));
    }
    reasons = scanCanaries(this.codec, this.ledger, rx, text, reasons);
    reasons = scanReferences(this.ledger, this, this.referencesKept < REFERENCES_MAX, rx, text, f, reasons, atMs, 'ws');
    if (reasons === undefined && !hasSent && !ownRun && RUN_EVENT_RE.test(f.type)) {
      reasons = [{ kind: 'foreign_run', field: 'type', value: f.type }];
    }
    return this.settleFrame(rx, reasons, atMs, 'ws', text, op);
  }

  /** Checks a listing of threads answered to `rx` (one answer, one violation at most): other users' threads and canaries. */
  checkListing(
    rx: Receiver,
    items: ReadonlyArray<{ readonly id: string; readonly owner?: string | undefined }>,
    text: string,
    atMs: number,
    op: string,
  ): number {
    let reasons: ViolationReason[] | undefined;
    for (const item of items) {
      const id = item.id;
      // The backend's own owner field (an adapter's restOwner), where it has one, names someone else.
      if (item.owner !== undefined && item.owner !== rx.userId) {
        (reasons ??= []).push({ kind: 'rest_foreign_listing', field: 'owner', value: item.owner, owner: item.owner });
        continue;
      }
      const owner = this.ledger.threadOwner(id);
      if (owner === undefined)
        (this.deferred ??= []).push({
          kind: 'rest_foreign_listing',
          id,
          shortened: false,
          rx,
          atMs,
          channel: 'rest',
          op,
          text,
        });
      else if (!this.ledger.isUser(owner, rx.userIndex, rx.userId))
        (reasons ??= []).push(reasonWithOwner(this.ledger, 'rest_foreign_listing', 'id', id, owner));
    }
    const shaped = this.referencesKept < REFERENCES_MAX;
    reasons = scanCanaries(this.codec, this.ledger, rx, text, reasons);
    reasons = scanReferences(this.ledger, this, shaped, rx, text, undefined, reasons, atMs, 'rest');
    return this.settleFrame(rx, reasons, atMs, 'rest', text, op);
  }

  /** Checks a frame that could not be read (not JSON, not an object) as text: other users' canaries and ids anywhere in it. */
  checkText(rx: Receiver, text: string, atMs: number): number {
    const shaped = this.referencesKept < REFERENCES_MAX;
    let reasons = scanCanaries(this.codec, this.ledger, rx, text, undefined);
    reasons = scanReferences(this.ledger, this, shaped, rx, text, undefined, reasons, atMs, 'ws');
    return this.settleFrame(rx, reasons, atMs, 'ws', text, undefined);
  }

  /** Checks any other REST answer for other users' canaries and ids. */
  checkBody(rx: Receiver, text: string, atMs: number, op: string, asked?: string): number {
    // The id the request itself named (a probe's target) is no news to the one who asked: an error may echo it.
    const f =
      asked === undefined
        ? undefined
        : { type: '', userId: undefined, threadId: asked, runId: asked, messageId: undefined };
    const shaped = this.referencesKept < REFERENCES_MAX;
    let reasons = scanCanaries(this.codec, this.ledger, rx, text, undefined);
    reasons = scanReferences(this.ledger, this, shaped, rx, text, f, reasons, atMs, 'rest');
    return this.settleFrame(rx, reasons, atMs, 'rest', text, op);
  }

  /** A probe read of another user's thread was answered 2xx. */
  reportCrossUserRead(
    rx: Receiver,
    threadId: string,
    owner: number,
    op: string,
    status: number,
    text: string,
    atMs: number,
  ): void {
    this.reportCrossUserAccess(rx, 'thread_id', threadId, owner, op, 'rest', `HTTP ${status} ${text}`, atMs);
  }

  /**
   * A probe got at another user's thread or run by a route the adapter
   * declares: an answer, a stream or a subscription was let through;
   * `evidence` is what came back (an answer, a frame, the accepted upgrade).
   */
  reportCrossUserAccess(
    rx: Receiver,
    field: 'thread_id' | 'run_id',
    id: string,
    owner: number,
    op: string,
    channel: 'ws' | 'rest',
    evidence: string,
    atMs: number,
  ): void {
    const reason = reasonWithOwner(this.ledger, 'rest_cross_user_read', field, id, owner);
    this.sink(computeIsolationViolation(this.nextId(), [reason], rx, atMs, channel, evidence, op));
  }

  /** A forged or stolen credential was accepted. */
  reportAuthBypass(rx: Receiver, probe: string, channel: 'ws' | 'rest', evidence: string, atMs: number): void {
    const reason = { kind: 'auth_bypass', field: 'probe', value: probe };
    this.sink(computeIsolationViolation(this.nextId(), [reason], rx, atMs, channel, evidence, probe));
  }

  /**
   * Hands over the ids still unknown, for a merge across workers or
   * generators to settle with everyone's ledger (instead of {@link finish}).
   */
  takePending(): { pending: PendingObservation[]; dropped: number } {
    const out = { pending: this.pending.splice(0), dropped: this.pendingDropped };
    this.pendingDropped = 0;
    return out;
  }

  /**
   * Settles ids that were unknown when seen (own or handed over); call once
   * every user has finished. A frame none of whose reasons was known yet
   * becomes one violation with every foreign id it named; a frame that was a
   * violation already gets the new reasons added (see the amender). Returns
   * the observations still unowned (counted as unattributed), which a merge
   * with other generators may yet settle.
   */
  finish(extra: readonly PendingObservation[] = [], extraDropped = 0): PendingObservation[] {
    this.pendingDropped += extraDropped;
    const unresolved: PendingObservation[] = [];
    for (const [key, group] of groupByFrame([...this.pending.splice(0), ...extra])) {
      const open: PendingObservation[] = [];
      const reasons = judgePendingFrame(this.ledger, group, open);
      this.unattributed += open.length;
      let reported = group[0]!.reported;
      if (reasons) {
        const first = group[0]!;
        if (reported && first.frameId !== undefined) {
          const fresh = computeDistinctKinds(reasons).filter((k) => !reported!.includes(k));
          this.amend?.(first.frameId, first.rx.cohort, reasons, fresh);
          reported = [...reported, ...fresh];
        } else {
          const id = first.frameId ?? this.nextId();
          this.sink(computeIsolationViolation(id, reasons, first.rx, first.atMs, first.channel, first.text, first.op));
          reported = computeDistinctKinds(reasons);
        }
      }
      for (const p of open)
        unresolved.push(reported === p.reported ? p : { ...p, frameId: p.frameId ?? key, reported });
    }
    this.unattributed += this.pendingDropped;
    this.pendingDropped = 0;
    return unresolved;
  }

  /**
   * The owner number of a foreign id (>= 0), OWN_VERIFIED when it is the
   * receiver's own (not shortened), or NOT_FOREIGN otherwise: own but only
   * likely (a shortened id is checked on every frame), or unknown (kept to
   * be settled at the end).
   */
  private checkId(
    kind: 'foreign_thread' | 'foreign_run',
    what: 'thread' | 'run',
    id: string,
    rx: Receiver,
    atMs: number,
    channel: 'ws' | 'rest',
    text: string,
  ): number {
    const prefix = shortPrefix(id);
    const owner =
      prefix !== undefined
        ? this.ledger.ownerByPrefix(what, prefix, rx.userIndex)
        : what === 'thread'
          ? this.ledger.threadOwner(id)
          : this.ledger.runOwner(id);
    if (owner === undefined) {
      (this.deferred ??= []).push({ kind, id, shortened: prefix !== undefined, rx, atMs, channel, text });
      return NOT_FOREIGN;
    }
    if (this.ledger.isUser(owner, rx.userIndex, rx.userId)) return prefix === undefined ? OWN_VERIFIED : NOT_FOREIGN;
    return owner;
  }

  /** ReferenceKeeper: keeps a run-shaped token nobody claimed yet, unless the frame names it as its own run, thread or message. */
  deferReference(
    id: string,
    f: OwnerFields | undefined,
    rx: Receiver,
    atMs: number,
    channel: 'ws' | 'rest',
    text: string,
  ): void {
    if (f !== undefined && (id === f.runId || id === f.threadId || id === f.messageId)) return;
    const deferred = (this.deferred ??= []);
    for (const d of deferred) if (d.id === id) return;
    this.referencesKept++;
    deferred.push({ kind: 'foreign_reference', id, shortened: false, rx, atMs, channel, text });
  }

  /** Reports the frame's reasons as one violation, and keeps its unknown ids tied to it. */
  private settleFrame(
    rx: Receiver,
    reasons: ViolationReason[] | undefined,
    atMs: number,
    channel: 'ws' | 'rest',
    text: string,
    op: string | undefined,
  ): number {
    const deferred = this.deferred;
    if (reasons === undefined && deferred === undefined) return 0;
    this.deferred = undefined;
    const frameId = this.nextId();
    if (reasons) this.sink(computeIsolationViolation(frameId, reasons, rx, atMs, channel, text, op));
    if (deferred) this.pendingDropped += keepPending(this.pending, deferred, frameId, reasons, op, text);
    return reasons ? 1 : 0;
  }

  private nextId(): string {
    return `${this.idPrefix}${(++this.seq).toString(36)}`;
  }
}

/** checkId: the id is the receiver's own, and may be remembered on its run. */
const OWN_VERIFIED = -2;
/** checkId: not (yet) shown to be foreign. */
const NOT_FOREIGN = -1;
