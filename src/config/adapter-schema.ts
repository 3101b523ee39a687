import { z } from 'zod';
import { REST_STEPS, TRANSPORTS } from '../core/adapter.js';
import { durationMs, int, oneOf, text } from './field-schemas.js';
import { lifecycleSchema, LIFECYCLE_KEYS, runEventName } from './lifecycle-schema.js';

const DELIVERIES = ['subprotocol', 'header', 'query', 'ticket'] as const;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** A literal of a template tree: anything JSON can hold. */
const jsonValue = z.unknown();

/** One HTTP request of the wire. */
const routeSchema = z.strictObject({
  method: oneOf(METHODS),
  path: text(),
  query: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional(),
  headers: z.record(z.string(), text()).optional(),
  body: jsonValue.optional(),
  status: z.array(int(100, 599)).min(1).optional(),
});

/** A REST step's route, with where its answer holds the new id or the list. */
const restRouteSchema = routeSchema.extend({
  id: z.string().optional(),
  items: z.string().optional(),
  itemId: text().optional(),
});

/** A message on the open connection. */
const sendSchema = z.strictObject({ event: text().optional(), data: jsonValue });

/** How a run starts: `send` on the connection, or a `request` (its answer the stream, or events on the connection). */
const startSchema = z.strictObject({
  send: sendSchema.optional(),
  request: routeSchema.optional(),
  events: oneOf(['stream', 'connection'] as const).optional(),
  runId: text().optional(),
});

const stopSchema = z.strictObject({ send: sendSchema.optional(), request: routeSchema.optional() });

/** One transport of an adapter. */
const transportSchema = z.strictObject({
  path: text().optional(),
  handshake: z.strictObject({ type: text(), connectionId: text().optional() }).optional(),
  start: startSchema,
  stop: stopSchema.optional(),
  typeFrom: oneOf(['carrier', 'field', 'auto'] as const).optional(),
  done: z.array(text()).optional(),
  endOnClose: oneOf(['completed', 'failed'] as const).optional(),
});

/** `events`: how frames are read and what they mean. */
const eventsSchema = z.strictObject({
  fieldRoots: z.array(z.string()).optional(),
  typeFields: z.array(text()).min(1).optional(),
  /** A backend's event name → its role (or a canonical event name). */
  names: z.record(z.string(), runEventName()).optional(),
  fields: z
    .strictObject({
      userId: text().optional(),
      threadId: text().optional(),
      runId: text().optional(),
      messageId: text().optional(),
      seq: text().optional(),
      timestamp: text().optional(),
      code: text().optional(),
    })
    .optional(),
  timestampUnit: oneOf(['auto', 's', 'ms', 'iso'] as const).optional(),
  /** A JSON array is a batch of frames, or one frame (a tuple the field paths step into). */
  arrays: oneOf(['batch', 'frame'] as const).optional(),
  /** Frame types that belong to no run and no user. */
  ownerless: z.array(text()).optional(),
  lifecycle: lifecycleSchema.optional(),
  /** Owner field of REST objects (threads, listed items), a dotted path. */
  restOwner: text().optional(),
});

/** A cross-user probe of the adapter's own routes: a request or a WebSocket aimed at another user's thread or run. */
const probeSchema = z.strictObject({
  on: oneOf(['thread', 'run'] as const),
  request: routeSchema.optional(),
  ws: z.strictObject({ path: text(), send: z.array(jsonValue).optional() }).optional(),
  accepted: z
    .union([
      oneOf(['status', 'upgrade'] as const),
      z.strictObject({ path: z.string(), equals: z.union([z.string(), z.number(), z.boolean()]) }),
    ])
    .optional(),
  listen: durationMs().optional(),
});

/** A parameter's default: a value, or null for one the scenario must set. */
const paramSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A whole adapter document. */
export const adapterSchema = z.strictObject({
  adapter: text(),
  description: z.string().optional(),
  extends: text().optional(),
  params: z.record(z.string(), paramSchema).optional(),
  auth: z
    .strictObject({
      header: text().optional(),
      value: text().optional(),
      deliveries: z.array(oneOf(DELIVERIES)).min(1).optional(),
      ticket: routeSchema.extend({ ticketPath: text() }).optional(),
      bypassHeaders: z.array(z.record(z.string(), text())).optional(),
    })
    .optional(),
  rest: z
    .strictObject(
      Object.fromEntries(REST_STEPS.map((s) => [s, restRouteSchema.optional()])) as Record<
        (typeof REST_STEPS)[number],
        z.ZodOptional<typeof restRouteSchema>
      >,
    )
    .optional(),
  events: eventsSchema.optional(),
  transports: z
    .strictObject({
      default: oneOf(TRANSPORTS).optional(),
      ws: transportSchema.optional(),
      sse: transportSchema.optional(),
      socketio: transportSchema.optional(),
    })
    .optional(),
  probes: z.record(z.string(), probeSchema).optional(),
});

/** An adapter as the schema read it. */
export type RawAdapter = z.infer<typeof adapterSchema>;

/** Every key an adapter may hold, for "did you mean" hints. */
export const ADAPTER_KEYS: readonly string[] = [
  ...Object.keys(adapterSchema.shape),
  ...REST_STEPS,
  ...Object.keys(restRouteSchema.shape),
  ...Object.keys(transportSchema.shape),
  ...Object.keys(startSchema.shape),
  ...Object.keys(eventsSchema.shape),
  'header',
  'value',
  'deliveries',
  'ticket',
  'ticketPath',
  'default',
  ...TRANSPORTS,
  'event',
  'data',
  'type',
  'connectionId',
  'bypassHeaders',
  ...Object.keys(probeSchema.shape),
  'send',
  'equals',
  'userId',
  'threadId',
  'runId',
  'messageId',
  'seq',
  'timestamp',
  'code',
  ...LIFECYCLE_KEYS,
];
