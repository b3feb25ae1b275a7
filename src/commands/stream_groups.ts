/**
 * Consumer groups, as Redis 7.0 answers them: XGROUP (CREATE [MKSTREAM] [ENTRIESREAD],
 * SETID, DESTROY, CREATECONSUMER, DELCONSUMER), XREADGROUP (`>` for new entries, an ID for
 * the consumer's history, COUNT, NOACK, BLOCK), XACK and XPENDING (summary and extended
 * form, IDLE, consumer).
 *
 * XREADGROUP ... BLOCK ms with `>` blocks over RESP like BLPOP (server/resp/blocked_clients.ts,
 * docs/blocking.md): `run` is its non-blocking form; a blocked client is served by an
 * attempt `XREADGROUP GROUP g c [COUNT n] [NOACK] STREAMS key >` through the log once an
 * entry past the group's last ID is on `key`; the key deleted (or no stream any more) or
 * the group destroyed end the wait with Redis 7.0's errors.
 *
 * XREADGROUP is a write: it moves the group's last ID and fills the PEL, so it goes through
 * the log and every replica records the same delivery times (ctx.nowMs, the entry's clock).
 * Like every change of a stream's groups alone it keeps the key's version (Redis 7.0 calls
 * no signalModifiedKey for it: no WATCH abort, no tracking invalidation): streams.ts
 * storeStreamMetadata; XGROUP CREATE MKSTREAM of a new key is a modification.
 * XPENDING's idle times are judged against the reader's clock.
 */
import type { ByteString } from "../engine/bytes.js";
import { compareIds, ConsumerGroup, formatId, MAX_ID, nextId, previousId, Stream, type PendingEntry, type StreamId } from "../engine/stream.js";
import { Item, NO_EXPIRY } from "../engine/values.js";
import { NOT_AN_INTEGER, SYNTAX_ERROR } from "./access.js";
import { defineCommand } from "./define.js";
import { parseInteger } from "./numbers.js";
import { array, bulk, error, integer, isError, NIL, NIL_ARRAY, OK, status, type Reply } from "../engine/reply.js";
import type { BlockedCall, CommandContext, CommandSpec } from "./spec.js";
import { assert } from "../lib/assert.js";
import { cText, INVALID_ID, parseId, parseIntervalEnd, subcommandError } from "./stream_ids.js";
import { advanceGroup } from "./stream_info.js";
import { entryReply, isStreamReply, parseBlockMs, parseReadCount, readStream, storeStream, storeStreamMetadata, streamForUpdate } from "./streams.js";

function noGroup(key: ByteString, group: ByteString): Reply {
  return error("NOGROUP", `No such consumer group '${cText(group)}' for key name '${cText(key)}'`);
}

// ---- XGROUP ----

const XGROUP_ARITY: Record<string, number> = { CREATE: -5, SETID: -5, DESTROY: 4, CREATECONSUMER: 5, DELCONSUMER: 5 };

const XGROUP_HELP = [
  "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CREATE <key> <groupname> <id|$> [option]",
  "    Create a new consumer group. Options are:",
  "    * MKSTREAM",
  "      Create the empty stream if it does not exist.",
  "    * ENTRIESREAD entries_read",
  "      Set the group's entries_read counter (internal use).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Create a new consumer in the specified group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Remove the specified consumer.",
  "DESTROY <key> <groupname>",
  "    Remove the specified group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Set the current group ID and entries_read counter.",
  "HELP",
  "    Prints this help.",
];

