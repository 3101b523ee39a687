// The hostile backend's REST side: a working threads and messages API as
// protocol.md describes it, behind HS256 bearer tokens, answered properly,
// never, late, with 503, with an endless or a trickling body, or with a reset
// socket, as the options say. Health (`/`, `/health`) always answers 200.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MiB, type HostileContext } from './hostile-context.js';

/** The `request` handler of the hostile server's HTTP side. */
export function createRestHandler(ctx: HostileContext): (req: IncomingMessage, res: ServerResponse) => void {
  const restMode = ctx.opts.rest ?? 'ok';
  const threads = new Map<
    string,
    {
      id: string;
      title: unknown;
      metadata: unknown;
      created_at: number;
      updated_at: number;
      messages: unknown[];
      status: string;
    }
  >();

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    if (ctx.held) {
      ctx.held.push(() => json(res, status, body));
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const readBody = (req: IncomingMessage): Promise<unknown> =>
    new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MiB) chunks.push(c);
      });
      req.on('end', () => {
        try {
          resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
        } catch {
          resolve(undefined);
        }
      });
      req.on('error', () => resolve(undefined));
    });

  const answerApi = async (req: IncomingMessage, res: ServerResponse, userId: string, url: URL): Promise<void> => {
    const body = req.method === 'POST' || req.method === 'PUT' ? await readBody(req) : undefined;
    const parts = url.pathname.split('/').filter(Boolean); // api, threads, :id, messages
    const now = Date.now();
    const u = ctx.userEntry(userId);
    const view = (t: NonNullable<ReturnType<typeof threads.get>>): unknown => ({
      id: t.id,
      object: 'thread',
      title: t.title,
      created_at: t.created_at,
      updated_at: t.updated_at,
      metadata: t.metadata,
      message_count: t.messages.length,
      status: t.status,
    });
    if (parts[1] !== 'threads') return json(res, 404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
    if (parts.length === 2) {
      if (req.method === 'POST') {
        const b = (body ?? {}) as { title?: unknown; metadata?: unknown };
        const id = `thr_${randomBytes(6).toString('hex')}`;
        threads.set(id, {
          id,
          title: b.title ?? null,
          metadata: b.metadata ?? {},
          created_at: now,
          updated_at: now,
          messages: [],
          status: 'active',
        });
        ctx.threadOwner.set(id, userId);
        u.threads.add(id);
        return json(res, 201, view(threads.get(id)!));
      }
      if (req.method === 'GET')
        return json(
          res,
          200,
          [...u.threads]
            .reverse()
            .map((id) => view(threads.get(id)!))
            .slice(0, 100),
        );
      return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'method' } });
    }
    const id = decodeURIComponent(parts[2] ?? '');
    const t = threads.get(id);
    if (!t || ctx.threadOwner.get(id) !== userId)
      return json(res, 404, { error: { code: 'THREAD_NOT_FOUND', message: 'no such thread' } });
    if (parts.length === 3) {
      if (req.method === 'GET') return json(res, 200, view(t));
      if (req.method === 'PUT') {
        const b = (body ?? {}) as { title?: unknown; metadata?: unknown };
        if (b.title !== undefined) t.title = b.title;
        if (b.metadata !== undefined) t.metadata = b.metadata;
        t.updated_at = now;
        return json(res, 200, view(t));
      }
      if (req.method === 'DELETE') {
        t.status = 'archived';
        return json(res, 200, { id, status: 'archived' });
      }
    }
    if (parts[3] === 'messages') {
      if (req.method === 'GET')
        return json(res, 200, { thread_id: id, messages: t.messages, total: t.messages.length });
      if (req.method === 'POST') {
        const m = {
          id: `msg_${randomBytes(6).toString('hex')}`,
          thread_id: id,
          role: 'user',
          content: (body as { content?: unknown } | undefined)?.content ?? '',
          created_at: now,
        };
        t.messages.push(m);
        return json(res, 201, m);
      }
    }
    return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'unsupported' } });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (!url.pathname.startsWith('/api/')) {
        // Health (and the generator's reachability check) always answers.
        return json(res, 200, { status: 'ok' });
      }
      ctx.stats.restCalls++;
      if (ctx.opts.restResetProbability && Math.random() < ctx.opts.restResetProbability) {
        ctx.stats.restResets++;
        req.socket.destroy();
        return;
      }
      const auth = req.headers.authorization;
      const userId = await ctx.verify(auth?.startsWith('Bearer ') ? auth.slice(7) : undefined);
      if (!userId) return json(res, 401, { error: { code: 'AUTH_FAILED', message: 'bad token' } });
      switch (restMode) {
        case 'ok':
          return answerApi(req, res, userId, url);
        case 'hang':
          req.resume();
          return; // never answers; close() destroys the socket
        case 'slow':
          req.resume();
          ctx.later(ctx.opts.slowMs ?? 60_000, () => {
            if (!res.destroyed) void answerApi(req, res, userId, url);
          });
          return;
        case 'status503':
          req.resume();
          return json(res, 503, { error: { code: 'UNAVAILABLE', message: 'try later' } });
        case 'endless': {
          req.resume();
          res.writeHead(200, { 'content-type': 'application/json' });
          const chunk = Buffer.from('{"id":"thr_endless","object":"thread","title":"more"},'.repeat(1200));
          res.write('[');
          const pump = (): void => {
            while (!ctx.closed && !res.destroyed) {
              ctx.stats.endlessBytes += chunk.length;
              if (!res.write(chunk)) {
                res.once('drain', pump);
                return;
              }
            }
          };
          pump();
          return;
        }
        case 'trickle': {
          req.resume();
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('[');
          const drip = (): void => {
            if (!res.destroyed) {
              res.write(' ');
              ctx.later(500, drip);
            }
          };
          ctx.later(500, drip);
          return;
        }
      }
    })().catch(() => {
      if (!res.headersSent) json(res, 500, { error: { code: 'INTERNAL', message: 'hostile server bug' } });
    });
  };
  return onRequest;
}
