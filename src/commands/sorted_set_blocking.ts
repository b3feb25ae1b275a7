/**
 * The blocking sorted-set pops: BZPOPMIN, BZPOPMAX and BZMPOP, on the machinery the blocking
 * list commands use (list_blocking.ts, server/resp/blocked_clients.ts, docs/blocking.md).
 *
 * Each is a write whose handler is the non-blocking form, as Redis runs it for a client that
 * may not block (inside MULTI): it checks the arguments (BZPOPMIN/BZPOPMAX: the timeout
 * first; BZMPOP: numkeys, MIN|MAX and COUNT, then the timeout), then pops from the first key
 * holding a sorted set, or answers a null array. A key of another type met before a served
 * one answers WRONGTYPE.
 *
 * Over RESP a null answer outside MULTI makes the client wait on its keys; each attempt to
 * serve it is the same command with timeout 0 on the one key that has members.
 */
import type { ByteString } from "../engine/bytes.js";
import { SortedSet } from "../engine/sorted_set.js";
import type { Item } from "../engine/values.js";
import { array, bulk, NIL_ARRAY, type Reply } from "../engine/reply.js";
import { isTimeout, parseTimeout } from "./blocking_timeout.js";
import { defineCommand } from "./define.js";
import { isReply, popFirstNonEmpty, scoreReply, type PopEnd } from "./sorted_set_access.js";
import { multiPopReply, parseMultiPop } from "./sorted_sets.js";
import type { BlockedCall, CommandContext, CommandSpec } from "./spec.js";

/** A sorted set's size: how many blocked pops it can serve. Expiry was judged by the caller. */
function sortedSetSize(item: Item | undefined): number {
  return item !== undefined && item.value instanceof SortedSet ? item.value.size : 0;
}

/** An attempt did not serve the client: nothing left, or the key changed type (Redis ignores such keys while blocked). */
function popKeepsWaiting(reply: Reply): boolean {
  return reply.type === "nil" || (reply.type === "error" && reply.text.startsWith("WRONGTYPE"));
}

/** A timeout `run` accepted, in ms; `blocking` is asked only for calls `run` accepted. */
function acceptedTimeout(text: ByteString): number {
  const timeout = parseTimeout(text);
  if (!isTimeout(timeout)) throw new Error(`blocking() called with a timeout run() refuses: ${text}`);
  return timeout;
}

// ---- BZPOPMIN / BZPOPMAX key [key ...] timeout: [key, member, score] ----

function blockingPop(ctx: CommandContext, args: ByteString[], end: PopEnd): Reply {
  const timeout = parseTimeout(args[args.length - 1]!);
  if (!isTimeout(timeout)) return timeout;
  const result = popFirstNonEmpty(ctx, args.slice(0, -1), end, 1);
  if (result === null) return NIL_ARRAY;
  if (isReply(result)) return result;
  const [member, score] = result.popped[0]!;
  return array([bulk(result.key), bulk(member), scoreReply(score)]);
}

function blockedPop(name: "BZPOPMIN" | "BZPOPMAX", args: ByteString[]): BlockedCall {
  return {
    keys: args.slice(0, -1),
    timeoutMs: acceptedTimeout(args[args.length - 1]!),
    servable: sortedSetSize,
    attemptOn: (key) => [name, key, "0"],
    keepsWaiting: popKeepsWaiting,
  };
}

// ---- BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: [key, [[member, score] ...]] ----

function bzmpop(ctx: CommandContext, args: ByteString[]): Reply {
  const parsed = parseMultiPop(args.slice(1));
  if (isReply(parsed)) return parsed;
  const timeout = parseTimeout(args[0]!);
  if (!isTimeout(timeout)) return timeout;
  const result = popFirstNonEmpty(ctx, parsed.keys, parsed.end, parsed.count);
  if (result === null) return NIL_ARRAY;
  if (isReply(result)) return result;
  return multiPopReply(result.key, result.popped);
}

function blockedMultiPop(args: ByteString[]): BlockedCall {
  const parsed = parseMultiPop(args.slice(1));
  if (isReply(parsed)) throw new Error("blocking() called with BZMPOP arguments run() refuses");
  return {
    keys: parsed.keys,
    timeoutMs: acceptedTimeout(args[0]!),
    servable: sortedSetSize,
    attemptOn: (key) => ["BZMPOP", "0", "1", key, parsed.end === "min" ? "MIN" : "MAX", "COUNT", String(parsed.count)],
    keepsWaiting: popKeepsWaiting,
  };
}

export const sortedSetBlockingCommands: CommandSpec[] = [
  defineCommand({
    name: "BZPOPMIN",
    arity: -3,
    flags: ["write", "noscript", "blocking", "fast"],
    lastKey: -2,
    summary: "ZPOPMIN of the first non-empty sorted set, waiting up to a timeout; [key, member, score].",
    run: (ctx, args) => blockingPop(ctx, args, "min"),
    blocking: (args) => blockedPop("BZPOPMIN", args),
  }),
  defineCommand({
    name: "BZPOPMAX",
    arity: -3,
    flags: ["write", "noscript", "blocking", "fast"],
    lastKey: -2,
    summary: "ZPOPMAX of the first non-empty sorted set, waiting up to a timeout; [key, member, score].",
    run: (ctx, args) => blockingPop(ctx, args, "max"),
    blocking: (args) => blockedPop("BZPOPMAX", args),
  }),
  defineCommand({
    name: "BZMPOP",
    arity: -5,
    flags: ["write", "blocking", "movablekeys"],
    firstKey: 0,
    summary: "ZMPOP, waiting up to a timeout for one of the sorted sets to have members; [key, [[member, score] ...]].",
    run: bzmpop,
    blocking: blockedMultiPop,
  }),
];
