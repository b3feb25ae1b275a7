/**
 * The keyspace commands, as Redis defines them, in the current collection: DEL UNLINK
 * EXISTS TYPE RENAME RENAMENX DBSIZE FLUSHDB KEYS RANDOMKEY, and walnut's `VERSION key`
 * (the log index of the key's last write, like etcd's mod revision; 0 when absent).
 * SCAN is in scan.ts.
 *
 * TYPE answers walnut's kinds: string, blob, integer, float, boolean, list, hash, set,
 * or none. DBSIZE counts keys that expired but were not swept yet, as Redis' does.
 */
import type { ByteString } from "../engine/bytes.js";
import { assert } from "../lib/assert.js";
import { checkKeyLength, deleteKey, liveItem, putItem, SYNTAX_ERROR } from "./access.js";
import { defineCommand } from "./define.js";
import { compileGlob } from "./glob.js";
import { array, bulk, error, integer, NIL, OK, status, type Reply } from "../engine/reply.js";
import type { CommandContext, CommandSpec } from "./spec.js";

function del(ctx: CommandContext, keys: ByteString[]): Reply {
  let deleted = 0;
  for (const key of keys) if (deleteKey(ctx, key)) deleted++;
  return integer(deleted);
}

function exists(ctx: CommandContext, keys: ByteString[]): Reply {
  let found = 0;
  for (const key of keys) if (liveItem(ctx, key) !== undefined) found++;
  return integer(found);
}

function type(ctx: CommandContext, [key]: ByteString[]): Reply {
  return status(liveItem(ctx, key)?.kind ?? "none");
}

function version(ctx: CommandContext, [key]: ByteString[]): Reply {
  return integer(liveItem(ctx, key)?.version ?? 0);
}

/** Moves the live item at `source` to `target` (replacing it), keeping its expiry. */
function moveItem(ctx: CommandContext, source: ByteString, target: ByteString): void {
  checkKeyLength(target); // before any change: a single command that fails changes nothing
  // itemForUpdate: the item changes version, so it must not be one a checkpoint view reads.
  const item = ctx.collection.itemForUpdate(source);
  assert(item !== undefined, `renaming absent key ${source}`);
  item.version = ctx.index;
  ctx.collection.delete(source);
  putItem(ctx, target, item);
}

function rename(ctx: CommandContext, [source, target]: ByteString[]): Reply {
  if (liveItem(ctx, source) === undefined) return error("ERR", "no such key");
  if (source !== target) moveItem(ctx, source, target);
  return OK;
}

function renamenx(ctx: CommandContext, [source, target]: ByteString[]): Reply {
  if (liveItem(ctx, source) === undefined) return error("ERR", "no such key");
  if (source === target || liveItem(ctx, target) !== undefined) return integer(0);
  moveItem(ctx, source, target);
  return integer(1);
}

function dbsize(ctx: CommandContext): Reply {
  return integer(ctx.collection.size);
}

function flushdb(ctx: CommandContext, args: ByteString[]): Reply {
  const mode = args[0]?.toUpperCase();
  if (args.length > 1 || (mode !== undefined && mode !== "ASYNC" && mode !== "SYNC")) return SYNTAX_ERROR;
  ctx.collection.clear();
  return OK;
}

function keys(ctx: CommandContext, [pattern]: ByteString[]): Reply {
  const glob = compileGlob(pattern);
  const found: Reply[] = [];
  for (const [key, item] of ctx.collection.entries()) {
    if (!item.isExpiredAt(ctx.nowMs) && glob.matches(key)) found.push(bulk(key));
  }
  return array(found);
}

/**
 * A key chosen from the live keys. Apply must not use randomness, and RANDOMKEY may run
 * inside a batch, so the choice is a hash of the clock and the applied index: calls in
 * the same millisecond answer the same key. Walks the collection: O(n).
 */
function randomkey(ctx: CommandContext): Reply {
  const size = ctx.collection.size;
  if (size === 0) return NIL;
  const start = mixToPosition(ctx.nowMs, ctx.index, size);
  let first: ByteString | null = null;
  let position = 0;
  for (const [key, item] of ctx.collection.entries()) {
    if (item.isExpiredAt(ctx.nowMs)) continue;
    if (position++ >= start) return bulk(key);
    first ??= key;
  }
  return first === null ? NIL : bulk(first);
}

/** A position in [0, size) spread over the inputs' bits (a 32-bit integer hash). */
function mixToPosition(nowMs: number, index: number, size: number): number {
  let hash = Math.imul((nowMs % 2 ** 32) ^ Math.imul(index, 0x9e3779b1), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % size;
}

export const keyCommands: CommandSpec[] = [
  defineCommand({ name: "DEL", arity: -2, flags: ["write"], lastKey: -1, summary: "Delete keys", run: del }),
  defineCommand({
    name: "UNLINK",
    arity: -2,
    flags: ["write", "fast"],
    lastKey: -1,
    summary: "Delete keys (the same as DEL in walnut)",
    run: del,
  }),
  defineCommand({
    name: "EXISTS",
    arity: -2,
    flags: ["readonly", "fast"],
    lastKey: -1,
    summary: "Count how many of the given keys exist",
    run: exists,
  }),
  defineCommand({
    name: "TYPE",
    arity: 2,
    flags: ["readonly", "fast"],
    summary: "The kind of value at a key",
    run: type,
  }),
  defineCommand({
    name: "VERSION",
    arity: 2,
    flags: ["readonly", "fast"],
    summary: "The log index of a key's last write (0 when absent)",
    run: version,
  }),
  defineCommand({
    name: "RENAME",
    arity: 3,
    flags: ["write"],
    lastKey: 2,
    summary: "Rename a key, replacing the target",
    run: rename,
  }),
  defineCommand({
    name: "RENAMENX",
    arity: 3,
    flags: ["write", "fast"],
    lastKey: 2,
    summary: "Rename a key only when the target does not exist",
    run: renamenx,
  }),
  defineCommand({
    name: "DBSIZE",
    arity: 1,
    flags: ["readonly", "fast"],
    firstKey: 0,
    summary: "The number of keys in the collection",
    run: dbsize,
  }),
  defineCommand({
    name: "FLUSHDB",
    arity: -1,
    flags: ["write"],
    firstKey: 0,
    summary: "Delete every key in the collection [ASYNC|SYNC]",
    run: flushdb,
  }),
  defineCommand({
    name: "KEYS",
    arity: 2,
    flags: ["readonly"],
    firstKey: 0,
    summary: "Every key matching a glob pattern",
    run: keys,
  }),
  defineCommand({
    name: "RANDOMKEY",
    arity: 1,
    flags: ["readonly"],
    firstKey: 0,
    summary: "A key of the collection, chosen pseudo-randomly",
    run: randomkey,
  }),
];
