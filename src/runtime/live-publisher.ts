import type { Logger } from 'pino';
import { computeLiveFrame, LiveFrameMerger, type LiveExport, type LiveFrame } from '../core/live-frame.js';
import type { MetricRegistry } from '../core/metric-registry.js';
import { createPromFamily, PromFamilyBuilder, type PromFamily } from '../core/prom-families.js';
import { PROM_PREFIX } from '../core/prom-naming.js';
import type { OutputsConfig, RemoteWriteConfig } from '../core/scenario-types.js';
import { SimError } from '../core/sim-error.js';
import type { OutputsSummary } from '../core/summary.js';
import type { RunVerdict } from '../core/verdict.js';
import { DEFAULT_LINGER_MAX_MS, startMetricsEndpoint, type MetricsEndpoint } from '../output/metrics-endpoint.js';
import { createRemoteWriteClient, type RemoteWriteClient } from '../protocol/remote-write-client.js';

/** Outputs checked and bound before the run writes anything. */
export interface PreparedOutputs {
  readonly outputs: OutputsConfig;
  readonly targets: ReadonlyArray<{ readonly url: string; readonly headers: Readonly<Record<string, string>> }>;
  readonly endpoint: MetricsEndpoint | undefined;
  /** Releases the endpoint when the run fails before it starts publishing. */
  close(): Promise<void>;
}

/**
 * Reads the outputs' credentials from the environment (exit 3 when a named
 * variable is unset) and binds /metrics (exit 4 when the port is taken).
 */
