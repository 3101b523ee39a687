// A run's Server-Sent Events stream, read from a real local server: each event's data is a frame typed by its
// `event:` name, or a batch of them; an adapter that says so reads an array as one frame (LangGraph's
// [chunk, metadata]); scalars and non-JSON are malformed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_PROFILE } from '../../src/config/load-scenario.js';
import type { Channel, FrameHandler } from '../../src/protocol/connection.js';
import { FrameReader, type FrameView } from '../../src/protocol/frame-reader.js';
import { createRestClient, type RestClient } from '../../src/protocol/rest-client.js';
import { SseRunStream } from '../../src/protocol/sse-stream.js';

const EVENTS = [
  'event: metadata\ndata: {"run_id":"run-1","attempt":1}\n\n',
  'event: messages\ndata: [{"content":"You ","type":"ai"},{"owner":"u-1","thread_id":"thr-1","run_id":"run-1"}]\n\n',
  'event: values\ndata: 42\n\n',
  'event: values\ndata: not json\n\n',
].join('');

describe('SseRunStream', () => {
  let server: Server;
  let rest: RestClient;

  before(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(EVENTS);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    rest = createRestClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { requestTimeoutMs: 5000 });
  });
  after(async () => {
    await rest.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const readAll = async (
    arrays: 'batch' | 'frame',
  ): Promise<{ seen: Array<Pick<FrameView, 'type' | 'userId' | 'threadId' | 'runId'>>; malformed: string[] }> => {
    const seen: Array<Pick<FrameView, 'type' | 'userId' | 'threadId' | 'runId'>> = [];
    const malformed: string[] = [];
    const handler: FrameHandler = {
      onFrame(_c: Channel, v: FrameView) {
        seen.push({ type: v.type, userId: v.userId, threadId: v.threadId, runId: v.runId });
      },
      onMalformed(_c: Channel, reason: string, text?: string) {
        malformed.push(`${reason}: ${text}`);
      },
      onUnexpectedClose() {},
    };
    // The langgraph adapter's reading: element 1 of an array frame, else the root.
    const reader = new FrameReader(
      { ...DEFAULT_PROFILE, fieldRoots: ['1', ''], fields: { ...DEFAULT_PROFILE.fields, userId: 'owner' }, arrays },
      'carrier',
    );
    const answer = await rest.stream('GET', '/', undefined, undefined, new AbortController().signal);
    assert.ok(answer.ok);
    assert.equal(await new SseRunStream(0, 0, reader, handler, [], 1 << 20).read(answer), 'closed');
    return { seen, malformed };
  };
  const MALFORMED = ['not a JSON object: 42', 'not JSON: not json'];

  test("arrays: frame reads [chunk, metadata] as one frame through the adapter's paths", async () => {
    const { seen, malformed } = await readAll('frame');
    assert.deepEqual(seen, [
      { type: 'metadata', userId: undefined, threadId: undefined, runId: 'run-1' },
      { type: 'messages', userId: 'u-1', threadId: 'thr-1', runId: 'run-1' },
    ]);
    assert.deepEqual(malformed, MALFORMED);
  });

  test("by default a list of objects is a batch: each element a frame of the event's type", async () => {
    const { seen, malformed } = await readAll('batch');
    assert.deepEqual(seen, [
      { type: 'metadata', userId: undefined, threadId: undefined, runId: 'run-1' },
      { type: 'messages', userId: undefined, threadId: undefined, runId: undefined },
      { type: 'messages', userId: 'u-1', threadId: 'thr-1', runId: 'run-1' },
    ]);
    assert.deepEqual(malformed, MALFORMED);
  });
});
