/**
 * The at-most-once session table travels in a checkpoint's metadata, so that a request
 * retried after a restart is still recognised. Replies may hold bigints, which JSON lacks:
 * they are written as {"$bigint": "<digits>"}.
 */
import type { Reply } from "../engine/reply.js";
import type { SessionRecord, SessionTable } from "../engine/engine.js";
import { WalnutError } from "../lib/errors.js";

type EncodedSessions = Array<[string, number, unknown]>;

export function encodeSessions(sessions: Array<[string, SessionRecord]>): EncodedSessions {
  const encodeReply = (reply: Reply): unknown =>
    JSON.parse(JSON.stringify(reply, (_key, value: unknown) => (typeof value === "bigint" ? { $bigint: value.toString() } : value)));
  return sessions.map(([clientId, record]) => [clientId, record.requestId, encodeReply(record.reply)]);
}

export function restoreSessions(table: SessionTable, encoded: unknown, path: string): void {
  if (encoded === undefined) return;
  if (!Array.isArray(encoded)) throw new WalnutError("CHECKPOINT_CORRUPT", `Cannot read checkpoint ${path}: sessions is not a list`);
  for (const entry of encoded as EncodedSessions) {
    const [clientId, requestId, reply] = entry;
    if (typeof clientId !== "string" || typeof requestId !== "number") {
      throw new WalnutError("CHECKPOINT_CORRUPT", `Cannot read checkpoint ${path}: a session record is malformed`);
    }
    const revived = JSON.parse(JSON.stringify(reply), (_key, value: unknown) =>
      typeof value === "object" && value !== null && "$bigint" in value ? BigInt(String((value as { $bigint: unknown }).$bigint)) : value,
    ) as Reply;
    table.remember(clientId, { requestId, reply: revived });
  }
}
