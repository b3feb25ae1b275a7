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
 * - anything else (written then deleted again in one batch, a version unchanged): no
 *   change a watcher could see.
 *
 * A rolled-back batch leaves the engine as it was, so it records nothing (discard()).
 * A clear() is one "flush" of the collection, recorded before the entry's key changes.
 */
import type { Collection } from "./collection.js";
import type { ByteString } from "./bytes.js";
import type { Change } from "./change_history.js";
import type { Item } from "./values.js";

/** What a collection tells about its changes. */
export interface ChangeSink {
  touched(collection: Collection, key: ByteString): void;
  cleared(collection: Collection): void;
}

export class ChangeCapture implements ChangeSink {
  /** Per touched collection, each touched key and whether it was stored at its first touch, in touch order. */
  private readonly touchedKeys = new Map<Collection, Map<ByteString, boolean>>();
  private readonly clearedNames: string[] = [];

  touched(collection: Collection, key: ByteString): void {
    let keys = this.touchedKeys.get(collection);
    if (keys === undefined) {
      keys = new Map();
      this.touchedKeys.set(collection, keys);
    }
    if (!keys.has(key)) keys.set(key, collection.get(key) !== undefined);
  }

  cleared(collection: Collection): void {
    if (!this.clearedNames.includes(collection.name)) this.clearedNames.push(collection.name);
    // Keys touched before the clear are gone with it; the flush says so.
    this.touchedKeys.get(collection)?.clear();
  }

  /** Notes that a whole collection left or was replaced (dropped, installed by an import). */
  replaced(name: string): void {
    if (!this.clearedNames.includes(name)) this.clearedNames.push(name);
  }

  /** Forgets what was touched: the entry's changes were undone. */
  discard(): void {
    this.touchedKeys.clear();
    this.clearedNames.length = 0;
  }

  /** The changes the entry at `index` made; `sweep`: it was the expiry sweep. Resets for the next entry. */
  finish(index: number, sweep: boolean): Change[] {
    const changes: Change[] = [];
    for (const name of this.clearedNames) changes.push({ index, collection: name, type: "flush", key: "", kind: null, value: null });
    for (const [collection, keys] of this.touchedKeys) {
      for (const [key, existed] of keys) {
        const item = collection.get(key);
        if (item !== undefined && item.version === index) {
          changes.push({ index, collection: collection.name, type: "put", key, kind: item.kind, value: scalarValue(item) });
        } else if (item === undefined && existed) {
          changes.push({ index, collection: collection.name, type: sweep ? "expire" : "delete", key, kind: null, value: null });
        }
      }
    }
    this.discard();
    return changes;
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
