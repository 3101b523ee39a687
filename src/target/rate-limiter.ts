/** Per-user token bucket; `take` answers 0 when allowed, else the ms to wait. */
export interface RateLimiter {
  take(userId: string): number;
}

/**
 * A token bucket per user refilled at `ratePerSec` with a burst of
 * `burst` (default one second's worth). A rate of 0 disables limiting.
 */
export function createRateLimiter(
  ratePerSec: number,
  burst = Math.max(1, ratePerSec),
  now: () => number = Date.now,
): RateLimiter {
  if (!(ratePerSec > 0)) return { take: () => 0 };
  const buckets = new Map<string, { tokens: number; atMs: number }>();
  return {
    take(userId) {
      const t = now();
      let b = buckets.get(userId);
      if (!b) {
        b = { tokens: burst, atMs: t };
        buckets.set(userId, b);
      }
      b.tokens = Math.min(burst, b.tokens + ((t - b.atMs) / 1000) * ratePerSec);
      b.atMs = t;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.ceil(((1 - b.tokens) / ratePerSec) * 1000);
    },
  };
}
