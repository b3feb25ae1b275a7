/**
 * Redis' numbered databases, as walnut collections, and the commands that span them:
 * FLUSHALL, SWAPDB and MOVE (SELECT and FLUSHDB act on the connection's current one).
 *
 * Database 0 is the default collection; database N (N >= 1) is the collection named
 * "dbN" ("db1", "db2", ...). A database's collection is created (type hash) by the first
 * write to it, inside apply() and so through the log on every replica; until then it
 * reads as empty. A user may also create "db3" with COLLECTION CREATE (an ordered one,
 * say): SELECT 3 then uses it.
 *
 * How many databases a server has (--databases, 16 by default, as in Redis) is the
 * server's setting, not replicated state: the RESP server checks an index against it
 * before a call reaches the log (databaseRangeError), and apply() only bounds indices by
 * DATABASES_MAX so that a call can never create collections without end.
 */
import type { ByteString } from "../engine/bytes.js";
import { DEFAULT_COLLECTION, type Engine } from "../engine/engine.js";
import { createCollection, type Collection } from "../engine/collection.js";
import { liveItem, NOT_AN_INTEGER, SYNTAX_ERROR } from "./access.js";
import { defineCommand } from "./define.js";
import { error, integer, OK, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";
import { parseInteger } from "./numbers.js";

/** Redis' default number of databases. */
export const DATABASES_DEFAULT = 16;
/** The most databases a server may have (--databases); also apply()'s bound on an index. */
export const DATABASES_MAX = 1024;

const NAME_PREFIX = "db";
const DATABASE_NAME = /^db([1-9][0-9]*)$/;

export const DB_OUT_OF_RANGE = error("ERR", "DB index is out of range");
const SAME_OBJECT = error("ERR", "source and destination objects are the same");

/** The collection that holds database `index`: "default" for 0, "dbN" otherwise. */
export function databaseCollection(index: number): string {
  return index === 0 ? DEFAULT_COLLECTION : `${NAME_PREFIX}${index}`;
}

/** The database number a collection holds, or null for a collection that is no database's. */
export function databaseIndex(collection: string): number | null {
  if (collection === DEFAULT_COLLECTION) return 0;
  const match = DATABASE_NAME.exec(collection);
  if (match === null) return null;
  const index = Number(match[1]);
  return index < DATABASES_MAX ? index : null;
}

/** Whether `name` is a database's collection, created on first write rather than by COLLECTION CREATE. */
export function isDatabaseCollection(name: string): boolean {
  return databaseIndex(name) !== null;
}

const INT_OUT_OF_RANGE = error("ERR", "value is out of range, value must between -2147483648 and 2147483647");

/**
 * Redis' getIntFromObjectOrReply for a database index: a strict integer within a C int,
 * else Redis' error (`invalid`, when given, stands for both of its errors, as SWAPDB's do).
 */
export function parseDatabaseIndex(text: ByteString, invalid?: Reply): number | Reply {
  const parsed = parseInteger(text);
  if (parsed === null) return invalid ?? NOT_AN_INTEGER;
  if (parsed > 2147483647n || parsed < -2147483648n) return invalid ?? INT_OUT_OF_RANGE;
  return Number(parsed);
}

/** The collection of database `index`, created (hash) when this write is its first. */
export function writableDatabase(engine: Engine, index: number): Collection {
  const name = databaseCollection(index);
  const existing = engine.collection(name);
  if (existing !== undefined) return existing;
  engine.createCollection(name, "hash");
  return engine.requireCollection(name);
}

/**
 * The error a call to SELECT, MOVE or SWAPDB gets for database indices a server with
 * `databases` databases does not have, or null when they are in range (or are no
 * numbers: the command itself answers that). The RESP server asks before logging a call.
 */
export function databaseRangeError(argv: readonly ByteString[], databases: number): Reply | null {
  const spelled = argv[0] ?? "";
  if (spelled.length !== 4 && spelled.length !== 6) return null; // not MOVE, COPY, SWAPDB or SELECT: asked of every command
  const name = spelled.toUpperCase();
  const positions = name === "MOVE" ? [2] : name === "SWAPDB" ? [1, 2] : name === "SELECT" ? [1] : name === "COPY" ? copyDatabasePositions(argv) : [];
  const indices = positions.map((position) => parseDatabaseIndex(argv[position] ?? ""));
  if (indices.some((index) => typeof index !== "number")) return null;
  return indices.some((index) => (index as number) < 0 || (index as number) >= databases) ? DB_OUT_OF_RANGE : null;
}

/** Where COPY source destination [DB n] [REPLACE] names its database: after each DB word past the keys. */
function copyDatabasePositions(argv: readonly ByteString[]): number[] {
  const positions: number[] = [];
  for (let at = 3; at + 1 < argv.length; at++) {
    if (argv[at]!.toUpperCase() === "DB") positions.push(++at);
  }
  return positions;
}

/** FLUSHALL [ASYNC|SYNC]: empties every collection (every database and every collection of yours). */
function flushall(ctx: CommandContext, args: ByteString[]): Reply {
  const mode = args[0]?.toUpperCase();
  if (args.length > 1 || (mode !== undefined && mode !== "ASYNC" && mode !== "SYNC")) return SYNTAX_ERROR;
  for (const name of ctx.engine.collectionNames()) ctx.engine.collection(name)?.clear();
  return OK;
}

/** MOVE key db: moves a live key, with its expiry, to another database unless it exists there. */
function move(ctx: CommandContext, [key, dbText]: ByteString[]): Reply {
  const index = parseDatabaseIndex(dbText);
  if (typeof index !== "number") return index;
  if (index < 0 || index >= DATABASES_MAX) return DB_OUT_OF_RANGE;
  const targetName = databaseCollection(index);
  if (targetName === ctx.collection.name) return SAME_OBJECT;
  if (liveItem(ctx, key) === undefined) return integer(0);
  const existing = ctx.engine.collection(targetName)?.get(key);
  if (existing !== undefined && !existing.isExpiredAt(ctx.nowMs)) return integer(0);
  const target = writableDatabase(ctx.engine, index);
  // itemForUpdate: the item changes version, so it must not be one a checkpoint view reads.
  const item = ctx.collection.itemForUpdate(key)!;
  item.version = ctx.index;
  ctx.collection.delete(key);
  target.put(key, item);
  return integer(1);
}

/**
 * SWAPDB index1 index2: the two databases exchange their keys. Every key moves (O(n) in
 * both sizes) and gets this write's version, so a WATCH on either side sees the change.
 */
function swapdb(ctx: CommandContext, [firstText, secondText]: ByteString[]): Reply {
  const first = parseDatabaseIndex(firstText, error("ERR", "invalid first DB index"));
  if (typeof first !== "number") return first;
  const second = parseDatabaseIndex(secondText, error("ERR", "invalid second DB index"));
  if (typeof second !== "number") return second;
  if (first < 0 || first >= DATABASES_MAX || second < 0 || second >= DATABASES_MAX) return DB_OUT_OF_RANGE;
  if (first === second) return OK;
  const firstExisting = ctx.engine.collection(databaseCollection(first));
  const secondExisting = ctx.engine.collection(databaseCollection(second));
  if ((firstExisting?.size ?? 0) === 0 && (secondExisting?.size ?? 0) === 0) return OK;
  const a = writableDatabase(ctx.engine, first);
  const b = writableDatabase(ctx.engine, second);
  const takeAll = (from: Collection): Array<[ByteString, ReturnType<Collection["get"]>]> => {
    const keys = [...from.entries()].map(([key]) => key);
    return keys.map((key) => {
      const item = from.itemForUpdate(key)!;
      item.version = ctx.index;
      from.delete(key);
      return [key, item];
    });
  };
  const fromA = takeAll(a);
  const fromB = takeAll(b);
  for (const [key, item] of fromB) a.put(key, item!);
  for (const [key, item] of fromA) b.put(key, item!);
  return OK;
}

export const databaseCommands: CommandSpec[] = [
  defineCommand({
    name: "FLUSHALL",
    categories: ["keyspace", "dangerous"],
    arity: -1,
    flags: ["write"],
    firstKey: 0,
    access: "admin",
    summary: "Empties every database and every collection [ASYNC|SYNC]",
    run: flushall,
  }),
  defineCommand({
    name: "MOVE",
    arity: 3,
    flags: ["write", "fast"],
    summary: "Moves a key to another database (MOVE key db): 1 when moved, 0 when absent here or present there",
    run: move,
  }),
  defineCommand({
    name: "SWAPDB",
    categories: ["keyspace", "dangerous"],
    arity: 3,
    flags: ["write", "fast"],
    firstKey: 0,
    summary: "Exchanges the keys of two databases (SWAPDB index1 index2)",
    run: swapdb,
  }),
];

/** An empty collection standing for database `name` before its first write, for reads. */
export function emptyDatabase(name: string): Collection {
  return createCollection(name, "hash");
}
