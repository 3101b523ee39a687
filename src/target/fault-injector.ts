import { randomInt, type Random } from '../core/random.js';
import type { FaultName, FaultSpec } from './fault-spec.js';

/** What the isolation faults leaked: frames and REST answers that carried another user's data, delivered. */
export interface LeakCounts {
  readonly total: number;
  /** By fault; a frame struck by two faults (content spliced, then broadcast) counts under both. */
  readonly byFault: Readonly<Partial<Record<FaultName, number>>>;
}

/**
 * Decides, with the spec's probabilities and a seeded RNG, whether a fault
 * strikes now, and counts what the isolation faults leaked, so a test can
 * hold the simulator's findings against the truth.
 */
export class FaultInjector {
  readonly enabled: boolean;
  private total = 0;
  private readonly byFault: Partial<Record<FaultName, number>> = {};
  private readonly turns: Partial<Record<FaultName, number>> = {};

  constructor(
    private readonly spec: FaultSpec,
    private readonly rand: Random,
  ) {
    this.enabled = Object.values(spec).some((p) => p !== undefined && p > 0);
  }

  /** True when fault `name` strikes this event or request. */
  roll(name: FaultName): boolean {
    const p = this.spec[name];
    return p !== undefined && p > 0 && this.rand() < p;
  }

  /**
   * Counts `deliveries` frames or answers that carried another user's data
   * because of `faults` (one delivery is one frame on one connection); with
   * no fault named, nothing is counted.
   */
  leaked(deliveries: number, ...faults: FaultName[]): void {
    // No fault named: the frame carried nobody else's data.
    if (deliveries <= 0 || faults.length === 0) return;
    this.total += deliveries;
    for (const f of faults) this.byFault[f] = (this.byFault[f] ?? 0) + deliveries;
  }

  /** What was leaked so far. */
  leaks(): LeakCounts {
    return { total: this.total, byFault: { ...this.byFault } };
  }

  /**
   * How many times fault `name` planted something before (0, 1, 2...), and
   * counts this one: a fault whose form alternates across the server takes turns by it.
   */
  turn(name: FaultName): number {
    const n = this.turns[name] ?? 0;
    this.turns[name] = n + 1;
    return n;
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
    this.ring = new Array<{ userId: string; content: string } | undefined>(size);
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
