// Every flow step of a scenario, each run for real (runScenario in-process
// against the embedded target, or against a target of our own when the effect
// has to be read back), judged by what summary.json and the target say.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rest, uniqueId } from '../helpers/client.js';
import { startTestTarget, type TestTarget } from '../helpers/target.js';
import { counter, digest, removeTempDirs, runInProcess, trend, trendCount, withoutCanary } from '../helpers/sim.js';

/** One closed cohort `c` whose users all start at once and stop after `duration`. */
function closedScenario(o: {
  name: string;
  flow: string;
  users?: number;
  duration?: string;
  agent?: string;
  connectionsPerUser?: number;
  extraCohorts?: string;
  ids?: readonly string[];
}): string {
  return [
    `name: ${o.name}`,
    'target:',
    `  embedded: { agent: ${o.agent ?? 'fast'}, seed: 11 }`,
    ...(o.ids ? [`users: { ids: [${o.ids.join(', ')}] }`] : []),
    'cohorts:',
    '  c:',
    `    users: ${o.users ?? 2}`,
    `    duration: ${o.duration ?? '1s'}`,
    ...(o.connectionsPerUser !== undefined ? [`    connectionsPerUser: ${o.connectionsPerUser}`] : []),
    '    gracefulStop: 5s',
    `    flow: ${o.flow}`,
    ...(o.extraCohorts ? [o.extraCohorts] : []),
    '',
  ].join('\n');
}

/** Epoch-ms creation time of each of `userId`'s threads, by title. */
async function threadTimes(target: TestTarget, userId: string): Promise<Map<string, number>> {
  const res = await rest(target.url, 'GET', '/api/threads?limit=100', { token: await target.token(userId) });
  assert.equal(res.status, 200);
  return new Map(
    (res.json as Array<{ title: string; created_at: number }>).map((t) => [withoutCanary(t.title), t.created_at]),
  );
}

/** A slow agent for a target of our own: started at once, then one long thinking step. */
const SLOW_AGENT = {
  firstEventMs: [0, 0],
  thinkingSteps: [1, 1],
  thinkingMs: [1500, 1500],
  toolCalls: [0, 0],
  toolStartMs: [0, 0],
  toolMs: [0, 0],
  finalMs: [300, 300],
} as const;

