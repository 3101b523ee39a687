/** A run another user could be shown by mistake: whose it is, and its ids. */
export interface RunIds {
  readonly userId: string;
  readonly threadId: string;
  readonly runId: string;
}

/** The last few runs started, so the `reference` fault can cite another user's thread or run. */
export class RecentRuns {
  private readonly ring: Array<RunIds | undefined>;
  private next = 0;

  constructor(size = 64) {
    this.ring = new Array<RunIds | undefined>(size);
  }

  /** Remembers a run. */
  add(run: RunIds): void {
    this.ring[this.next] = { userId: run.userId, threadId: run.threadId, runId: run.runId };
    this.next = (this.next + 1) % this.ring.length;
  }

  /** The most recent run of a user other than `userId`. */
  fromOtherThan(userId: string): RunIds | undefined {
    for (let i = 1; i <= this.ring.length; i++) {
      const e = this.ring[(this.next - i + this.ring.length) % this.ring.length];
      if (e && e.userId !== userId) return e;
    }
    return undefined;
  }
}
