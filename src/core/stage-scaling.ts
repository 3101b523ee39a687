/**
 * Scaling a cohort's stages to a new peak, keeping their shape: what `users`
 * (closed) or `rate` (open) means next to `stages`, so that
 * `--set cohorts.chatters.users=50` turns a ramp to 15 users, a hold and a
 * ramp down into the same ramp, hold and ramp down at 50 users.
 */

/**
 * Closed stages (and startUsers) multiplied by `peakUsers / peak`, each
 * rounded to whole users; a stage that had users keeps at least one, so no
 * step of the shape disappears. Undefined when every stage is 0 (nothing to scale).
 */
export function computeScaledUsers<S extends { readonly users: number }>(
  startUsers: number,
  stages: readonly S[],
  peakUsers: number,
): { startUsers: number; stages: S[] } | undefined {
  const peak = Math.max(startUsers, ...stages.map((s) => s.users));
  if (peak === 0) return undefined;
  const scale = (n: number): number => (n === 0 ? 0 : Math.max(1, Math.round((n * peakUsers) / peak)));
  return { startUsers: scale(startUsers), stages: stages.map((s) => ({ ...s, users: scale(s.users) })) };
}

/**
 * Open stages (and startRate) multiplied by `peakRatePerSec / peak`, so the
 * highest rate becomes `peakRatePerSec`. Undefined when every rate is 0.
 */
export function computeScaledRates<S extends { readonly ratePerSec: number }>(
  startRatePerSec: number,
  stages: readonly S[],
  peakRatePerSec: number,
): { startRatePerSec: number; stages: S[] } | undefined {
  const peak = Math.max(startRatePerSec, ...stages.map((s) => s.ratePerSec));
  if (peak === 0) return undefined;
  const k = peakRatePerSec / peak;
  return { startRatePerSec: startRatePerSec * k, stages: stages.map((s) => ({ ...s, ratePerSec: s.ratePerSec * k })) };
}
