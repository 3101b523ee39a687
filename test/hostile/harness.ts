// Shared by the hostile-backend tests: scenarios in temp folders, the real CLI
// (`node bin/simulate run ... --quiet --no-progress`) as a child process with
// its RSS sampled from /proc, and checks that a results folder is complete and
// valid. The repository root and the stack-trace pattern come from
// ../helpers/cli.ts, like every other folder's.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { XMLValidator } from 'fast-xml-parser';
import type { Summary } from '../../src/core/summary.js';
import { ROOT, STACK_LINE } from '../helpers/cli.js';

export const SECRET = 'hostile-suite-secret-0123456789-abcdefghijklmnop';

const tempDirs: string[] = [];
const children = new Set<ChildProcess>();

/** A temp folder with `scenario.yaml`; `out` does not exist yet. */
export function writeScenario(yaml: string): { dir: string; file: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-hostile-'));
  tempDirs.push(dir);
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, yaml);
  return { dir, file, out: join(dir, 'results') };
}

/** Removes the temp folders and kills any child still running (for `after`). */
export function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface ScenarioOptions {
  name: string;
  users?: number;
  /** Closed-model duration (default 3s). */
  duration?: string;
  gracefulStop?: string;
  connectTimeout?: string;
  requestTimeout?: string;
  /** Flow steps as YAML flow-sequence items. */
  flow?: string;
  thresholds?: string[];
}

/** The planned duration and grace of {@link scenarioYaml}'s defaults, in ms. */
export const DEFAULT_DURATION_MS = 3000;
export const DEFAULT_GRACE_MS = 2000;

/** A small closed-model scenario with short timeouts (the target comes from --target). */
export function scenarioYaml(o: ScenarioOptions): string {
  return [
    `name: ${o.name}`,
    `target: { connectTimeout: ${o.connectTimeout ?? '2s'}, requestTimeout: ${o.requestTimeout ?? '2s'} }`,
    'cohorts:',
    '  c:',
    '    model: closed',
    `    users: ${o.users ?? 2}`,
    `    duration: ${o.duration ?? '3s'}`,
    `    gracefulStop: ${o.gracefulStop ?? '2s'}`,
    `    flow: [${o.flow ?? 'connect, createThread, { sendMessage: { content: "hello from {{user}}", timeout: 2s } }, listThreads, { think: 200ms }'}]`,
    ...(o.thresholds?.length ? ['thresholds:', ...o.thresholds.map((t) => `  ${t}`)] : []),
    '',
  ].join('\n');
}

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
  /** Largest VmRSS seen, in MiB (sampled every 100 ms). */
  readonly maxRssMiB: number;
  readonly rssSamples: number;
}

export interface CliHandle {
  readonly child: ChildProcess;
  readonly result: Promise<CliRun>;
}

function readRssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts `node bin/simulate run <file> --target <url> --out <out> --quiet --no-progress`. */
export function startRun(
  file: string,
  targetUrl: string,
  out: string,
  opts: { env?: NodeJS.ProcessEnv; killAfterMs?: number; extraArgs?: string[] } = {},
): CliHandle {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      'bin/simulate',
      'run',
      file,
      '--target',
      targetUrl,
      '--out',
      out,
      '--quiet',
      '--no-progress',
      ...(opts.extraArgs ?? []),
    ],
    {
      cwd: ROOT,
      env: opts.env ?? { ...process.env, SIM_JWT_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.on('data', (c: string) => {
    stderr += c;
  });
  let maxKiB = 0;
  let samples = 0;
  const sampler = setInterval(() => {
    const k = child.pid !== undefined ? readRssKiB(child.pid) : undefined;
    if (k !== undefined) {
      samples++;
      if (k > maxKiB) maxKiB = k;
    }
  }, 100);
  const killAfterMs = opts.killAfterMs ?? 60_000;
  const result = new Promise<CliRun>((resolve) => {
    const timer = setTimeout(() => {
      stderr += `\n[test] killed after ${killAfterMs} ms\n`;
      child.kill('SIGKILL');
    }, killAfterMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      children.delete(child);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        elapsedMs: performance.now() - started,
        maxRssMiB: Math.round(maxKiB / 1024),
        rssSamples: samples,
      });
    });
  });
  return { child, result };
}

