/** Which oracle found it. */
export type ViolationClass = 'isolation' | 'lifecycle';

/** One violation, as a line of violations.jsonl. */
export interface Violation {
  readonly class: ViolationClass;
  readonly kind: string;
  /** Epoch ms when the offending frame or answer arrived. */
  readonly atMs: number;
  readonly cohort: string;
  /** The simulated user that received it, and on which connection. */
  readonly receiver: { readonly user: string; readonly connection?: string };
  /** The user the evidence points to, when known. */
  readonly owner?: string;
  /** The field and value that gave it away (`thread_id`, a canary word...). */
  readonly field?: string;
  readonly value?: string;
  readonly channel: 'ws' | 'rest';
  /** REST operation or probe name. */
  readonly op?: string;
  readonly runMessageId?: string;
  /** The frame or body, redacted and cut to 2 KiB by the writer. */
  readonly frame?: string;
}

/** Where oracles send what they find. */
export type ViolationSink = (v: Violation) => void;
