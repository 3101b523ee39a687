#!/usr/bin/env node
// Prints a transcript of the LangGraph server's wire: every REST route
// crosstalk's adapter may use, one streamed run verbatim with timings, an
// error, a cancellation, the cross-user answers with the owner filter on and
// dropped, and the protocol-v2 routes. Re-run it after a version bump and
// diff the output (ids and timestamps differ run to run; shapes must not).
//
//   node capture-wire.mjs > /tmp/langgraph-wire.txt
//
// Starts its own servers on free ports with a random secret; needs no env.

import { randomBytes } from 'node:crypto';
import { api, mintToken, openThreadSocket, readSse } from './client.mjs';
import { startLangGraph } from './start-server.mjs';

const MAX_BODY = Number(process.env.CAPTURE_MAX_BODY ?? 1200);
const secret = randomBytes(32).toString('base64url');
const out = (line = '') => process.stdout.write(`${line}\n`);
const clip = (text) => (text.length > MAX_BODY ? `${text.slice(0, MAX_BODY)}… (${text.length} chars)` : text);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function show(label, base, method, path, options = {}) {
  const res = await api(base, method, path, options);
  out(`### ${label}`);
  out(`${method} ${path}${options.body !== undefined ? `\n> ${JSON.stringify(options.body)}` : ''}`);
  const interesting = [
    'content-type',
    'content-location',
    'x-pagination-total',
    'x-pagination-next',
    'www-authenticate',
  ];
  const headers = interesting
    .filter((h) => res.headers.get(h) != null)
    .map((h) => `${h}: ${res.headers.get(h)}`)
    .join(' | ');
  out(`< ${res.status}  ${headers}`);
  out(`< ${clip(res.text)}`);
  out();
  return res;
}

async function showSse(label, base, method, path, options = {}) {
  const res = await readSse(base, method, path, options);
  out(`### ${label}`);
  out(`${method} ${path}${options.body !== undefined ? `\n> ${JSON.stringify(options.body)}` : ''}`);
  out(
    `< ${res.status}  content-type: ${res.headers?.get('content-type')} | content-location: ${res.headers?.get('content-location')}`,
  );
  if (res.text !== undefined) out(`< ${clip(res.text)}`);
  let previous = 0;
  for (const frame of res.frames) {
    out(
      `[+${Math.round(frame.atMs)} ms, gap ${Math.round(frame.atMs - previous)}] event: ${frame.event}${frame.id !== undefined ? ` | id: ${frame.id}` : ''}`,
    );
    out(`  data: ${clip(frame.data)}`);
    previous = frame.atMs;
  }
  out(
    `[+${Math.round(res.closedAtMs)} ms] ${res.stoppedEarly ? 'client stopped reading' : res.timedOut ? 'client timed out' : `stream closed by server, ${Math.round(res.closedAtMs - previous)} ms after the last frame`}`,
  );
  out();
  return res;
}

