// The frame reader's three paths (protocol.md's names, other plain names, any profile) read frames alike.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PROFILE } from '../../src/config/load-scenario.js';
import type { FrameProfile } from '../../src/core/scenario-types.js';
import { FrameReader, type FrameView } from '../../src/protocol/frame-reader.js';

/** A plain copy: the reader fills one view for every frame. */
const read = (r: FrameReader, frame: unknown): FrameView => ({ ...r.read(frame) });

const expected: FrameView = {
  type: 'agent_thinking', rawType: 'agent_thinking', userId: 'u-1', threadId: 'thr-1', runId: 'run-1', messageId: 'm-1',
  seq: 2, timestampMs: 1_700_000_000_000, code: undefined,
};

describe('FrameReader', () => {
  test('protocol.md\'s field names, in payload, data or the root, with null read as absent', () => {
    const r = new FrameReader(DEFAULT_PROFILE);
    const fields = { user_id: 'u-1', thread_id: 'thr-1', run_id: 'run-1', message_id: 'm-1', seq: 2, timestamp: 1_700_000_000 };
    assert.deepEqual(read(r, { type: 'agent_thinking', payload: fields }), expected);
    assert.deepEqual(read(r, { event: 'agent_thinking', data: fields }), expected, 'data root, event as the type field; seconds read as seconds');
    assert.deepEqual(read(r, { type: 'agent_thinking', ...fields, payload: { run_id: null } }), expected);
    assert.deepEqual(read(r, 'not an object'), { type: '', rawType: '', userId: undefined, threadId: undefined, runId: undefined, messageId: undefined, seq: undefined, timestampMs: undefined, code: undefined });
  });

  test('a backend\'s own plain names read the same as protocol.md\'s', () => {
    const profile: FrameProfile = { ...DEFAULT_PROFILE, fields: { userId: 'owner', threadId: 'conversation', runId: 'run', messageId: 'reply_to', seq: 'n', timestamp: 'ts', code: 'err' } };
    const r = new FrameReader(profile);
    assert.deepEqual(read(r, { type: 'agent_thinking', payload: { owner: 'u-1', conversation: 'thr-1', run: 'run-1', reply_to: 'm-1', n: 2, ts: 1_700_000_000_000 } }), expected);
  });

  test('dotted paths, other roots and aliases (the general path)', () => {
    const profile: FrameProfile = {
      ...DEFAULT_PROFILE, fieldRoots: ['body'], typeFields: ['kind'], aliases: { thinking: 'agent_thinking' },
      fields: { ...DEFAULT_PROFILE.fields, userId: 'who.id', timestamp: 'at' }, timestampUnit: 'iso',
    };
    const r = new FrameReader(profile);
    const frame = { kind: 'thinking', body: { who: { id: 'u-1' }, thread_id: 'thr-1', run_id: 'run-1', message_id: 'm-1', seq: 2, at: new Date(1_700_000_000_000).toISOString() } };
    assert.deepEqual(read(r, frame), { ...expected, rawType: 'thinking' });
  });

  test('each read fills the same view: what a frame said must be taken before the next read', () => {
    const r = new FrameReader(DEFAULT_PROFILE);
    const first = r.read({ type: 'agent_started', payload: { run_id: 'run-1' } });
    r.read({ type: 'agent_completed', payload: { run_id: 'run-2' } });
    assert.equal(first.runId, 'run-2');
  });
});
