// A port that accepts TCP connections and never says a word (not even
// HTTP): a target unreachable at start though nothing refuses the connection.
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';

/** A port that accepts TCP connections and never says a word (not even HTTP). */
export async function startSilentServer(): Promise<{
  url: string;
  port: number;
  accepted: () => number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const srv: NetServer = createNetServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    // Read and drop whatever comes; answer nothing.
    s.resume();
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}
