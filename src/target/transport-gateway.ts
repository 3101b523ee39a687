import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { TokenVerifier } from './token-verifier.js';
import type { TicketStore } from './ticket-store.js';
import type { RateLimiter } from './rate-limiter.js';
import type { ThreadStore } from './thread-store.js';
import type { AgentRun, AgentRunner } from './agent-runner.js';
import type { ConnectionHub } from './connection-hub.js';
import type { FaultInjector, RecentMessages } from './fault-injector.js';

/** Transports the reference target can serve agent runs over; one per server. */
export const TARGET_TRANSPORTS = ['ws', 'sse', 'socketio'] as const;
/** One of {@link TARGET_TRANSPORTS}. */
export type TargetTransport = (typeof TARGET_TRANSPORTS)[number];

/** What a transport's gateway needs from the server around it. */
export interface GatewayContext<F> {
  readonly verifier: TokenVerifier;
  readonly tickets: TicketStore;
  readonly limiter: RateLimiter;
  readonly store: ThreadStore;
  readonly runner: AgentRunner;
  readonly hub: ConnectionHub<F>;
  readonly maxFrameBytes: number;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  readonly faults: FaultInjector;
  readonly recent: RecentMessages;
}

/**
 * A REST route a transport adds behind the REST handler's auth, `http_500`
 * and rate limit (SSE's run stream and stop); resolves false when `path` is
 * not one of its routes.
 */
export type RunRoutes = (
  userId: string,
  method: string,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
) => Promise<boolean>;

/** What the target server needs from the gateway of the transport it serves. */
export interface TransportGateway {
  /** Hooks the transport into the HTTP server (upgrade listeners, Socket.IO). */
  attach(server: Server): void;
  /** The REST routes of the transport, when it has some. */
  readonly runRoutes?: RunRoutes;
  /** Told when a run has ended, whether or not its last event was delivered. */
  runFinished?(run: AgentRun): void;
  /** Ends every connection (shutdown); stragglers are cut a second later. */
  closeAll(): void;
}
