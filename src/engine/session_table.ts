/**
 * The at-most-once session table: replicated state that lets a client propose the same
 * request again, after a leader change left its outcome unknown, and have it applied once
 * (docs/sessions.md tells the whole story).
 *
 * A session is a client id. Its record holds the next request id it expects (every id
 * below was applied) and the replies of applied requests the client may still be waiting
 * for: ids `firstKept` .. `next - 1`, in order. Each request says which replies its client
 * no longer needs (`ackBelow`: every reply below it was received), so the record drops
 * them: a session holds about as many replies as its client has writes in flight (the
 * technique of the Raft dissertation, §6.3).
 *
 * Two kinds of requests, told apart by `ackBelow`:
 *   - ordered (ackBelow > 0, RESP connections): ids are consecutive. A request below
 *     `next` is a duplicate, answered its remembered reply; one at `next` is applied; one
 *     above `next` is early (an earlier request of the client was lost on its way) and is
 *     not applied: the client proposes both again, in order. An unknown client starts at
 *     its `ackBelow`, the lowest id it is still waiting for.
 *   - single (ackBelow 0, HTTP writes with client_id, blocked clients' attempts, and every
 *     session written before ordered ones existed): ids only grow, gaps allowed; only the
 *     last reply is kept.
 *
 * Only apply() changes the table, in log order, so every replica holds the same one.
 * Bounded: `clientsMax` sessions, the least recently applied forgotten first;
 * `SESSION_REPLIES_MAX` replies per session, the oldest dropped first; and a reply larger
 * than SESSION_REPLY_BYTES_MAX is not kept (a GETDEL of a large value would otherwise stay
 * in memory and in every checkpoint until its session is forgotten): its duplicate answers
 * an error instead.
 */
import { assert } from "../lib/assert.js";
import { limits } from "../lib/limits.js";
import type { Reply } from "./reply.js";

/** Sessions the table remembers; the least recently applied is forgotten. */
export const SESSION_CLIENTS_MAX = 10_000;
/** Replies one session keeps: as many as a RESP connection may have commands in flight. */
export const SESSION_REPLIES_MAX = limits.connectionCommandsInFlightMax;

/** A reply larger than this (roughly, as its bytes) is not kept for duplicates. */
export const SESSION_REPLY_BYTES_MAX = 64 * 1024;

/**
 * An at-most-once session's client id: a string (HTTP's client_id, blocked clients, every
 * entry written before session numbers) or a session number, a positive whole number
 * unique in the log (a RESP connection's: node/session_numbers.ts). "" means no session.
 */
export type ClientId = string | number;

/** One session: the next request expected and the replies of `firstKept` .. `next - 1`. */
export interface SessionRecord {
  next: number;
  firstKept: number;
  replies: Reply[];
}

/** What the table says about a request before it is applied. */
export type SessionVerdict =
  | { kind: "apply" }
  | { kind: "duplicate"; reply: Reply }
  | { kind: "forgotten" }
  | { kind: "tooLarge" }
  | { kind: "early"; expected: number };

const APPLY: SessionVerdict = Object.freeze({ kind: "apply" });
const FORGOTTEN: SessionVerdict = Object.freeze({ kind: "forgotten" });
const TOO_LARGE_VERDICT: SessionVerdict = Object.freeze({ kind: "tooLarge" });
/** Kept in place of a reply over SESSION_REPLY_BYTES_MAX (compared by identity; a checkpoint restores it as TOO_LARGE). */
export const TOO_LARGE: Reply = Object.freeze({ type: "nil" as const });

export class SessionTable {
  /** In least recently applied order: the first is forgotten first. */
  private readonly records = new Map<ClientId, SessionRecord>();
  /** The client verdict() last looked up, and its record: applied() follows it for the same client. */
  private lookedUpClientId: ClientId | null = null;
  private lookedUpRecord: SessionRecord | undefined = undefined;
  /** The last client in `records` (the most recently applied), or null when unknown. */
  private newestClientId: ClientId | null = null;

  constructor(readonly clientsMax: number = SESSION_CLIENTS_MAX) {
    assert(clientsMax > 0, "a session table must hold at least one client");
  }

  get size(): number {
    return this.records.size;
  }

