/**
 * What changed since the last checkpoint, so that the next one can be a delta: the keys
 * written (stored or removed) in each collection since the checkpoint's index, without
 * looking at the keys nobody wrote.
 *
 * Collections tell the engine's change sink of every put, delete and clear (collection.ts
 * `changes`); `CheckpointChangeSink` passes each on to the watch history's capture and
 * notes the key here. A collection is "whole" in the next delta (written in full) when
 * it is not the object the last checkpoint saw under its name (created, dropped and
 * created again, replaced by COLLECTION IMPORT or a checkpoint install), when it was
 * cleared (FLUSHDB, FLUSHALL), or when so many of its keys changed that writing it whole
 * is no dearer than listing them. Collections gone since are simply absent from the
 * delta's list of collections.
 *
 * Noting a key is an over-approximation that is always safe: a key noted but unchanged
 * (a batch rolled back, a DEL of an absent key) is written with its current state, or as
 * a removal if it is absent, which changes nothing when loaded.
 *
 * The notes are taken when a checkpoint opens its view (`begin`, synchronously with
 * Engine.openView, so at the view's index) and fresh ones started; `finished` makes the
 * checkpoint the new baseline, `failed` puts the taken notes back so that the next
 * checkpoint still covers them. Nothing is noted until there is a baseline (a checkpoint
 * written or loaded): before it, every checkpoint is full.
 *
 * Cost: one Set.add per write while a baseline exists; memory: one Set entry per key
 * written since the last checkpoint, bounded by WHOLE_FRACTION of the collection.
 */
import type { ByteString } from "./bytes.js";
import type { ChangeSink } from "./change_capture.js";
import type { Collection, CollectionType } from "./collection.js";

/** A collection with more than this share of its keys noted is written whole instead. */
const WHOLE_FRACTION = 1 / 4;
/** ... but never for fewer noted keys than this (small collections are cheap either way). */
const WHOLE_KEYS_MIN = 1024;

const WHOLE = "whole";
type Noted = Set<ByteString> | typeof WHOLE;

/** What a delta must hold for one collection, as of the checkpoint's index. */
export interface CollectionChanges {
  name: string;
  type: CollectionType;
  /** Write every entry (the collection replaces any of that name); else only `keys`. */
  whole: boolean;
  /** Keys written since the previous checkpoint (empty when whole). */
  keys: ReadonlySet<ByteString>;
}

/** The changes a checkpoint at `index` would record over the one at `previousIndex`. */
export interface ChangesSinceCheckpoint {
  /** Index of the previous checkpoint (the baseline); null when there is none: write a full one. */
  previousIndex: number | null;
  /** Every collection at the view's index, in the engine's order. */
  collections: CollectionChanges[];
  /** Entries the delta would write: keys noted, and every key of whole collections. */
  estimatedEntries: number;
}

interface Baseline {
  index: number;
  /** The collection objects as of the baseline, by name. */
  collections: Map<string, Collection>;
}

export class CheckpointChanges {
  private baseline: Baseline | null = null;
  private noted = new Map<Collection, Noted>();
  /** The checkpoint running now: what it took, and what becomes the baseline if it succeeds. */
  private pending: { baseline: Baseline; taken: Map<Collection, Noted> } | null = null;
  /** The last collection noted and its set: most writes go to one collection in a row. */
  private lastCollection: Collection | null = null;
  private lastKeys: Noted | null = null;

  /** True while writes are noted (a baseline exists, or a checkpoint that will make one runs). */
  get tracking(): boolean {
    return this.baseline !== null || this.pending !== null;
  }

  /** The index of the last checkpoint written or loaded, or null. */
  get baselineIndex(): number | null {
    return this.baseline?.index ?? null;
  }

  /** Wraps the watch history's capture so that every change is noted here too. */
  sinkAround(inner: ChangeSink): ChangeSink {
    return new CheckpointChangeSink(inner, this);
  }

