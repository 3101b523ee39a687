import type { Dispatcher } from 'undici';
import { computeHttpErrorKind, computeNetworkErrorKind, type ErrorKind } from '../core/error-kinds.js';

/** The outcome of one REST call; failures are data, never exceptions. */
export type RestResult =
  | {
      readonly ok: true;
      readonly status: number;
      readonly json: unknown;
      readonly text: string;
      readonly latencyUs: number;
    }
  | {
      readonly ok: false;
      readonly status: number | undefined;
      readonly kind: ErrorKind;
      readonly json: unknown;
      readonly text: string;
      readonly latencyUs: number | undefined;
    };

type Undici = typeof import('undici');
/** undici, loaded with the first REST call: a run that makes none (idle sessions) never pays for it. */
let undici: Undici | undefined;

/**
 * Loads undici once. In the bundle (dist/bundle) a CommonJS package imported
 * on demand arrives as a default export only, so both shapes are accepted.
 */
export async function loadUndici(): Promise<Undici> {
  if (undici) return undici;
  const m = (await import('undici')) as Undici & { default?: Undici };
  undici = typeof m.Agent === 'function' ? m : m.default;
  return undici;
}

function ignoreError(): void {
  /* read through the iterator, which sees errors while someone reads */
}

function abortWithTimeout(ctl: AbortController): void {
  ctl.abort(new DOMException('request deadline passed', 'TimeoutError'));
}

/** A streamed answer: its status and headers now, its body as it comes. */
export type StreamAnswer =
  | {
      readonly ok: true;
      readonly status: number;
      readonly contentType: string;
      readonly body: AsyncIterable<Buffer> & { destroy(): void };
    }
  | { readonly ok: false; readonly kind: ErrorKind };

/** Receives a streamed answer as undici reads it. */
export interface StreamSink {
  /** The answer's status and content type came. */
  onHead(status: number, contentType: string): void;
  /** A chunk of its body. */
  onChunk(chunk: Buffer): void;
  /** It ended, once: `undefined` when the server finished it, else how it failed (before or after its head, or cut). */
  onEnd(failure: ErrorKind | undefined): void;
}

const CUT = new DOMException('stream cut', 'AbortError');

/**
 * A streamed request read by an undici dispatch handler, for run streams (one
 * per agent run): undici hands each chunk straight to the sink, so a run pays
 * for no stream object, async iterator, pause and resume per chunk, abort
 * controller or listener. The plain version is `RestClient.stream()`; a test
 * checks the two read the same answers alike.
 */
export class StreamCall implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private cutAsked = false;
  private ended = false;

  constructor(private readonly sink: StreamSink) {}

  /** Cuts the request (its run is over); the sink then hears its end. */
  cut(): void {
    this.cutAsked = true;
    if (this.controller && !this.ended) this.controller.abort(CUT);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.cutAsked) controller.abort(CUT);
  }

  onResponseStart(
    _c: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    const ct = headers['content-type'];
    this.sink.onHead(status, Array.isArray(ct) ? (ct[0] ?? '') : (ct ?? ''));
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.sink.onChunk(chunk);
  }

  onResponseEnd(): void {
    this.end(undefined);
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.end(computeNetworkErrorKind(networkErrorCode(err)));
  }

  private end(failure: ErrorKind | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.onEnd(failure);
  }
}

/** The code an undici failure is classified by; an abort or deadline counts as a timeout. */
function networkErrorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; name?: string };
  return e.name === 'TimeoutError' || e.name === 'AbortError'
    ? 'ABORT_ERR'
    : typeof e.code === 'string'
      ? e.code
      : e.name;
}

/** How the backend takes a credential on REST: a header and its value for a token. */
export interface RestAuth {
  readonly header: string;
  readonly value: (token: string) => string;
}

/** A keep-alive HTTP client for one target, timing every call. */
export interface RestClient {
  call(
    method: Dispatcher.HttpMethod,
    path: string,
    token: string | undefined,
    body?: unknown,
    signal?: AbortSignal,
    headers?: Readonly<Record<string, string>>,
  ): Promise<RestResult>;
  /** Opens a request whose answer is read as a stream (SSE); the caller reads and ends it, bounded by `signal`. */
  stream(
    method: Dispatcher.HttpMethod,
    path: string,
    token: string | undefined,
    body: unknown,
    signal: AbortSignal,
    headers?: Readonly<Record<string, string>>,
  ): Promise<StreamAnswer>;
  /** Sends a request whose answer `call` reads as it comes (a run's stream); the call is cut by `call.cut()`. */
  openStream(
    method: Dispatcher.HttpMethod,
    path: string,
    token: string | undefined,
    body: unknown,
    call: StreamCall,
    headers?: Readonly<Record<string, string>>,
  ): Promise<void>;
  close(): Promise<void>;
  /** Loads the HTTP stack now, so a run that will call REST does not pay for it inside its first user's flow. */
  warm(): Promise<void>;
}

/**
 * Builds the REST client (undici, keep-alive). Latency is measured from the
 * call to the last byte of the body; a response of any status has a latency,
 * a network failure or timeout does not.
 */
