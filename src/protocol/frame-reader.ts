import { computePairKeyFields } from '../core/lifecycle-grammar.js';
import { computeRunEventIndex } from '../core/metric-names.js';
import { PROTOCOL_FIELDS, type FrameProfile } from '../core/scenario-types.js';

/**
 * What one received frame says, read through the scenario's profile. The
 * reader fills the same view for every frame: valid until the next read.
 */
export interface FrameView {
  /** Canonical type (after aliases); '' when the frame has none. */
  readonly type: string;
  /** Position of `type` in RUN_EVENTS; -1 when it is no run event. */
  readonly event: number;
  /** The type as the backend wrote it. */
  readonly rawType: string;
  readonly userId: string | undefined;
  readonly threadId: string | undefined;
  readonly runId: string | undefined;
  readonly messageId: string | undefined;
  readonly seq: number | undefined;
  /** `code` of `error` frames (not read from other frames). */
  readonly code: string | undefined;
  /** The call key (e.g. `tool_name`) of a frame that opens or closes a keyed lifecycle pair; not read from other frames. */
  readonly pairKey: string | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Getter = (root: Record<string, unknown>) => unknown;

/**
 * Reads frames in any envelope protocol.md tolerates: fields in `payload`,
 * `data` or the root (configurable order), type in `type` or `event`, names
 * through an alias table, owner fields at configurable paths. A frame's
 * payload has a different shape per event type, so each field read from it
 * is a megamorphic load: `read` reads only what every frame needs, and the
 * server's timestamp only on request.
 */
export class FrameReader {
  private readonly roots: readonly string[];
  private readonly typeFields: readonly string[];
  private readonly aliases: ReadonlyMap<string, string>;
  private readonly get: Readonly<Record<keyof FrameProfile['fields'], Getter>>;
  private readonly tsUnit: FrameProfile['timestampUnit'];
  /** The profile uses the default roots and type fields and plain (undotted) names. */
  private readonly fast: boolean;
  /** ...and protocol.md's own field names, which the hottest path reads as named properties. */
  private readonly wireNames: boolean;
  private readonly names: FrameProfile['fields'];
  /** The view every read fills (frames are handled one at a time, start to end): one object per reader, not per frame. */
  private readonly view: Mutable<FrameView> = {
    type: '',
    event: -1,
    rawType: '',
    userId: undefined,
    threadId: undefined,
    runId: undefined,
    messageId: undefined,
    seq: undefined,
    code: undefined,
    pairKey: undefined,
  };
  /** The pair key's getter by run event position; undefined for events of no keyed pair. */
  private readonly pairKeys: ReadonlyArray<Getter | undefined>;

  /** A JSON array is one frame (a tuple the paths step into), not a batch of frames: the transports ask. */
  readonly arraysAreFrames: boolean;

  /** Where the type comes from when the carrier names one (SSE `event:`, a Socket.IO event): `field` ignores the carrier's name. */
  private readonly typeFrom: 'carrier' | 'field' | 'auto';

  constructor(profile: FrameProfile, typeFrom: 'carrier' | 'field' | 'auto' = 'auto') {
    this.typeFrom = typeFrom;
    this.arraysAreFrames = profile.arrays === 'frame';
    this.roots = profile.fieldRoots;
    this.typeFields = profile.typeFields;
    this.aliases = new Map(Object.entries(profile.aliases));
    const f = profile.fields;
    this.get = {
      userId: getter(f.userId),
      threadId: getter(f.threadId),
      runId: getter(f.runId),
      messageId: getter(f.messageId),
      seq: getter(f.seq),
      timestamp: getter(f.timestamp),
      code: getter(f.code),
    };
    this.tsUnit = profile.timestampUnit;
    this.pairKeys = computePairKeyFields(profile.lifecycle).map((k) => (k === undefined ? undefined : getter(k)));
    this.names = f;
    this.fast =
      profile.fieldRoots.join('|') === 'payload|data|' &&
      profile.typeFields.join('|') === 'type|event' &&
      Object.values(f).every((n) => !n.includes('.'));
    this.wireNames =
      this.fast &&
      (Object.keys(PROTOCOL_FIELDS) as Array<keyof typeof PROTOCOL_FIELDS>).every((k) => f[k] === PROTOCOL_FIELDS[k]);
  }

