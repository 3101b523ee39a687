/**
 * False alarms of the isolation oracle on a clean target that is hard to
 * read (`serve --noise`): texts padded with ordinary words in every case and
 * wrapping, own frames double-encoded, binary or in arrays, the same frames
 * to every tab, ownerless notices with ids nobody owns. Runs until the users
 * have received `minFrames` frames (bounded by `maxSeconds`) on each
 * transport asked for. Goal: 0 violations of any kind.
 *
 *   npm run build && node dist/bench/false-alarms.js [minFrames=1000000] [transports=ws,sse,socketio] [maxSeconds=120]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileScenarioText } from '../src/config/load-scenario.js';
import { runScenario } from '../src/runtime/run-scenario.js';

const minFrames = Number(process.argv[2] ?? 1_000_000);
const transports = (process.argv[3] ?? 'ws,sse,socketio').split(',');
const maxSeconds = Number(process.argv[4] ?? 120);

/** Chatters on two tabs looping runs; lurkers as sentinels; as long as `seconds`. */
const yaml = (transport: string, seconds: number): string => `name: false-alarms
target: { transport: ${transport}, embedded: { agent: instant, seed: 9, noise: true } }
cohorts:
  chatters:
    users: 30
    duration: ${seconds}s
    connectionsPerUser: 2
    flow:
      - connect
      - createThread: { title: "Plain words {{user}}" }
      - repeat:
          duration: ${seconds}s
          steps:
            - sendMessage: { content: "Summarise the budget for {{user}}", timeout: 10s }
            - listThreads
  lurkers:
    users: 4
    duration: ${seconds}s
    flow: [connect, { idle: ${seconds}s }]
`;

let failed = false;
for (const transport of transports) {
  let frames = 0;
  const seconds = 15;
  const totals = { frames: 0, rest: 0, violations: 0, lifecycle: 0, unattributed: 0, runs: 0 };
  // Runs of growing length until enough frames were checked (or the time bound is reached).
  for (let spent = 0; frames < minFrames && spent < maxSeconds; spent += seconds) {
    const scenario = compileScenarioText(yaml(transport, seconds), 'bench/false-alarms.yaml');
    const out = join(mkdtempSync(join(tmpdir(), 'ct-bench-')), 'r');
    const { summary } = await runScenario({ scenario, out, workers: 1 });
    const c = (n: string): number => (summary.metrics[n] as { value?: number } | undefined)?.value ?? 0;
    totals.frames += c('isolation.frames_checked');
    totals.rest += c('isolation.rest_checked');
    totals.violations += summary.isolation.violations;
    totals.lifecycle += summary.lifecycle.violations;
    totals.unattributed += summary.isolation.unattributed;
    totals.runs += summary.runs.completed;
    frames = totals.frames;
    if (summary.isolation.violations > 0) console.log(`  ${transport}: violations in ${out}`);
  }
  const ok = totals.violations === 0 && totals.frames >= minFrames;
  failed ||= !ok;
  console.log(
    `${transport}: ${totals.frames} frames and ${totals.rest} REST answers checked, ${totals.runs} runs; isolation violations ${totals.violations}, lifecycle ${totals.lifecycle}, unattributed ${totals.unattributed}  ${ok ? 'PASS' : totals.violations ? 'FAIL' : 'too few frames'}`,
  );
}
process.exitCode = failed ? 1 : 0;
