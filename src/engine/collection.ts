/**
 * Collections: named keyspaces, each either `hash` (a Map: O(1) point access, no order)
 * or `ordered` (a B+tree from sorted-btree: range scans in bytewise key order).
 *
 * Both support a cheap consistent view for checkpoints (`openView`), so a checkpoint can
 * serialize the collection as of one applied index while writes continue:
 * - ordered: sorted-btree's clone() is O(1) and copies nodes on write;
 * - hash: copy-on-write of touched keys. While a view is open, the first write to a key
 *   records the key's previous Item (or its absence) in `frozen`. The view then reads the
 *   live Map for keys untouched since it opened, and `frozen` for the rest.
 * In both, an Item shared with an open view is never mutated in place: writers get a
 * private copy from `itemForUpdate`. An item whose version is above the view's index was
 * written since and is private; one at or below it is shared unless it is the copy a
 * write put since the view opened: a change that keeps the key's version (a stream's
 * consumer groups, commands/access.ts putUnmodified) must not be copied again and again.
 *
 * While an atomic batch runs, the engine attaches a Journal (journal.ts) and every change
 * first records how to undo it, so that a failing batch can be rolled back exactly.
 */
import sortedBtree from "sorted-btree";
import type { ByteString } from "./bytes.js";
import { Item } from "./values.js";
import type { Journal, Journaled } from "./journal.js";
import type { ChangeSink } from "./change_capture.js";
import { assert } from "../lib/assert.js";

// sorted-btree is CommonJS with `exports.default`; under Node ESM the class is `.default`.
const BTree = sortedBtree.default;
type BTree<K, V> = InstanceType<typeof sortedBtree.default<K, V>>;

export type CollectionType = "hash" | "ordered";

/** A view's next(n) looks at no more than this many keys per entry asked for. */
const VIEW_STEPS_PER_ENTRY = 4;

/** A key and its item, as a view yields them. */
export type ViewEntry = readonly [ByteString, Item];

/** A frozen picture of a collection, read in slices by the checkpoint writer. */
export interface CollectionView {
  readonly name: string;
  readonly type: CollectionType;
  /**
   * Up to `maxEntries` entries, looking at a bounded number of keys (so one call never
   * stalls the event loop, however many keys were written since the view opened). It
   * may return fewer entries, or none, before the view is exhausted: check `exhausted`.
   */
  next(maxEntries: number): ViewEntry[];
  /** True once every entry has been returned. */
  readonly exhausted: boolean;
  /** The item of `key` as of the view's index, or undefined if it was absent (an incremental checkpoint's lookups). */
  get(key: ByteString): Item | undefined;
}

export interface Collection extends Journaled {
  readonly name: string;
  readonly type: CollectionType;
  readonly size: number;
  /** The item for `key`, expired or not; callers decide what expiry means. */
  get(key: ByteString): Item | undefined;
  /** Stores `item` under `key`. */
  put(key: ByteString, item: Item): void;
  /** Removes `key`; returns whether it was present. */
  delete(key: ByteString): boolean;
  /** Removes every key. */
  clear(): void;
  /**
   * The item for `key`, safe to mutate in place (lists, registers): a private copy
   * when an open view might still read the current one. The caller must `put` it back.
   */
  itemForUpdate(key: ByteString): Item | undefined;
  /** All entries in the collection's natural order (insertion for hash, key for ordered). */
  entries(): IterableIterator<ViewEntry>;
  /** Entries with start <= key <= end in key order (ordered collections only). */
  range?(start: ByteString, end: ByteString, limit: number): ViewEntry[];
  /** Keys that carry an expiry, for the expiry sweep. */
  readonly volatileKeys: Set<ByteString>;
  /** Opens a consistent view as of `index`. At most one view is open at a time. */
  openView(index: number): CollectionView;
  /** Closes the open view; writes stop paying for copy-on-write. */
  closeView(): void;
  /** While an atomic batch runs, where changes record their undo steps; null otherwise. */
  journal: Journal | null;
  /** Told of every key about to change, for the watch history (change_capture.ts); null when detached. */
  changes: ChangeSink | null;
}

export function createCollection(name: string, type: CollectionType): Collection {
  return type === "hash" ? new HashCollection(name) : new OrderedCollection(name);
}

/**
 * Records, on the first touch of `key` in a batch, how to bring back `current` (the item
 * before the change, or its absence). `mutatedInPlace`: the writer is about to change
 * `current` itself, so the record keeps a clone.
 */
