/**
 * The engine: walnut's state machine. It holds the named collections and the index of
 * the last applied log entry. Only committed log entries change it (through the command
 * handlers in commands/, driven by node/), and applying never reads a clock or a random
 * source, so every replica that applies the same log holds the same data.
 */
import { WalnutError } from "../lib/errors.js";
import { limits } from "../lib/limits.js";
import { createCollection, type Collection, type CollectionType, type CollectionView } from "./collection.js";

export const DEFAULT_COLLECTION = "default";

/** A consistent picture of the whole engine as of `index`, for a checkpoint. */
export interface EngineView {
  readonly index: number;
  readonly term: number;
  readonly collections: CollectionView[];
  close(): void;
}

export class Engine {
  /** Index and term of the last applied log entry. */
  appliedIndex = 0;
  appliedTerm = 0;
  private readonly collections = new Map<string, Collection>();
  private view: EngineView | null = null;

  constructor() {
    this.collections.set(DEFAULT_COLLECTION, createCollection(DEFAULT_COLLECTION, "hash"));
  }

  collection(name: string): Collection | undefined {
    return this.collections.get(name);
  }

  /** The named collection, or a NOT_FOUND-style error naming it. */
  requireCollection(name: string): Collection {
    const collection = this.collections.get(name);
    if (collection === undefined) {
      throw new WalnutError("BAD_ARGUMENT", `Cannot use collection "${name}": it does not exist`);
    }
    return collection;
  }

  collectionNames(): string[] {
    return [...this.collections.keys()];
  }

  listCollections(): Array<{ name: string; type: CollectionType; size: number }> {
    return [...this.collections.values()].map((c) => ({ name: c.name, type: c.type, size: c.size }));
  }

  /** Creates a collection; returns false if one with that name already exists. */
  createCollection(name: string, type: CollectionType): boolean {
    if (this.collections.has(name)) return false;
    if (this.collections.size >= limits.collectionsMax) {
      throw new WalnutError("LIMIT", `Cannot create collection "${name}": limit of ${limits.collectionsMax} reached`);
    }
    this.collections.set(name, createCollection(name, type));
    return true;
  }

  /** Adds a fully built collection (loading a checkpoint or an import), replacing any of that name. */
  installCollection(collection: Collection): void {
    this.collections.get(collection.name)?.closeView();
    this.collections.set(collection.name, collection);
  }

  /** Drops a collection; the default collection is emptied instead of removed. */
  dropCollection(name: string): boolean {
    const collection = this.collections.get(name);
    if (collection === undefined) return false;
    if (name === DEFAULT_COLLECTION) collection.clear();
    else this.collections.delete(name);
    return true;
  }

  /** Total keys across collections (expired keys not yet swept included). */
  get size(): number {
    let total = 0;
    for (const collection of this.collections.values()) total += collection.size;
    return total;
  }

  /** Opens a consistent view for a checkpoint. One at a time. */
  openView(): EngineView {
    if (this.view !== null) throw new WalnutError("BAD_ARGUMENT", "Cannot open an engine view: one is already open");
    const index = this.appliedIndex;
    const opened = [...this.collections.values()];
    const collections = opened.map((collection) => collection.openView(index));
    const view: EngineView = {
      index,
      term: this.appliedTerm,
      collections,
      close: () => {
        for (const collection of opened) collection.closeView();
        if (this.view === view) this.view = null;
      },
    };
    this.view = view;
    return view;
  }
}