describe('flow steps (runScenario against the embedded target)', { concurrency: 3 }, () => {
  after(() => removeTempDirs());

  test('connect opens connectionsPerUser connections per user, and connect.connections overrides it', async () => {
    const { summary: s } = await runInProcess(
      closedScenario({
        name: 'connect-steps',
        users: 2,
        connectionsPerUser: 2,
        agent: 'instant',
        flow: '[connect, { idle: 20s }]',
        extraCohorts: [
          '  triples:',
          '    users: 1',
          '    duration: 1s',
          '    gracefulStop: 5s',
          '    flow: [{ connect: { connections: 3 } }, { idle: 20s }]',
        ].join('\n'),
      }),
    );
    assert.equal(s.exitCode, 0, digest(s));
    assert.equal(s.errors.count, 0, digest(s));
    // One iteration per user: the 20 s idle is cut short when the cohort ends after 1 s.
    assert.equal(counter(s, 'iterations'), 3, digest(s));
    assert.ok(
      s.durationMs < 10_000,
      `the idle step was cut short at the end of the cohort (run took ${s.durationMs} ms)`,
    );
    assert.deepEqual(s.users.byCohort, { c: 2, triples: 1 });
    const conns = s.metrics['ws.connections'];
    assert.ok(conns && conns.type === 'counter');
    assert.equal(conns.byTag['cohort:c'], 4, 'two connections for each of the two users');
    assert.equal(conns.byTag['cohort:triples'], 3, 'connect: { connections: 3 }');
    assert.equal(trend(s, 'ws.connect').count, 7, 'one ws.connect sample per connection');
  });

  test('disconnect waits for the runs in flight, then closes every connection', async () => {
    const { summary: s } = await runInProcess(
      closedScenario({
        name: 'disconnect-step',
        users: 2,
        connectionsPerUser: 2,
        flow: '[connect, createThread, { sendMessage: { content: "first", await: none } }, disconnect, { sendMessage: { content: "second", await: none } }, { idle: 20s }]',
      }),
    );
    assert.equal(counter(s, 'iterations'), 2, digest(s));
    // The run sent before disconnect ended normally: disconnect settled it first.
    assert.equal(s.runs.started, 2, digest(s));
    assert.equal(s.runs.completed, 2, digest(s));
    assert.equal(trendCount(s, 'run.total'), 2, digest(s));
    // After disconnect no connection is left for the second message.
    assert.deepEqual(s.errors.byKind, { no_connection: 2 }, digest(s));
    assert.equal(counter(s, 'ws.connections'), 4, digest(s));
  });

  test('reconnect closes the connections and opens as many again', async () => {
    const { summary: s } = await runInProcess(
      closedScenario({
        name: 'reconnect-step',
        users: 1,
        connectionsPerUser: 2,
        flow: '[connect, createThread, reconnect, { sendMessage: { content: "after reconnect" } }, { idle: 20s }]',
      }),
    );
    assert.equal(counter(s, 'iterations'), 1, digest(s));
    assert.equal(s.errors.count, 0, digest(s));
    assert.equal(trend(s, 'ws.connect').count, 4, 'two connections, twice');
    assert.equal(counter(s, 'ws.connections'), 4, digest(s));
    assert.equal(s.runs.completed, 1, 'a message sent on the new connection gets its run');
  });

  test('each REST step makes one timed call: create, list, get, update, post, list messages, delete', async () => {
    const { summary: s } = await runInProcess(
      closedScenario({
        name: 'rest-steps',
        users: 2,
        flow: '[{ createThread: { title: "t {{user}}", metadata: { k: v } } }, { listThreads: { limit: 5, offset: 0 } }, getThread, { updateThread: { title: "u {{user}}" } }, { postMessage: { content: "hello" } }, { listMessages: { limit: 10 } }, deleteThread, { idle: 20s }]',
      }),
    );
    assert.equal(s.exitCode, 0, digest(s));
    assert.equal(s.errors.count, 0, digest(s));
    assert.equal(counter(s, 'iterations'), 2, digest(s));
    for (const op of [
      'create_thread',
      'list_threads',
      'get_thread',
      'update_thread',
      'post_message',
      'list_messages',
      'delete_thread',
    ]) {
      const t = trend(s, `http.${op}`);
      assert.equal(t.count, 2, `http.${op}: one call per user`);
      assert.ok(t.min > 0 && t.max < 5000, `http.${op} latency is plausible: ${t.min}..${t.max} ms`);
    }
    assert.equal(counter(s, 'http.requests'), 14, digest(s));
    assert.equal(counter(s, 'ws.connections'), 0, 'no connect step, no connection');
    assert.equal(s.runs.started, 0);
  });

  test('sendMessage awaiting agent_completed records every event trend and run.total', async () => {
    const { summary: s } = await runInProcess(
      closedScenario({
        name: 'send-completed',
        users: 2,
        duration: '1500ms',
        flow: '[connect, createThread, { repeat: { times: 2, steps: [{ sendMessage: { content: "hi {{user}}", await: agent_completed, timeout: 10s } }] } }, { idle: 20s }]',
      }),
    );
    assert.equal(s.errors.count, 0, digest(s));
    assert.equal(counter(s, 'iterations'), 2, digest(s));
    assert.equal(s.runs.started, 4, digest(s));
    assert.equal(s.runs.completed, 4, digest(s));
    for (const name of ['run.agent_started', 'run.agent_thinking', 'run.agent_completed', 'run.total', 'run.gap']) {
      assert.equal(trend(s, name).count, 4, `${name}: one sample per run`);
    }
    const total = trend(s, 'run.total');
    assert.ok(total.p50 <= total.p95 && total.p95 <= total.max, 'ordered percentiles');
    assert.ok(trend(s, 'run.agent_started').max <= total.max, 'the first event comes before the last');
  });

  test('sendMessage with await: agent_started moves on at once, yet the run is settled before the iteration ends', async () => {
    const { summary: s } = await runInProcess(
      closedScenario({
        name: 'send-started',
        users: 2,
        flow: '[connect, createThread, { sendMessage: { content: "hi", await: agent_started, timeout: 10s } }]',
      }),
    );
    const started = s.runs.started;
    assert.ok(started >= 2, digest(s));
    // One run per iteration; the iteration in flight when the cohort ends may stop before its send.
    const iterations = counter(s, 'iterations');
    assert.ok(started <= iterations && started >= iterations - 2, `one run per iteration: ${digest(s)}`);
    assert.equal(s.runs.completed, started, `no run is cut off by the end of its iteration: ${digest(s)}`);
    assert.equal(s.runs.timedOut + s.runs.failed + s.runs.interrupted, 0, digest(s));
    assert.equal(trendCount(s, 'run.agent_started'), started);
    assert.equal(trendCount(s, 'run.total'), started);
    assert.equal(s.errors.count, 0, digest(s));
  });

  test('sendMessage with await: none does not wait, yet the run is settled before the iteration ends', async () => {
    const { summary: s } = await runInProcess(
      closedScenario({
        name: 'send-none',
        users: 2,
        flow: '[connect, createThread, { sendMessage: { content: "hi", await: none } }]',
      }),
    );
    const started = s.runs.started;
    assert.ok(started >= 2, digest(s));
    // One run per iteration; the iteration in flight when the cohort ends may stop before its send.
    const iterations = counter(s, 'iterations');
    assert.ok(started <= iterations && started >= iterations - 2, `one run per iteration: ${digest(s)}`);
    assert.equal(s.runs.completed, started, digest(s));
    assert.equal(trendCount(s, 'run.total'), started, digest(s));
    assert.equal(s.errors.count, 0, digest(s));
  });

  test('stopAgent after sendMessage { await: agent_started } on the fast agent: every run ends, no errors', async () => {
    const { summary: s } = await runInProcess(
      closedScenario({
        name: 'stop-agent-fast',
        users: 2,
        flow: '[connect, createThread, { sendMessage: { content: "stop me", await: agent_started, timeout: 10s } }, stopAgent]',
      }),
    );
    const started = s.runs.started;
    assert.ok(started >= 2, digest(s));
    assert.equal(s.errors.count, 0, digest(s));
    assert.equal(s.runs.completed, started, `stopped runs count as completed: ${digest(s)}`);
    assert.equal(trendCount(s, 'run.agent_stopped') + trendCount(s, 'run.agent_completed'), started, digest(s));
    assert.equal(trendCount(s, 'run.total'), started);
  });

  test('repeat with times runs its steps exactly that often (nested repeats multiply)', async () => {
    const { summary: s } = await runInProcess(
      closedScenario({
        name: 'repeat-times',
        users: 2,
        duration: '1500ms',
        agent: 'instant',
        flow: '[connect, createThread, { repeat: { times: 3, steps: [{ sendMessage: { content: "n {{iteration}}" } }, { repeat: { times: 2, steps: [getThread] } }] } }, { idle: 20s }]',
      }),
    );
    assert.equal(s.errors.count, 0, digest(s));
    assert.equal(counter(s, 'iterations'), 2, 'one iteration per user');
    assert.equal(s.runs.started, 6, 'users × times');
    assert.equal(s.runs.completed, 6);
    assert.equal(trend(s, 'http.get_thread').count, 12, 'users × 3 × 2');
  });

  test('repeat with duration loops until the time is up, then the flow goes on', async () => {
    const { summary: s } = await runInProcess(
      closedScenario({
        name: 'repeat-duration',
        users: 1,
        duration: '3s',
        flow: '[connect, createThread, { repeat: { duration: 500ms, steps: [{ sendMessage: { content: "loop" } }, { think: 100ms }] } }, { postMessage: { content: "after the loop" } }, { idle: 20s }]',
      }),
    );
    assert.equal(s.errors.count, 0, digest(s));
    assert.equal(counter(s, 'iterations'), 1, digest(s));
    assert.equal(trendCount(s, 'http.post_message'), 1, 'the step after the repeat ran');
    // About 500 ms / (a fast run + 100 ms): a handful, not the ~18 of a loop that ignored its duration.
    assert.ok(s.runs.started >= 2 && s.runs.started <= 8, `runs in a 500 ms repeat: ${digest(s)}`);
    assert.equal(s.runs.completed, s.runs.started);
  });
});

