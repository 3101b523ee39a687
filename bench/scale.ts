/**
 * Scale benchmark: crosstalk against the floor (bench/bare-client.ts), side
 * by side, each measurement with its own reference target.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/scale.js [--rounds 3] [--quick] [--profile DIR]
 *
 * Layout: the target (`simulate serve --agent instant`) is pinned to core 1,
 * the client under test to core 0 (taskset), both through a bash wrapper that
 * raises the fd limit as far as allowed. Every process is started here, in
 * its own process group, and killed by that group when its phase ends or
 * times out. All traffic is to 127.0.0.1.
 *
 * Measured per client (the bare client, then crosstalk `simulate run ...
 * --target URL --quiet --no-progress`; the order alternates each round):
 *  - CPU-µs per completed agent run: whole-process user + system CPU at exit
 *    (process.cpuUsage() from bench/probe-preload.ts, loaded into both
 *    clients; µs, every thread) over runs completed (bare: its own count;
 *    crosstalk: summary.json runs.completed). Nothing is subtracted;
 *    start-up CPU is reported on its own line.
 *  - runs/s over the nominal loop time.
 *  - RSS per idle session at 2,000 and 10,000 sessions: the target's
 *    GET /health shows every session connected, 3 s settle, a forced full GC
 *    in the client (probe mark), a 10 s hold, then /proc/<pid>/status
 *    VmRSS / sessions (V8 gives freed pages back a little after a GC; the
 *    readings before and right after the GC are logged too).
 *  - event-loop lag p99 at 10,000 sessions: crosstalk's summary.json
 *    generator.loopLagP99Ms (whole run) and the bare client's whole-run
 *    figure; plus the same probe's figure over a 10 s hold window for both.
 *    The whole-run figures are measured differently (crosstalk: a 2 ms
 *    sampler corrected for coordinated omission, so a block weighs by its
 *    length; bare: a 10 ms monitorEventLoopDelay): compare the hold rows.
 *  - start-up to first connection: the client's CPU (sum of
 *    /proc/<pid>/task/<tid>/schedstat, ns) and wall time at the moment the
 *    target's /health first counts a connection (1 user).
 *  - soak: constant paced load (100 users, 100 ms think), VmRSS every 10 s;
 *    first (10 s) vs last, the largest rise over the first sample, the drift
 *    after warm-up (60 s on), and the JS heap after a forced GC every 30 s
 *    (what is really kept, per 1000 runs).
 *
 * Options: --rounds N (3; --quick: 1), --quick (shorter phases, 3 min soak),
 * --users N (50) --seconds S (15; quick 8) for the CPU phase, --sessions
 * 2000,10000, --soak S (300; quick 180; 0 skips), --startup-reps N,
 * --root DIR (the crosstalk checkout to run; default this one), --json FILE,
 * --profile DIR (afterwards: CPU profiles of both clients under load, of
 * crosstalk's start-up and of crosstalk at 10,000 sessions; import costs; heap
 * snapshots of both at 2,000 and 10,000 sessions and of crosstalk 30 s apart
 * under constant load; summarized into DIR/summary.txt), --only-profile
 * (just that), --phases runs,workers,startup,idle,soak (a subset). Measurements wait
 * for a quiet machine and are repeated when other work took over 10% of it
 * meanwhile (at most twice; the share is logged and kept with each figure).
 *
 * Files: this one runs the rounds and prints the table; bench/scale/ holds
 * the shared parts (options.ts, the target and process start in target.ts,
 * the clients in clients.ts, scenarios.ts, table.ts), one file per phase
 * (phase-*.ts), the table's figures (figures.ts) and --profile (profile.ts).
 */
import { writeFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietly, waitQuiet } from './machine-load.js';
import { log } from './pinned-process.js';
import { buildRows } from './scale/figures.js';
import { opts, WORK } from './scale/options.js';
import { cleanupAll, healthAgent, startTarget, stopTarget } from './scale/target.js';
import { KINDS_IN_ORDER } from './scale/clients.js';
import { fmt, median, table } from './scale/table.js';
import { HOLD_S, phaseIdle, SETTLE_S, type IdleSample } from './scale/phase-idle.js';
import { phaseRuns, type RunsSample } from './scale/phase-runs.js';
import { phaseSoak, type SoakSample } from './scale/phase-soak.js';
import { phaseStartup, type StartupSample } from './scale/phase-startup.js';
import { phaseWorkers, type WorkersSample } from './scale/phase-workers.js';
import { profile } from './scale/profile.js';

