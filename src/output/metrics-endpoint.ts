import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, type Metric } from 'prom-client';
import type { PromFamily } from '../core/prom-families.js';
import { SimError } from '../core/sim-error.js';
import type { OutputsSummary } from '../core/summary.js';

/** What the `/metrics` endpoint saw over a run (summary.json `outputs.metricsEndpoint`). */
export type MetricsEndpointStats = NonNullable<OutputsSummary['metricsEndpoint']>;

/** How the endpoint closed: whether a scrape read the final figures. */
export interface MetricsEndpointClosed extends MetricsEndpointStats {
  readonly finalScraped: boolean;
  /** Process CPU spent formatting scrapes, once per interval (what serving /metrics cost the run). */
  readonly serveCpuMs: number;
}

/** A running `/metrics` endpoint. */
export interface MetricsEndpoint {
  readonly url: string;
  /** Replaces the figures scrapes read (the last interval's); `final` marks the run's last. */
  update(families: readonly PromFamily[], final?: boolean): void;
  /** Scrapes so far. */
  stats(): MetricsEndpointStats;
  /**
   * Closes once a scraper that was watching has read the final figures: at most 1.5 scrape intervals (as seen during
   * the run) plus a second, never more than `lingerMaxMs`; at once if nobody
   * scraped, or when `signal` aborts.
   */
  close(lingerMaxMs: number, signal?: AbortSignal, onWait?: (waitMs: number) => void): Promise<MetricsEndpointClosed>;
}

/** The longest a finished run waits for its final scrape by default: Prometheus's default interval is 1 min. */
export const DEFAULT_LINGER_MAX_MS = 60_000;

/**
 * Serves the run's figures at `GET /metrics` in Prometheus text format
 * (0.0.4), formatted by prom-client. Figures are computed once per interval
 * by the publisher, not per scrape: each family is registered with
 * prom-client as a collector that hands over the samples of the last
 * interval (prom-client's own Histogram only takes single observations; a
 * run's histograms are HdrHistograms added up across worker threads).
 * Binding fails fast, before the run starts, as a generator error (exit 4).
 */
export async function startMetricsEndpoint(host: string, port: number): Promise<MetricsEndpoint> {
  const registry = new Registry();
  const current = new Map<string, PromFamily>();
  const scrapeTimes: number[] = [];
  let finalAt: number | undefined;
  let onFinalScrape: (() => void) | undefined;
  let finalScraped = false;
  let serveCpuUs = 0;
  let text: Promise<string> | undefined;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/') {
      res
        .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        .end("crosstalk: this run's metrics are at /metrics\n");
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try /metrics\n');
      return;
    }
    const startedAt = performance.now();
    const isFinal = finalAt !== undefined;
    // Figures change once per interval, scrapes may come every second: each interval is formatted once.
    if (!text) {
      const cpu0 = process.cpuUsage();
      text = registry.metrics().then((t) => {
        const cpu = process.cpuUsage(cpu0);
        serveCpuUs += cpu.user + cpu.system;
        return t;
      });
    }
    text.then(
      (body) => {
        res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
        scrapeTimes.push(startedAt);
        if (scrapeTimes.length > 8) scrapeTimes.shift();
        if (isFinal) {
          finalScraped = true;
          onFinalScrape?.();
        }
      },
      (err: Error) => {
        text = undefined;
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${err.message}\n`);
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new SimError('GENERATOR', `--metrics-port: cannot listen on ${host}:${port}: ${err.code ?? err.message}`, {
          hint:
            err.code === 'EADDRINUSE'
              ? 'another process uses that port; pick another, or 0 for a free one'
              : 'check outputs.metricsHost and outputs.metricsPort',
        }),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  server.on('error', () => undefined);
  // Never what keeps the process alive: the run does that while it lasts, the final wait's own timer after.
  server.unref();
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/metrics`;
  let scrapes = 0;
  server.on('request', (req) => {
    if ((req.url ?? '').split('?')[0] === '/metrics') scrapes++;
  });

  const register = (f: PromFamily): void => {
    const get = (): Promise<unknown> =>
      Promise.resolve({
        name: f.name,
        help: f.help,
        type: f.type,
        aggregator: 'sum',
        values: (current.get(f.name)?.samples ?? []).map((s) => ({
          metricName: s.name,
          labels: s.labels,
          value: s.value,
        })),
      });
    // prom-client's own aggregated registries register plain objects of this shape (name, help, type, get).
    registry.registerMetric({ name: f.name, help: f.help, type: f.type, aggregator: 'sum', get } as unknown as Metric);
  };

  return {
    url,
    update(families, final = false) {
      if (final) finalAt = performance.now();
      text = undefined;
      const seen = new Set<string>();
      for (const f of families) {
        if (!registry.getSingleMetric(f.name)) register(f);
        current.set(f.name, f);
        seen.add(f.name);
      }
      for (const name of current.keys()) if (!seen.has(name)) current.delete(name);
    },
    stats: () => ({ url, scrapes }),
    async close(lingerMaxMs, signal, onWait) {
      finalAt ??= performance.now();
      const gaps = scrapeTimes
        .slice(1)
        .map((t, i) => t - scrapeTimes[i]!)
        .sort((a, b) => a - b);
      const intervalMs = gaps.length ? gaps[Math.floor(gaps.length / 2)]! : lingerMaxMs;
      const waitMs =
        scrapes === 0 || finalScraped || signal?.aborted
          ? 0
          : Math.max(0, Math.min(lingerMaxMs, intervalMs * 1.5 + 1000) - (performance.now() - finalAt));
      if (waitMs > 0) {
        onWait?.(waitMs);
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            onFinalScrape = undefined;
            resolve();
          };
          const timer = setTimeout(done, waitMs);
          signal?.addEventListener('abort', done, { once: true });
          onFinalScrape = done;
        });
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return { url, scrapes, finalScraped, serveCpuMs: Math.round(serveCpuUs / 100) / 10 };
    },
  };
}
