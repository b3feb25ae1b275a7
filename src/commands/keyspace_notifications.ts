/**
 * Keyspace notifications (Redis' notify-keyspace-events), generated where writes are
 * applied: every replica notifies its own subscribers as it applies an entry, so a
 * follower's clients hear the events of writes made through the leader (docs/pubsub.md).
 *
 * Rather than each handler announcing what it did, one table says, per command, the
 * events Redis 7.0 sends for each of its keys, and apply() compares each key before and
 * after the call: a key whose item changed gets the command's events ("new" first when it
 * did not exist), a key that was live and is gone gets the command's removal events (its
 * own and then "del" for a pop that emptied a list, only "del" for DEL, "expired" for
 * the expiry sweep), and an expired key that the call replaced or dropped gets "expired"
 * first, as Redis' lazy expiry sends it. A call that changed nothing sends nothing, as
 * SADD of a present member or SET NX on a present key sends nothing in Redis.
 *
 * Cost: one comparison per write while notify-keyspace-events is empty (the default).
 * Known gaps (docs/pubsub.md): MOVE, COPY ... DB and SWAPDB send no events; inside one
 * MULTI, a key written by an earlier command of the same transaction is seen unchanged.
 */
import type { ByteString } from "../engine/bytes.js";
import type { Collection } from "../engine/collection.js";
import type { Engine } from "../engine/engine.js";
import type { EventClass } from "../engine/keyspace_events.js";
import type { Item } from "../engine/values.js";
import { Stream } from "../engine/stream.js";
import { isError, type Reply } from "../engine/reply.js";
import { databaseIndex } from "./databases.js";
import { textOf } from "./access.js";
import type { CommandSpec } from "./spec.js";

type Event = readonly [EventClass, string];
type Change = "written" | "removed";

/** The events of one key of a call: `position` is the key's place among the call's keys. */
interface Rule {
  keys?(args: ByteString[]): ByteString[];
  /** RENAME: every key's "new" comes before the command's events, as Redis adds the key first. */
  newFirst?: boolean;
  /** LTRIM: announced whenever the key was live and still is, changed or not, as Redis does. */
  always?: boolean;
  /** LMOVE of a list onto itself: a key named twice gets the events of both places. */
  repeatsKeys?: boolean;
  /**
   * For a command walnut stores even when nothing changed (SETBIT of the bit already
   * there): whether it did, from the reply and the first key's length before the call.
   */
  changed?(args: ByteString[], reply: Reply, lengthBefore: number, lengthAfter: number): boolean;
  /** A size of each key's item taken before and after the call (a stream's length), given to `events` as `sizes`. */
  measure?(item: Item | undefined, args: ByteString[]): number;
  events(args: ByteString[], position: number, change: Change, sizes: Sizes): Event[];
}

/** Rule.measure of a key before and after the call (0 and 0 without a measure). */
interface Sizes {
  before: number;
  after: number;
}

const DEL: Event = ["generic", "del"];

/** A write to an aggregate or string: its event; when it emptied the key, also "del". */
function edits(eventClass: EventClass, event: string | ((args: ByteString[], position: number) => string)): Rule {
  return {
    events: (args, position, change) => {
      const own: Event = [eventClass, typeof event === "string" ? event : event(args, position)];
      return change === "written" ? [own] : [own, DEL];
    },
  };
}

/** A command that stores a result at a destination: its event, or only "del" when the result was empty. */
function stores(eventClass: EventClass, event: string, keys?: (args: ByteString[]) => ByteString[]): Rule {
  return { keys, events: (_args, _position, change) => (change === "written" ? [[eventClass, event]] : [DEL]) };
}

const XTRIM: Event = ["stream", "xtrim"];

function streamLength(item: Item | undefined): number {
  return item?.value instanceof Stream ? item.value.length : 0;
}

/** XREADGROUP's keys: the first half of what follows STREAMS. */
function streamsKeys(args: ByteString[]): ByteString[] {
  const at = args.findIndex((arg) => upper(arg) === "STREAMS");
  if (at < 0) return [];
  const rest = args.slice(at + 1);
  return rest.slice(0, Math.floor(rest.length / 2));
}

