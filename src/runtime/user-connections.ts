import type { Receiver } from '../core/isolation-oracle.js';
import { isKnownFrameType } from '../core/lifecycle-grammar.js';
import { LifecycleOracle } from '../core/lifecycle-oracle.js';
import type { RunRecord, RunTracker } from '../core/run-tracker.js';
import type { FrameView } from '../protocol/frame-reader.js';
import { TokenError } from '../protocol/token-provider.js';
import { WsSession, type SessionHandler } from '../protocol/ws-session.js';
import type { CohortMetrics } from './cohort-metrics.js';
import type { RunContext } from './run-context.js';

/** Epoch ms of a performance-clock µs reading. */
const toEpochMs = (us: number): number => performance.timeOrigin + us / 1000;

/** What a user's connections need from the user that holds them. */
export interface ConnectionsOwner {
  readonly ctx: RunContext;
  readonly m: CohortMetrics;
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

/**
 * The WebSocket connections (browser tabs) of one simulated user, and the
 * per-frame path: each frame is correlated to one of the user's runs,
 * checked by the isolation and lifecycle oracles, and recorded.
 */
export class UserConnections implements SessionHandler {
  private sessions: WsSession[] = [];
  private rxByConn: Receiver[] = [];

  constructor(private readonly u: ConnectionsOwner) {}

  /** How many tabs the user had at its last connect. */
  get count(): number {
    return this.sessions.length;
  }

  /** Tab `i`, open or not. */
  at(i: number): WsSession | undefined {
    return this.sessions[i];
  }

  /** An open connection, if any. */
  anyOpen(): WsSession | undefined {
    return this.sessions.find((s) => s.isOpen);
  }

  /** Who receives what arrives on tab `i`. */
  receiverOf(i: number): Receiver {
    return this.rxByConn[i] ?? this.u.receiver;
  }

  /** Opens `count` tabs at once, unless one is open already. */
  async connect(count: number): Promise<void> {
    if (this.sessions.some((s) => s.isOpen)) return;
    this.sessions = [];
    const opens: Array<Promise<void>> = [];
    for (let i = 0; i < count; i++) {
      const s = new WsSession(i, this.u.ctx.reader, this);
      this.sessions.push(s);
      opens.push(this.open(s, true));
    }
    await Promise.all(opens);
  }

  /** Tab `i`, reconnected first when the server dropped it (a browser does so before the next message). */
  async reopenIfDropped(i: number): Promise<WsSession | undefined> {
    const old = this.sessions[i];
    if (!old || old.isOpen || !old.dropped) return old;
    this.u.m.attempt('connect');
    const s = new WsSession(i, this.u.ctx.reader, this);
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

  private async open(s: WsSession, countOperation: boolean): Promise<void> {
    const u = this.u;
    if (countOperation) u.m.attempt('connect');
    const startUs = u.takeStart();
    let credential: string;
    try {
      credential = await u.ctx.tokens.token(u.userId);
    } catch (err) {
      return u.fail(err instanceof TokenError ? err.kind : 'token_failed', (err as Error).message);
    }
    const auth = u.ctx.scenario.auth;
    if (auth.delivery === 'ticket') {
      const res = await u.ctx.rest.call('POST', '/api/websocket/ticket', credential, undefined, u.signal());
      u.m.httpRequests.add();
      if (res.latencyUs !== undefined) u.m.http.ticket.record(res.latencyUs);
      const ticket = (res.json as { ticket_id?: unknown } | undefined)?.ticket_id;
      if (!res.ok || typeof ticket !== 'string') return u.fail(res.ok ? 'bad_response' : res.kind, `ticket request answered ${res.status ?? 'nothing'}`);
      credential = ticket;
    }
    if (u.isAborted) return;
    const r = await s.open({ url: u.ctx.wsUrl, delivery: auth.delivery, credential, connectTimeoutMs: u.ctx.scenario.target.connectTimeoutMs, maxPayloadBytes: u.ctx.maxPayloadBytes });
    if (!r.ok) return u.fail(r.kind, r.detail);
    u.m.succeed('connect');
    this.rxByConn[s.index] = { userId: u.userId, userIndex: u.userIndex, cohort: u.cohortName, ...(r.connectionId ? { connection: r.connectionId } : {}) };
    // A tab opened mid-run sees only the rest of it.
    u.tracker.forEachOpen((rec) => { rec.lc[s.index] = undefined; });
    u.m.connections.add();
    // With an intended start (open model) the connect latency includes any lateness of the generator; it ends,
    // like connectUs, at the socket read that brought connection_established.
    u.m.wsConnect.record(startUs === undefined ? r.connectUs : s.openedAtUs - startUs);
  }

  // ---- SessionHandler: the per-frame path --------------------------------

  onFrame(session: WsSession, view: FrameView, _frame: unknown, text: string, t: number): void {
    const u = this.u;
    const ctx = u.ctx;
    u.m.framesReceived.add();
    const type = view.type;
    const rx = this.rxByConn[session.index] ?? u.receiver;
    const atMs = toEpochMs(t);
    let rec: RunRecord | undefined;
    if (view.messageId !== undefined || view.runId !== undefined || view.threadId !== undefined || type.startsWith('agent_') || type.startsWith('tool_')) {
      rec = u.tracker.correlate(view.messageId, view.runId, view.threadId, session.index);
      // Claim the run before checking, so this user's own run ids are known as its own.
      if (rec && !rec.runClaimed && rec.runId !== undefined) {
        rec.runClaimed = true;
        if (ctx.ledger.isUser(ctx.ledger.claimRun(rec.runId, u.userIndex), u.userIndex, u.userId)) rec.verifiedRun = rec.runId;
      }
    }
    if (ctx.checks) {
      ctx.isolation.checkFrame(rx, view, text, rec, u.hasSent, atMs);
      u.m.framesChecked.add();
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

  onMalformed(_session: WsSession, reason: string): void {
    const m = this.u.m;
    m.framesReceived.add();
    m.malformedFrames.add();
    m.error('malformed_frame').add();
    this.u.ctx.noteError(this.u.cohortName, 'malformed_frame', reason);
  }

  onUnexpectedClose(session: WsSession, code: number): void {
    if (this.u.isAborted) return;
    // 1009: a frame over the generator's limit (16 MiB); the connection is cut rather than the frame buffered.
    const kind = code === 1009 ? 'frame_too_large' : 'disconnected';
    this.u.m.error(kind).add();
    this.u.ctx.noteError(this.u.cohortName, kind, `connection ${session.index} closed with ${code}`);
    // Runs keep going on the user's other tabs; with none left they are lost.
    if (!this.sessions.some((s) => s.isOpen)) this.u.tracker.abandonAll('failed');
  }
}