// ---- main ------------------------------------------------------------------------

async function main(): Promise<void> {
  if (opts.onlyProfile) {
    setTimeout(() => {
      log('hard timeout after 40 min: stopping');
      cleanupAll();
      process.exit(4);
    }, 40 * 60_000).unref();
    await profile(opts.profile!);
    rmSync(WORK, { recursive: true, force: true });
    return;
  }
  const startedAt = new Date();
  const budgetS =
    opts.rounds *
      (2 * (opts.seconds + 20) +
        opts.sessions.reduce((a, n) => a + 2 * (Math.ceil(n / 1000) + SETTLE_S + HOLD_S + 40 + n / 500), 0) +
        2 * opts.startupReps * 10) +
    2 * (opts.soakSeconds + 60) +
    (opts.profile ? 600 : 0);
  // The whole bench is bounded too: past twice its planned length, plus an hour of waiting for a quiet machine, everything stops.
  const ceilingS = 2 * budgetS + 3600;
  setTimeout(() => {
    log(`hard timeout after ${Math.round(ceilingS)} s: stopping`);
    cleanupAll();
    process.exit(4);
  }, ceilingS * 1000).unref();
  const machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? '?',
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadavgAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  log(
    `scale bench: ${opts.rounds} round(s), ${opts.users} users × ${opts.seconds} s, sessions ${opts.sessions.join('/')}, soak ${opts.soakSeconds} s; crosstalk at ${opts.root}; planned ≈ ${Math.round(budgetS / 60)} min plus waits for a quiet machine (hard stop after ${Math.round((2 * budgetS + 3600) / 60)} min)`,
  );
  log(
    `machine: ${machine.cpus} × ${machine.model}, ${machine.memGiB} GiB, node ${machine.node}, load ${machine.loadavgAtStart.join(' ')}`,
  );

  const runsSamples: RunsSample[] = [];
  const idleSamples: IdleSample[] = [];
  const startupSamples: StartupSample[] = [];
  const workersSamples: WorkersSample[] = [];
  const loads: number[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    const order = KINDS_IN_ORDER(round);
    log(`round ${round + 1}/${opts.rounds}: order ${order.join(', ')}`);
    for (const kind of opts.phases.has('runs') ? order : []) {
      const s = await quietly(`runs ${kind}`, () => phaseRuns(kind, round));
      runsSamples.push(s);
      log(
        `  runs ${kind}: ${s.runs} runs, ${(s.cpuUs / s.runs).toFixed(1)} CPU-µs/run (/proc/stat ${fmt(s.procStatCpuUs && s.procStatCpuUs / s.runs)}), ${s.runsPerSec.toFixed(0)} runs/s, errors ${s.errors} [other work ${s.foreignPct}%]`,
      );
    }
    for (const w of opts.phases.has('workers') ? (round % 2 === 0 ? [1, 2] : [2, 1]) : []) {
      const s = await quietly(`workers ${w}`, () => phaseWorkers(w, round));
      workersSamples.push(s);
      log(
        `  workers ${w}: ${s.runs} runs, ${s.runsPerSec.toFixed(0)} runs/s, ${(s.cpuUs / s.runs).toFixed(1)} CPU-µs/run, errors ${s.errors} [other work ${s.foreignPct}%]`,
      );
    }
    const t = opts.phases.has('startup') ? await startTarget() : undefined;
    if (t)
      try {
        for (let rep = 0; rep < opts.startupReps; rep++) {
          for (const kind of order) {
            const s = await quietly(`start-up ${kind}`, () => phaseStartup(kind, round, t));
            startupSamples.push(s);
            log(
              `  start-up ${kind}: ${fmt(s.cpuUs && s.cpuUs / 1000)} ms CPU (stat ${fmt(s.statCpuUs && s.statCpuUs / 1000, 0)}), ${fmt(s.wallMs, 0)} ms wall to first connection [other work ${s.foreignPct}%]`,
            );
          }
        }
      } finally {
        await stopTarget(t);
      }
    for (const n of opts.phases.has('idle') ? opts.sessions : []) {
      for (const kind of order) {
        const s = await quietly(`idle ${n} ${kind}`, () => phaseIdle(kind, round, n));
        idleSamples.push(s);
        log(
          `  idle ${n} ${kind}: ${s.established ? 'all connected' : 'NOT all connected'} after ${fmt(s.connectedAfterMs, 0)} ms; RSS ${fmt(s.rssBytes && s.rssBytes / 2 ** 20)} MiB at the end of the hold (before the forced GC ${fmt(s.rssPreGcBytes && s.rssPreGcBytes / 2 ** 20)}, right after it ${fmt(s.rssPostGcBytes && s.rssPostGcBytes / 2 ** 20)}), ${fmt(s.perSessionBytes && s.perSessionBytes / 1024)} KiB/session; heap used ${fmt(s.memory && s.memory.heapUsed / 2 ** 20)} MiB; lag p99 hold ${fmt(s.lagHoldP99Ms, 2)} ms, run ${fmt(s.lagRunP99Ms, 2)} ms; open after hold ${s.openAfterHold ?? '?'} [other work ${s.foreignPct}%]`,
        );
      }
    }
    loads.push(loadavg()[0]!);
  }

  const soak: SoakSample[] = [];
  if (opts.soakSeconds > 0 && opts.phases.has('soak')) {
    for (const kind of KINDS_IN_ORDER(opts.rounds)) {
      log(`soak ${kind}: ${opts.soakUsers} users, ${opts.soakThinkMs} ms think, ${opts.soakSeconds} s`);
      await waitQuiet();
      const s = await phaseSoak(kind);
      soak.push(s);
      log(
        `  soak ${kind}: ${s.runs} runs (${s.runsPerSec.toFixed(0)}/s); RSS MiB ${s.samples.map((x) => (x.rssBytes / 2 ** 20).toFixed(0)).join(' ')}; heap after GC MiB ${s.heap.map((x) => (x.heapUsedBytes / 2 ** 20).toFixed(1)).join(' ')} [other work ${s.foreignPct}%]`,
      );
    }
  }

  const rows = buildRows({ runsSamples, workersSamples, startupSamples, idleSamples, soak });

  const perRound = [...new Set(runsSamples.map((s) => s.round))].map((r) => {
    const b = runsSamples.find((s) => s.round === r && s.kind === 'bare');
    const c = runsSamples.find((s) => s.round === r && s.kind === 'crosstalk');
    return b && c ? c.cpuUs / c.runs / (b.cpuUs / b.runs) : undefined;
  });
  const out = [
    '',
    `Scale: crosstalk vs a bare ws client (${new Date().toISOString().slice(0, 10)}, ${machine.cpus} × ${machine.model}, node ${machine.node}; ${opts.rounds} round(s); load avg ${machine.loadavgAtStart[0]} at start, ${loads.map((x) => x.toFixed(2)).join('/')} after each round)`,
    '',
    table(rows),
    '',
    `CPU-per-run ratio by round: ${perRound.map((x) => fmt(x, 3)).join(', ')}`,
    `RSS per session is whole-process VmRSS / sessions, read ${HOLD_S} s after a forced GC (idle process, freed pages given back); medians over rounds. Loop lag: worst round.`,
    (() => {
      const f = [...runsSamples, ...startupSamples, ...idleSamples, ...soak].map((x) => x.foreignPct);
      return `Other work on the machine during the kept measurements: median ${fmt(median(f))}%, max ${fmt(Math.max(0, ...f))}% of all cores (${f.filter((x) => x > 10).length} over 10%).`;
    })(),
    '',
  ].join('\n');
  process.stdout.write(out);

  if (opts.profile) await profile(opts.profile);

  const json =
    opts.json ?? join(tmpdir(), `ct-scale-${startedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}.json`);
  writeFileSync(
    json,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), endedAt: new Date().toISOString(), machine, options: opts, rows, runsSamples, workersSamples, startupSamples, idleSamples, soak }, null, 2)}\n`,
  );
  log(`raw figures: ${json}`);
  if (process.env.CT_BENCH_KEEP === '1') log(`kept ${WORK}`);
  else rmSync(WORK, { recursive: true, force: true });
}

main().then(
  () => {
    healthAgent.destroy();
    process.exit(0);
  },
  (err: unknown) => {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    cleanupAll();
    process.exit(4);
  },
);
