// The figure helpers of the scale bench and its Markdown table: medians over rounds, the defined values,
// figures to a fixed number of decimals, and the rows aligned. No I/O.

/** The median of the finite values, or undefined. */
export const median = (xs: number[]): number | undefined => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return undefined;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1]! + v[m]!) / 2;
};
/** The defined values. */
export const def = <T>(xs: Array<T | undefined>): T[] => xs.filter((x): x is T => x !== undefined);

/** One row of the bench's table. */
export interface Row {
  metric: string;
  bare: string;
  crosstalk: string;
  ratio: string;
  goal: string;
  pass: string;
}

/** A figure with `digits` decimals, or n/a. */
export function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
}

/** The rows as an aligned Markdown table. */
export function table(rows: Row[]): string {
  const cols: Array<keyof Row> = ['metric', 'bare', 'crosstalk', 'ratio', 'goal', 'pass'];
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  const line = (r: Record<keyof Row, string>): string => `| ${cols.map((c, i) => r[c].padEnd(w[i]!)).join(' | ')} |`;
  const head = Object.fromEntries(cols.map((c) => [c, c])) as Record<keyof Row, string>;
  return [line(head), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
