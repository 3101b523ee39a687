// Small client helpers shared by the smoke test and capture-wire.mjs: mint
// crosstalk-style JWTs, call the REST API, read an SSE stream frame by frame,
// and drive the protocol-v2 WebSocket. Plain fetch and ws, nothing mocked.

import { SignJWT } from 'jose';
import WebSocket from 'ws';

/** An HS256 access token as crosstalk mints them (protocol.md): sub, iat (`iatOffsetSec` from now), exp, type. */
export async function mintToken(
  secret,
  sub,
  { type = 'access', ttlSec = 900, signWith = secret, iatOffsetSec = 0 } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ type })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt(now + iatOffsetSec)
    .setExpirationTime(now + ttlSec)
    .sign(new TextEncoder().encode(signWith));
}

/** One JSON request; resolves to { status, headers, text, json } (json undefined when the body is not JSON). */
export async function api(baseUrl, method, path, { token, body, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`${baseUrl}${path}`, init);
  const text = await response.text();
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * Opens an SSE request and collects its frames until the server closes the
 * stream (or `stopWhen(frame)` is true, or `timeoutMs` passes). Each frame is
 * { event, data, id, atMs } with data the raw string; `closedAtMs` is when
 * the body ended, measured from the request.
 */
export async function readSse(baseUrl, method, path, { token, body, headers = {}, stopWhen, timeoutMs = 30_000 } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const startedAt = performance.now();
  const init = { method, headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal };
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const frames = [];
  let response;
  let stoppedEarly = false;
  let timedOut = false;
  try {
    response = await fetch(`${baseUrl}${path}`, init);
    if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        text,
        frames,
        closedAtMs: performance.now() - startedAt,
      };
    }
    const decoder = new TextDecoder();
    let buffered = '';
    let frame = { event: 'message', data: [], id: undefined };
    outer: for await (const bytes of response.body) {
      buffered += decoder.decode(bytes, { stream: true });
      for (let nl = buffered.search(/\r?\n/); nl >= 0; nl = buffered.search(/\r?\n/)) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(buffered[nl] === '\r' ? nl + 2 : nl + 1);
        if (line === '') {
          if (frame.data.length > 0 || frame.id !== undefined || frame.event !== 'message') {
            const done = {
              event: frame.event,
              data: frame.data.join('\n'),
              id: frame.id,
              atMs: performance.now() - startedAt,
            };
            frames.push(done);
            if (stopWhen?.(done)) {
              stoppedEarly = true;
              break outer;
            }
          }
          frame = { event: 'message', data: [], id: undefined };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') frame.event = value;
        else if (field === 'data') frame.data.push(value);
        else if (field === 'id') frame.id = value;
      }
    }
  } catch (error) {
    if (error?.name !== 'AbortError') throw error;
    timedOut = !stoppedEarly;
  } finally {
    clearTimeout(timer);
    if (stoppedEarly) controller.abort();
  }
  return {
    status: response?.status,
    headers: response?.headers,
    frames,
    closedAtMs: performance.now() - startedAt,
    stoppedEarly,
    timedOut,
  };
}

/**
 * Opens the protocol-v2 WebSocket of a thread with a bearer token. Resolves
 * to { frames, send(command), waitFor(predicate, timeoutMs), close() } once
 * open, or rejects with { status } when the upgrade is refused.
 */
export function openThreadSocket(baseUrl, threadId, token) {
  const url = `${baseUrl.replace(/^http/, 'ws')}/threads/${threadId}/stream/events`;
  const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const frames = [];
  const waiters = new Set();
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    frames.push(frame);
    for (const waiter of waiters) waiter.check();
  });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_request, response) => {
      reject(
        Object.assign(new Error(`WebSocket upgrade refused: HTTP ${response.statusCode}`), {
          status: response.statusCode,
        }),
      );
      ws.terminate();
    });
    ws.once('error', reject);
    ws.once('open', () => {
      resolve({
        frames,
        send(command) {
          ws.send(JSON.stringify(command));
        },
        waitFor(predicate, timeoutMs = 10_000) {
          return new Promise((resolveWait, rejectWait) => {
            const waiter = {
              check() {
                const found = frames.find(predicate);
                if (!found) return;
                clearTimeout(timer);
                waiters.delete(waiter);
                resolveWait(found);
              },
            };
            const timer = setTimeout(() => {
              waiters.delete(waiter);
              rejectWait(
                new Error(`no matching WebSocket frame within ${timeoutMs} ms (${frames.length} frames seen)`),
              );
            }, timeoutMs);
            waiters.add(waiter);
            waiter.check();
          });
        },
        close() {
          return new Promise((resolveClose) => {
            if (ws.readyState === WebSocket.CLOSED) return resolveClose();
            ws.once('close', () => resolveClose());
            ws.close();
          });
        },
      });
    });
  });
}
