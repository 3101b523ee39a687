// Compiling an adapter as the schema read it into the `Adapter` the runtime
// uses: its parameters set from the scenario, wire templates checked against
// them, routes, transports, auth and how frames are read. Problems are
// reported through `at`, located in the adapter file (or, for parameters, in
// the scenario), so one pass names all of them.
import {
  TRANSPORTS,
  type Adapter,
  type RestRoute,
  type RouteSpec,
  type RunStartSpec,
  type RunStopSpec,
  type SendSpec,
  type TransportKind,
  type TransportSpec,
} from '../core/adapter.js';
import { PROTOCOL_FIELDS, type Delivery } from '../core/scenario-types.js';
import { compileWireTemplate, type WireProblem } from '../core/wire-template.js';
import type { RawAdapter } from './adapter-schema.js';
import { compileAdapterProbes } from './compile-adapter-probes.js';
import type { PathParts } from './flow-parser.js';
import { compileLifecycleSpec } from './lifecycle-schema.js';
import type { At } from './zod-problems.js';

/** Where an adapter's parameters come from, for messages about them. */
export interface AdapterParamsSource {
  readonly values: Readonly<Record<string, string | number | boolean>>;
  /** Reports a problem at `target.params...` of the scenario. */
  readonly at: At;
}

/**
 * Compiles a schema-valid adapter; `source` is what the Adapter says it came
 * from (`built-in` or the file). Problems go through `at` (the adapter's) and
 * `paramsIn.at` (the scenario's); the adapter is returned all the same, and
 * the caller throws when any were reported.
 */
