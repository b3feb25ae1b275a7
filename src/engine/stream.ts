/**
 * A Redis stream: entries ordered by ID, each a list of field-value pairs, with the
 * stream's bookkeeping (last ID, entries ever added, largest deleted ID) and its consumer
 * groups, each with its pending entries list (PEL) and consumers.
 *
 * An ID is two unsigned 64-bit numbers, milliseconds and sequence, ordered by both; they
 * are bigints because Redis accepts the full 64-bit range (`18446744073709551615-…`).
 * Entries and PELs live in sorted-btree B+trees: ordered range reads and O(log n) writes,
 * and an O(1) copy-on-write clone(), so Item.clone (a checkpoint may be reading the
 * original) costs no more than the groups' small maps.
 *
 * Nothing here reads a clock: callers pass the command's time (ctx.nowMs), so every
 * replica computes the same IDs and delivery times.
 */
import sortedBtree from "sorted-btree";
import type { ByteString } from "./bytes.js";
import { assert } from "../lib/assert.js";

// sorted-btree is CommonJS with `exports.default`; under Node ESM the class is `.default`.
const BTree = sortedBtree.default;
type BTree<K, V> = InstanceType<typeof sortedBtree.default<K, V>>;

export const UINT64_MAX = 2n ** 64n - 1n;

export interface StreamId {
  readonly ms: bigint;
  readonly seq: bigint;
}

export const MIN_ID: StreamId = Object.freeze({ ms: 0n, seq: 0n });
export const MAX_ID: StreamId = Object.freeze({ ms: UINT64_MAX, seq: UINT64_MAX });

export function compareIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

export function formatId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** The ID right after `id`, or undefined past the largest. */
export function nextId(id: StreamId): StreamId | undefined {
  if (id.seq < UINT64_MAX) return { ms: id.ms, seq: id.seq + 1n };
  if (id.ms < UINT64_MAX) return { ms: id.ms + 1n, seq: 0n };
  return undefined;
}

/** The ID right before `id`, or undefined before the smallest. */
export function previousId(id: StreamId): StreamId | undefined {
  if (id.seq > 0n) return { ms: id.ms, seq: id.seq - 1n };
  if (id.ms > 0n) return { ms: id.ms - 1n, seq: UINT64_MAX };
  return undefined;
}

export interface StreamEntry {
  readonly id: StreamId;
  /** field, value, field, value, ... (never changed once added). */
  readonly fields: readonly ByteString[];
}

/** A delivered, not yet acknowledged entry of a group. */
export interface PendingEntry {
  readonly id: StreamId;
  consumer: ByteString;
  /** When it was last delivered, in ms since the epoch (the command's clock). */
  deliveryTimeMs: number;
  deliveryCount: number;
}

export interface Consumer {
  readonly name: ByteString;
  /** When the consumer last attempted an interaction (Redis 7.0's seen-time). */
  seenTimeMs: number;
  /** The IDs of its pending entries, in ID order (shares PendingEntry objects with the group). */
  pending: BTree<StreamId, PendingEntry>;
}

export class ConsumerGroup {
  readonly name: ByteString;
  lastId: StreamId;
  /** Entries the group has read, or -1n when unknown (Redis' SCG_INVALID_ENTRIES_READ). */
  entriesRead: bigint;
  pending: BTree<StreamId, PendingEntry>;
  consumers: Map<ByteString, Consumer>;

  constructor(name: ByteString, lastId: StreamId, entriesRead: bigint) {
    this.name = name;
    this.lastId = lastId;
    this.entriesRead = entriesRead;
    this.pending = new BTree<StreamId, PendingEntry>(undefined, compareIds);
    this.consumers = new Map();
  }

  /** The consumer called `name`, created (seen now) if new; `created` says which. */
  consumer(name: ByteString, nowMs: number): { consumer: Consumer; created: boolean } {
    const existing = this.consumers.get(name);
    if (existing !== undefined) return { consumer: existing, created: false };
    const consumer: Consumer = { name, seenTimeMs: nowMs, pending: new BTree<StreamId, PendingEntry>(undefined, compareIds) };
    this.consumers.set(name, consumer);
    return { consumer, created: true };
  }

