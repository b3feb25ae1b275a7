/**
 * The blocking list commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP.
 *
 * Each is a write whose handler is the non-blocking form, exactly as Redis runs it for a
 * client that may not block (inside MULTI): it checks the arguments (the timeout first
 * for BLPOP, BRPOP, BLMOVE and BRPOPLPUSH; after numkeys, the end and COUNT for BLMPOP),
 * then serves the call from the first key holding a non-empty list, or answers nil (a
 * null array for the pops, a nil bulk string for BLMOVE/BRPOPLPUSH, as Redis does in
 * MULTI). A key of another type met before a served one answers WRONGTYPE.
 *
 * Over RESP, a nil answer outside MULTI makes the client wait (server/resp/
 * blocked_clients.ts, docs/blocking.md) using `blocking`: the keys, the timeout, how many
 * waiters a key can serve, and the call that serves the client from one ready key. On
 * timeout the client gets a null array (RESP2 *-1, RESP3 _), whatever the command.
 */
import type { ByteString } from "../engine/bytes.js";
import type { Item } from "../engine/values.js";
import { ListDeque } from "../engine/list_deque.js";
import { SYNTAX_ERROR } from "./access.js";
import { isTimeout, parseTimeout } from "./blocking_timeout.js";
import { defineCommand } from "./define.js";
import { isMultiPop, moveElement, parseEnd, parseMultiPop, popFromFirst } from "./list_moves.js";
import { isReply, popElements, readList, type End } from "./lists.js";
import { array, bulk, NIL, NIL_ARRAY, type Reply } from "../engine/reply.js";
import type { BlockedCall, CommandContext, CommandSpec } from "./spec.js";

/** A list's length: how many blocked pops it can serve. Expiry was judged by the caller. */
function listLength(item: Item | undefined): number {
  return item !== undefined && item.value instanceof ListDeque ? item.value.length : 0;
}

function endWord(end: End): ByteString {
  return end === "head" ? "LEFT" : "RIGHT";
}

/** A pop's attempt did not serve the client: nothing left, or the key changed type (Redis ignores such keys while blocked). */
function popKeepsWaiting(reply: Reply): boolean {
  return reply.type === "nil" || (reply.type === "error" && reply.text.startsWith("WRONGTYPE"));
}

/** A move's attempt did not serve the client: the source is empty again. A destination of another type is answered, as in Redis. */
function moveKeepsWaiting(reply: Reply): boolean {
  return reply.type === "nil";
}

/** A required timeout as milliseconds; `run` refused the call before `blocking` is asked otherwise. */
function acceptedTimeout(text: ByteString): number {
  const timeout = parseTimeout(text);
  if (!isTimeout(timeout)) throw new Error(`blocking() called with a timeout run() refuses: ${text}`);
  return timeout;
}

// ---- BLPOP / BRPOP key [key ...] timeout ----

function blockingPop(ctx: CommandContext, args: ByteString[], end: End): Reply {
  const timeout = parseTimeout(args[args.length - 1]!);
  if (!isTimeout(timeout)) return timeout;
  for (const key of args.slice(0, -1)) {
    const current = readList(ctx, key);
    if (isReply(current)) return current;
    if (current === undefined) continue;
    const [element] = popElements(ctx, key, end, 1) as [ByteString];
    return array([bulk(key), bulk(element)]);
  }
  return NIL_ARRAY;
}

function blockedPop(name: "BLPOP" | "BRPOP", args: ByteString[]): BlockedCall {
  return {
    keys: args.slice(0, -1),
    timeoutMs: acceptedTimeout(args[args.length - 1]!),
    servable: listLength,
    attemptOn: (key) => [name, key, "0"],
    keepsWaiting: popKeepsWaiting,
  };
}

// ---- BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout, BRPOPLPUSH source destination timeout ----

