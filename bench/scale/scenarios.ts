// The scenarios the scale bench runs crosstalk on: users looping agent runs, and users that connect and
// stay idle. The bare client is given the same load by its arguments (the phase files).
import { RUNS_CONTENT } from '../bare-client-kit.js';

/** N users looping agent runs for S seconds, with an optional think time. */
export const runsYaml = (users: number, seconds: number, thinkMs: number): string => `name: scale-runs
cohorts:
  chatters:
    users: ${users}
    duration: ${seconds}s
    flow:
      - connect
      - createThread: { title: "Bench {{user}}" }
      - repeat:
          duration: ${seconds}s
          steps:
            - sendMessage: { content: "${RUNS_CONTENT}", timeout: 10s }
${thinkMs > 0 ? `            - think: ${thinkMs}ms\n` : ''}`;

/** N users that connect over the ramp and stay idle. */
export const idleYaml = (n: number, rampS: number, holdS: number): string => `name: scale-idle
cohorts:
  idlers:
    model: closed
    stages:
      - { duration: ${rampS}s, users: ${n} }
      - { duration: ${holdS}s, users: ${n} }
    flow: [connect, { idle: 3600s }]
`;
