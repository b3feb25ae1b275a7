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
 * Bounded: `clientsMax` sessions, the least recently applied forgotten first, and
 * `SESSION_REPLIES_MAX` replies per session, the oldest dropped first.
 */
import { assert } from "../lib/assert.js";
import { limits } from "../lib/limits.js";
import type { Reply } from "./reply.js";

/** Sessions the table remembers; the least recently applied is forgotten. */
export const SESSION_CLIENTS_MAX = 10_000;
/** Replies one session keeps: as many as a RESP connection may have commands in flight. */
export const SESSION_REPLIES_MAX = limits.connectionCommandsInFlightMax;

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
  | { kind: "early"; expected: number };

const APPLY: SessionVerdict = Object.freeze({ kind: "apply" });
const FORGOTTEN: SessionVerdict = Object.freeze({ kind: "forgotten" });

export class SessionTable {
  private readonly records = new Map<string, SessionRecord>();

  constructor(readonly clientsMax: number = SESSION_CLIENTS_MAX) {
    assert(clientsMax > 0, "a session table must hold at least one client");
  }

  get size(): number {
    return this.records.size;
  }

  get(clientId: string): SessionRecord | undefined {
    return this.records.get(clientId);
  }

  /** Whether request `requestId` of `clientId` is to be applied now, and if not, why. */
  verdict(clientId: string, requestId: number, ackBelow: number): SessionVerdict {
    const record = this.records.get(clientId);
    const next = record?.next ?? (ackBelow > 0 ? ackBelow : requestId);
    if (requestId >= next) return requestId === next || ackBelow === 0 ? APPLY : { kind: "early", expected: next };
    if (record === undefined || requestId < record.firstKept) return FORGOTTEN;
    const reply = record.replies[requestId - record.firstKept];
    return reply === undefined ? FORGOTTEN : { kind: "duplicate", reply };
  }

  /**
   * Request `requestId` of `clientId` was applied and answered `reply` (the verdict was
   * "apply"): it becomes the session's latest, and the session the most recently used.
   */
  applied(clientId: string, requestId: number, ackBelow: number, reply: Reply): void {
    let record = this.records.get(clientId);
    if (record === undefined || ackBelow === 0) {
      record = { next: requestId + 1, firstKept: requestId, replies: [reply] };
    } else {
      assert(requestId === record.next, `session ${clientId} applies request ${requestId}, expected ${record.next}`);
      record.replies.push(reply);
      record.next = requestId + 1;
      const drop = Math.max(Math.min(ackBelow, record.next) - record.firstKept, record.replies.length - SESSION_REPLIES_MAX);
      if (drop > 0) {
        record.replies.splice(0, drop);
        record.firstKept += drop;
      }
    }
    this.remember(clientId, record);
  }

  /** Puts `record` in as the client's, the most recently used (also how a checkpoint restores it). */
  remember(clientId: string, record: SessionRecord): void {
    this.records.delete(clientId);
    this.records.set(clientId, record);
    if (this.records.size > this.clientsMax) {
      const leastRecent = this.records.keys().next().value as string;
      this.records.delete(leastRecent);
    }
  }

  /**
   * A copy of every record, least recently used first (the order to restore them in):
   * records change in place as requests apply, so a checkpoint takes copies.
   */
  snapshot(): Array<[string, SessionRecord]> {
    const copies: Array<[string, SessionRecord]> = [];
    for (const [clientId, record] of this.records) {
      copies.push([clientId, { next: record.next, firstKept: record.firstKept, replies: record.replies.slice() }]);
    }
    return copies;
  }

  clear(): void {
    this.records.clear();
  }
}
