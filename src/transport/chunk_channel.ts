/**
 * A bounded hand-off of byte chunks from a socket to an async consumer: the receiving
 * side of a snapshot stream. The producer pushes chunks and is told to pause once more
 * than `highWaterBytes` wait; it is told to resume once the consumer has drained them.
 * The consumer iterates with `for await`; a failure ends the iteration with the error.
 */
import { assert } from "../lib/assert.js";

export interface ChunkChannelOptions {
  highWaterBytes: number;
  /** Called when the queued bytes exceed the high-water mark. */
  pause: () => void;
  /** Called when the consumer has emptied the queue after a pause. */
  resume: () => void;
}

export class ChunkChannel implements AsyncIterable<Buffer> {
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private paused = false;
  private ended = false;
  private failure: Error | null = null;
  private waiting: (() => void) | null = null;
  private iterated = false;

  constructor(private readonly options: ChunkChannelOptions) {}

  push(chunk: Buffer): void {
    assert(!this.ended && this.failure === null, "chunk pushed after the end");
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    if (!this.paused && this.queuedBytes > this.options.highWaterBytes) {
      this.paused = true;
      this.options.pause();
    }
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  /** Ends the stream with an error, unless it already ended. */
  fail(error: Error): void {
    if (this.ended) return;
    this.failure = error;
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    assert(!this.iterated, "a snapshot stream can be read once");
    this.iterated = true;
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk !== undefined) {
        this.queuedBytes -= chunk.length;
        if (this.paused && this.queue.length === 0) {
          this.paused = false;
          this.options.resume();
        }
        yield chunk;
        continue;
      }
      if (this.failure !== null) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }
}