function journalKey(collection: Collection, key: ByteString, current: Item | undefined, mutatedInPlace: boolean): void {
  const journal = collection.journal;
  if (journal === null || !journal.firstTouch(collection, key)) return;
  const previous = current !== undefined && mutatedInPlace ? current.clone() : current;
  if (previous === undefined) journal.record(() => void collection.delete(key));
  else journal.record(() => collection.put(key, previous));
}

/**
 * Whether a hash collection's open view may read `item`, the live item of a key whose
 * version is at or below the view's index, given what `frozen` holds for the key: the view
 * reads it if the key is untouched since the view opened (nothing frozen), or if a batch
 * rolled back put the view's own item back.
 */
function sharedUnlessReplaced(frozenItem: Item | null | undefined, item: Item): boolean {
  return frozenItem === undefined || frozenItem === item;
}

function trackExpiry(volatileKeys: Set<ByteString>, key: ByteString, item: Item | undefined): void {
  if (item !== undefined && item.expiresAtMs !== 0) volatileKeys.add(key);
  else volatileKeys.delete(key);
}

export class HashCollection implements Collection {
  readonly type = "hash" as const;
  readonly volatileKeys = new Set<ByteString>();
  journal: Journal | null = null;
  changes: ChangeSink | null = null;
  private map = new Map<ByteString, Item>();
  /** Previous items of keys written while a view is open; null = absent when the view opened. */
  private frozen: Map<ByteString, Item | null> | null = null;
  private viewIndex = -1;

  constructor(readonly name: string) {}

  get size(): number {
    return this.map.size;
  }

  get(key: ByteString): Item | undefined {
    return this.map.get(key);
  }

  put(key: ByteString, item: Item): void {
    this.changes?.touched(this, key, true);
    if (this.journal !== null) journalKey(this, key, this.map.get(key), false);
    this.freeze(key);
    this.map.set(key, item);
    trackExpiry(this.volatileKeys, key, item);
  }

  delete(key: ByteString): boolean {
    this.changes?.touched(this, key, false);
    if (this.journal !== null) journalKey(this, key, this.map.get(key), false);
    this.freeze(key);
    this.volatileKeys.delete(key);
    return this.map.delete(key);
  }

  clear(): void {
    this.changes?.cleared(this);
    if (this.journal !== null) this.journalContents(this.journal);
    // A fresh Map, not clear(): an open view keeps reading the old one untouched.
    this.map = new Map();
    this.frozen = null;
    this.volatileKeys.clear();
  }

  itemForUpdate(key: ByteString): Item | undefined {
    const item = this.map.get(key);
    if (item === undefined) return undefined;
    const shared = this.frozen !== null && item.version <= this.viewIndex && sharedUnlessReplaced(this.frozen.get(key), item);
    if (this.journal !== null) journalKey(this, key, item, !shared);
    return shared ? item.clone() : item;
  }

  entries(): IterableIterator<ViewEntry> {
    return this.map.entries();
  }

  openView(index: number): CollectionView {
    assert(this.frozen === null, `a view of collection ${this.name} is already open`);
    const frozen = new Map<ByteString, Item | null>();
    this.frozen = frozen;
    this.viewIndex = index;
    const atOpen = this.map;
    const live = atOpen.entries();
    let frozenEntries: IterableIterator<[ByteString, Item | null]> | null = null;
    let exhausted = false;
    return {
      name: this.name,
      type: this.type,
      get exhausted() {
        return exhausted;
      },
      next(maxEntries: number): ViewEntry[] {
        const out: ViewEntry[] = [];
        // Keys written after the view opened are skipped but still cost a step: bound the steps.
        let stepsLeft = maxEntries * VIEW_STEPS_PER_ENTRY;
        // Pass 1: live keys untouched since the view opened. Pass 2: the previous items
        // of touched keys. A key touched after pass 1 yielded it appears twice with the
        // same item; readers keep the last, which is identical. (A key touched by a change
        // that kept its version is in `frozen`, not untouched: the live item is newer.)
        while (out.length < maxEntries && frozenEntries === null && stepsLeft-- > 0) {
          const step = live.next();
          if (step.done) frozenEntries = frozen.entries();
          else if (step.value[1].version <= index && !frozen.has(step.value[0])) out.push(step.value);
        }
        while (out.length < maxEntries && frozenEntries !== null && stepsLeft-- > 0) {
          const step = frozenEntries.next();
          if (step.done) {
            exhausted = true;
            break;
          }
          const [key, item] = step.value;
          if (item !== null) out.push([key, item]);
        }
        return out;
      },
      get(key: ByteString): Item | undefined {
        // A key written since the view opened has its previous item (or null) in `frozen`;
        // the Map the view opened on holds the rest unchanged (clear() swaps in a new Map).
        const previous = frozen.get(key);
        if (previous !== undefined) return previous ?? undefined;
        const item = atOpen.get(key);
        assert(item === undefined || item.version <= index, `a view's key has version ${item?.version} beyond its index ${index}`);
        return item;
      },
    };
  }

