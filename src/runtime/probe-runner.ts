import type { Counter } from '../core/metric-registry.js';
import type { Delivery, ProbesConfig } from '../core/scenario-types.js';
import type { CompiledRoute } from '../core/compiled-wire.js';
import { readPath, type WireValues } from '../core/wire-template.js';
import type { FrameHandler } from '../protocol/connection.js';
import { readBounded } from '../protocol/read-bounded.js';
import { canForge, FORGERY_KINDS, mintForgedToken, type ForgeryContext } from '../protocol/forged-tokens.js';
import { createAdapterProbes } from './adapter-probes.js';
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

/** REST steps a cross-user probe tries on another user's thread, as the adapter routes them. */
const CROSS_STEPS = ['getThread', 'updateThread', 'deleteThread', 'listMessages'] as const;
const CONNECTION_DELIVERIES: readonly Delivery[] = ['subprotocol', 'header', 'query'];

/** A handler for probe connections: what they receive does not matter, only whether they were let in. */
const IGNORE: FrameHandler = { onFrame() {}, onMalformed() {}, onUnexpectedClose() {} };

/**
 * Tries, at a steady rate while users run, what no backend may allow: reading,
 * changing and deleting another user's thread (REST and WebSocket), the
 * adapter's own cross-user probes (a thread's event stream, a run joined by
 * id), and getting in with forged, expired, wrong-type or stolen credentials
 * on REST and on every WebSocket delivery, or with no credential but the
 * adapter's well-known bypass headers. Anything let through is a violation.
 */
