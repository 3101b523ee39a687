import type { Receiver } from './isolation-oracle.js';
import { EVENT, RUN_EVENTS, TERMINAL_EVENTS, type RunEvent } from './metric-names.js';
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
  rank: number;
  started: boolean;
  thinking: boolean;
  openTools: number;
  ended: boolean;
  /** The terminal event type, once seen. */
  terminal: string | undefined;
  /** Completeness has been judged (a little after the terminal event). */
  finalized: boolean;
}

/** The expected shape of a run (protocol.md, configurable per scenario profile). */
export interface LifecycleRules {
  /** Events every run must show before it ends. */
  readonly required: readonly string[];
  /** Types that are not run events and must not be flagged as unknown. */
  readonly knownTypes: ReadonlySet<string>;
}

const RANK_OF: Readonly<Record<RunEvent, number>> = {
  agent_started: 0, agent_thinking: 1, tool_executing: 2, tool_completed: 2, agent_completed: 3, agent_error: 3, agent_stopped: 3,
};
/** Rank by position in RUN_EVENTS. */
const RANK: readonly number[] = RUN_EVENTS.map((e) => RANK_OF[e]);
/** Terminal or not, by position in RUN_EVENTS. */
const TERMINAL: readonly boolean[] = RUN_EVENTS.map((e) => TERMINAL_EVENTS.has(e));

/** Default rules: protocol.md's order, with the server's own non-run frames known. */
export const DEFAULT_LIFECYCLE_RULES: LifecycleRules = {
  required: ['agent_started', 'agent_thinking'],
  knownTypes: new Set(['connection_established', 'pong', 'error', 'heartbeat', 'system_notice', ...RUN_EVENTS]),
};

/** True for a type the rules know (run event or server frame). */
export function isKnownType(rules: LifecycleRules, type: string): boolean {
  return rules.knownTypes.has(type);
}

/**
 * Checks each run, per connection, against the order protocol.md gives:
 * started once, thinking one or more times, tool pairs, one terminal event.
 * Uses `seq` when the backend sends it (gaps are missing events, a smaller
 * seq is out of order, a repeated one a duplicate), else the event ranks.
 */
export class LifecycleOracle {
  constructor(private readonly rules: LifecycleRules, private readonly sink: ViolationSink) {}

  /** A new per-connection state for a run. */
  static createState(partial: boolean): ConnLifecycle {
    return { partial, seqMask: 0, seqsHigh: undefined, seqCount: 0, maxSeq: -1, rank: -1, started: false, thinking: false, openTools: 0, ended: false, terminal: undefined, finalized: false };
  }

  /** Observes one event of a run on one connection: `type` is its canonical type, `event` that type's position in RUN_EVENTS (-1 for none). */
  observe(st: ConnLifecycle, type: string, event: number, seq: number | undefined, rx: Receiver, messageId: string, text: string, atMs: number): void {
    if (event < 0) return this.report('unknown_event', rx, messageId, text, atMs, type);
    const rank = RANK[event]!;
    if (seq !== undefined) {
      if (!addSeq(st, seq)) return this.report('duplicate_event', rx, messageId, text, atMs, `seq ${seq}`);
    } else if (event === EVENT.agent_started && st.started) {
      return this.report('duplicate_event', rx, messageId, text, atMs, type);
    }
    // A lower seq arriving late is out of order, even after the end.
    if (st.ended && !(seq !== undefined && seq < st.maxSeq && !st.finalized)) return this.report('event_after_end', rx, messageId, text, atMs, type);
    let disordered = false;
    if (seq !== undefined && seq < st.maxSeq) disordered = true;
    else if (rank < st.rank && !(st.partial && st.rank < 0)) disordered = true;
    if (disordered) this.report('out_of_order', rx, messageId, text, atMs, seq !== undefined ? `seq ${seq} after ${st.maxSeq}` : `${type} after rank ${st.rank}`);
    if (seq !== undefined && seq > st.maxSeq) st.maxSeq = seq;
    if (rank > st.rank) st.rank = rank;
    if (event === EVENT.agent_started) st.started = true;
    else if (event === EVENT.agent_thinking) st.thinking = true;
    else if (event === EVENT.tool_executing) st.openTools++;
    else if (event === EVENT.tool_completed) st.openTools--;
    if (TERMINAL[event] && !st.ended) {
      st.ended = true;
      st.terminal = type;
      // With no seq missing, nothing arriving later can change the verdict (a lower seq would be a duplicate, any
      // other event comes after the end): judge now, and the run need not be kept for the grace period.
      if (st.seqCount === 0 || st.seqCount === st.maxSeq + 1) this.finalize(st, rx, messageId, atMs);
    }
  }

  /**
   * Judges whether a connection saw the whole run. Called a little after the
   * terminal event (or when the user moves on), so that an event merely
   * reordered behind the terminal one counts as out of order, not missing.
   */
  finalize(st: ConnLifecycle, rx: Receiver, messageId: string, atMs: number): void {
    if (st.finalized) return;
    st.finalized = true;
    if (!st.ended || st.partial || st.terminal !== 'agent_completed') return;
    this.checkComplete(st, rx, messageId, '', atMs);
  }

  /** A run that never ended in time. */
  timedOut(rx: Receiver, messageId: string, atMs: number, detail: string): void {
    this.report('run_timeout', rx, messageId, '', atMs, detail);
  }

  /** A frame of a type nobody expects (not a run event, not a known server frame). */
  unknownFrame(rx: Receiver, type: string, text: string, atMs: number): void {
    this.report('unknown_event', rx, undefined, text, atMs, type || '(no type)');
  }

  private checkComplete(st: ConnLifecycle, rx: Receiver, messageId: string, text: string, atMs: number): void {
    const missing: string[] = [];
    for (const r of this.rules.required) {
      if ((r === 'agent_started' && !st.started) || (r === 'agent_thinking' && !st.thinking)) missing.push(r);
    }
    if (st.openTools !== 0) missing.push('tool pair');
    if (st.seqCount > 0 && st.seqCount < st.maxSeq + 1) missing.push(`${st.maxSeq + 1 - st.seqCount} seq`);
    if (missing.length) {
      this.report('missing_event', rx, messageId, text, atMs, missing.join(', '));
    }
  }

  private report(kind: string, rx: Receiver, messageId: string | undefined, text: string, atMs: number, value: string): void {
    this.sink({
      class: 'lifecycle', kind, atMs, cohort: rx.cohort,
      receiver: { user: rx.userId, ...(rx.connection ? { connection: rx.connection } : {}) },
      kinds: [{ kind, field: 'event', value }], channel: 'ws', ...(messageId ? { runMessageId: messageId } : {}), ...(text ? { frame: text } : {}),
    });
  }
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