  closeView(): void {
    this.frozen = null;
    this.viewIndex = -1;
  }

  /** Records how to bring back the whole collection as it is now (before clear()). */
  private journalContents(journal: Journal): void {
    const map = this.map;
    const frozen = this.frozen;
    const volatileKeys = [...this.volatileKeys];
    journal.record(() => {
      // The old Map was not touched since clear() replaced it; an open view may still
      // be reading it, and copy-on-write resumes with its `frozen` record.
      this.map = map;
      this.frozen = frozen;
      this.volatileKeys.clear();
      for (const key of volatileKeys) this.volatileKeys.add(key);
    });
  }

  private freeze(key: ByteString): void {
    const frozen = this.frozen;
    if (frozen === null || frozen.has(key)) return;
    const current = this.map.get(key);
    if (current !== undefined && current.version > this.viewIndex) return; // written after the view opened
    frozen.set(key, current ?? null);
  }
}

export class OrderedCollection implements Collection {
  readonly type = "ordered" as const;
  readonly volatileKeys = new Set<ByteString>();
  journal: Journal | null = null;
  changes: ChangeSink | null = null;
  private tree = new BTree<ByteString, Item>();
  private viewIndex = -1;
  /** The open view's tree (a clone), to tell a shared item from a copy put since; null without a view. */
  private viewTree: BTree<ByteString, Item> | null = null;

  constructor(readonly name: string) {}

  get size(): number {
    return this.tree.size;
  }

  get(key: ByteString): Item | undefined {
    return this.tree.get(key);
  }

  put(key: ByteString, item: Item): void {
    this.changes?.touched(this, key, true);
    if (this.journal !== null) journalKey(this, key, this.tree.get(key), false);
    this.tree.set(key, item, true);
    trackExpiry(this.volatileKeys, key, item);
  }

  delete(key: ByteString): boolean {
    this.changes?.touched(this, key, false);
    if (this.journal !== null) journalKey(this, key, this.tree.get(key), false);
    this.volatileKeys.delete(key);
    return this.tree.delete(key);
  }

  clear(): void {
    this.changes?.cleared(this);
    if (this.journal !== null) this.journalContents(this.journal);
    this.tree = new BTree<ByteString, Item>();
    this.volatileKeys.clear();
  }

  itemForUpdate(key: ByteString): Item | undefined {
    const item = this.tree.get(key);
    if (item === undefined) return undefined;
    const shared = this.viewTree !== null && item.version <= this.viewIndex && this.viewTree.get(key) === item;
    if (this.journal !== null) journalKey(this, key, item, !shared);
    return shared ? item.clone() : item;
  }

  entries(): IterableIterator<ViewEntry> {
    return this.tree.entries() as IterableIterator<ViewEntry>;
  }

  range(start: ByteString, end: ByteString, limit: number): ViewEntry[] {
    const out: ViewEntry[] = [];
    if (start > end || limit <= 0) return out;
    this.tree.forRange(start, end, true, (key, item) => {
      out.push([key, item]);
      return out.length >= limit ? { break: true } : undefined;
    });
    return out;
  }

  openView(index: number): CollectionView {
    assert(this.viewIndex < 0, `a view of collection ${this.name} is already open`);
    this.viewIndex = index;
    const clone = this.tree.clone();
    const entries = clone.entries();
    this.viewTree = clone;
    let exhausted = false;
    return {
      name: this.name,
      type: this.type,
      get exhausted() {
        return exhausted;
      },
      next(maxEntries: number): ViewEntry[] {
        const out: ViewEntry[] = [];
        while (out.length < maxEntries) {
          const step = entries.next();
          if (step.done) {
            exhausted = true;
            break;
          }
          out.push(step.value as ViewEntry);
        }
        return out;
      },
      get: (key: ByteString): Item | undefined => clone.get(key),
    };
  }

  closeView(): void {
    this.viewIndex = -1;
    this.viewTree = null;
  }

  /** Records how to bring back the whole collection as it is now (before clear()). */
  private journalContents(journal: Journal): void {
    const tree = this.tree;
    const volatileKeys = [...this.volatileKeys];
    journal.record(() => {
      this.tree = tree;
      this.volatileKeys.clear();
      for (const key of volatileKeys) this.volatileKeys.add(key);
    });
  }
}
