/**
 * Transport benchmark: crosstalk's CPU per agent run on each transport,
 * against a bare client of that transport, side by side in one run.
 *
 *   npm run build && node dist/bench/transports.js [--rounds 5] [--quick] [--transports ws,sse,socketio] [--profile DIR]
 *
 * Options: --rounds N (5; --quick: 3), --users N (50), --seconds S (15;
 * --quick: 8), --transports (all three), --root DIR (the crosstalk checkout
 * to run; default this one), --json FILE (raw figures; default in the temp
 * folder), --quiet-wait S (60: the longest wait for a quiet machine before
 * each pass), --profile DIR, --only-profile (just the profiles).
 *
 * For each transport, each round: a fresh reference target (`simulate serve
 * --agent instant --transport T`, pinned to core 1), then the bare client
 * and crosstalk (`simulate run --target URL --workers 1`, oracles and every
 * histogram on, `target.transport: T`), each alone against its own fresh
 * target, pinned to core 0. The bare clients:
 *  - ws: bench/bare-client.ts (the floor of bench/scale.ts);
 *  - sse: bench/bare-sse-client.ts (undici + eventsource-parser);
 *  - socketio: bench/bare-socketio-client.ts (socket.io-client).
 * Same load for both: N users, each creating a thread and looping agent runs
 * for S seconds with no think time. The order of the two clients alternates
 * by round and by transport, and the transports rotate, so neither side
 * always runs first or on the same stretch of a drifting machine.
 *
 * Measured: whole-process user + system CPU of the client at exit
 * (process.cpuUsage() from bench/probe-preload.ts, loaded into both) over
 * runs completed (bare: its own count; crosstalk: summary.json
 * runs.completed). The target is another process and is not counted. Each
 * round gives a ratio crosstalk ÷ bare; a transport's figure is the median
 * of its rounds (the pooled ratio, all CPU over all runs, is shown too).
 * Goals (issue 15): ws ≤ 1.25×, sse ≤ 1.3×; socketio has none and is
 * reported as information. Also shown, as information, the ratio over the
 * run phase only: CPU while the users ran (bare: its loop, from the first
 * message to the drain; crosstalk: summary.json generator.cpuPercent ×
 * durationMs, connect and createThread included), without start-up and the
 * end of the run (crosstalk's reports). The judged figure is the whole
 * process, as in bench/scale.ts.
 *
 * Bounded: every client has a deadline (killed by its process group past
 * it), the whole bench a ceiling; all traffic is to 127.0.0.1. Measurements
 * wait (at most --quiet-wait s) for a quiet machine and are repeated once
 * when other work took over 10% of it meanwhile; the share is kept with each
 * figure. --profile DIR adds, after the rounds, one CPU-profiled pass of each
 * client per transport (crosstalk from dist/src, so frames name its files),
 * summarised into DIR/summary.txt. Never part of npm test.
 *
 * Files: this one runs the rounds and prints the tables; bench/transports/
 * holds the options (options.ts), one pass of a client against its own
 * target (pass.ts), the figures and tables (figures.ts) and --profile
 * (profile.ts).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietly } from './machine-load.js';
import { killAllStarted, log } from './pinned-process.js';
import { computeFigures, fmt, formatFigures } from './transports/figures.js';
import { opts, WORK, type Kind } from './transports/options.js';
import { pass, type Sample } from './transports/pass.js';
import { profile } from './transports/profile.js';

async function main(): Promise<void> {
  const perPassS = opts.seconds + 20 + opts.quietWaitS;
  const budgetS =
    (opts.onlyProfile ? 0 : opts.rounds * opts.transports.length * 2 * 2 * perPassS) +
    (opts.profile ? opts.transports.length * 2 * perPassS : 0);
  const ceilingS = 2 * budgetS + 600;
  setTimeout(() => {
    log(`hard timeout after ${ceilingS} s: stopping`);
    killAllStarted();
    process.exit(4);
  }, ceilingS * 1000).unref();
  const machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? '?',
    node: process.version,
    loadavgAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  log(
    `transports bench: ${opts.transports.join(', ')}; ${opts.rounds} round(s) of ${opts.users} users × ${opts.seconds} s; crosstalk at ${opts.root}; machine ${machine.cpus} × ${machine.model}, node ${machine.node}, load ${machine.loadavgAtStart.join(' ')}; hard stop after ${Math.round(ceilingS / 60)} min`,
  );
  if (opts.onlyProfile) {
    await profile(opts.profile!);
    rmSync(WORK, { recursive: true, force: true });
    return;
  }
  const startedAt = new Date();
  const samples: Sample[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    // Transports rotate, and the client that goes first alternates by round and by transport.
    const order = opts.transports.map((_, i) => opts.transports[(i + round) % opts.transports.length]!);
    for (const transport of order) {
      const kinds: Kind[] =
        (round + opts.transports.indexOf(transport)) % 2 === 0 ? ['bare', 'crosstalk'] : ['crosstalk', 'bare'];
      for (const kind of kinds) {
        const s = await quietly(`${transport} ${kind}`, () => pass(transport, kind, round), {
          waitMs: opts.quietWaitS * 1000,
          attempts: 2,
        });
        samples.push(s);
        log(
          `  round ${round + 1} ${transport} ${kind}: ${s.runs} runs, ${fmt(s.cpuPerRunUs)} CPU-µs/run, ${fmt(s.runsPerSec, 0)} runs/s, errors ${s.errors} [other work ${s.foreignPct}%]`,
        );
      }
    }
  }
  const figs = computeFigures(samples);
  const out = [
    '',
    `Transports: crosstalk vs a bare client per transport (${startedAt.toISOString().slice(0, 10)}, ${machine.cpus} × ${machine.model}, node ${machine.node}; ${opts.rounds} round(s), ${opts.users} users × ${opts.seconds} s; load avg ${machine.loadavgAtStart[0]} at start, ${loadavg()[0]!.toFixed(2)} at the end)`,
    '',
    formatFigures(figs),
    '',
  ].join('\n');
  process.stdout.write(out);
  if (opts.profile) await profile(opts.profile);
  const json =
    opts.json ?? join(tmpdir(), `ct-transports-${startedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}.json`);
  writeFileSync(
    json,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), endedAt: new Date().toISOString(), machine, options: opts, figures: figs.map(({ rounds, ...f }) => ({ ...f, roundRatios: rounds.map((x) => x.ratio) })), samples }, null, 2)}\n`,
  );
  log(`raw figures: ${json}`);
  if (process.env.CT_BENCH_KEEP === '1') log(`kept ${WORK}`);
  else rmSync(WORK, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    killAllStarted();
    process.exit(4);
  },
);