function xgroup(ctx: CommandContext, args: ByteString[]): Reply {
  const refused = subcommandError("XGROUP", XGROUP_ARITY, args);
  if (refused !== null) return refused;
  const sub = args[0]!.toUpperCase();
  if (sub === "HELP") return array(XGROUP_HELP.map(status));
  const [key, groupName] = [args[1]!, args[2]!];
  let makeStream = false;
  let entriesRead: bigint | undefined;
  if (sub === "CREATE" || sub === "SETID") {
    for (let i = 4; i < args.length; i++) {
      const option = args[i]!.toUpperCase();
      if (sub === "CREATE" && option === "MKSTREAM") {
        makeStream = true;
      } else if (option === "ENTRIESREAD" && i + 1 < args.length) {
        const value = parseInteger(args[++i]!);
        if (value === null) return NOT_AN_INTEGER;
        if (value < 0n && value !== -1n) return error("ERR", "value for ENTRIESREAD must be positive or -1");
        entriesRead = value;
      } else {
        return error("ERR", `unknown subcommand or wrong number of arguments for '${args[0]}'. Try XGROUP HELP.`);
      }
    }
  }
  const current = readStream(ctx, key);
  if (isStreamReply(current)) return current;
  if (current === undefined && !(sub === "CREATE" && makeStream)) {
    return error("ERR", "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.");
  }
  if (sub !== "CREATE" && sub !== "DESTROY" && !current!.groups.has(groupName)) return noGroup(key, groupName);
  if (sub === "CREATE" || sub === "SETID") {
    const idText = args[3]!;
    const lastId = current?.lastId ?? { ms: 0n, seq: 0n };
    const id = idText === "$" ? lastId : parseId(idText, 0n, false);
    if (id === undefined) return INVALID_ID;
    if (sub === "CREATE" && current?.groups.has(groupName) === true) return error("BUSYGROUP", "Consumer Group name already exists");
    const { item, stream } = current === undefined ? newStreamItem(ctx) : streamForUpdate(ctx, key);
    if (sub === "CREATE") {
      stream.groups.set(groupName, new ConsumerGroup(groupName, id, entriesRead ?? -1n));
    } else {
      const group = stream.groups.get(groupName)!;
      group.lastId = id;
      group.entriesRead = entriesRead ?? -1n;
    }
    // MKSTREAM's new key is a modification; a group made or moved on a stream is not.
    if (current === undefined) storeStream(ctx, key, item);
    else storeStreamMetadata(ctx, key, item);
    return OK;
  }
  if (sub === "DESTROY") {
    if (!current!.groups.has(groupName)) return integer(0);
    const { item, stream } = streamForUpdate(ctx, key);
    stream.groups.delete(groupName);
    storeStreamMetadata(ctx, key, item);
    return integer(1);
  }
  const consumerName = args[3]!;
  if (sub === "CREATECONSUMER") {
    if (current!.groups.get(groupName)!.consumers.has(consumerName)) return integer(0);
    const { item, stream } = streamForUpdate(ctx, key);
    stream.groups.get(groupName)!.consumer(consumerName, ctx.nowMs);
    storeStreamMetadata(ctx, key, item);
    return integer(1);
  }
  // DELCONSUMER: its pending entries go with it; the answer is how many.
  const existing = current!.groups.get(groupName)!.consumers.get(consumerName);
  if (existing === undefined) return integer(0);
  const { item, stream } = streamForUpdate(ctx, key);
  const group = stream.groups.get(groupName)!;
  const consumer = group.consumers.get(consumerName)!;
  const pendingCount = consumer.pending.size;
  for (const id of consumer.pending.keys()) group.pending.delete(id);
  group.consumers.delete(consumerName);
  storeStreamMetadata(ctx, key, item);
  return integer(pendingCount);
}

function newStreamItem(ctx: CommandContext): { item: Item; stream: Stream } {
  const stream = new Stream();
  return { item: new Item({ kind: "stream", value: stream }, ctx.index, NO_EXPIRY), stream };
}

// ---- XREADGROUP ----

interface GroupReadRequest {
  /** BLOCK's milliseconds, undefined without BLOCK. */
  blockMs: number | undefined;
  group: ByteString;
  consumer: ByteString;
  count: number | undefined;
  noAck: boolean;
  keys: ByteString[];
  idTexts: ByteString[];
}

