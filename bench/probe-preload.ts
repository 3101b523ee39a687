/**
 * Measurement probe for bench/scale.ts, loaded into the client under test
 * (the bare client or crosstalk alike) with
 * `node --import <file URL of dist/bench/probe-preload.js>`. Does nothing
 * unless CT_PROBE_FILE names a file; then it appends one JSON line:
 *
 *  - on SIGUSR2 ("mark"): CPU so far, event-loop delay since the previous
 *    mark (when CT_PROBE_LAG=1), and process.memoryUsage() after a full GC
 *    when the process runs with --expose-gc; with CT_PROBE_SNAPSHOT=path the
 *    first mark also writes a heap snapshot there, and every mark when the
 *    path contains `{n}` (replaced by the mark's number) (profiling only);
 *  - with CT_PROBE_EVERY_MS=n: every n ms, process.memoryUsage() and the
 *    V8 heap spaces as they are (no forced GC), to see what RSS is made of;
 *  - on exit: whole-process CPU (process.cpuUsage: user + system of every
 *    thread, µs) and peak RSS.
 *
 * The same probe goes into both clients, so its own (tiny) cost is on both
 * sides of every ratio. It keeps nothing alive and touches no socket.
 */
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

const file = process.env.CT_PROBE_FILE;
if (file) {
  const write = (o: Record<string, unknown>): void => appendFileSync(file, `${JSON.stringify(o)}\n`);
  const cpu = (): { user: number; system: number; total: number } => {
    const c = process.cpuUsage();
    return { user: c.user, system: c.system, total: c.user + c.system };
  };
  // monitorEventLoopDelay counts the 10 ms sampling interval itself as delay; only what exceeds it is lag.
  const lag = process.env.CT_PROBE_LAG === '1' ? monitorEventLoopDelay({ resolution: 10 }) : undefined;
  lag?.enable();
  const ms = (ns: number): number => Math.round(Math.max(0, ns - 10e6) / 1e3) / 1e3;
  let marks = 0;
  let snapshot = process.env.CT_PROBE_SNAPSHOT;
  process.on('SIGUSR2', () => {
    const t = performance.now();
    const window =
      lag && lag.count > 0
        ? { p50Ms: ms(lag.percentile(50)), p99Ms: ms(lag.percentile(99)), maxMs: ms(lag.max), samples: lag.count }
        : undefined;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) gc();
    const m = process.memoryUsage();
    let snapshotFile: string | undefined;
    const n = ++marks;
    if (snapshot) {
      snapshotFile = writeHeapSnapshot(snapshot.replace('{n}', String(n)));
      if (!snapshot.includes('{n}')) snapshot = undefined;
    }
    write({
      event: 'mark',
      n,
      tMs: Math.round(t),
      tEndMs: Math.round(performance.now()),
      cpu: cpu(),
      lag: window,
      gcForced: gc !== undefined,
      memory: {
        rss: m.rss,
        heapTotal: m.heapTotal,
        heapUsed: m.heapUsed,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
      },
      ...(snapshotFile ? { snapshotFile } : {}),
    });
    lag?.reset();
  });
  const everyMs = Number(process.env.CT_PROBE_EVERY_MS ?? 0);
  if (everyMs > 0) {
    setInterval(() => {
      const m = process.memoryUsage();
      const spaces: Record<string, number> = {};
      for (const sp of getHeapSpaceStatistics()) if (sp.space_size > 0) spaces[sp.space_name] = sp.space_size;
      write({
        event: 'sample',
        tMs: Math.round(performance.now()),
        memory: {
          rss: m.rss,
          heapTotal: m.heapTotal,
          heapUsed: m.heapUsed,
          external: m.external,
          arrayBuffers: m.arrayBuffers,
        },
        spaces,
      });
    }, everyMs).unref();
  }
  process.on('exit', (code) => {
    const r = process.resourceUsage();
    write({ event: 'exit', code, tMs: Math.round(performance.now()), cpu: cpu(), maxRssKiB: r.maxRSS });
  });
}
