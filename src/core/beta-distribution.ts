// The Beta distribution, as `compare` needs it: draws (the bootstrap of a
// percentile draws the rank of its order statistic from a Beta) and the
// regularized incomplete beta function with its inverse (exact binomial
// confidence bounds for rate ratios). Pure: randomness comes in as a Random.
import type { Random } from './random.js';

// Lanczos approximation (g = 7, 9 terms): about 15 significant digits for x > 0.
const LANCZOS_G = 7;
const LANCZOS: readonly number[] = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0. */
function computeLogGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - computeLogGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

// The continued fraction converges in O(√max(a, b)) steps near the mean; counts of
// a long run (10^7 frames) stay well inside this bound.
const CF_MAX_ITERATIONS = 100_000;
const CF_EPSILON = 1e-15;
const CF_TINY = 1e-300;

/**
 * The regularized incomplete beta function I_x(a, b) = P(X ≤ x) for
 * X ~ Beta(a, b), a, b > 0 (not necessarily integers). For integer a, b it is
 * also the binomial tail: P(Binomial(a + b − 1, x) ≥ a) = I_x(a, b).
 */
export function computeRegularizedBeta(x: number, a: number, b: number): number {
  if (!(x > 0)) return 0;
  if (!(x < 1)) return 1;
  const logFront =
    computeLogGamma(a + b) - computeLogGamma(a) - computeLogGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  // The fraction converges fast on the side of the mean it is evaluated on; use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Lentz's evaluation of the incomplete beta continued fraction (Numerical Recipes' betacf). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < CF_TINY) d = CF_TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= CF_MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < CF_TINY) d = CF_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < CF_TINY) c = CF_TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < CF_TINY) d = CF_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < CF_TINY) c = CF_TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < CF_EPSILON) break;
  }
  return h;
}

/**
 * The p-quantile of Beta(a, b): the x with I_x(a, b) = p. Bisection, since
 * the function is monotone and a few dozen evaluations per bound are cheap
 * next to reading a summary.
 */
export function computeBetaQuantile(p: number, a: number, b: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let lo = 0;
  let hi = 1;
  // 2^-64 is below double precision around any x of interest.
  for (let i = 0; i < 64; i++) {
    const mid = (lo + hi) / 2;
    if (computeRegularizedBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** A draw from the standard normal distribution (Box–Muller; the second value is not kept). */
function drawNormal(rand: Random): number {
  const u = 1 - rand(); // (0, 1]: log(0) would be -Infinity
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** A draw from Gamma(shape, 1) for shape ≥ 1 (Marsaglia and Tsang, 2000). */
function drawGamma(rand: Random, shape: number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  // Acceptance is above 95% for every shape ≥ 1; the bound only guards against a broken Random.
  for (let attempt = 0; attempt < 1000; attempt++) {
    let x: number;
    let v: number;
    do {
      x = drawNormal(rand);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rand();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
  return d;
}

/** A draw from Beta(a, b) for a, b ≥ 1, as Ga / (Ga + Gb). */
export function drawBeta(rand: Random, a: number, b: number): number {
  const x = drawGamma(rand, a);
  const y = drawGamma(rand, b);
  return x / (x + y);
}