/**
 * XREADGROUP (GROUP group consumer), XCLAIM and XAUTOCLAIM (key group consumer): the group
 * is args[1] in all three, its consumer count the measure; a call that added a consumer
 * announces "xgroup-createconsumer", as Redis does, and nothing else. `always`: a change of
 * a stream's groups keeps the key's version (streams.ts storeStreamMetadata), so the
 * measure, not the version, tells what changed.
 */
function createsConsumer(keys: (args: ByteString[]) => ByteString[]): Rule {
  return {
    keys,
    always: true,
    measure: (item, args) => (item?.value instanceof Stream ? (item.value.groups.get(args[1] as ByteString)?.consumers.size ?? 0) : 0),
    events: (_args, _position, change, sizes) => (change === "written" && sizes.after > sizes.before ? [["stream", "xgroup-createconsumer"]] : []),
  };
}

/**
 * XGROUP's key is args[1]. On an existing stream the change keeps the key's version
 * (streams.ts storeStreamMetadata), so `always` announces whenever the stream is still
 * there and the measure tells whether DESTROY, CREATECONSUMER and DELCONSUMER changed
 * anything (the groups, the group's consumers); CREATE and SETID that answered OK did.
 */
const XGROUP_RULE: Rule = {
  keys: (args) => (args[1] === undefined ? [] : [args[1]]),
  always: true,
  measure: (item, args) => {
    const stream = item?.value;
    if (!(stream instanceof Stream)) return 0;
    const subcommand = upper(args[0]);
    if (subcommand === "DESTROY") return stream.groups.size;
    if (subcommand === "CREATECONSUMER" || subcommand === "DELCONSUMER") return stream.groups.get(args[2] as ByteString)?.consumers.size ?? 0;
    return 0;
  },
  events: (args, _position, change, sizes) => {
    const subcommand = upper(args[0]);
    const changed = subcommand === "CREATE" || subcommand === "SETID" || sizes.after !== sizes.before;
    return change === "written" && changed ? [["stream", `xgroup-${subcommand.toLowerCase()}`]] : [];
  },
};

const deletes: Rule = { events: (_args, _position, change) => (change === "removed" ? [DEL] : []) };

const upper = (text: ByteString | undefined): string => (text ?? "").toUpperCase();
const hasOption = (args: ByteString[], names: string[]): boolean => args.slice(1).some((arg) => names.includes(upper(arg)));

/** SET, SETEX...: "set", then "expire" when the call gave the key a time to live. */
function setsString(withExpiry: (args: ByteString[]) => boolean): Rule {
  return {
    events: (args, _position, change) => {
      // An expiry already past: walnut drops the key at once, Redis 7.0 announces set and expire.
      if (change === "removed") return withExpiry(args) ? [["string", "set"], ["generic", "expire"]] : [DEL];
      return withExpiry(args) ? [["string", "set"], ["generic", "expire"]] : [["string", "set"]];
    },
  };
}

/**
 * LMOVE, RPOPLPUSH, SMOVE: a pop event on the source (then "del" if emptied), a push event
 * on the destination; lists announce the destination first, SMOVE the source, as Redis does.
 */
function moves(eventClass: EventClass, popEvent: (args: ByteString[]) => string, pushEvent: (args: ByteString[]) => string): Rule {
  const destinationFirst = eventClass === "list";
  const source = destinationFirst ? 1 : 0;
  return {
    repeatsKeys: destinationFirst, // SMOVE of a set onto itself changes nothing and says nothing
    keys: (args) => (destinationFirst ? [args[1] as ByteString, args[0] as ByteString] : [args[0] as ByteString, args[1] as ByteString]),
    events: (args, position, change) => {
      if (position === source) return change === "written" ? [[eventClass, popEvent(args)]] : [[eventClass, popEvent(args)], DEL];
      return [[eventClass, pushEvent(args)]];
    },
  };
}

/** LMPOP, ZMPOP and their blocking forms: numkeys key [key ...] after `skip` arguments. */
function numberedKeys(skip: number): (args: ByteString[]) => ByteString[] {
  return (args) => args.slice(skip + 1, skip + 1 + Number(args[skip]));
}

