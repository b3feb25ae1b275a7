/**
 * The watch history: a bounded window of the changes applied entries made to keys, in
 * log-index order, kept by every node for itself (leader or follower: each fills its own
 * window as it applies, see change_capture.ts). A watcher reads from it "every change
 * with index >= from" and then follows it as new entries are applied; docs/watch.md.
 *
 * Positions are log indices. The window covers the indices (compactedThrough,
 * coveredThrough]: every change made by an entry in that range is here, and an entry in
 * it that changed nothing (a no-op, a failed command) simply has no change. Older
 * changes are gone: a read from an index at or before compactedThrough answers
 * "compacted" with the oldest index it could serve (compactedThrough + 1), like etcd's
 * ErrCompacted with its compact revision. Eviction drops whole entries, never part of
 * one, so a position is never half served.
 *
 * The window restarts (everything before is compacted) when this node's state jumps
 * rather than advances one entry at a time: a checkpoint loaded at start-up, or one
 * installed from the leader. Nothing about the window is replicated or checkpointed.
 *
 * Cost: every applied write records here, watched or not (WATCH of an absent key reads
 * the window too: server/resp/watched_absent.ts), so recording allocates nothing. The
 * window is a ring of columns (index, type, collection, key, kind, value) that holds
 * references to the strings the entry already made; a Change object is built only when
 * a reader asks for it. One object per change kept for the window's life was much of
 * what recording cost: 100 000 of them surviving into the old generation made every SET
 * pay in garbage collection (src/bench/apply_history.ts measures it).
 */
import { assert } from "../lib/assert.js";
import type { ByteString } from "./bytes.js";
import type { ValueKind } from "./values.js";
import { optionDefault, serveOptions } from "../config/options.js";
import { parseSizeBytes } from "../lib/units.js";

/**
 * put: the key was written (its new version is the index). delete: a command removed it.
 * expire: the expiry sweep removed it because its time had passed. flush: every key of
 * the collection was removed at once (FLUSHDB, FLUSHALL, SWAPDB, a collection dropped or
 * replaced); key is "".
 */
export type ChangeType = "put" | "delete" | "expire" | "flush";

export interface Change {
  /** The log index of the entry that made it: the key's new version for a put. */
  readonly index: number;
  readonly collection: string;
  readonly type: ChangeType;
  readonly key: ByteString;
  /** A put's value kind; null otherwise. */
  readonly kind: ValueKind | null;
  /**
   * A put's new value for the scalar kinds (strings as their bytes; integers in decimal,
   * floats as JavaScript prints them, booleans as true/false); null for removals, for
   * aggregates (lists, hashes, sets, sorted sets) and for values longer than
   * --watch-value-bytes: a watcher reads the key for those.
   */
  readonly value: ByteString | null;
}

/** Which changes a watcher wants: one key, or every key under a prefix ("" = all), in one collection or all. */
export interface ChangeFilter {
  readonly collection?: string;
  readonly key?: ByteString;
  readonly prefix?: ByteString;
}

export interface HistoryBounds {
  /** The most changes the window holds. */
  readonly maxChanges: number;
  /** The most bytes (keys, values and a fixed overhead per change) it holds. */
  readonly maxBytes: number;
  /**
   * A put's value longer than this is left out of the window (value null: the watcher
   * reads the key), so that deleting large values frees their memory at once rather than
   * when the window lets them go.
   */
  readonly maxValueBytes: number;
}

/** --watch-history and --watch-history-bytes as they default. */
export const HISTORY_BOUNDS_DEFAULT: HistoryBounds = {
  maxChanges: Number(optionDefault(serveOptions, "watch-history")),
  maxBytes: parseSizeBytes(optionDefault(serveOptions, "watch-history-bytes"), "watch-history-bytes"),
  maxValueBytes: parseSizeBytes(optionDefault(serveOptions, "watch-value-bytes"), "watch-value-bytes"),
};

/** What a change costs in the window beyond its key and value bytes (its slots in the ring's columns, rounded up). */
const CHANGE_OVERHEAD_BYTES = 96;
/** The ring's first capacity; it doubles up to maxChanges (and past it only for an entry larger than the window). */
const RING_CAPACITY_MIN = 1024;

/** A read's answer: the changes with index >= from, or the news that some are gone. */
export type HistoryRead =
  | { readonly compacted: false; readonly changes: Change[]; readonly through: number }
  | { readonly compacted: true; readonly oldestIndex: number };

