/**
 * Writes waiting for room among the proposals in flight.
 *
 * The node keeps at most `limits.writesInFlightMax` proposals in the Raft log that have
 * not been answered yet. A write that arrives when they are all taken waits here, in
 * arrival order, and is proposed as soon as one is answered. Waiting here is not part of
 * a proposal's deadline: a write is never answered "outcome unknown" because it queued.
 *
 * Nothing here bounds the queue itself: its callers do. The RESP server stops reading a
 * connection that has writes waiting (so at most one per connection waits here), the
 * HTTP server handles one request per connection at a time, and an embedded caller's
 * writes wait as its own promises.
 */
import type { EntryPayload } from "./entry.js";
import type { ProposalListener } from "./proposals.js";

interface QueuedWrite {
  readonly payload: EntryPayload;
  readonly listener: ProposalListener;
}

export class WriteAdmission {
  /** A FIFO as an array and a head index: shift() on a long array copies it each time. */
  private queue: QueuedWrite[] = [];
  private head = 0;

  get length(): number {
    return this.queue.length - this.head;
  }

  /** Queues a write; `listener` hears the proposal's outcome once it is admitted and answered. */
  enqueue(payload: EntryPayload, listener: ProposalListener): void {
    this.queue.push({ payload, listener });
  }

  /** Proposes queued writes, oldest first, while `hasRoom()` says yes. */
  admit(hasRoom: () => boolean, propose: (payload: EntryPayload, listener: ProposalListener) => void): void {
    while (this.head < this.queue.length && hasRoom()) {
      const write = this.queue[this.head] as QueuedWrite;
      this.head += 1;
      propose(write.payload, write.listener);
    }
    this.compact();
  }

  /** Answers every queued write with `error` (the node closes, or writes failed for good). */
  rejectAll(error: Error): void {
    const queued = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const write of queued) write.listener.reject(error);
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