const side = (text: ByteString | undefined): string => (upper(text) === "LEFT" ? "l" : "r");
const expiryOf = (args: ByteString[]): string => (hasOption(args, ["PERSIST"]) ? "persist" : "expire");
const expires: Rule = { events: (_args, _position, change) => (change === "written" ? [["generic", "expire"]] : [DEL]) };

const RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  // keys
  ["DEL", deletes],
  ["UNLINK", deletes],
  ["GETDEL", deletes],
  ["EXPIRE", expires],
  ["PEXPIRE", expires],
  ["EXPIREAT", expires],
  ["PEXPIREAT", expires],
  ["PERSIST", { events: () => [["generic", "persist"]] }],
  ["RENAME", { newFirst: true, events: (_args, position) => [["generic", position === 0 ? "rename_from" : "rename_to"]] }],
  ["RENAMENX", { newFirst: true, events: (_args, position) => [["generic", position === 0 ? "rename_from" : "rename_to"]] }],
  ["RESTORE", { events: () => [["generic", "restore"]] }],
  ["COPY", { keys: (args) => [args[1] as ByteString], events: () => [["generic", "copy_to"]] }],
  ["SORT", stores("list", "sortstore", (args) => {
    const at = args.findIndex((arg, index) => index > 0 && upper(arg) === "STORE");
    return at < 0 ? [] : [args[at + 1] as ByteString];
  })],
  ["EXPIRESWEEP", { events: (_args, _position, change) => (change === "removed" ? [["expired", "expired"]] : []) }],
  // strings
  ["SET", setsString((args) => hasOption(args, ["EX", "PX", "EXAT", "PXAT"]))],
  ["SETNX", setsString(() => false)],
  ["SETEX", setsString(() => true)],
  ["PSETEX", setsString(() => true)],
  ["GETSET", setsString(() => false)],
  ["MSET", setsString(() => false)],
  ["MSETNX", setsString(() => false)],
  ["GETEX", { events: (args, _position, change) => (change === "removed" ? [DEL] : [["generic", expiryOf(args)]]) }],
  ["APPEND", edits("string", "append")],
  ["SETRANGE", edits("string", "setrange")],
  ["INCR", edits("string", "incrby")],
  ["DECR", edits("string", "incrby")],
  ["INCRBY", edits("string", "incrby")],
  ["DECRBY", edits("string", "incrby")],
  ["INCRBYFLOAT", edits("string", "incrbyfloat")],
  // Redis announces a SETBIT that flipped the bit or grew the string.
  ["SETBIT", { ...edits("string", "setbit"), changed: (args, reply, before, after) => after > before || !(reply.type === "integer" && String(reply.value) === args[2]) }],
  ["BITFIELD", edits("string", "setbit")],
  ["BITOP", stores("string", "set", (args) => [args[1] as ByteString])],
  ["PFADD", edits("string", "pfadd")],
  ["PFMERGE", edits("string", "pfadd")],
  // lists
  ["LPUSH", edits("list", "lpush")],
  ["LPUSHX", edits("list", "lpush")],
  ["RPUSH", edits("list", "rpush")],
  ["RPUSHX", edits("list", "rpush")],
  ["LPOP", edits("list", "lpop")],
  ["RPOP", edits("list", "rpop")],
  ["BLPOP", edits("list", "lpop")],
  ["BRPOP", edits("list", "rpop")],
  ["LINSERT", edits("list", "linsert")],
  ["LSET", edits("list", "lset")],
  ["LREM", edits("list", "lrem")],
  ["LTRIM", { ...edits("list", "ltrim"), always: true }],
  ["RPOPLPUSH", moves("list", () => "rpop", () => "lpush")],
  ["BRPOPLPUSH", moves("list", () => "rpop", () => "lpush")],
  ["LMOVE", moves("list", (args) => `${side(args[2])}pop`, (args) => `${side(args[3])}push`)],
  ["BLMOVE", moves("list", (args) => `${side(args[2])}pop`, (args) => `${side(args[3])}push`)],
  ["LMPOP", { keys: numberedKeys(0), ...edits("list", (args) => `${side(args[Number(args[0]) + 1])}pop`) }],
  ["BLMPOP", { keys: numberedKeys(1), ...edits("list", (args) => `${side(args[Number(args[1]) + 2])}pop`) }],
  // hashes
  ["HSET", edits("hash", "hset")],
  ["HMSET", edits("hash", "hset")],
  ["HSETNX", edits("hash", "hset")],
  ["HDEL", edits("hash", "hdel")],
  ["HINCRBY", edits("hash", "hincrby")],
  ["HINCRBYFLOAT", edits("hash", "hincrbyfloat")],
  // sets
  ["SADD", edits("set", "sadd")],
  ["SREM", edits("set", "srem")],
  ["SPOP", edits("set", "spop")],
  ["SMOVE", moves("set", () => "srem", () => "sadd")],
  ["SINTERSTORE", stores("set", "sinterstore")],
  ["SUNIONSTORE", stores("set", "sunionstore")],
  ["SDIFFSTORE", stores("set", "sdiffstore")],
  // sorted sets
  ["ZADD", edits("zset", (args) => (hasOption(args.slice(0, -1), ["INCR"]) ? "zincr" : "zadd"))],
  ["ZINCRBY", edits("zset", "zincr")],
  ["ZREM", edits("zset", "zrem")],
  ["ZREMRANGEBYSCORE", edits("zset", "zremrangebyscore")],
  ["ZREMRANGEBYRANK", edits("zset", "zremrangebyrank")],
  ["ZREMRANGEBYLEX", edits("zset", "zremrangebylex")],
  ["ZPOPMIN", edits("zset", "zpopmin")],
  ["ZPOPMAX", edits("zset", "zpopmax")],
  ["BZPOPMIN", edits("zset", "zpopmin")],
  ["BZPOPMAX", edits("zset", "zpopmax")],
  ["ZMPOP", { keys: numberedKeys(0), ...edits("zset", (args) => (upper(args[Number(args[0]) + 1]) === "MIN" ? "zpopmin" : "zpopmax")) }],
  ["BZMPOP", { keys: numberedKeys(1), ...edits("zset", (args) => (upper(args[Number(args[1]) + 2]) === "MIN" ? "zpopmin" : "zpopmax")) }],
  ["ZUNIONSTORE", stores("zset", "zunionstore", (args) => [args[0] as ByteString])],
  ["ZINTERSTORE", stores("zset", "zinterstore", (args) => [args[0] as ByteString])],
  ["ZDIFFSTORE", stores("zset", "zdiffstore", (args) => [args[0] as ByteString])],
  ["ZRANGESTORE", stores("zset", "zrangestore", (args) => [args[0] as ByteString])],
  ["GEOADD", edits("zset", "zadd")],
  ["GEOSEARCHSTORE", stores("zset", "geosearchstore", (args) => [args[0] as ByteString])],
  // streams: an XADD that trimmed adds "xtrim"; a read or claim that made a consumer sends "xgroup-createconsumer", and nothing else
  ["XADD", { measure: streamLength, events: (_args, _position, change, sizes) => (change === "written" ? [["stream", "xadd"], ...(sizes.after <= sizes.before ? [XTRIM] : [])] : []) }],
  ["XTRIM", edits("stream", "xtrim")],
  ["XDEL", edits("stream", "xdel")],
  ["XSETID", { ...edits("stream", "xsetid"), always: true }],
  ["XREADGROUP", createsConsumer((args) => streamsKeys(args))],
  ["XCLAIM", createsConsumer((args) => [args[0] as ByteString])],
  ["XAUTOCLAIM", createsConsumer((args) => [args[0] as ByteString])],
  ["XGROUP", XGROUP_RULE],
]);