function parseXreadgroup(args: ByteString[]): GroupReadRequest | Reply {
  const request: GroupReadRequest = { blockMs: undefined, group: "", consumer: "", count: undefined, noAck: false, keys: [], idTexts: [] };
  let groupGiven = false;
  let streamsAt = -1;
  for (let i = 0; i < args.length; i++) {
    const moreArgs = args.length - 1 - i;
    const option = args[i]!.toLowerCase();
    if (option === "block" && moreArgs > 0) {
      const blockMs = parseBlockMs(args[++i]!);
      if (typeof blockMs !== "number") return blockMs;
      request.blockMs = blockMs;
    } else if (option === "count" && moreArgs > 0) {
      const count = parseReadCount(args[++i]!);
      if (typeof count === "object") return count;
      request.count = count;
    } else if (option === "streams" && moreArgs > 0) {
      streamsAt = i + 1;
      break;
    } else if (option === "group" && moreArgs >= 2) {
      request.group = args[i + 1]!;
      request.consumer = args[i + 2]!;
      groupGiven = true;
      i += 2;
    } else if (option === "noack") {
      request.noAck = true;
    } else {
      return SYNTAX_ERROR;
    }
  }
  if (streamsAt < 0) return SYNTAX_ERROR;
  const rest = args.slice(streamsAt);
  if (rest.length % 2 !== 0) {
    // Redis 7.0 names XREAD here for both commands.
    return error("ERR", "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
  }
  if (!groupGiven) return error("ERR", "Missing GROUP option for XREADGROUP");
  request.keys = rest.slice(0, rest.length / 2);
  request.idTexts = rest.slice(rest.length / 2);
  return request;
}

/** Delivers new entries (after the group's last ID) to `consumerName`, filling the PEL unless noAck. */
function deliverNew(ctx: CommandContext, stream: Stream, group: ConsumerGroup, consumerName: ByteString, request: GroupReadRequest): Reply[] {
  const start = nextId(group.lastId);
  if (start === undefined) return [];
  const entries = stream.range(start, MAX_ID, request.count);
  const consumer = group.consumers.get(consumerName)!;
  for (const entry of entries) {
    advanceGroup(stream, group, entry.id);
    if (request.noAck) continue;
    const existing = group.pending.get(entry.id);
    if (existing !== undefined) {
      group.consumers.get(existing.consumer)?.pending.delete(entry.id);
      existing.consumer = consumerName;
      existing.deliveryTimeMs = ctx.nowMs;
      existing.deliveryCount = 1;
      consumer.pending.set(entry.id, existing);
    } else {
      const pending: PendingEntry = { id: entry.id, consumer: consumerName, deliveryTimeMs: ctx.nowMs, deliveryCount: 1 };
      group.pending.set(entry.id, pending);
      consumer.pending.set(entry.id, pending);
    }
  }
  return entries.map(entryReply);
}

/** The consumer's pending entries after `after` (deleted entries answer [id, nil]), counted as delivered again. */
function deliverHistory(ctx: CommandContext, stream: Stream, group: ConsumerGroup, consumerName: ByteString, after: StreamId, count: number | undefined): Reply[] {
  const start = nextId(after);
  if (start === undefined) return [];
  const consumer = group.consumers.get(consumerName)!;
  const replies: Reply[] = [];
  for (const pending of consumer.pending.values()) {
    if (compareIds(pending.id, start) < 0) continue;
    if (count !== undefined && replies.length >= count) break;
    const entry = stream.get(pending.id);
    if (entry === undefined) {
      replies.push(array([bulk(formatId(pending.id)), NIL_ARRAY]));
    } else {
      pending.deliveryTimeMs = ctx.nowMs;
      pending.deliveryCount += 1;
      replies.push(entryReply(entry));
    }
  }
  return replies;
}

/**
 * Whether `>` has something to deliver to the group: an entry past its last delivered ID.
 * Redis compares the last entry's ID, not the stream's last ID, which XSETID or XDEL may
 * have moved past every entry; with nothing to deliver it creates no consumer.
 */
export function hasNewEntries(stream: Stream, group: ConsumerGroup): boolean {
  const last = stream.lastEntry();
  return last !== undefined && compareIds(last.id, group.lastId) > 0;
}

function xreadgroup(ctx: CommandContext, args: ByteString[]): Reply {
  const request = parseXreadgroup(args);
  if (!("keys" in request)) return request;
  const afterIds: Array<StreamId | ">"> = [];
  for (let i = 0; i < request.keys.length; i++) {
    const key = request.keys[i]!;
    const stream = readStream(ctx, key);
    if (isStreamReply(stream)) return stream;
    if (stream === undefined || !stream.groups.has(request.group)) {
      return error("NOGROUP", `No such key '${cText(key)}' or consumer group '${cText(request.group)}' in XREADGROUP with GROUP option`);
    }
    const text = request.idTexts[i]!;
    if (text === "$") {
      return error("ERR", "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.");
    }
    if (text === ">") {
      afterIds.push(">");
      continue;
    }
    const id = parseId(text, 0n, true);
    if (id === undefined) return INVALID_ID;
    afterIds.push(id);
  }
  const found: Array<[Reply, Reply]> = [];
  for (let i = 0; i < request.keys.length; i++) {
    const key = request.keys[i]!;
    const after = afterIds[i]!;
    const current = readStream(ctx, key) as Stream; // checked above: a stream with the group
    if (after === ">" && !hasNewEntries(current, current.groups.get(request.group)!)) continue;
    const { item, stream } = streamForUpdate(ctx, key);
    const group = stream.groups.get(request.group)!;
    group.consumer(request.consumer, ctx.nowMs).consumer.seenTimeMs = ctx.nowMs;
    const entries = after === ">" ? deliverNew(ctx, stream, group, request.consumer, request) : deliverHistory(ctx, stream, group, request.consumer, after, request.count);
    storeStreamMetadata(ctx, key, item);
    // New entries: only streams that had some; history: every stream, even with none.
    if (after !== ">" || entries.length > 0) found.push([bulk(key), array(entries)]);
  }
  return found.length === 0 ? NIL_ARRAY : { type: "map", entries: found, pairsInResp2: true };
}

// ---- XREADGROUP ... BLOCK ----

const STREAM_GONE: Reply = Object.freeze(error("UNBLOCKED", "the stream key no longer exists"));
const GROUP_GONE: Reply = Object.freeze(error("NOGROUP", "the consumer group this client was blocked on no longer exists"));

/** Over RESP, an XREADGROUP with BLOCK may wait; whether it does is up to its first run (nil: nothing for `>`). */
function xreadgroupBlocks(args: ByteString[]): boolean {
  const request = parseXreadgroup(args);
  return "keys" in request && request.blockMs !== undefined;
}

/** What a blocked XREADGROUP waits for (its arguments were accepted by `run`, which found nothing new). */
function blockedXreadgroup(args: ByteString[]): BlockedCall {
  const request = parseXreadgroup(args);
  assert("keys" in request, "blocking() is asked only of XREADGROUP arguments run() accepted");
  const options = [...(request.count === undefined ? [] : ["COUNT", String(request.count)]), ...(request.noAck ? ["NOACK"] : [])];
  const groupOf = (item: Item | undefined): { stream: Stream; group: ConsumerGroup } | undefined => {
    const stream = item?.value;
    const group = stream instanceof Stream ? stream.groups.get(request.group) : undefined;
    return group === undefined ? undefined : { stream: stream as Stream, group };
  };
  return {
    keys: request.keys,
    timeoutMs: request.blockMs ?? 0,
    // Every group gets each new entry; consumers of one group compete for it.
    share: request.group,
    servable: (item) => {
      const found = groupOf(item);
      return found !== undefined && hasNewEntries(found.stream, found.group) ? 1 : 0;
    },
    attemptOn: (key) => ["XREADGROUP", "GROUP", request.group, request.consumer, ...options, "STREAMS", key, ">"],
    // NOGROUP and WRONGTYPE: the key or group went between the wake-up and the attempt; unblockedBy answers it as Redis does.
    keepsWaiting: (reply) => reply.type === "nil" || (isError(reply) && /^(NOGROUP|WRONGTYPE) /.test(reply.text)),
    unblockedBy: (item) => {
      if (!(item?.value instanceof Stream)) return STREAM_GONE;
      return groupOf(item) === undefined ? GROUP_GONE : null;
    },
  };
}

// ---- XACK ----

function xack(ctx: CommandContext, args: ByteString[]): Reply {
  const [key, groupName] = [args[0]!, args[1]!];
  const current = readStream(ctx, key);
  if (isStreamReply(current)) return current;
  if (current === undefined || !current.groups.has(groupName)) return integer(0);
  const ids: StreamId[] = [];
  for (const text of args.slice(2)) {
    const id = parseId(text, 0n, true);
    if (id === undefined) return INVALID_ID;
    ids.push(id);
  }
  const { item, stream } = streamForUpdate(ctx, key);
  const group = stream.groups.get(groupName)!;
  let acknowledged = 0;
  for (const id of ids) {
    const pending = group.pending.get(id);
    if (pending === undefined) continue;
    group.pending.delete(id);
    group.consumers.get(pending.consumer)?.pending.delete(id);
    acknowledged++;
  }
  storeStreamMetadata(ctx, key, item);
  return integer(acknowledged);
}

// ---- XPENDING ----

function xpending(ctx: CommandContext, args: ByteString[]): Reply {
  const [key, groupName] = [args[0]!, args[1]!];
  const argc = args.length + 1;
  if (argc !== 3 && (argc < 6 || argc > 9)) return SYNTAX_ERROR;
  let range: { start: StreamId; end: StreamId; count: number; minIdleMs: bigint; consumer: ByteString | undefined } | undefined;
  if (argc >= 6) {
    let at = 2;
    let minIdleMs = 0n;
    if (args[2]!.toUpperCase() === "IDLE") {
      const value = parseInteger(args[3]!);
      if (value === null) return NOT_AN_INTEGER;
      if (argc < 8) return SYNTAX_ERROR;
      minIdleMs = value;
      at += 2;
    }
    const countValue = parseInteger(args[at + 2]!);
    if (countValue === null) return NOT_AN_INTEGER;
    const low = parseIntervalEnd(args[at]!, 0n);
    if (low === undefined) return INVALID_ID;
    const start = low.exclusive ? nextId(low.id) : low.id;
    if (start === undefined) return error("ERR", "invalid start ID for the interval");
    const high = parseIntervalEnd(args[at + 1]!, 2n ** 64n - 1n);
    if (high === undefined) return INVALID_ID;
    const end = high.exclusive ? previousId(high.id) : high.id;
    if (end === undefined) return error("ERR", "invalid end ID for the interval");
    range = { start, end, count: countValue < 0n ? 0 : Number(countValue), minIdleMs, consumer: args[at + 3] };
  }
  const stream = readStream(ctx, key);
  if (isStreamReply(stream)) return stream;
  const group = stream?.groups.get(groupName);
  if (group === undefined) return error("NOGROUP", `No such key '${cText(key)}' or consumer group '${cText(groupName)}'`);
  if (range === undefined) return pendingSummary(group);
  let pel = group.pending;
  if (range.consumer !== undefined) {
    const consumer = group.consumers.get(range.consumer);
    if (consumer === undefined) return array([]);
    pel = consumer.pending;
  }
  const rows: Reply[] = [];
  for (const pending of pel.values()) {
    if (rows.length >= range.count) break;
    if (compareIds(pending.id, range.start) < 0) continue;
    if (compareIds(pending.id, range.end) > 0) break;
    const idleMs = Math.max(0, ctx.nowMs - pending.deliveryTimeMs);
    if (range.minIdleMs !== 0n && BigInt(idleMs) < range.minIdleMs) continue;
    rows.push(array([bulk(formatId(pending.id)), bulk(pending.consumer), integer(idleMs), integer(pending.deliveryCount)]));
  }
  return array(rows);
}

function pendingSummary(group: ConsumerGroup): Reply {
  if (group.pending.size === 0) return array([integer(0), NIL, NIL, NIL_ARRAY]);
  const consumers = [...group.consumers.values()]
    .filter((consumer) => consumer.pending.size > 0)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((consumer) => array([bulk(consumer.name), bulk(String(consumer.pending.size))]));
  return array([integer(group.pending.size), bulk(formatId(group.pending.minKey()!)), bulk(formatId(group.pending.maxKey()!)), array(consumers)]);
}

export const streamGroupCommands: CommandSpec[] = [
  defineCommand({
    name: "XGROUP",
    arity: -2,
    flags: ["write"],
    firstKey: 2,
    hasSubcommands: true,
    summary: "Consumer groups: XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n] | SETID | DESTROY | CREATECONSUMER | DELCONSUMER.",
    run: xgroup,
    subcommandCheck: (args) => subcommandError("XGROUP", XGROUP_ARITY, args),
  }),
  defineCommand({
    name: "XREADGROUP",
    arity: -7,
    flags: ["write", "movablekeys"],
    firstKey: 0,
    summary: "Reads a stream as a consumer of a group: XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS key ... id|> ...",
    // COMMAND INFO gives Redis' flags; walnut routes a blocking XREADGROUP by blocksWhen (BLOCK given), not by the flag.
    info: { flags: ["write", "blocking", "movablekeys"], categories: ["@write", "@stream", "@slow", "@blocking"] },
    run: xreadgroup,
    blocking: blockedXreadgroup,
    blocksWhen: xreadgroupBlocks,
  }),
  defineCommand({
    name: "XACK",
    arity: -4,
    flags: ["write", "fast"],
    summary: "Acknowledges pending entries of a group; how many were pending.",
    run: xack,
  }),
  defineCommand({
    name: "XPENDING",
    arity: -3,
    flags: ["readonly"],
    summary: "A group's pending entries: a summary, or XPENDING key group [IDLE ms] start end count [consumer].",
    run: xpending,
  }),
];
