/**
 * WALNUT.WATCH and WALNUT.UNWATCH: the RESP face of the watch (docs/watch.md), a feed of
 * node/watch_feed.ts sent as pushes.
 *
 *   WALNUT.WATCH KEY key | PREFIX prefix [FROM index] [DB n | COLLECTION name] [PROGRESS ms]
 *   WALNUT.UNWATCH
 *
 * WALNUT.WATCH answers [watch, <first index owed>] and then pushes, in log-index order:
 *
 *   [watch, put, index, collection, key, value]   value: nil for lists, hashes, sets, sorted sets
 *   [watch, delete|expire, index, collection, key]
 *   [watch, flush, index, collection]
 *   [watch, progress, index]       everything through index is delivered
 *   [watch, compacted, oldest]     FROM was older than the window: the watch ended
 *
 * RESP3 sends them as push frames (>), which a RESP3 client tells from replies, and the
 * connection keeps running any command. RESP2 has no pushes: the events are plain arrays,
 * and, like Redis' subscriber mode, the connection then runs only WALNUT.UNWATCH, PING,
 * QUIT and RESET until the watch ends. WALNUT.UNWATCH answers [unwatch, <next index>]: a
 * later WALNUT.WATCH ... FROM that index continues exactly. One watch per connection.
 */
import type { ByteString } from "../../engine/bytes.js";
import type { Change, ChangeFilter } from "../../engine/change_history.js";
import { array, bulk, error, integer, NIL, type Reply } from "../../engine/reply.js";
import { SYNTAX_ERROR } from "../../commands/access.js";
import { databaseCollection, DB_OUT_OF_RANGE, parseDatabaseIndex } from "../../commands/databases.js";
import { parseInteger } from "../../commands/numbers.js";
import { WatchFeed, type WatchMessage } from "../../node/watch_feed.js";
import type { ServerContext } from "../server_context.js";

const WATCH = bulk("watch");
/** What a RESP2 connection may still run while it watches. */
export const ALLOWED_WHILE_WATCHING_RESP2 = new Set(["WALNUT.UNWATCH", "PING", "QUIT", "RESET"]);

/** What a connection that watches holds: its feed. */
export interface RespWatch {
  readonly feed: WatchFeed;
}

/** Where a watch's events go: the connection's pushes, each frame its items. */
export type PushTarget = (frames: Reply[][]) => void;

/** Parses WALNUT.WATCH's arguments and starts the feed once the reply is on its way; the reply, and the watch (null on an error). */
export function startWatch(
  context: ServerContext,
  currentCollection: string,
  args: ByteString[],
  push: PushTarget,
): { reply: Reply; watch: RespWatch | null } {
  const parsed = parseWatchArguments(context, currentCollection, args);
  if ("type" in parsed) return { reply: parsed, watch: null };
  const feed = context.executor.node.read(
    (engine) =>
      new WatchFeed(engine, { filter: parsed.filter, ...(parsed.from === undefined ? {} : { from: parsed.from }), ...(parsed.progressMs === undefined ? {} : { progressIntervalMs: parsed.progressMs }) }, (message) =>
        push(pushItems(message)),
      ),
  );
  // The reply goes out first: the feed starts after this command's reply is queued.
  queueMicrotask(() => feed.start());
  return { reply: array([WATCH, integer(feed.nextIndex)]), watch: { feed } };
}

/** Stops `watch`; the reply WALNUT.UNWATCH answers. */
export function stopWatch(watch: RespWatch | null | undefined): Reply {
  if (watch === null || watch === undefined) return array([bulk("unwatch"), NIL]);
  watch.feed.stop();
  return array([bulk("unwatch"), integer(watch.feed.nextIndex)]);
}

interface WatchArguments {
  filter: ChangeFilter;
  from?: number;
  progressMs?: number;
}

function parseWatchArguments(context: ServerContext, currentCollection: string, args: ByteString[]): WatchArguments | Reply {
  let key: ByteString | undefined;
  let prefix: ByteString | undefined;
  let from: number | undefined;
  let progressMs: number | undefined;
  let collection = currentCollection;
  for (let position = 0; position < args.length; position += 2) {
    const word = (args[position] as ByteString).toUpperCase();
    const value = args[position + 1];
    if (value === undefined) return SYNTAX_ERROR;
    if (word === "KEY" && prefix === undefined) key = value;
    else if (word === "PREFIX" && key === undefined) prefix = value;
    else if (word === "FROM" || word === "PROGRESS") {
      const number = parseInteger(value);
      if (number === null || number < (word === "FROM" ? 1n : 0n) || number > BigInt(Number.MAX_SAFE_INTEGER)) {
        return error("ERR", word === "FROM" ? "FROM must be a log index >= 1" : "PROGRESS must be milliseconds >= 0");
      }
      if (word === "FROM") from = Number(number);
      else progressMs = Number(number);
    } else if (word === "DB") {
      const index = parseDatabaseIndex(value, error("ERR", "invalid DB index"));
      if (typeof index !== "number") return index;
      if (index < 0 || index >= context.databases) return DB_OUT_OF_RANGE;
      collection = databaseCollection(index);
    } else if (word === "COLLECTION") collection = value;
    else return SYNTAX_ERROR;
  }
  if (key === undefined && prefix === undefined) return error("ERR", "WALNUT.WATCH needs KEY key or PREFIX prefix");
  const filter: ChangeFilter = { collection, ...(key === undefined ? {} : { key }), ...(prefix === undefined ? {} : { prefix }) };
  return { filter, ...(from === undefined ? {} : { from }), ...(progressMs === undefined ? {} : { progressMs }) };
}

/** One feed message as push frames' items. */
function pushItems(message: WatchMessage): Reply[][] {
  if (message.type === "progress") return [[WATCH, bulk("progress"), integer(message.index)]];
  if (message.type === "compacted") return [[WATCH, bulk("compacted"), integer(message.oldestIndex)]];
  return message.changes.map(changeItems);
}

function changeItems(change: Change): Reply[] {
  const head = [WATCH, bulk(change.type), integer(change.index), bulk(change.collection)];
  if (change.type === "flush") return head;
  if (change.type === "put") return [...head, bulk(change.key), change.value === null ? NIL : bulk(change.value)];
  return [...head, bulk(change.key)];
}
