// Run streams are read by an undici dispatch handler (StreamCall → SseRunStream.feed), the fast path; probes read
// the plain way (RestClient.stream → SseRunStream.read). Both must read every answer alike: the same frames in the
// same order, the same malformed ones, and the same ending — whatever the chunking, a done sentinel on a stream
// that stays open, a close without one, a body over its limit, a reset, a refusal, a refused connection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_PROFILE } from '../../src/config/load-scenario.js';
import type { Channel, FrameHandler } from '../../src/protocol/connection.js';
import { FrameReader, type FrameView } from '../../src/protocol/frame-reader.js';
import { createRestClient, StreamCall, type RestClient } from '../../src/protocol/rest-client.js';
import { SseRunStream, type StreamEnd } from '../../src/protocol/sse-stream.js';

const MAX_BYTES = 4096;
// Multi-byte text, so chunks cut inside a character must be decoded across the cut.
const EVENTS = [
  'event: agent_started\ndata: {"type":"agent_started","run_id":"r-1","user_id":"u-1"}\n\n',
  'event: agent_content\ndata: {"type":"agent_content","run_id":"r-1","content":"Grüße, 世界 — ☃︎"}\n\n',
  'data: [{"type":"tool_start","run_id":"r-1"},{"type":"tool_end","run_id":"r-1"}]\n\n',
  'event: agent_content\ndata: not json at all\n\n',
  'event: agent_content\ndata: 7\n\n',
].join('');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Writes `text` in chunks of `size` bytes, with a pause between them, so the client reads many chunks. */
async function dribble(res: ServerResponse, text: string, size: number): Promise<void> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) {
    res.write(bytes.subarray(i, i + size));
    if (i % (size * 8) === 0) await sleep(1);
  }
}

interface Reading {
  readonly head?: number;
  readonly frames: string[];
  readonly malformed: string[];
  readonly end: StreamEnd | 'refused' | `failed ${string}`;
}

