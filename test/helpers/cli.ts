// The CLI as a child process for every test folder: the repository root, the
// one "is this a stack trace?" pattern, and `node bin/simulate <args>` run
// from the root with a bound on its time. No side effects at import time.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is dist/test/helpers/cli.js once compiled). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * A line of a JavaScript stack trace, with or without a function name:
 * `    at fn (file:///x.js:1:2)` or `    at file:///x.js:1:2`. Bad input
 * must never print one.
 */
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

/** The environment of this process without `names` (e.g. SIM_JWT_SECRET). */
export function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const n of names) delete env[n];
  return env;
}

/** How a CLI child process ended. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Killed after its time bound. */
  readonly timedOut: boolean;
  readonly elapsedMs: number;
}

/** A CLI child process still running. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves when it exits; it is SIGKILLed after `timeoutMs`. */
  readonly result: Promise<CliResult>;
}

/** How to start the CLI. */
export interface CliOptions {
  /** Default: this process's environment without SIM_JWT_SECRET (the embedded target mints its own) and SIM_DEBUG (it prints stacks). */
  readonly env?: NodeJS.ProcessEnv;
  /** SIGKILLed after this long; default 30 s. */
  readonly timeoutMs?: number;
  readonly detached?: boolean;
}

const children = new Set<ChildProcess>();

/** Starts `node bin/simulate <args>` with cwd the repository root. */
export function spawnCli(args: readonly string[], opts: CliOptions = {}): CliProcess {
  const started = performance.now();
  const child = spawn(process.execPath, ['bin/simulate', ...args], {
    cwd: ROOT,
    env: opts.env ?? envWithout('SIM_JWT_SECRET', 'SIM_DEBUG'),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (c: string) => {
    out += c;
  });
  child.stderr.on('data', (c: string) => {
    err += c;
  });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let timedOut = false;
  const result = new Promise<CliResult>((resolve) => {
    const timer = setTimeout(() => {
      timedOut = true;
      err += `\n[test] killed after ${timeoutMs} ms\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout: out, stderr: err, timedOut, elapsedMs: performance.now() - started });
    });
  });
  return { child, stdout: () => out, stderr: () => err, result };
}

/** Runs `node bin/simulate <args>` to its end. */
export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, opts).result;
}

/** SIGKILLs every CLI child still running (call in an `after` hook). */
export function killCliChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
