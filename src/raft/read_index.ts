/**
 * ReadIndex (Raft thesis §6.4): linearizable reads without writing to the log. The leader
 * records its commit index when a read arrives, then confirms it is still the leader with
 * a heartbeat round that carries the request's context; once a quorum of voters has echoed
 * that context, every request queued up to and including it may be served as soon as the
 * state machine has applied the recorded index.
 *
 * Requests are kept in arrival order: an acknowledgement for a later context also confirms
 * every earlier request, because the heartbeat carrying it was sent after they arrived.
 *
 * In lease mode (lease.ts) a read that arrives while the leader's lease holds is answered
 * at once at the commit index, with no round; otherwise it takes the path above.
 */
import { assert } from "../lib/assert.js";
import { hasActiveQuorum } from "./quorum.js";
import type { Message, NodeId } from "./types.js";

/** Reads a leader holds awaiting confirmation; more are dropped (the client retries). */
export const MAX_PENDING_READS = 4096;

export interface PendingRead {
  /** The leader's commit index when the request arrived. */
  index: number;
  /** The request as received (from the leader itself or forwarded by a follower). */
  request: Message;
  acknowledgedBy: Set<NodeId>;
}

export class ReadIndexQueue {
  private readonly byContext = new Map<string, PendingRead>();
  private readonly order: string[] = [];

  get size(): number {
    return this.order.length;
  }

  /** Queues a read; false if its context is already queued or the queue is full. */
  add(index: number, request: Message): boolean {
    const key = contextKey(request.context);
    if (this.byContext.has(key) || this.order.length >= MAX_PENDING_READS) return false;
    this.byContext.set(key, { index, request, acknowledgedBy: new Set() });
    this.order.push(key);
    return true;
  }

  /** Records that `from` echoed `context`; the set of acknowledgers so far, or undefined if unknown. */
  acknowledge(from: NodeId, context: Uint8Array): ReadonlySet<NodeId> | undefined {
    const pending = this.byContext.get(contextKey(context));
    if (pending === undefined) return undefined;
    pending.acknowledgedBy.add(from);
    return pending.acknowledgedBy;
  }

  /** Removes and returns every read queued up to and including the one with `context`. */
  confirmThrough(context: Uint8Array): PendingRead[] {
    const key = contextKey(context);
    const position = this.order.indexOf(key);
    if (position < 0) return [];
    const confirmed = this.order.splice(0, position + 1).map((each) => {
      const pending = this.byContext.get(each);
      assert(pending !== undefined, "read queue order and map disagree");
      this.byContext.delete(each);
      return pending;
    });
    return confirmed;
  }

  /** The context of the newest queued read: heartbeats carry it. */
  lastContext(): Uint8Array | undefined {
    const key = this.order[this.order.length - 1];
    return key === undefined ? undefined : this.byContext.get(key)?.request.context;
  }

  clear(): void {
    this.byContext.clear();
    this.order.length = 0;
  }
}

function contextKey(context: Uint8Array): string {
  let key = "";
  for (const byte of context) key += String.fromCharCode(byte);
  return key;
}

/** What the leader knows about itself when a read arrives or its commit index moves. */
export interface LeaderReadState {
  committed: number;
  /** An entry of the leader's own term has committed, so its commit index is current. */
  committedInCurrentTerm: boolean;
  voters: readonly NodeId[];
  /** Lease mode: no other leader can have been elected (lease.ts). */
  leaseHolds: boolean;
}

/**
 * The leader's read path: requests wait until this term's first entry commits (before
 * that, the leader's commit index may lag the cluster's, §6.4), then until a heartbeat
 * round confirms leadership (unless a lease holds), and are answered through `answer`.
 */
export class LeaderReads {
  private readonly queue = new ReadIndexQueue();
  private deferred: Message[] = [];

  constructor(
    private readonly options: {
      selfId: NodeId;
      answer: (read: PendingRead) => void;
      broadcastHeartbeat: (context: Uint8Array) => void;
    },
  ) {}

  request(request: Message, leader: LeaderReadState): void {
    if (!leader.committedInCurrentTerm) {
      if (this.deferred.length < MAX_PENDING_READS) this.deferred.push(request);
      return;
    }
    const { selfId } = this.options;
    if (leader.leaseHolds || (leader.voters.length === 1 && leader.voters[0] === selfId)) {
      // Nobody else can have been elected: the commit index is already safe to read at.
      this.options.answer({ index: leader.committed, request, acknowledgedBy: new Set([selfId]) });
      return;
    }
    if (!this.queue.add(leader.committed, request)) return;
    this.queue.acknowledge(selfId, request.context);
    this.options.broadcastHeartbeat(request.context);
  }

  /** The commit index moved: reads deferred for want of a commit in this term may proceed. */
  releaseDeferred(leader: LeaderReadState): void {
    if (!leader.committedInCurrentTerm || this.deferred.length === 0) return;
    const released = this.deferred;
    this.deferred = [];
    for (const request of released) this.request(request, leader);
  }

  onHeartbeatResponse(from: NodeId, context: Uint8Array, voters: readonly NodeId[]): void {
    if (context.length === 0) return;
    const acknowledgedBy = this.queue.acknowledge(from, context);
    if (acknowledgedBy === undefined || !hasActiveQuorum(voters, (id) => acknowledgedBy.has(id))) return;
    for (const read of this.queue.confirmThrough(context)) this.options.answer(read);
  }

  /** The context the next heartbeat round carries (the newest read's), if any. */
  lastContext(): Uint8Array | undefined {
    return this.queue.lastContext();
  }

  clear(): void {
    this.queue.clear();
    this.deferred = [];
  }
}