  /**
   * Reads an already parsed frame; `carrierType` is the type its carrier
   * named (SSE `event:`, a Socket.IO event), used unless the adapter reads
   * types from a field. Scalars read as a view with no fields. An array
   * frame (LangGraph's `messages` data is `[chunk, metadata]`) is read by the
   * general path, its elements as roots or path steps (`1`, `1.owner`); the
   * fast paths stay for objects, which every other wire sends.
   */
  read(frame: unknown, carrierType?: string): FrameView {
    const fromCarrier = carrierType !== undefined && carrierType !== '' && this.typeFrom !== 'field';
    if (typeof frame !== 'object' || frame === null) {
      if (!fromCarrier) return EMPTY;
      const type = this.aliases.get(carrierType) ?? carrierType;
      return this.fill(type, carrierType, undefined, undefined, undefined, undefined, undefined, undefined);
    }
    const obj = frame as Record<string, unknown>;
    const v = fromCarrier
      ? this.readAs(obj, carrierType)
      : Array.isArray(frame)
        ? this.readAny(obj)
        : this.wireNames
          ? this.readWire(obj)
          : this.fast
            ? this.readFast(obj)
            : this.readAny(obj);
    // Only the few frames that open or close a call carry a key worth a lookup.
    const key = v.event >= 0 ? this.pairKeys[v.event] : undefined;
    if (key !== undefined) this.view.pairKey = str(this.field(obj, key));
    return v;
  }

  /** Any profile: configured roots, type fields and dotted paths. */
  private readAny(obj: Record<string, unknown>): FrameView {
    let rawType = '';
    for (const f of this.typeFields) {
      const v = obj[f];
      if (typeof v === 'string') {
        rawType = v;
        break;
      }
    }
    return this.readAs(obj, rawType);
  }

  /** Any profile, with the type already known. */
  private readAs(obj: Record<string, unknown>, rawType: string): FrameView {
    const g = this.get;
    const type = this.aliases.get(rawType) ?? rawType;
    return this.fill(
      type,
      rawType,
      this.field(obj, g.userId),
      this.field(obj, g.threadId),
      this.field(obj, g.runId),
      this.field(obj, g.messageId),
      this.field(obj, g.seq),
      type === 'error' ? this.field(obj, g.code) : undefined,
    );
  }

  /** The server's time of a frame in epoch ms, whatever unit the backend used; undefined when it has none. */
  timestampMs(frame: unknown): number | undefined {
    if (typeof frame !== 'object' || frame === null) return undefined;
    return toEpochMs(this.field(frame as Record<string, unknown>, this.get.timestamp), this.tsUnit);
  }

  /**
   * Default roots and plain (undotted) field names of the profile's own:
   * payload, data, then the root, with the containers found once per frame.
   */
  private readFast(obj: Record<string, unknown>): FrameView {
    let rawType = '';
    const t = obj.type;
    if (typeof t === 'string') rawType = t;
    else if (typeof obj.event === 'string') rawType = obj.event;
    const p = obj.payload;
    const d = obj.data;
    const a = typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : undefined;
    const b = typeof d === 'object' && d !== null ? (d as Record<string, unknown>) : undefined;
    const f = this.names;
    const type = this.aliases.size ? (this.aliases.get(rawType) ?? rawType) : rawType;
    return this.fill(
      type,
      rawType,
      pick(a, b, obj, f.userId),
      pick(a, b, obj, f.threadId),
      pick(a, b, obj, f.runId),
      pick(a, b, obj, f.messageId),
      pick(a, b, obj, f.seq),
      type === 'error' ? pick(a, b, obj, f.code) : undefined,
    );
  }

