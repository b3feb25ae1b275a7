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

/**
 * Who hears how a proposal ended: exactly one of the two is called, once. The promise API
 * (add(), Node.propose) hands in its promise's functions; a caller on the hot path (a RESP
 * connection's write session) hands in an object of its own, and no promise is made.
 */
export interface ProposalListener {
  resolve(result: WriteResult): void;
  reject(error: Error): void;
}

/** A proposal waiting for its entry (one object per write). */
class Waiter {
  /** The index of its entry in this node's log, once there (0: not yet). */
  loggedIndex = 0;

  constructor(
    readonly sequence: number,
    readonly payload: EntryPayload,
    readonly deadlineMs: number,
    /** The leader when it was proposed: if leadership moves on, the outcome is unknown. */
    readonly leader: number,
    readonly listener: ProposalListener,
  ) {}

  resolve(result: WriteResult): void {
    this.listener.resolve(result);
  }

  reject(error: Error): void {
    this.listener.reject(error);
  }
}

const UNKNOWN_OUTCOME_TIMEOUT = "Cannot confirm the write: it did not reach the log in time; its outcome is unknown";
const UNKNOWN_OUTCOME_REPLACED = "Cannot confirm the write: a new leader replaced its log entry; its outcome is unknown, retry";

export class ProposalTable {
  private nextSequence: number;
  /**
   * The waiting proposals by sequence: `waiters[sequence - base]`, null once answered.
   * Sequences are handed out one after another and mostly answered in that order, so an
   * array serves where a Map would hash (and box) a large number at every add and answer.
   * Slots before `head` are answered; the array is cut from the front as it empties.
   */
  private waiters: Array<Waiter | null> = [];
  private base: number;
  private head = 0;
  private live = 0;
  /** The deadline walk resumes here (a sequence): proposals before it were logged or answered (expire). */
  private expiryNext: number;
  /** The proposal whose entry this node's log holds at an index. */
  private readonly byLoggedIndex = new Map<number, Waiter>();

  /**
   * `firstSequence` should differ between runs of the process (a random base), so that an
   * entry proposed before a restart is never mistaken for a proposal of this run.
   */
  constructor(
    private readonly timeoutMs: number,
    firstSequence: number,
  ) {
    this.nextSequence = firstSequence;
    this.base = firstSequence;
    this.expiryNext = firstSequence;
  }

  get size(): number {
    return this.live;
  }

  /** Registers a proposal; its sequence goes into the entry's origin, its outcome comes as a promise. */
  add(payload: EntryPayload, options: { nowMs: number; leader: number }): { readonly sequence: number; readonly result: Promise<WriteResult> } {
    let listener!: ProposalListener;
    const result = new Promise<WriteResult>((resolve, reject) => {
      listener = { resolve, reject };
    });
    return { sequence: this.addListening(payload, options.nowMs, options.leader, listener), result };
  }

  /** Registers a proposal whose outcome goes to `listener`; its sequence, for the entry's origin. */
  addListening(payload: EntryPayload, nowMs: number, leader: number, listener: ProposalListener): number {
    if (this.live === 0) this.restartAt(this.nextSequence);
    const sequence = this.nextSequence++;
    this.waiters.push(new Waiter(sequence, payload, nowMs + this.timeoutMs, leader, listener));
    this.live += 1;
    return sequence;
  }

  /** The payload of a waiting proposal (so the proposer need not decode its own entry). */
  payloadOf(sequence: number): EntryPayload | undefined {
    return this.waiterOf(sequence)?.payload;
  }

  /**
   * The proposal's entry is in this node's log at `index` (about to be persisted): it no
   * longer times out. An earlier proposal logged at the same index was replaced.
   */
  noteLogged(sequence: number, index: number): void {
    const waiter = this.waiterOf(sequence);
    if (waiter === undefined) return;
    const previous = this.byLoggedIndex.get(index);
    if (previous !== undefined && previous !== waiter) this.reject(previous.sequence, new WalnutError("NO_LEADER", UNKNOWN_OUTCOME_REPLACED));
    waiter.loggedIndex = index;
    this.byLoggedIndex.set(index, waiter);
  }

  /**
   * The entry at `index` was applied; `ownSequence` is its proposal's sequence when this
   * node proposed it. A different proposal logged at that index lost its entry.
   */
  settleApplied(index: number, ownSequence: number): void {
    const logged = this.byLoggedIndex.get(index);
    if (logged !== undefined && logged.sequence !== ownSequence) this.reject(logged.sequence, new WalnutError("NO_LEADER", UNKNOWN_OUTCOME_REPLACED));
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
   * Deadlines are add() time plus one timeout, so sequence order is deadline order: the
   * walk stops at the first proposal still in time and costs what it passes. (A clock
   * stepped back only delays some expiries.)
   */
  expire(nowMs: number): void {
    for (let sequence = Math.max(this.expiryNext, this.base + this.head); sequence < this.nextSequence; sequence++) {
      const waiter = this.waiterOf(sequence);
      const pending = waiter !== undefined && waiter.loggedIndex === 0;
      if (pending && waiter.deadlineMs > nowMs) break;
      this.expiryNext = sequence + 1;
      if (pending) this.reject(sequence, new WalnutError("TIMEOUT", UNKNOWN_OUTCOME_TIMEOUT));
    }
  }

  /**
   * Leadership moved to `leader`: proposals made under another leader may or may not
   * commit (the new leader may hold them, or not). Answer them now, so clients retry at
   * once instead of waiting.
   */
  leaderChanged(leader: number): void {
    const end = this.nextSequence;
    for (let sequence = this.base + this.head; sequence < end; sequence++) {
      const waiter = this.waiterOf(sequence);
      if (waiter === undefined || waiter.leader === leader) continue;
      this.reject(
        sequence,
        new WalnutError("NO_LEADER", "Cannot confirm the write: the leader changed before it committed; its outcome is unknown, retry"),
      );
    }
  }

  rejectAll(error: Error): void {
    const end = this.nextSequence;
    for (let sequence = this.base + this.head; sequence < end; sequence++) this.reject(sequence, error);
  }

  private waiterOf(sequence: number): Waiter | undefined {
    const at = sequence - this.base;
    if (at < this.head || at >= this.waiters.length) return undefined;
    return this.waiters[at] ?? undefined;
  }

  private take(sequence: number): Waiter | undefined {
    const waiter = this.waiterOf(sequence);
    if (waiter === undefined) return undefined;
    this.waiters[sequence - this.base] = null;
    this.live -= 1;
    if (waiter.loggedIndex !== 0 && this.byLoggedIndex.get(waiter.loggedIndex) === waiter) this.byLoggedIndex.delete(waiter.loggedIndex);
    if (this.live === 0) this.restartAt(this.nextSequence);
    else this.dropAnsweredFront();
    return waiter;
  }

  /** Moves `head` past answered proposals, and cuts them off the array once they are many. */
  private dropAnsweredFront(): void {
    while (this.head < this.waiters.length && this.waiters[this.head] === null) this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters = this.waiters.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
  }

  /** Nothing waits: the array starts over at `sequence`. */
  private restartAt(sequence: number): void {
    if (this.waiters.length > 0) this.waiters = [];
    this.base = sequence;
    this.head = 0;
  }
}
