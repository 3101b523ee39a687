import { computeUserId, type UserIdPlan } from './user-ids.js';

/**
 * Every simulated user of a run by a global number that every worker and
 * every generator computes alike: user `n` of cohort `c` (of C cohorts) is
 * number `n·C + c`. Canaries carry this number, so any process can name the
 * owner of a canary it finds, whichever process ran that user.
 */
export class UserDirectory {
  private readonly cohorts: readonly string[];
  private readonly offsets: readonly number[];

  constructor(
    private readonly plan: UserIdPlan,
    cohorts: readonly string[],
    fixedIdOffsets: readonly number[],
  ) {
    this.cohorts = cohorts;
    this.offsets = fixedIdOffsets;
  }

  /** The run's tag (in user and message ids). */
  get runTag(): string {
    return this.plan.runTag;
  }

  /** The global number of user `n` of cohort index `c`. */
  numberOf(c: number, n: number): number {
    return n * this.cohorts.length + c;
  }

  /** The user id behind a global number; undefined when the number names no cohort. */
  idOf(num: number): string | undefined {
    if (!Number.isInteger(num) || num < 0) return undefined;
    const c = num % this.cohorts.length;
    const n = Math.floor(num / this.cohorts.length);
    return computeUserId(this.plan, this.cohorts[c]!, n, this.offsets[c]!);
  }

  /** The id of user `n` of cohort index `c`. */
  userId(c: number, n: number): string {
    return computeUserId(this.plan, this.cohorts[c]!, n, this.offsets[c]!);
  }
}
