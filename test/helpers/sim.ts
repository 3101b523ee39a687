// Helpers for end-to-end tests of `simulate run`: temp scenarios, runScenario
// in-process, summary.json (the CLI as a child process: cli.ts). No side effects at import time.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../../src/config/load-scenario.js';
import type { CounterSummary, Summary, TrendSummary } from '../../src/core/summary.js';
import { runScenario, type ScenarioResult } from '../../src/runtime/run-scenario.js';
import { envWithout } from './cli.js';

const tempDirs: string[] = [];

/** A fresh temp folder, removed by {@link removeTempDirs}. */
export function makeTempDir(prefix = 'crosstalk-e2e-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

/** Removes every folder {@link makeTempDir} made in this process (call in an `after` hook). */
export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A temp folder holding `scenario.yaml` with `yaml`; `out` is a not-yet-existing results folder inside it. */
export interface ScenarioFiles {
  readonly dir: string;
  readonly file: string;
  readonly out: string;
}

/** Writes a scenario into a new temp folder. */
export function writeScenario(yaml: string, name = 'scenario.yaml'): ScenarioFiles {
  const dir = makeTempDir();
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return { dir, file, out: join(dir, 'results') };
}

/** Reads and parses `<dir>/summary.json`. */
export function readSummary(dir: string): Summary {
  return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
}

/** True when `<dir>/summary.json` exists. */
export function hasSummary(dir: string): boolean {
  return existsSync(join(dir, 'summary.json'));
}

/** A trend of the summary; fails loudly when missing or not a trend. */
export function trend(s: Summary, name: string): TrendSummary {
  const m = s.metrics[name];
  if (!m || m.type !== 'trend')
    throw new Error(`summary has no trend "${name}"; metrics: ${Object.keys(s.metrics).join(', ')}`);
  return m;
}

/** The count of a trend, 0 when it was never recorded (summaries leave empty trends out). */
export function trendCount(s: Summary, name: string): number {
  const m = s.metrics[name];
  return m && m.type === 'trend' ? m.count : 0;
}

/** The value of a counter, 0 when absent. */
export function counter(s: Summary, name: string): number {
  const m = s.metrics[name] as CounterSummary | undefined;
  return m && m.type === 'counter' ? m.value : 0;
}

/** A one-line digest of a summary for assertion messages. */
export function digest(s: Summary): string {
  const c = (n: string): number => counter(s, n);
  return JSON.stringify({
    exitCode: s.exitCode,
    runs: s.runs,
    errors: s.errors,
    users: s.users,
    iterations: c('iterations'),
    connections: c('ws.connections'),
    dropped: c('dropped'),
    trends: Object.fromEntries(
      Object.entries(s.metrics)
        .filter(([, m]) => m.type === 'trend')
        .map(([k, m]) => [k, (m as TrendSummary).count]),
    ),
  });
}

/** Loads `yaml` from a temp file and runs it in this process; results go to a temp folder. */
export async function runInProcess(
  yaml: string,
  opts: { targetUrl?: string; env?: NodeJS.ProcessEnv; set?: string[] } = {},
): Promise<ScenarioResult & { files: ScenarioFiles }> {
  const files = writeScenario(yaml);
  const scenario = loadScenario(files.file, {
    ...(opts.targetUrl !== undefined ? { targetUrl: opts.targetUrl } : {}),
    ...(opts.set ? { set: opts.set } : {}),
  });
  const result = await runScenario({ scenario, out: files.out, env: opts.env ?? envWithout('SIM_JWT_SECRET') });
  return { ...result, files };
}

/**
 * A loopback port that nothing listens on (bound, then released), taken below the kernel's ephemeral range.
 * A port from listen(0) is in that range, where any of the thousands of connections other test files open
 * at the same time may take it as its local port before the caller binds it (then EADDRINUSE).
 */
export async function findClosedPort(): Promise<number> {
  const low = ephemeralPortLow();
  const from = Math.max(1024, low - 12_000);
  for (let attempt = 0; ; attempt++) {
    const port = from + Math.floor(Math.random() * (low - from));
    const srv = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) {
      await new Promise<void>((resolve) => srv.close(() => resolve()));
      return port;
    }
    if (attempt === 50) throw new Error(`no free loopback port in ${from}..${low - 1} after 50 tries`);
  }
}

/** The lowest port the kernel hands out for listen(0) and outgoing connections (Linux; 32768 elsewhere). */
function ephemeralPortLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2048 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** Waits until `predicate()` holds, polling; rejects after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * `text` without the canary word a simulated user may append to what it sends
 * (protocol.md: "each simulated user embeds unique marker strings"), so tests
 * can compare rendered text whatever the marker is.
 */
export function withoutCanary(text: string): string {
  return text.replace(/ zq[a-z]+$/, '');
}

/** `metadata` without the `canary` key a simulated user may add to it. */
export function metadataWithoutCanary(metadata: Record<string, unknown>): Record<string, unknown> {
  const { canary: _canary, ...rest } = metadata;
  return rest;
}