describe('StreamCall reads run streams as the plain reader does', () => {
  let server: Server;
  let rest: RestClient;
  let refusedUrl: string;

  before(async () => {
    server = createServer((req, res) => {
      void (async () => {
        const sse = { 'content-type': 'text/event-stream' };
        switch (req.url) {
          case '/whole':
            res.writeHead(200, sse);
            return res.end(EVENTS);
          case '/dribble':
            res.writeHead(200, sse);
            await dribble(res, EVENTS, 3);
            return res.end();
          // The sentinel ends the run; the server keeps the stream open, so the reader must cut it.
          case '/done-open':
            res.writeHead(200, sse);
            res.write(EVENTS);
            res.write('data: [DONE]\n\n');
            return;
          case '/over-limit':
            res.writeHead(200, sse);
            await dribble(res, EVENTS.repeat(20), 512);
            return res.end();
          case '/reset':
            res.writeHead(200, sse);
            res.write(EVENTS);
            await sleep(20);
            return res.destroy();
          case '/refused':
            res.writeHead(403, { 'content-type': 'application/json' });
            return res.end('{"error":{"code":"FORBIDDEN"}}');
          default:
            res.writeHead(404);
            return res.end();
        }
      })();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    rest = createRestClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { requestTimeoutMs: 5000 });
    // A port nobody listens on: bound, then closed.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
  });
  after(async () => {
    await rest.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const collector = (): { handler: FrameHandler; frames: string[]; malformed: string[] } => {
    const frames: string[] = [];
    const malformed: string[] = [];
    const handler: FrameHandler = {
      onFrame(_c: Channel, v: FrameView, _f: unknown, text: string) {
        frames.push(`${v.type} ${v.runId ?? ''} ${text}`);
      },
      onMalformed(_c: Channel, reason: string, text?: string) {
        malformed.push(`${reason}: ${text}`);
      },
      onUnexpectedClose() {},
    };
    return { handler, frames, malformed };
  };
  const reader = new FrameReader(DEFAULT_PROFILE, 'auto');
  const newStream = (handler: FrameHandler): SseRunStream =>
    new SseRunStream(0, 0, reader, handler, ['[DONE]'], MAX_BYTES);

  const readPlain = async (client: RestClient, path: string): Promise<Reading> => {
    const { handler, frames, malformed } = collector();
    const answer = await client.stream('POST', path, 'tok', { content: 'hi' }, new AbortController().signal);
    if (!answer.ok) return { frames, malformed, end: `failed ${answer.kind}` };
    if (answer.status !== 200) {
      answer.body.destroy();
      return { head: answer.status, frames, malformed, end: 'refused' };
    }
    return { head: answer.status, frames, malformed, end: await newStream(handler).read(answer) };
  };

  const readFast = (client: RestClient, path: string): Promise<Reading> => {
    const { handler, frames, malformed } = collector();
    return new Promise((resolve) => {
      let head: number | undefined;
      let stream: SseRunStream | undefined;
      const call: StreamCall = new StreamCall({
        onHead(status) {
          head = status;
          if (status === 200) stream = newStream(handler);
        },
        onChunk(chunk) {
          if (stream && !stream.feed(chunk)) call.cut();
        },
        onEnd(failure) {
          if (head === undefined) return resolve({ frames, malformed, end: `failed ${failure}` });
          resolve({ head, frames, malformed, end: stream ? stream.end(failure === undefined) : 'refused' });
        },
      });
      void client.openStream('POST', path, 'tok', { content: 'hi' }, call);
    });
  };

  const EXPECTED_FRAMES = 4;
  for (const [path, end, frames] of [
    ['/whole', 'closed', EXPECTED_FRAMES],
    ['/dribble', 'closed', EXPECTED_FRAMES],
    ['/done-open', 'done', EXPECTED_FRAMES],
    ['/over-limit', 'broken', undefined],
    ['/reset', 'broken', EXPECTED_FRAMES],
    ['/refused', 'refused', 0],
  ] as const) {
    test(`${path}: both readers see the same frames and end "${end}"`, async () => {
      const plain = await readPlain(rest, path);
      const fast = await readFast(rest, path);
      assert.equal(fast.end, end);
      if (frames !== undefined) {
        assert.deepEqual(fast, plain);
        assert.equal(fast.frames.length, frames);
      } else {
        // Over the limit, reading stops at a chunk boundary, and the two readers may be handed different chunks.
        assert.equal(plain.end, end);
        for (const r of [fast, plain])
          assert.ok(r.frames.length < EXPECTED_FRAMES * 20, `over the limit, reading stops: ${r.frames.length} frames`);
        const n = Math.min(fast.frames.length, plain.frames.length);
        assert.deepEqual(fast.frames.slice(0, n), plain.frames.slice(0, n));
      }
      if (frames) {
        assert.match(fast.frames[1]!, /Grüße, 世界 — ☃︎/);
        assert.deepEqual(fast.malformed, ['not JSON: not json at all', 'not a JSON object: 7']);
      }
    });
  }

  test('a refused connection is a failure before any head, on both readers', async () => {
    const client = createRestClient(refusedUrl, { requestTimeoutMs: 2000 });
    try {
      const plain = await readPlain(client, '/');
      const fast = await readFast(client, '/');
      assert.deepEqual(fast, plain);
      assert.equal(fast.end, 'failed connect_refused');
    } finally {
      await client.close();
    }
  });

  test('a call cut before its answer came ends once, as a failure, and the next call on the pool still works', async () => {
    let ends = 0;
    let failure: string | undefined;
    const call = new StreamCall({
      onHead() {},
      onChunk() {},
      onEnd(f) {
        ends++;
        failure = f;
      },
    });
    call.cut();
    await rest.openStream('POST', '/whole', 'tok', undefined, call);
    await sleep(50);
    call.cut();
    assert.equal(ends, 1);
    assert.equal(failure, 'timeout');
    assert.equal((await readFast(rest, '/whole')).end, 'closed');
  });
});
