import type { Counter } from '../core/metric-registry.js';
import type { Delivery, ProbesConfig } from '../core/scenario-types.js';
import { mintForgedToken, type ForgeryKind } from '../protocol/forged-tokens.js';
import { WsSession, type SessionHandler } from '../protocol/ws-session.js';
import type { RunContext } from './run-context.js';
import type { VirtualUser } from './virtual-user.js';

/** What probes count: every probe sent, and those the target answered. */
export interface ProbeCounters {
  readonly sent: Counter;
  readonly answered: Counter;
}

/** Probes in progress. */
export interface ProbeRunner {
  /** Stops probing and waits for probes in flight. */
  stop(): Promise<void>;
}

const CROSS_OPS = ['GET', 'PUT', 'DELETE', 'GET messages', 'WS user_message'] as const;
const WS_DELIVERIES: readonly Delivery[] = ['subprotocol', 'header', 'query'];
const FORGERIES: readonly ForgeryKind[] = ['missing', 'bad_signature', 'expired', 'wrong_type'];

/** A handler for probe connections: what they receive does not matter, only whether they were let in. */
const IGNORE: SessionHandler = { onFrame() {}, onMalformed() {}, onUnexpectedClose() {} };

/**
 * Tries, at a steady rate while users run, what no backend may allow: reading,
 * changing and deleting another user's thread (REST and WebSocket), and
 * getting in with forged, expired, wrong-type or stolen credentials on REST
 * and on every WebSocket delivery. Anything let through is a violation.
 */
export function startProbes(cfg: ProbesConfig, ctx: RunContext, users: ReadonlySet<VirtualUser>, secret: string | undefined, counters: ProbeCounters): ProbeRunner {
  const { sent, answered } = counters;
  // A probe the target answered (any status, any upgrade answer) tested something; one lost to the network did not.
  const heard = (status: number | undefined): void => { if (status !== undefined) answered.add(); };
  const inFlight = new Set<Promise<void>>();
  const timers: NodeJS.Timeout[] = [];
  let crossN = 0;
  let forgeN = 0;
  const track = (p: Promise<void>): void => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const pickUser = (): VirtualUser | undefined => {
    const n = users.size;
    if (n === 0) return undefined;
    let k = Math.floor(ctx.rand() * n);
    for (const u of users) if (k-- === 0) return u;
    return undefined;
  };

  const crossUserRead = async (): Promise<void> => {
    const u = pickUser();
    if (!u) return;
    const target = ctx.ledger.randomForeignThread(u.userIndex, ctx.rand);
    if (!target) return;
    const op = CROSS_OPS[crossN++ % CROSS_OPS.length]!;
    const token = await ctx.tokens.token(u.userId).catch(() => undefined);
    if (token === undefined) return;
    sent.add();
    const path = `/api/threads/${encodeURIComponent(target.id)}`;
    if (op === 'WS user_message') {
      // A refused message answers THREAD_NOT_FOUND; a run in someone else's thread shows as foreign_thread.
      u.anyOpenSession()?.send({ type: 'user_message', payload: { thread_id: target.id, content: 'probe: is this thread mine?', message_id: `probe-${ctx.runTag}-${crossN}` } });
      return;
    }
    const res = op === 'GET' ? await ctx.rest.call('GET', path, token)
      : op === 'PUT' ? await ctx.rest.call('PUT', path, token, { title: 'probe' })
        : op === 'DELETE' ? await ctx.rest.call('DELETE', path, token)
          : await ctx.rest.call('GET', `${path}/messages`, token);
    heard(res.status);
    if (res.ok) ctx.isolation.reportCrossUserRead(u.receiver, target.id, target.owner, `crossUserRead ${op}`, res.status, res.text, Date.now());
  };

  const forgedTokens = async (): Promise<void> => {
    const u = pickUser();
    if (!u) return;
    const n = forgeN++;
    // Cycle: REST × forgeries, then WebSocket deliveries × forgeries, then tickets.
    const restCount = FORGERIES.length;
    const wsCount = WS_DELIVERIES.length * FORGERIES.length;
    const slot = n % (restCount + wsCount + 2);
    if (slot < restCount) {
      const kind = FORGERIES[slot]!;
      if (!secret && (kind === 'expired' || kind === 'wrong_type')) return;
      const token = await mintForgedToken(kind, u.userId, secret);
      sent.add();
      const res = await ctx.rest.call('GET', '/api/threads', token);
      heard(res.status);
      if (res.ok) ctx.isolation.reportAuthBypass(u.receiver, `forgedTokens REST ${kind}`, 'rest', `HTTP ${res.status} ${res.text}`, Date.now());
      return;
    }
    if (slot < restCount + wsCount) {
      const i = slot - restCount;
      const delivery = WS_DELIVERIES[Math.floor(i / FORGERIES.length)]!;
      const kind = FORGERIES[i % FORGERIES.length]!;
      if (!secret && (kind === 'expired' || kind === 'wrong_type')) return;
      const token = await mintForgedToken(kind, u.userId, secret);
      sent.add();
      if (await tryConnect(delivery, token ?? '')) ctx.isolation.reportAuthBypass(u.receiver, `forgedTokens WS ${delivery} ${kind}`, 'ws', 'connection_established received', Date.now());
      return;
    }
    sent.add();
    if (slot === restCount + wsCount) {
      if (await tryConnect('ticket', `tkt_forged_${ctx.runTag}_${n}`)) ctx.isolation.reportAuthBypass(u.receiver, 'forgedTokens WS ticket forged', 'ws', 'connection_established received', Date.now());
      return;
    }
    // Another user's ticket, used once by its owner, then replayed.
    const token = await ctx.tokens.token(u.userId).catch(() => undefined);
    if (token === undefined) return;
    const res = await ctx.rest.call('POST', '/api/websocket/ticket', token);
    const ticket = (res.json as { ticket_id?: unknown } | undefined)?.ticket_id;
    if (!res.ok || typeof ticket !== 'string') return;
    await tryConnect('ticket', ticket, false);
    if (await tryConnect('ticket', ticket)) ctx.isolation.reportAuthBypass(u.receiver, 'forgedTokens WS ticket replayed', 'ws', 'a used ticket was accepted again', Date.now());
  };

  const tryConnect = async (delivery: Delivery, credential: string, probe = true): Promise<boolean> => {
    const s = new WsSession(0, ctx.reader, IGNORE);
    const r = await s.open({ url: ctx.wsUrl, delivery, credential, connectTimeoutMs: ctx.scenario.target.connectTimeoutMs, maxPayloadBytes: 1024 * 1024 });
    await s.close();
    // Let in, or turned away at the upgrade or with AUTH_FAILED: either way the target answered.
    if (probe && (r.ok || r.kind === 'auth_rejected' || r.kind === 'upgrade_failed')) answered.add();
    return r.ok;
  };

  const every = (perSec: number, fn: () => Promise<void>): void => {
    if (perSec <= 0) return;
    // Above 100/s several probes go per 10 ms tick; the credit keeps the rate exact.
    const tickMs = Math.max(10, 1000 / perSec);
    let credit = 0;
    const t = setInterval(() => {
      credit += (perSec * tickMs) / 1000;
      for (; credit >= 1; credit--) track(fn().catch((err: unknown) => ctx.logger.warn({ err: String(err) }, 'probe failed')));
    }, tickMs);
    timers.push(t);
  };
  every(cfg.crossUserReadPerSec, crossUserRead);
  every(cfg.forgedTokensPerSec, forgedTokens);

  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.allSettled([...inFlight]);
    },
  };
}
