// The payloads the hostile backend throws at the generator's frame parser:
// a burst of garbage (binary, truncated, not JSON, 16 MiB at the limit,
// deeply nested, 200,000 keys) and one valid frame just over the limit.
// Built once per process, before any client connects.
import { MiB } from './hostile-context.js';

/** `{"k0":0,...}` with `n` keys, built as text (Object.fromEntries + JSON.stringify of 200,000 keys blocks for over half a second). */
function manyKeys(n: number): string {
  return `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`;
}

let garbageCache: Array<[Buffer, boolean]> | undefined;
/**
 * The garbage burst, built once per process as Buffers (sent as text frames
 * unless marked binary), so the server's event loop never stalls mid-run
 * building or converting tens of megabytes.
 */
export function garbageFrames(): Array<[Buffer, boolean]> {
  if (garbageCache) return garbageCache;
  const head = '{"type":"system_notice","payload":{"text":"';
  const tail = '"}}';
  const text = (t: string): [Buffer, boolean] => [Buffer.from(t), false];
  garbageCache = [
    [Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x7b]), true],
    text('{"type":"agent_thinking","payload":{"user_id":'),
    text('not json at all'),
    // Exactly 16 MiB of text (the generator's limit), not JSON: an unterminated object.
    text(head + 'x'.repeat(16 * MiB - head.length)),
    // Exactly 16 MiB of valid JSON (an ownerless notice): at the limit, so accepted.
    text(head + 'y'.repeat(16 * MiB - head.length - tail.length) + tail),
    text(`${'['.repeat(10_000)}${']'.repeat(10_000)}`),
    text(`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`),
    text(manyKeys(200_000)),
    text(`{"type":"system_notice","payload":${manyKeys(200_000)}}`),
  ];
  return garbageCache;
}

let oversizeCache: Buffer | undefined;
/** One valid JSON text frame of 16 MiB + 1 byte. */
export function oversizeFrame(): Buffer {
  const head = '{"type":"system_notice","payload":{"text":"';
  const tail = '"}}';
  return (oversizeCache ??= Buffer.from(head + 'z'.repeat(16 * MiB + 1 - head.length - tail.length) + tail));
}