export function changeMatches(change: Change, filter: ChangeFilter): boolean {
  if (filter.collection !== undefined && change.collection !== filter.collection) return false;
  if (change.type === "flush") return true;
  if (filter.key !== undefined) return change.key === filter.key;
  return filter.prefix === undefined || change.key.startsWith(filter.prefix);
}

export function changeBytes(change: Change): number {
  return bytesOf(change.collection, change.key, change.value);
}

/** What a change with these strings counts against --watch-history-bytes. */
function bytesOf(collection: string, key: ByteString, value: ByteString | null): number {
  return CHANGE_OVERHEAD_BYTES + key.length + collection.length + (value?.length ?? 0);
}

export class ChangeHistory {
  // The ring: the change at logical position p (0 = oldest) is in slot (head + p) % capacity.
  private capacity = 0;
  private indexes = new Float64Array(0);
  private types: Array<ChangeType | null> = [];
  private collections: Array<string | null> = [];
  private keys: Array<ByteString | null> = [];
  private kinds: Array<ValueKind | null> = [];
  private values: Array<ByteString | null> = [];
  private head = 0;
  private count = 0;
  private bytes = 0;
  private compacted = 0;
  private covered = 0;
  private readonly listeners = new Set<() => void>();
  private notifyScheduled = false;

  constructor(private bounds: HistoryBounds = HISTORY_BOUNDS_DEFAULT) {
    assert(bounds.maxChanges >= 0 && bounds.maxBytes >= 0, "history bounds are not negative");
  }

  /** Every change at or before this index is gone. */
  get compactedThrough(): number {
    return this.compacted;
  }

  /** The last applied index the window knows of: changes of later entries are not here yet. */
  get coveredThrough(): number {
    return this.covered;
  }

  /** The oldest index a read may start from. */
  get oldestIndex(): number {
    return this.compacted + 1;
  }

  get size(): number {
    return this.count;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  setBounds(bounds: HistoryBounds): void {
    this.bounds = bounds;
    this.evict();
  }

  /**
   * Records what the entry at `index` changed (possibly nothing). An index that does not
   * follow the last one restarts the window: the entries between were never seen here.
   */
  record(index: number, changes: readonly Change[]): void {
    for (const change of changes) {
      if (change.index !== index) assert(false, `a change of entry ${index} carries index ${change.index}`);
      this.append(index, change.type, change.collection, change.key, change.kind, change.value);
    }
    this.endEntry(index);
  }

  /**
   * Adds one change of the entry at `index` (the apply path's record(), without a Change
   * object: change_capture.ts). The entry's changes end with endEntry(index).
   */
  append(index: number, type: ChangeType, collection: string, key: ByteString, kind: ValueKind | null, value: ByteString | null): void {
    // Checked without assert(): its message would be built for every change.
    if (index <= this.covered) assert(false, `history in index order: ${index} after ${this.covered}`);
    if (index !== this.covered + 1) this.restart(index - 1);
    if (this.count === this.capacity) this.makeRoom(index);
    const slot = this.slot(this.count);
    const kept = value !== null && value.length > this.bounds.maxValueBytes ? null : value;
    this.indexes[slot] = index;
    this.types[slot] = type;
    this.collections[slot] = collection;
    this.keys[slot] = key;
    this.kinds[slot] = kind;
    this.values[slot] = kept;
    this.count += 1;
    this.bytes += bytesOf(collection, key, kept);
  }

  /** The entry at `index` is applied: its changes (appended, or none) are the window's now. */
  endEntry(index: number): void {
    if (index <= this.covered) assert(false, `history in index order: ${index} after ${this.covered}`);
    if (index !== this.covered + 1) this.restart(index - 1);
    this.covered = index;
    this.evict();
    this.scheduleNotify();
  }

  /** Forgets everything: the state is now as of `index`, and changes up to it are compacted. */
  restart(index: number): void {
    for (let position = 0; position < this.count; position++) this.clearSlot(this.slot(position));
    this.head = 0;
    this.count = 0;
    this.bytes = 0;
    this.compacted = index;
    this.covered = index;
    this.scheduleNotify();
  }

  /**
   * The changes matching `filter` with index >= from, at most `limit` (never splitting an
   * entry's changes when it can help it: a limit reached mid-entry still ends the read at
   * that entry's last change), and `through`, the index the reader has now seen all of.
   */
  read(from: number, filter: ChangeFilter, limit = Number.POSITIVE_INFINITY): HistoryRead {
    if (from <= this.compacted) return { compacted: true, oldestIndex: this.oldestIndex };
    const found: Change[] = [];
    for (let position = this.firstAtOrAfter(from); position < this.count; position++) {
      const change = this.changeAt(position);
      if (found.length >= limit && change.index !== found[found.length - 1]?.index) {
        return { compacted: false, changes: found, through: change.index - 1 };
      }
      if (changeMatches(change, filter)) found.push(change);
    }
    return { compacted: false, changes: found, through: Math.max(this.covered, from - 1) };
  }

  /** Calls `listener` (in a microtask, never inside apply) after entries are recorded; returns the function that stops it. */
  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  private slot(position: number): number {
    const slot = this.head + position;
    return slot < this.capacity ? slot : slot - this.capacity;
  }

  private changeAt(position: number): Change {
    const slot = this.slot(position);
    return {
      index: this.indexes[slot] as number,
      collection: this.collections[slot] as string,
      type: this.types[slot] as ChangeType,
      key: this.keys[slot] as ByteString,
      kind: this.kinds[slot] as ValueKind | null,
      value: this.values[slot] as ByteString | null,
    };
  }

  /** The position of the first change with index >= from (binary search). */
  private firstAtOrAfter(from: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.indexes[this.slot(middle)] as number) < from) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /**
   * The ring is full and the entry at `index` adds a change: below maxChanges it grows;
   * at it, the oldest entry goes now rather than after this one (the same entry evict()
   * would drop); an entry larger than the window grows the ring past it, and evict()
   * then drops that entry whole.
   */
  private makeRoom(index: number): void {
    if (this.capacity >= this.bounds.maxChanges && this.count > 0 && (this.indexes[this.head] as number) < index) {
      this.evictOldestEntry();
      return;
    }
    const capacity = Math.max(RING_CAPACITY_MIN, this.capacity < this.bounds.maxChanges ? Math.min(this.capacity * 2, this.bounds.maxChanges) : this.capacity * 2);
    this.resize(Math.max(capacity, this.count + 1));
  }

