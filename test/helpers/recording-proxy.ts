// A loopback HTTP + WebSocket pass-through that records how each upgrade
// request presented its credentials, so tests can tell the deliveries apart,
// and every raw place a credential travelled (for the secrets scan).
// No side effects at import time.
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';

/** One WebSocket upgrade request as the proxy saw it. */
export interface RecordedUpgrade {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** A running proxy in front of `targetUrl`. */
export interface RecordingProxy {
  readonly url: string;
  readonly upgrades: RecordedUpgrade[];
  /** `METHOD path` of every plain HTTP request. */
  readonly requests: string[];
  /** Raw places credentials travel in: URLs, authorization and subprotocol headers, ticket answers. */
  readonly credentials: string[];
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (free port) forwarding everything to `targetUrl` (http://host:port). */
export async function startRecordingProxy(targetUrl: string): Promise<RecordingProxy> {
  const target = new URL(targetUrl);
  const port = Number(target.port);
  const upgrades: RecordedUpgrade[] = [];
  const requests: string[] = [];
  const credentials: string[] = [];
  const keep = (req: { url?: string | undefined; headers: IncomingHttpHeaders }): void => {
    for (const v of [req.url, req.headers.authorization, req.headers['sec-websocket-protocol']])
      if (v) credentials.push(v);
  };
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    keep(req);
    const up = request(
      { host: target.hostname, port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if ((req.url ?? '').includes('ticket')) {
          const chunks: Buffer[] = [];
          answer.on('data', (c: Buffer) => chunks.push(c));
          answer.on('end', () => credentials.push(Buffer.concat(chunks).toString('utf8')));
        }
        answer.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
  const tunnels = new Set<{ destroy(): void }>();
  server.on('upgrade', (req, socket, head) => {
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    upgrades.push({ url: req.url ?? '', headers: req.headers });
    keep(req);
    const upstream = connect(port, target.hostname, () => {
      let raw = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      upstream.write(`${raw}\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    const cut = (): void => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', cut);
    socket.on('error', cut);
    upstream.on('close', cut);
    socket.on('close', cut);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    upgrades,
    requests,
    credentials,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const t of tunnels) t.destroy();
      }),
  };
}
