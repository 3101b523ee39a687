import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { PromFamily } from '../core/prom-families.js';
import type { RemoteWriteSummary } from '../core/summary.js';
import { encodeWriteRequests, type RemoteWriteBody } from './remote-write-encoding.js';
import { loadUndici } from './rest-client.js';

/** Where one `prometheus-rw` output writes. */
export interface RemoteWriteTarget {
  readonly url: string;
  /** Extra headers, credentials already resolved (never logged). */
  readonly headers: Readonly<Record<string, string>>;
}

/** What one remote-write output did over a run (summary.json `outputs.prometheusRw[]`). */
export type RemoteWriteStats = RemoteWriteSummary;

/** A remote-write output: `push` is cheap and never waits; `close` flushes within a deadline. */
export interface RemoteWriteClient {
  /** Encodes the families as one interval's samples and queues them. */
  push(families: readonly PromFamily[], timestampMs: number): void;
  stats(): RemoteWriteStats;
  /**
   * Sends what is queued until it is sent, `deadlineMs` passes, `signal`
   * aborts, or the receiver failed 3 attempts in a row since the flush began
   * (it looks down: no use keeping the run's exit waiting). What is left is dropped and counted.
   */
  close(deadlineMs: number, signal?: AbortSignal): Promise<RemoteWriteStats>;
}

/** Tuning of the queue and retries. */
export interface RemoteWriteOptions {
  /** Samples the queue holds before the oldest requests are dropped (default 250,000: minutes of a large run). */
  readonly maxQueuedSamples?: number;
  /** One request's deadline (default 10 s). */
  readonly requestTimeoutMs?: number;
  readonly userAgent: string;
  readonly logger?: Logger;
}

const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 5000;
const CLOSE_FAILURES = 3;

/**
 * A Prometheus remote-write 1.0 sender with a bounded queue. One request at
 * a time, in order (Prometheus refuses samples older than a series' last),
 * on its own connection pool so it never competes with the target's. A 5xx,
 * a 429, a timeout or a network error is retried with exponential backoff
 * (250 ms doubling to 5 s, jittered) while new intervals queue behind it; a
 * request refused for good (another 4xx) is dropped. When the queue
 * outgrows its bound the oldest waiting requests are dropped: a slow or dead
 * receiver costs memory up to the bound and samples beyond it, never the run.
 */
