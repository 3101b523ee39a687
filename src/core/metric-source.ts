import { createHistogram, type Histogram } from './histogram.js';
import type { MetricRegistry, Tags } from './metric-registry.js';
import type { MetricSource } from './thresholds.js';
import { computeCounterSeriesName } from './metric-names.js';

/** True when every tag of `scope` is present with the same value in `tags`. */
export function matchesScope(tags: Tags, scope: Tags): boolean {
  for (const k in scope) if (tags[k] !== scope[k]) return false;
  return true;
}

/** Thresholds' view of the live registry. */
export function createRegistrySource(registry: MetricRegistry, durationSec: () => number): MetricSource {
  return {
    histogram(name, scope) {
      let merged: Histogram | undefined;
      for (const t of registry.allTrends()) {
        if (t.name !== name || !matchesScope(t.tags, scope)) continue;
        merged ??= createHistogram();
        merged.add(t.hist);
      }
      return merged;
    },
    counter(name, scope) {
      const series = computeCounterSeriesName(name, scope);
      let sum = 0;
      for (const c of registry.allCounters()) if (c.name === series && matchesScope(c.tags, scope)) sum += c.value;
      return sum;
    },
    get durationSec() {
      return durationSec();
    },
  };
}