  /** readFast for protocol.md's field names: named loads, which V8 caches per frame shape, instead of keyed ones. */
  private readWire(obj: WireFields): FrameView {
    const t = obj.type;
    const rawType = typeof t === 'string' ? t : typeof obj.event === 'string' ? obj.event : '';
    const p = obj.payload;
    const d = obj.data;
    const a = typeof p === 'object' && p !== null ? (p as WireFields) : NO_FIELDS;
    const b = typeof d === 'object' && d !== null ? (d as WireFields) : NO_FIELDS;
    const type = this.aliases.size ? (this.aliases.get(rawType) ?? rawType) : rawType;
    // `??`: a null field counts as absent, as in pick().
    return this.fill(
      type,
      rawType,
      a.user_id ?? b.user_id ?? obj.user_id,
      a.thread_id ?? b.thread_id ?? obj.thread_id,
      a.run_id ?? b.run_id ?? obj.run_id,
      a.message_id ?? b.message_id ?? obj.message_id,
      a.seq ?? b.seq ?? obj.seq,
      type === 'error' ? (a.code ?? b.code ?? obj.code) : undefined,
    );
  }

  /** Fills the reader's view from a frame's raw field values, converted the same way whichever path found them. */
  private fill(
    type: string,
    rawType: string,
    userId: unknown,
    threadId: unknown,
    runId: unknown,
    messageId: unknown,
    seq: unknown,
    code: unknown,
  ): FrameView {
    const v = this.view;
    v.type = type;
    v.event = computeRunEventIndex(type);
    v.rawType = rawType;
    v.userId = str(userId);
    v.threadId = str(threadId);
    v.runId = str(runId);
    v.messageId = str(messageId);
    v.seq = typeof seq === 'number' ? seq : undefined;
    v.code = str(code);
    v.pairKey = undefined;
    return v;
  }

  private field(obj: Record<string, unknown>, get: Getter): unknown {
    for (const r of this.roots) {
      const root = r === '' ? obj : obj[r];
      if (typeof root !== 'object' || root === null) continue;
      const v = get(root as Record<string, unknown>);
      if (v !== undefined && v !== null) return v;
    }
    return undefined;
  }
}

/** A frame, or its payload or data, as read by field name. */
interface WireFields {
  readonly type?: unknown;
  readonly event?: unknown;
  readonly payload?: unknown;
  readonly data?: unknown;
  readonly user_id?: unknown;
  readonly thread_id?: unknown;
  readonly run_id?: unknown;
  readonly message_id?: unknown;
  readonly seq?: unknown;
  readonly code?: unknown;
}
const NO_FIELDS: WireFields = Object.freeze({});

const EMPTY: FrameView = {
  type: '',
  event: -1,
  rawType: '',
  userId: undefined,
  threadId: undefined,
  runId: undefined,
  messageId: undefined,
  seq: undefined,
  code: undefined,
  pairKey: undefined,
};

/** A field by plain name from payload, then data, then the root. */
function pick(
  a: Record<string, unknown> | undefined,
  b: Record<string, unknown> | undefined,
  root: Record<string, unknown>,
  k: string,
): unknown {
  let v: unknown = a?.[k];
  if (v === undefined || v === null) v = b?.[k];
  if (v === undefined || v === null) v = root[k];
  return v;
}

function getter(path: string): Getter {
  const parts = path.split('.');
  if (parts.length === 1) return (root) => root[path];
  return (root) => {
    let cur: unknown = root;
    for (const p of parts) {
      if (typeof cur !== 'object' || cur === null) return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
    return cur;
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** Epoch ms from seconds (float), ms, or an ISO string; `auto` tells s from ms by size. */
function toEpochMs(v: unknown, unit: FrameProfile['timestampUnit']): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) {
    if (unit === 's') return v * 1000;
    if (unit === 'ms') return v;
    if (unit === 'auto') return v < 1e11 ? v * 1000 : v;
    return undefined;
  }
  if (typeof v === 'string' && (unit === 'iso' || unit === 'auto')) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}
