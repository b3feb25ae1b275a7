/**
 * The writes of one RESP connection, proposed under one ordered at-most-once session
 * (engine/session_table.ts; docs/sessions.md tells the whole story), so that no write is
 * ever answered an error only because a leader change left its outcome unknown.
 *
 * - The session is a client id unique across nodes and restarts: a session number
 *   (node/session_numbers.ts: 8 bytes in each entry, nothing to decode), or, before the
 *   node's first own write of this life is applied, a string (node id, a random tag of
 *   this process, a counter). Each write that reaches the log gets the next request id,
 *   1, 2, 3..., in the order the client sent them: the connection proposes in that order.
 *   A write answered without reaching the log (NOSCRIPT, OOM) takes no id.
 * - Each proposal carries `ackBelow`, the lowest id whose answer the connection still
 *   waits for: the replicated session drops the replies below it.
 * - A write whose outcome is unknown (NO_LEADER: the leader changed, or none is known yet;
 *   TIMEOUT; or the log answered SESSION_OUT_OF_ORDER because an earlier write of this
 *   connection was lost on its way) is proposed again with the same id after a short pause,
 *   with the others waiting, in id order. apply() applies each id once and in order, and
 *   answers a duplicate its remembered reply, so the client gets the real reply.
 * - It gives up only when the connection is gone, the node refuses for good (closed, a
 *   WAL error), or its outcome stays unknown for UNKNOWN_OUTCOME_DEADLINE_MS: then the
 *   write answers the error, and later writes go under a fresh session (the failed id may
 *   be a gap that would otherwise hold every later id back).
 *
 * Cost on the hot path: one small object per write, which hears its proposals' outcomes
 * itself (no promise per proposal), and the promise its caller holds; the unanswered
 * writes are an array used as a queue.
 */
import { randomBytes } from "node:crypto";
import type { CommandExecutor, Session } from "../../commands/executor.js";
import { failedWrite } from "../../commands/executor.js";
import { SESSION_OUT_OF_ORDER } from "../../commands/apply.js";
import type { Reply } from "../../engine/reply.js";
import type { ClientId, CommandCall, VersionCondition } from "../../node/entry.js";
import type { Node, ProposalListener, WriteResult } from "../../node/node.js";
import { isWalnutError, WalnutError } from "../../lib/errors.js";

/** How long a write's outcome may stay unknown (no leader, lost answers) before it answers an error. */
export const UNKNOWN_OUTCOME_DEADLINE_MS = 30_000;
/**
 * The pause before proposing again the writes whose outcome is unknown; it doubles with each
 * round that brings no answer, up to UNKNOWN_OUTCOME_RETRY_MS_MAX (a connection with a
 * thousand writes waiting through an election proposes them a few times, not forty), and
 * is back to this at the first answer.
 */
export const UNKNOWN_OUTCOME_RETRY_MS = 50;
export const UNKNOWN_OUTCOME_RETRY_MS_MAX = 400;

/** Differs between processes, so that a session id is never reused after a restart. */
const PROCESS_TAG = randomBytes(6).toString("hex");
let sessionsStarted = 0;

/** One session's request ids: handed out in order, and the lowest whose answer is awaited. */
class Numbering {
  readonly clientId: ClientId;
  /** Orders numberings: a connection's older session first. */
  readonly serial: number;
  nextRequestId = 1;
  /** Every id below has its answer. */
  ackBelow = 1;
  /** A failed write may have left a gap: nothing more is proposed under this session. */
  abandoned = false;
  /** unanswered[id - offset]: request `id`'s write until it has its answer, then null. */
  private unanswered: Array<SessionWrite | null> = [];
  private offset = 1;

  constructor(node: Node) {
    this.serial = ++sessionsStarted;
    // A session number when the node has one at hand (8 bytes in each entry, no string to decode), else a string id.
    this.clientId = node.sessionNumber() ?? `${node.id}.${PROCESS_TAG}.${this.serial}`;
  }

  take(write: SessionWrite): number {
    this.unanswered.push(write);
    return this.nextRequestId++;
  }

  answer(requestId: number): void {
    this.unanswered[requestId - this.offset] = null;
    while (this.ackBelow < this.nextRequestId && this.unanswered[this.ackBelow - this.offset] === null) this.ackBelow += 1;
    if (this.ackBelow === this.nextRequestId) {
      this.unanswered.length = 0;
      this.offset = this.nextRequestId;
    } else if (this.ackBelow - this.offset > 1024) {
      this.unanswered = this.unanswered.slice(this.ackBelow - this.offset);
      this.offset = this.ackBelow;
    }
  }

