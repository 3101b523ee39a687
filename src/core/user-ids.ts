/** How user ids are assigned: generated and unique per run, or from a fixed list. */
export interface UserIdPlan {
  readonly prefix: string;
  readonly runTag: string;
  readonly ids?: readonly string[];
}

/**
 * The id of user `n` of a cohort. Generated ids look like `u-k3x9-chatters-7`
 * (unique per run, so two runs against one backend never share state); with a
 * fixed list, cohorts take consecutive entries from `offset`, wrapping around.
 */
export function computeUserId(plan: UserIdPlan, cohort: string, n: number, offset: number): string {
  if (plan.ids && plan.ids.length) return plan.ids[(offset + n) % plan.ids.length]!;
  return `${plan.prefix}-${plan.runTag}-${cohort}-${n}`;
}
