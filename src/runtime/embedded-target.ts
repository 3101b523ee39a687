import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { EmbeddedTargetConfig } from '../core/scenario-types.js';
import { SimError } from '../core/sim-error.js';

/** A reference target running in a child process for one run. */
export interface EmbeddedTarget {
  readonly url: string;
  /** The fresh secret it verifies tokens with (never logged). */
  readonly secret: string;
  readonly pid: number | undefined;
  /** What its isolation faults leaked (frames and answers with another user's data, delivered); undefined when it cannot say. */
  readLeaks(): Promise<{ total: number; byFault: Record<string, number> } | undefined>;
  stop(): Promise<void>;
}

/**
 * bin/simulate of this installation, found upward from this file: it runs
 * from dist/src/runtime (tsc's output) and from dist/bundle (the bundle).
 */
function findBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    const bin = join(dir, 'bin', 'simulate');
    if (existsSync(bin)) return bin;
  }
  throw new SimError('GENERATOR', 'bin/simulate not found above the running code', {
    hint: 'reinstall crosstalk (npm ci), then npm run build',
  });
}
const LISTENING_RE = /^crosstalk target listening on (http:\/\/\S+)$/;

/**
 * Starts `simulate serve` on a free loopback port with a fresh secret and
 * waits for its listening line. Its stderr (warnings only) goes to the run
 * log. In a child process the target's CPU is not the generator's.
 */
export async function startEmbeddedTarget(
  cfg: EmbeddedTargetConfig,
  logger: Logger,
  startTimeoutMs = 15_000,
  claims: { issuer?: string | undefined; audience?: string | undefined } = {},
): Promise<EmbeddedTarget> {
  const secret = randomBytes(32).toString('base64url');
  const args = [
    findBin(),
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--agent',
    cfg.agent,
    '--seed',
    String(cfg.seed),
    '--test-login',
    '--log-level',
    'warn',
  ];
  if (cfg.rateLimitPerSec > 0) args.push('--rate-limit', `${cfg.rateLimitPerSec}/s`);
  if (cfg.heartbeatMs > 0) args.push('--heartbeat', `${cfg.heartbeatMs}ms`);
  if (cfg.faults) args.push('--faults', cfg.faults);
  if (cfg.dialect !== 'canonical') args.push('--dialect', cfg.dialect);
  if (cfg.transport !== 'ws') args.push('--transport', cfg.transport);
  if (cfg.noise) args.push('--noise');
  // The scenario's tokens carry these claims: the target checks them, as the backend it stands in for would.
  if (claims.issuer) args.push('--issuer', claims.issuer);
  if (claims.audience) args.push('--audience', claims.audience);
  // Its own process group: a Ctrl-C in the terminal reaches the simulator, which
  // finishes in-flight runs before stopping the target, not the target itself.
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, SIM_JWT_SECRET: secret, CROSSTALK_EXIT_WITH_STDIN: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  // If this process dies without stopping it, the target sees its stdin close and exits.
  child.stdin!.on('error', () => undefined);
  const killOnExit = (): void => {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  createInterface({ input: child.stderr! }).on('line', (line) =>
    logger.warn({ component: 'embedded-target', line: line.slice(0, 2000) }, 'target stderr'),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new SimError('GENERATOR', `the embedded target did not start within ${startTimeoutMs}ms`));
    }, startTimeoutMs);
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => {
      clearTimeout(timer);
      const m = LISTENING_RE.exec(line.trim());
      if (m) resolve(m[1]!);
      else {
        child.kill('SIGKILL');
        reject(
          new SimError(
            'GENERATOR',
            `the embedded target printed "${line.slice(0, 200)}" instead of its listening line`,
          ),
        );
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new SimError('GENERATOR', `the embedded target exited with code ${code} before listening`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new SimError('GENERATOR', `cannot start the embedded target: ${err.message}`));
    });
  });
  child.stdout!.resume();
  logger.info(
    { url, agent: cfg.agent, seed: cfg.seed, faults: cfg.faults || 'none', dialect: cfg.dialect, pid: child.pid },
    'embedded target started',
  );
  let stopping: Promise<void> | undefined;
  return {
    url,
    secret,
    pid: child.pid,
    async readLeaks() {
      try {
        const res = await fetch(`${url}/auth/test-leaks`, { signal: AbortSignal.timeout(2000) });
        return res.ok ? ((await res.json()) as { total: number; byFault: Record<string, number> }) : undefined;
      } catch {
        return undefined;
      }
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.stdin?.end();
        child.kill('SIGTERM');
      });
      return stopping;
    },
  };
}
