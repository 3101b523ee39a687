import { randomBytes } from 'node:crypto';

/** A ticket as `POST /api/websocket/ticket` returns it. */
export interface Ticket {
  readonly ticket_id: string;
  readonly expires_at: number;
  readonly single_use: true;
}

/** Single-use WebSocket tickets, each bound to the user that asked for it. */
export interface TicketStore {
  issue(userId: string): Ticket;
  /** Returns the owner and forgets the ticket; undefined when unknown, used or expired. */
  redeem(ticketId: string): string | undefined;
}

/** Builds a ticket store whose tickets live `ttlMs`. */
export function createTicketStore(ttlMs = 30_000, now: () => number = Date.now): TicketStore {
  const tickets = new Map<string, { userId: string; expiresAtMs: number }>();
  let issuedSinceSweep = 0;
  const sweep = (): void => {
    const t = now();
    for (const [id, v] of tickets) if (v.expiresAtMs <= t) tickets.delete(id);
  };
  return {
    issue(userId) {
      // Expired tickets nobody redeemed would otherwise pile up under load.
      if (++issuedSinceSweep >= 1000) {
        issuedSinceSweep = 0;
        sweep();
      }
      const id = `tkt_${randomBytes(16).toString('base64url')}`;
      const expiresAtMs = now() + ttlMs;
      tickets.set(id, { userId, expiresAtMs });
      return { ticket_id: id, expires_at: Math.floor(expiresAtMs / 1000), single_use: true };
    },
    redeem(ticketId) {
      const t = tickets.get(ticketId);
      if (!t) return undefined;
      tickets.delete(ticketId);
      return t.expiresAtMs > now() ? t.userId : undefined;
    },
  };
}
