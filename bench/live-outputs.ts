/**
 * What live outputs cost the generator: CPU per completed agent run with no
 * outputs and with both (remote write to a local receiver and /metrics
 * scraped every second), alternating in one process against the embedded
 * target (instant agent), several rounds. Users pause 40–60 ms between
 * messages, so both sides run about the same runs/s on a busy machine:
 * CPU per run includes per-second costs (timers, the loop-lag sampler)
 * that a side starved into fewer runs would spread thinner. A shared
 * machine's noise is larger than 3%, so the bench also reports what the
 * publishing work itself cost, as run.log states it (process CPU around
 * each interval's building and encoding, and around formatting scrapes):
 * that share does not depend on the neighbours. Last, the steady-state
 * cost of one interval is timed alone on the series of the last run (its
 * histograms rebuilt from summary.json): build, remote-write encoding and
 * /metrics formatting (once per interval, however often scrapes come),
 * 20 times, median. The receiver runs in its own
 * process and is not counted: Debian's prometheus when installed (it also
 * scrapes), else a minimal Node receiver (then nothing scrapes). Goal:
 * with/without within 3%.
 *
 *   npm run build && node dist/bench/live-outputs.js [rounds=3] [users=40] [seconds=8] [interval=5s]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compileScenarioText } from '../src/config/load-scenario.js';
import { decodeHistogram } from '../src/core/histogram.js';
import { computeLiveFrame } from '../src/core/live-frame.js';
import { MetricRegistry } from '../src/core/metric-registry.js';
import { PromFamilyBuilder } from '../src/core/prom-families.js';
import type { Summary } from '../src/core/summary.js';
import { startMetricsEndpoint } from '../src/output/metrics-endpoint.js';
import { encodeWriteRequests } from '../src/protocol/remote-write-encoding.js';
import { runScenario } from '../src/runtime/run-scenario.js';
import { findPrometheus, startPrometheus } from '../test/helpers/prometheus.js';
import { findClosedPort, removeTempDirs } from '../test/helpers/sim.js';

const rounds = Number(process.argv[2] ?? 3);
const users = Number(process.argv[3] ?? 40);
const seconds = Number(process.argv[4] ?? 8);
const interval = process.argv[5] ?? '5s';

const scenario = (outputs: string): string => `name: live-outputs
target: { embedded: { agent: instant, seed: 1 } }
cohorts:
  chatters:
    users: ${users}
    duration: ${seconds}s
    flow:
      - connect
      - createThread: { title: "Bench {{user}}" }
      - repeat:
          duration: ${seconds}s
          steps:
            - sendMessage: { content: "How much did we spend on {{thread}}?", timeout: 10s }
            - think: { min: 40ms, max: 60ms }
${outputs}`;

/** A remote-write receiver in a child process when there is no Prometheus: reads each body, answers 204. */
async function startNodeReceiver(): Promise<{ writeUrl: string; close(): Promise<void> }> {
  const port = await findClosedPort();
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => s.writeHead(204).end()); }).listen(${port}, '127.0.0.1', () => console.log('up'))`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((r) => child.stdout.once('data', () => r()));
  return {
    writeUrl: `http://127.0.0.1:${port}/api/v1/write`,
    close: () => {
      child.kill();
      return Promise.resolve();
    },
  };
}

const metricsPort = await findClosedPort();
const bin = findPrometheus();
const receiver = bin
  ? await startPrometheus(bin, [`127.0.0.1:${metricsPort}`], 30 * 60_000)
  : await startNodeReceiver();
console.log(
  `receiver: ${bin ? `prometheus (${bin}), scraping /metrics every 1 s` : 'a Node receiver in a child process (no prometheus: /metrics is served but not scraped)'}; interval ${interval}`,
);
const outputs = `outputs:
  interval: ${interval}
  metricsPort: ${metricsPort}
  metricsHost: 127.0.0.1
  publish: ["prometheus-rw=${receiver.writeUrl}"]
`;

interface Sample {
  on: boolean;
  runs: number;
  cpuUs: number;
  wallMs: number;
  sent: number;
  dropped: number;
  workMs: number;
  intervals: number;
  summary: Summary;
}

/** run.log's account of the publishing work: CPU building and encoding intervals, and formatting scrapes. */
function readPublishingCost(dir: string): { workMs: number; intervals: number } {
  const line = readFileSync(join(dir, 'run.log'), 'utf8')
    .split('\n')
    .find((l) => l.includes('"live outputs closed"'));
  if (!line) return { workMs: 0, intervals: 0 };
  const o = JSON.parse(line) as { intervals: number; publishCpuMs: number; metricsEndpoint?: { serveCpuMs: number } };
  return { workMs: o.publishCpuMs + (o.metricsEndpoint?.serveCpuMs ?? 0), intervals: o.intervals };
}

async function measure(on: boolean, text = scenario(on ? outputs : '')): Promise<Sample> {
  const sc = compileScenarioText(text, 'bench/live-outputs.yaml');
  const out = join(mkdtempSync(join(tmpdir(), 'ct-bench-')), 'r');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { summary } = await runScenario({ scenario: sc, out, workers: 1 });
  const cpu = process.cpuUsage(cpu0);
  const rw = summary.outputs?.prometheusRw[0];
  const cost = readPublishingCost(out);
  rmSync(dirname(out), { recursive: true, force: true });
  return {
    on,
    runs: summary.runs.completed,
    cpuUs: cpu.user + cpu.system,
    wallMs: performance.now() - t0,
    sent: rw?.samplesSent ?? 0,
    dropped: rw?.samplesDropped ?? 0,
    ...cost,
    summary,
  };
}

