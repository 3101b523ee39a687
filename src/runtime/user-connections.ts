import type { Receiver } from '../core/isolation-types.js';
import { isKnownFrameType } from '../core/lifecycle-grammar.js';
import { computeRunEventIndex } from '../core/metric-names.js';
import { LifecycleOracle } from '../core/lifecycle-oracle.js';
import type { RunRecord } from '../core/run-record.js';
import type { RunTracker } from '../core/run-tracker.js';
import type { Channel, Connection, FrameHandler } from '../protocol/connection.js';
import type { FrameView } from '../protocol/frame-reader.js';
import { TokenError } from '../protocol/token-provider.js';
import { readPath } from '../core/wire-template.js';
import type { CohortMetrics } from './cohort-metrics.js';
import type { RunContext } from './run-context.js';

/** Epoch ms of a performance-clock µs reading. */
const toEpochMs = (us: number): number => performance.timeOrigin + us / 1000;

/** What a user's connections need from the user that holds them. */
export interface ConnectionsOwner {
  readonly ctx: RunContext;
  readonly metrics: CohortMetrics;
  readonly cohortName: string;
  readonly userId: string;
  readonly userIndex: number;
  readonly tracker: RunTracker;
  /** The receiver of REST answers, and of frames on a connection not yet established. */
  readonly receiver: Receiver;
  /** The user has sent a message (a user that never did is a sentinel). */
  readonly hasSent: boolean;
  readonly isAborted: boolean;
  /** Records a failed operation of the user's current iteration. */
  fail(kind: string, detail: string): void;
  /** The intended start of the next timed operation (open model), once. */
  takeStart(): number | undefined;
  /** Cancels the user's requests when it is aborted. */
  signal(): AbortSignal;
}

/** A channel that is one run's own stream (SSE): frames on it that name no other run are that run's. */
interface RunChannel extends Channel {
  readonly run?: RunRecord;
}

/**
 * The persistent connections (browser tabs: WebSocket or Socket.IO) of one
 * simulated user, and the per-frame path of every channel, run streams
 * included: each frame is correlated to one of the user's runs, checked by
 * the isolation and lifecycle oracles, and recorded. A transport with no
 * persistent connection (plain SSE) has no tabs: connect does nothing.
 */
export class UserConnections implements FrameHandler {
  private sessions: Connection[] = [];
  private rxByConn: Receiver[] = [];

  constructor(private readonly user: ConnectionsOwner) {}

  /** How many tabs the user had at its last connect. */
  get count(): number {
    return this.sessions.length;
  }

  /** Tab `i`, open or not. */
  at(i: number): Connection | undefined {
    return this.sessions[i];
  }

  /** An open connection, if any. */
  anyOpen(): Connection | undefined {
    return this.sessions.find((s) => s.isOpen);
  }

  /** Who receives what arrives on tab `i`. */
  receiverOf(i: number): Receiver {
    return this.rxByConn[i] ?? this.user.receiver;
  }

  /** Opens `count` tabs at once, unless one is open already. */
  async connect(count: number): Promise<void> {
    const make = this.user.ctx.connect;
    // No persistent connection on this transport: each run brings its own stream.
    if (!make) return;
    if (this.sessions.some((s) => s.isOpen)) return;
    this.sessions = [];
    const opens: Array<Promise<void>> = [];
    for (let i = 0; i < count; i++) {
      const s = make(i, this);
      this.sessions.push(s);
      opens.push(this.open(s, true));
    }
    await Promise.all(opens);
  }

  /** Tab `i`, reconnected first when the server dropped it (a browser does so before the next message). */
  async reopenIfDropped(i: number): Promise<Connection | undefined> {
    const old = this.sessions[i];
    const make = this.user.ctx.connect;
    if (!old || old.isOpen || !old.dropped || !make) return old;
    this.user.metrics.attempt('connect');
    const s = make(i, this);
    this.sessions[i] = s;
    await this.open(s, false);
    return s;
  }

  /** Closes every tab and waits for them (each within its own 2 s bound). */
  async closeAll(): Promise<void> {
    const s = this.sessions;
    this.sessions = [];
    await Promise.all(s.map((x) => x.close()));
  }

  /** Drops every tab at once. */
  terminateAll(): void {
    for (const s of this.sessions) s.terminate();
  }

  private async open(s: Connection, countOperation: boolean): Promise<void> {
    const u = this.user;
    if (countOperation) u.metrics.attempt('connect');
    const startUs = u.takeStart();
    let credential: string;
    try {
      credential = await u.ctx.tokens.token(u.userId);
    } catch (err) {
      return u.fail(err instanceof TokenError ? err.kind : 'token_failed', (err as Error).message);
    }
    const auth = u.ctx.scenario.auth;
    const wire = u.ctx.wire;
    if (auth.delivery === 'ticket' && wire.ticket) {
      const req = wire.ticket.render({ ...wire.paramValues, user: u.userId });
      const res = await u.ctx.rest.call(req.method, req.path, credential, req.body, u.signal(), req.headers);
      u.metrics.httpRequests.add();
      if (res.latencyUs !== undefined) u.metrics.http.ticket.record(res.latencyUs);
      const ticket = readPath(res.json, wire.adapter.auth.ticket!.ticketPath);
      if (!res.ok || typeof ticket !== 'string')
        return u.fail(res.ok ? 'bad_response' : res.kind, `ticket request answered ${res.status ?? 'nothing'}`);
      credential = ticket;
    }
    if (u.isAborted) return;
    const t = wire.transport;
    const r = await s.open({
      url: u.ctx.connectUrl,
      ...(t.path !== undefined ? { path: t.path } : {}),
      delivery: auth.delivery,
      credential,
      connectTimeoutMs: u.ctx.scenario.target.connectTimeoutMs,
      maxPayloadBytes: u.ctx.maxPayloadBytes,
      ...(t.handshake ? { handshake: t.handshake } : {}),
    });
    if (!r.ok) return u.fail(r.kind, r.detail);
    u.metrics.succeed('connect');
    this.rxByConn[s.index] = {
      userId: u.userId,
      userIndex: u.userIndex,
      cohort: u.cohortName,
      ...(r.connectionId ? { connection: r.connectionId } : {}),
    };
    // A tab opened mid-run sees only the rest of it.
    u.tracker.forEachOpen((rec) => {
      rec.lc[s.index] = undefined;
    });
    u.metrics.connections.add();
    // With an intended start (open model) the connect latency includes any lateness of the generator; it ends,
    // like connectUs, at the socket read that brought connection_established.
    u.metrics.wsConnect.record(startUs === undefined ? r.connectUs : s.openedAtUs - startUs);
  }