  get(clientId: ClientId): SessionRecord | undefined {
    return this.records.get(clientId);
  }

  /** Whether request `requestId` of `clientId` is to be applied now, and if not, why. */
  verdict(clientId: ClientId, requestId: number, ackBelow: number): SessionVerdict {
    const record = this.records.get(clientId);
    this.lookedUpClientId = clientId;
    this.lookedUpRecord = record;
    const next = record?.next ?? (ackBelow > 0 ? ackBelow : requestId);
    if (requestId >= next) return requestId === next || ackBelow === 0 ? APPLY : { kind: "early", expected: next };
    if (record === undefined || requestId < record.firstKept) return FORGOTTEN;
    const reply = record.replies[requestId - record.firstKept];
    if (reply === undefined) return FORGOTTEN;
    return reply === TOO_LARGE ? TOO_LARGE_VERDICT : { kind: "duplicate", reply };
  }

  /**
   * Request `requestId` of `clientId` was applied and answered `reply` (the verdict was
   * "apply"): it becomes the session's latest, and the session the most recently used.
   */
  applied(clientId: ClientId, requestId: number, ackBelow: number, reply: Reply): void {
    if (!fitsKept(reply, SESSION_REPLY_BYTES_MAX)) reply = TOO_LARGE;
    let record = clientId === this.lookedUpClientId ? this.lookedUpRecord : this.records.get(clientId);
    this.lookedUpClientId = null;
    this.lookedUpRecord = undefined;
    if (record === undefined || ackBelow === 0) {
      record = { next: requestId + 1, firstKept: requestId, replies: [reply] };
    } else {
      if (!(requestId === record.next)) assert(false, `session ${clientId} applies request ${requestId}, expected ${record.next}`);
      record.replies.push(reply);
      record.next = requestId + 1;
      const drop = Math.max(Math.min(ackBelow, record.next) - record.firstKept, record.replies.length - SESSION_REPLIES_MAX);
      for (let dropped = 0; dropped < drop; dropped++) record.replies.shift(); // usually one: no array made, as splice would
      if (drop > 0) record.firstKept += drop;
      // Already the most recently applied (a pipeline's writes follow one another in the log): in place, in its place.
      if (clientId === this.newestClientId) return;
    }
    this.remember(clientId, record);
  }

  /** Puts `record` in as the client's, the most recently used (also how a checkpoint restores it). */
  remember(clientId: ClientId, record: SessionRecord): void {
    this.lookedUpClientId = null;
    this.lookedUpRecord = undefined;
    this.records.delete(clientId);
    this.records.set(clientId, record);
    this.newestClientId = clientId;
    if (this.records.size > this.clientsMax) {
      const leastRecent = this.records.keys().next().value as ClientId;
      this.records.delete(leastRecent);
    }
  }

  /**
   * A copy of every record, least recently used first (the order to restore them in):
   * records change in place as requests apply, so a checkpoint takes copies.
   */
  snapshot(): Array<[ClientId, SessionRecord]> {
    const copies: Array<[ClientId, SessionRecord]> = [];
    for (const [clientId, record] of this.records) {
      copies.push([clientId, { next: record.next, firstKept: record.firstKept, replies: record.replies.slice() }]);
    }
    return copies;
  }

  clear(): void {
    this.records.clear();
    this.lookedUpClientId = null;
    this.lookedUpRecord = undefined;
    this.newestClientId = null;
  }
}

/** Whether `reply` is at most about `budget` bytes: counts until the budget runs out, so a large reply costs no more than a small one. */
function fitsKept(reply: Reply, budget: number): boolean {
  return remainingAfter(reply, budget) >= 0;
}

function remainingAfter(reply: Reply, budget: number): number {
  switch (reply.type) {
    case "bulk":
      return budget - reply.value.length - 8;
    case "status":
    case "error":
      return budget - reply.text.length - 8;
    case "array":
    case "set":
      budget -= 8;
      for (const item of reply.items) {
        budget = remainingAfter(item, budget);
        if (budget < 0) return budget;
      }
      return budget;
    case "map":
      budget -= 8;
      for (const [key, value] of reply.entries) {
        budget = remainingAfter(value, remainingAfter(key, budget));
        if (budget < 0) return budget;
      }
      return budget;
    default:
      return budget - 8;
  }
}
