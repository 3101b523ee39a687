// Scale bench phase: memory over a long constant paced load.
import { LoadWatch, rssBytes } from '../machine-load.js';
import { sleep, waitExit } from '../pinned-process.js';
import { opts } from './options.js';
import { startTarget, stopTarget } from './target.js';
import { lastJsonLine, launchBare, launchCrosstalk, phaseDir, readSummary, waitMark, type Kind } from './clients.js';
import { formatRunsArgs } from '../bare-client-kit.js';
import { runsYaml } from './scenarios.js';

/** One soak measurement. */
export interface SoakSample {
  kind: Kind;
  samples: Array<{ atS: number; rssBytes: number }>;
  /** JS heap in use right after a forced full GC (probe mark), every 30 s: what is really kept. */
  heap: Array<{ atS: number; heapUsedBytes: number }>;
  runs: number;
  runsPerSec: number;
  errors: number;
  exit: number | null | undefined;
  foreignPct: number;
}

/** Constant paced load for S seconds; VmRSS every 10 s. */
export async function phaseSoak(kind: Kind): Promise<SoakSample> {
  const t = await startTarget();
  const dir = phaseDir(`soak-${kind}`);
  const s = opts.soakSeconds;
  const watch = new LoadWatch();
  watch.add(t.proc.pid);
  try {
    const l =
      kind === 'bare'
        ? launchBare(dir, formatRunsArgs(t.url, opts.soakUsers, s, opts.soakThinkMs), {})
        : launchCrosstalk(t, dir, runsYaml(opts.soakUsers, s, opts.soakThinkMs), {});
    watch.add(l.proc.pid);
    const samples: Array<{ atS: number; rssBytes: number }> = [];
    const heap: Array<{ atS: number; heapUsedBytes: number }> = [];
    const t0 = performance.now();
    let marks = 0;
    for (let k = 1; k * 10 <= s && l.proc.exitCode === undefined; k++) {
      await sleep(Math.max(0, t0 + k * 10_000 - performance.now()));
      const r = rssBytes(l.proc.pid);
      if (r !== undefined) samples.push({ atS: k * 10, rssBytes: r });
      // Every 30 s (not at the very end, when the client may be closing): the live heap after a forced GC.
      if (k % 3 === 0 && (k + 1) * 10 <= s && l.proc.exitCode === undefined) {
        process.kill(l.proc.pid, 'SIGUSR2');
        const m = await waitMark(l.probe, ++marks, 10_000);
        if (m?.memory) heap.push({ atS: k * 10, heapUsedBytes: m.memory.heapUsed });
      }
    }
    const code = await waitExit(l.proc, 120_000);
    let runs = 0;
    let errors = 0;
    if (kind === 'bare') {
      const o = lastJsonLine(l.proc.stdout);
      runs = Number(o?.runs ?? 0);
    } else {
      const sum = readSummary(l.out);
      runs = sum?.runs.completed ?? 0;
      errors = sum?.metrics.errors?.value ?? 0;
    }
    return { kind, samples, heap, runs, runsPerSec: runs / s, errors, exit: code, foreignPct: watch.finish() };
  } finally {
    await stopTarget(t);
  }
}
