// A real Prometheus (Debian's package) for the live-output tests: started on 127.0.0.1 with its own data
// folder, a remote-write receiver and a 1 s scrape of the given targets; killed at the end or after a bound.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findClosedPort, makeTempDir } from './sim.js';

/** The prometheus binary: $PROMETHEUS_BIN, else the first on PATH; undefined when there is none. */
export function findPrometheus(): string | undefined {
  const candidates = [
    process.env.PROMETHEUS_BIN,
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'prometheus')),
  ];
  for (const c of candidates) {
    if (!c) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** A running Prometheus. */
export interface TestPrometheus {
  readonly url: string;
  /** `url`'s remote-write endpoint. */
  readonly writeUrl: string;
  /** Its log, for assertion messages. */
  log(): string;
  /** An instant query's result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  /** A range query's result matrix (step 1 s). */
  queryRange(
    expr: string,
    startSec: number,
    endSec: number,
  ): Promise<Array<{ metric: Record<string, string>; values: number[] }>>;
  /** Values of `label` over the series `match` selects. */
  labelValues(label: string, match: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Starts `bin` scraping `scrapeTargets` (host:port) every second as job "crosstalk"; dies after `lifetimeMs` whatever happens. */
export async function startPrometheus(
  bin: string,
  scrapeTargets: readonly string[],
  lifetimeMs = 120_000,
): Promise<TestPrometheus> {
  const dir = makeTempDir('crosstalk-prometheus-');
  const port = await findClosedPort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: crosstalk
    static_configs:
      - targets: [${scrapeTargets.map((t) => `"${t}"`).join(', ')}]
`,
  );
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => {
    log = (log + c).slice(-20_000);
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), lifetimeMs);
  killer.unref();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited at start (${child.exitCode}): ${log}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus not ready after 30 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const api = async (path: string, params: Record<string, string>): Promise<unknown> => {
    const res = await fetch(`${url}${path}`, { method: 'POST', body: new URLSearchParams(params) });
    const body = (await res.json()) as { status: string; data: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    writeUrl: `${url}/api/v1/write`,
    log: () => log,
    async query(expr) {
      const data = (await api('/api/v1/query', { query: expr })) as {
        result: Array<{ metric: Record<string, string>; value: [number, string] }>;
      };
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async queryRange(expr, startSec, endSec) {
      const data = (await api('/api/v1/query_range', {
        query: expr,
        start: String(startSec),
        end: String(endSec),
        step: '1',
      })) as { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
      return data.result.map((r) => ({ metric: r.metric, values: r.values.map((v) => Number(v[1])) }));
    },
    async labelValues(label, match) {
      const res = await fetch(
        `${url}/api/v1/label/${encodeURIComponent(label)}/values?${new URLSearchParams({ 'match[]': match }).toString()}`,
      );
      return ((await res.json()) as { data: string[] }).data;
    },
    async close() {
      clearTimeout(killer);
      child.kill('SIGTERM');
      const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(hard);
    },
  };
}
