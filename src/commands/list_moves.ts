/**
 * The list commands that take elements out of one list into another or from the first
 * of several lists: LMOVE, RPOPLPUSH and LMPOP, as Redis 7.0 defines them. Their blocking
 * forms (list_blocking.ts) run the same code when a list has elements.
 *
 * LMOVE source destination LEFT|RIGHT LEFT|RIGHT: a missing source answers nil; a source
 * or (when the source has elements) a destination of another type answers WRONGTYPE
 * before anything moves. Source and destination may be the same key (a rotation).
 *
 * LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops up to `count` elements (1 by
 * default) from the first key holding a non-empty list, answering [key, [elements]]; a
 * key of another type met before that answers WRONGTYPE; nothing to pop answers a null
 * array (RESP2 *-1).
 */
import type { ByteString } from "../engine/bytes.js";
import { limits } from "../lib/limits.js";
import { isWord, SYNTAX_ERROR } from "./access.js";
import { defineCommand } from "./define.js";
import {
  isReply,
  listForUpdate,
  listTooLong,
  newList,
  parseIndex,
  popElements,
  pushTo,
  readList,
  storeList,
  type End,
} from "./lists.js";
import { array, bulk, error, NIL, NIL_ARRAY, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

/** LEFT or RIGHT, in any case, as the end it names; undefined for anything else. */
export function parseEnd(text: ByteString): End | undefined {
  if (isWord(text, "LEFT")) return "head";
  if (isWord(text, "RIGHT")) return "tail";
  return undefined;
}

/**
 * Moves one element from the `from` end of the list at `source` to the `to` end of the
 * list at `destination`: the element, nil when the source is missing, or WRONGTYPE.
 */
export function moveElement(
  ctx: CommandContext,
  keys: { source: ByteString; destination: ByteString },
  ends: { from: End; to: End },
): Reply {
  const source = readList(ctx, keys.source);
  if (isReply(source)) return source;
  if (source === undefined) return NIL;
  const destination = readList(ctx, keys.destination);
  if (isReply(destination)) return destination;
  if (keys.source === keys.destination) {
    const [element] = popElements(ctx, keys.source, ends.from, 1) as [ByteString];
    // Read again: popping the list's last element deleted it.
    const target = readList(ctx, keys.destination);
    const { item, elements } = target === undefined ? newList(ctx, 1) : listForUpdate(ctx, keys.destination);
    pushTo(elements, ends.to, element);
    storeList(ctx, keys.destination, item);
    return bulk(element);
  }
  if ((destination?.length ?? 0) + 1 > limits.listElementsMax) return listTooLong();
  const from = listForUpdate(ctx, keys.source);
  const element = (ends.from === "head" ? from.elements.popHead() : from.elements.popTail()) as ByteString;
  const to = destination === undefined ? newList(ctx, 1) : listForUpdate(ctx, keys.destination);
  pushTo(to.elements, ends.to, element);
  // The destination is stored first, then the source (deleted if emptied), as Redis 7.0 does:
  // CLIENT TRACKING announces the two keys in that order.
  storeList(ctx, keys.destination, to.item);
  storeList(ctx, keys.source, from.item);
  return bulk(element);
}

function lmove(ctx: CommandContext, args: ByteString[]): Reply {
  const from = parseEnd(args[2]!);
  const to = parseEnd(args[3]!);
  if (from === undefined || to === undefined) return SYNTAX_ERROR;
  return moveElement(ctx, { source: args[0]!, destination: args[1]! }, { from, to });
}

function rpoplpush(ctx: CommandContext, args: ByteString[]): Reply {
  return moveElement(ctx, { source: args[0]!, destination: args[1]! }, { from: "tail", to: "head" });
}

/** A parsed LMPOP (or BLMPOP after its timeout): the keys, the end, and how many to pop. */
export interface MultiPop {
  keys: ByteString[];
  end: End;
  count: number;
}

/**
 * Parses `numkeys key [key ...] LEFT|RIGHT [COUNT count]` in Redis' order: numkeys, then
 * the end (a numkeys larger than the keys given is a syntax error), then the options.
 */
export function parseMultiPop(args: ByteString[]): MultiPop | Reply {
  const numberOfKeys = parseIndex(args[0]!);
  if (numberOfKeys === undefined || numberOfKeys < 1) return error("ERR", "numkeys should be greater than 0");
  const endAt = 1 + numberOfKeys;
  if (endAt >= args.length) return SYNTAX_ERROR;
  const end = parseEnd(args[endAt]!);
  if (end === undefined) return SYNTAX_ERROR;
  let count: number | undefined;
  for (let at = endAt + 1; at < args.length; at++) {
    if (count === undefined && isWord(args[at]!, "COUNT") && at + 1 < args.length) {
      at += 1;
      count = parseIndex(args[at]!);
      if (count === undefined || count < 1) return error("ERR", "count should be greater than 0");
    } else {
      return SYNTAX_ERROR;
    }
  }
  return { keys: args.slice(1, endAt), end, count: count ?? 1 };
}

export function isMultiPop(parsed: MultiPop | Reply): parsed is MultiPop {
  return "keys" in parsed;
}

/**
 * Pops from the first key holding a non-empty list: [key, [elements]], or the null array
 * when none does; WRONGTYPE for a key of another type met first.
 */
export function popFromFirst(ctx: CommandContext, pop: MultiPop): Reply {
  for (const key of pop.keys) {
    const current = readList(ctx, key);
    if (isReply(current)) return current;
    if (current === undefined) continue;
    return array([bulk(key), array(popElements(ctx, key, pop.end, pop.count).map(bulk))]);
  }
  return NIL_ARRAY;
}

function lmpop(ctx: CommandContext, args: ByteString[]): Reply {
  const parsed = parseMultiPop(args);
  return isMultiPop(parsed) ? popFromFirst(ctx, parsed) : parsed;
}

export const listMoveCommands: CommandSpec[] = [
  defineCommand({
    name: "LMOVE",
    arity: 5,
    flags: ["write", "denyoom"],
    lastKey: 2,
    summary: "Pops an element from one list and pushes it onto another; the element.",
    run: lmove,
  }),
  defineCommand({
    name: "RPOPLPUSH",
    arity: 3,
    flags: ["write", "denyoom"],
    lastKey: 2,
    summary: "Pops the last element of a list and pushes it at the head of another; the element.",
    run: rpoplpush,
  }),
  defineCommand({
    name: "LMPOP",
    arity: -4,
    flags: ["write", "movablekeys"],
    firstKey: 0,
    summary: "Pops elements from the first non-empty list of several keys; [key, elements].",
    run: lmpop,
  }),
];