/** A key as it was before the call. */
interface Before {
  key: ByteString;
  item: Item | undefined;
  version: number;
  /** Rule.measure of the item before the call (0 without one). */
  size: number;
}

/** What notifyChanges needs of a call, taken before it runs; null when nothing can be notified. */
export interface Observed {
  rule: Rule;
  args: ByteString[];
  keys: Before[];
  /** The first key's string length before the call (-1: absent or no string), for Rule.changed. */
  lengthBefore: number;
}

function stringLength(item: Item | undefined): number {
  return item === undefined ? -1 : (textOf(item)?.length ?? -1);
}

/** The keys of a call at the spec's key positions (MSET: every other argument). */
function keyPositions(spec: CommandSpec, args: ByteString[]): ByteString[] {
  if (spec.firstKey <= 0) return [];
  const last = spec.lastKey < 0 ? args.length + 1 + spec.lastKey : spec.lastKey;
  const keys: ByteString[] = [];
  for (let position = spec.firstKey; position <= last && position <= args.length; position += Math.max(spec.keyStep, 1)) {
    keys.push(args[position - 1] as ByteString);
  }
  return keys;
}

/** Takes the keys of a call before it runs, when notifications are on and the command sends any. */
export function observeKeys(engine: Engine, collection: Collection, spec: CommandSpec, args: ByteString[]): Observed | null {
  if (engine.published.keyspaceEventFlags === 0) return null;
  const rule = RULES.get(spec.name);
  if (rule === undefined) return null;
  const keys = (rule.keys?.(args) ?? keyPositions(spec, args)).map((key): Before => {
    const item = collection.get(key);
    return { key, item, version: item?.version ?? 0, size: rule.measure?.(item, args) ?? 0 };
  });
  const lengthBefore = rule.changed === undefined ? -1 : stringLength(keys[0]?.item);
  return { rule, args, keys, lengthBefore };
}