/** Runs `simulate run` against `targetUrl` to its end (see {@link startRun}). */
export function runAgainst(
  file: string,
  targetUrl: string,
  out: string,
  opts: { env?: NodeJS.ProcessEnv; killAfterMs?: number; extraArgs?: string[] } = {},
): Promise<CliRun> {
  return startRun(file, targetUrl, out, opts).result;
}

export function readSummary(out: string): Summary {
  return JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
}

/** The value of a counter in a summary, 0 when absent. */
export function counter(s: Summary, name: string): number {
  const m = s.metrics[name];
  return m && m.type === 'counter' ? m.value : 0;
}

/** A one-line digest for assertion messages. */
export function digest(s: Summary, r?: CliRun): string {
  return JSON.stringify({
    exit: s.exitCode,
    durationMs: s.durationMs,
    errors: s.errors,
    runs: s.runs,
    isolation: s.isolation,
    lifecycle: s.lifecycle,
    malformed: counter(s, 'ws.malformed_frames'),
    frames: counter(s, 'ws.frames_received'),
    connections: counter(s, 'ws.connections'),
    ...(r ? { elapsedMs: Math.round(r.elapsedMs), maxRssMiB: r.maxRssMiB, stderr: r.stderr.slice(0, 500) } : {}),
  });
}

/**
 * The checks every hostile run shares: the expected exit code, no stack
 * trace, the run (summary durationMs) ended within planned + grace + 10 s and
 * the process within 20 s more (start-up, writing results, a busy machine
 * running other suites at once), and a complete, valid
 * results folder (summary.json that agrees with the exit code, junit.xml that
 * parses, report.html, violations.jsonl of JSON lines). Returns the summary.
 */
export function assertCompleteRun(
  r: CliRun,
  out: string,
  expect: { code: number; plannedMs?: number; graceMs?: number },
): Summary {
  const bound = (expect.plannedMs ?? DEFAULT_DURATION_MS) + (expect.graceMs ?? DEFAULT_GRACE_MS) + 10_000;
  assert.doesNotMatch(r.stderr, STACK_LINE, `no stack trace on stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error/i, `no internal error:\n${r.stderr}`);
  assert.ok(existsSync(join(out, 'summary.json')), `summary.json written (exit ${r.code}; stderr: ${r.stderr})`);
  const s = readSummary(out);
  assert.equal(r.code, expect.code, `exit code; ${digest(s, r)}`);
  assert.equal(s.schema, 'crosstalk.summary/2');
  assert.equal(s.exitCode, expect.code, 'summary.json records the exit code');
  assert.equal(s.verdict, expect.code === 0 ? 'pass' : expect.code === 4 ? 'untested' : 'fail');
  assert.ok(
    s.durationMs < bound,
    `the run ended on time: durationMs ${s.durationMs}, bound ${bound} ms; ${digest(s, r)}`,
  );
  assert.ok(
    r.elapsedMs < bound + 20_000,
    `the process ended on time: ${Math.round(r.elapsedMs)} ms, bound ${bound + 20_000} ms; ${digest(s, r)}`,
  );
  assert.equal(typeof s.errors.count, 'number');
  assert.equal(typeof s.errors.byKind, 'object');
  const xml = readFileSync(join(out, 'junit.xml'), 'utf8');
  assert.equal(XMLValidator.validate(xml), true, 'junit.xml is well-formed');
  assert.match(xml, /<testsuites?[\s>]/);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.match(html, /<html[\s>]/i, 'report.html is a page');
  const lines = readFileSync(join(out, 'violations.jsonl'), 'utf8').split('\n').filter(Boolean);
  for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), `violations.jsonl line parses: ${l.slice(0, 200)}`);
  assert.equal(r.stdout, `${out}\n`, 'with --quiet, stdout is the results folder alone');
  return s;
}

/** violations.jsonl as objects. */
export function readViolations(out: string): Array<
  Record<string, unknown> & {
    class: string;
    kind: string;
    frame?: string;
    receiver: { user: string };
    owner?: string;
    value?: string;
  }
> {
  const p = join(out, 'violations.jsonl');
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ReturnType<typeof readViolations>[number]);
}

/** Polls until `predicate()` holds; rejects after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Memoises an async computation shared by several tests (one CLI run, several assertions). */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}