  // ---- FrameHandler: the per-frame path ----------------------------------

  onFrame(session: RunChannel, view: FrameView, _frame: unknown, text: string, t: number): void {
    const u = this.user;
    const ctx = u.ctx;
    u.metrics.framesReceived.add();
    const type = view.type;
    const rx = this.rxByConn[session.index] ?? u.receiver;
    const atMs = toEpochMs(t);
    let rec: RunRecord | undefined;
    if (
      view.event >= 0 ||
      view.messageId !== undefined ||
      view.runId !== undefined ||
      view.threadId !== undefined ||
      session.run !== undefined
    ) {
      rec = u.tracker.correlate(view.messageId, view.runId, view.threadId, session.index, session.run);
      // Claim the run before checking, so this user's own run ids are known as its own.
      if (rec && !rec.runClaimed && rec.runId !== undefined) {
        rec.runClaimed = true;
        if (ctx.ledger.isUser(ctx.ledger.claimRun(rec.runId, u.userIndex), u.userIndex, u.userId))
          rec.verifiedRun = rec.runId;
      }
    }
    if (ctx.checks) {
      ctx.isolation.checkFrame(rx, view, text, rec, u.hasSent, atMs);
      u.metrics.framesChecked.add();
    }
    if (type === 'error') {
      if (rec) u.tracker.onErrorFrame(rec, view.code ?? 'ERROR');
      return;
    }
    if (rec) {
      if (rec.outcome === 'timed_out') return;
      u.tracker.onEvent(rec, view.event, t);
      if (!ctx.checks) return;
      let st = rec.lc[session.index];
      if (!st) rec.lc[session.index] = st = LifecycleOracle.createState(session.openedAtUs > rec.sentAtUs);
      ctx.lifecycle.observe(st, view, rx, rec.messageId, text, atMs);
      if (st.finalized && rec.outcome !== undefined) u.tracker.releaseJudged(rec);
    } else if (ctx.checks && !isKnownFrameType(ctx.lifecycleGrammar, type, view.event)) {
      ctx.lifecycle.unknownFrame(rx, type, text, atMs);
    }
  }

  /**
   * A run stream ended without a terminal event and the adapter says that
   * means completed (a backend with no end event): the run ends as if its
   * completing event had come now. Nothing was received, so nothing is checked.
   */
  completeByClose(channel: Channel, rec: RunRecord): void {
    const ctx = this.user.ctx;
    const type = ctx.lifecycleGrammar.spec.end.completed[0]!;
    const event = computeRunEventIndex(type);
    const t = Math.round(performance.now() * 1000);
    this.user.tracker.onEvent(rec, event, t);
    if (!ctx.checks) return;
    let st = rec.lc[channel.index];
    if (!st) rec.lc[channel.index] = st = LifecycleOracle.createState(channel.openedAtUs > rec.sentAtUs);
    ctx.lifecycle.observe(
      st,
      { type, event, seq: undefined, pairKey: undefined },
      this.receiverOf(channel.index),
      rec.messageId,
      '',
      toEpochMs(t),
    );
    if (st.finalized && rec.outcome !== undefined) this.user.tracker.releaseJudged(rec);
  }

  onMalformed(session: Channel, reason: string, text?: string): void {
    const m = this.user.metrics;
    m.framesReceived.add();
    const ctx = this.user.ctx;
    // Unreadable is not harmless: another user's words or ids in it are a leak all the same.
    if (ctx.checks && text) {
      ctx.isolation.checkText(this.rxByConn[session.index] ?? this.user.receiver, text, Date.now());
      m.framesChecked.add();
    }
    m.malformedFrames.add();
    m.error('malformed_frame').add();
    this.user.ctx.noteError(this.user.cohortName, 'malformed_frame', reason);
  }

  onUnexpectedClose(session: Channel, code: number): void {
    if (this.user.isAborted) return;
    // 1009: a frame over the generator's limit (16 MiB); the connection is cut rather than the frame buffered.
    const kind = code === 1009 ? 'frame_too_large' : 'disconnected';
    this.user.metrics.error(kind).add();
    this.user.ctx.noteError(this.user.cohortName, kind, `connection ${session.index} closed with ${code}`);
    // Runs keep going on the user's other tabs; with none left they are lost.
    if (!this.sessions.some((s) => s.isOpen)) this.user.tracker.abandonAll('failed');
  }
}
