/**
 * Proposals waiting for their entries to be applied. Each proposal gets a sequence number
 * that travels inside its entry (EntryOrigin), so the node that proposed it, leader or
 * follower, recognises the entry when it applies it and answers its client with the
 * reply its own apply computed: every replica computes the same reply.
 *
 * A proposal whose entry never commits (lost with a leader, or forwarded by a follower and
 * dropped on the way) is answered after `timeoutMs` with an error that says the outcome is
 * unknown: the entry might still commit later, so a client that must know retries with a
 * session id. The timeout starts when the entry is proposed, not when its write arrived:
 * writes that wait for room (write_admission.ts) wait outside this table.
 */
import type { EntryPayload } from "../commands/entry.js";
import type { Reply } from "../commands/reply.js";
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

export class ProposalTable {
  private nextSequence: number;
  private readonly waiting = new Map<number, Waiter>();

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
    return waiter;
  }

  /** The payload of a waiting proposal (so the proposer need not decode its own entry). */
  payloadOf(sequence: number): EntryPayload | undefined {
    return this.waiting.get(sequence)?.payload;
  }

  resolve(sequence: number, result: WriteResult): void {
    const waiter = this.waiting.get(sequence);
    if (waiter === undefined) return;
    this.waiting.delete(sequence);
    waiter.resolve(result);
  }

  reject(sequence: number, error: Error): void {
    const waiter = this.waiting.get(sequence);
    if (waiter === undefined) return;
    this.waiting.delete(sequence);
    waiter.reject(error);
  }

  /**
   * Answers proposals older than their deadline: their outcome is unknown. Every deadline
   * is the time of add() plus the same timeout, so the map's insertion order is deadline
   * order and the walk stops at the first proposal still in time: the cost is the number
   * expired, not the number waiting. (A clock stepped back only delays some expiries.)
   */
  expire(nowMs: number): void {
    for (const [sequence, waiter] of this.waiting) {
      if (waiter.deadlineMs > nowMs) return;
      this.reject(sequence, new WalnutError("TIMEOUT", "Cannot confirm the write: it was not committed in time; its outcome is unknown"));
    }
  }

  /**
   * Leadership moved to `leader`: proposals made under another leader may or may not
   * commit (the new leader may hold them, or not). Answer them now, so clients retry at
   * once instead of waiting for the timeout.
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
}
