import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { LiveExporter } from '../core/live-frame.js';
import { runShard, toShardResult, type ShardInput } from './run-shard.js';

/** What the pool sends a worker thread at start. */
export interface ShardWorkerData {
  readonly input: ShardInput;
  readonly logPath: string;
  readonly worker: number;
}

/** Messages a worker thread posts to the pool. */
export type ShardWorkerMessage =
  | {
      readonly type: 'tick';
      readonly point: import('../core/metric-registry.js').SeriesPoint;
      readonly users: Record<string, number>;
      readonly runTotalP95Ms: number | undefined;
    }
  | { readonly type: 'live'; readonly export: import('../core/live-frame.js').LiveExport }
  | { readonly type: 'abort'; readonly aborted: import('./run-shard.js').ShardResult['aborted'] }
  | { readonly type: 'result'; readonly result: import('./run-shard.js').ShardResult }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'ready' };

// Entry of a worker thread: runs one shard and posts its result; 'stop' and 'hard' steer it.
if (parentPort) {
  const port = parentPort;
  const data = workerData as ShardWorkerData;
  const soft = new AbortController();
  const hard = new AbortController();
  let start!: (atEpochMs: number) => void;
  const started = new Promise<number>((resolve) => {
    start = resolve;
  });
  port.on('message', (m: unknown) => {
    if (m === 'stop') soft.abort();
    else if (m === 'hard') hard.abort();
    else if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'start')
      start((m as { atEpochMs: number }).atEpochMs);
  });
  const logger = pino(
    { level: 'info', base: { run: data.input.scenario.name, worker: data.worker } },
    pino.destination({ dest: data.logPath, sync: true, append: true }),
  );
  const post = (m: ShardWorkerMessage): void => port.postMessage(m);
  // Loaded: say so, then start the clocks when the pool says (all workers at once).
  post({ type: 'ready' });
  // Live outputs: the figures that changed, every interval, for the parent to add up and publish.
  let live: NodeJS.Timeout | undefined;
  const onRegistry = (registry: import('../core/metric-registry.js').MetricRegistry): void => {
    const exporter = new LiveExporter(registry);
    live = setInterval(() => post({ type: 'live', export: exporter.next() }), data.input.liveIntervalMs);
    live.unref();
  };
  started
    .then((startAtEpochMs) =>
      runShard(
        { ...data.input, startAtEpochMs },
        {
          signal: soft.signal,
          hardSignal: hard.signal,
          onTick: (point, users, runTotalP95Ms) => post({ type: 'tick', point, users, runTotalP95Ms }),
          onAbort: (aborted) => post({ type: 'abort', aborted }),
          ...(data.input.liveIntervalMs ? { onRegistry } : {}),
        },
        logger,
      ),
    )
    .then(
      (result) => {
        clearInterval(live);
        post({ type: 'result', result: toShardResult(result) });
        port.close();
      },
      (err: unknown) => {
        clearInterval(live);
        post({ type: 'error', message: (err as Error)?.message ?? String(err) });
        port.close();
      },
    );
}
