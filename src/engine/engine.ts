/**
 * The engine: walnut's state machine. It holds the named collections and the index of
 * the last applied log entry. Only committed log entries change it (through the command
 * handlers in commands/, driven by node/), and applying never reads a clock or a random
 * source, so every replica that applies the same log holds the same data.
 *
 * Two more pieces of replicated state live here: the undo journal of the atomic batch
 * being applied (beginBatch/commitBatch/rollbackBatch, see journal.ts), and the
 * at-most-once session table (session_table.ts: what each client's requests answered), which
 * is part of the state machine so that a retried write is applied once on every replica.
 */
import { assert } from "../lib/assert.js";
import { WalnutError } from "../lib/errors.js";
import { limits } from "../lib/limits.js";
import type { ByteString } from "./bytes.js";
import { createCollection, type Collection, type CollectionType, type CollectionView } from "./collection.js";
import { FunctionLibraries } from "./function_libraries.js";
import { Journal, type Journaled } from "./journal.js";
import { PublishedMessages } from "./published.js";
import { WrittenKeys } from "./written_keys.js";
import { ChangeCapture, ChangeCollector, type ChangeRecorder } from "./change_capture.js";
import { ChangeHistory, type Change } from "./change_history.js";
import { SessionTable, type ClientId, type SessionRecord } from "./session_table.js";
import { RemovedKeys, type RemovedKeysImage } from "./removed_keys.js";

export { SESSION_CLIENTS_MAX, SessionTable, type ClientId, type SessionRecord } from "./session_table.js";

export const DEFAULT_COLLECTION = "default";

/**
 * Told what each applied entry changed (client-side caching: server/resp/client_tracking.ts):
 * `changes` null when the whole state was replaced (a checkpoint installed from the leader).
 * `origin` is the payload apply() was given, by identity: a proposer recognises its own call.
 * Called synchronously inside apply(), and only for entries that changed something.
 */
export type ChangeListener = (changes: readonly Change[] | null, index: number, origin: object | null) => void;

/** A consistent picture of the whole engine as of `index`, for a checkpoint. */
export interface EngineView {
  readonly index: number;
  readonly term: number;
  readonly collections: CollectionView[];
  /** The at-most-once session table as of `index` (least recently used first). */
  readonly sessions: Array<[ClientId, SessionRecord]>;
  /** FUNCTION LOAD's libraries as of `index`: name and code, in load order. */
  readonly functionLibraries: Array<[string, ByteString]>;
  /** Recent removals as of `index`. */
  readonly removedKeys: RemovedKeysImage;
  close(): void;
}

export class Engine implements Journaled {
  /** Term of the last applied log entry. */
  appliedTerm = 0;
  private applied = 0;
  /** At-most-once sessions (replicated state: checkpoints must include it). */
  readonly sessions = new SessionTable();
  /** FUNCTION LOAD's libraries (replicated state: checkpoints include them). */
  readonly functionLibraries = new FunctionLibraries(this);
  /** Recent removals of keys, for WATCH of absent keys (replicated state: checkpoints include it; removed_keys.ts). */
  readonly removedKeys = new RemovedKeys();
  /** The undo log of the atomic batch being applied; null between batches. */
  journal: Journal | null = null;
  /** Which keys applied writes touched, for blocked clients (a hint, not replicated state: written_keys.ts). */
  readonly writtenKeys = new WrittenKeys();
  /** The changes recent entries made, for watchers (a hint kept per node, not replicated state: change_history.ts). */
  readonly history = new ChangeHistory();
  private readonly changeCapture = new ChangeCapture();
  /** Where each entry's changes go: removals to removedKeys, every change to the history. */
  private readonly recorder: ChangeRecorder = {
    append: (index, type, collection, key, kind, value) => {
      if (type === "delete" || type === "expire") this.removedKeys.note(index, type, collection, key);
      this.history.append(index, type, collection, key, kind, value);
    },
    flushed: (index, collection, keys) => {
      if (keys === null) this.removedKeys.note(index, "flush", collection, "");
      else for (const key of keys) this.removedKeys.note(index, "delete", collection, key);
    },
    endEntry: (index) => {
      this.removedKeys.bound();
      this.history.endEntry(index);
    },
  };
  /** Listeners of every entry's changes (client tracking); empty unless a client tracks. */
  readonly changeListeners = new Set<ChangeListener>();
  /** Messages applied entries publish (PUBLISH, keyspace notifications), for this node's subscribers: published.ts. */
  readonly published = new PublishedMessages();
  private readonly collections = new Map<string, Collection>();
  private view: EngineView | null = null;

  constructor() {
    this.collections.set(DEFAULT_COLLECTION, this.captured(createCollection(DEFAULT_COLLECTION, "hash")));
  }

  /** Called by apply() before the entry at `index`: a jump in indices (a checkpoint loaded) restarts the history. */
  beginChanges(index: number): void {
    if (index === this.history.coveredThrough + 1) return;
    this.changeCapture.discard();
    this.history.restart(index - 1);
  }