function blockingMove(ctx: CommandContext, keys: { source: ByteString; destination: ByteString }, ends: { from: End; to: End }, timeoutText: ByteString): Reply {
  const timeout = parseTimeout(timeoutText);
  if (!isTimeout(timeout)) return timeout;
  const source = readList(ctx, keys.source);
  if (isReply(source)) return source;
  if (source === undefined) return NIL;
  return moveElement(ctx, keys, ends);
}

function blmove(ctx: CommandContext, args: ByteString[]): Reply {
  const from = parseEnd(args[2]!);
  const to = parseEnd(args[3]!);
  if (from === undefined || to === undefined) return SYNTAX_ERROR;
  return blockingMove(ctx, { source: args[0]!, destination: args[1]! }, { from, to }, args[4]!);
}

function blockedMove(args: ByteString[], attempt: (source: ByteString) => ByteString[], timeoutText: ByteString): BlockedCall {
  return {
    keys: [args[0]!],
    timeoutMs: acceptedTimeout(timeoutText),
    servable: listLength,
    attemptOn: attempt,
    keepsWaiting: moveKeepsWaiting,
  };
}

// ---- BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] ----

function blmpop(ctx: CommandContext, args: ByteString[]): Reply {
  const parsed = parseMultiPop(args.slice(1));
  if (!isMultiPop(parsed)) return parsed;
  const timeout = parseTimeout(args[0]!);
  if (!isTimeout(timeout)) return timeout;
  return popFromFirst(ctx, parsed);
}

function blockedMultiPop(args: ByteString[]): BlockedCall {
  const parsed = parseMultiPop(args.slice(1));
  if (!isMultiPop(parsed)) throw new Error("blocking() called with BLMPOP arguments run() refuses");
  return {
    keys: parsed.keys,
    timeoutMs: acceptedTimeout(args[0]!),
    servable: listLength,
    attemptOn: (key) => ["BLMPOP", "0", "1", key, endWord(parsed.end), "COUNT", String(parsed.count)],
    keepsWaiting: popKeepsWaiting,
  };
}

export const listBlockingCommands: CommandSpec[] = [
  defineCommand({
    name: "BLPOP",
    arity: -3,
    flags: ["write", "noscript", "blocking"],
    lastKey: -2,
    summary: "Pops the first element of the first non-empty list, waiting up to a timeout; [key, element].",
    run: (ctx, args) => blockingPop(ctx, args, "head"),
    blocking: (args) => blockedPop("BLPOP", args),
  }),
  defineCommand({
    name: "BRPOP",
    arity: -3,
    flags: ["write", "noscript", "blocking"],
    lastKey: -2,
    summary: "Pops the last element of the first non-empty list, waiting up to a timeout; [key, element].",
    run: (ctx, args) => blockingPop(ctx, args, "tail"),
    blocking: (args) => blockedPop("BRPOP", args),
  }),
  defineCommand({
    name: "BLMOVE",
    arity: 6,
    flags: ["write", "denyoom", "noscript", "blocking"],
    lastKey: 2,
    summary: "LMOVE, waiting up to a timeout for the source list to have an element.",
    run: blmove,
    blocking: (args) => blockedMove(args, (source) => ["BLMOVE", source, args[1]!, args[2]!, args[3]!, "0"], args[4]!),
  }),
  defineCommand({
    name: "BRPOPLPUSH",
    arity: 4,
    flags: ["write", "denyoom", "noscript", "blocking"],
    lastKey: 2,
    summary: "RPOPLPUSH, waiting up to a timeout for the source list to have an element.",
    run: (ctx, args) => blockingMove(ctx, { source: args[0]!, destination: args[1]! }, { from: "tail", to: "head" }, args[2]!),
    blocking: (args) => blockedMove(args, (source) => ["BRPOPLPUSH", source, args[1]!, "0"], args[2]!),
  }),
  defineCommand({
    name: "BLMPOP",
    arity: -5,
    flags: ["write", "blocking", "movablekeys"],
    firstKey: 0,
    summary: "LMPOP, waiting up to a timeout for one of the lists to have elements; [key, elements].",
    run: blmpop,
    blocking: blockedMultiPop,
  }),
];
