import type { Receiver } from './isolation-types.js';
import { ROLE, type LifecycleGrammar } from './lifecycle-grammar.js';
import { RUN_EVENTS } from './metric-names.js';
import type { ViolationSink } from './violation.js';

/** What one connection has seen of one run. */
export interface ConnLifecycle {
  /** Opened after the run started: it cannot have seen the beginning. */
  readonly partial: boolean;
  /** Seqs 0..29 seen, as bits (runs are short); larger ones in `seqsHigh`. */
  seqMask: number;
  seqsHigh: Set<number> | undefined;
  seqCount: number;
  maxSeq: number;
  /** Run events seen, as bits of their position in RUN_EVENTS. */
  seen: number;
  /** The last run event seen (position in RUN_EVENTS), -1 before any. */
  last: number;
  /** The first pair opened and not closed yet (-1: none), inline: a sequential agent never has more open. */
  openPair0: number;
  openKey0: string | undefined;
  /** Further open pairs, as [pair, key, pair, key, ...]. */
  openMore: Array<number | string | undefined> | undefined;
  /** Closers that came with no opener open, as [pair, key, ...]: their opener is late (out of order) or missing. */
  orphans: Array<number | string | undefined> | undefined;
  ended: boolean;
  /** The end event (position in RUN_EVENTS), once seen; -1 before. */
  endEvent: number;
  /** Completeness has been judged (a little after the terminal event). */
  finalized: boolean;
}

/** The fields of one frame the lifecycle reads (the frame reader's view has them). */
export interface LifecycleFrame {
  /** Canonical type (after aliases). */
  readonly type: string;
  /** Position of `type` in RUN_EVENTS; -1 when it is no run event. */
  readonly event: number;
  readonly seq: number | undefined;
  /** The pair key (e.g. tool_name) of a frame that opens or closes a keyed pair. */
  readonly pairKey: string | undefined;
}

/**
 * Checks each run, per connection, against the scenario's lifecycle grammar
 * (protocol.md's by default): one start event first, body events and pairs
 * in any order in between, each closer after its own opener, one end event
 * last, and the required events shown by a run that completes. With `seq`
 * (when the backend sends it) a repeated seq is a duplicate, a smaller one
 * out of order, and gaps are missing events. No order rule lives anywhere
 * else: the grammar is data, read here by role.
 */
export class LifecycleOracle {
  private readonly roleOf: readonly number[];
  private readonly pairOf: readonly number[];

  constructor(
    private readonly grammar: LifecycleGrammar,
    private readonly sink: ViolationSink,
  ) {
    this.roleOf = grammar.roleOf;
    this.pairOf = grammar.pairOf;
  }

  /** A new per-connection state for a run. */
  static createState(partial: boolean): ConnLifecycle {
    return {
      partial,
      seqMask: 0,
      seqsHigh: undefined,
      seqCount: 0,
      maxSeq: -1,
      seen: 0,
      last: -1,
      openPair0: -1,
      openKey0: undefined,
      openMore: undefined,
      orphans: undefined,
      ended: false,
      endEvent: -1,
      finalized: false,
    };
  }

  /** Observes one frame of a run on one connection. */
  observe(st: ConnLifecycle, f: LifecycleFrame, rx: Receiver, messageId: string, text: string, atMs: number): void {
    const event = f.event;
    const role = event >= 0 ? this.roleOf[event]! : this.grammar.nonRun.has(f.type) ? ROLE.ignored : ROLE.none;
    if (role === ROLE.ignored) return;
    if (role === ROLE.none) return this.report('unknown_event', rx, messageId, text, atMs, f.type || '(no type)');
    const seq = f.seq;
    if (seq !== undefined && !addSeq(st, seq))
      return this.report('duplicate_event', rx, messageId, text, atMs, `seq ${seq}`);
    const late = seq !== undefined && seq < st.maxSeq;
    // A lower seq arriving late is out of order, even after the end.
    if (st.ended && !(late && !st.finalized)) return this.report('event_after_end', rx, messageId, text, atMs, f.type);
    // One violation per frame: a frame found late by its seq is not blamed again by the grammar.
    let blamed = false;
    if (late) {
      this.report('out_of_order', rx, messageId, text, atMs, `seq ${seq} after ${st.maxSeq}`);
      blamed = true;
    } else if (seq !== undefined) {
      st.maxSeq = seq;
    }
    switch (role) {
      case ROLE.start:
        if ((st.seen & this.grammar.startMask) !== 0) {
          if (!blamed) this.report('duplicate_event', rx, messageId, text, atMs, f.type);
        } else if (st.last >= 0 && !blamed) {
          this.report('out_of_order', rx, messageId, text, atMs, `${f.type} after ${RUN_EVENTS[st.last]}`);
        }
        break;
      case ROLE.open:
        if (takeMatch(st, true, this.pairOf[event]!, f.pairKey)) {
          // Its closer came first and is now accounted for.
          if (!blamed)
            this.report(
              'out_of_order',
              rx,
              messageId,
              text,
              atMs,
              `${f.type}${keyText(f.pairKey)} after its ${this.grammar.spec.pairs[this.pairOf[event]!]!.close}`,
            );
        } else {
          pushOpen(st, this.pairOf[event]!, f.pairKey);
        }
        break;
      case ROLE.close:
        // A tab opened mid-run may see the closer of a call opened before it.
        if (!takeMatch(st, false, this.pairOf[event]!, f.pairKey) && !st.partial)
          (st.orphans ??= []).push(this.pairOf[event], f.pairKey);
        break;
      case ROLE.body:
        break;
      default:
        if (!st.ended) {
          st.ended = true;
          st.endEvent = event;
          st.seen |= 1 << event;
          st.last = event;
          // With no seq missing, nothing arriving later can change the verdict (a lower seq would be a duplicate, any
          // other event comes after the end): judge now, and the run need not be kept for the grace period.
          if (st.seqCount === 0 || st.seqCount === st.maxSeq + 1) this.finalize(st, rx, messageId, atMs);
          return;
        }
    }
    st.seen |= 1 << event;
    st.last = event;
  }

