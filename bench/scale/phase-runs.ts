// Scale bench phase: CPU per completed agent run, both clients alike.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadWatch, statCpuUs } from '../machine-load.js';
import { waitExit } from '../pinned-process.js';
import { opts } from './options.js';
import { startTarget, stopTarget } from './target.js';
import {
  failure,
  lastJsonLine,
  launchBare,
  launchCrosstalk,
  phaseDir,
  readProbe,
  readSummary,
  type Kind,
} from './clients.js';
import { formatRunsArgs } from '../bare-client-kit.js';
import { runsYaml } from './scenarios.js';

/** One runs measurement. */
export interface RunsSample {
  kind: Kind;
  round: number;
  runs: number;
  cpuUs: number;
  procStatCpuUs: number | undefined;
  runsPerSec: number;
  errors: number;
  exit: number | null | undefined;
  foreignPct: number;
}

/** N users loop agent runs for S seconds; CPU per completed run. */
export async function phaseRuns(kind: Kind, round: number, profDir?: string): Promise<RunsSample> {
  const t = await startTarget();
  const dir = phaseDir(`runs-${kind}`);
  const extraNode = profDir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
  const watch = new LoadWatch();
  watch.add(t.proc.pid);
  try {
    const l =
      kind === 'bare'
        ? launchBare(dir, formatRunsArgs(t.url, opts.users, opts.seconds), {}, extraNode)
        : launchCrosstalk(t, dir, runsYaml(opts.users, opts.seconds, 0), {}, extraNode);
    watch.add(l.proc.pid);
    // A coarse cross-check of the probe's figure: the last /proc reading before exit.
    let procCpu: number | undefined;
    const poll = setInterval(() => {
      procCpu = statCpuUs(l.proc.pid) ?? procCpu;
    }, 100);
    const code = await waitExit(l.proc, (opts.seconds + 90) * 1000);
    clearInterval(poll);
    const exit = readProbe(l.probe).find((x) => x.event === 'exit');
    if (!exit) throw new Error(failure(l, 'wrote no exit probe'));
    watch.final(l.proc.pid, exit.cpu.total);
    let runs: number;
    let errors = 0;
    if (kind === 'bare') {
      const o = lastJsonLine(l.proc.stdout);
      if (!o || typeof o.runs !== 'number') throw new Error(failure(l, 'printed no result'));
      runs = o.runs;
      errors = Number(o.unfinished ?? 0);
    } else {
      const s = readSummary(l.out);
      if (!s) throw new Error(failure(l, 'wrote no summary.json'));
      runs = s.runs.completed;
      errors = s.metrics.errors?.value ?? 0;
    }
    if (profDir)
      for (const f of readdirSync(dir))
        if (f.endsWith('.cpuprofile'))
          writeFileSync(join(profDir, `runs-${kind}.cpuprofile`), readFileSync(join(dir, f)));
    return {
      kind,
      round,
      runs,
      cpuUs: exit.cpu.total,
      procStatCpuUs: procCpu,
      runsPerSec: runs / opts.seconds,
      errors,
      exit: code,
      foreignPct: watch.finish(),
    };
  } finally {
    await stopTarget(t);
  }
}
