/**
 * Linearizable reads in a cluster (Raft §6.4, ReadIndex): a read may use this node's
 * state once the node has applied everything the leader had committed when the read
 * arrived. Reads that arrive together share one ReadIndex request (one heartbeat round
 * on the leader, or none while its lease holds in --read-mode lease, src/raft/lease.ts):
 * they wait in `waiting`, go out as one request at the next turn of the Ready loop, and
 * are released once the answer's index has been applied here. One request is out at a
 * time, as in etcd's linearizable read loop: reads arriving meanwhile cannot share it (it
 * was issued before they came), so they gather for the next one instead of each sending a
 * heartbeat round of its own (under 50 clients that was a round per read).
 *
 * A request can be lost (no leader yet, a leader change): one unanswered for
 * REISSUE_AFTER_MS is sent again, and waiters give up at their deadline with an error.
 */
import { WalnutError } from "../lib/errors.js";

const REISSUE_AFTER_MS = 300;

interface Waiter {
  deadlineMs: number;
  resolve(): void;
  reject(error: Error): void;
}

export class ReadBarriers {
  private waiting: Waiter[] = [];
  private readonly issued = new Map<string, { issuedAtMs: number; waiters: Waiter[] }>();
  private confirmed: Array<{ index: number; waiters: Waiter[] }> = [];
  private nextContext = 1;

  constructor(private readonly timeoutMs: number) {}

  /** A read barrier: resolves when a linearizable read may run here. */
  request(nowMs: number): Promise<void> {
    return new Promise((resolve, reject) => this.waiting.push({ deadlineMs: nowMs + this.timeoutMs, resolve, reject }));
  }

  get hasWaiting(): boolean {
    return this.waiting.length > 0;
  }

  /** Sends one ReadIndex request for every read that arrived since the last one, once that one is answered. */
  issue(readIndex: (context: Uint8Array) => void, nowMs: number): void {
    if (this.waiting.length === 0 || this.issued.size > 0) return;
    const context = Buffer.alloc(8);
    context.writeDoubleLE(this.nextContext++);
    this.issued.set(context.toString("hex"), { issuedAtMs: nowMs, waiters: this.waiting });
    this.waiting = [];
    readIndex(context);
  }

  /** The leader answered: the reads may run once `index` is applied. */
  confirm(context: Uint8Array, index: number, appliedIndex: number): void {
    const key = Buffer.from(context.buffer, context.byteOffset, context.byteLength).toString("hex");
    const request = this.issued.get(key);
    if (request === undefined) return;
    this.issued.delete(key);
    this.confirmed.push({ index, waiters: request.waiters });
    this.applied(appliedIndex);
  }

  applied(appliedIndex: number): void {
    if (this.confirmed.length === 0) return;
    const still: typeof this.confirmed = [];
    for (const batch of this.confirmed) {
      if (batch.index <= appliedIndex) for (const waiter of batch.waiters) waiter.resolve();
      else still.push(batch);
    }
    this.confirmed = still;
  }

  expire(nowMs: number): void {
    const error = new WalnutError("NO_LEADER", "Cannot read: the leader did not confirm the read in time; retry shortly");
    const keep = (waiters: Waiter[]): Waiter[] =>
      waiters.filter((waiter) => {
        if (waiter.deadlineMs > nowMs) return true;
        waiter.reject(error);
        return false;
      });
    this.waiting = keep(this.waiting);
    for (const [key, request] of this.issued) {
      const left = keep(request.waiters);
      // Unanswered for a while (dropped for want of a leader): ask again with the next batch.
      if (left.length === 0 || nowMs - request.issuedAtMs >= REISSUE_AFTER_MS) this.issued.delete(key);
      if (left.length > 0 && nowMs - request.issuedAtMs >= REISSUE_AFTER_MS) this.waiting.push(...left);
      else if (left.length > 0) request.waiters = left;
    }
    this.confirmed = this.confirmed.map((batch) => ({ index: batch.index, waiters: keep(batch.waiters) })).filter((b) => b.waiters.length > 0);
  }

  rejectAll(error: Error): void {
    for (const waiter of this.waiting) waiter.reject(error);
    for (const request of this.issued.values()) for (const waiter of request.waiters) waiter.reject(error);
    for (const batch of this.confirmed) for (const waiter of batch.waiters) waiter.reject(error);
    this.waiting = [];
    this.issued.clear();
    this.confirmed = [];
  }
}