export async function prepareOutputs(
  outputs: OutputsConfig,
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<PreparedOutputs> {
  const targets = outputs.prometheusRw.map((rw) => ({ url: rw.url, headers: computeAuthHeaders(rw, env, file) }));
  const endpoint =
    outputs.metricsPort !== undefined
      ? await startMetricsEndpoint(outputs.metricsHost, outputs.metricsPort)
      : undefined;
  return {
    outputs,
    targets,
    endpoint,
    close: async () => {
      await endpoint?.close(0);
    },
  };
}

/** What the publisher needs to know about the run. */
export interface LivePublisherInput {
  /** On every series: scenario, segment and run (the run tag, shared by the generators of one run). */
  readonly labels: { readonly scenario: string; readonly segment: string; readonly run: string };
  /** `crosstalk_run_info`'s labels. */
  readonly info: Readonly<Record<string, string>>;
  readonly workers: number;
  readonly startedAtMs: number;
  readonly logger: Logger;
  /** A line for the person watching (where /metrics is). */
  readonly notice?: (line: string) => void;
}

/** Streams a run's figures to its live outputs while it runs. */
export interface LivePublisher {
  /** The registry of a run whose one shard runs in this thread: read directly each interval. */
  attach(registry: MetricRegistry): void;
  /** A worker thread's figures (the parent adds all workers up). */
  accept(worker: number, e: LiveExport): void;
  /**
   * Publishes the run's final figures (the merged registry, exactly what
   * summary.json states, with the verdict) and waits, at most
   * `outputs.flushTimeoutMs`, for remote writes to deliver them: what they
   * did goes into summary.json.
   */
  finish(registry: MetricRegistry, verdict: RunVerdict, hard?: AbortSignal): Promise<OutputsSummary>;
  /**
   * Closes /metrics once a scraper that was watching has read the final
   * figures (bounded; at once on `signal`). Called after the results are
   * written, so a run killed while it waits loses nothing.
   */
  close(signal?: AbortSignal): Promise<void>;
  /** Stops at once without final figures (the run failed to produce any). */
  abort(): Promise<void>;
}

/**
 * Starts publishing to the prepared outputs: a timer that, every `outputs.intervalMs`, reads the run's figures,
 * turns them into Prometheus families and hands them to every output. Off
 * the per-frame path: the work is per interval and proportional to the
 * number of series, never to the load. With worker threads the parent
 * publishes what the workers post each interval, added up, so a run has one
 * set of series whatever `--workers` says; separate generators (`--segment`)
 * publish under their own `segment` label, and sums over it add up.
 */
export function startLivePublisher(prepared: PreparedOutputs, input: LivePublisherInput): LivePublisher {
  const { outputs, targets, endpoint } = prepared;
  const { logger } = input;
  if (endpoint) {
    logger.info({ url: endpoint.url }, 'metrics endpoint listening');
    input.notice?.(`metrics: ${endpoint.url}\n`);
  }
  const writers: RemoteWriteClient[] = targets.map((t) =>
    createRemoteWriteClient(t, { userAgent: 'crosstalk', logger }),
  );
  const builder = new PromFamilyBuilder({ ...outputs.labels, ...input.labels });
  const cpuStart = process.cpuUsage();
  let local: MetricRegistry | undefined;
  let merger: LiveFrameMerger | undefined;
  let stopped = false;

  const extras = (verdict?: RunVerdict): PromFamily[] => {
    const cpu = process.cpuUsage(cpuStart);
    const families = [
      createPromFamily(`${PROM_PREFIX}run_info`, 'gauge', 'the run: target, adapter, transport (value 1)', [
        { labels: input.info, value: 1 },
      ]),
      createPromFamily(`${PROM_PREFIX}run_start_time_seconds`, 'gauge', 'when the run started (Unix time)', [
        { value: input.startedAtMs / 1000 },
      ]),
      createPromFamily(`${PROM_PREFIX}run_elapsed_seconds`, 'gauge', 'time since the run started', [
        { value: (Date.now() - input.startedAtMs) / 1000 },
      ]),
      createPromFamily(
        `${PROM_PREFIX}run_finished`,
        'gauge',
        '1 once the run has ended and these are its final figures',
        [{ value: verdict ? 1 : 0 }],
      ),
      createPromFamily(`${PROM_PREFIX}generator_workers`, 'gauge', 'worker threads of this generator', [
        { value: input.workers },
      ]),
      createPromFamily(
        `${PROM_PREFIX}generator_cpu_seconds_total`,
        'counter',
        'CPU time of the generator process (all its threads), user and system',
        [{ value: (cpu.user + cpu.system) / 1e6 }],
      ),
      createPromFamily(
        `${PROM_PREFIX}generator_resident_memory_bytes`,
        'gauge',
        'resident memory of the generator process',
        [{ value: process.memoryUsage.rss() }],
      ),
    ];
    if (verdict) {
      families.push(
        createPromFamily(
          `${PROM_PREFIX}run_verdict`,
          'gauge',
          "the run's verdict: 1 for the one it got",
          (['pass', 'fail', 'untested'] as const).map((v) => ({
            labels: { verdict: v },
            value: v === verdict ? 1 : 0,
          })),
        ),
      );
    }
    if (writers.length) {
      const stats = writers.map((w) => w.stats());
      const per = (name: string, help: string, read: (s: (typeof stats)[number]) => number): PromFamily =>
        createPromFamily(
          `${PROM_PREFIX}remote_write_${name}`,
          'counter',
          help,
          stats.map((s) => ({ labels: { receiver: s.url }, value: read(s) })),
        );
      families.push(
        per('samples_sent_total', 'samples the receiver accepted (as of the previous interval)', (s) => s.samplesSent),
        per(
          'samples_dropped_total',
          'samples given up: queue full, refused for good, or unsent at the flush deadline',
          (s) => s.samplesDropped,
        ),
        per('failed_requests_total', 'remote-write requests that failed (each retry counts)', (s) => s.failedRequests),
      );
    }
    return families;
  };
  const emptyFrame: LiveFrame = { trends: [], counters: [], gauges: {} };
  // What publishing costs the run, for run.log and the bench: process CPU around each interval's work.
  let intervals = 0;
  let publishCpuUs = 0;
  const publish = (frame: LiveFrame, verdict?: RunVerdict): void => {
    const cpu0 = process.cpuUsage();
    const families = builder.build(frame, extras(verdict));
    endpoint?.update(families, verdict !== undefined);
    const nowMs = Date.now();
    for (const w of writers) w.push(families, nowMs);
    const cpu = process.cpuUsage(cpu0);
    publishCpuUs += cpu.user + cpu.system;
    intervals++;
  };
  const tick = (): void => {
    if (stopped) return;
    try {
      publish(local ? computeLiveFrame(local) : merger ? merger.frame() : emptyFrame);
    } catch (err) {
      // A bug here must not end the run: its results matter more than the live view.
      logger.error({ err: (err as Error).message }, 'live publishing failed for one interval');
    }
  };
  const timer = setInterval(tick, outputs.intervalMs);
  timer.unref();
  tick();

  const stopTimer = (): void => {
    stopped = true;
    clearInterval(timer);
  };
  return {
    attach(registry) {
      local = registry;
    },
    accept(worker, e) {
      (merger ??= new LiveFrameMerger()).accept(worker, e);
    },
    async finish(registry, verdict, hard) {
      stopTimer();
      try {
        publish(computeLiveFrame(registry, false), verdict);
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'live publishing failed for the final figures');
      }
      const rw = await Promise.all(writers.map((w) => w.close(outputs.flushTimeoutMs, hard)));
      return { prometheusRw: rw, ...(endpoint ? { metricsEndpoint: endpoint.stats() } : {}) };
    },
    async close(signal) {
      const s = await endpoint?.close(DEFAULT_LINGER_MAX_MS, signal, (waitMs) =>
        input.notice?.(
          `metrics: waiting up to ${Math.ceil(waitMs / 1000)} s for the final scrape of ${endpoint.url}\n`,
        ),
      );
      logger.info(
        { intervals, publishCpuMs: Math.round(publishCpuUs / 100) / 10, ...(s ? { metricsEndpoint: s } : {}) },
        'live outputs closed',
      );
    },
    async abort() {
      stopTimer();
      await Promise.all([...writers.map((w) => w.close(0)), endpoint?.close(0)]);
    },
  };
}

/** The headers that carry a remote write's credentials, read from the environment (exit 3 when a named variable is unset). */
function computeAuthHeaders(rw: RemoteWriteConfig, env: NodeJS.ProcessEnv, file: string): Record<string, string> {
  const read = (name: string, key: string): string => {
    const v = env[name];
    if (!v)
      throw new SimError('INPUT', `${file}: ${rw.source}.${key}: the environment variable ${name} is unset`, {
        hint: `export ${name}=<the receiver's credential>`,
      });
    return v;
  };
  if (rw.bearerTokenEnv) return { ...rw.headers, authorization: `Bearer ${read(rw.bearerTokenEnv, 'bearerTokenEnv')}` };
  if (rw.basicAuthEnv)
    return {
      ...rw.headers,
      authorization: `Basic ${Buffer.from(read(rw.basicAuthEnv, 'basicAuthEnv')).toString('base64')}`,
    };
  return { ...rw.headers };
}