  /**
   * The lowest id whose proposal is still out (neither answered nor waiting for a retry
   * round), or Infinity. A later write proposed again before that one settles could only
   * come back out of order.
   */
  lowestProposed(): number {
    for (let id = this.ackBelow; id < this.nextRequestId; id++) {
      if (this.unanswered[id - this.offset]?.proposed === true) return id;
    }
    return Infinity;
  }
}

/**
 * One write of the session: what to propose, under which id. It hears each proposal's
 * outcome itself (ProposalListener): no promise per proposal, only the one its caller holds.
 */
class SessionWrite implements ProposalListener {
  readonly requestId: number;
  /** True while a proposal of it is out. */
  proposed = false;
  /** When its outcome first became unknown (0: never). */
  unknownSinceMs = 0;
  /** Hands over its final answer: the resolve of the promise its caller holds. */
  deliver: (answer: Answer) => void = ignoreAnswer;

  constructor(
    readonly session: WriteSession,
    readonly numbering: Numbering,
    /** Whether its caller wants the log index with the reply (commit) or the reply alone (write). */
    readonly wantsIndex: boolean,
    /** A command, or null for a batch. */
    readonly call: CommandCall | null,
    readonly calls: CommandCall[],
    readonly conditions: VersionCondition[],
  ) {
    this.requestId = numbering.take(this);
  }

  resolve(result: WriteResult): void {
    this.session.settled(this, result);
  }

  reject(error: Error): void {
    this.session.failed(this, error);
  }
}

const ignoreAnswer = (): void => undefined;
const NO_CALLS: CommandCall[] = [];
const NO_CONDITIONS: VersionCondition[] = [];

/** What a write hands its caller: the reply with its log index, or the reply alone (SessionWrite.wantsIndex). */
type Answer = WriteResult | Reply;

function answerOf(write: SessionWrite, result: WriteResult): Answer {
  return write.wantsIndex ? result : result.reply;
}

