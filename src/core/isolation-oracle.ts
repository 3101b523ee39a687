import type { CanaryCodec } from './canary.js';
import type { OwnershipLedger } from './ownership-ledger.js';
import type { Violation, ViolationSink } from './violation.js';
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
  readonly kind: 'foreign_thread' | 'foreign_run' | 'rest_foreign_listing';
  readonly id: string;
  readonly shortened: boolean;
  readonly rx: Receiver;
  readonly atMs: number;
  readonly channel: 'ws' | 'rest';
  readonly text: string;
}

const PENDING_MAX = 10_000;
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

const OWN = 0;
const FOREIGN = 1;
const UNKNOWN = 2;
type IdVerdict = typeof OWN | typeof FOREIGN | typeof UNKNOWN;

/**
 * Decides, for every frame and REST answer a simulated user receives, whether
 * it carries another user's data (protocol.md "What counts as reaching the
 * wrong user"). Ids nobody owns yet are kept and settled at the end, when
 * every user has claimed what is theirs; those still unowned are counted as
 * `unattributed`, not as leaks.
 */
export class IsolationOracle {
  private readonly pending: PendingObservation[] = [];
  private pendingDropped = 0;
  unattributed = 0;

  constructor(private readonly ledger: OwnershipLedger, private readonly codec: CanaryCodec, private readonly sink: ViolationSink) {}

  /**
   * Checks one WebSocket frame. `ownRun` is the receiver's run it was
   * correlated to, if any; `hasSent` whether the receiver ever sent a message
   * (a user that never did is a sentinel: any run event reaching it is a leak).
   * A thread or run id the ledger has shown to be the receiver's once is not
   * looked up again for the same run's later frames.
   */
  checkFrame(rx: Receiver, f: OwnerFields, text: string, ownRun: VerifiedIds | undefined, hasSent: boolean, atMs: number): number {
    let found = 0;
    if (f.userId !== undefined && f.userId !== rx.userId) {
      const prefix = shortPrefix(f.userId);
      if (prefix === undefined || !rx.userId.startsWith(prefix)) {
        found++;
        const owner = prefix === undefined ? f.userId : this.ledger.userByPrefix(prefix) ?? f.userId;
        this.emit({ kind: 'foreign_user_id', rx, owner, field: 'user_id', value: f.userId, channel: 'ws', atMs, text });
      }
    }
    if (f.threadId !== undefined && f.threadId !== ownRun?.verifiedThread) {
      const r = this.checkId('foreign_thread', 'thread', f.threadId, rx, atMs, 'ws', text);
      if (r === FOREIGN) found++;
      else if (r === OWN && ownRun) ownRun.verifiedThread = f.threadId;
    }
    if (f.runId !== undefined && f.runId !== ownRun?.verifiedRun) {
      const r = this.checkId('foreign_run', 'run', f.runId, rx, atMs, 'ws', text);
      if (r === FOREIGN) found++;
      else if (r === OWN && ownRun) ownRun.verifiedRun = f.runId;
    }
    if (f.messageId !== undefined && !ownRun) {
      const owner = this.ledger.messageOwner(f.messageId);
      if (owner !== undefined && !this.ledger.isUser(owner, rx.userIndex, rx.userId) && found === 0) {
        found++;
        this.emit({ kind: 'foreign_run', rx, owner, field: 'message_id', value: f.messageId, channel: 'ws', atMs, text });
      }
    }
    found += this.scanCanaries(rx, text, atMs, 'ws');
    if (found === 0 && !hasSent && !ownRun && RUN_EVENT_RE.test(f.type)) {
      found++;
      this.emit({ kind: 'foreign_run', rx, owner: undefined, field: 'type', value: f.type, channel: 'ws', atMs, text });
    }
    return found;
  }

  /** Checks a listing of threads answered to `rx`: other users' threads and canaries. */
  checkListing(rx: Receiver, threads: readonly unknown[], text: string, atMs: number, op: string): number {
    let found = 0;
    for (const t of threads) {
      const id = (t as { id?: unknown } | null)?.id;
      if (typeof id !== 'string') continue;
      const owner = this.ledger.threadOwner(id);
      if (owner === undefined) this.defer({ kind: 'rest_foreign_listing', id, shortened: false, rx, atMs, channel: 'rest', text });
      else if (!this.ledger.isUser(owner, rx.userIndex, rx.userId)) {
        found++;
        this.emit({ kind: 'rest_foreign_listing', rx, owner, field: 'id', value: id, channel: 'rest', atMs, text, op });
      }
    }
    return found + this.scanCanaries(rx, text, atMs, 'rest', op);
  }

  /** Checks any other REST answer for other users' canaries. */
  checkBody(rx: Receiver, text: string, atMs: number, op: string): number {
    return this.scanCanaries(rx, text, atMs, 'rest', op);
  }