  /** Copies the ring into columns of `capacity` slots, oldest first. */
  private resize(capacity: number): void {
    const indexes = new Float64Array(capacity);
    const types = new Array<ChangeType | null>(capacity).fill(null);
    const collections = new Array<string | null>(capacity).fill(null);
    const keys = new Array<ByteString | null>(capacity).fill(null);
    const kinds = new Array<ValueKind | null>(capacity).fill(null);
    const values = new Array<ByteString | null>(capacity).fill(null);
    for (let position = 0; position < this.count; position++) {
      const slot = this.slot(position);
      indexes[position] = this.indexes[slot] as number;
      types[position] = this.types[slot] ?? null;
      collections[position] = this.collections[slot] ?? null;
      keys[position] = this.keys[slot] ?? null;
      kinds[position] = this.kinds[slot] ?? null;
      values[position] = this.values[slot] ?? null;
    }
    this.indexes = indexes;
    this.types = types;
    this.collections = collections;
    this.keys = keys;
    this.kinds = kinds;
    this.values = values;
    this.capacity = capacity;
    this.head = 0;
  }

  /** Drops the oldest entries' changes, whole entries at a time, until the window fits its bounds. */
  private evict(): void {
    while (this.count > this.bounds.maxChanges || this.bytes > this.bounds.maxBytes) this.evictOldestEntry();
    // A window shrunk by setBounds() gives back its memory.
    if (this.capacity > RING_CAPACITY_MIN && this.capacity > 2 * Math.max(this.bounds.maxChanges, this.count)) {
      this.resize(Math.max(RING_CAPACITY_MIN, this.count, this.bounds.maxChanges));
    }
  }

  private evictOldestEntry(): void {
    const oldest = this.indexes[this.head] as number;
    while (this.count > 0 && this.indexes[this.head] === oldest) {
      this.bytes -= bytesOf(this.collections[this.head] ?? "", this.keys[this.head] ?? "", this.values[this.head] ?? null);
      this.clearSlot(this.head);
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
      this.count -= 1;
    }
    this.compacted = oldest;
  }

  /** Lets go of a slot's strings, so that the window keeps alive only what it holds. */
  private clearSlot(slot: number): void {
    this.types[slot] = null;
    this.collections[slot] = null;
    this.keys[slot] = null;
    this.kinds[slot] = null;
    this.values[slot] = null;
  }

  private scheduleNotify(): void {
    if (this.notifyScheduled || this.listeners.size === 0) return;
    this.notifyScheduled = true;
    queueMicrotask(() => {
      this.notifyScheduled = false;
      for (const listener of [...this.listeners]) listener();
    });
  }
}
