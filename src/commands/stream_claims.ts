/**
 * Taking pending entries over, and setting a stream's bookkeeping, as Redis 7.0 does:
 * XCLAIM (IDLE, TIME, RETRYCOUNT, FORCE, JUSTID, LASTID) and XSETID (ENTRIESADDED,
 * MAXDELETEDID). Both are writes; "now" is the entry's clock (ctx.nowMs), so every replica
 * records the same delivery times.
 */
import type { ByteString } from "../engine/bytes.js";
import { compareIds, nextId, type PendingEntry, type StreamId } from "../engine/stream.js";
import { NOT_AN_INTEGER, SYNTAX_ERROR } from "./access.js";
import { defineCommand } from "./define.js";
import { parseInteger } from "./numbers.js";
import { array, bulk, error, OK, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";
import { cText, INVALID_ID, parseId, parseIntervalEnd } from "./stream_ids.js";
import { entryReply, isStreamReply, readStream, storeStreamMetadata, streamForUpdate } from "./streams.js";
import { formatId } from "../engine/stream.js";

// ---- XCLAIM ----

interface ClaimOptions {
  deliveryTimeMs: number;
  retryCount: bigint | undefined;
  force: boolean;
  justId: boolean;
  lastId: StreamId | undefined;
}

/** Reads XCLAIM's options after its IDs; Redis' messages for each bad value. */
function parseClaimOptions(args: ByteString[], from: number, nowMs: number): ClaimOptions | Reply {
  const options: ClaimOptions = { deliveryTimeMs: -1, retryCount: undefined, force: false, justId: false, lastId: undefined };
  let deliveryTime: bigint | undefined;
  for (let j = from; j < args.length; j++) {
    const moreArgs = args.length - 1 - j;
    const option = args[j]!.toUpperCase();
    if (option === "FORCE") {
      options.force = true;
    } else if (option === "JUSTID") {
      options.justId = true;
    } else if ((option === "IDLE" || option === "TIME" || option === "RETRYCOUNT") && moreArgs > 0) {
      const value = parseInteger(args[++j]!);
      if (value === null) return error("ERR", `Invalid ${option} option argument for XCLAIM`);
      if (option === "IDLE") deliveryTime = BigInt(nowMs) - value;
      else if (option === "TIME") deliveryTime = value;
      else options.retryCount = value;
    } else if (option === "LASTID" && moreArgs > 0) {
      const id = parseId(args[++j]!, 0n, true);
      if (id === undefined) return INVALID_ID;
      options.lastId = id;
    } else {
      return error("ERR", `Unrecognized XCLAIM option '${cText(args[j]!)}'`);
    }
  }
  // A bogus delivery time (negative, in the future) becomes now, as Redis chooses.
  options.deliveryTimeMs = deliveryTime === undefined || deliveryTime < 0n || deliveryTime > BigInt(nowMs) ? nowMs : Number(deliveryTime);
  return options;
}

function xclaim(ctx: CommandContext, args: ByteString[]): Reply {
  const [key, groupName, consumerName, minIdleText] = [args[0]!, args[1]!, args[2]!, args[3]!];
  const current = readStream(ctx, key);
  if (isStreamReply(current)) return current;
  if (current === undefined || !current.groups.has(groupName)) return error("NOGROUP", `No such key '${cText(key)}' or consumer group '${cText(groupName)}'`);
  const minIdleValue = parseInteger(minIdleText);
  if (minIdleValue === null) return error("ERR", "Invalid min-idle-time argument for XCLAIM");
  const minIdleMs = minIdleValue < 0n ? 0n : minIdleValue;
  const ids: StreamId[] = [];
  let j = 4;
  for (; j < args.length; j++) {
    const id = parseId(args[j]!, 0n, true);
    if (id === undefined) break;
    ids.push(id);
  }
  const options = parseClaimOptions(args, j, ctx.nowMs);
  if (!("force" in options)) return options;
  const { item, stream } = streamForUpdate(ctx, key);
  const group = stream.groups.get(groupName)!;
  if (options.lastId !== undefined && compareIds(options.lastId, group.lastId) > 0) group.lastId = options.lastId;
  const claimed: Reply[] = [];
  for (const id of ids) {
    let pending = group.pending.get(id);
    const entry = stream.get(id);
    if (entry === undefined) {
      // The entry is gone: its pending record goes too.
      if (pending !== undefined) {
        group.pending.delete(id);
        group.consumers.get(pending.consumer)?.pending.delete(id);
      }
      continue;
    }
    let fresh = false;
    if (options.force && pending === undefined) {
      pending = { id, consumer: "", deliveryTimeMs: ctx.nowMs, deliveryCount: 1 } satisfies PendingEntry;
      group.pending.set(id, pending);
      fresh = true;
    }
    if (pending === undefined) continue;
    if (!fresh && minIdleMs !== 0n && BigInt(ctx.nowMs - pending.deliveryTimeMs) < minIdleMs) continue;
    const consumer = group.consumer(consumerName, ctx.nowMs).consumer;
    consumer.seenTimeMs = ctx.nowMs;
    if (!fresh && pending.consumer !== consumerName) group.consumers.get(pending.consumer)?.pending.delete(id);
    pending.deliveryTimeMs = options.deliveryTimeMs;
    if (options.retryCount !== undefined && options.retryCount >= 0n) pending.deliveryCount = Number(options.retryCount);
    else if (!options.justId) pending.deliveryCount += 1;
    pending.consumer = consumerName;
    consumer.pending.set(id, pending);
    claimed.push(options.justId ? bulk(formatId(id)) : entryReply(entry));
  }
  storeStreamMetadata(ctx, key, item);
  return array(claimed);
}

// ---- XAUTOCLAIM ----

/** Redis looks at no more than COUNT × 10 pending entries per call. */
const AUTOCLAIM_ATTEMPTS_FACTOR = 10;

function xautoclaim(ctx: CommandContext, args: ByteString[]): Reply {
  const [key, groupName, consumerName, minIdleText, startText] = [args[0]!, args[1]!, args[2]!, args[3]!, args[4]!];
  // Unlike XCLAIM, Redis reads every argument before it looks at the key.
  const minIdleValue = parseInteger(minIdleText);
  if (minIdleValue === null) return error("ERR", "Invalid min-idle-time argument for XAUTOCLAIM");
  const minIdleMs = minIdleValue < 0n ? 0n : minIdleValue;
  const startEnd = parseIntervalEnd(startText, 0n);
  if (startEnd === undefined) return INVALID_ID;
  const start = startEnd.exclusive ? nextId(startEnd.id) : startEnd.id;
  if (start === undefined) return error("ERR", "invalid start ID for the interval");
  let count = 100;
  let justId = false;
  for (let j = 5; j < args.length; j++) {
    const moreArgs = args.length - 1 - j;
    const option = args[j]!.toUpperCase();
    if (option === "COUNT" && moreArgs > 0) {
      const value = parseInteger(args[++j]!);
      // getRangeLongFromObjectOrReply: one message for not a number and out of range.
      if (value === null || value < 1n || value > BigInt(Math.floor(Number.MAX_SAFE_INTEGER / 16))) return error("ERR", "COUNT must be > 0");
      count = Number(value);
    } else if (option === "JUSTID") {
      justId = true;
    } else {
      return SYNTAX_ERROR;
    }
  }
  const current = readStream(ctx, key);
  if (isStreamReply(current)) return current;
  if (current === undefined || !current.groups.has(groupName)) return error("NOGROUP", `No such key '${cText(key)}' or consumer group '${cText(groupName)}'`);
  const { item, stream } = streamForUpdate(ctx, key);
  const group = stream.groups.get(groupName)!;
  let attempts = count * AUTOCLAIM_ATTEMPTS_FACTOR;
  const claimed: Reply[] = [];
  const deleted: Reply[] = [];
  // The PEL from `start`, as a list: the loop removes entries from it as it goes.
  const candidates = [...group.pending.values()].filter((pending) => compareIds(pending.id, start) >= 0);
  let examined = 0;
  while (attempts > 0 && count > 0 && examined < candidates.length) {
    attempts--;
    const pending = candidates[examined++]!;
    const entry = stream.get(pending.id);
    if (entry === undefined) {
      group.pending.delete(pending.id);
      group.consumers.get(pending.consumer)?.pending.delete(pending.id);
      deleted.push(bulk(formatId(pending.id)));
      count--;
      continue;
    }
    if (minIdleMs !== 0n && BigInt(ctx.nowMs - pending.deliveryTimeMs) < minIdleMs) continue;
    const consumer = group.consumer(consumerName, ctx.nowMs).consumer;
    consumer.seenTimeMs = ctx.nowMs;
    if (pending.consumer !== consumerName) group.consumers.get(pending.consumer)?.pending.delete(pending.id);
    pending.deliveryTimeMs = ctx.nowMs;
    if (!justId) pending.deliveryCount += 1;
    pending.consumer = consumerName;
    consumer.pending.set(pending.id, pending);
    claimed.push(justId ? bulk(formatId(pending.id)) : entryReply(entry));
    count--;
  }
  // The cursor: the next pending entry after the last one looked at, 0-0 when none is left.
  const following = candidates[examined];
  storeStreamMetadata(ctx, key, item);
  return array([bulk(following === undefined ? "0-0" : formatId(following.id)), array(claimed), array(deleted)]);
}

// ---- XSETID ----

function xsetid(ctx: CommandContext, args: ByteString[]): Reply {
  const key = args[0]!;
  const id = parseId(args[1]!, 0n, true);
  if (id === undefined) return INVALID_ID;
  let entriesAdded: bigint | undefined;
  let maxDeletedId: StreamId | undefined;
  for (let i = 2; i < args.length; i++) {
    const moreArgs = args.length - 1 - i;
    const option = args[i]!.toUpperCase();
    if (option === "ENTRIESADDED" && moreArgs > 0) {
      const value = parseInteger(args[++i]!);
      if (value === null) return NOT_AN_INTEGER;
      if (value < 0n) return error("ERR", "entries_added must be positive");
      entriesAdded = value;
    } else if (option === "MAXDELETEDID" && moreArgs > 0) {
      const value = parseId(args[++i]!, 0n, true);
      if (value === undefined) return INVALID_ID;
      if (compareIds(id, value) < 0) return error("ERR", "The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
      maxDeletedId = value;
    } else {
      return SYNTAX_ERROR;
    }
  }
  const current = readStream(ctx, key);
  if (isStreamReply(current)) return current;
  if (current === undefined) return error("ERR", "no such key");
  const top = current.lastEntry();
  if (top !== undefined) {
    if (compareIds(id, top.id) < 0) return error("ERR", "The ID specified in XSETID is smaller than the target stream top item");
    if (entriesAdded !== undefined && BigInt(current.length) > entriesAdded) {
      return error("ERR", "The entries_added specified in XSETID is smaller than the target stream length");
    }
  }
  const { item, stream } = streamForUpdate(ctx, key);
  stream.lastId = id;
  if (entriesAdded !== undefined) stream.entriesAdded = entriesAdded;
  if (maxDeletedId !== undefined && (maxDeletedId.ms !== 0n || maxDeletedId.seq !== 0n)) stream.maxDeletedId = maxDeletedId;
  storeStreamMetadata(ctx, key, item);
  return OK;
}

export const streamClaimCommands: CommandSpec[] = [
  defineCommand({
    name: "XCLAIM",
    arity: -6,
    flags: ["write", "fast"],
    summary: "Gives pending entries idle at least min-idle-time to another consumer: XCLAIM key group consumer min-idle id ... [IDLE|TIME|RETRYCOUNT|FORCE|JUSTID|LASTID].",
    run: xclaim,
  }),
  defineCommand({
    name: "XAUTOCLAIM",
    arity: -6,
    flags: ["write", "fast"],
    summary: "Claims pending entries idle at least min-idle-time from a cursor: [next cursor, claimed entries, deleted IDs].",
    run: xautoclaim,
  }),
  defineCommand({
    name: "XSETID",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    summary: "Sets a stream's last ID [ENTRIESADDED n] [MAXDELETEDID id].",
    run: xsetid,
  }),
];
