// --profile of the transport bench: one CPU-profiled pass of each client per transport, summarised.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quietly } from '../machine-load.js';
import { log } from '../pinned-process.js';
import { formatCpuSummary, summarizeCpuProfile } from '../profile-summary.js';
import { fmt } from './figures.js';
import { opts } from './options.js';
import { pass } from './pass.js';

/** One CPU-profiled pass of each client per transport, summarised: µs per run by function and by file. */
export async function profile(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const parts: string[] = [];
  for (const transport of opts.transports) {
    for (const kind of ['bare', 'crosstalk'] as const) {
      const s = await quietly(`profiled ${transport} ${kind}`, () => pass(transport, kind, -1, dir), {
        waitMs: opts.quietWaitS * 1000,
        attempts: 1,
      });
      log(
        `  profiled ${transport} ${kind}: ${s.runs} runs, ${fmt(s.cpuPerRunUs)} CPU-µs/run with the profiler on [other work ${s.foreignPct}%]`,
      );
      parts.push(
        formatCpuSummary(
          `${transport}-${kind}.cpuprofile (${s.runs} runs; profiler on: ${fmt(s.cpuPerRunUs)} CPU-µs/run)`,
          summarizeCpuProfile(join(dir, `${transport}-${kind}.cpuprofile`), 40),
          s.runs,
        ),
      );
      writeFileSync(join(dir, 'summary.txt'), parts.join('\n'));
    }
  }
  log(`profile summaries: ${join(dir, 'summary.txt')}`);
}
