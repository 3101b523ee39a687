// Prometheus remote write: the request encoding, and a sender that a slow, dead or failing receiver cannot hold up.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPromFamily, type PromFamily } from '../../src/core/prom-families.js';
import { createRemoteWriteClient } from '../../src/protocol/remote-write-client.js';
import {
  decodeWriteRequest,
  encodeWriteRequests,
  MAX_SERIES_PER_REQUEST,
} from '../../src/protocol/remote-write-encoding.js';

/** `n` counter series of one family. */
function families(n: number, value = 1): PromFamily[] {
  return [
    createPromFamily(
      'crosstalk_runs_started_total',
      'counter',
      'runs',
      Array.from({ length: n }, (_, i) => ({ labels: { cohort: `c${i}`, Zed: 'z', scenario: 's' }, value })),
    ),
  ];
}

interface Receiver {
  url: string;
  bodies: Array<{ headers: IncomingMessage['headers']; body: Buffer }>;
  close(): Promise<void>;
}
const servers: Server[] = [];

/** A receiver on 127.0.0.1 that answers each request with `answer(n)` (n counts from 0); 'hang' never answers. */
async function startReceiver(answer: (n: number) => number | 'hang'): Promise<Receiver> {
  const bodies: Receiver['bodies'] = [];
  let n = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ headers: req.headers, body: Buffer.concat(chunks) });
      const a = answer(n++);
      if (a === 'hang') return;
      res.writeHead(a, { 'content-type': 'text/plain' }).end(a >= 300 ? `refused with ${a}` : '');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`,
    bodies,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A URL on which nothing listens: a port just freed. */
async function deadUrl(): Promise<string> {
  const r = await startReceiver(() => 204);
  await r.close();
  return r.url;
}

after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

describe('remote-write encoding', () => {
  test('one sample per series at the timestamp, labels sorted with __name__, metadata, split into requests of at most 2,000 series', () => {
    const bodies = encodeWriteRequests(families(MAX_SERIES_PER_REQUEST + 5, 42), 1_700_000_000_123);
    assert.deepEqual(
      bodies.map((b) => b.samples),
      [MAX_SERIES_PER_REQUEST, 5],
    );
    const series = decodeWriteRequest(bodies[1]!.body);
    assert.equal(series.length, 5);
    const first = series[0]!;
    assert.deepEqual(
      Object.keys(first.labels),
      ['Zed', '__name__', 'cohort', 'scenario'],
      'byte order: upper case before "_" before lower case',
    );
    assert.deepEqual(first.labels, {
      Zed: 'z',
      __name__: 'crosstalk_runs_started_total',
      cohort: `c${MAX_SERIES_PER_REQUEST}`,
      scenario: 's',
    });
    assert.deepEqual(first.samples, [{ value: 42, timestampMs: 1_700_000_000_123 }]);
  });
});

describe('remote-write sender', () => {
  test('delivers every interval in order, with the protocol headers', async () => {
    const rx = await startReceiver(() => 204);
    const c = createRemoteWriteClient(
      { url: rx.url, headers: { 'x-scope-orgid': 'team' } },
      { userAgent: 'crosstalk-test' },
    );
    for (let i = 0; i < 3; i++) c.push(families(10, i), 1000 + i);
    const s = await c.close(5000);
    assert.deepEqual(
      { sent: s.samplesSent, dropped: s.samplesDropped, failed: s.failedRequests },
      { sent: 30, dropped: 0, failed: 0 },
    );
    assert.deepEqual(
      rx.bodies.map((b) => decodeWriteRequest(b.body)[0]!.samples[0]!.timestampMs),
      [1000, 1001, 1002],
    );
    const h = rx.bodies[0]!.headers;
    assert.equal(h['content-encoding'], 'snappy');
    assert.equal(h['content-type'], 'application/x-protobuf');
    assert.equal(h['x-prometheus-remote-write-version'], '0.1.0');
    assert.equal(h['x-scope-orgid'], 'team');
    await rx.close();
  });

  test('retries a 503 with backoff and delivers once the receiver recovers', async () => {
    const rx = await startReceiver((n) => (n < 2 ? 503 : 204));
    const c = createRemoteWriteClient({ url: rx.url, headers: {} }, { userAgent: 'crosstalk-test' });
    c.push(families(7), 1000);
    const s = await c.close(10_000);
    assert.equal(s.samplesSent, 7);
    assert.equal(s.samplesDropped, 0);
    assert.equal(s.failedRequests, 2);
    assert.equal(s.requests, 3);
    assert.match(s.lastError ?? '', /^HTTP 503: refused with 503/);
    await rx.close();
  });

  test('a 400 is refused for good: dropped at once, not retried', async () => {
    const rx = await startReceiver(() => 400);
    const c = createRemoteWriteClient({ url: rx.url, headers: {} }, { userAgent: 'crosstalk-test' });
    c.push(families(4), 1000);
    c.push(families(4), 2000);
    const s = await c.close(5000);
    assert.deepEqual(
      { requests: s.requests, dropped: s.samplesDropped, sent: s.samplesSent },
      { requests: 2, dropped: 8, sent: 0 },
    );
    await rx.close();
  });

  for (const [name, make] of [
    ['answers 500', async () => (await startReceiver(() => 500)).url],
    ['is down', deadUrl],
    ['never answers', async () => (await startReceiver(() => 'hang')).url],
  ] as const) {
    test(`a receiver that ${name}: pushing never waits, the flush ends within its deadline, and every sample is counted as dropped`, async () => {
      const c = createRemoteWriteClient(
        { url: await make(), headers: {} },
        { userAgent: 'crosstalk-test', requestTimeoutMs: 60_000 },
      );
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) c.push(families(100), 1000 + i);
      assert.ok(performance.now() - t0 < 500, `5 pushes took ${Math.round(performance.now() - t0)} ms`);
      await new Promise((r) => setTimeout(r, 300));
      const t1 = performance.now();
      const s = await c.close(1500);
      const closeMs = performance.now() - t1;
      assert.ok(closeMs < 3000, `close took ${Math.round(closeMs)} ms (deadline 1.5 s)`);
      assert.equal(s.samplesSent, 0);
      assert.equal(s.samplesDropped, 500);
      if (name !== 'never answers') assert.ok(s.failedRequests >= 1 && s.lastError, JSON.stringify(s));
    });
  }

  test('the queue is bounded: a stalled receiver costs the oldest samples beyond the bound, counted', async () => {
    const rx = await startReceiver(() => 'hang');
    const c = createRemoteWriteClient(
      { url: rx.url, headers: {} },
      { userAgent: 'crosstalk-test', maxQueuedSamples: 250 },
    );
    for (let i = 0; i < 10; i++) c.push(families(100), 1000 + i);
    // 1 request on the wire plus at most 250 samples waiting: of 1,000, at least 650 are gone already.
    assert.ok(c.stats().samplesDropped >= 650, JSON.stringify(c.stats()));
    const s = await c.close(200);
    assert.equal(s.samplesDropped, 1000);
    assert.equal(rx.bodies.length, 1, 'one request at a time, in order');
    await rx.close();
  });
});
