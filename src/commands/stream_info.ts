/**
 * XINFO STREAM [FULL [COUNT n]], GROUPS and CONSUMERS, and the group read counters behind
 * their `entries-read` and `lag` fields, as Redis 7.0 computes them.
 *
 * `radix-tree-keys` and `radix-tree-nodes` describe Redis' internal layout (listpacks of
 * about 100 entries in a radix tree); walnut has none and answers an estimate of the same
 * shape: one key per 100 entries, one node more than keys.
 */
import type { ByteString } from "../engine/bytes.js";
import { compareIds, ConsumerGroup, formatId, MAX_ID, MIN_ID, Stream, type StreamId } from "../engine/stream.js";
import { NOT_AN_INTEGER } from "./access.js";
import { defineCommand } from "./define.js";
import { parseInteger } from "./numbers.js";
import { array, bulk, error, integer, map, NIL, status, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";
import { entryReply, isStreamReply, readStream } from "./streams.js";
import { cText, subcommandError } from "./stream_ids.js";

const isZero = (id: StreamId): boolean => id.ms === 0n && id.seq === 0n;

function firstId(stream: Stream): StreamId {
  return stream.firstEntry()?.id ?? MIN_ID;
}

/** True when an entry between start and end (inclusive) was deleted, as far as the largest deleted ID tells. */
export function rangeHasTombstones(stream: Stream, start: StreamId, end: StreamId = MAX_ID): boolean {
  if (stream.length === 0 || isZero(stream.maxDeletedId)) return false;
  if (compareIds(firstId(stream), stream.maxDeletedId) > 0) return false;
  return compareIds(start, stream.maxDeletedId) <= 0 && compareIds(stream.maxDeletedId, end) <= 0;
}

/** How many entries were added up to `id`, when the stream's counters can tell; -1n otherwise. */
export function estimateEntriesRead(stream: Stream, id: StreamId): bigint {
  if (stream.entriesAdded === 0n) return 0n;
  if (stream.length === 0 && compareIds(id, stream.lastId) < 1) return stream.entriesAdded;
  const toLast = compareIds(id, stream.lastId);
  if (toLast === 0) return stream.entriesAdded;
  if (toLast > 0) return -1n;
  const first = firstId(stream);
  const toFirst = compareIds(id, first);
  if (isZero(stream.maxDeletedId) || compareIds(stream.maxDeletedId, first) < 0) {
    if (toFirst < 0) return stream.entriesAdded - BigInt(stream.length);
    if (toFirst === 0) return stream.entriesAdded - BigInt(stream.length) + 1n;
  }
  return -1n;
}

/** Moves a group's last ID to `id` (a delivered entry), keeping its read counter as Redis does. */
export function advanceGroup(stream: Stream, group: ConsumerGroup, id: StreamId): void {
  if (compareIds(id, group.lastId) <= 0) return;
  if (group.entriesRead !== -1n && !rangeHasTombstones(stream, id)) group.entriesRead += 1n;
  else if (stream.entriesAdded !== 0n) group.entriesRead = estimateEntriesRead(stream, id);
  group.lastId = id;
}

function lag(stream: Stream, group: ConsumerGroup): Reply {
  if (stream.entriesAdded === 0n) return integer(0);
  if (group.entriesRead !== -1n && !rangeHasTombstones(stream, group.lastId)) return integer(stream.entriesAdded - group.entriesRead);
  const read = estimateEntriesRead(stream, group.lastId);
  return read === -1n ? NIL : integer(stream.entriesAdded - read);
}

const entriesReadReply = (group: ConsumerGroup): Reply => (group.entriesRead === -1n ? NIL : integer(group.entriesRead));

function layoutFields(stream: Stream): Array<[Reply, Reply]> {
  const keys = Math.ceil(stream.length / 100);
  return [
    [bulk("length"), integer(stream.length)],
    [bulk("radix-tree-keys"), integer(keys)],
    [bulk("radix-tree-nodes"), integer(keys + 1)],
    [bulk("last-generated-id"), bulk(formatId(stream.lastId))],
    [bulk("max-deleted-entry-id"), bulk(formatId(stream.maxDeletedId))],
    [bulk("entries-added"), integer(stream.entriesAdded)],
    [bulk("recorded-first-entry-id"), bulk(formatId(firstId(stream)))],
  ];
}

function streamInfo(stream: Stream, args: ByteString[], subcommand: ByteString): Reply {
  const badArguments = error("ERR", `unknown subcommand or wrong number of arguments for '${subcommand}'. Try XINFO HELP.`);
  if (args.length === 0) {
    const first = stream.firstEntry();
    const last = stream.lastEntry();
    return map([
      ...layoutFields(stream),
      [bulk("groups"), integer(stream.groups.size)],
      [bulk("first-entry"), first === undefined ? NIL : entryReply(first)],
      [bulk("last-entry"), last === undefined ? NIL : entryReply(last)],
    ]);
  }
  if (args[0]!.toUpperCase() !== "FULL") return badArguments;
  let count: number | undefined = 10;
  if (args.length > 1) {
    if (args.length !== 3 || args[1]!.toUpperCase() !== "COUNT") return badArguments;
    const value = parseInteger(args[2]!);
    if (value === null) return NOT_AN_INTEGER;
    count = value <= 0n ? undefined : Number(value);
  }
  const groups = sortedGroups(stream).map((group) =>
    map([
      [bulk("name"), bulk(group.name)],
      [bulk("last-delivered-id"), bulk(formatId(group.lastId))],
      [bulk("entries-read"), entriesReadReply(group)],
      [bulk("lag"), lag(stream, group)],
      [bulk("pel-count"), integer(group.pending.size)],
      [bulk("pending"), array([...group.pending.values()].slice(0, count).map((p) => array([bulk(formatId(p.id)), bulk(p.consumer), integer(p.deliveryTimeMs), integer(p.deliveryCount)])))],
      [
        bulk("consumers"),
        array(
          sortedConsumers(group).map((consumer) =>
            map([
              [bulk("name"), bulk(consumer.name)],
              [bulk("seen-time"), integer(consumer.seenTimeMs)],
              [bulk("pel-count"), integer(consumer.pending.size)],
              [bulk("pending"), array([...consumer.pending.values()].slice(0, count).map((p) => array([bulk(formatId(p.id)), integer(p.deliveryTimeMs), integer(p.deliveryCount)])))],
            ]),
          ),
        ),
      ],
    ]),
  );
  return map([...layoutFields(stream), [bulk("entries"), array(stream.range(MIN_ID, MAX_ID, count).map(entryReply))], [bulk("groups"), array(groups)]]);
}

/** A stream's groups in name order (Redis keeps them in a radix tree). */
function sortedGroups(stream: Stream): ConsumerGroup[] {
  return [...stream.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function sortedConsumers(group: ConsumerGroup): Array<ConsumerGroup["consumers"] extends Map<ByteString, infer C> ? C : never> {
  return [...group.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const SUBCOMMAND_ARITY: Record<string, number> = { STREAM: -3, GROUPS: 3, CONSUMERS: 4 };

const XINFO_HELP = [
  "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CONSUMERS <key> <groupname>",
  "    Show consumers of <groupname>.",
  "GROUPS <key>",
  "    Show the stream consumer groups.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Show information about the stream.",
  "HELP",
  "    Prints this help.",
];

function xinfo(ctx: CommandContext, args: ByteString[]): Reply {
  const refused = subcommandError("XINFO", SUBCOMMAND_ARITY, args);
  if (refused !== null) return refused;
  const sub = args[0]!.toUpperCase();
  if (sub === "HELP") return array(XINFO_HELP.map(status));
  const key = args[1]!;
  const stream = readStream(ctx, key);
  if (isStreamReply(stream)) return stream;
  if (stream === undefined) return error("ERR", "no such key");
  if (sub === "STREAM") return streamInfo(stream, args.slice(2), args[0]!);
  if (sub === "GROUPS") {
    return array(
      sortedGroups(stream).map((group) =>
        map([
          [bulk("name"), bulk(group.name)],
          [bulk("consumers"), integer(group.consumers.size)],
          [bulk("pending"), integer(group.pending.size)],
          [bulk("last-delivered-id"), bulk(formatId(group.lastId))],
          [bulk("entries-read"), entriesReadReply(group)],
          [bulk("lag"), lag(stream, group)],
        ]),
      ),
    );
  }
  const group = stream.groups.get(args[2]!);
  if (group === undefined) return error("NOGROUP", `No such consumer group '${cText(args[2]!)}' for key name '${cText(key)}'`);
  return array(
    sortedConsumers(group).map((consumer) =>
      map([
        [bulk("name"), bulk(consumer.name)],
        [bulk("pending"), integer(consumer.pending.size)],
        [bulk("idle"), integer(Math.max(0, ctx.nowMs - consumer.seenTimeMs))],
      ]),
    ),
  );
}

export const streamInfoCommands: CommandSpec[] = [
  defineCommand({
    name: "XINFO",
    arity: -2,
    flags: ["readonly"],
    firstKey: 2,
    hasSubcommands: true,
    summary: "A stream's state: XINFO STREAM key [FULL [COUNT n]] | GROUPS key | CONSUMERS key group.",
    run: xinfo,
    subcommandCheck: (args) => subcommandError("XINFO", SUBCOMMAND_ARITY, args),
  }),
];
