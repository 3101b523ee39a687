import type { CanaryCodec } from './canary.js';
import { ID_KIND } from './id-index.js';
import type { OwnershipLedger } from './ownership-ledger.js';
import {
  computeDistinctKinds,
  type Violation,
  type ViolationAmender,
  type ViolationReason,
  type ViolationSink,
} from './violation.js';
import { cutText } from './redact.js';

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

/** How the oracle names what it reports, and where reasons settled late go. */
export interface IsolationOracleOptions {
  /** Starts every violation id, so ids of workers and generators never collide (e.g. the segment `3/8` → `3.8.`). */
  readonly idPrefix?: string;
  /** Receives reasons settled at the end for a frame that is a violation already. */
  readonly amend?: ViolationAmender;
}

const PENDING_MAX = 10_000;
/** Run-shaped tokens kept at most (a backend's frames may carry many ids of its own that no user claims). */
const REFERENCES_MAX = 5_000;
const EVIDENCE_CHARS = 2048;
const RUN_EVENT_RE = /^(agent_|tool_)/;

function shortPrefix(id: string): string | undefined {
  if (id.endsWith('...')) return id.slice(0, -3);
  if (id.endsWith('…')) return id.slice(0, -1);
  return undefined;
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

type Deferred = Omit<PendingObservation, 'frameId' | 'reported'>;

/**
 * Decides, for every frame and REST answer a simulated user receives, whether
 * it carries another user's data (protocol.md "What counts as reaching the
 * wrong user"). A leaked frame or answer is one violation carrying every
 * reason found in it. Ids nobody owns yet are kept and settled at the end,
 * when every user has claimed what is theirs; those still unowned are
 * counted as `unattributed`, not as leaks.
 */
export class IsolationOracle {
  private readonly pending: PendingObservation[] = [];
  private pendingDropped = 0;
  private seq = 0;
  private readonly idPrefix: string;
  private readonly amend: ViolationAmender | undefined;
  /** Ids of this frame not claimed by anyone yet (rare: reset per frame, allocated only when one is seen). */
  private deferred: Deferred[] | undefined;
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
      } else if (owner >= 0) (reasons ??= []).push(this.reason('foreign_thread', 'thread_id', f.threadId, owner));
    }
    if (f.runId !== undefined && f.runId !== ownRun?.verifiedRun) {
      const owner = this.checkId('foreign_run', 'run', f.runId, rx, atMs, 'ws', text);
      if (owner === OWN_VERIFIED) {
        if (ownRun) ownRun.verifiedRun = f.runId;
      } else if (owner >= 0) (reasons ??= []).push(this.reason('foreign_run', 'run_id', f.runId, owner));
    }
    if (f.messageId !== undefined && !ownRun) {
      const owner = this.ledger.messageOwner(f.messageId);
      if (owner !== undefined && !this.ledger.isUser(owner, rx.userIndex, rx.userId))
        (reasons ??= []).push(this.reason('foreign_run', 'message_id', f.messageId, owner));
    }
    reasons = this.scanCanaries(rx, text, reasons);
    reasons = this.scanReferences(rx, text, f, reasons, atMs, 'ws');
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
        (reasons ??= []).push(this.reason('rest_foreign_listing', 'id', id, owner));
    }
    return this.settleFrame(
      rx,
      this.scanReferences(rx, text, undefined, this.scanCanaries(rx, text, reasons), atMs, 'rest'),
      atMs,
      'rest',
      text,
      op,
    );
  }

  /** Checks a frame that could not be read (not JSON, not an object) as text: other users' canaries and ids anywhere in it. */
  checkText(rx: Receiver, text: string, atMs: number): number {
    return this.settleFrame(
      rx,
      this.scanReferences(rx, text, undefined, this.scanCanaries(rx, text, undefined), atMs, 'ws'),
      atMs,
      'ws',
      text,
      undefined,
    );
  }

  /** Checks any other REST answer for other users' canaries and ids. */
  checkBody(rx: Receiver, text: string, atMs: number, op: string, asked?: string): number {
    // The id the request itself named (a probe's target) is no news to the one who asked: an error may echo it.
    const f =
      asked === undefined
        ? undefined
        : { type: '', userId: undefined, threadId: asked, runId: asked, messageId: undefined };
    return this.settleFrame(
      rx,
      this.scanReferences(rx, text, f, this.scanCanaries(rx, text, undefined), atMs, 'rest'),
      atMs,
      'rest',
      text,
      op,
    );
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
    this.emit(this.nextId(), [this.reason('rest_cross_user_read', field, id, owner)], rx, atMs, channel, evidence, op);
  }

  /** A forged or stolen credential was accepted. */
  reportAuthBypass(rx: Receiver, probe: string, channel: 'ws' | 'rest', evidence: string, atMs: number): void {
    this.emit(
      this.nextId(),
      [{ kind: 'auth_bypass', field: 'probe', value: probe }],
      rx,
      atMs,
      channel,
      evidence,
      probe,
    );
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
    const groups = new Map<string, PendingObservation[]>();
    let legacy = 0;
    for (const p of [...this.pending.splice(0), ...extra]) {
      const key = p.frameId ?? `legacy:${legacy++}`;
      const g = groups.get(key);
      if (g) g.push(p);
      else groups.set(key, [p]);
    }
    const unresolved: PendingObservation[] = [];
    for (const [key, group] of groups) {
      let reasons: ViolationReason[] | undefined;
      const open: PendingObservation[] = [];
      for (const p of group) {
        if (p.kind === 'foreign_reference') {
          // A token that merely looked like a run id, and that nobody claimed, was just text: dropped.
          const owner = this.ledger.runOwner(p.id);
          if (owner !== undefined && !this.ledger.isUser(owner, p.rx.userIndex, p.rx.userId))
            (reasons ??= []).push(this.reason('foreign_reference', 'run', p.id, owner));
          continue;
        }
        const what = p.kind === 'foreign_run' ? 'run' : 'thread';
        const owner = p.shortened
          ? this.ledger.ownerByPrefix(what, shortPrefix(p.id)!, p.rx.userIndex)
          : what === 'thread'
            ? this.ledger.threadOwner(p.id)
            : this.ledger.runOwner(p.id);
        if (owner === undefined) {
          this.unattributed++;
          open.push(p);
        } else if (!this.ledger.isUser(owner, p.rx.userIndex, p.rx.userId)) {
          (reasons ??= []).push(
            this.reason(p.kind, p.kind === 'rest_foreign_listing' ? 'id' : `${what}_id`, p.id, owner),
          );
        }
      }
      let reported = group[0]!.reported;
      if (reasons) {
        const first = group[0]!;
        if (reported && first.frameId !== undefined) {
          const fresh = computeDistinctKinds(reasons).filter((k) => !reported!.includes(k));
          this.amend?.(first.frameId, first.rx.cohort, reasons, fresh);
          reported = [...reported, ...fresh];
        } else {
          this.emit(first.frameId ?? this.nextId(), reasons, first.rx, first.atMs, first.channel, first.text, first.op);
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

  private reason(kind: string, field: string, value: string, owner: number): ViolationReason {
    const id = this.ledger.userAt(owner);
    return id === undefined ? { kind, field, value } : { kind, field, value, owner: id };
  }

  /** Adds one reason per foreign owner whose canary is in `text` (one per owner per frame is evidence enough). */
  private scanCanaries(
    rx: Receiver,
    text: string,
    reasons: ViolationReason[] | undefined,
  ): ViolationReason[] | undefined {
    let lastOwner = -1;
    const codec = this.codec;
    for (let at = codec.findNext(text, 0, rx.userIndex); at !== -1; at = codec.findNext(text, at, rx.userIndex)) {
      if (codec.lastUser === lastOwner || this.ledger.isUser(codec.lastUser, rx.userIndex, rx.userId)) continue;
      lastOwner = codec.lastUser;
      (reasons ??= []).push(
        this.reason('foreign_canary', 'canary', codec.encode(codec.lastUser, codec.lastSeq), codec.lastUser),
      );
    }
    return reasons;
  }

  /**
   * Adds one reason per id of another user found anywhere in `text` (a URL,
   * a citation, a nested list, a double-encoded payload): `foreign_reference`.
   * Ids the frame's owner fields name were judged by the field checks and are
   * not counted twice; one reason per id per frame.
   */
  private scanReferences(
    rx: Receiver,
    text: string,
    f: OwnerFields | undefined,
    reasons: ViolationReason[] | undefined,
    atMs: number,
    channel: 'ws' | 'rest',
  ): ViolationReason[] | undefined {
    const ids = this.ledger.ids;
    let lastId = '';
    // A run only its owner has heard of may be cited before the owner's frame is read: such tokens wait for the end.
    const shaped = this.referencesKept < REFERENCES_MAX;
    for (let at = ids.findNext(text, 0, shaped); at !== -1; at = ids.findNext(text, at, shaped)) {
      if (ids.lastKind === ID_KIND.runShaped) {
        this.deferReference(text.slice(ids.lastStart, ids.lastEnd), f, rx, atMs, channel, text);
        continue;
      }
      const id = ids.lastId;
      if (id === lastId || this.ledger.isUser(ids.lastOwner, rx.userIndex, rx.userId)) continue;
      if (f !== undefined && (id === f.threadId || id === f.runId || id === f.userId)) continue;
      lastId = id;
      (reasons ??= []).push(
        this.reason(
          'foreign_reference',
          ids.lastKind === ID_KIND.thread ? 'thread' : ids.lastKind === ID_KIND.run ? 'run' : 'user',
          id,
          ids.lastOwner,
        ),
      );
    }
    // This run's message ids name their sender: found by their prefix, read in place.
    const p = this.ledger.messageIdPrefix;
    for (let at = text.indexOf(p); at !== -1; at = text.indexOf(p, at + p.length)) {
      let end = at + p.length;
      while (end < text.length && isMessageIdChar(text.charCodeAt(end))) end++;
      const owner = this.ledger.messageOwnerAt(text, at, end);
      if (owner === undefined || this.ledger.isUser(owner, rx.userIndex, rx.userId)) continue;
      const id = text.slice(at, end);
      if (f !== undefined && id === f.messageId) continue;
      (reasons ??= []).push(this.reason('foreign_reference', 'message', id, owner));
    }
    return reasons;
  }

  /** Keeps a run-shaped token nobody claimed yet, unless the frame names it as its own run, thread or message. */
  private deferReference(
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
    if (reasons) this.emit(frameId, reasons, rx, atMs, channel, text, op);
    if (deferred) {
      const reported = reasons ? computeDistinctKinds(reasons) : undefined;
      // Kept until the end: only as much of the frame as evidence needs, once for all its ids.
      const kept = text.length > EVIDENCE_CHARS ? cutText(text, EVIDENCE_CHARS) : text;
      for (const d of deferred) {
        if (this.pending.length >= PENDING_MAX) {
          // A dropped run-shaped token was never shown to be an id: not unattributed.
          if (d.kind !== 'foreign_reference') this.pendingDropped++;
          continue;
        }
        this.pending.push({
          ...d,
          frameId,
          ...(reported ? { reported } : {}),
          ...(op !== undefined ? { op } : {}),
          text: kept,
        });
      }
    }
    return reasons ? 1 : 0;
  }

  private nextId(): string {
    return `${this.idPrefix}${(++this.seq).toString(36)}`;
  }

  private emit(
    id: string,
    reasons: readonly ViolationReason[],
    rx: Receiver,
    atMs: number,
    channel: 'ws' | 'rest',
    text: string,
    op: string | undefined,
  ): void {
    const first = reasons[0]!;
    const v: Violation = {
      id,
      class: 'isolation',
      kind: first.kind,
      kinds: reasons,
      atMs,
      cohort: rx.cohort,
      receiver: { user: rx.userId, ...(rx.connection ? { connection: rx.connection } : {}) },
      ...(first.owner !== undefined ? { owner: first.owner } : {}),
      channel,
      ...(op ? { op } : {}),
      frame: text,
    };
    this.sink(v);
  }
}

/** checkId: the id is the receiver's own, and may be remembered on its run. */
const OWN_VERIFIED = -2;
/** checkId: not (yet) shown to be foreign. */
const NOT_FOREIGN = -1;

/** Digits and `-`: what follows a message id's prefix (formatMessageId). */
function isMessageIdChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 45;
}
