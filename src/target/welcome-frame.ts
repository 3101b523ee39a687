import type { ConnectionHub, TargetConnection } from './connection-hub.js';
import type { FaultInjector } from './fault-injector.js';
import type { ThreadStore } from './thread-store.js';

/** What {@link sendWelcome} needs. */
export interface WelcomeContext<F> {
  readonly hub: ConnectionHub<F>;
  readonly store: ThreadStore;
  readonly faults: FaultInjector;
}

/**
 * Sends `connection_established` to a connection that just opened (ws,
 * socketio; SSE has no welcome): `{ user_id, connection_id, server_time }`
 * of its own user. The `handshake` fault names another connected user
 * instead, with that user's newest thread as `thread_id` when there is one,
 * as a backend that mixes up sessions does; counted as one leaked frame.
 */
export function sendWelcome<F>(ctx: WelcomeContext<F>, conn: TargetConnection<F>): void {
  const other = ctx.faults.roll('handshake') ? ctx.hub.randomUserOtherThan(conn.userId, Math.random) : undefined;
  if (other === undefined) {
    conn.send(
      ctx.hub.encode('connection_established', {
        user_id: conn.userId,
        connection_id: conn.id,
        server_time: Date.now(),
      }),
    );
    return;
  }
  const threadId = ctx.store.newestThreadOf(other)?.id;
  const payload =
    threadId === undefined
      ? { user_id: other, connection_id: conn.id, server_time: Date.now() }
      : { user_id: other, thread_id: threadId, connection_id: conn.id, server_time: Date.now() };
  conn.send(ctx.hub.encode('connection_established', payload));
  ctx.faults.leaked(1, 'handshake');
}