  /** A probe read of another user's thread was answered 2xx. */
  reportCrossUserRead(rx: Receiver, threadId: string, owner: number, op: string, status: number, text: string, atMs: number): void {
    this.emit({ kind: 'rest_cross_user_read', rx, owner, field: 'thread_id', value: threadId, channel: 'rest', atMs, text: `HTTP ${status} ${text}`, op });
  }

  /** A forged or stolen credential was accepted. */
  reportAuthBypass(rx: Receiver, probe: string, channel: 'ws' | 'rest', evidence: string, atMs: number): void {
    this.emit({ kind: 'auth_bypass', rx, owner: undefined, field: 'probe', value: probe, channel, atMs, text: evidence, op: probe });
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
   * every user has finished. Returns the observations still unowned (counted
   * as unattributed), which a merge with other generators may yet settle.
   */
  finish(extra: readonly PendingObservation[] = [], extraDropped = 0): PendingObservation[] {
    this.pendingDropped += extraDropped;
    const unresolved: PendingObservation[] = [];
    for (const p of [...this.pending.splice(0), ...extra]) {
      const kind = p.kind === 'rest_foreign_listing' ? 'thread' : p.kind === 'foreign_thread' ? 'thread' : 'run';
      const owner = p.shortened ? this.ledger.ownerByPrefix(kind, shortPrefix(p.id)!, p.rx.userIndex) : kind === 'thread' ? this.ledger.threadOwner(p.id) : this.ledger.runOwner(p.id);
      if (owner === undefined) { this.unattributed++; unresolved.push(p); }
      else if (!this.ledger.isUser(owner, p.rx.userIndex, p.rx.userId)) this.emit({ kind: p.kind, rx: p.rx, owner, field: kind === 'thread' ? 'thread_id' : 'run_id', value: p.id, channel: p.channel, atMs: p.atMs, text: p.text });
    }
    this.unattributed += this.pendingDropped;
    this.pendingDropped = 0;
    return unresolved;
  }

  /** OWN, FOREIGN (reported), or UNKNOWN (kept to be settled at the end). */
  private checkId(kind: 'foreign_thread' | 'foreign_run', what: 'thread' | 'run', id: string, rx: Receiver, atMs: number, channel: 'ws' | 'rest', text: string): IdVerdict {
    const prefix = shortPrefix(id);
    const owner = prefix !== undefined ? this.ledger.ownerByPrefix(what, prefix, rx.userIndex) : what === 'thread' ? this.ledger.threadOwner(id) : this.ledger.runOwner(id);
    if (owner === undefined) {
      this.defer({ kind, id, shortened: prefix !== undefined, rx, atMs, channel, text });
      return UNKNOWN;
    }
    // A shortened id is only a likely match: it is checked on every frame.
    if (this.ledger.isUser(owner, rx.userIndex, rx.userId)) return prefix === undefined ? OWN : UNKNOWN;
    this.emit({ kind, rx, owner, field: what === 'thread' ? 'thread_id' : 'run_id', value: id, channel, atMs, text });
    return FOREIGN;
  }

  private scanCanaries(rx: Receiver, text: string, atMs: number, channel: 'ws' | 'rest', op?: string): number {
    let found = 0;
    let lastOwner = -1;
    const codec = this.codec;
    for (let at = codec.findNext(text, 0, rx.userIndex); at !== -1; at = codec.findNext(text, at, rx.userIndex)) {
      // One violation per foreign owner per frame is evidence enough.
      if (codec.lastUser === lastOwner || this.ledger.isUser(codec.lastUser, rx.userIndex, rx.userId)) continue;
      lastOwner = codec.lastUser;
      found++;
      this.emit({ kind: 'foreign_canary', rx, owner: codec.lastUser, field: 'canary', value: codec.encode(codec.lastUser, codec.lastSeq), channel, atMs, text, ...(op ? { op } : {}) });
    }
    return found;
  }

  private defer(p: PendingObservation): void {
    // Kept until the end: only as much of the frame as evidence needs.
    if (this.pending.length < PENDING_MAX) this.pending.push(p.text.length > EVIDENCE_CHARS ? { ...p, text: cutText(p.text, EVIDENCE_CHARS) } : p);
    else this.pendingDropped++;
  }

  private emit(e: { kind: string; rx: Receiver; owner: number | string | undefined; field: string; value: string; channel: 'ws' | 'rest'; atMs: number; text: string; op?: string }): void {
    const owner = typeof e.owner === 'number' ? this.ledger.userAt(e.owner) : e.owner;
    const v: Violation = {
      class: 'isolation', kind: e.kind, atMs: e.atMs, cohort: e.rx.cohort,
      receiver: { user: e.rx.userId, ...(e.rx.connection ? { connection: e.rx.connection } : {}) },
      ...(owner !== undefined ? { owner } : {}), field: e.field, value: e.value, channel: e.channel,
      ...(e.op ? { op: e.op } : {}), frame: e.text,
    };
    this.sink(v);
  }
}
