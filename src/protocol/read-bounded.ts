/** Reads a streamed body to its end as UTF-8 text, at most `maxBytes` (the rest is cut off): a target cannot make the generator buffer without end. */
export async function readBounded(
  body: AsyncIterable<Buffer> & { destroy(): void },
  maxBytes: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of body) {
      size += c.length;
      if (size > maxBytes) {
        body.destroy();
        break;
      }
      chunks.push(c);
    }
  } catch {
    /* what was read is what there is */
  }
  return Buffer.concat(chunks).toString('utf8');
}
