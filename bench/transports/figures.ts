// The transport bench's figures: per transport, each round's ratio crosstalk ÷ bare, their median, the
// pooled ratio and the verdict against the goal; and the two Markdown tables. No I/O.
import { opts, type Kind, type Transport } from './options.js';
import type { Sample } from './pass.js';

/** The goals of issue 15 for the median ratio; socketio has none (information). */
const GOALS: Record<Transport, number | undefined> = { ws: 1.25, sse: 1.3, socketio: undefined };

const median = (xs: readonly number[]): number | undefined => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return undefined;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1]! + v[m]!) / 2;
};
/** A figure with `digits` decimals, or n/a. */
export const fmt = (n: number | undefined, digits = 1): string =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);

/** Per transport: each round's ratio, their median, the pooled ratio and the verdict. */
export interface TransportFigure {
  transport: Transport;
  rounds: Array<{ round: number; bare: Sample; crosstalk: Sample; ratio: number; runPhaseRatio: number | undefined }>;
  bareCpuPerRunUs: number | undefined;
  crosstalkCpuPerRunUs: number | undefined;
  medianRatio: number | undefined;
  pooledRatio: number | undefined;
  goal: number | undefined;
  verdict: 'pass' | 'FAIL' | 'info' | 'n/a';
  /** Information: the same ratio over the run phase only (start-up and the end left out). */
  medianRunPhaseRatio: number | undefined;
}

/** The figures of every transport measured, from the samples of every round. */
export function computeFigures(samples: readonly Sample[]): TransportFigure[] {
  return opts.transports.map((transport) => {
    const rounds: TransportFigure['rounds'] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const b = samples.find((s) => s.transport === transport && s.round === r && s.kind === 'bare');
      const c = samples.find((s) => s.transport === transport && s.round === r && s.kind === 'crosstalk');
      const phase =
        b?.runPhaseCpuUs && c?.runPhaseCpuUs ? c.runPhaseCpuUs / c.runs / (b.runPhaseCpuUs / b.runs) : undefined;
      if (b && c)
        rounds.push({ round: r, bare: b, crosstalk: c, ratio: c.cpuPerRunUs / b.cpuPerRunUs, runPhaseRatio: phase });
    }
    const pooled = (k: Kind): number | undefined => {
      const xs = rounds.map((x) => x[k]);
      const runs = xs.reduce((a, s) => a + s.runs, 0);
      return runs ? xs.reduce((a, s) => a + s.cpuUs, 0) / runs : undefined;
    };
    const b = pooled('bare');
    const c = pooled('crosstalk');
    const med = median(rounds.map((x) => x.ratio));
    const goal = GOALS[transport];
    const verdict = med === undefined ? 'n/a' : goal === undefined ? 'info' : med <= goal ? 'pass' : 'FAIL';
    const medPhase = median(rounds.flatMap((x) => (x.runPhaseRatio === undefined ? [] : [x.runPhaseRatio])));
    return {
      transport,
      rounds,
      bareCpuPerRunUs: b,
      crosstalkCpuPerRunUs: c,
      medianRatio: med,
      pooledRatio: b && c ? c / b : undefined,
      goal,
      verdict,
      medianRunPhaseRatio: medPhase,
    };
  });
}

/** The figures as two Markdown tables: per transport, then per round. */
export function formatFigures(figs: readonly TransportFigure[]): string {
  const lines: string[] = [];
  lines.push(
    '| transport | bare CPU-µs/run | crosstalk CPU-µs/run | ratio, median of rounds | pooled ratio | goal | | run phase only, median |',
  );
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const f of figs) {
    lines.push(
      `| ${f.transport} | ${fmt(f.bareCpuPerRunUs)} | ${fmt(f.crosstalkCpuPerRunUs)} | **${fmt(f.medianRatio, 2)}** (${f.rounds.map((x) => fmt(x.ratio, 2)).join(', ')}) | ${fmt(f.pooledRatio, 2)} | ${f.goal === undefined ? 'none' : `≤ ${f.goal}×`} | ${f.verdict} | ${fmt(f.medianRunPhaseRatio, 2)} (${f.rounds.map((x) => fmt(x.runPhaseRatio, 2)).join(', ')}) |`,
    );
  }
  lines.push('', 'By round (CPU-µs per run; runs/s; other work on the machine, % of all cores; errors):', '');
  lines.push(
    '| transport | round | bare | crosstalk | ratio | run-phase ratio | bare runs/s | crosstalk runs/s | other work bare / crosstalk | errors bare / crosstalk |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const f of figs) {
    for (const x of f.rounds) {
      lines.push(
        `| ${f.transport} | ${x.round + 1} | ${fmt(x.bare.cpuPerRunUs)} | ${fmt(x.crosstalk.cpuPerRunUs)} | ${fmt(x.ratio, 3)} | ${fmt(x.runPhaseRatio, 3)} | ${fmt(x.bare.runsPerSec, 0)} | ${fmt(x.crosstalk.runsPerSec, 0)} | ${x.bare.foreignPct} / ${x.crosstalk.foreignPct} | ${x.bare.errors} / ${x.crosstalk.errors} |`,
      );
    }
  }
  return lines.join('\n');
}
