import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { createRandom } from '../core/random.js';
import { AGENT_PRESETS, type AgentPresetName, type AgentTiming } from './agent-presets.js';
import { AgentRunner } from './agent-runner.js';
import { ConnectionHub, type FrameCodec } from './connection-hub.js';
import { createRateLimiter } from './rate-limiter.js';
import { createRestHandler } from './rest-api.js';
import { ThreadStore } from './thread-store.js';
import { createTicketStore } from './ticket-store.js';
import { createTokenVerifier } from './token-verifier.js';
import { WsGateway, createWsCodec } from './ws-gateway.js';
import { SseGateway, createSseCodec } from './sse-gateway.js';
import { FaultInjector, RecentMessages, type LeakCounts } from './fault-injector.js';
import type { FaultSpec } from './fault-spec.js';
import { RunDelivery } from './run-delivery.js';
import { NoiseMaker } from './noise.js';
import type { Dialect } from './wire-dialect.js';
import {
  TARGET_TRANSPORTS,
  type GatewayContext,
  type TargetTransport,
  type TransportGateway,
} from './transport-gateway.js';
import { SimError } from '../core/sim-error.js';

/** Noise mode sends an ownerless `system_notice` to every connection this often. */
const NOTICE_EVERY_MS = 250;

/** Settings of the reference target; everything but `secret` has a default. */
export interface TargetOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** HS256 secret tokens are verified with. */
  readonly secret: string;
  /** Enables `POST /auth/test-login`. */
  readonly testLogin?: boolean;
  readonly agent?: AgentPresetName | AgentTiming;
  readonly seed?: number;
  /** Per-user requests (REST calls and user messages) per second; 0 is off. */
  readonly rateLimitPerSec?: number;
  readonly maxFrameBytes?: number;
  readonly maxBodyBytes?: number;
  readonly ticketTtlMs?: number;
  /** Sends an ownerless `heartbeat` frame to every connection this often; 0 is off. */
  readonly heartbeatMs?: number;
  /** Faults to inject, each with its probability; none by default (leak-free). */
  readonly faults?: FaultSpec;
  /**
   * Noise mode: still leak-free, but hard to read (texts padded with random
   * words, own frames double-encoded, binary or in arrays, ownerless
   * `system_notice` frames with random ids), for measuring false alarms.
   */
  readonly noise?: boolean;
  /** Shape of server frames on ws and sse (socketio names events by type and ignores it); `canonical` by default. */
  readonly dialect?: Dialect;
  /**
   * What agent runs are served over: `ws` (`GET /ws`, the default), `sse`
   * (`POST /api/threads/:id/runs/stream`) or `socketio` (`/socket.io/`).
   * Only that one: the others' endpoints answer 404. REST is the same on all.
   */
  readonly transport?: TargetTransport;
  readonly issuer?: string;
  readonly audience?: string;
  readonly logger?: Logger;
  /**
   * Called with the URL once the server accepts connections, before the
   * target logs anything about it: `simulate serve` prints its listening
   * line here, so the line comes first even with stdout and stderr merged.
   */
  readonly onListening?: (url: string) => void;
}

