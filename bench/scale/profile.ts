// The scale bench's --profile: CPU profiles, import costs and heap snapshots
// of both clients, summarized for a reader looking for where crosstalk's
// time and memory go.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { quietly, waitQuiet } from '../machine-load.js';
import { log, sleep, waitExit } from '../pinned-process.js';
import {
  diffHeapSnapshots,
  formatCpuSummary,
  formatHeapSummary,
  summarizeCpuProfile,
  summarizeHeapSnapshot,
} from '../profile-summary.js';
import { opts } from './options.js';
import { startPinned, startTarget, stopTarget, waitConnections } from './target.js';
import { failure, launchCrosstalk, phaseDir, readSummary, waitMark } from './clients.js';
import { idleYaml, runsYaml } from './scenarios.js';
import { fmt, median } from './table.js';
import { phaseIdle } from './phase-idle.js';
import { phaseRuns } from './phase-runs.js';

/** Profiles, for the report: where crosstalk's time and memory go, next to the bare client's. */
export async function profile(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  log(`profiling into ${dir}`);
  const parts: string[] = [];
  const emit = (text: string): void => {
    parts.push(text);
    writeFileSync(join(dir, 'summary.txt'), parts.join('\n'));
  };

  // CPU under load: µs per completed run by function, both clients.
  for (const kind of ['bare', 'crosstalk'] as const) {
    const s = await quietly(`profiled runs ${kind}`, () => phaseRuns(kind, -1, dir));
    log(`  profiled runs ${kind}: ${s.runs} runs, ${(s.cpuUs / s.runs).toFixed(1)} CPU-µs/run (with the profiler on)`);
    emit(
      formatCpuSummary(
        `runs-${kind}.cpuprofile (${s.runs} runs; profiler on: ${(s.cpuUs / s.runs).toFixed(1)} CPU-µs/run)`,
        summarizeCpuProfile(join(dir, `runs-${kind}.cpuprofile`), 30),
        s.runs,
      ),
    );
  }

  // Start-up: what loading costs (each import alone in a fresh process), and crosstalk's profile up to its first connection.
  emit(await importCosts());
  {
    const t = await startTarget();
    try {
      await waitQuiet();
      const work = phaseDir('startup-prof');
      const l = launchCrosstalk(t, work, idleYaml(1, 1, 2), {}, ['--cpu-prof', '--cpu-prof-dir', work]);
      const wall = await waitConnections(t, l.proc, 1, 20_000, 2);
      await waitExit(l.proc, 40_000);
      const f = readdirSync(work).find((x) => x.endsWith('.cpuprofile'));
      if (f && wall !== undefined)
        emit(
          formatCpuSummary(
            `start-up of crosstalk (1 user), profile cut at ${wall.toFixed(0)} ms, the first connection`,
            summarizeCpuProfile(join(work, f), 30, wall),
          ),
        );
    } finally {
      await stopTarget(t);
    }
  }

  // Many sessions: what the connect ramp and the hold cost crosstalk.
  const big = Math.max(...opts.sessions);
  const small = Math.min(...opts.sessions);
  await waitQuiet();
  await phaseIdle('crosstalk', -1, big, { cpuDir: dir });
  emit(
    formatCpuSummary(
      `idle${big}-crosstalk.cpuprofile (ramp to ${big} sessions, settle, hold, close)`,
      summarizeCpuProfile(join(dir, `idle${big}-crosstalk.cpuprofile`), 30),
    ),
  );

  // Memory per session: heap snapshots at both sizes; the difference over the added sessions is the per-session cost.
  for (const n of big > small ? [small, big] : [small]) {
    for (const kind of ['bare', 'crosstalk'] as const) {
      await waitQuiet();
      await phaseIdle(kind, -1, n, { snapshot: join(dir, `idle${n}-${kind}.heapsnapshot`) });
    }
  }
  for (const kind of ['bare', 'crosstalk'] as const) {
    emit(
      formatHeapSummary(
        `idle${small}-${kind}.heapsnapshot`,
        summarizeHeapSnapshot(join(dir, `idle${small}-${kind}.heapsnapshot`), 25, small),
        small,
      ),
    );
  }
  emit(
    formatHeapSummary(
      `crosstalk's extra JS heap over the bare client at ${small} sessions (fixed and per-session costs together)`,
      diffHeapSnapshots(
        join(dir, `idle${small}-bare.heapsnapshot`),
        join(dir, `idle${small}-crosstalk.heapsnapshot`),
        30,
        small,
      ),
      small,
    ),
  );
  if (big > small) {
    for (const kind of ['bare', 'crosstalk'] as const) {
      emit(
        formatHeapSummary(
          `${kind}: JS heap per added idle session (${small} → ${big})`,
          diffHeapSnapshots(
            join(dir, `idle${small}-${kind}.heapsnapshot`),
            join(dir, `idle${big}-${kind}.heapsnapshot`),
            30,
            big - small,
          ),
          big - small,
        ),
      );
    }
  }

  // Growth under constant load.
  await waitQuiet();
  const growth = await profileSoakGrowth(dir);
  if (growth)
    emit(
      formatHeapSummary(
        `crosstalk heap growth under constant load (${growth.seconds.toFixed(0)} s, ≈ ${Math.round(growth.runs)} runs)`,
        diffHeapSnapshots(growth.before, growth.after, 25, Math.round(growth.runs)),
        Math.round(growth.runs),
        'run',
      ),
    );
  process.stdout.write(`\n${parts.join('\n')}`);
  log(`profile summaries: ${join(dir, 'summary.txt')}`);
}