export function startProbes(
  cfg: ProbesConfig,
  ctx: RunContext,
  users: ReadonlySet<VirtualUser>,
  secret: string | undefined,
  counters: ProbeCounters,
): ProbeRunner {
  const { sent, answered } = counters;
  // A probe the target answered (any status, any upgrade answer) tested something; one lost to the network did not.
  const heard = (status: number | undefined): void => {
    if (status !== undefined) answered.add();
  };
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

  const wire = ctx.wire;
  // What the adapter can do to a thread, each tried on threads of others: its REST routes, and starting a run there.
  const crossOps: Array<{ name: string; route?: CompiledRoute }> = [
    ...CROSS_STEPS.filter((st) => wire.rest[st]).map((st) => ({ name: st, route: wire.rest[st]! })),
    { name: 'startRun' },
  ];
  const probeValues = (threadId: string, u: VirtualUser): WireValues => ({
    ...wire.paramValues,
    user: u.userId,
    thread: threadId,
    title: 'probe',
    content: 'probe: is this thread mine?',
    messageId: `probe-${ctx.runTag}-${crossN}`,
  });

  const crossUserRead = async (): Promise<void> => {
    const u = pickUser();
    if (!u) return;
    const target = ctx.ledger.randomForeignThread(u.userIndex, ctx.rand);
    if (!target) return;
    const op = crossOps[crossN++ % crossOps.length]!;
    const token = await ctx.tokens.token(u.userId).catch(() => undefined);
    if (token === undefined) return;
    const values = probeValues(target.id, u);
    const start = wire.start;
    if (!op.route && 'send' in start) {
      // A refused message is answered with an error; a run in someone else's thread shows as foreign_thread on the prober's tab.
      const session = u.anyOpenSession();
      if (!session) return;
      sent.add();
      session.send(start.send.render(values));
      return;
    }
    const route = op.route ?? ('request' in start ? start.request : undefined);
    if (!route) return;
    sent.add();
    const req = route.render(values);
    if (!op.route && 'request' in start && start.events === 'stream') {
      // Starting a run in another user's thread: a stream that opens is the run it should not have started.
      const ctl = new AbortController();
      const answer = await ctx.rest.stream(req.method, req.path, token, req.body, ctl.signal, req.headers);
      if (!answer.ok) return;
      heard(answer.status);
      if (route.accepts(answer.status) && /^text\/event-stream/i.test(answer.contentType)) {
        answer.body.destroy();
        ctx.isolation.reportCrossUserRead(
          u.receiver,
          target.id,
          target.owner,
          `crossUserRead ${op.name}`,
          answer.status,
          `${answer.contentType} stream opened`,
          Date.now(),
        );
        return;
      }
      // Refused: the refusal is an answer the user received, scanned like any other (the thread it asked about aside).
      const text = await readBounded(answer.body, 1024 * 1024);
      if (ctx.checks && text)
        ctx.isolation.checkBody(u.receiver, text, Date.now(), `crossUserRead ${op.name}`, target.id);
      return;
    }
    const res = await ctx.rest.call(req.method, req.path, token, req.body, undefined, req.headers);
    heard(res.status);
    if (res.status !== undefined && route.accepts(res.status))
      ctx.isolation.reportCrossUserRead(
        u.receiver,
        target.id,
        target.owner,
        `crossUserRead ${op.name}`,
        res.status,
        res.text,
        Date.now(),
      );
    // A refusal is an answer the user received like any other: scanned, the thread it asked about aside.
    else if (ctx.checks && res.text)
      ctx.isolation.checkBody(u.receiver, res.text, Date.now(), `crossUserRead ${op.name}`, target.id);
  };

  // Forgeries go to every way in the adapter has: a REST route, each token delivery of its connection, its tickets.
  // The adapter's reading routes, in turn (never one that writes: a forgery let in must not change a user's data).
  const forgeRoutes = (['listThreads', 'getThread', 'listMessages'] as const)
    .filter((st) => wire.rest[st])
    .map((st) => ({ step: st, route: wire.rest[st]! }));
  let forgeRouteN = 0;
  const connDeliveries = ctx.connect
    ? CONNECTION_DELIVERIES.filter((d) => wire.adapter.auth.deliveries.includes(d))
    : [];
  const ticketSlots = ctx.connect && wire.ticket && wire.adapter.auth.deliveries.includes('ticket') ? 2 : 0;

  // Every forgery of the catalogue on every way in: REST, each connection delivery, and the run stream's request.
  const streamStart = 'request' in wire.start && wire.start.events === 'stream' ? wire.start.request : undefined;
  const channels: ReadonlyArray<'rest' | 'stream' | Delivery> = [
    ...(forgeRoutes.length ? ['rest' as const] : []),
    ...connDeliveries,
    ...(streamStart ? ['stream' as const] : []),
  ];
  const auth = ctx.scenario.auth;
  const forgeContext = (victim: string | undefined): ForgeryContext => ({
    secret,
    victim,
    ...(auth.kind === 'jwt' ? { issuer: auth.issuer, audience: auth.audience } : {}),
  });
  // No credential at all, only headers a vendor's developer tooling uses to skip authentication.
  const bypasses = forgeRoutes.length ? wire.adapter.auth.bypassHeaders : [];

  const forgedTokens = async (): Promise<void> => {
    const u = pickUser();
    if (!u) return;
    const n = forgeN++;
    // Cycle: each channel × each forgery, then bypass headers, then tickets.
    const forgeCount = channels.length * FORGERY_KINDS.length;
    const slot = n % (forgeCount + bypasses.length + ticketSlots);
    if (slot < forgeCount) {
      const channel = channels[Math.floor(slot / FORGERY_KINDS.length)]!;
      const kind = FORGERY_KINDS[slot % FORGERY_KINDS.length]!;
      // Another simulated user, whichever shard or generator runs it: the directory names every user.
      const victimIndex = ctx.ledger.userAt(u.userIndex + 1) !== undefined ? u.userIndex + 1 : u.userIndex - 1;
      const c = forgeContext(ctx.ledger.userAt(victimIndex));
      if (!canForge(kind, c)) return;
      // A run started with a forged token in a thread of whom the token claims to be: a stream that opens let it in.
      const own =
        channel === 'stream'
          ? ctx.ledger.randomThreadOf(kind === 'tampered_sub' ? victimIndex : u.userIndex, ctx.rand)
          : undefined;
      if (channel === 'stream' && !own) return;
      const token = await mintForgedToken(kind, u.userId, c);
      sent.add();
      if (channel === 'rest') {
        // The first route the adapter has that needs a credential to read anything.
        const { step, route } = forgeRoutes[forgeRouteN++ % forgeRoutes.length]!;
        // On a thread of whom the token claims to be, so a forgery let in is answered 2xx, not 404.
        const thread =
          ctx.ledger.randomThreadOf(kind === 'tampered_sub' ? victimIndex : u.userIndex, ctx.rand) ?? 'probe';
        const req = route.render({ ...wire.paramValues, user: u.userId, thread, limit: 1 });
        const res = await ctx.rest.call(req.method, req.path, token, req.body, undefined, req.headers);
        heard(res.status);
        if (res.status !== undefined && route.accepts(res.status))
          ctx.isolation.reportAuthBypass(
            u.receiver,
            `forgedTokens REST ${kind}`,
            'rest',
            `HTTP ${res.status} ${step} ${res.text}`,
            Date.now(),
          );
        return;
      }
      if (channel === 'stream') {
        const req = streamStart!.render({ ...probeValues(own!, u) });
        const ctl = new AbortController();
        const answer = await ctx.rest.stream(req.method, req.path, token, req.body, ctl.signal, req.headers);
        if (!answer.ok) return;
        heard(answer.status);
        answer.body.destroy();
        if (streamStart!.accepts(answer.status) && /^text\/event-stream/i.test(answer.contentType))
          ctx.isolation.reportAuthBypass(
            u.receiver,
            `forgedTokens stream ${kind}`,
            'rest',
            `HTTP ${answer.status} ${answer.contentType}`,
            Date.now(),
          );
        return;
      }
      if (await tryConnect(channel, token ?? ''))
        ctx.isolation.reportAuthBypass(
          u.receiver,
          `forgedTokens WS ${channel} ${kind}`,
          'ws',
          'connection established',
          Date.now(),
        );
      return;
    }
    sent.add();
    if (slot < forgeCount + bypasses.length) {
      const headers = bypasses[slot - forgeCount]!;
      const label = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ');
      const { step, route } = forgeRoutes[forgeRouteN++ % forgeRoutes.length]!;
      const thread = ctx.ledger.randomThreadOf(u.userIndex, ctx.rand) ?? 'probe';
      const req = route.render({ ...wire.paramValues, user: u.userId, thread, limit: 1 });
      const res = await ctx.rest.call(req.method, req.path, undefined, req.body, undefined, {
        ...req.headers,
        ...headers,
      });
      heard(res.status);
      if (res.status !== undefined && route.accepts(res.status))
        ctx.isolation.reportAuthBypass(
          u.receiver,
          `forgedTokens REST bypass ${label}`,
          'rest',
          `HTTP ${res.status} ${step} ${res.text}`,
          Date.now(),
        );
      return;
    }
    if (slot === forgeCount + bypasses.length) {
      if (await tryConnect('ticket', `tkt_forged_${ctx.runTag}_${n}`))
        ctx.isolation.reportAuthBypass(
          u.receiver,
          'forgedTokens WS ticket forged',
          'ws',
          'connection_established received',
          Date.now(),
        );
      return;
    }
    // Another user's ticket, used once by its owner, then replayed.
    const token = await ctx.tokens.token(u.userId).catch(() => undefined);
    if (token === undefined) return;
    const req = wire.ticket!.render({ ...wire.paramValues, user: u.userId });
    const res = await ctx.rest.call(req.method, req.path, token, req.body, undefined, req.headers);
    const ticket = readPath(res.json, wire.adapter.auth.ticket!.ticketPath);
    if (!res.ok || typeof ticket !== 'string') return;
    await tryConnect('ticket', ticket, false);
    if (await tryConnect('ticket', ticket))
      ctx.isolation.reportAuthBypass(
        u.receiver,
        'forgedTokens WS ticket replayed',
        'ws',
        'a used ticket was accepted again',
        Date.now(),
      );
  };

  const tryConnect = async (delivery: Delivery, credential: string, probe = true): Promise<boolean> => {
    const s = ctx.connect!(0, IGNORE);
    const t = wire.transport;
    const r = await s.open({
      url: ctx.connectUrl,
      ...(t.path !== undefined ? { path: t.path } : {}),
      delivery,
      credential,
      connectTimeoutMs: ctx.scenario.target.connectTimeoutMs,
      maxPayloadBytes: 1024 * 1024,
      ...(t.handshake ? { handshake: t.handshake } : {}),
    });
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
      for (; credit >= 1; credit--)
        track(fn().catch((err: unknown) => ctx.logger.warn({ err: String(err) }, 'probe failed')));
    }, tickMs);
    timers.push(t);
  };
  every(cfg.crossUserReadPerSec, crossUserRead);
  every(cfg.forgedTokensPerSec, forgedTokens);
  const adapterProbe = createAdapterProbes(ctx, { pickUser, sent, answered });
  if (adapterProbe) every(cfg.adapterPerSec, adapterProbe);

  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.allSettled([...inFlight]);
    },
  };
}
