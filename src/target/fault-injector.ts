import { randomInt, type Random } from '../core/random.js';
import type { FaultName, FaultSpec } from './fault-spec.js';

/** Decides, with the spec's probabilities and a seeded RNG, whether a fault strikes now. */
export class FaultInjector {
  readonly enabled: boolean;

  constructor(private readonly spec: FaultSpec, private readonly rand: Random) {
    this.enabled = Object.values(spec).some((p) => p !== undefined && p > 0);
  }

  /** True when fault `name` strikes this event or request. */
  roll(name: FaultName): boolean {
    const p = this.spec[name];
    return p !== undefined && p > 0 && this.rand() < p;
  }

  /** A seeded integer in [min, max]. */
  int(min: number, max: number): number {
    return randomInt(this.rand, min, max);
  }
}

/** The last few user messages, so the `content` fault can splice one into another user's run. */
export class RecentMessages {
  private readonly ring: Array<{ userId: string; content: string } | undefined>;
  private next = 0;

  constructor(size = 64) {
    this.ring = new Array(size);
  }

  /** Remembers a message. */
  add(userId: string, content: string): void {
    this.ring[this.next] = { userId, content };
    this.next = (this.next + 1) % this.ring.length;
  }

  /** The most recent message of a user other than `userId`. */
  fromOtherThan(userId: string): string | undefined {
    for (let i = 1; i <= this.ring.length; i++) {
      const e = this.ring[(this.next - i + this.ring.length) % this.ring.length];
      if (e && e.userId !== userId) return e.content;
    }
    return undefined;
  }
}
