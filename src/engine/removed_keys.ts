/**
 * Recent removals: for each key that applied entries removed (DEL, a pop that emptied a
 * list, the expiry sweep, ...), the index of its last removal, and for each collection
 * the index it was last flushed or dropped at. Replicated state: apply() keeps it from the
 * entries' changes (change_capture.ts) on every replica alike, and checkpoints carry it, so
 * that a batch's condition "this key was not written since index n" (a WATCH of an absent
 * key: commands/batch_conditions.ts) is judged the same way everywhere.
 *
 * Why removals are enough: a key absent when WATCH read it at index n and written after n
 * is either present now, with a version above n (the condition sees that in the item), or
 * was removed again after n (it is here).
 *
 * Bounded: at most REMOVALS_MAX removals, the oldest forgotten first. `forgottenThrough`
 * is the latest index whose removals may be forgotten: a question about an index before it
 * cannot be answered, and is answered "maybe removed" (the caller aborts, conservatively).
 * A removal again of a key moves it to the end, so the map's order is index order.
 */
import { assert } from "../lib/assert.js";
import type { ByteString } from "./bytes.js";
import type { Change, ChangeType } from "./change_history.js";

/** The most removals remembered (about 130 bytes of heap each). */
export const REMOVALS_MAX = 65_536;

/** One remembered removal: a key of a collection, or a whole collection (key null) flushed or dropped. */
export type Removal = readonly [collection: string, key: ByteString | null, index: number];

/** What a checkpoint keeps of it. */
export interface RemovedKeysImage {
  readonly forgottenThrough: number;
  readonly removals: Removal[];
}

function keyName(collection: string, key: ByteString): string {
  return `k${collection.length}:${collection}${key}`;
}

function flushName(collection: string): string {
  return `f${collection}`;
}

export class RemovedKeys {
  /** keyName or flushName → index of the last removal, in index order. */
  private readonly lastRemoval = new Map<string, number>();
  private forgotten = 0;

  constructor(private readonly removalsMax: number = REMOVALS_MAX) {
    assert(removalsMax > 0, "RemovedKeys remembers at least one removal");
  }

  /** Every removal at or before this index may be forgotten. */
  get forgottenThrough(): number {
    return this.forgotten;
  }

  get size(): number {
    return this.lastRemoval.size;
  }

  /** Notes the removals among the changes the entry at `index` made. */
  record(index: number, changes: readonly Change[]): void {
    for (const change of changes) this.note(index, change.type, change.collection, change.key);
    this.bound();
  }

  /** Notes one change of the entry at `index` (a put is no removal); bound() after the entry's last. */
  note(index: number, type: ChangeType, collection: string, key: ByteString): void {
    if (type === "put") return;
    const name = type === "flush" ? flushName(collection) : keyName(collection, key);
    this.lastRemoval.delete(name);
    this.lastRemoval.set(name, index);
  }

  /** Forgets the oldest removals beyond removalsMax. */
  bound(): void {
    while (this.lastRemoval.size > this.removalsMax) {
      const [oldest, removedAt] = this.lastRemoval.entries().next().value as [string, number];
      this.lastRemoval.delete(oldest);
      this.forgotten = Math.max(this.forgotten, removedAt);
    }
  }

  /**
   * True when `key` of `collection` (or the whole collection) was removed by an entry after
   * `index`, or when that can no longer be told (removals after `index` may be forgotten).
   */
  removedAfter(collection: string, key: ByteString, index: number): boolean {
    if (index < this.forgotten) return true;
    const keyRemoved = this.lastRemoval.get(keyName(collection, key));
    if (keyRemoved !== undefined && keyRemoved > index) return true;
    const flushed = this.lastRemoval.get(flushName(collection));
    return flushed !== undefined && flushed > index;
  }

  /** The removals in index order, for a checkpoint. */
  image(): RemovedKeysImage {
    const removals: Removal[] = [];
    for (const [name, index] of this.lastRemoval) {
      if (name.startsWith("f")) removals.push([name.slice(1), null, index]);
      else {
        const colon = name.indexOf(":");
        const collectionLength = Number(name.slice(1, colon));
        removals.push([name.slice(colon + 1, colon + 1 + collectionLength), name.slice(colon + 1 + collectionLength), index]);
      }
    }
    return { forgottenThrough: this.forgotten, removals };
  }

  /** Replaces everything with a checkpoint's image (removals in index order). */
  restore(image: RemovedKeysImage): void {
    this.lastRemoval.clear();
    this.forgotten = image.forgottenThrough;
    for (const [collection, key, index] of image.removals) {
      this.lastRemoval.set(key === null ? flushName(collection) : keyName(collection, key), index);
    }
  }

  /** Forgets every removal up to `index`: the state now comes from somewhere that did not say (an old checkpoint). */
  forgetThrough(index: number): void {
    this.lastRemoval.clear();
    this.forgotten = index;
  }
}