export class WriteSession {
  private numbering: Numbering;
  /** Writes waiting for the next retry round. */
  private retrying: SessionWrite[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly proposing: Session = { clientId: "", requestId: 0, ackBelow: 0 };
  /** Proposals made again because the outcome was unknown, since the session began. */
  unknownOutcomeRetries = 0;

  private readonly deadlineMs: number;
  private readonly retryMs: number;
  /** The pause before the next retry round (see UNKNOWN_OUTCOME_RETRY_MS). */
  private roundDelayMs: number;

  constructor(
    private readonly executor: CommandExecutor,
    options: { deadlineMs?: number; retryMs?: number } = {},
  ) {
    this.numbering = new Numbering(executor.node);
    this.deadlineMs = options.deadlineMs ?? UNKNOWN_OUTCOME_DEADLINE_MS;
    this.retryMs = options.retryMs ?? UNKNOWN_OUTCOME_RETRY_MS;
    this.roundDelayMs = this.retryMs;
  }

  /** The client id later writes go under (a new one after a write failed). */
  get clientId(): ClientId {
    return this.numbering.clientId;
  }

  /** Logs one command; its index and reply once known, or an error reply (index 0). Never rejects. */
  commit(call: CommandCall): Promise<WriteResult> {
    const prepared = this.executor.prepare(call);
    if (!("argv" in prepared)) return Promise.resolve({ index: 0, reply: prepared });
    return this.start(new SessionWrite(this, this.numbering, true, prepared, NO_CALLS, NO_CONDITIONS)) as Promise<WriteResult>;
  }

  /** Like commit(), the reply alone. */
  write(call: CommandCall): Promise<Reply> {
    const prepared = this.executor.prepare(call);
    if (!("argv" in prepared)) return Promise.resolve(prepared);
    return this.start(new SessionWrite(this, this.numbering, false, prepared, NO_CALLS, NO_CONDITIONS)) as Promise<Reply>;
  }

  /** Logs an atomic batch (MULTI/EXEC); like commit(). */
  commitBatch(calls: CommandCall[], conditions: VersionCondition[]): Promise<WriteResult> {
    const prepared = this.executor.prepareBatch(calls);
    if (!Array.isArray(prepared)) return Promise.resolve({ index: 0, reply: prepared });
    return this.start(new SessionWrite(this, this.numbering, true, null, prepared, conditions)) as Promise<WriteResult>;
  }

  batch(calls: CommandCall[], conditions: VersionCondition[]): Promise<Reply> {
    const prepared = this.executor.prepareBatch(calls);
    if (!Array.isArray(prepared)) return Promise.resolve(prepared);
    return this.start(new SessionWrite(this, this.numbering, false, null, prepared, conditions)) as Promise<Reply>;
  }

  /** The connection is gone: nothing is proposed again, waiting writes answer at once. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const waiting = this.retrying;
    this.retrying = [];
    const gone = new WalnutError("NOT_OPEN", "Cannot confirm the write: the client disconnected");
    for (const write of waiting) write.deliver(this.giveUp(write, gone));
  }

  /** The promise of the write's final answer, and its first proposal. */
  private start(write: SessionWrite): Promise<Answer> {
    const answer = new Promise<Answer>((resolve) => {
      write.deliver = resolve;
    });
    this.attempt(write);
    return answer;
  }

  /** Proposes the write; its outcome comes to write.resolve/reject (maybe before this returns, when refused at once). */
  private attempt(write: SessionWrite): void {
    const numbering = write.numbering;
    const session = this.proposing; // read at once into the entry's payload: one object serves every proposal
    session.clientId = numbering.clientId;
    session.requestId = write.requestId;
    session.ackBelow = numbering.ackBelow;
    write.proposed = true;
    if (write.call !== null) this.executor.proposeCallTo(write.call, session, write);
    else this.executor.proposeBatchTo(write.calls, write.conditions, session, write);
  }

  /** A proposal of `write` was applied (SessionWrite.resolve). */
  settled(write: SessionWrite, result: WriteResult): void {
    write.proposed = false;
    if (result.reply === SESSION_OUT_OF_ORDER) {
      this.unknown(write, new WalnutError("NO_LEADER", "Cannot confirm the write: an earlier write of this connection never reached the log"));
      return;
    }
    write.numbering.answer(write.requestId);
    if (this.roundDelayMs !== this.retryMs) this.roundDelayMs = this.retryMs;
    write.deliver(answerOf(write, result));
  }

  /** A proposal of `write` failed (SessionWrite.reject). */
  failed(write: SessionWrite, cause: unknown): void {
    write.proposed = false;
    if (isWalnutError(cause, "NO_LEADER") || isWalnutError(cause, "TIMEOUT")) this.unknown(write, cause);
    else write.deliver(this.giveUp(write, cause));
  }

  /** The write's outcome is unknown: it waits for the next retry round, unless it is time to give up. */
  private unknown(write: SessionWrite, cause: unknown): void {
    if (this.closed || write.numbering.abandoned) return write.deliver(this.giveUp(write, cause));
    const nowMs = Date.now();
    if (write.unknownSinceMs === 0) write.unknownSinceMs = nowMs;
    else if (nowMs - write.unknownSinceMs > this.deadlineMs) return write.deliver(this.giveUp(write, cause));
    this.retrying.push(write);
    this.timer ??= setTimeout(this.retryRound, this.roundDelayMs);
  }

  /**
   * Proposes again every write whose outcome is unknown, oldest session and lowest id
   * first; a write behind an earlier one of its session whose proposal is still out waits
   * for a later round (proposed now, it could only come back out of order).
   */
  private readonly retryRound = (): void => {
    this.timer = null;
    const round = this.retrying;
    this.retrying = [];
    round.sort((left, right) => left.numbering.serial - right.numbering.serial || left.requestId - right.requestId);
    // Doubled before proposing: a proposal refused at once waits the longer pause, as one refused later does.
    this.roundDelayMs = Math.min(this.roundDelayMs * 2, Math.max(UNKNOWN_OUTCOME_RETRY_MS_MAX, this.retryMs));
    let numbering: Numbering | null = null;
    let holdFrom = Infinity;
    for (const write of round) {
      if (write.numbering !== numbering) {
        numbering = write.numbering;
        holdFrom = numbering.lowestProposed();
      }
      if (numbering.abandoned) {
        write.deliver(this.giveUp(write, new WalnutError("NO_LEADER", "Cannot confirm the write: an earlier write of this connection failed")));
        continue;
      }
      if (write.requestId > holdFrom) {
        if (Date.now() - write.unknownSinceMs <= this.deadlineMs) this.retrying.push(write);
        else write.deliver(this.giveUp(write, new WalnutError("TIMEOUT", "Cannot confirm the write: an earlier write of this connection is still unanswered")));
        continue;
      }
      this.unknownOutcomeRetries += 1;
      this.attempt(write);
    }
    if (this.retrying.length > 0) this.timer ??= setTimeout(this.retryRound, this.roundDelayMs);
  };

  /**
   * The write answers `cause`. Its id may be a gap now (it may never be applied), so the
   * session takes no more writes: later ones start a fresh session.
   */
  private giveUp(write: SessionWrite, cause: unknown): Answer {
    const numbering = write.numbering;
    numbering.answer(write.requestId);
    numbering.abandoned = true;
    if (numbering === this.numbering && !this.closed) this.numbering = new Numbering(this.executor.node);
    return answerOf(write, { index: 0, reply: failedWrite(cause) });
  }
}
