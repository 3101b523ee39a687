/**
 * A string-keyed map that remembers at most `capacity` keys and forgets the
 * oldest first. Insertion order is kept in a ring of keys, so forgetting is
 * O(1): evicting through `map.keys().next()` instead costs a scan over every
 * deleted slot V8 has not compacted yet, which made each claim O(n) once a
 * long run reached the bound.
 */
export class BoundedMap<V extends NonNullable<unknown>> {
  private readonly map = new Map<string, V>();
  /** Keys in insertion order, as a ring once full; `head` is the oldest then. */
  private readonly ring: string[] = [];
  private head = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** How many keys are remembered. */
  get size(): number {
    return this.map.size;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Remembers `key` unless it is known already (the first value wins); false when it was known. */
  add(key: string, value: V): boolean {
    if (this.map.has(key)) return false;
    this.insert(key, value);
    return true;
  }

  /** The value on record for `key`, after remembering `value` for it if it had none (one lookup when known). */
  claim(key: string, value: V): V {
    const known = this.map.get(key);
    if (known !== undefined) return known;
    this.insert(key, value);
    return value;
  }

  private insert(key: string, value: V): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(key);
    } else {
      this.map.delete(this.ring[this.head]!);
      this.ring[this.head] = key;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    }
    this.map.set(key, value);
  }

  /** The i-th remembered key, 0 ≤ i < size, in no particular order (for random picks). */
  keyAt(i: number): string | undefined {
    return this.ring[i];
  }

  /** The k-th newest remembered key (0: the newest), 0 ≤ k < size. */
  keyFromNewest(k: number): string | undefined {
    const n = this.ring.length;
    if (k < 0 || k >= n) return undefined;
    // Until the ring is full `head` stays 0 and the newest key is last; after, it is just before `head`.
    return this.ring[(this.head - 1 - k + 2 * n) % n];
  }

  /** Every entry, oldest first. */
  *entries(): IterableIterator<[string, V]> {
    const n = this.ring.length;
    for (let k = 0; k < n; k++) {
      const key = this.ring[(this.head + k) % n]!;
      yield [key, this.map.get(key) as V];
    }
  }
}
