import { Worker } from 'node:worker_threads';
import { SimError } from '../core/sim-error.js';
import type { ShardHooks, ShardInput, ShardResult } from './run-shard.js';
import type { ShardWorkerData, ShardWorkerMessage } from './shard-worker.js';

const WORKER_URL = new URL('./shard-worker.js', import.meta.url);

/**
 * Runs each shard in its own worker thread and collects their results.
 * Interruptions and an abortOnFail stop are passed to every worker; ticks
 * are passed up as they come.
 */
export async function runShardsInWorkers(
  inputs: readonly ShardInput[],
  hooks: ShardHooks,
  logPath: string,
  onStarted?: () => void,
): Promise<ShardResult[]> {
  const workers = inputs.map(
    (input, worker) => new Worker(WORKER_URL, { workerData: { input, logPath, worker } satisfies ShardWorkerData }),
  );
  const tell = (m: 'stop' | 'hard'): void => {
    for (const w of workers) w.postMessage(m);
  };
  // Start every worker's clock together once all have loaded (never before the agreed start).
  let ready = 0;
  const onReady = (): void => {
    if (++ready < workers.length) return;
    const atEpochMs = Math.max(inputs[0]!.startAtEpochMs, Date.now() + 20);
    for (const w of workers) w.postMessage({ type: 'start', atEpochMs });
    onStarted?.();
  };
  const onSoft = (): void => tell('stop');
  const onHard = (): void => tell('hard');
  hooks.signal?.addEventListener('abort', onSoft, { once: true });
  hooks.hardSignal?.addEventListener('abort', onHard, { once: true });
  try {
    return await Promise.all(
      workers.map(
        (w, i) =>
          new Promise<ShardResult>((resolve, reject) => {
            let result: ShardResult | undefined;
            w.on('message', (m: ShardWorkerMessage) => {
              if (m.type === 'ready') onReady();
              else if (m.type === 'tick') hooks.onTick?.(m.point, m.users, m.runTotalP95Ms, i);
              else if (m.type === 'live') hooks.onLive?.(i, m.export);
              else if (m.type === 'abort') {
                hooks.onAbort?.(m.aborted);
                tell('stop');
              } else if (m.type === 'result') result = m.result;
              else reject(new SimError('GENERATOR', `worker ${i} failed: ${m.message}`));
            });
            w.on('error', (err) => reject(new SimError('GENERATOR', `worker ${i} failed: ${err.message}`)));
            w.on('exit', (code) => {
              if (result) resolve(result);
              else reject(new SimError('GENERATOR', `worker ${i} exited with code ${code} before reporting`));
            });
          }),
      ),
    );
  } catch (err) {
    for (const w of workers) void w.terminate();
    throw err;
  } finally {
    hooks.signal?.removeEventListener('abort', onSoft);
    hooks.hardSignal?.removeEventListener('abort', onHard);
  }
}
