// "Parley": an AI-chat backend nobody planned for, written for the adapter tests. It shares nothing with
// protocol.md: its own routes and bodies, a custom auth header, ids under other names, and chats streamed
// as OpenAI-style Server-Sent Events (data lines only, the type inside the JSON, `data: [DONE]` at the end).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';

/** A running Parley. */
export interface MadeUpBackend {
  readonly url: string;
  /** Chats answered, and foreign conversations listed (the leak switch). */
  readonly stats: { chats: number; leakedListings: number };
  close(): Promise<void>;
}

interface Conversation {
  uid: string;
  name: string;
  owner_sub: string;
  tags: unknown;
  said: string[];
}

/**
 * Starts Parley on 127.0.0.1; `leakListings` makes its listing return every user's conversations,
 * `leakReplay` its replay stream and summary (routes no flow step uses) serve any user's conversation.
 */
export async function startMadeUpBackend(opts: {
  secret: string;
  leakListings?: boolean;
  leakReplay?: boolean;
  tokenDelayMs?: number;
}): Promise<MadeUpBackend> {
  const key = new TextEncoder().encode(opts.secret);
  const conversations = new Map<string, Conversation>();
  const stats = { chats: 0, leakedListings: 0 };
  const who = async (req: IncomingMessage): Promise<string | undefined> => {
    const token = req.headers['x-api-token'];
    if (typeof token !== 'string') return undefined;
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
      // A token issued in the future is refused too (RFC 8725; jose checks iat only against a maximum age).
      if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + 60) return undefined;
      return typeof payload.sub === 'string' && payload.type === 'access' ? payload.sub : undefined;
    } catch {
      return undefined;
    }
  };
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const readJson = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    let s = '';
    for await (const c of req) s += c;
    try {
      return JSON.parse(s || '{}') as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  /** A conversation's turns replayed as a stream (an error frame for someone else's, unless leaky), or summed up as JSON. */
  const serveExtra = (res: ServerResponse, sub: string, c: Conversation | undefined, what: string): void => {
    const allowed = c !== undefined && (c.owner_sub === sub || opts.leakReplay === true);
    if (what === 'summary')
      return allowed
        ? send(res, 200, { uid: c.uid, owner_sub: c.owner_sub, said: c.said })
        : send(res, 404, { problem: 'no such conversation' });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (!allowed)
      return void res.end(`data: ${JSON.stringify({ object: 'replay.error', problem: 'no such conversation' })}\n\n`);
    for (const text of c.said)
      res.write(
        `data: ${JSON.stringify({ object: 'replay.turn', conversation: c.uid, owner_sub: c.owner_sub, text })}\n\n`,
      );
    res.end();
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const sub = await who(req);
      if (!sub) return send(res, 403, { problem: 'who are you' });
      const url = new URL(req.url ?? '/', 'http://parley');
      const extra = /^\/v1\/conversations\/([^/]+)\/(replay|summary)$/.exec(url.pathname);
      if (extra && req.method === 'GET')
        return serveExtra(res, sub, conversations.get(decodeURIComponent(extra[1]!)), extra[2]!);
      const m = /^\/v1\/conversations(?:\/([^/]+))?(\/chat)?$/.exec(url.pathname);
      if (!m) return send(res, 404, { problem: 'no such route' });
      const [, uid, chat] = m;
      if (!uid && req.method === 'POST') {
        const body = await readJson(req);
        const c: Conversation = {
          uid: `cv-${randomUUID()}`,
          name: typeof body.name === 'string' ? body.name : '',
          owner_sub: sub,
          tags: body.tags ?? null,
          said: [],
        };
        conversations.set(c.uid, c);
        return send(res, 200, { conversation: { uid: c.uid, name: c.name, owner_sub: c.owner_sub, tags: c.tags } });
      }
      if (!uid && req.method === 'GET') {
        const all = [...conversations.values()];
        const mine = opts.leakListings ? all : all.filter((c) => c.owner_sub === sub);
        stats.leakedListings += mine.filter((c) => c.owner_sub !== sub).length;
        const max = Number(url.searchParams.get('max') ?? 50);
        return send(res, 200, {
          data: mine.slice(-max).map((c) => ({ uid: c.uid, name: c.name, owner_sub: c.owner_sub })),
        });
      }
      const c = uid ? conversations.get(decodeURIComponent(uid)) : undefined;
      if (!c || c.owner_sub !== sub) return send(res, 404, { problem: 'no such conversation' });
      if (!chat && req.method === 'GET')
        return send(res, 200, { uid: c.uid, name: c.name, owner_sub: c.owner_sub, turns: c.said.length });
      if (!chat || req.method !== 'POST') return send(res, 405, { problem: 'method' });
      const body = await readJson(req);
      if (body.action !== 'chat' || typeof body.text !== 'string' || !Array.isArray(body.history))
        return send(res, 400, { problem: 'bad chat' });
      c.said.push(body.text);
      stats.chats++;
      const response = `rsp-${randomUUID()}`;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const base = { conversation: c.uid, response, owner_sub: sub, client_ref: body.client_ref };
      const line = (o: unknown): void => {
        res.write(`data: ${JSON.stringify(o)}\n\n`);
      };
      line({ object: 'chat.begin', ...base });
      // The answer quotes the user, word by word, as a model would; it knows how many turns came before.
      const words = `You said (turn ${body.history.length}): ${body.text}`.split(' ');
      let i = 0;
      const tick = (): void => {
        if (res.destroyed) return;
        if (i < words.length) {
          line({ object: 'chat.delta', ...base, delta: `${words[i++]} ` });
          setTimeout(tick, opts.tokenDelayMs ?? 2);
          return;
        }
        line({ object: 'chat.end', ...base, finish: 'stop' });
        res.end('data: [DONE]\n\n');
      };
      setTimeout(tick, opts.tokenDelayMs ?? 2);
    })().catch(() => {
      if (!res.headersSent) send(res, 500, { problem: 'oops' });
      else res.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
