// Helpers of the hardening tests: `simulate serve` as a child process, temp
// folders, and what in a CLI's output shows a crash (the CLI itself:
// ../helpers/cli.ts). No side effects at import time.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { killCliChildren, ROOT, STACK_LINE } from '../helpers/cli.js';

const tempDirs: string[] = [];
const children = new Set<ChildProcess>();

/** A fresh temp folder, removed by {@link cleanup}. */
export function tempDir(prefix = 'crosstalk-hardening-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

/** Kills the children this module started that still run, and removes the temp folders (an `after` hook). */
export function cleanup(): void {
  killCliChildren();
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A `simulate serve` child that printed its listening line. */
export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when it exited. */
  stop(): Promise<void>;
}

/** Starts `node bin/simulate serve --port 0 <args>` and waits for `crosstalk target listening on URL`. */
export async function startServe(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 15_000,
): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['bin/simulate', 'serve', '--port', '0', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    err += s;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not listen within ${timeoutMs} ms; stderr: ${err}`));
    }, timeoutMs);
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      out += `${line}\n`;
      const m = /^crosstalk target listening on (http:\/\/\S+)$/.exec(line.trim());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening; stderr: ${err}`));
    });
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    url,
    child,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(kill);
      }
      children.delete(child);
    },
  };
}

/** What in a CLI's output shows it crashed instead of reporting bad input; undefined when nothing. */
export function crashSign(text: string): string | undefined {
  const stack = STACK_LINE.exec(text);
  if (stack) return `a stack trace line: ${JSON.stringify(stack[0].trim())}`;
  for (const word of ['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'internal error']) {
    const at = text.indexOf(word);
    if (at >= 0) return `"${word}" in ${JSON.stringify(text.slice(Math.max(0, at - 80), at + 160))}`;
  }
  return undefined;
}

/** Runs `fn` over `items` with at most `limit` at once, keeping the order of the results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
