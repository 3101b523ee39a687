/**
 * What the machine is doing while a bench measures: CPU and memory of a
 * process from /proc, other work on the machine during a measurement, and
 * waiting for a quiet machine. Used by bench/scale.ts and bench/transports.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { log, sleep } from './pinned-process.js';

const CLK_TCK = 100;

/** CPU of every thread of `pid` from schedstat, µs (ns precision), or undefined when gone. */
export function schedCpuUs(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* thread ended */
      }
    }
    return ns / 1000;
  } catch {
    return undefined;
  }
}

/** utime + stime of `pid` from /proc/<pid>/stat, µs (10 ms resolution). */
export function statCpuUs(pid: number): number | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** VmRSS of `pid` in bytes. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Busy and total CPU of the whole machine from /proc/stat, µs. */
export function machineCpuUs(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: (busy * 1e6) / CLK_TCK, total: ((busy + idle + iowait) * 1e6) / CLK_TCK };
}

/**
 * Other work on the machine during a phase: machine-wide busy CPU minus what
 * this bench's own processes (driver, target, client) used, as a share of
 * all cores. Measurements taken while something else ran are repeated.
 */
export class LoadWatch {
  private readonly m0 = machineCpuUs();
  private readonly own = new Map<number, { base: number; last: number; final?: number }>();
  private readonly timer = setInterval(() => this.sample(), 200);

  constructor() {
    this.add(process.pid, true);
  }

  /** Counts `pid`'s CPU from now (`fromNow`) or from its start (a process started in this phase). */
  add(pid: number, fromNow = false): void {
    const c = statCpuUs(pid) ?? 0;
    this.own.set(pid, { base: fromNow ? c : 0, last: c });
  }

  /** A precise final figure for a process that has exited (its probe's exit line). */
  final(pid: number, cpuUs: number): void {
    const o = this.own.get(pid);
    if (o) o.final = cpuUs;
  }

  private sample(): void {
    for (const [pid, o] of this.own) {
      const c = statCpuUs(pid);
      if (c !== undefined) o.last = c;
    }
  }

  /** Foreign CPU over the phase, % of the machine. */
  finish(): number {
    this.sample();
    clearInterval(this.timer);
    const m1 = machineCpuUs();
    let own = 0;
    for (const o of this.own.values()) own += (o.final ?? o.last) - o.base;
    const total = m1.total - this.m0.total;
    return total > 0 ? Math.max(0, Math.round(((m1.busy - this.m0.busy - own) / total) * 1000) / 10) : 0;
  }
}

/** Waits (at most `maxMs`) for the machine to be quiet: under 10% busy over a second. Answers the last busy %. */
export async function waitQuiet(maxMs = 180_000): Promise<number> {
  const deadline = performance.now() + maxMs;
  let said = false;
  for (;;) {
    const a = machineCpuUs();
    await sleep(1000);
    const b = machineCpuUs();
    const busy = ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100;
    if (busy < 10 || performance.now() > deadline) return Math.round(busy);
    if (!said) {
      log(
        `  machine busy (${busy.toFixed(0)}% of all cores, not this bench): waiting up to ${Math.round(maxMs / 1000)} s for quiet`,
      );
      said = true;
    }
  }
}

/**
 * Runs a measurement on a quiet machine (waiting at most `waitMs` for one);
 * repeats it, up to `attempts` in all, when other work took over 10% of the
 * machine meanwhile. The last attempt is kept either way, its share with it.
 */
export async function quietly<T extends { foreignPct: number }>(
  what: string,
  fn: () => Promise<T>,
  opts: { waitMs?: number; attempts?: number } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 3;
  let s: T | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    await waitQuiet(opts.waitMs);
    s = await fn();
    if (s.foreignPct <= 10) return s;
    log(
      `  ${what}: other work used ${s.foreignPct}% of the machine meanwhile${attempt < attempts - 1 ? '; measuring again' : '; keeping it, marked'}`,
    );
  }
  return s!;
}