  touched(collection: Collection, key: ByteString): void {
    if (this.baseline === null && this.pending === null) return;
    let keys = collection === this.lastCollection ? this.lastKeys : this.noted.get(collection);
    if (keys === undefined || keys === null) {
      keys = new Set();
      this.noted.set(collection, keys);
    }
    this.lastCollection = collection;
    this.lastKeys = keys;
    if (keys === WHOLE) return;
    keys.add(key);
    if (keys.size > WHOLE_KEYS_MIN && keys.size > collection.size * WHOLE_FRACTION) this.markWhole(collection);
  }

  cleared(collection: Collection): void {
    if (this.baseline === null && this.pending === null) return;
    this.markWhole(collection);
  }

  /**
   * The state as of now is on disk at `index` (a checkpoint loaded at start or installed
   * from the leader): it becomes the baseline, and noting starts afresh.
   */
  reset(collections: readonly Collection[], index: number): void {
    this.baseline = { index, collections: new Map(collections.map((collection) => [collection.name, collection])) };
    this.pending = null;
    this.forgetNoted();
  }

  /**
   * Takes what changed since the baseline, as of `index` (call it synchronously with
   * Engine.openView, with the engine's collections in order), and starts noting afresh.
   */
  begin(collections: readonly Collection[], index: number): ChangesSinceCheckpoint {
    const taken = this.noted;
    this.forgetNoted();
    const previous = this.baseline;
    this.pending = { baseline: { index, collections: new Map(collections.map((collection) => [collection.name, collection])) }, taken };
    let estimatedEntries = 0;
    const changes = collections.map((collection): CollectionChanges => {
      const noted = taken.get(collection);
      const whole = previous === null || previous.collections.get(collection.name) !== collection || noted === WHOLE;
      const keys = whole || noted === undefined ? EMPTY : noted;
      estimatedEntries += whole ? collection.size : keys.size;
      return { name: collection.name, type: collection.type, whole, keys };
    });
    return { previousIndex: previous?.index ?? null, collections: changes, estimatedEntries };
  }

  /** The checkpoint begun last is durable: it is the baseline now. */
  finished(): void {
    if (this.pending === null) return;
    this.baseline = this.pending.baseline;
    this.pending = null;
  }

  /** The checkpoint begun last failed: the next one must still cover what it took. */
  failed(): void {
    const pending = this.pending;
    if (pending === null) return;
    this.pending = null;
    if (this.baseline === null) {
      this.forgetNoted();
      return;
    }
    for (const [collection, taken] of pending.taken) {
      const now = this.noted.get(collection);
      if (taken === WHOLE || now === WHOLE) this.noted.set(collection, WHOLE);
      else if (now === undefined) this.noted.set(collection, taken);
      else for (const key of taken) now.add(key);
    }
    this.lastCollection = null;
    this.lastKeys = null;
  }

  private markWhole(collection: Collection): void {
    this.noted.set(collection, WHOLE);
    if (collection === this.lastCollection) this.lastKeys = WHOLE;
  }

  private forgetNoted(): void {
    this.noted = new Map();
    this.lastCollection = null;
    this.lastKeys = null;
  }
}

const EMPTY: ReadonlySet<ByteString> = new Set();

/** Passes every change to the watch history's capture and notes it for the next checkpoint. */
class CheckpointChangeSink implements ChangeSink {
  constructor(
    private readonly inner: ChangeSink,
    private readonly changes: CheckpointChanges,
  ) {}

  touched(collection: Collection, key: ByteString, storing: boolean): void {
    this.changes.touched(collection, key);
    this.inner.touched(collection, key, storing);
  }

  cleared(collection: Collection): void {
    this.changes.cleared(collection);
    this.inner.cleared(collection);
  }
}

/** The engine's collections, in its order (what Engine.openView sees). */
export function collectionsOf(engine: { collectionNames(): string[]; collection(name: string): Collection | undefined }): Collection[] {
  return engine.collectionNames().map((name) => engine.collection(name) as Collection);
}