  /**
   * Called by apply() after the entry at `index` (`sweep`: the expiry sweep, `origin`: the
   * entry's payload): records what it changed in the history and the removals in
   * removedKeys. Change objects are made only when someone needs them: the change
   * listeners (client tracking) and, for deletions, the key watchers (putItem notes the
   * writes; a blocked XREADGROUP ends when its stream goes).
   */
  endChanges(index: number, sweep: boolean, origin: object | null = null): void {
    if (this.changeListeners.size === 0 && this.writtenKeys.watchedKeys === 0) {
      this.changeCapture.recordInto(this.recorder, index, sweep);
      return;
    }
    const collector = new ChangeCollector(this.recorder);
    this.changeCapture.recordInto(collector, index, sweep);
    const changes = collector.changes;
    if (changes.length === 0) return;
    if (this.writtenKeys.watchedKeys > 0) {
      for (const change of changes) {
        if (change.type === "flush") this.writtenKeys.noteEverything();
        else if (change.type !== "put") this.writtenKeys.note(change.collection, change.key);
      }
    }
    for (const listener of this.changeListeners) listener(changes, index, origin);
  }

  /**
   * Index of the last applied log entry. Setting it to anything but the index the history
   * just recorded (a checkpoint loaded or installed) restarts the watch history there.
   */
  get appliedIndex(): number {
    return this.applied;
  }

  set appliedIndex(index: number) {
    this.applied = index;
    if (index === this.history.coveredThrough) return;
    this.changeCapture.discard();
    this.history.restart(index);
  }

  /** `collection`, telling the change capture what is about to change in it. */
  private captured(collection: Collection): Collection {
    collection.changes = this.changeCapture;
    return collection;
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
    const collection = this.captured(createCollection(name, type));
    this.journalCollections();
    this.journal?.attach(collection);
    this.collections.set(name, collection);
    return true;
  }

  /**
   * Adds a fully built collection (loading a checkpoint or an import), replacing any of
   * that name. A replaced collection's open view stays open: nothing writes to the
   * replaced collection any more, and EngineView.close() closes it.
   */
  installCollection(collection: Collection): void {
    this.captured(collection);
    this.changeCapture.replaced(collection.name);
    this.journalCollections();
    this.journal?.attach(collection);
    this.collections.set(collection.name, collection);
    this.writtenKeys.noteEverything();
  }

  /**
   * Replaces the whole state with a checkpoint's: a follower installing a snapshot its
   * leader sent. Not allowed inside a batch or while a view is open.
   */
  replaceContents(collections: Collection[], index: number, term: number): void {
    assert(this.view === null, "cannot replace the engine's contents while a checkpoint reads it");
    assert(this.journal === null, "cannot replace the engine's contents inside a batch");
    this.collections.clear();
    this.collections.set(DEFAULT_COLLECTION, this.captured(createCollection(DEFAULT_COLLECTION, "hash")));
    for (const collection of collections) this.collections.set(collection.name, this.captured(collection));
    this.sessions.clear();
    this.functionLibraries.restore([]);
    this.removedKeys.forgetThrough(index);
    this.appliedIndex = index;
    this.appliedTerm = term;
    this.changeCapture.discard();
    this.history.restart(index);
    this.writtenKeys.noteEverything();
    for (const listener of this.changeListeners) listener(null, index, null);
  }

  /** Drops a collection; the default collection is emptied instead of removed. */
  dropCollection(name: string): boolean {
    const collection = this.collections.get(name);
    if (collection === undefined) return false;
    if (name === DEFAULT_COLLECTION) collection.clear();
    else {
      this.changeCapture.replaced(name);
      this.journalCollections();
      this.collections.delete(name);
    }
    return true;
  }

  /**
   * Starts an atomic batch: until commitBatch() or rollbackBatch(), every change to the
   * collections and to the set of collections records how to undo it.
   */
  beginBatch(): void {
    assert(this.journal === null, "an atomic batch is already running");
    const journal = new Journal();
    journal.attach(this);
    for (const collection of this.collections.values()) journal.attach(collection);
  }

  /** Ends the atomic batch, keeping its changes. */
  commitBatch(): void {
    assert(this.journal !== null, "no atomic batch is running");
    this.journal.commit();
  }

  /** Ends the atomic batch, undoing every change it made: the engine is as before beginBatch(). */
  rollbackBatch(): void {
    assert(this.journal !== null, "no atomic batch is running");
    this.journal.rollback();
    this.changeCapture.discard();
  }

  /** Total keys across collections (expired keys not yet swept included). */
  get size(): number {
    let total = 0;
    for (const collection of this.collections.values()) total += collection.size;
    return total;
  }

  /** Records, once per batch, the set of collections (in order) before it changes. */
  private journalCollections(): void {
    const journal = this.journal;
    if (journal === null || !journal.firstTouch(this, "collections")) return;
    const before = [...this.collections.entries()];
    journal.record(() => {
      this.collections.clear();
      for (const [name, collection] of before) this.collections.set(name, collection);
    });
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
      sessions: this.sessions.snapshot(),
      functionLibraries: this.functionLibraries.entries(),
      removedKeys: this.removedKeys.image(),
      close: () => {
        for (const collection of opened) collection.closeView();
        if (this.view === view) this.view = null;
      },
    };
    this.view = view;
    return view;
  }
}