/** The database a collection is, in channel names: "default" is 0, dbN is N, another collection its name. */
function databaseLabel(collection: Collection): string {
  const index = databaseIndex(collection.name);
  return index === null ? collection.name : String(index);
}

/** Publishes the events of a call that answered `reply`, comparing its keys with `observed`. */
export function notifyChanges(engine: Engine, collection: Collection, observed: Observed, reply: Reply, entry: { nowMs: number; index: number }): void {
  if (isError(reply)) return;
  const first = observed.keys[0]?.key;
  const lengthAfter = observed.rule.changed === undefined || first === undefined ? -1 : stringLength(collection.get(first));
  if (observed.rule.changed?.(observed.args, reply, observed.lengthBefore, lengthAfter) === false) return;
  const { nowMs } = entry;
  const at = { database: databaseLabel(collection), index: entry.index };
  const published = engine.published;
  const sweep = observed.rule === RULES.get("EXPIRESWEEP");
  const seen = new Set<ByteString>();
  const changes = observed.keys.flatMap((before, position) => {
    if (seen.has(before.key) && observed.rule.repeatsKeys !== true) return [];
    seen.add(before.key);
    const after = collection.get(before.key);
    const wasExpired = before.item !== undefined && before.item.isExpiredAt(nowMs);
    const wasLive = before.item !== undefined && !wasExpired;
    const changed = after !== undefined && (after !== before.item || after.version !== before.version || (observed.rule.always === true && wasLive));
    const removed = before.item !== undefined && after === undefined;
    const change: Change | null = changed ? "written" : removed && (wasLive || sweep) ? "removed" : null;
    const sizes = { before: before.size, after: observed.rule.measure?.(after, observed.args) ?? 0 };
    return [{ key: before.key, position, change, sizes, expired: wasExpired && !sweep && (changed || removed), created: changed && !wasLive }];
  });
  const announce = (eventClass: EventClass, event: string, key: ByteString): void => published.notifyKeyspaceEvent(eventClass, event, at, key);
  const announceCreation = (change: (typeof changes)[number]): void => {
    if (change.expired) announce("expired", "expired", change.key);
    if (change.created) announce("newKey", "new", change.key);
  };
  if (observed.rule.newFirst === true) changes.forEach(announceCreation);
  for (const change of changes) {
    if (observed.rule.newFirst !== true) announceCreation(change);
    if (change.change === null) continue;
    for (const [eventClass, event] of observed.rule.events(observed.args, change.position, change.change, change.sizes)) announce(eventClass, event, change.key);
  }
}
