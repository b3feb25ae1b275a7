/**
 * The leader's view of one peer's replication (after etcd-io/raft's Progress): the highest
 * index known to match (`match`), the next index to send (`next`), and a state that says
 * how to send:
 *
 *   probe      — one append at a time until the peer confirms where its log matches
 *   replicate  — stream appends optimistically, at most `maxInflightAppends` unacknowledged
 *                appends holding at most `maxInflightBytes` of entry data
 *   snapshot   — the peer is behind the leader's first index; wait for the driver's
 *                "snapshotStatus" report before sending anything else
 */
import { assert } from "../lib/assert.js";
import type { PeerProgress } from "./types.js";

export type ProgressState = PeerProgress["state"];

/**
 * A bounded window of append messages sent but not acknowledged, by their last index and
 * the entry bytes each carried. Full at `capacity` appends or `maxBytes` bytes, whichever
 * comes first: a follower that stops reading (paused, slow link, long GC) can then hold
 * at most that much of the leader's sending, however far behind it is.
 */
export class InflightAppends {
  private readonly lastIndexes: number[] = [];
  private readonly sizes: number[] = [];
  private heldBytes = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    assert(capacity >= 1, `inflight capacity ${capacity} must be at least 1`);
    assert(maxBytes >= 1, `inflight bytes ${maxBytes} must be at least 1`);
  }

  get count(): number {
    return this.lastIndexes.length;
  }

  /** Entry bytes sent and not acknowledged. */
  get bytes(): number {
    return this.heldBytes;
  }

  isFull(): boolean {
    return this.lastIndexes.length >= this.capacity || this.heldBytes >= this.maxBytes;
  }

  add(lastIndex: number, bytes = 0): void {
    assert(!this.isFull(), "an append was sent with a full inflight window");
    const previous = this.lastIndexes[this.lastIndexes.length - 1];
    if (!(previous === undefined || previous < lastIndex)) assert(false, `inflight index ${lastIndex} after ${previous}`);
    this.lastIndexes.push(lastIndex);
    this.sizes.push(bytes);
    this.heldBytes += bytes;
  }

  /** Forgets every append whose last index is at or below `index`: the peer has it. */
  freeThrough(index: number): void {
    let freed = 0;
    while (freed < this.lastIndexes.length && (this.lastIndexes[freed] as number) <= index) freed += 1;
    this.free(freed);
  }

  /** Forgets the oldest append: lets a peer whose acknowledgements were lost make progress. */
  freeOldest(): void {
    this.free(Math.min(1, this.lastIndexes.length));
  }

  reset(): void {
    this.lastIndexes.length = 0;
    this.sizes.length = 0;
    this.heldBytes = 0;
  }

  private free(count: number): void {
    if (count === 0) return;
    this.lastIndexes.splice(0, count);
    for (const bytes of this.sizes.splice(0, count)) this.heldBytes -= bytes;
  }
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = "probe";
  /** In probe state: an append is out and we wait for its answer (or the next heartbeat). */
  probeSent = false;
  /** In snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /**
   * The leader's tick when it last sent this peer an append (-1: never). Only a heartbeat
   * sent after it can show that append was lost (see Replication.onHeartbeatResponse).
   */
  lastAppendTick = -1;
  isLearner: boolean;
  readonly inflight: InflightAppends;

  constructor(options: { next: number; isLearner: boolean; maxInflightAppends: number; maxInflightBytes?: number }) {
    assert(options.next >= 1, `next index ${options.next} must be at least 1`);
    this.next = options.next;
    this.isLearner = options.isLearner;
    this.inflight = new InflightAppends(options.maxInflightAppends, options.maxInflightBytes);
  }

  becomeProbe(): void {
    // After a snapshot, resume right after it (or after match, if the peer got further).
    const after = this.state === "snapshot" ? Math.max(this.match, this.pendingSnapshot) : this.match;
    this.resetState("probe");
    this.next = after + 1;
  }

  becomeReplicate(): void {
    this.resetState("replicate");
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState("snapshot");
    this.pendingSnapshot = snapshotIndex;
  }

  /** The peer acknowledged `index`; false if that is old news (a duplicate or reordered answer). */
  maybeUpdate(index: number): boolean {
    const updated = index > this.match;
    if (updated) {
      this.match = index;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** An append ending at `lastIndex`, carrying `bytes` of entry data, was sent in replicate state. */
  sentOptimistically(lastIndex: number, bytes = 0): void {
    assert(this.state === "replicate", `optimistic send in ${this.state} state`);
    this.next = lastIndex + 1;
    this.inflight.add(lastIndex, bytes);
  }

  /**
   * The peer rejected an append whose previous index was `rejected`, hinting that its log
   * may match at `hint` at best. Moves `next` back; false when the rejection is stale.
   */
  maybeDecreaseTo(rejected: number, hint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // Stale (not about the append we sent last), or at `match`, which the peer confirmed
    // holding: only a peer that lost acknowledged entries says that, and probing it again
    // at once would only repeat the exchange as fast as the network allows.
    if (this.next - 1 !== rejected || rejected <= this.match) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Whether the leader must hold back appends to this peer for now. */
  isPaused(): boolean {
    if (this.state === "probe") return this.probeSent;
    if (this.state === "replicate") return this.inflight.isFull();
    return true;
  }

  view(): PeerProgress {
    return { match: this.match, next: this.next, state: this.state, recentActive: this.recentActive, isLearner: this.isLearner };
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflight.reset();
  }
}
