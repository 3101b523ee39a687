// The hostile backend's WebSocket side: the upgrade on /ws (answered, or
// hung, or refused with 500 or 401), the token from a `jwt.` subprotocol, a
// bearer header or `?token=`, connection_established, ping and stop_agent,
// and a flood of frames as fast as the client reads.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { ACCEPTED_AT, MiB, sendFrame, type Conn, type HostileContext } from './hostile-context.js';
import { createRunPlayer } from './hostile-runs.js';
import { createStallTrigger } from './hostile-stall.js';

const HEARTBEAT = JSON.stringify({ type: 'heartbeat' });

/** The hostile server's `upgrade` handler, and a close for its WebSocketServer. */
export function createWsSide(ctx: HostileContext): {
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  close: () => void;
} {
  const upgradeMode = ctx.opts.upgrade ?? 'accept';
  const startRun = createRunPlayer(ctx);
  const armStall = createStallTrigger(ctx);

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MiB,
    handleProtocols: (protocols) => {
      for (const p of protocols) if (p.startsWith('jwt.')) return p;
      return false;
    },
  });

  const flood = (c: Conn): void => {
    let n = 0;
    const pad = 'p'.repeat(Math.max(0, (ctx.opts.floodFrameBytes ?? 256 * 1024) - 120));
    const frame = (): string =>
      ctx.opts.flood === 'unknown_thread'
        ? JSON.stringify({ type: 'system_notice', payload: { thread_id: `thr_elsewhere_${c.id}_${n++}`, text: pad } })
        : HEARTBEAT;
    const per = ctx.opts.flood === 'unknown_thread' ? 4 : 500;
    // Batches; the next batch goes once the last one was handed to the kernel (so the client sets the pace).
    const batch = (): void => {
      if (ctx.closed || c.ws.readyState !== WebSocket.OPEN) return;
      if (ctx.opts.floodMaxFrames !== undefined && ctx.stats.framesSent + per > ctx.opts.floodMaxFrames) return;
      for (let i = 1; i < per; i++) {
        c.ws.send(frame());
        c.sent++;
      }
      ctx.stats.framesSent += per;
      c.sent++;
      c.ws.send(frame(), (err) => {
        if (!err) setImmediate(batch);
      });
    };
    batch();
  };

  const onConnection = (ws: WebSocket, userId: string): void => {
    ctx.stats.wsConnections++;
    const c: Conn = { id: `conn_${randomBytes(4).toString('hex')}`, userId, ws, sent: 0, hasSent: false };
    ctx.conns.add(c);
    ws.on('error', () => undefined);
    ws.on('close', () => ctx.conns.delete(c));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      let f: { type?: unknown; payload?: Record<string, unknown> };
      // ws's default binaryType 'nodebuffer': one Buffer per message.
      try {
        f = JSON.parse((data as Buffer).toString()) as typeof f;
      } catch {
        return sendFrame(ctx, c, JSON.stringify({ type: 'error', payload: { code: 'BAD_MESSAGE' } }));
      }
      if (f.type === 'user_message') startRun(c, f.payload ?? {});
      else if (f.type === 'ping') sendFrame(ctx, c, JSON.stringify({ type: 'pong', payload: { ts: f.payload?.ts } }));
      else if (f.type === 'stop_agent')
        sendFrame(
          ctx,
          c,
          JSON.stringify({ type: 'agent_stopped', payload: { user_id: userId, run_id: f.payload?.run_id } }),
        );
    });
    const acceptedAt = (ws as unknown as { _socket?: { [ACCEPTED_AT]?: number } })._socket?.[ACCEPTED_AT];
    const established = (): void => {
      if (acceptedAt !== undefined && ws.readyState === WebSocket.OPEN)
        ctx.stats.connectMs.push(performance.now() - acceptedAt);
      sendFrame(
        ctx,
        c,
        JSON.stringify({
          type: 'connection_established',
          payload: { user_id: userId, connection_id: c.id, server_time: Date.now() },
        }),
      );
    };
    // Timed when it is really written, so a held one counts the stall.
    if (ctx.held) ctx.held.push(established);
    else established();
    if (ctx.opts.flood) flood(c);
  };

  const rawAnswer = (socket: Duplex, status: string): void => {
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    ctx.stats.upgrades++;
    armStall();
    ctx.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => ctx.sockets.delete(socket));
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/ws') return rawAnswer(socket, '404 Not Found');
    switch (upgradeMode) {
      case 'hang':
        return; // holds the socket, answers nothing
      case 'status500':
        return rawAnswer(socket, '500 Internal Server Error');
      case 'status401':
        return rawAnswer(socket, '401 Unauthorized');
      case 'accept':
        break;
    }
    const proto = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .find((s) => s.startsWith('jwt.'));
    const auth = req.headers.authorization;
    const token =
      proto?.slice(4) ??
      (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined) ??
      url.searchParams.get('token') ??
      undefined;
    void ctx.verify(token).then((userId) => {
      if (ctx.closed) {
        socket.destroy();
        return;
      }
      if (!userId) return rawAnswer(socket, '401 Unauthorized');
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, userId));
    });
  };

  return { onUpgrade, close: () => wss.close() };
}
