// Token checks on REST and on every WebSocket delivery, tickets, and test login.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DELIVERIES, UpgradeRefused, mintToken, openWs, rest, uniqueId, type Delivery } from '../helpers/client.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';

/** Expects `openWs` to be refused at the upgrade with `status`. */
async function assertRefused(p: Promise<unknown>, status: number, what: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof UpgradeRefused, `${what}: expected an HTTP refusal, got ${String(err)}`);
    assert.equal(err.status, status, `${what}: status`);
    return true;
  });
}

describe('auth', () => {
  let target: TestTarget;
  let noLogin: TestTarget;
  let shortTickets: TestTarget;

  before(async () => {
    [target, noLogin, shortTickets] = await Promise.all([
      startTestTarget(),
      startTestTarget({ testLogin: false }),
      startTestTarget({ ticketTtlMs: 100 }),
    ]);
  });
  after(() => Promise.all([target.close(), noLogin.close(), shortTickets.close()]).then(() => undefined));

  for (const delivery of DELIVERIES) {
    test(`WebSocket accepts a valid token by ${delivery}`, async () => {
      const user = uniqueId('u');
      const token = await target.token(user);
      const sock = await openWs(target.url, { delivery, token });
      try {
        assert.equal(sock.frames[0]?.type, 'connection_established');
        assert.equal(sock.userId, user, "the connection is authenticated as the token's sub");
        if (delivery === 'subprotocol')
          assert.equal(sock.ws.protocol, `jwt.${token}`, 'the chosen subprotocol is echoed back');
        sock.send({ type: 'ping', payload: { ts: 1 } });
        await sock.waitFor((f) => f.type === 'pong', 2000);
      } finally {
        await sock.close();
      }
    });
  }

  test('POST /api/websocket/ticket answers { ticket_id, expires_at (epoch s), single_use: true }', async () => {
    const token = await target.token(uniqueId('u'));
    const nowSec = Date.now() / 1000;
    const res = await rest(target.url, 'POST', '/api/websocket/ticket', { token });
    assert.ok(res.status === 200 || res.status === 201, `status ${res.status}`);
    assert.equal(typeof res.json.ticket_id, 'string');
    assert.ok(res.json.ticket_id.length >= 16, 'a ticket id long enough not to be guessed');
    assert.equal(typeof res.json.expires_at, 'number');
    assert.ok(
      res.json.expires_at > nowSec - 1 && res.json.expires_at < nowSec + 24 * 3600,
      `expires_at ${res.json.expires_at} is epoch seconds in the near future`,
    );
    assert.equal(res.json.single_use, true);
    const other = await rest(target.url, 'POST', '/api/websocket/ticket', { token });
    assert.notEqual(other.json.ticket_id, res.json.ticket_id);
  });

  test('a ticket works once; the second use is refused with 401', async () => {
    const user = uniqueId('u');
    const token = await target.token(user);
    const res = await rest(target.url, 'POST', '/api/websocket/ticket', { token });
    const ticket = String(res.json.ticket_id);
    const first = await openWs(target.url, { delivery: 'ticket', ticket });
    try {
      assert.equal(first.userId, user, 'the ticket carries the identity of whoever asked for it');
      await assertRefused(openWs(target.url, { delivery: 'ticket', ticket }), 401, 'reused ticket');
    } finally {
      await first.close();
    }
  });

  test('an unknown or expired ticket is refused with 401', async () => {
    await assertRefused(
      openWs(target.url, { delivery: 'ticket', ticket: 'tkt_no_such_ticket_0000000000' }),
      401,
      'unknown ticket',
    );
    const token = await shortTickets.token(uniqueId('u'));
    const res = await rest(shortTickets.url, 'POST', '/api/websocket/ticket', { token });
    assert.ok(res.status === 200 || res.status === 201);
    await new Promise((r) => setTimeout(r, 250));
    await assertRefused(
      openWs(shortTickets.url, { delivery: 'ticket', ticket: String(res.json.ticket_id) }),
      401,
      'expired ticket',
    );
  });

  const badTokens: ReadonlyArray<readonly [string, (secret: string, sub: string) => Promise<string | undefined>]> = [
    ['missing', () => Promise.resolve(undefined)],
    ['badly signed', (secret, sub) => mintToken(secret, sub, { wrongSecret: true })],
    ['expired', (secret, sub) => mintToken(secret, sub, { expiresInSec: -60 })],
    ['of another type', (secret, sub) => mintToken(secret, sub, { type: 'refresh' })],
    ['not a JWT', () => Promise.resolve('not-a-jwt')],
  ];

  for (const [name, make] of badTokens) {
    test(`a token that is ${name} is refused: 401 on REST and at every WebSocket upgrade`, async () => {
      const token = await make(target.secret, uniqueId('u'));
      const opts = token === undefined ? {} : { token };
      const list = await rest(target.url, 'GET', '/api/threads', opts);
      assert.equal(list.status, 401, 'GET /api/threads');
      assert.equal(typeof list.json?.error?.code, 'string', 'error shape');
      const create = await rest(target.url, 'POST', '/api/threads', { ...opts, body: { title: 'x' } });
      assert.equal(create.status, 401, 'POST /api/threads');
      const ticket = await rest(target.url, 'POST', '/api/websocket/ticket', opts);
      assert.equal(ticket.status, 401, 'POST /api/websocket/ticket');
      for (const delivery of ['subprotocol', 'header', 'query'] as const satisfies readonly Delivery[]) {
        await assertRefused(openWs(target.url, { delivery, ...opts }), 401, `${delivery} delivery`);
      }
      // Ticket delivery: the ticket endpoint refuses the token (above), so no ticket exists to connect with.
      await assertRefused(openWs(target.url, { delivery: 'ticket', ...opts }), 401, 'ticket delivery');
    });
  }

  test('a token signed for another target is refused', async () => {
    const foreign = await noLogin.token(uniqueId('u'));
    assert.equal((await rest(target.url, 'GET', '/api/threads', { token: foreign })).status, 401);
    assert.equal((await rest(noLogin.url, 'GET', '/api/threads', { token: foreign })).status, 200);
  });

  test('POST /auth/test-login returns a token that works on REST and WebSocket', async () => {
    const user = uniqueId('u-login');
    const res = await rest(target.url, 'POST', '/auth/test-login', { body: { user_id: user } });
    assert.equal(res.status, 200);
    assert.equal(typeof res.json.access_token, 'string');
    assert.equal(res.json.token_type, 'Bearer');
    assert.equal(res.json.expires_in, 900);
    const token = res.json.access_token as string;
    const created = await rest(target.url, 'POST', '/api/threads', { token, body: { title: 'login works' } });
    assert.equal(created.status, 201);
    const list = await rest(target.url, 'GET', '/api/threads', { token });
    assert.deepEqual(
      list.json.map((t: { id: string }) => t.id),
      [created.json.id],
    );
    const sock = await openWs(target.url, { delivery: 'subprotocol', token });
    try {
      assert.equal(sock.userId, user);
    } finally {
      await sock.close();
    }
  });

  test('POST /auth/test-login without a user_id answers 400', async () => {
    const res = await rest(target.url, 'POST', '/auth/test-login', { body: {} });
    assert.equal(res.status, 400);
  });

  test('POST /auth/test-login answers 404 when test login is off', async () => {
    const res = await rest(noLogin.url, 'POST', '/auth/test-login', { body: { user_id: uniqueId('u') } });
    assert.equal(res.status, 404);
    assert.equal(res.json?.access_token, undefined);
  });
});
