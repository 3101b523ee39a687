// Users of the reference target seen through raw clients on any transport:
// every frame each one received, as it came over the wire (text or binary,
// object, string or array), with its arrival time, and a reader that tells
// which form a frame came in. For tests of the leak-form faults and noise.
// No side effects at import time (node --test also loads this file as a test file).
import assert from 'node:assert/strict';
import { openWs, rest, uniqueId, type Frame, type TestSocket } from './client.js';
import { openSocketIo, type TestIoSocket } from './socketio-client.js';
import { openRunStream, type TestSseStream } from './sse-client.js';
import type { TestTarget } from './target.js';
import type { TargetTransport } from '../../src/target/transport-gateway.js';

/** One frame as a user received it. */
export interface Got {
  /** The transport it came over. */
  readonly via: TargetTransport;
  /** The SSE `event:` field or the Socket.IO event name; undefined on ws. */
  readonly event: string | undefined;
  /** What arrived, as text: a ws frame's UTF-8, an SSE event's data, a Socket.IO argument (a Buffer's UTF-8, else its JSON). */
  readonly text: string;
  /** A ws binary frame, or a Socket.IO argument that was a Buffer. */
  readonly binary: boolean;
  /** ws and sse: the text parsed as JSON (undefined when it is not JSON); socketio: the argument itself. */
  readonly value: unknown;
  readonly atMs: number;
}

/** The shape a frame came in (see the target's FrameForm), and the frame inside. */
export interface ReadFrame {
  readonly form: 'plain' | 'payload_string' | 'frame_string' | 'binary' | 'array' | 'unreadable';
  readonly type: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly payload: any;
}

/** A user with a thread and a raw client on the target's transport. */
export interface Party {
  readonly id: string;
  readonly token: string;
  readonly threadId: string;
  /** What `connection_established` said (ws, socketio); undefined on sse. */
  readonly welcome: Frame | undefined;
  /** Every frame received after the welcome, in arrival order (sse: over all its run streams). */
  received(): Got[];
  /** Starts a run: a `user_message` on ws and socketio, a run stream on sse. */
  startRun(content: string, messageId: string): Promise<void>;
  close(): Promise<void>;
}

/** Creates a user (token, one thread titled `title`) and opens its connection (ws, socketio; sse opens one per run). */
export async function openParty(target: TestTarget, title: string | null = null, id = uniqueId('u')): Promise<Party> {
  const token = await target.token(id);
  const created = await rest(target.url, 'POST', '/api/threads', { token, body: { title } });
  assert.equal(created.status, 201);
  const threadId = created.json.id as string;
  return partyOn(target.transport, target.url, id, token, threadId);
}

/** Another connection (browser tab) of the same user, thread and token (ws, socketio). */
export function openTab(target: TestTarget, party: Party): Promise<Party> {
  return partyOn(target.transport, target.url, party.id, party.token, party.threadId);
}

async function partyOn(
  transport: TargetTransport,
  url: string,
  id: string,
  token: string,
  threadId: string,
): Promise<Party> {
  const base = { id, token, threadId };
  if (transport === 'ws') {
    const s: TestSocket = await openWs(url, { delivery: 'header', token });
    const got: Got[] = [];
    s.ws.on('message', (data, isBinary) => {
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as Buffer).toString('utf8');
      got.push({
        via: 'ws',
        event: undefined,
        text,
        binary: isBinary,
        value: parseOrUndefined(text),
        atMs: Date.now(),
      });
    });
    return {
      ...base,
      welcome: s.frames[0],
      received: () => got,
      startRun: (content, messageId) => {
        s.send({ type: 'user_message', payload: { thread_id: threadId, content, message_id: messageId } });
        return Promise.resolve();
      },
      close: () => s.close(),
    };
  }
  if (transport === 'socketio') {
    const s: TestIoSocket = await openSocketIo(url, { delivery: 'auth', token });
    const got: Got[] = [];
    s.socket.onAny((event: string, arg: unknown) => {
      const bytes = Buffer.isBuffer(arg) ? arg : arg instanceof ArrayBuffer ? Buffer.from(arg) : undefined;
      got.push({
        via: 'socketio',
        event,
        text: bytes ? bytes.toString('utf8') : (JSON.stringify(arg) ?? ''),
        binary: bytes !== undefined,
        value: bytes ?? arg,
        atMs: Date.now(),
      });
    });
    return {
      ...base,
      welcome: s.frames[0],
      received: () => got,
      startRun: (content, messageId) => {
        s.emit('user_message', { thread_id: threadId, content, message_id: messageId });
        return Promise.resolve();
      },
      close: () => s.close(),
    };
  }
  const streams: TestSseStream[] = [];
  return {
    ...base,
    welcome: undefined,
    received: () =>
      streams
        .flatMap((st) =>
          st.events.map((e, i): Got => ({
            via: 'sse',
            event: e.event,
            text: e.data,
            binary: false,
            value: parseOrUndefined(e.data),
            atMs: st.receivedAtMs[i]!,
          })),
        )
        .sort((a, b) => a.atMs - b.atMs),
    startRun: async (content, messageId) => {
      const st = await openRunStream(url, threadId, { token, content, messageId });
      assert.equal(st.status, 200, `run stream opened: ${JSON.stringify(st.json)}`);
      streams.push(st);
    },
    close: async () => {
      for (const st of streams) st.abort();
      await Promise.all(streams.map((st) => st.finished));
    },
  };
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/**
 * Reads a received frame whatever its form: on ws and sse the JSON text is
 * an object (`payload` or `data` an object: plain; a string holding an
 * object: payload_string), a string holding a frame (frame_string) or a
 * one-element array (array); a binary ws frame is binary. On socketio the
 * argument is the payload: an object (plain), its JSON as a string
 * (payload_string), a Buffer of its JSON (binary) or an array holding it (array).
 */
export function readFrame(g: Got): ReadFrame {
  const v = g.value;
  if (g.via === 'socketio') {
    if (g.binary) return { form: 'binary', type: g.event, payload: parseOrUndefined(g.text) };
    if (typeof v === 'string') return { form: 'payload_string', type: g.event, payload: parseOrUndefined(v) };
    if (Array.isArray(v)) return { form: 'array', type: g.event, payload: v[0] };
    return { form: isObject(v) ? 'plain' : 'unreadable', type: g.event, payload: v };
  }
  const frame = (f: unknown, form: ReadFrame['form']): ReadFrame => {
    if (!isObject(f)) return { form: 'unreadable', type: undefined, payload: undefined };
    const type = (f.type ?? f.event) as string | undefined;
    // The flat dialect has no envelope: the fields are the frame's own.
    const body = f.payload ?? f.data ?? f;
    if (typeof body === 'string') {
      const inner = parseOrUndefined(body);
      return { form: form === 'plain' && isObject(inner) ? 'payload_string' : 'unreadable', type, payload: inner };
    }
    return { form, type, payload: body };
  };
  if (g.binary) return frame(v, 'binary');
  if (typeof v === 'string') return frame(parseOrUndefined(v), 'frame_string');
  if (Array.isArray(v))
    return v.length === 1 ? frame(v[0], 'array') : { form: 'unreadable', type: undefined, payload: undefined };
  return frame(v, 'plain');
}
