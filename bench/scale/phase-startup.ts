// Scale bench phase: CPU and wall time from start-up to the first connection.
import { LoadWatch, schedCpuUs, statCpuUs } from '../machine-load.js';
import { log, sleep, waitExit } from '../pinned-process.js';
import { health, waitConnections, type Target } from './target.js';
import { failure, launchBare, launchCrosstalk, phaseDir, type Kind } from './clients.js';
import { idleYaml } from './scenarios.js';

/** One start-up measurement. */
export interface StartupSample {
  kind: Kind;
  round: number;
  cpuUs: number | undefined;
  statCpuUs: number | undefined;
  wallMs: number | undefined;
  foreignPct: number;
}

/** One user: the client's CPU and wall time when the target first counts its connection. */
export async function phaseStartup(kind: Kind, round: number, t: Target): Promise<StartupSample> {
  const dir = phaseDir(`startup-${kind}`);
  const watch = new LoadWatch();
  watch.add(t.proc.pid, true);
  const l =
    kind === 'bare'
      ? launchBare(dir, ['--url', t.url, '--mode', 'idle', '--users', '1', '--settle', '0', '--hold', '1'], {})
      : launchCrosstalk(t, dir, idleYaml(1, 1, 2), {});
  watch.add(l.proc.pid);
  const wall = await waitConnections(t, l.proc, 1, 20_000, 2);
  const foreignPct = watch.finish();
  const cpu = wall === undefined ? undefined : schedCpuUs(l.proc.pid);
  const stat = wall === undefined ? undefined : statCpuUs(l.proc.pid);
  await waitExit(l.proc, 40_000);
  // The next sample starts with the target empty again.
  const deadline = performance.now() + 5000;
  while (performance.now() < deadline && ((await health(t.url))?.connections ?? 0) > 0) await sleep(50);
  if (wall === undefined) log(`  ${kind}: no connection within 20 s: ${failure(l, 'start-up')}`);
  return { kind, round, cpuUs: cpu, statCpuUs: stat, wallMs: wall, foreignPct };
}
