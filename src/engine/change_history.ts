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

/** What a change costs in the window beyond its key and value bytes (object, fields, array slot). */
const CHANGE_OVERHEAD_BYTES = 96;

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
  return CHANGE_OVERHEAD_BYTES + change.key.length + change.collection.length + (change.value?.length ?? 0);
}

export class ChangeHistory {
  /** Changes in index order; those before `head` are evicted and wait for the array to be compacted. */
  private changes: Change[] = [];
  private head = 0;
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
    return this.changes.length - this.head;
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
    // Checked without assert(): its message would be built for every entry.
    if (index <= this.covered) assert(false, `history in index order: ${index} after ${this.covered}`);
    if (index !== this.covered + 1) this.restart(index - 1);
    for (const captured of changes) {
      if (captured.index !== index) assert(false, `a change of entry ${index} carries index ${captured.index}`);
      const change = captured.value !== null && captured.value.length > this.bounds.maxValueBytes ? { ...captured, value: null } : captured;
      this.changes.push(change);
      this.bytes += changeBytes(change);
    }
    this.covered = index;
    this.evict();
    this.scheduleNotify();
  }

  /** Forgets everything: the state is now as of `index`, and changes up to it are compacted. */
  restart(index: number): void {
    this.changes = [];
    this.head = 0;
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
    let position = this.firstAtOrAfter(from);
    while (position < this.changes.length) {
      const change = this.changes[position] as Change;
      if (found.length >= limit && change.index !== found[found.length - 1]?.index) {
        return { compacted: false, changes: found, through: change.index - 1 };
      }
      if (changeMatches(change, filter)) found.push(change);
      position += 1;
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

  /** The position of the first change with index >= from (binary search). */
  private firstAtOrAfter(from: number): number {
    let low = this.head;
    let high = this.changes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.changes[middle] as Change).index < from) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Drops the oldest entries' changes, whole entries at a time, until the window fits its bounds. */
  private evict(): void {
    while (this.size > this.bounds.maxChanges || this.bytes > this.bounds.maxBytes) {
      const oldest = (this.changes[this.head] as Change).index;
      while (this.head < this.changes.length && (this.changes[this.head] as Change).index === oldest) {
        this.bytes -= changeBytes(this.changes[this.head] as Change);
        this.head += 1;
      }
      this.compacted = oldest;
    }
    // Compact the array once the evicted prefix is most of it: amortised O(1) per change.
    if (this.head > 1024 && this.head * 2 > this.changes.length) {
      this.changes = this.changes.slice(this.head);
      this.head = 0;
    }
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
