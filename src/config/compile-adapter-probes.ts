// An adapter's cross-user probes (`probes:`): requests or WebSockets aimed at
// another user's thread or run, checked and compiled with the adapter.
import type { AdapterProbe, RouteSpec } from '../core/adapter.js';
import type { RawAdapter } from './adapter-schema.js';
import type { PathParts } from './flow-parser.js';
import type { At } from './zod-problems.js';

/** One probe's request, as the schema read it. */
type RawProbeRequest = NonNullable<NonNullable<RawAdapter['probes']>[string]['request']>;

/** A probe listens at most this long: the run's end waits for probes in flight. */
const MAX_LISTEN_MS = 30_000;

/** The adapter's own cross-user probes (`probes:`), each a request or a WebSocket aimed at another user's thread or run. */
export function compileAdapterProbes(
  raw: NonNullable<RawAdapter['probes']>,
  route: (r: RawProbeRequest, path: PathParts) => RouteSpec,
  checkTemplates: (v: unknown, path: PathParts) => void,
  at: At,
): AdapterProbe[] {
  const probes: AdapterProbe[] = [];
  for (const [name, p] of Object.entries(raw)) {
    const base: PathParts = ['probes', name];
    if ((p.request === undefined) === (p.ws === undefined)) {
      at(base, 'expected exactly one of "request" (an HTTP request) or "ws" (a WebSocket to open)');
      continue;
    }
    if (p.accepted === 'upgrade' && !p.ws)
      at(
        [...base, 'accepted'],
        '"upgrade" means the WebSocket upgrade was accepted: it needs "ws"; a request probe takes "status"',
      );
    if (p.accepted === 'status' && !p.request)
      at(
        [...base, 'accepted'],
        '"status" means the request was answered with success: it needs "request"; a ws probe takes "upgrade"',
      );
    // The other user's id must reach the backend, or the probe asks about nothing.
    const id = p.on === 'run' ? 'run' : 'thread';
    if (!new RegExp(`\\{\\{\\s*${id}\\s*\\}\\}`).test(JSON.stringify(p.request ?? p.ws)))
      at(base, `a probe on another user's ${p.on} needs {{${id}}} in its path or body`);
    if (p.listen !== undefined && p.listen > MAX_LISTEN_MS)
      at([...base, 'listen'], `expected at most 30s (the run's end waits for probes in flight), got ${p.listen}ms`);
    let ws: AdapterProbe['ws'];
    if (p.ws) {
      checkTemplates(p.ws.path, [...base, 'ws', 'path']);
      if (!p.ws.path.startsWith('/'))
        at([...base, 'ws', 'path'], `expected a path starting with "/", got "${p.ws.path}"`);
      const send = p.ws.send ?? [];
      send.forEach((m, i) => checkTemplates(m, [...base, 'ws', 'send', i]));
      ws = { path: p.ws.path, send };
    }
    probes.push({
      name,
      on: p.on,
      ...(p.request ? { request: route(p.request, [...base, 'request']) } : {}),
      ...(ws ? { ws } : {}),
      ...(p.accepted !== undefined ? { accepted: p.accepted } : {}),
      listenMs: p.listen ?? 1000,
    });
  }
  return probes;
}
