import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { EXIT_CODE } from '../core/verdict.js';
import { reportError } from './exit-codes.js';
import { freezeYoungGeneration } from './young-generation.js';
import type { RunFlags } from './run-command.js';
import type { ServeFlags } from './serve-command.js';

// Commands are loaded when they run: start-up pays only for the one in use.
const runCommand = (): Promise<typeof import('./run-command.js')> => import('./run-command.js');

/** Entry point of `bin/simulate`: parses argv, runs the command, sets the exit code. */
export async function runCli(argv: readonly string[]): Promise<void> {
  const program = new Command('simulate')
    .description('Multi-user load and isolation simulator for AI-chat backends')
    .version(readPackageVersion(), '-V, --version', 'print the version of crosstalk')
    .exitOverride()
    .showHelpAfterError();

  let exitCode: number = EXIT_CODE.ok;
  program
    .command('run')
    .description('run a scenario and write results')
    .argument('<scenario>', 'scenario YAML file')
    .option('--target <url>', 'drive this backend instead of the embedded target')
    .option('--out <dir>', 'results folder (default results/<stamp>-<name>/)')
    .option('--workers <n>', 'worker threads (default: one per core, at most one per user)')
    .option(
      '--segment <i/n>',
      'run only share i of n, counted from 0 (0/2 and 1/2 split the users between two generators)',
    )
    .option('--start-at <iso-time>', 'wait until this time before starting')
    .option('--set <path=value>', 'override a scenario value (repeatable)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .option('--no-progress', 'no live progress lines')
    .option('--quiet', 'print only the results folder path on stdout (no summary, no progress)')
    .option(
      '--publish <kind=url>',
      'stream figures while the run goes on, e.g. prometheus-rw=http://127.0.0.1:9090/api/v1/write (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--metrics-port <n>',
      "serve the run's figures at http://<host>:<n>/metrics while it runs (0 picks a free port)",
    )
    .action(async (file: string, flags: RunFlags) => {
      // Loading the run's modules would otherwise grow V8's nursery for good (cli/young-generation.ts).
      freezeYoungGeneration();
      exitCode = await (await runCommand()).runRun(file, flags);
    });
  program
    .command('validate')
    .description('check scenario files without running them')
    .argument('<scenarios...>', 'scenario YAML files')
    .action(async (files: string[]) => {
      exitCode = (await runCommand()).runValidate(
        files,
        (s) => process.stdout.write(s),
        (s) => process.stderr.write(s),
      );
    });
  program
    .command('compare')
    .description('compare two summary.json files; exit 1 on a regression beyond tolerance')
    .argument('<baseline>', 'baseline summary.json (or its results folder)')
    .argument('<current>', 'current summary.json (or its results folder)')
    .option('--tolerance <t>', 'allowed worsening, e.g. 10% or 0.1', '10%')
    .option('--confidence <c>', 'two-sided confidence of the intervals, e.g. 95% or 0.99', '95%')
    .option('--format <f>', 'table or markdown', 'table')
    .action(
      async (base: string, current: string, flags: { tolerance?: string; confidence?: string; format?: string }) => {
        exitCode = (await import('./compare-command.js')).runCompare(base, current, flags, (s) =>
          process.stdout.write(s),
        );
      },
    );
  program
    .command('merge')
    .description('merge the summaries of a segmented run; thresholds judged on the whole')
    .argument('<summaries...>', 'summary.json files (or results folders) of the segments')
    .requiredOption('--out <dir>', 'folder for the merged results (new or empty)')
    .option('--allow-partial', 'judge a merge with segments missing or repeated instead of failing it (exit 4)')
    .action(async (files: string[], flags: { out: string; allowPartial?: boolean }) => {
      exitCode = (await import('./merge-command.js')).runMerge(
        files,
        flags.out,
        (s) => process.stdout.write(s),
        (s) => process.stderr.write(s),
        { allowPartial: flags.allowPartial === true },
      );
    });
  program
    .command('report')
    .description('re-render report.html next to a summary.json')
    .argument('<summary>', 'summary.json of a run')
    .action(async (file: string) => {
      exitCode = (await import('./report-command.js')).runReport(file);
    });
  program
    .command('serve')
    .description('run the reference target (the protocol in memory)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', '8080')
    .option('--agent <preset>', 'agent timing: instant, fast or realistic', 'fast')
    .option('--seed <n>', 'seed of the agent timing', '1')
    .option('--test-login', 'enable POST /auth/test-login')
    .option('--rate-limit <rate>', 'per-user request limit, e.g. 20/s (off by default)')
    .option('--max-frame <size>', 'largest client frame accepted', '64KiB')
    .option('--heartbeat <duration>', 'send an ownerless heartbeat frame to all connections this often')
    .option('--faults <spec>', 'inject faults, e.g. misroute=0.005,drop=0.01 (see README)')
    .option(
      '--noise',
      'leak-free but hard to read: padded texts, reshaped own frames, ownerless notices (false-alarm bench)',
    )
    .option('--dialect <name>', 'frame shape: canonical, data, flat or short-ids', 'canonical')
    .option(
      '--transport <name>',
      'agent runs over ws (GET /ws), sse (POST /api/threads/:id/runs/stream) or socketio (/socket.io/)',
      'ws',
    )
    .option('--issuer <iss>', 'tokens must carry this iss claim')
    .option('--audience <aud>', 'tokens must carry this aud claim')
    .option('--log-level <level>', 'pino level for stderr logs', 'info')
    .action(async (flags: ServeFlags) => {
      exitCode = await (await import('./serve-command.js')).runServe(flags);
    });

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      exitCode = err.exitCode === 0 ? EXIT_CODE.ok : EXIT_CODE.badInput;
    } else {
      exitCode = reportError(err);
    }
  }
  process.exitCode = exitCode;
}

/**
 * The version in crosstalk's package.json. This module runs from
 * dist/bundle/ (bin/simulate) or dist/src/cli/ (tsc output), in a clone or an
 * installed package, so the folders above it are searched for the package.
 */
function readPackageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'crosstalk' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not there from this layout: try the next.
    }
  }
  return 'unknown';
}