const [strict, leaky, studio] = await Promise.all([
  startLangGraph({ secret }),
  startLangGraph({ secret, dropOwnerFilter: true }),
  startLangGraph({ secret, studioAuth: true }),
]);
try {
  out(
    `# LangGraph wire transcript (started in parallel: strict ${strict.startupMs} ms, leaky ${leaky.startupMs} ms, studio ${studio.startupMs} ms)`,
  );
  out();
  const A = await mintToken(secret, 'u-alice');
  const B = await mintToken(secret, 'u-bob');
  const base = strict.url;

  out('## Auth');
  await show('info needs no token', base, 'GET', '/info');
  await show('no token', base, 'POST', '/threads/search', { body: {} });
  await show('bad signature', base, 'POST', '/threads/search', {
    token: await mintToken(secret, 'u-alice', { signWith: 'not-the-secret' }),
    body: {},
  });
  await show('expired', base, 'POST', '/threads/search', {
    token: await mintToken(secret, 'u-alice', { ttlSec: -60 }),
    body: {},
  });
  await show('refresh token', base, 'POST', '/threads/search', {
    token: await mintToken(secret, 'u-alice', { type: 'refresh' }),
    body: {},
  });
  await show('studio bypass header (disable_studio_auth: true)', base, 'POST', '/threads/search', {
    headers: { 'x-auth-scheme': 'langsmith' },
    body: {},
  });

  out('## Threads');
  const created = await show('create (a client-sent owner is overwritten)', base, 'POST', '/threads', {
    token: A,
    body: { metadata: { title: 'first', owner: 'u-bob' } },
  });
  const tid = created.json.thread_id;
  await show('create with an empty body', base, 'POST', '/threads', { token: A, body: {} });

  out('## Streamed run (messages-tuple, values, updates)');
  const run = await showSse('run', base, 'POST', `/threads/${tid}/runs/stream`, {
    token: A,
    body: {
      assistant_id: 'echo',
      input: { messages: [{ id: 'msg-client-1', role: 'user', content: 'hello canary-alice-1' }] },
      stream_mode: ['messages-tuple', 'values', 'updates'],
    },
  });
  const runId = JSON.parse(run.frames[0].data).run_id;

  out('## Streamed run (messages: the non-tuple mode)');
  await showSse('run, messages mode', base, 'POST', `/threads/${tid}/runs/stream`, {
    token: A,
    body: {
      assistant_id: 'echo',
      input: { messages: [{ role: 'user', content: 'again [[notool]]' }] },
      stream_mode: ['messages'],
    },
  });

  out('## Reads');
  await show('get', base, 'GET', `/threads/${tid}`, { token: A });
  await show('search', base, 'POST', '/threads/search', { token: A, body: { limit: 10, offset: 0 } });
  await show('search by metadata', base, 'POST', '/threads/search', {
    token: A,
    body: { metadata: { title: 'first' } },
  });
  await show('count', base, 'POST', '/threads/count', { token: A, body: {} });
  await show('state', base, 'GET', `/threads/${tid}/state`, { token: A });
  await show('history', base, 'GET', `/threads/${tid}/history?limit=2`, { token: A });
  await show('runs list', base, 'GET', `/threads/${tid}/runs`, { token: A });
  await show('run get', base, 'GET', `/threads/${tid}/runs/${runId}`, { token: A });
  await show('patch', base, 'PATCH', `/threads/${tid}`, {
    token: A,
    body: { metadata: { title: 'renamed', owner: 'u-bob' } },
  });
  await show('assistants search (system assistants carry no owner)', base, 'POST', '/assistants/search', {
    token: A,
    body: {},
  });
  await show('validation error', base, 'POST', `/threads/${tid}/runs/stream`, { token: A, body: { input: {} } });
  await show('unknown assistant', base, 'POST', `/threads/${tid}/runs/stream`, {
    token: A,
    body: { assistant_id: 'nope', input: {} },
  });

  out('## Failing run ([[fail]])');
  await showSse('error', base, 'POST', `/threads/${tid}/runs/stream`, {
    token: A,
    body: {
      assistant_id: 'echo',
      input: { messages: [{ role: 'user', content: 'break [[fail]]' }] },
      stream_mode: ['messages-tuple', 'values', 'updates'],
    },
  });
  await show('thread after the failure', base, 'GET', `/threads/${tid}`, { token: A });

  out('## Cancel');
  const cancelThread = (await api(base, 'POST', '/threads', { token: A, body: {} })).json.thread_id;
  const background = await show('background run', base, 'POST', `/threads/${cancelThread}/runs`, {
    token: A,
    body: {
      assistant_id: 'echo',
      input: { messages: [{ role: 'user', content: 'long [[slow]]' }] },
      stream_mode: ['messages-tuple'],
      stream_resumable: true,
    },
  });
  const bgId = background.json.run_id;
  await show(
    'second run while busy (multitask_strategy reject by default)',
    base,
    'POST',
    `/threads/${cancelThread}/runs`,
    {
      token: A,
      body: { assistant_id: 'echo', input: { messages: [{ role: 'user', content: 'x' }] } },
    },
  );
  const joined = readSse(base, 'GET', `/threads/${cancelThread}/runs/${bgId}/stream`, {
    token: A,
    headers: { 'last-event-id': '-1' },
    timeoutMs: 15_000,
  });
  await sleep(1500);
  await show('cancel', base, 'POST', `/threads/${cancelThread}/runs/${bgId}/cancel`, { token: A });
  const joinedRes = await joined;
  out('### the joined stream of the cancelled run');
  for (const frame of joinedRes.frames)
    out(`[+${Math.round(frame.atMs)} ms] event: ${frame.event} | id: ${frame.id} | data: ${clip(frame.data)}`);
  out(`[+${Math.round(joinedRes.closedAtMs)} ms] closed`);
  out();
  await show('run after cancel', base, 'GET', `/threads/${cancelThread}/runs/${bgId}`, { token: A });
  await show('cancel with wait', base, 'POST', `/threads/${cancelThread}/runs/${bgId}/cancel?wait=true`, { token: A });

  out("## Cross-user, owner filter ON (B = u-bob reads A's thread)");
  for (const [label, method, path, body] of [
    ['search', 'POST', '/threads/search', {}],
    ['get', 'GET', `/threads/${tid}`],
    ['state', 'GET', `/threads/${tid}/state`],
    ['history', 'GET', `/threads/${tid}/history`],
    ['runs list', 'GET', `/threads/${tid}/runs`],
    ['run get', 'GET', `/threads/${tid}/runs/${runId}`],
    ['patch', 'PATCH', `/threads/${tid}`, { metadata: { x: 1 } }],
    ['delete', 'DELETE', `/threads/${tid}`],
    ['copy', 'POST', `/threads/${tid}/copy`],
    ['count', 'POST', '/threads/count', {}],
    ['update state', 'POST', `/threads/${tid}/state`, { values: { messages: [] } }],
    ["cancel A's run", 'POST', `/threads/${cancelThread}/runs/${bgId}/cancel`],
    ["create a thread with A's id", 'POST', '/threads', { thread_id: tid }],
  ]) {
    await show(`B ${label}`, base, method, path, { token: B, ...(body !== undefined ? { body } : {}) });
  }
  await showSse("B starts a run on A's thread", base, 'POST', `/threads/${tid}/runs/stream`, {
    token: B,
    body: { assistant_id: 'echo', input: { messages: [{ role: 'user', content: 'hi' }] } },
  });
  await showSse("B joins A's run stream through the thread", base, 'GET', `/threads/${tid}/runs/${runId}/stream`, {
    token: B,
    timeoutMs: 3000,
  });

  out('## Cross-user: GET /runs/{run_id}/stream has no thread, so no owner check');
  const leakThread = (await api(base, 'POST', '/threads', { token: A, body: {} })).json.thread_id;
  const leakRun = (
    await api(base, 'POST', `/threads/${leakThread}/runs`, {
      token: A,
      body: {
        assistant_id: 'echo',
        input: { messages: [{ role: 'user', content: 'secret canary-alice-run [[slow]]' }] },
        stream_mode: ['messages-tuple'],
      },
    })
  ).json.run_id;
  await showSse("B joins A's run by run id", base, 'GET', `/runs/${leakRun}/stream`, {
    token: B,
    timeoutMs: 20_000,
    stopWhen: (f) => f.data.includes('canary-alice-run') && f.data.includes('said'),
  });

  out('## Protocol v2 over WebSocket (A runs, then B attaches to the same thread)');
  const v2Thread = (await api(base, 'POST', '/threads', { token: A, body: {} })).json.thread_id;
  const a = await openThreadSocket(base, v2Thread, A);
  const commands = [
    {
      id: 1,
      method: 'subscription.subscribe',
      params: { channels: ['lifecycle', 'messages', 'values', 'updates', 'tools'] },
    },
    {
      id: 2,
      method: 'run.start',
      params: { assistant_id: 'echo', input: { messages: [{ role: 'user', content: 'v2 canary-alice-v2 [[slow]]' }] } },
    },
  ];
  for (const command of commands) {
    out(`A > ${JSON.stringify(command)}`);
    a.send(command);
  }
  await a.waitFor((f) => f.method === 'messages' && f.params?.data?.delta?.type === 'text-delta', 10_000);
  const b = await openThreadSocket(base, v2Thread, B);
  const bSubscribe = {
    id: 1,
    method: 'subscription.subscribe',
    params: { channels: ['messages', 'values', 'lifecycle'] },
  };
  out(`B > ${JSON.stringify(bSubscribe)}`);
  b.send(bSubscribe);
  await b.waitFor(
    (f) => f.method === 'lifecycle' && f.params?.namespace?.length === 0 && f.params?.data?.event === 'completed',
    20_000,
  );
  for (const frame of a.frames) out(`A < ${clip(JSON.stringify(frame))}`);
  for (const frame of b.frames) out(`B < ${clip(JSON.stringify(frame))}`);
  const bState = { id: 2, method: 'state.get', params: {} };
  out(`B > ${JSON.stringify(bState)}`);
  b.send(bState);
  out(`B < ${clip(JSON.stringify(await b.waitFor((f) => f.id === 2)))}`);
  await a.close();
  await b.close();
  out();

  out('## Protocol v2 over HTTP: A runs with POST /commands, B replays with POST /stream/events');
  const v2HttpThread = (await api(base, 'POST', '/threads', { token: A, body: {} })).json.thread_id;
  await show('A run.start', base, 'POST', `/threads/${v2HttpThread}/commands`, {
    token: A,
    body: {
      id: 1,
      method: 'run.start',
      params: { assistant_id: 'echo', input: { messages: [{ role: 'user', content: 'http canary-alice-http' }] } },
    },
  });
  await sleep(2500);
  await showSse(
    "B subscribes (replay of A's buffered events)",
    base,
    'POST',
    `/threads/${v2HttpThread}/stream/events`,
    { token: B, body: { channels: ['lifecycle', 'messages', 'values'] }, timeoutMs: 3000 },
  );
  await show("B state.get through A's thread record", base, 'POST', `/threads/${v2HttpThread}/commands`, {
    token: B,
    body: { id: 7, method: 'state.get', params: {} },
  });
  await show("B run.start through A's thread record (runs as A)", base, 'POST', `/threads/${v2HttpThread}/commands`, {
    token: B,
    body: {
      id: 8,
      method: 'run.start',
      params: { assistant_id: 'echo', input: { messages: [{ role: 'user', content: 'bob was here' }] } },
    },
  });
  const freshThread = (await api(base, 'POST', '/threads', { token: A, body: {} })).json.thread_id;
  await show(
    "B on a thread of A's that has no record yet: the record takes B's auth",
    base,
    'POST',
    `/threads/${freshThread}/commands`,
    { token: B, body: { id: 1, method: 'state.get', params: {} } },
  );

  out('## Owner filter DROPPED (LG_DROP_OWNER_FILTER=1)');
  const lb = leaky.url;
  const ltid = (await api(lb, 'POST', '/threads', { token: A, body: { metadata: { title: 'leaky' } } })).json.thread_id;
  await readSse(lb, 'POST', `/threads/${ltid}/runs/stream`, {
    token: A,
    body: {
      assistant_id: 'echo',
      input: { messages: [{ role: 'user', content: 'leak canary-alice-leak' }] },
      stream_mode: ['values'],
    },
  });
  await show('B search', lb, 'POST', '/threads/search', { token: B, body: {} });
  await show('B get', lb, 'GET', `/threads/${ltid}`, { token: B });
  await show('B state', lb, 'GET', `/threads/${ltid}/state`, { token: B });
  await show('B delete', lb, 'DELETE', `/threads/${ltid}`, { token: B });

  out('## Studio auth ON (--studio-auth, the stock default): the bypass header');
  const stid = (await api(studio.url, 'POST', '/threads', { token: A, body: { metadata: { title: 'studio' } } })).json
    .thread_id;
  await show('no token, no header', studio.url, 'POST', '/threads/search', { body: {} });
  await show('no token, x-auth-scheme: langsmith', studio.url, 'POST', '/threads/search', {
    headers: { 'x-auth-scheme': 'langsmith' },
    body: {},
  });
  await show("read A's thread with the header", studio.url, 'GET', `/threads/${stid}`, {
    headers: { 'x-auth-scheme': 'langsmith' },
  });

  out('## Delete (owner)');
  await show('A delete', base, 'DELETE', `/threads/${leakThread}`, { token: A });
  await show('A get after delete', base, 'GET', `/threads/${leakThread}`, { token: A });
} finally {
  await Promise.all([strict.close(), leaky.close(), studio.close()]);
}
