import type { ErrorKind } from '../core/error-kinds.js';
import type { Delivery } from '../core/scenario-types.js';
import type { FrameView } from './frame-reader.js';

/**
 * What frames arrive on: a persistent connection (a browser tab's WebSocket
 * or Socket.IO socket) or one run's event stream. The per-frame path reads
 * only these two facts of it.
 */
export interface Channel {
  /** The tab it belongs to (flow steps name tabs by index). */
  readonly index: number;
  /** When it became ready (µs, performance clock): frames of runs sent before it are a partial view. */
  readonly openedAtUs: number;
}

/** Receives what a channel reads; called once per frame, with the frame parsed once. */
export interface FrameHandler {
  onFrame(channel: Channel, view: FrameView, frame: unknown, text: string, nowUs: number): void;
  /**
   * A frame that is not one JSON object (not JSON, a list, a number...):
   * counted as malformed; its `text`, when it has one, is still scanned for
   * other users' data, since a leak need not be well-formed.
   */
  onMalformed(channel: Channel, reason: string, text?: string): void;
  /** The connection closed without us asking. */
  onUnexpectedClose(channel: Channel, code: number): void;
}

/** How connecting went. */
export type OpenResult =
  | { readonly ok: true; readonly connectUs: number; readonly connectionId: string | undefined }
  | { readonly ok: false; readonly kind: ErrorKind; readonly status?: number; readonly detail: string };

/** Where and how to connect. */
export interface ConnectOptions {
  /** ws(s):// URL (WebSocket) or http(s):// base (Socket.IO), without credentials. */
  readonly url: string;
  /** Socket.IO's endpoint path. */
  readonly path?: string;
  readonly delivery: Delivery;
  /** A token, or for `ticket` delivery the ticket id. */
  readonly credential: string;
  readonly connectTimeoutMs: number;
  readonly maxPayloadBytes: number;
  /** The frame type that says the connection is ready, and where its connection id is; undefined: ready once open. */
  readonly handshake?: { readonly type: string; readonly connectionId?: string };
}

/** A message for the backend: Socket.IO emits `event` with `data`; a WebSocket sends `data` as JSON text. */
export interface OutgoingMessage {
  readonly event?: string;
  readonly data: unknown;
}

/** A persistent connection of one simulated user's tab, whatever carries it. */
export interface Connection extends Channel {
  /** Open and ready. */
  readonly isOpen: boolean;
  /** The server closed it after it was ready. */
  readonly dropped: boolean;
  /** Connects and waits until ready (or a failure, or the timeout). */
  open(opts: ConnectOptions): Promise<OpenResult>;
  /** Sends one message; false when the connection is not open. */
  send(message: OutgoingMessage): boolean;
  /** Closes on purpose and waits (bounded). */
  close(): Promise<void>;
  /** Drops it at once. */
  terminate(): void;
}

/** Makes the connection of tab `index` for one transport. */
export type ConnectionFactory = (index: number, handler: FrameHandler) => Connection;

/** The id a handshake frame names, at `path` in its payload, data or root. */
export function readConnectionId(frame: unknown, path: string | undefined): string | undefined {
  if (path === undefined || frame === null || typeof frame !== 'object') return undefined;
  const f = frame as Record<string, unknown>;
  for (const root of [f.payload, f.data, f]) {
    let cur: unknown = root;
    for (const p of path.split('.'))
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
    if (typeof cur === 'string') return cur;
  }
  return undefined;
}

/** Largest nested JSON text read as an object (a double-encoded frame or payload). */
const MAX_NESTED_CHARS = 1024 * 1024;

/** A string that holds a JSON object, parsed; undefined otherwise. */
function parseNested(v: unknown): Record<string, unknown> | undefined {
  if (typeof v !== 'string' || v.length > MAX_NESTED_CHARS) return undefined;
  const c = v.charCodeAt(0);
  // Only text that starts like an object is tried: most strings are prose.
  if (c !== 123 && !(c === 32 || c === 10 || c === 13 || c === 9)) return undefined;
  try {
    const o = JSON.parse(v) as unknown;
    return o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a double-encoded frame as what it encodes: a frame that is a JSON
 * string holding an object is that object, and a `payload` or `data` that is
 * one is read as the object (one level, bounded in size), so its owner fields
 * and type count. Anything else is returned as it is.
 */
export function decodeNested(frame: unknown): unknown {
  let f = frame;
  if (typeof f === 'string') f = parseNested(f) ?? f;
  if (f === null || typeof f !== 'object' || Array.isArray(f)) return f;
  const o = f as Record<string, unknown>;
  // The usual frame has an object (or nothing) here: two type checks, no copy.
  if (typeof o.payload !== 'string' && typeof o.data !== 'string') return o;
  const payload = parseNested(o.payload);
  const data = parseNested(o.data);
  if (!payload && !data) return o;
  return { ...o, ...(payload ? { payload } : {}), ...(data ? { data } : {}) };
}

/** Most frames a batch may hold to be read as frames: a longer list is data, not a batch. */
const MAX_BATCH = 64;

/**
 * The frames of a batch: a JSON list whose every element is an object (or a
 * JSON string holding one) is read as that many frames, as backends that
 * batch events send them; undefined for anything else (then scanned as text).
 */
export function readBatch(frame: unknown): Array<Record<string, unknown>> | undefined {
  if (!Array.isArray(frame) || frame.length === 0 || frame.length > MAX_BATCH) return undefined;
  const out: Array<Record<string, unknown>> = [];
  for (const item of frame) {
    const f = decodeNested(item);
    if (f === null || typeof f !== 'object' || Array.isArray(f)) return undefined;
    out.push(f as Record<string, unknown>);
  }
  return out;
}
