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
    case 'data': return JSON.stringify({ type, data: payload });
    case 'flat': {
      const flat: Record<string, unknown> = { event: type, ...payload };
      if (typeof flat.timestamp === 'number') flat.timestamp = flat.timestamp / 1000;
      if (typeof flat.server_time === 'number') flat.server_time = flat.server_time / 1000;
      return JSON.stringify(flat);
    }
    case 'short-ids': {
      const p: Record<string, unknown> = { ...payload };
      for (const f of OWNER_FIELDS) {
        const v = p[f];
        if (typeof v === 'string' && v.length > SHORT_LEN) p[f] = `${v.slice(0, SHORT_LEN)}...`;
      }
      return JSON.stringify({ type, payload: p });
    }
    default: return JSON.stringify({ type, payload });
  }
}
