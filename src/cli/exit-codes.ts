import { SimError, formatProblem } from '../core/sim-error.js';
import { EXIT_CODE } from '../core/verdict.js';

/** Maps an error to its exit code and prints it for people, never as a stack trace. */
export function reportError(err: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  if (err instanceof SimError) {
    write(`simulate: ${err.message}\n`);
    for (const p of err.problems) write(`  ${formatProblem(p)}\n`);
    if (err.hint) write(`  hint: ${err.hint}\n`);
    switch (err.code) {
      case 'INPUT':
        return EXIT_CODE.badInput;
      case 'INTERRUPTED':
        return EXIT_CODE.interrupted;
      default:
        return EXIT_CODE.cannotRun;
    }
  }
  const e = err as { code?: string; message?: string };
  // commander's own usage errors are bad input too.
  if (typeof e?.code === 'string' && e.code.startsWith('commander.')) return EXIT_CODE.badInput;
  write(`simulate: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.SIM_DEBUG) write(`${(err as Error)?.stack ?? ''}\n`);
  return EXIT_CODE.cannotRun;
}
