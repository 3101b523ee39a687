// The processes of the scale bench and the reference target among them: every process is pinned to a
// core, gets the run's JWT secret and is killed when the bench exits; the target is started, stopped and
// polled on /health here. The clients' launches: clients.ts.
import { randomBytes } from 'node:crypto';
import { Agent, get } from 'node:http';
import {
  killAllStarted,
  killGroup,
  killStartedOnExit,
  sleep,
  startPinned as startPinnedProcess,
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
export interface Target {
  url: string;
  proc: Proc;
}
/** One kept-alive socket for /health polls (destroyed at exit). */
export const healthAgent = new Agent({ keepAlive: true, maxSockets: 1 });

/** Starts a fresh reference target on core 1 and waits for its listening line (15 s at most). */
export async function startTarget(): Promise<Target> {
  const proc = startPinned(1, [
    'node',
    SIMULATE,
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--agent',
    'instant',
    '--log-level',
    'warn',
  ]);
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline && proc.exitCode === undefined) {
    const m = /crosstalk target listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.stdout);
    if (m) return { url: m[1]!, proc };
    await sleep(20);
  }
  killGroup(proc);
  throw new Error(`target did not start: ${proc.stderr.slice(0, 500)}`);
}

/** SIGTERM to the target's group, SIGKILL after 5 s. */
export async function stopTarget(t: Target): Promise<void> {
  killGroup(t.proc, 'SIGTERM');
  if ((await Promise.race([t.proc.exited.then(() => true), sleep(5000).then(() => false)])) === false)
    killGroup(t.proc);
}

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
