// SSE client for tests: POSTs a run-stream request with undici and parses the
// event stream by hand (event, id, data fields; a blank line ends an event).
// No side effects at import time (node --test also loads this file as a test file).
import { request } from 'undici';
import type { Frame } from './client.js';

/** One server-sent event as received. */
export interface SseEvent {
  readonly event: string | undefined;
  readonly id: string | undefined;
  readonly data: string;
}

/** How a stream finished: the server ended it, the connection broke, or the test aborted it. */
export type StreamEnd = 'end' | 'cut' | 'aborted';

/** A run-stream request: its answer, and when it streams, every event in arrival order. */
export interface TestSseStream {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON answer when the server did not stream (an error). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
  readonly events: SseEvent[];
  /** When each event arrived (`Date.now()`), index for index with `events`. */
  readonly receivedAtMs: number[];
  /** Each event's data parsed as JSON (`{ type: undefined, raw }` when it is not JSON). */
  readonly frames: Frame[];
  /** Resolves with the first frame (past or future) matching; rejects after `timeoutMs` or when the stream finished without one. */
  waitFor(predicate: (frame: Frame, index: number) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Resolves once the stream is over, with how it ended. */
  readonly finished: Promise<StreamEnd>;
  /** Closes the stream from the client side, as a reader that goes away. */
  abort(): void;
}

/** Options of {@link openRunStream}. */
export interface RunStreamOptions {
  readonly token?: string;
  /** The JSON body; default `{ content, message_id }` from the other options. */
  readonly body?: unknown;
  readonly content?: string;
  readonly messageId?: string;
}

/** `POST /api/threads/:threadId/runs/stream`; resolves once the answer's headers are in. */
export async function openRunStream(
  baseUrl: string,
  threadId: string,
  opts: RunStreamOptions = {},
): Promise<TestSseStream> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const body = opts.body ?? {
    content: opts.content ?? 'hello',
    ...(opts.messageId !== undefined ? { message_id: opts.messageId } : {}),
  };
  const ac = new AbortController();
  const res = await request(new URL(`/api/threads/${encodeURIComponent(threadId)}/runs/stream`, baseUrl), {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: ac.signal,
    headersTimeout: 10_000,
    bodyTimeout: 30_000,
  });
  const events: SseEvent[] = [];
  const receivedAtMs: number[] = [];
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  let over = false;
  const ctype = String(res.headers['content-type'] ?? '');
  if (!ctype.startsWith('text/event-stream')) {
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return {
      status: res.statusCode,
      headers: res.headers,
      json,
      events,
      receivedAtMs,
      frames,
      waitFor: () => Promise.reject(new Error(`not a stream: HTTP ${res.statusCode} ${text}`)),
      finished: Promise.resolve('end'),
      abort: () => undefined,
    };
  }

  let aborted = false;
  let buffer = '';
  let event: string | undefined;
  let id: string | undefined;
  let data: string[] = [];
  const onLine = (line: string): void => {
    if (line === '') {
      if (data.length > 0 || event !== undefined) {
        const ev: SseEvent = { event, id, data: data.join('\n') };
        events.push(ev);
        receivedAtMs.push(Date.now());
        let frame: Frame;
        try {
          frame = JSON.parse(ev.data) as Frame;
        } catch {
          frame = { type: undefined, raw: ev.data };
        }
        frames.push(frame);
        for (const w of [...waiters]) w();
      }
      event = undefined;
      id = undefined;
      data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  };
  res.body.setEncoding('utf8');
  res.body.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const len = buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? 2 : 1;
      onLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + len);
    }
  });
  const finished = new Promise<StreamEnd>((resolve) => {
    const done = (how: StreamEnd): void => {
      if (over) return;
      over = true;
      for (const w of [...waiters]) w();
      resolve(how);
    };
    res.body.on('end', () => done('end'));
    res.body.on('error', () => done(aborted ? 'aborted' : 'cut'));
    res.body.on('close', () => done(aborted ? 'aborted' : 'cut'));
  });

  const waitFor = (predicate: (frame: Frame, index: number) => boolean, timeoutMs = 3000): Promise<Frame> =>
    new Promise<Frame>((resolve, reject) => {
      let checked = 0;
      const check = (): void => {
        for (; checked < frames.length; checked++) {
          if (predicate(frames[checked]!, checked)) {
            stop();
            resolve(frames[checked]!);
            return;
          }
        }
        if (over) {
          stop();
          reject(
            new Error(`stream finished while waiting; events: ${frames.map((f) => f.type).join(', ') || '(none)'}`),
          );
        }
      };
      const timer = setTimeout(() => {
        stop();
        reject(
          new Error(
            `no matching event within ${timeoutMs} ms; events: ${frames.map((f) => f.type).join(', ') || '(none)'}`,
          ),
        );
      }, timeoutMs);
      const stop = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return {
    status: res.statusCode,
    headers: res.headers,
    json: undefined,
    events,
    receivedAtMs,
    frames,
    waitFor,
    finished,
    abort() {
      if (over) return;
      aborted = true;
      ac.abort();
    },
  };
}
