import type { FrameForm } from './connection-hub.js';

/** Shapes the reference target can write frames in, to exercise the simulator's tolerance. */
export const DIALECTS = ['canonical', 'data', 'flat', 'short-ids'] as const;
/** One of {@link DIALECTS}. */
export type Dialect = (typeof DIALECTS)[number];

const SHORT_LEN = 12;
const OWNER_FIELDS = ['user_id', 'thread_id', 'run_id'] as const;

/**
 * Serializes a server frame in a dialect: `canonical` {type, payload};
 * `data` {type, data}; `flat` {event, ...fields} with timestamps in epoch
 * seconds; `short-ids` canonical with owner ids cut to 12 characters and "...".
 */
export function formatFrame(dialect: Dialect, type: string, payload: Record<string, unknown>): string {
  switch (dialect) {
    case 'data':
      return JSON.stringify({ type, data: payload });
    case 'flat':
      return JSON.stringify({ event: type, ...flatFields(payload) });
    case 'short-ids':
      return JSON.stringify({ type, payload: shortIds(payload) });
    default:
      return JSON.stringify({ type, payload });
  }
}

/** The text forms of {@link FrameForm} (binary is the plain frame's bytes, made by the transport). */
export type TextFrameForm = Exclude<FrameForm, 'binary'>;

/**
 * A frame in the dialect, reshaped as a backend that double-encodes or wraps
 * would send it: `payload_string` puts the payload's JSON text where the
 * payload goes (`{"type":"t","payload":"{\"user_id\":…}"}`; `data` under
 * `data`; `flat` as `{"event":"t","payload":"…"}`), `frame_string` is the
 * whole frame as one JSON string, `array` is `[frame]`.
 */
export function formatFrameAs(
  dialect: Dialect,
  form: TextFrameForm,
  type: string,
  payload: Record<string, unknown>,
): string {
  switch (form) {
    case 'frame_string':
      return JSON.stringify(formatFrame(dialect, type, payload));
    case 'array':
      return `[${formatFrame(dialect, type, payload)}]`;
    default:
      switch (dialect) {
        case 'data':
          return JSON.stringify({ type, data: JSON.stringify(payload) });
        case 'flat':
          return JSON.stringify({ event: type, payload: JSON.stringify(flatFields(payload)) });
        case 'short-ids':
          return JSON.stringify({ type, payload: JSON.stringify(shortIds(payload)) });
        default:
          return JSON.stringify({ type, payload: JSON.stringify(payload) });
      }
  }
}

/** The `flat` dialect's fields: timestamps in epoch seconds. */
function flatFields(payload: Record<string, unknown>): Record<string, unknown> {
  const flat: Record<string, unknown> = { ...payload };
  if (typeof flat.timestamp === 'number') flat.timestamp = flat.timestamp / 1000;
  if (typeof flat.server_time === 'number') flat.server_time = flat.server_time / 1000;
  return flat;
}

/** The `short-ids` dialect's payload: owner ids cut to 12 characters and "...". */
function shortIds(payload: Record<string, unknown>): Record<string, unknown> {
  const p: Record<string, unknown> = { ...payload };
  for (const f of OWNER_FIELDS) {
    const v = p[f];
    if (typeof v === 'string' && v.length > SHORT_LEN) p[f] = `${v.slice(0, SHORT_LEN)}...`;
  }
  return p;
}
