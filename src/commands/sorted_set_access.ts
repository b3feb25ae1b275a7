/**
 * How the sorted-set commands read and write `zset` items, and the replies they share.
 *
 * A sorted set never exists empty: the write that removes its last member deletes the
 * key. Writes change the SortedSet of the item they get from `itemForUpdate` (a private
 * copy while a checkpoint view or a batch's journal may still read the original), stamp
 * it with the entry's index and put it back; an existing set keeps its expiry, as in Redis.
 */
import type { ByteString } from "../engine/bytes.js";
import { SortedSet, type ScoredMember } from "../engine/sorted_set.js";
import { Item, NO_EXPIRY } from "../engine/values.js";
import { assert } from "../lib/assert.js";
import { deleteKey, liveItem, putItem } from "./access.js";
import { array, bulk, pairs, WRONGTYPE, type Reply } from "../engine/reply.js";
import type { CommandContext } from "./spec.js";

/** The sorted set at `key` (read only), undefined when absent, or WRONGTYPE. */
export function readSortedSet(ctx: CommandContext, key: ByteString): SortedSet | undefined | Reply {
  const item = liveItem(ctx, key);
  if (item === undefined) return undefined;
  return item.value instanceof SortedSet ? item.value : WRONGTYPE;
}

export function isReply(value: unknown): value is Reply {
  return typeof value === "object" && value !== null && !(value instanceof SortedSet) && "type" in value;
}

/** The sorted set item at `key`, safe to change in place; the caller checked it is a live zset. */
export function sortedSetForUpdate(ctx: CommandContext, key: ByteString): { item: Item; sorted: SortedSet } {
  const item = ctx.collection.itemForUpdate(key);
  assert(item !== undefined && item.value instanceof SortedSet, `key ${key} was checked to hold a sorted set`);
  return { item, sorted: item.value };
}

/** A new, empty sorted set item written by this entry (the caller fills it and stores it). */
export function newSortedSetItem(ctx: CommandContext): { item: Item; sorted: SortedSet } {
  const sorted = new SortedSet();
  return { item: new Item({ kind: "zset", value: sorted }, ctx.index, NO_EXPIRY), sorted };
}

/** Puts a changed sorted set back, or deletes the key when it became empty. */
export function storeSortedSet(ctx: CommandContext, key: ByteString, item: Item): void {
  assert(item.value instanceof SortedSet, "a zset item holds a SortedSet");
  if (item.value.size === 0) {
    ctx.collection.delete(key);
    return;
  }
  item.version = ctx.index;
  putItem(ctx, key, item);
}

/**
 * Replaces whatever `key` held with `sorted` (no expiry), as the STORE commands do; an
 * empty result deletes the key instead. Answers the new size.
 */
export function replaceWithSortedSet(ctx: CommandContext, key: ByteString, sorted: SortedSet): number {
  if (sorted.size === 0) {
    deleteKey(ctx, key);
    return 0;
  }
  putItem(ctx, key, new Item({ kind: "zset", value: sorted }, ctx.index, NO_EXPIRY));
  return sorted.size;
}

/** A score as a reply: RESP2 a bulk string, RESP3 a double, both spelled "%.17g". */
export function scoreReply(score: number): Reply {
  return { type: "double", value: score };
}

/** Members alone, or members with scores (RESP3 pairs, RESP2 one flat array). */
export function elementsReply(elements: readonly ScoredMember[], withScores: boolean): Reply {
  if (!withScores) return array(elements.map(([member]) => bulk(member)));
  return pairs(elements.map(([member, score]) => [bulk(member), scoreReply(score)]));
}

export type PopEnd = "min" | "max";

/**
 * Removes up to `count` elements from the `end` of the sorted set at `key` and returns
 * them in pop order (lowest first for min, highest first for max); deletes the key when
 * it empties. The caller checked the key holds a live sorted set. Blocking pops
 * (BZPOPMIN, BZPOPMAX, BZMPOP) call this once a key has elements.
 */
export function popElements(ctx: CommandContext, key: ByteString, end: PopEnd, count: number): ScoredMember[] {
  const { item, sorted } = sortedSetForUpdate(ctx, key);
  const taken = Math.min(count, sorted.size);
  const popped = end === "min" ? sorted.slice(0, taken) : sorted.slice(sorted.size - 1, taken, { reverse: true });
  for (const [member] of popped) sorted.delete(member);
  storeSortedSet(ctx, key, item);
  return popped;
}

/**
 * The first of `keys` that holds a live sorted set, popped of up to `count` elements
 * from `end` (ZMPOP's rule, and the non-blocking step of BZPOPMIN/BZPOPMAX/BZMPOP);
 * null when none holds one; WRONGTYPE when a key before it holds another kind.
 */
export function popFirstNonEmpty(
  ctx: CommandContext,
  keys: readonly ByteString[],
  end: PopEnd,
  count: number,
): { key: ByteString; popped: ScoredMember[] } | null | Reply {
  for (const key of keys) {
    const sorted = readSortedSet(ctx, key);
    if (sorted === undefined) continue;
    if (isReply(sorted)) return sorted;
    return { key, popped: popElements(ctx, key, end, count) };
  }
  return null;
}