describe('flow steps whose effect is read back from a target of our own', { concurrency: 3 }, () => {
  let target: TestTarget;
  let slow: TestTarget;
  before(async () => {
    target = await startTestTarget({ agent: 'fast' });
    slow = await startTestTarget({ agent: SLOW_AGENT });
  });
  after(async () => {
    await target.close();
    await slow.close();
    removeTempDirs();
  });

  test('think (fixed and min/max) and idle hold the user for at least that long', async () => {
    const ids = [uniqueId('think'), uniqueId('think')];
    const { summary: s } = await runInProcess(
      closedScenario({
        name: 'think-idle',
        users: 2,
        duration: '3s',
        ids,
        flow: '[{ createThread: { title: a } }, { think: 300ms }, { createThread: { title: b } }, { think: { min: 200ms, max: 400ms } }, { createThread: { title: c } }, { idle: 500ms }, { createThread: { title: d } }, { idle: 30s }]',
      }),
      { targetUrl: target.url, env: { SIM_JWT_SECRET: target.secret } },
    );
    assert.equal(s.errors.count, 0, digest(s));
    assert.equal(counter(s, 'iterations'), 2, digest(s));
    assert.ok(s.durationMs < 10_000, 'the 30 s idle ends with the cohort');
    for (const id of ids) {
      const t = await threadTimes(target, id);
      const at = (title: string): number => {
        const v = t.get(title);
        assert.ok(v !== undefined, `thread ${title} of ${id}`);
        return v;
      };
      const [a, b, c, d] = [at('a'), at('b'), at('c'), at('d')];
      assert.ok(b - a >= 295 && b - a < 2000, `think: 300ms took ${b - a} ms`);
      assert.ok(c - b >= 195 && c - b < 2000, `think: { min: 200ms, max: 400ms } took ${c - b} ms`);
      assert.ok(d - c >= 495 && d - c < 2500, `idle: 500ms took ${d - c} ms`);
    }
  });

  test('await: agent_started returns before the run ends; await: agent_completed only after', async () => {
    const [early, late] = [uniqueId('early'), uniqueId('late')];
    const yaml = [
      'name: await-order',
      `users: { ids: [${early}, ${late}] }`,
      'cohorts:',
      '  early:',
      '    users: 1',
      '    duration: 3s',
      '    flow: [connect, createThread, { sendMessage: { content: q, await: agent_started, timeout: 10s } }, { postMessage: { content: after } }, { idle: 30s }]',
      '  late:',
      '    users: 1',
      '    duration: 3s',
      '    flow: [connect, createThread, { sendMessage: { content: q, await: agent_completed, timeout: 10s } }, { postMessage: { content: after } }, { idle: 30s }]',
      '',
    ].join('\n');
    const { summary: s } = await runInProcess(yaml, { targetUrl: slow.url, env: { SIM_JWT_SECRET: slow.secret } });
    assert.equal(s.errors.count, 0, digest(s));
    assert.equal(s.runs.started, 2, digest(s));
    assert.equal(s.runs.completed, 2, 'the early user still waited for its run before ending the iteration');
    for (const [user, afterFirst] of [
      [early, true],
      [late, false],
    ] as const) {
      const token = await slow.token(user);
      const threads = await rest(slow.url, 'GET', '/api/threads', { token });
      const threadId = threads.json[0].id as string;
      const msgs = await rest(slow.url, 'GET', `/api/threads/${threadId}/messages`, { token });
      const contents = (msgs.json.messages as Array<{ role: string; content: string; created_at: number }>)
        .sort((x, y) => x.created_at - y.created_at)
        .map((m) => (m.role === 'assistant' ? 'ANSWER' : withoutCanary(m.content)));
      assert.equal(contents.length, 3, `${user}: ${contents.join(', ')}`);
      // The agent answers after ~1.8 s, so "after" lands before the answer only when the step did not wait for it.
      assert.deepEqual(contents, afterFirst ? ['q', 'after', 'ANSWER'] : ['q', 'ANSWER', 'after'], user);
    }
  });

  test('a run in flight when the cohort ends may finish within gracefulStop; past it, it is interrupted', async () => {
    const yaml = [
      'name: graceful-stop',
      'cohorts:',
      '  patient:',
      '    users: 1',
      '    duration: 500ms',
      '    gracefulStop: 5s',
      '    flow: [connect, createThread, { sendMessage: { content: "slow", timeout: 20s } }, { idle: 30s }]',
      '  impatient:',
      '    users: 1',
      '    duration: 500ms',
      '    gracefulStop: 200ms',
      '    flow: [connect, createThread, { sendMessage: { content: "slow", timeout: 20s } }, { idle: 30s }]',
      '',
    ].join('\n');
    const { summary: s } = await runInProcess(yaml, { targetUrl: slow.url, env: { SIM_JWT_SECRET: slow.secret } });
    const byCohort = (name: string, cohort: string): number => {
      const m = s.metrics[name];
      return m && m.type === 'counter' ? (m.byTag[`cohort:${cohort}`] ?? 0) : 0;
    };
    assert.equal(s.runs.started, 2, digest(s));
    assert.equal(byCohort('runs.completed', 'patient'), 1, `the patient user's ~1.8 s run completed: ${digest(s)}`);
    assert.equal(
      byCohort('runs.interrupted', 'impatient'),
      1,
      `the impatient user's run was cut at 0.7 s: ${digest(s)}`,
    );
    assert.equal(s.errors.count, 0, `being cut short by the schedule is not an error: ${digest(s)}`);
    assert.ok(s.durationMs < 8000, `the run ended with the patient user's run (${s.durationMs} ms)`);
  });

  test('stopAgent stops a run in flight: agent_stopped is recorded, the run never completes', async () => {
    const { summary: s } = await runInProcess(
      closedScenario({
        name: 'stop-agent-slow',
        users: 2,
        flow: '[connect, createThread, { sendMessage: { content: "long job", await: agent_started, timeout: 10s } }, stopAgent, { idle: 30s }]',
      }),
      { targetUrl: slow.url, env: { SIM_JWT_SECRET: slow.secret } },
    );
    assert.equal(s.errors.count, 0, digest(s));
    assert.equal(s.runs.started, 2, digest(s));
    assert.equal(trendCount(s, 'run.agent_stopped'), 2, digest(s));
    assert.equal(trendCount(s, 'run.agent_completed'), 0, digest(s));
    assert.equal(s.runs.completed, 2, digest(s));
    assert.ok(
      trend(s, 'run.total').max < 1500,
      `stopped well before the agent would have finished (${trend(s, 'run.total').max} ms)`,
    );
  });
});
