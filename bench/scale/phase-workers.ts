// Scale bench phase: what a second crosstalk worker thread buys.
import { cpus } from 'node:os';
import { LoadWatch } from '../machine-load.js';
import { waitExit } from '../pinned-process.js';
import { opts } from './options.js';
import { startTarget, stopTarget } from './target.js';
import { failure, launchCrosstalk, phaseDir, readProbe, readSummary } from './clients.js';
import { runsYaml } from './scenarios.js';

/** One --workers measurement. */
export interface WorkersSample {
  workers: number;
  round: number;
  runs: number;
  cpuUs: number;
  runsPerSec: number;
  errors: number;
  foreignPct: number;
}

/**
 * crosstalk alone with --workers 1 (core 0) and --workers 2 (cores 0 and 2,
 * or 0 and 1 on a 2-core machine), the target on core 1 both times: runs/s
 * and CPU per run. On a 2-core machine the second worker shares its core
 * with the target, so this shows
 * what a second thread buys here and what it costs per run, not the
 * generator-bound scaling a machine with a spare core for the target would.
 */
export async function phaseWorkers(workers: number, round: number): Promise<WorkersSample> {
  const t = await startTarget();
  const dir = phaseDir(`workers${workers}`);
  const watch = new LoadWatch();
  watch.add(t.proc.pid);
  try {
    const l = launchCrosstalk(
      t,
      dir,
      runsYaml(opts.users, opts.seconds, 0),
      {},
      [],
      workers,
      workers === 1 ? '0' : cpus().length >= 3 ? '0,2' : '0,1',
    );
    watch.add(l.proc.pid);
    await waitExit(l.proc, (opts.seconds + 90) * 1000);
    const exit = readProbe(l.probe).find((x) => x.event === 'exit');
    if (!exit) throw new Error(failure(l, 'wrote no exit probe'));
    watch.final(l.proc.pid, exit.cpu.total);
    const sum = readSummary(l.out);
    if (!sum) throw new Error(failure(l, 'wrote no summary.json'));
    return {
      workers,
      round,
      runs: sum.runs.completed,
      cpuUs: exit.cpu.total,
      runsPerSec: sum.runs.completed / opts.seconds,
      errors: sum.metrics.errors?.value ?? 0,
      foreignPct: watch.finish(),
    };
  } finally {
    await stopTarget(t);
  }
}
