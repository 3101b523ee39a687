/** Timing of the simulated agent: each range is [min, max] and drawn per run from the seeded RNG. */
export interface AgentTiming {
  /** Delay from the user's message to `agent_started`, ms. */
  readonly firstEventMs: readonly [number, number];
  /** How many `agent_thinking` events a run has; at least one per tool call plus one (a thought before each call and before the answer). */
  readonly thinkingSteps: readonly [number, number];
  /** Delay before each thinking event, ms. */
  readonly thinkingMs: readonly [number, number];
  /** How many tool calls (executing + completed pairs) a run has. */
  readonly toolCalls: readonly [number, number];
  /** Delay before `tool_executing`, ms (the model deciding to call). */
  readonly toolStartMs: readonly [number, number];
  /** Duration of each tool call, ms. */
  readonly toolMs: readonly [number, number];
  /** Delay before `agent_completed`, ms (the final answer). */
  readonly finalMs: readonly [number, number];
}

/** The names `--agent` and `target.embedded.agent` accept. */
export const AGENT_PRESET_NAMES = ['instant', 'fast', 'realistic'] as const;
/** One of {@link AGENT_PRESET_NAMES}. */
export type AgentPresetName = (typeof AGENT_PRESET_NAMES)[number];

/**
 * `instant` answers with no delay and a fixed shape (6 frames a run: started,
 * thinking, one tool pair, thinking, completed) so throughput tests measure
 * the client; `realistic` follows what a language-model agent does. Runs with
 * tools are ReAct-shaped: think → tool → think → ... → answer.
 */
export const AGENT_PRESETS: Readonly<Record<AgentPresetName, AgentTiming>> = {
  instant: {
    firstEventMs: [0, 0],
    thinkingSteps: [2, 2],
    thinkingMs: [0, 0],
    toolCalls: [1, 1],
    toolStartMs: [0, 0],
    toolMs: [0, 0],
    finalMs: [0, 0],
  },
  fast: {
    firstEventMs: [5, 20],
    thinkingSteps: [1, 2],
    thinkingMs: [5, 20],
    toolCalls: [0, 1],
    toolStartMs: [5, 20],
    toolMs: [5, 20],
    finalMs: [5, 20],
  },
  realistic: {
    firstEventMs: [50, 150],
    thinkingSteps: [2, 4],
    thinkingMs: [200, 800],
    toolCalls: [0, 2],
    toolStartMs: [50, 200],
    toolMs: [100, 1500],
    finalMs: [100, 400],
  },
};

/** True when every delay of the timing is zero, so a run can be emitted in one go. */
export function isInstantTiming(t: AgentTiming): boolean {
  return [t.firstEventMs, t.thinkingMs, t.toolStartMs, t.toolMs, t.finalMs].every((r) => r[0] === 0 && r[1] === 0);
}
