/**
 * Calls `act` on each item at its due time (performance.now() ms), with one
 * timer per distinct time rather than one per item: a cohort's users mostly
 * share their stop time, and 10,000 idle users should not hold 20,000 timers
 * and their closures.
 */
export class DueTimers<T> {
  private readonly byTime = new Map<number, { readonly timer: NodeJS.Timeout; readonly items: Set<T> }>();

  constructor(private readonly act: (item: T) => void) {}

  /** Calls `act(item)` at `atMs` (at once when that is past). */
  add(atMs: number, item: T): void {
    let bucket = this.byTime.get(atMs);
    if (!bucket) {
      bucket = { timer: setTimeout(this.fire, Math.max(0, atMs - performance.now()), atMs), items: new Set() };
      this.byTime.set(atMs, bucket);
    }
    bucket.items.add(item);
  }

  /** Forgets `item` at `atMs`; the timer goes when its last item does. */
  delete(atMs: number, item: T): void {
    const bucket = this.byTime.get(atMs);
    if (!bucket) return;
    bucket.items.delete(item);
    if (bucket.items.size === 0) {
      clearTimeout(bucket.timer);
      this.byTime.delete(atMs);
    }
  }

  /** Cancels everything still due. */
  clear(): void {
    for (const b of this.byTime.values()) clearTimeout(b.timer);
    this.byTime.clear();
  }

  private readonly fire = (atMs: number): void => {
    const bucket = this.byTime.get(atMs);
    if (!bucket) return;
    this.byTime.delete(atMs);
    for (const item of bucket.items) this.act(item);
  };
}
