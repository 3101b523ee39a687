/** Which oracle found it. */
export type ViolationClass = 'isolation' | 'lifecycle';

/** One reason a frame or answer is a violation: the field and value that gave it away. */
export interface ViolationReason {
  readonly kind: string;
  /** `user_id`, `thread_id`, `canary`, `event`... */
  readonly field: string;
  readonly value: string;
  /** The user the evidence points to, when known. */
  readonly owner?: string;
}

/**
 * One violation, as a line of violations.jsonl. An isolation violation is one
 * leaked frame or REST answer, carrying every reason found in it; a lifecycle
 * violation is one event of one run out of place.
 */
export interface Violation {
  /** Unique within a run (isolation violations), so reasons settled later can be added to their frame's line. */
  readonly id?: string;
  readonly class: ViolationClass;
  /** The first reason's kind. */
  readonly kind: string;
  /** Every reason found, first one first. */
  readonly kinds: readonly ViolationReason[];
  /** Epoch ms when the offending frame or answer arrived. */
  readonly atMs: number;
  readonly cohort: string;
  /** The simulated user that received it, and on which connection. */
  readonly receiver: { readonly user: string; readonly connection?: string };
  /** The first reason's owner, when known. */
  readonly owner?: string;
  readonly channel: 'ws' | 'rest';
  /** REST operation or probe name. */
  readonly op?: string;
  readonly runMessageId?: string;
  /** The frame or body, redacted and cut to 2 KiB by the writer. */
  readonly frame?: string;
}

/** Where oracles send what they find. */
export type ViolationSink = (v: Violation) => void;

/**
 * Where the isolation oracle sends reasons found for a frame that is a
 * violation already (an id settled once every user had claimed its own):
 * the frame stays one violation, with more reasons. `freshKinds` are the
 * kinds it did not have yet (each frame counts once per kind).
 */
export type ViolationAmender = (
  id: string,
  cohort: string,
  reasons: readonly ViolationReason[],
  freshKinds: readonly string[],
) => void;

/** The distinct kinds of a violation's reasons, in order of first appearance. */
export function computeDistinctKinds(reasons: readonly ViolationReason[]): string[] {
  const out: string[] = [];
  for (const r of reasons) if (!out.includes(r.kind)) out.push(r.kind);
  return out;
}
