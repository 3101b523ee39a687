/**
 * What the isolation and lifecycle oracles cost: generator CPU per agent run
 * with checks on and off, alternating in one process against the embedded
 * target (instant agent), several rounds. Goal: on/off under 1.10.
 *
 *   npm run build && node dist/bench/oracle-cost.js [rounds=3] [users=40] [seconds=8]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileScenarioText } from '../src/config/load-scenario.js';
import { runScenario } from '../src/runtime/run-scenario.js';

const rounds = Number(process.argv[2] ?? 3);
const users = Number(process.argv[3] ?? 40);
const seconds = Number(process.argv[4] ?? 8);

const yaml = `name: oracle-cost
target: { embedded: { agent: instant, seed: 1 } }
cohorts:
  chatters:
    users: ${users}
    duration: ${seconds}s
    connectionsPerUser: 1
    flow:
      - connect
      - createThread: { title: "Bench {{user}}" }
      - repeat:
          duration: ${seconds}s
          steps:
            - sendMessage: { content: "How much did we spend on {{thread}}?", timeout: 10s }
`;

interface Sample {
  checks: boolean;
  runs: number;
  cpuUs: number;
  wallMs: number;
}

async function measure(checks: boolean): Promise<Sample> {
  const scenario = compileScenarioText(yaml, 'bench/oracle-cost.yaml');
  const out = join(mkdtempSync(join(tmpdir(), 'ct-bench-')), 'r');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { summary } = await runScenario({ scenario, out, checks, workers: 1 });
  const cpu = process.cpuUsage(cpu0);
  return { checks, runs: summary.runs.completed, cpuUs: cpu.user + cpu.system, wallMs: performance.now() - t0 };
}

const samples: Sample[] = [];
for (let r = 0; r < rounds; r++) {
  // Alternate the order so warm-up and drift fall on both sides.
  const order = r % 2 === 0 ? [true, false] : [false, true];
  for (const checks of order) {
    const s = await measure(checks);
    samples.push(s);
    console.log(
      `round ${r + 1} checks ${checks ? 'on ' : 'off'}: ${s.runs} runs, ${(s.cpuUs / s.runs).toFixed(1)} CPU-µs/run, ${(s.runs / (s.wallMs / 1000)).toFixed(0)} runs/s`,
    );
  }
}
const perRun = (on: boolean): number => {
  const xs = samples.filter((s) => s.checks === on);
  return xs.reduce((a, s) => a + s.cpuUs, 0) / xs.reduce((a, s) => a + s.runs, 0);
};
const on = perRun(true);
const off = perRun(false);
console.log(
  `\nCPU per agent run: checks on ${on.toFixed(1)} µs, off ${off.toFixed(1)} µs, ratio ${(on / off).toFixed(3)} (goal < 1.10)`,
);
