import { randomInt, type Random } from '../core/random.js';
import { COMMON_WORDS } from './common-words.js';
import type { ConnectionHub, FrameForm } from './connection-hub.js';

const HEX = '0123456789abcdef';
const LEVELS = ['info', 'tip', 'status', 'maintenance'] as const;

/**
 * Noise mode (`--noise`): a clean target that is hard to read, for
 * measuring false alarms. Run texts (`reasoning`, `result`) are padded with
 * ordinary words, some in Title Case or UPPER CASE and some wrapped in
 * markdown or punctuation, the way a chatty model writes; about a third of
 * a user's own frames go in another {@link FrameForm} (payload as a JSON
 * string, frame as a JSON string, inside an array, binary where the
 * transport has it); ownerless `system_notice` frames carrying random words
 * and random ids nobody owns go to every connection. Nothing it adds comes
 * from any user, so nothing it sends is a leak. Seeded: the same seed gives
 * the same noise.
 */
export class NoiseMaker {
  constructor(private readonly rand: Random) {}

  /** The payload with its text padded with 6–40 random words; payloads without text as they are. */
  pad(payload: Record<string, unknown>): Record<string, unknown> {
    const key =
      typeof payload.reasoning === 'string' ? 'reasoning' : typeof payload.result === 'string' ? 'result' : undefined;
    if (key === undefined) return payload;
    return { ...payload, [key]: `${String(payload[key])} ${this.words(randomInt(this.rand, 6, 40))}` };
  }

  /** `n` random ordinary words, some re-cased, some wrapped (`**w**`, `_w_`, `"w",`, `(w)`). */
  words(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) {
      let w = COMMON_WORDS[Math.floor(this.rand() * COMMON_WORDS.length)]!;
      const c = this.rand();
      if (c < 0.1) w = w.toUpperCase();
      else if (c < 0.25) w = w.charAt(0).toUpperCase() + w.slice(1);
      const m = this.rand();
      if (m < 0.06) w = `**${w}**`;
      else if (m < 0.1) w = `_${w}_`;
      else if (m < 0.14) w = `"${w}",`;
      else if (m < 0.18) w = `(${w})`;
      s = i === 0 ? w : `${s} ${w}`;
    }
    return s;
  }

  /** The form of the next own frame: plain (undefined) about two times in three. */
  form(binaryFrames: boolean): FrameForm | undefined {
    const r = this.rand();
    if (r < 0.08) return 'payload_string';
    if (r < 0.16) return 'frame_string';
    if (r < 0.24) return 'array';
    if (r < 0.32 && binaryFrames) return 'binary';
    return undefined;
  }

  /** A frame encoded plain or in a random form. */
  encode<F>(hub: ConnectionHub<F>, type: string, payload: Record<string, unknown>): F {
    const form = this.form(hub.binaryFrames);
    return form === undefined ? hub.encode(type, payload) : hub.encodeForm(form, type, payload);
  }

  /** An ownerless `system_notice` payload: random words and ids that are nobody's (uuid-like, `thr_`, `run_`, `msg_`). */
  notice(): Record<string, unknown> {
    return {
      notice_id: this.uuid(),
      level: LEVELS[randomInt(this.rand, 0, LEVELS.length - 1)],
      text: this.words(randomInt(this.rand, 8, 24)),
      related: [this.uuid(), `thr_${this.hex(24)}`, `run_${this.hex(24)}`, `msg_${this.hex(16)}`],
      server_time: Date.now(),
    };
  }

  private uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${HEX[8 + randomInt(this.rand, 0, 3)]}${h.slice(17, 20)}-${h.slice(20)}`;
  }

  private hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += HEX[Math.floor(this.rand() * 16)];
    return s;
  }
}
