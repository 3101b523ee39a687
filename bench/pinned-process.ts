/**
 * Processes a bench starts: each pinned to a core with taskset, in its own
 * process group (so it is killed with whatever it started, by its id), with
 * its output kept (capped). Used by bench/scale.ts and bench/transports.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** A process started here, in its own group, with its output kept (capped). */
export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startedAt: number;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;
}

const live = new Set<Proc>();

/** A time-stamped line on stderr: the bench's progress log. */
export const log = (s: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
};

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `cmd` pinned to `core`, through bash so the fd limit can be raised
 * (to 65536 when allowed, else to the hard limit); bash execs taskset, which
 * execs the command, so the pid is the command's.
 */
export function startPinned(
  core: number | string,
  cmd: readonly string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv },
): Proc {
  const script = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec taskset -c "$0" "$@"';
  const child = spawn('bash', ['-c', script, String(core), ...cmd], {
    cwd: opts.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  if (child.pid === undefined) throw new Error(`could not start ${cmd.join(' ')}`);
  const p: Proc = {
    child,
    pid: child.pid,
    startedAt: performance.now(),
    stdout: '',
    stderr: '',
    exitCode: undefined,
    exited: new Promise((res) =>
      child.on('exit', (code) => {
        p.exitCode = code;
        live.delete(p);
        res(code);
      }),
    ),
  };
  child.stdout.on('data', (d: Buffer) => {
    if (p.stdout.length < 1 << 20) p.stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    if (p.stderr.length < 1 << 16) p.stderr += d.toString();
  });
  live.add(p);
  return p;
}

/** Kills a process group started here (by its id). */
export function killGroup(p: Proc, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (p.exitCode !== undefined) return;
  try {
    process.kill(-p.pid, signal);
  } catch {
    /* already gone */
  }
}

/** Waits for exit; past `ms` the group is killed and undefined is answered. */
export async function waitExit(p: Proc, ms: number): Promise<number | null | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    p.exited,
    new Promise<'timeout'>((res) => {
      timer = setTimeout(res, ms, 'timeout');
    }),
  ]);
  clearTimeout(timer);
  if (r !== 'timeout') return r;
  log(`  pid ${p.pid} did not exit within ${Math.round(ms / 1000)} s: killed`);
  killGroup(p);
  await Promise.race([p.exited, sleep(2000)]);
  return undefined;
}

/** Kills every process group started here that is still running. */
export const killAllStarted = (): void => {
  for (const p of live) killGroup(p);
};

/** Kills what was started here when the bench exits or is interrupted. */
export function killStartedOnExit(): void {
  process.on('exit', killAllStarted);
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      log(`${sig}: stopping`);
      killAllStarted();
      process.exit(130);
    });
}

/** A reference target a bench started. */
export interface BenchTarget {
  url: string;
  proc: Proc;
}

/**
 * Starts `simulate serve --agent instant` (plus `args`) through `start`, so it
 * gets the bench's core, checkout and secret, on core 1; waits for its
 * listening line (15 s at most).
 */
export async function startBenchTarget(
  start: (core: number, cmd: readonly string[]) => Proc,
  simulate: string,
  args: readonly string[] = [],
): Promise<BenchTarget> {
  const serve = ['serve', '--host', '127.0.0.1', '--port', '0', '--agent', 'instant', ...args, '--log-level', 'warn'];
  const proc = start(1, ['node', simulate, ...serve]);
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline && proc.exitCode === undefined) {
    const m = /crosstalk target listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(proc.stdout);
    if (m) return { url: m[1]!, proc };
    await sleep(20);
  }
  killGroup(proc);
  throw new Error(`target (${serve.join(' ')}) did not start: ${proc.stderr.slice(0, 500)}`);
}

/** SIGTERM to the target's group, SIGKILL after 5 s. */
export async function stopBenchTarget(t: BenchTarget): Promise<void> {
  killGroup(t.proc, 'SIGTERM');
  if ((await Promise.race([t.proc.exited.then(() => true), sleep(5000).then(() => false)])) === false)
    killGroup(t.proc);
}