/** A running reference target. */
export interface TargetServer {
  /** `http://host:port`, for REST; runs on the same origin (`/ws`, the SSE routes or `/socket.io/`). */
  readonly url: string;
  /** What agent runs are served over. */
  readonly transport: TargetTransport;
  readonly port: number;
  /** What the isolation faults leaked so far (frames and answers carrying another user's data, delivered). */
  leaks(): LeakCounts;
  /** Closes every connection, cancels runs and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts the reference target: REST threads, agent runs over the chosen
 * transport, JWT auth in every delivery. Leak-free by construction: run
 * events are only ever sent through the hub to the run owner's own
 * connections.
 */
export async function startTarget(options: TargetOptions): Promise<TargetServer> {
  const dialect = options.dialect ?? 'canonical';
  const transport = options.transport ?? 'ws';
  switch (transport) {
    case 'sse':
      return serve(options, 'sse', createSseCodec(dialect), (ctx) => new SseGateway(ctx));
    case 'socketio': {
      // Loaded only when served: socket.io is a large dependency the other transports never need.
      const { SocketIoGateway, socketIoCodec } = await import('./socketio-gateway.js');
      return serve(options, 'socketio', socketIoCodec, (ctx) => new SocketIoGateway(ctx));
    }
    case 'ws':
      return serve(options, 'ws', createWsCodec(dialect), (ctx) => new WsGateway(ctx));
    default:
      throw new SimError(
        'INPUT',
        `unknown target transport "${String(transport)}"; expected one of ${TARGET_TRANSPORTS.join(', ')}`,
      );
  }
}

/** Builds the target around one transport: `codec` shapes its frames, the gateway carries them. */
async function serve<F>(
  options: TargetOptions,
  transport: TargetTransport,
  codec: FrameCodec<F>,
  createGateway: (ctx: GatewayContext<F>) => TransportGateway,
): Promise<TargetServer> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const timing = typeof options.agent === 'object' ? options.agent : AGENT_PRESETS[options.agent ?? 'fast'];
  const store = new ThreadStore();
  const hub = new ConnectionHub(codec);
  const verifier = createTokenVerifier(options.secret, {
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
  });
  const tickets = createTicketStore(options.ticketTtlMs ?? 30_000);
  const limiter = createRateLimiter(options.rateLimitPerSec ?? 0);
  const dialect = options.dialect ?? 'canonical';
  // Faults draw from their own stream so agent timing is the same with or without them.
  const faults = new FaultInjector(options.faults ?? {}, createRandom((options.seed ?? 1) ^ 0x5eed));
  const recent = new RecentMessages();
  // Noise draws from a stream of its own too, so it changes neither timing nor faults.
  const noise = options.noise ? new NoiseMaker(createRandom((options.seed ?? 1) ^ 0x0015e)) : undefined;
  const delivery = new RunDelivery(hub, faults, recent, noise);
  let gateway: TransportGateway | undefined;
  const runner = new AgentRunner(timing, createRandom(options.seed ?? 1), delivery.deliver, (run, result) => {
    if (result !== undefined) store.addMessage(run.userId, run.threadId, 'assistant', result);
    delivery.runFinished(run);
    gateway?.runFinished?.(run);
  });
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  gateway = createGateway({
    verifier,
    tickets,
    limiter,
    store,
    runner,
    hub,
    maxFrameBytes: options.maxFrameBytes ?? 64 * 1024,
    maxBodyBytes,
    logger,
    faults,
    recent,
  });
  const rest = createRestHandler({
    store,
    verifier,
    tickets,
    limiter,
    logger,
    faults,
    maxBodyBytes,
    secret: options.secret,
    testLogin: options.testLogin ?? false,
    health: () => ({
      transport,
      connections: hub.size,
      users: hub.users,
      runsInFlight: runner.active,
      threads: store.size,
    }),
    ...(gateway.runRoutes ? { runRoutes: gateway.runRoutes } : {}),
  });

  const server: Server = createServer({ keepAliveTimeout: 30_000 }, rest);
  gateway.attach(server);
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  const heartbeat = options.heartbeatMs
    ? setInterval(() => hub.broadcast(hub.encode('heartbeat', { server_time: Date.now() })), options.heartbeatMs)
    : undefined;
  heartbeat?.unref();
  const notices = noise
    ? setInterval(() => hub.broadcast(noise.encode(hub, 'system_notice', noise.notice())), NOTICE_EVERY_MS)
    : undefined;
  notices?.unref();
  options.onListening?.(url);
  logger.info(
    {
      url,
      transport,
      agent: typeof options.agent === 'string' ? options.agent : 'custom',
      seed: options.seed ?? 1,
      dialect,
      faults: options.faults ?? {},
      noise: noise !== undefined,
    },
    'target listening',
  );

  let closing: Promise<void> | undefined;
  const open = gateway;
  return {
    url,
    port: addr.port,
    transport,
    leaks: () => faults.leaks(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (heartbeat) clearInterval(heartbeat);
        if (notices) clearInterval(notices);
        runner.stopAll();
        delivery.close();
        open.closeAll();
        server.close(() => {
          logger.info('target stopped');
          resolve();
        });
        server.closeIdleConnections();
        // Connections that do not close within a second are cut.
        setTimeout(() => {
          server.closeAllConnections();
          for (const c of hub.all()) c.cut();
        }, 1000).unref();
      });
      return closing;
    },
  };
}
