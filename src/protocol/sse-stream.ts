import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { RunRecord } from '../core/run-record.js';
import { decodeNested, readBatch, type Channel, type FrameHandler } from './connection.js';
import type { FrameReader } from './frame-reader.js';
import type { StreamAnswer } from './rest-client.js';

const nowUs = (): number => Math.round(performance.now() * 1000);

/** How a run's event stream ended. */
export type StreamEnd =
  /** A `done` sentinel (e.g. `[DONE]`) came. */
  | 'done'
  /** The server ended the response. */
  | 'closed'
  /** The connection broke, or the body went over its limit, or we cut it. */
  | 'broken';

/**
 * One run's Server-Sent Events stream: the answer of the request that started
 * the run. Each event's data is one frame, parsed once (eventsource-parser
 * splits the bytes into events) and handed to the same per-frame path as a
 * WebSocket's frames; its `event:` name is the carrier's type. Bytes come
 * in through `feed` (a run's `StreamCall`) or `read` (an answer's body).
 */
export class SseRunStream implements Channel {
  private parser = createParser({ onEvent: (ev) => this.onEvent(ev) });
  // A StringDecoder, not a TextDecoder: the streaming TextDecoder goes through ICU on every chunk.
  private readonly decoder = new StringDecoder('utf8');
  private readAtUs = 0;
  private sawDone = false;
  private overLimit = false;
  private body: { destroy(): void } | undefined;
  /** Events received on this stream. */
  frames = 0;
  /** The run this stream answers: its frames that name no other run are its own. */
  run: RunRecord | undefined;
  /** Bytes read, bounded by `maxBytes`. */
  private bytes = 0;

  constructor(
    readonly index: number,
    /** The run's send time: a stream sees its run from the start. */
    readonly openedAtUs: number,
    private readonly reader: FrameReader,
    private readonly handler: FrameHandler,
    private readonly done: readonly string[],
    private readonly maxBytes: number,
  ) {}

  /**
   * Takes one chunk of the stream; false when the stream should be cut
   * (a `done` sentinel came, or the body went over its limit).
   */
  feed(chunk: Buffer): boolean {
    if (this.sawDone || this.overLimit) return false;
    // One receive time per chunk read, before any of its events is handled.
    this.readAtUs = nowUs();
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.overLimit = true;
      return false;
    }
    this.parser.feed(this.decoder.write(chunk));
    return !this.sawDone;
  }

  /** How the stream ended, given whether its bytes stopped by the server finishing the answer. */
  end(finished: boolean): StreamEnd {
    if (this.sawDone) return 'done';
    return finished && !this.overLimit ? 'closed' : 'broken';
  }

  /** Reads an answered stream's body to its end. */
  async read(answer: Extract<StreamAnswer, { ok: true }>): Promise<StreamEnd> {
    this.body = answer.body;
    try {
      for await (const chunk of answer.body) {
        if (!this.feed(chunk)) {
          answer.body.destroy();
          return this.end(false);
        }
      }
      return this.end(true);
    } catch {
      return this.end(false);
    }
  }

  /** Cuts the stream (the run timed out, or the user stopped). */
  cut(): void {
    this.body?.destroy();
  }

  private onEvent(ev: EventSourceMessage): void {
    if (this.sawDone) return;
    const data = ev.data;
    if (this.done.includes(data.trim())) {
      this.sawDone = true;
      return;
    }
    this.frames++;
    let frame: unknown;
    try {
      frame = decodeNested(JSON.parse(data));
    } catch {
      return this.handler.onMalformed(this, 'not JSON', data);
    }
    // A list is a batch of frames, unless the adapter reads it as one frame (LangGraph's [chunk, metadata]).
    if (Array.isArray(frame) && !this.reader.arraysAreFrames) {
      const batch = readBatch(frame);
      if (!batch) return this.handler.onMalformed(this, 'a list, not frames', data);
      for (const f of batch)
        this.handler.onFrame(
          this,
          this.reader.read(f, ev.event),
          f,
          batch.length === 1 ? data : JSON.stringify(f),
          this.readAtUs,
        );
      return;
    }
    if (typeof frame !== 'object' || frame === null) return this.handler.onMalformed(this, 'not a JSON object', data);
    this.handler.onFrame(this, this.reader.read(frame, ev.event), frame, data, this.readAtUs);
  }
}
