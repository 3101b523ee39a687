// The processes of the scale bench and the reference target among them: every process is pinned to a
// core, gets the run's JWT secret and is killed when the bench exits; the target is started, stopped and
// polled on /health here. The clients' launches: clients.ts.
import { randomBytes } from 'node:crypto';
import { Agent, get } from 'node:http';
import {
  killAllStarted,
  killStartedOnExit,
  sleep,
  startBenchTarget,
  startPinned as startPinnedProcess,
  stopBenchTarget,
  type BenchTarget,
  type Proc,
} from '../pinned-process.js';
import { opts, SIMULATE } from './options.js';

/** The JWT secret every target and client of this run shares. */
const SECRET = randomBytes(32).toString('base64url');

// ---- processes ------------------------------------------------------------------

/** A client or target of this bench, pinned to `core`, run from the crosstalk checkout with the bench's JWT secret. */
export const startPinned = (core: number | string, cmd: readonly string[], env: NodeJS.ProcessEnv = {}): Proc =>
  startPinnedProcess(core, cmd, { cwd: opts.root, env: { SIM_JWT_SECRET: SECRET, ...env } });
/** Kills every process this bench started (on a hard timeout or a failure). */
export const cleanupAll = killAllStarted;
killStartedOnExit();

// ---- target ---------------------------------------------------------------------

/** A running reference target. */
export type Target = BenchTarget;

/** Starts a fresh reference target on core 1 and waits for its listening line (15 s at most). */
export const startTarget = (): Promise<Target> => startBenchTarget(startPinned, SIMULATE);

/** SIGTERM to the target's group, SIGKILL after 5 s. */
export const stopTarget = stopBenchTarget;

/** One kept-alive socket for /health polls (destroyed at exit). */
export const healthAgent = new Agent({ keepAlive: true, maxSockets: 1 });

interface Health {
  connections: number;
  users: number;
  runsInFlight: number;
  threads: number;
}

/** The target's /health, or undefined when it does not answer in 2 s. */
export function health(url: string): Promise<Health | undefined> {
  return new Promise((res) => {
    const req = get(`${url}/health`, { agent: healthAgent, timeout: 2000 }, (r) => {
      let body = '';
      r.on('data', (d: Buffer) => {
        body += d.toString();
      });
      r.on('end', () => {
        try {
          res(JSON.parse(body) as Health);
        } catch {
          res(undefined);
        }
      });
    });
    req.on('timeout', () => {
      req.destroy();
      res(undefined);
    });
    req.on('error', () => res(undefined));
  });
}

/** Polls /health every `everyMs` until `connections >= n` or the client exits or `ms` pass; answers ms since spawn. */
export async function waitConnections(
  t: Target,
  client: Proc,
  n: number,
  ms: number,
  everyMs: number,
): Promise<number | undefined> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline && client.exitCode === undefined) {
    const h = await health(t.url);
    if (h && h.connections >= n) return performance.now() - client.startedAt;
    await sleep(everyMs);
  }
  return undefined;
}
