/**
 * What a simulated user's flow templates see and what it says: the template
 * values (user, cohort, iteration, current thread), its text rendered from
 * the scenario's templates, the canaries marked into everything it sends,
 * and what it said in the current thread (`{{history}}`).
 */
import {
  compileTemplate,
  renderDeep,
  renderTemplate,
  type CompiledTemplate,
  type TemplateValues,
} from '../core/templates.js';
import type { RunContext } from './run-context.js';

const templateCache = new Map<string, CompiledTemplate>();

/** Renders a flow template (compiled once per distinct text). */
function render(text: string, values: TemplateValues): string {
  let t = templateCache.get(text);
  if (!t) {
    const c = compileTemplate(text);
    // The config layer rejected bad templates; anything left renders as is.
    t = Array.isArray(c) ? { parts: [text], names: [] } : c;
    templateCache.set(text, t);
  }
  return renderTemplate(t, values);
}

/** One turn of what a user said, as `{{history}}` of stateless chat routes sends it. */
export interface ChatTurn {
  readonly role: 'user';
  readonly content: string;
}

/**
 * One user's template values, current thread, canaries and history. The
 * values are made again only when the iteration or the thread changes.
 */
export class FlowValues {
  private currentThread: string | undefined;
  private iteration = 0;
  private cachedValues: TemplateValues | undefined;
  private canarySeq = 0;
  /** What this user said in the current thread, oldest first (`{{history}}` of stateless chat routes). */
  private turns: ChatTurn[] = [];
  private turnsThread: string | undefined;

  constructor(
    private readonly ctx: RunContext,
    private readonly userId: string,
    private readonly cohortName: string,
    private readonly userIndex: number,
  ) {}

  /** The thread the flow works in (the last one createThread made), if any. */
  get thread(): string | undefined {
    return this.currentThread;
  }

  /** The thread createThread just made is the current one. */
  setThread(id: string): void {
    this.currentThread = id;
    this.cachedValues = undefined;
  }

  /** The iteration is over: the next one has its own number. */
  endIteration(): void {
    this.iteration++;
    this.cachedValues = undefined;
  }

  /** Template values; made again only when the iteration or the thread changes. */
  current(): TemplateValues {
    return (this.cachedValues ??= {
      user: this.userId,
      cohort: this.cohortName,
      iteration: String(this.iteration),
      ...(this.currentThread !== undefined ? { thread: this.currentThread } : {}),
    });
  }

  /** A step's thread: the current one for `{{thread}}`, else the rendered reference. */
  threadOf(ref: string): string | undefined {
    return ref === '{{thread}}' ? this.currentThread : render(ref, this.current());
  }

  /** A text as sent: rendered and marked with a canary. */
  content(text: string): string {
    return this.mark(render(text, this.current()));
  }

  /** A title as sent: rendered and marked with a canary; undefined when the step has none. */
  title(title: string | undefined): string | undefined {
    return title === undefined ? undefined : this.mark(render(title, this.current()));
  }

  /** Metadata as sent: rendered, with a canary; undefined when the step has none. */
  metadata(metadata: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> | undefined {
    return metadata === undefined ? undefined : this.markMetadata(renderDeep(metadata, this.current()));
  }

  /** Adds what the user said in `thread` to its history (a new thread starts a new one). */
  remember(thread: string, content: string): void {
    if (thread !== this.turnsThread) {
      this.turns = [];
      this.turnsThread = thread;
    }
    this.turns.push({ role: 'user', content });
  }

  /** What the user said in the current thread so far. */
  get history(): readonly ChatTurn[] {
    return this.turns;
  }

  /** This user's next canary word. */
  private nextCanary(): string {
    return this.ctx.canaries.encode(this.userIndex, this.canarySeq++);
  }

  /** Metadata with this user's next canary under `canary`. */
  private markMetadata(meta: unknown): Record<string, unknown> {
    const m = { ...(meta as Record<string, unknown>) };
    if (this.ctx.checks) m.canary = this.nextCanary();
    return m;
  }

  /** Appends this user's next canary to a piece of text it sends. */
  private mark(text: string): string {
    if (!this.ctx.checks) return text;
    return `${text} ${this.nextCanary()}`;
  }
}
