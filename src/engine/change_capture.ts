/**
 * Turns what one applied entry did to the collections into watch-history changes
 * (change_history.ts). Collections tell it, before each put, delete and clear, which key
 * is about to change (Collection.changes); when the entry is over, finish() looks at
 * each touched key once and compares it with how it was at its first touch:
 *
 * - present now with this entry's index as its version: a put (every write gives the
 *   key the entry's index as its version, commands/access.ts putItem);
 * - absent now, present before: a delete, or an expire when the entry was the expiry
 *   sweep;
 * - absent now and before, but stored for a while in between (created and deleted again
 *   inside one batch): a delete too, so that a watcher (and WATCH, which Redis aborts
 *   for it) learns the key was touched;
 * - anything else (a version unchanged, a delete of a key never there): no change.
 *
 * A rolled-back batch leaves the engine as it was, so it records nothing (discard()).
 * A clear() is one "flush" of the collection, recorded before the entry's key changes.
 *
 * Cost: this runs for every write. Most entries touch one key, so the first touched key
 * lives in one record reused from entry to entry and only further keys go to a Map; the
 * changes go straight into the history's columns (recordInto), with no Change objects.
 */
import type { Collection } from "./collection.js";
import type { ByteString } from "./bytes.js";
import type { Change, ChangeHistory, ChangeType } from "./change_history.js";
import type { Item, ValueKind } from "./values.js";

/** What a collection tells about its changes. */
export interface ChangeSink {
  /** `key` is about to change: `storing` true for a put, false for a delete. */
  touched(collection: Collection, key: ByteString, storing: boolean): void;
  cleared(collection: Collection): void;
}

interface Touch {
  collection: Collection;
  key: ByteString;
  /**
   * Stored when the entry first touched it. Looked up only when that first touch is a
   * delete: after a put, `stored` alone decides (absent at the end is a delete whether or
   * not it existed before), which saves a SET a lookup.
   */
  existed: boolean;
  /** Put at least once by the entry. */
  stored: boolean;
}

export class ChangeCapture implements ChangeSink {
  /** Per collection cleared by the entry, the keys it held (null: too many to list, or dropped/replaced whole). */
  private flushedKeys: Map<string, ByteString[] | null> | null = null;
  private flushedKeyCount = 0;
  /** The entry's first touched key; null before any. */
  private first: Touch | null = null;
  /** The record `first` reuses from entry to entry (one allocation per capture, not per write). */
  // Its collection is a placeholder until touched() fills the record in, before `first` points at it.
  private readonly firstRecord: Touch = { collection: null as unknown as Collection, key: "", existed: false, stored: false };
  /** Further touched keys, per collection, in touch order. */
  private more: Map<Collection, Map<ByteString, Touch>> | null = null;
  private clearedNames: string[] | null = null;

  touched(collection: Collection, key: ByteString, storing: boolean): void {
    const first = this.first;
    if (first === null) {
      const record = this.firstRecord;
      record.collection = collection;
      record.key = key;
      record.existed = !storing && collection.get(key) !== undefined;
      record.stored = storing;
      this.first = record;
      return;
    }
    if (first.collection === collection && first.key === key) {
      if (storing) first.stored = true;
      return;
    }
    this.more ??= new Map();
    let keys = this.more.get(collection);
    if (keys === undefined) {
      keys = new Map();
      this.more.set(collection, keys);
    }
    const touch = keys.get(key);
    if (touch === undefined) keys.set(key, { collection, key, existed: !storing && collection.get(key) !== undefined, stored: storing });
    else if (storing) touch.stored = true;
  }

  cleared(collection: Collection): void {
    this.replaced(collection.name);
    this.noteFlushedKeys(collection);
    // Keys touched before the clear are gone with it; the flush says so.
    if (this.first?.collection === collection) this.first = null;
    this.more?.get(collection)?.clear();
  }

  /** Notes that a whole collection left or was replaced (dropped, installed by an import). */
  replaced(name: string): void {
    this.clearedNames ??= [];
    if (!this.clearedNames.includes(name)) this.clearedNames.push(name);
  }

