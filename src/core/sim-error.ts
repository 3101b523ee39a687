/** Stable error codes; the CLI maps them to exit codes. */
export type SimErrorCode =
  | 'INPUT' // bad scenario, flags or files: exit 3
  | 'UNREACHABLE' // target could not be reached at start: exit 4
  | 'GENERATOR' // the generator itself failed: exit 4
  | 'INTERRUPTED'; // stopped by a signal: exit 130

/** One problem found in user input, with where it is and what was expected. */
export interface InputProblem {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** YAML path such as `cohorts.chatters.stages[1].duration`. */
  readonly path?: string;
  readonly message: string;
}

/**
 * The one error type crosstalk raises on purpose. `code` is stable (scripts
 * and the CLI branch on it), `hint` tells the user what to do next, and
 * `problems` carries every input problem found, so they are reported at once.
 */
export class SimError extends Error {
  readonly code: SimErrorCode;
  readonly hint: string | undefined;
  readonly problems: readonly InputProblem[];

  constructor(
    code: SimErrorCode,
    message: string,
    opts: { hint?: string; problems?: readonly InputProblem[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SimError';
    this.code = code;
    this.hint = opts.hint;
    this.problems = opts.problems ?? [];
  }
}

/** Formats one problem as `file:line:col: path: message`. */
export function formatProblem(p: InputProblem): string {
  let where = p.file ?? '';
  if (p.line !== undefined) where += `:${p.line}${p.column !== undefined ? `:${p.column}` : ''}`;
  const path = p.path ? `${p.path}: ` : '';
  return `${where ? `${where}: ` : ''}${path}${p.message}`;
}
