// Scale bench phase: memory per idle session and event-loop lag with many sessions.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoadWatch, rssBytes } from '../machine-load.js';
import { log, sleep, waitExit } from '../pinned-process.js';
import { health, startTarget, stopTarget, waitConnections } from './target.js';
import {
  lastJsonLine,
  launchBare,
  launchCrosstalk,
  phaseDir,
  readProbe,
  readSummary,
  waitMark,
  type Kind,
  type ProbeLine,
} from './clients.js';
import { idleYaml } from './scenarios.js';

/** One idle-sessions measurement. */
export interface IdleSample {
  kind: Kind;
  round: number;
  sessions: number;
  established: boolean;
  connectedAfterMs: number | undefined;
  rssPreGcBytes: number | undefined;
  rssPostGcBytes: number | undefined;
  /** VmRSS at the end of the hold, HOLD_S after the forced GC: what the idle process keeps once V8 has given freed pages back. */
  rssBytes: number | undefined;
  perSessionBytes: number | undefined;
  memory: ProbeLine['memory'];
  lagHoldP99Ms: number | undefined;
  lagHoldMaxMs: number | undefined;
  lagRunP99Ms: number | undefined;
  openAfterHold: number | undefined;
  errors: number;
  exit: number | null | undefined;
  foreignPct: number;
}

/** Seconds to settle once every session is connected. */
export const SETTLE_S = 3;
/** Seconds held after the forced GC before RSS is read. */
export const HOLD_S = 10;

/** N idle sessions: RSS per session once all are connected, and event-loop lag. */
export async function phaseIdle(
  kind: Kind,
  round: number,
  n: number,
  prof?: { cpuDir?: string; snapshot?: string },
): Promise<IdleSample> {
  const t = await startTarget();
  const dir = phaseDir(`idle${n}-${kind}`);
  const rampS = Math.max(1, Math.ceil(n / 1000));
  const extra = prof?.cpuDir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
  const env: NodeJS.ProcessEnv = { CT_PROBE_LAG: '1', ...(prof?.snapshot ? { CT_PROBE_SNAPSHOT: prof.snapshot } : {}) };
  const margin = prof?.snapshot ? 40 : 6;
  const watch = new LoadWatch();
  watch.add(t.proc.pid);
  try {
    const l =
      kind === 'bare'
        ? launchBare(
            dir,
            [
              '--url',
              t.url,
              '--mode',
              'idle',
              '--users',
              String(n),
              '--ramp',
              String(rampS),
              '--settle',
              String(SETTLE_S),
              '--hold',
              String(HOLD_S + margin),
            ],
            env,
            extra,
          )
        : launchCrosstalk(t, dir, idleYaml(n, rampS, SETTLE_S + HOLD_S + margin), env, extra);
    watch.add(l.proc.pid);
    const connectedAfterMs = await waitConnections(t, l.proc, n, (rampS + 60) * 1000, 250);
    let rssPre: number | undefined;
    let mark1: ProbeLine | undefined;
    let rssPost: number | undefined;
    let rss: number | undefined;
    let mark2: ProbeLine | undefined;
    let openAfterHold: number | undefined;
    if (connectedAfterMs !== undefined) {
      await sleep(SETTLE_S * 1000);
      rssPre = rssBytes(l.proc.pid);
      process.kill(l.proc.pid, 'SIGUSR2');
      mark1 = await waitMark(l.probe, 1, prof?.snapshot ? 120_000 : 10_000);
      rssPost = rssBytes(l.proc.pid);
      await sleep(HOLD_S * 1000);
      openAfterHold = (await health(t.url))?.connections;
      // V8 returns freed pages to the OS a little after a GC; the idle process's footprint is what stays.
      rss = rssBytes(l.proc.pid);
      process.kill(l.proc.pid, 'SIGUSR2');
      mark2 = await waitMark(l.probe, 2, 10_000);
    } else {
      log(
        `  ${kind}: ${n} sessions not all connected in time (target counts ${(await health(t.url))?.connections ?? '?'})`,
      );
    }
    const code = await waitExit(l.proc, (margin + 90 + n / 200) * 1000);
    const exitLine = readProbe(l.probe).find((x) => x.event === 'exit');
    if (exitLine) watch.final(l.proc.pid, exitLine.cpu.total);
    let lagRun: number | undefined;
    let errors = 0;
    if (kind === 'bare') {
      const o = lastJsonLine(l.proc.stdout);
      lagRun = typeof o?.loopLagP99WholeMs === 'number' ? o.loopLagP99WholeMs : undefined;
      errors = Number(o?.failedConnects ?? 0);
    } else {
      const s = readSummary(l.out);
      lagRun = s?.generator.loopLagP99Ms;
      errors = s?.metrics.errors?.value ?? 0;
    }
    if (prof?.cpuDir)
      for (const f of readdirSync(dir))
        if (f.endsWith('.cpuprofile'))
          writeFileSync(join(prof.cpuDir, `idle${n}-${kind}.cpuprofile`), readFileSync(join(dir, f)));
    return {
      kind,
      round,
      sessions: n,
      established: connectedAfterMs !== undefined,
      connectedAfterMs,
      rssPreGcBytes: rssPre,
      rssPostGcBytes: rssPost,
      rssBytes: rss,
      perSessionBytes: rss === undefined ? undefined : rss / n,
      memory: mark1?.memory,
      lagHoldP99Ms: mark2?.lag?.p99Ms,
      lagHoldMaxMs: mark2?.lag?.maxMs,
      lagRunP99Ms: lagRun,
      openAfterHold,
      errors,
      exit: code,
      foreignPct: watch.finish(),
    };
  } finally {
    await stopTarget(t);
  }
}
