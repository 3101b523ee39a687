// The start-of-run reachability check against real loopback sockets: what a person reads when the target is not there.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { checkReachable } from '../../src/runtime/reachability.js';
import { findClosedPort } from '../helpers/sim.js';

describe('checkReachable', () => {
  let server: Server | undefined;
  after(() => server?.close());

  test('a closed port is "the connection was refused", with the code', async () => {
    const r = await checkReachable(`http://127.0.0.1:${await findClosedPort()}`, 5000);
    assert.deepEqual(r, {
      ok: false,
      reason: 'the connection was refused: nothing listens on that host and port (ECONNREFUSED)',
      code: 'ECONNREFUSED',
    });
  });

  test('https:// to a plain HTTP port is a TLS sentence that suggests http://, and http:// reaches it', async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const r = await checkReachable(`https://127.0.0.1:${port}`, 5000);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.reason, /^the TLS handshake failed: .*try http:\/\/.* \((EPROTO|ERR_SSL_WRONG_VERSION_NUMBER)\)$/);
    assert.deepEqual(await checkReachable(`http://127.0.0.1:${port}`, 5000), { ok: true });
  });
});