/** CPU to import each module crosstalk's `run` loads, alone in a fresh pinned process (median of 3), and node itself. */
async function importCosts(): Promise<string> {
  const mods: Array<[string, string]> = [
    ['node (empty script)', ''],
    ['ws', 'ws'],
    ['undici', 'undici'],
    ['jose', 'jose'],
    ['pino', 'pino'],
    ['zod', 'zod'],
    ['yaml', 'yaml'],
    ['commander', 'commander'],
    ['hdr-histogram-js', 'hdr-histogram-js'],
    [
      'crosstalk dist/src/cli/main.js (everything `simulate` loads)',
      pathToFileURL(join(opts.root, 'dist', 'src', 'cli', 'main.js')).href,
    ],
  ];
  const lines = [
    'import cost (CPU ms to load the module in a fresh node process, median of 3; the empty-script row is node itself and is included in every other row):',
  ];
  await waitQuiet();
  for (const [label, spec] of mods) {
    const xs: number[] = [];
    for (let k = 0; k < 3; k++) {
      const code = spec
        ? `await import(${JSON.stringify(spec)}); const c = process.cpuUsage(); console.log(c.user + c.system)`
        : 'const c = process.cpuUsage(); console.log(c.user + c.system)';
      const p = startPinned(0, ['node', '--input-type=module', '-e', code]);
      await waitExit(p, 30_000);
      const v = Number(p.stdout.trim());
      if (Number.isFinite(v) && v > 0) xs.push(v / 1000);
    }
    lines.push(`  ${fmt(median(xs)).padStart(7)} ms  ${label}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Heap snapshots of crosstalk 30 s apart under the soak's constant paced
 * load: what grows, and by how much per completed run (runs in between are
 * estimated from the run's average rate outside the snapshot pauses).
 */
async function profileSoakGrowth(
  dir: string,
): Promise<{ before: string; after: string; runs: number; seconds: number } | undefined> {
  const t = await startTarget();
  const work = phaseDir('soak-growth');
  try {
    const seconds = 120;
    const l = launchCrosstalk(t, work, runsYaml(opts.soakUsers, seconds, opts.soakThinkMs), {
      CT_PROBE_SNAPSHOT: join(dir, 'soak-crosstalk-{n}.heapsnapshot'),
    });
    await sleep(30_000);
    process.kill(l.proc.pid, 'SIGUSR2');
    const m1 = await waitMark(l.probe, 1, 120_000);
    await sleep(30_000);
    process.kill(l.proc.pid, 'SIGUSR2');
    const m2 = await waitMark(l.probe, 2, 120_000);
    await waitExit(l.proc, 300_000);
    const sum = readSummary(l.out);
    if (!m1 || !m2 || !sum || m1.tEndMs === undefined || m2.tMs === undefined) {
      log(`  soak growth: incomplete (${failure(l, 'soak growth')})`);
      return undefined;
    }
    const pausesMs = m1.tEndMs - m1.tMs! + (m2.tEndMs! - m2.tMs);
    const rate = sum.runs.completed / Math.max(1, (sum.durationMs - pausesMs) / 1000);
    const between = (m2.tMs - m1.tEndMs) / 1000;
    return {
      before: join(dir, 'soak-crosstalk-1.heapsnapshot'),
      after: join(dir, 'soak-crosstalk-2.heapsnapshot'),
      runs: rate * between,
      seconds: between,
    };
  } finally {
    await stopTarget(t);
  }
}
