// Raw protocol client for tests: JWT minting, REST over undici, WebSocket over ws.
// No side effects at import time (node --test also loads this file as a test file).
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { request } from 'undici';
import WebSocket from 'ws';

/** Options of {@link mintToken}. */
export interface MintOptions {
  /** Lifetime in seconds from now; negative gives an already expired token. Default 900. */
  readonly expiresInSec?: number;
  /** The `type` claim; default `access`. */
  readonly type?: string;
  /** Sign with a different secret (a badly signed token). */
  readonly wrongSecret?: boolean;
}

/** Mints an HS256 token with claims `sub`, `iat`, `exp`, `type` as protocol.md describes. */
export async function mintToken(secret: string, sub: string, opts: MintOptions = {}): Promise<string> {
  const nowSec = Math.floor(Date.now() / 1000);
  const expiresIn = opts.expiresInSec ?? 900;
  const iat = expiresIn < 0 ? nowSec + expiresIn - 60 : nowSec;
  const key = new TextEncoder().encode(opts.wrongSecret ? `${secret}-not-the-secret` : secret);
  return new SignJWT({ type: opts.type ?? 'access' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime(nowSec + expiresIn)
    .sign(key);
}

/** A unique id with a readable prefix, e.g. `uniqueId('u')` → `u-3f9a0c1b2d4e`. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/** Options of {@link rest}. */
export interface RestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Serialized as JSON with `content-type: application/json`. */
  readonly body?: unknown;
  /** Sent as is (takes precedence over `body`). */
  readonly rawBody?: string | Buffer;
  readonly headers?: Record<string, string>;
}

/** What {@link rest} returns; `json` is the parsed body, `undefined` when empty, the text when not JSON. */
export interface RestResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

/** One HTTP call with undici against `baseUrl` (e.g. `http://127.0.0.1:1234`). */
export async function rest(
  baseUrl: string,
  method: string,
  path: string,
  opts: RestOptions = {},
): Promise<RestResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let body: string | Buffer | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  const res = await request(new URL(path, baseUrl), {
    method: method as 'GET',
    headers,
    ...(body !== undefined ? { body } : {}),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await res.body.text();
  let json: unknown;
  if (text !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
  }
  return { status: res.statusCode, headers: res.headers, json };
}

/** A server frame as received; `payload` is whatever the server put there. */
export interface Frame {
  readonly type?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly payload?: any;
  readonly [key: string]: unknown;
}

/** How {@link openWs} presents the token (protocol.md "Identity and tokens"). */
export type Delivery = 'subprotocol' | 'header' | 'query' | 'ticket';

/** The four deliveries, for tests that loop over them. */
export const DELIVERIES: readonly Delivery[] = ['subprotocol', 'header', 'query', 'ticket'];

/** Options of {@link openWs}. */
export interface OpenWsOptions {
  readonly delivery: Delivery;
  /** The token presented (for `ticket`, the Bearer token used to get the ticket). May be omitted to connect without one. */
  readonly token?: string;
  /** For `ticket`: use this ticket id instead of requesting one. */
  readonly ticket?: string;
  /** Give up when `connection_established` has not arrived after this long. Default 5000. */
  readonly timeoutMs?: number;
}

/** The error {@link openWs} rejects with when the upgrade is refused; `status` is the HTTP status. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`websocket upgrade refused with HTTP ${status}: ${body}`);
    this.name = 'UpgradeRefused';
  }
}

/** An open test connection that records every frame it receives. */
export interface TestSocket {
  readonly ws: WebSocket;
  /** Every frame received, parsed, in arrival order (non-JSON frames are `{ type: undefined, raw }`). */
  readonly frames: Frame[];
  /** The same frames as raw text, for leak scans. */
  readonly raw: string[];
  /** How many frames arrived as binary (protocol.md: every frame is UTF-8 text). */
  readonly binaryFrames: () => number;
  /** From `connection_established`. */
  readonly userId: string;
  readonly connectionId: string;
  /** Sends one frame (objects are JSON-encoded, strings and Buffers go as they are). */
  send(frame: unknown, opts?: { binary?: boolean }): void;
  /**
   * Resolves with the first recorded frame (past or future) matching
   * `predicate(frame, index)`; rejects after `timeoutMs` or when the socket closes.
   */
  waitFor(predicate: (frame: Frame, index: number) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Resolves once the socket is closed (closes it first if needed). */
  close(): Promise<void>;
}

/** The `ws://…/ws` endpoint for a target's `http://` base URL. */
export function wsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/^http/, 'ws')}/ws`;
}

/**
 * Opens `GET /ws` presenting the token by `delivery`. Resolves after
 * `connection_established`; rejects with {@link UpgradeRefused} when the
 * server answers the upgrade with an HTTP error (for `ticket`, also when
 * `POST /api/websocket/ticket` refuses the token; `status` is then its status).
 */
export async function openWs(baseUrl: string, opts: OpenWsOptions): Promise<TestSocket> {
  let url = wsUrl(baseUrl);
  let protocols: string[] | undefined;
  const headers: Record<string, string> = {};
  switch (opts.delivery) {
    case 'subprotocol':
      if (opts.token !== undefined) protocols = [`jwt.${opts.token}`];
      break;
    case 'header':
      if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
      break;
    case 'query':
      if (opts.token !== undefined) url += `?token=${encodeURIComponent(opts.token)}`;
      break;
    case 'ticket': {
      let ticket = opts.ticket;
      if (ticket === undefined) {
        const res = await rest(
          baseUrl,
          'POST',
          '/api/websocket/ticket',
          opts.token !== undefined ? { token: opts.token } : {},
        );
        if (res.status !== 200 && res.status !== 201) throw new UpgradeRefused(res.status, JSON.stringify(res.json));
        ticket = String(res.json.ticket_id);
      }
      url += `?ticket=${encodeURIComponent(ticket)}`;
      break;
    }
  }

  const ws = new WebSocket(url, protocols, { headers, handshakeTimeout: opts.timeoutMs ?? 5000 });
  const frames: Frame[] = [];
  const raw: string[] = [];
  const waiters = new Set<() => void>();
  let closed = false;
  let binaryFrames = 0;
  const closedPromise = new Promise<void>((resolve) =>
    ws.once('close', () => {
      closed = true;
      for (const w of [...waiters]) w();
      resolve();
    }),
  );
  ws.on('message', (data, isBinary) => {
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as Buffer).toString('utf8');
    raw.push(text);
    if (isBinary) binaryFrames++;
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      frame = { type: undefined, raw: text, binary: isBinary };
    }
    frames.push(frame);
    for (const w of [...waiters]) w();
  });

  const waitFor = (predicate: (frame: Frame, index: number) => boolean, timeoutMs = 3000): Promise<Frame> =>
    new Promise<Frame>((resolve, reject) => {
      let checked = 0;
      const check = (): void => {
        for (; checked < frames.length; checked++) {
          const f = frames[checked]!;
          if (predicate(f, checked)) {
            done();
            resolve(f);
            return;
          }
        }
        if (closed) {
          done();
          reject(new Error(`socket closed while waiting; last frames: ${describe(frames)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching frame within ${timeoutMs} ms; last frames: ${describe(frames)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return new Promise<TestSocket>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };
    const timer = setTimeout(() => {
      fail(new Error(`no connection_established within ${opts.timeoutMs ?? 5000} ms`));
      ws.terminate();
    }, opts.timeoutMs ?? 5000);
    ws.on('error', (err) => fail(err));
    ws.once('close', () => fail(new Error('socket closed before connection_established')));
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        fail(new UpgradeRefused(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
        ws.terminate();
      });
      res.on('error', () => {
        fail(new UpgradeRefused(res.statusCode ?? 0, ''));
        ws.terminate();
      });
    });
    waitFor((f) => f.type === 'connection_established', (opts.timeoutMs ?? 5000) + 1000).then(
      (f) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          ws,
          frames,
          raw,
          binaryFrames: () => binaryFrames,
          userId: String(f.payload?.user_id),
          connectionId: String(f.payload?.connection_id),
          send(frame, sendOpts) {
            const data = typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame);
            ws.send(data, { binary: sendOpts?.binary ?? false });
          },
          waitFor,
          close() {
            if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
            ws.close(1000);
            const cut = setTimeout(() => ws.terminate(), 1000);
            return closedPromise.finally(() => clearTimeout(cut));
          },
        });
      },
      () => {
        /* the failure paths above report */
      },
    );
  });
}

function describe(frames: readonly Frame[]): string {
  return (
    frames
      .slice(-8)
      .map((f) => f.type ?? '?')
      .join(', ') || '(none)'
  );
}