export function createRestClient(
  baseUrl: string,
  opts: { requestTimeoutMs: number; maxBodyBytes?: number; auth?: RestAuth },
): RestClient {
  let agent: Dispatcher | undefined;
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const authHeader = opts.auth?.header ?? 'authorization';
  const authValue = opts.auth ? opts.auth.value : (token: string): string => `Bearer ${token}`;
  const origin = new URL(baseUrl);
  const pathPrefix = origin.pathname.replace(/\/$/, '');
  const getAgent = (u: Undici): Dispatcher =>
    (agent ??= new u.Agent({
      keepAliveTimeout: 30_000,
      connections: null,
      pipelining: 1,
      headersTimeout: opts.requestTimeoutMs,
      bodyTimeout: opts.requestTimeoutMs,
    }));
  /** A request's headers (`accept` first, then the route's, then the credential) and its JSON payload. */
  const prepare = (
    accept: string,
    token: string | undefined,
    body: unknown,
    extra: Readonly<Record<string, string>> | undefined,
  ): { headers: Record<string, string>; payload: string | undefined } => {
    const headers: Record<string, string> = { accept, ...extra };
    if (token !== undefined) headers[authHeader] = authValue(token);
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    return { headers, payload };
  };
  return {
    async openStream(method, path, token, body, call, extra) {
      const u = undici ?? (await loadUndici());
      const { headers, payload } = prepare('text/event-stream', token, body, extra);
      // A run's stream lasts as long as the run: only the wait for its headers is bounded here, the rest by the run.
      getAgent(u).dispatch(
        { origin: origin.origin, path: pathPrefix + path, method, headers, body: payload, bodyTimeout: 0 },
        call,
      );
    },
    async stream(method, path, token, body, signal, extra) {
      const u = undici ?? (await loadUndici());
      const { headers, payload } = prepare('text/event-stream', token, body, extra);
      try {
        const res = await u.request(`${baseUrl}${path}`, {
          method,
          headers,
          body: payload,
          dispatcher: getAgent(u),
          signal,
          bodyTimeout: 0,
        });
        // A stream cut by its run's end (abort) errors after its reader left: that is expected, never a crash.
        res.body.on('error', ignoreError);
        const ct = res.headers['content-type'];
        return {
          ok: true,
          status: res.statusCode,
          contentType: Array.isArray(ct) ? (ct[0] ?? '') : (ct ?? ''),
          body: res.body as unknown as AsyncIterable<Buffer> & { destroy(): void },
        };
      } catch (err) {
        return { ok: false, kind: computeNetworkErrorKind(networkErrorCode(err)) };
      }
    },
    async call(method, path, token, body, signal, extra) {
      // Loaded before the clock starts, so the first call's latency is the call's.
      const u = undici ?? (await loadUndici());
      const dispatcher = getAgent(u);
      const started = performance.now();
      const { headers, payload } = prepare('application/json', token, body, extra);
      // One deadline for the whole call: undici's own timeouts restart with every chunk of a
      // drip-fed body. A plain controller and timer, cleared when the call ends, so nothing
      // outlives the call (AbortSignal.any has leaked in some Node 20 releases).
      const ctl = new AbortController();
      const timer = setTimeout(abortWithTimeout, opts.requestTimeoutMs, ctl);
      const onOuter = (): void => ctl.abort();
      if (signal) {
        if (signal.aborted) ctl.abort();
        else signal.addEventListener('abort', onOuter, { once: true });
      }
      try {
        const res = await u.request(`${baseUrl}${path}`, {
          method,
          headers,
          body: payload,
          dispatcher,
          signal: ctl.signal,
        });
        // A target cannot make the generator buffer an unbounded body.
        let size = 0;
        const chunks: Buffer[] = [];
        for await (const chunk of res.body) {
          size += (chunk as Buffer).length;
          if (size > maxBody) {
            res.body.destroy();
            break;
          }
          chunks.push(chunk as Buffer);
        }
        const latencyUs = Math.round((performance.now() - started) * 1000);
        // Over the limit: rejected without assembling or parsing what was read.
        if (size > maxBody)
          return { ok: false, status: res.statusCode, kind: 'bad_response', json: undefined, text: '', latencyUs };
        let json: unknown;
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        const kind = computeHttpErrorKind(res.statusCode);
        if (kind) return { ok: false, status: res.statusCode, kind, json, text, latencyUs };
        if (text && json === undefined)
          return { ok: false, status: res.statusCode, kind: 'bad_response', json: undefined, text, latencyUs };
        return { ok: true, status: res.statusCode, json, text, latencyUs };
      } catch (err) {
        return {
          ok: false,
          status: undefined,
          kind: computeNetworkErrorKind(networkErrorCode(err)),
          json: undefined,
          text: '',
          latencyUs: undefined,
        };
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onOuter);
      }
    },
    close() {
      return agent ? agent.close() : Promise.resolve();
    },
    async warm() {
      await loadUndici();
    },
  };
}
