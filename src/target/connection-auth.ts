import type { Logger } from 'pino';
import type { FaultInjector } from './fault-injector.js';
import type { TicketStore } from './ticket-store.js';
import type { TokenVerifier } from './token-verifier.js';
import { readUnverifiedSubject } from './token-verifier.js';

/** What a client presented to open a connection: a ticket wins over a token. */
export interface ConnectionCredentials {
  readonly ticket?: string;
  readonly token?: string;
}

/** What {@link authenticateConnection} needs. */
export interface ConnectionAuthContext {
  readonly verifier: TokenVerifier;
  readonly tickets: TicketStore;
  readonly faults: FaultInjector;
  readonly logger: Logger;
}

/**
 * The user a WebSocket or Socket.IO connection opens as, or undefined when
 * refused. A ticket is redeemed (single use); a token is verified. The
 * `auth_bypass` fault lets a refused one in (as the token's unverified
 * subject, or `anonymous`) and counts it as a leak, on every transport alike.
 */
export async function authenticateConnection(
  ctx: ConnectionAuthContext,
  creds: ConnectionCredentials,
): Promise<string | undefined> {
  if (creds.ticket !== undefined) {
    const owner = ctx.tickets.redeem(creds.ticket);
    if (owner === undefined && ctx.faults.roll('auth_bypass')) {
      ctx.faults.leaked(1, 'auth_bypass');
      return 'anonymous';
    }
    return owner;
  }
  const verdict = await ctx.verifier.verify(creds.token);
  if (typeof verdict === 'string') {
    if (ctx.faults.roll('auth_bypass')) {
      ctx.faults.leaked(1, 'auth_bypass');
      return readUnverifiedSubject(creds.token);
    }
    ctx.logger.debug({ reason: verdict }, 'connection auth refused');
    return undefined;
  }
  return verdict.userId;
}
