// Starts the reference target for a test file. No side effects at import time.
import { randomBytes } from 'node:crypto';
import type { AgentTiming } from '../../src/target/agent-presets.js';
import { startTarget, type TargetOptions, type TargetServer } from '../../src/target/target-server.js';
import { mintToken, type MintOptions } from './client.js';

/** A reference target on 127.0.0.1 with a random secret, plus a token minter for it. */
export interface TestTarget extends TargetServer {
  readonly secret: string;
  /** Mints a token for `sub` signed with this target's secret. */
  token(sub: string, opts?: MintOptions): Promise<string>;
}

/**
 * Starts the target on `127.0.0.1`, a free port, a random secret, test
 * login on, the `fast` agent and seed 1 unless `opts` says otherwise.
 * Call `close()` in an `after` hook.
 */
export async function startTestTarget(opts: Partial<TargetOptions> = {}): Promise<TestTarget> {
  const secret = opts.secret ?? randomBytes(32).toString('base64url');
  const server = await startTarget({
    agent: 'fast',
    seed: 1,
    testLogin: true,
    ...opts,
    secret,
    host: '127.0.0.1',
    port: 0,
  });
  return {
    url: server.url,
    port: server.port,
    transport: server.transport,
    leaks: () => server.leaks(),
    close: () => server.close(),
    secret,
    token: (sub, mintOpts) => mintToken(secret, sub, mintOpts),
  };
}

/** An agent taking about a second per run: long enough for a test to stop a run or walk away from it. */
export const SLOW_AGENT: AgentTiming = {
  firstEventMs: [50, 50],
  thinkingSteps: [3, 3],
  thinkingMs: [250, 250],
  toolCalls: [0, 0],
  toolStartMs: [0, 0],
  toolMs: [0, 0],
  finalMs: [250, 250],
};
