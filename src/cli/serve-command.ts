import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { SimError } from '../core/sim-error.js';
import { parseDurationMs, parseRatePerSec, parseSizeBytes } from '../core/units.js';
import { AGENT_PRESET_NAMES, type AgentPresetName } from '../target/agent-presets.js';
import { startTarget } from '../target/target-server.js';
import { parseFaultSpec, type FaultSpec } from '../target/fault-spec.js';
import { DIALECTS, type Dialect } from '../target/wire-dialect.js';
import { TARGET_TRANSPORTS, type TargetTransport } from '../target/transport-gateway.js';

/** Flags of `simulate serve`, as commander hands them over. */
export interface ServeFlags {
  host: string;
  port: string;
  agent: string;
  seed: string;
  testLogin?: boolean;
  rateLimit?: string;
  maxFrame: string;
  heartbeat?: string;
  faults?: string;
  noise?: boolean;
  dialect: string;
  transport: string;
  issuer?: string;
  audience?: string;
  logLevel: string;
}

/**
 * Runs the reference target until SIGTERM/SIGINT. The first stdout line is
 * the listening line of design.md; logs go to stderr so it stays first.
 */
export async function runServe(flags: ServeFlags): Promise<number> {
  const problems: string[] = [];
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(`--port: expected an integer 0..65535, got "${flags.port}"`);
  if (!(AGENT_PRESET_NAMES as readonly string[]).includes(flags.agent))
    problems.push(`--agent: expected one of ${AGENT_PRESET_NAMES.join(', ')}, got "${flags.agent}"`);
  const seed = Number(flags.seed);
  if (!Number.isInteger(seed)) problems.push(`--seed: expected an integer, got "${flags.seed}"`);
  const rate = flags.rateLimit === undefined ? 0 : (parseRatePerSec(flags.rateLimit) ?? Number(flags.rateLimit));
  if (!Number.isFinite(rate) || rate < 0)
    problems.push(`--rate-limit: expected a rate such as 20/s, got "${flags.rateLimit}"`);
  const maxFrame = parseSizeBytes(flags.maxFrame);
  if (!maxFrame) problems.push(`--max-frame: expected a size such as 64KiB, got "${flags.maxFrame}"`);
  const heartbeatMs = flags.heartbeat === undefined ? 0 : parseDurationMs(flags.heartbeat);
  if (heartbeatMs === undefined)
    problems.push(`--heartbeat: expected a duration such as 30s, got "${flags.heartbeat}"`);
  const faults = flags.faults === undefined ? {} : parseFaultSpec(flags.faults);
  if (Array.isArray(faults)) problems.push(...faults.map((m) => `--faults: ${m}`));
  if (!(DIALECTS as readonly string[]).includes(flags.dialect))
    problems.push(`--dialect: expected one of ${DIALECTS.join(', ')}, got "${flags.dialect}"`);
  if (!(TARGET_TRANSPORTS as readonly string[]).includes(flags.transport))
    problems.push(`--transport: expected one of ${TARGET_TRANSPORTS.join(', ')}, got "${flags.transport}"`);
  else if (flags.transport === 'socketio' && flags.dialect !== 'canonical') {
    problems.push(
      `--dialect ${flags.dialect}: dialects shape JSON frames on ws and sse; socketio names each event by its type and passes the payload as is, so only canonical applies`,
    );
  }
  if (problems.length)
    throw new SimError('INPUT', 'bad flags for serve', { problems: problems.map((message) => ({ message })) });

  let secret = process.env.SIM_JWT_SECRET;
  let generated = false;
  if (!secret) {
    secret = randomBytes(32).toString('base64url');
    generated = true;
  }
  const logger = pino({ level: flags.logLevel, base: { component: 'target' } }, pino.destination(2));
  const target = await startTarget({
    host: flags.host,
    port,
    secret,
    testLogin: flags.testLogin ?? false,
    agent: flags.agent as AgentPresetName,
    seed,
    rateLimitPerSec: rate,
    maxFrameBytes: maxFrame!,
    heartbeatMs: heartbeatMs ?? 0,
    logger,
    faults: faults as FaultSpec,
    noise: flags.noise ?? false,
    dialect: flags.dialect as Dialect,
    transport: flags.transport as TargetTransport,
    ...(flags.issuer ? { issuer: flags.issuer } : {}),
    ...(flags.audience ? { audience: flags.audience } : {}),
    // Written before the target's own 'target listening' log line, so `2>&1` still shows this line first.
    onListening: (url) => {
      process.stdout.write(`crosstalk target listening on ${url}\n`);
      if (generated) process.stdout.write(`SIM_JWT_SECRET was unset; generated secret for this run: ${secret}\n`);
    },
  });

  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down');
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // An open stdin would keep the process alive after the server closed.
      process.stdin.destroy();
      void target.close().then(() => resolve(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // Started by `simulate run` as its embedded target: leave when the parent is gone.
    if (process.env.CROSSTALK_EXIT_WITH_STDIN === '1') {
      process.stdin.on('end', () => stop('SIGTERM'));
      process.stdin.on('error', () => stop('SIGTERM'));
      process.stdin.resume();
    }
  });
}
