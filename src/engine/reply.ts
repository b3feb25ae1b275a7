/**
 * What a command answers, independent of the wire: the RESP writer turns a Reply into
 * RESP2 or RESP3 bytes, the HTTP layer into JSON, the embedded API into JS values.
 * Byte strings are latin1 (see bytes.ts).
 *
 * It lives in engine/ because the engine's at-most-once session table remembers replies, and
 * every layer above (node, commands, the faces, the client) builds or reads them.
 */
import type { ByteString } from "./bytes.js";
import type { WalnutErrorCode } from "../lib/errors.js";

export type Reply =
  | { type: "status"; text: string } // +OK
  // -ERR ..., -WRONGTYPE ... (text includes the prefix word). `code`: the WalnutError behind a
  // refused write (NO_LEADER, WAL_IO, OOM ...), which HTTP maps to a status; RESP sends only the text.
  | { type: "error"; text: string; code?: WalnutErrorCode }
  | { type: "integer"; value: number | bigint } // :1
  | { type: "bulk"; value: ByteString } // $3\r\nabc
  | { type: "nil"; array?: boolean } // $-1, or *-1 with `array` (BLPOP's timeout, ZMPOP's nothing); RESP3: _
  // *2 ... `flatInResp2`: the items are arrays (pairs) sent nested in RESP3 but spliced into
  // one flat array in RESP2, as Redis answers ZRANGE ... WITHSCORES.
  | { type: "array"; items: Reply[]; flatInResp2?: boolean }
  // RESP3 ,1.5 (RESP2: bulk string); `text`: the digits to send when the command spells the
  // value its own way (GEOPOS's "%.17Lf" coordinates) instead of "%.17g".
  | { type: "double"; value: number; text?: string }
  | { type: "boolean"; value: boolean } // RESP3 #t (RESP2: integer 1/0)
  // RESP3 %, RESP2 flat array; `pairsInResp2`: RESP2 an array of [key, value] arrays (XREAD's streams)
  | { type: "map"; entries: Array<[Reply, Reply]>; pairsInResp2?: boolean }
  | { type: "set"; items: Reply[] }; // RESP3 ~ (SMEMBERS, SINTER ...), RESP2 array

export const OK: Reply = Object.freeze({ type: "status", text: "OK" });
export const NIL: Reply = Object.freeze({ type: "nil" });
/** Redis' null array: *-1 in RESP2, _ in RESP3 (what ZMPOP answers when no key has elements). */
export const NIL_ARRAY: Reply = Object.freeze({ type: "nil", array: true });
export const QUEUED: Reply = Object.freeze({ type: "status", text: "QUEUED" });

export function status(text: string): Reply {
  return { type: "status", text };
}

export function integer(value: number | bigint): Reply {
  return { type: "integer", value };
}

export function bulk(value: ByteString): Reply {
  return { type: "bulk", value };
}

export function array(items: Reply[]): Reply {
  return { type: "array", items };
}

/**
 * Pairs (member, score): RESP3 an array of 2-element arrays, RESP2 one flat array
 * (member, score, member, score ...), what Redis answers for ZRANGE ... WITHSCORES.
 */
export function pairs(items: Array<[Reply, Reply]>): Reply {
  return { type: "array", items: items.map((pair) => array(pair)), flatInResp2: true };
}

/** A set reply: RESP3 `~`, a plain array in RESP2 (what SMEMBERS answers). */
export function set(items: Reply[]): Reply {
  return { type: "set", items };
}

/** A map reply: RESP3 `%`, a flat key, value, key, value array in RESP2 (what HGETALL answers). */
export function map(entries: Array<[Reply, Reply]>): Reply {
  return { type: "map", entries };
}

/** An error reply: `error("ERR", "value is not an integer or out of range")`; `code` when a WalnutError is behind it. */
export function error(prefix: string, message: string, code?: WalnutErrorCode): Reply {
  return code === undefined ? { type: "error", text: `${prefix} ${message}` } : { type: "error", text: `${prefix} ${message}`, code };
}

export const WRONGTYPE: Reply = Object.freeze(
  error("WRONGTYPE", "Operation against a key holding the wrong kind of value"),
);

export function isError(reply: Reply): reply is { type: "error"; text: string; code?: WalnutErrorCode } {
  return reply.type === "error";
}
