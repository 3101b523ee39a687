import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import {
  TRANSPORTS,
  type Adapter,
  type AdapterProbe,
  type RestRoute,
  type RouteSpec,
  type RunStartSpec,
  type RunStopSpec,
  type SendSpec,
  type TransportKind,
  type TransportSpec,
} from '../core/adapter.js';
import { PROTOCOL_FIELDS, type Delivery } from '../core/scenario-types.js';
import { SimError, type InputProblem } from '../core/sim-error.js';
import { compileWireTemplate, type WireProblem } from '../core/wire-template.js';
import { adapterSchema, ADAPTER_KEYS, type RawAdapter } from './adapter-schema.js';
import type { PathParts } from './flow-parser.js';
import { compileLifecycleSpec } from './lifecycle-schema.js';
import { locate } from './yaml-locator.js';
import { parseWith, type At } from './zod-problems.js';

/** The folder of built-in adapters (`adapters/` of this installation), found upward from this file (dist/src/config or dist/bundle). */
function findBuiltinDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'adapters', 'crosstalk.yaml'))) return join(dir, 'adapters');
  }
  return undefined;
}

/** Names of the built-in adapters (`api: <name>`). */
function listBuiltinAdapters(): string[] {
  const dir = findBuiltinDir();
  return dir
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => f.slice(0, -5))
        .sort()
    : [];
}

/** True when `api` names a built-in adapter rather than a file. */
function isBuiltinName(api: string): boolean {
  return /^[a-z][a-z0-9-]*$/.test(api);
}

/** The file an `api` value names: a built-in by name, or a path relative to `fromDir`. */
function resolveAdapterFile(api: string, fromDir: string): string | undefined {
  if (isBuiltinName(api)) {
    const dir = findBuiltinDir();
    const f = dir ? join(dir, `${api}.yaml`) : undefined;
    return f && existsSync(f) ? f : undefined;
  }
  const f = resolve(fromDir, api);
  return existsSync(f) ? f : undefined;
}

/** An adapter document read from disk, `extends` already merged. */
interface AdapterDocument {
  readonly file: string;
  readonly value: Record<string, unknown>;
  readonly at: At;
}

/** Objects merge key by key (the child's win); lists and scalars are replaced. */
function merge(base: unknown, over: unknown): unknown {
  if (
    base &&
    over &&
    typeof base === 'object' &&
    typeof over === 'object' &&
    !Array.isArray(base) &&
    !Array.isArray(over)
  ) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over)) out[k] = merge(out[k], v);
    return out;
  }
  return over;
}

function readAdapterDocument(
  file: string,
  problems: InputProblem[],
  seen: readonly string[] = [],
): AdapterDocument | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    problems.push({ file, message: 'cannot read adapter file' });
    return undefined;
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  for (const e of doc.errors) {
    const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
    problems.push({
      file,
      ...(pos ? { line: pos.line, column: pos.col } : {}),
      message: `YAML syntax: ${e.message.split('\n')[0]}`,
    });
  }
  if (doc.errors.length) return undefined;
  const at: At = (path, message, atKey = false) => {
    problems.push(locate(doc, lc, file, path, message, atKey));
  };
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push({
      file,
      line: 1,
      column: 1,
      message: 'expected an adapter: a mapping with at least "adapter" (its name) and "transports"',
    });
    return undefined;
  }
  const obj = value as Record<string, unknown>;
  const ext = obj.extends;
  if (ext === undefined) return { file, value: obj, at };
  if (typeof ext !== 'string' || ext === '') {
    at(['extends'], 'expected the name of a built-in adapter or the path of an adapter file');
    return undefined;
  }
  const baseFile = resolveAdapterFile(ext, dirname(file));
  if (!baseFile) {
    at(
      ['extends'],
      `no adapter "${ext}": expected a built-in (${listBuiltinAdapters().join(', ')}) or an adapter file relative to ${dirname(file)}`,
    );
    return undefined;
  }
  if (seen.includes(baseFile) || baseFile === file) {
    at(['extends'], `adapters extend each other in a circle (${[...seen, file, baseFile].join(' → ')})`);
    return undefined;
  }
  const base = readAdapterDocument(baseFile, problems, [...seen, file]);
  if (!base) return undefined;
  const { extends: _dropped, ...own } = obj;
  const { extends: _baseExt, ...baseValue } = base.value;
  return { file, value: merge(baseValue, own) as Record<string, unknown>, at };
}

/** Where an adapter's parameters come from, for messages about them. */
export interface AdapterParamsSource {
  readonly values: Readonly<Record<string, string | number | boolean>>;
  /** Reports a problem at `target.params...` of the scenario. */
  readonly at: At;
}

/**
 * Reads, validates and compiles an adapter (`api`: a built-in name or a file
 * relative to `fromDir`). Adapter problems are thrown at once as a
 * SimError('INPUT') naming the adapter file, line and path; problems with
 * the scenario's parameters are reported through `params.at`.
 */
export function loadAdapter(api: string, fromDir: string, params?: AdapterParamsSource): Adapter {
  const file = resolveAdapterFile(api, fromDir);
  if (!file) {
    throw new SimError('INPUT', `no adapter "${api}"`, {
      hint: `target.api is a built-in adapter (${listBuiltinAdapters().join(', ')}) or the path of an adapter YAML file, relative to the scenario`,
    });
  }
  return loadAdapterFile(file, isBuiltinName(api) ? 'built-in' : file, params);
}

/** Like {@link loadAdapter} for a file path (`simulate validate adapter.yaml`). */
export function loadAdapterFile(file: string, source: string = file, params?: AdapterParamsSource): Adapter {
  const problems: InputProblem[] = [];
  const doc = readAdapterDocument(file, problems);
  const raw = doc ? parseWith(adapterSchema, doc.value, [], doc.at, ADAPTER_KEYS) : undefined;
  const adapter = raw && doc ? compileAdapter(raw, source, doc.at, params) : undefined;
  if (problems.length || !adapter)
    throw new SimError('INPUT', `invalid adapter ${file}`, {
      problems,
      hint: 'see README "Testing your own backend" for what an adapter holds',
    });
  return adapter;
}

function compileAdapter(
  raw: RawAdapter,
  source: string,
  at: At,
  paramsIn: AdapterParamsSource | undefined,
): Adapter | undefined {
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
  const probes = compileProbes(raw.probes ?? {}, route, checkTemplates, at);
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

/** A probe listens at most this long: the run's end waits for probes in flight. */
const MAX_LISTEN_MS = 30_000;

/** The adapter's own cross-user probes (`probes:`), each a request or a WebSocket aimed at another user's thread or run. */
function compileProbes(
  raw: NonNullable<RawAdapter['probes']>,
  route: (r: RouteSpecRaw, path: PathParts) => RouteSpec,
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

type RouteSpecRaw = {
  method: RouteSpec['method'];
  path: string;
  query?: Record<string, string> | undefined;
  headers?: Record<string, string> | undefined;
  body?: unknown;
  status?: number[] | undefined;
};
