import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

/** What one CLI run produced. */
export interface MatrixRun {
  readonly code: number | null;
  readonly stderr: string;
  readonly summary: {
    isolation: { verdict: string; violations: number; byKind: Record<string, number>; unattributed: number };
    target: { embedded: boolean; faults?: string; leaked?: { total: number; byFault: Record<string, number> } };
    lifecycle: { violations: number; byKind: Record<string, number> };
    errors: { count: number; byKind: Record<string, number> };
    runs: { started: number; completed: number; failed: number; timedOut: number };
    metrics: Record<string, { value?: number; max?: number; count?: number }>;
  };
  readonly violations: Array<Record<string, unknown>>;
  readonly reportHtml: string;
}

/**
 * A scenario for the matrix: chatters listing and messaging in a loop,
 * lurkers as sentinels, probes at a high rate so request-level faults at
 * 1 in 200 are met hundreds of times.
 */
export function matrixScenario(opts: {
  faults?: string;
  dialect?: string;
  users?: number;
  durationS?: number;
  agent?: string;
  runTimeout?: string;
  probesPerSec?: number;
  light?: boolean;
  noProbes?: boolean;
}): string {
  const users = opts.users ?? 16;
  const d = opts.durationS ?? 4;
  const probes = opts.probesPerSec ?? 400;
  return `name: matrix
target:
  embedded: { agent: ${opts.agent ?? 'fast'}, seed: 11${opts.faults ? `, faults: "${opts.faults}"` : ''}${opts.dialect ? `, dialect: ${opts.dialect}` : ''} }
${
  opts.noProbes
    ? ''
    : `probes: { crossUserRead: { rate: ${probes}/s }, forgedTokens: { rate: ${probes}/s } }
`
}cohorts:
  chatters:
    users: ${users}
    duration: ${d}s
    gracefulStop: 3s
    connectionsPerUser: 2
    flow:
      - connect
      - createThread: { title: "Matrix {{user}}", metadata: { k: v } }
      - repeat:
          duration: ${d}s
          steps:
            - sendMessage: { content: "Question {{iteration}} from {{user}}", timeout: ${opts.runTimeout ?? '3s'} }
            - listThreads${
              opts.light
                ? ''
                : `
            - getThread
            - listMessages: { limit: 5 }`
            }
  lurkers:
    users: 3
    duration: ${d}s
    flow: [connect, { idle: ${d}s }]
thresholds:
  isolation.violations: ["count == 0"]
`;
}

/** Runs `simulate run` on a scenario text in a temp folder and reads what it wrote. */
export async function runMatrix(yaml: string, extraArgs: readonly string[] = []): Promise<MatrixRun> {
  const dir = mkdtempSync(join(tmpdir(), 'ct-matrix-'));
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, yaml);
  const out = join(dir, 'results');
  const { code, stderr } = await runCli(['run', file, '--out', out, '--quiet', ...extraArgs], { timeoutMs: 180_000 });
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as MatrixRun['summary'];
  const text = readFileSync(join(out, 'violations.jsonl'), 'utf8');
  const violations = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, stderr, summary, violations, reportHtml: readFileSync(join(out, 'report.html'), 'utf8') };
}
