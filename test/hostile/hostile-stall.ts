// The hostile backend's stall: `stall.atMs` after the first WebSocket
// upgrade it holds every answer, REST and WebSocket alike, for `stall.forMs`,
// then lets them all go at once, each connection's share (and any heartbeat
// padding) in one write, so the generator finds the whole burst waiting (the
// queueing self-check in queueing.test.ts).
import type { Duplex } from 'node:stream';
import { sendFrame, type HostileContext } from './hostile-context.js';

/**
 * The stall's trigger, called at every upgrade: notes the first upgrade's
 * time and, once and only with `opts.stall`, schedules the stall from it.
 */
export function createStallTrigger(ctx: HostileContext): () => void {
  let stallArmed = false;
  return (): void => {
    const st = ctx.opts.stall;
    ctx.stats.firstUpgradeAtMs ??= Date.now();
    if (!st || stallArmed) return;
    stallArmed = true;
    ctx.later(st.atMs, () => {
      const fromMs = Date.now();
      ctx.held = [];
      ctx.later(st.forMs, () => {
        const queue = ctx.held ?? [];
        ctx.held = undefined;
        // Corked, so each connection's share goes out in one write and the client finds the whole burst waiting.
        const raw = [...ctx.conns]
          .map((c) => (c.ws as unknown as { _socket?: Duplex })._socket)
          .filter((x): x is Duplex => x !== undefined);
        for (const r of raw) r.cork();
        for (const fn of queue) fn();
        let padded = 0;
        if (st.padFrames) {
          const frame = JSON.stringify({ type: 'heartbeat', payload: { pad: 'p'.repeat(st.padBytes ?? 64) } });
          for (const c of ctx.conns)
            for (let i = 0; i < st.padFrames; i++) {
              sendFrame(ctx, c, frame);
              padded++;
            }
        }
        for (const r of raw) r.uncork();
        ctx.stats.stall = { fromMs, toMs: Date.now(), held: queue.length, padded };
      });
    });
  };
}
