import type { Delivery, FrameProfile } from './scenario-types.js';

/**
 * An adapter maps crosstalk's flow steps (createThread, sendMessage, ...)
 * onto one backend's wire: its REST routes and bodies, how a run starts and
 * stops, how its events arrive and what they mean. Adapters are data (YAML,
 * built in or a file), validated by the config layer and handed inward as
 * this readonly shape; the runtime reads it, nothing here does I/O.
 */

/** Carriers of a run's events. */
export const TRANSPORTS = ['ws', 'sse', 'socketio'] as const;
/** One of {@link TRANSPORTS}. */
export type TransportKind = (typeof TRANSPORTS)[number];

/** The REST steps of a flow, as the adapter names their routes. */
export const REST_STEPS = [
  'createThread',
  'listThreads',
  'getThread',
  'updateThread',
  'deleteThread',
  'listMessages',
  'postMessage',
] as const;
/** One of {@link REST_STEPS}. */
export type RestStep = (typeof REST_STEPS)[number];

/** One HTTP request of the wire; every string may hold `{{...}}` templates. */
export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with templates; values put into it are URL-encoded. */
  readonly path: string;
  /** Query parameters; one whose value renders to nothing is left out. */
  readonly query: Readonly<Record<string, string>>;
  /** Extra request headers (templates allowed). */
  readonly headers: Readonly<Record<string, string>>;
  /** JSON body as a template tree; a value that is exactly one `{{name}}` takes the value as it is (object, list), or drops its key when absent. */
  readonly body?: unknown;
  /** Statuses that mean success; empty: any 2xx. */
  readonly status: readonly number[];
}

/** A REST step's route and where to read its answer. */
export interface RestRoute extends RouteSpec {
  /** Dotted path of the new object's id in the answer (createThread). */
  readonly id?: string;
  /** Dotted path of the list in the answer ('' is the answer itself), for listings. */
  readonly items?: string;
  /** Dotted path of each listed item's id. */
  readonly itemId: string;
}

/** How an outgoing message is put on a persistent connection. */
export interface SendSpec {
  /** Socket.IO event name; a WebSocket sends `data` as JSON text. */
  readonly event?: string;
  /** The message as a template tree. */
  readonly data: unknown;
}

/** How a run starts: a message on the open connection, or an HTTP request. */
export type RunStartSpec =
  | { readonly via: 'send'; readonly send: SendSpec }
  | {
      readonly via: 'request';
      readonly request: RouteSpec;
      /** `stream`: the answer is the run's event stream (SSE); `connection`: events arrive on the open connection. */
      readonly events: 'stream' | 'connection';
      /** Dotted path of the run id in a JSON answer (`connection` mode). */
      readonly runId?: string;
    };

/** How a run is stopped (`stopAgent`); `{{run}}` is its run id. */
export type RunStopSpec =
  { readonly via: 'send'; readonly send: SendSpec } | { readonly via: 'request'; readonly request: RouteSpec };

/** One transport of an adapter: where to connect and how runs travel over it. */
export interface TransportSpec {
  readonly kind: TransportKind;
  /** Path of the persistent connection (ws, socketio); undefined: none (plain SSE), so connect and disconnect do nothing. */
  readonly path?: string;
  /** The frame that says a new connection is ready; undefined: ready once open. */
  readonly handshake?: { readonly type: string; readonly connectionId?: string };
  readonly start: RunStartSpec;
  readonly stop?: RunStopSpec;
  /** Where an event's type is: the carrier's own name (SSE `event:`, Socket.IO event), a field of the frame, or `auto`: the carrier's name when it gives one. */
  readonly typeFrom: 'carrier' | 'field' | 'auto';
  /** Non-JSON data lines that end a run's stream, such as `[DONE]`. */
  readonly done: readonly string[];
  /** What a run stream that closes before a terminal event means. */
  readonly endOnClose: 'completed' | 'failed';
}

/** How requests and connections carry the user's credential. */
export interface AdapterAuth {
  /** REST header and its value (`{{token}}` is the credential). */
  readonly header: string;
  readonly value: string;
  /** Token deliveries the backend supports on its persistent connection. */
  readonly deliveries: readonly Delivery[];
  /** The ticket endpoint (`ticket` delivery) and where the ticket is in its answer. */
  readonly ticket?: RouteSpec & { readonly ticketPath: string };
  /**
   * Well-known headers that make the backend skip authentication (a vendor's
   * developer-tool switch, such as LangGraph Studio's `x-auth-scheme: langsmith`):
   * each set is sent with no credential, and a success is `auth_bypass`.
   */
  readonly bypassHeaders: ReadonlyArray<Readonly<Record<string, string>>>;
}

/** What alone shows that a probe got in: the answer's status, the WebSocket upgrade, or a value in an answer or frame. */
export type ProbeAccepted =
  'status' | 'upgrade' | { readonly path: string; readonly equals: string | number | boolean };

/**
 * A cross-user probe the adapter declares for a route of its backend that the
 * REST steps do not cover (a thread's event stream, a run joined by id): made
 * as one user with its own credential, aimed at another user's thread or run.
 * What comes back is checked like any frame or answer (owner fields, ids,
 * canaries); `accepted` says what counts as a leak even with no data in it.
 */
export interface AdapterProbe {
  readonly name: string;
  /** Whose id fills the templates: another user's thread (`{{thread}}`) or run (`{{run}}`). */
  readonly on: 'thread' | 'run';
  /** An HTTP request; an event-stream answer is read frame by frame for `listenMs`. */
  readonly request?: RouteSpec;
  /** A WebSocket opened at `path` (credential in the adapter's auth header), then each of `send` sent as JSON. */
  readonly ws?: { readonly path: string; readonly send: readonly unknown[] };
  readonly accepted?: ProbeAccepted;
  /** How long a stream or socket is read before the probe hangs up. */
  readonly listenMs: number;
}

/** A validated adapter. */
export interface Adapter {
  readonly name: string;
  /** `built-in` or the file it was read from (for messages). */
  readonly source: string;
  readonly description?: string;
  /** Parameter values after the scenario's `target.params` (templates `{{params.x}}`). */
  readonly params: Readonly<Record<string, string>>;
  readonly auth: AdapterAuth;
  readonly rest: Readonly<Partial<Record<RestStep, RestRoute>>>;
  /** How frames are read: envelope, type fields, names mapped to roles, owner-field paths, the run grammar. */
  readonly events: FrameProfile;
  /** Dotted path of the owner field in REST objects (thread, listed item); undefined: none. */
  readonly restOwner?: string;
  readonly transports: Readonly<Partial<Record<TransportKind, TransportSpec>>>;
  /** The transport used when the scenario names none. */
  readonly defaultTransport: TransportKind;
  /** Cross-user probes of its own routes (`probes.adapter` of a scenario runs them). */
  readonly probes: readonly AdapterProbe[];
}

/** The flow steps an adapter must support for a scenario to run on it: the REST route, or a run start/stop. */
export function computeMissingSteps(adapter: Adapter, transport: TransportKind, steps: ReadonlySet<string>): string[] {
  const missing: string[] = [];
  for (const s of steps) {
    if ((REST_STEPS as readonly string[]).includes(s) && adapter.rest[s as RestStep] === undefined) missing.push(s);
    if (s === 'stopAgent' && adapter.transports[transport]?.stop === undefined) missing.push(s);
  }
  return missing;
}
