/**
 * Which keys applied writes touched, for whoever waits on keys: a blocked BLPOP client
 * (server/resp/blocked_clients.ts) now, BZPOPMIN and friends later. It is a hint, not
 * state: nothing replicated depends on it, and a watcher told about a key re-reads the
 * key to see whether anything is there for it (a write that emptied the key, or a batch
 * rolled back, notifies too).
 *
 * Every command write stores through commands/access.ts putItem, which notes the key
 * here; replacing whole collections (a checkpoint installed from the leader, COLLECTION
 * IMPORT) notes everything. Notes are delivered once the current apply is over (in a
 * microtask), never from inside apply(): a watcher may then propose writes of its own.
 * Watchers of one key are told in the order they started watching, which is the order
 * blocked clients are served in.
 *
 * Cost: one Map lookup per write while nobody watches anything, nothing more.
 */
import type { ByteString } from "./bytes.js";

/** Told that `key` of `collection` was written (or that everything may have been: key null). */
export type KeyWatcher = (collection: string, key: ByteString | null) => void;

export class WrittenKeys {
  /** collection name → key → watchers, in the order they started watching. */
  private readonly watchers = new Map<string, Map<ByteString, Set<KeyWatcher>>>();
  private noted: Array<{ collection: string; key: ByteString }> = [];
  private readonly notedKeys = new Map<string, Set<ByteString>>();
  private everything = false;
  private deliveryScheduled = false;
  private watchedCount = 0;

  /** How many (collection, key) pairs someone watches. */
  get watchedKeys(): number {
    return this.watchedCount;
  }

  /** Notes a write of `key` in `collection`; watchers hear of it after this apply. */
  note(collection: string, key: ByteString): void {
    if (this.watchedCount === 0) return;
    if (this.watchers.get(collection)?.has(key) !== true) return;
    let keys = this.notedKeys.get(collection);
    if (keys === undefined) {
      keys = new Set();
      this.notedKeys.set(collection, keys);
    }
    if (keys.has(key)) return;
    keys.add(key);
    this.noted.push({ collection, key });
    this.scheduleDelivery();
  }

  /** Notes that any key may have changed (whole collections replaced). */
  noteEverything(): void {
    if (this.watchedCount === 0) return;
    this.everything = true;
    this.scheduleDelivery();
  }

  /** Calls `watcher` after each apply that wrote one of `keys`; returns the function that stops it. */
  watch(collection: string, keys: readonly ByteString[], watcher: KeyWatcher): () => void {
    let byKey = this.watchers.get(collection);
    if (byKey === undefined) {
      byKey = new Map();
      this.watchers.set(collection, byKey);
    }
    const unique = [...new Set(keys)];
    for (const key of unique) {
      let set = byKey.get(key);
      if (set === undefined) {
        set = new Set();
        byKey.set(key, set);
        this.watchedCount += 1;
      }
      set.add(watcher);
    }
    return () => {
      const current = this.watchers.get(collection);
      if (current === undefined) return;
      for (const key of unique) {
        const set = current.get(key);
        if (set === undefined || !set.delete(watcher) || set.size > 0) continue;
        current.delete(key);
        this.watchedCount -= 1;
      }
      if (current.size === 0) this.watchers.delete(collection);
    };
  }

  private scheduleDelivery(): void {
    if (this.deliveryScheduled) return;
    this.deliveryScheduled = true;
    queueMicrotask(() => this.deliver());
  }

  private deliver(): void {
    this.deliveryScheduled = false;
    const noted = this.noted;
    const everything = this.everything;
    this.noted = [];
    this.notedKeys.clear();
    this.everything = false;
    if (everything) {
      const told = new Set<KeyWatcher>();
      for (const byKey of [...this.watchers.values()]) {
        for (const set of [...byKey.values()]) {
          for (const watcher of [...set]) {
            if (told.has(watcher)) continue;
            told.add(watcher);
            watcher("", null);
          }
        }
      }
      return;
    }
    for (const { collection, key } of noted) {
      const set = this.watchers.get(collection)?.get(key);
      if (set !== undefined) for (const watcher of [...set]) watcher(collection, key);
    }
  }
}
