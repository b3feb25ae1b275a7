/**
 * The at-most-once session table travels in a checkpoint's metadata, so that a request
 * retried after a restart is still recognised. Replies may hold bigints, which JSON lacks:
 * they are written as {"$bigint": "<digits>"}.
 *
 * One record per session, least recently used first:
 *   [clientId, next, firstKept, [reply of firstKept, reply of firstKept + 1, ...]]
 * where clientId is a string, or a session number (node/session_numbers.ts).
 * Checkpoints written before ordered sessions (engine/session_table.ts) hold
 *   [clientId, requestId, reply]
 * (the last request applied and its reply), which restores as next = requestId + 1 with
 * that one reply kept. A reply too large to keep (session_table.ts) is written as null.
 */
import type { Reply } from "../engine/reply.js";
import type { ClientId, SessionRecord, SessionTable } from "../engine/engine.js";
import { TOO_LARGE } from "../engine/session_table.js";
import { WalnutError } from "../lib/errors.js";

type EncodedSession = [ClientId, number, number, unknown[]];

function encodeReply(reply: Reply): unknown {
  if (reply === TOO_LARGE) return null;
  return JSON.parse(JSON.stringify(reply, (_key, value: unknown) => (typeof value === "bigint" ? { $bigint: value.toString() } : value)));
}

function decodeReply(encoded: unknown): Reply {
  if (encoded === null) return TOO_LARGE;
  return JSON.parse(JSON.stringify(encoded), (_key, value: unknown) =>
    typeof value === "object" && value !== null && "$bigint" in value ? BigInt(String((value as { $bigint: unknown }).$bigint)) : value,
  ) as Reply;
}

export function encodeSessions(sessions: Array<[ClientId, SessionRecord]>): EncodedSession[] {
  return sessions.map(([clientId, record]) => [clientId, record.next, record.firstKept, record.replies.map(encodeReply)]);
}

export function restoreSessions(table: SessionTable, encoded: unknown, path: string): void {
  if (encoded === undefined) return;
  if (!Array.isArray(encoded)) throw new WalnutError("CHECKPOINT_CORRUPT", `Cannot read checkpoint ${path}: sessions is not a list`);
  for (const entry of encoded as unknown[]) {
    const [clientId, record] = decodeRecord(entry, path);
    table.remember(clientId, record);
  }
}

function decodeRecord(entry: unknown, path: string): [ClientId, SessionRecord] {
  const malformed = (): never => {
    throw new WalnutError("CHECKPOINT_CORRUPT", `Cannot read checkpoint ${path}: a session record is malformed`);
  };
  if (!Array.isArray(entry) || !isClientId(entry[0]) || typeof entry[1] !== "number") return malformed();
  const clientId: ClientId = entry[0];
  if (entry.length === 3) {
    if (typeof clientId !== "string") return malformed(); // written before session numbers existed
    const requestId = entry[1];
    return [clientId, { next: requestId + 1, firstKept: requestId, replies: [decodeReply(entry[2])] }];
  }
  const [, next, firstKept, replies] = entry as unknown[];
  if (entry.length !== 4 || typeof firstKept !== "number" || !Array.isArray(replies)) return malformed();
  if (firstKept + replies.length !== next) return malformed();
  return [clientId, { next: next as number, firstKept, replies: replies.map(decodeReply) }];
}

/** A string client id, or a session number (a positive safe integer). */
function isClientId(value: unknown): value is ClientId {
  return typeof value === "string" || (Number.isSafeInteger(value) && (value as number) > 0);
}
