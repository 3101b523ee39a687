// A loopback HTTP + WebSocket pass-through that keeps every credential a
// client presents or receives: request URLs (?token=, ?ticket=), the
// Authorization and Sec-WebSocket-Protocol headers, and the bodies of ticket
// answers. The secrets test then knows the exact tokens and tickets a run
// used. No side effects at import time.
import { createServer, request } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/** A running proxy in front of a target. */
export interface CredentialProxy {
  readonly url: string;
  /** Raw places credentials travel in: URLs, header values, ticket answers. */
  readonly seen: string[];
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (free port) forwarding everything to `targetUrl` (http://host:port). */
export async function startCredentialProxy(targetUrl: string): Promise<CredentialProxy> {
  const target = new URL(targetUrl);
  const port = Number(target.port);
  const seen: string[] = [];
  const keep = (...values: Array<string | string[] | undefined>): void => {
    for (const v of values.flat()) if (v) seen.push(v);
  };
  const server = createServer((req, res) => {
    keep(req.url, req.headers.authorization, req.headers['sec-websocket-protocol']);
    const up = request({ host: target.hostname, port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if ((req.url ?? '').includes('ticket')) {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => keep(Buffer.concat(chunks).toString('utf8')));
      }
      answer.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  const sockets = new Set<Socket>();
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    keep(req.url, req.headers.authorization, req.headers['sec-websocket-protocol']);
    sockets.add(socket);
    const upstream = connect(port, target.hostname, () => {
      let raw = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      upstream.write(`${raw}\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    sockets.add(upstream);
    const cut = (): void => { upstream.destroy(); socket.destroy(); sockets.delete(upstream); sockets.delete(socket); };
    for (const s of [upstream, socket]) { s.on('error', cut); s.on('close', cut); }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    seen,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