/** The registry a run's summary describes: every trend and counter per cohort. */
function registryOf(s: Summary): MetricRegistry {
  const r = new MetricRegistry();
  for (const [name, m] of Object.entries(s.metrics)) {
    const tags = Object.entries(m.byTag).filter(([k]) => k.startsWith('cohort:'));
    for (const [k, v] of tags.length ? tags : [['', m] as const]) {
      const t: Record<string, string> = k ? { cohort: k.slice('cohort:'.length) } : {};
      if (m.type === 'trend') r.trend(name, t).hist.add(decodeHistogram((v as { hdr: string }).hdr));
      else r.counter(name, t).add(typeof v === 'number' ? v : (v as { value: number }).value);
    }
  }
  return r;
}

/** CPU (ms) of one steady interval on `s`'s series: building and encoding it, and formatting it for scrapes (once per interval, as the endpoint counts it); medians of 20. */
async function timeOneInterval(s: Summary): Promise<{ publishMs: number; formatMs: number; series: number }> {
  const registry = registryOf(s);
  const builder = new PromFamilyBuilder({ scenario: 'live-outputs', segment: '0/1', run: 'bench' });
  const endpoint = await startMetricsEndpoint('127.0.0.1', 0);
  const times: number[] = [];
  let series = 0;
  const rounds = 22;
  for (let i = 0; i < rounds; i++) {
    // What an interval adds: a few hundred new samples in every series.
    for (const t of registry.allTrends())
      for (let k = 0; k < 200; k++) t.record(t.hist.getValueAtPercentile(Math.random() * 100));
    const cpu0 = process.cpuUsage();
    const families = builder.build(computeLiveFrame(registry));
    encodeWriteRequests(families, Date.now());
    endpoint.update(families);
    const cpu = process.cpuUsage(cpu0);
    if (i >= 2) times.push((cpu.user + cpu.system) / 1000);
    series = families.reduce((a, f) => a + f.samples.length, 0);
    await (await fetch(endpoint.url)).text();
  }
  const closed = await endpoint.close(0);
  return {
    publishMs: times.sort((x, y) => x - y)[Math.floor(times.length / 2)]!,
    formatMs: closed.serveCpuMs / rounds,
    series,
  };
}

const samples: Sample[] = [];
try {
  // Warm-up (JIT, first connections), not counted.
  await measure(
    false,
    scenario('').replace(`duration: ${seconds}s`, 'duration: 3s').replace(`duration: ${seconds}s`, 'duration: 3s'),
  );
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so warm-up and drift fall on both sides.
    for (const on of r % 2 === 0 ? [false, true] : [true, false]) {
      const s = await measure(on);
      samples.push(s);
      console.log(
        `round ${r + 1} outputs ${on ? 'on ' : 'off'}: ${s.runs} runs, ${(s.cpuUs / s.runs).toFixed(1)} CPU-µs/run, ${(s.runs / (s.wallMs / 1000)).toFixed(0)} runs/s${on ? `, ${s.sent} samples sent, ${s.dropped} dropped, publishing ${s.workMs.toFixed(1)} ms CPU over ${s.intervals} intervals (${(((s.workMs * 1000) / s.cpuUs) * 100).toFixed(2)}% of the run's CPU)` : ''}`,
      );
    }
  }
} finally {
  await receiver.close();
  removeTempDirs();
}
const perRun = (on: boolean): number => {
  const xs = samples.filter((s) => s.on === on);
  return xs.reduce((a, s) => a + s.cpuUs, 0) / xs.reduce((a, s) => a + s.runs, 0);
};
const pairs = Array.from({ length: rounds }, (_, r) => samples.slice(r * 2, r * 2 + 2)).map(
  (p) =>
    p.find((s) => s.on)!.cpuUs / p.find((s) => s.on)!.runs / (p.find((s) => !s.on)!.cpuUs / p.find((s) => !s.on)!.runs),
);
const on = perRun(true);
const off = perRun(false);
const onSamples = samples.filter((s) => s.on);
const workShare = onSamples.reduce((a, s) => a + s.workMs * 1000, 0) / onSamples.reduce((a, s) => a + s.cpuUs, 0);
console.log(
  `\nCPU per agent run: outputs on ${on.toFixed(1)} µs, off ${off.toFixed(1)} µs, ratio ${(on / off).toFixed(3)} (goal ≤ 1.03); per round ${pairs.map((p) => p.toFixed(3)).join(', ')}`,
);
console.log(
  `publishing work (build, encode, format scrapes): ${(workShare * 100).toFixed(2)}% of the runs' CPU with outputs on`,
);
const last = onSamples.at(-1)!;
const one = await timeOneInterval(last.summary);
const ratePerSec = last.cpuUs / 1000 / (last.wallMs / 1000);
const intervalMs = Number.parseFloat(interval) * (interval.endsWith('ms') ? 1 : 1000);
const perSecMs = (one.publishMs + one.formatMs) / (intervalMs / 1000);
console.log(
  `one steady interval alone, ${one.series} series: build and encode ${one.publishMs.toFixed(2)} ms CPU, format for scrapes ${one.formatMs.toFixed(2)} ms; every ${interval}: ${perSecMs.toFixed(2)} ms CPU/s against this run's ${ratePerSec.toFixed(0)}: ${((perSecMs / ratePerSec) * 100).toFixed(2)}%`,
);
