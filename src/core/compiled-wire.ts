import type { Adapter, RestRoute, RestStep, RouteSpec, SendSpec, TransportKind, TransportSpec } from './adapter.js';
import {
  compileWireTemplate,
  computeUsesName,
  renderWire,
  renderWireText,
  type WireNode,
  type WireValues,
} from './wire-template.js';

/** A request ready to send: method, path with its query, headers and JSON body. */
export interface RenderedRequest {
  readonly method: RouteSpec['method'];
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** A route with its templates compiled once. */
export class CompiledRoute {
  private readonly path: WireNode;
  private readonly query: ReadonlyArray<readonly [string, WireNode]>;
  private readonly headers: ReadonlyArray<readonly [string, WireNode]>;
  private readonly body: WireNode | undefined;
  private readonly okStatus: ReadonlySet<number> | undefined;

  constructor(
    readonly spec: RouteSpec,
    params: ReadonlySet<string>,
  ) {
    this.path = compileWireTemplate(spec.path, params);
    this.query = Object.entries(spec.query).map(([k, v]) => [k, compileWireTemplate(v, params)] as const);
    this.headers = Object.entries(spec.headers).map(([k, v]) => [k, compileWireTemplate(v, params)] as const);
    this.body = spec.body === undefined ? undefined : compileWireTemplate(spec.body, params);
    this.okStatus = spec.status.length ? new Set(spec.status) : undefined;
  }

  /** Renders the request; values put into the path are URL-encoded, query parameters that render to nothing are left out. */
  render(values: WireValues): RenderedRequest {
    let path = renderWireText(this.path, values, encodeURIComponent);
    if (this.query.length) {
      const q = new URLSearchParams();
      for (const [k, node] of this.query) {
        const v = renderWireText(node, values);
        if (v !== '') q.set(k, v);
      }
      const qs = q.toString();
      if (qs) path += `${path.includes('?') ? '&' : '?'}${qs}`;
    }
    const headers: Record<string, string> = {};
    for (const [k, node] of this.headers) headers[k] = renderWireText(node, values);
    return {
      method: this.spec.method,
      path,
      headers,
      body: this.body === undefined ? undefined : renderWire(this.body, values),
    };
  }

  /** True when one of the route's templates uses `name`. */
  uses(name: string): boolean {
    return [
      this.path,
      ...this.query.map((e) => e[1]),
      ...this.headers.map((e) => e[1]),
      ...(this.body ? [this.body] : []),
    ].some((n) => computeUsesName(n, name));
  }

  /** True when `status` means success for this route (its `status` list, else any 2xx). */
  accepts(status: number): boolean {
    return this.okStatus ? this.okStatus.has(status) : status >= 200 && status < 300;
  }
}

/** A REST step's compiled route, with where its answer holds what the flow needs. */
export class CompiledRestRoute extends CompiledRoute {
  constructor(
    readonly rest: RestRoute,
    params: ReadonlySet<string>,
  ) {
    super(rest, params);
  }
}

/** An outgoing message with its template compiled once. */
export class CompiledSend {
  private readonly data: WireNode;
  constructor(
    readonly spec: SendSpec,
    params: ReadonlySet<string>,
  ) {
    this.data = compileWireTemplate(spec.data, params);
  }

  /** True when the message's template uses `name`. */
  uses(name: string): boolean {
    return computeUsesName(this.data, name);
  }

  /** The message to put on the connection. */
  render(values: WireValues): { readonly event?: string; readonly data: unknown } {
    const data = renderWire(this.data, values);
    return this.spec.event === undefined ? { data } : { event: this.spec.event, data };
  }
}

/** How one scenario talks to its backend: the adapter's routes and messages for the chosen transport, compiled. */
export interface CompiledWire {
  readonly adapter: Adapter;
  readonly transport: TransportSpec;
  readonly rest: Readonly<Partial<Record<RestStep, CompiledRestRoute>>>;
  readonly start:
    | { readonly send: CompiledSend }
    | { readonly request: CompiledRoute; readonly events: 'stream' | 'connection'; readonly runId?: string };
  readonly stop: { readonly send: CompiledSend } | { readonly request: CompiledRoute } | undefined;
  readonly ticket: CompiledRoute | undefined;
  /** `params.<name>` → value, to spread under each call's own values. */
  readonly paramValues: WireValues;
  /** The start template takes `{{history}}`: only then does a user keep what it said in a thread. */
  readonly startUsesHistory: boolean;
}

/** Compiles an adapter's wire for one of its transports (which the config layer checked it has). */
export function compileWire(adapter: Adapter, kind: TransportKind): CompiledWire {
  const transport = adapter.transports[kind];
  if (!transport) throw new Error(`adapter ${adapter.name} has no ${kind} transport`);
  const params = new Set(Object.keys(adapter.params));
  const rest: Partial<Record<RestStep, CompiledRestRoute>> = {};
  for (const [step, r] of Object.entries(adapter.rest))
    if (r) rest[step as RestStep] = new CompiledRestRoute(r, params);
  const s = transport.start;
  const start: CompiledWire['start'] =
    s.via === 'send'
      ? { send: new CompiledSend(s.send, params) }
      : {
          request: new CompiledRoute(s.request, params),
          events: s.events,
          ...(s.runId !== undefined ? { runId: s.runId } : {}),
        };
  const t = transport.stop;
  const stop =
    t === undefined
      ? undefined
      : t.via === 'send'
        ? { send: new CompiledSend(t.send, params) }
        : { request: new CompiledRoute(t.request, params) };
  return {
    adapter,
    transport,
    rest,
    start,
    stop,
    startUsesHistory: 'send' in start ? start.send.uses('history') : start.request.uses('history'),
    ticket: adapter.auth.ticket ? new CompiledRoute(adapter.auth.ticket, params) : undefined,
    paramValues: Object.fromEntries(Object.entries(adapter.params).map(([k, v]) => [`params.${k}`, v])),
  };
}