export function compileAdapter(
  raw: RawAdapter,
  source: string,
  at: At,
  paramsIn: AdapterParamsSource | undefined,
): Adapter {
  const declared = raw.params ?? {};
  const params: Record<string, string> = {};
  for (const [name, def] of Object.entries(declared)) {
    const v = paramsIn?.values[name] ?? def;
    if (v === null || v === undefined) {
      if (paramsIn)
        paramsIn.at(
          ['target', 'params'],
          `adapter "${raw.adapter}" needs parameter "${name}": set target.params.${name}`,
        );
      continue;
    }
    params[name] = String(v);
  }
  for (const name of Object.keys(paramsIn?.values ?? {})) {
    if (!(name in declared))
      paramsIn!.at(
        ['target', 'params', name],
        `adapter "${raw.adapter}" has no parameter "${name}"; it declares ${Object.keys(declared).join(', ') || 'none'}`,
        true,
      );
  }
  const names = new Set(Object.keys(declared));
  const checkTemplates = (value: unknown, path: PathParts): void => {
    const problems: WireProblem[] = [];
    compileWireTemplate(value, names, problems);
    for (const p of problems) at([...path, ...p.path], p.message);
  };
  const route = (r: NonNullable<RawAdapter['auth']>['ticket'] | RouteSpecRaw, path: PathParts): RouteSpec => {
    const rr = r as RouteSpecRaw;
    checkTemplates(rr.path, [...path, 'path']);
    if (rr.query) checkTemplates(rr.query, [...path, 'query']);
    if (rr.headers) checkTemplates(rr.headers, [...path, 'headers']);
    if (rr.body !== undefined) checkTemplates(rr.body, [...path, 'body']);
    if (!rr.path.startsWith('/')) at([...path, 'path'], `expected a path starting with "/", got "${rr.path}"`);
    return {
      method: rr.method,
      path: rr.path,
      query: rr.query ?? {},
      headers: rr.headers ?? {},
      ...(rr.body !== undefined ? { body: rr.body } : {}),
      status: rr.status ?? [],
    };
  };
  const rest: Partial<Record<string, RestRoute>> = {};
  for (const [step, r] of Object.entries(raw.rest ?? {})) {
    if (!r) continue;
    rest[step] = {
      ...route(r, ['rest', step]),
      ...(r.id !== undefined ? { id: r.id } : {}),
      ...(r.items !== undefined ? { items: r.items } : {}),
      itemId: r.itemId ?? 'id',
    };
  }
  if (rest.createThread && rest.createThread.id === undefined)
    at(
      ['rest', 'createThread'],
      'createThread needs "id": the path of the new thread\'s id in the answer (e.g. id, or thread_id)',
    );
  const send = (s: { event?: string | undefined; data: unknown }, path: PathParts): SendSpec => {
    checkTemplates(s.data, [...path, 'data']);
    return { ...(s.event !== undefined ? { event: s.event } : {}), data: s.data };
  };
  const transports: Partial<Record<TransportKind, TransportSpec>> = {};
  for (const kind of TRANSPORTS) {
    const t = raw.transports?.[kind];
    if (!t) continue;
    const base: PathParts = ['transports', kind];
    if (kind !== 'sse' && t.path === undefined)
      at(base, `a ${kind} transport needs "path": where to connect (e.g. /ws)`);
    if (kind === 'sse' && t.path !== undefined)
      at([...base, 'path'], 'an sse transport has no persistent connection: its runs are streamed by start.request');
    const s = t.start;
    let start: RunStartSpec | undefined;
    if ((s.send === undefined) === (s.request === undefined))
      at(
        [...base, 'start'],
        'expected exactly one of "send" (a message on the open connection) or "request" (an HTTP request)',
      );
    else if (s.send) {
      if (kind === 'sse')
        at([...base, 'start', 'send'], 'an sse transport has no connection to send on: use start.request');
      if (kind === 'socketio' && s.send.event === undefined)
        at([...base, 'start', 'send'], 'a Socket.IO message needs "event" (the event name to emit)');
      start = { via: 'send', send: send(s.send, [...base, 'start', 'send']) };
    } else {
      const events = s.events ?? (kind === 'sse' ? 'stream' : 'connection');
      if (kind === 'sse' && events === 'connection')
        at(
          [...base, 'start', 'events'],
          "an sse transport has no connection: its events come in the request's answer (events: stream)",
        );
      if (kind !== 'sse' && events === 'stream')
        at(
          [...base, 'start', 'events'],
          `a ${kind} transport gets events on its connection; a streamed answer is the sse transport`,
        );
      start = {
        via: 'request',
        request: route(s.request, [...base, 'start', 'request']),
        events,
        ...(s.runId !== undefined ? { runId: s.runId } : {}),
      };
    }
    let stop: RunStopSpec | undefined;
    if (t.stop) {
      if ((t.stop.send === undefined) === (t.stop.request === undefined))
        at([...base, 'stop'], 'expected exactly one of "send" or "request"');
      else if (t.stop.send) stop = { via: 'send', send: send(t.stop.send, [...base, 'stop', 'send']) };
      else stop = { via: 'request', request: route(t.stop.request, [...base, 'stop', 'request']) };
    }
    if (!start) continue;
    transports[kind] = {
      kind,
      ...(t.path !== undefined ? { path: t.path } : {}),
      ...(t.handshake
        ? {
            handshake: {
              type: t.handshake.type,
              ...(t.handshake.connectionId !== undefined ? { connectionId: t.handshake.connectionId } : {}),
            },
          }
        : {}),
      start,
      ...(stop ? { stop } : {}),
      typeFrom: t.typeFrom ?? 'auto',
      done: t.done ?? (kind === 'sse' ? ['[DONE]'] : []),
      endOnClose: t.endOnClose ?? 'failed',
    };
  }
  const kinds = Object.keys(transports) as TransportKind[];
  if (kinds.length === 0 && !raw.transports)
    at(
      [],
      'an adapter needs "transports": at least one of ws, sse, socketio, saying how runs start and where their events come',
    );
  const defaultTransport = raw.transports?.default ?? kinds[0] ?? 'ws';
  if (raw.transports?.default !== undefined && !transports[defaultTransport])
    at(
      ['transports', 'default'],
      `"${defaultTransport}" is not one of this adapter's transports (${kinds.join(', ') || 'none'})`,
    );
  const probes = compileAdapterProbes(raw.probes ?? {}, route, checkTemplates, at);
  const bypassHeaders = raw.auth?.bypassHeaders ?? [];
  bypassHeaders.forEach((h, i) => {
    if (Object.keys(h).length === 0)
      at(['auth', 'bypassHeaders', i], 'expected the headers of one bypass, e.g. { x-auth-scheme: langsmith }');
  });
  const ev = raw.events;
  const lc = ev?.lifecycle;
  const lifecycle = compileLifecycleSpec(
    { lifecycle: { ...lc, ...(ev?.ownerless ? { nonRun: ev.ownerless } : {}) } },
    at,
    ['events'],
  );
  let ticket: Adapter['auth']['ticket'];
  if (raw.auth?.ticket)
    ticket = { ...route(raw.auth.ticket, ['auth', 'ticket']), ticketPath: raw.auth.ticket.ticketPath };
  const deliveries: readonly Delivery[] = raw.auth?.deliveries ?? ['header'];
  if (deliveries.includes('ticket') && !ticket)
    at(
      ['auth', 'deliveries'],
      'the ticket delivery needs auth.ticket: the route that hands out a ticket and where the ticket is in its answer',
    );
  checkTemplates(raw.auth?.value ?? '', ['auth', 'value']);
  return {
    name: raw.adapter,
    source,
    ...(raw.description !== undefined ? { description: raw.description } : {}),
    params,
    auth: {
      header: raw.auth?.header ?? 'authorization',
      value: raw.auth?.value ?? 'Bearer {{token}}',
      deliveries,
      ...(ticket ? { ticket } : {}),
      bypassHeaders,
    },
    rest,
    events: {
      fieldRoots: ev?.fieldRoots ?? ['payload', 'data', ''],
      typeFields: ev?.typeFields ?? ['type', 'event'],
      aliases: ev?.names ?? {},
      fields: { ...PROTOCOL_FIELDS, ...ev?.fields },
      timestampUnit: ev?.timestampUnit ?? 'auto',
      ...(ev?.arrays !== undefined ? { arrays: ev.arrays } : {}),
      lifecycle,
    },
    ...(ev?.restOwner !== undefined ? { restOwner: ev.restOwner } : {}),
    transports,
    defaultTransport,
    probes,
  };
}

/** A route as the schema read it (the ticket route adds `ticketPath`, a REST step's its answer paths). */
type RouteSpecRaw = {
  method: RouteSpec['method'];
  path: string;
  query?: Record<string, string> | undefined;
  headers?: Record<string, string> | undefined;
  body?: unknown;
  status?: number[] | undefined;
};
