/**
 * Soak: 1000 sessions for 10 minutes on the realistic agent (embedded
 * target), sampling the generator's RSS every 10 s. Passes when the run ends
 * with no error and RSS after warm-up stays within 10% of its first sample.
 *
 *   npm run build && node dist/bench/soak.js [--users 1000] [--minutes 10] [--node-flags "--trace-gc"]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const users = arg('users', 1000);
// Extra node flags for the generator, for investigation (e.g. --node-flags "--trace-gc").
const nodeFlags = (() => {
  const i = process.argv.indexOf('--node-flags');
  return i > 0 ? (process.argv[i + 1] ?? '') : '';
})();
const minutes = arg('minutes', 10);
const warmupS = Math.min(120, minutes * 15);

const dir = mkdtempSync(join(tmpdir(), 'ct-soak-'));
const scenario = join(dir, 'soak.yaml');
writeFileSync(
  scenario,
  `name: soak-bench
target: { embedded: { agent: realistic, seed: 1 } }
cohorts:
  chatters:
    stages: [{ duration: 60s, users: ${users} }, { duration: ${minutes * 60 - 60}s, users: ${users} }]
    gracefulStop: 30s
    flow:
      - connect
      - createThread: { title: "Soak {{user}}" }
      - repeat:
          duration: ${minutes}m
          steps:
            - sendMessage: { content: "Status for {{user}}", timeout: 30s }
            - think: { min: 5s, max: 15s }
            - listMessages: { limit: 10 }
thresholds:
  errors: ["count == 0"]
  isolation.violations: ["count == 0"]
`,
);

const rssKb = (pid: number): number => {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
};

// The probe logs what RSS is made of (JS heap, external) every 10 s, without forcing a GC.
const probeFile = join(dir, 'probe.jsonl');
const probe = pathToFileURL(join(ROOT, 'dist', 'bench', 'probe-preload.js')).href;
const child = spawn(
  'bash',
  [
    '-c',
    `ulimit -n 65536; exec "${process.execPath}" ${nodeFlags} --import ${probe} bin/simulate run "${scenario}" --out "${join(dir, 'results')}" --workers 1 --no-progress --quiet`,
  ],
  {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CT_PROBE_FILE: probeFile, CT_PROBE_EVERY_MS: '10000' },
  },
);
const lastSample = (): string => {
  try {
    const lines = readFileSync(probeFile, 'utf8').trim().split('\n');
    const o = JSON.parse(lines[lines.length - 1]!) as { event: string; memory?: Record<string, number> };
    if (o.event !== 'sample' || !o.memory) return '';
    const mb = (k: string): string => (o.memory![k]! / 2 ** 20).toFixed(1);
    return ` (heap used ${mb('heapUsed')} of ${mb('heapTotal')}, external ${mb('external')}, array buffers ${mb('arrayBuffers')})`;
  } catch {
    return '';
  }
};
const samples: Array<{ t: number; mb: number }> = [];
const t0 = Date.now();
const timer = setInterval(() => {
  const mb = rssKb(child.pid!) / 1024;
  const t = Math.round((Date.now() - t0) / 1000);
  samples.push({ t, mb });
  console.log(`${t}s rss ${mb.toFixed(1)} MiB${lastSample()}`);
}, 10_000);
// Bounded: the scenario's length plus its grace and a margin.
const killer = setTimeout(() => child.kill('SIGKILL'), (minutes * 60 + 120) * 1000);
const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
clearInterval(timer);
clearTimeout(killer);
const summary = JSON.parse(readFileSync(join(dir, 'results', 'summary.json'), 'utf8')) as {
  errors: { count: number; byKind: Record<string, number> };
  runs: { completed: number };
  isolation: { violations: number };
  generator: unknown;
};
const steady = samples.filter((s) => s.t >= warmupS);
const first = steady[0]?.mb ?? 0;
const last = steady[steady.length - 1]?.mb ?? 0;
const max = Math.max(...steady.map((s) => s.mb));
const drift = first ? (max - first) / first : 0;
console.log(
  `\nexit ${code}; runs ${summary.runs.completed}; errors ${summary.errors.count} ${JSON.stringify(summary.errors.byKind)}; isolation ${summary.isolation.violations}`,
);
console.log(
  `RSS after ${warmupS}s warm-up: first ${first.toFixed(1)} MiB, last ${last.toFixed(1)} MiB, max ${max.toFixed(1)} MiB, drift ${(drift * 100).toFixed(1)}% (goal ≤ 10%)`,
);
console.log(`generator: ${JSON.stringify(summary.generator)}`);
console.log(summary.errors.count === 0 && drift <= 0.1 && code === 0 ? 'PASS' : 'FAIL');