  /**
   * Keeps the keys a flush removes, while there are few enough (FLUSHED_KEYS_MAX in all for
   * the entry), so that the record of removals can say which keys went: a WATCH of a key
   * that did not exist is not disturbed by a FLUSHDB, as in Redis. Beyond it the flush
   * stands for every key.
   */
  private noteFlushedKeys(collection: Collection): void {
    this.flushedKeys ??= new Map();
    const known = this.flushedKeys.get(collection.name);
    if (known === null) return;
    const kept = known ?? [];
    if (this.flushedKeyCount + collection.size > FLUSHED_KEYS_MAX) {
      this.flushedKeys.set(collection.name, null);
      return;
    }
    for (const [key] of collection.entries()) kept.push(key);
    this.flushedKeyCount += collection.size;
    this.flushedKeys.set(collection.name, kept);
  }

  /** Forgets what was touched: the entry's changes were undone. */
  discard(): void {
    this.first = null;
    this.more = null;
    this.clearedNames = null;
    this.flushedKeys = null;
    this.flushedKeyCount = 0;
  }

  /**
   * Records in `history` the changes the entry at `index` made (`sweep`: it was the expiry
   * sweep), ends the entry there, and resets for the next one.
   */
  recordInto(history: ChangeRecorder, index: number, sweep: boolean): void {
    if (this.first !== null || this.more !== null || this.clearedNames !== null) {
      for (const name of this.clearedNames ?? []) {
        history.append(index, "flush", name, "", null, null);
        history.flushed?.(index, name, this.flushedKeys?.get(name) ?? null);
      }
      if (this.first !== null) appendChange(history, this.first, index, sweep);
      for (const keys of this.more?.values() ?? []) for (const touch of keys.values()) appendChange(history, touch, index, sweep);
      this.discard();
    }
    history.endEntry(index);
  }
}

function appendChange(history: ChangeRecorder, { collection, key, existed, stored }: Touch, index: number, sweep: boolean): void {
  const item = collection.get(key);
  if (item !== undefined && item.version === index) {
    history.append(index, "put", collection.name, key, item.kind, scalarValue(item));
  } else if (item === undefined && (existed || stored)) {
    history.append(index, sweep ? "expire" : "delete", collection.name, key, null, null);
  }
}

/** A scalar item's value as bytes; null for aggregates, which a watcher reads itself. */
function scalarValue(item: Item): ByteString | null {
  switch (item.kind) {
    case "string":
    case "blob":
      return item.value as ByteString;
    case "integer":
      return (item.value as bigint).toString();
    case "float":
      return String(item.value as number);
    case "boolean":
      return item.value === true ? "true" : "false";
    default:
      return null;
  }
}

/** Keys a flush lists for the record of removals, at most (one entry's flushes together). */
export const FLUSHED_KEYS_MAX = 10_000;

/**
 * Where an entry's changes go: the history, or a collector in front of it. `flushed`, if
 * there, also hears which keys a flush (the "flush" change appended just before) removed:
 * null when it removed more than FLUSHED_KEYS_MAX, or a collection dropped or replaced whole.
 */
export type ChangeRecorder = Pick<ChangeHistory, "append" | "endEntry"> & {
  flushed?(index: number, collection: string, keys: readonly ByteString[] | null): void;
};

/**
 * Passes an entry's changes on to the history and keeps them as Change objects too, for
 * the engine's change listeners (client tracking): made only while someone listens.
 */
export class ChangeCollector implements ChangeRecorder {
  readonly changes: Change[] = [];

  constructor(private readonly history: ChangeRecorder) {}

  append(index: number, type: ChangeType, collection: string, key: ByteString, kind: ValueKind | null, value: ByteString | null): void {
    this.changes.push({ index, type, collection, key, kind, value });
    this.history.append(index, type, collection, key, kind, value);
  }

  flushed(index: number, collection: string, keys: readonly ByteString[] | null): void {
    this.history.flushed?.(index, collection, keys);
  }

  endEntry(index: number): void {
    this.history.endEntry(index);
  }
}