export function createRemoteWriteClient(target: RemoteWriteTarget, opts: RemoteWriteOptions): RemoteWriteClient {
  const maxQueued = opts.maxQueuedSamples ?? 250_000;
  const timeoutMs = opts.requestTimeoutMs ?? 10_000;
  const headers: Record<string, string> = {
    ...target.headers,
    'content-type': 'application/x-protobuf',
    'content-encoding': 'snappy',
    'x-prometheus-remote-write-version': '0.1.0',
    'user-agent': opts.userAgent,
  };
  const queue: RemoteWriteBody[] = [];
  let queuedSamples = 0;
  let sending = false;
  let backoff: NodeJS.Timeout | undefined;
  let inFlight: AbortController | undefined;
  let failures = 0;
  let closing = false;
  let closed = false;
  let closeFailures = 0;
  let onIdle: (() => void) | undefined;
  let agent: Dispatcher | undefined;
  const s = {
    samplesSent: 0,
    samplesDropped: 0,
    requests: 0,
    failedRequests: 0,
    retries: 0,
    lastError: undefined as string | undefined,
  };

  const drop = (b: RemoteWriteBody): void => {
    queuedSamples -= b.samples;
    s.samplesDropped += b.samples;
  };
  const trim = (): void => {
    // The head may be on the wire; the oldest of the others goes first.
    while (queuedSamples > maxQueued && queue.length > (sending ? 1 : 0)) {
      const [b] = queue.splice(sending ? 1 : 0, 1);
      drop(b!);
    }
  };
  const failed = (message: string, retryable: boolean): void => {
    s.failedRequests++;
    if (failures === 0 || message !== s.lastError)
      opts.logger?.warn({ receiver: target.url, error: message, retryable }, 'remote write failed');
    s.lastError = message;
    if (!retryable) {
      drop(queue.shift()!);
      return;
    }
    failures++;
    if (closing) closeFailures++;
  };
  const pump = (): void => {
    if (sending || backoff || closed) return;
    if (queue.length === 0 || (closing && closeFailures >= CLOSE_FAILURES)) {
      onIdle?.();
      return;
    }
    sending = true;
    const b = queue[0]!;
    void send(b).then(() => {
      sending = false;
      if (failures > 0 && queue[0] === b && !closed) {
        // Retrying the same request: wait, doubling, a little jitter so generators do not retry in step.
        s.retries++;
        const waitMs =
          Math.min(closing ? BACKOFF_START_MS : BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** (failures - 1)) *
          (0.8 + Math.random() * 0.4);
        backoff = setTimeout(() => {
          backoff = undefined;
          pump();
        }, waitMs);
        backoff.unref();
        if (closing && closeFailures >= CLOSE_FAILURES) onIdle?.();
        return;
      }
      pump();
    });
  };
  const send = async (b: RemoteWriteBody): Promise<void> => {
    const ctl = new AbortController();
    inFlight = ctl;
    s.requests++;
    try {
      const { request, Agent } = await loadUndici();
      agent ??= new Agent({ connections: 1, keepAliveTimeout: 30_000 });
      const res = await request(target.url, {
        method: 'POST',
        headers,
        body: b.body,
        dispatcher: agent,
        signal: ctl.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const text = res.statusCode >= 300 ? (await res.body.text()).slice(0, 300).trim() : (await res.body.dump(), '');
      // The flush deadline passed meanwhile: the request was counted as dropped with the rest of the queue.
      if (queue[0] !== b) return;
      if (res.statusCode < 300) {
        if (failures > 0)
          opts.logger?.info({ receiver: target.url, afterFailures: failures }, 'remote write recovered');
        failures = 0;
        queue.shift();
        queuedSamples -= b.samples;
        s.samplesSent += b.samples;
        return;
      }
      failed(`HTTP ${res.statusCode}${text ? `: ${text}` : ''}`, res.statusCode === 429 || res.statusCode >= 500);
    } catch (err) {
      if (closed) return;
      const e = err as { code?: string; name?: string; message?: string };
      failed(e.code ?? e.name ?? e.message ?? String(err), true);
    } finally {
      inFlight = undefined;
    }
  };
  const stats = (): RemoteWriteStats => {
    const { lastError, ...counts } = s;
    return { url: target.url, ...counts, ...(lastError === undefined ? {} : { lastError }) };
  };

  return {
    push(families, timestampMs) {
      if (closed) return;
      for (const b of encodeWriteRequests(families, timestampMs)) {
        queue.push(b);
        queuedSamples += b.samples;
      }
      trim();
      pump();
    },
    stats,
    async close(deadlineMs, signal) {
      closing = true;
      // A receiver that is failing now gets one more attempt at once, not the rest of its backoff nor the whole deadline.
      if (failures > 0) closeFailures = CLOSE_FAILURES - 1;
      if (backoff) {
        clearTimeout(backoff);
        backoff = undefined;
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          onIdle = undefined;
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, deadlineMs));
        signal?.addEventListener('abort', done, { once: true });
        onIdle = done;
        if (signal?.aborted) done();
        else pump();
      });
      closed = true;
      clearTimeout(backoff);
      backoff = undefined;
      inFlight?.abort();
      for (const b of queue.splice(0)) drop(b);
      if (s.samplesDropped)
        opts.logger?.warn({ receiver: target.url, samplesDropped: s.samplesDropped }, 'remote write dropped samples');
      await agent?.destroy().catch(() => undefined);
      return stats();
    },
  };
}
