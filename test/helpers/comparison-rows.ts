// Reading a computed Comparison the way a user reads `simulate compare`'s
// table: one row by metric and statistic, or the rows that regressed.
import assert from 'node:assert/strict';
import type { Comparison, ComparisonRow } from '../../src/core/compare-types.js';

/** The row for `metric` `stat` (e.g. `run.total` `p95`); fails the test when there is none. */
export function rowOf(c: Comparison, metric: string, stat: string): ComparisonRow {
  const r = c.rows.find((x) => x.metric === metric && x.stat === stat);
  assert.ok(r, `a row for ${metric} ${stat}`);
  return r;
}

/** `metric stat` of every row whose status is regression. */
export function regressions(c: Comparison): string[] {
  return c.rows.filter((r) => r.status === 'regression').map((r) => `${r.metric} ${r.stat}`);
}
