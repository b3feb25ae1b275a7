/**
 * Proposals waiting for their entries to be applied. Each proposal gets a sequence number
 * that travels inside its entry (EntryOrigin), so the node that proposed it, leader or
 * follower, recognises the entry when it applies it and answers its client with the
 * reply its own apply computed: every replica computes the same reply.
 *
 * How a proposal ends, and why it never ends in an error for having waited:
 *   - its entry is applied: the reply (resolve);
 *   - the leader changes before that: outcome unknown (leaderChanged);
 *   - another entry is applied at the index its entry had in this node's log (a new
 *     leader replaced it): outcome unknown (settleApplied);
 *   - its entry never reached this node's log within `timeoutMs` of being proposed (a
 *     follower forwarded it and the leader dropped it, or the message was lost): outcome
 *     unknown (expire). Once the entry is in the log it no longer times out: its fate is
 *     decided by commit or by a change of leader, never by how long the queue was.
 * A client that must know an unknown outcome retries with a session id: every RESP
 * connection does (server/resp/write_session.ts, docs/sessions.md), so these errors reach
 * only HTTP and embedded callers, or a RESP write whose outcome stays unknown for 30 s.
 */
import type { EntryPayload } from "./entry.js";
import type { Reply } from "../engine/reply.js";
import { WalnutError } from "../lib/errors.js";

export interface WriteResult {
  index: number;
  reply: Reply;
}

/** A proposal waiting for its entry: also what add() hands back (one object per write). */
class Waiter {
  readonly result: Promise<WriteResult>;
  resolve!: (result: WriteResult) => void;
  reject!: (error: Error) => void;
  /** The index of its entry in this node's log, once there (0: not yet). */
  loggedIndex = 0;

  constructor(
    readonly sequence: number,
    readonly payload: EntryPayload,
    readonly deadlineMs: number,
    /** The leader when it was proposed: if leadership moves on, the outcome is unknown. */
    readonly leader: number,
  ) {
    this.result = new Promise<WriteResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

const UNKNOWN_OUTCOME_TIMEOUT = "Cannot confirm the write: it did not reach the log in time; its outcome is unknown";
const UNKNOWN_OUTCOME_REPLACED = "Cannot confirm the write: a new leader replaced its log entry; its outcome is unknown, retry";

export class ProposalTable {
  private nextSequence: number;
  private readonly waiting = new Map<number, Waiter>();
  /** Proposals in the order they were added, which is deadline order; answered ones are skipped. */
  private byDeadline: Waiter[] = [];
  private byDeadlineHead = 0;
  /** The sequence of the proposal whose entry this node's log holds at an index. */
  private readonly byLoggedIndex = new Map<number, number>();

  /**
   * `firstSequence` should differ between runs of the process (a random base), so that an
   * entry proposed before a restart is never mistaken for a proposal of this run.
   */
  constructor(
    private readonly timeoutMs: number,
    firstSequence: number,
  ) {
    this.nextSequence = firstSequence;
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Registers a proposal; its sequence goes into the entry's origin. */
  add(payload: EntryPayload, options: { nowMs: number; leader: number }): { readonly sequence: number; readonly result: Promise<WriteResult> } {
    const waiter = new Waiter(this.nextSequence++, payload, options.nowMs + this.timeoutMs, options.leader);
    this.waiting.set(waiter.sequence, waiter);
    this.byDeadline.push(waiter);
    return waiter;
  }

  /** The payload of a waiting proposal (so the proposer need not decode its own entry). */
  payloadOf(sequence: number): EntryPayload | undefined {
    return this.waiting.get(sequence)?.payload;
  }

  /**
   * The proposal's entry is in this node's log at `index` (about to be persisted): it no
   * longer times out. An earlier proposal logged at the same index was replaced.
   */
  noteLogged(sequence: number, index: number): void {
    const waiter = this.waiting.get(sequence);
    if (waiter === undefined) return;
    const previous = this.byLoggedIndex.get(index);
    if (previous !== undefined && previous !== sequence) this.reject(previous, new WalnutError("NO_LEADER", UNKNOWN_OUTCOME_REPLACED));
    waiter.loggedIndex = index;
    this.byLoggedIndex.set(index, sequence);
  }

  /**
   * The entry at `index` was applied; `ownSequence` is its proposal's sequence when this
   * node proposed it. A different proposal logged at that index lost its entry.
   */
  settleApplied(index: number, ownSequence: number): void {
    const logged = this.byLoggedIndex.get(index);
    if (logged !== undefined && logged !== ownSequence) this.reject(logged, new WalnutError("NO_LEADER", UNKNOWN_OUTCOME_REPLACED));
  }

  resolve(sequence: number, result: WriteResult): void {
    const waiter = this.take(sequence);
    waiter?.resolve(result);
  }

  reject(sequence: number, error: Error): void {
    const waiter = this.take(sequence);
    waiter?.reject(error);
  }

  /**
   * Answers proposals whose entries did not reach this node's log by their deadline.
   * Deadlines are add() time plus one timeout, so the queue is in deadline order: the
   * walk stops at the first proposal still in time and costs what it removes. (A clock
   * stepped back only delays some expiries.)
   */
  expire(nowMs: number): void {
    while (this.byDeadlineHead < this.byDeadline.length) {
      const waiter = this.byDeadline[this.byDeadlineHead] as Waiter;
      const pending = this.waiting.get(waiter.sequence) === waiter && waiter.loggedIndex === 0;
      if (pending && waiter.deadlineMs > nowMs) break;
      this.byDeadlineHead += 1;
      if (pending) this.reject(waiter.sequence, new WalnutError("TIMEOUT", UNKNOWN_OUTCOME_TIMEOUT));
    }
    this.compactDeadlines();
  }

  /**
   * Leadership moved to `leader`: proposals made under another leader may or may not
   * commit (the new leader may hold them, or not). Answer them now, so clients retry at
   * once instead of waiting.
   */
  leaderChanged(leader: number): void {
    for (const [sequence, waiter] of this.waiting) {
      if (waiter.leader === leader) continue;
      this.reject(
        sequence,
        new WalnutError("NO_LEADER", "Cannot confirm the write: the leader changed before it committed; its outcome is unknown, retry"),
      );
    }
  }

  rejectAll(error: Error): void {
    for (const sequence of [...this.waiting.keys()]) this.reject(sequence, error);
  }

  private take(sequence: number): Waiter | undefined {
    const waiter = this.waiting.get(sequence);
    if (waiter === undefined) return undefined;
    this.waiting.delete(sequence);
    if (waiter.loggedIndex !== 0 && this.byLoggedIndex.get(waiter.loggedIndex) === sequence) this.byLoggedIndex.delete(waiter.loggedIndex);
    if (this.waiting.size === 0) this.clearDeadlines();
    return waiter;
  }

  /** Drops answered proposals from the front of the deadline queue's array once they are many. */
  private compactDeadlines(): void {
    if (this.byDeadlineHead === this.byDeadline.length) this.clearDeadlines();
    else if (this.byDeadlineHead > 1024 && this.byDeadlineHead * 2 > this.byDeadline.length) {
      this.byDeadline = this.byDeadline.slice(this.byDeadlineHead);
      this.byDeadlineHead = 0;
    }
  }

  private clearDeadlines(): void {
    this.byDeadline = [];
    this.byDeadlineHead = 0;
  }
}
