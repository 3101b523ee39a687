import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { TokenVerifier } from './token-verifier.js';
import type { TicketStore } from './ticket-store.js';
import type { RateLimiter } from './rate-limiter.js';
import type { ThreadStore } from './thread-store.js';
import type { AgentRunner } from './agent-runner.js';
import type { ConnectionHub } from './connection-hub.js';
import type { FaultInjector, RecentMessages } from './fault-injector.js';

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

/** What the target server needs from the gateway of the transport it serves. */
export interface TransportGateway {
  /** Hooks the transport into the HTTP server (upgrade listeners, Socket.IO). */
  attach(server: Server): void;
  /** Ends every connection (shutdown); stragglers are cut a second later. */
  closeAll(): void;
}