  /**
   * Judges whether a connection saw the whole run. Called a little after the
   * terminal event (or when the user moves on), so that an event merely
   * reordered behind the terminal one counts as out of order, not missing.
   * A closer whose opener never came is missing whatever the outcome; the
   * rest (required events, calls left open, seq gaps) only for a run that
   * completed: a failed or stopped run may end anywhere.
   */
  finalize(st: ConnLifecycle, rx: Receiver, messageId: string, atMs: number): void {
    if (st.finalized) return;
    st.finalized = true;
    if (!st.ended || st.partial) return;
    const completed = this.roleOf[st.endEvent] === ROLE.completed;
    if (!completed && st.orphans === undefined) return;
    const missing: string[] = [];
    const pairs = this.grammar.spec.pairs;
    if (st.orphans)
      for (let i = 0; i < st.orphans.length; i += 2)
        missing.push(`${pairs[st.orphans[i] as number]!.open}${keyText(st.orphans[i + 1] as string | undefined)}`);
    if (completed) {
      const lacking = this.grammar.requiredMask & ~st.seen;
      if (lacking !== 0)
        for (let i = 0; i < RUN_EVENTS.length; i++) if ((lacking & (1 << i)) !== 0) missing.push(RUN_EVENTS[i]!);
      if (st.openPair0 >= 0) missing.push(`${pairs[st.openPair0]!.close}${keyText(st.openKey0)}`);
      if (st.openMore)
        for (let i = 0; i < st.openMore.length; i += 2)
          missing.push(`${pairs[st.openMore[i] as number]!.close}${keyText(st.openMore[i + 1] as string | undefined)}`);
      if (st.seqCount > 0 && st.seqCount < st.maxSeq + 1) missing.push(`${st.maxSeq + 1 - st.seqCount} seq`);
    }
    if (missing.length) this.report('missing_event', rx, messageId, '', atMs, missing.join(', '));
  }

  /** A run that never ended in time. */
  timedOut(rx: Receiver, messageId: string, atMs: number, detail: string): void {
    this.report('run_timeout', rx, messageId, '', atMs, detail);
  }

  /** A frame of a type nobody expects (not a run event, not a known server frame). */
  unknownFrame(rx: Receiver, type: string, text: string, atMs: number): void {
    this.report('unknown_event', rx, undefined, text, atMs, type || '(no type)');
  }

  private report(
    kind: string,
    rx: Receiver,
    messageId: string | undefined,
    text: string,
    atMs: number,
    value: string,
  ): void {
    this.sink({
      class: 'lifecycle',
      kind,
      atMs,
      cohort: rx.cohort,
      receiver: { user: rx.userId, ...(rx.connection ? { connection: rx.connection } : {}) },
      kinds: [{ kind, field: 'event', value }],
      channel: 'ws',
      ...(messageId ? { runMessageId: messageId } : {}),
      ...(text ? { frame: text } : {}),
    });
  }
}

const keyText = (key: string | undefined): string => (key === undefined ? '' : ` (${key})`);

/** Records an open call: inline when no other is open, else in the overflow list. */
function pushOpen(st: ConnLifecycle, pair: number, key: string | undefined): void {
  if (st.openPair0 < 0) {
    st.openPair0 = pair;
    st.openKey0 = key;
  } else {
    (st.openMore ??= []).push(pair, key);
  }
}

/**
 * Removes the entry a frame of `pair` with `key` matches, from the open calls
 * (`fromOrphans` false) or the orphan closers; false when none matches. Keys
 * match when equal; a frame or entry with no key matches any of its pair.
 */
function takeMatch(st: ConnLifecycle, fromOrphans: boolean, pair: number, key: string | undefined): boolean {
  if (
    !fromOrphans &&
    st.openPair0 === pair &&
    (key === undefined || st.openKey0 === undefined || st.openKey0 === key)
  ) {
    st.openPair0 = -1;
    st.openKey0 = undefined;
    return true;
  }
  const list = fromOrphans ? st.orphans : st.openMore;
  if (list === undefined) return false;
  for (let i = 0; i < list.length; i += 2) {
    const k = list[i + 1] as string | undefined;
    if (list[i] === pair && (key === undefined || k === undefined || k === key)) {
      list.splice(i, 2);
      if (list.length === 0) {
        if (fromOrphans) st.orphans = undefined;
        else st.openMore = undefined;
      }
      return true;
    }
  }
  return false;
}

/** Records a seq; false when it was seen already. */
function addSeq(st: ConnLifecycle, seq: number): boolean {
  if (seq >= 0 && seq < 30) {
    const bit = 1 << seq;
    if ((st.seqMask & bit) !== 0) return false;
    st.seqMask |= bit;
  } else {
    st.seqsHigh ??= new Set();
    if (st.seqsHigh.has(seq)) return false;
    st.seqsHigh.add(seq);
  }
  st.seqCount++;
  return true;
}