  /** A deep copy: PendingEntry objects are shared between the group's PEL and its consumers', so both are rebuilt together. */
  clone(): ConsumerGroup {
    const copy = new ConsumerGroup(this.name, this.lastId, this.entriesRead);
    for (const [name, consumer] of this.consumers) {
      copy.consumers.set(name, { name, seenTimeMs: consumer.seenTimeMs, pending: new BTree<StreamId, PendingEntry>(undefined, compareIds) });
    }
    for (const entry of this.pending.values()) {
      const copied: PendingEntry = { ...entry };
      copy.pending.set(copied.id, copied);
      const owner = copy.consumers.get(copied.consumer);
      assert(owner !== undefined, `pending entry ${formatId(copied.id)} belongs to a known consumer`);
      owner.pending.set(copied.id, copied);
    }
    return copy;
  }
}

export class Stream {
  private entries: BTree<StreamId, StreamEntry>;
  lastId: StreamId = MIN_ID;
  /** Entries ever added (XADD), not lowered by deletions. */
  entriesAdded = 0n;
  /** The largest ID ever deleted by XDEL (not by trimming, as in Redis 7.0), 0-0 when none. */
  maxDeletedId: StreamId = MIN_ID;
  groups: Map<ByteString, ConsumerGroup> = new Map();

  constructor(entries?: BTree<StreamId, StreamEntry>) {
    this.entries = entries ?? new BTree<StreamId, StreamEntry>(undefined, compareIds);
  }

  get length(): number {
    return this.entries.size;
  }

  firstEntry(): StreamEntry | undefined {
    const key = this.entries.minKey();
    return key === undefined ? undefined : this.entries.get(key);
  }

  lastEntry(): StreamEntry | undefined {
    const key = this.entries.maxKey();
    return key === undefined ? undefined : this.entries.get(key);
  }

  get(id: StreamId): StreamEntry | undefined {
    return this.entries.get(id);
  }

  /** Appends an entry; its ID is larger than lastId (the caller checked). */
  append(id: StreamId, fields: readonly ByteString[]): void {
    assert(compareIds(id, this.lastId) > 0, "stream IDs grow");
    this.entries.set(id, { id, fields });
    this.lastId = id;
    this.entriesAdded += 1n;
  }

  /** Deletes one entry; true when it was there. */
  delete(id: StreamId): boolean {
    const removed = this.entries.delete(id);
    if (removed && compareIds(id, this.maxDeletedId) > 0) this.maxDeletedId = id;
    return removed;
  }

  /** Entries with start <= ID <= end, ascending, at most `count` (undefined: all). */
  range(start: StreamId, end: StreamId, count?: number): StreamEntry[] {
    const found: StreamEntry[] = [];
    if (compareIds(start, end) > 0 || count === 0) return found;
    for (const [, entry] of this.entries.entries(start)) {
      if (compareIds(entry.id, end) > 0) break;
      found.push(entry);
      if (count !== undefined && found.length >= count) break;
    }
    return found;
  }

  /** Entries with start <= ID <= end, descending from end, at most `count`. */
  reverseRange(start: StreamId, end: StreamId, count?: number): StreamEntry[] {
    const found: StreamEntry[] = [];
    if (compareIds(start, end) > 0 || count === 0) return found;
    for (const [, entry] of this.entries.entriesReversed(end)) {
      if (compareIds(entry.id, start) < 0) break;
      found.push(entry);
      if (count !== undefined && found.length >= count) break;
    }
    return found;
  }

  /**
   * Removes entries from the head while `shouldGo(entry, lengthNow)` says so, at most
   * `limit` (undefined: no limit); the number removed.
   */
  trimHead(shouldGo: (entry: StreamEntry, lengthNow: number) => boolean, limit?: number): number {
    let removed = 0;
    while (limit === undefined || removed < limit) {
      const first = this.firstEntry();
      if (first === undefined || !shouldGo(first, this.length)) break;
      // Trimming does not move maxDeletedId: Redis 7.0 records only XDEL's deletions there.
      this.entries.delete(first.id);
      removed++;
    }
    return removed;
  }

  /** A copy that shares the immutable entries (sorted-btree copies nodes on write) and deep-copies the groups. */
  clone(): Stream {
    const copy = new Stream(this.entries.clone());
    copy.lastId = this.lastId;
    copy.entriesAdded = this.entriesAdded;
    copy.maxDeletedId = this.maxDeletedId;
    for (const [name, group] of this.groups) copy.groups.set(name, group.clone());
    return copy;
  }

  *allEntries(): IterableIterator<StreamEntry> {
    yield* this.entries.values();
  }
}
