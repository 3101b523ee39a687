// The frame reader's three paths (protocol.md's names, other plain names, any profile) read frames alike.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PROFILE } from '../../src/config/load-scenario.js';
import type { FrameProfile } from '../../src/core/scenario-types.js';
import { FrameReader, type FrameView } from '../../src/protocol/frame-reader.js';

/** A plain copy: the reader fills one view for every frame. */
const read = (r: FrameReader, frame: unknown): FrameView => ({ ...r.read(frame) });
const read2 = (r: FrameReader, frame: unknown, carrier: string): FrameView => ({ ...r.read(frame, carrier) });

const expected: FrameView = {
  type: 'agent_thinking',
  event: 1 /* agent_thinking's place in RUN_EVENTS */,
  rawType: 'agent_thinking',
  userId: 'u-1',
  threadId: 'thr-1',
  runId: 'run-1',
  messageId: 'm-1',
  seq: 2,
  code: undefined,
  pairKey: undefined,
};

describe('FrameReader', () => {
  test("protocol.md's field names, in payload, data or the root, with null read as absent", () => {
    const r = new FrameReader(DEFAULT_PROFILE);
    const fields = {
      user_id: 'u-1',
      thread_id: 'thr-1',
      run_id: 'run-1',
      message_id: 'm-1',
      seq: 2,
      timestamp: 1_700_000_000,
    };
    assert.deepEqual(read(r, { type: 'agent_thinking', payload: fields }), expected);
    assert.deepEqual(
      read(r, { event: 'agent_thinking', data: fields }),
      expected,
      'data root, event as the type field; seconds read as seconds',
    );
    assert.deepEqual(read(r, { type: 'agent_thinking', ...fields, payload: { run_id: null } }), expected);
    assert.deepEqual(read(r, 'not an object'), {
      type: '',
      event: -1,
      rawType: '',
      userId: undefined,
      threadId: undefined,
      runId: undefined,
      messageId: undefined,
      seq: undefined,
      code: undefined,
      pairKey: undefined,
    });
  });

  test("a backend's own plain names read the same as protocol.md's", () => {
    const profile: FrameProfile = {
      ...DEFAULT_PROFILE,
      fields: {
        userId: 'owner',
        threadId: 'conversation',
        runId: 'run',
        messageId: 'reply_to',
        seq: 'n',
        timestamp: 'ts',
        code: 'err',
      },
    };
    const r = new FrameReader(profile);
    assert.deepEqual(
      read(r, {
        type: 'agent_thinking',
        payload: { owner: 'u-1', conversation: 'thr-1', run: 'run-1', reply_to: 'm-1', n: 2, ts: 1_700_000_000_000 },
      }),
      expected,
    );
  });

  test('dotted paths, other roots and aliases (the general path)', () => {
    const profile: FrameProfile = {
      ...DEFAULT_PROFILE,
      fieldRoots: ['body'],
      typeFields: ['kind'],
      aliases: { thinking: 'agent_thinking' },
      fields: { ...DEFAULT_PROFILE.fields, userId: 'who.id', timestamp: 'at' },
      timestampUnit: 'iso',
    };
    const r = new FrameReader(profile);
    const frame = {
      kind: 'thinking',
      body: {
        who: { id: 'u-1' },
        thread_id: 'thr-1',
        run_id: 'run-1',
        message_id: 'm-1',
        seq: 2,
        at: new Date(1_700_000_000_000).toISOString(),
      },
    };
    assert.deepEqual(read(r, frame), { ...expected, rawType: 'thinking' });
  });

  test('the server timestamp is read on request, in the unit the profile gives, through the same roots and names', () => {
    const wire = new FrameReader(DEFAULT_PROFILE);
    assert.equal(
      wire.timestampMs({ type: 'agent_thinking', payload: { timestamp: 1_700_000_000 } }),
      1_700_000_000_000,
      'seconds read as seconds (auto)',
    );
    assert.equal(
      wire.timestampMs({ type: 'agent_thinking', data: { timestamp: 1_700_000_000_123 } }),
      1_700_000_000_123,
    );
    assert.equal(wire.timestampMs({ type: 'agent_thinking', payload: {} }), undefined);
    assert.equal(wire.timestampMs('not an object'), undefined);
    const iso = new FrameReader({
      ...DEFAULT_PROFILE,
      fieldRoots: ['body'],
      fields: { ...DEFAULT_PROFILE.fields, timestamp: 'meta.at' },
      timestampUnit: 'iso',
    });
    assert.equal(
      iso.timestampMs({ type: 'x', body: { meta: { at: new Date(1_700_000_000_000).toISOString() } } }),
      1_700_000_000_000,
    );
  });

  test('the code is read from error frames only, in every path', () => {
    const profiles: FrameProfile[] = [
      DEFAULT_PROFILE,
      { ...DEFAULT_PROFILE, fields: { ...DEFAULT_PROFILE.fields, code: 'err' } },
      { ...DEFAULT_PROFILE, fieldRoots: ['body', ''], fields: { ...DEFAULT_PROFILE.fields, code: 'err.code' } },
    ];
    const frames = [
      {
        type: 'error',
        payload: { code: 'THREAD_NOT_FOUND', err: 'THREAD_NOT_FOUND' },
        body: { err: { code: 'THREAD_NOT_FOUND' } },
      },
      { type: 'agent_completed', payload: { code: 'X', err: 'X' }, body: { err: { code: 'X' } } },
    ];
    for (const [i, p] of profiles.entries()) {
      const r = new FrameReader(p);
      assert.equal(r.read(frames[0]).code, 'THREAD_NOT_FOUND', `profile ${i}: error frame`);
      assert.equal(r.read(frames[1]).code, undefined, `profile ${i}: a run event has no code`);
    }
  });

  test('each read fills the same view: what a frame said must be taken before the next read', () => {
    const r = new FrameReader(DEFAULT_PROFILE);
    const first = r.read({ type: 'agent_started', payload: { run_id: 'run-1' } });
    r.read({ type: 'agent_completed', payload: { run_id: 'run-2' } });
    assert.equal(first.runId, 'run-2');
  });

  test("the pair key (tool_name by default) is read from tool frames only, through the profile's roots; a keyless pair reads none", () => {
    const r = new FrameReader(DEFAULT_PROFILE);
    assert.equal(r.read({ type: 'tool_executing', payload: { tool_name: 'fetch_url' } }).pairKey, 'fetch_url');
    assert.equal(r.read({ event: 'tool_completed', tool_name: 'run_python' }).pairKey, 'run_python', 'flat frames');
    assert.equal(
      r.read({ type: 'agent_thinking', payload: { tool_name: 'fetch_url' } }).pairKey,
      undefined,
      'not a pair event',
    );
    const byCallId = new FrameReader({
      ...DEFAULT_PROFILE,
      fieldRoots: ['body'],
      lifecycle: {
        ...DEFAULT_PROFILE.lifecycle,
        pairs: [{ open: 'tool_executing', close: 'tool_completed', key: 'call.id' }],
      },
    });
    assert.equal(byCallId.read({ type: 'tool_completed', body: { call: { id: 'c-7' } } }).pairKey, 'c-7');
    const keyless = new FrameReader({
      ...DEFAULT_PROFILE,
      lifecycle: { ...DEFAULT_PROFILE.lifecycle, pairs: [{ open: 'tool_executing', close: 'tool_completed' }] },
    });
    assert.equal(keyless.read({ type: 'tool_executing', payload: { tool_name: 'fetch_url' } }).pairKey, undefined);
  });
  test("array frames (LangGraph's [chunk, metadata]) read through elements as roots or path steps; other wires' arrays read nothing", () => {
    // The langgraph adapter's reading: the carrier names the type, fields come from element 1 (messages) or the root (metadata).
    const byRoot = new FrameReader(
      {
        ...DEFAULT_PROFILE,
        fieldRoots: ['1', ''],
        aliases: { messages: 'content_delta', metadata: 'agent_started' },
        fields: { ...DEFAULT_PROFILE.fields, userId: 'owner' },
      },
      'carrier',
    );
    const chunk = [
      { content: 'You ', type: 'ai', id: 'run-x' },
      { owner: 'u-1', thread_id: 'thr-1', run_id: 'run-1', langgraph_node: 'agent' },
    ];
    assert.deepEqual(read2(byRoot, chunk, 'messages'), {
      ...expected,
      type: 'content_delta',
      event: 7,
      rawType: 'messages',
      messageId: undefined,
      seq: undefined,
    });
    assert.equal(
      byRoot.read({ run_id: 'run-1', attempt: 1 }, 'metadata').runId,
      'run-1',
      'an object frame of the same wire: the root',
    );
    // The same through dotted paths from the frame itself.
    const byPath = new FrameReader(
      {
        ...DEFAULT_PROFILE,
        fieldRoots: [''],
        fields: { ...DEFAULT_PROFILE.fields, userId: '1.owner', threadId: '1.thread_id', runId: '1.run_id' },
      },
      'carrier',
    );
    const v = byPath.read(chunk, 'messages');
    assert.deepEqual([v.type, v.userId, v.threadId, v.runId], ['messages', 'u-1', 'thr-1', 'run-1']);
    // Without a carrier type the general path still reads an array's fields (types from a field, as in a WebSocket frame).
    const ws = new FrameReader({ ...DEFAULT_PROFILE, fieldRoots: ['1'], typeFields: ['0'] });
    const w = ws.read(['agent_thinking', { user_id: 'u-1', thread_id: 'thr-1' }]);
    assert.deepEqual([w.type, w.userId, w.threadId], ['agent_thinking', 'u-1', 'thr-1']);
    // protocol.md's reader finds nothing in an array, as before.
    assert.deepEqual(read(new FrameReader(DEFAULT_PROFILE), [{ type: 'agent_thinking', user_id: 'u-1' }]), {
      type: '',
      event: -1,
      rawType: '',
      userId: undefined,
      threadId: undefined,
      runId: undefined,
      messageId: undefined,
      seq: undefined,
      code: undefined,
      pairKey: undefined,
    });
  });
});
